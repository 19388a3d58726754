import CShims
import Glibc

/// The flat C description (sr_child_spec) the child works from, built in
/// Swift before clone3. It owns every C string it points to, so it must
/// outlive the spawn; the child only reads its own copy of this memory.
final class ChildSpec {
    private var storage: [UnsafeMutablePointer<CChar>] = []
    private let argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>
    private let envp: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>
    private(set) var raw = sr_child_spec()

    init(spec: RuntimeSpec, overlayOptions: String) {
        argv = .allocate(capacity: spec.process.args.count + 1)
        envp = .allocate(capacity: spec.process.env.count + 1)
        for (i, arg) in spec.process.args.enumerated() { argv[i] = own(arg) }
        argv[spec.process.args.count] = nil
        for (i, entry) in spec.process.env.enumerated() { envp[i] = own(entry) }
        envp[spec.process.env.count] = nil

        raw.clone_flags = Self.cloneFlags(spec.linux.namespaces)
        raw.rootfs = UnsafePointer(own(spec.root.path))
        raw.overlay_options = UnsafePointer(own(overlayOptions))
        raw.hostname = UnsafePointer(own(spec.hostname))
        raw.cwd = UnsafePointer(own(spec.process.cwd))
        raw.path = UnsafePointer(own(spec.searchPath))
        raw.argv = UnsafePointer(argv)
        raw.envp = UnsafePointer(envp)
    }

    deinit {
        storage.forEach { free($0) }
        argv.deallocate()
        envp.deallocate()
    }

    func setPipes(syncRead: Int32, syncWrite: Int32, reportWrite: Int32) {
        raw.sync_fd = syncRead
        raw.sync_write_fd = syncWrite
        raw.report_fd = reportWrite
    }

    private func own(_ string: String) -> UnsafeMutablePointer<CChar> {
        let copy = strdup(string)!
        storage.append(copy)
        return copy
    }

    static func cloneFlags(_ namespaces: [RuntimeSpec.Namespace]) -> UInt64 {
        namespaces.reduce(0) { flags, namespace in
            switch namespace.type {
            case "pid": flags | UInt64(SR_CLONE_NEWPID)
            case "mount": flags | UInt64(SR_CLONE_NEWNS)
            case "uts": flags | UInt64(SR_CLONE_NEWUTS)
            case "ipc": flags | UInt64(SR_CLONE_NEWIPC)
            case "network": flags | UInt64(SR_CLONE_NEWNET)
            case "cgroup": flags | UInt64(SR_CLONE_NEWCGROUP)
            case "user": flags | UInt64(SR_CLONE_NEWUSER)
            default: flags
            }
        }
    }
}
