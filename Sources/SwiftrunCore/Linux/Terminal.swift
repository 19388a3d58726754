import CShims
import Glibc

/// A terminal's size in characters.
public struct TerminalSize: Sendable, Equatable {
    public var rows: UInt16
    public var columns: UInt16

    /// The size of the terminal on `fd`, nil if it is not one.
    static func of(_ fd: Int32) -> TerminalSize? {
        var rows: UInt16 = 0
        var columns: UInt16 = 0
        guard sr_window_size(fd, &rows, &columns) == 0, rows > 0, columns > 0 else { return nil }
        return TerminalSize(rows: rows, columns: columns)
    }
}

/// `-t`: the socket over which the container's child sends its pty master
/// (CShims/child_console.c), as runc sends it to --console-socket. The
/// child gets `childEnd`; the parent closes its copy once the child runs.
final class ConsoleSocket {
    private(set) var parentEnd: Int32
    private(set) var childEnd: Int32

    init() throws(SwiftrunError) {
        var fds: [Int32] = [-1, -1]
        try Syscall.check("socketpair for the pty") { socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) }
        parentEnd = fds[0]
        childEnd = fds[1]
    }

    deinit {
        if parentEnd >= 0 { close(parentEnd) }
        if childEnd >= 0 { close(childEnd) }
    }

    /// The master the child sent; call once the child has exec'd.
    func receiveMaster() throws(SwiftrunError) -> Int32 {
        if childEnd >= 0 {
            close(childEnd)
            childEnd = -1
        }
        return try Syscall.check("receive the container's pty") { sr_receive_fd(parentEnd) }
    }
}

/// Raw mode on the caller's terminal `fd`, if it is one: every key, Ctrl-C
/// included, goes through as a byte. Returns the modes to restore.
func makeRaw(_ fd: Int32) -> termios? {
    var saved = termios()
    guard isatty(fd) == 1, tcgetattr(fd, &saved) == 0 else { return nil }
    var raw = saved
    cfmakeraw(&raw)
    tcsetattr(fd, TCSANOW, &raw)
    return saved
}

func restore(_ fd: Int32, _ saved: termios?) {
    guard var saved else { return }
    tcsetattr(fd, TCSANOW, &saved)
}

/// The caller's side of `-t` in the foreground: the caller's terminal in
/// raw mode (every key, Ctrl-C included, goes to the container's pty, whose
/// own line discipline turns it into a signal there), bytes relayed both
/// ways, window changes followed, and the caller's modes restored however
/// the container ends.
enum TerminalRelay {
    /// Relays until `pid` exits and returns its wait status. `interactive`
    /// (-i): our stdin goes to the container; without it, nothing does.
    static func run(master: Int32, pid: pid_t, interactive: Bool) throws(SwiftrunError) -> Int32 {
        let saved = interactive ? makeRaw(0) : nil
        defer { restore(0, saved) }
        var signals = sigset_t()
        sigemptyset(&signals)
        for signal in SignalForwarder.forwarded + [SIGCHLD, SIGWINCH] { sigaddset(&signals, signal) }
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        return try Syscall.check("relay the container's terminal") { sr_tty_relay(master, interactive ? 0 : -1, 1, pid, &signals) }
    }
}
