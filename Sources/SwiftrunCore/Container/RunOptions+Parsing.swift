import CShims
import Glibc

/// Docker's flag syntaxes, each turned into its piece of the spec with a
/// clear error for anything else.
extension RunOptions {
    /// -v HOST:CTR[:ro|rw]. Only absolute host paths: a volume's name was
    /// already turned into its directory (VolumeUse.resolve).
    static func parseVolume(_ text: String) throws(SwiftrunError) -> RuntimeSpec.Mount {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2 || parts.count == 3 else {
            throw .invalidArgument("invalid volume \"\(text)\": use -v HOST:CONTAINER[:ro]")
        }
        guard parts[0].hasPrefix("/") else {
            throw .invalidArgument("invalid volume \"\(text)\": the host path must be absolute")
        }
        guard parts[1].hasPrefix("/") else {
            throw .invalidArgument("invalid volume \"\(text)\": the container path must be absolute")
        }
        var options = ["rbind", "rw"]
        for option in parts.count == 3 ? parts[2].split(separator: ",") : [] {
            switch option {
            case "ro": options[1] = "ro"
            case "rw": options[1] = "rw"
            default: throw .invalidArgument("invalid volume \"\(text)\": unknown option \"\(option)\" (ro or rw)")
            }
        }
        return RuntimeSpec.Mount(destination: parts[1], type: "bind", source: parts[0], options: options)
    }

    /// --tmpfs PATH[:OPTIONS], noexec,nosuid,nodev unless the options say otherwise.
    static func parseTmpfs(_ text: String) throws(SwiftrunError) -> RuntimeSpec.Mount {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        guard let path = parts.first, path.hasPrefix("/") else {
            throw .invalidArgument("invalid --tmpfs \"\(text)\": the path must be absolute")
        }
        let given = parts.count == 2 ? parts[1].split(separator: ",").map(String.init) : []
        let opposites: [String: String] = ["exec": "noexec", "suid": "nosuid", "dev": "nodev"]
        let defaults = ["noexec", "nosuid", "nodev"].filter { (flag: String) -> Bool in
            !given.contains { opposites[$0] == flag }
        }
        return RuntimeSpec.Mount(destination: path, type: "tmpfs", source: "tmpfs", options: defaults + given)
    }

    /// --device HOST[:CTR][:PERMISSIONS]: the node and its device cgroup rule.
    static func parseDevice(_ text: String) throws(SwiftrunError) -> (RuntimeSpec.Device, RuntimeSpec.DeviceRule) {
        var parts = text.split(separator: ":").map(String.init)
        var access = "rwm"
        if parts.count > 1, let last = parts.last, !last.isEmpty, last.allSatisfy({ "rwm".contains($0) }) {
            access = last
            parts.removeLast()
        }
        guard parts.count == 1 || parts.count == 2, parts.allSatisfy({ $0.hasPrefix("/") }) else {
            throw .invalidArgument("invalid --device \"\(text)\": use HOST[:CONTAINER][:rwm] with absolute paths")
        }
        var info = stat()
        guard stat(parts[0], &info) == 0 else {
            throw .invalidArgument("--device \(parts[0]): \(SwiftrunError.strerror(errno))")
        }
        let kind = info.st_mode & S_IFMT
        guard kind == S_IFCHR || kind == S_IFBLK else {
            throw .invalidArgument("--device \(parts[0]): not a character or block device")
        }
        let type = kind == S_IFCHR ? "c" : "b"
        let major = sr_major(info.st_rdev), minor = sr_minor(info.st_rdev)
        let device = RuntimeSpec.Device(
            path: parts.last!, type: type, major: major, minor: minor,
            fileMode: UInt32(info.st_mode & 0o777), uid: 0, gid: 0)
        return (device, RuntimeSpec.DeviceRule(allow: true, type: type, major: major, minor: minor, access: access))
    }

    /// Linux's resource numbers (asm-generic/resource.h), by Docker's names.
    static let rlimitNumbers: [String: Int32] = [
        "cpu": 0, "fsize": 1, "data": 2, "stack": 3, "core": 4, "rss": 5, "nproc": 6, "nofile": 7,
        "memlock": 8, "as": 9, "locks": 10, "sigpending": 11, "msgqueue": 12, "nice": 13,
        "rtprio": 14, "rttime": 15
    ]

    /// --ulimit NAME=SOFT[:HARD]. Never above swiftrun's own hard limit: raising
    /// one needs CAP_SYS_RESOURCE, which swiftrun does not assume.
    static func parseUlimit(_ text: String) throws(SwiftrunError) -> RuntimeSpec.Rlimit {
        let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, let resource = rlimitNumbers[parts[0]] else {
            throw .invalidArgument("invalid --ulimit \"\(text)\": use NAME=SOFT[:HARD] with NAME one of \(rlimitNumbers.keys.sorted().joined(separator: ", "))")
        }
        let values = parts[1].split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        func value(_ text: String) throws(SwiftrunError) -> UInt64 {
            if text == "unlimited" || text == "-1" { return UInt64(bitPattern: -1) }
            guard let number = UInt64(text) else { throw .invalidArgument("invalid --ulimit \"\(parts[0])\": \"\(text)\" is not a number") }
            return number
        }
        guard values.count <= 2 else { throw .invalidArgument("invalid --ulimit \"\(text)\": use NAME=SOFT[:HARD]") }
        let soft = try value(values[0])
        let hard = values.count == 2 ? try value(values[1]) : soft
        guard soft <= hard else {
            throw .invalidArgument("invalid --ulimit \(parts[0]): soft limit \(soft) is above the hard limit \(hard)")
        }
        var own = rlimit()
        getrlimit(__rlimit_resource_t(UInt32(resource)), &own)
        guard hard <= UInt64(own.rlim_max) else {
            throw .invalidArgument("--ulimit \(parts[0]): hard limit \(hard) is above swiftrun's own (\(own.rlim_max)); raising it needs CAP_SYS_RESOURCE")
        }
        return RuntimeSpec.Rlimit(type: "RLIMIT_" + parts[0].uppercased(), hard: hard, soft: soft)
    }

    /// Docker's byte sizes: a number with an optional b, k, m or g suffix
    /// (binary multiples). "12XB", "-1m" and "" are errors.
    static func parseBytes(_ text: String, flag: String) throws(SwiftrunError) -> Int64 {
        let lower = text.lowercased()
        let units: [(String, Int64)] = [("kb", 1 << 10), ("mb", 1 << 20), ("gb", 1 << 30), ("k", 1 << 10), ("m", 1 << 20), ("g", 1 << 30), ("b", 1)]
        let (digits, multiplier) = units.first { lower.hasSuffix($0.0) }.map { (String(lower.dropLast($0.0.count)), $0.1) } ?? (lower, 1)
        guard let number = Double(digits), number >= 0, number.isFinite, digits.first?.isNumber == true else {
            throw .invalidArgument("invalid \(flag) \"\(text)\": use a size such as 64m, 1g or 512k")
        }
        return Int64(number * Double(multiplier))
    }

    /// The resource flags -> the spec's linux.resources (memory, cpu, pids).
    func resources(devices: [RuntimeSpec.DeviceRule]) throws(SwiftrunError) -> RuntimeSpec.Resources {
        var resources = RuntimeSpec.Resources(devices: devices)
        if memory != nil || memorySwap != nil || memoryReservation != nil {
            let limit = try memory.map { (text) throws(SwiftrunError) in try Self.parseBytes(text, flag: "--memory") }
            if let limit, limit < 6 << 20 { throw .invalidArgument("--memory \(memory!) is too small: the minimum is 6m") }
            var swap = try memorySwap.map { (text) throws(SwiftrunError) -> Int64 in text == "-1" ? -1 : try Self.parseBytes(text, flag: "--memory-swap") }
            if let given = swap, given > 0 {
                guard let limit else { throw .invalidArgument("--memory-swap needs --memory") }
                guard given >= limit else { throw .invalidArgument("--memory-swap (\(memorySwap!)) must be at least --memory (\(memory!))") }
            }
            // Docker's default, 0 included: memory and swap together up to
            // twice --memory, so a container may swap out as much as it holds.
            if swap ?? 0 == 0 { swap = limit.map { 2 * $0 } }
            resources.memory = .init(
                limit: limit,
                reservation: try memoryReservation.map { (text) throws(SwiftrunError) in try Self.parseBytes(text, flag: "--memory-reservation") },
                swap: swap)
        }
        if cpus != nil || cpuShares != nil || cpusetCpus != nil {
            var cpu = RuntimeSpec.CPU()
            if let cpus {
                let online = Double(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
                guard let count = Double(cpus), count >= 0.01, count <= online else {
                    throw .invalidArgument("invalid --cpus \"\(cpus)\": the range is 0.01 to \(Int(online)) (the CPUs of this host)")
                }
                cpu.period = 100_000
                cpu.quota = Int64(count * 100_000)
            }
            if let cpuShares {
                guard let shares = UInt64(cpuShares), shares >= 2, shares <= 262_144 else {
                    throw .invalidArgument("invalid --cpu-shares \"\(cpuShares)\": a number from 2 to 262144")
                }
                cpu.shares = shares
            }
            if let cpusetCpus {
                let valid =
                    !cpusetCpus.isEmpty
                    && cpusetCpus.split(separator: ",").allSatisfy { part in
                        let bounds = part.split(separator: "-", omittingEmptySubsequences: false)
                        return (1...2).contains(bounds.count) && bounds.allSatisfy { UInt32($0) != nil }
                    }
                guard valid else { throw .invalidArgument("invalid --cpuset-cpus \"\(cpusetCpus)\": use a list such as 0-1 or 0,2") }
                cpu.cpus = cpusetCpus
            }
            resources.cpu = cpu
        }
        if let pidsLimit {
            guard let limit = Int64(pidsLimit), limit != 0, limit >= -1 else {
                throw .invalidArgument("invalid --pids-limit \"\(pidsLimit)\": a positive number, or -1 for no limit")
            }
            resources.pids = .init(limit: limit == -1 ? Int64.max : limit)
        }
        return resources
    }

    /// --security-opt: seccomp=unconfined|FILE and no-new-privileges[=true|false].
    /// Docker's older ":" separator is accepted too.
    static func parseSecurityOptions(_ options: [String]) throws(SwiftrunError) -> (seccomp: SeccompPolicy, noNewPrivileges: Bool) {
        var seccomp = SeccompPolicy.defaultProfile
        var noNewPrivileges = false
        for option in options {
            let separator = option.firstIndex { $0 == "=" || $0 == ":" }
            let key = separator.map { String(option[..<$0]) } ?? option
            let value = separator.map { String(option[option.index(after: $0)...]) }
            switch (key, value) {
            case ("seccomp", "unconfined"?): seccomp = .unconfined
            case ("seccomp", let path?) where path.hasPrefix("/") || path.hasPrefix("."): seccomp = .file(path)
            case ("no-new-privileges", nil), ("no-new-privileges", "true"?): noNewPrivileges = true
            case ("no-new-privileges", "false"?): noNewPrivileges = false
            default:
                throw .invalidArgument("unsupported --security-opt \"\(option)\": swiftrun knows seccomp=unconfined|PROFILE.json and no-new-privileges")
            }
        }
        return (seccomp, noNewPrivileges)
    }
}
