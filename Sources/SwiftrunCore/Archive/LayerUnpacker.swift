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

    /// What a stream's first bytes say it is.
    init(magic: [UInt8]) {
        self = magic.starts(with: GzipSource.magic) ? .gzip : magic == ZstdSource.magic ? .zstd : .none
    }

    /// `source` read through this compression's decompressor.
    func decompressing(_ source: any ByteSource, name: String) throws(SwiftrunError) -> any ByteSource {
        switch self {
        case .none: source
        case .gzip: try GzipSource(source, name: name)
        case .zstd: try ZstdSource(source, name: name)
        }
    }

    /// Wraps `source` in the decompressor its magic bytes call for.
    static func decompressing(_ source: any ByteSource, name: String) throws(SwiftrunError) -> (any ByteSource, Compression) {
        let sniffed = try PrefixedSource.sniffing(4, from: source)
        let compression = Compression(magic: sniffed.head)
        return (try compression.decompressing(sniffed, name: name), compression)
    }
}

/// Unpacks one layer: decompress as it reads, hash the tar (the diffID),
/// and write the entries into `directory`, all in one streaming pass.
enum LayerUnpacker {
    struct Result {
        /// nil when the blob is an uncompressed tar: its diffID is then its
        /// own digest, which the caller hashes already (hashing the same
        /// bytes twice cost a tenth of a load); nil too when the layer is
        /// kept plain, its tar hashed into the caller's hasher.
        var diffID: Digest?
        var compression: Compression
        /// What keeps a plain layer's blob instead of a copy, unless it
        /// was given up; `copy` then holds the blob whole.
        var recipe: LayerRecipe?
    }

    /// A compressed blob is read, copied and hashed on a thread of its own
    /// (a ReadAheadSource here), a few buffers ahead of the one that
    /// inflates it (the one in `write`), which is ahead of this one, which
    /// hashes the tar, parses it and writes the files. One thread did the
    /// first three, and was the pipeline's slowest stage by far (perf).
    ///
    /// `copy` is where `source` copies the blob as it passes. A plain tar
    /// stops that copy after its first header: a LayerRecipe keeps it.
    /// With `plain`, the layer is kept as its tar whatever its compression,
    /// as Docker's `import` keeps it: the tar is hashed into `plain`, and
    /// its recipe stands for it (Result's compression is then .none).
    static func unpack(
        _ source: any ByteSource, into directory: String, name: String, writeback: Writeback, copy: BlobCopy, plain: DigestHasher? = nil
    ) throws(SwiftrunError) -> Result {
        let sniffed = try PrefixedSource.sniffing(512, from: source)
        let compression = Compression(magic: Array(sniffed.head.prefix(4)))
        let blob = compression == .none ? nil : ReadAheadSource(sniffed)
        defer { blob?.stop() }
        let decompressed = try compression.decompressing(blob ?? sniffed, name: name)
        var recorder: RecipeRecorder?
        let writer = try LayerWriter(directory: directory, archive: name, whiteouts: true)
        if plain != nil || compression == .none && TarReader.startsWithHeader(sniffed.head) {
            copy.copying = false
            recorder = RecipeRecorder(blob: copy, layerFD: writer.rootFD)
        }
        writer.writeback = writeback
        writer.recorder = recorder
        let tar = plain ?? (compression == .none ? nil : DigestHasher())
        try write(decompressed, with: writer, name: name, hashing: tar, recorder: recorder)
        return Result(
            diffID: plain == nil ? tar?.finalize() : nil, compression: plain == nil ? compression : .none,
            recipe: recorder.flatMap { $0.abandoned ? nil : $0.recipe })
    }

    /// An archive of plain files (a build context, ADD's tar, load's
    /// input): `.wh.` names are plain names, and nothing is hashed.
    /// `fileContent`, when given, writes each regular file's content.
    static func unpackArchive(
        _ source: any ByteSource, into directory: String, name: String, fileContent: LayerWriter.FileContent? = nil
    ) throws(SwiftrunError) {
        let (decompressed, _) = try Compression.decompressing(source, name: name)
        let writer = try LayerWriter(directory: directory, archive: name, whiteouts: false)
        writer.fileContent = fileContent
        try write(decompressed, with: writer, name: name, hashing: nil)
    }

    /// Reading and decompressing run a few buffers ahead on a second
    /// thread (ReadAheadSource), stopped before this returns, so `source`
    /// is this thread's again afterwards. The tar is hashed into `hashing`
    /// on this thread, as it is parsed: on the inflating thread, which is
    /// the pipeline's longest for a gzip layer, importing Debian's base
    /// took 755 ms against 713 (14 rounds each); on a third thread of its
    /// own, 755 against 760 (10 rounds), as the two cores were full.
    private static func write(
        _ source: any ByteSource, with writer: LayerWriter, name: String, hashing: DigestHasher?, recorder: RecipeRecorder? = nil
    ) throws(SwiftrunError) {
        let ahead = ReadAheadSource(source)
        defer { ahead.stop() }
        let reader = TarReader(hashing.map { HashingLender(ahead, into: $0) } ?? ahead, name: name)
        reader.recorder = recorder
        while let entry = try reader.next() {
            try writer.write(entry, from: reader)
        }
        try writer.finish()
        try reader.drain()
        ahead.stop()
    }
}
