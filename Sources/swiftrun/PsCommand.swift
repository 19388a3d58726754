import ArgumentParser
import SwiftrunCore

struct PsCommand: StoreCommand {
    static let configuration = CommandConfiguration(commandName: "ps", abstract: "List containers.", aliases: ["ls", "list"])

    @Flag(name: .shortAndLong, help: "Show all containers (default shows just running).")
    var all = false

    @Flag(name: .shortAndLong, help: "Only show container IDs.")
    var quiet = false

    func run(in layout: StoreLayout) throws(SwiftrunError) -> Int32 {
        let containers = try ContainerStore(layout: layout).all().filter { all || $0.isActive }
        if quiet {
            containers.forEach { print(ContainerID.short($0.id)) }
            return 0
        }
        let control = ContainerControl(layout: layout)
        var table = Table(["CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "NAMES"])
        for container in containers {
            table.add([
                ContainerID.short(container.id), container.image, Table.command(container.command),
                Table.ago(container.created), Table.status(container, paused: control.isPaused(container)), container.name
            ])
        }
        print(table.render(), terminator: "")
        return 0
    }
}
