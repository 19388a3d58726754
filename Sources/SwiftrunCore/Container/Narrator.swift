import CShims
import Glibc

/// `run --explain`: one short line on stderr for every isolation step as it
/// happens: what was done (the real call with its real arguments), why, and
/// where to read more. The child's lines come from the child's own records
/// (CShims/child_report.c); the parent's from the code that does each step.
/// `--explain=json` prints the same records as JSON lines; `--explain=svg:FILE`
/// keeps them and draws them (IsolationDrawing) once the container is set up.
public final class Narrator {
    public enum Format: Sendable, Equatable {
        case text, json
        case svg(path: String)

        /// text, json or svg:FILE, as --explain= spells them.
        public init?(argument: String) {
            switch argument {
            case "text": self = .text
            case "json": self = .json
            case let value where value.hasPrefix("svg:") && value.count > 4: self = .svg(path: String(value.dropFirst(4)))
            default: return nil
            }
        }
    }

    let format: Format
    private let started = Narrator.now()
    /// When clone3 made the container's pid 1: its run time counts from here.
    private var cloned: Double?
    private var sequence = 0
    /// svg: the records so far.
    private var records: [[String: JSONValue]] = []

    public init(format: Format) { self.format = format }

    /// A step swiftrun's parent process did. `data` holds its values for
    /// the drawing (and for any reader of --explain=json).
    func parent(_ step: String, _ call: String, why: String, manual: String, data: [String: JSONValue] = [:]) {
        var fields: [String: JSONValue] = [
            "by": .string("parent"), "step": .string(step), "call": .string(call), "why": .string(why), "man": .string(manual)
        ]
        if !data.isEmpty { fields["data"] = .object(data) }
        emit(fields)
    }

    /// clone3 made the container's pid 1.
    func cloned(pid: pid_t, flags: String) {
        cloned = Narrator.now()
        let memory = flags.hasPrefix("CLONE_VM|") ? "; until its execve it shares swiftrun's memory, so nothing is copied" : ""
        parent("clone3", "clone3(\(flags)) = \(pid)", why: "the container's pid 1, in new namespaces" + memory, manual: "clone(2)")
    }

    /// A step the container child did, or the one that failed.
    func child(_ record: ChildRecord) {
        var fields: [String: JSONValue] = [
            "by": .string("child"), "step": .string(record.step), "step_number": .integer(Int64(record.header.step)),
            "call": .string(record.call), "why": .string(record.why), "man": .string(record.manual),
            "errno": .integer(Int64(record.header.err))
        ]
        if record.header.detail >= 0 { fields["detail"] = .integer(Int64(record.header.detail)) }
        emit(fields)
        if record.header.step == SR_STEP_IDENTITY.rawValue { namespaces(container: record.call) }
        if case let .svg(path) = format, record.header.step == SR_STEP_EXEC.rawValue { draw(to: path) }
    }

    /// svg: the container is set up (its command is about to run), so the
    /// drawing has all it shows. A failure to write it is told, not fatal:
    /// the container runs on.
    private func draw(to path: String) {
        do {
            try IsolationDrawing.write(IsolationDrawing(records: records).svg(), to: path)
        } catch {
            write("swiftrun: --explain=svg: \(error)\n")
        }
    }

    /// The host's namespaces, root and hostname beside the container's,
    /// which the child read from its own /proc after pivot_root.
    private func namespaces(container: String) {
        let tokens = container.split(separator: " ").map(String.init)
        var host: [String: String] = [:]
        var inside: [String: String] = [:]
        for name in ["pid", "mnt", "uts", "ipc", "net", "cgroup"] {
            var link = [CChar](repeating: 0, count: 64)
            let n = readlink("/proc/self/ns/" + name, &link, 63)
            host[name] = n > 0 ? String(decoding: link[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : "?"
            inside[name] = tokens.first { $0.hasPrefix(name + ":") } ?? "?"
        }
        var root = stat()
        stat("/", &root)
        host["root"] = "\(root.st_dev):\(root.st_ino)"
        inside["root"] = tokens.first { $0.hasPrefix("root=") }.map { String($0.dropFirst(5)) } ?? "?"
        var name = [CChar](repeating: 0, count: 65)
        gethostname(&name, 64)
        host["hostname"] = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        inside["hostname"] = tokens.first { $0.hasPrefix("hostname=") }.map { String($0.dropFirst(9)) } ?? "?"

        let rows = ["pid", "mnt", "uts", "ipc", "net", "cgroup", "root", "hostname"]
        switch format {
        case .json, .svg:
            emit([
                "by": .string("parent"), "step": .string("compare"),
                "host": .object(host.mapValues(JSONValue.string)), "container": .object(inside.mapValues(JSONValue.string))
            ])
        case .text:
            var lines = [
                "explain: the same kernel, different views (namespaces(7)):",
                "explain:   " + pad("", 10) + pad("host", 22) + "container"
            ]
            for row in rows {
                let mark = host[row] == inside[row] ? "  (same)" : ""
                lines.append("explain:   " + pad(row, 10) + pad(host[row] ?? "?", 22) + (inside[row] ?? "?") + mark)
            }
            write(lines.joined(separator: "\n") + "\n")
        }
    }

    /// How the container ended, how long it ran, and what --rm removed.
    func exit(_ status: ExitStatus, removed: [String]) {
        let meaning: String
        switch status {
        case let .exited(code): meaning = "exited with code \(code)"
        case let .signaled(signal): meaning = "killed by \(Self.signalName(signal)) (\(signal)): exit code \(128 + signal)"
        }
        let elapsed = Double(Int((Narrator.now() - (cloned ?? started)) * 10)) / 10
        parent(
            "exit", "waitpid() = \(meaning), \(elapsed) ms after clone3", why: "the container's pid 1 is gone, and its namespaces with it", manual: "wait(2)")
        if !removed.isEmpty {
            parent("cleanup", "removed " + removed.joined(separator: ", "), why: "--rm leaves nothing behind", manual: "docs/ARCHITECTURE.md")
        }
    }

    private func emit(_ fields: [String: JSONValue]) {
        sequence += 1
        var record = fields
        record["seq"] = .integer(Int64(sequence))
        record["ms"] = .number(Double(Int((Narrator.now() - started) * 10)) / 10)
        switch format {
        case .svg:
            records.append(record)
        case .json:
            let line = (try? JSON.encode(JSONValue.object(record))).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
            write(line + "\n")
        case .text:
            guard case let .string(step)? = fields["step"], case let .string(call)? = fields["call"] else { return }
            let why = fields["why"].flatMap { if case let .string(text) = $0 { text } else { nil } } ?? ""
            let manual = fields["man"].flatMap { if case let .string(text) = $0 { text } else { nil } } ?? ""
            if case let .integer(errno)? = fields["errno"], errno != 0 {
                write("explain: FAILED \(step): \(call.isEmpty ? step : call): \(SwiftrunError.strerror(Int32(errno)))\n")
                return
            }
            write("explain: " + pad(step + ":", 26) + call + "  — " + why + "  [" + manual + "]\n")
        }
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text + String(repeating: " ", count: max(1, width - text.count))
    }

    private func write(_ text: String) {
        var text = text
        text.withUTF8 { _ = Glibc.write(2, $0.baseAddress, $0.count) }
    }

    static func signalName(_ signal: Int32) -> String { SignalName.name(signal) }

    /// Milliseconds.
    private static func now() -> Double { Double(MonotonicClock.nanoseconds()) / 1_000_000 }
}
