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
struct LayerStack {
    /// Where a path ended up: the layer that has it and its path there.
    struct Location {
        let layer: Int
        let path: String
        let info: stat
    }

    /// Layer dirs, lowest first, as in the image config.
    let layers: [String]

    /// The largest image file read whole: an /etc/passwd is a few KiB.
    static let readLimit = 4 << 20

    /// The entry `path` names in the merged view; symlinks are followed
    /// unless `followLast` is false for the last component. nil if absent.
    func locate(_ path: String, followLast: Bool = true) throws(SwiftrunError) -> Location? {
        let roots = try layers.map { (dir) throws(SwiftrunError) in
            try Syscall.check("open \(dir)") { open(dir, Int32(SR_O_PATH) | O_DIRECTORY | O_CLOEXEC) }
        }
        defer { roots.forEach { close($0) } }
        var pending = Self.components(path)
        var resolved: [String] = []
        var candidates = Array(roots.indices.reversed())
        var links = 0
        while !pending.isEmpty {
            let name = pending.removeFirst()
            let relative = (resolved + [name]).joined(separator: "/")
            var found: (layer: Int, info: stat)?
            var directories: [Int] = []
            for layer in candidates {
                var info = stat()
                guard fstatat(roots[layer], relative, &info, AT_SYMLINK_NOFOLLOW) == 0 else { continue }
                if info.st_mode & S_IFMT == S_IFCHR && info.st_rdev == 0 { break }  // a whiteout
                if found == nil { found = (layer, info) }
                guard info.st_mode & S_IFMT == S_IFDIR, found!.info.st_mode & S_IFMT == S_IFDIR else { break }
                directories.append(layer)
                if Self.isOpaque(roots[layer], relative) { break }
            }
            guard let found else { return nil }
            switch found.info.st_mode & S_IFMT {
            case S_IFLNK where followLast || !pending.isEmpty:
                links += 1
                guard links <= 40 else { throw .system("resolve \(path) in the image", errno: ELOOP) }
                let target = try Self.readLink(roots[found.layer], relative)
                pending = Self.components(target.hasPrefix("/") ? target : (resolved + [target]).joined(separator: "/")) + pending
                resolved = []
                candidates = Array(roots.indices.reversed())
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
        guard let top = roots.last, fstat(top, &info) == 0 else { return nil }
        return Location(layer: roots.count - 1, path: ".", info: info)
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
        let root = try Syscall.check("open \(layers[location.layer])") {
            open(layers[location.layer], Int32(SR_O_PATH) | O_DIRECTORY | O_CLOEXEC)
        }
        defer { close(root) }
        return try UntrustedFile.read(in: root, location.path, limit: Self.readLimit, describe: "the image's \(path)")
    }

    /// Lexically cleaned components: "." dropped, ".." taking one off and
    /// never climbing above the root.
    static func components(_ path: String) -> [String] {
        var result: [String] = []
        for part in path.split(separator: "/") {
            switch part {
            case ".": continue
            case "..": _ = result.popLast()
            default: result.append(String(part))
            }
        }
        return result
    }

    private static func isOpaque(_ root: Int32, _ relative: String) -> Bool {
        var value = [UInt8](repeating: 0, count: 2)
        return sr_fgetxattr_at(root, relative, Whiteout.opaqueXattr, &value, value.count) == 1 && value[0] == UInt8(ascii: "y")
    }

    private static func readLink(_ root: Int32, _ relative: String) throws(SwiftrunError) -> String {
        var target = [CChar](repeating: 0, count: 4097)
        let n = try Syscall.check("readlink \(relative) in the image") { readlinkat(root, relative, &target, 4096) }
        return String(decoding: target[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
