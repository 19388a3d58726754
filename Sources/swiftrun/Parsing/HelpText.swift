/// A command's --help, in ArgumentParser's layout (scripts/compare-flags.py
/// reads its OPTIONS section): overview, usage, arguments, options, and a
/// group's subcommands.
struct HelpText {
    let command: any ParsableCommand.Type
    /// How the command line called it, from the root: `swiftrun image ls`.
    let words: [String]

    var commandName: String { words.joined(separator: " ") }

    func render() -> String {
        let configuration = command.configuration
        var text = configuration.abstract.isEmpty ? "" : "OVERVIEW: \(configuration.abstract)\n\n"
        if !configuration.discussion.isEmpty { text += configuration.discussion + "\n\n" }
        let help = Self.line(configuration.shortHelp ? "-h, --help" : "--help", "Show help information.")
        guard configuration.subcommands.isEmpty else {
            text += "USAGE: \(commandName) <subcommand>\n\nOPTIONS:\n"
            if configuration.version != nil { text += Self.line("--version", "Show the version.") }
            text += help + "\nSUBCOMMANDS:\n"
            for subcommand in configuration.subcommands where subcommand.configuration.shouldDisplay {
                let names = ([subcommand.configuration.commandName] + subcommand.configuration.aliases).joined(separator: ", ")
                text += Self.line(names, subcommand.configuration.abstract)
            }
            return text + "\n  See '\(commandName) <subcommand> --help' for a command's own help.\n"
        }
        let declarations = DeclarationRecorder.declarations(of: command).filter { !$0.help.isHidden }
        let positionals = declarations.filter { $0.kind == .positional }
        let options = declarations.filter { $0.kind != .positional }
        var usage = "USAGE: \(commandName)" + (options.isEmpty ? "" : " [<options>]")
        for positional in positionals {
            let name = positional.valueName + (positional.repeats ? " ..." : "")
            usage += positional.isRequired ? " \(name)" : " [\(name)]"
        }
        text += usage + "\n\n"
        if !positionals.isEmpty {
            text += "ARGUMENTS:\n" + positionals.map { Self.line($0.valueName, $0.help.text) }.joined() + "\n"
        }
        text += "OPTIONS:\n"
        for option in options {
            let names = option.names.joined(separator: ", ")
            switch (option.kind, option.bareValue) {
            case (.option, nil): text += Self.line(names + " " + option.valueName, option.help.text)
            case (.option, _): text += Self.line(names + "[=" + option.valueName + "]", option.help.text)  // the value is optional
            default: text += Self.line(names, option.help.text)
            }
        }
        return text + help
    }

    /// "  LABEL   help", the help at column 26, or on the next line when the label is longer.
    private static func line(_ label: String, _ help: String) -> String {
        let column = 24
        guard label.count < column - 1 else { return "  \(label)\n" + String(repeating: " ", count: column + 2) + help + "\n" }
        return "  " + label + String(repeating: " ", count: column - label.count) + help + "\n"
    }
}
