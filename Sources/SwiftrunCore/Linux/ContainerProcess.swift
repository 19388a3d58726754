import CShims
import Glibc

/// A container's pid 1, from clone3 to its exit.
///
/// Two O_CLOEXEC pipes connect parent and child:
///  - sync: the parent writes one byte once it has recorded the child's
///    pid; the child waits for it (and sees EOF if the parent died);
///  - report: the child writes (step, errno) if a step fails. execve closes
///    it, so EOF without a record means the container's program is running.
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
    /// createRuntime.
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
        child.setPipes(syncRead: sync.read, syncWrite: sync.write, reportWrite: report.write)
        SignalForwarder.block()
        var pid = withUnsafePointer(to: child.raw) { sr_spawn_container($0) }
        if (pid == -EINVAL || pid == -ENOSYS) && child.raw.cgroup_fd >= 0 {
            // A kernel before 5.7 has no CLONE_INTO_CGROUP: `placing` joins instead.
            child.startIn(cgroup: -1)
            pid = withUnsafePointer(to: child.raw) { sr_spawn_container($0) }
        }
        close(sync.read)
        close(report.write)
        defer { close(report.read) }
        guard pid > 0 else {
            close(sync.write)
            throw .system("clone3", errno: -pid)
        }
        do {
            // A new user namespace has no ids until its maps are written;
            // the child does nothing before the go byte.
            if let maps = child.idMaps {
                try FileSystem.writeString(maps.uid, to: "/proc/\(pid)/uid_map")
                try FileSystem.writeString(maps.gid, to: "/proc/\(pid)/gid_map")
            }
            try placing(pid)
        } catch {
            close(sync.write)  // EOF: the child gives up before doing anything
            _ = try? reap(pid)
            throw error
        }
        var go: UInt8 = 1
        _ = write(sync.write, &go, 1)
        do {
            try started(pid)
        } catch {
            close(sync.write)
            kill(pid, SIGKILL)
            _ = try? reap(pid)
            throw error
        }
        // A bridged child waits a second time, just before it configures
        // eth0: `started` made the veth meanwhile, while the child mounted.
        if child.raw.net_address != 0 { _ = write(sync.write, &go, 1) }
        // A child that pauses for the runtime's hooks reads once more.
        var syncWrite = sync.write
        if child.raw.pause_for_hooks == 0 {
            close(syncWrite)
            syncWrite = -1
        }
        defer { if syncWrite >= 0 { close(syncWrite) } }

        var failure: ChildRecord?
        while let record = try readRecord(report.read) {
            guard record.header.err == 0 else {
                failure = record
                break
            }
            if record.header.step == SR_STEP_RUNTIME_HOOKS.rawValue && syncWrite >= 0 {
                do {
                    try runtimeHooks(pid)
                } catch {
                    kill(pid, SIGKILL)
                    _ = try? reap(pid)
                    throw error
                }
                _ = write(syncWrite, &go, 1)
                close(syncWrite)
                syncWrite = -1
                continue
            }
            // A bundle's container is set up and waits for `start`; the
            // child closed the pipe after this record.
            if record.header.step == SR_STEP_CREATED.rawValue { break }
            if record.header.step == SR_STEP_JOIN_FORK.rawValue {
                // exec: the process that joined forked the real one into
                // the pid namespace, as our child (CLONE_PARENT), and left.
                _ = try? reap(pid)
                pid = pid_t(record.header.detail)
                continue
            }
            stepDone(record)
        }
        if let failure {
            stepDone(failure)
            _ = try reap(pid)
            if failure.header.step == SR_STEP_EXEC.rawValue {
                throw .cannotExecute(String(cString: child.raw.argv[0]!), errno: failure.header.err)
            }
            if failure.header.step == SR_STEP_CONTAINER_HOOK.rawValue && failure.header.err < 0 {
                throw .commandFailed("\(child.describe(failure.header)) exited with status \(-failure.header.err)", code: 1)
            }
            throw .childStep(child.describe(failure.header), errno: failure.header.err)
        }
        return ContainerProcess(pid: pid)
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
    private static func readRecord(_ fd: Int32) throws(SwiftrunError) -> ChildRecord? {
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

    private static func reap(_ pid: pid_t) throws(SwiftrunError) -> Int32 {
        var status: Int32 = 0
        try Syscall.check("waitpid") { waitpid(pid, &status, 0) }
        return status
    }
}
