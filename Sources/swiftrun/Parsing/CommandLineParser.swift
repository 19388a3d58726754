/// Finds the command an argument list names, from the root down through
/// subcommands (`image ls`), scans its arguments and fills it.
struct CommandLineParser {
    enum Outcome {
        case command(any ParsableCommand)
        /// Help or the version, each line ended: printed on stdout, exit code 0.
        case text(String)
    }

    /// A command line that does not parse, and the command whose help says how.
    struct Failure: Error, CustomStringConvertible {
        let error: CommandLineError
        let command: String

        var description: String { "\(error); see '\(command) --help'" }
    }

    let root: any ParsableCommand.Type

    func parse(_ arguments: [String]) throws(Failure) -> Outcome {
        var rest = arguments[...]
        if rest.first == "--version", let version = root.configuration.version { return .text(version + "\n") }
        let asksHelp = rest.first == "help"
        if asksHelp { rest.removeFirst() }
        var command = root
        var words = [root.configuration.commandName]
        while let word = rest.first, let subcommand = command.configuration.subcommands.first(where: { $0.configuration.isCalled(word) }) {
            command = subcommand
            words.append(word)
            rest.removeFirst()
        }
        let help = HelpText(command: command, words: words)
        if asksHelp { return .text(help.render()) }
        if !command.configuration.subcommands.isEmpty {
            guard let first = rest.first, first != "--help", first != "-h" else { return .text(help.render()) }
            let error: CommandLineError = first.hasPrefix("-") ? .unknownOption(first) : .unknownCommand(first)
            throw Failure(error: error, command: help.commandName)
        }
        do throws(CommandLineError) {
            let scanner = ArgumentScanner(declarations: DeclarationRecorder.declarations(of: command), shortHelp: command.configuration.shortHelp)
            switch try scanner.scan(rest) {
            case .help: return .text(help.render())
            case let .found(found): return .command(try DeclarationRecorder.fill(command, with: found))
            }
        } catch {
            throw Failure(error: error, command: help.commandName)
        }
    }
}
