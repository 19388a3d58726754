import CShims
import Glibc

/// Where everything lives under the store root (default /var/lib/swiftrun).
///
///     blobs/sha256/<hex>     manifests, configs and layer archives, by digest
///     layers/<diffID hex>/   each layer unpacked once, shared read-only
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
    func initLayer(_ image: Digest) -> String { initLayers + "/" + image.hex }
    package func container(_ id: String) -> String { containers + "/" + id }

    /// Creates the directories; cheap when they exist.
    package func prepare() throws(SwiftrunError) {
        try FileSystem.makeDirectories(root, mode: 0o711)
        if try FileSystem.makeDirectory(root + "/blobs", mode: 0o700) { Self.spreadSubdirectories(of: root) }
        for dir in [blobs, layers, names, running, exits, temp, trash] {
            try FileSystem.makeDirectory(dir, mode: 0o700)
        }
        if try FileSystem.makeDirectory(containers, mode: 0o700) { Self.spreadSubdirectories(of: containers) }
    }

    /// A container's directory is a tree of its own, made and removed with
    /// it: about 18 inodes a run, counting the overlay's work dir, and two
    /// more in running/ and names/. On ext4 without a journal a new inode
    /// skips, one by one, every inode its block group freed in the last
    /// minute or more (recently_deleted), so where containers come and go
    /// beside other churn each run paid for all of it. The top-directory
    /// hint on a new store's root and on containers/ gives each of their
    /// subdirectories a block group of its own. With a process creating
    /// and deleting 300 files a round beside the store, run --rm went
    /// 8.80 -> 6.90 ms for containers/ and 7.48 -> 7.01 ms more for the root.
    private static func spreadSubdirectories(of dir: String) {
        let fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = sr_mark_top_directory(fd)
        close(fd)
    }
}
