import Glibc

/// The layer cache: build-cache.json maps a step's key (a sha256 chained
/// from the base image, every instruction before it, and the content a
/// COPY reads) to the untagged image that step made. An entry whose image
/// `rmi` has since collected is a miss.
struct BuildCache {
    let layout: StoreLayout

    private var path: String { layout.buildCache }

    static func chain(_ key: String, _ step: String) -> String {
        Digest.of(Array((key + "\n" + step).utf8)).hex
    }

    func image(for key: String, in images: ImageStore) -> Image? {
        guard let manifest = entries()[key], let image = try? images.load(manifest: manifest),
            images.layerDirectories(of: image).allSatisfy(FileSystem.exists)
        else { return nil }
        return image
    }

    func remember(_ key: String, image: Image) throws(SwiftrunError) {
        try StoreLock.withLock(layout.lock) { () throws(SwiftrunError) in
            var entries = entries()
            entries[key] = image.manifestDigest
            try FileSystem.writeAtomically(try JSON.encode(entries), to: path, durable: false)
        }
    }

    /// The images the cache points at; image prune keeps them.
    func manifests() -> [Digest] {
        Array(Set(entries().values))
    }

    /// Forgets every entry. The caller holds the store lock.
    func clear() throws(SwiftrunError) {
        try Syscall.attempt("unlink \(path)", allowing: [ENOENT]) { unlink(path) }
    }

    private func entries() -> [String: Digest] {
        guard let bytes = try? FileSystem.readFile(path) else { return [:] }
        return (try? JSON.decode([String: Digest].self, from: bytes, path: path)) ?? [:]
    }
}
