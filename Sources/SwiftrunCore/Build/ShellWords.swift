/// Docker's word processing for the instructions it expands (FROM, COPY,
/// ADD, ENV, ARG, LABEL, EXPOSE, USER, WORKDIR, VOLUME, STOPSIGNAL):
/// words split on unquoted whitespace, 'single quotes' literal, "double
/// quotes" expanding, the escape character quoting the next one, and
/// $VAR, ${VAR}, ${VAR:-default}, ${VAR:+alternative} (and the forms
/// without the colon) replaced from `variables`. RUN, CMD and ENTRYPOINT
/// are left to the container's shell.
struct ShellWords {
    let variables: [String: String]
    let escape: Character

    func words(_ text: String) throws(SwiftrunError) -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        // A word that is only an unquoted expansion to "" is no word at all.
        var quoted = false
        func endWord() {
            if inWord && (!current.isEmpty || quoted) { words.append(current) }
            current = ""
            inWord = false
            quoted = false
        }
        var characters = Substring(text)
        while let character = characters.popFirst() {
            switch character {
            case _ where character.isWhitespace:
                endWord()
            case "'":
                inWord = true
                quoted = true
                guard let close = characters.firstIndex(of: "'") else { throw .invalidArgument("unterminated ' in: \(text)") }
                current += characters[..<close]
                characters = characters[characters.index(after: close)...]
            case "\"":
                inWord = true
                quoted = true
                current += try doubleQuoted(&characters, text: text)
            case escape:
                inWord = true
                quoted = true
                if let next = characters.popFirst() { current.append(next) }
            case "$":
                inWord = true
                current += try expansion(&characters)
            default:
                inWord = true
                current.append(character)
            }
        }
        endWord()
        return words
    }

    /// The text as one word list joined by spaces: WORKDIR, USER and the like take the whole line.
    func line(_ text: String) throws(SwiftrunError) -> String {
        try words(text).joined(separator: " ")
    }

    /// Only the variables replaced, quotes and spacing kept: an unquoted COPY heredoc's body.
    func expandingVariables(_ text: String) throws(SwiftrunError) -> String {
        var result = ""
        var characters = Substring(text)
        while let character = characters.popFirst() {
            if character == escape, characters.first == "$" {
                result.append(characters.removeFirst())
            } else if character == "$" {
                result += try expansion(&characters)
            } else {
                result.append(character)
            }
        }
        return result
    }

    private func doubleQuoted(_ characters: inout Substring, text: String) throws(SwiftrunError) -> String {
        var result = ""
        while let character = characters.popFirst() {
            switch character {
            case "\"": return result
            case escape:
                guard let next = characters.popFirst() else { break }
                if next == "\"" || next == "$" || next == escape { result.append(next) } else { result.append(character); result.append(next) }
            case "$": result += try expansion(&characters)
            default: result.append(character)
            }
        }
        throw .invalidArgument("unterminated \" in: \(text)")
    }

    /// After a $: a name, or ${...} with its operators.
    private func expansion(_ characters: inout Substring) throws(SwiftrunError) -> String {
        if characters.first == "{" {
            guard let close = characters.firstIndex(of: "}") else { throw .invalidArgument("missing } in ${...}") }
            let body = characters[characters.index(after: characters.startIndex)..<close]
            characters = characters[characters.index(after: close)...]
            let name = body.prefix { $0.isLetter || $0.isNumber || $0 == "_" }
            let rest = body.dropFirst(name.count)
            let value = variables[String(name)]
            if rest.isEmpty { return value ?? "" }
            let colon = rest.hasPrefix(":")
            let operation = rest.dropFirst(colon ? 1 : 0)
            let word = try ShellWords(variables: variables, escape: escape).line(String(operation.dropFirst()))
            let isSet = colon ? !(value ?? "").isEmpty : value != nil
            switch operation.first {
            case "-": return isSet ? value! : word
            case "+": return isSet ? word : ""
            default: throw .invalidArgument("unsupported modifier in ${\(body)}: use :- or :+")
            }
        }
        let name = characters.prefix { $0.isLetter || $0.isNumber || $0 == "_" }
        guard !name.isEmpty else { return "$" }
        characters = characters.dropFirst(name.count)
        return variables[String(name)] ?? ""
    }
}
