import CShims
import Glibc

/// Turns a container's overlay upper dir back into an OCI layer tar: the
/// reverse of LayerWriter. overlayfs's whiteouts (0:0 character devices)
/// become `.wh.NAME` files and opaque directories get `.wh..wh..opq`
/// (image-spec layer.md). Every step is relative to a directory fd, with
/// O_NOFOLLOW, so the container's symlinks are archived, never followed.
struct UpperDirArchiver {
    let writer: TarWriter

    func archive(_ upper: String) throws(SwiftrunError) {
        let fd = try Syscall.check("open \(upper)") { open(upper, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
        defer { close(fd) }
        var hardlinks: [UInt64: String] = [:]
        try archiveDirectory(fd, prefix: "", hardlinks: &hardlinks, path: upper)
    }

    private func archiveDirectory(_ dirFD: Int32, prefix: String, hardlinks: inout [UInt64: String], path: String) throws(SwiftrunError) {
        guard let dir = fdopendir(try Syscall.check("dup \(path)") { dup(dirFD) }) else {
            throw .system("fdopendir \(path)", errno: errno)
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
            if name != "." && name != ".." { names.append(name) }
        }
        for name in names.sorted() {
            try archiveEntry(name, in: dirFD, prefix: prefix, hardlinks: &hardlinks, path: path + "/" + name)
        }
    }

    private func archiveEntry(_ name: String, in dirFD: Int32, prefix: String, hardlinks: inout [UInt64: String], path: String) throws(SwiftrunError) {
        var info = stat()
        try Syscall.check("stat \(path)") { fstatat(dirFD, name, &info, AT_SYMLINK_NOFOLLOW) }
        let tarPath = prefix + name
        var header = TarWriter.Header(path: tarPath, kind: .regular, mode: UInt32(info.st_mode & 0o7777),
                                      uid: Int(info.st_uid), gid: Int(info.st_gid), mtime: Int64(info.st_mtim.tv_sec))
        switch info.st_mode & S_IFMT {
        case S_IFDIR:
            header.kind = .directory
            header.path += "/"
            try writer.add(header)
            let fd = try Syscall.check("open \(path)") { openat(dirFD, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
            defer { close(fd) }
            if isOpaque(fd) {
                try writer.add(.init(path: tarPath + "/" + Whiteout.opaque, kind: .regular, mode: 0o644))
            }
            try archiveDirectory(fd, prefix: tarPath + "/", hardlinks: &hardlinks, path: path)
        case S_IFCHR where info.st_rdev == 0:
            try writer.add(.init(path: prefix + Whiteout.prefix + name, kind: .regular, mode: 0o644))
        case S_IFREG:
            if info.st_nlink > 1 {
                if let first = hardlinks[UInt64(info.st_ino)] {
                    header.kind = .hardLink
                    header.linkTarget = first
                    try writer.add(header)
                    return
                }
                hardlinks[UInt64(info.st_ino)] = tarPath
            }
            let fd = try Syscall.check("open \(path)") { openat(dirFD, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) }
            defer { close(fd) }
            header.size = Int64(info.st_size)
            try writer.add(header, from: fd, path: path)
        case S_IFLNK:
            var target = [CChar](repeating: 0, count: 4097)
            let n = try Syscall.check("readlink \(path)") { readlinkat(dirFD, name, &target, 4096) }
            header.kind = .symbolicLink
            header.linkTarget = String(decoding: target[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            try writer.add(header)
        case S_IFCHR, S_IFBLK, S_IFIFO:
            let kind = info.st_mode & S_IFMT
            header.kind = kind == S_IFCHR ? .characterDevice : kind == S_IFBLK ? .blockDevice : .fifo
            header.deviceMajor = sr_major(info.st_rdev)
            header.deviceMinor = sr_minor(info.st_rdev)
            try writer.add(header)
        default:
            return  // sockets have no place in an image
        }
    }

    private func isOpaque(_ fd: Int32) -> Bool {
        var value = [UInt8](repeating: 0, count: 2)
        let n = sr_fgetxattr_at(fd, ".", Whiteout.opaqueXattr, &value, value.count)
        return n == 1 && value[0] == UInt8(ascii: "y")
    }
}
