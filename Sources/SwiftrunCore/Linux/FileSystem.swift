import CShims
import Glibc
import Synchronization

/// Path-based file operations for swiftrun's own store, each wrapped once.
/// Paths inside a container or layer never come through here: those are
/// resolved relative to a root fd (see Archive/LayerWriter.swift).
public enum FileSystem {
    public static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    /// mkdir that accepts an existing directory; whether this call made it.
    @discardableResult
    static func makeDirectory(_ path: String, mode: mode_t = 0o755) throws(SwiftrunError) -> Bool {
        try Syscall.attempt("mkdir \(path)", allowing: [EEXIST]) { mkdir(path, mode) } != nil
    }

    /// mkdir -p.
    static func makeDirectories(_ path: String, mode: mode_t = 0o755) throws(SwiftrunError) {
        var prefix = ""
        for component in path.split(separator: "/", omittingEmptySubsequences: true) {
            prefix += "/"
            prefix.append(contentsOf: component)  // String's own overload, not the generic `+`
            try makeDirectory(prefix, mode: mode)
        }
    }

    /// Gives `target` the owner and mode of `source`: the overlay's root
    /// directory shows the upper dir's attributes, which must be the image's.
    static func copyOwnerAndMode(from source: String, to target: String) throws(SwiftrunError) {
        var info = stat()
        try Syscall.check("stat \(source)") { stat(source, &info) }
        try Syscall.check("chown \(target)") { chown(target, info.st_uid, info.st_gid) }
        try Syscall.check("chmod \(target)") { chmod(target, info.st_mode & 0o7777) }
    }

    /// A file of swiftrun's own (the store, /proc, cgroups), at most
    /// `limit` bytes. Files that are not ours go through UntrustedFile.
    public static func readFile(_ path: String, limit: Int = 64 << 20) throws(SwiftrunError) -> [UInt8] {
        let fd = try Syscall.check("open \(path)") { open(path, O_RDONLY | O_CLOEXEC) }
        defer { close(fd) }
        return try readAll(fd, path: path, limit: limit)
    }

    /// Reads `fd` to its end, and throws rather than read past `limit`.
    static func readAll(_ fd: Int32, path: String, limit: Int) throws(SwiftrunError) -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        while true {
            let n = try Syscall.check("read \(path)") { chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) } }
            if n == 0 { return bytes }
            guard bytes.count + n <= limit else { throw .invalidArgument("\(path): larger than \(limit >> 10) KiB, more than such a file may be") }
            bytes.append(contentsOf: chunk[0..<n])
        }
    }

    /// The target of the symlink `name` under `dirFD`.
    static func readLink(in dirFD: Int32, _ name: String, describe: String) throws(SwiftrunError) -> String {
        var target = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = try Syscall.check("readlink \(describe)") { readlinkat(dirFD, name, &target, Int(PATH_MAX)) }
        return String(decoding: target[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Writes all of `bytes` to `fd`.
    package static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws(SwiftrunError) {
        var offset = 0
        while offset < bytes.count {
            let n = try Syscall.check("write \(path)") { write(fd, bytes.baseAddress! + offset, bytes.count - offset) }
            offset += n
        }
    }

    package static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(SwiftrunError) {
        var offset = 0
        while offset < bytes.count {
            let n = try Syscall.check("write \(path)") { bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) } }
            offset += n
        }
    }

    /// One write of `value` to an existing file, as kernel interfaces
    /// (cgroup files) want it; the error names the value and the file.
    static func writeString(_ value: String, to path: String) throws(SwiftrunError) {
        let fd = try Syscall.check("open \(path)") { open(path, O_WRONLY | O_CLOEXEC) }
        defer { close(fd) }
        let bytes = Array(value.utf8)
        try Syscall.check("write \"\(value)\" to \(path)") { bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } }
    }

    /// Writes `bytes` as the whole of `path`, in place: for a file no one
    /// reads while it is written, or one a bind mount holds by its inode,
    /// where a rename would go unseen. One open and one write.
    package static func writeInPlace(_ bytes: [UInt8], to path: String) throws(SwiftrunError) {
        let fd = try Syscall.check("open \(path)") { open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o644) }
        defer { close(fd) }
        try writeAll(fd, bytes, path: path)
    }

    /// Replaces `path` with `bytes` so that readers see the old or the new
    /// content, never a mix: write a temp file, optionally fsync, rename.
    /// `durable` is for the image store, which must survive a crash; a
    /// container's state is rebuilt by recovery and skips the fsync.
    package static func writeAtomically(_ bytes: [UInt8], to path: String, durable: Bool) throws(SwiftrunError) {
        try writeAtomically(to: path, durable: durable) { (fd, temp) throws(SwiftrunError) in try writeAll(fd, bytes, path: temp) }
    }

    /// The same, with the content written by `body` to the temp file's fd.
    package static func writeAtomically(to path: String, durable: Bool, _ body: (Int32, String) throws(SwiftrunError) -> Void) throws(SwiftrunError) {
        // The thread's id: one process (the API service) writes the same
        // file from several threads at once (the seccomp cache, say).
        let temp = "\(path).tmp-\(getpid())-\(sr_gettid())"
        let fd = try Syscall.check("create \(temp)") { open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644) }
        do {
            try body(fd, temp)
            if durable { try Syscall.check("fsync \(temp)") { fsync(fd) } }
            close(fd)
            try Syscall.check("rename \(temp)") { rename(temp, path) }
        } catch {
            close(fd)
            unlink(temp)
            throw error
        }
    }

    /// Names in a directory, without "." and "..". A missing directory is empty.
    package static func listDirectory(_ path: String) throws(SwiftrunError) -> [String] {
        guard let dir = opendir(path) else {
            if errno == ENOENT { return [] }
            throw .system("opendir \(path)", errno: errno)
        }
        defer { closedir(dir) }
        return entries(of: dir)
    }

    /// The directories in a directory, by readdir's d_type where the
    /// filesystem gives it (cgroupfs does: removing a cgroup was a stat of
    /// each of its twenty files), else by lstat. A missing directory is empty.
    package static func subdirectories(_ path: String) -> [String] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = Self.name(of: entry)
            guard name != "." && name != ".." else { continue }
            switch Int(entry.pointee.d_type) {
            case Int(DT_DIR): names.append(name)
            case Int(DT_UNKNOWN):
                var info = stat()
                if lstat(path + "/" + name, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR { names.append(name) }
            default: break
            }
        }
        return names
    }

    private static func name(of entry: UnsafeMutablePointer<dirent>) -> String {
        withUnsafePointer(to: &entry.pointee.d_name) { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
    }

    static func entries(of dir: OpaquePointer) -> [String] {
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = Self.name(of: entry)
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// rm -rf that never follows a symlink: every step is relative to the
    /// fd of the directory being emptied (unlinkat, openat O_NOFOLLOW), so a
    /// symlink a container planted in its upper dir is removed, not followed,
    /// and each walk holds two fds however deep the tree (DirectoryWalk).
    ///
    /// A directory's entries are shared among four threads, each walking
    /// its own. On a filesystem mounted with `discard`, as cloud disks often
    /// are, each freed block waits for the device (0.3 ms a block on this
    /// VM's ext4): a container's directory, a dozen small files and
    /// directories, was a dozen such waits in a row, which the threads overlap.
    public static func removeTree(_ path: String) throws(SwiftrunError) {
        let slash = path.lastIndex(of: "/")
        let parent = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        guard let parentFD = try Syscall.attempt("open \(parent)", allowing: [ENOENT], { open(parent, Int32(SR_O_PATH) | O_DIRECTORY | O_CLOEXEC) }) else {
            return
        }
        defer { close(parentFD) }
        try removeEntry(name, in: parentFD, path: path, lanes: 4)
    }

    /// The entries of the directory `fd`, without "." and "..".
    private static func names(in fd: Int32, path: String) throws(SwiftrunError) -> [String] {
        let copy = try Syscall.check("dup \(path)") { fcntl(fd, F_DUPFD_CLOEXEC, 0) }
        guard let dir = fdopendir(copy) else {
            close(copy)
            throw .system("opendir \(path)", errno: errno)
        }
        defer { closedir(dir) }
        return entries(of: dir)
    }

    /// Removes `name` under `dirFD`, a file or a whole tree; a directory's
    /// entries are shared among `lanes` threads (see removeTree).
    static func removeEntry(_ name: String, in dirFD: Int32, path: String, lanes: Int = 1) throws(SwiftrunError) {
        guard unlinkat(dirFD, name, 0) != 0 else { return }
        switch errno {
        case ENOENT: return
        case EISDIR: break
        default: throw .system("unlink \(path)", errno: errno)
        }
        let fd = try Syscall.check("open \(path)") { openat(dirFD, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
        defer { close(fd) }
        if lanes > 1 {
            try removeEntries(of: fd, path: path, lanes: lanes)
        } else {
            try DirectoryWalk.walk(
                fd, describe: path,
                visit: { (entry) throws(SwiftrunError) in
                    if entry.info.st_mode & S_IFMT == S_IFDIR { return true }
                    try Syscall.attempt("unlink \(path)/\(entry.path)", allowing: [ENOENT]) { unlinkat(entry.parentFD, entry.name, 0) }
                    return false
                },
                leave: { (parentFD, child) throws(SwiftrunError) in
                    try Syscall.attempt("rmdir \(path)/.../\(child)", allowing: [ENOENT]) { unlinkat(parentFD, child, AT_REMOVEDIR) }
                })
        }
        try Syscall.attempt("rmdir \(path)", allowing: [ENOENT]) { unlinkat(dirFD, name, AT_REMOVEDIR) }
    }

    /// Empties the directory `fd`: each of `lanes` lanes, this thread and a
    /// Worker each other, takes the next entry when it is done with its
    /// last, so one deep entry (a volatile overlay's work dir is a chain of
    /// four directories, each a discard) holds up one lane, not a quarter
    /// of the rest. Every lane is joined before the first error is thrown.
    private static func removeEntries(of fd: Int32, path: String, lanes: Int) throws(SwiftrunError) {
        let names = try names(in: fd, path: path)
        let count = min(lanes, names.count)
        let taken = TakenCount()
        let removeLane = { () -> SwiftrunError? in
            do throws(SwiftrunError) {
                while case let index = taken.next.add(1, ordering: .relaxed).oldValue, index < names.count {
                    try removeEntry(names[index], in: fd, path: path + "/" + names[index])
                }
                return nil
            } catch { return error }
        }
        let others = (1..<max(count, 1)).map { _ in Worker { removeLane() } }
        let errors = [count > 0 ? removeLane() : nil] + others.map { $0.join() }
        if let error = errors.lazy.compactMap({ $0 }).first { throw error }
    }

    /// The lanes' shared place in the entries.
    private final class TakenCount: Sendable {
        let next = Atomic<Int>(0)
    }
}
