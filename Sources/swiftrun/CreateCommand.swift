import SwiftrunCore

/// `swiftrun create`: a container made and recorded, not started; `start`
/// runs it under a monitor, as after `run -d`. Prints the full id.
struct CreateCommand: StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Create a new container without starting it.",
        shortHelp: false)  // -h is --hostname, as in Docker

    @OptionGroup var container: ContainerFlags

    func run(in layout: StoreLayout) throws(SwiftrunError) -> Int32 {
        let options = try container.options()
        let runner = ContainerRunner(layout: layout)
        print(try container.withImage(layout) { () throws(SwiftrunError) in try runner.createStopped(options) })
        return 0
    }

    func exitCode(for error: SwiftrunError) -> Int32 { error.runExitCode }
}
