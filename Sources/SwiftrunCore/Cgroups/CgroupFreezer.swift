import Glibc

/// Freezes a running container's processes: `pause` and `unpause`, and
/// `commit --pause` (Docker's default) while swiftrun reads its upper dir,
/// so the tree cannot change under the reader. It uses cgroup v2's cgroup.freeze, which every v2
/// cgroup has without enabling a controller: the container is born in its
/// v2 directory on pure v2 and hybrid hosts alike. Legacy v1-only hosts have
/// no such directory: pause is refused there, and commit reads unfrozen
/// (the archiver still checks each file it opens).
struct CgroupFreezer {
    let directory: String

    /// nil where the container has no v2 cgroup.
    init?(id: String, mode: CgroupMode = .host) {
        self.init(path: ContainerCgroup.path(of: id), mode: mode)
    }

    /// The container whose cgroups are at `path` in each hierarchy.
    init?(path: String, mode: CgroupMode = .host) {
        guard let unified = mode.unified else { return nil }
        directory = unified + "/" + path
        guard FileSystem.exists(directory + "/cgroup.freeze") else { return nil }
    }

    /// Runs `body` with the container frozen, and thaws it on every path,
    /// unless it was paused before.
    func whileFrozen<T>(_ body: () throws(SwiftrunError) -> T) throws(SwiftrunError) -> T {
        let paused = isFrozen
        try set(frozen: true)
        defer { if !paused { try? set(frozen: false) } }
        return try body()
    }

    /// Whether the container is paused: cgroup.freeze holds 1.
    var isFrozen: Bool {
        (try? FileSystem.readFile(directory + "/cgroup.freeze")) == Array("1\n".utf8)
    }

    func freeze() throws(SwiftrunError) { try set(frozen: true) }
    func thaw() throws(SwiftrunError) { try set(frozen: false) }

    /// Writes cgroup.freeze, then waits until cgroup.events reports the
    /// state: the kernel signals each change of that file with POLLPRI
    /// (cgroup-v2.rst, "cgroup.events"), so nothing here sleeps or spins.
    private func set(frozen: Bool) throws(SwiftrunError) {
        try FileSystem.writeString(frozen ? "1" : "0", to: directory + "/cgroup.freeze")
        let events = directory + "/cgroup.events"
        let fd = try Syscall.check("open \(events)") { open(events, O_RDONLY | O_CLOEXEC) }
        defer { close(fd) }
        let wanted = "frozen \(frozen ? 1 : 0)"
        while true {
            var buffer = [UInt8](repeating: 0, count: 256)
            let n = try Syscall.check("read \(events)") { pread(fd, &buffer, buffer.count, 0) }
            if String(decoding: buffer[0..<n], as: UTF8.self).split(separator: "\n").contains(where: { $0 == wanted }) { return }
            var poller = pollfd(fd: fd, events: Int16(POLLPRI), revents: 0)
            try Syscall.check("poll \(events)") { poll(&poller, 1, -1) }
        }
    }
}
