import Glibc

/// `logs`: reads a detached container's json-file log (and its rotated
/// files, oldest first) back into stdout and stderr, as `docker logs`.
/// Times in the log are fixed-width RFC 3339 in UTC with nanoseconds, so
/// --since and --until compare them as strings.
public struct ContainerLogs {
    public struct Options: Sendable {
        public var follow = false
        public var tail: Int?
        public var timestamps = false
        public var since: String?
        public var until: String?
        public init() {}
    }

    struct Record: Decodable {
        var log: String
        var stream: String
        var time: String
    }

    let layout: StoreLayout
    let containers: ContainerStore

    public init(layout: StoreLayout) {
        self.layout = layout
        containers = ContainerStore(layout: layout)
    }

    /// Where each entry goes: stderr's or stdout's bytes. False: the
    /// reader has gone, and a follow ends.
    public typealias Output = (_ stderr: Bool, _ bytes: [UInt8]) -> Bool

    /// fds 1 and 2, for the CLI.
    public static func standardStreams(_ stderr: Bool, _ bytes: [UInt8]) -> Bool {
        (try? FileSystem.writeAll(stderr ? 2 : 1, bytes, path: "logs")) != nil
    }

    /// Writes the log to `output` (fds 1 and 2 unless told otherwise) by stream.
    public func show(_ key: String, options: Options, output: Output = standardStreams) throws(SwiftrunError) {
        let state = try containers.find(key)
        guard state.detached == true else {
            throw .invalidArgument("container \(state.name) ran in the foreground: its output went to the terminal, and no log was kept")
        }
        if state.logConfig?.driver == "none" {
            throw .invalidArgument("configured logging driver does not support reading")
        }
        let since = try options.since.map { (text) throws(SwiftrunError) in try Self.time(text, flag: "--since") }
        let until = try options.until.map { (text) throws(SwiftrunError) in try Self.time(text, flag: "--until") }
        let path = containers.logPath(state.id)
        var lines: [[UInt8]] = []
        let maxFiles = state.logConfig?.maxFiles ?? 1
        for file in stride(from: maxFiles - 1, through: 1, by: -1).map({ "\(path).\($0)" }) {
            guard let bytes = try? FileSystem.readFile(file, limit: 1 << 30) else { continue }
            lines += bytes.split(separator: UInt8(ascii: "\n")).map(Array.init)
        }
        // The current file through one fd, which a follow goes on reading
        // from the end of the last whole line read here: a line written in
        // between is neither lost nor shown twice.
        var current = open(path, O_RDONLY | O_CLOEXEC)
        defer { if current >= 0 { close(current) } }
        var offset: off_t = 0
        if current >= 0, let bytes = try? FileSystem.readAll(current, path: path, limit: 1 << 30) {
            let whole = bytes.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0
            lines += bytes[..<whole].split(separator: UInt8(ascii: "\n")).map(Array.init)
            offset = off_t(whole)
        }
        let records = lines.compactMap { try? JSON.decode(Record.self, from: $0, path: path) }
            .filter { record in (since.map { record.time >= $0 } ?? true) && (until.map { record.time < $0 } ?? true) }
        for record in options.tail.map({ records.suffix(max($0, 0)) }) ?? records[...] {
            guard Self.write(record, timestamps: options.timestamps, to: output) else { return }
        }
        if options.follow && until == nil && state.isActive {
            let start = current >= 0 ? (fd: current, offset: offset) : nil
            current = -1  // the follow's now
            try follow(state, path: path, from: start, timestamps: options.timestamps, output: output)
        }
    }

    /// `-f`: the lines written from `start` on (an fd of the current file,
    /// which this closes, and an offset in it), until the container's
    /// supervisor exits. inotify wakes the loop; nothing polls on a timer.
    private func follow(
        _ state: ContainerState, path: String, from start: (fd: Int32, offset: off_t)?, timestamps: Bool, output: Output
    ) throws(SwiftrunError) {
        var fd = start?.fd ?? -1
        var offset = start?.offset ?? 0
        defer { if fd >= 0 { close(fd) } }
        let supervisor = try ContainerControl.Supervisor(state)
        defer { if let supervisor { close(supervisor.fd) } }
        let inotify = try Syscall.check("inotify_init1") { inotify_init1(Int32(IN_CLOEXEC)) }
        defer { close(inotify) }
        try Syscall.check("inotify_add_watch") {
            inotify_add_watch(inotify, layout.container(state.id), UInt32(IN_MODIFY | IN_CREATE | IN_MOVED_TO))
        }
        var pending: [UInt8] = []
        // A supervisor gone since the read in `show` has written its last
        // lines: one more read below, and the follow ends.
        var done = supervisor == nil
        while true {
            // New bytes of the current file; a rotation starts a new one.
            var info = stat()
            var current = stat()
            if fd >= 0, fstat(fd, &current) == 0, lstat(path, &info) == 0, info.st_ino != current.st_ino {
                guard drain(fd, &offset, &pending, timestamps: timestamps, output: output) else { return }
                close(fd)
                fd = open(path, O_RDONLY | O_CLOEXEC)
                offset = 0
            } else if fd < 0 {
                fd = open(path, O_RDONLY | O_CLOEXEC)
                offset = 0
            }
            if fd >= 0 { guard drain(fd, &offset, &pending, timestamps: timestamps, output: output) else { return } }
            if done { return }
            guard let supervisor else { return }
            var fds = [pollfd(fd: inotify, events: Int16(POLLIN), revents: 0), pollfd(fd: supervisor.fd, events: Int16(POLLIN), revents: 0)]
            try Syscall.check("poll") { poll(&fds, 2, -1) }
            if fds[0].revents != 0 {
                var buffer = [UInt8](repeating: 0, count: 4096)
                _ = read(inotify, &buffer, buffer.count)
            }
            // The supervisor is gone: one last read catches its final lines.
            if fds[1].revents != 0 { done = true }
        }
    }

    /// False once `output` says its reader has gone.
    private func drain(_ fd: Int32, _ offset: inout off_t, _ pending: inout [UInt8], timestamps: Bool, output: Output) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = pread(fd, &chunk, chunk.count, offset)
            guard n > 0 else { break }
            offset += off_t(n)
            pending += chunk[0..<n]
        }
        while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
            let line = Array(pending[..<newline])
            pending.removeSubrange(...newline)
            if let record = try? JSON.decode(Record.self, from: line, path: "log") {
                guard Self.write(record, timestamps: timestamps, to: output) else { return false }
            }
        }
        return true
    }

    private static func write(_ record: Record, timestamps: Bool, to output: Output) -> Bool {
        output(record.stream == "stderr", Array(((timestamps ? record.time + " " : "") + record.log).utf8))
    }

    /// --since/--until: RFC 3339 ("2026-11-28T18:00:00Z", fractions and
    /// offsets Z only), a Unix time ("1764352800"), or a duration before
    /// now ("10m", "1h30m", "45s"), as the log's fixed-width UTC string.
    static func time(_ text: String, flag: String) throws(SwiftrunError) -> String {
        if let seconds = Double(text) { return format(seconds) }
        if let duration = GoDuration.seconds(text) {
            var now = timespec()
            clock_gettime(CLOCK_REALTIME, &now)
            return format(Double(now.tv_sec) + Double(now.tv_nsec) / 1e9 - duration)
        }
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes.last == UInt8(ascii: "Z"), bytes[10] == UInt8(ascii: "T") else {
            throw .invalidArgument("invalid value for \(flag): \(text): use an RFC 3339 time in UTC (2026-11-28T18:00:00Z), a Unix time or a duration (10m)")
        }
        // Pad the fraction to nine digits so that strings compare as times.
        let base = String(decoding: bytes[0..<19], as: UTF8.self)
        let fraction = bytes.count > 20 && bytes[19] == UInt8(ascii: ".") ? String(decoding: bytes[20..<(bytes.count - 1)], as: UTF8.self) : ""
        return base + "." + (fraction + String(repeating: "0", count: max(0, 9 - fraction.count))).prefix(9) + "Z"
    }

    package static func format(_ seconds: Double) -> String {
        let whole = time_t(seconds.rounded(.down))
        return JSON.rfc3339(seconds: whole, nanoseconds: Int((seconds - Double(whole)) * 1e9), fractionDigits: 9)
    }
}
