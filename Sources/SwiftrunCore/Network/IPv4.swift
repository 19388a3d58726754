/// An IPv4 address as a number (host byte order), for arithmetic on
/// subnets; `networkOrder` is the form netlink and sockets take.
public struct IPv4Address: TextCodable, Sendable, Hashable, Comparable {
    public let value: UInt32

    public init(_ value: UInt32) { self.value = value }

    /// Dotted quad only: "10.0.0.1". No shorthand, no leading zeros, as
    /// Docker's flags take it.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard let byte = UInt8(part), part.count <= 3, part == String(byte) else { return nil }
            value = value << 8 | UInt32(byte)
        }
        self.value = value
    }

    public var description: String {
        [24, 16, 8, 0].map { String(value >> UInt32($0) & 0xff) }.joined(separator: ".")
    }

    var networkOrder: UInt32 { value.bigEndian }

    public static func < (a: Self, b: Self) -> Bool { a.value < b.value }

}

/// A subnet in CIDR form: "172.18.0.0/16".
public struct IPv4Subnet: TextCodable, Sendable, Hashable {
    public let network: IPv4Address
    public let prefix: Int

    /// The host bits must be zero, as Docker requires of --subnet.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let address = IPv4Address(parts[0]), let prefix = Int(parts[1]), (8...30).contains(prefix)
        else { return nil }
        self.init(network: address, prefix: prefix)
        guard address.value & ~mask == 0 else { return nil }
    }

    init(network: IPv4Address, prefix: Int) {
        self.network = network
        self.prefix = prefix
    }

    var mask: UInt32 { prefix == 0 ? 0 : ~UInt32(0) << UInt32(32 - prefix) }
    var broadcast: IPv4Address { IPv4Address(network.value | ~mask) }
    /// The first usable address: the gateway's, by Docker's convention.
    var firstHost: IPv4Address { IPv4Address(network.value + 1) }
    var lastHost: IPv4Address { IPv4Address(broadcast.value - 1) }

    public var description: String { "\(network)/\(prefix)" }

    func contains(_ address: IPv4Address) -> Bool { address.value & mask == network.value }

    func overlaps(_ other: IPv4Subnet) -> Bool {
        let shorter = min(prefix, other.prefix)
        let mask = shorter == 0 ? 0 : ~UInt32(0) << UInt32(32 - shorter)
        return network.value & mask == other.network.value & mask
    }

}

/// A value stored in JSON as its text ("10.0.0.1", "10.0.0.0/16").
public protocol TextCodable: Codable, CustomStringConvertible {
    init?(_ text: some StringProtocol)
}

extension TextCodable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = Self(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a \(Self.self): \(text)"))
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
