/// The container's description, in the shape of the OCI runtime spec's
/// config.json (runtime-spec v1.2). `run` turns image and flags into this
/// (RuntimeSpec+Build.swift); an engine's bundle is read into it
/// (RuntimeSpec+Decoding.swift, OCI/Bundle.swift); ChildSpec turns it into
/// the flat C struct the child works from. Fields `run` never sets are
/// optional, so its config.json stays as it was.
public struct RuntimeSpec: Decodable, Sendable {
    /// The runtime-spec version this shape follows.
    public static let specVersion = "1.2.0"
    public var ociVersion = RuntimeSpec.specVersion
    public var process: Process
    public var root: Root
    public var hostname: String
    public var mounts: [Mount]
    public var linux: Linux
    public var annotations: [String: String]
    public var hooks: Hooks?

    public struct Process: Decodable, Sendable {
        public var terminal = false
        public var user: User
        public var args: [String]
        public var env: [String]
        public var cwd: String
        public var capabilities: CapabilitySets
        public var rlimits: [Rlimit]
        public var noNewPrivileges: Bool
        public var consoleSize: ConsoleSize?
        public var oomScoreAdj: Int?
        public var apparmorProfile: String?
        public var selinuxLabel: String?
    }

    public struct ConsoleSize: Decodable, Sendable, Equatable {
        public var height: UInt16
        public var width: UInt16
    }

    public struct User: Decodable, Sendable, Equatable {
        public var uid: UInt32
        public var gid: UInt32
        public var additionalGids: [UInt32]
        public var umask: UInt32?
    }

    public struct CapabilitySets: Decodable, Sendable {
        public var bounding: [String]
        public var effective: [String]
        public var permitted: [String]
        public var inheritable: [String]
        public var ambient: [String]
    }

    public struct Rlimit: Decodable, Sendable, Equatable {
        /// "RLIMIT_NOFILE"
        public var type: String
        public var hard: UInt64
        public var soft: UInt64
    }

    public struct Root: Decodable, Sendable {
        /// The merged overlay mount point, in the container's dir.
        public var path: String
        public var readonly: Bool
    }

    /// For `run`, a mount beyond the standard set the child always makes;
    /// for a bundle, any of its mounts.
    public struct Mount: Decodable, Sendable, Equatable {
        public var destination: String
        /// "bind", "tmpfs", "proc", ...; a bundle may leave it out for a bind.
        public var type: String
        public var source: String
        public var options: [String]
    }

    public struct Linux: Decodable, Sendable {
        public var namespaces: [Namespace]
        public var maskedPaths: [String]
        public var readonlyPaths: [String]
        /// Nodes created in the container's /dev beyond the standard ones.
        public var devices: [Device]
        public var resources: Resources
        /// Relative to each cgroup hierarchy's root; a bundle's engine names it.
        public var cgroupsPath: String?
        public var sysctl: [String: String]?
        public var seccomp: SeccompProfile?
        /// "rprivate", "rslave", "rshared", ...
        public var rootfsPropagation: String?
        public var uidMappings: [IDMapping]?
        public var gidMappings: [IDMapping]?
        /// Intel RDT (resctrl): read only to refuse it by name.
        public var intelRdt: IntelRdt?
    }

    /// Its fields do not matter: the object's presence is refused.
    public struct IntelRdt: Decodable, Sendable, Equatable {}

    public struct IDMapping: Decodable, Sendable, Equatable {
        public var containerID: UInt32
        public var hostID: UInt32
        public var size: UInt32
    }

    /// Programs an engine asks the runtime to run at points of the
    /// lifecycle, each given the container's state on stdin.
    public struct Hooks: Decodable, Sendable {
        public var prestart: [Hook]?
        public var createRuntime: [Hook]?
        public var createContainer: [Hook]?
        public var startContainer: [Hook]?
        public var poststart: [Hook]?
        public var poststop: [Hook]?
    }

    public struct Hook: Decodable, Sendable, Equatable {
        public var path: String
        public var args: [String]?
        public var env: [String]?
        public var timeout: Int?
    }

    public struct Namespace: Decodable, Sendable, Equatable {
        public var type: String
        /// A namespace to join rather than make: --network container:NAME
        /// gives that container's /proc/PID/ns/net.
        public var path: String?

        init(type: String, path: String? = nil) {
            self.type = type
            self.path = path
        }
    }

    public struct Device: Decodable, Sendable, Equatable {
        public var path: String
        /// "c" or "b".
        public var type: String
        public var major: UInt32
        public var minor: UInt32
        public var fileMode: UInt32
        public var uid: UInt32
        public var gid: UInt32
    }

    public struct Resources: Decodable, Sendable {
        /// The device cgroup's rules, in order; nil major or minor is "*".
        public var devices: [DeviceRule]
        public var memory: Memory?
        public var cpu: CPU?
        public var pids: Pids?
    }

    /// Bytes. `swap` is memory plus swap, as Docker's --memory-swap; -1 is unlimited.
    public struct Memory: Decodable, Sendable, Equatable {
        public var limit: Int64?
        public var reservation: Int64?
        public var swap: Int64?
    }

    public struct CPU: Decodable, Sendable, Equatable {
        public var shares: UInt64?
        /// CFS quota and period in microseconds (--cpus 0.5: 50000 of 100000).
        public var quota: Int64?
        public var period: UInt64?
        /// cpuset: "0-1", "0,2".
        public var cpus: String?
    }

    public struct Pids: Decodable, Sendable, Equatable {
        public var limit: Int64
    }

    public struct DeviceRule: Decodable, Sendable, Equatable {
        public var allow: Bool
        /// "a", "c" or "b".
        public var type: String
        public var major: UInt32?
        public var minor: UInt32?
        /// Some of "rwm".
        public var access: String
    }

    /// swiftrun's own settings, as OCI annotations.
    enum Annotation {
        static let seccomp = "run.swiftrun.seccomp"
        static let initProcess = "run.swiftrun.init"
    }
}

extension [RuntimeSpec.IDMapping] {
    /// The host's id for `id` of the container; nil without a mapping
    /// that covers it.
    func hostID(of id: UInt32) -> UInt32? {
        guard let mapping = first(where: { $0.containerID <= id && UInt64(id) < UInt64($0.containerID) + UInt64($0.size) }) else { return nil }
        return mapping.hostID + (id - mapping.containerID)
    }
}
