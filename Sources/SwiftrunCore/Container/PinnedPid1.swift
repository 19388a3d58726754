import CShims
import Glibc

/// A running container's pid 1, held by a pidfd. The pid in state.json may
/// have been recycled since it was written, so the fd is opened first and
/// the process checked second (still the monitor's child): from then on the
/// fd cannot follow another process. exec joins through it; signals and cp
/// go through it.
struct PinnedPid1 {
    let pid: pid_t
    let fd: Int32

    /// nil when the container's pid 1 is gone.
    init?(_ state: ContainerState) {
        guard let pid = state.pid else { return nil }
        let fd = sr_pidfd_open(pid)
        guard fd >= 0 else { return nil }
        guard ProcessIdentity.parent(of: pid) == state.monitor.pid else {
            Glibc.close(fd)
            return nil
        }
        self.pid = pid
        self.fd = fd
    }

    /// pid 1 has ended since it was pinned: its pidfd polls readable.
    var hasExited: Bool {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&poller, 1, 0) == 1
    }

    func close() { Glibc.close(fd) }
}
