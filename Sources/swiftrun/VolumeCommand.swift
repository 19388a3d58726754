import SwiftrunCore

/// `swiftrun volume ...`: Docker's volume verbs over VolumeStore.
struct VolumeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "volume", abstract: "Manage volumes.",
        subcommands: [VolumeCreateCommand.self, VolumeListCommand.self, VolumeInspectCommand.self, VolumeRemoveCommand.self, VolumePruneCommand.self])
}

struct VolumeCreateCommand: StoreCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a volume (or answer with the one of that name).")

    @Option("-d", "--driver", help: "Only local.")
    var driver = "local"

    @Option("--label", help: "A label: KEY=VALUE.")
    var label: [String] = []

    @Argument("name", help: "The volume's name (default: 64 random hex digits).")
    var name: String?

    func run(in layout: StoreLayout) throws(SwiftrunError) -> Int32 {
        guard driver == "local" else { throw .invalidArgument("error looking up volume plugin \(driver): plugin \"\(driver)\" not found") }
        let labels = Dictionary(label.map(RunOptions.label), uniquingKeysWith: { $1 })
        print(try VolumeStore(layout: layout).create(name, labels: labels).name)
        return 0
    }
}

struct VolumeListCommand: StoreCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List volumes.", aliases: ["list"])

    @Flag("-q", "--quiet", help: "Only the names.")
    var quiet = false

    @Option("-f", "--filter", help: "Filter: dangling=true|false, name=TEXT, label=KEY[=VALUE], driver=local.")
    var filter: [String] = []

    @Option("--format", help: ListFormat.help("{{.Name}} {{.Driver}} {{.Mountpoint}}"))
    var format: String?

    func run(in layout: StoreLayout) throws(SwiftrunError) -> Int32 {
        let format = try ListFormat(format)
        let store = VolumeStore(layout: layout)
        var filters: [String: [String]] = [:]
        for text in filter {
            let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw .invalidArgument("bad format of filter (expected name=value): \(text)") }
            filters[parts[0], default: []].append(parts[1])
        }
        let volumes = try store.list(filters: filters)
        if quiet {
            volumes.forEach { print($0.Name) }
            return 0
        }
        let rows = volumes.map { volume in
            [
                "Name": volume.Name, "Driver": volume.Driver, "Scope": volume.Scope, "Mountpoint": volume.Mountpoint,
                "Labels": ListFormat.labels(volume.Labels), "Links": "N/A", "Size": "N/A"
            ]
        }
        try format.print(rows, columns: ["Driver", "Name"], headers: Self.headers, of: .volumes)
        return 0
    }

    /// Docker's column titles for each field a template may name.
    static let headers = [
        "Name": "VOLUME NAME", "Driver": "DRIVER", "Scope": "SCOPE", "Mountpoint": "MOUNTPOINT", "Labels": "LABELS", "Links": "LINKS",
        "Size": "SIZE"
    ]
}

struct VolumeInspectCommand: StoreCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Show volumes as JSON.")

    @Option("-f", "--format", help: InspectFormat.help)
    var format: String?

    @Argument("volumes", help: "Volume names.")
    var volumes: [String]

    func run(in layout: StoreLayout) throws(SwiftrunError) -> Int32 {
        let template = try InspectFormat.template(format)
        var documents: [VolumeDocument] = []
        let code = forEachArgument(volumes) { (name) throws(SwiftrunError) in documents.append(try VolumeStore(layout: layout).find(name)) }
        if let template {
            let encoded = try documents.map { (document) throws(SwiftrunError) in (try JSON.encode(document), GoStruct.volume) }
            return InspectFormat.print(encoded, with: template) == 0 ? code : 1
        } else {
            print(try JSON.encodePretty(documents))
        }
        return code
    }
}

struct VolumeRemoveCommand: StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm", abstract: "Remove volumes; one that a container mounts is refused.", aliases: ["remove"])

    @Flag("-f", "--force", help: "A missing volume is not an error.")
    var force = false

    @Argument("volumes", help: "Volume names.")
    var volumes: [String]

    func run(in layout: StoreLayout) throws(SwiftrunError) -> Int32 {
        forEachArgument(volumes) { (name) throws(SwiftrunError) in
            do throws(SwiftrunError) {
                try VolumeStore(layout: layout).remove(name)
            } catch .volumeNotFound where force {}
            print(name)
        }
    }
}

struct VolumePruneCommand: StoreCommand {
    static let configuration = CommandConfiguration(commandName: "prune", abstract: "Remove volumes no container mounts.")

    @Flag("-f", "--force", help: "Do not prompt for confirmation.")
    var force = false

    func run(in layout: StoreLayout) throws(SwiftrunError) -> Int32 {
        guard force || confirm("WARNING! This will remove all local volumes not used by at least one container.") else { return 0 }
        let pruned = try VolumeStore(layout: layout).prune()
        printBlock("Deleted Volumes:", pruned.names)
        print("Total reclaimed space: \(Table.size(pruned.bytes))")
        return 0
    }
}
