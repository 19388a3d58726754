import SwiftrunCore

/// The CLI's own commands, each in a process of its own, for what a
/// process with the server's threads must not do itself (fork a monitor,
/// clone into a container) and for the store changes the CLI already
/// owns (pull, tag, rmi, load, save, cp). One way to run them, and one
/// way to turn their one line of error into Docker's.
extension EngineAPI {
    /// `swiftrun --root ROOT ARGS...`.
    func command(_ arguments: [String]) -> [String] {
        [swiftrun, "--root", layout.root] + arguments
    }

    /// Runs it to its end: its exit status, its stdout, and the last line
    /// of its stderr without the "swiftrun: " prefix.
    func run(_ arguments: [String], stdin: Int32 = -1, passing: Int32 = -1) throws(APIError) -> (status: Int32, output: String, error: String) {
        var output: [UInt8] = []
        var errors: [UInt8] = []
        let status = try answer { () throws(SwiftrunError) in
            try HostCommand.stream(command(arguments), stdin: stdin, passing: passing) { isStderr, bytes in
                if isStderr { errors += bytes } else { output += bytes }
                return true
            }
        }
        let last = String(decoding: errors, as: UTF8.self).split(separator: "\n").last.map { String($0.trimmingPrefix("swiftrun: ")) }
        return (status, String(decoding: output, as: UTF8.self), last ?? "swiftrun \(arguments.joined(separator: " ")) failed")
    }

    /// The same, a failure thrown as Docker's error; `image` names the image
    /// a "not found" is about, in Docker's words.
    @discardableResult
    func runChecked(_ arguments: [String], stdin: Int32 = -1, passing: Int32 = -1, image: String? = nil) throws(APIError) -> String {
        let result = try run(arguments, stdin: stdin, passing: passing)
        guard result.status != 0 else { return result.output }
        throw APIError(command: result.error, image: image)
    }

    /// Streams a command's lines to the client as Docker's JSON lines (pull,
    /// build): `object` makes each line (and whether it came on stderr)
    /// the object to send, or nil for none. The command's own error
    /// ("swiftrun: ...") is not sent as a line: if the command fails, it
    /// ends the stream as Docker's error object (`failed` if it said none).
    func streamLines(
        _ arguments: [String], stdin: Int32 = -1, failed: String, send: ([UInt8]) -> Bool,
        _ object: (_ line: String, _ isStderr: Bool) -> [String: String]?
    ) {
        var lines = LineSplitter()
        var failure = failed
        var listening = true
        let status = try? HostCommand.stream(command(arguments), stdin: stdin) { isStderr, bytes in
            for line in lines.add(bytes, stream: isStderr ? 1 : 0) {
                if isStderr && line.hasPrefix("swiftrun: ") {
                    failure = String(line.dropFirst(10))
                } else if listening, let value = object(line, isStderr) {
                    listening = send(APIResponse.jsonLine(value))
                }
            }
            return true
        }
        guard listening, status != 0 else { return }
        _ = send(APIResponse.jsonLine(StreamedError(message: failure)))
    }

    /// Streams a command's stdout to the client (a tar); its stderr is dropped.
    func streamOutput(_ arguments: [String], to send: ([UInt8]) -> Bool) {
        _ = try? HostCommand.stream(command(arguments)) { isStderr, bytes in isStderr || send(bytes) }
    }
}

extension APIError {
    /// A command's one line of error with Docker's status: 404 for what is
    /// not there (docker-py's ImageNotFound looks for "No such image"), 409
    /// for a name or an image in use, 500 otherwise.
    init(command message: String, image: String?) {
        if message.hasPrefix("image not found"), let image {
            self.init(status: 404, message: "No such image: \(image)")
        } else if message.hasPrefix("Could not find") || message.hasPrefix("no such container") {
            self.init(status: 404, message: message)
        } else if message.contains("in use") {
            self.init(status: 409, message: message)
        } else {
            self.init(status: 500, message: message)
        }
    }
}

/// Bytes of a command's stdout and stderr, cut into whole lines, each
/// stream with its own unfinished tail.
private struct LineSplitter {
    private var pending: [[UInt8]] = [[], []]

    mutating func add(_ bytes: [UInt8], stream: Int) -> [String] {
        pending[stream] += bytes
        var lines: [String] = []
        while let newline = pending[stream].firstIndex(of: UInt8(ascii: "\n")) {
            lines.append(String(decoding: pending[stream][..<newline], as: UTF8.self))
            pending[stream].removeSubrange(...newline)
        }
        return lines
    }
}
