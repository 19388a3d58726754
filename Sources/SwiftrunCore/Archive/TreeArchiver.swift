import CShims
import Glibc

/// A tree of files into a tar: the reverse of LayerWriter. Two uses:
///  - commit: a container's overlay upper dir becomes an OCI layer, where
///    overlayfs's whiteouts (0:0 character devices) become `.wh.NAME`
///    files and opaque directories get `.wh..wh..opq` (image-spec layer.md);
///  - cp: one file or directory, named as it will be at the destination,
///    owned by root there unless -a keeps its owners (Docker's rule).
/// Every step is relative to a directory fd, with O_NOFOLLOW, so the
/// tree's symlinks are archived, never followed.
struct TreeArchiver {
    let writer: TarWriter
    /// Layer semantics: whiteouts and opaque dirs are converted.
    var whiteouts = true
    var keepOwners = true
    /// Put before every walked path: "name/" for cp, "" for a layer.
    private var prefix = ""

    init(writer: TarWriter) { self.writer = writer }

    /// cp: the entry `name` of `parentFD`, as `top` in the archive (""
    /// for a directory's contents alone), and everything below it.
    static func archive(
        _ name: String, in parentFD: Int32, as top: String, describe: String, keepOwners: Bool, to writer: TarWriter
    ) throws(SwiftrunError) {
        var archiver = TreeArchiver(writer: writer)
        archiver.whiteouts = false
        archiver.keepOwners = keepOwners
        var info = stat()
        try Syscall.check("stat \(describe)") { fstatat(parentFD, name, &info, AT_SYMLINK_NOFOLLOW) }
        var hardlinks: [UInt64: String] = [:]
        if !top.isEmpty {
            let entry = DirectoryWalk.Entry(parentFD: parentFD, name: name, info: info, path: top)
            guard try archiver.archiveEntry(entry, hardlinks: &hardlinks, upper: describe) else { return }
        }
        guard info.st_mode & S_IFMT == S_IFDIR else { return }
        let fd = try Syscall.check("open \(describe)") { openat(parentFD, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
        defer { close(fd) }
        archiver.prefix = top.isEmpty ? "" : top + "/"
        try DirectoryWalk.walk(fd, describe: describe, sorted: true) { (entry) throws(SwiftrunError) in
            try archiver.archiveEntry(entry, hardlinks: &hardlinks, upper: describe)
        }
    }

    /// The walk holds two fds however deep the container nested its
    /// directories (DirectoryWalk), and visits each directory in name order
    /// so the same changes always make the same layer.
    func archive(_ upper: String) throws(SwiftrunError) {
        let fd = try Syscall.check("open \(upper)") { open(upper, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
        defer { close(fd) }
        var hardlinks: [UInt64: String] = [:]
        try DirectoryWalk.walk(fd, describe: upper, sorted: true) { (entry) throws(SwiftrunError) in
            try archiveEntry(entry, hardlinks: &hardlinks, upper: upper)
        }
    }

    /// Writes one entry; true for a directory, whose contents come next.
    private func archiveEntry(_ entry: DirectoryWalk.Entry, hardlinks: inout [UInt64: String], upper: String) throws(SwiftrunError) -> Bool {
        let info = entry.info
        let path = upper + "/" + entry.path
        let archivedPath = prefix + entry.path
        var header = TarWriter.Header(
            path: archivedPath, kind: .regular, mode: UInt32(info.st_mode & 0o7777),
            uid: keepOwners ? Int(info.st_uid) : 0, gid: keepOwners ? Int(info.st_gid) : 0, mtime: Int64(info.st_mtim.tv_sec))
        let parent = String(archivedPath.utf8.dropLast(entry.name.utf8.count))!
        switch info.st_mode & S_IFMT {
        case S_IFDIR:
            header.kind = .directory
            header.path += "/"
            try writer.add(header)
            if whiteouts && Whiteout.isOpaque(entry.parentFD, entry.name) {
                try writer.add(.init(path: archivedPath + "/" + Whiteout.opaque, kind: .regular, mode: 0o644))
            }
            return true
        case S_IFCHR where info.st_rdev == 0 && whiteouts:
            try writer.add(.init(path: parent + Whiteout.prefix + entry.name, kind: .regular, mode: 0o644))
        case S_IFREG:
            if info.st_nlink > 1 {
                if let first = hardlinks[UInt64(info.st_ino)] {
                    header.kind = .hardLink
                    header.linkTarget = first
                    try writer.add(header)
                    return false
                }
                hardlinks[UInt64(info.st_ino)] = archivedPath
            }
            // Non-blocking, and checked on the fd: a FIFO or another file
            // swapped in since the lstat must neither block the open nor be
            // read under this entry's header.
            let fd = try Syscall.check("open \(path)") { openat(entry.parentFD, entry.name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC) }
            defer { close(fd) }
            var opened = stat()
            guard fstat(fd, &opened) == 0, opened.st_mode & S_IFMT == S_IFREG,
                opened.st_dev == info.st_dev, opened.st_ino == info.st_ino, opened.st_size == info.st_size
            else { throw .invalidArgument("\(path) changed while it was being archived") }
            header.size = Int64(info.st_size)
            try writer.add(header, from: fd, path: path)
        case S_IFLNK:
            header.kind = .symbolicLink
            header.linkTarget = try FileSystem.readLink(in: entry.parentFD, entry.name, describe: path)
            try writer.add(header)
        case S_IFCHR, S_IFBLK, S_IFIFO:
            let kind = info.st_mode & S_IFMT
            header.kind = kind == S_IFCHR ? .characterDevice : kind == S_IFBLK ? .blockDevice : .fifo
            header.deviceMajor = sr_major(info.st_rdev)
            header.deviceMinor = sr_minor(info.st_rdev)
            try writer.add(header)
        default:
            break  // sockets have no place in an image
        }
        return false
    }
}
