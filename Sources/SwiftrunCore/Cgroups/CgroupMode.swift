import CShims
import Glibc

/// How this host's cgroups are mounted, found once from /proc/self/mountinfo.
/// swiftrun uses the hierarchies as they are and never mounts or remounts
/// the host's (cgroups(7), "CGROUPS VERSION 1" and "VERSION 2").
public struct CgroupMode: Equatable, Sendable {
    /// The cgroup2 mount: /sys/fs/cgroup on a pure v2 host, /sys/fs/cgroup/unified on a hybrid one.
    public var unified: String?
    /// v1 hierarchies by controller ("memory" -> /sys/fs/cgroup/memory), and
    /// each hierarchy's mount options ("cpu,cpuacct" where co-mounted).
    public var v1: [String: String]
    public var v1Options: [String: String]

    /// A device filter needs cgroup v2 (BPF) or the v1 devices controller.
    public var canFilterDevices: Bool { unified != nil || v1["devices"] != nil }

    public var deviceFilterDescription: String {
        unified.map { "cgroup v2 BPF device filter (\($0))" }
            ?? (v1["devices"] != nil ? "cgroup v1 devices controller" : "none on this host: CAP_MKNOD is withheld")
    }

    /// Resource controllers live in v2 only when no v1 hierarchy holds them.
    public var isPureV2: Bool { unified != nil && v1.isEmpty }

    public var description: String {
        if isPureV2 { return "2 (unified, \(unified!))" }
        if unified != nil { return "1 (hybrid: v1 controllers, v2 at \(unified!))" }
        return v1.isEmpty ? "none" : "1 (legacy)"
    }

    public static let host = CgroupMode(mountinfo: (try? FileSystem.readFile("/proc/self/mountinfo")) ?? [])

    /// cgroup v1 mount options that are not controllers (cgroups(7)).
    private static let hierarchyFlags = ["rw", "ro", "xattr", "noprefix", "clone_children", "cpuset_v2_mode", "favordynmods"]

    /// Read as bytes: splitting the text into Characters costs grapheme
    /// breaking on every byte, and this runs at the start of every `run`
    /// (issue 15: a third of its instructions, with String.split).
    init(mountinfo: [UInt8]) {
        var unified: String?
        var v1: [String: String] = [:]
        var options: [String: String] = [:]
        let text = { (bytes: ArraySlice<UInt8>) in String(decoding: bytes, as: UTF8.self) }
        for line in mountinfo.split(separator: UInt8(ascii: "\n")) {
            // "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS ... - FSTYPE SOURCE SUPEROPTS"
            let fields = line.split(separator: UInt8(ascii: " "))
            guard let dash = fields.firstIndex(where: { $0.elementsEqual([UInt8(ascii: "-")]) }), dash + 3 < fields.count, fields.count > 4
            else { continue }
            let mountPoint = text(fields[4])
            switch text(fields[dash + 1]) {
            case "cgroup2":
                if unified == nil { unified = mountPoint }
            case "cgroup":
                // The super options name the controllers, among flags
                // (systemd's hierarchy has "rw,xattr,name=systemd").
                var controllers: [String] = []
                for option in fields[dash + 3].split(separator: UInt8(ascii: ",")).map(text)
                where !Self.hierarchyFlags.contains(option) && !option.utf8.contains(UInt8(ascii: "=")) {
                    controllers.append(option)
                }
                for controller in controllers where v1[controller] == nil {
                    v1[controller] = mountPoint
                    options[controller] = controllers.joined(separator: ",")
                }
            default:
                continue
            }
        }
        self.unified = unified
        self.v1 = v1
        v1Options = options
    }
}
