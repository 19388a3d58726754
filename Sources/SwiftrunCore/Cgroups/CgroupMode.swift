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

    /// Read as bytes, field by field, with no arrays of pieces: splitting
    /// the text into Characters costs grapheme breaking on every byte, and
    /// the generic split and join make the runtime build metadata for each
    /// element type they meet. This runs at the start of every `run`
    /// (issue 15: a third of its instructions, then a sixth).
    init(mountinfo: [UInt8]) {
        var unified: String?
        var v1: [String: String] = [:]
        var options: [String: String] = [:]
        var rest = mountinfo[...]
        while !rest.isEmpty {
            let end = rest.firstIndex(of: UInt8(ascii: "\n")) ?? rest.endIndex
            var line = Fields(rest[rest.startIndex..<end])
            rest = rest[(end < rest.endIndex ? end + 1 : end)...]
            // "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS"
            for _ in 0..<4 { _ = line.next() }
            guard let mountPoint = line.next().map(Self.text) else { continue }
            while let field = line.next(), !field.elementsEqual(CollectionOfOne(UInt8(ascii: "-"))) {}
            guard let type = line.next(), line.next() != nil, let superOptions = line.next() else { continue }
            if type.elementsEqual("cgroup2".utf8) {
                if unified == nil { unified = mountPoint }
            } else if type.elementsEqual("cgroup".utf8) {
                // The super options name the controllers, among flags
                // (systemd's hierarchy has "rw,xattr,name=systemd").
                var controllers: [String] = []
                var joined = ""
                var list = Fields(superOptions, separator: UInt8(ascii: ","))
                while let option = list.next() {
                    let name = Self.text(option)
                    guard !Self.hierarchyFlags.contains(name), !option.contains(UInt8(ascii: "=")) else { continue }
                    controllers.append(name)
                    joined += joined.isEmpty ? name : "," + name
                }
                for controller in controllers where v1[controller] == nil {
                    v1[controller] = mountPoint
                    options[controller] = joined
                }
            }
        }
        self.unified = unified
        self.v1 = v1
        v1Options = options
    }

    private static func text(_ bytes: ArraySlice<UInt8>) -> String { String(decoding: bytes, as: UTF8.self) }

    /// The non-empty pieces of a line between separators, in order.
    private struct Fields {
        var rest: ArraySlice<UInt8>
        let separator: UInt8

        init(_ bytes: ArraySlice<UInt8>, separator: UInt8 = UInt8(ascii: " ")) {
            rest = bytes
            self.separator = separator
        }

        mutating func next() -> ArraySlice<UInt8>? {
            while rest.first == separator { rest = rest.dropFirst() }
            guard !rest.isEmpty else { return nil }
            let end = rest.firstIndex(of: separator) ?? rest.endIndex
            defer { rest = rest[end...] }
            return rest[rest.startIndex..<end]
        }
    }
}
