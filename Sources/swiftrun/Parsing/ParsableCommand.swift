/// A group of options and arguments: a command, or a part of several
/// (`@OptionGroup`). Its properties are Flag, Option, Argument and
/// OptionGroup wrappers, and `init()` makes it from them (DeclarationRecorder).
protocol ParsableArguments {
    init()
    /// Checks across properties, once they are filled.
    func validate() throws(CommandLineError)
}

extension ParsableArguments {
    func validate() throws(CommandLineError) {}
}

/// A command: its name, its help and its subcommands. Its type is shared
/// as a constant of its parent's configuration (SendableMetatype).
protocol ParsableCommand: ParsableArguments, SendableMetatype {
    static var configuration: CommandConfiguration { get }
    /// How the program runs this command (CommandRole, beside the
    /// commands). A requirement, so each type's witness table holds the
    /// answer: a cast of the parsed command to `any StoreCommand` or `any
    /// RuntimeVerb` scans every conformance record in the binary, on every
    /// start (issue 15: 5% of a `run`'s instructions, 16% of an engine's call).
    var role: CommandRole { get }
}

extension ParsableCommand {
    var role: CommandRole { .group }
}

struct CommandConfiguration: Sendable {
    var commandName: String
    var abstract = ""
    /// Paragraphs after the usage line in --help.
    var discussion = ""
    /// What `--version` prints (the root only).
    var version: String?
    var subcommands: [any ParsableCommand.Type] = []
    var aliases: [String] = []
    /// Whether `-h` asks for help as `--help` does. Not on `run`, where
    /// `-h` is --hostname, as in Docker.
    var shortHelp = true
    /// Commands for swiftrun's own helpers are left out of the root's help.
    var shouldDisplay = true

    /// Whether `argument` names this command.
    func isCalled(_ argument: String) -> Bool {
        commandName == argument || aliases.contains(argument)
    }
}
