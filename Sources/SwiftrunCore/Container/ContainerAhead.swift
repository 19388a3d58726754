import Glibc

/// A foreground `run`'s container, begun before its plan: its marker and
/// dir at once, then, on a thread, the writable layer's dirs and overlay
/// (OverlayAhead), while this thread turns the flags into a spec. Only the
/// name waits for the plan: a bad flag must not hold it, and a random one
/// is drawn there. Made after the plan, the dirs and the overlay were the
/// longest wait between the plan and the clone3 (0.15-0.2 ms a run less
/// this way, in rounds beside crun on this 2-core VM).
///
/// Until `take`, the container is this object's, and `abandon` removes
/// it; from then on it is the store's like any other (ContainerStore.remove).
final class ContainerAhead {
    /// Its id and layers, which prepare takes from here.
    let start: ContainerPlan.Start
    let overlay: OverlayAhead
    private let containers: ContainerStore
    private var taken = false

    /// Nil for an image without layers, which prepare refuses, and where
    /// a volume may need the layer's dirs before the overlay (VolumeUse).
    init?(image: Image, options: RunOptions, layout: StoreLayout) throws(SwiftrunError) {
        guard !VolumeUse.mayBeUsed(by: options, imageVolumes: Array((image.configuration.config?.Volumes ?? [:]).keys)) else { return nil }
        let start = try ContainerPlan.Start(image: image, layout: layout)
        guard let top = start.layers.last else { return nil }
        self.start = start
        containers = ContainerStore(layout: layout)
        try containers.announce(start.id, monitor: start.monitor)
        do {
            try containers.makeDirectory(of: start.id)
        } catch {
            try? containers.abandon(start.id)
            throw error
        }
        overlay = OverlayAhead(
            lowerdir: ContainerPlan.lowerdir(layers: start.layers, initLayer: start.initLayer), dirs: containers.directories(start.id),
            volatileUpper: options.autoRemove, makingDirsOver: top)
    }

    /// The plan's name claimed: the container is whole, and the store's.
    /// Its thread may still be at work: whoever removes the container
    /// after this waits for it first (ContainerLauncher, ContainerRunner.create).
    func take(_ state: ContainerState) throws(SwiftrunError) {
        try containers.reserveName(state.name, for: state.id)
        taken = true
    }

    /// On any way out before `take` succeeded: the thread is waited for,
    /// then its dirs removed and the marker last.
    func abandon() {
        guard !taken else { return }
        _ = try? overlay.madeAhead()
        try? containers.abandon(start.id)
    }
}
