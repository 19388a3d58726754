import Glibc

/// `swiftrun commit`: a container's changes (its overlay upper dir) become
/// a new layer on top of its image's, in a new image. The image the
/// container came from is not touched.
public struct ContainerCommitter {
    let images: ImageStore
    let containers: ContainerStore

    public init(layout: StoreLayout) {
        images = ImageStore(layout: layout)
        containers = ContainerStore(layout: layout)
    }

    public func commit(_ key: String, as reference: ImageReference?, message: String?) throws(SwiftrunError) -> Image {
        let state = try containers.find(key)
        guard let manifest = state.imageManifest else {
            throw .invalidArgument("container \(key) does not record the manifest it was made from")
        }
        let base = try images.load(manifest: manifest)
        let layer = try stageChanges(of: state)
        defer { images.discard([layer]) }

        let config = try newConfig(base: base, diffID: layer.diffID, container: state, message: message)
        let baseLayers = zip(base.manifest.layers, base.configuration.rootfs.diff_ids).map {
            StagedLayer(descriptor: $0.0, diffID: $0.1, blobTemp: nil, layerTemp: nil)
        }
        return try images.publish(layers: baseLayers + [layer], config: config, tags: reference.map { [$0] } ?? [], untaggedName: true)
    }

    /// The container's upper dir as a layer staged in tmp/, not yet published.
    func stageChanges(of state: ContainerState) throws(SwiftrunError) -> StagedLayer {
        try images.stageLayer(name: "changes of \(state.name)") { (writer) throws(SwiftrunError) in
            try UpperDirArchiver(writer: writer).archive(containers.directories(state.id).upper)
        }
    }

    /// The base config with one more diffID and history entry. It is edited
    /// as generic JSON so that fields swiftrun does not model survive.
    private func newConfig(base: Image, diffID: Digest, container: ContainerState, message: String?) throws(SwiftrunError) -> [UInt8] {
        let path = images.layout.blob(base.manifest.config.digest)
        var config = try JSON.decode(JSONValue.self, from: try FileSystem.readFile(path), path: path)
        let now = JSON.timestamp()
        config["created"] = .string(now)
        var rootfs = config["rootfs"] ?? .object([:])
        var diffIDs: [JSONValue] = if case let .array(ids)? = rootfs["diff_ids"] { ids } else { [] }
        diffIDs.append(.string(diffID.description))
        rootfs["diff_ids"] = .array(diffIDs)
        config["rootfs"] = rootfs
        var history: [JSONValue] = if case let .array(steps)? = config["history"] { steps } else { [] }
        var step: [String: JSONValue] = [
            "created": .string(now),
            "created_by": .string("swiftrun commit " + ContainerID.short(container.id) + " (" + container.command.joined(separator: " ") + ")"),
        ]
        if let message { step["comment"] = .string(message) }
        history.append(.object(step))
        config["history"] = .array(history)
        return try JSON.encode(config)
    }
}
