/// What the flags asked of the network, kept in the container's state so
/// that `start` attaches it the same way again: --network, --ip,
/// --mac-address, --network-alias, -p/-P, --dns*, --add-host.
public struct NetworkRequest: Codable, Sendable, Equatable {
    /// Docker's NetworkMode: "bridge", "none", "host", "container:ID", or
    /// a user network's name.
    public var mode: String = NetworkDefinition.defaultName
    public var ipAddress: IPv4Address?
    public var macAddress: String?
    public var aliases: [String] = []
    /// As given: a host port of 0 is chosen anew at each start.
    public var ports: [PublishedPort] = []
    public var dns = DNSOptions()
    /// --add-host NAME:IP, host-gateway resolved at each start.
    public var extraHosts: [String] = []

    public init() {}

    /// Containers recorded before networking existed had only lo.
    static var none: NetworkRequest {
        var request = NetworkRequest()
        request.mode = "none"
        return request
    }

    enum Kind: Equatable {
        case none, host
        case container(String)
        case network(String)
    }

    var kind: Kind { Self.kind(of: mode) }

    static func kind(of mode: String) -> Kind {
        switch mode {
        case "none": .none
        case "host": .host
        case let mode where mode.hasPrefix("container:"): .container(String(mode.dropFirst("container:".count)))
        case "default": .network(NetworkDefinition.defaultName)
        default: .network(mode)
        }
    }

    /// Flag combinations Docker refuses, refused the same way (exit 125).
    func validate(hostname: String?) throws(SwiftrunError) {
        switch kind {
        case .network: break
        case .none, .host, .container:
            if !ports.isEmpty && kind != .host { throw .invalidArgument("conflicting options: port publishing and the container type network mode") }
            if ipAddress != nil || macAddress != nil || !aliases.isEmpty {
                throw .invalidArgument("conflicting options: --ip, --mac-address and --network-alias need a bridge network")
            }
        }
        if case .container = kind {
            if hostname != nil { throw .invalidArgument("conflicting options: hostname and the network mode") }
            if !dns.servers.isEmpty || !dns.search.isEmpty || !dns.options.isEmpty || !extraHosts.isEmpty {
                throw .invalidArgument("conflicting options: dns and the network mode")
            }
        }
        if let macAddress, Self.macBytes(macAddress) == nil { throw .invalidArgument("invalid MAC address: \(macAddress)") }
        for entry in extraHosts {
            guard let colon = entry.lastIndex(of: ":"), !entry[..<colon].isEmpty,
                IPv4Address(entry[entry.index(after: colon)...]) != nil || entry[entry.index(after: colon)...] == "host-gateway"
            else { throw .invalidArgument("invalid argument \"\(entry)\" for \"--add-host\" flag: invalid IP address") }
        }
    }

    static func macBytes(_ text: String) -> [UInt8]? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 6 else { return nil }
        let bytes = parts.compactMap { $0.count == 2 ? UInt8($0, radix: 16) : nil }
        return bytes.count == 6 && bytes[0] & 1 == 0 ? bytes : nil
    }
}
