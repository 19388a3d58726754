import SwiftrunCore

struct ImagesCommand: StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "images", abstract: "List images.", aliases: ["ls", "list"])

    @Flag("-a", "--all", help: "Show all images (swiftrun keeps no intermediate images, so this is the same list).")
    var all = false

    @Flag("-q", "--quiet", help: "Only show image IDs.")
    var quiet = false

    @Option("--format", help: ListFormat.help("{{.Repository}} {{.Tag}} {{.ID}} {{.CreatedSince}} {{.Size}}"))
    var format: String?

    /// REPOSITORY[:TAG] to list. `images ls` (a popular cheat sheet's
    /// spelling) lists everything, as `image ls` does.
    @Argument("filter", help: "Only images of this REPOSITORY[:TAG].")
    var filter: String?

    func run(in layout: StoreLayout) throws(SwiftrunError) -> Int32 {
        let format = try ListFormat(format)
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
        let rows = images.map { image in
            [
                "ID": image.id.short, "Repository": image.repository, "Tag": image.tag, "Digest": image.id.description,
                "CreatedAt": image.created ?? "", "CreatedSince": DockerWords.ago(image.created), "Size": Table.size(image.size)
            ]
        }
        try format.print(rows, columns: ["Repository", "Tag", "ID", "CreatedSince", "Size"], headers: Self.headers)
        return 0
    }

    /// Docker's column titles for each field a template may name.
    static let headers = [
        "ID": "IMAGE ID", "Repository": "REPOSITORY", "Tag": "TAG", "Digest": "DIGEST", "CreatedAt": "CREATED AT",
        "CreatedSince": "CREATED", "Size": "SIZE"
    ]
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
