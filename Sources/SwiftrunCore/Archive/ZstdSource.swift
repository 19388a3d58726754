import CZstd

/// Streams zstd decompression (layer media type tar+zstd), straight from
/// what its source lends, as GzipSource does.
final class ZstdSource: ByteSource {
    static let magic: [UInt8] = [0x28, 0xb5, 0x2f, 0xfd]

    private let inner: any LendingSource
    private let name: String
    private let stream: OpaquePointer
    private var inBuffer = ZSTD_inBuffer(src: nil, size: 0, pos: 0)
    private var innerEnded = false
    /// 0 once a frame is complete: the stream may end only there.
    private var frameRemaining = 1

    init(_ inner: any ByteSource, name: String) throws(SwiftrunError) {
        self.inner = BufferedSource.lending(inner, capacity: Int(ZSTD_DStreamInSize()))
        self.name = name
        guard let stream = ZSTD_createDStream() else {
            throw .badArchive(name, reason: "cannot start zstd decompression")
        }
        self.stream = stream
        ZSTD_initDStream(stream)
    }

    deinit { ZSTD_freeDStream(stream) }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(SwiftrunError) -> Int {
        while true {
            if inBuffer.pos == inBuffer.size && !innerEnded {
                let input = try inner.borrow(upTo: .max)
                innerEnded = input.isEmpty
                inBuffer = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
            }
            if inBuffer.pos == inBuffer.size && innerEnded {
                guard frameRemaining == 0 else {
                    throw .badArchive(name, reason: "zstd stream ends early (truncated file)")
                }
                return 0
            }
            var output = ZSTD_outBuffer(dst: buffer.baseAddress, size: buffer.count, pos: 0)
            let rc = ZSTD_decompressStream(stream, &output, &inBuffer)
            if ZSTD_isError(rc) != 0 {
                throw .badArchive(name, reason: "corrupt zstd data: \(String(cString: ZSTD_getErrorName(rc)))")
            }
            frameRemaining = rc
            if output.pos > 0 { return output.pos }
        }
    }
}
