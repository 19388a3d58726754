import CShims
import Glibc
import Synchronization

/// `pull`: resolves a reference to one image manifest for the platform,
/// fetches its config, and streams the layers the store lacks, up to three
/// at a time, each unpacked while it downloads. Everything lands in tmp/
/// first and is published under the store lock only when all of it has
/// arrived and matched its digests, so a failed or interrupted pull leaves
/// nothing visible (see Store/LayerStaging.swift).
public struct ImagePuller {
    let store: ImageStore
    let options: RegistryOptions
    let platform: Platform
    let progress: PullProgress

    public static let concurrentLayers = 3

    public init(layout: StoreLayout, options: RegistryOptions, platform: Platform, progress: PullProgress) {
        store = ImageStore(layout: layout)
        self.options = options
        self.platform = platform
        self.progress = progress
    }

    public struct Pulled {
        public var image: Image
        /// The manifest's digest as the registry names it (an index's when it chose from one).
        public var digest: Digest
    }

    public func pull(_ reference: ImageReference) throws(SwiftrunError) -> Pulled {
        try store.layout.prepare()
        store.layout.sweepTemp()
        // A layer's unpacker that stops early closes its pipe: the download
        // must see EPIPE, not die of SIGPIPE. Restored for run's container.
        let previousPipeAction = signal(SIGPIPE, SIG_IGN)
        defer { signal(SIGPIPE, previousPipeAction) }
        let client = RegistryClient(reference, options: options)
        let session = try HTTPSession(tls: client.tls)
        progress.line("\(reference.digest?.description ?? reference.tag): Pulling from \(client.repository)")

        let resolved = try resolve(reference.digest?.description ?? reference.tag, client: client, session: session, name: reference.familiar)
        let config = try fetchConfig(resolved.manifest.config, client: client, session: session)
        let diffIDs = try JSON.decode(ImageConfiguration.self, from: config, path: "config of \(reference.familiar)").rootfs.diff_ids
        guard diffIDs.count == resolved.manifest.layers.count else {
            throw .registry("\(reference.familiar): the config lists \(diffIDs.count) layers, the manifest \(resolved.manifest.layers.count)")
        }

        let (layers, downloaded) = try fetchLayers(resolved.manifest.layers, diffIDs: diffIDs, client: client)
        defer { store.discard(layers) }
        let current = try? store.image(reference.description)
        let image = try store.publish(
            layers: layers, config: config, tags: [reference], untaggedName: false,
            manifest: (resolved.bytes, resolved.mediaType))
        progress.line("Digest: \(resolved.digest)")
        let fresh = downloaded || current?.manifestDigest != image.manifestDigest
        progress.line(fresh ? "Status: Downloaded newer image for \(reference.familiar)" : "Status: Image is up to date for \(reference.familiar)")
        return Pulled(image: image, digest: resolved.digest)
    }

    // MARK: - Manifests

    struct Resolved {
        var manifest: ImageManifest
        var bytes: [UInt8]
        var mediaType: String
        /// What the user's reference resolved to: the index's digest when it chose from one.
        var digest: Digest
    }

    static let accepted = [MediaType.index, MediaType.manifest, MediaType.dockerManifestList, MediaType.dockerManifest]

    /// GETs a manifest by tag or digest; an index leads to the entry for the platform.
    private func resolve(_ tagOrDigest: String, client: RegistryClient, session: HTTPSession, name: String) throws(SwiftrunError) -> Resolved {
        let (bytes, mediaType) = try fetchManifest(tagOrDigest, client: client, session: session, name: name)
        let digest = Digest.of(bytes)
        switch mediaType {
        case MediaType.index, MediaType.dockerManifestList:
            let index = try JSON.decode(ImageIndex.self, from: bytes, path: "index \(name)")
            guard let entry = index.manifests.first(where: { $0.platform.map(platform.matches) ?? false }) else {
                let offered = index.manifests.compactMap { $0.platform?.description }.joined(separator: ", ")
                throw .registry("\(name): no image for \(platform.description) in the index (it has \(offered.isEmpty ? "none" : offered))")
            }
            let (manifestBytes, manifestType) = try fetchManifest(entry.digest.description, client: client, session: session, name: name)
            guard manifestType == MediaType.manifest || manifestType == MediaType.dockerManifest else {
                throw .registry("\(name): the index entry for \(platform.description) is a \(manifestType), not an image manifest")
            }
            let manifest = try JSON.decode(ImageManifest.self, from: manifestBytes, path: "manifest \(entry.digest)")
            return Resolved(manifest: manifest, bytes: manifestBytes, mediaType: manifestType, digest: digest)
        case MediaType.manifest, MediaType.dockerManifest:
            let manifest = try JSON.decode(ImageManifest.self, from: bytes, path: "manifest \(name)")
            return Resolved(manifest: manifest, bytes: bytes, mediaType: mediaType, digest: digest)
        default:
            throw .registry("\(name): unsupported manifest type \(mediaType)")
        }
    }

    /// One manifest's bytes and type, checked against the digest that named
    /// it (or the registry's Docker-Content-Digest for a tag).
    private func fetchManifest(_ tagOrDigest: String, client: RegistryClient, session: HTTPSession, name: String) throws(SwiftrunError) -> ([UInt8], String) {
        let response = try client.get("manifests/\(tagOrDigest)", accept: Self.accepted, session: session, what: "manifest for \(name)")
        guard response.isSuccess else {
            throw .registry("\(name): \(response.status == 404 ? "manifest unknown" : "HTTP \(response.status)"): \(RegistryErrors.message(response))")
        }
        let digest = Digest.of(response.body)
        let expected = Digest(parsing: tagOrDigest) ?? response.headers["docker-content-digest"].flatMap(Digest.init(parsing:))
        if let expected, expected != digest {
            throw .registry("\(name): manifest digest mismatch: expected \(expected), got \(digest)")
        }
        struct Peek: Decodable { var schemaVersion: Int?; var mediaType: String? }
        let peek = try? JSON.decode(Peek.self, from: response.body, path: "manifest")
        let contentType = response.headers["content-type"].map { String($0.prefix { $0 != ";" }).trimmingSpaces } ?? ""
        if peek?.schemaVersion == 1 || contentType.hasPrefix("application/vnd.docker.distribution.manifest.v1") {
            throw .registry("\(name): the registry serves a schema 1 manifest, which Docker retired; push the image again with a current tool")
        }
        // The body's own mediaType is the reliable one; a registry may answer application/json.
        return (response.body, peek?.mediaType ?? contentType)
    }

    private func fetchConfig(_ descriptor: Descriptor, client: RegistryClient, session: HTTPSession) throws(SwiftrunError) -> [UInt8] {
        let response = try client.get("blobs/\(descriptor.digest)", session: session, what: "config \(descriptor.digest.short)")
        guard response.isSuccess else {
            throw .registry("config \(descriptor.digest): \(response.status) \(RegistryErrors.message(response))")
        }
        guard Digest.of(response.body) == descriptor.digest else {
            throw .registry("config \(descriptor.digest): digest mismatch: got \(Digest.of(response.body))")
        }
        return response.body
    }

    // MARK: - Layers

    /// Stages every layer the store lacks, `concurrentLayers` at a time.
    /// After the first failure no new layer starts; those under way finish
    /// and everything staged is discarded.
    private func fetchLayers(_ descriptors: [Descriptor], diffIDs: [Digest], client: RegistryClient) throws(SwiftrunError) -> ([StagedLayer], Bool) {
        var staged = [StagedLayer?](repeating: nil, count: descriptors.count)
        var wanted: [Int] = []
        for (index, (descriptor, diffID)) in zip(descriptors, diffIDs).enumerated() {
            if FileSystem.exists(store.layout.layer(diffID)) && StoredBlob.exists(descriptor.digest, in: store.layout) {
                staged[index] = StagedLayer(descriptor: descriptor, diffID: diffID)
                progress.layer(descriptor.digest.short, "Already exists")
            } else {
                wanted.append(index)
                progress.layer(descriptor.digest.short, "Pulling fs layer")
            }
        }
        let queue = Mutex((next: 0, failed: false, results: [Int: Result<StagedLayer, SwiftrunError>]()))
        let workers = (0..<min(Self.concurrentLayers, wanted.count)).map { _ in
            Worker {
                while true {
                    let job: Int? = queue.withLock { queue in
                        guard queue.next < wanted.count, !queue.failed else { return nil }
                        defer { queue.next += 1 }
                        return wanted[queue.next]
                    }
                    guard let job else { return }
                    let result = fetchLayer(descriptors[job], diffID: diffIDs[job], client: client)
                    queue.withLock { queue in
                        queue.results[job] = result
                        if case .failure = result { queue.failed = true }
                    }
                }
            }
        }
        workers.forEach { $0.join() }
        let results = queue.withLock { $0.results }
        var firstError: SwiftrunError?
        for index in wanted {
            switch results[index] {
            case let .success(layer)?: staged[index] = layer
            case let .failure(error)?: firstError = firstError ?? error
            case nil: break
            }
        }
        if let firstError {
            store.discard(staged.compactMap { $0 })
            throw firstError
        }
        return (staged.map { $0! }, !wanted.isEmpty)
    }

    /// One layer: a thread downloads into a pipe while this one unpacks from it.
    private func fetchLayer(_ descriptor: Descriptor, diffID: Digest, client: RegistryClient) -> Result<StagedLayer, SwiftrunError> {
        var ends: [Int32] = [-1, -1]
        guard sr_pipe_cloexec(&ends) == 0 else { return .failure(.system("pipe", errno: errno)) }
        _ = sr_set_pipe_size(ends[1], 1 << 20)  // fewer wake-ups; the default 64 KiB is a few packets
        let download = BlobDownload(client: client, descriptor: descriptor, progress: progress)
        let downloader = Worker { () -> SwiftrunError? in
            defer { close(ends[1]) }
            do throws(SwiftrunError) { try download.run(into: ends[1]) } catch { return error }
            return nil
        }
        let staged = Result { () throws(SwiftrunError) -> StagedLayer in
            try store.stageLayer(fd: ends[0], name: "layer \(descriptor.digest)", expectedDigest: descriptor.digest, expectedDiffID: diffID)
        }
        close(ends[0])
        // A broken download also breaks the unpacking; the download's error says why.
        if let failure = downloader.join() {
            if case let .success(layer) = staged { store.discard([layer]) }
            return .failure(failure)
        }
        if case .success = staged { progress.layer(descriptor.digest.short, "Pull complete") }
        return staged.map { layer in
            var layer = layer
            layer.descriptor.mediaType = descriptor.mediaType
            return layer
        }
    }
}
