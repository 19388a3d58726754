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
    var role: CommandRole { .store(self) }
}

/// What a parsed command is to the entry point that runs it: main.swift
/// runs `store` and `version`, RuntimeMain.swift (runc's command line)
/// `runtime`; a `group` only has subcommands, so it never parses alone.
enum CommandRole {
    case group
    case version(VersionCommand)
    case store(any StoreCommand)
    case runtime(any RuntimeVerb)
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
