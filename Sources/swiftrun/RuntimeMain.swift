import ArgumentParser
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
    let command: any ParsableCommand
    do {
        globals = try RuntimeGlobals.extract(from: &arguments, environment: environmentVariable)
        log = globals.log
        command = try RuntimeCLI.parseSubcommand(arguments) { $0 is any RuntimeVerb }
    } catch let error as SwiftrunError {
        fail("\(error)")
    } catch {
        if RuntimeCLI.exitCode(for: error) == .success { RuntimeCLI.exit(withError: error) }
        fail(RuntimeCLI.message(for: error).split(separator: "\n").joined(separator: "; "))
    }
    guard let verb = command as? any RuntimeVerb else {
        var help = command
        do { try help.run() } catch { RuntimeCLI.exit(withError: error) }
        exit(0)
    }
    do {
        guard geteuid() == 0 else { throw SwiftrunError.notRoot }
        exit(try verb.run(globals))
    } catch let error as SwiftrunError {
        fail("\(error)")
    } catch {
        fail("\(error)")
    }
}
