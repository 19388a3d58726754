extension ImageStore {
    /// What a prune removed, and the bytes that freed on disk.
    public struct Pruned: Sendable {
        public var removals: [Removal] = []
        public var reclaimed: Int64 = 0
    }

    /// `image prune`: removes the dangling images (no name), or with `all`
    /// every image no container uses, then whatever blobs and layers no
    /// image or container needs any more. The build cache is left alone,
    /// as Docker leaves it; `system prune` clears it (pruneBuildCache).
    public func prune(all: Bool, containers: [ContainerState]) throws(SwiftrunError) -> Pruned {
        try StoreLock.withLock(layout.lock) { () throws(SwiftrunError) -> Pruned in
            let used = Set(containers.compactMap(\.imageManifest))
            var entries = try index()
            var pruned = Pruned()
            let doomed = Set(entries.filter { key, manifest in !used.contains(manifest) && (all || key.hasPrefix("<none>")) }.values)
            for manifest in doomed.sorted(by: { $0.hex < $1.hex }) {
                let image = try load(manifest: manifest)
                for key in entries.filter({ $0.value == manifest }).map(\.key).sorted() {
                    entries[key] = nil
                    if let reference = try? ImageReference(parsing: key) { pruned.removals.append(.untagged(reference.familiar)) }
                }
                pruned.removals.append(.deleted(image.id))
            }
            try writeIndex(entries)
            pruned.reclaimed = try collectGarbage(keeping: Array(used) + BuildCache(layout: layout).manifests())
            return pruned
        }
    }

    /// `system prune`'s last step: forgets the build cache, and deletes the
    /// images only it kept. Returns the cache entries dropped.
    public func pruneBuildCache(containers: [ContainerState]) throws(SwiftrunError) -> (entries: Int, reclaimed: Int64) {
        try StoreLock.withLock(layout.lock) { () throws(SwiftrunError) in
            let cache = BuildCache(layout: layout)
            let count = cache.manifests().count
            try cache.clear()
            return (count, try collectGarbage(keeping: containers.compactMap(\.imageManifest)))
        }
    }
}
