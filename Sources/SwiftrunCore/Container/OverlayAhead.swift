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
    private let maker: Worker<Int32>  // the fd, or -1
    private var fd: Int32?

    init(_ plan: ContainerPlan) {
        let lowerdir = plan.lowerdir
        let upper = plan.dirs.upper
        let work = plan.dirs.work
        let volatileUpper: Int32 = plan.state.autoRemove ? 1 : 0
        maker = Worker { sr_overlay_detached(lowerdir, upper, work, volatileUpper) }
    }

    /// The overlay's fd, once the thread has made it; nil if it could not.
    func madeAhead() -> Int32? {
        let result = maker.join()
        if result >= 0 { fd = result }
        return fd
    }

    /// After the spawn, and on every way out: the child has its own copy
    /// of the fd (clone3 copies the table), which it attaches or drops.
    deinit {
        let result = fd ?? maker.join()
        if result >= 0 { close(result) }
    }
}
