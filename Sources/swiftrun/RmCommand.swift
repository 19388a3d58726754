import SwiftrunCore

struct RmCommand: StoreCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove containers.")

    @Flag("-f", "--force", help: "Kill and remove running containers.")
    var force = false

    @Flag("-v", "--volumes", help: "Remove the containers' anonymous volumes too.")
    var volumes = false

    @Argument("containers", help: "Container IDs (or unique prefixes) or names.")
    var containers: [String]

    func run(in layout: StoreLayout) throws(SwiftrunError) -> Int32 {
        let store = ContainerStore(layout: layout)
        let images = ImageStore(layout: layout)
        return forEachArgument(containers) { (key) throws(SwiftrunError) in
            do throws(SwiftrunError) {
                try store.remove(key, force: force, volumes: volumes)
                print(key)
            } catch .containerNotFound(let name) where (try? images.image(name)) != nil {
                // A popular cheat sheet says `rm` deletes images.
                throw .invalidArgument("no such container: \(name); \(name) is an image: remove it with `swiftrun rmi \(name)`")
            }
        }
    }
}
