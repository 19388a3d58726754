import Glibc
import SwiftrunCore

/// Entry point. Every error ends as one line on stderr and Docker's exit
/// code, never a backtrace: 125 for a bad flag or a failed `run`, 126/127 when
/// the container's command cannot run, 1 for other commands' failures.
func printError(_ message: String) {
    var line = message + "\n"
    line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}

/// Docker's command line (or runc's, for an engine) to its exit code.
/// A function, not top-level code: without _Concurrency (Package.swift)
/// there is no main actor to keep main.swift's globals on.
func runCommandLine(_ given: [String]) -> Never {
    var arguments = given
    if let runtimeArguments = RuntimeDispatch.runtimeArguments(arguments, environment: environmentVariable) {
        runRuntimeCLI(runtimeArguments)
    }
    let global: GlobalOptions
    let parsed: CommandLineParser.Outcome
    do {
        global = try GlobalOptions.extract(from: &arguments, environment: environmentVariable)
    } catch {
        printError("swiftrun: \(error)")
        exit(125)
    }
    do {
        parsed = try CommandLineParser(root: Swiftrun.self).parse(arguments)
    } catch {
        printError("swiftrun: \(error)")
        exit(error.error.exitCode)
    }

    switch parsed {
    case let .text(text):
        print(text, terminator: "")
        exit(0)
    case let .command(parsed):
        switch parsed.role {
        case let .version(version):  // needs no store, and no root
            version.run()
            exit(0)
        case let .store(command):
            do throws(SwiftrunError) {
                guard geteuid() == 0 else { throw .notRoot }
                let layout = StoreLayout(root: global.root)
                for (id, error) in try ContainerStore(layout: layout).recover() {
                    printError("swiftrun: warning: could not finish cleaning up container \(ContainerID.short(id)): \(error)")
                }
                exit(try command.run(in: layout))
            } catch {
                printError("swiftrun: \(error)")
                exit(command.exitCode(for: error))
            }
        case .group, .runtime:
            preconditionFailure("\(type(of: parsed)) is neither a StoreCommand nor VersionCommand")
        }
    }
}

runCommandLine(Array(CommandLine.arguments.dropFirst()))
