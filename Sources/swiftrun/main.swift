import ArgumentParser
import Glibc
import SwiftrunCore

/// Entry point. Every error ends as one line on stderr and Docker's exit
/// code, never a backtrace: 125 for a bad flag or a failed `run`, 126/127 when
/// the container's command cannot run, 1 for other commands' failures.
func printError(_ message: String) {
    var line = message + "\n"
    line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}

var arguments = Array(CommandLine.arguments.dropFirst())
if let runtimeArguments = RuntimeDispatch.runtimeArguments(arguments, environment: environmentVariable) {
    runRuntimeCLI(runtimeArguments)
}
let command: any ParsableCommand
let global: GlobalOptions
do {
    global = try GlobalOptions.extract(from: &arguments, environment: environmentVariable)
    command = try Swiftrun.parseSubcommand(RunCommand.spellExplain(arguments)) { $0 is any StoreCommand }
} catch let error as SwiftrunError {
    printError("swiftrun: \(error)")
    exit(125)
} catch {
    if Swiftrun.exitCode(for: error) == .success {
        Swiftrun.exit(withError: error)  // --help, help SUBCOMMAND: the right command's help
    }
    printError("swiftrun: " + Swiftrun.message(for: error).split(separator: "\n").joined(separator: "; "))
    exit(125)
}

guard let storeCommand = command as? any StoreCommand else {
    // `swiftrun` alone, `--help` and `help CMD`: ArgumentParser's own commands print help.
    var helpCommand = command
    do { try helpCommand.run() } catch { Swiftrun.exit(withError: error) }
    exit(0)
}
do {
    guard geteuid() == 0 else { throw SwiftrunError.notRoot }
    let layout = StoreLayout(root: global.root)
    for (id, error) in try ContainerStore(layout: layout).recover() {
        printError("swiftrun: warning: could not finish cleaning up container \(ContainerID.short(id)): \(error)")
    }
    exit(try storeCommand.run(in: layout))
} catch let error as SwiftrunError {
    printError("swiftrun: \(error)")
    exit(storeCommand.exitCode(for: error))
}
