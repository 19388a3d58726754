/// `system df`: what the store holds and what a prune could give back, in
/// Docker's four rows. Sizes are bytes on disk as swiftrun keeps them:
/// an image's blobs (its layer archives, config and manifest) and its
/// unpacked layer dirs, each shared blob or layer counted once; a
/// container's upper dir; a volume's _data.
public struct StoreUsage: Sendable {
    public struct Row: Sendable {
        public var total = 0
        public var active = 0
        public var size: Int64 = 0
        public var reclaimable: Int64 = 0
    }

    public struct ImageDetail: Sendable {
        public var summary: ImageSummary
        /// Bytes only this image needs, and containers using it.
        public var uniqueSize: Int64
        public var sharedSize: Int64
        public var containers: Int
    }

    public struct ContainerDetail: Sendable {
        public var state: ContainerState
        public var size: Int64
        public var volumes: Int
    }

    public struct VolumeDetail: Sendable {
        public var name: String
        /// The containers that mount it.
        public var links: Int
        public var size: Int64
    }

    public var images = Row()
    public var containers = Row()
    public var volumes = Row()
    public var buildCache = Row()
    public var imageDetails: [ImageDetail] = []
    public var containerDetails: [ContainerDetail] = []
    public var volumeDetails: [VolumeDetail] = []

    public init(layout: StoreLayout) throws(SwiftrunError) {
        let store = ImageStore(layout: layout)
        let states = try ContainerStore(layout: layout).all()
        let used = Set(states.compactMap(\.imageManifest))
        let index = try store.index()
        let named = Set(index.values)

        // Each blob and layer once, with the images that need it.
        var users: [String: Set<Digest>] = [:]
        for manifest in named {
            let (blobs, layers) = try store.referenced(by: [manifest])
            for name in blobs { users["blobs/" + name, default: []].insert(manifest) }
            for name in layers { users["layers/" + name, default: []].insert(manifest) }
        }
        var sizes: [String: Int64] = [:]
        for item in users.keys {
            sizes[item] = item.hasPrefix("blobs/") ? Self.blobBytes(String(item.dropFirst(6)), in: layout) : DiskUsage.bytes(layout.root + "/" + item)
        }
        images.total = named.count
        images.active = named.intersection(used).count
        images.size = sizes.values.reduce(0, +)
        images.reclaimable = users.filter { $0.value.isDisjoint(with: used) }.keys.reduce(0) { $0 + (sizes[$1] ?? 0) }
        let summaries = try store.list()
        for summary in summaries {
            guard let manifest = index.first(where: { (try? store.load(manifest: $0.value).id) == summary.id })?.value else { continue }
            let mine = users.filter { $0.value.contains(manifest) }
            imageDetails.append(
                ImageDetail(
                    summary: summary,
                    uniqueSize: mine.filter { $0.value.count == 1 }.keys.reduce(0) { $0 + (sizes[$1] ?? 0) },
                    sharedSize: mine.filter { $0.value.count > 1 }.keys.reduce(0) { $0 + (sizes[$1] ?? 0) },
                    containers: states.filter { $0.imageManifest == manifest }.count))
        }

        for state in states {
            let size = ContainerStore(layout: layout).writableSize(state.id)
            let running = state.isActive
            containers.total += 1
            containers.size += size
            if running { containers.active += 1 } else { containers.reclaimable += size }
            containerDetails.append(ContainerDetail(state: state, size: size, volumes: ContainerStore(layout: layout).volumes(of: state.id).count))
        }

        let volumeStore = VolumeStore(layout: layout)
        for volume in try volumeStore.all() {
            let size = DiskUsage.bytes(volume.Mountpoint)
            let links = volumeStore.users(volume.Name).count
            volumes.total += 1
            volumes.size += size
            if links > 0 { volumes.active += 1 } else { volumes.reclaimable += size }
            volumeDetails.append(VolumeDetail(name: volume.Name, links: links, size: size))
        }

        // The build cache: step images no name keeps, and what only they need.
        let cached = Set(BuildCache(layout: layout).manifests()).subtracting(named)
        let (kept, keptLayers) = try store.referenced(by: named.union(used))
        let (cacheBlobs, cacheLayers) = try store.referenced(by: cached)
        buildCache.total = cached.count
        buildCache.size =
            cacheBlobs.subtracting(kept).reduce(0) { $0 + Self.blobBytes($1, in: layout) }
            + cacheLayers.subtracting(keptLayers).reduce(0) { $0 + DiskUsage.bytes(layout.layers + "/" + $1) }
        buildCache.reclaimable = buildCache.size
    }

    /// A blob's bytes on disk: its file, or the recipe that stands for it.
    private static func blobBytes(_ hex: String, in layout: StoreLayout) -> Int64 {
        DiskUsage.bytes(layout.blobs + "/" + hex) + DiskUsage.bytes(layout.recipes + "/" + hex)
    }
}
