import CShims
import Glibc

/// An uncompressed layer archive kept as what its unpacked files cannot
/// give back: its headers, padding and end blocks as they were, and for
/// each regular file's content, the file's path in the layer's directory.
/// The archive is rebuilt byte for byte from the two (RecipeSource), so
/// its digest holds without a second copy of every file on disk: `load`
/// wrote a 204 MB Debian archive twice, once as its files and once as its
/// blob, and the second write was a third of its time. podman and Docker
/// keep their layers the same way (tar-split).
///
/// It holds only while each recorded file still has the content it was
/// written with. A layer's directory is never written after its unpack,
/// and during it, RecipeRecorder gives the recipe up before the first
/// removal (an entry replacing an earlier one), keeping the blob instead.
struct LayerRecipe {
    enum Segment {
        /// A range of `bytes`.
        case bytes(Range<Int>)
        /// The content of the regular file at `path` (relative to the
        /// layer's directory), `size` bytes.
        case file(path: String, size: Int64)
    }

    private(set) var bytes: [UInt8] = []
    private(set) var segments: [Segment] = []
    /// The archive's size: the bytes and the files together.
    private(set) var size: Int64 = 0

    init() {}

    mutating func append(_ chunk: UnsafeRawBufferPointer) {
        guard !chunk.isEmpty else { return }
        let start = bytes.count
        bytes.append(contentsOf: chunk)
        size += Int64(chunk.count)
        if case .bytes(let last) = segments.last, last.upperBound == start {
            segments[segments.count - 1] = .bytes(last.lowerBound..<bytes.count)
        } else {
            segments.append(.bytes(start..<bytes.count))
        }
    }

    mutating func appendFile(_ path: String, size fileSize: Int64) {
        segments.append(.file(path: path, size: fileSize))
        size += fileSize
    }

    // MARK: - The file: a magic line, the size, then each segment tagged

    private static let magic = Array("swiftrun layer recipe 1\n".utf8)
    private static let bytesTag: UInt8 = 0
    private static let fileTag: UInt8 = 1

    func encoded() -> [UInt8] {
        var out = Self.magic
        out.reserveCapacity(bytes.count + segments.count * 64 + 64)
        Self.put(UInt64(size), into: &out)
        for segment in segments {
            switch segment {
            case .bytes(let range):
                out.append(Self.bytesTag)
                Self.put(UInt64(range.count), into: &out)
                out.append(contentsOf: bytes[range])
            case .file(let path, let fileSize):
                out.append(Self.fileTag)
                Self.put(UInt64(fileSize), into: &out)
                Self.put(UInt64(path.utf8.count), into: &out)
                out.append(contentsOf: path.utf8)
            }
        }
        return out
    }

    /// A recipe read back; `path` names it in errors. Every length is
    /// checked against what is left, so a damaged file is an error, not
    /// a crash.
    init(decoding data: [UInt8], path: String) throws(SwiftrunError) {
        let damaged = SwiftrunError.badArchive(path, reason: "damaged layer recipe")
        guard data.starts(with: Self.magic) else { throw damaged }
        var at = Self.magic.count
        func take(_ count: Int) throws(SwiftrunError) -> ArraySlice<UInt8> {
            guard count >= 0, data.count - at >= count else { throw damaged }
            defer { at += count }
            return data[at..<(at + count)]
        }
        func number() throws(SwiftrunError) -> Int {
            let value = try take(8).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            guard value <= UInt64(Int32.max) << 24 else { throw damaged }
            return Int(value)
        }
        let total = try number()
        while at < data.count {
            switch try take(1).first {
            case Self.bytesTag:
                let chunk = try take(try number())
                chunk.withUnsafeBytes { append($0) }
            case Self.fileTag:
                let fileSize = try number()
                appendFile(String(decoding: try take(try number()), as: UTF8.self), size: Int64(fileSize))
            default:
                throw damaged
            }
        }
        guard size == Int64(total) else { throw damaged }
    }

    private static func put(_ value: UInt64, into out: inout [UInt8]) {
        for shift in stride(from: 0, to: 64, by: 8) { out.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }
}

/// Records a LayerRecipe as a TarReader passes a plain layer to a
/// LayerWriter: every byte the reader consumes is kept, except the
/// content of each file the writer claims. Until the recipe is given up,
/// nothing is written to the blob; once it is, what was recorded is
/// replayed into the blob and every later byte is copied there.
final class RecipeRecorder {
    private(set) var recipe = LayerRecipe()
    /// Content bytes still to come of the file claimed last.
    private var claimed: Int64 = 0
    private let blob: BlobCopy
    private let layerFD: Int32
    private(set) var abandoned = false

    /// `layerFD`: the layer's directory (borrowed), to replay from.
    init(blob: BlobCopy, layerFD: Int32) {
        self.blob = blob
        self.layerFD = layerFD
    }

    /// Bytes the reader consumed, in order.
    func passed(_ chunk: UnsafeRawBufferPointer) throws(SwiftrunError) {
        if abandoned {
            try FileSystem.writeAll(blob.fd, chunk, path: blob.path)
            return
        }
        let skip = Int(min(claimed, Int64(chunk.count)))
        claimed -= Int64(skip)
        recipe.append(UnsafeRawBufferPointer(rebasing: chunk[skip...]))
    }

    /// The next `size` bytes are the content of the file the writer is
    /// making at `path`.
    func claim(_ path: String, size: Int64) {
        guard !abandoned else { return }
        recipe.appendFile(path, size: size)
        claimed = size
    }

    /// Called before the writer removes anything: a file recorded so far
    /// could lose its content. The blob is made from the recipe while
    /// every file in it is still whole.
    func abandon() throws(SwiftrunError) {
        guard !abandoned else { return }
        abandoned = true
        try Syscall.check("truncate \(blob.path)") { ftruncate(blob.fd, 0) }
        try Syscall.check("seek \(blob.path)") { lseek(blob.fd, 0, SEEK_SET) }
        let replay = RecipeSource(recipe, layerFD: layerFD, name: blob.path)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        defer { buffer.deallocate() }
        while case let n = try replay.read(into: buffer), n > 0 {
            try FileSystem.writeAll(blob.fd, UnsafeRawBufferPointer(rebasing: buffer[0..<n]), path: blob.path)
        }
        recipe = LayerRecipe()
    }
}

/// A layer archive rebuilt from its recipe and its directory. It checks
/// each file's size, not its content: the reader of a whole layer checks
/// its digest (StoredBlob).
final class RecipeSource: ByteSource {
    private let recipe: LayerRecipe
    private let layerFD: Int32
    private let name: String
    private var index = 0
    /// Where the current segment is read up to.
    private var done: Int64 = 0
    private var fileFD: Int32 = -1

    /// `layerFD` is borrowed: it must outlive this source.
    init(_ recipe: LayerRecipe, layerFD: Int32, name: String) {
        self.recipe = recipe
        self.layerFD = layerFD
        self.name = name
    }

    deinit { if fileFD >= 0 { close(fileFD) } }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(SwiftrunError) -> Int {
        while index < recipe.segments.count {
            let n: Int
            let length: Int64
            switch recipe.segments[index] {
            case .bytes(let range):
                length = Int64(range.count)
                n = min(buffer.count, range.count - Int(done))
                recipe.bytes.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[(range.lowerBound + Int(done))...].prefix(n))) }
            case .file(let path, let size):
                length = size
                n = try readFile(path, size: size, into: buffer)
            }
            done += Int64(n)
            if done == length {
                index += 1
                done = 0
                if fileFD >= 0 { close(fileFD) }
                fileFD = -1
            }
            if n > 0 { return n }
        }
        return 0
    }

    private func readFile(_ path: String, size: Int64, into buffer: UnsafeMutableRawBufferPointer) throws(SwiftrunError) -> Int {
        guard size > 0 else { return 0 }
        if fileFD < 0 {
            // A symlink anywhere on the path (ELOOP), or a name gone or no
            // longer under a directory, is the layer changed by hand: its
            // file is never looked for outside the layer.
            let opened = try Syscall.attempt("open \(path) of \(name)", allowing: [ELOOP, ENOENT, ENOTDIR]) {
                sr_open_in_root_nofollow(layerFD, path, O_RDONLY)
            }
            guard let opened else {
                throw .badArchive(name, reason: "\(path) was changed after the layer was stored (it is gone, or a symlink is on its path)")
            }
            fileFD = opened
            var info = stat()
            try Syscall.check("stat \(path) of \(name)") { fstat(fileFD, &info) }
            guard info.st_mode & S_IFMT == S_IFREG, Int64(info.st_size) == size else {
                throw .badArchive(name, reason: "\(path) was changed after the layer was stored (it is no longer a \(size)-byte file)")
            }
        }
        let want = Int(min(Int64(buffer.count), size - done))
        let n = try Syscall.check("read \(path) of \(name)") { Glibc.read(fileFD, buffer.baseAddress, want) }
        guard n > 0 else { throw .badArchive(name, reason: "\(path) was changed after the layer was stored (it shrank)") }
        return n
    }
}
