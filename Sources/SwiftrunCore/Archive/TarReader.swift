/// One member of a tar archive, with pax and GNU extensions already applied.
struct TarEntry {
    enum Kind: Equatable {
        case regular, hardLink, symbolicLink, characterDevice, blockDevice, directory, fifo
    }

    var path: String
    var kind: Kind
    var linkTarget: String
    var mode: UInt32
    var uid: Int
    var gid: Int
    var size: Int64
    var mtime: Int64
    var deviceMajor: UInt32
    var deviceMinor: UInt32
    var xattrs: [(name: String, value: [UInt8])]
}

/// Reads a tar stream (ustar, GNU long names, pax) entry by entry.
/// The caller reads each regular file's content with `readContent` before
/// asking for the next entry; whatever it leaves unread is skipped.
///
/// It reads in place what its source lends: content goes to its writer
/// straight from the buffer it was inflated into. Only a header split
/// between two of the source's buffers is copied, into a block of its own.
final class TarReader {
    private static let blockSize = 512
    private let source: any LendingSource
    private let name: String
    /// What the source lent last; chunk[chunkStart...] is not yet consumed.
    private var chunk = UnsafeRawBufferPointer(start: nil, count: 0)
    private var chunkStart = 0
    /// A header gathered from two of the source's buffers.
    private let split = UnsafeMutableRawBufferPointer.allocate(byteCount: blockSize, alignment: 16)
    private var offset: Int64 = 0
    /// Content bytes of the current entry not yet read, and its padding.
    private var remaining: Int64 = 0
    private var padding = 0
    /// Sees every byte consumed, in order (a plain layer being unpacked).
    var recorder: RecipeRecorder?

    init(_ source: any LendingSource, name: String) {
        self.source = source
        self.name = name
    }

    deinit { split.deallocate() }

    /// The next entry, or nil at the end-of-archive marker.
    func next() throws(SwiftrunError) -> TarEntry? {
        try skipRest()
        var pax: [String: [UInt8]] = [:]
        var longName: String?
        var longLink: String?
        var extensionBytes: Int64 = 0
        while true {
            let headerOffset = offset
            guard let header = try readBlock() else {
                if headerOffset == 0 { throw .badArchive(name, reason: "not a tar archive (shorter than one 512-byte header)") }
                throw .badArchive(name, reason: "tar archive ends without its end-of-archive marker (truncated file)")
            }
            if header.allSatisfy({ $0 == 0 }) { return nil }
            try verifyChecksum(header, at: headerOffset)
            let typeflag = header[156]
            let size = try number(header, 124, 12, field: "size", at: headerOffset)
            // Each extension is capped (readExtension), and so is their sum
            // before one entry: a chain of headers cannot grow memory.
            if Self.extensionTypes.contains(typeflag) {
                extensionBytes += size
                guard extensionBytes <= Self.extensionLimit else {
                    throw .badArchive(name, reason: "extended headers of more than \(Self.extensionLimit >> 20) MiB before one entry")
                }
            }
            switch typeflag {
            case UInt8(ascii: "x"):
                guard let records = Self.parsePax(try readExtension(size)) else {
                    throw .badArchive(name, reason: "corrupt pax extended header at byte \(headerOffset)")
                }
                pax.merge(records, uniquingKeysWith: { $1 })
                continue
            case UInt8(ascii: "g"):
                _ = try readExtension(size)  // global pax headers carry nothing swiftrun uses
                continue
            case UInt8(ascii: "L"):
                longName = Self.cString(try readExtension(size)[...])
                continue
            case UInt8(ascii: "K"):
                longLink = Self.cString(try readExtension(size)[...])
                continue
            default:
                break
            }
            var entry = try makeEntry(header, typeflag: typeflag, size: size, at: headerOffset)
            if let longName { entry.path = longName }
            if let longLink { entry.linkTarget = longLink }
            try apply(pax, to: &entry, at: headerOffset)
            remaining = entry.kind == .regular ? entry.size : 0
            padding = Int((Self.blockSize - Int(entry.size % Int64(Self.blockSize))) % Self.blockSize)
            if entry.kind != .regular && entry.size > 0 {
                // Hardlinks and others may carry data we do not use: skip it.
                remaining = entry.size
            }
            return entry
        }
    }

    /// Streams the current entry's content to `body`, in chunks.
    func readContent(_ body: (UnsafeRawBufferPointer) throws(SwiftrunError) -> Void) throws(SwiftrunError) {
        while let chunk = try nextContent(upTo: Int.max) { try body(chunk) }
    }

    /// Copies up to `buffer.count` bytes of the current entry's content;
    /// 0 once it is all read. The pull form of `readContent`, for a
    /// reader that is itself a stream (a layer inside an archive).
    func readContent(into buffer: UnsafeMutableRawBufferPointer) throws(SwiftrunError) -> Int {
        guard let chunk = try nextContent(upTo: buffer.count) else { return 0 }
        buffer.copyMemory(from: chunk)
        return chunk.count
    }

    /// The next lent piece of the current entry's content, at most
    /// `limit` bytes, counted as read; valid until the source lends again.
    private func nextContent(upTo limit: Int) throws(SwiftrunError) -> UnsafeRawBufferPointer? {
        guard remaining > 0 else { return nil }
        guard try available() > 0 else {
            throw .badArchive(name, reason: "tar archive ends inside a file's content (truncated file)")
        }
        let bytes = try consume(min(Int(remaining), chunk.count - chunkStart, limit))
        remaining -= Int64(bytes.count)
        return bytes
    }

    /// Reads to the end of the underlying stream, so digests cover every
    /// byte (tar writers pad archives to a record size past the marker).
    func drain() throws(SwiftrunError) {
        while try available() > 0 { _ = try consume(chunk.count - chunkStart) }
    }

    // MARK: - Blocks

    private func skipRest() throws(SwiftrunError) {
        try readContent { _ in }
        while padding > 0 {
            guard try available() > 0 else {
                throw .badArchive(name, reason: "tar archive ends inside an entry's padding (truncated file)")
            }
            padding -= try consume(min(padding, chunk.count - chunkStart)).count
        }
    }

    /// The next 512 bytes, in place where one lent buffer holds them all;
    /// nil where the stream ends first.
    private func readBlock() throws(SwiftrunError) -> ArraySlice<UInt8>? {
        guard try available() > 0 else { return nil }
        if chunk.count - chunkStart >= Self.blockSize { return Array(try consume(Self.blockSize))[...] }
        var gathered = 0
        while gathered < Self.blockSize {
            guard try available() > 0 else { return nil }
            let piece = try consume(min(Self.blockSize - gathered, chunk.count - chunkStart))
            UnsafeMutableRawBufferPointer(rebasing: split[gathered...]).copyMemory(from: piece)
            gathered += piece.count
        }
        return Array(split)[...]
    }

    /// The most bytes borrowed at once. A source that hashes what it lends
    /// (the diffID) reads them into this core's cache; in pieces this small
    /// they are still there when the file's write(2) copies them into the
    /// page cache. Borrowed a whole 1 MB read-ahead slot at a time, they
    /// had left it, and that copy was a fifth of import's samples (perf on
    /// a Debian base: 955 samples against 46; import 0.61 -> 0.48 of tar).
    static let lendSize = 128 << 10

    /// The most extended-header data (pax, GNU long names) read for one entry.
    static let extensionLimit: Int64 = 1 << 20
    /// pax (x, g) and GNU long name and link (L, K) headers.
    static let extensionTypes: Set<UInt8> = [UInt8(ascii: "x"), UInt8(ascii: "g"), UInt8(ascii: "L"), UInt8(ascii: "K")]

    private func readExtension(_ size: Int64) throws(SwiftrunError) -> [UInt8] {
        guard size < Self.extensionLimit else { throw .badArchive(name, reason: "extended header of \(size) bytes is too large") }
        var bytes: [UInt8] = []
        remaining = size
        try readContent { bytes.append(contentsOf: $0) }
        padding = Int((Self.blockSize - Int(size % Int64(Self.blockSize))) % Self.blockSize)
        try skipRest()
        return bytes
    }

    /// The next `n` bytes of the lent chunk, counted as read and shown to
    /// the recorder, which sees the stream whole and in order.
    private func consume(_ n: Int) throws(SwiftrunError) -> UnsafeRawBufferPointer {
        let bytes = UnsafeRawBufferPointer(rebasing: chunk[chunkStart..<(chunkStart + n)])
        try recorder?.passed(bytes)
        chunkStart += n
        offset += Int64(n)
        return bytes
    }

    /// How many lent bytes are unread, borrowing more when none are; 0
    /// only at the stream's end.
    private func available() throws(SwiftrunError) -> Int {
        if chunkStart == chunk.count {
            chunk = try source.borrow(upTo: Self.lendSize)
            chunkStart = 0
        }
        return chunk.count - chunkStart
    }

    // MARK: - Header fields

    private func verifyChecksum(_ header: ArraySlice<UInt8>, at headerOffset: Int64) throws(SwiftrunError) {
        guard try number(header, 148, 8, field: "checksum", at: headerOffset) == Self.checksum(header) else {
            let what = headerOffset == 0 ? "not a tar archive" : "corrupt tar archive"
            throw .badArchive(name, reason: "\(what) (bad header checksum at byte \(headerOffset))")
        }
    }

    /// The sum of a header's bytes, its checksum field counted as spaces.
    /// Summed as the bytes lie, then the field swapped for its spaces:
    /// a test per byte cost 1.5 % of the CPU of the thread that writes a
    /// layer's files (perf, Debian's base).
    private static func checksum(_ header: ArraySlice<UInt8>) -> Int64 {
        header.withUnsafeBytes { (bytes) -> Int64 in
            var sum = 0
            for byte in bytes { sum &+= Int(byte) }
            for byte in bytes[148..<156] { sum &-= Int(byte) }
            return Int64(sum + 8 * 32)
        }
    }

    /// Whether `head`, a stream's first bytes, begins with a ustar (or
    /// GNU, or pax) header whose checksum holds: a tar, to a sniffer.
    static func startsWithHeader(_ head: [UInt8]) -> Bool {
        guard head.count >= blockSize, Array(head[257..<262]) == Array("ustar".utf8) else { return false }
        let header = head[0..<blockSize]
        let field = header[148..<156].drop { $0 == UInt8(ascii: " ") }.prefix { $0 != 0 && $0 != UInt8(ascii: " ") }
        guard !field.isEmpty, field.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "7")).contains($0) }) else { return false }
        return field.reduce(Int64(0)) { $0 << 3 | Int64($1 - UInt8(ascii: "0")) } == checksum(header)
    }

    private func makeEntry(_ h: ArraySlice<UInt8>, typeflag: UInt8, size: Int64, at headerAt: Int64) throws(SwiftrunError) -> TarEntry {
        let base = h.startIndex
        var path = Self.cString(h[base..<(base + 100)])
        // ustar (not GNU's "ustar  ") keeps a path prefix in bytes 345..<500.
        if Array(h[(base + 257)..<(base + 263)]) == Array("ustar\0".utf8) {
            let prefix = Self.cString(h[(base + 345)..<(base + 500)])
            if !prefix.isEmpty { path = prefix + "/" + path }
        }
        let kind: TarEntry.Kind
        switch typeflag {
        case UInt8(ascii: "0"), 0, UInt8(ascii: "7"): kind = path.hasSuffix("/") ? .directory : .regular
        case UInt8(ascii: "1"): kind = .hardLink
        case UInt8(ascii: "2"): kind = .symbolicLink
        case UInt8(ascii: "3"): kind = .characterDevice
        case UInt8(ascii: "4"): kind = .blockDevice
        case UInt8(ascii: "5"): kind = .directory
        case UInt8(ascii: "6"): kind = .fifo
        default:
            throw .badArchive(name, reason: "entry \(path): unsupported tar entry type '\(Character(Unicode.Scalar(typeflag)))'")
        }
        return TarEntry(
            path: path, kind: kind,
            linkTarget: Self.cString(h[(base + 157)..<(base + 257)]),
            mode: UInt32(truncatingIfNeeded: try number(h, 100, 8, field: "mode", at: headerAt)),
            uid: Int(try number(h, 108, 8, field: "uid", at: headerAt)),
            gid: Int(try number(h, 116, 8, field: "gid", at: headerAt)),
            size: size,
            mtime: try number(h, 136, 12, field: "mtime", at: headerAt),
            deviceMajor: UInt32(truncatingIfNeeded: try number(h, 329, 8, field: "devmajor", at: headerAt)),
            deviceMinor: UInt32(truncatingIfNeeded: try number(h, 337, 8, field: "devminor", at: headerAt)),
            xattrs: [])
    }

    /// A numeric field: octal text, or GNU base-256 when the top bit is set.
    private func number(_ h: ArraySlice<UInt8>, _ start: Int, _ length: Int, field: String, at headerAt: Int64) throws(SwiftrunError) -> Int64 {
        let bytes = h[(h.startIndex + start)..<(h.startIndex + start + length)]
        if let first = bytes.first, first & 0x80 != 0 {
            var value = Int64(first & 0x3f)
            for byte in bytes.dropFirst() {
                guard value < Int64.max >> 8 else { break }
                value = value << 8 | Int64(byte)
            }
            return value
        }
        var value: Int64 = 0
        var seenDigit = false
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "7"):
                guard value < Int64.max >> 3 else { throw badField(field, headerAt) }
                value = value << 3 | Int64(byte - UInt8(ascii: "0"))
                seenDigit = true
            case 0, UInt8(ascii: " "):
                if seenDigit { return value }
            default:
                throw badField(field, headerAt)
            }
        }
        return value
    }

    private func badField(_ field: String, _ headerAt: Int64) -> SwiftrunError {
        .badArchive(name, reason: "\(headerAt == 0 ? "not a tar archive" : "corrupt tar archive") (bad \(field) field at byte \(headerAt))")
    }

    /// pax records: "<length> <key>=<value>\n" (POSIX pax, "pax Header
    /// Block"), where length counts the whole record, its digits and
    /// newline included. Every bound is checked before a byte is sliced:
    /// the bytes come from an untrusted archive.
    static func parsePax(_ data: [UInt8]) -> [String: [UInt8]]? {
        var records: [String: [UInt8]] = [:]
        var i = 0
        while i < data.count {
            var length = 0
            var space = i
            while space < data.count, data[space] >= UInt8(ascii: "0"), data[space] <= UInt8(ascii: "9"), space - i < 8 {
                length = length * 10 + Int(data[space] - UInt8(ascii: "0"))
                space += 1
            }
            let end = i + length  // one past the record's newline
            guard space > i, space < data.count, data[space] == UInt8(ascii: " "),
                end <= data.count, end > space + 2, data[end - 1] == UInt8(ascii: "\n"),
                let equals = data[(space + 1)..<(end - 1)].firstIndex(of: UInt8(ascii: "=")), equals > space + 1
            else { return nil }
            records[String(decoding: data[(space + 1)..<equals], as: UTF8.self)] = Array(data[(equals + 1)..<(end - 1)])
            i = end
        }
        return records
    }

    private func apply(_ pax: [String: [UInt8]], to entry: inout TarEntry, at headerAt: Int64) throws(SwiftrunError) {
        for (key, value) in pax {
            let text = String(decoding: value, as: UTF8.self)
            switch key {
            case "path": entry.path = text
            case "linkpath": entry.linkTarget = text
            case "size": entry.size = try paxNumber(text, key, headerAt)
            case "uid": entry.uid = Int(try paxNumber(text, key, headerAt))
            case "gid": entry.gid = Int(try paxNumber(text, key, headerAt))
            case "mtime": entry.mtime = try paxNumber(String(text.prefix { $0 != "." }), key, headerAt)
            default:
                if key.hasPrefix("SCHILY.xattr.") {
                    entry.xattrs.append((String(key.dropFirst("SCHILY.xattr.".count)), value))
                }
            }
        }
    }

    private func paxNumber(_ text: String, _ key: String, _ headerAt: Int64) throws(SwiftrunError) -> Int64 {
        guard let value = Int64(text), value >= 0 else { throw badField("pax \(key)", headerAt) }
        return value
    }

    private static func cString(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }
}
