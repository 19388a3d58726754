import CShims
import Glibc

/// An image as `run` needs it: its config and its layer dirs.
public struct Image: Sendable {
    public var manifestDigest: Digest
    public var manifest: ImageManifest
    public var configuration: ImageConfiguration
    /// The image ID Docker shows: the digest of the config blob.
    public var id: Digest { manifest.config.digest }
    /// Its size as `images`, `inspect` and `ps -s` show it: its layer blobs'.
    public var size: Int64 { manifest.layers.reduce(0) { $0 + $1.size } }
}

/// One row of `swiftrun images`.
public struct ImageSummary: Sendable {
    /// "<none>" for both when the image has no name.
    public var repository: String
    public var tag: String
    public var id: Digest
    public var created: String?
    public var size: Int64
    public var labels: [String: String]
    public var manifestDigest: Digest

    /// No name: "<none>:<none>", what `image prune` removes.
    public var isDangling: Bool { repository == "<none>" }
}

/// Content-addressed images: blobs by sha256, layers unpacked once by
/// diffID, and an index from NAME:TAG to manifest digest.
public struct ImageStore: Sendable {
    let layout: StoreLayout

    public init(layout: StoreLayout) { self.layout = layout }

    /// The index: "NAME:TAG" -> manifest digest. Missing means empty.
    func index() throws(SwiftrunError) -> [String: Digest] {
        guard FileSystem.exists(layout.imageIndex) else { return [:] }
        let bytes = try FileSystem.readFile(layout.imageIndex)
        return try JSON.decode([String: Digest].self, from: bytes, path: layout.imageIndex)
    }

    /// Points `reference` at `manifest`. The caller holds the store lock.
    func tag(_ reference: ImageReference, manifest: Digest) throws(SwiftrunError) {
        var entries = try index()
        entries[reference.description] = manifest
        entries[Self.untaggedKey(manifest)] = nil
        try writeIndex(entries)
    }

    /// An image loaded without a name is kept in the index under its digest,
    /// shown as <none> as Docker does. The caller holds the store lock.
    func keepUntagged(manifest: Digest) throws(SwiftrunError) {
        var entries = try index()
        guard !entries.values.contains(manifest) else { return }
        entries[Self.untaggedKey(manifest)] = manifest
        try writeIndex(entries)
    }

    /// Replaces the index. The caller holds the store lock.
    func writeIndex(_ entries: [String: Digest]) throws(SwiftrunError) {
        try FileSystem.writeAtomically(try JSON.encode(entries), to: layout.imageIndex, durable: true)
    }

    static func untaggedKey(_ manifest: Digest) -> String { "<none>@" + manifest.description }

    /// Finds an image by NAME[:TAG], or by a prefix of its ID as Docker does.
    public func image(_ text: String) throws(SwiftrunError) -> Image {
        let entries = try index()
        if let reference = try? ImageReference(parsing: text), let digest = entries[reference.description] {
            return try load(manifest: digest)
        }
        let idPrefix = text.hasPrefix("sha256:") ? String(text.dropFirst(7)) : text
        if idPrefix.count >= 4, idPrefix.allSatisfy(\.isHexDigit) {
            for digest in Set(entries.values) {
                let image = try load(manifest: digest)
                if image.id.hex.hasPrefix(idPrefix) { return image }
            }
        }
        throw .imageNotFound(text)
    }

    func load(manifest digest: Digest) throws(SwiftrunError) -> Image {
        let manifest = try JSON.decode(ImageManifest.self, from: try FileSystem.readFile(layout.blob(digest)), path: layout.blob(digest))
        let configPath = layout.blob(manifest.config.digest)
        let configuration = try JSON.decode(ImageConfiguration.self, from: try FileSystem.readFile(configPath), path: configPath)
        return Image(manifestDigest: digest, manifest: manifest, configuration: configuration)
    }

    /// Layer dirs, lowest first.
    public func layerDirectories(of image: Image) -> [String] {
        image.configuration.rootfs.diff_ids.map(layout.layer)
    }

    public func list() throws(SwiftrunError) -> [ImageSummary] {
        try index().map { (key, digest) throws(SwiftrunError) in
            let image = try load(manifest: digest)
            let reference = try? ImageReference(parsing: key)
            return ImageSummary(
                repository: reference?.familiarName ?? "<none>", tag: reference?.tag ?? "<none>", id: image.id,
                created: image.configuration.created,
                size: image.size,
                labels: image.configuration.config?.Labels ?? [:], manifestDigest: image.manifestDigest)
        }.sorted { ($0.repository, $0.tag) < ($1.repository, $1.tag) }
    }

    /// Stores a JSON document as a blob and describes it.
    func putJSON<T: Encodable>(_ value: T, mediaType: String) throws(SwiftrunError) -> Descriptor {
        try putBlob(try JSON.encode(value), mediaType: mediaType)
    }

    /// Stores bytes as a blob under their sha256.
    func putBlob(_ bytes: [UInt8], mediaType: String) throws(SwiftrunError) -> Descriptor {
        let digest = Digest.of(bytes)
        let path = layout.blob(digest)
        if !FileSystem.exists(path) {
            try FileSystem.writeAtomically(bytes, to: path, durable: true)
        }
        return Descriptor(mediaType: mediaType, digest: digest, size: Int64(bytes.count))
    }
}
