import Glibc

/// A process named by pid and start time, so a recycled pid is never
/// mistaken for the swiftrun that wrote a container's state.
public struct ProcessIdentity: Codable, Equatable, Sendable {
    public var pid: Int32
    /// Field 22 of /proc/PID/stat: clock ticks after boot.
    public var startTime: UInt64

    public static func current() throws(SwiftrunError) -> ProcessIdentity {
        let pid = getpid()
        guard let start = startTime(of: pid) else { throw .system("read /proc/self/stat", errno: errno) }
        return ProcessIdentity(pid: pid, startTime: start)
    }

    public var isAlive: Bool {
        Self.startTime(of: pid) == startTime
    }

    static func startTime(of pid: Int32) -> UInt64? {
        guard let bytes = try? FileSystem.readFile("/proc/\(pid)/stat") else { return nil }
        // The command name (field 2) is in parentheses and may hold spaces:
        // count fields from the last ')'.
        guard let close = bytes.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        let fields = bytes[(close + 1)...].split(separator: UInt8(ascii: " "))
        // fields[0] is field 3 (state), so field 22 is fields[19].
        guard fields.count > 19 else { return nil }
        return UInt64(String(decoding: fields[19], as: UTF8.self))
    }
}
