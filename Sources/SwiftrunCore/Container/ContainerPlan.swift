/// Phase 1, prepare: everything a container needs decided before any of
/// it exists. An image and flags become the OCI-shaped spec, the seccomp
/// filter, the overlay's options and the state to record; or, for `start`,
/// the same read back from the container's dir. Nothing is written here.
///
/// The phases, and who runs them (docs/ARCHITECTURE.md, "Phases"):
///   prepare  ContainerPlan          the CLI process
///   create   ContainerStore.create  the CLI (run) or the monitor (run -d)
///   start    ContainerLauncher      the process that will wait: it must be
///                                   the container's parent
///   supervise  ContainerRunner (foreground) or ContainerMonitor (detached)
///   delete   ContainerStore.finish / remove
struct ContainerPlan {
    let image: Image
    /// The image's layer dirs, lowest first.
    let layers: [String]
    /// The image's init layer (Store/InitLayer.swift), over `layers`;
    /// nil where it could not be made.
    let initLayer: String?
    let spec: RuntimeSpec
    let seccomp: [UInt8]?
    var state: ContainerState
    let dirs: ContainerStore.Directories
    /// The volumes it mounts; empty for `start`, which finds them made.
    var volumes: [VolumeUse] = []

    var id: String { state.id }

    /// The overlay's lower dirs, lowest first.
    var lowerLayers: [String] { initLayer.map { layers + [$0] } ?? layers }

    /// overlayfs(5): lowerdir lists the top layer first: the init layer,
    /// then the image's layers (stored lowest first) reversed.
    ///
    /// A `--rm` container's writable layer is `volatile`, as podman makes
    /// it: it is removed when the container exits and when recovery finds
    /// it after a crash, so nothing is gained by syncing it. Without the
    /// option, the unmount as pid 1 exits syncs the whole upper filesystem
    /// first (1.4–1.7 ms measured here), between the container's exit and
    /// its parent hearing of it. A volatile upper dir is mounted once: the
    /// kernel refuses it again, which a removed container never asks.
    ///
    var overlayOptions: String {
        let options = "lowerdir=" + lowerdir + ",upperdir=" + dirs.upper + ",workdir=" + dirs.work
        return state.autoRemove ? options + ",volatile" : options
    }

    /// The lower dirs, top first, colon-separated. A loop, not
    /// `reversed().joined(separator:)`: that generic call is not
    /// specialized, and its first use costs the runtime a type lookup by
    /// mangled name on every `run` (issue 15's profile).
    var lowerdir: String { Self.lowerdir(layers: layers, initLayer: initLayer) }

    static func lowerdir(layers: [String], initLayer: String?) -> String {
        var list = initLayer.map { $0 + ":" } ?? ""
        for index in layers.indices.reversed() {
            list += layers[index]
            if index > 0 { list += ":" }
        }
        return list
    }

    /// What a new container starts from before its flags are read: its
    /// id, the process that will supervise it, and the image's layer dirs.
    /// A foreground `run` has it first (ContainerAhead), and prepare takes
    /// it from there rather than reading it again.
    struct Start {
        let id: String
        let monitor: ProcessIdentity
        let layers: [String]
        let initLayer: String?

        init(image: Image, layout: StoreLayout) throws(SwiftrunError) {
            id = ContainerID.generate()
            monitor = try ProcessIdentity.current()
            layers = ImageStore(layout: layout).layerDirectories(of: image)
            initLayer = layers.isEmpty ? nil : InitLayer(layout: layout).directory(for: image, layers: layers)
        }
    }

    /// A new container of `image` as `options` describe it.
    static func prepare(_ options: RunOptions, image: Image, layout: StoreLayout, start: Start? = nil) throws(SwiftrunError) -> ContainerPlan {
        var options = options
        let containers = ContainerStore(layout: layout)
        let begun: Start
        if let start { begun = start } else { begun = try Start(image: image, layout: layout) }
        let (id, layers) = (begun.id, begun.layers)
        // overlayfs needs a lower layer; an empty image (FROM scratch with nothing added) has nothing to run.
        guard !layers.isEmpty else {
            throw .invalidArgument("\(options.image): the image has no layers, so there is nothing to run")
        }
        let dirs = containers.directories(id)
        let (etcDirectory, joinedNetwork) = try resolveNetwork(&options, image: image, layout: layout, dirs: dirs)
        let volumes = try VolumeUse.resolve(
            &options, imageVolumes: Array((image.configuration.config?.Volumes ?? [:]).keys), store: VolumeStore(layout: layout))
        let spec = try RuntimeSpec(
            image: image.configuration, options: options, id: id, rootfs: dirs.rootfs,
            etcDirectory: etcDirectory, joinedNetwork: joinedNetwork,
            imageFile: LayerStack(layers: layers).read)
        let seccomp = try spec.seccompPolicy.filter(capabilities: spec.process.capabilities.bounding, layout: layout)
        var state = ContainerState(
            id: id, name: options.name ?? ContainerName.random(), image: options.image, imageID: image.id,
            imageManifest: image.manifestDigest,
            command: spec.process.args, created: JSON.timestamp(), autoRemove: options.autoRemove,
            status: .running, monitor: begun.monitor)
        state.entrypointLength = RuntimeSpec.entrypoint(image: image.configuration.config, options: options).count
        state.labels = (image.configuration.config?.Labels ?? [:]).merging(options.labels) { $1 }
        state.user = options.user ?? image.configuration.config?.User ?? ""
        state.stopSignal = options.stopSignal ?? image.configuration.config?.StopSignal
        state.stopTimeout = options.stopTimeout
        state.openStdin = options.interactive
        if options.interactive && options.stdinOnce { state.stdinOnce = true }
        state.network = options.network
        if options.detach {
            state.detached = true
            state.restartPolicy = options.restart
            state.restartCount = 0
            state.logConfig = options.log
            state.health = try HealthConfig.resolve(image: image.configuration.config?.Healthcheck, options: options)
        }
        return ContainerPlan(
            image: image, layers: layers, initLayer: begun.initLayer, spec: spec, seccomp: seccomp, state: state, dirs: dirs, volumes: volumes)
    }

    /// The network flags checked against the host (the network exists,
    /// the ports are free) and made concrete: -P's ports, the hostname
    /// and /etc files of --network host or container:NAME. Returns where
    /// the /etc files live and the namespace to join, if any.
    private static func resolveNetwork(
        _ options: inout RunOptions, image: Image, layout: StoreLayout, dirs: ContainerStore.Directories
    ) throws(SwiftrunError) -> (String, String?) {
        if options.publishAll {
            options.network.ports += PublishedPort.exposed((image.configuration.config?.ExposedPorts ?? [:]).keys, besides: options.network.ports)
        }
        try ContainerNetwork(layout: layout).check(options.network, hostname: options.hostname)
        switch options.network.kind {
        case .host:
            if options.hostname == nil { options.hostname = HostInfo.hostname() }
            return (dirs.base, nil)
        case let .container(key):
            let containers = ContainerStore(layout: layout)
            let target = try containers.find(key)
            options.hostname = try containers.spec(target.id).hostname
            options.network.mode = "container:" + target.id
            return (layout.container(target.id), target.pid.map { "/proc/\($0)/ns/net" })
        case .none, .network:
            return (dirs.base, nil)
        }
    }

    /// An existing container, for `start`: its spec as recorded, its image,
    /// its upper dir as the last run left it.
    static func reload(_ state: ContainerState, layout: StoreLayout) throws(SwiftrunError) -> ContainerPlan {
        let images = ImageStore(layout: layout)
        let containers = ContainerStore(layout: layout)
        guard let manifest = state.imageManifest else {
            throw .invalidArgument("container \(state.name) does not record the image it was made from")
        }
        let image = try images.load(manifest: manifest)
        let spec = try containers.spec(state.id)
        let seccomp = try spec.seccompPolicy.filter(capabilities: spec.process.capabilities.bounding, layout: layout)
        let layers = images.layerDirectories(of: image)
        return ContainerPlan(
            image: image, layers: layers, initLayer: InitLayer(layout: layout).directory(for: image, layers: layers), spec: spec,
            seccomp: seccomp, state: state, dirs: containers.directories(state.id))
    }
}
