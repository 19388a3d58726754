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

    /// The same process, and not a zombie: an orphan that exited stays a
    /// zombie until init reaps it, and some inits reap late.
    public var isAlive: Bool {
        Self.startTime(of: pid) == startTime && Self.statField(3, of: pid) != "Z"
    }

    static func startTime(of pid: Int32) -> UInt64? {
        statField(22, of: pid).flatMap { UInt64($0) }
    }

    /// The parent's pid (field 4 of /proc/PID/stat).
    static func parent(of pid: Int32) -> Int32? {
        statField(4, of: pid).flatMap { Int32($0) }
    }

    static func statField(_ number: Int, of pid: Int32) -> String? {
        guard let bytes = try? FileSystem.readFile("/proc/\(pid)/stat") else { return nil }
        // The command name (field 2) is in parentheses and may hold spaces:
        // count fields from the last ')'. fields[0] is field 3 (state).
        guard let close = bytes.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        let fields = bytes[(close + 1)...].split(separator: UInt8(ascii: " "))
        guard fields.count > number - 3 else { return nil }
        return String(decoding: fields[number - 3], as: UTF8.self)
    }
}
