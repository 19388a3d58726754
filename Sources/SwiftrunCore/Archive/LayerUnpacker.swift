/// How a layer blob is compressed, sniffed from its first bytes.
enum Compression {
    case none, gzip, zstd

    var layerMediaType: String {
        switch self {
        case .none: MediaType.layerTar
        case .gzip: MediaType.layerGzip
        case .zstd: MediaType.layerZstd
        }
    }

    /// Wraps `source` in the decompressor its magic bytes call for.
    static func decompressing(_ source: any ByteSource, name: String) throws(SwiftrunError) -> (any ByteSource, Compression) {
        let sniffed = try PrefixedSource.sniffing(4, from: source)
        if sniffed.head.starts(with: GzipSource.magic) { return (try GzipSource(sniffed, name: name), .gzip) }
        if sniffed.head == ZstdSource.magic { return (try ZstdSource(sniffed, name: name), .zstd) }
        return (sniffed, .none)
    }
}

/// Unpacks one layer: decompress as it reads, hash the tar (the diffID),
/// and write the entries into `directory`, all in one streaming pass.
enum LayerUnpacker {
    struct Result {
        var diffID: Digest
        var compression: Compression
    }

    /// Reading, hashing and decompressing run a few buffers ahead on a
    /// second thread (ReadAheadSource), stopped before this returns, so
    /// `source` is this thread's again afterwards.
    static func unpack(_ source: any ByteSource, into directory: String, name: String, whiteouts: Bool = true) throws(SwiftrunError) -> Result {
        let (decompressed, compression) = try Compression.decompressing(source, name: name)
        let tar = HashingSource(decompressed)
        let ahead = ReadAheadSource(tar)
        defer { ahead.stop() }
        let reader = TarReader(ahead, name: name)
        let writer = try LayerWriter(directory: directory, archive: name, whiteouts: whiteouts)
        while let entry = try reader.next() {
            try writer.write(entry, from: reader)
        }
        try writer.finish()
        try reader.drain()
        ahead.stop()
        return Result(diffID: tar.hasher.finalize(), compression: compression)
    }
}
