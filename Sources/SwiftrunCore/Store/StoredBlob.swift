import CShims
import Glibc

/// A blob of the store, to read whole: its file, or a plain layer rebuilt
/// from its recipe and its directory (LayerRecipe). A rebuilt layer is
/// hashed as it is read, and its last byte is not served unless the whole
/// matches its digest: a layer's files changed by hand fail the reader,
/// they never pass as the image's.
final class StoredBlob {
    let size: Int64
    let source: any ByteSource
    private let fd: Int32

    deinit { close(fd) }

    init(_ digest: Digest, in layout: StoreLayout) throws(SwiftrunError) {
        let path = layout.blob(digest)
        var fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd >= 0 {
            var info = stat()
            guard fstat(fd, &info) == 0 else {
                let error = errno
                close(fd)
                throw .system("stat \(path)", errno: error)
            }
            self.fd = fd
            size = Int64(info.st_size)
            source = FileSource(fd: fd, path: path)
            return
        }
        guard errno == ENOENT else { throw .system("open \(path)", errno: errno) }
        let recipePath = layout.recipe(digest)
        guard FileSystem.exists(recipePath) else { throw .system("open \(path)", errno: ENOENT) }
        let recipe = try LayerRecipe(decoding: try FileSystem.readFile(recipePath, limit: 1 << 30), path: recipePath)
        // A plain layer's digest is its diffID, which names its directory.
        fd = try Syscall.check("open \(layout.layer(digest))") { open(layout.layer(digest), O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        self.fd = fd
        size = recipe.size
        source = VerifiedSource(RecipeSource(recipe, layerFD: fd, name: "layer \(digest)"), digest: digest, size: recipe.size)
    }

    /// Whether the store holds the blob, as a file or as a recipe.
    static func exists(_ digest: Digest, in layout: StoreLayout) -> Bool {
        FileSystem.exists(layout.blob(digest)) || FileSystem.exists(layout.recipe(digest))
    }
}

/// Passes `size` bytes on, and throws instead of returning the last of
/// them if they do not hash to `digest`.
private final class VerifiedSource: ByteSource {
    private let inner: HashingSource
    private let digest: Digest
    private let size: Int64

    init(_ inner: any ByteSource, digest: Digest, size: Int64) {
        self.inner = HashingSource(inner)
        self.digest = digest
        self.size = size
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(SwiftrunError) -> Int {
        let n = try inner.read(into: buffer)
        if n > 0 && inner.hasher.count == size {
            let actual = inner.hasher.finalize()
            guard actual == digest else {
                throw .badArchive(
                    "layer \(digest)",
                    reason: "its files under layers/ were changed after it was stored (they rebuild to \(actual)); remove the image and load or pull it again")
            }
        }
        return n
    }
}
