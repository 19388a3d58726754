import Glibc

/// A pull-based byte stream. Sources stack: a file, a tee that hashes and
/// copies what passes, a decompressor, another hash. Each read returns the
/// number of bytes written into `buffer`, and 0 at the end of the stream.
protocol ByteSource: AnyObject {
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(SwiftrunError) -> Int
}

/// A source whose bytes are already in memory of its own, which it lends
/// rather than copies: a reader of 200 MB of tar through a copy paid a
/// memcpy of every byte on the thread that writes the files (perf: 4 % of
/// the CPU of `import`, the inflater's input as much again).
protocol LendingSource: AnyObject {
    /// The next bytes, at most `limit`, counted as read; empty at the end.
    /// They stay valid until the next call on this source.
    func borrow(upTo limit: Int) throws(SwiftrunError) -> UnsafeRawBufferPointer
}

/// Lends what a plain source reads into a buffer of its own: the one copy
/// such a reader always made.
final class BufferedSource: LendingSource {
    private let inner: any ByteSource
    private let buffer: UnsafeMutableRawBufferPointer
    /// The unlent bytes: buffer[start..<end].
    private var start = 0
    private var end = 0

    init(_ inner: any ByteSource, capacity: Int = 1 << 16) {
        self.inner = inner
        buffer = .allocate(byteCount: capacity, alignment: 16)
    }

    deinit { buffer.deallocate() }

    /// `source` itself where it lends; else `source` read through a buffer.
    static func lending(_ source: any ByteSource, capacity: Int = 1 << 16) -> any LendingSource {
        (source as? any LendingSource) ?? BufferedSource(source, capacity: capacity)
    }

    func borrow(upTo limit: Int) throws(SwiftrunError) -> UnsafeRawBufferPointer {
        if start == end {
            start = 0
            end = try inner.read(into: buffer)
        }
        let count = min(limit, end - start)
        defer { start += count }
        return UnsafeRawBufferPointer(rebasing: buffer[start..<(start + count)])
    }
}

/// Hashes what a lending source lends, as it lends it: the diffID of a
/// tar its reader borrows.
final class HashingLender: LendingSource {
    private let inner: any LendingSource
    private let hasher: DigestHasher

    init(_ inner: any LendingSource, into hasher: DigestHasher) {
        self.inner = inner
        self.hasher = hasher
    }

    func borrow(upTo limit: Int) throws(SwiftrunError) -> UnsafeRawBufferPointer {
        let bytes = try inner.borrow(upTo: limit)
        hasher.update(bytes)
        return bytes
    }
}

extension ByteSource {
    /// Reads what is left: a copy or a hash the source makes covers the
    /// whole stream.
    func drain() throws(SwiftrunError) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        defer { buffer.deallocate() }
        while try read(into: buffer) > 0 {}
    }
}

/// Where a layer's blob is written as it is read: every byte that
/// passes, while `copying`. The unpacker stops the copy when the layer is
/// a plain tar, which a LayerRecipe keeps instead, and resumes it at the
/// tar's own pace if the recipe is given up (RecipeRecorder).
final class BlobCopy {
    let fd: Int32
    let path: String
    var copying = true

    init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }
}

/// Reads a file, optionally copying the bytes to a blob as they pass. The
/// file is a descriptor, or the current entry of a tar (a layer inside an
/// archive being loaded).
final class FileSource: ByteSource {
    private let pull: (UnsafeMutableRawBufferPointer) throws(SwiftrunError) -> Int
    private let copy: BlobCopy?

    init(fd: Int32, path: String, copyTo copy: BlobCopy? = nil) {
        pull = { (buffer) throws(SwiftrunError) in try Syscall.check("read \(path)") { Glibc.read(fd, buffer.baseAddress, buffer.count) } }
        self.copy = copy
    }

    init(entryOf reader: TarReader, copyTo copy: BlobCopy) {
        pull = { (buffer) throws(SwiftrunError) in try reader.readContent(into: buffer) }
        self.copy = copy
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(SwiftrunError) -> Int {
        let n = try pull(buffer)
        if let copy, copy.copying { try FileSystem.writeAll(copy.fd, UnsafeRawBufferPointer(rebasing: buffer[0..<n]), path: copy.path) }
        return n
    }
}

/// Hashes what it passes through: a blob's digest, or the uncompressed
/// layer's diffID.
final class HashingSource: ByteSource {
    private let inner: any ByteSource
    let hasher: DigestHasher

    init(_ inner: any ByteSource, into hasher: DigestHasher = DigestHasher()) {
        self.inner = inner
        self.hasher = hasher
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(SwiftrunError) -> Int {
        let n = try inner.read(into: buffer)
        hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        return n
    }

    /// Reads what is left and returns the digest of the whole stream; nil
    /// if it cannot be read to the end.
    func digestToEnd() -> Digest? {
        guard (try? drain()) != nil else { return nil }
        return hasher.finalize()
    }
}

/// Serves bytes already read (to sniff a compression magic) before the rest.
final class PrefixedSource: ByteSource {
    private var prefix: [UInt8]
    private let inner: any ByteSource

    init(prefix: [UInt8], _ inner: any ByteSource) {
        self.prefix = prefix
        self.inner = inner
    }

    /// Reads up to `count` bytes from `inner` to look at, and keeps them.
    static func sniffing(_ count: Int, from inner: any ByteSource) throws(SwiftrunError) -> PrefixedSource {
        let head = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 1)
        defer { head.deallocate() }
        var filled = 0
        while filled < count {
            let n = try inner.read(into: UnsafeMutableRawBufferPointer(rebasing: head[filled...]))
            if n == 0 { break }
            filled += n
        }
        return PrefixedSource(prefix: Array(head[0..<filled]), inner)
    }

    var head: [UInt8] { prefix }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(SwiftrunError) -> Int {
        guard prefix.isEmpty else {
            let n = min(prefix.count, buffer.count)
            prefix.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            prefix.removeFirst(n)
            return n
        }
        return try inner.read(into: buffer)
    }
}
