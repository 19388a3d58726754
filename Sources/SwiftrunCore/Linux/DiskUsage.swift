import Glibc

/// How many bytes a file or tree holds: the apparent size of its regular
/// files, each hard-linked inode once, as `docker system df` counts layer
/// content. Walked with DirectoryWalk, so a tree a container nested deep
/// is counted, not a cause of EMFILE.
enum DiskUsage {
    static func bytes(_ path: String) -> Int64 {
        var info = stat()
        guard lstat(path, &info) == 0 else { return 0 }
        guard info.st_mode & S_IFMT == S_IFDIR else { return info.st_mode & S_IFMT == S_IFREG ? Int64(info.st_size) : 0 }
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        var total: Int64 = 0
        var linked = Set<UInt64>()
        try? DirectoryWalk.walk(fd, describe: path) { (entry) throws(SwiftrunError) in
            let info = entry.info
            if info.st_mode & S_IFMT == S_IFREG, info.st_nlink == 1 || linked.insert(UInt64(info.st_ino)).inserted {
                total += Int64(info.st_size)
            }
            return info.st_mode & S_IFMT == S_IFDIR
        }
        return total
    }
}
