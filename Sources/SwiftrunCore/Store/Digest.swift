import COpenSSL

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
        let hasher = DigestHasher()
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
final class DigestHasher {
    private let context: OpaquePointer
    private(set) var count: Int64 = 0

    init() {
        // Allocation failure here means the process is out of memory.
        context = EVP_MD_CTX_new()!
        EVP_DigestInit_ex(context, EVP_sha256(), nil)
    }

    deinit { EVP_MD_CTX_free(context) }

    func update(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        EVP_DigestUpdate(context, bytes.baseAddress, bytes.count)
        count += Int64(bytes.count)
    }

    /// The digest of everything so far. Call once.
    func finalize() -> Digest {
        var sum = [UInt8](repeating: 0, count: 32)
        EVP_DigestFinal_ex(context, &sum, nil)
        let hexDigits = Array("0123456789abcdef".utf8)
        var hex = [UInt8]()
        hex.reserveCapacity(64)
        for byte in sum {
            hex.append(hexDigits[Int(byte >> 4)])
            hex.append(hexDigits[Int(byte & 0xf)])
        }
        return Digest(hex: String(decoding: hex, as: UTF8.self))
    }
}
