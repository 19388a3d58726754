import CShims
import Glibc

/// `swiftrun import`: a rootfs tarball becomes a one-layer image.
///
/// One pass over the file does everything: the bytes are hashed (blob
/// digest) and copied into the blob store as they are read, decompressed,
/// hashed again (diffID) and unpacked. Both land under tmp/ first and are
/// renamed into place only when complete, under the store lock, so a
/// failed or interrupted import leaves nothing visible.
public struct ImageImporter {
    let store: ImageStore
    var layout: StoreLayout { store.layout }

    public init(store: ImageStore) { self.store = store }

    @discardableResult
    public func importTarball(_ path: String, as reference: ImageReference) throws(SwiftrunError) -> Image {
        try layout.prepare()
        let token = String(UInt64.random(in: .min ... .max), radix: 16)
        let tempBlob = "\(layout.temp)/\(token).blob"
        let tempLayer = "\(layout.temp)/\(token).layer"
        defer {
            unlink(tempBlob)
            try? FileSystem.removeTree(tempLayer)
        }
        let unpacked = try unpack(path, blob: tempBlob, layer: tempLayer)

        let configuration = ImageConfiguration(
            created: JSON.timestamp(), architecture: "amd64", os: "linux",
            config: ImageConfiguration.ExecutionConfig(Env: [ContainerDefaults.path]),
            rootfs: .init(diff_ids: [unpacked.diffID]),
            history: [.init(created: JSON.timestamp(), created_by: "swiftrun import \(path)", comment: "imported")])

        return try StoreLock.withLock(layout.lock) { () throws(SwiftrunError) -> Image in
            try publish(tempBlob, at: layout.blob(unpacked.layer.digest))
            try publish(tempLayer, at: layout.layer(unpacked.diffID))
            let config = try store.putJSON(configuration, mediaType: MediaType.config)
            let manifest = ImageManifest(config: config, layers: [unpacked.layer])
            let manifestDescriptor = try store.putJSON(manifest, mediaType: MediaType.manifest)
            try store.tag(reference, manifest: manifestDescriptor.digest)
            return Image(manifestDigest: manifestDescriptor.digest, manifest: manifest, configuration: configuration)
        }
    }

    private func unpack(_ path: String, blob: String, layer: String) throws(SwiftrunError) -> (layer: Descriptor, diffID: Digest) {
        let input = try Syscall.check("open \(path)") { open(path, O_RDONLY | O_CLOEXEC) }
        defer { close(input) }
        let blobFD = try Syscall.check("create \(blob)") { open(blob, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600) }
        defer { close(blobFD) }
        try Syscall.check("mkdir \(layer)") { mkdir(layer, 0o755) }

        let file = FileSource(fd: input, path: path, copyTo: blobFD)
        let sniffed = try PrefixedSource.sniffing(2, from: file)
        let compressed = sniffed.head == GzipSource.magic
        let tar = HashingSource(compressed ? try GzipSource(sniffed, name: path) : sniffed)
        let reader = TarReader(tar, name: path)
        let writer = try LayerWriter(directory: layer, archive: path)
        while let entry = try reader.next() {
            try writer.write(entry, from: reader)
        }
        try writer.finish()
        try reader.drain()

        try Syscall.check("fsync \(blob)") { fsync(blobFD) }
        let layerFD = try Syscall.check("open \(layer)") { open(layer, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        defer { close(layerFD) }
        try Syscall.check("syncfs \(layer)") { sr_syncfs(layerFD) }

        let descriptor = Descriptor(
            mediaType: compressed ? MediaType.layerGzip : MediaType.layerTar,
            digest: file.hasher.finalize(), size: file.hasher.count)
        return (descriptor, tar.hasher.finalize())
    }

    /// Moves a finished temp blob or layer dir to its content address. Same
    /// digest, same content: if it is already there, the temp copy is dropped
    /// (by the caller's cleanup).
    private func publish(_ temp: String, at path: String) throws(SwiftrunError) {
        if FileSystem.exists(path) { return }
        try Syscall.check("rename \(temp)") { rename(temp, path) }
    }
}
