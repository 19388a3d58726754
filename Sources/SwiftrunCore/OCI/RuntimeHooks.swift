import CShims
import Glibc

/// A bundle's hooks: programs of the host, run by the runtime with the
/// container's state as JSON on stdin (runtime-spec config.md, "POSIX-platform
/// Hooks"). prestart and createRuntime run at the end of `create`,
/// poststart after `start`, poststop in `delete`.
enum RuntimeHooks {
    /// Runs each hook in order; the first that fails, or outlives its
    /// timeout, fails the stage.
    static func run(_ hooks: [RuntimeSpec.Hook], state: OCIState, stage: String) throws(SwiftrunError) {
        guard !hooks.isEmpty else { return }
        let input = try JSON.encode(state)
        for hook in hooks {
            let status = try run(hook, input: input)
            guard status == 0 else { throw .commandFailed("\(stage) hook \(hook.path) exited with status \(status)", code: 1) }
        }
    }

    /// poststart and poststop: a failure is a warning on stderr, and the
    /// lifecycle goes on (the runtime spec asks for exactly that).
    static func runWarning(_ hooks: [RuntimeSpec.Hook], state: OCIState, stage: String) {
        do {
            try run(hooks, state: state, stage: stage)
        } catch {
            var line = "swiftrun: warning: \(error)\n"
            line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
        }
    }

    /// The hook's exit status; a hook killed at its timeout counts as 128+9.
    private static func run(_ hook: RuntimeSpec.Hook, input: [UInt8]) throws(SwiftrunError) -> Int32 {
        var fds: [Int32] = [-1, -1]
        try Syscall.check("pipe2") { sr_pipe_cloexec(&fds) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fds[0], 0)
        let argv = (hook.args ?? [hook.path]).map { strdup($0) } + [nil]
        let envp = (hook.env ?? []).map { strdup($0) } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, hook.path, &actions, nil, argv, envp)
        close(fds[0])
        guard spawned == 0 else {
            close(fds[1])
            throw .system("run hook \(hook.path)", errno: spawned)
        }
        // A hook that does not read its stdin must not block us: the state
        // fits in the pipe's buffer, and EPIPE is ignored.
        signal(SIGPIPE, SIG_IGN)
        input.withUnsafeBytes { _ = write(fds[1], $0.baseAddress, $0.count) }
        close(fds[1])
        let pidfd = sr_pidfd_open(pid)
        if pidfd >= 0, let timeout = hook.timeout, timeout > 0 {
            var fd = [pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)]
            if poll(&fd, 1, Int32(timeout * 1000)) == 0 { kill(pid, SIGKILL) }
        }
        if pidfd >= 0 { close(pidfd) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return ExitStatus(waitStatus: status).code
    }
}
