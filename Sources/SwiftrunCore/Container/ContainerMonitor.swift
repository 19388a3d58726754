import CShims
import Glibc

/// Phase 4 for a detached container: the monitor. One small process per
/// container, in its own session with its stdio away from the caller's
/// terminal. It is the container's parent, so it reaps it, and the
/// container's PDEATHSIG ties their lives: if the monitor is killed, the
/// container dies with it and the next swiftrun command records that
/// (ContainerStore.recover). While the container runs, the monitor sits in
/// C (CShims/monitor.c), copying stdout and stderr into the json-file log;
/// after each exit it records the code and applies the restart policy.
///
/// The hand-off: `run -d` (or `start`) forks twice, so the monitor is
/// nobody's child but init's (or a subreaper's) and never a zombie of a
/// long-lived caller. The monitor reports over a pipe once the command is
/// exec'd ("ok") or why it could not be (an exit code and a message), and
/// the caller returns that.
public struct ContainerMonitor {
    let layout: StoreLayout

    /// Forks the monitor for `plan` and waits for its report. `creating`:
    /// a new container (run -d) whose name and dirs the monitor claims.
    /// `attached`: one end of a socketpair that `start -a` reads: the
    /// monitor takes it as an attach client from before the container
    /// starts, so nothing the container writes is missed.
    func handOff(_ plan: ContainerPlan, creating: Bool, chosenName: Bool, attached: Int32 = -1) throws(SwiftrunError) {
        var fds: [Int32] = [-1, -1]
        try Syscall.check("pipe2") { sr_pipe_cloexec(&fds) }
        let (reportRead, reportWrite) = (fds[0], fds[1])
        let middle = sr_fork()
        guard middle >= 0 else {
            close(reportRead); close(reportWrite)
            throw .system("fork the monitor", errno: errno)
        }
        if middle == 0 {
            close(reportRead)
            if sr_fork() == 0 { supervise(plan, creating: creating, chosenName: chosenName, report: reportWrite, attached: attached) }
            _exit(0)
        }
        close(reportWrite)
        defer { close(reportRead) }
        var status: Int32 = 0
        while waitpid(middle, &status, 0) < 0 && errno == EINTR {}
        let message = String(decoding: (try? FileSystem.readAll(reportRead, path: "the monitor's report", limit: 1 << 16)) ?? [], as: UTF8.self)
        if message == "ok" { return }
        guard let tab = message.firstIndex(of: "\t"), let code = Int32(message[..<tab]) else {
            throw .system("start the container's monitor (it exited without a report)", errno: EPIPE)
        }
        throw .relayed(String(message[message.index(after: tab)...]), exitCode: code)
    }

    /// The report `handOff` reads: "ok", or the exit code and the error's
    /// text, tab-separated.
    private static func send(_ outcome: Result<Void, SwiftrunError>, to fd: Int32) {
        let text =
            switch outcome {
            case .success: "ok"
            case let .failure(error): "\(error.runExitCode)\t\(error)"
            }
        _ = try? FileSystem.writeAll(fd, Array(text.utf8), path: "the monitor's report")
    }

    /// The monitor's whole life. Never returns.
    private func supervise(_ plan: ContainerPlan, creating: Bool, chosenName: Bool, report: Int32, attached: Int32) -> Never {
        var plan = plan
        var report = report
        // Out of the way first: the attach socket may arrive as fd 3
        // (`start --attach-fd 3`), where the report pipe goes next.
        let attached = attached >= 0 ? fcntl(attached, F_DUPFD_CLOEXEC, 10) : -1
        setsid()
        // Nothing of the caller's stays open here: a caller may hold fds
        // whose EOF it waits for (Foundation's Process learns that its child
        // exited when a socket it gave it closes), and a monitor that kept
        // them would keep the caller waiting as long as the container runs.
        dup2(report, 3)
        report = 3
        if attached >= 0 { dup2(attached, 4) }
        sr_close_from(attached >= 0 ? 5 : 4)
        Firewall.forgetInheritedSocket()
        let null = open("/dev/null", O_RDWR | O_CLOEXEC)
        for fd in Int32(0)...2 { dup2(null, fd) }
        // Blocked, no stop signal can kill the monitor (the mask survives
        // its execs); it takes them in sigtimedwait between two runs.
        var signals = Self.stopSignals
        pthread_sigmask(SIG_BLOCK, &signals, nil)

        let containers = ContainerStore(layout: layout)
        do {
            plan.state.monitor = try ProcessIdentity.current()
            if creating {
                try ContainerRunner(layout: layout).create(&plan, chosenName: chosenName)
            } else {
                try containers.markActive(plan.state)
            }
            unlink(containers.stopRequestPath(plan.id))
        } catch {
            Self.send(.failure(error), to: report)
            _exit(1)
        }

        run(plan, report: report, null: null, attached: attached >= 0 ? 4 : -1)
    }

    /// Starts the container and supervises it, again after each exit its
    /// restart policy allows. The steady state runs in swiftrun-monitor,
    /// a small C program this process becomes with execve: the container
    /// stays its child (children survive exec), and the monitor's memory
    /// is that program's, not this binary's. It execs swiftrun again
    /// (`resume`) when the container exits. Where that program is missing,
    /// the same C loop runs here.
    private func run(_ plan: ContainerPlan, report: Int32, null: Int32, attached: Int32) -> Never {
        let containers = ContainerStore(layout: layout)
        var plan = plan
        var report = report
        var attached = attached  // the first run's only
        while true {
            let logConfig = plan.state.logConfig ?? LogConfig()
            do {
                let console = plan.spec.process.terminal ? try ConsoleSocket() : nil
                // Always pipes (or the pty): attach reads them even when the log driver is none.
                var streams = try connectOutput(pty: console != nil)
                let input = console == nil && plan.state.openStdin == true ? try connectInput() : -1
                let (process, launched) = try ContainerLauncher(layout: layout).launch(plan, narrator: nil, console: console)
                plan.state = launched
                // -t: one stream, the pty's, logged as stdout (as Docker does), and its input.
                var stdin = input
                if let console {
                    streams = (try console.receiveMaster(), -1)
                    if plan.state.openStdin == true { stdin = streams.out }
                }
                for fd in Int32(0)...2 { dup2(null, fd) }  // only the container holds its ends now
                // Bound before the report: an `attach` right after `run -d`
                // returns must find it. Without it the container still runs and logs.
                let listener = sr_attach_listen(layout.container(plan.id))
                if report >= 0 {
                    Self.send(.success(()), to: report)
                    close(report)
                    report = -1
                }
                let job = Job(
                    pid: process.pid, streams: streams, stdin: stdin, tty: console != nil, listener: listener, attached: attached,
                    stdinOnce: plan.state.stdinOnce == true, log: logConfig,
                    logPath: logConfig.driver == "none" ? nil : containers.logPath(plan.id), id: plan.id,
                    healthInterval: plan.state.health?.intervalMilliseconds ?? 0)
                unlink(containers.healthPath(plan.id))  // each run starts "starting"
                execMonitor(job)
                let status = try wait(for: job)
                attached = -1  // closed by the loop when the container ended
                guard let next = try afterExit(plan.state, waitStatus: status) else { _exit(0) }
                plan.state = next
            } catch {
                try? containers.finish(plan.state, exitCode: error.runExitCode)
                if report >= 0 { Self.send(.failure(error), to: report) }
                _exit(1)  // a restart that failed ends the container with the step's code
            }
        }
    }

    /// `swiftrun __monitor-exited ID STATUS`: swiftrun-monitor hands back
    /// here when the container's pid 1 has exited, with its wait status.
    public static func resume(layout: StoreLayout, id: String, waitStatus: Int32) -> Never {
        ContainerMonitor(layout: layout).resume(id: id, waitStatus: waitStatus)
    }

    private func resume(id: String, waitStatus: Int32) -> Never {
        let containers = ContainerStore(layout: layout)
        do {
            let state = try containers.state(id)
            guard let next = try afterExit(state, waitStatus: waitStatus) else { _exit(0) }
            var plan = try ContainerPlan.reload(next, layout: layout)
            plan.state = next
            let null = open("/dev/null", O_RDWR | O_CLOEXEC)
            run(plan, report: -1, null: null, attached: -1)
        } catch {
            if let state = try? containers.state(id) { try? containers.finish(state, exitCode: error.runExitCode) }
            _exit(1)
        }
    }

    /// Records an exit, and applies the restart policy: nil when the
    /// container stays stopped (finished), or its state for the next run
    /// after the policy's delay.
    private func afterExit(_ state: ContainerState, waitStatus: Int32) throws(SwiftrunError) -> ContainerState? {
        let containers = ContainerStore(layout: layout)
        let exitCode = ExitStatus(waitStatus: waitStatus).code
        let stopped = FileSystem.exists(containers.stopRequestPath(state.id))
        let policy = state.restartPolicy ?? .never
        guard policy.restarts(afterExit: exitCode, restarts: state.restartCount ?? 0, stopped: stopped) else {
            try containers.finish(state, exitCode: exitCode)
            return nil
        }
        var next = try containers.recordExit(state, exitCode: exitCode, restarting: true)
        let ranFor = state.started.flatMap(JSON.seconds).map { JSON.now() - $0 } ?? 0
        let delay = RestartPolicy.delay(afterRun: ranFor, previous: state.restartDelay ?? 0)
        guard !Self.interrupted(within: delay) else {
            try containers.finish(next, exitCode: exitCode)
            return nil
        }
        next.restartCount = (state.restartCount ?? 0) + 1
        next.restartDelay = delay
        return next
    }

    /// What the monitor watches while the container runs: pid 1, its
    /// output streams and where they go, and the health check's interval.
    private struct Job {
        let pid: pid_t
        let streams: (out: Int32, err: Int32)
        /// Where attached clients' input goes: a pipe to the container's
        /// stdin, the pty master, or -1.
        let stdin: Int32
        let tty: Bool
        /// The attach socket, listening (sr_attach_listen); or -1.
        let listener: Int32
        /// `start -a`'s socket, a client from the start; or -1.
        let attached: Int32
        /// StdinOnce: that client's end of input ends the container's stdin.
        let stdinOnce: Bool
        let log: LogConfig
        let logPath: String?
        let id: String
        let healthInterval: Int64
    }

    /// Becomes swiftrun-monitor, beside this binary, if it is there: only
    /// the job's fds are passed. Every other fd is made CLOEXEC first, not
    /// trusted to be: the launch may have made the network's bridge, and
    /// libnftables' netlink socket (libmnl opens it without SOCK_CLOEXEC)
    /// would otherwise live on in the monitor as long as the container.
    private func execMonitor(_ job: Job) {
        // The monitor execs this binary again after each exit and for each health check.
        guard let swiftrun = SwiftrunBinary.path, let monitor = SwiftrunBinary.sibling("swiftrun-monitor") else { return }
        let streams = job.streams
        let passed = [streams.out, streams.err, job.stdin, job.listener, job.attached].filter { $0 >= 0 }
        sr_cloexec_from(3)
        for fd in passed { _ = fcntl(fd, F_SETFD, 0) }
        let arguments = [
            monitor, String(job.pid), String(streams.out), String(streams.err), job.logPath ?? "-",
            String(job.log.maxSize ?? 0), String(job.log.maxFiles), swiftrun, layout.root, job.id, String(job.healthInterval),
            layout.container(job.id), String(job.listener), job.tty ? "1" : "0", String(job.stdin), String(job.attached),
            job.stdinOnce ? "1" : "0"
        ]
        var pointers = arguments.map { strdup($0) } + [nil]
        execv(monitor, &pointers)
        for fd in passed { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
    }

    /// The container's stdout and stderr: the write ends of two pipes on
    /// this process's fds 1 and 2, which clone3 hands to the child. Returns
    /// the read ends. With a pty the child replaces its stdio itself, and
    /// ours stays /dev/null.
    private func connectOutput(pty: Bool) throws(SwiftrunError) -> (out: Int32, err: Int32) {
        guard !pty else { return (-1, -1) }
        var out: [Int32] = [-1, -1]
        var err: [Int32] = [-1, -1]
        try Syscall.check("pipe2") { sr_pipe_cloexec(&out) }
        try Syscall.check("pipe2") { sr_pipe_cloexec(&err) }
        dup2(out[1], 1)
        dup2(err[1], 2)
        close(out[1])
        close(err[1])
        return (out[0], err[0])
    }

    /// -i without -t: a pipe whose read end is the child's stdin (our fd
    /// 0 until the spawn); returns the write end, where attach's input goes.
    private func connectInput() throws(SwiftrunError) -> Int32 {
        var pipe: [Int32] = [-1, -1]
        try Syscall.check("pipe2") { sr_pipe_cloexec(&pipe) }
        dup2(pipe[0], 0)
        close(pipe[0])
        return pipe[1]
    }

    /// The C loop, in this process, until pid 1 exits; its wait status.
    private func wait(for job: Job) throws(SwiftrunError) -> Int32 {
        let streams = job.streams
        defer {
            if streams.out >= 0 { close(streams.out) }
            if streams.err >= 0 { close(streams.err) }
        }
        let pidfd = try Syscall.check("pidfd_open \(job.pid)") { sr_pidfd_open(job.pid) }
        defer { close(pidfd) }
        let words: [String] = [SwiftrunBinary.path ?? "/proc/self/exe", "--root", layout.root, "__health-check", job.id]
        let health = words.map { strdup($0) }
        defer { health.forEach { free($0) } }
        var healthArgv: [UnsafePointer<CChar>?] = health.map { $0.map { UnsafePointer($0) } } + [nil]
        var status: Int32 = 0
        let rc = (job.logPath ?? "").withCString { path in
            layout.container(job.id).withCString { attachDir in
                var spec = sr_monitor_spec(
                    pid: job.pid, pidfd: pidfd, stdout_fd: streams.out, stderr_fd: streams.err,
                    log_path: job.logPath == nil ? nil : path, max_size: job.log.maxSize ?? 0, max_files: Int32(job.log.maxFiles),
                    health_interval_ms: job.healthInterval, health_argv: nil, attach_dir: attachDir, attach_fd: job.listener, tty: job.tty ? 1 : 0,
                    stdin_fd: job.stdin, attached_fd: job.attached, stdin_once: job.stdinOnce ? 1 : 0)
                return healthArgv.withUnsafeMutableBufferPointer { argv in
                    spec.health_argv = UnsafePointer(argv.baseAddress)
                    return sr_monitor_supervise(&spec, &status)
                }
            }
        }
        guard rc == 0 else { throw .system("supervise the container", errno: errno) }
        return status
    }

    /// The signals the monitor keeps blocked: it takes them only in
    /// sigtimedwait, between two runs, where `stop` sends SIGTERM.
    static var stopSignals: sigset_t {
        var signals = sigset_t()
        sigemptyset(&signals)
        for signal in [SIGTERM, SIGINT, SIGHUP] { sigaddset(&signals, signal) }
        return signals
    }

    /// Waits `milliseconds`; true if SIGTERM (or INT, HUP) came first.
    private static func interrupted(within milliseconds: Int) -> Bool {
        var set = stopSignals
        var timeout = timespec(tv_sec: milliseconds / 1000, tv_nsec: (milliseconds % 1000) * 1_000_000)
        while true {
            let signal = sigtimedwait(&set, nil, &timeout)
            if signal > 0 { return true }
            if errno != EINTR { return false }
        }
    }
}
