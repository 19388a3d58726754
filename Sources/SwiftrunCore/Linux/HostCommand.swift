import CShims
import Glibc

/// Runs a program of the host's (found on $PATH) and collects its stdout:
/// `top` runs the host's ps, as Docker does. posix_spawn, and every fd
/// above stdio closed in the child: not every fd of this process is
/// CLOEXEC (libnftables' netlink socket is not).
package enum HostCommand {
    static func output(_ arguments: [String]) throws(SwiftrunError) -> (status: Int32, output: String) {
        var fds: [Int32] = [-1, -1]
        try Syscall.check("pipe2") { sr_pipe_cloexec(&fds) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        sr_spawn_close_from(&actions, 3)
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, arguments[0], &actions, nil, argv, environ)
        close(fds[1])
        defer { close(fds[0]) }
        guard spawned == 0 else { throw .system("run \(arguments[0])", errno: spawned) }
        let bytes = (try? FileSystem.readAll(fds[0], path: arguments[0], limit: 64 << 20)) ?? []
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (ExitStatus(waitStatus: status).code, String(decoding: bytes, as: UTF8.self))
    }
}

extension HostCommand {
    /// Runs a program with stdin on /dev/null (or `stdin`), handing each
    /// chunk of its stdout and stderr to `output` in the order they arrive,
    /// and returns its exit code. Once `output` says its reader has gone,
    /// the rest is read and dropped, so the program never blocks on a full
    /// pipe. `passing` becomes the program's fd 3. Signals are at their
    /// defaults with none blocked: the caller's threads may block some,
    /// and a child must not inherit that.
    package static func stream(
        _ arguments: [String], stdin: Int32 = -1, passing: Int32 = -1, output: (_ stderr: Bool, _ bytes: [UInt8]) -> Bool
    ) throws(SwiftrunError) -> Int32 {
        var out: [Int32] = [-1, -1]
        var err: [Int32] = [-1, -1]
        try Syscall.check("pipe2") { sr_pipe_cloexec(&out) }
        defer { close(out[0]) }
        do { try Syscall.check("pipe2") { sr_pipe_cloexec(&err) } } catch {
            close(out[1])
            throw error
        }
        defer { close(err[0]) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if stdin >= 0 {
            posix_spawn_file_actions_adddup2(&actions, stdin, 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, out[1], 1)
        posix_spawn_file_actions_adddup2(&actions, err[1], 2)
        if passing >= 0 { posix_spawn_file_actions_adddup2(&actions, passing, 3) }
        sr_spawn_close_from(&actions, passing >= 0 ? 4 : 3)
        var attributes = defaultSignals()
        defer { posix_spawnattr_destroy(&attributes) }
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, arguments[0], &actions, &attributes, argv, environ)
        close(out[1])
        close(err[1])
        guard spawned == 0 else { throw .system("run \(arguments[0])", errno: spawned) }
        var listening = true
        var fds = [pollfd(fd: out[0], events: Int16(POLLIN), revents: 0), pollfd(fd: err[0], events: Int16(POLLIN), revents: 0)]
        var buffer = [UInt8](repeating: 0, count: 65536)
        while fds.contains(where: { $0.fd >= 0 }) {
            guard poll(&fds, 2, -1) >= 0 || errno == EINTR else { break }
            for index in fds.indices where fds[index].fd >= 0 && fds[index].revents != 0 {
                let count = read(fds[index].fd, &buffer, buffer.count)
                if count <= 0 {
                    fds[index].fd = -1  // poll skips a negative fd
                } else if listening {
                    listening = output(index == 1, Array(buffer[0..<count]))
                }
            }
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return ExitStatus(waitStatus: status).code
    }

    /// Spawn attributes for a child with every signal at its default and
    /// none blocked; `flags` adds to POSIX_SPAWN_SETSIGMASK|SETSIGDEF.
    private static func defaultSignals(flags: Int32 = 0) -> posix_spawnattr_t {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        var empty = sigset_t()
        sigemptyset(&empty)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(flags | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        return attributes
    }

    /// Starts a host daemon that forks itself into the background (as
    /// aardvark-dns does) and waits for the first process, the one that
    /// returns once the daemon is ready. Its stdio is /dev/null, it gets a
    /// session of its own and default signals: nothing of the caller's (a
    /// test's pipe, the monitor's blocked signals) leaks into it.
    static func startDaemon(_ arguments: [String]) throws(SwiftrunError) {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for fd in Int32(0)...2 { posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", O_RDWR, 0) }
        // Not every fd here is CLOEXEC: the monitor's report pipe was
        // dup2'd to 3, and a daemon holding it would keep `run -d` waiting.
        sr_spawn_close_from(&actions, 3)
        // 0x80 is POSIX_SPAWN_SETSID, which Swift's Glibc does not import.
        var attributes = defaultSignals(flags: 0x80)
        defer { posix_spawnattr_destroy(&attributes) }
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, arguments[0], &actions, &attributes, argv, environ)
        guard spawned == 0 else { throw .system("start \(arguments[0])", errno: spawned) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let code = ExitStatus(waitStatus: status).code
        guard code == 0 else { throw .commandFailed("\(arguments[0]) exited with \(code)", code: code) }
    }
}
