import Glibc

/// The container's description, in the shape of the OCI runtime spec's
/// config.json (runtime-spec v1.2), limited to what swiftrun sets so far.
/// `run` turns image and flags into this; ChildSpec turns this into the
/// flat C struct the child works from.
public struct RuntimeSpec: Codable, Sendable {
    public var ociVersion = "1.2.0"
    public var process: Process
    public var root: Root
    public var hostname: String
    public var linux: Linux

    public struct Process: Codable, Sendable {
        public var terminal = false
        public var args: [String]
        public var env: [String]
        public var cwd: String
    }

    public struct Root: Codable, Sendable {
        /// The merged overlay mount point, in the container's dir.
        public var path: String
        public var readonly = false
    }

    public struct Linux: Codable, Sendable {
        public var namespaces: [Namespace]
    }

    public struct Namespace: Codable, Sendable, Equatable {
        public var type: String
    }
}

/// What the user asked of `run`, before it meets the image.
public struct RunOptions: Sendable {
    public var image: String
    public var command: [String] = []
    public var name: String?
    public var autoRemove = false
    public var environment: [String] = []
    public var workingDirectory: String?
    public var hostname: String?

    public init(image: String) { self.image = image }
}

extension RuntimeSpec {
    /// Image config + flags -> spec, with Docker's precedence: flags win over
    /// the image, the image wins over the defaults.
    init(image: ImageConfiguration, options: RunOptions, id: String, rootfs: String,
         hostEnvironment: (String) -> String? = { getenvString($0) }) throws(SwiftrunError) {
        let config = image.config
        let entrypoint = config?.Entrypoint ?? []
        let args = entrypoint + (options.command.isEmpty ? config?.Cmd ?? [] : options.command)
        guard !args.isEmpty else {
            throw .invalidArgument("no command specified: the image has no Cmd or Entrypoint, so give one after the image name")
        }
        let cwd = options.workingDirectory ?? config?.WorkingDir.flatMap { $0.isEmpty ? nil : $0 } ?? ContainerDefaults.workingDirectory
        guard cwd.hasPrefix("/") else {
            throw .invalidArgument("the working directory '\(cwd)' is invalid: it needs to be an absolute path")
        }
        let hostname = options.hostname ?? ContainerID.short(id)
        try Self.validateHostname(hostname)

        var env = Environment(config?.Env ?? [])
        env.setDefault(ContainerDefaults.path)
        env.set("HOSTNAME=" + hostname)
        env.setDefault(ContainerDefaults.home)
        for assignment in options.environment {
            if assignment.contains("=") {
                env.set(assignment)
            } else if let value = hostEnvironment(assignment) {
                env.set(assignment + "=" + value)  // -e NAME passes the host's value, as in Docker
            }
        }

        self.init(
            process: .init(args: args, env: env.entries, cwd: cwd),
            root: .init(path: rootfs), hostname: hostname,
            linux: .init(namespaces: ContainerDefaults.namespaces))
    }

    private static func validateHostname(_ hostname: String) throws(SwiftrunError) {
        let valid = !hostname.isEmpty && hostname.utf8.count <= 64
            && hostname.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") }
        guard valid else {
            throw .invalidArgument("invalid hostname \"\(hostname)\": up to 64 letters, digits, '-' and '.'")
        }
    }

    /// The value of PATH in the container's environment: the child searches
    /// it for argv[0], as execvp would inside the container.
    var searchPath: String {
        process.env.last { $0.hasPrefix("PATH=") }.map { String($0.dropFirst(5)) } ?? ""
    }
}

/// KEY=VALUE entries in order, where setting a key replaces it in place.
struct Environment {
    private(set) var entries: [String]

    init(_ entries: [String]) { self.entries = entries }

    mutating func set(_ assignment: String) {
        let key = Self.key(assignment)
        if let index = entries.firstIndex(where: { Self.key($0) == key }) {
            entries[index] = assignment
        } else {
            entries.append(assignment)
        }
    }

    mutating func setDefault(_ assignment: String) {
        let key = Self.key(assignment)
        if !entries.contains(where: { Self.key($0) == key }) { entries.append(assignment) }
    }

    private static func key(_ assignment: String) -> Substring {
        assignment.prefix { $0 != "=" }
    }
}

func getenvString(_ name: String) -> String? {
    getenv(name).map { String(cString: $0) }
}
