import ArgumentParser
import SwiftrunCore

struct PsCommand: StoreCommand {
    static let configuration = CommandConfiguration(commandName: "ps", abstract: "List containers.", aliases: ["ls", "list"])

    @Flag(name: .shortAndLong, help: "Show all containers (default shows just running).")
    var all = false

    @Flag(name: .shortAndLong, help: "Only show container IDs.")
    var quiet = false

    @Option(name: [.customShort("n"), .customLong("last")], help: "Show the N last created containers (all states).")
    var last: Int?

    @Flag(name: [.customShort("l"), .customLong("latest")], help: "Show the latest created container (all states).")
    var latest = false

    @Option(name: [.customShort("f"), .customLong("filter")], help: "Filter: status=, name=, id=, exited=, health= (repeatable).")
    var filters: [String] = []

    @Flag(name: .customLong("no-trunc"), help: "Do not truncate IDs and commands.")
    var noTrunc = false

    @Option(help: "json (one object a line), table, or a template of {{.ID}} {{.Image}} {{.Command}} {{.Status}} {{.Names}} ...")
    var format: String?

    func run(in layout: StoreLayout) throws(SwiftrunError) -> Int32 {
        let control = ContainerControl(layout: layout)
        let health = ContainerHealth(layout: layout)
        let filter = try ContainerFilter(filters)
        // Each container's freezer and health are read once, for the filter and the row alike.
        typealias Listed = (state: ContainerState, status: String, paused: Bool, health: String?)
        var listed: [Listed] = try ContainerStore(layout: layout).all().map { container in
            let paused = control.isPaused(container)
            return (container, container.dockerStatus(paused: paused), paused, health.state(of: container)?.Status)
        }
        // -n and -l, as -a, look at every state; a status filter does too.
        let everyState = all || last != nil || latest || filter.mentionsStatus
        listed = listed.filter { (everyState || $0.state.isActive) && filter.matches($0.state, status: $0.status, health: $0.health) }
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
                "CreatedAt": container.created, "RunningFor": Table.ago(container.created),
                "Status": Table.status(container, paused: entry.paused, health: entry.health),
                "State": entry.status, "Names": container.name,
                "Ports": "", "Mounts": "", "Labels": "", "Networks": "", "Size": ""
            ]
        }
        switch format {
        case "json":
            rows.forEach { print(JSONLine($0)) }
        case let template? where template != "table":
            rows.forEach { row in print(Self.fill(template, with: row)) }
        default:
            var table = Table(["CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "NAMES"])
            for row in rows { table.add([row["ID"]!, row["Image"]!, row["Command"]!, row["RunningFor"]!, row["Status"]!, row["Names"]!]) }
            print(table.render(), terminator: "")
        }
        return 0
    }

    /// "{{.Names}}\t{{.Status}}": each {{.Field}} replaced; "table " dropped.
    static func fill(_ template: String, with row: [String: String]) -> String {
        var text = template.hasPrefix("table ") ? String(template.dropFirst(6)) : template
        text = text.replacing("\\t", with: "\t").replacing("\\n", with: "\n")
        for (key, value) in row { text = text.replacing("{{.\(key)}}", with: value) }
        return text
    }
}

/// `ps --filter`: every key must match; several values for one key match any.
struct ContainerFilter {
    private var wanted: [String: [String]] = [:]

    init(_ filters: [String]) throws(SwiftrunError) {
        for filter in filters {
            let parts = filter.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, ["status", "name", "id", "exited", "health"].contains(parts[0]) else {
                throw .invalidArgument("invalid filter '\(filter)': status=, name=, id=, exited= or health=")
            }
            if parts[0] == "status" && !["created", "running", "paused", "restarting", "exited", "removing", "dead"].contains(parts[1]) {
                throw .invalidArgument("invalid filter 'status=\(parts[1])'")
            }
            wanted[parts[0], default: []].append(parts[1])
        }
    }

    var mentionsStatus: Bool { wanted["status"] != nil || wanted["exited"] != nil }

    func matches(_ container: ContainerState, status: String, health: String?) -> Bool {
        wanted.allSatisfy { key, values in
            values.contains { value in
                switch key {
                case "status": status == value
                // Docker matches names by substring (a regular expression) and ids by prefix.
                case "name": container.name.contains(value)
                case "id": container.id.hasPrefix(value)
                case "exited": status == "exited" && Int32(value) == container.exitCode
                case "health": (health ?? "none") == value
                default: false
                }
            }
        }
    }
}
