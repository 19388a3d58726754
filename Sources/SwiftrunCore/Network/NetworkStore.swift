import CShims
import Glibc

/// The host's networks. Bridges, addresses and firewall rules belong to the
/// host, not to one store root, so every root on the host shares them:
/// their definitions and address allocations live in one directory.
///
///     /var/lib/swiftrun/networks/
///         <name>.json           a NetworkDefinition
///         addresses/<id>/<ip>   one per address in use; holds the owner's
///                               store root and container id (O_EXCL: taken once)
///         lock                  flock for creating and removing networks
public struct NetworkStore: Sendable {
    public static let defaultDirectory = "/var/lib/swiftrun/networks"
    let directory: String

    public init(directory: String = NetworkStore.defaultDirectory) { self.directory = directory }

    var lock: String { directory + "/lock" }
    func definitionPath(_ name: String) -> String { directory + "/\(name).json" }
    func addressDirectory(_ network: NetworkDefinition) -> String { directory + "/addresses/" + network.id }

    func prepare() throws(SwiftrunError) {
        try FileSystem.makeDirectories(directory + "/addresses", mode: 0o700)
    }

    public func all() throws(SwiftrunError) -> [NetworkDefinition] {
        guard FileSystem.exists(directory) else { return [] }
        return try FileSystem.listDirectory(directory).filter { $0.hasSuffix(".json") }.compactMap { file in
            try? JSON.decode(NetworkDefinition.self, from: try FileSystem.readFile(directory + "/" + file), path: file)
        }.sorted { $0.created < $1.created }
    }

    /// By name, full id or unique id prefix, as Docker finds networks.
    /// The default network exists from its first use; asked for before
    /// that, it is made.
    public func find(_ key: String) throws(SwiftrunError) -> NetworkDefinition {
        if key == NetworkDefinition.defaultName { return try defaultNetwork() }
        if let bytes = try? FileSystem.readFile(definitionPath(key)) {
            return try JSON.decode(NetworkDefinition.self, from: bytes, path: definitionPath(key))
        }
        let matches = try all().filter { $0.id.hasPrefix(key) }
        guard !key.isEmpty, matches.count == 1 else {
            if matches.count > 1 { throw .invalidArgument("network id prefix \"\(key)\" is ambiguous") }
            throw .networkNotFound(key)
        }
        return matches[0]
    }

    /// The default network: read, or defined on first use with the first
    /// of Docker's pools that clashes with no route of the host.
    func defaultNetwork() throws(SwiftrunError) -> NetworkDefinition {
        if let bytes = try? FileSystem.readFile(definitionPath(NetworkDefinition.defaultName)) {
            return try JSON.decode(NetworkDefinition.self, from: bytes, path: definitionPath(NetworkDefinition.defaultName))
        }
        try prepare()
        return try StoreLock.withLock(lock) { () throws(SwiftrunError) in
            if let bytes = try? FileSystem.readFile(definitionPath(NetworkDefinition.defaultName)) {
                return try JSON.decode(NetworkDefinition.self, from: bytes, path: definitionPath(NetworkDefinition.defaultName))
            }
            return try define(name: NetworkDefinition.defaultName, subnet: nil, gateway: nil, isInternal: false, labels: [:])
        }
    }

    /// `network create`.
    public func create(
        name: String, subnet: IPv4Subnet?, gateway: IPv4Address?, isInternal: Bool, labels: [String: String], mtu: Int? = nil
    ) throws(SwiftrunError) -> NetworkDefinition {
        try NetworkDefinition.validate(name: name)
        try prepare()
        return try StoreLock.withLock(lock) { () throws(SwiftrunError) in
            guard !FileSystem.exists(definitionPath(name)) else {
                throw .invalidArgument("network with name \(name) already exists")
            }
            return try define(name: name, subnet: subnet, gateway: gateway, isInternal: isInternal, labels: labels, mtu: mtu)
        }
    }

    /// Under the lock: checks the subnet against the host's routes and the
    /// other networks, and saves the definition. The bridge itself is made
    /// when the first container needs it (NetworkBridge).
    private func define(
        name: String, subnet: IPv4Subnet?, gateway: IPv4Address?, isInternal: Bool, labels: [String: String], mtu: Int? = nil
    ) throws(SwiftrunError) -> NetworkDefinition {
        let taken = try all().map(\.subnet)
        let routes = HostRoutes.subnets()
        let chosen: IPv4Subnet
        if let subnet {
            if let other = taken.first(where: subnet.overlaps) {
                throw .invalidArgument("invalid pool request: Pool overlaps with other one on this address space (\(other))")
            }
            chosen = subnet
        } else {
            guard let free = Self.pools.first(where: { pool in !taken.contains(where: pool.overlaps) && !routes.contains(where: pool.overlaps) })
            else { throw .invalidArgument("could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network") }
            chosen = free
        }
        let gateway = gateway ?? chosen.firstHost
        guard chosen.contains(gateway), gateway != chosen.network, gateway != chosen.broadcast else {
            throw .invalidArgument("invalid gateway \(gateway): not a host address of \(chosen)")
        }
        let id = ContainerID.generate()
        let network = NetworkDefinition(
            name: name, id: id, created: JSON.timestamp(), subnet: chosen, gateway: gateway,
            bridge: name == NetworkDefinition.defaultName ? NetworkDefinition.defaultBridge : "swr-" + id.prefix(11),
            isInternal: isInternal, labels: labels, mtu: mtu)
        try FileSystem.makeDirectory(addressDirectory(network), mode: 0o700)
        try FileSystem.writeAtomically(try JSON.encode(network), to: definitionPath(name), durable: true)
        return network
    }

    /// `network prune`: every user network no running container holds an
    /// address on. Returns their names.
    /// The default network stays defined (its subnet is kept), but its
    /// unused bridge goes too: swiftrun0 and the table are made again by
    /// the next bridged run. They are not removed after each container, as
    /// docker0 is not: making them costs a run about 15 ms, removing a
    /// bridge a 25 ms grace period.
    public func prune() throws(SwiftrunError) -> [String] {
        let removed = try all().filter { !$0.isDefault && AddressPool(store: self, network: $0).owners().isEmpty }.compactMap { network in
            (try? remove(network.name)).map(\.name)
        }
        try removeIdleDefaultBridge()
        return removed
    }

    /// The default bridge, when no container uses it, and with the last of
    /// swiftrun's bridges the firewall table. It stays between containers,
    /// as docker0 does (making it again costs the next run about 4 ms, and
    /// deleting it a grace period); `network prune` gives the host back, and
    /// so does the end of the test suite.
    func removeIdleDefaultBridge() throws(SwiftrunError) {
        let standard = try defaultNetwork()
        try StoreLock.withLock(lock) { () throws(SwiftrunError) in
            if AddressPool(store: self, network: standard).owners().isEmpty { try removeBridge(standard) }
        }
    }

    /// Docker's default address pools: 172.17-31.0.0/16, then 192.168.0.0/16 in /20s.
    static let pools: [IPv4Subnet] =
        (17...31).map { IPv4Subnet(network: IPv4Address(0xAC00_0000 | UInt32($0) << 16), prefix: 16) }
        + (0..<16).map { IPv4Subnet(network: IPv4Address(0xC0A8_0000 | UInt32($0) << 12), prefix: 20) }

    /// `network rm`: refused while a container uses it. The bridge and its
    /// firewall entries go first, the definition last.
    public func remove(_ key: String) throws(SwiftrunError) -> NetworkDefinition {
        if let mode = ModeNetwork.find(key) {
            throw .invalidArgument("\(mode.name) is a pre-defined network and cannot be removed")
        }
        let network = try find(key)
        guard !network.isDefault else {
            throw .invalidArgument("bridge is a pre-defined network and cannot be removed")
        }
        try StoreLock.withLock(lock) { () throws(SwiftrunError) in
            let users = AddressPool(store: self, network: network).owners().map { ContainerID.short($0.container) }
            guard users.isEmpty else {
                throw .invalidArgument(
                    "error while removing network: network \(network.name) id \(network.id) has active endpoints (\(users.joined(separator: ", ")))")
            }
            try removeBridge(network)
            try FileSystem.removeTree(addressDirectory(network))
            unlink(definitionPath(network.name))
        }
        return network
    }

    /// Under the lock: the bridge, and with the last of swiftrun's bridges
    /// the firewall table too, so the host is as it was before first use.
    private func removeBridge(_ network: NetworkDefinition) throws(SwiftrunError) {
        try NetworkBridge(network: network).remove()
        if try all().allSatisfy({ sr_link_index($0.bridge) < 0 }) { Firewall.deleteTable() }
    }
}
