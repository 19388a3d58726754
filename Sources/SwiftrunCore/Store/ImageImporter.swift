import Glibc

/// `swiftrun import`: a rootfs tarball (plain, gzip or zstd) becomes a
/// one-layer image.
///
/// One pass over the file does everything: the bytes are decompressed,
/// hashed (the diffID) and unpacked (LayerStaging.swift). The layer is
/// kept as its tar, as Docker's import keeps it, so a gzip file is neither
/// copied into the store nor hashed: its recipe stands for the tar.
public struct ImageImporter {
    let store: ImageStore

    public init(store: ImageStore) { self.store = store }

    @discardableResult
    public func importTarball(_ path: String, as reference: ImageReference) throws(SwiftrunError) -> Image {
        try store.layout.prepare()
        store.layout.sweepTemp()
        let input = try Syscall.check("open \(path)") { open(path, O_RDONLY | O_CLOEXEC) }
        defer { close(input) }
        let layer = try store.stageLayer(fd: input, name: path, expectedDigest: nil, expectedDiffID: nil, plain: true)
        defer { store.discard([layer]) }

        let now = JSON.timestamp()
        let configuration = ImageConfiguration(
            created: now, architecture: "amd64", os: "linux",
            config: ImageConfiguration.ExecutionConfig(Env: [ContainerDefaults.path]),
            rootfs: .init(diff_ids: [layer.diffID]),
            history: [.init(created: now, created_by: "swiftrun import \(path)", comment: "imported")])
        return try store.publish(layers: [layer], config: try JSON.encode(configuration), tags: [reference], untaggedName: false)
    }
}
