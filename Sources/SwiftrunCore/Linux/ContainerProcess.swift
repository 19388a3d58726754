import CShims
import Glibc

/// A container's pid 1, from clone3 to its exit.
///
/// Two O_CLOEXEC pipes connect parent and child:
///  - sync: the parent writes one byte once it has recorded the child's
///    pid; the child waits for it (and sees EOF if the parent died);
///  - report: the child's records: SR_STEP_CLONED first, then (step,
///    errno) if a step fails. execve closes it, so EOF after the first
///    record and without a failure means the container's program is running.
///
/// Where it can (sr_spawn_can_share_memory), the child shares our memory
/// until its execve, as posix_spawn's child does: the clone copies no page
/// tables and leaves no page of ours copy-on-write, which cost a `run`
/// about 7% of its time in page faults and TLB shootdowns (issue 15). The
/// thread that clones is then suspended until the execve, so a second
/// thread answers the child meanwhile (ChildHandshake); with fork
/// semantics, or without a second thread, the cloning thread answers after
/// the clone.
struct ContainerProcess {
    let pid: pid_t

    /// Clones the child and waits until it has exec'd the container's
    /// program or failed. `placing` runs after clone3 while the child still
    /// waits for its go: the moment to put it in its cgroups. `started` runs
    /// right after the go, while the child sets itself up: work done there
    /// (recording the container) costs no start-up time.
    /// `stepDone` receives the child's records with --explain (the spec's
    /// `narrate`): each step done, with the call as the child made it.
    /// `runtimeHooks` runs when a bundle's child pauses before pivot_root
    /// (ChildSpec.run(hooks:state:)): the moment for prestart and
    /// createRuntime. With shared memory these run on the second thread,
    /// while this one waits in clone3.
    static func start(
        _ child: ChildSpec, placing: (pid_t) throws(SwiftrunError) -> Void,
        started: (pid_t) throws(SwiftrunError) -> Void,
        runtimeHooks: (pid_t) throws(SwiftrunError) -> Void = { _ in },
        stepDone: (ChildRecord) -> Void = { _ in }
    ) throws(SwiftrunError) -> ContainerProcess {
        let sync = try makePipe()
        let report: (read: Int32, write: Int32)
        do { report = try makePipe() } catch {
            close(sync.read); close(sync.write)
            throw error
        }
        defer { close(report.read) }
        child.setPipes(syncRead: sync.read, syncWrite: sync.write, reportWrite: report.write)
        let handshake = ChildHandshake(child: child, syncWrite: sync.write, reportRead: report.read, parentEnds: [sync.read, report.write])
        func answer() -> Result<ContainerProcess, SwiftrunError>? {
            handshake.answer(placing: placing, started: started, runtimeHooks: runtimeHooks, stepDone: stepDone)
        }
        SignalForwarder.block()
        child.sharesMemory = withUnsafePointer(to: child.raw) { sr_spawn_can_share_memory($0) } != 0
        let answered: Result<ContainerProcess, SwiftrunError>?
        let cloned: pid_t
        if child.sharesMemory, let both = Worker.alongside(answer, meanwhile: { clone(child, handshake) }) {
            (answered, cloned) = both
        } else {
            child.sharesMemory = false
            cloned = clone(child, handshake)
            answered = answer()  // at once nil if the clone failed: its pipe has no writer
        }
        guard cloned > 0 else { throw .system("clone3", errno: -cloned) }
        guard let answered else {
            // The child died before its first record.
            _ = try? reap(cloned)
            throw .system("start the container's first process", errno: ECHILD)
        }
        return try answered.get()
    }

    /// clone3 (CShims/child.c); the pid, or -errno. Once it returns, the
    /// parent's copies of the child's pipe ends close, if the handshake has
    /// not closed them already: after a failed clone the handshake then
    /// reads EOF instead of waiting for a child that does not exist.
    private static func clone(_ child: ChildSpec, _ handshake: ChildHandshake) -> pid_t {
        let share: Int32 = child.sharesMemory ? 1 : 0
        var pid = withUnsafePointer(to: child.raw) { sr_spawn_container($0, share, handshake.pidSlot) }
        if (pid == -EINVAL || pid == -ENOSYS) && child.raw.cgroup_fd >= 0 {
            // A kernel before 5.7 has no CLONE_INTO_CGROUP: `placing` joins instead.
            child.startIn(cgroup: -1)
            pid = withUnsafePointer(to: child.raw) { sr_spawn_container($0, share, handshake.pidSlot) }
        }
        handshake.closeParentEnds()
        return pid
    }

    /// Waits for the process to exit, forwarding signals meanwhile; with
    /// a console (-t), relaying the caller's terminal to its pty.
    func wait(console: ConsoleSocket? = nil, interactive: Bool = false) throws(SwiftrunError) -> ExitStatus {
        guard let console else { return ExitStatus(waitStatus: try SignalForwarder.forward(to: pid)) }
        let master = try console.receiveMaster()
        defer { close(master) }
        return ExitStatus(waitStatus: try TerminalRelay.run(master: master, pid: pid, interactive: interactive))
    }

    /// The new process's stdio, for a caller in the foreground: with -t a
    /// pty (the socket its master will come back on); else our own stdio,
    /// but without -i /dev/null as stdin, not ours (Docker's rule), since
    /// clone3 hands our fd 0 to the child.
    static func foregroundStdio(tty: Bool, interactive: Bool) throws(SwiftrunError) -> ConsoleSocket? {
        if tty { return try ConsoleSocket() }
        if !interactive {
            let null = open("/dev/null", O_RDONLY | O_CLOEXEC)
            if null >= 0 {
                dup2(null, 0)
                close(null)
            }
        }
        return nil
    }

    private static func makePipe() throws(SwiftrunError) -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        try Syscall.check("pipe2") { sr_pipe_cloexec(&fds) }
        return (fds[0], fds[1])
    }

    /// The next record, or nil when the pipe closes (the child exec'd):
    /// the fixed header, then exactly the text it announces.
    static func readRecord(_ fd: Int32) throws(SwiftrunError) -> ChildRecord? {
        guard let head = try readExactly(fd, MemoryLayout<sr_report>.size) else { return nil }
        let header = head.withUnsafeBytes { $0.loadUnaligned(as: sr_report.self) }
        guard header.length >= 0, header.length <= SR_REPORT_TEXT_MAX,
            let text = try readExactly(fd, Int(header.length))
        else {
            throw .system("read report pipe (short record)", errno: EIO)
        }
        return ChildRecord(header: header, call: String(decoding: text, as: UTF8.self))
    }

    /// `count` bytes, or nil at EOF before the first byte.
    private static func readExactly(_ fd: Int32, _ count: Int) throws(SwiftrunError) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let n = try Syscall.check("read report pipe") { bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, count - filled) } }
            if n == 0 {
                if filled == 0 { return nil }
                throw .system("read report pipe (short record)", errno: EIO)
            }
            filled += n
        }
        return bytes
    }

    static func reap(_ pid: pid_t) throws(SwiftrunError) -> Int32 {
        var status: Int32 = 0
        try Syscall.check("waitpid") { waitpid(pid, &status, 0) }
        return status
    }
}
