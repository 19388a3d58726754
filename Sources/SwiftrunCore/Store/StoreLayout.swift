import CShims
import Glibc

/// Where everything lives under the store root (default /var/lib/swiftrun).
///
///     blobs/sha256/<hex>     manifests, configs and layer archives, by digest
///     layers/<diffID hex>/   each layer unpacked once, shared read-only
///     recipes/<hex>          a plain layer's blob, as its headers and files (LayerRecipe)
///     init/<image id hex>/   the mount targets an image lacks, over its layers
///     images.json            the index: NAME:TAG -> manifest digest
///     containers/<id>/       state.json, config.json, upper/, work/, rootfs/
///     names/<name>           the id owning a container name (O_EXCL = unique)
///     running/<id>           containers whose swiftrun may still be alive
///     exits/<id>             a --rm container's exit code, for whoever waits on it
///     tmp/                   half-written blobs and layers, never visible
///     trash/<id>/            removed containers' dirs whose files are still going (Trash)
///     seccomp/<key>.bpf      compiled seccomp filters, by profile and capabilities
///     build-cache.json       build step key -> the untagged image that step made
///     lock                   flock for writers of shared state
public struct StoreLayout: Sendable {
    public static let defaultRoot = "/var/lib/swiftrun"

    public let root: String

    public init(root: String) {
        self.root = root.count > 1 && root.hasSuffix("/") ? String(root.dropLast()) : root
    }

    var lock: String { root + "/lock" }
    var blobs: String { root + "/blobs/sha256" }
    var layers: String { root + "/layers" }
    var recipes: String { root + "/recipes" }
    var initLayers: String { root + "/init" }
    var imageIndex: String { root + "/images.json" }
    package var containers: String { root + "/containers" }
    var names: String { root + "/names" }
    var running: String { root + "/running" }
    var exits: String { root + "/exits" }
    package var temp: String { root + "/tmp" }
    var trash: String { root + "/trash" }
    var seccompCache: String { root + "/seccomp" }
    var buildCache: String { root + "/build-cache.json" }

    func blob(_ digest: Digest) -> String { blobs + "/" + digest.hex }
    func layer(_ diffID: Digest) -> String { layers + "/" + diffID.hex }
    func recipe(_ digest: Digest) -> String { recipes + "/" + digest.hex }
    func initLayer(_ image: Digest) -> String { initLayers + "/" + image.hex }
    package func container(_ id: String) -> String { containers + "/" + id }

    /// Creates the directories. recipes/ is made last, and the newest:
    /// where it exists, so does the rest, and a run pays one stat, not a
    /// dozen mkdirs that fail with EEXIST (0.15-0.2 ms).
    package func prepare() throws(SwiftrunError) {
        guard !FileSystem.exists(recipes) else { return }
        try FileSystem.makeDirectories(root, mode: 0o711)
        if try FileSystem.makeDirectory(root + "/blobs", mode: 0o700) { Self.spreadSubdirectories(of: root) }
        for dir in [blobs, layers, names, running, exits, temp, containers, trash, recipes] {
            try FileSystem.makeDirectory(dir, mode: 0o700)
        }
    }

    /// A container makes and frees about 18 inodes a run: its dir, the
    /// overlay's, its files, and one each in running/ and names/. On ext4
    /// without a journal a new inode skips, one by one, every inode its
    /// block group freed in the last minute or more (recently_deleted). The
    /// top-directory hint on a new store's root puts running/, names/ and
    /// containers/ in block groups of their own (7.48 -> 7.01 ms, with a
    /// process creating and deleting 300 files a round beside the store).
    /// Not on containers/ itself: a top directory's subdirectory is placed
    /// by a scan of every group (Orlov), and its inode bitmap is then often
    /// cold; the container's mkdir took 0.3-1 ms, and run --rm was 0.5 ms
    /// slower with it than without, once its files went after the exit.
    private static func spreadSubdirectories(of dir: String) {
        let fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = sr_mark_top_directory(fd)
        close(fd)
    }
}
