import ArgumentParser
import Glibc
import SwiftrunCore

struct RunCommand: StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run a command in a new container.",
        helpNames: [.long])  // -h is --hostname, as in Docker

    @Flag(name: .customLong("rm"), help: "Remove the container when it exits.")
    var autoRemove = false

    /// `docker run -rm` from a popular cheat sheet: accepted, with a note.
    @Flag(name: .customLong("rm", withSingleDash: true), help: .hidden)
    var autoRemoveOneDash = false

    @Option(help: "Name the container.")
    var name: String?

    @Option(name: [.customShort("e"), .customLong("env")], help: "Set an environment variable (KEY=VALUE, or KEY to pass the host's).")
    var environment: [String] = []

    @Option(name: [.customShort("w"), .customLong("workdir")], help: "Working directory inside the container.")
    var workingDirectory: String?

    @Option(name: [.customShort("h"), .customLong("hostname")], help: "Container hostname (default: the short id).")
    var hostname: String?

    @Argument(help: "The image: NAME[:TAG] or an image ID.")
    var image: String

    @Argument(parsing: .captureForPassthrough, help: "The command and its arguments (default: the image's).")
    var command: [String] = []

    func run(in layout: StoreLayout) throws(SwiftrunError) -> Int32 {
        if autoRemoveOneDash {
            printError("swiftrun: note: the flag is spelled --rm (two dashes); treating -rm as --rm")
        }
        var options = RunOptions(image: image)
        options.command = command
        options.autoRemove = autoRemove || autoRemoveOneDash
        options.name = name
        options.environment = environment
        options.workingDirectory = workingDirectory
        options.hostname = hostname
        return try ContainerRunner(layout: layout).run(options)
    }

    func exitCode(for error: SwiftrunError) -> Int32 { error.runExitCode }
}
