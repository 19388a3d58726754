import CShims
import Glibc

/// Writes tar entries into a layer directory, and nowhere else.
///
/// Layers are untrusted input (../SECURITY.md, "Layers and archives"). Every
/// path is split into components; ".." is refused, and a leading "/" is
/// dropped as tar(1) does. Each component is opened relative to the one
/// before it with O_NOFOLLOW, so an entry can never be written through a
/// symlink that an earlier entry planted: that is refused too. Hardlink
/// targets are resolved the same way, so they stay inside the layer.
/// OCI and overlayfs names for deleted files.
enum Whiteout {
    static let prefix = ".wh."
    static let opaque = ".wh..wh..opq"
    static let overlayXattrPrefix = "trusted.overlay."
    static let opaqueXattr = "trusted.overlay.opaque"
    static let opaqueValue = Array("y".utf8)

    /// Whether the directory `name` under `dirFD` is marked opaque (the
    /// name is not followed if it is a symlink).
    static func isOpaque(_ dirFD: Int32, _ name: String) -> Bool {
        var value = [UInt8](repeating: 0, count: 2)
        return sr_fgetxattr_at(dirFD, name, opaqueXattr, &value, value.count) == 1 && value[0] == opaqueValue[0]
    }
}

final class LayerWriter {
    let rootFD: Int32
    private let archive: String
    /// The directory of the previous entry: tar lists a directory's files
    /// together, so this saves re-walking the path for most entries. No
    /// entry can replace it or a directory above it while it is cached: an
    /// entry in it is below it, and an entry anywhere else has another
    /// parent, which replaces the cache first.
    private var cachedParent: (components: ArraySlice<String>, fd: Int32)?
    /// Directory mtimes are applied last: creating entries inside a
    /// directory changes its mtime.
    private var directoryTimes: [(components: [String], mtime: Int64)] = []

    /// Writes a regular file's content into `fd`, the file just created
    /// for `entry`, reading it from the reader; the whole content must be
    /// read before it returns.
    typealias FileContent = (_ entry: TarEntry, _ fd: Int32, _ reader: TarReader) throws(SwiftrunError) -> Void

    /// How regular files get their content; by default it is copied.
    var fileContent: FileContent?

    /// Told how many bytes each regular file put into the layer.
    var writeback: Writeback?

    /// Told where each regular file's content goes, and before anything
    /// is removed (a plain layer kept as a LayerRecipe).
    var recorder: RecipeRecorder?

    /// Whether `.wh.` names are whiteouts (a layer) or plain names (an
    /// archive of blobs being unpacked by `load`).
    private let whiteouts: Bool

    init(directory: String, archive: String, whiteouts: Bool = true) throws(SwiftrunError) {
        self.whiteouts = whiteouts
        rootFD = try Syscall.check("open \(directory)") { open(directory, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
        self.archive = archive
    }

    /// Into the directory `fd` (a copy is kept): cp's destination, resolved
    /// inside a container's root.
    init(directoryFD fd: Int32, archive: String, whiteouts: Bool) throws(SwiftrunError) {
        self.whiteouts = whiteouts
        rootFD = try Syscall.check("dup \(archive)") { fcntl(fd, F_DUPFD_CLOEXEC, 0) }
        self.archive = archive
    }

    deinit {
        dropCache()
        close(rootFD)
    }

    func write(_ entry: TarEntry, from reader: TarReader) throws(SwiftrunError) {
        let components = try safeComponents(entry.path)
        guard let name = components.last else {
            // "./": the layer root itself.
            try Syscall.check("chown layer root") { fchown(rootFD, uid_t(entry.uid), gid_t(entry.gid)) }
            try Syscall.check("chmod layer root") { fchmod(rootFD, mode_t(entry.mode & 0o7777)) }
            return
        }
        let parent = try parentDirectory(components.dropLast(), entry: entry)
        if whiteouts && name.hasPrefix(Whiteout.prefix) {
            try writeWhiteout(name, entry: entry, in: parent)
            return
        }

        let context = "\(archive): entry \(entry.path)"
        switch entry.kind {
        case .directory:
            try create(entry, name: name, in: parent, "\(context): mkdir") { mkdirat(parent, name, 0o700) }
            try setOwnerAndMode(entry, name: name, in: parent, context: context)
            if !entry.xattrs.isEmpty {
                let fd = try Syscall.check("\(context): open") { openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
                defer { close(fd) }
                try setXattrs(entry, fd: fd, context: context)
            }
            directoryTimes.append((components, entry.mtime))
        case .regular:
            try writeFile(entry, name: name, in: parent, path: components, from: reader, context: context)
            writeback?.wrote(Int(entry.size))
        case .symbolicLink:
            try create(entry, name: name, in: parent, "\(context): symlink") { symlinkat(entry.linkTarget, parent, name) }
            try Syscall.check("\(context): chown") { fchownat(parent, name, uid_t(entry.uid), gid_t(entry.gid), AT_SYMLINK_NOFOLLOW) }
            try setTime(entry.mtime, name: name, in: parent, context: context)
        case .hardLink:
            let target = try safeComponents(entry.linkTarget)
            guard let targetName = target.last else {
                throw .badArchive(archive, reason: "entry \(entry.path): hardlink to the layer root")
            }
            let targetParent = try openDirectory(target.dropLast(), create: false, entry: entry)
            defer { close(targetParent) }
            // linkat without AT_SYMLINK_FOLLOW links a symlink itself, never its target.
            try create(entry, name: name, in: parent, "\(context): link to \(entry.linkTarget)") { linkat(targetParent, targetName, parent, name, 0) }
        case .characterDevice, .blockDevice, .fifo:
            let type: mode_t = entry.kind == .characterDevice ? S_IFCHR : entry.kind == .blockDevice ? S_IFBLK : S_IFIFO
            let device = sr_makedev(entry.deviceMajor, entry.deviceMinor)
            try create(entry, name: name, in: parent, "\(context): mknod") { mknodat(parent, name, type | 0o600, device) }
            try setOwnerAndMode(entry, name: name, in: parent, context: context)
            try setTime(entry.mtime, name: name, in: parent, context: context)
        }
    }

    /// OCI whiteouts become overlayfs's own markers (image-spec layer.md,
    /// "Whiteouts"; overlayfs(5)): `.wh.NAME` a 0:0 character device NAME,
    /// `.wh..wh..opq` the xattr trusted.overlay.opaque=y on its directory.
    /// Each layer has its own directory, so the opaque marker's place in the
    /// tar does not matter: it hides only what lower layers hold.
    private func writeWhiteout(_ name: String, entry: TarEntry, in parent: Int32) throws(SwiftrunError) {
        let context = "\(archive): entry \(entry.path)"
        if name == Whiteout.opaque {
            try Syscall.check("\(context): set opaque") {
                Whiteout.opaqueValue.withUnsafeBytes { sr_fsetxattr_at(parent, Whiteout.opaqueXattr, $0.baseAddress, $0.count) }
            }
            return
        }
        let hidden = String(name.dropFirst(Whiteout.prefix.count))
        guard !hidden.isEmpty, hidden != ".", hidden != "..", !hidden.hasPrefix(Whiteout.prefix) else {
            throw .badArchive(archive, reason: "entry \(entry.path): whiteout of \"\(hidden)\" is not allowed")
        }
        var info = stat()
        if fstatat(parent, hidden, &info, AT_SYMLINK_NOFOLLOW) == 0 {
            try recorder?.abandon()
            try FileSystem.removeEntry(hidden, in: parent, path: context)
        }
        try Syscall.check("\(context): mknod whiteout") { mknodat(parent, hidden, S_IFCHR, sr_makedev(0, 0)) }
    }

    /// Applies directory mtimes, deepest first.
    func finish() throws(SwiftrunError) {
        dropCache()
        for (components, mtime) in directoryTimes.sorted(by: { $0.components.count > $1.components.count }) {
            let parent = try openDirectory(components.dropLast(), create: false, entry: nil)
            defer { close(parent) }
            try setTime(mtime, name: components.last!, in: parent, context: "\(archive): \(components.joined(separator: "/"))")
        }
    }

    // MARK: - Paths

    private func safeComponents(_ path: String) throws(SwiftrunError) -> [String] {
        var components: [String] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) where part != "." {
            guard part != ".." else {
                throw .badArchive(archive, reason: "entry \(path): path leaves the layer (\"..\")")
            }
            components.append(String(part))
        }
        return components
    }

    private func parentDirectory(_ components: ArraySlice<String>, entry: TarEntry) throws(SwiftrunError) -> Int32 {
        if let cachedParent, cachedParent.components == components { return cachedParent.fd }
        // Tar lists a directory's subdirectories after it: the walk goes on
        // from the cached directory rather than from the root.
        let fd =
            if let cachedParent, components.starts(with: cachedParent.components) {
                try openDirectory(components, from: cachedParent.fd, depth: cachedParent.components.count, create: true, entry: entry)
            } else {
                try openDirectory(components, create: true, entry: entry)
            }
        dropCache()
        cachedParent = (components, fd)
        return fd
    }

    private func dropCache() {
        if let cachedParent { close(cachedParent.fd) }
        cachedParent = nil
    }

    /// Walks `components` from the layer root, one O_NOFOLLOW openat at a
    /// time, or on from `base`, the directory of their first `depth`. A
    /// symlink on the way is refused rather than followed.
    ///
    /// Where every directory is there already, as for most entries, one
    /// openat2 that refuses any symlink on the way (RESOLVE_NO_SYMLINKS,
    /// inside the dir it starts from) does the walk's work: on Debian's
    /// base, 2,000 dups and 6,000 openats and closes fewer. Anything else
    /// (a dir to make, a symlink or a file in the way) takes the walk,
    /// which makes the dir or names the fault.
    private func openDirectory(
        _ components: ArraySlice<String>, from base: Int32? = nil, depth start: Int = 0, create: Bool, entry: TarEntry?
    ) throws(SwiftrunError) -> Int32 {
        if components.count > start {
            let path = components.dropFirst(start).joined(separator: "/")
            let found = sr_open_in_root_nofollow(base ?? rootFD, path, Int32(SR_O_PATH) | O_DIRECTORY)
            if found >= 0 { return found }
        }
        var fd = try Syscall.check("dup layer directory") { dup(base ?? rootFD) }
        for (depth, component) in components.enumerated().dropFirst(start) {
            let flags = Int32(SR_O_PATH) | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC
            var next = openat(fd, component, flags)
            if next < 0 && errno == ENOENT && create {
                if mkdirat(fd, component, 0o755) < 0 && errno != EEXIST {
                    let error = errno
                    close(fd)
                    throw .system("\(archive): mkdir \(component)", errno: error)
                }
                next = openat(fd, component, flags)
            }
            let error = errno
            close(fd)
            guard next >= 0 else {
                let path = components.prefix(depth + 1).joined(separator: "/")
                let what = entry.map { "entry \($0.path)" } ?? path
                if error == ENOTDIR || error == ELOOP {
                    throw .badArchive(archive, reason: "\(what): \(path) is a symlink or not a directory; refusing to write through it")
                }
                throw .badArchive(archive, reason: "\(what): \(path): \(SwiftrunError.strerror(error))")
            }
            fd = next
        }
        return fd
    }

    /// Makes `name` with `make`, a call that fails with EEXIST where the
    /// name is taken: a later entry replaces an earlier one of the same
    /// name (clearPlace), and is made again. An existing directory stays
    /// for a directory entry. The name is not looked up before each
    /// create: a layer seldom repeats a name, and on Debian's base that
    /// lookup was 6,800 syscalls of load's thread that writes files.
    @discardableResult
    private func create<T: BinaryInteger>(
        _ entry: TarEntry, name: String, in parent: Int32, _ call: @autoclosure () -> String, _ make: () -> T
    ) throws(SwiftrunError) -> T {
        if let made = try Syscall.attempt(call(), allowing: [EEXIST], make) { return made }
        try clearPlace(for: entry, name: name, in: parent)
        if let made = try Syscall.attempt(call(), allowing: entry.kind == .directory ? [EEXIST] : [], make) { return made }
        return 0  // the directory that was there already
    }

    /// A later entry replaces an earlier one of the same name, as tar(1)
    /// does; a directory stays when the new entry is a directory too.
    private func clearPlace(for entry: TarEntry, name: String, in parent: Int32) throws(SwiftrunError) {
        var info = stat()
        guard fstatat(parent, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { return }
        let isDirectory = info.st_mode & S_IFMT == S_IFDIR
        if isDirectory && entry.kind == .directory { return }
        try recorder?.abandon()
        try FileSystem.removeEntry(name, in: parent, path: "\(archive): \(entry.path)")
    }

    // MARK: - Metadata

    /// `path`: where the file is in the layer, for the recorder.
    private func writeFile(
        _ entry: TarEntry, name: String, in parent: Int32, path: [String], from reader: TarReader, context: String
    ) throws(SwiftrunError) {
        // Made with its permission bits (less the umask), so most files need
        // no chmod; setuid, setgid and sticky bits come last, after the chown
        // that would clear them.
        let permissions = mode_t(entry.mode & 0o777)
        let fd = try create(entry, name: name, in: parent, "\(context): create") {
            openat(parent, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, permissions)
        }
        defer { close(fd) }
        // Claimed once made: making it may have given the recipe up.
        recorder?.claim(path.joined(separator: "/"), size: entry.size)
        if let fileContent {
            try fileContent(entry, fd, reader)
        } else {
            try reader.readContent { (bytes) throws(SwiftrunError) in try FileSystem.writeAll(fd, bytes, path: context) }
        }
        try setOwnerAndMode(entry, fd: fd, context: context)
        try setXattrs(entry, fd: fd, context: context)
        var times = [timespec(tv_sec: Int(entry.mtime), tv_nsec: 0), timespec(tv_sec: Int(entry.mtime), tv_nsec: 0)]
        try Syscall.check("\(context): set mtime") { futimens(fd, &times) }
    }

    /// overlayfs trusts its trusted.overlay.* xattrs (redirects, metacopy,
    /// opacity): from an image they could point outside the layer, so they
    /// are dropped. Others (security.capability, user.*) are kept.
    private func setXattrs(_ entry: TarEntry, fd: Int32, context: String) throws(SwiftrunError) {
        for xattr in entry.xattrs where !xattr.name.hasPrefix(Whiteout.overlayXattrPrefix) {
            try Syscall.check("\(context): setxattr \(xattr.name)") {
                xattr.value.withUnsafeBytes { sr_fsetxattr(fd, xattr.name, $0.baseAddress, $0.count) }
            }
        }
    }

    /// A new file's owner and mode, each set only where it differs from
    /// what the file was made with: most of a layer is root's, with no
    /// special bits, and each fchown or fchmod is a journalled inode
    /// update (two of the four per file). The owner is not assumed: a file
    /// made in a setgid directory takes the directory's group.
    private func setOwnerAndMode(_ entry: TarEntry, fd: Int32, context: String) throws(SwiftrunError) {
        var info = stat()
        try Syscall.check("\(context): fstat") { fstat(fd, &info) }
        // chown first: it clears setuid and setgid bits that chmod then sets.
        if info.st_uid != uid_t(entry.uid) || info.st_gid != gid_t(entry.gid) {
            try Syscall.check("\(context): chown") { fchown(fd, uid_t(entry.uid), gid_t(entry.gid)) }
        }
        if info.st_mode & 0o7777 != mode_t(entry.mode & 0o7777) {
            try Syscall.check("\(context): chmod") { fchmod(fd, mode_t(entry.mode & 0o7777)) }
        }
    }

    private func setOwnerAndMode(_ entry: TarEntry, name: String, in parent: Int32, context: String) throws(SwiftrunError) {
        try Syscall.check("\(context): chown") { fchownat(parent, name, uid_t(entry.uid), gid_t(entry.gid), AT_SYMLINK_NOFOLLOW) }
        try Syscall.check("\(context): chmod") { fchmodat(parent, name, mode_t(entry.mode & 0o7777), 0) }
    }

    private func setTime(_ mtime: Int64, name: String, in parent: Int32, context: String) throws(SwiftrunError) {
        var times = [timespec(tv_sec: Int(mtime), tv_nsec: 0), timespec(tv_sec: Int(mtime), tv_nsec: 0)]
        try Syscall.check("\(context): set mtime") { utimensat(parent, name, &times, AT_SYMLINK_NOFOLLOW) }
    }
}
