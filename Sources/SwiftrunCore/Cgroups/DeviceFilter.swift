import CShims
import Glibc

/// The rules that limit which device nodes a container may open, whatever
/// nodes it can create with CAP_MKNOD (../shared/SECURITY.md, 10), in the
/// two forms the kernel takes them: a BPF_CGROUP_DEVICE program attached to
/// a cgroup v2 directory (CShims/device_filter.c), or lines for the cgroup
/// v1 `devices` controller.
enum DeviceFilter {
    /// Compiles `rules` to BPF and attaches the program to the v2 cgroup `dir`.
    static func attach(_ rules: [RuntimeSpec.DeviceRule], to dir: String) throws(SwiftrunError) {
        let compiled = rules.map { rule in
            sr_device_rule(
                allow: rule.allow ? 1 : 0, type: rule.type == "b" ? 1 : rule.type == "c" ? 2 : 0,
                major: rule.major.map(Int64.init) ?? -1, minor: rule.minor.map(Int64.init) ?? -1,
                access: (rule.access.contains("m") ? 1 : 0) | (rule.access.contains("r") ? 2 : 0) | (rule.access.contains("w") ? 4 : 0))
        }
        var log = [CChar](repeating: 0, count: 4096)
        let program = sr_device_filter_load(compiled, Int32(compiled.count), &log, Int32(log.count))
        guard program >= 0 else {
            throw .system(
                "load the device filter (BPF_PROG_LOAD: \(String(decoding: log.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)))", errno: errno
            )
        }
        defer { close(program) }
        let fd = try Syscall.check("open \(dir)") { open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        defer { close(fd) }
        try Syscall.check("attach the device filter to \(dir)") { sr_device_filter_attach(program, fd) }
    }

    /// Writes `rules` to a v1 devices cgroup, in order; returns what it wrote.
    static func write(_ rules: [RuntimeSpec.DeviceRule], to dir: String) throws(SwiftrunError) -> [(file: String, value: String)] {
        try rules.map { (rule) throws(SwiftrunError) in
            let file = dir + (rule.allow ? "/devices.allow" : "/devices.deny")
            try FileSystem.writeString(line(rule), to: file)
            return (file, line(rule))
        }
    }

    /// v1's line for a rule: "c 1:3 rwm", "a", "c 136:* rwm".
    static func line(_ rule: RuntimeSpec.DeviceRule) -> String {
        if rule.type == "a" { return "a" }
        let major = rule.major.map(String.init) ?? "*"
        let minor = rule.minor.map(String.init) ?? "*"
        return "\(rule.type) \(major):\(minor) \(rule.access)"
    }

    /// --privileged: no limit at all.
    static let allowAll = [RuntimeSpec.DeviceRule(allow: true, type: "a", access: "rwm")]
}
