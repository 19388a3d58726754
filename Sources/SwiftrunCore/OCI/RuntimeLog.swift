import Glibc

/// `--log FILE --log-format json|text`: where an engine reads the runtime's
/// errors. containerd and dockerd take the last error-level line of the
/// JSON file as the reason a verb failed; without it they can only say
/// "unable to retrieve OCI runtime error". Lines are logrus's, as runc's.
public struct RuntimeLog: Sendable {
    public enum Format: String, Sendable { case text, json }

    let path: String?
    let format: Format

    public init(path: String?, format: Format) {
        self.path = path
        self.format = format
    }

    /// Appends one line at `level` ("error", "warning", "debug").
    public func write(_ level: String, _ message: String) {
        guard let path else { return }
        let time = JSON.timestamp()
        let line: String
        switch format {
        case .json:
            let fields: JSONValue = .object(["level": .string(level), "msg": .string(message), "time": .string(time)])
            line = ((try? JSON.encode(fields)).map { String(decoding: $0, as: UTF8.self) } ?? "") + "\n"
        case .text:
            line = "time=\"\(time)\" level=\(level) msg=\"\(Self.escaped(message))\"\n"
        }
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var bytes = line
        bytes.withUTF8 { _ = Glibc.write(fd, $0.baseAddress, $0.count) }
    }

    private static func escaped(_ text: String) -> String {
        text.replacingEvery("\\", with: "\\\\").replacingEvery("\"", with: "\\\"")
    }
}
