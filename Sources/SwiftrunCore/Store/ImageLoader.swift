import CShims
import Glibc

/// `swiftrun load`: images from a `docker save` archive or an OCI image
/// layout, given as a directory, a tar (plain, gzip or zstd) or stdin.
///
/// A tar is first unpacked under tmp/ (safely: it is untrusted input, and
/// LayerWriter never leaves its directory), its layers unpacked as they
/// pass (PassingLayers); the layout is then read from there as from a
/// directory. Every blob's sha256 and every layer's diffID is checked
/// before anything becomes visible.
public struct ImageLoader {
    let store: ImageStore
    var layout: StoreLayout { store.layout }

    public init(store: ImageStore) { self.store = store }

    /// What `load` made: each image's names, or its ID when it has none.
    public struct Loaded: Sendable {
        public var names: [String]
        public var id: Digest
    }

    /// Loads from `path`, or from stdin when it is nil.
    public func load(_ path: String?) throws(SwiftrunError) -> [Loaded] {
        try layout.prepare()
        layout.sweepTemp()
        let name = path ?? "stdin"
        var isDirectory = false
        if let path {
            var info = stat()
            guard stat(path, &info) == 0 else { throw .system("load \(path)", errno: errno) }
            isDirectory = info.st_mode & S_IFMT == S_IFDIR
        }
        if isDirectory { return try loadLayout(at: path!, name: name, passing: nil) }

        let unpacked = layout.newTempPath("archive")
        try Syscall.check("mkdir \(unpacked)") { mkdir(unpacked, 0o700) }
        defer { try? FileSystem.removeTree(unpacked) }
        let input = try path.map { (path) throws(SwiftrunError) in try Syscall.check("open \(path)") { open(path, O_RDONLY | O_CLOEXEC) } } ?? 0
        defer { if path != nil { close(input) } }
        let passing = PassingLayers(store: store, archive: name)
        try LayerUnpacker.unpackArchive(FileSource(fd: input, path: name), into: unpacked, name: name, fileContent: passing.write)
        return try loadLayout(at: unpacked, name: name, passing: passing)
    }

    /// One image found in a layout: its config and layers, in files under the layout root.
    private struct Found {
        var config: Blob
        var layers: [Blob]
        var tags: [ImageReference]
    }

    /// A file in the layout and the digest it must have, when the layout says.
    private struct Blob {
        var path: String
        var digest: Digest?
    }

    /// `passing` holds the layers unpacked while an archive was read, if it was one.
    private func loadLayout(at root: String, name: String, passing: PassingLayers?) throws(SwiftrunError) -> [Loaded] {
        let reader = try LayoutReader(root: root, name: name)
        let found: [Found]
        if reader.exists("index.json") && reader.exists("oci-layout") {
            found = try ociImages(reader)
        } else if reader.exists("manifest.json") {
            found = try dockerImages(reader)
        } else {
            throw .badArchive(name, reason: "neither a docker save archive (manifest.json) nor an OCI image layout (oci-layout, index.json)")
        }
        return try found.map { (image) throws(SwiftrunError) in try store(image, from: reader, passing: passing) }
    }

    private func store(_ image: Found, from reader: LayoutReader, passing: PassingLayers?) throws(SwiftrunError) -> Loaded {
        let configBytes = try reader.read(image.config.path)
        if let digest = image.config.digest, Digest.of(configBytes) != digest {
            throw .badArchive(reader.name, reason: "config \(image.config.path): digest mismatch")
        }
        let config = try JSON.decode(ImageConfiguration.self, from: configBytes, path: image.config.path)
        guard config.rootfs.diff_ids.count == image.layers.count else {
            throw .badArchive(reader.name, reason: "the config lists \(config.rootfs.diff_ids.count) layers, the manifest \(image.layers.count)")
        }
        var staged: [StagedLayer] = []
        defer { store.discard(staged) }
        for (layer, diffID) in zip(image.layers, config.rootfs.diff_ids) {
            let fd = try reader.open(layer.path)
            defer { close(fd) }
            let name = "\(reader.name): \(layer.path)"
            if let layer = try passing?.take(fd, name: name, expectedDigest: layer.digest, expectedDiffID: diffID) {
                staged.append(layer)
            } else {
                staged.append(try store.stageLayer(fd: fd, name: name, expectedDigest: layer.digest, expectedDiffID: diffID))
            }
        }
        let published = try store.publish(layers: staged, config: configBytes, tags: image.tags, untaggedName: true)
        return Loaded(names: image.tags.map(\.familiar), id: published.id)
    }

    // MARK: - Formats

    /// OCI image layout (image-spec image-layout.md): index.json lists
    /// manifests (or nested indexes), each named by the ref.name annotation.
    private func ociImages(_ reader: LayoutReader) throws(SwiftrunError) -> [Found] {
        let index = try JSON.decode(ImageIndex.self, from: try reader.read("index.json"), path: "index.json")
        var found: [Found] = []
        for descriptor in index.manifests {
            let manifest = try ociManifest(descriptor, reader)
            let refName = descriptor.annotations?["io.containerd.image.name"] ?? descriptor.annotations?[ImageIndex.refName]
            // A bare "latest" names no repository: the image loads untagged.
            let tag = refName.flatMap { $0.contains("/") || $0.contains(":") ? try? ImageReference(parsing: $0) : nil }
            found.append(
                Found(
                    config: Blob(path: blobPath(manifest.config.digest), digest: manifest.config.digest),
                    layers: manifest.layers.map { Blob(path: blobPath($0.digest), digest: $0.digest) },
                    tags: tag.map { [$0] } ?? []))
        }
        return found
    }

    /// A manifest, following an index to this machine's platform.
    private func ociManifest(_ descriptor: Descriptor, _ reader: LayoutReader) throws(SwiftrunError) -> ImageManifest {
        let bytes = try reader.read(blobPath(descriptor.digest))
        guard Digest.of(bytes) == descriptor.digest else {
            throw .badArchive(reader.name, reason: "blob \(descriptor.digest): digest mismatch")
        }
        switch descriptor.mediaType {
        case MediaType.index, MediaType.dockerManifestList:
            let nested = try JSON.decode(ImageIndex.self, from: bytes, path: blobPath(descriptor.digest))
            guard let match = nested.manifests.first(where: { $0.platform.map { $0.os == "linux" && $0.architecture == "amd64" } ?? true }) else {
                throw .badArchive(reader.name, reason: "no linux/amd64 image in index \(descriptor.digest)")
            }
            return try ociManifest(match, reader)
        default:
            return try JSON.decode(ImageManifest.self, from: bytes, path: blobPath(descriptor.digest))
        }
    }

    private func blobPath(_ digest: Digest) -> String { "blobs/sha256/" + digest.hex }

    /// `docker save` (moby image/spec v1.2): manifest.json lists each image's
    /// config and layer files and its RepoTags. Files under blobs/sha256
    /// are named by their digest, which is then checked.
    private func dockerImages(_ reader: LayoutReader) throws(SwiftrunError) -> [Found] {
        struct Entry: Decodable {
            var Config: String
            var RepoTags: [String]?
            var Layers: [String]
        }
        let entries = try JSON.decode([Entry].self, from: try reader.read("manifest.json"), path: "manifest.json")
        return try entries.map { (entry) throws(SwiftrunError) in
            Found(
                config: Blob(path: entry.Config, digest: Self.digestInName(entry.Config)),
                layers: entry.Layers.map { Blob(path: $0, digest: Self.digestInName($0)) },
                tags: try (entry.RepoTags ?? []).map { (tag) throws(SwiftrunError) in try ImageReference(parsing: tag) })
        }
    }

    /// "blobs/sha256/<hex>" or "<hex>.json" carry their own digest.
    private static func digestInName(_ path: String) -> Digest? {
        let last = path.split(separator: "/").last.map(String.init) ?? path
        let hex = last.hasSuffix(".json") ? String(last.dropLast(5)) : last
        return Digest(parsing: "sha256:" + hex)
    }
}

/// Reads files of a layout, resolving every path inside its root: an
/// archive's symlinks (docker save links layer.tar into blobs/) are
/// followed, but never out of it.
final class LayoutReader {
    let name: String
    private let rootFD: Int32

    deinit { close(rootFD) }

    init(root: String, name: String) throws(SwiftrunError) {
        self.name = name
        rootFD = try Syscall.check("open \(root)") { Glibc.open(root, Int32(SR_O_PATH) | O_DIRECTORY | O_CLOEXEC) }
    }

    func exists(_ path: String) -> Bool {
        let fd = sr_open_in_root(rootFD, path, Int32(SR_O_PATH))
        if fd >= 0 { close(fd) }
        return fd >= 0
    }

    /// A regular file of the layout, opened without blocking: an archive
    /// can hold a FIFO or a device node under any name (UntrustedFile).
    func open(_ path: String) throws(SwiftrunError) -> Int32 {
        do {
            return try UntrustedFile.open(in: rootFD, path, describe: path)
        } catch {
            throw .badArchive(name, reason: error.description)
        }
    }

    /// A whole small file (a manifest, a config), at most 16 MiB.
    func read(_ path: String) throws(SwiftrunError) -> [UInt8] {
        let fd = try open(path)
        defer { close(fd) }
        do {
            return try FileSystem.readAll(fd, path: path, limit: 16 << 20)
        } catch {
            throw .badArchive(name, reason: error.description)
        }
    }
}
