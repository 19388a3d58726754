import Glibc

/// `swiftrun save`: images as a tar that other tools load, in Docker's
/// `docker save` layout or as an OCI image layout. Blobs are written as
/// stored, so every digest in the archive is the store's own.
public struct ImageSaver {
    public enum Format: String, Sendable, CaseIterable {
        case dockerArchive = "docker-archive"
        case ociArchive = "oci-archive"
    }

    let store: ImageStore

    public init(store: ImageStore) { self.store = store }

    /// Saves to `path` under a temp name, renamed when complete: a failed
    /// save leaves no half archive.
    public func save(_ names: [String], format: Format, toFile path: String) throws(SwiftrunError) {
        try FileSystem.writeAtomically(to: path, durable: false) { (fd, _) throws(SwiftrunError) in
            try save(names, format: format, to: fd, path: path)
        }
    }

    public func save(_ names: [String], format: Format, to fd: Int32, path: String) throws(SwiftrunError) {
        var images: [(image: Image, tags: [ImageReference])] = []
        for name in names {
            let image = try store.image(name)
            let tag = (try? ImageReference(parsing: name)).flatMap { (try? store.index())?[$0.description] == image.manifestDigest ? $0 : nil }
            if let existing = images.firstIndex(where: { $0.image.manifestDigest == image.manifestDigest }) {
                if let tag, !images[existing].tags.contains(tag) { images[existing].tags.append(tag) }
            } else {
                images.append((image, tag.map { [$0] } ?? []))
            }
        }
        let writer = TarWriter(fd: fd, name: path)
        try writer.add(.init(path: "blobs/", kind: .directory, mode: 0o755))
        try writer.add(.init(path: "blobs/sha256/", kind: .directory, mode: 0o755))
        var written = Set<Digest>()
        for (image, _) in images {
            for descriptor in [Descriptor(mediaType: MediaType.manifest, digest: image.manifestDigest, size: 0), image.manifest.config] + image.manifest.layers
            where written.insert(descriptor.digest).inserted {
                try addBlob(descriptor.digest, to: writer)
            }
        }
        switch format {
        case .ociArchive:
            try writer.add(.init(path: "oci-layout", kind: .regular, mode: 0o644), bytes: Array(#"{"imageLayoutVersion":"1.0.0"}"#.utf8))
            var manifests: [Descriptor] = []
            for (image, tags) in images {
                let size = try blobSize(image.manifestDigest)
                for tag in tags.isEmpty ? [nil] : tags.map(Optional.init) {
                    manifests.append(
                        Descriptor(
                            mediaType: MediaType.manifest, digest: image.manifestDigest, size: size,
                            annotations: tag.map { ["io.containerd.image.name": $0.description, ImageIndex.refName: $0.tag] }))
                }
            }
            let index = ImageIndex(mediaType: MediaType.index, manifests: manifests)
            try writer.add(.init(path: "index.json", kind: .regular, mode: 0o644), bytes: try JSON.encode(index))
        case .dockerArchive:
            struct Entry: Encodable {
                var Config: String
                var RepoTags: [String]
                var Layers: [String]
            }
            let entries = images.map { image, tags in
                Entry(
                    Config: "blobs/sha256/" + image.manifest.config.digest.hex, RepoTags: tags.map(\.familiar),
                    Layers: image.manifest.layers.map { "blobs/sha256/" + $0.digest.hex })
            }
            try writer.add(.init(path: "manifest.json", kind: .regular, mode: 0o644), bytes: try JSON.encode(entries))
        }
        _ = try writer.finish()
    }

    private func blobSize(_ digest: Digest) throws(SwiftrunError) -> Int64 {
        var info = stat()
        try Syscall.check("stat blob \(digest)") { stat(store.layout.blob(digest), &info) }
        return Int64(info.st_size)
    }

    private func addBlob(_ digest: Digest, to writer: TarWriter) throws(SwiftrunError) {
        let blob = try StoredBlob(digest, in: store.layout)
        try writer.add(
            .init(path: "blobs/sha256/" + digest.hex, kind: .regular, mode: 0o444, size: blob.size), from: blob.source, path: "blob \(digest)")
    }
}
