import Glibc

/// The device cgroup that limits which device nodes a container may open,
/// whatever nodes it can create with CAP_MKNOD (../shared/SECURITY.md, 10).
///
/// This is the cgroup v1 `devices` controller: write "a" to devices.deny,
/// then each allowed rule to devices.allow. On a host without it (pure
/// cgroup v2) the same rules need a BPF_CGROUP_DEVICE program, which the
/// cgroup v2 work provides; until then `available` is false there, and the
/// spec withholds CAP_MKNOD instead (RuntimeSpec+Build.swift).
public struct DeviceCgroup {
    static let hierarchy = "/sys/fs/cgroup/devices"
    static let parent = hierarchy + "/swiftrun"

    let path: String

    public static var available: Bool { FileSystem.exists(hierarchy + "/devices.allow") }

    static func path(for id: String) -> String { parent + "/" + id }

    /// Makes the container's cgroup with `rules` in order. A rule list that
    /// allows everything (--privileged) needs no cgroup: returns nil.
    static func create(id: String, rules: [RuntimeSpec.DeviceRule]) throws(SwiftrunError) -> DeviceCgroup? {
        guard available, rules != [.init(allow: true, type: "a", access: "rwm")] else { return nil }
        let cgroup = DeviceCgroup(path: path(for: id))
        // The parent goes when its last container does (remove below), so
        // another swiftrun may remove it between these two mkdirs: retry.
        while true {
            try FileSystem.makeDirectory(parent)
            if try Syscall.attempt("mkdir \(cgroup.path)", allowing: [ENOENT], { mkdir(cgroup.path, 0o755) }) != nil { break }
        }
        do {
            for rule in rules {
                try cgroup.write(rule.allow ? "devices.allow" : "devices.deny", line(rule))
            }
        } catch {
            remove(id: id)
            throw error
        }
        return cgroup
    }

    /// "c 1:3 rwm", "a", "c 136:* rwm".
    static func line(_ rule: RuntimeSpec.DeviceRule) -> String {
        if rule.type == "a" { return "a" }
        let major = rule.major.map(String.init) ?? "*"
        let minor = rule.minor.map(String.init) ?? "*"
        return "\(rule.type) \(major):\(minor) \(rule.access)"
    }

    func add(_ pid: pid_t) throws(SwiftrunError) {
        try write("cgroup.procs", String(pid))
    }

    private func write(_ file: String, _ value: String) throws(SwiftrunError) {
        try FileSystem.writeString(value, to: path + "/" + file)
    }

    /// Removes the container's cgroup. Its processes are gone by now, but
    /// the kernel may still be tearing the last of them down: rmdir says
    /// EBUSY until then, so it is retried briefly.
    /// The shared parent is removed too once it is empty, so no swiftrun
    /// cgroup outlives the last container (EBUSY means others remain).
    static func remove(id: String) {
        let target = path(for: id)
        for _ in 0..<1000 {
            if rmdir(target) == 0 || errno == ENOENT { break }
            guard errno == EBUSY else { return }
            var pause = timespec(tv_sec: 0, tv_nsec: 1_000_000)
            nanosleep(&pause, nil)
        }
        rmdir(parent)
    }
}
