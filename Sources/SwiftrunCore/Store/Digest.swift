import Crypto

/// A sha256 content address, written "sha256:<64 hex>" as in the OCI image spec.
public struct Digest: Hashable, Codable, Sendable, CustomStringConvertible {
    public let hex: String

    public init(hex: String) { self.hex = hex }

    /// Parses "sha256:<hex>"; nil for anything else.
    public init?(parsing text: String) {
        let prefix = "sha256:"
        guard text.hasPrefix(prefix) else { return nil }
        let hex = String(text.dropFirst(prefix.count))
        guard hex.count == 64, hex.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else { return nil }
        self.hex = hex
    }

    public static func of(_ bytes: [UInt8]) -> Digest {
        var hasher = DigestHasher()
        bytes.withUnsafeBytes { hasher.update($0) }
        return hasher.finalize()
    }

    public var description: String { "sha256:" + hex }
    /// The 12-character form Docker prints.
    public var short: String { String(hex.prefix(12)) }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let digest = Digest(parsing: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a sha256 digest: \(text)"))
        }
        self = digest
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// Streaming sha256, fed as bytes pass through (see Archive/ByteSource.swift).
struct DigestHasher {
    private var sha = SHA256()
    private(set) var count: Int64 = 0

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        sha.update(bufferPointer: bytes)
        count += Int64(bytes.count)
    }

    func finalize() -> Digest {
        let hexDigits = Array("0123456789abcdef".utf8)
        var hex = [UInt8]()
        hex.reserveCapacity(64)
        for byte in sha.finalize() {
            hex.append(hexDigits[Int(byte >> 4)])
            hex.append(hexDigits[Int(byte & 0xf)])
        }
        return Digest(hex: String(decoding: hex, as: UTF8.self))
    }
}
