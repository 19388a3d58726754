import ArgumentParser
import SwiftrunCore

struct RmCommand: StoreCommand {
    static let configuration = CommandConfiguration(commandName: "rm", _superCommandName: "swiftrun", abstract: "Remove containers.")

    @Flag(name: .shortAndLong, help: "Kill and remove running containers.")
    var force = false

    @Flag(name: .shortAndLong, help: "Remove the containers' anonymous volumes too.")
    var volumes = false

    @Argument(help: "Container IDs (or unique prefixes) or names.")
    var containers: [String]

    func validate() throws {
        if containers.isEmpty { throw ValidationError("rm needs at least one container") }
    }

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
