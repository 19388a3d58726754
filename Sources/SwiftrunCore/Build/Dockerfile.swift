/// A Dockerfile as parsed: instructions in order, each with the line it
/// starts on, its --flags, and its arguments in shell or JSON (exec) form.
public struct Dockerfile: Equatable, Sendable {
    public var path: String
    public var instructions: [Instruction]
    /// The `# escape=` directive's character: \ by default, ` on Windows-style files.
    public var escape: Character

    public struct Instruction: Equatable, Sendable {
        /// Upper case: FROM, RUN, COPY, ...
        public var keyword: String
        /// `--from=builder`, `--chown=1:1`: name to value ("" for a bare flag).
        public var flags: [String: String]
        public var arguments: Arguments
        /// Heredoc bodies in order (`RUN <<EOF`), with their names.
        public var heredocs: [Heredoc]
        public var line: Int
        /// The instruction as written, continuations joined: what history and the cache key record.
        public var original: String
    }

    public enum Arguments: Equatable, Sendable {
        /// `CMD ["a", "b"]`
        case exec([String])
        /// `CMD a b`, continuations joined, variables not yet expanded.
        case shell(String)
    }

    public struct Heredoc: Equatable, Sendable {
        public var name: String
        public var body: String
        /// `<<-EOF` strips leading tabs; a quoted name (`<<"EOF"`) expands nothing.
        public var expands: Bool
    }

    /// Instructions Docker knows; anything else is an error with its line.
    static let keywords: Set<String> = [
        "FROM", "RUN", "CMD", "LABEL", "MAINTAINER", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT", "VOLUME",
        "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL"
    ]
}

/// A Dockerfile that cannot be parsed or built: file, line and why.
extension SwiftrunError {
    static func dockerfile(_ path: String, line: Int, _ reason: String) -> SwiftrunError {
        .invalidArgument("\(path):\(line): \(reason)")
    }
}
