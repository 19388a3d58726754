import CShims
import Foundation
import Testing

/// An engine's daemon (containerd, dockerd) the test starts, in its own
/// dirs: posix_spawn with an empty signal mask (the test's children inherit
/// blocked signals, and SIGTERM is how these daemons stop cleanly), its
/// output in a log file. Ready when the log shows `marker`, watched with
/// inotify: an event, not a sleep.
final class EngineDaemon {
    let pid: pid_t
    let log: String

    init(_ arguments: [String], log: String, readyWhen marker: String) throws {
        self.log = log
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // The daemon outlives this call: an fd of another test's, made
        // while this one spawned, would be held open for as long as it runs.
        sr_spawn_close_from(&actions, 3)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, arguments[0], &actions, &attributes, argv, environ)
        guard spawned == 0 else { throw POSIXError(.init(rawValue: spawned)!) }
        self.pid = pid
        do {
            try waitForLog(marker)
        } catch {
            stop()
            throw error
        }
    }

    private func waitForLog(_ marker: String) throws {
        let watch = inotify_init1(Int32(IN_CLOEXEC))
        try #require(watch >= 0)
        defer { close(watch) }
        try #require(inotify_add_watch(watch, log, UInt32(IN_MODIFY)) >= 0)
        let deadline = Date().addingTimeInterval(300)  // dockerd under QEMU's TCG (make vm-test) takes tens of seconds
        while true {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            if text.contains(marker) { return }
            var status: Int32 = 0
            try #require(waitpid(pid, &status, WNOHANG) == 0, "\(URL(fileURLWithPath: log).lastPathComponent) exited: \(text)")
            let left = Int32(max(0, deadline.timeIntervalSinceNow) * 1000)
            try #require(left > 0, "not ready after 300 s: \(text)")
            var poller = pollfd(fd: watch, events: Int16(POLLIN), revents: 0)
            if poll(&poller, 1, min(left, 1000)) > 0 {
                var buffer = [UInt8](repeating: 0, count: 4096)
                _ = read(watch, &buffer, buffer.count)
            }
        }
    }

    /// SIGTERM, and wait for it: the daemon removes what it made.
    func stop() {
        kill(pid, SIGTERM)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    }
}
