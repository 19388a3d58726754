import CShims
import Glibc

/// A layer unpacked under tmp/ with its blob, its digests checked, not yet
/// visible in the store.
struct StagedLayer {
    var descriptor: Descriptor
    var diffID: Digest
    /// nil where the store already has it, or keeps it as a recipe.
    var blobTemp: String?
    /// A plain layer's LayerRecipe, which stands for its blob.
    var recipeTemp: String?
    var layerTemp: String?
    /// What makes the blob and layer durable, before publishing (nil where
    /// the store already has them).
    var writeback: Writeback?
}

extension Image {
    /// The image's layers as the store already has them: what a new image
    /// built on this one (commit, build) publishes beneath its own.
    var storedLayers: [StagedLayer] {
        zip(manifest.layers, configuration.rootfs.diff_ids).map { StagedLayer(descriptor: $0.0, diffID: $0.1) }
    }
}

/// Staging and publishing: how import and load add images so that a
/// failure, a wrong digest or a crash at any point leaves nothing visible.
/// Everything is written under tmp/ first; publishing renames it into
/// place and writes the index last, under the store lock.
extension ImageStore {
    /// Reads a layer blob from `fd` once: copied into tmp/ as the blob
    /// (a plain tar keeps a recipe instead), hashed, decompressed, hashed
    /// again, unpacked. `expected` digests, when known, must match, or
    /// nothing is kept. `plain`: kept as its tar, whatever its compression
    /// (`import`, as Docker keeps it): the compressed file is neither
    /// copied nor hashed, the work of a thread that took a ninth of the CPU
    /// `import` of a gzip Debian base used (perf).
    func stageLayer(fd: Int32, name: String, expectedDigest: Digest?, expectedDiffID: Digest?, plain: Bool = false) throws(SwiftrunError) -> StagedLayer {
        let blobTemp = layout.newTempPath("blob")
        let blobFD = try Syscall.check("create \(blobTemp)") { open(blobTemp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600) }
        defer { close(blobFD) }
        let copy = BlobCopy(fd: blobFD, path: blobTemp)
        let hashed = plain ? nil : HashingSource(FileSource(fd: fd, path: name, copyTo: copy))
        var staged: StagedLayer
        do throws(SwiftrunError) {
            staged = try unpackLayer(hashed ?? FileSource(fd: fd, path: name), hasher: hashed?.hasher, copy: copy, name: name)
        } catch {
            // A corrupt blob usually breaks gzip or tar before its end;
            // hashing the rest names the real cause when the digest is known.
            let actual = expectedDigest == nil ? nil : hashed?.digestToEnd()
            unlink(blobTemp)
            if let expectedDigest, let actual, actual != expectedDigest {
                throw .badArchive(name, reason: "digest mismatch: expected \(expectedDigest), got \(actual)")
            }
            throw error
        }
        if staged.recipeTemp == nil { staged.blobTemp = blobTemp } else { unlink(blobTemp) }
        do throws(SwiftrunError) {
            try Self.check(staged, name: name, expectedDigest: expectedDigest, expectedDiffID: expectedDiffID)
        } catch {
            discard([staged])
            throw error
        }
        return staged
    }

    /// Unpacks `file` into a new dir under tmp/ and describes the layer by
    /// what passed: the blob's digest and size, and its diffID. The layer's
    /// files, its recipe, and the blob `file` writes while it passes, reach
    /// the disk as they are written, and wholly when `publish` finishes
    /// the writeback, before anything is renamed into place. The blob
    /// itself is the caller's (`copy`, whole unless a recipe was kept).
    /// `hasher` hashes the blob as `file` passes; nil keeps the layer as
    /// its tar (plain), hashed here. Nothing is left behind when it throws.
    func unpackLayer(_ file: any ByteSource, hasher: DigestHasher?, copy: BlobCopy, name: String) throws(SwiftrunError) -> StagedLayer {
        let layerTemp = layout.newTempPath("layer")
        try Syscall.check("mkdir \(layerTemp)") { mkdir(layerTemp, 0o755) }
        var recipeTemp: String?
        do throws(SwiftrunError) {
            let writeback = try Writeback(directory: layerTemp)
            let blob = hasher ?? DigestHasher()
            let result = try LayerUnpacker.unpack(
                file, into: layerTemp, name: name, writeback: writeback, copy: copy, plain: hasher == nil ? blob : nil)
            let digest = blob.finalize()
            if let recipe = result.recipe {
                let path = layout.newTempPath("recipe")
                recipeTemp = path
                try FileSystem.writeInPlace(recipe.encoded(), to: path)
            }
            return StagedLayer(
                descriptor: Descriptor(mediaType: result.compression.layerMediaType, digest: digest, size: blob.count),
                diffID: result.diffID ?? digest, recipeTemp: recipeTemp, layerTemp: layerTemp, writeback: writeback)
        } catch {
            if let recipeTemp { unlink(recipeTemp) }
            try? FileSystem.removeTree(layerTemp)
            throw error
        }
    }

    /// A staged layer's digests against those its archive or registry
    /// gave, when it gave them.
    static func check(_ staged: StagedLayer, name: String, expectedDigest: Digest?, expectedDiffID: Digest?) throws(SwiftrunError) {
        if let expectedDigest, expectedDigest != staged.descriptor.digest {
            throw .badArchive(name, reason: "digest mismatch: expected \(expectedDigest), got \(staged.descriptor.digest)")
        }
        if let expectedDiffID, expectedDiffID != staged.diffID {
            throw .badArchive(name, reason: "uncompressed digest (diffID) mismatch: the config says \(expectedDiffID), the layer is \(staged.diffID)")
        }
    }

    /// Stages a layer that `write` produces as a tar (a commit's changes,
    /// a build's COPY), through a temp file: the layer goes through the same
    /// unpacker, and the same checks, as any image's.
    func stageLayer(name: String, write: (TarWriter) throws(SwiftrunError) -> Void) throws(SwiftrunError) -> StagedLayer {
        let tarPath = layout.newTempPath("layer.tar")
        let tarFD = try Syscall.check("create \(tarPath)") { open(tarPath, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600) }
        defer {
            close(tarFD)
            unlink(tarPath)
        }
        let writer = TarWriter(fd: tarFD, name: tarPath)
        try write(writer)
        _ = try writer.finish()
        try Syscall.check("lseek \(tarPath)") { lseek(tarFD, 0, SEEK_SET) }
        return try stageLayer(fd: tarFD, name: name, expectedDigest: nil, expectedDiffID: nil)
    }

    /// Waits until the staged layers are on disk, then, under the lock,
    /// moves staged blobs and layers into place, stores the config and a
    /// manifest, and points each tag at it. A pulled image
    /// keeps the registry's manifest byte for byte, so its digest stays the
    /// one the registry and the user know; other images get one written here.
    func publish(
        layers: [StagedLayer], config: [UInt8], tags: [ImageReference], untaggedName: Bool,
        manifest original: (bytes: [UInt8], mediaType: String)? = nil
    ) throws(SwiftrunError) -> Image {
        // One wait on the disk for all of the layers, outside the lock: they
        // share a filesystem, so the first syncfs does the work.
        for layer in layers { try layer.writeback?.finish() }
        return try StoreLock.withLock(layout.lock) { () throws(SwiftrunError) -> Image in
            for layer in layers {
                if let blobTemp = layer.blobTemp { try publish(blobTemp, at: layout.blob(layer.descriptor.digest)) }
                if let recipeTemp = layer.recipeTemp { try publish(recipeTemp, at: layout.recipe(layer.descriptor.digest)) }
                if let layerTemp = layer.layerTemp { try publish(layerTemp, at: layout.layer(layer.diffID)) }
            }
            let configDescriptor = try putBlob(config, mediaType: MediaType.config)
            let manifestDescriptor: Descriptor
            if let original {
                manifestDescriptor = try putBlob(original.bytes, mediaType: original.mediaType)
            } else {
                manifestDescriptor = try putJSON(ImageManifest(config: configDescriptor, layers: layers.map(\.descriptor)), mediaType: MediaType.manifest)
            }
            for tag in tags {
                try self.tag(tag, manifest: manifestDescriptor.digest)
            }
            if tags.isEmpty && untaggedName {
                try keepUntagged(manifest: manifestDescriptor.digest)
            }
            return try load(manifest: manifestDescriptor.digest)
        }
    }

    func discard(_ layers: [StagedLayer]) {
        for layer in layers {
            if let blobTemp = layer.blobTemp { unlink(blobTemp) }
            if let recipeTemp = layer.recipeTemp { unlink(recipeTemp) }
            if let layerTemp = layer.layerTemp { try? FileSystem.removeTree(layerTemp) }
        }
    }

    /// Same digest, same content: if it is already in place, the staged copy
    /// is dropped instead.
    private func publish(_ temp: String, at path: String) throws(SwiftrunError) {
        if FileSystem.exists(path) {
            try FileSystem.removeTree(temp)
            return
        }
        try Syscall.check("rename \(temp)") { rename(temp, path) }
    }
}
