import SwiftrunCore

struct RmiCommand: StoreCommand {
    static let configuration = CommandConfiguration(commandName: "rmi", abstract: "Remove images.")

    @Flag("-f", "--force", help: "Remove even if containers use the image or it has several names.")
    var force = false

    @Argument("images", help: "Images: NAME[:TAG] or IDs.")
    var images: [String]

    func run(in layout: StoreLayout) throws(SwiftrunError) -> Int32 {
        let store = ImageStore(layout: layout)
        let containers = try ContainerStore(layout: layout).all()
        var deleted = Set<String>()
        return forEachArgument(images) { (name) throws(SwiftrunError) in
            // `rmi -f $(swiftrun images -aq)` names an image once per tag:
            // each is removed once, and later mentions of it are done already.
            guard !deleted.contains(where: { $0.hasPrefix(name) }) else { return }
            for removal in try store.remove(name, force: force, containers: containers) {
                print(removal)
                if case let .deleted(id) = removal { deleted.insert(id.hex) }
            }
        }
    }
}

struct TagCommand: StoreCommand {
    static let configuration = CommandConfiguration(commandName: "tag", abstract: "Give an image another name.")

    @Argument("source", help: "The image: NAME[:TAG] or ID.")
    var source: String

    @Argument("target", help: "The new NAME[:TAG].")
    var target: String

    func run(in layout: StoreLayout) throws(SwiftrunError) -> Int32 {
        try ImageStore(layout: layout).tag(source, as: try ImageReference(parsing: target).requiringTag())
        return 0
    }
}

struct HistoryCommand: StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "history", abstract: "Show how an image was made, newest step first.")

    @Flag("-q", "--quiet", help: "Only show image IDs.")
    var quiet = false

    @Argument("image", help: "The image: NAME[:TAG] or ID.")
    var image: String

    func run(in layout: StoreLayout) throws(SwiftrunError) -> Int32 {
        let found = try ImageStore(layout: layout).image(image)
        let history = found.configuration.history ?? []
        if quiet {
            print(found.id.short)
            return 0
        }
        var table = Table(["IMAGE", "CREATED", "CREATED BY", "COMMENT"])
        for (i, step) in history.enumerated().reversed() {
            table.add([
                i == history.count - 1 ? found.id.short : "<missing>", DockerWords.ago(step.created),
                Table.truncate(step.created_by ?? "", 45), step.comment ?? ""
            ])
        }
        print(table.render(), terminator: "")
        return 0
    }
}
