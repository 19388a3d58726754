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
}

struct CommandConfiguration: Sendable {
    enum HelpName: Sendable { case short, long }

    var commandName: String
    var abstract = ""
    /// Paragraphs after the usage line in --help.
    var discussion = ""
    /// What `--version` prints (the root only).
    var version: String?
    var subcommands: [any ParsableCommand.Type] = []
    var aliases: [String] = []
    /// `-h` is `run`'s --hostname, as in Docker: there only `--help` is help.
    var helpNames: Set<HelpName> = [.short, .long]
    /// Commands for swiftrun's own helpers are left out of the root's help.
    var shouldDisplay = true

    /// Whether `argument` names this command.
    func isCalled(_ argument: String) -> Bool {
        commandName == argument || aliases.contains(argument)
    }
}
