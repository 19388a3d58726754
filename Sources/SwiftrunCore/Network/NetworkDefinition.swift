/// One network as `network create` (or the first bridged run) made it:
/// a Linux bridge with the gateway's address, and a subnet its
/// containers take addresses from. Saved as networks/<name>.json.
public struct NetworkDefinition: Codable, Sendable, Equatable {
    public var name: String
    public var id: String
    public var created: String
    public var subnet: IPv4Subnet
    public var gateway: IPv4Address
    /// The bridge device on the host: swiftrun0 for the default network.
    public var bridge: String
    /// --internal: no route out, no NAT, no published ports from outside.
    public var isInternal: Bool
    public var labels: [String: String]
    /// `-o com.docker.network.driver.mtu=N`; nil: `defaultMTU`.
    public var mtu: Int?

    /// Docker's name for the default network, which cannot be removed.
    public static let defaultName = "bridge"
    static let defaultBridge = "swiftrun0"

    public var isDefault: Bool { name == Self.defaultName }

    /// Docker's bridges have 1500. Ours have loopback's size: a TCP stream
    /// through a published port or between containers then runs near the
    /// loopback's speed (0.93x here, against 0.52x at 1500), since the
    /// kernel handles a 22nd of the segments and acks. Traffic leaving the
    /// host is no worse off: TCP takes the smaller MSS its peer offers, and
    /// the host itself is the first hop, so path-MTU discovery gets its
    /// ICMP "fragmentation needed" from this very kernel.
    public static let defaultMTU = 65535
    public static let mtuOption = "com.docker.network.driver.mtu"
    var linkMTU: Int { mtu ?? Self.defaultMTU }
    /// User networks resolve their containers' names (Docker's rule: the
    /// default bridge does not).
    var resolvesNames: Bool { !isDefault }

    /// Docker's network names: [a-zA-Z0-9][a-zA-Z0-9_.-]*, which also keeps
    /// a name safe as a file name.
    static func validate(name: String) throws(SwiftrunError) {
        let valid =
            !name.isEmpty && name.count <= 128 && name.first!.isASCII && (name.first!.isLetter || name.first!.isNumber)
            && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_.-".contains($0)) }
        guard valid else {
            throw .invalidArgument("invalid network name \"\(name)\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed")
        }
        guard !["none", "host", "default"].contains(name) else {
            throw .invalidArgument("network name \(name) is reserved: it is a --network mode")
        }
    }
}
