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

    /// `pause`: freeze a running container while its changes are read, as
    /// `docker commit` does by default, so that the archive is one moment.
    public func commit(_ key: String, as reference: ImageReference?, message: String?, pause: Bool = true) throws(SwiftrunError) -> Image {
        let state = try containers.find(key)
        guard let manifest = state.imageManifest else {
            throw .invalidArgument("container \(key) does not record the manifest it was made from")
        }
        let base = try images.load(manifest: manifest)
        let freezer = pause && state.status == .running && state.monitor.isAlive ? CgroupFreezer(id: state.id) : nil
        let layer: StagedLayer
        if let freezer {
            layer = try freezer.whileFrozen { () throws(SwiftrunError) in try stageChanges(of: state) }
        } else {
            layer = try stageChanges(of: state)
        }
        defer { images.discard([layer]) }

        var config = try images.editableConfig(of: base)
        config.appendLayer(layer.diffID)
        config.record(
            "swiftrun commit " + ContainerID.short(state.id) + " (" + state.command.joined(separator: " ") + ")",
            emptyLayer: false, comment: message)
        return try images.publish(
            layers: base.storedLayers + [layer], config: try JSON.encode(config.document),
            tags: reference.map { [$0] } ?? [], untaggedName: true)
    }

    /// The container's upper dir as a layer staged in tmp/, not yet published.
    func stageChanges(of state: ContainerState) throws(SwiftrunError) -> StagedLayer {
        try images.stageLayer(name: "changes of \(state.name)") { (writer) throws(SwiftrunError) in
            try TreeArchiver(writer: writer).archive(containers.directories(state.id).upper)
        }
    }
}
