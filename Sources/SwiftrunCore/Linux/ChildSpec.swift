import CShims
import Glibc

/// The flat C description (sr_child_spec) the child works from, built in
/// Swift before clone3: strings, arrays, masks and the seccomp BPF. It owns
/// all of that memory, so it must outlive the spawn; the child only reads
/// its own copy.
final class ChildSpec {
    private var strings: [UnsafeMutablePointer<CChar>] = []
    private var buffers: [UnsafeMutableRawPointer] = []
    private(set) var raw = sr_child_spec()
    let spec: RuntimeSpec
    private let cgroupDirectory: String?

    /// `overlayOptions`: the layers, upper and work dir of swiftrun's own
    /// container; nil for a bundle, whose root is its own dir and whose
    /// mounts are the whole list.
    /// `cgroupDirectory`: the container's own cgroup v2 directory, which
    /// a bundle's cgroup mount binds where the bundle makes no cgroup
    /// namespace, or where a user namespace cannot mount one.
    init(spec: RuntimeSpec, overlayOptions: String?, seccomp: [UInt8]?, narrate: Bool = false, cgroupDirectory: String? = nil) throws(SwiftrunError) {
        self.spec = spec
        self.cgroupDirectory = cgroupDirectory
        do {
            try fill(spec: spec, overlayOptions: overlayOptions, seccomp: seccomp)
            raw.narrate = narrate ? 1 : 0
        } catch {
            release()
            throw error
        }
    }

    deinit { release() }

    private func release() {
        strings.forEach { free($0) }
        buffers.forEach { $0.deallocate() }
        strings = []
        buffers = []
    }

    /// What a failed step was working on, for the error message:
    /// "mount /data", "mask path /proc/kcore", "setrlimit RLIMIT_NOFILE".
    func describe(_ report: sr_report) -> String {
        let name = String(cString: sr_step_name(report.step))
        let index = Int(report.detail)
        func pick(_ items: [String]) -> String { items.indices.contains(index) ? " " + items[index] : "" }
        switch sr_step(UInt32(report.step)) {
        case SR_STEP_MOUNT_EXTRA: return name + pick(spec.mounts.map { "\($0.type) \($0.destination)" })
        case SR_STEP_SYSCTL: return name + pick((spec.linux.sysctl ?? [:]).keys.sorted())
        case SR_STEP_JOIN_NAMESPACES: return name + pick(joinedPaths)
        case SR_STEP_DEVICES: return name + pick(spec.linux.devices.map(\.path))
        case SR_STEP_MASK_PATHS: return name + pick(spec.linux.maskedPaths)
        case SR_STEP_READONLY_PATHS: return name + pick(spec.linux.readonlyPaths)
        case SR_STEP_RLIMITS: return name + pick(spec.process.rlimits.map(\.type))
        case SR_STEP_CHDIR: return name + " " + spec.process.cwd
        case SR_STEP_CONTAINER_HOOK:
            let hooks = Self.containerHooks(spec.hooks)
            return hooks.indices.contains(index) ? "\(hooks[index].stage) hook \(hooks[index].hook.path)" : name
        default: return name
        }
    }

    /// clone3 will start the child in this cgroup v2 directory (an fd the
    /// caller keeps open until the spawn), or not in one: -1.
    func startIn(cgroup fd: Int32) {
        raw.cgroup_fd = fd
    }

    /// The child moves itself into these v1 hierarchies, writing "0" to
    /// each `tasks` fd after the go (sr_join_cgroups_v1, CShims/child.c);
    /// the caller keeps them open until the spawn.
    func joinItself(v1Tasks fds: [Int32]) {
        raw.cgroup_tasks_fds = fds.isEmpty ? nil : UnsafePointer(ownBuffer(fds))
        raw.cgroup_tasks_count = Int32(fds.count)
    }

    /// The parent works while the child mounts (the veth, the device
    /// filter): the child waits for a second byte where it first needs that
    /// work, before configuring eth0 or else just before its execve
    /// (ChildHandshake sends it once `started` has returned).
    func awaitParentSetup() {
        raw.await_parent_setup = 1
    }

    /// exec: join the running container whose pid 1 `pidfd` pins, in the
    /// namespaces of `flags`, instead of making one. `null`: for exec -d,
    /// an fd of /dev/null for the new process's stdio; it outlives the caller.
    func join(pidfd: Int32, flags: UInt64, detachedWith null: Int32?) {
        raw.join_pidfd = pidfd
        raw.join_flags = flags
        raw.survive_parent = null != nil ? 1 : 0
        raw.null_fd = null ?? -1
        raw.clone_flags = 0  // no namespace of its own: it joins the container's
        raw.unshare_cgroup = 0
        raw.`init` = 0
    }

    /// The network of this start: eth0's address and route on a bridge,
    /// or a namespace to join (a pidfd of the container sharing it).
    func attachNetwork(_ plan: ContainerNetwork.Plan) {
        if plan.joinPidFD >= 0 { join(namespace: plan.joinPidFD, type: SR_CLONE_NEWNET, path: "container network") }
        if let attachment = plan.attachments.first {
            raw.net_address = attachment.ipAddress.networkOrder
            raw.net_gateway = attachment.gateway.networkOrder
            raw.net_prefix = Int32(attachment.prefix)
            awaitParentSetup()  // the veth, made while the child mounts
        }
    }

    /// The container's overlay, made ahead (OverlayAhead): the child
    /// attaches it rather than mounting it. Kept open by the caller until
    /// the spawn.
    func attachOverlay(madeAhead fd: Int32) {
        raw.overlay_fd = fd
    }

    /// A network namespace made ahead (NetworkNamespaceAhead), lo up:
    /// the child joins it, and the clone3 makes none.
    func joinNetworkNamespace(madeAhead fd: Int32) {
        join(namespace: fd, type: SR_CLONE_NEWNET, path: "network namespace made ahead")
        raw.clone_flags &= ~UInt64(SR_CLONE_NEWNET)
    }

    private(set) var joinedPaths: [String] = []

    /// A namespace to join rather than make: an fd of it (or a pidfd of a
    /// process in it), kept open by the caller until the spawn.
    func join(namespace fd: Int32, type: Int, path: String) {
        let index = Int(raw.join_count)
        precondition(index < SR_MAX_JOINS, "more namespaces to join than kinds of namespace")
        withUnsafeMutableBytes(of: &raw.joins) { bytes in
            bytes.bindMemory(to: sr_namespace_join.self)[index] = sr_namespace_join(fd: fd, type: Int32(type))
        }
        raw.join_count += 1
        joinedPaths.append(path)
    }

    /// A bundle's container outlives `create`, and waits for `start` on the
    /// exec fifo (an O_PATH fd the caller keeps open until the spawn).
    func waitForStart(fifo: Int32, preservingFDs count: Int) {
        raw.exec_fifo_fd = fifo
        preserve(fds: count)
        outliveCaller()
    }

    /// A bundle's hooks. With prestart or createRuntime hooks the child
    /// pauses before pivot_root while the parent runs them; it runs the
    /// createContainer and startContainer hooks itself, in the container's
    /// namespaces. `state` is what every hook reads; the child sets each
    /// stage's status and its own pid.
    func run(hooks: RuntimeSpec.Hooks?, state: OCIState) throws(SwiftrunError) {
        guard let hooks else { return }
        raw.pause_for_hooks = (hooks.prestart ?? []).isEmpty && (hooks.createRuntime ?? []).isEmpty ? 0 : 1
        let staged = Self.containerHooks(hooks)
        guard !staged.isEmpty else { return }
        let made = staged.map { stage, hook in
            sr_hook(
                path: own(hook.path), argv: UnsafePointer(ownArray(hook.args ?? [hook.path])), envp: UnsafePointer(ownArray(hook.env ?? [])),
                timeout: Int32(max(hook.timeout ?? 0, 0)), stage: stage == "startContainer" ? Int32(SR_HOOK_START_CONTAINER) : Int32(SR_HOOK_CREATE_CONTAINER))
        }
        raw.hooks = UnsafePointer(ownBuffer(made))
        raw.hook_count = Int32(made.count)
        let placeholder = 1_234_567_890
        precondition(String(placeholder).count == SR_HOOK_PID_WIDTH)
        var states: [(UnsafePointer<CChar>, Int32)] = []
        for status in ["creating", "created"] {
            var staged = state
            staged.status = status
            staged.pid = Int32(placeholder)
            let json = try JSON.encode(staged)
            let marker = Array("\"pid\":\(placeholder)".utf8)
            guard let at = json.indices.first(where: { json[$0...].starts(with: marker) }) else {
                throw .invalidArgument("hooks: the state has no pid to fill in")
            }
            states.append((own(String(decoding: json, as: UTF8.self)), Int32(at + marker.count - SR_HOOK_PID_WIDTH)))
        }
        raw.hook_states = (states[0].0, states[1].0)
        raw.hook_state_pid_at = (states[0].1, states[1].1)
    }

    /// The hooks the child runs, in the order of `raw.hooks` (a failure's
    /// detail indexes them).
    private static func containerHooks(_ hooks: RuntimeSpec.Hooks?) -> [(stage: String, hook: RuntimeSpec.Hook)] {
        (hooks?.createContainer ?? []).map { ("createContainer", $0) } + (hooks?.startContainer ?? []).map { ("startContainer", $0) }
    }

    /// A new user namespace's uid_map and gid_map, as the parent writes
    /// them after clone3 and before the go byte; nil without one.
    var idMaps: (uid: String, gid: String)? {
        guard raw.clone_flags & UInt64(SR_CLONE_NEWUSER) != 0 else { return nil }
        func lines(_ mappings: [RuntimeSpec.IDMapping]?) -> String {
            (mappings ?? []).map { "\($0.containerID) \($0.hostID) \($0.size)\n" }.joined()
        }
        return (lines(spec.linux.uidMappings), lines(spec.linux.gidMappings))
    }

    /// --preserve-fds: fds 3 to 2+count pass into the new process.
    func preserve(fds count: Int) {
        raw.preserve_fds = Int32(count)
    }

    /// No PDEATHSIG: the process is an engine's (its shim reaps it), and
    /// the caller exits once it runs.
    func outliveCaller() {
        raw.survive_parent = 1
    }

    /// -t: the child makes a pty and sends its master over `socket`.
    func attachConsole(socket: Int32, size: TerminalSize?) {
        raw.console_fd = socket
        raw.console_rows = size?.rows ?? 0
        raw.console_cols = size?.columns ?? 0
    }

    func setPipes(syncRead: Int32, syncWrite: Int32, reportWrite: Int32) {
        raw.sync_fd = syncRead
        raw.sync_write_fd = syncWrite
        raw.report_fd = reportWrite
    }

    private func fill(spec: RuntimeSpec, overlayOptions: String?, seccomp: [UInt8]?) throws(SwiftrunError) {
        // The cgroup namespace is made by the child after the parent has put
        // it in its cgroups (unshare), so it is rooted there, not here.
        let made = spec.linux.namespaces.filter { $0.path == nil }
        raw.clone_flags = Self.cloneFlags(made.filter { $0.type != "cgroup" })
        raw.cgroup_fd = -1
        raw.join_pidfd = -1
        raw.null_fd = -1
        raw.console_fd = -1
        raw.overlay_fd = -1
        raw.exec_fifo_fd = -1
        raw.unshare_cgroup = made.contains { $0.type == "cgroup" } ? 1 : 0
        raw.rootfs = own(spec.root.path)
        raw.overlay_options = overlayOptions.map { own($0) }
        raw.mounts_complete = overlayOptions == nil ? 1 : 0
        raw.root_propagation =
            try spec.linux.rootfsPropagation.map { (name) throws(SwiftrunError) in
                guard let flags = MountOptions.propagation[name] else { throw .invalidArgument("rootfsPropagation: unknown propagation \(name)") }
                return flags
            } ?? 0
        raw.umask = Int32(spec.process.user.umask ?? 0o022)
        raw.hostname = own(spec.hostname)
        raw.cwd = own(spec.process.cwd)
        raw.path = own(spec.searchPath)
        raw.argv = UnsafePointer(ownArray(spec.process.args))
        raw.envp = UnsafePointer(ownArray(spec.process.env))

        let mounts = try spec.mounts.map { (mount) throws(SwiftrunError) in try makeMount(mount) }
        raw.mounts = UnsafePointer(ownBuffer(mounts))
        raw.mount_count = Int32(mounts.count)
        let devices = spec.linux.devices.map { device in
            sr_device(
                path: own(device.path), mode: (device.type == "b" ? S_IFBLK : S_IFCHR) | device.fileMode,
                major: device.major, minor: device.minor, uid: device.uid, gid: device.gid)
        }
        raw.devices = UnsafePointer(ownBuffer(devices))
        raw.device_count = Int32(devices.count)
        raw.masked_paths = UnsafePointer(ownArray(spec.linux.maskedPaths))
        raw.readonly_paths = UnsafePointer(ownArray(spec.linux.readonlyPaths))
        raw.readonly_root = spec.root.readonly ? 1 : 0
        let sysctls = (spec.linux.sysctl ?? [:]).sorted { $0.key < $1.key }
        raw.sysctl_paths = UnsafePointer(ownArray(sysctls.map { "/proc/sys/" + $0.key.replacingDots() }))
        raw.sysctl_values = UnsafePointer(ownArray(sysctls.map(\.value)))

        let limits = try spec.process.rlimits.map { (limit) throws(SwiftrunError) -> sr_rlimit in
            let name = limit.type.dropFirst("RLIMIT_".count).lowercased()
            guard let resource = RunOptions.rlimitNumbers[name] else { throw .invalidArgument("unknown rlimit \(limit.type)") }
            return sr_rlimit(resource: resource, soft: limit.soft, hard: limit.hard)
        }
        raw.rlimits = UnsafePointer(ownBuffer(limits))
        raw.rlimit_count = Int32(limits.count)

        raw.uid = spec.process.user.uid
        raw.gid = spec.process.user.gid
        raw.groups = UnsafePointer(ownBuffer(spec.process.user.additionalGids))
        raw.group_count = Int32(spec.process.user.additionalGids.count)
        let caps = spec.process.capabilities
        raw.cap_bounding = try Capabilities.mask(caps.bounding)
        raw.cap_effective = try Capabilities.mask(caps.effective)
        raw.cap_permitted = try Capabilities.mask(caps.permitted)
        raw.cap_inheritable = try Capabilities.mask(caps.inheritable)
        raw.no_new_privs = spec.process.noNewPrivileges ? 1 : 0
        if let seccomp {
            raw.seccomp_filter = UnsafeRawPointer(ownBuffer(seccomp))
            raw.seccomp_length = UInt16(seccomp.count / 8)  // sizeof(struct sock_filter)
        }
        raw.`init` = spec.runsInit ? 1 : 0
    }

    /// A bind source is checked here, for a clear error; the child binds it
    /// by path (an fd opened here would belong to this mount namespace, and
    /// the kernel binds only from the caller's own).
    private func makeMount(_ mount: RuntimeSpec.Mount) throws(SwiftrunError) -> sr_mount {
        let options = try MountOptions(mount.options, for: mount.destination)
        var result = sr_mount()
        result.target = own(mount.destination)
        result.propagation = options.propagation
        if let cgroupDirectory, bindsOwnCgroup(mount, options) {
            // Not checked here: the cgroup is made after the spec, before the clone.
            result.source = own(cgroupDirectory)
            result.flags = UInt(MS_BIND | MS_REC)
            result.attributes = options.attributes
            result.readonly = options.readonly ? 1 : 0
            return result
        }
        if mount.type == "bind" || options.flags & UInt(MS_BIND) != 0 {
            var info = stat()
            guard stat(mount.source, &info) == 0 else {
                throw .invalidArgument("-v \(mount.source):\(mount.destination): bind source path \(mount.source): \(SwiftrunError.strerror(errno))")
            }
            result.source = own(mount.source)
            result.target_is_file = info.st_mode & S_IFMT == S_IFDIR ? 0 : 1
            result.readonly = options.readonly ? 1 : 0
            // A bind takes MS_BIND and MS_REC only; the rest is set on the new mount.
            result.flags = options.flags & UInt(MS_BIND | MS_REC)
            result.attributes = options.attributes
        } else {
            result.source = own(mount.source)
            // cgroup v1 needs a hierarchy per controller; the unified one,
            // seen through the container's cgroup namespace, serves both.
            result.fstype = own(mount.type == "cgroup" ? "cgroup2" : mount.type)
            result.flags = options.flags | (options.readonly ? UInt(MS_RDONLY) : 0)
            if !options.data.isEmpty && mount.type != "cgroup" { result.data = own(options.data.joined(separator: ",")) }
            switch mount.type {
            case "sysfs": result.userns_fallback = own("/sys")
            case "cgroup", "cgroup2": result.userns_fallback = cgroupDirectory.map { own($0) }
            default: break
            }
        }
        return result
    }

    /// Whether a bundle's cgroup mount is the container's own cgroup
    /// directory bound, with the mount's options: so where the bundle makes
    /// no cgroup namespace (runc's default spec), as runc does for each v1
    /// hierarchy. A fresh cgroup2 mount would show the host's whole tree,
    /// and in the host's cgroup namespace its cgroup_get_tree waits for an
    /// RCU grace period (cgroup_favor_dynmods), a few milliseconds a run.
    private func bindsOwnCgroup(_ mount: RuntimeSpec.Mount, _ options: MountOptions) -> Bool {
        (mount.type == "cgroup" || mount.type == "cgroup2") && options.flags & UInt(MS_BIND) == 0
            && !spec.linux.namespaces.contains { $0.type == "cgroup" }
    }

    private func own(_ string: String) -> UnsafePointer<CChar> {
        let copy = strdup(string)!
        strings.append(copy)
        return UnsafePointer(copy)
    }

    /// A NULL-terminated array of owned C strings.
    private func ownArray(_ items: [String]) -> UnsafeMutablePointer<UnsafePointer<CChar>?> {
        let array = UnsafeMutablePointer<UnsafePointer<CChar>?>.allocate(capacity: items.count + 1)
        buffers.append(UnsafeMutableRawPointer(array))
        for (i, item) in items.enumerated() { array[i] = own(item) }
        array[items.count] = nil
        return array
    }

    private func ownBuffer<T>(_ items: [T]) -> UnsafeMutablePointer<T> {
        let buffer = UnsafeMutablePointer<T>.allocate(capacity: max(items.count, 1))
        buffers.append(UnsafeMutableRawPointer(buffer))
        buffer.initialize(from: items, count: items.count)
        return buffer
    }

    /// Whether the clone shares our memory until the child's execve
    /// (ContainerProcess decides, with sr_spawn_can_share_memory).
    var sharesMemory = false

    /// "CLONE_VM|CLONE_VFORK|CLONE_NEWNS|CLONE_NEWPID|...", for --explain.
    var cloneFlagNames: String {
        let names: [(Int, String)] = [
            (SR_CLONE_NEWNS, "CLONE_NEWNS"), (SR_CLONE_NEWCGROUP, "CLONE_NEWCGROUP"),
            (SR_CLONE_NEWUTS, "CLONE_NEWUTS"), (SR_CLONE_NEWIPC, "CLONE_NEWIPC"),
            (SR_CLONE_NEWUSER, "CLONE_NEWUSER"), (SR_CLONE_NEWPID, "CLONE_NEWPID"),
            (SR_CLONE_NEWNET, "CLONE_NEWNET")
        ]
        let flags = names.filter { raw.clone_flags & UInt64($0.0) != 0 }.map(\.1)
        let memory = sharesMemory ? ["CLONE_VM", "CLONE_VFORK"] : []
        return (memory + flags + (raw.cgroup_fd >= 0 ? ["CLONE_INTO_CGROUP"] : [])).joined(separator: "|")
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
