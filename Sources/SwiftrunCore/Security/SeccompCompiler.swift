import CSeccomp
import CShims
import Glibc

/// Compiles a Docker-format profile to classic BPF with libseccomp, for the
/// capabilities the container will hold. This runs in the parent; the
/// child only loads the bytes (see CShims/child_identity.c).
struct SeccompCompiler {
    /// Docker's name for this machine's architecture, as profiles use it.
    static let nativeArch = "amd64"
    static let nativeSeccompArch = "SCMP_ARCH_X86_64"

    /// SCMP_FLTATR_CTL_OPTIMIZE's level for a binary tree; part of the
    /// cache key, so a filter compiled another way is not reused.
    static let binaryTree: UInt32 = 2

    let capabilities: Set<String>
    /// (major, minor) of the running kernel.
    let kernel: (Int, Int)

    func compile(_ profile: SeccompProfile, source: String) throws(SwiftrunError) -> [UInt8] {
        let defaultAction = try action(profile.defaultAction, errno: profile.defaultErrnoRet, profile: profile, source: source)
        guard let context = seccomp_init(defaultAction) else {
            throw .invalidArgument("\(source): libseccomp cannot start a filter with default action \(profile.defaultAction)")
        }
        defer { seccomp_release(context) }
        // A binary tree of syscall numbers, not a list: on load the kernel
        // runs the filter for every syscall number of every architecture
        // (to cache the ones it always allows), which a list makes long.
        // Docker's profile loads in 0.63 ms instead of 1.3-1.6 ms, in each
        // container's start. A libseccomp before 2.5 has no such setting;
        // its list is just as correct.
        _ = seccomp_attr_set(context, SCMP_FLTATR_CTL_OPTIMIZE, Self.binaryTree)
        try addArchitectures(profile, to: context, source: source)

        for rule in profile.syscalls ?? [] where applies(rule) {
            let ruleAction = try action(rule.action, errno: rule.errnoRet ?? profile.defaultErrnoRet, profile: profile, source: source)
            // libseccomp refuses a rule that repeats the default action; it is a no-op anyway.
            if ruleAction == defaultAction { continue }
            let comparisons = try (rule.args ?? []).map { (argument) throws(SwiftrunError) in try comparison(argument, source: source) }
            for name in (rule.names ?? []) + (rule.name.map { [$0] } ?? []) {
                let number = seccomp_syscall_resolve_name(name)
                if number == __NR_SCMP_ERROR { continue }  // not a syscall on this architecture
                let rc = comparisons.withUnsafeBufferPointer {
                    seccomp_rule_add_array(context, ruleAction, number, UInt32($0.count), $0.baseAddress)
                }
                guard rc == 0 else {
                    throw .invalidArgument("\(source): libseccomp rejects the rule for \(name): \(SwiftrunError.strerror(-rc))")
                }
            }
        }
        return try export(context, source: source)
    }

    /// The syscalls this profile lets through for these capabilities, as
    /// --explain counts them.
    func allowedSyscalls(_ profile: SeccompProfile) -> Set<String> {
        var allowed = Set<String>()
        for rule in profile.syscalls ?? [] where applies(rule) && rule.action == "SCMP_ACT_ALLOW" {
            for name in (rule.names ?? []) + (rule.name.map { [$0] } ?? []) where seccomp_syscall_resolve_name(name) != __NR_SCMP_ERROR {
                allowed.insert(name)
            }
        }
        return allowed
    }

    private func applies(_ rule: SeccompProfile.Rule) -> Bool {
        if let includes = rule.includes {
            if let caps = includes.caps, !caps.allSatisfy(capabilities.contains) { return false }
            if let arches = includes.arches, !arches.contains(Self.nativeArch) { return false }
            if let minimum = includes.minKernel, !kernelIsAtLeast(minimum) { return false }
        }
        if let excludes = rule.excludes {
            if let caps = excludes.caps, caps.contains(where: capabilities.contains) { return false }
            if let arches = excludes.arches, arches.contains(Self.nativeArch) { return false }
            if let minimum = excludes.minKernel, kernelIsAtLeast(minimum) { return false }
        }
        return true
    }

    private func kernelIsAtLeast(_ version: String) -> Bool {
        let parts = version.split(separator: ".").compactMap { Int($0) }
        let wanted = (parts.first ?? 0, parts.count > 1 ? parts[1] : 0)
        return kernel >= wanted
    }

    private func addArchitectures(_ profile: SeccompProfile, to context: scmp_filter_ctx, source: String) throws(SwiftrunError) {
        let extra =
            profile.archMap?.first { $0.architecture == Self.nativeSeccompArch }?.subArchitectures
            ?? profile.architectures?.filter { $0 != Self.nativeSeccompArch } ?? []
        for arch in extra {
            // "SCMP_ARCH_X86" -> "x86", the name libseccomp resolves.
            let name = arch.hasPrefix("SCMP_ARCH_") ? String(arch.dropFirst("SCMP_ARCH_".count)).lowercased() : arch
            let token = seccomp_arch_resolve_name(name)
            guard token != 0 else { throw .invalidArgument("\(source): unknown architecture \(arch)") }
            let rc = seccomp_arch_add(context, token)
            guard rc == 0 || rc == -EEXIST else {
                throw .invalidArgument("\(source): cannot add architecture \(arch): \(SwiftrunError.strerror(-rc))")
            }
        }
    }

    private func action(_ name: String, errno: UInt16?, profile: SeccompProfile, source: String) throws(SwiftrunError) -> UInt32 {
        switch name {
        case "SCMP_ACT_ALLOW": return UInt32(SCMP_ACT_ALLOW)
        case "SCMP_ACT_ERRNO": return sr_scmp_act_errno(errno ?? UInt16(EPERM))
        case "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD": return UInt32(SCMP_ACT_KILL)
        case "SCMP_ACT_KILL_PROCESS": return UInt32(SCMP_ACT_KILL_PROCESS)
        case "SCMP_ACT_TRAP": return UInt32(SCMP_ACT_TRAP)
        case "SCMP_ACT_LOG": return UInt32(SCMP_ACT_LOG)
        case "SCMP_ACT_TRACE": return sr_scmp_act_trace(errno ?? 0)
        case "SCMP_ACT_NOTIFY":
            throw .invalidArgument("\(source): seccomp action SCMP_ACT_NOTIFY is not supported (it needs a listener swiftrun does not run)")
        default: throw .invalidArgument("\(source): unknown seccomp action \(name)")
        }
    }

    /// What `features` reports this compiler takes.
    static let actionNames = [
        "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_TRAP",
        "SCMP_ACT_LOG", "SCMP_ACT_TRACE"
    ]
    private static let operators: [String: scmp_compare] = [
        "SCMP_CMP_NE": SCMP_CMP_NE, "SCMP_CMP_LT": SCMP_CMP_LT, "SCMP_CMP_LE": SCMP_CMP_LE,
        "SCMP_CMP_EQ": SCMP_CMP_EQ, "SCMP_CMP_GE": SCMP_CMP_GE, "SCMP_CMP_GT": SCMP_CMP_GT,
        "SCMP_CMP_MASKED_EQ": SCMP_CMP_MASKED_EQ
    ]
    static var operatorNames: [String] { operators.keys.sorted() }

    private func comparison(_ argument: SeccompProfile.Argument, source: String) throws(SwiftrunError) -> scmp_arg_cmp {
        guard let op = Self.operators[argument.op], argument.index < 6 else {
            throw .invalidArgument("\(source): bad syscall argument rule (index \(argument.index), op \(argument.op))")
        }
        // For MASKED_EQ, Docker's "value" is the mask and "valueTwo" the result.
        return scmp_arg_cmp(arg: argument.index, op: op, datum_a: argument.value, datum_b: argument.valueTwo ?? 0)
    }

    /// seccomp_export_bpf writes to an fd; a memfd keeps it in memory.
    private func export(_ context: scmp_filter_ctx, source: String) throws(SwiftrunError) -> [UInt8] {
        let fd = try Syscall.check("memfd_create") { sr_memfd_create("seccomp-bpf") }
        defer { close(fd) }
        let rc = seccomp_export_bpf(context, fd)
        guard rc == 0 else { throw .invalidArgument("\(source): libseccomp cannot export the filter: \(SwiftrunError.strerror(-rc))") }
        try Syscall.check("lseek seccomp memfd") { lseek(fd, 0, SEEK_SET) }
        return try FileSystem.readAll(fd, path: "seccomp memfd", limit: 1 << 20)
    }
}
