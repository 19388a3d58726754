/// Matches one command's arguments against its declarations, the way
/// Docker's CLI (pflag) reads them:
///   - `--name VALUE`, `--name=VALUE`; a flag alone, or `--rm=false`;
///   - short flags together (`-it`), and a short option's value attached
///     (`-p8080:80`, `-e=A=1`) or next;
///   - the next argument is an option's value even when it starts with "-"
///     (`--memory-swap -1`);
///   - options and positionals in any order, except that a command with a
///     pass-through argument (`run IMAGE COMMAND...`) reads no option after
///     its first positional; `--` ends the options everywhere.
struct ArgumentScanner {
    enum Result {
        /// The texts found for each declaration, in declaration order.
        case found([[String]])
        /// `--help` (or `-h`) came before anything that ends the options.
        case help
    }

    let declarations: [ArgumentDeclaration]
    let shortHelp: Bool

    func scan(_ arguments: ArraySlice<String>) throws(CommandLineError) -> Result {
        var found = Array(repeating: [String](), count: declarations.count)
        var positionals: [String] = []
        let stopsAtFirstPositional = declarations.contains { $0.passesThrough }
        var index = arguments.startIndex
        /// An option's value: given with it, implied by it alone, or the next argument.
        func value(_ given: String?, for declaration: ArgumentDeclaration) throws(CommandLineError) -> String {
            if let given = given ?? declaration.bareValue { return given }
            guard index < arguments.endIndex else { throw .missingValue(for: declaration.spelling) }
            defer { index += 1 }
            return arguments[index]
        }
        while index < arguments.endIndex {
            let argument = arguments[index]
            index += 1
            if argument == "--" {
                positionals += arguments[index...]
                break
            }
            if argument == "--help" || (argument == "-h" && shortHelp) { return .help }
            guard argument.hasPrefix("-"), argument != "-" else {
                positionals.append(argument)
                if stopsAtFirstPositional {
                    positionals += arguments[index...]
                    break
                }
                continue
            }
            if argument.hasPrefix("--") || position(of: argument) != nil {
                // A long name, or a single-dash long one (`-rm`).
                let equals = argument.firstIndex(of: "=")
                let name = String(argument[..<(equals ?? argument.endIndex)])
                let inline = equals.map { String(argument[argument.index(after: $0)...]) }
                guard let at = position(of: name) else { throw .unknownOption(name) }
                let declaration = declarations[at]
                if declaration.kind == .flag {
                    found[at].append(inline ?? "")
                } else {
                    found[at].append(try value(inline, for: declaration))
                }
                continue
            }
            var cluster = argument.dropFirst()
            while let letter = cluster.popFirst() {
                let name = "-" + String(letter)
                if name == "-h" && shortHelp { return .help }
                guard let at = position(of: name) else { throw .unknownOption(name) }
                let explicit = cluster.first == "="
                if explicit { cluster.removeFirst() }
                if declarations[at].kind == .flag && !explicit {
                    found[at].append("")
                    continue
                }
                // The rest is the value: `-p8080:80`, `-e=A=1`, `-it=false`.
                found[at].append(try value(cluster.isEmpty && !explicit ? nil : String(cluster), for: declarations[at]))
                break
            }
        }
        try assign(positionals, to: &found)
        if let missing = declarations.indices.first(where: { declarations[$0].kind == .option && declarations[$0].isRequired && found[$0].isEmpty }) {
            throw .missingOption(declarations[missing].spelling)
        }
        return .found(found)
    }

    /// Hands the positionals out in declaration order; an array takes the rest.
    private func assign(_ positionals: [String], to found: inout [[String]]) throws(CommandLineError) {
        var rest = positionals[...]
        for (at, declaration) in declarations.enumerated() where declaration.kind == .positional {
            if declaration.repeats {
                found[at] = Array(rest)
                rest = []
            } else if let first = rest.popFirst() {
                found[at] = [first]
            }
            if declaration.isRequired && found[at].isEmpty {
                throw .missingArgument(declaration.valueName + (declaration.repeats ? " ..." : ""))
            }
        }
        if let extra = rest.first { throw .unexpectedArgument(extra) }
    }

    private func position(of name: String) -> Int? {
        declarations.firstIndex { $0.kind != .positional && $0.names.contains(name) }
    }
}
