import Glibc
import SwiftrunCore

struct ExecCommand: StoreCommand {
    static let configuration = CommandConfiguration(commandName: "exec", abstract: "Run a command in a running container.")

    @Flag("-d", "--detach", help: "Start the command and return; it keeps running.")
    var detach = false

    @Flag("-i", "--interactive", help: "Keep stdin open: the command reads ours.")
    var interactive = false

    @Flag("-t", "--tty", help: "Give the command a terminal (a pty of the container's own).")
    var tty = false

    @Option("-u", "--user", help: "User to run as: NAME|UID[:GROUP|GID], resolved in the container.")
    var user: String?

    @Option("-w", "--workdir", help: "Working directory inside the container.")
    var workingDirectory: String?

    @Option("-e", "--env", help: "Set an environment variable (KEY=VALUE, or KEY to pass ours).")
    var environment: [String] = []

    @Option("--env-file", help: "Read environment variables from a file (KEY=VALUE or KEY lines).")
    var envFiles: [String] = []

    @Flag("--privileged", help: "Give the command every capability.")
    var privileged = false

    /// The Engine API's exec: stdin is the client's stream, not a terminal.
    @Flag("--raw-input", help: .hidden)
    var rawInput = false

    @Argument("container", help: "The container: name or ID.")
    var container: String

    @Argument("command", passesThrough: true, help: "The command and its arguments.")
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
        commandName: "attach", abstract: "Attach to a running container's input and output.")

    @Option("--detach-keys", help: "Keys that detach and leave it running (default: ctrl-p,ctrl-q).")
    var detachKeys: String?

    @Flag("--no-stdin", help: "Do not send our input.")
    var noStdin = false

    @Argument("container", help: "The container: name or ID.")
    var container: String

    func run(in layout: StoreLayout) throws(SwiftrunError) -> Int32 {
        try ContainerAttach(layout: layout).attach(container, detachKeys: detachKeys, sendInput: !noStdin)
    }
}
