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
        guard let fields = Self.statFields(of: pid) else { return false }
        return fields.field(22) == String(startTime) && fields.field(3) != "Z"
    }

    static func startTime(of pid: Int32) -> UInt64? {
        statFields(of: pid)?.field(22).flatMap { UInt64($0) }
    }

    /// The parent's pid (field 4 of /proc/PID/stat).
    static func parent(of pid: Int32) -> Int32? {
        statFields(of: pid)?.field(4).flatMap { Int32($0) }
    }

    /// /proc/PID/stat, read once, by field number as proc(5) counts them.
    struct StatFields {
        /// From field 3 (state) on: the command name (field 2) is in
        /// parentheses and may hold spaces, so fields count from the last ')'.
        let fields: [ArraySlice<UInt8>]

        func field(_ number: Int) -> String? {
            fields.indices.contains(number - 3) ? String(decoding: fields[number - 3], as: UTF8.self) : nil
        }
    }

    static func statFields(of pid: Int32) -> StatFields? {
        guard let bytes = try? FileSystem.readFile("/proc/\(pid)/stat"), let close = bytes.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        return StatFields(fields: bytes[(close + 1)...].split(separator: UInt8(ascii: " ")))
    }
}
