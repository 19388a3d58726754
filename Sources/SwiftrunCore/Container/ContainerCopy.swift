import CShims
import Glibc

/// `cp` between a container and the host, or a tar stream (`-`), as
/// `docker cp` does it, running or stopped.
///
/// The container's side is a root fd, and every path there resolves from
/// it with openat2(RESOLVE_IN_ROOT): a symlink the container made, even one
/// swapped in while we copy, resolves inside its root, never on the host
/// (CVE-2018-15664, CVE-2019-14271). Below the resolved directory, the
/// archive is written one O_NOFOLLOW step at a time (LayerWriter) and read
/// the same way (TreeArchiver). No process of ours ever enters the
/// container, so no binary of the container's runs.
///  - running: /proc/PID/root of the pinned pid 1, the container's own
///    view, volumes included;
///  - stopped: its overlay, mounted detached (fsmount): visible to nobody
///    and gone with its fd, so a kill -9 leaves nothing mounted.
/// One copy is a tar in an unnamed temp file (O_TMPFILE), written from the
/// source and then unpacked at the destination.
public struct ContainerCopy {
    let layout: StoreLayout

    public init(layout: StoreLayout) { self.layout = layout }

    /// -a keeps the files' owners; by default they belong to root at the
    /// destination (Docker's rule).
    public struct Options: Sendable {
        public var keepOwners = false
        public init() {}
    }

    /// CONTAINER:PATH to a host path, or to stdout as a tar with "-".
    public func copyOut(from key: String, path: String, to destination: String, options: Options) throws(SwiftrunError) {
        try withRoot(key) { (root) throws(SwiftrunError) in try copyOut(root: root, key: key, path: path, to: destination, options: options) }
    }

    private func copyOut(root: Int32, key: String, path: String, to destination: String, options: Options) throws(SwiftrunError) {
        let source = try Source(root: root, path: path, describe: "\(key):\(path)", inContainer: true)
        defer { close(source.parentFD) }
        if destination == "-" {
            try archive(source, as: source.name == "." ? "." : source.name, options: options, to: 1)
            return
        }
        let target = try Target(onHost: destination, source: source)
        defer { close(target.directoryFD) }
        try transfer(source, to: target, options: options)
    }

    /// A host path, or a tar on stdin with "-", to CONTAINER:PATH.
    public func copyIn(from source: String, to key: String, path: String, options: Options) throws(SwiftrunError) {
        try withRoot(key) { (root) throws(SwiftrunError) in try copyIn(root: root, from: source, to: key, path: path, options: options) }
    }

    private func copyIn(root: Int32, from source: String, to key: String, path: String, options: Options) throws(SwiftrunError) {
        if source == "-" {
            let directory = try Syscall.check("\(key):\(path): a directory in the container") {
                sr_open_in_root(root, path, O_RDONLY | O_DIRECTORY)
            }
            defer { close(directory) }
            try unpack(from: 0, into: directory, describe: "the tar on stdin")
            return
        }
        let host = try Source(root: AT_FDCWD, path: source, describe: source, inContainer: false)
        defer { close(host.parentFD) }
        let target = try Target(inRoot: root, path: path, describe: "\(key):\(path)", source: host)
        defer { close(target.directoryFD) }
        try transfer(host, to: target, options: options)
    }

    /// What the Engine API's archive routes report of a path (Docker's
    /// X-Docker-Container-Path-Stat): resolved in the container's root, the
    /// last component not followed.
    public struct PathStat: Encodable, Sendable {
        public var name: String
        public var size: Int64
        /// Go's os.FileMode bits: the permissions, plus 1<<31 for a directory and 1<<27 for a symlink.
        public var mode: UInt32
        public var mtime: String
        public var linkTarget: String
    }

    public func pathStat(_ key: String, path: String) throws(SwiftrunError) -> PathStat {
        var result: PathStat?
        try withRoot(key) { (root) throws(SwiftrunError) in
            let source = try Source(root: root, path: path, describe: "\(key):\(path)", inContainer: true)
            defer { close(source.parentFD) }
            var info = Glibc.stat()
            guard fstatat(source.parentFD, source.name, &info, AT_SYMLINK_NOFOLLOW) == 0 else {
                throw Source.missing("\(key):\(path)", inContainer: true)
            }
            let kind = info.st_mode & S_IFMT
            var target = [CChar](repeating: 0, count: 4096)
            let length = kind == S_IFLNK ? readlinkat(source.parentFD, source.name, &target, target.count - 1) : 0
            let typeBits: UInt32 = kind == S_IFDIR ? 1 << 31 : kind == S_IFLNK ? 1 << 27 : 0
            result = PathStat(
                name: source.name == "." ? ContainerCopy.split(path).parent.split(separator: "/").last.map(String.init) ?? "/" : source.name,
                size: Int64(info.st_size), mode: UInt32(info.st_mode & 0o7777) | typeBits,
                mtime: ContainerLogs.format(Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9),
                linkTarget: String(decoding: target.prefix(max(0, length)).map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return result!
    }

    // MARK: - The two ends

    /// What is copied: the entry `name` of the directory `parentFD`.
    struct Source {
        let parentFD: Int32
        /// "." for a directory's contents ("dir/." in Docker's syntax).
        let name: String
        let isDirectory: Bool
        let describe: String

        init(root: Int32, path: String, describe: String, inContainer: Bool) throws(SwiftrunError) {
            let (parent, last) = ContainerCopy.split(path)
            let flags = Int32(SR_O_PATH) | O_DIRECTORY
            parentFD =
                inContainer
                ? sr_open_in_root(root, parent, flags)
                : open(parent, flags | O_CLOEXEC)
            guard parentFD >= 0 else { throw Self.missing(describe, inContainer: inContainer) }
            var info = stat()
            guard fstatat(parentFD, last, &info, AT_SYMLINK_NOFOLLOW) == 0 else {
                Glibc.close(parentFD)
                throw Self.missing(describe, inContainer: inContainer)
            }
            name = last
            isDirectory = info.st_mode & S_IFMT == S_IFDIR
            self.describe = describe
        }

        static func missing(_ describe: String, inContainer: Bool) -> SwiftrunError {
            .invalidArgument(
                inContainer
                    ? "Could not find the file \(describe.drop { $0 != ":" }.dropFirst()) in container \(describe.prefix { $0 != ":" })"
                    : "could not find the file \(describe)")
        }
    }

    /// Where it goes: the directory it lands in and the name it takes
    /// there ("" to unpack a directory's contents straight into it).
    struct Target {
        let directoryFD: Int32
        let name: String

        /// docker cp's rules: into an existing directory under the
        /// source's name (its contents alone for "dir/."); over an existing
        /// file; or as a new entry named by the destination.
        private static func place(source: Source, exists: Bool, isDirectory: Bool, path: String, describe: String) throws(SwiftrunError) -> (
            inside: Bool, name: String
        ) {
            if exists && isDirectory { return (true, source.name == "." ? "" : source.name) }
            if exists && source.isDirectory { throw .invalidArgument("cannot copy a directory to a file: \(describe) is a file") }
            if !exists && path.hasSuffix("/") && !source.isDirectory {
                throw .invalidArgument("\(describe) does not exist and is not a directory")
            }
            return (false, split(path).name)
        }

        init(onHost path: String, source: Source) throws(SwiftrunError) {
            var info = stat()
            let exists = stat(path, &info) == 0
            let (inside, name) = try Self.place(
                source: source, exists: exists, isDirectory: info.st_mode & S_IFMT == S_IFDIR, path: path, describe: path)
            let directory = inside ? path : split(path).parent
            directoryFD = try Syscall.check("open \(directory)") { open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
            self.name = name
        }

        init(inRoot root: Int32, path: String, describe: String, source: Source) throws(SwiftrunError) {
            let found = sr_open_in_root(root, path, Int32(SR_O_PATH))
            var info = stat()
            let exists = found >= 0 && fstat(found, &info) == 0
            if found >= 0 { Glibc.close(found) }
            let (inside, name) = try Self.place(
                source: source, exists: exists, isDirectory: info.st_mode & S_IFMT == S_IFDIR, path: path, describe: describe)
            let directory = inside ? path : split(path).parent
            directoryFD = try Syscall.check("\(describe): open the directory \(directory) in the container") {
                sr_open_in_root(root, directory, O_RDONLY | O_DIRECTORY)
            }
            self.name = name
        }
    }

    // MARK: - Moving the bytes

    private func transfer(_ source: Source, to target: Target, options: Options) throws(SwiftrunError) {
        let temp = try Syscall.check("open a temp file in \(layout.temp)") { open(layout.temp, Int32(SR_O_TMPFILE) | O_RDWR | O_CLOEXEC, 0o600) }
        defer { close(temp) }
        try archive(source, as: target.name, options: options, to: temp)
        try Syscall.check("rewind the copy") { Int32(truncatingIfNeeded: lseek(temp, 0, SEEK_SET)) }
        try unpack(from: temp, into: target.directoryFD, describe: source.describe)
    }

    private func archive(_ source: Source, as top: String, options: Options, to fd: Int32) throws(SwiftrunError) {
        let writer = TarWriter(fd: fd, name: source.describe)
        try TreeArchiver.archive(
            source.name, in: source.parentFD, as: top == "." ? "" : top, describe: source.describe, keepOwners: options.keepOwners,
            to: writer)
        _ = try writer.finish()
    }

    private func unpack(from fd: Int32, into directoryFD: Int32, describe: String) throws(SwiftrunError) {
        let reader = TarReader(BufferedSource(FileSource(fd: fd, path: describe)), name: describe)
        let writer = try LayerWriter(directoryFD: directoryFD, archive: describe, whiteouts: false)
        while let entry = try reader.next() {
            try writer.write(entry, from: reader)
        }
        try writer.finish()
    }

    // MARK: - The container's root

    /// Runs `body` with an fd of the container's root: its pid 1's while it
    /// runs, frozen meanwhile (cgroup v2's freezer) so the tree cannot
    /// change under the copy; else its overlay mounted detached.
    private func withRoot(_ key: String, _ body: (Int32) throws(SwiftrunError) -> Void) throws(SwiftrunError) {
        let containers = ContainerStore(layout: layout)
        let state = try containers.find(key)
        if state.isActive, let pid1 = PinnedPid1(state) {
            defer { pid1.close() }
            let root = try Syscall.check("open the root of container \(key)") {
                open("/proc/\(pid1.pid)/root", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            }
            defer { close(root) }
            guard let freezer = CgroupFreezer(id: state.id) else { return try body(root) }
            return try freezer.whileFrozen { () throws(SwiftrunError) in try body(root) }
        }
        let root = try openStoppedRoot(state, key: key)
        defer { close(root) }
        try body(root)
    }

    private func openStoppedRoot(_ state: ContainerState, key: String) throws(SwiftrunError) -> Int32 {
        let containers = ContainerStore(layout: layout)
        guard let manifest = state.imageManifest else {
            throw .invalidArgument("container \(key) does not record the image it was made from")
        }
        let images = ImageStore(layout: layout)
        let image = try images.load(manifest: manifest)
        var layers = images.layerDirectories(of: image)
        if let initLayer = InitLayer(layout: layout).directory(for: image, layers: layers) { layers.append(initLayer) }
        return try Self.mountOverlay(layers: layers, dirs: containers.directories(state.id), describe: key)
    }

    /// A container's overlay mounted detached (fsmount): an fd of its root
    /// that nobody else sees, unmounted when the fd closes.
    static func mountOverlay(layers: [String], dirs: ContainerStore.Directories, describe: String) throws(SwiftrunError) -> Int32 {
        try Syscall.check("mount the filesystem of container \(describe)") {
            sr_overlay_detached(layers.reversed().joined(separator: ":"), dirs.upper, dirs.work, 0)
        }
    }

    /// Docker's copy-up: what the container has at `path` (resolved in its
    /// root), owners and modes kept, into the empty volume dir `volume`,
    /// whose own owner and mode become the path's. A path that is missing
    /// or not a directory gives nothing.
    func copyUp(root: Int32, path: String, into volume: String) throws(SwiftrunError) {
        guard
            let source = try Syscall.attempt(
                "open \(path) in the container", allowing: [ENOENT, ENOTDIR], { sr_open_in_root(root, path, O_RDONLY | O_DIRECTORY) })
        else { return }
        defer { close(source) }
        let target = try Syscall.check("open \(volume)") { open(volume, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
        defer { close(target) }
        var info = stat()
        try Syscall.check("stat \(path) in the container") { fstat(source, &info) }
        try Syscall.check("chown \(volume)") { fchown(target, info.st_uid, info.st_gid) }
        try Syscall.check("chmod \(volume)") { fchmod(target, info.st_mode & 0o7777) }
        let temp = try Syscall.check("open a temp file in \(layout.temp)") { open(layout.temp, Int32(SR_O_TMPFILE) | O_RDWR | O_CLOEXEC, 0o600) }
        defer { close(temp) }
        let writer = TarWriter(fd: temp, name: path)
        try TreeArchiver.archive(".", in: source, as: "", describe: path, keepOwners: true, to: writer)
        _ = try writer.finish()
        try Syscall.check("rewind the copy") { Int32(truncatingIfNeeded: lseek(temp, 0, SEEK_SET)) }
        try unpack(from: temp, into: target, describe: path)
    }

    /// "a/b/c" -> ("a/b", "c"); "c" -> (".", "c"); "/" -> ("/", ".");
    /// "dir/." keeps "." (the contents), and a trailing "/" is dropped.
    static func split(_ path: String) -> (parent: String, name: String) {
        var trimmed = Substring(path)
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        if trimmed == "/" { return ("/", ".") }
        guard let slash = trimmed.lastIndex(of: "/") else { return (".", String(trimmed)) }
        let parent = trimmed[..<slash]
        return (parent.isEmpty ? "/" : String(parent), String(trimmed[trimmed.index(after: slash)...]))
    }
}
