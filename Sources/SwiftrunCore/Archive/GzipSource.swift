import CShims

/// Streams gzip decompression so a layer is unpacked as it is read, with
/// no temporary copy of the tar. The inflater (CShims/inflate.c) is ISA-L's
/// igzip where libisal is installed, else zlib; both take members back to
/// back and check each member's trailer. It inflates straight from what
/// its source lends (a ReadAheadSource's buffers, for a layer).
final class GzipSource: ByteSource {
    static let magic: [UInt8] = [0x1f, 0x8b]

    private let inner: any LendingSource
    private let name: String
    private let inflater: OpaquePointer
    /// The unread input: input[pending...] holds `pendingCount` bytes.
    private var input = UnsafeRawBufferPointer(start: nil, count: 0)
    private var pending = 0
    private var pendingCount = 0
    private var innerEnded = false
    private var finished = false

    init(_ inner: any ByteSource, name: String) throws(SwiftrunError) {
        guard let inflater = sr_inflater_new() else {
            throw .badArchive(name, reason: "cannot start gzip decompression (out of memory)")
        }
        self.inner = BufferedSource.lending(inner, capacity: 1 << 17)
        self.name = name
        self.inflater = inflater
    }

    deinit { sr_inflater_free(inflater) }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(SwiftrunError) -> Int {
        while !finished {
            if pendingCount == 0 { try refill() }
            var next: UnsafePointer<UInt8>? = input.baseAddress?.advanced(by: pending).assumingMemoryBound(to: UInt8.self)
            var left = pendingCount
            var produced = 0
            let rc = sr_inflater_run(
                inflater, &next, &left, buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), buffer.count,
                &produced)
            pending += pendingCount - left
            pendingCount = left
            switch rc {
            case Int32(SR_INFLATE_MEMBER_END):
                // A gzip file may hold several members back to back (gzip(1)):
                // the stream is complete only where no byte follows a member.
                if pendingCount == 0 { try refill() }
                if pendingCount > 0 { sr_inflater_reset(inflater) } else { finished = true }
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

    private func refill() throws(SwiftrunError) {
        guard !innerEnded else { return }
        input = try inner.borrow(upTo: .max)
        pendingCount = input.count
        pending = 0
        innerEnded = pendingCount == 0
    }
}
