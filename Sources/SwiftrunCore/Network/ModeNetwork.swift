/// `host` and `none`: --network modes that Docker also lists as networks
/// (drivers host and null). They have no bridge, subnet or addresses, so
/// they are not NetworkDefinitions: ls and inspect show them, rm refuses.
public struct ModeNetwork: Sendable {
    public let name: String
    public let driver: String

    public static let all = [ModeNetwork(name: "host", driver: "host"), ModeNetwork(name: "none", driver: "null")]

    /// Stable on every host: Docker makes its own once per daemon; ours
    /// is derived from the name, since no daemon keeps one.
    public var id: String { Digest.of(Array("swiftrun network mode \(name)".utf8)).hex }

    /// By name, full id or an id prefix of at least the 12 `ls` shows.
    public static func find(_ key: String) -> ModeNetwork? {
        all.first { $0.name == key || (key.count >= 12 && $0.id.hasPrefix(key)) }
    }
}
