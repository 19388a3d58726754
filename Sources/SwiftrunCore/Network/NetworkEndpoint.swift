/// One network a container is on, and what was asked of it there: the
/// --network one (eth0) from run's flags, then each `network connect`
/// (eth1, eth2, ... in that order).
public struct NetworkEndpoint: Codable, Sendable, Equatable {
    public var network: String
    public var ipAddress: IPv4Address?
    public var aliases: [String]

    public init(network: String, ipAddress: IPv4Address? = nil, aliases: [String] = []) {
        self.network = network
        self.ipAddress = ipAddress
        self.aliases = aliases
    }
}

extension NetworkRequest {
    /// The endpoint run's flags ask for: none unless the mode is a network.
    var primaryEndpoint: NetworkEndpoint? {
        guard case let .network(name) = kind else { return nil }
        return NetworkEndpoint(network: name, ipAddress: ipAddress, aliases: aliases)
    }
}
