import Glibc

/// Writes a tar stream (POSIX ustar, with pax extended headers for long
/// names and xattrs) to a file descriptor, through a 64 KiB buffer.
final class TarWriter {
    private static let blockSize = 512
    private let fd: Int32
    private let name: String
    private var buffer: [UInt8] = []
    private let hasher: DigestHasher?

    /// `hashing`: keep a sha256 of everything written (a layer's diffID).
    init(fd: Int32, name: String, hashing: Bool = false) {
        self.fd = fd
        self.name = name
        hasher = hashing ? DigestHasher() : nil
        buffer.reserveCapacity(1 << 16)
    }

    struct Header {
        var path: String
        var kind: TarEntry.Kind
        var mode: UInt32
        var uid = 0
        var gid = 0
        var size: Int64 = 0
        var mtime: Int64 = 0
        var linkTarget = ""
        var deviceMajor: UInt32 = 0
        var deviceMinor: UInt32 = 0
        var xattrs: [(name: String, value: [UInt8])] = []
    }

    /// A whole entry whose content is in memory.
    func add(_ header: Header, bytes: [UInt8] = []) throws(SwiftrunError) {
        var header = header
        header.size = Int64(bytes.count)
        try writeHeader(header)
        try append(bytes)
        try pad(Int64(bytes.count))
    }

    /// A regular file streamed from `fd`, which must hold `header.size` bytes.
    func add(_ header: Header, from fd: Int32, path: String) throws(SwiftrunError) {
        try add(header, from: FileSource(fd: fd, path: path), path: path)
    }

    /// A regular file streamed from `source`, which must hold `header.size` bytes.
    func add(_ header: Header, from source: any ByteSource, path: String) throws(SwiftrunError) {
        try writeHeader(header)
        var remaining = header.size
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        defer { chunk.deallocate() }
        while remaining > 0 {
            let want = Int(min(Int64(chunk.count), remaining))
            let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: chunk[0..<want]))
            guard n > 0 else { throw .system("read \(path) (file shrank while being archived)", errno: EIO) }
            try append(chunk[0..<n])
            remaining -= Int64(n)
        }
        try pad(header.size)
    }

    /// The end-of-archive marker, then everything still buffered.
    func finish() throws(SwiftrunError) -> Digest? {
        try append([UInt8](repeating: 0, count: 2 * Self.blockSize))
        try flush()
        return hasher?.finalize()
    }

    // MARK: - Headers

    private func writeHeader(_ header: Header) throws(SwiftrunError) {
        var pax: [(String, [UInt8])] = []
        if header.path.utf8.count > 100 { pax.append(("path", Array(header.path.utf8))) }
        if header.linkTarget.utf8.count > 100 { pax.append(("linkpath", Array(header.linkTarget.utf8))) }
        if header.size >= 0o77777777777 { pax.append(("size", Array(String(header.size).utf8))) }
        for xattr in header.xattrs { pax.append(("SCHILY.xattr." + xattr.name, xattr.value)) }
        if !pax.isEmpty {
            let records = pax.flatMap(Self.paxRecord)
            try append(
                Self.block(
                    Header(
                        path: "PaxHeaders/" + String(header.path.suffix(80)), kind: .regular, mode: 0o644,
                        size: Int64(records.count)), typeflag: UInt8(ascii: "x")))
            try append(records)
            try pad(Int64(records.count))
        }
        try append(Self.block(header, typeflag: Self.typeflag(header.kind)))
    }

    /// "<length> <key>=<value>\n", where the length counts itself.
    private static func paxRecord(_ key: String, _ value: [UInt8]) -> [UInt8] {
        let body = Array(" \(key)=".utf8) + value + [UInt8(ascii: "\n")]
        var length = body.count + 1
        while String(length).utf8.count + body.count != length { length = String(length).utf8.count + body.count }
        return Array(String(length).utf8) + body
    }

    private static func typeflag(_ kind: TarEntry.Kind) -> UInt8 {
        switch kind {
        case .regular: UInt8(ascii: "0")
        case .hardLink: UInt8(ascii: "1")
        case .symbolicLink: UInt8(ascii: "2")
        case .characterDevice: UInt8(ascii: "3")
        case .blockDevice: UInt8(ascii: "4")
        case .directory: UInt8(ascii: "5")
        case .fifo: UInt8(ascii: "6")
        }
    }

    private static func block(_ header: Header, typeflag: UInt8) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: blockSize)
        func put(_ text: String, at offset: Int, width: Int) {
            for (i, byte) in text.utf8.prefix(width).enumerated() { block[offset + i] = byte }
        }
        func octal(_ value: Int64, at offset: Int, width: Int) {
            let digits = String(value, radix: 8)
            put(String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits, at: offset, width: width - 1)
        }
        put(header.path, at: 0, width: 100)
        octal(Int64(header.mode & 0o7777), at: 100, width: 8)
        octal(Int64(header.uid), at: 108, width: 8)
        octal(Int64(header.gid), at: 116, width: 8)
        octal(min(header.size, 0o77777777777), at: 124, width: 12)
        octal(header.mtime, at: 136, width: 12)
        block[156] = typeflag
        put(header.linkTarget, at: 157, width: 100)
        put("ustar\0", at: 257, width: 6)
        put("00", at: 263, width: 2)
        octal(Int64(header.deviceMajor), at: 329, width: 8)
        octal(Int64(header.deviceMinor), at: 337, width: 8)
        // The checksum is computed with its own field as spaces.
        for i in 148..<156 { block[i] = UInt8(ascii: " ") }
        let sum = block.reduce(0) { $0 + Int64($1) }
        octal(sum, at: 148, width: 7)
        block[155] = UInt8(ascii: " ")
        return block
    }

    // MARK: - Output

    private func pad(_ size: Int64) throws(SwiftrunError) {
        let remainder = Int(size % Int64(Self.blockSize))
        if remainder > 0 { try append([UInt8](repeating: 0, count: Self.blockSize - remainder)) }
    }

    private func append<C: Collection>(_ bytes: C) throws(SwiftrunError) where C.Element == UInt8 {
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 16 { try flush() }
    }

    private func flush() throws(SwiftrunError) {
        guard !buffer.isEmpty else { return }
        buffer.withUnsafeBytes { hasher?.update($0) }
        try FileSystem.writeAll(fd, buffer, path: name)
        buffer.removeAll(keepingCapacity: true)
    }
}
