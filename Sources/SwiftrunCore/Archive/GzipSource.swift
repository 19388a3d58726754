import CShims
import CZlib

/// Streams gzip decompression so a layer is unpacked as it is read, with
/// no temporary copy of the tar: with ISA-L's igzip where libisal is
/// installed (CShims/inflate.c), else with zlib's inflate.
final class GzipSource: ByteSource {
    static let magic: [UInt8] = [0x1f, 0x8b]

    private let inner: any ByteSource
    private let name: String
    private let isal: OpaquePointer?
    private var stream = z_stream()
    private let input = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 17, alignment: 16)
    /// igzip's unread input: input[pending...] holds `pendingCount` bytes.
    private var pending = 0
    private var pendingCount = 0
    private var innerEnded = false
    private var finished = false

    init(_ inner: any ByteSource, name: String) throws(SwiftrunError) {
        self.inner = inner
        self.name = name
        isal = sr_inflater_new()
        guard isal == nil else { return }
        // 15 + 16: a gzip wrapper with the largest window (zlib.h, inflateInit2).
        let rc = inflateInit2_(&stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard rc == Z_OK else {
            input.deallocate()
            throw .badArchive(name, reason: "cannot start gzip decompression (zlib error \(rc))")
        }
    }

    deinit {
        if let isal { sr_inflater_free(isal) } else { inflateEnd(&stream) }
        input.deallocate()
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(SwiftrunError) -> Int {
        if let isal { return try read(with: isal, into: buffer) }
        while !finished {
            if stream.avail_in == 0 && !innerEnded {
                let n = try inner.read(into: input)
                innerEnded = n == 0
                stream.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.avail_in = uInt(n)
            }
            stream.next_out = buffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
            stream.avail_out = uInt(buffer.count)
            let rc = inflate(&stream, Z_NO_FLUSH)
            let produced = buffer.count - Int(stream.avail_out)
            switch rc {
            case Z_STREAM_END:
                // A gzip file may hold several members back to back (gzip(1)).
                if stream.avail_in > 0 || !innerEnded {
                    inflateReset(&stream)
                    if stream.avail_in == 0 { try refillOrFinish() }
                } else {
                    finished = true
                }
            case Z_OK, Z_BUF_ERROR:
                if produced == 0 && stream.avail_in == 0 && innerEnded {
                    throw .badArchive(name, reason: "gzip stream ends early (truncated file)")
                }
            default:
                let detail = stream.msg.map { String(cString: $0) } ?? "error \(rc)"
                throw .badArchive(name, reason: "corrupt gzip data: \(detail)")
            }
            if produced > 0 { return produced }
        }
        return 0
    }

    /// The same loop with igzip: members back to back, a truncated or
    /// corrupt stream refused.
    private func read(with isal: OpaquePointer, into buffer: UnsafeMutableRawBufferPointer) throws(SwiftrunError) -> Int {
        while !finished {
            if pendingCount == 0 && !innerEnded {
                pendingCount = try inner.read(into: input)
                pending = 0
                innerEnded = pendingCount == 0
            }
            var next: UnsafePointer<UInt8>? = UnsafePointer(input.baseAddress!.advanced(by: pending).assumingMemoryBound(to: UInt8.self))
            var left = pendingCount
            var produced = 0
            let rc = sr_inflater_run(isal, &next, &left, buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), buffer.count, &produced)
            pending += pendingCount - left
            pendingCount = left
            switch rc {
            case Int32(SR_INFLATE_MEMBER_END):
                if pendingCount == 0 && !innerEnded {
                    pendingCount = try inner.read(into: input)
                    pending = 0
                    innerEnded = pendingCount == 0
                }
                if pendingCount > 0 { sr_inflater_reset(isal) } else { finished = true }
            case Int32(SR_INFLATE_OK):
                if produced == 0 && pendingCount == 0 && innerEnded {
                    throw .badArchive(name, reason: "gzip stream ends early (truncated file)")
                }
            default:
                throw .badArchive(name, reason: "corrupt gzip data")
            }
            if produced > 0 { return produced }
        }
        return 0
    }

    /// After a member ends exactly at a buffer boundary: if no bytes follow,
    /// the stream is complete; otherwise the next member starts.
    private func refillOrFinish() throws(SwiftrunError) {
        let n = try inner.read(into: input)
        innerEnded = n == 0
        finished = n == 0
        stream.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
        stream.avail_in = uInt(n)
    }
}
