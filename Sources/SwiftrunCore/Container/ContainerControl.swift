import CShims
import Glibc

/// `stop`, `kill` and `wait`: signals to a container's pid 1 and waits for
/// its supervisor, through pidfds so that a recycled pid is never hit.
/// The supervisor is the monitor of a detached container, or the
/// foreground `swiftrun run` itself; either records the exit.
public struct ContainerControl {
    let layout: StoreLayout
    let containers: ContainerStore

    public init(layout: StoreLayout) {
        self.layout = layout
        containers = ContainerStore(layout: layout)
    }

    /// Docker's default grace period before SIGKILL.
    public static let defaultStopTimeout = 10

    /// `stop`: the stop signal, then SIGKILL after `timeout` seconds (the
    /// container's --stop-timeout, else 10), then waits until the exit is
    /// recorded. The restart policy ends here. A stopped container is fine.
    public func stop(_ key: String, timeout: Int?, signal chosen: Int32? = nil) throws(SwiftrunError) {
        let state = try containers.find(key)
        guard state.isActive, let supervisor = try Supervisor(state) else { return }
        defer { close(supervisor.fd) }
        try requestStop(state)
        let signal: Int32
        if let chosen { signal = chosen } else { signal = try SignalName.parse(state.stopSignal ?? "SIGTERM") }
        // A paused container cannot act on its stop signal: it is thawed first.
        if let freezer = CgroupFreezer(id: state.id), freezer.isFrozen { try freezer.thaw() }
        if state.status == .restarting {
            // Between two runs: the monitor's delay ends at once.
            _ = sr_pidfd_send_signal(supervisor.fd, SIGTERM)
        } else {
            try signalPid1(state, signal, supervisor: supervisor)
        }
        let grace = timeout ?? state.stopTimeout ?? Self.defaultStopTimeout
        if !supervisor.waitForExit(milliseconds: grace < 0 ? -1 : Int32(clamping: grace * 1000)) {
            try? signalPid1(state, SIGKILL, supervisor: supervisor)
            _ = supervisor.waitForExit(milliseconds: -1)
        }
    }

    /// `kill`: one signal (SIGKILL by default) to pid 1, without waiting.
    /// As in Docker, the restart policy does not bring the container back.
    public func kill(_ key: String, signal: Int32) throws(SwiftrunError) {
        let state = try containers.find(key)
        guard state.isActive, state.status == .running, let supervisor = try Supervisor(state) else {
            throw .invalidArgument("container \(key) is not running")
        }
        defer { close(supervisor.fd) }
        try requestStop(state)
        try signalPid1(state, signal, supervisor: supervisor)
        // Any signal but SIGKILL waits in a frozen task: thaw it, as Docker does.
        if let freezer = CgroupFreezer(id: state.id), freezer.isFrozen { try freezer.thaw() }
    }

    /// `wait`: blocks until the container is no longer running, and returns
    /// its exit code. The state file is replaced (renamed) at each change,
    /// so inotify's IN_MOVED_TO wakes the wait: no polling.
    public func wait(_ key: String) throws(SwiftrunError) -> Int32 {
        let first = try containers.find(key)
        // Before the state is read again: a --rm container may be gone by then.
        return try wait(first, dropBox: first.autoRemove ? ExitDropBox(layout: layout, id: first.id) : nil)
    }

    /// The Engine API's wait conditions next-exit and removed, which the
    /// docker CLI asks for before it starts the container: a created one
    /// is waited for until it has started, and then until it exits.
    package func waitForNextExit(_ state: ContainerState) throws(SwiftrunError) -> Int32 {
        let dropBox = state.autoRemove ? ExitDropBox(layout: layout, id: state.id) : nil
        try waitUntilStarted(state.id)
        guard let started = try? containers.state(state.id) else {
            if let code = dropBox?.code() { return code }
            throw .containerNotFound(state.id)
        }
        return try wait(started, dropBox: dropBox)
    }

    private func wait(_ first: ContainerState, dropBox: ExitDropBox?) throws(SwiftrunError) -> Int32 {
        let key = first.id
        let directory = layout.container(first.id)
        let inotify = try Syscall.check("inotify_init1") { inotify_init1(Int32(IN_CLOEXEC)) }
        defer { close(inotify) }
        try Syscall.check("inotify_add_watch \(directory)") {
            inotify_add_watch(inotify, directory, UInt32(IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF))
        }
        let monitor = first.isActive ? try? Supervisor(first) : nil
        defer { if let monitor { close(monitor.fd) } }
        while true {
            guard let state = try? containers.state(first.id) else {
                if let code = dropBox?.code() { return code }
                throw .containerNotFound(key)
            }
            // Never started: Docker's wait (condition not-running) answers 0.
            if state.status == .created { return 0 }
            if state.status != .running || state.started != first.started { return state.exitCode ?? 128 + SIGKILL }
            if !state.monitor.isAlive {
                // It may have recorded the exit after the read above, then
                // ended: only a monitor that died without recording is a kill.
                let latest = try? containers.state(first.id)
                return latest?.status == .running ? 128 + SIGKILL : latest?.exitCode ?? dropBox?.code() ?? 128 + SIGKILL
            }
            var fds = [pollfd(fd: inotify, events: Int16(POLLIN), revents: 0)]
            // The supervisor's end also ends the wait: one killed -9 records nothing.
            if let monitor { fds.append(pollfd(fd: monitor.fd, events: Int16(POLLIN), revents: 0)) }
            try Syscall.check("poll") { poll(&fds, nfds_t(fds.count), -1) }
            if fds[0].revents != 0 {
                var buffer = [UInt8](repeating: 0, count: 4096)
                _ = read(inotify, &buffer, buffer.count)
            }
            if fds.count > 1 && fds[1].revents != 0 {
                _ = try? containers.recover()
                return (try? containers.state(first.id))?.exitCode ?? dropBox?.code() ?? 128 + SIGKILL
            }
        }
    }

    /// Returns once a `created` container has been started (or removed).
    private func waitUntilStarted(_ id: String) throws(SwiftrunError) {
        try watch(id) { $0 == nil || $0?.status != .created }
    }

    /// Returns once the container is gone: removed by `rm`, or by its
    /// monitor after its exit (--rm).
    package func waitUntilRemoved(_ id: String) throws(SwiftrunError) {
        try watch(id) { $0 == nil }
    }

    /// Waits until `done` holds for the container's state (nil: removed),
    /// woken by inotify as each new state.json is renamed into place.
    private func watch(_ id: String, until done: (ContainerState?) -> Bool) throws(SwiftrunError) {
        let directory = layout.container(id)
        let inotify = try Syscall.check("inotify_init1") { inotify_init1(Int32(IN_CLOEXEC)) }
        defer { close(inotify) }
        guard inotify_add_watch(inotify, directory, UInt32(IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF)) >= 0 else {
            if errno == ENOENT && done(nil) { return }
            throw .system("inotify_add_watch \(directory)", errno: errno)
        }
        while !done(try? containers.state(id)) {
            var fds = [pollfd(fd: inotify, events: Int16(POLLIN), revents: 0)]
            try Syscall.check("poll") { poll(&fds, 1, -1) }
            var buffer = [UInt8](repeating: 0, count: 4096)
            _ = read(inotify, &buffer, buffer.count)
        }
    }

    /// `pause`: freezes every process of a running container (cgroup v2's
    /// cgroup.freeze). `unpause` thaws them.
    public func pause(_ key: String, _ paused: Bool) throws(SwiftrunError) {
        let state = try containers.find(key)
        guard state.isActive, state.status == .running else { throw .invalidArgument("container \(key) is not running") }
        guard let freezer = CgroupFreezer(id: state.id) else {
            throw .invalidArgument("pause needs cgroup v2's freezer, which this host does not mount")
        }
        guard freezer.isFrozen != paused else {
            throw .invalidArgument("container \(key) is \(paused ? "already paused" : "not paused")")
        }
        try paused ? freezer.freeze() : freezer.thaw()
    }

    /// Whether `state`'s container is paused.
    public func isPaused(_ state: ContainerState) -> Bool {
        state.isActive && (CgroupFreezer(id: state.id)?.isFrozen ?? false)
    }

    private func requestStop(_ state: ContainerState) throws(SwiftrunError) {
        try FileSystem.writeAtomically([], to: containers.stopRequestPath(state.id), durable: false)
    }

    /// Signals pid 1 through a pidfd (PinnedPid1: the pid in the state may
    /// have been recycled since).
    private func signalPid1(_ state: ContainerState, _ signal: Int32, supervisor: Supervisor) throws(SwiftrunError) {
        guard let pid1 = PinnedPid1(state) else { return }  // already gone
        defer { pid1.close() }
        try Syscall.check("kill \(pid1.pid)") { sr_pidfd_send_signal(pid1.fd, signal) }
    }

    /// The supervising process, pinned by a pidfd.
    struct Supervisor {
        let fd: Int32

        init?(_ state: ContainerState) throws(SwiftrunError) {
            let fd = sr_pidfd_open(state.monitor.pid)
            guard fd >= 0 else { return nil }
            // Opened first, checked second: the fd cannot follow a recycled pid.
            guard state.monitor.isAlive else {
                close(fd)
                return nil
            }
            self.fd = fd
        }

        /// True if it exited within `milliseconds` (-1: no limit).
        func waitForExit(milliseconds: Int32) -> Bool {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            while true {
                let n = poll(&poller, 1, milliseconds)
                if n >= 0 { return n == 1 }
                if errno != EINTR { return false }
            }
        }
    }
}
