import ArgumentParser
import Glibc
import SwiftrunCore

struct ExecCommand: StoreCommand {
    static let configuration = CommandConfiguration(commandName: "exec", _superCommandName: "swiftrun", abstract: "Run a command in a running container.")

    @Flag(name: .shortAndLong, help: "Start the command and return; it keeps running.")
    var detach = false

    @Flag(name: .shortAndLong, help: "Keep stdin open: the command reads ours.")
    var interactive = false

    @Flag(name: .shortAndLong, help: "Give the command a terminal (a pty of the container's own).")
    var tty = false

    @Option(name: [.customShort("u"), .customLong("user")], help: "User to run as: NAME|UID[:GROUP|GID], resolved in the container.")
    var user: String?

    @Option(name: [.customShort("w"), .customLong("workdir")], help: "Working directory inside the container.")
    var workingDirectory: String?

    @Option(name: [.customShort("e"), .customLong("env")], help: "Set an environment variable (KEY=VALUE, or KEY to pass ours).")
    var environment: [String] = []

    @Option(name: .customLong("env-file"), help: "Read environment variables from a file (KEY=VALUE or KEY lines).")
    var envFiles: [String] = []

    @Flag(help: "Give the command every capability.")
    var privileged = false

    /// The Engine API's exec: stdin is the client's stream, not a terminal.
    @Flag(name: .customLong("raw-input"), help: .hidden)
    var rawInput = false

    @Argument(help: "The container: name or ID.")
    var container: String

    @Argument(parsing: .captureForPassthrough, help: "The command and its arguments.")
    var command: [String] = []

    func run(in layout: StoreLayout) throws(SwiftrunError) -> Int32 {
        if tty && interactive && !detach && !rawInput && isatty(0) == 0 {
            printError("the input device is not a TTY")
            return 1
        }
        var options = ExecOptions(command: command)
        options.detach = detach
        options.interactive = interactive
        options.tty = tty
        options.privileged = privileged
        options.user = user
        options.workingDirectory = workingDirectory
        options.environment = try EnvironmentFile.read(envFiles) + environment
        return try ContainerExec(layout: layout).run(container, options)
    }

    /// Docker's: 126 when the command could not be started in the
    /// container, 1 when there was no container to run it in.
    func exitCode(for error: SwiftrunError) -> Int32 {
        switch error {
        case .childStep, .cannotExecute: 126
        default: 1
        }
    }
}

struct AttachCommand: StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "attach", _superCommandName: "swiftrun", abstract: "Attach to a running container's input and output.")

    @Option(name: .customLong("detach-keys"), help: "Keys that detach and leave it running (default: ctrl-p,ctrl-q).")
    var detachKeys: String?

    @Flag(name: .customLong("no-stdin"), help: "Do not send our input.")
    var noStdin = false

    @Argument(help: "The container: name or ID.")
    var container: String

    func run(in layout: StoreLayout) throws(SwiftrunError) -> Int32 {
        try ContainerAttach(layout: layout).attach(container, detachKeys: detachKeys, sendInput: !noStdin)
    }
}
