import CShims
import Glibc

/// A container's new network namespace, made by a second thread while the
/// launch goes on. The kernel takes about 0.8 ms to make one (lo, its
/// sysctls, its /proc entries, each subsystem's per-namespace state): in
/// the clone3, that was time the child's start waited for; on the thread,
/// it overlaps the cgroups and the child's spec. The child joins it with
/// setns as its first step after the go, and the veth goes into it by fd.
///
/// Only where the clone3 would make one, and without a user namespace: a
/// network namespace belongs to the user namespace it was made in, and the
/// container's exists only from the clone3.
final class NetworkNamespaceAhead {
    private let maker: Worker<Int32>  // the fd, or -errno
    private var closed = false

    init?(for spec: RuntimeSpec, request: NetworkRequest) {
        let namespaces = spec.linux.namespaces
        guard namespaces.contains(where: { $0.type == "network" && $0.path == nil }),
            !namespaces.contains(where: { $0.type == "user" })
        else { return nil }
        if case .container = request.kind { return nil }
        // The thread ends inside the new namespace; the fd keeps it.
        maker = Worker {
            let fd = sr_network_namespace_new()
            return fd >= 0 ? fd : -errno
        }
    }

    /// The namespace's fd, once the thread has made it; nil if it could
    /// not, and the clone3 makes one as before.
    var fd: Int32? {
        let result = maker.join()
        return result >= 0 && !closed ? result : nil
    }

    /// After the spawn, and on every way out: the child holds the
    /// namespace by then, or nobody needs it.
    func close() {
        if let fd { Glibc.close(fd) }
        closed = true
    }
}
