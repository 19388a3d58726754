import CShims
import Glibc

/// runc's verbs over a bundle, for the engines that drive a runtime
/// binary (podman through conmon, containerd's shim, dockerd). They use the
/// same phases as `swiftrun run`, split at the exec fifo:
///   - create: the bundle's config.json read into a RuntimeSpec (Bundle),
///     the cgroups, and the same C child, which sets itself up, reports
///     SR_STEP_CREATED and blocks opening the exec fifo; `create` exits and
///     the engine's shim (a subreaper) becomes the child's parent;
///   - start: opens the fifo, so the child goes on to the walls on the
///     process and execve;
///   - kill, delete: signal pid 1 through a pidfd; remove the cgroups and
///     the state dir.
public struct OCIRuntime {
    let root: RuntimeStateRoot

    public init(root: String) { self.root = RuntimeStateRoot(path: root) }

    public struct CreateOptions {
        public var bundle: String
        public var pidFile: String?
        public var consoleSocket: String?
        public var preserveFDs = 0
        public var systemdCgroup = false
        /// `run` in the foreground with process.terminal: the pty comes back
        /// to this process, which relays the caller's terminal to it.
        var console: ConsoleSocket?

        public init(bundle: String, pidFile: String? = nil, consoleSocket: String? = nil, preserveFDs: Int = 0, systemdCgroup: Bool = false) {
            self.bundle = bundle
            self.pidFile = pidFile
            self.consoleSocket = consoleSocket
            self.preserveFDs = preserveFDs
            self.systemdCgroup = systemdCgroup
        }
    }

    /// Makes the container and leaves it waiting for `start`. Returns
    /// pid 1, which is this process's child until this process exits.
    @discardableResult
    public func create(_ id: String, _ options: CreateOptions) throws(SwiftrunError) -> pid_t {
        guard RuntimeID.isValid(id) else { throw .invalidArgument("invalid container id format: \(id)") }
        try FileSystem.makeDirectories(root.path, mode: 0o700)
        let dir = root.directory(id)
        guard try Syscall.attempt("mkdir \(dir)", allowing: [EEXIST], { mkdir(dir, 0o700) }) != nil else {
            throw .invalidArgument("container with id exists: \(id)")
        }
        var placement: (path: String, scope: SystemdScope?)?
        do {
            let bundle = try Bundle.load(options.bundle)
            placement = try Self.cgroupPlacement(bundle.spec, id: id, systemd: options.systemdCgroup)
            return try create(id, bundle: bundle, cgroupPath: placement!.path, scope: placement!.scope, options: options)
        } catch {
            if let scope = placement?.scope { try? SystemdScope.stop(unit: scope.unit) }
            placement.map { ContainerCgroup.remove(path: $0.path) }
            try? FileSystem.removeTree(dir)
            throw error
        }
    }

    private func create(_ id: String, bundle: Bundle, cgroupPath: String, scope: SystemdScope?, options: CreateOptions) throws(SwiftrunError) -> pid_t {
        let spec = bundle.spec
        if spec.process.terminal && options.consoleSocket == nil && options.console == nil {
            throw .invalidArgument("process.terminal is set, so --console-socket is required to hand over the pty")
        }
        if !spec.process.terminal && options.consoleSocket != nil {
            throw .invalidArgument("--console-socket needs process.terminal set in config.json")
        }
        let child = try ChildSpec(
            spec: spec, overlayOptions: nil, seccomp: spec.compiledSeccomp(cache: root.seccompCache),
            cgroupDirectory: CgroupMode.host.unified.map { $0 + "/" + cgroupPath })

        let fifoPath = root.fifo(id)
        try Syscall.check("mkfifo \(fifoPath)") { mkfifo(fifoPath, 0o622) }
        // In a user namespace the child is an unprivileged uid of the
        // host: the fifo is its root's, as runc makes it.
        if let uid = spec.linux.uidMappings?.hostID(of: 0), let gid = spec.linux.gidMappings?.hostID(of: 0) {
            try Syscall.check("chown \(fifoPath)") { chown(fifoPath, uid, gid) }
        }
        let fifo = try Syscall.check("open \(fifoPath)") { open(fifoPath, Int32(SR_O_PATH) | O_CLOEXEC) }
        var opened = [fifo]
        defer { opened.forEach { close($0) } }
        child.waitForStart(fifo: fifo, preservingFDs: options.preserveFDs)
        if let socket = options.consoleSocket { opened.append(try child.sendConsole(to: socket)) }
        if let console = options.console {
            child.attachConsole(
                socket: console.childEnd, size: spec.process.consoleSize.map { TerminalSize(rows: $0.height, columns: $0.width) } ?? TerminalSize.of(1))
        }
        for namespace in spec.linux.namespaces {
            guard let path = namespace.path else { continue }
            let fd = try Syscall.check("open namespace \(path)") { open(path, O_RDONLY | O_CLOEXEC) }
            opened.append(fd)
            child.join(namespace: fd, type: Int(ChildSpec.cloneFlags([namespace])), path: path)
        }

        // Recorded before anything is made in the kernel, with no process
        // yet ("stopped"), then again with pid 1 while the child sets itself
        // up: a kill -9 of this process at any point leaves a state that
        // `delete` can finish, cgroups included.
        var record = RuntimeRecord(
            id: id, init_: ProcessIdentity(pid: 0, startTime: 0), bundle: bundle.path, rootfs: spec.root.path,
            created: JSON.timestamp(), annotations: spec.annotations, cgroupPath: cgroupPath, hooks: spec.hooks, systemdUnit: scope?.unit)
        try FileSystem.writeAtomically(JSON.encodeTree(spec), to: root.config(id), durable: false)
        try root.save(record)
        try child.run(hooks: spec.hooks, state: root.ociState(of: record))
        let started = { (pid: pid_t) throws(SwiftrunError) in
            guard let start = ProcessIdentity.startTime(of: pid) else { throw .system("read /proc/\(pid)/stat", errno: ESRCH) }
            record.init_ = ProcessIdentity(pid: pid, startTime: start)
            try root.save(record)
            if let score = spec.process.oomScoreAdj { try FileSystem.writeString(String(score), to: "/proc/\(pid)/oom_score_adj") }
        }
        // The child has mounted its tree and waits before pivot_root: the
        // runtime's own hooks see the container as "creating".
        let runtimeHooks = { (_: pid_t) throws(SwiftrunError) in
            let state = root.ociState(of: record)
            try RuntimeHooks.run(spec.hooks?.prestart ?? [], state: state, stage: "prestart")
            try RuntimeHooks.run(spec.hooks?.createRuntime ?? [], state: state, stage: "createRuntime")
        }
        let process: ContainerProcess
        if let scope {
            process = try ContainerProcess.start(
                child,
                // Before the go byte: systemd makes the scope's cgroup and
                // moves pid 1 there; then the limits, and the hierarchies
                // systemd does not manage.
                placing: { (pid) throws(SwiftrunError) in
                    try scope.start(pid: pid, id: id)
                    try ContainerCgroup.create(path: cgroupPath, resources: spec.linux.resources, everyController: true, adopting: true).add(pid)
                }, started: started, runtimeHooks: runtimeHooks)
        } else {
            process = try ContainerCgroup.create(path: cgroupPath, resources: spec.linux.resources, everyController: true)
                .spawn(child, started: started, runtimeHooks: runtimeHooks)
        }
        do {
            record.ready = true
            try root.save(record)
            if let pidFile = options.pidFile {
                try FileSystem.writeAtomically(Array(String(process.pid).utf8), to: pidFile, durable: false)
            }
        } catch {
            Glibc.kill(process.pid, SIGKILL)
            var status: Int32 = 0
            waitpid(process.pid, &status, 0)
            throw error
        }
        return process.pid
    }

    /// The cgroup path below each hierarchy: the config's, or swiftrun's own
    /// place for the id; with --systemd-cgroup, the scope unit its
    /// "slice:prefix:name" names, and that unit's path.
    private static func cgroupPlacement(_ spec: RuntimeSpec, id: String, systemd: Bool) throws(SwiftrunError) -> (path: String, scope: SystemdScope?) {
        if systemd {
            guard SystemdScope.isRunning else {
                throw .invalidArgument(
                    "--systemd-cgroup: systemd is not running on this host; use the cgroupfs manager (podman --cgroup-manager cgroupfs)")
            }
            let scope = try SystemdScope(cgroupsPath: spec.linux.cgroupsPath, id: id)
            return (scope.cgroupPath, scope)
        }
        return (try cgroupPath(spec, id: id), nil)
    }

    private static func cgroupPath(_ spec: RuntimeSpec, id: String) throws(SwiftrunError) -> String {
        guard let path = spec.linux.cgroupsPath, !path.isEmpty else { return ContainerCgroup.path(of: id) }
        let relative = path.split(separator: "/").map(String.init)
        guard !relative.isEmpty, !relative.contains(".."), !relative.contains("."), !path.contains(":") else {
            throw .invalidArgument("linux.cgroupsPath \(path): not a cgroupfs path (a systemd slice:prefix:name needs --systemd-cgroup)")
        }
        return relative.joined(separator: "/")
    }

    /// Lets a created container exec its command.
    public func start(_ id: String) throws(SwiftrunError) {
        let record = try root.load(id)
        switch root.status(of: record) {
        case .created: break
        case .running, .paused: throw .invalidArgument("cannot start an already running container")
        case .creating: throw .invalidArgument("cannot start a container that is still being created")
        case .stopped: throw .invalidArgument("cannot start a container that has stopped")
        }
        // The pidfd first: once the fifo is open the command may run and
        // end at once, and the engine's shim reap it.
        guard let pidfd = record.pinInit() else { throw .invalidArgument("cannot start a container that has stopped") }
        defer { close(pidfd) }
        let fifoPath = root.fifo(id)
        let fifo = try Syscall.check("open \(fifoPath)") { open(fifoPath, O_RDONLY | O_NONBLOCK | O_CLOEXEC) }
        defer { close(fifo) }
        // The child's blocked open for writing completes now; its byte says
        // it goes on. Its death instead makes the pidfd readable.
        var fds = [pollfd(fd: fifo, events: Int16(POLLIN), revents: 0), pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)]
        while true {
            let ready = poll(&fds, 2, -1)
            if ready > 0 { break }
            if ready < 0 && errno != EINTR { throw .system("poll the exec fifo", errno: errno) }
        }
        var byte: UInt8 = 0
        guard fds[0].revents & Int16(POLLIN) != 0, read(fifo, &byte, 1) == 1 else {
            throw .invalidArgument("container \(id) exited before it could start")
        }
        unlink(fifoPath)
        RuntimeHooks.runWarning(record.hooks?.poststart ?? [], state: root.ociState(of: record), stage: "poststart")
    }

    /// Sends `signal` to pid 1, or with `all` to every process in the
    /// container's cgroups.
    public func kill(_ id: String, signal: Int32, all: Bool = false) throws(SwiftrunError) {
        let record = try root.load(id)
        guard root.status(of: record) != .stopped else { throw .invalidArgument("container not running") }
        if all {
            for pid in ContainerCgroup.processes(path: record.cgroupPath) { Glibc.kill(pid, signal) }
            return
        }
        try signalInit(record, signal)
    }

    /// Through a pidfd (RuntimeRecord.pinInit), so a recycled pid is never signalled.
    private func signalInit(_ record: RuntimeRecord, _ signal: Int32) throws(SwiftrunError) {
        guard let pidfd = record.pinInit() else { throw .invalidArgument("container not running") }
        defer { close(pidfd) }
        try Syscall.check("pidfd_send_signal") { sr_pidfd_send_signal(pidfd, signal) }
    }

    /// Removes a stopped or created container; `force` kills a running one
    /// first. A missing one is an error, but not with `force`.
    public func delete(_ id: String, force: Bool = false) throws(SwiftrunError) {
        guard root.holds(id) else {
            guard force, RuntimeID.isValid(id) else { throw .containerNotFound(id) }
            try? FileSystem.removeTree(root.directory(id))
            return
        }
        let record = try root.load(id)
        let status = root.status(of: record)
        if (status == .running || status == .paused) && !force {
            throw .invalidArgument("cannot delete container \(id) that is not stopped: \(status.rawValue)")
        }
        if status == .paused { try? CgroupFreezer(path: record.cgroupPath)?.thaw() }
        if status != .stopped {
            try? signalInit(record, SIGKILL)
            waitForExit(record)
        }
        // systemd removes its scope's cgroup; ours go after.
        if let unit = record.systemdUnit { try SystemdScope.stop(unit: unit) }
        ContainerCgroup.remove(path: record.cgroupPath)
        var state = root.ociState(of: record)
        state.status = RuntimeRecord.Status.stopped.rawValue
        RuntimeHooks.runWarning(record.hooks?.poststop ?? [], state: state, stage: "poststop")
        try FileSystem.removeTree(root.directory(id))
    }

    /// pid 1 is the engine's shim's child, not ours: its pidfd says when it ends.
    private func waitForExit(_ record: RuntimeRecord) {
        guard let pidfd = record.pinInit() else { return }
        defer { close(pidfd) }
        var fds = [pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)]
        while poll(&fds, 1, 10_000) < 0 && errno == EINTR {}
    }

    /// `run`: create and start; without `detach`, wait for pid 1 (our own
    /// child) while passing signals on, or with process.terminal relaying
    /// the caller's terminal to its pty, then delete unless `keep`.
    public func run(_ id: String, _ options: CreateOptions, detach: Bool, keep: Bool) throws(SwiftrunError) -> Int32 {
        var options = options
        if !detach, options.consoleSocket == nil, try Bundle.load(options.bundle).spec.process.terminal {
            options.console = try ConsoleSocket()
        }
        let pid = try create(id, options)
        do {
            try start(id)
        } catch {
            try? delete(id, force: true)
            throw error
        }
        if detach { return 0 }
        let status = try ContainerProcess(pid: pid).wait(console: options.console, interactive: true).code
        if !keep { try delete(id, force: true) }
        return status
    }

    /// runc's `update`: a linux.resources file ("-": stdin), and flags on top.
    public struct ResourceChanges {
        public var file: String?
        public var memory: String?
        public var memoryReservation: String?
        public var memorySwap: String?
        public var cpuShares: UInt64?
        public var cpuQuota: Int64?
        public var cpuPeriod: UInt64?
        public var cpusetCpus: String?
        public var pidsLimit: Int64?

        public init() {}

        func resources() throws(SwiftrunError) -> RuntimeSpec.Resources {
            var resources = RuntimeSpec.Resources(devices: [])
            if let file {
                let bytes = file == "-" ? try FileSystem.readAll(0, path: "stdin", limit: 1 << 20) : try FileSystem.readFile(file)
                resources = try JSON.decode(RuntimeSpec.Resources.self, from: bytes, path: file == "-" ? "stdin" : file)
            }
            func bytes(_ text: String?, _ flag: String) throws(SwiftrunError) -> Int64? {
                try text.map { (value) throws(SwiftrunError) in value == "-1" ? -1 : try RunOptions.parseBytes(value, flag: flag) }
            }
            if memory != nil || memoryReservation != nil || memorySwap != nil {
                var limits = resources.memory ?? RuntimeSpec.Memory()
                limits.limit = try bytes(memory, "--memory") ?? limits.limit
                limits.reservation = try bytes(memoryReservation, "--memory-reservation") ?? limits.reservation
                limits.swap = try bytes(memorySwap, "--memory-swap") ?? limits.swap
                resources.memory = limits
            }
            if cpuShares != nil || cpuQuota != nil || cpuPeriod != nil || cpusetCpus != nil {
                var cpu = resources.cpu ?? RuntimeSpec.CPU()
                cpu.shares = cpuShares ?? cpu.shares
                cpu.quota = cpuQuota ?? cpu.quota
                cpu.period = cpuPeriod ?? cpu.period
                cpu.cpus = cpusetCpus ?? cpu.cpus
                resources.cpu = cpu
            }
            if let pidsLimit { resources.pids = RuntimeSpec.Pids(limit: pidsLimit <= 0 ? Int64.max : pidsLimit) }
            return resources
        }
    }

    /// New limits for a created, running or paused container.
    public func update(_ id: String, _ changes: ResourceChanges) throws(SwiftrunError) {
        let record = try root.load(id)
        guard root.status(of: record) != .stopped else { throw .invalidArgument("container not running") }
        try ContainerCgroup.existing(path: record.cgroupPath).update(changes.resources())
    }

    /// Freezes every process of the container (cgroup v2's cgroup.freeze).
    public func pause(_ id: String) throws(SwiftrunError) {
        let record = try root.load(id)
        guard root.status(of: record) == .running else { throw .invalidArgument("container not running") }
        guard let freezer = CgroupFreezer(path: record.cgroupPath) else {
            throw .invalidArgument("pause needs the container's cgroup v2 directory, which this host does not have")
        }
        try freezer.freeze()
    }

    public func resume(_ id: String) throws(SwiftrunError) {
        let record = try root.load(id)
        guard root.status(of: record) == .paused, let freezer = CgroupFreezer(path: record.cgroupPath) else {
            throw .invalidArgument("container not paused")
        }
        try freezer.thaw()
    }

    /// `events` without --stats: a stats event at once and every
    /// `interval` milliseconds, until pid 1 exits (a pidfd ends the wait).
    public func streamEvents(_ id: String, interval: Int32, emit: (String) -> Void) throws(SwiftrunError) {
        guard let pidfd = try root.load(id).pinInit() else { throw .invalidArgument("container not running") }
        defer { close(pidfd) }
        while true {
            guard let event = try? statsEvent(id) else { return }
            emit(event)
            var exited = pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)
            if poll(&exited, 1, interval) != 0 { return }
        }
    }

    /// `events --stats`: one stats event in runc's shape, from the cgroups.
    public func statsEvent(_ id: String) throws(SwiftrunError) -> String {
        let record = try root.load(id)
        guard root.status(of: record) != .stopped, let stats = ContainerStats.read(path: record.cgroupPath) else {
            throw .invalidArgument("container not running")
        }
        var memory: [String: JSONValue] = ["usage": .integer(stats.memoryUsage)]
        if let limit = stats.memoryLimit { memory["limit"] = .integer(limit) }
        let event: JSONValue = .object([
            "type": .string("stats"), "id": .string(id),
            "data": .object([
                "cpu": .object(["usage": .object(["total": .integer(stats.cpuNanoseconds)])]),
                "memory": .object(["usage": .object(memory)]),
                "pids": .object(["current": .integer(stats.pids)])
            ])
        ])
        return String(decoding: try JSON.encode(event), as: UTF8.self)
    }

    public func state(_ id: String) throws(SwiftrunError) -> OCIState {
        root.ociState(of: try root.load(id))
    }

    public func list() -> [OCIState] {
        root.ids().compactMap { try? state($0) }
    }

    /// The pids in the container's cgroups.
    public func processes(_ id: String) throws(SwiftrunError) -> [pid_t] {
        ContainerCgroup.processes(path: try root.load(id).cgroupPath)
    }
}
