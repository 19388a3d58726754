import CShims
import Glibc

/// One container made through the OCI verbs: `<state root>/<id>/state.json`,
/// the only record every verb reads, beside the exec fifo that exists from
/// `create` until `start`. The status is never stored: it is read off the
/// process (pid and start time, so a recycled pid is not mistaken for it)
/// and the fifo each time, so a container that died while nobody watched
/// is "stopped" at the next look.
struct RuntimeRecord: Codable {
    var id: String
    var init_: ProcessIdentity
    var bundle: String
    var rootfs: String
    var created: String
    var annotations: [String: String]
    /// Relative to each cgroup hierarchy's mount.
    var cgroupPath: String
    var hooks: RuntimeSpec.Hooks?
    /// --systemd-cgroup: the scope unit that holds the cgroup, stopped by `delete`.
    var systemdUnit: String?
    /// Set once `create` has seen the child reach the exec fifo and has run
    /// the hooks; until then the container is "creating".
    var ready = false

    enum CodingKeys: String, CodingKey {
        case id, bundle, rootfs, created, annotations, cgroupPath, hooks, systemdUnit, ready
        case init_ = "init"
    }

    enum Status: String {
        case creating, created, running, paused, stopped
    }

    /// A pidfd of pid 1, taken while it is still the recorded process
    /// (its start time checked after the open), so a recycled pid is never
    /// mistaken for it; nil once it has gone. The caller closes it.
    func pinInit() -> Int32? {
        let pidfd = sr_pidfd_open(init_.pid)
        guard pidfd >= 0 else { return nil }
        guard init_.isAlive else {
            close(pidfd)
            return nil
        }
        return pidfd
    }
}

/// The state directory of the OCI verbs (`--root`, default /run/swiftrun/containers):
/// tmpfs, as runc's /run/runc, since nothing in it outlives a reboot.
public struct RuntimeStateRoot: Sendable {
    public static let defaultPath = "/run/swiftrun/containers"
    public let path: String

    public init(path: String) { self.path = path }

    func directory(_ id: String) -> String { path + "/" + id }
    /// Compiled seccomp filters, by profile; '@' is never in an id.
    var seccompCache: String { path + "/@seccomp" }
    func fifo(_ id: String) -> String { directory(id) + "/exec.fifo" }
    /// The bundle's config as created (root path resolved): exec's base.
    func config(_ id: String) -> String { directory(id) + "/config.json" }

    /// The ids that have a directory here.
    func ids() -> [String] {
        ((try? FileSystem.listDirectory(path)) ?? []).filter { FileSystem.exists(directory($0) + "/state.json") }.sorted()
    }

    /// Whether `id` names a container here: how main.swift tells
    /// `start ID` of an engine from Docker's `start NAME`.
    public func holds(_ id: String) -> Bool {
        !id.isEmpty && !id.contains("/") && FileSystem.exists(directory(id) + "/state.json")
    }

    func load(_ id: String) throws(SwiftrunError) -> RuntimeRecord {
        guard RuntimeID.isValid(id), holds(id) else { throw .containerNotFound(id) }
        let file = directory(id) + "/state.json"
        return try JSON.decode(RuntimeRecord.self, from: FileSystem.readFile(file), path: file)
    }

    func save(_ record: RuntimeRecord) throws(SwiftrunError) {
        try FileSystem.writeAtomically(JSON.encode(record), to: directory(record.id) + "/state.json", durable: false)
    }

    func status(of record: RuntimeRecord) -> RuntimeRecord.Status {
        guard record.init_.isAlive else { return .stopped }
        if FileSystem.exists(fifo(record.id)) { return record.ready ? .created : .creating }
        return CgroupFreezer(path: record.cgroupPath)?.isFrozen == true ? .paused : .running
    }

    /// The state as the runtime spec defines it, and as `runc state` prints it.
    func ociState(of record: RuntimeRecord) -> OCIState {
        let status = status(of: record)
        return OCIState(
            ociVersion: RuntimeSpec.specVersion, id: record.id, status: status.rawValue,
            pid: status == .stopped ? 0 : record.init_.pid, bundle: record.bundle, rootfs: record.rootfs,
            created: record.created, owner: "", annotations: record.annotations)
    }
}

public struct OCIState: Codable, Sendable {
    public var ociVersion: String
    public var id: String
    public var status: String
    public var pid: Int32
    public var bundle: String
    public var rootfs: String
    public var created: String
    public var owner: String
    public var annotations: [String: String]
}

/// runc's rule for container ids: they become directory names here.
enum RuntimeID {
    static func isValid(_ id: String) -> Bool {
        !id.isEmpty && id.count <= 1024 && id != "." && id != ".."
            && id.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "_+-.".unicodeScalars.contains($0)) }
    }
}
