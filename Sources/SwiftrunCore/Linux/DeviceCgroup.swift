import CShims
import Glibc

/// The device cgroup that limits which device nodes a container may open,
/// whatever nodes it can create with CAP_MKNOD (../shared/SECURITY.md, 10).
///
/// Two kernel interfaces do this. On cgroup v2 (pure or hybrid) a
/// BPF_CGROUP_DEVICE program is attached to the container's own cgroup
/// (CShims/device_filter.c). On a legacy host the v1 `devices` controller
/// takes the same rules as lines in devices.deny and devices.allow. v2 is
/// preferred wherever it is mounted: it works the same on every v2 host.
public struct DeviceCgroup {
    public enum Backend: Equatable, Sendable {
        /// The cgroup2 mount: /sys/fs/cgroup, or /sys/fs/cgroup/unified on a hybrid host.
        case bpf(root: String)
        case v1Devices

        var parent: String {
            switch self {
            case let .bpf(root): root + "/swiftrun"
            case .v1Devices: "/sys/fs/cgroup/devices/swiftrun"
            }
        }

        public var description: String {
            switch self {
            case let .bpf(root): "cgroup v2 BPF device filter (\(root))"
            case .v1Devices: "cgroup v1 devices controller"
            }
        }
    }

    let path: String
    let backend: Backend

    /// The host's backend, found once: nil where neither exists.
    public static let detected: Backend? = {
        for root in ["/sys/fs/cgroup", "/sys/fs/cgroup/unified"] where sr_is_cgroup2(root) == 1 {
            return .bpf(root: root)
        }
        return FileSystem.exists("/sys/fs/cgroup/devices/devices.allow") ? .v1Devices : nil
    }()

    public static var available: Bool { detected != nil }

    /// Makes the container's cgroup with `rules` in order. A rule list that
    /// allows everything (--privileged) needs no cgroup: returns nil.
    /// `narrate` hears each cgroup file written or program attached.
    static func create(id: String, rules: [RuntimeSpec.DeviceRule], backend: Backend? = detected,
                       narrate: (String) -> Void = { _ in }) throws(SwiftrunError) -> DeviceCgroup? {
        guard let backend, rules != [.init(allow: true, type: "a", access: "rwm")] else { return nil }
        let cgroup = DeviceCgroup(path: backend.parent + "/" + id, backend: backend)
        // The parent goes when its last container does (remove below), so
        // another swiftrun may remove it between these two mkdirs: retry.
        while true {
            try FileSystem.makeDirectory(backend.parent)
            if try Syscall.attempt("mkdir \(cgroup.path)", allowing: [ENOENT], { mkdir(cgroup.path, 0o755) }) != nil { break }
        }
        do {
            switch backend {
            case .bpf:
                try cgroup.attachFilter(rules)
                narrate("bpf(BPF_PROG_ATTACH, BPF_CGROUP_DEVICE program of \(rules.count) rules, \(cgroup.path))")
            case .v1Devices:
                for rule in rules {
                    let file = cgroup.path + (rule.allow ? "/devices.allow" : "/devices.deny")
                    try FileSystem.writeString(line(rule), to: file)
                    narrate("\(file) = \(line(rule))")
                }
            }
        } catch {
            remove(id: id, backend: backend)
            throw error
        }
        return cgroup
    }

    /// v1's line for a rule: "c 1:3 rwm", "a", "c 136:* rwm".
    static func line(_ rule: RuntimeSpec.DeviceRule) -> String {
        if rule.type == "a" { return "a" }
        let major = rule.major.map(String.init) ?? "*"
        let minor = rule.minor.map(String.init) ?? "*"
        return "\(rule.type) \(major):\(minor) \(rule.access)"
    }

    private func attachFilter(_ rules: [RuntimeSpec.DeviceRule]) throws(SwiftrunError) {
        let compiled = rules.map { rule in
            sr_device_rule(
                allow: rule.allow ? 1 : 0, type: rule.type == "b" ? 1 : rule.type == "c" ? 2 : 0,
                major: rule.major.map(Int64.init) ?? -1, minor: rule.minor.map(Int64.init) ?? -1,
                access: (rule.access.contains("m") ? 1 : 0) | (rule.access.contains("r") ? 2 : 0) | (rule.access.contains("w") ? 4 : 0))
        }
        var log = [CChar](repeating: 0, count: 4096)
        let program = sr_device_filter_load(compiled, Int32(compiled.count), &log, Int32(log.count))
        guard program >= 0 else {
            throw .system("load the device filter (BPF_PROG_LOAD: \(String(cString: log)))", errno: errno)
        }
        defer { close(program) }
        let dir = try Syscall.check("open \(path)") { open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        defer { close(dir) }
        try Syscall.check("attach the device filter to \(path)") { sr_device_filter_attach(program, dir) }
    }

    func add(_ pid: pid_t) throws(SwiftrunError) {
        try FileSystem.writeString(String(pid), to: path + "/cgroup.procs")
    }

    /// Removes the container's cgroup, and the shared parent once it is
    /// empty, so no swiftrun cgroup outlives the last container. The
    /// container's processes are gone by now, but the kernel may still be
    /// tearing the last of them down: rmdir says EBUSY until then.
    static func remove(id: String, backend: Backend? = detected) {
        guard let backend else { return }
        let target = backend.parent + "/" + id
        for _ in 0..<1000 {
            if rmdir(target) == 0 || errno == ENOENT { break }
            guard errno == EBUSY else { return }
            var pause = timespec(tv_sec: 0, tv_nsec: 1_000_000)
            nanosleep(&pause, nil)
        }
        rmdir(backend.parent)
    }
}
