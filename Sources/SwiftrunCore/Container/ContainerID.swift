/// Container ids are 64 hex characters, shown as the first 12, as in Docker.
public enum ContainerID {
    /// 64 lowercase hex digits from 256 random bits. Not `String(_:radix:)`
    /// and `joined()`: generic calls the runtime resolves by name on first
    /// use, on every `run`'s path.
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes = [UInt8]()
        for _ in 0..<4 { withUnsafeBytes(of: generator.next() as UInt64) { bytes += $0 } }
        return String(lowercaseHex: bytes)
    }

    public static func short(_ id: String) -> String { String(id.prefix(12)) }

    package static func isValid(_ id: String) -> Bool {
        id.isLowercaseHex(count: 64)
    }
}

/// Container names, as Docker allows them: [a-zA-Z0-9][a-zA-Z0-9_.-]+.
/// The rule also keeps a name safe to use as a file name under names/.
public enum ContainerName {
    public static func validate(_ name: String) throws(SwiftrunError) {
        let valid =
            name.count >= 2 && name.count <= 128
            && name.first!.isASCII && (name.first!.isLetter || name.first!.isNumber)
            && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_.-".contains($0)) }
        guard valid else {
            throw .invalidArgument("invalid container name \"\(name)\": only [a-zA-Z0-9][a-zA-Z0-9_.-]+ are allowed")
        }
    }

    /// Docker-style "adjective_scientist", for containers started without --name.
    public static func random() -> String {
        let adjectives = [
            "brave", "calm", "eager", "fervent", "gallant", "happy", "keen", "lucid",
            "merry", "nifty", "quirky", "serene", "sharp", "tender", "vivid", "zealous"
        ]
        let scientists = [
            "babbage", "curie", "dijkstra", "euler", "hopper", "kepler", "lamport", "liskov",
            "lovelace", "noether", "pike", "ritchie", "shannon", "thompson", "torvalds", "turing"
        ]
        return "\(adjectives.randomElement()!)_\(scientists.randomElement()!)"
    }
}
