import CShims
import Glibc

/// Containers on disk: their dirs, names and state, and the recovery that
/// finishes the cleanup of containers whose swiftrun died.
///
/// Ordering makes this crash-safe. A container is announced in running/
/// (with its monitor's identity) before anything else of it exists, and that
/// marker is the last thing removed. So whatever instant swiftrun dies at,
/// the next swiftrun command finds the marker and completes the work.
public struct ContainerStore: Sendable {
    let layout: StoreLayout

    public init(layout: StoreLayout) { self.layout = layout }

    func statePath(_ id: String) -> String { layout.container(id) + "/state.json" }
    func markerPath(_ id: String) -> String { layout.running + "/" + id }
    func namePath(_ name: String) -> String { layout.names + "/" + name }

    /// The dirs overlayfs needs, all inside the container's dir.
    struct Directories {
        let base: String
        var upper: String { base + "/upper" }
        var work: String { base + "/work" }
        var rootfs: String { base + "/rootfs" }
    }

    func directories(_ id: String) -> Directories { Directories(base: layout.container(id)) }

    /// Makes a new container's marker, name and dirs, its upper dir's root
    /// owned as the image's `top` layer's is: all that must exist before
    /// the kernel is asked for anything.
    func create(_ state: ContainerState, over top: String) throws(SwiftrunError) {
        try announce(state.id, monitor: state.monitor)
        do {
            try reserveName(state.name, for: state.id)
            try makeDirectory(of: state.id)
            try Self.makeLayerDirectories(directories(state.id), over: top)
        } catch {
            try? remove(state)
            throw error
        }
    }

    /// A foreground `run`'s container, begun before its plan (ContainerAhead):
    /// the marker and its dir now, the layer's dirs on a thread, the name
    /// last (`reserveName`). Each step's undoing is `abandon`'s.
    func announce(_ id: String, monitor: ProcessIdentity) throws(SwiftrunError) {
        try FileSystem.writeAtomically(try JSON.encode(monitor), to: markerPath(id), durable: false)
    }

    func makeDirectory(of id: String) throws(SwiftrunError) {
        let base = layout.container(id)
        try Syscall.check("mkdir \(base)") { mkdir(base, 0o700) }
    }

    /// overlayfs's dirs in the container's dir. The upper dir is the
    /// container's "/", so it takes the image's owner and mode.
    static func makeLayerDirectories(_ dirs: Directories, over top: String) throws(SwiftrunError) {
        for dir in [dirs.upper, dirs.work, dirs.rootfs] {
            try Syscall.check("mkdir \(dir)") { mkdir(dir, 0o700) }
        }
        try FileSystem.copyOwnerAndMode(from: top, to: dirs.upper)
    }

    /// Undoes what `announce` and `makeDirectory` made, the dirs first and
    /// the marker last, for a container that never got its name.
    func abandon(_ id: String) throws(SwiftrunError) {
        try FileSystem.removeTree(layout.container(id))
        unlink(markerPath(id))
    }

    /// Writes the container's spec (config.json) and state, once it has a
    /// pid. If swiftrun dies before this, recovery removes the container.
    func record(_ state: ContainerState, spec: RuntimeSpec) throws(SwiftrunError) {
        try recordSpec(spec, of: state.id)
        try save(state)
    }

    /// config.json alone: it does not depend on the pid, so a start may
    /// write it while the child is made (ContainerLauncher).
    func recordSpec(_ spec: RuntimeSpec, of id: String) throws(SwiftrunError) {
        try FileSystem.writeAtomically(JSON.encodeTree(spec), to: layout.container(id) + "/config.json", durable: false)
    }

    /// The name on disk wins over the one in `state`: a process that has
    /// held the state since before a `rename` must not undo it.
    func save(_ state: ContainerState) throws(SwiftrunError) {
        var state = state
        state.name = currentName(state)
        try FileSystem.writeAtomically(try JSON.encode(state), to: statePath(state.id), durable: false)
    }

    /// The name this container has now: `state`'s own while names/ still
    /// gives it to this id (one small read, the usual case on run's path),
    /// else the one state.json says since a rename.
    func currentName(_ state: ContainerState) -> String {
        if (try? FileSystem.readFile(namePath(state.name))) == Array(state.id.utf8) { return state.name }
        return (try? self.state(state.id))?.name ?? state.name
    }

    /// The container has ended: remove its cgroup, then remove it (--rm) or
    /// record its exit code.
    /// `files`: when a removed container's files go (Trash).
    func finish(_ state: ContainerState, exitCode: Int32, files: Trash.When = .now) throws(SwiftrunError) {
        if state.autoRemove {
            leaveExitCode(exitCode, of: state.id)
            try remove(state, removingVolumes: true, files: files)
            return
        }
        try recordExit(state, exitCode: exitCode, restarting: false)
        unlink(markerPath(state.id))
    }

    /// Records an exit, the cgroups removed; `restarting` keeps the marker,
    /// for the monitor that will start the container again.
    @discardableResult
    func recordExit(_ state: ContainerState, exitCode: Int32, restarting: Bool) throws(SwiftrunError) -> ContainerState {
        // The network first: see Firewall.socket. Read the OOM killer's
        // count before the cgroup that holds it goes.
        ContainerNetwork(layout: layout).detach(state.id)
        let oomKilled = ContainerCgroup.oomKilled(id: state.id)
        ContainerCgroup.remove(id: state.id)
        var exited = state
        exited.status = restarting ? .restarting : .exited
        exited.exitCode = exitCode
        exited.oomKilled = oomKilled
        exited.finished = JSON.timestamp()
        exited.pid = nil
        try save(exited)
        return exited
    }

    /// A stopped container about to start again: its marker names its new
    /// monitor, so recovery knows whom to ask.
    func markActive(_ state: ContainerState) throws(SwiftrunError) {
        try FileSystem.writeAtomically(try JSON.encode(state.monitor), to: markerPath(state.id), durable: false)
    }

    /// `stop` and `kill` leave this file: the monitor then lets the
    /// container end instead of applying its restart policy. `start` removes it.
    func stopRequestPath(_ id: String) -> String { layout.container(id) + "/stop-requested" }
    /// The health checks' results (HealthState), kept apart from
    /// state.json: the check process and the monitor write each their own.
    func healthPath(_ id: String) -> String { layout.container(id) + "/health.json" }

    /// Docker's json-file log, in the container's dir.
    public func logPath(_ id: String) -> String { layout.container(id) + "/\(id)-json.log" }

    /// What the container wrote: its writable layer's bytes (`ps --size`).
    public func writableSize(_ id: String) -> Int64 { DiskUsage.bytes(layout.container(id) + "/upper") }

    /// A --rm container's exit code outlives it only where someone waits:
    /// a waiter makes exits/<id> (ExitDropBox) and holds it open, and the
    /// code is written there before the container goes. Nobody waiting,
    /// nothing is left.
    private func leaveExitCode(_ code: Int32, of id: String) {
        let fd = open(layout.exits + "/" + id, O_WRONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return }
        _ = try? FileSystem.writeAll(fd, Array(String(code).utf8), path: "exit code")
        close(fd)
    }

    /// The volumes a container mounts, by name: recorded at create, before
    /// any is made, so that removing the container always finds them.
    func volumesPath(_ id: String) -> String { layout.container(id) + "/volumes.json" }

    func recordVolumes(_ names: [String], of id: String) throws(SwiftrunError) {
        try FileSystem.writeAtomically(try JSON.encode(names), to: volumesPath(id), durable: false)
    }

    func volumes(of id: String) -> [String] {
        (try? FileSystem.readFile(volumesPath(id))).flatMap { try? JSON.decode([String].self, from: $0, path: volumesPath(id)) } ?? []
    }

    /// Removes every trace, in the reverse order of `create`. The dir
    /// leaves containers/ in one rename, into the trash, and its files go
    /// last, at the time `files` says. `removingVolumes` (run --rm, rm -v):
    /// its anonymous volumes go too.
    func remove(_ state: ContainerState, removingVolumes: Bool = false, files: Trash.When = .now) throws(SwiftrunError) {
        let name = currentName(state)
        ContainerNetwork(layout: layout).detach(state.id)  // first: see Firewall.socket
        ContainerCgroup.remove(id: state.id)
        let volumes = volumes(of: state.id)
        let trash = Trash(layout: layout)
        let taken = try trash.take(layout.container(state.id), as: state.id)
        try VolumeStore(layout: layout).detach(volumes, from: state.id, removingAnonymous: removingVolumes)
        if (try? FileSystem.readFile(namePath(name))) == Array(state.id.utf8) {
            unlink(namePath(name))
        }
        unlink(markerPath(state.id))
        if let taken { try trash.remove(taken, files) }
    }

    /// names/<name> holds the owner's id; O_EXCL makes the claim atomic
    /// across concurrent runs. A claim whose container is gone is stale (its
    /// creator died before making it) and is taken over, under the store
    /// lock so that two takers cannot both win.
    func reserveName(_ name: String, for id: String) throws(SwiftrunError) {
        if try claim(name, for: id) { return }
        try StoreLock.withLock(layout.lock) { () throws(SwiftrunError) in
            let path = namePath(name)
            let owner = String(decoding: (try? FileSystem.readFile(path)) ?? [], as: UTF8.self)
            let ownerExists =
                ContainerID.isValid(owner)
                && (FileSystem.exists(layout.container(owner)) || FileSystem.exists(markerPath(owner)))
            guard !ownerExists else { throw .nameInUse(name) }
            unlink(path)
            guard try claim(name, for: id) else { throw .nameInUse(name) }
        }
    }

    /// Creates names/<name> with O_EXCL; false if it exists.
    func claim(_ name: String, for id: String) throws(SwiftrunError) -> Bool {
        let path = namePath(name)
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            if errno == EEXIST { return false }
            throw .system("create \(path)", errno: errno)
        }
        defer { close(fd) }
        try FileSystem.writeAll(fd, Array(id.utf8), path: path)
        return true
    }

    // MARK: - Reading

    /// The spec the container was started with (config.json).
    package func spec(_ id: String) throws(SwiftrunError) -> RuntimeSpec {
        let path = layout.container(id) + "/config.json"
        return try JSON.decode(RuntimeSpec.self, from: try FileSystem.readFile(path), path: path)
    }

    package func state(_ id: String) throws(SwiftrunError) -> ContainerState {
        try JSON.decode(ContainerState.self, from: try FileSystem.readFile(statePath(id)), path: statePath(id))
    }

    public func all() throws(SwiftrunError) -> [ContainerState] {
        try FileSystem.listDirectory(layout.containers).compactMap { id in
            try? state(id)
        }.sorted { $0.created > $1.created }
    }

    /// By full id, name, or unique id prefix, as Docker resolves them.
    public func find(_ key: String) throws(SwiftrunError) -> ContainerState {
        if ContainerID.isValid(key), let found = try? state(key) { return found }
        if let owner = try? FileSystem.readFile(namePath(key)), let found = try? state(String(decoding: owner, as: UTF8.self)) {
            return found
        }
        let matches = try FileSystem.listDirectory(layout.containers).filter { $0.hasPrefix(key) }
        guard !key.isEmpty, matches.count == 1 else {
            if matches.count > 1 { throw .invalidArgument("container id prefix \"\(key)\" is ambiguous") }
            throw .containerNotFound(key)
        }
        return try state(matches[0])
    }

    // MARK: - Recovery

    /// Finishes what a dead swiftrun left: for each marker whose monitor is
    /// gone, remove the container (--rm, or never fully created) or mark it
    /// exited, and sweep the trash. Cheap when nothing is pending: one
    /// readdir of running/ and one stat of trash/.
    /// A container that cannot be finished is returned with its error and
    /// left for the next command: one bad container must not stop every
    /// command on the store.
    public func recover() throws(SwiftrunError) -> [(id: String, error: SwiftrunError)] {
        let pending = try FileSystem.listDirectory(layout.running).filter(ContainerID.isValid)
        let trashed = Trash(layout: layout).sweep().map { (id: $0.name, error: $0.error) }
        guard !pending.isEmpty else { return trashed }
        return try StoreLock.withLock(layout.lock) { () throws(SwiftrunError) in
            var unfinished = trashed
            for id in pending where isAbandoned(id) {
                do throws(SwiftrunError) { try finishAbandoned(id) } catch { unfinished.append((id, error)) }
            }
            return unfinished
        }
    }

    /// The marker names a monitor that is gone, and still names it once
    /// that is known. A monitor records its container's exit without the
    /// store lock, then unlinks the marker and exits; read before that
    /// and checked after, its marker would pass for abandoned and its
    /// recorded exit be overwritten with a kill.
    private func isAbandoned(_ id: String) -> Bool {
        guard let marker = try? FileSystem.readFile(markerPath(id)),
            let monitor = try? JSON.decode(ProcessIdentity.self, from: marker, path: markerPath(id)),
            !monitor.isAlive
        else { return false }
        return (try? FileSystem.readFile(markerPath(id))) == marker
    }

    private func finishAbandoned(_ id: String) throws(SwiftrunError) {
        ContainerNetwork(layout: layout).releaseClaims(of: id)
        guard let state = try? state(id) else {
            // Died while creating: nothing of it was ever visible as a container.
            ContainerCgroup.remove(id: id)
            ContainerNetwork(layout: layout).detach(id)
            try FileSystem.removeTree(layout.container(id))
            unlink(markerPath(id))
            return
        }
        // `create` died after recording the container: nothing ran.
        if state.status == .created {
            unlink(markerPath(id))
            return
        }
        // The container was killed with its monitor (PDEATHSIG = SIGKILL).
        try finish(state, exitCode: 128 + SIGKILL)
    }
}

extension ContainerStore {
    /// `swiftrun rm`. A running container is refused unless `force`, which
    /// kills its swiftrun; PDEATHSIG then takes the container down with it.
    /// `volumes` (-v): its anonymous volumes go with it.
    public func remove(_ key: String, force: Bool, volumes: Bool = false) throws(SwiftrunError) {
        try StoreLock.withLock(layout.lock) { () throws(SwiftrunError) in
            let state = try find(key)
            if state.isActive {
                guard force else { throw .containerRunning(key) }
                try killAndWait(state.monitor)
            }
            try remove(state, removingVolumes: volumes)
        }
    }

    private func killAndWait(_ monitor: ProcessIdentity) throws(SwiftrunError) {
        let pidfd = try Syscall.check("pidfd_open \(monitor.pid)") { sr_pidfd_open(monitor.pid) }
        defer { close(pidfd) }
        // The pidfd pins this exact process: a recycled pid cannot be hit.
        guard monitor.isAlive else { return }
        try Syscall.check("kill \(monitor.pid)") { sr_pidfd_send_signal(pidfd, SIGKILL) }
        var poller = pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)
        try Syscall.check("poll pidfd") { poll(&poller, 1, -1) }
    }
}
