/// Turns a Dockerfile's text into instructions, as Docker's parser does:
/// parser directives (`# escape=`, `# syntax=`) only at the very top,
/// comment lines dropped (also inside continuations), lines ending in the
/// escape character joined to the next, `<<EOF` heredocs read up to their
/// terminator, and JSON arrays recognised as the exec form.
public enum DockerfileParser {
    public static func parse(_ text: String, path: String) throws(SwiftrunError) -> Dockerfile {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { String($0.hasSuffix("\r") ? $0.dropLast() : $0) }
        var escape: Character = "\\"
        var index = 0
        // Directives: "# key=value" lines before anything else.
        while index < lines.count, let directive = Self.directive(lines[index]) {
            if directive.key == "escape" {
                guard directive.value == "\\" || directive.value == "`" else {
                    throw .dockerfile(
                        path, line: index + 1,
                        "invalid escape directive \(directive.value.count == 1 && directive.value.first!.isASCII && !directive.value.first!.isNewline ? "\"\(directive.value)\"" : "value"): use \\ or `"
                    )
                }
                escape = directive.value.first!
            }
            index += 1
        }

        var instructions: [Dockerfile.Instruction] = []
        while index < lines.count {
            let start = index
            let trimmed = lines[index].trimmingSpaces
            index += 1
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            // Join continuations; comment and empty lines inside one are skipped.
            var logical = trimmed
            while logical.last == escape {
                logical.removeLast()
                while index < lines.count, lines[index].trimmingSpaces.hasPrefix("#") || lines[index].trimmingSpaces.isEmpty {
                    index += 1
                    if index >= lines.count { break }
                }
                guard index < lines.count else { break }
                logical += lines[index].drop(while: \.isWhitespace)
                index += 1
            }
            var instruction = try Self.instruction(logical, line: start + 1, path: path, escape: escape)
            // Heredocs: their bodies follow the instruction's line.
            for (name, stripTabs, expands) in Self.heredocNames(in: logical, keyword: instruction.keyword) {
                var body: [String] = []
                while true {
                    guard index < lines.count else {
                        throw .dockerfile(path, line: start + 1, "heredoc <<\(name) has no terminating \"\(name)\" line")
                    }
                    var line = lines[index]
                    index += 1
                    if stripTabs { line = String(line.drop { $0 == "\t" }) }
                    if line == name { break }
                    body.append(line)
                }
                instruction.heredocs.append(.init(name: name, body: body.map { $0 + "\n" }.joined(), expands: expands))
            }
            instructions.append(instruction)
        }
        guard let first = instructions.first(where: { $0.keyword != "ARG" }) else {
            throw .dockerfile(path, line: 1, "no instructions: a Dockerfile starts with FROM")
        }
        guard first.keyword == "FROM" else {
            throw .dockerfile(path, line: first.line, "\(first.keyword) before FROM: only ARG may come before the first FROM")
        }
        return Dockerfile(path: path, instructions: instructions, escape: escape)
    }

    private static func directive(_ line: String) -> (key: String, value: String)? {
        guard line.hasPrefix("#") else { return nil }
        let body = line.dropFirst().trimmingSpaces
        guard let equals = body.firstIndex(of: "=") else { return nil }
        let key = body[..<equals].trimmingSpaces.lowercased()
        guard key == "escape" || key == "syntax" || key == "check" else { return nil }
        return (key, body[body.index(after: equals)...].trimmingSpaces)
    }

    private static func instruction(_ text: String, line: Int, path: String, escape: Character) throws(SwiftrunError) -> Dockerfile.Instruction {
        let keywordEnd = text.firstIndex(where: \.isWhitespace) ?? text.endIndex
        let keyword = text[..<keywordEnd].uppercased()
        guard Dockerfile.keywords.contains(keyword) else {
            throw .dockerfile(path, line: line, "unknown instruction: \(Self.printable(text[..<keywordEnd]))")
        }
        var rest = Substring(text[keywordEnd...].drop(while: \.isWhitespace))
        // --flags come first, for the instructions that take them.
        var flags: [String: String] = [:]
        if ["FROM", "RUN", "COPY", "ADD", "HEALTHCHECK"].contains(keyword) {
            while rest.hasPrefix("--") {
                let end = rest.firstIndex(where: \.isWhitespace) ?? rest.endIndex
                let flag = rest[rest.index(rest.startIndex, offsetBy: 2)..<end]
                if let equals = flag.firstIndex(of: "=") {
                    flags[String(flag[..<equals])] = String(flag[flag.index(after: equals)...])
                } else {
                    flags[String(flag)] = ""
                }
                rest = rest[end...].drop(while: \.isWhitespace)
            }
        }
        let arguments: Dockerfile.Arguments
        if rest.hasPrefix("["), let array = try? JSON.decode([String].self, from: Array(rest.utf8), path: path) {
            arguments = .exec(array)
        } else {
            arguments = .shell(String(rest))
        }
        let needsArguments = !["HEALTHCHECK"].contains(keyword)
        if needsArguments, case let .shell(body) = arguments, body.isEmpty {
            throw .dockerfile(path, line: line, "\(keyword) requires at least one argument")
        }
        return .init(
            keyword: keyword, flags: flags, arguments: arguments, heredocs: [], line: line,
            original: keyword + " " + text[keywordEnd...].drop(while: \.isWhitespace))
    }

    /// A word of a line that failed to parse, safe to print: the file may
    /// not be a Dockerfile at all (a symlink to a secret, a binary), so
    /// only a short word of letters is shown as it is; anything else is
    /// named by its length.
    static func printable(_ word: some StringProtocol) -> String {
        let isWord = word.count <= 24 && word.allSatisfy { $0.isASCII && ($0.isLetter || $0 == "_" || $0 == "-") }
        return isWord ? String(word) : "a word of \(word.utf8.count) bytes that is not an instruction name"
    }

    /// `<<EOF`, `<<-EOF`, `<<"EOF"` in RUN, COPY and ADD lines.
    private static func heredocNames(in text: String, keyword: String) -> [(String, Bool, Bool)] {
        guard ["RUN", "COPY", "ADD"].contains(keyword) else { return [] }
        var result: [(String, Bool, Bool)] = []
        var rest = Substring(text)
        while let range = rest.firstOccurrence(of: "<<") {
            var name = rest[range.upperBound...]
            let stripTabs = name.hasPrefix("-")
            if stripTabs { name = name.dropFirst() }
            var expands = true
            if let quote = name.first, quote == "\"" || quote == "'" {
                expands = false
                name = name.dropFirst()
                name = name.prefix { $0 != quote }
            } else {
                name = name.prefix { $0.isLetter || $0.isNumber || $0 == "_" }
            }
            if !name.isEmpty { result.append((String(name), stripTabs, expands)) }
            rest = rest[range.upperBound...]
        }
        return result
    }
}
