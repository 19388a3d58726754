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

    @Option("--format", help: "json (one object a line), table, or a template of {{.ID}} {{.Image}} {{.Command}} {{.Status}} {{.Names}} ...")
    var format: String?

    func run(in layout: StoreLayout) throws(SwiftrunError) -> Int32 {
        // -n and -l, as -a, look at every state.
        var listed = try ListedContainer.list(layout, all: all || last != nil || latest, filter: try ContainerFilter(filters))
        if let limit = latest ? 1 : last, limit >= 0 { listed = Array(listed.prefix(limit)) }
        if quiet {
            listed.forEach { print(noTrunc ? $0.state.id : ContainerID.short($0.state.id)) }
            return 0
        }
        let rows = listed.map { entry in
            let container = entry.state
            let command = noTrunc ? "\"" + container.command.joined(separator: " ") + "\"" : Table.command(container.command)
            return [
                "ID": noTrunc ? container.id : ContainerID.short(container.id), "Image": container.image, "Command": command,
                "CreatedAt": container.created, "RunningFor": DockerWords.ago(container.created),
                "Status": DockerWords.status(container, paused: entry.paused, health: entry.health),
                "State": entry.status, "Names": container.name,
                "Labels": (container.labels ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","),
                "Ports": "", "Mounts": "", "Networks": "", "Size": ""
            ]
        }
        switch format {
        case "json":
            rows.forEach { print(JSONLine($0)) }
        case let template? where template != "table":
            let parsed = try Self.template(template)
            for row in rows { print(try parsed.render(strings: row)) }
        default:
            var table = Table(["CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "NAMES"])
            for row in rows { table.add([row["ID"]!, row["Image"]!, row["Command"]!, row["RunningFor"]!, row["Status"]!, row["Names"]!]) }
            print(table.render(), terminator: "")
        }
        return 0
    }

    /// "{{.Names}}\t{{.Status}}": a Go template over the row; "table "
    /// dropped, and a literal \t or \n made a tab or newline, as Docker's
    /// formatter does before it parses.
    static func template(_ format: String) throws(SwiftrunError) -> GoTemplate {
        try GoTemplate(
            (format.hasPrefix("table ") ? String(format.dropFirst(6)) : format)
                .replacingEvery("\\t", with: "\t").replacingEvery("\\n", with: "\n"))
    }
}
