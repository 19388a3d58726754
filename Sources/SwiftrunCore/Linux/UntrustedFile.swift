import CShims
import Glibc

/// Opening and reading a file that is not swiftrun's own: one in an image
/// layer, an archive being loaded, a build context. Resolving inside the
/// root is not enough there. The name can be a FIFO (a blocking open waits
/// forever), a device node (/dev/zero never ends; a disk node reads the
/// host's data as root), or simply huge. So the open never blocks, the fd
/// is checked to be a regular file, and a read stops at a cap. Symlinks
/// are followed, but only inside the root (RESOLVE_IN_ROOT): docker save
/// archives link their layers into blobs/ that way.
enum UntrustedFile {
    /// `path` resolved inside `rootFD` (openat2 RESOLVE_IN_ROOT), opened
    /// O_RDONLY | O_NONBLOCK and checked with fstat.
    /// `describe` names the file in errors.
    static func open(in rootFD: Int32, _ path: String, describe: String) throws(SwiftrunError) -> Int32 {
        let fd = try Syscall.check("open \(describe)") { sr_open_in_root(rootFD, path, O_RDONLY | O_NONBLOCK) }
        do {
            try requireRegular(fd, describe: describe)
        } catch {
            close(fd)
            throw error
        }
        return fd
    }

    /// The whole file at `path` in `rootFD`, at most `limit` bytes.
    static func read(in rootFD: Int32, _ path: String, limit: Int, describe: String) throws(SwiftrunError) -> [UInt8] {
        let fd = try open(in: rootFD, path, describe: describe)
        defer { close(fd) }
        return try FileSystem.readAll(fd, path: describe, limit: limit)
    }

    /// Throws unless `fd` is a regular file.
    static func requireRegular(_ fd: Int32, describe: String) throws(SwiftrunError) {
        var info = stat()
        try Syscall.check("stat \(describe)") { fstat(fd, &info) }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw .invalidArgument("\(describe): not a regular file (\(FileKind(info.st_mode)))")
        }
    }
}

/// The name of a file type, for errors: "a FIFO", "a character device".
struct FileKind: CustomStringConvertible {
    let mode: mode_t
    init(_ mode: mode_t) { self.mode = mode }

    var description: String {
        switch mode & S_IFMT {
        case S_IFREG: "a regular file"
        case S_IFDIR: "a directory"
        case S_IFLNK: "a symbolic link"
        case S_IFIFO: "a FIFO"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFSOCK: "a socket"
        default: "of unknown type"
        }
    }
}
