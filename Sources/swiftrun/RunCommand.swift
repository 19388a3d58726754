import Glibc
import SwiftrunCore

struct RunCommand: StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run a command in a new container.",
        shortHelp: false)  // -h is --hostname, as in Docker

    /// `docker run -rm` from a popular cheat sheet: accepted, with a note.
    @Flag("-rm", help: .hidden)
    var autoRemoveOneDash = false

    @Flag("-d", "--detach", help: "Run in the background under a monitor, and print the container's ID.")
    var detach = false

    /// `--explain` alone means text; a format only as `--explain=json`, so
    /// that the image after it is never taken for its value.
    @Option("--explain", bareValue: "text", help: "Narrate every isolation step on stderr: --explain, --explain=json; or draw them: --explain=svg:FILE.")
    var explain: Narrator.Format?

    @OptionGroup var container: ContainerFlags

    func run(in layout: StoreLayout) throws(SwiftrunError) -> Int32 {
        if autoRemoveOneDash {
            printError("swiftrun: note: the flag is spelled --rm (two dashes); treating -rm as --rm")
        }
        var options = try container.options(autoRemove: autoRemoveOneDash)
        options.explain = explain
        options.detach = detach
        if options.tty && options.interactive && !detach && isatty(0) == 0 {
            printError("the input device is not a TTY")
            return 1
        }
        if !detach && options.restart.name != .no {
            throw .invalidArgument("--restart needs -d: a foreground container has no monitor to restart it")
        }
        let runner = ContainerRunner(layout: layout)
        return try container.withImage(layout) { () throws(SwiftrunError) in
            guard detach else { return try runner.run(options) }
            print(try runner.runDetached(options))
            return 0
        }
    }

    func exitCode(for error: SwiftrunError) -> Int32 { error.runExitCode }
}
