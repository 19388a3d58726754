import CShims
import Glibc

/// An image's layer dirs seen as overlayfs will show them to the container,
/// for the few files swiftrun reads from an image on the host: /etc/passwd
/// and /etc/group for `-u` and `COPY --chown`, and the metadata of a
/// directory a COPY writes into. A path is looked up one component at a
/// time, top layer first, as overlayfs merges (filesystems/overlayfs.rst):
/// a whiteout (a 0:0 character device) deletes the name for every layer
/// below, an opaque directory hides the lower directories of its name,
/// and a non-directory hides everything below it. Symlinks are followed
/// through the merged view and never leave it: an absolute target starts
/// again at the image's root, and ".." stops there.
///
/// Each layer's root is opened once, when a lookup first reaches it, and
/// kept until the stack goes: `run` reads two files (/etc/passwd and
/// /etc/group) and most lookups end in the top layer.
final class LayerStack {
    /// Where a path ended up: the layer that has it and its path there.
    struct Location {
        let layer: Int
        let path: String
        let info: stat
    }

    /// Layer dirs, lowest first, as in the image config.
    let layers: [String]
    private var roots: [Int32?]

    init(layers: [String]) {
        self.layers = layers
        roots = Array(repeating: nil, count: layers.count)
    }

    deinit { roots.forEach { if let fd = $0 { close(fd) } } }

    /// The O_PATH fd of layer `index`'s dir, opened on first use.
    func root(_ index: Int) throws(SwiftrunError) -> Int32 {
        if let fd = roots[index] { return fd }
        let fd = try Syscall.check("open \(layers[index])") { open(layers[index], Int32(SR_O_PATH) | O_DIRECTORY | O_CLOEXEC) }
        roots[index] = fd
        return fd
    }

    /// The largest image file read whole: an /etc/passwd is a few KiB.
    static let readLimit = 4 << 20

    /// The entry `path` names in the merged view, symlinks followed (but
    /// for a last component that is one, when not `followingLast`); nil if
    /// absent.
    func locate(_ path: String, followingLast: Bool = true) throws(SwiftrunError) -> Location? {
        var pending = Self.components(path)
        var resolved: [String] = []
        var candidates = Array(layers.indices.reversed())
        var links = 0
        while !pending.isEmpty {
            let name = pending.removeFirst()
            let relative = Self.path(resolved + [name])
            var found: (layer: Int, info: stat)?
            var directories: [Int] = []
            for layer in candidates {
                var info = stat()
                guard fstatat(try root(layer), relative, &info, AT_SYMLINK_NOFOLLOW) == 0 else { continue }
                if info.st_mode & S_IFMT == S_IFCHR && info.st_rdev == 0 { break }  // a whiteout
                if found == nil { found = (layer, info) }
                guard info.st_mode & S_IFMT == S_IFDIR, found!.info.st_mode & S_IFMT == S_IFDIR else { break }
                directories.append(layer)
                if Whiteout.isOpaque(try root(layer), relative) { break }
            }
            guard let found else { return nil }
            switch found.info.st_mode & S_IFMT {
            case S_IFLNK:
                if pending.isEmpty && !followingLast { return Location(layer: found.layer, path: relative, info: found.info) }
                links += 1
                guard links <= 40 else { throw .system("resolve \(path) in the image", errno: ELOOP) }
                let target = try FileSystem.readLink(in: try root(found.layer), relative, describe: "\(relative) in the image")
                pending = Self.components(target.hasPrefix("/") ? target : Self.path(resolved + [target])) + pending
                resolved = []
                candidates = Array(layers.indices.reversed())
            case S_IFDIR:
                resolved.append(name)
                candidates = directories
                if pending.isEmpty { return Location(layer: found.layer, path: relative, info: found.info) }
            default:
                guard pending.isEmpty else { return nil }  // ENOTDIR: a file where a directory should be
                return Location(layer: found.layer, path: relative, info: found.info)
            }
        }
        // The root itself: the top layer's root dir, as the overlay shows it.
        var info = stat()
        guard let top = layers.indices.last, fstat(try root(top), &info) == 0 else { return nil }
        return Location(layer: top, path: ".", info: info)
    }

    /// The metadata of `path` in the merged view, nil if absent.
    func metadata(_ path: String) throws(SwiftrunError) -> stat? {
        try locate(path)?.info
    }

    /// A regular file's content, nil if absent. Anything else at that name
    /// (a FIFO, a device, a directory) or a file over `readLimit` throws:
    /// an image can hold any of them, and must not hang or flood the host.
    func read(_ path: String) throws(SwiftrunError) -> [UInt8]? {
        guard let location = try locate(path) else { return nil }
        return try UntrustedFile.read(in: try root(location.layer), location.path, limit: Self.readLimit, describe: "the image's \(path)")
    }

    /// Components joined with "/", by a loop: the stdlib's `joined` is not
    /// specialized here, and its first call costs the runtime a type
    /// lookup by mangled name, on `run`'s path (/etc/passwd for HOME).
    private static func path(_ components: [String]) -> String {
        var path = ""
        for component in components {
            if !path.isEmpty { path += "/" }
            path += component
        }
        return path
    }

    /// Lexically cleaned, never climbing above the root (the build
    /// context's cleaner, SourceTree.components).
    static func components(_ path: String) -> [String] {
        (SourceTree.components(path, clampAtRoot: true) ?? []).map(String.init)
    }
}
