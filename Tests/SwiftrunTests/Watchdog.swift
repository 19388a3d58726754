import CShims
import Foundation
import Testing

/// Kills a process that outlives a bound, so that a command which hangs
/// fails its test with its name instead of holding the whole suite until
/// CI's own limit ends it with nothing said. The bound is far above any
/// command's time, under the VM's emulation too: it is a backstop, not a
/// measurement. The process is pinned by a pidfd, so no recycled pid is
/// ever signalled. It says what it killed on stderr at once: the test may
/// then block reading a pipe that a survivor of the process still holds,
/// and never reach its own expectation.
final class Watchdog: @unchecked Sendable {
    static let seconds: Int32 = 600

    private let done = DispatchSemaphore(value: 0)
    private var killed = false

    /// Starts watching `pid`, our child. Foundation's Process reaps its
    /// children on a thread of its own, so `unreaped` is asked once the
    /// pidfd is open: true, and the pid was not yet free for reuse.
    init(pid: pid_t, _ command: @autoclosure () -> [String], seconds: Int32 = Watchdog.seconds, unreaped: () -> Bool = { true }) {
        let pidfd = sr_pidfd_open(pid)
        guard pidfd >= 0, unreaped() else {
            if pidfd >= 0 { close(pidfd) }
            done.signal()
            return
        }
        let line = "watchdog: killed pid \(pid) after \(seconds) s: \(command().joined(separator: " "))\n"
        Thread.detachNewThread { [self] in
            if !waitForExit(pidfd: pidfd, timeout: seconds * 1000) {
                killed = true
                sr_pidfd_send_signal(pidfd, SIGKILL)
                FileHandle.standardError.write(Data(line.utf8))
            }
            close(pidfd)
            done.signal()
        }
    }

    /// After the process has exited: whether it had to be killed.
    var fired: Bool {
        done.wait()
        done.signal()
        return killed
    }
}

@Suite struct WatchdogTests {
    @Test func aProcessPastItsBoundIsKilledAndOneWithinItIsLeft() throws {
        // sh reading a pipe nobody writes to: it waits for ever.
        let stuck = Process()
        stuck.executableURL = URL(fileURLWithPath: "/bin/sh")
        stuck.arguments = ["-c", "read line"]
        // The Process keeps the pipe, and so its unwritten write end, open.
        try start(stuck) { stuck.standardInput = Pipe() }
        let slow = Watchdog(pid: stuck.processIdentifier, ["sh", "-c", "read line"], seconds: 1) { stuck.isRunning }
        stuck.waitUntilExit()
        #expect(slow.fired)
        #expect(stuck.terminationReason == .uncaughtSignal && stuck.terminationStatus == SIGKILL)

        let quick = Process()
        quick.executableURL = URL(fileURLWithPath: "/bin/sh")
        quick.arguments = ["-c", "exit 0"]
        try start(quick) {}
        let relaxed = Watchdog(pid: quick.processIdentifier, ["sh", "-c", "exit 0"]) { quick.isRunning }
        quick.waitUntilExit()
        #expect(!relaxed.fired)
        #expect(quick.terminationStatus == 0)
    }
}
