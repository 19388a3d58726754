import SwiftrunCore

struct ImagesCommand: StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "images", abstract: "List images.", aliases: ["ls", "list"])

    @Flag("-a", "--all", help: "Show all images (swiftrun keeps no intermediate images, so this is the same list).")
    var all = false

    @Flag("-q", "--quiet", help: "Only show image IDs.")
    var quiet = false

    @Option("--format", help: "Output format: table (default) or json (one JSON object per line).")
    var format: String = "table"

    /// REPOSITORY[:TAG] to list. `images ls` (a popular cheat sheet's
    /// spelling) lists everything, as `image ls` does.
    @Argument("filter", help: "Only images of this REPOSITORY[:TAG].")
    var filter: String?

    func validate() throws(CommandLineError) {
        guard ["table", "json"].contains(format) else { throw .invalid("--format must be table or json") }
    }

    func run(in layout: StoreLayout) throws(SwiftrunError) -> Int32 {
        var images = try ImageStore(layout: layout).list()
        if let filter, filter != "ls" {
            let wanted = try ImageReference(parsing: filter)
            let tagGiven = filter.split(separator: "/").last?.contains(":") ?? false
            images = images.filter { $0.repository == wanted.familiarName && (!tagGiven || $0.tag == wanted.tag) }
        }
        if quiet {
            images.forEach { print($0.id.short) }
            return 0
        }
        if format == "json" {
            for image in images {
                print(
                    JSONLine([
                        "ID": image.id.short, "Repository": image.repository, "Tag": image.tag, "Digest": image.id.description,
                        "CreatedAt": image.created ?? "", "CreatedSince": DockerWords.ago(image.created), "Size": Table.size(image.size)
                    ]))
            }
            return 0
        }
        var table = Table(["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"])
        for image in images {
            table.add([image.repository, image.tag, image.id.short, DockerWords.ago(image.created), Table.size(image.size)])
        }
        print(table.render(), terminator: "")
        return 0
    }
}

/// `swiftrun image ls|rm|inspect|history|tag|load|save|import`, Docker's
/// management-command spellings of the same commands.
struct ImageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "image", abstract: "Manage images.",
        subcommands: [
            ImagesCommand.self, ImageRmCommand.self, InspectCommand.self, HistoryCommand.self,
            TagCommand.self, LoadCommand.self, SaveCommand.self, ImportCommand.self, ImagePruneCommand.self,
            PullCommand.self, BuildCommand.self
        ])
}

struct ImageRmCommand: StoreCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove images (as rmi).")

    @OptionGroup var rmi: RmiCommand

    func run(in layout: StoreLayout) throws(SwiftrunError) -> Int32 { try rmi.run(in: layout) }
}
