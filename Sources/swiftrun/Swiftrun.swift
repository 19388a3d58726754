import ArgumentParser
import Glibc
import SwiftrunCore

/// The root command. The CLI is a thin shell: each subcommand parses its
/// flags and hands them to SwiftrunCore.
struct Swiftrun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swiftrun",
        abstract: "A small, fast Linux container runtime.",
        discussion: """
            Global option (before the command): --root DIR, the store (default \(StoreLayout.defaultRoot), or $SWIFTRUN_ROOT).
            For engines (podman, containerd, Docker), swiftrun also answers runc's command line: see `swiftrun oci --help`.
            """,
        version: VersionCommand.short,
        subcommands: [
            RunCommand.self, CreateCommand.self, PsCommand.self, RmCommand.self, CommitCommand.self, StatsCommand.self,
            ExecCommand.self, AttachCommand.self, CpCommand.self, TopCommand.self, PortCommand.self, RenameCommand.self, LogsCommand.self, StopCommand.self,
            StartCommand.self,
            RestartCommand.self, KillCommand.self, WaitCommand.self,
            PauseCommand.self,
            UnpauseCommand.self, MonitorExitedCommand.self, HealthCheckCommand.self, BootCommand.self,
            ImagesCommand.self, ImageCommand.self, RmiCommand.self, TagCommand.self, HistoryCommand.self,
            ImportCommand.self, LoadCommand.self, SaveCommand.self, PullCommand.self, BuildCommand.self, LoginCommand.self, LogoutCommand.self,
            InspectCommand.self, InfoCommand.self, VersionCommand.self, ContainerCommand.self, SystemCommand.self, NetworkCommand.self, VolumeCommand.self,
            ExplainCommand.self
        ]
    )
}

extension ParsableCommand {
    /// The command line's subcommand, parsed as a root of its own: the
    /// root's parse also builds the subcommand's whole argument set once
    /// more, only to ask whether it passes arguments through (about a fifth
    /// of a run's parsing). What that parse does not turn into a command
    /// `accepts` (help, which it answers with ArgumentParser's own, and
    /// every error) goes through the root, which words it as `ROOT CMD`.
    ///
    /// Each subcommand names its root as `_superCommandName`, which spares
    /// it ArgumentParser's probe for --generate-completion-script when it
    /// is parsed as a root: two extra parsers built by reflection on every
    /// call (1.7 ms; 6% of a run's samples). The name shows only in help
    /// and errors, and those come from the root.
    static func parseSubcommand(_ arguments: [String], accepts: (any ParsableCommand) -> Bool) throws -> any ParsableCommand {
        if let name = arguments.first,
            let subcommand = configuration.subcommands.first(where: { $0._commandName == name || $0.configuration.aliases.contains(name) }),
            let parsed = try? subcommand.parseAsRoot(Array(arguments.dropFirst())),
            accepts(parsed)
        {
            return parsed
        }
        return try parseAsRoot(arguments)
    }
}

/// A subcommand that works on the store. main.swift gives it the store
/// once it has checked for root and finished any interrupted cleanup.
protocol StoreCommand: ParsableCommand {
    /// Returns the process exit code.
    func run(in layout: StoreLayout) throws(SwiftrunError) -> Int32
    /// The exit code for an error: Docker's 125/126/127 for `run`, 1 elsewhere.
    func exitCode(for error: SwiftrunError) -> Int32
}

extension StoreCommand {
    func exitCode(for error: SwiftrunError) -> Int32 { 1 }
}

/// Runs `body` for each argument, as `docker rm` and `rmi` do: a failure is
/// one line on stderr and the rest still run; the exit code is 1 if any failed.
func forEachArgument(_ arguments: [String], _ body: (String) throws(SwiftrunError) -> Void) -> Int32 {
    var failed = false
    for argument in arguments {
        do {
            try body(argument)
        } catch {
            printError("swiftrun: \(error)")
            failed = true
        }
    }
    return failed ? 1 : 0
}

/// The process environment, for the lookups SwiftrunCore takes as a function.
func environmentVariable(_ name: String) -> String? {
    getenv(name).map { String(cString: $0) }
}
