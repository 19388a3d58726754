/// What swiftrun knows about one container, in containers/<id>/state.json.
public struct ContainerState: Codable, Sendable {
    public enum Status: String, Codable, Sendable {
        /// `restarting`: a detached container's monitor waits out the
        /// restart policy's delay before starting it again. `created`:
        /// made by `create` (or the Engine API), never started, and no
        /// process supervises it.
        case created, running, restarting, exited
    }

    public var id: String
    public var name: String
    /// The image as the user named it, and the ID it resolved to.
    public var image: String
    public var imageID: Digest
    /// The manifest the container's layers come from: rmi keeps them while
    /// a container uses them, and commit builds on them.
    public var imageManifest: Digest?
    public var command: [String]
    /// How many words of `command` are the entrypoint, the rest being
    /// Docker's Cmd (inspect's Config shows them apart).
    public var entrypointLength: Int?
    /// The image's labels with -l over them (Docker's Config.Labels).
    public var labels: [String: String]?
    /// -u as given, else the image's User (Docker's Config.User).
    public var user: String?
    public var created: String
    public var autoRemove: Bool
    public var status: Status
    /// The swiftrun process that started the container and waits for it.
    /// If it is gone while status says running, the container is gone too
    /// (PDEATHSIG), and recovery finishes its cleanup.
    public var monitor: ProcessIdentity
    /// The container's pid 1, as the host sees it.
    public var pid: Int32?
    public var exitCode: Int32?
    /// The kernel's OOM killer ended a process of the container.
    public var oomKilled: Bool?
    public var finished: String?
    /// When the container's command last started (Docker's StartedAt).
    public var started: String?
    /// Set for `run -d` and `start`: a monitor process supervises the
    /// container and writes its log; foreground runs have none.
    public var detached: Bool?
    public var restartPolicy: RestartPolicy?
    /// Times the monitor started the container again under its policy.
    public var restartCount: Int?
    /// The last delay before a restart, in ms: the next one doubles it.
    public var restartDelay: Int?
    public var logConfig: LogConfig?
    /// What `stop` sends first (--stop-signal, else the image's
    /// STOPSIGNAL, else SIGTERM), and how long it waits before SIGKILL.
    public var stopSignal: String?
    public var stopTimeout: Int?
    /// -i on a detached container (Docker's OpenStdin): its stdin is a pipe
    /// from the monitor, which `attach` writes to.
    public var openStdin: Bool?
    /// StdinOnce (the API's create, as `docker run -i` sends it): the
    /// client attached at start closes the container's stdin when its
    /// input ends.
    public var stdinOnce: Bool?
    /// The health check the monitor runs every interval (detached only).
    public var health: HealthConfig?
    /// The network flags, applied again at each start. nil: a container
    /// made before networking, which has --network none.
    public var network: NetworkRequest?

    /// Whether a process of swiftrun still supervises this container.
    public var isActive: Bool {
        status != .exited && status != .created && monitor.isAlive
    }

    /// Docker's State word (inspect's State.Status, ps's State): created,
    /// running, paused, restarting or exited.
    public func dockerStatus(paused: Bool) -> String {
        if status == .created { return "created" }
        guard isActive else { return "exited" }
        return paused ? "paused" : status.rawValue
    }
}

/// `--log-driver json-file|none` and `--log-opt max-size=… max-file=…`.
public struct LogConfig: Codable, Sendable, Equatable {
    public var driver = "json-file"
    /// Bytes; nil: the log grows without rotation, as Docker's default.
    public var maxSize: Int64?
    public var maxFiles = 1

    public init() {}

    /// --log-driver and --log-opt as `run` takes them.
    public init(driver: String?, options: [String]) throws(SwiftrunError) {
        self.driver = driver ?? "json-file"
        guard ["json-file", "none"].contains(self.driver) else {
            throw .invalidArgument("unsupported --log-driver \(self.driver): swiftrun keeps json-file logs, or none")
        }
        for option in options {
            let parts = option.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, self.driver == "json-file" else { throw .invalidArgument("invalid --log-opt \(option)") }
            switch parts[0] {
            case "max-size": maxSize = try RunOptions.parseBytes(parts[1], flag: "--log-opt max-size")
            case "max-file":
                guard let count = Int(parts[1]), count >= 1 else { throw .invalidArgument("invalid --log-opt max-file=\(parts[1]): at least 1") }
                maxFiles = count
            default: throw .invalidArgument("unknown log opt '\(parts[0])' for json-file log driver")
            }
        }
    }
}
