import CShims
import Glibc

/// A container's new network namespace, made by a second thread while the
/// start goes on. The kernel takes 0.4-0.8 ms to make one (lo, its
/// sysctls, its /proc entries, each subsystem's per-namespace state): in
/// the clone3, that was time the child's start waited for; on the thread,
/// it overlaps the rest. The child joins it with setns as its first step
/// after the go, and the veth goes into it by fd.
///
/// A foreground `run` starts it first thing, from the flags, so that it
/// overlaps reading the image and preparing the spec too: begun at the
/// launch, the cgroups alone were too short to hide it, and the clone3
/// waited about 0.5 ms for the thread. Others (a monitor's start, build's
/// RUN) begin it at the launch, from the spec.
///
/// Only where the clone3 would make one, and without a user namespace: a
/// network namespace belongs to the user namespace it was made in, and the
/// container's exists only from the clone3.
final class NetworkNamespaceAhead {
    private let maker: Worker<Int32>  // the fd, or -errno
    private var closed = false

    /// Before the spec exists: `run` makes none for --network host, joins
    /// another's for container:NAME, and never makes a user namespace
    /// (RuntimeSpec+Build.swift); the launch checks the spec again.
    convenience init?(for options: RunOptions) {
        switch options.network.kind {
        case .none, .network: self.init()
        case .host, .container: return nil
        }
    }

    /// Begun now; the launch asks `isWanted` first.
    init() {
        // The thread ends inside the new namespace; the fd keeps it.
        maker = Worker {
            let fd = sr_network_namespace_new()
            return fd >= 0 ? fd : -errno
        }
    }

    /// Whether the clone3 would make `spec` a network namespace of its own.
    static func isWanted(by spec: RuntimeSpec, request: NetworkRequest) -> Bool {
        let namespaces = spec.linux.namespaces
        guard namespaces.contains(where: { $0.type == "network" && $0.path == nil }),
            !namespaces.contains(where: { $0.type == "user" })
        else { return false }
        if case .container = request.kind { return false }
        return true
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
