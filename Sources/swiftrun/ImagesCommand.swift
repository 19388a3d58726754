import SwiftrunCore

struct ImagesCommand: StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "images", abstract: "List images.", aliases: ["ls", "list"])

    @Flag("-a", "--all", help: "Show all images (swiftrun keeps no intermediate images, so this is the same list).")
    var all = false

    @Flag("-q", "--quiet", help: "Only show image IDs.")
    var quiet = false

    @Option("-f", "--filter", help: "Filter: dangling=true|false, label=KEY[=VALUE], reference=PATTERN, before=IMAGE, since=IMAGE (repeatable).")
    var filters: [String] = []

    @Flag("--no-trunc", help: "Show whole image IDs.")
    var noTrunc = false

    @Flag("--digests", help: "Show digests.")
    var digests = false

    @Option("--format", help: ListFormat.help("{{.Repository}} {{.Tag}} {{.ID}} {{.CreatedSince}} {{.Size}}"))
    var format: String?

    /// REPOSITORY[:TAG] to list. `images ls` (a popular cheat sheet's
    /// spelling) lists everything, as `image ls` does.
    @Argument("filter", help: "Only images of this REPOSITORY[:TAG].")
    var filter: String?

    func run(in layout: StoreLayout) throws(SwiftrunError) -> Int32 {
        let format = try ListFormat(format)
        let store = ImageStore(layout: layout)
        let imageFilter = try ImageFilter(filters, store: store)
        var images = try store.list().filter(imageFilter.matches)
        if let filter, filter != "ls" {
            let wanted = try ImageReference(parsing: filter)
            let tagGiven = filter.split(separator: "/").last?.contains(":") ?? false
            images = images.filter { $0.repository == wanted.familiarName && (!tagGiven || $0.tag == wanted.tag) }
        }
        let id = { (image: ImageSummary) in noTrunc ? image.id.description : image.id.short }
        if quiet {
            images.forEach { print(id($0)) }
            return 0
        }
        let rows = images.map { image in
            [
                "ID": id(image), "Repository": image.repository, "Tag": image.tag,
                // The manifest digest that inspect's RepoDigests name.
                "Digest": image.isDangling ? "<none>" : image.manifestDigest.description,
                "CreatedAt": DockerWords.createdAt(image.created), "CreatedSince": DockerWords.ago(image.created), "Size": Table.size(image.size),
                "VirtualSize": Table.size(image.size, significant: 4), "Containers": "N/A", "SharedSize": "N/A", "UniqueSize": "N/A"
            ]
        }
        let columns = ["Repository", "Tag"] + (digests ? ["Digest"] : []) + ["ID", "CreatedSince", "Size"]
        try format.print(rows, columns: columns, headers: Self.headers, of: .images)
        return 0
    }

    /// Docker's column titles for each field a template may name.
    static let headers = [
        "ID": "IMAGE ID", "Repository": "REPOSITORY", "Tag": "TAG", "Digest": "DIGEST", "CreatedAt": "CREATED AT",
        "CreatedSince": "CREATED", "Size": "SIZE", "VirtualSize": "VIRTUAL SIZE", "Containers": "CONTAINERS",
        "SharedSize": "SHARED SIZE", "UniqueSize": "UNIQUE SIZE"
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
