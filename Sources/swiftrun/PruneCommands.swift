import Glibc
import SwiftrunCore

/// Docker's question before a prune; true only for an answer of y or yes.
func confirm(_ warning: String) -> Bool {
    print(warning + "\nAre you sure you want to continue? [y/N] ", terminator: "")
    fflush(nil)  // every output stream: the prompt has no newline
    let answer = (readLine() ?? "").lowercased().filter { !$0.isWhitespace }
    return ["y", "yes"].contains(answer)
}

/// "Deleted Images:" and its lines, then a blank line, as Docker prints each block.
func printBlock(_ title: String, _ lines: [String]) {
    guard !lines.isEmpty else { return }
    print(title)
    lines.forEach { print($0) }
    print("")
}

extension ImageStore.Removal {
    /// Docker's lowercase form in prune output: "untagged: x", "deleted: sha256:...".
    var pruneLine: String {
        switch self {
        case let .untagged(name): "untagged: \(name)"
        case let .deleted(id): "deleted: \(id)"
        }
    }
}

struct ImagePruneCommand: StoreCommand {
    static let configuration = CommandConfiguration(commandName: "prune", abstract: "Remove unused images.")

    @Flag("-a", "--all", help: "Remove all unused images, not just dangling ones.")
    var all = false

    @Flag("-f", "--force", help: "Do not prompt for confirmation.")
    var force = false

    func run(in layout: StoreLayout) throws(SwiftrunError) -> Int32 {
        let warning =
            all
            ? "WARNING! This will remove all images without at least one container associated to them."
            : "WARNING! This will remove all dangling images."
        guard force || confirm(warning) else { return 0 }
        let pruned = try ImageStore(layout: layout).prune(all: all, containers: try ContainerStore(layout: layout).all())
        printBlock("Deleted Images:", pruned.removals.map(\.pruneLine))
        print("Total reclaimed space: \(Table.size(pruned.reclaimed))")
        return 0
    }
}

struct ContainerPruneCommand: StoreCommand {
    static let configuration = CommandConfiguration(commandName: "prune", abstract: "Remove all stopped containers.")

    @Flag("-f", "--force", help: "Do not prompt for confirmation.")
    var force = false

    func run(in layout: StoreLayout) throws(SwiftrunError) -> Int32 {
        guard force || confirm("WARNING! This will remove all stopped containers.") else { return 0 }
        let pruned = try ContainerStore(layout: layout).prune()
        printBlock("Deleted Containers:", pruned.ids)
        print("Total reclaimed space: \(Table.size(pruned.reclaimed))")
        return 0
    }
}

struct SystemPruneCommand: StoreCommand {
    static let configuration = CommandConfiguration(commandName: "prune", abstract: "Remove unused data: stopped containers, dangling images, the build cache.")

    @Flag("-a", "--all", help: "Remove all unused images, not just dangling ones.")
    var all = false

    @Flag("-f", "--force", help: "Do not prompt for confirmation.")
    var force = false

    @Flag("--volumes", help: "Prune volumes too.")
    var volumes = false

    func run(in layout: StoreLayout) throws(SwiftrunError) -> Int32 {
        let warning = """
            WARNING! This will remove:
              - all stopped containers
            \(volumes ? "  - all volumes not used by at least one container\n" : "")\
              - \(all ? "all images without at least one container associated to them" : "all dangling images")
              - \(all ? "all build cache" : "all dangling build cache")
            """
        guard force || confirm(warning) else { return 0 }
        let containers = ContainerStore(layout: layout)
        let images = ImageStore(layout: layout)
        let prunedContainers = try containers.prune()
        printBlock("Deleted Containers:", prunedContainers.ids)
        let remaining = try containers.all()
        let prunedImages = try images.prune(all: all, containers: remaining)
        printBlock("Deleted Images:", prunedImages.removals.map(\.pruneLine))
        let prunedVolumes = volumes ? try VolumeStore(layout: layout).prune() : (names: [], bytes: 0)
        printBlock("Deleted Volumes:", prunedVolumes.names)
        let cache = try images.pruneBuildCache(containers: remaining)
        if cache.entries > 0 { printBlock("Deleted build cache objects:", ["\(cache.entries) build steps"]) }
        print("Total reclaimed space: \(Table.size(prunedContainers.reclaimed + prunedImages.reclaimed + prunedVolumes.bytes + cache.reclaimed))")
        return 0
    }
}

struct SystemDfCommand: StoreCommand {
    static let configuration = CommandConfiguration(commandName: "df", abstract: "Show the store's disk usage.")

    @Flag("-v", "--verbose", help: "Show detailed information on space usage.")
    var verbose = false

    func run(in layout: StoreLayout) throws(SwiftrunError) -> Int32 {
        let usage = try StoreUsage(layout: layout)
        guard verbose else {
            var table = Table(["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"])
            for (name, row) in [("Images", usage.images), ("Containers", usage.containers), ("Local Volumes", usage.volumes), ("Build Cache", usage.buildCache)]
            {
                let percent = row.size > 0 ? " (\(Int(Double(row.reclaimable) * 100 / Double(row.size)))%)" : ""
                table.add([name, String(row.total), String(row.active), Table.size(row.size), Table.size(row.reclaimable) + percent])
            }
            print(table.render(), terminator: "")
            return 0
        }
        print("Images space usage:\n")
        var images = Table(["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE", "SHARED SIZE", "UNIQUE SIZE", "CONTAINERS"])
        for detail in usage.imageDetails {
            let summary = detail.summary
            images.add([
                summary.repository, summary.tag, summary.id.short, DockerWords.ago(summary.created),
                Table.size(detail.uniqueSize + detail.sharedSize), Table.size(detail.sharedSize), Table.size(detail.uniqueSize),
                String(detail.containers)
            ])
        }
        print(images.render())
        print("Containers space usage:\n")
        var containers = Table(["CONTAINER ID", "IMAGE", "COMMAND", "LOCAL VOLUMES", "SIZE", "CREATED", "STATUS", "NAMES"])
        for detail in usage.containerDetails {
            let state = detail.state
            containers.add([
                ContainerID.short(state.id), state.image, Table.command(state.command), String(detail.volumes), Table.size(detail.size),
                DockerWords.ago(state.created), DockerWords.status(state), state.name
            ])
        }
        print(containers.render())
        print("Local Volumes space usage:\n")
        var volumes = Table(["VOLUME NAME", "LINKS", "SIZE"])
        for detail in usage.volumeDetails { volumes.add([detail.name, String(detail.links), Table.size(detail.size)]) }
        print(volumes.render())
        print("Build cache usage: \(Table.size(usage.buildCache.size))")
        return 0
    }
}

struct SystemCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "system", abstract: "Manage swiftrun.",
        subcommands: [SystemDfCommand.self, SystemPruneCommand.self, InfoCommand.self, ServiceCommand.self])
}

struct ContainerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "container", abstract: "Manage containers.",
        subcommands: [
            PsCommand.self, ContainerPruneCommand.self, RunCommand.self, CreateCommand.self, RmCommand.self, InspectCommand.self,
            CommitCommand.self, StatsCommand.self, LogsCommand.self, StopCommand.self, StartCommand.self, RestartCommand.self,
            KillCommand.self, WaitCommand.self, PauseCommand.self, UnpauseCommand.self
        ])
}
