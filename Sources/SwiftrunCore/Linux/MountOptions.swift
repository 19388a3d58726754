import CShims
import Glibc

/// A mount's fstab-style options (`-v`'s, `--tmpfs`'s and a bundle's), split
/// into what mount(2) takes as flags, what a bind must set afterwards as
/// attributes (the kernel ignores them on MS_BIND), the propagation to set
/// once mounted, and the filesystem's own data ("size=64m", "mode=755").
struct MountOptions {
    var flags: UInt = 0
    var attributes: UInt64 = 0
    var readonly = false
    var propagation: UInt = 0
    var data: [String] = []

    static let propagation: [String: UInt] = [
        "private": UInt(MS_PRIVATE), "rprivate": UInt(MS_PRIVATE | MS_REC),
        "slave": UInt(MS_SLAVE), "rslave": UInt(MS_SLAVE | MS_REC),
        "shared": UInt(MS_SHARED), "rshared": UInt(MS_SHARED | MS_REC),
        "unbindable": UInt(MS_UNBINDABLE), "runbindable": UInt(MS_UNBINDABLE | MS_REC)
    ]

    /// Flags that set (true) or clear (false) a bit, with the attribute
    /// that does the same to a bind.
    private static let switches: [String: (flag: UInt, attribute: UInt64, set: Bool)] = [
        "nosuid": (UInt(MS_NOSUID), UInt64(SR_MOUNT_ATTR_NOSUID), true), "suid": (UInt(MS_NOSUID), UInt64(SR_MOUNT_ATTR_NOSUID), false),
        "nodev": (UInt(MS_NODEV), UInt64(SR_MOUNT_ATTR_NODEV), true), "dev": (UInt(MS_NODEV), UInt64(SR_MOUNT_ATTR_NODEV), false),
        "noexec": (UInt(MS_NOEXEC), UInt64(SR_MOUNT_ATTR_NOEXEC), true), "exec": (UInt(MS_NOEXEC), UInt64(SR_MOUNT_ATTR_NOEXEC), false),
        "noatime": (UInt(MS_NOATIME), UInt64(SR_MOUNT_ATTR_NOATIME), true), "atime": (UInt(MS_NOATIME), UInt64(SR_MOUNT_ATTR_NOATIME), false),
        "nodiratime": (UInt(MS_NODIRATIME), UInt64(SR_MOUNT_ATTR_NODIRATIME), true),
        "diratime": (UInt(MS_NODIRATIME), UInt64(SR_MOUNT_ATTR_NODIRATIME), false),
        "strictatime": (UInt(MS_STRICTATIME), UInt64(SR_MOUNT_ATTR_STRICTATIME), true),
        "relatime": (UInt(MS_RELATIME), 0, true), "norelatime": (UInt(MS_RELATIME), 0, false),
        "sync": (UInt(MS_SYNCHRONOUS), 0, true), "async": (UInt(MS_SYNCHRONOUS), 0, false),
        "dirsync": (UInt(MS_DIRSYNC), 0, true), "mand": (UInt(MS_MANDLOCK), 0, true), "nomand": (UInt(MS_MANDLOCK), 0, false)
    ]

    init(_ options: [String], for destination: String) throws(SwiftrunError) {
        for option in options {
            switch option {
            case "bind": flags |= UInt(MS_BIND)
            case "rbind": flags |= UInt(MS_BIND | MS_REC)
            case "ro": readonly = true
            case "rw": readonly = false
            case "defaults": continue
            // Options that only mean something to other runtimes' helpers.
            case "tmpcopyup", "notmpcopyup", "copy", "nocopy", "Z", "z", "idmap", "U": continue
            default:
                if let value = Self.propagation[option] {
                    propagation = value
                } else if let (flag, attribute, set) = Self.switches[option] {
                    flags = set ? flags | flag : flags & ~flag
                    attributes = set ? attributes | attribute : attributes & ~attribute
                } else if option.hasPrefix("r"), Self.switches[String(option.dropFirst())] != nil {
                    throw .invalidArgument("mount \(destination): recursive option \(option) is not supported")
                } else {
                    data.append(option)
                }
            }
        }
    }
}

extension String {
    /// A sysctl key as its /proc/sys path: "net.ipv4.ip_forward" -> "net/ipv4/ip_forward".
    func replacingDots() -> String {
        String(map { $0 == "." ? "/" : $0 })
    }
}
