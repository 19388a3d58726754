import SwiftrunCore

struct PsCommand: StoreCommand {
    static let configuration = CommandConfiguration(commandName: "ps", abstract: "List containers.", aliases: ["ls", "list"])

    @Flag("-a", "--all", help: "Show all containers (default shows just running).")
    var all = false

    @Flag("-q", "--quiet", help: "Only show container IDs.")
    var quiet = false

    @Option("-n", "--last", help: "Show the N last created containers (all states).")
    var last: Int?

    @Flag("-l", "--latest", help: "Show the latest created container (all states).")
    var latest = false

    @Option("-f", "--filter", help: "Filter: status=, name=, id=, label=, exited=, health= (repeatable).")
    var filters: [String] = []

    @Flag("--no-trunc", help: "Do not truncate IDs and commands.")
    var noTrunc = false

    @Flag("-s", "--size", help: "Show each container's size: its writable layer, and with its image (virtual).")
    var size = false

    @Option("--format", help: ListFormat.help("{{.ID}} {{.Image}} {{.Command}} {{.Status}} {{.Names}}"))
    var format: String?

    func run(in layout: StoreLayout) throws(SwiftrunError) -> Int32 {
        let format = try ListFormat(format)
        // -n and -l, as -a, look at every state.
        var listed = try ListedContainer.list(layout, all: all || last != nil || latest, filter: try ContainerFilter(filters))
        if let limit = latest ? 1 : last, limit >= 0 { listed = Array(listed.prefix(limit)) }
        if quiet {
            listed.forEach { print(noTrunc ? $0.state.id : ContainerID.short($0.state.id)) }
            return 0
        }
        var ports = ContainerPorts(layout: layout)
        // Docker's CLI measures sizes, as -s does, for a template that shows .Size.
        let size = size || format.mentions("Size")
        let imageSizes = size ? Dictionary((try ImageStore(layout: layout).list()).map { ($0.id, $0.size) }, uniquingKeysWith: { first, _ in first }) : [:]
        let store = ContainerStore(layout: layout)
        let mountsShown = format.mentions("Mounts") || format.mentions("LocalVolumes")
        let rows = listed.map { entry in
            let container = entry.state
            let mounts = mountsShown ? Inspection.mountWords(of: container.id, layout: layout) : (mounts: [], localVolumes: 0)
            let command = noTrunc ? "\"" + container.command.joined(separator: " ") + "\"" : Table.command(container.command)
            return [
                "ID": noTrunc ? container.id : ContainerID.short(container.id), "Image": container.image, "Command": command,
                "CreatedAt": DockerWords.createdAt(container.created), "RunningFor": DockerWords.ago(container.created),
                "Status": DockerWords.status(container, paused: entry.paused, health: entry.health),
                "State": entry.status, "Names": container.name,
                "Labels": ListFormat.labels(container.labels ?? [:]),
                "Ports": ContainerPorts.words(ports.of(container)), "Networks": Self.networks(container),
                "Mounts": mounts.mounts.map { noTrunc || $0.count <= 15 ? $0 : $0.prefix(14) + "…" }.joined(separator: ","),
                "LocalVolumes": String(mounts.localVolumes),
                "Size": size ? Self.size(store.writableSize(container.id), image: imageSizes[container.imageID] ?? 0) : ""
            ]
        }
        let columns = ["ID", "Image", "Command", "RunningFor", "Status", "Ports", "Names"] + (size ? ["Size"] : [])
        try format.print(rows, columns: columns, headers: Self.headers, of: .containers)
        return 0
    }

    /// Docker's SIZE: "2B (virtual 1.24MB)".
    private static func size(_ writable: Int64, image: Int64) -> String {
        Table.size(writable) + " (virtual " + Table.size(writable + image) + ")"
    }

    /// The network a container was started on, by name, as Docker's
    /// .Networks; none for another container's.
    private static func networks(_ container: ContainerState) -> String {
        let mode = container.network?.mode ?? "none"
        return mode.hasPrefix("container:") ? "" : mode
    }

    /// Docker's column titles for each field a template may name.
    static let headers = [
        "ID": "CONTAINER ID", "Image": "IMAGE", "Command": "COMMAND", "CreatedAt": "CREATED AT", "RunningFor": "CREATED",
        "Status": "STATUS", "State": "STATE", "Names": "NAMES", "Labels": "LABELS", "Ports": "PORTS", "Mounts": "MOUNTS",
        "LocalVolumes": "LOCAL VOLUMES", "Networks": "NETWORKS", "Size": "SIZE"
    ]
}
