import CCap
import Glibc

/// Linux capabilities by name, and the sets a container gets.
///
/// Names are resolved by libcap against the running kernel, so a name the
/// kernel does not know is an error rather than a silently ignored bit.
public enum Capabilities {
    /// Docker's default set: what a root process in a container may do.
    public static let dockerDefault = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
        "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
        "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"
    ]

    /// Every capability swiftrun itself holds, by canonical name
    /// ("CAP_SYS_ADMIN"): all a container can be given. On a host that
    /// withholds some (a VM without CAP_SYS_RESOURCE), "all" means all of
    /// the rest, rather than a capset(2) that fails.
    public static func all() -> [String] {
        guard let own = cap_get_proc() else { return [] }
        defer { cap_free(UnsafeMutableRawPointer(own)) }
        return (0..<Int(cap_max_bits())).compactMap { value in
            var held = CAP_CLEAR
            guard cap_get_flag(own, cap_value_t(value), CAP_PERMITTED, &held) == 0, held == CAP_SET,
                let name = cap_to_name(cap_value_t(value))
            else { return nil }
            defer { cap_free(name) }
            return String(cString: name).uppercased()
        }
    }

    /// "net_raw", "NET_RAW" and "CAP_NET_RAW" all name CAP_NET_RAW, as in Docker.
    public static func canonicalName(_ name: String) throws(SwiftrunError) -> String {
        let upper = name.uppercased()
        let full = upper.hasPrefix("CAP_") ? upper : "CAP_" + upper
        var value: cap_value_t = 0
        guard cap_from_name(full.lowercased(), &value) == 0, value < cap_max_bits() else {
            throw .invalidArgument("unknown capability \"\(name)\"")
        }
        return full
    }

    /// The bit mask of a set of names, for the capset(2) call in the child.
    static func mask(_ names: [String]) throws(SwiftrunError) -> UInt64 {
        var mask: UInt64 = 0
        for name in names {
            var value: cap_value_t = 0
            guard cap_from_name(name.lowercased(), &value) == 0, value < 64 else {
                throw .invalidArgument("unknown capability \"\(name)\"")
            }
            mask |= 1 << UInt64(value)
        }
        return mask
    }

    /// Docker's rule for --cap-add and --cap-drop: start from the default
    /// set (or from all with --cap-add ALL, or from none with --cap-drop
    /// ALL), add what is added, then drop what is dropped.
    public static func resolve(adding: [String], dropping: [String], privileged: Bool) throws(SwiftrunError) -> [String] {
        if privileged { return all() }
        let addAll = adding.contains { $0.uppercased() == "ALL" }
        let dropAll = dropping.contains { $0.uppercased() == "ALL" }
        var set = addAll ? all() : dropAll ? [] : dockerDefault
        let named = adding.filter { $0.uppercased() != "ALL" }
        let grantable = named.isEmpty ? [] : Set(all())
        for name in named {
            let canonical = try canonicalName(name)
            guard grantable.contains(canonical) else {
                throw .invalidArgument("cannot add \(canonical): swiftrun itself does not hold it on this host")
            }
            if !set.contains(canonical) { set.append(canonical) }
        }
        for name in dropping where name.uppercased() != "ALL" {
            let canonical = try canonicalName(name)
            set.removeAll { $0 == canonical }
        }
        return set
    }
}
