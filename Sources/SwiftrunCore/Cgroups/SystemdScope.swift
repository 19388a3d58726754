import CShims
import Glibc

/// `--systemd-cgroup`: the container's cgroup is a transient scope unit of
/// systemd, as runc's systemd driver makes it, named by the bundle's
/// `linux.cgroupsPath` in the form "slice:prefix:name" (podman:
/// "machine.slice:libpod:ID"). systemd creates the scope's cgroup and moves
/// pid 1 into it; swiftrun then writes the resources there, in every
/// hierarchy, as for a cgroupfs path. `delete` stops the unit.
struct SystemdScope {
    /// "machine.slice", the parent slice.
    let slice: String
    /// "libpod-ID.scope".
    let unit: String

    /// An empty path gives "system.slice:swiftrun:ID", as runc gives
    /// "system.slice:runc:ID".
    init(cgroupsPath: String?, id: String) throws(SwiftrunError) {
        let path = cgroupsPath ?? ""
        let parts = path.isEmpty ? ["system.slice", "swiftrun", id] : path.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3 else {
            throw .invalidArgument("linux.cgroupsPath \(path): --systemd-cgroup takes slice:prefix:name")
        }
        let slice = parts[0].isEmpty ? "system.slice" : parts[0]
        let name = parts[2].isEmpty ? id : parts[2]
        guard Self.isUnitName(slice), slice.hasSuffix(".slice"), Self.isUnitName(name), !name.hasSuffix(".slice"),
            parts[1].isEmpty || Self.isUnitName(parts[1])
        else {
            throw .invalidArgument("linux.cgroupsPath \(path): not a systemd slice:prefix:name")
        }
        self.slice = slice
        unit = (parts[1].isEmpty ? name : parts[1] + "-" + name) + ".scope"
    }

    /// The cgroup below each hierarchy's mount: the slice's ancestors
    /// spelled out as systemd nests them ("a-b.slice" is "a.slice/a-b.slice"),
    /// then the scope.
    var cgroupPath: String {
        guard slice != "-.slice" else { return unit }
        let words = slice.dropLast(".slice".count).split(separator: "-").map(String.init)
        let ancestors = words.indices.map { words[...$0].joined(separator: "-") + ".slice" }
        return (ancestors + [unit]).joined(separator: "/")
    }

    /// Starts the scope with `pid` in it and waits for systemd's job.
    func start(pid: pid_t, id: String) throws(SwiftrunError) {
        var error = [CChar](repeating: 0, count: 512)
        let rc = sr_systemd_start_scope(unit, slice == "-.slice" ? "" : slice, "swiftrun container \(id)", pid, &error, error.count)
        guard rc == 0 else { throw .commandFailed("--systemd-cgroup: \(Self.text(error))", code: 1) }
    }

    /// Stops the unit; one already collected is no error.
    static func stop(unit: String) throws(SwiftrunError) {
        var error = [CChar](repeating: 0, count: 512)
        guard sr_systemd_stop_unit(unit, &error, error.count) == 0 else {
            throw .commandFailed("--systemd-cgroup: \(Self.text(error))", code: 1)
        }
    }

    /// Whether systemd is the init of this host (sd_booted(3)'s test).
    static var isRunning: Bool { FileSystem.exists("/run/systemd/system") }

    private static func isUnitName(_ text: String) -> Bool {
        !text.isEmpty && text.count < 256
            && text.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_.\\@".unicodeScalars.contains($0)) }
    }

    private static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
