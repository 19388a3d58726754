import CShims
import Glibc

/// Runs a program of the host's (found on $PATH) and collects its stdout:
/// `top` runs the host's ps, as Docker does. posix_spawn, so nothing of
/// ours but stdio is inherited (every fd of swiftrun's is CLOEXEC).
enum HostCommand {
    static func output(_ arguments: [String]) throws(SwiftrunError) -> (status: Int32, output: String) {
        var fds: [Int32] = [-1, -1]
        try Syscall.check("pipe2") { sr_pipe_cloexec(&fds) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
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
