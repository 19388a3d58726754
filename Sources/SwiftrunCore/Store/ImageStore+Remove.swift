import Glibc

extension ImageStore {
    /// What `rmi` did, in Docker's words.
    public enum Removal: Sendable, CustomStringConvertible {
        case untagged(String)
        case deleted(Digest)

        public var description: String {
            switch self {
            case let .untagged(name): "Untagged: \(name)"
            case let .deleted(id): "Deleted: \(id)"
            }
        }
    }

    /// `rmi`: a name untags; an ID (or the last name) removes the image.
    /// An image a container uses stays unless `force`, and even then its
    /// layers stay until that container is gone: only what nothing
    /// references is deleted from disk.
    public func remove(_ text: String, force: Bool, containers: [ContainerState]) throws(SwiftrunError) -> [Removal] {
        try StoreLock.withLock(layout.lock) { () throws(SwiftrunError) -> [Removal] in
            let image = try self.image(text)
            var entries = try index()
            let names = entries.filter { $0.value == image.manifestDigest }.map(\.key).sorted()
            let byName = (try? ImageReference(parsing: text)).map { names.contains($0.description) } ?? false
            var removals: [Removal] = []
            if byName && names.count > 1 {
                let reference = try ImageReference(parsing: text)
                entries[reference.description] = nil
                try writeIndex(entries)
                return [.untagged(reference.familiar)]
            }
            if !byName && names.count > 1 && !force {
                throw .invalidArgument("image \(image.id.short) has \(names.count) names: remove them one by one, or use rmi -f")
            }
            let users = containers.filter { $0.imageManifest == image.manifestDigest || $0.imageID == image.id }
            if !users.isEmpty && !force {
                throw .invalidArgument(
                    "image \(text) is used by container \(ContainerID.short(users[0].id)) (\(users[0].name)): remove the container first, or use rmi -f")
            }
            for name in names {
                entries[name] = nil
                if let reference = try? ImageReference(parsing: name) { removals.append(.untagged(reference.familiar)) }
            }
            try writeIndex(entries)
            removals.append(.deleted(image.id))
            try collectGarbage(keeping: containers.compactMap(\.imageManifest))
            return removals
        }
    }

    /// Deletes every blob, layer dir and init layer that no named image and
    /// no container references, and returns the bytes that freed. The caller
    /// holds the store lock.
    @discardableResult
    func collectGarbage(keeping extraManifests: [Digest]) throws(SwiftrunError) -> Int64 {
        let (blobs, layers) = try referenced(by: Set(try index().values).union(extraManifests))
        var freed: Int64 = 0
        for name in try FileSystem.listDirectory(layout.blobs) where !blobs.contains(name) {
            freed += DiskUsage.bytes(layout.blobs + "/" + name)
            try FileSystem.removeTree(layout.blobs + "/" + name)
        }
        // A recipe is named by its blob's digest, and stands for that blob.
        for name in try FileSystem.listDirectory(layout.recipes) where !blobs.contains(name) {
            freed += DiskUsage.bytes(layout.recipes + "/" + name)
            try FileSystem.removeTree(layout.recipes + "/" + name)
        }
        for name in try FileSystem.listDirectory(layout.layers) where !layers.contains(name) {
            freed += DiskUsage.bytes(layout.layers + "/" + name)
            try FileSystem.removeTree(layout.layers + "/" + name)
        }
        // An init layer is named by its image's ID, the config blob's digest.
        for name in try FileSystem.listDirectory(layout.initLayers) where !blobs.contains(name) {
            try FileSystem.removeTree(layout.initLayers + "/" + name)
        }
        return freed
    }

    /// The blob and layer names (hex digests) that `manifests` need.
    func referenced(by manifests: Set<Digest>) throws(SwiftrunError) -> (blobs: Set<String>, layers: Set<String>) {
        var blobs = Set<String>()
        var layers = Set<String>()
        for manifest in manifests {
            guard let image = try? load(manifest: manifest) else { continue }
            blobs.insert(manifest.hex)
            blobs.insert(image.manifest.config.digest.hex)
            image.manifest.layers.forEach { blobs.insert($0.digest.hex) }
            image.configuration.rootfs.diff_ids.forEach { layers.insert($0.hex) }
        }
        return (blobs, layers)
    }

    /// `tag SOURCE TARGET`.
    public func tag(_ source: String, as target: ImageReference) throws(SwiftrunError) {
        try StoreLock.withLock(layout.lock) { () throws(SwiftrunError) in
            try tag(target, manifest: try image(source).manifestDigest)
        }
    }
}
