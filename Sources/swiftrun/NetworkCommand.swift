import SwiftrunCore

/// `swiftrun network ...`: Docker's network verbs over NetworkStore.
struct NetworkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "network", abstract: "Manage networks.",
        subcommands: [
            NetworkCreateCommand.self, NetworkListCommand.self, NetworkInspectCommand.self, NetworkRemoveCommand.self,
            NetworkPruneCommand.self, NetworkConnectCommand.self, NetworkDisconnectCommand.self
        ])
}

struct NetworkCreateCommand: StoreCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a bridge network.")

    @Option("-d", "--driver", help: "Only bridge.")
    var driver = "bridge"

    @Option("--subnet", help: "The subnet, in CIDR form (default: a free one of 172.17-31.0.0/16, 192.168.0.0/20...).")
    var subnet: String?

    @Option("--gateway", help: "The gateway's address (default: the subnet's first).")
    var gateway: String?

    @Flag("--internal", help: "No route out of the network, no NAT.")
    var `internal` = false

    @Option("--label", help: "A label: KEY=VALUE.")
    var label: [String] = []

    @Option("-o", "--opt", help: "A driver option: com.docker.network.driver.mtu=N (default 65535).")
    var options: [String] = []

    @Argument("name", help: "The network's name.")
    var name: String

    func run(in layout: StoreLayout) throws(SwiftrunError) -> Int32 {
        guard driver == "bridge" else { throw .invalidArgument("plugin \"\(driver)\" not found: swiftrun has the bridge driver only") }
        let parsedSubnet = try subnet.map { (text) throws(SwiftrunError) -> IPv4Subnet in
            guard let value = IPv4Subnet(text) else { throw .invalidArgument("invalid subnet \(text): an IPv4 CIDR such as 10.20.0.0/16") }
            return value
        }
        let parsedGateway = try gateway.map { (text) throws(SwiftrunError) -> IPv4Address in
            guard let value = IPv4Address(text) else { throw .invalidArgument("invalid gateway \(text): not an IPv4 address") }
            return value
        }
        var mtu: Int?
        for option in options {
            let parts = option.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, parts[0] == NetworkDefinition.mtuOption else {
                throw .invalidArgument("unsupported driver option \"\(option)\": swiftrun's bridge takes \(NetworkDefinition.mtuOption)=N only")
            }
            guard let value = Int(parts[1]), (68...65535).contains(value) else {
                throw .invalidArgument("invalid MTU \"\(parts[1])\": a number from 68 to 65535")
            }
            mtu = value
        }
        let labels = Dictionary(label.map(RunOptions.label), uniquingKeysWith: { $1 })
        let network = try NetworkStore().create(name: name, subnet: parsedSubnet, gateway: parsedGateway, isInternal: `internal`, labels: labels, mtu: mtu)
        print(network.id)
        return 0
    }
}

struct NetworkListCommand: StoreCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List networks.", aliases: ["list"])

    @Flag("-q", "--quiet", help: "Only the IDs.")
    var quiet = false

    @Option("--format", help: ListFormat.help("{{.ID}} {{.Name}} {{.Driver}} {{.Scope}}"))
    var format: String?

    func run(in layout: StoreLayout) throws(SwiftrunError) -> Int32 {
        let format = try ListFormat(format)
        let store = NetworkStore()
        _ = try store.find(NetworkDefinition.defaultName)  // defined on first use, as docker0 always is
        let defined = try store.all().map { network in
            [
                "ID": String(network.id.prefix(12)), "Name": network.name, "Driver": "bridge", "Scope": "local", "IPv6": "false",
                "Internal": String(network.isInternal), "CreatedAt": network.created,
                "Labels": ListFormat.labels(network.labels)
            ]
        }
        let modes = ModeNetwork.all.map { mode in
            [
                "ID": String(mode.id.prefix(12)), "Name": mode.name, "Driver": mode.driver, "Scope": "local", "IPv6": "false",
                "Internal": "false", "CreatedAt": "", "Labels": ""
            ]
        }
        // Docker's order: by name, the modes host and none among them.
        let rows = (defined + modes).sorted { $0["Name"]! < $1["Name"]! }
        if quiet {
            rows.forEach { print($0["ID"]!) }
            return 0
        }
        try format.print(rows, columns: ["ID", "Name", "Driver", "Scope"], headers: Self.headers, of: .networks)
        return 0
    }

    /// Docker's column titles for each field a template may name.
    static let headers = [
        "ID": "NETWORK ID", "Name": "NAME", "Driver": "DRIVER", "Scope": "SCOPE", "IPv6": "IPV6", "Internal": "INTERNAL",
        "CreatedAt": "CREATED AT", "Labels": "LABELS"
    ]
}

struct NetworkInspectCommand: StoreCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Show networks as JSON.")

    @Option("-f", "--format", help: InspectFormat.help)
    var format: String?

    @Argument("networks", help: "Networks: names or IDs.")
    var networks: [String]

    func run(in layout: StoreLayout) throws(SwiftrunError) -> Int32 {
        try InspectFormat.show(networks, format: format) { (key) throws(SwiftrunError) in (try NetworkStore().inspect(key), .network) }
    }
}

struct NetworkRemoveCommand: StoreCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove networks.", aliases: ["remove"])

    @Argument("networks", help: "Networks: names or IDs.")
    var networks: [String]

    func run(in layout: StoreLayout) throws(SwiftrunError) -> Int32 {
        forEachArgument(networks) { (key) throws(SwiftrunError) in
            _ = try NetworkStore().remove(key)
            print(key)
        }
    }
}

struct NetworkPruneCommand: StoreCommand {
    static let configuration = CommandConfiguration(commandName: "prune", abstract: "Remove networks no container uses.")

    @Flag("-f", "--force", help: "Do not prompt for confirmation.")
    var force = false

    func run(in layout: StoreLayout) throws(SwiftrunError) -> Int32 {
        guard force || confirm("WARNING! This will remove all custom networks not used by at least one container.") else { return 0 }
        let removed = try NetworkStore().prune()
        printBlock("Deleted Networks:", removed)
        return 0
    }
}

struct NetworkConnectCommand: StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "connect", abstract: "Connect a container to a network: a running one gets its next ethN at once.")

    @Option("--ip", help: "The container's IPv4 address on this network.")
    var ip: String?

    @Option("--alias", help: "Another name for the container on this network.")
    var aliases: [String] = []

    @Argument("network", help: "The network: a name or an ID.")
    var network: String

    @Argument("container", help: "The container: a name or an ID.")
    var container: String

    func run(in layout: StoreLayout) throws(SwiftrunError) -> Int32 {
        let address = try ip.map { (text) throws(SwiftrunError) -> IPv4Address in
            guard let value = IPv4Address(text) else { throw .invalidArgument("invalid IPv4 address: \(text)") }
            return value
        }
        try ContainerStore(layout: layout).connect(container, to: network, ipAddress: address, aliases: aliases)
        return 0
    }
}

struct NetworkDisconnectCommand: StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "disconnect", abstract: "Disconnect a container from a network: a running one loses that interface at once.")

    @Argument("network", help: "The network: a name or an ID.")
    var network: String

    @Argument("container", help: "The container: a name or an ID.")
    var container: String

    func run(in layout: StoreLayout) throws(SwiftrunError) -> Int32 {
        try ContainerStore(layout: layout).disconnect(container, from: network)
        return 0
    }
}
