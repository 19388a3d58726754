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
        /// nil when the blob is an uncompressed tar: its diffID is then its
        /// own digest, which the caller hashes already (hashing the same
        /// bytes twice cost a tenth of a load).
        var diffID: Digest?
        var compression: Compression
    }

    static func unpack(
        _ source: any ByteSource, into directory: String, name: String, writeback: Writeback
    ) throws(SwiftrunError) -> Result {
        let (decompressed, compression) = try Compression.decompressing(source, name: name)
        let tar = compression == .none ? nil : HashingSource(decompressed)
        try write(tar ?? decompressed, into: directory, name: name, whiteouts: true, fileContent: nil, writeback: writeback)
        return Result(diffID: tar?.hasher.finalize(), compression: compression)
    }

    /// An archive of plain files (a build context, ADD's tar, load's
    /// input): `.wh.` names are plain names, and nothing is hashed.
    /// `fileContent`, when given, writes each regular file's content.
    static func unpackArchive(
        _ source: any ByteSource, into directory: String, name: String, fileContent: LayerWriter.FileContent? = nil
    ) throws(SwiftrunError) {
        let (decompressed, _) = try Compression.decompressing(source, name: name)
        try write(decompressed, into: directory, name: name, whiteouts: false, fileContent: fileContent, writeback: nil)
    }

    /// Reading, hashing and decompressing run a few buffers ahead on a
    /// second thread (ReadAheadSource), stopped before this returns, so
    /// `source` is this thread's again afterwards.
    private static func write(
        _ source: any ByteSource, into directory: String, name: String, whiteouts: Bool, fileContent: LayerWriter.FileContent?,
        writeback: Writeback?
    ) throws(SwiftrunError) {
        let ahead = ReadAheadSource(source)
        defer { ahead.stop() }
        let reader = TarReader(ahead, name: name)
        let writer = try LayerWriter(directory: directory, archive: name, whiteouts: whiteouts)
        writer.fileContent = fileContent
        writer.writeback = writeback
        while let entry = try reader.next() {
            try writer.write(entry, from: reader)
        }
        try writer.finish()
        try reader.drain()
        ahead.stop()
    }
}
