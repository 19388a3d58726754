import SwiftrunCore

struct CommitCommand: StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "commit", abstract: "Create a new image from a container's changes.")

    @Option("-m", "--message", help: "A comment for the new layer's history.")
    var message: String?

    @Flag("-p", "--pause", help: "Pause the container while committing.")
    var pause = true

    @Argument("container", help: "The container: name or ID.")
    var container: String

    @Argument("reference", help: "NAME[:TAG] for the new image.")
    var reference: String?

    func run(in layout: StoreLayout) throws(SwiftrunError) -> Int32 {
        let target = try reference.map { (text) throws(SwiftrunError) in try ImageReference(parsing: text).requiringTag() }
        let image = try ContainerCommitter(layout: layout).commit(container, as: target, message: message, pause: pause)
        print(image.id)
        return 0
    }
}
