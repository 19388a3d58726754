import ArgumentParser
import SwiftrunCore

struct ImagesCommand: StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "images", abstract: "List images.", aliases: ["ls"])

    @Flag(name: .shortAndLong, help: "Show all images (swiftrun keeps no intermediate images yet, so this is the same list).")
    var all = false

    @Flag(name: .shortAndLong, help: "Only show image IDs.")
    var quiet = false

    func run(in layout: StoreLayout) throws(SwiftrunError) -> Int32 {
        let images = try ImageStore(layout: layout).list()
        if quiet {
            images.forEach { print($0.id.short) }
            return 0
        }
        var table = Table(["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"])
        for image in images {
            table.add([image.repository, image.tag, image.id.short,
                       Table.ago(image.created), Table.size(image.size)])
        }
        print(table.render(), terminator: "")
        return 0
    }
}
