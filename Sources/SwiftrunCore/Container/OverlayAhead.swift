import CShims
import Glibc

/// A container's overlay, made by a second thread while the launch goes
/// on (fsopen, fsconfig, fsmount: a mount attached nowhere), for the child
/// to attach with move_mount(2) once its mount namespace is private. The
/// mount was the child's slowest step, 0.45-0.7 ms here: overlayfs probes
/// its work dir at every mount (a tmpfile, an xattr, a whiteout rename).
/// Here it overlaps the cgroups and the child's spec.
///
/// If the thread could not make it (a kernel without fsopen, say), the
/// child mounts it as before, and a real fault (a missing layer) is
/// reported by the child's own step, as it was.
final class OverlayAhead {
    private let maker: Worker<Result<Int32, SwiftrunError>>  // the fd, or -1
    private var fd: Int32?

    /// The overlay of a created container, whose dirs exist.
    convenience init(_ plan: ContainerPlan) {
        self.init(lowerdir: plan.lowerdir, dirs: plan.dirs, volatileUpper: plan.state.autoRemove, makingDirsOver: nil)
    }

    /// With `makingDirsOver` (the image's top layer), the thread first
    /// makes the writable layer's dirs (ContainerStore.makeLayerDirectories):
    /// a foreground `run` begins it before its plan (ContainerAhead).
    init(lowerdir: String, dirs: ContainerStore.Directories, volatileUpper: Bool, makingDirsOver top: String?) {
        let flag: Int32 = volatileUpper ? 1 : 0
        maker = Worker {
            Result { () throws(SwiftrunError) in
                if let top { try ContainerStore.makeLayerDirectories(dirs, over: top) }
                return sr_overlay_detached(lowerdir, dirs.upper, dirs.work, flag)
            }
        }
    }

    /// Waits for the thread: the overlay's fd, or nil if it could not be
    /// made. Throws only what making the dirs threw.
    func madeAhead() throws(SwiftrunError) -> Int32? {
        let result = try maker.join().get()
        if result >= 0 { fd = result }
        return fd
    }

    /// After the spawn, and on every way out: the child has its own copy
    /// of the fd (clone3 copies the table), which it attaches or drops.
    deinit {
        let result = fd ?? (try? maker.join().get()) ?? -1
        if result >= 0 { close(result) }
    }
}
