import Glibc

/// The signals `swiftrun run` passes on to the container's pid 1, as
/// `docker run` does. They are blocked in swiftrun (the child unblocks them
/// before execve) and collected with sigwaitinfo(2), together with SIGCHLD:
/// one synchronous loop, no handlers, no races with the child's exit.
enum SignalForwarder {
    static let forwarded: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2]

    private static var waitedSignals: sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in forwarded + [SIGCHLD] { sigaddset(&set, signal) }
        return set
    }

    /// Blocks the forwarded signals and SIGCHLD. Call before clone3, from
    /// the thread that will wait, so none is delivered in between.
    static func block() {
        var set = waitedSignals
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// Forwards signals to `pid` until it exits; returns its wait status.
    static func forward(to pid: pid_t) throws(SwiftrunError) -> Int32 {
        var set = waitedSignals
        while true {
            var status: Int32 = 0
            let reaped = try Syscall.check("waitpid") { waitpid(pid, &status, WNOHANG) }
            if reaped == pid { return status }
            var info = siginfo_t()
            let signal = sigwaitinfo(&set, &info)
            if signal > 0 && signal != SIGCHLD {
                kill(pid, signal)
            }
        }
    }
}
