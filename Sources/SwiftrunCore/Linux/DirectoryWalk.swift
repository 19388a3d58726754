import CShims
import Glibc

/// A depth-first walk of a tree a container may have made, holding at most
/// two directory fds at any depth. A container can nest directories
/// thousands deep; one fd per level (recursion) runs out of fds, and every
/// later command on the store failed with EMFILE. So the walk closes each
/// directory before entering its child, and comes back up through ".."
/// opened with O_NOFOLLOW, checking the dev/ino it recorded on the way down:
/// a directory moved meanwhile stops the walk instead of leading elsewhere.
/// Memory is one name list per level and one path, so it grows with the
/// depth, never with its square.
struct DirectoryWalk {
    /// What the walk hands to `visit`: the fd of the directory that holds
    /// the entry, its name, its lstat and its path relative to the root.
    struct Entry {
        let parentFD: Int32
        let name: String
        let info: stat
        let path: String
    }

    private struct Level {
        var names: [String]
        var next = 0
        let device: UInt64
        let inode: UInt64
        /// The length of `path` before this level's name was appended.
        let pathLength: Int
    }

    /// Walks everything below `rootFD` (not the root itself), in each
    /// directory in name order when `sorted`. `visit` sees every entry
    /// before anything below it and returns whether to enter a directory;
    /// `leave` runs after a directory's contents, with the fd of the
    /// directory that holds it and its name. `describe` names the root in errors.
    static func walk(
        _ rootFD: Int32, describe root: String, sorted: Bool = false,
        visit: (Entry) throws(SwiftrunError) -> Bool,
        leave: (_ parentFD: Int32, _ name: String) throws(SwiftrunError) -> Void = { _, _ in }
    ) throws(SwiftrunError) {
        var fd = try Syscall.check("open \(root)") { openat(rootFD, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        defer { close(fd) }
        var rootInfo = stat()
        try Syscall.check("stat \(root)") { fstat(fd, &rootInfo) }
        var path = ""
        var stack = [
            Level(
                names: try names(fd, sorted: sorted, path: root), device: UInt64(rootInfo.st_dev),
                inode: UInt64(rootInfo.st_ino), pathLength: 0)
        ]
        while !stack.isEmpty {
            let top = stack.count - 1
            if stack[top].next < stack[top].names.count {
                let name = stack[top].names[stack[top].next]
                stack[top].next += 1
                var info = stat()
                guard
                    try Syscall.attempt(
                        "stat \(root)/\(path)\(name)", allowing: [ENOENT],
                        {
                            fstatat(fd, name, &info, AT_SYMLINK_NOFOLLOW)
                        }) != nil
                else { continue }
                let entry = Entry(parentFD: fd, name: name, info: info, path: path + name)
                guard try visit(entry), info.st_mode & S_IFMT == S_IFDIR else { continue }
                let child = try Syscall.check("open \(root)/\(entry.path)") {
                    openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                }
                var opened = stat()
                guard fstat(child, &opened) == 0, opened.st_dev == info.st_dev, opened.st_ino == info.st_ino else {
                    close(child)
                    throw .invalidArgument("\(root)/\(entry.path) changed while it was being read")
                }
                let listed: [String]
                do { listed = try names(child, sorted: sorted, path: "\(root)/\(entry.path)") } catch {
                    close(child)
                    throw error
                }
                close(fd)
                fd = child
                stack.append(Level(names: listed, device: UInt64(info.st_dev), inode: UInt64(info.st_ino), pathLength: path.utf8.count))
                path = entry.path + "/"
                continue
            }
            let done = stack.removeLast()
            guard let parentLevel = stack.last else { return }
            let parent = try Syscall.check("open \(root)/\(path)..") { openat(fd, "..", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
            var parentInfo = stat()
            guard fstat(parent, &parentInfo) == 0, UInt64(parentInfo.st_dev) == parentLevel.device,
                UInt64(parentInfo.st_ino) == parentLevel.inode
            else {
                close(parent)
                throw .invalidArgument("\(root)/\(path) was moved while it was being read")
            }
            close(fd)
            fd = parent
            let name = String(path.utf8.dropFirst(done.pathLength).dropLast())!
            path = String(path.utf8.prefix(done.pathLength))!
            try leave(fd, name)
        }
    }

    /// The names in the directory at `fd`, without "." and "..".
    private static func names(_ fd: Int32, sorted: Bool, path: String) throws(SwiftrunError) -> [String] {
        let copy = try Syscall.check("dup \(path)") { dup(fd) }
        guard let dir = fdopendir(copy) else {
            close(copy)
            throw .system("fdopendir \(path)", errno: errno)
        }
        defer { closedir(dir) }
        let listed = FileSystem.entries(of: dir)
        return sorted ? listed.sorted() : listed
    }
}
