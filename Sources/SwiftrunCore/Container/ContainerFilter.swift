import Glibc

/// One row of `ps`, or of the Engine API's container list: the state, and
/// what takes a read of its cgroup or health file to know, read once.
public struct ListedContainer: Sendable {
    public var state: ContainerState
    /// Docker's State word: created, running, paused, restarting, exited.
    public var status: String
    public var paused: Bool
    public var health: String?

    /// Newest first. Without `all`, only the running ones, unless the
    /// filter asks for a status.
    public static func list(_ layout: StoreLayout, all: Bool, filter: ContainerFilter) throws(SwiftrunError) -> [ListedContainer] {
        let control = ContainerControl(layout: layout)
        let health = ContainerHealth(layout: layout)
        let everyState = all || filter.mentionsStatus
        return try ContainerStore(layout: layout).all().compactMap { container in
            guard everyState || container.isActive else { return nil }
            let paused = control.isPaused(container)
            let listed = ListedContainer(
                state: container, status: container.dockerStatus(paused: paused), paused: paused, health: health.state(of: container)?.Status)
            return filter.matches(container, status: listed.status, health: listed.health) ? listed : nil
        }
    }
}

/// `ps --filter`: every key must match; several values for one key match any.
public struct ContainerFilter: Sendable {
    private var wanted: [String: [String]] = [:]

    public init(_ filters: [String]) throws(SwiftrunError) {
        for filter in filters {
            let parts = filter.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, ["status", "name", "id", "label", "exited", "health"].contains(parts[0]) else {
                throw .invalidArgument("invalid filter '\(filter)': status=, name=, id=, label=, exited= or health=")
            }
            if parts[0] == "status" && !["created", "running", "paused", "restarting", "exited", "removing", "dead"].contains(parts[1]) {
                throw .invalidArgument("invalid filter 'status=\(parts[1])'")
            }
            wanted[parts[0], default: []].append(parts[1])
        }
    }

    public var mentionsStatus: Bool { wanted["status"] != nil || wanted["exited"] != nil }

    public func matches(_ container: ContainerState, status: String, health: String?) -> Bool {
        wanted.allSatisfy { key, values in
            values.contains { value in
                switch key {
                case "status": status == value
                // Docker matches names by substring (a regular expression) and ids by prefix.
                case "name": container.name.contains(text: value)
                case "id": container.id.hasPrefix(value)
                case "label": Self.hasLabel(container.labels ?? [:], value)
                case "exited": status == "exited" && Int32(value) == container.exitCode
                case "health": (health ?? "none") == value
                default: false
                }
            }
        }
    }

    /// label=KEY, or label=KEY=VALUE: the rule Docker's filters share
    /// for containers, networks and images.
    public static func hasLabel(_ labels: [String: String], _ wanted: String) -> Bool {
        let pair = wanted.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        return pair.count == 2 ? labels[pair[0]] == pair[1] : labels[wanted] != nil
    }
}
