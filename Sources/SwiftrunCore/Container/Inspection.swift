/// `swiftrun inspect`: a container's or an image's details as JSON, with
/// Docker's top-level field names where Docker has them.
public struct Inspection {
    let layout: StoreLayout

    public init(layout: StoreLayout) { self.layout = layout }

    package struct ContainerDocument: Encodable {
        var Id: String
        var Created: String
        var Path: String
        var Args: [String]
        var State: StateDocument
        var Image: Digest
        /// The files swiftrun made for the container's /etc, once it has started.
        var ResolvConfPath: String
        var HostnamePath: String
        var HostsPath: String
        var LogPath: String
        var Name: String
        var RestartCount: Int
        var Driver = "overlay2"
        var Platform = "linux"
        var MountLabel = ""
        var ProcessLabel = ""
        var AppArmorProfile = ""
        var ExecIDs = OrNull<[String]>(nil)
        var HostConfig: HostConfigDocument
        var GraphDriver: GraphDriverDocument
        /// With --size: the writable layer's bytes, and with the image's.
        var SizeRw: Int64?
        var SizeRootFs: Int64?
        var Mounts: [MountDocument]
        var Config: ConfigDocument
        var NetworkSettings: NetworkSettingsDocument
    }

    /// Where the container's layers are: the image's, read-only, and its own
    /// writable one (overlay's upper and work dirs). The merged tree is
    /// mounted in the container's mount namespace only, so it is not listed.
    struct GraphDriverDocument: Encodable {
        struct Directories: Encodable {
            var LowerDir: String
            var UpperDir: String
            var WorkDir: String
        }

        var Name = "overlay2"
        var Data: Directories
    }

    /// Docker's container Config: what the container was asked to run.
    /// (The OCI spec swiftrun ran it with is the container's config.json.)
    struct ConfigDocument: Encodable {
        var Hostname: String
        var Domainname = ""
        var User: String
        var AttachStdin = false
        var AttachStdout = false
        var AttachStderr = false
        var ExposedPorts: [String: ImageConfiguration.Empty]?
        var Tty: Bool
        var OpenStdin: Bool
        var StdinOnce: Bool
        var Env: [String]
        var Cmd: [String]
        var Image: String
        var WorkingDir: String
        var Volumes = OrNull<[String: ImageConfiguration.Empty]>(nil)
        var Entrypoint: OrNull<[String]>
        var OnBuild = OrNull<[String]>(nil)
        var Labels: [String: String]
        var StopSignal: String?
        var StopTimeout: Int?

        init(_ state: ContainerState, spec: RuntimeSpec?) {
            let words = state.command
            let split = min(state.entrypointLength ?? 0, words.count)
            Hostname = spec?.hostname ?? ""
            User = state.user ?? ""
            let ports = (state.network?.ports ?? []).map { "\($0.containerPort)/\($0.proto)" }
            ExposedPorts = ports.isEmpty ? nil : Dictionary(ports.map { ($0, ImageConfiguration.Empty()) }) { first, _ in first }
            Tty = spec?.process.terminal ?? false
            OpenStdin = state.openStdin ?? false
            StdinOnce = state.stdinOnce ?? false
            Env = spec?.process.env ?? []
            Cmd = Array(words[split...])
            Image = state.image
            WorkingDir = spec?.process.cwd ?? ""
            Entrypoint = OrNull(split > 0 ? Array(words[..<split]) : nil)
            Labels = state.labels ?? [:]
            StopSignal = state.stopSignal
            StopTimeout = state.stopTimeout
        }
    }

    /// A bind (-v) or tmpfs the container was given, as Docker lists them.
    struct MountDocument: Encodable {
        var `Type`: String
        /// A volume's name and driver; absent for a bind or tmpfs.
        var Name: String?
        var Source: String
        var Destination: String
        var Driver: String?
        var Mode: String
        var RW: Bool
        var Propagation: String
    }

    struct StateDocument: Encodable {
        var Status: String
        var Running: Bool
        var Paused: Bool
        var Restarting: Bool
        var OOMKilled: Bool
        var Dead = false
        var Pid: Int32
        var ExitCode: Int32
        var Error = ""
        var StartedAt: String
        var FinishedAt: String
        var Health: HealthState?
    }

    /// A container's document, or else an image's, with the Go struct
    /// Docker's is (for `inspect -f`).
    /// `size`: a container's sizes too, as `inspect --size` shows them.
    public func describe(_ target: String, size: Bool = false) throws(SwiftrunError) -> (document: String, shape: GoStruct) {
        if let state = try? ContainerStore(layout: layout).find(target) {
            return (String(decoding: try JSON.encode(container(state, size: size)), as: UTF8.self), .container)
        }
        let images = ImageStore(layout: layout)
        do {
            let document = try ImageInspection(store: images, image: try images.image(target))
            return (String(decoding: try JSON.encode(document), as: UTF8.self), .image)
        } catch .imageNotFound {
            // Neither a container nor an image, in Docker's words.
            throw .invalidArgument("no such object: \(target)")
        }
    }

    /// Docker's ContainerInspect document: `inspect` and the Engine API's
    /// `GET /containers/{id}/json`.
    package func container(_ state: ContainerState, size: Bool = false) -> ContainerDocument {
        let containers = ContainerStore(layout: layout)
        let spec = try? containers.spec(state.id)
        let active = state.isActive
        let running = active && state.status == .running
        let paused = ContainerControl(layout: layout).isPaused(state)
        let log = state.logConfig ?? LogConfig()
        let zeroTime = "0001-01-01T00:00:00Z"
        let directory = layout.container(state.id)
        // As Docker's, empty until the container has started and they exist.
        func etcFile(_ name: String) -> String { FileSystem.exists(directory + "/" + name) ? directory + "/" + name : "" }
        let mounts = Self.mounts(spec, containerDirectory: directory, volumes: VolumeStore(layout: layout))
        return ContainerDocument(
            Id: state.id, Created: state.created,
            Path: state.command.first ?? "", Args: Array(state.command.dropFirst()),
            State: .init(
                Status: state.dockerStatus(paused: paused),
                Running: running, Paused: paused,
                Restarting: active && state.status == .restarting, OOMKilled: state.oomKilled ?? false,
                Pid: running ? state.pid ?? 0 : 0, ExitCode: state.exitCode ?? 0,
                StartedAt: state.started ?? zeroTime, FinishedAt: state.finished ?? zeroTime,
                Health: ContainerHealth(layout: layout).state(of: state)),
            Image: state.imageID,
            ResolvConfPath: etcFile("resolv.conf"), HostnamePath: etcFile("hostname"), HostsPath: etcFile("hosts"),
            LogPath: state.detached == true && log.driver == "json-file" ? containers.logPath(state.id) : "",
            Name: "/" + state.name, RestartCount: state.restartCount ?? 0,
            HostConfig: HostConfigDocument(state, spec: spec, mounts: mounts),
            GraphDriver: graphDriver(state),
            SizeRw: size ? containers.writableSize(state.id) : nil,
            SizeRootFs: size ? containers.writableSize(state.id) + imageSize(state) : nil,
            Mounts: mounts,
            Config: ConfigDocument(state, spec: spec),
            NetworkSettings: NetworkSettingsDocument(
                active ? ContainerNetwork(layout: layout).attachments(state.id) : [], mode: (state.network ?? .none).mode))
    }

    /// The bytes of the container's image, as `images` counts them.
    private func imageSize(_ state: ContainerState) -> Int64 {
        guard let manifest = state.imageManifest, let image = try? ImageStore(layout: layout).load(manifest: manifest) else { return 0 }
        return image.size
    }

    /// The overlay's dirs: lowerdir as the kernel reads it, top first (the
    /// image's init layer, where one was made, then its layers).
    private func graphDriver(_ state: ContainerState) -> GraphDriverDocument {
        let dirs = ContainerStore(layout: layout).directories(state.id)
        var lower: [String] = []
        let images = ImageStore(layout: layout)
        if let manifest = state.imageManifest, let image = try? images.load(manifest: manifest) {
            let initLayer = layout.initLayer(image.id)
            lower = (FileSystem.exists(initLayer) ? [initLayer] : []) + images.layerDirectories(of: image).reversed()
        }
        return GraphDriverDocument(Data: .init(LowerDir: lower.joined(separator: ":"), UpperDir: dirs.upper, WorkDir: dirs.work))
    }

    /// What `ps` shows of a container's mounts: each volume's name, or a
    /// bind's source, Docker's MOUNTS; and how many are local volumes.
    public static func mountWords(of id: String, layout: StoreLayout) -> (mounts: [String], localVolumes: Int) {
        let documents = mounts(
            try? ContainerStore(layout: layout).spec(id), containerDirectory: layout.container(id), volumes: VolumeStore(layout: layout))
        return (documents.map { $0.Name ?? $0.Source }, documents.filter { $0.Driver == "local" }.count)
    }

    /// The spec's volumes, binds and tmpfs mounts but for swiftrun's own
    /// (the /etc files in the container's dir) and the kernel filesystems.
    private static func mounts(_ spec: RuntimeSpec?, containerDirectory: String, volumes: VolumeStore) -> [MountDocument] {
        (spec?.mounts ?? []).compactMap { mount in
            let bind = mount.type == "bind" || mount.options.contains("bind") || mount.options.contains("rbind")
            guard bind ? !mount.source.hasPrefix(containerDirectory + "/") : mount.type == "tmpfs" && !["/dev", "/dev/shm"].contains(mount.destination)
            else { return nil }
            let readOnly = mount.options.contains("ro")
            if bind, let name = volumes.name(ofSource: mount.source) {
                return MountDocument(
                    Type: "volume", Name: name, Source: mount.source, Destination: mount.destination, Driver: "local", Mode: "z",
                    RW: !readOnly, Propagation: "")
            }
            return MountDocument(
                Type: bind ? "bind" : "tmpfs", Source: bind ? mount.source : "", Destination: mount.destination, Mode: readOnly ? "ro" : "",
                RW: !readOnly, Propagation: bind ? "rprivate" : "")
        }
    }
}
