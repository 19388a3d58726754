import Glibc
import SwiftrunCore

/// runc's command line, from main.swift: every error is one line on
/// stderr and, with --log, a line of the engine's log file; exit code 1.
func runRuntimeCLI(_ given: [String]) -> Never {
    var arguments = given
    var log = RuntimeLog(path: nil, format: .text)
    func fail(_ message: String) -> Never {
        log.write("error", message)
        printError("swiftrun: " + message)
        exit(1)
    }
    let globals: RuntimeGlobals
    let parsed: CommandLineParser.Outcome
    do {
        globals = try RuntimeGlobals.extract(from: &arguments, environment: environmentVariable)
    } catch {
        fail("\(error)")
    }
    log = globals.log
    do {
        parsed = try CommandLineParser(root: RuntimeCLI.self).parse(arguments)
    } catch {
        fail("\(error)")
    }
    switch parsed {
    case let .text(text):
        print(text, terminator: "")
        exit(0)
    case let .command(command):
        guard case let .runtime(verb) = command.role else { preconditionFailure("\(type(of: command)) is not a RuntimeVerb") }
        do throws(SwiftrunError) {
            guard geteuid() == 0 else { throw .notRoot }
            exit(try verb.run(globals))
        } catch {
            fail("\(error)")
        }
    }
}
