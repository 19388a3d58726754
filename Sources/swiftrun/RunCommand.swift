import ArgumentParser
import Glibc
import SwiftrunCore

struct RunCommand: StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", _superCommandName: "swiftrun", abstract: "Run a command in a new container.",
        helpNames: [.long])  // -h is --hostname, as in Docker

    /// `docker run -rm` from a popular cheat sheet: accepted, with a note.
    @Flag(name: .customLong("rm", withSingleDash: true), help: .hidden)
    var autoRemoveOneDash = false

    @Flag(name: .shortAndLong, help: "Run in the background under a monitor, and print the container's ID.")
    var detach = false

    /// `--explain` alone means text; main.swift spells it `--explain=text`
    /// for ArgumentParser, which has no options with an optional value.
    @Option(help: "Narrate every isolation step on stderr: --explain, --explain=json; or draw them: --explain=svg:FILE.")
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

    /// The options that take a value, so that `--explain` is recognised
    /// only among swiftrun's flags and never in the container's command.
    static let optionsWithValues: Set<String> = Set([
        "--name", "-e", "--env", "-l", "--label", "-w", "--workdir", "-h", "--hostname", "--entrypoint", "-u", "--user",
        "--cap-add", "--cap-drop", "--security-opt", "--tmpfs", "-v", "--volume", "--device", "--ulimit",
        "-m", "--memory", "--memory-swap", "--memory-reservation", "--cpus", "-c", "--cpu-shares", "--cpuset-cpus", "--pids-limit",
        "--pull", "--platform", "--tls-verify", "--cert-dir", "--restart", "--log-driver", "--log-opt", "--stop-signal", "--stop-timeout"
    ]).union(NetworkFlags.optionsWithValues)

    /// Rewrites a bare `--explain` before the image to `--explain=text`.
    static func spellExplain(_ arguments: [String]) -> [String] {
        guard arguments.first == "run" else { return arguments }
        var result = arguments
        var index = 1
        while index < result.count {
            let argument = result[index]
            if !argument.hasPrefix("-") { break }  // the image: the container's command follows
            if argument == "--explain" { result[index] = "--explain=text" }
            index += optionsWithValues.contains(argument) ? 2 : 1
        }
        return result
    }
}
