import CShims
import Glibc

/// A sha256 content address, written "sha256:<64 hex>" as in the OCI image spec.
public struct Digest: Hashable, Codable, Sendable, CustomStringConvertible {
    public let hex: String

    public init(hex: String) { self.hex = hex }

    /// Parses "sha256:<hex>"; nil for anything else.
    public init?(parsing text: String) {
        let prefix = "sha256:"
        guard text.hasPrefix(prefix) else { return nil }
        let hex = String(decoding: text.utf8.dropFirst(prefix.utf8.count), as: UTF8.self)
        guard hex.isLowercaseHex(count: 64) else { return nil }
        self.hex = hex
    }

    public static func of(_ bytes: [UInt8]) -> Digest {
        let hasher = DigestHasher()
        bytes.withUnsafeBytes { hasher.update($0) }
        return hasher.finalize()
    }

    /// The digest of what `fd` holds from its offset to its end, read in
    /// chunks: a build's COPY can name files of any size.
    static func ofFile(_ fd: Int32, path: String) throws(SwiftrunError) -> Digest {
        let hasher = DigestHasher()
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = try Syscall.check("read \(path)") { chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) } }
            if n == 0 { return hasher.finalize() }
            chunk.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        }
    }

    public var description: String { "sha256:" + hex }
    /// The 12-character form Docker prints.
    public var short: String { String(hex.prefix(12)) }

    public init(from decoder: any Decoder) throws { try self.init(tree: try JSONTreeDecoder.tree(of: decoder), at: decoder.codingPath) }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// Streaming sha256, fed as bytes pass through (see Archive/ByteSource.swift);
/// the C is CShims/sha256.c.
final class DigestHasher {
    private var context = sr_sha256()
    private(set) var count: Int64 = 0

    init() {
        sr_sha256_init(&context)
    }

    func update(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        sr_sha256_update(&context, bytes.baseAddress, bytes.count)
        count += Int64(bytes.count)
    }

    /// The digest of everything so far. Call once.
    func finalize() -> Digest {
        var sum = [UInt8](repeating: 0, count: 32)
        sr_sha256_final(&context, &sum)
        return Digest(hex: String(lowercaseHex: sum))
    }
}
