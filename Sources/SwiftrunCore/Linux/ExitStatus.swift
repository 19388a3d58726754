import CShims
import Glibc

/// How the container's pid 1 ended, and the exit code Docker reports for it.
public enum ExitStatus: Equatable, Sendable {
    case exited(Int32)
    case signaled(Int32)

    init(waitStatus status: Int32) {
        self = sr_wifsignaled(status) != 0 ? .signaled(sr_wtermsig(status)) : .exited(sr_wexitstatus(status))
    }

    /// The code itself, or 128 + the signal number.
    public var code: Int32 {
        switch self {
        case let .exited(code): code
        case let .signaled(signal): 128 + signal
        }
    }
}
