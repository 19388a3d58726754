import Glibc

/// A container's own cgroups: its resource limits, its device filter, and
/// what its processes use. One directory per hierarchy, at the same path
/// under each: for swiftrun's containers the id under a shared `swiftrun`
/// parent; for an engine's bundle, its cgroupsPath:
///   - cgroup v2: <v2 mount>/swiftrun/<id>, limits and the BPF device filter;
///   - cgroup v1 (hybrid or legacy, like this VM): <controller mount>/swiftrun/<id>
///     for each controller a limit asks for (memory, pids, cpu and cpuacct,
///     cpuset), with the equivalent v1 files; the device filter goes on the
///     v2 directory where one is mounted, or into the v1 devices controller.
struct ContainerCgroup {
    /// Relative to each hierarchy's mount: "swiftrun/<id>", or a bundle's
    /// cgroupsPath without its leading "/".
    let path: String
    let mode: CgroupMode
    /// Every directory made, the v2 one first if any.
    private(set) var directories: [String] = []
    /// The leaf may exist already: systemd made it for a scope (SystemdScope).
    private var adopting = false
    /// A v2 device filter `create` left to `spawn`, which attaches it while
    /// the child mounts (its load was 0.2-0.35 ms before the clone).
    private var deviceFilterLater: (rules: [RuntimeSpec.DeviceRule], dir: String)?

    static let parentName = "swiftrun"

    /// Where swiftrun's own container `id` lives in each hierarchy.
    static func path(of id: String) -> String { parentName + "/" + id }

    /// Makes the cgroups and writes every limit. `narrate` hears each file
    /// written with its value. With `everyController` (an engine's
    /// container, whose usage the engine reads from each), every v1
    /// hierarchy is joined, not only those holding a limit. A v2 device
    /// filter is attached here, or with `devicesAtSpawn` by `spawn`, which
    /// must then start the only process these cgroups get, and not a
    /// bundle's that pauses for hooks (the hooks' byte would cross the
    /// filter's): ContainerLauncher's.
    static func create(
        id: String, resources: RuntimeSpec.Resources, mode: CgroupMode = .host, devicesAtSpawn: Bool = false,
        narrate: (String, String) -> Void = { _, _ in }
    ) throws(SwiftrunError) -> ContainerCgroup {
        try create(path: path(of: id), resources: resources, mode: mode, devicesAtSpawn: devicesAtSpawn, narrate: narrate)
    }

    static func create(
        path: String, resources: RuntimeSpec.Resources, mode: CgroupMode = .host, everyController: Bool = false,
        adopting: Bool = false, devicesAtSpawn: Bool = false, narrate: (String, String) -> Void = { _, _ in }
    ) throws(SwiftrunError) -> ContainerCgroup {
        var cgroup = ContainerCgroup(path: path, mode: mode)
        cgroup.adopting = adopting
        do {
            try cgroup.make(resources, everyController: everyController, devicesAtSpawn: devicesAtSpawn, narrate: narrate)
        } catch {
            remove(path: path, mode: mode)
            throw error
        }
        return cgroup
    }

    private mutating func make(
        _ resources: RuntimeSpec.Resources, everyController: Bool, devicesAtSpawn: Bool, narrate: (String, String) -> Void
    ) throws(SwiftrunError) {
        func write(_ dir: String, _ file: String, _ value: String) throws(SwiftrunError) {
            try FileSystem.writeString(value, to: dir + "/" + file)
            narrate(dir + "/" + file, value)
        }
        let restrictDevices = resources.devices != DeviceFilter.allowAll
        if let unified = mode.unified {
            if mode.isPureV2 {
                try Self.enableControllers(
                    in: unified, below: path, wanted: resources.cpu?.cpus != nil ? ["memory", "pids", "cpu", "cpuset"] : ["memory", "pids", "cpu"],
                    narrate: narrate)
            }
            let dir = try makeDirectory(under: unified)
            if mode.isPureV2 { try writeV2Limits(resources, dir: dir, write: write) }
            if restrictDevices && devicesAtSpawn {
                deviceFilterLater = (resources.devices, dir)
            } else if restrictDevices {
                try DeviceFilter.attach(resources.devices, to: dir)
                narrate(dir, "BPF_CGROUP_DEVICE program of \(resources.devices.count) rules attached")
            }
        }
        guard !mode.isPureV2 else { return }
        // Each v1 hierarchy costs a task migration, and a migration waits for
        // an RCU grace period (cgroup_threadgroup_rwsem): about 1 ms each on
        // this host. So a v1 hierarchy is joined only for a limit it holds.
        var controllers: [String] = []
        if resources.memory != nil { controllers.append("memory") }
        if resources.pids != nil { controllers.append("pids") }
        if resources.cpu?.quota != nil || resources.cpu?.shares != nil { controllers += ["cpu", "cpuacct"] }
        if resources.cpu?.cpus != nil { controllers.append("cpuset") }
        if mode.unified == nil && restrictDevices { controllers.append("devices") }
        if everyController { controllers = ["memory", "pids", "cpu", "cpuacct", "cpuset", "blkio", "freezer", "devices"] }
        var made: [String: String] = [:]
        for controller in controllers {
            guard let mount = mode.v1[controller] else { continue }
            if let dir = made[mount] {
                made[controller] = dir
                continue
            }
            let dir = try makeDirectory(under: mount, cpuset: controller == "cpuset")
            made[mount] = dir
            made[controller] = dir
        }
        try writeV1Limits(resources, dirs: made, write: write)
        if let devices = made["devices"] {
            for (file, value) in try DeviceFilter.write(resources.devices, to: devices) { narrate(file, value) }
        }
    }

    /// <mount>/<path>. The parent goes when its last container does
    /// (remove), so another swiftrun may remove it between the mkdirs: retry.
    private mutating func makeDirectory(under mount: String, cpuset: Bool = false) throws(SwiftrunError) -> String {
        let dir = mount + "/" + path
        let ancestors = Self.ancestors(of: path).map { mount + "/" + $0 }
        attempt: while true {
            for (index, ancestor) in ancestors.enumerated() {
                do throws(SwiftrunError) {
                    try FileSystem.makeDirectory(ancestor)
                    // A v1 cpuset cgroup has no cpus or mems until given some.
                    if cpuset { try Self.inheritCpuset(from: index == 0 ? mount : ancestors[index - 1], to: ancestor) }
                } catch {
                    // Removed again since our mkdir (seen in make test): again.
                    if case .system(_, ENOENT) = error, !FileSystem.exists(ancestor) { continue attempt }
                    throw error
                }
            }
            let made = try Syscall.attempt("mkdir \(dir)", allowing: adopting ? [ENOENT, EEXIST] : [ENOENT], { mkdir(dir, 0o755) })
            if made != nil || (adopting && FileSystem.exists(dir)) { break }
        }
        directories.append(dir)
        if cpuset { try Self.inheritCpuset(from: ancestors.last ?? mount, to: dir) }
        return dir
    }

    /// "a/b/c" -> ["a", "a/b"]. Built by appending: joining slices of
    /// substrings is a generic call the runtime resolves on first use.
    private static func ancestors(of path: String) -> [String] {
        var result: [String] = []
        var prefix = ""
        for part in path.split(separator: "/") {
            if !prefix.isEmpty { result.append(prefix); prefix += "/" }
            prefix.append(contentsOf: part)
        }
        return result
    }

    private static func inheritCpuset(from source: String, to target: String) throws(SwiftrunError) {
        for file in ["cpuset.cpus", "cpuset.mems"] {
            let current = String(decoding: (try? FileSystem.readFile(target + "/" + file)) ?? [], as: UTF8.self)
            guard current.trimmedWhitespace.isEmpty else { continue }
            let value = String(decoding: try FileSystem.readFile(source + "/" + file), as: UTF8.self)
            try FileSystem.writeString(value.trimmedWhitespace, to: target + "/" + file)
        }
    }

    /// v2 controllers must be enabled in every ancestor's subtree_control.
    private static func enableControllers(in root: String, below path: String, wanted: [String], narrate: (String, String) -> Void) throws(SwiftrunError) {
        let available = String(decoding: (try? FileSystem.readFile(root + "/cgroup.controllers")) ?? [], as: UTF8.self).split(separator: " ")
            .map { String($0).trimmedWhitespace }
        let enable = wanted.filter(available.contains).map { "+" + $0 }.joined(separator: " ")
        guard !enable.isEmpty else { return }
        for dir in [root] + ancestors(of: path).map({ root + "/" + $0 }) {
            try FileSystem.makeDirectory(dir)
            try FileSystem.writeString(enable, to: dir + "/cgroup.subtree_control")
            narrate(dir + "/cgroup.subtree_control", enable)
        }
    }

    private func writeV2Limits(
        _ resources: RuntimeSpec.Resources, dir: String,
        write: (String, String, String) throws(SwiftrunError) -> Void
    ) throws(SwiftrunError) {
        if let memory = resources.memory {
            if let limit = memory.limit { try write(dir, "memory.max", String(limit)) }
            // A kernel without swap accounting has no such file; Docker then
            // limits memory alone, as here.
            if let swap = memory.swap, let limit = memory.limit, FileSystem.exists(dir + "/memory.swap.max") {
                try write(dir, "memory.swap.max", swap < 0 ? "max" : String(max(0, swap - limit)))
            }
            if let reservation = memory.reservation { try write(dir, "memory.low", String(reservation)) }
        }
        if let cpu = resources.cpu {
            if let quota = cpu.quota { try write(dir, "cpu.max", "\(quota) \(cpu.period ?? 100_000)") }
            // Docker's mapping of shares (2..262144) onto weight (1..10000).
            if let shares = cpu.shares { try write(dir, "cpu.weight", String(1 + (max(2, shares) - 2) * 9999 / 262_142)) }
            if let cpus = cpu.cpus { try write(dir, "cpuset.cpus", cpus) }
        }
        if let pids = resources.pids { try write(dir, "pids.max", Self.pidsValue(pids)) }
    }

    private func writeV1Limits(
        _ resources: RuntimeSpec.Resources, dirs: [String: String],
        write: (String, String, String) throws(SwiftrunError) -> Void
    ) throws(SwiftrunError) {
        if let memory = resources.memory, let dir = dirs["memory"] {
            if let limit = memory.limit { try write(dir, "memory.limit_in_bytes", String(limit)) }
            if let swap = memory.swap, FileSystem.exists(dir + "/memory.memsw.limit_in_bytes") {
                try write(dir, "memory.memsw.limit_in_bytes", String(swap))
            }
            if let reservation = memory.reservation { try write(dir, "memory.soft_limit_in_bytes", String(reservation)) }
        }
        if let cpu = resources.cpu {
            if let dir = dirs["cpu"] {
                if let quota = cpu.quota {
                    try write(dir, "cpu.cfs_period_us", String(cpu.period ?? 100_000))
                    try write(dir, "cpu.cfs_quota_us", String(quota))
                }
                if let shares = cpu.shares { try write(dir, "cpu.shares", String(shares)) }
            }
            if let cpus = cpu.cpus, let dir = dirs["cpuset"] { try write(dir, "cpuset.cpus", cpus) }
        }
        if let pids = resources.pids, let dir = dirs["pids"] { try write(dir, "pids.max", Self.pidsValue(pids)) }
    }

    private static func pidsValue(_ pids: RuntimeSpec.Pids) -> String {
        pids.limit == Int64.max ? "max" : String(pids.limit)
    }

    /// Writes `resources`' limits into the cgroups the container already
    /// has (runc's `update`): only the fields given change.
    func update(_ resources: RuntimeSpec.Resources) throws(SwiftrunError) {
        func write(_ dir: String, _ file: String, _ value: String) throws(SwiftrunError) {
            try FileSystem.writeString(value, to: dir + "/" + file)
        }
        if mode.isPureV2 {
            guard let dir = unifiedDirectory else { throw .invalidArgument("the container has no cgroup at \(path)") }
            try writeV2Limits(resources, dir: dir, write: write)
            return
        }
        var dirs: [String: String] = [:]
        for (controller, mount) in mode.v1 where FileSystem.exists(mount + "/" + path) { dirs[controller] = mount + "/" + path }
        try writeV1Limits(resources, dirs: dirs, write: write)
    }

    /// The cgroup v2 directory, where clone3 can start the child directly.
    /// The cgroups a running container already has, for exec to join.
    static func existing(id: String, mode: CgroupMode = .host) -> ContainerCgroup {
        existing(path: path(of: id), mode: mode)
    }

    static func existing(path: String, mode: CgroupMode = .host) -> ContainerCgroup {
        var cgroup = ContainerCgroup(path: path, mode: mode)
        cgroup.directories = directories(path: path, mode: mode).filter { FileSystem.exists($0) }
        return cgroup
    }

    var unifiedDirectory: String? {
        guard let unified = mode.unified else { return nil }
        return directories.first { $0.hasPrefix(unified + "/") }
    }

    /// Starts `child` inside these cgroups: born in the v2 one (clone3's
    /// CLONE_INTO_CGROUP), and moving itself into the v1 ones after the go,
    /// by fds of their `tasks` files opened here: a thread that moves only
    /// itself skips the kernel's global threadgroup lock and its RCU grace
    /// period (sr_join_cgroups_v1). Pid 1 and exec's processes both start this way.
    func spawn(
        _ child: ChildSpec, narrate: (String, String) -> Void = { _, _ in },
        cloned: (pid_t) -> Void = { _ in }, started: (pid_t) throws(SwiftrunError) -> Void,
        runtimeHooks: (pid_t) throws(SwiftrunError) -> Void = { _ in }, stepDone: (ChildRecord) -> Void = { _ in }
    ) throws(SwiftrunError) -> ContainerProcess {
        let unified = unifiedDirectory
        let unifiedFD = unified.map { open($0, O_RDONLY | O_DIRECTORY | O_CLOEXEC) } ?? -1
        defer { if unifiedFD >= 0 { close(unifiedFD) } }
        child.startIn(cgroup: unifiedFD)
        var version1: [String] = []
        var tasks: [Int32] = []
        defer { tasks.forEach { close($0) } }
        for dir in directories where dir != unified {
            version1.append(dir)
            tasks.append(try Syscall.check("open \(dir)/tasks") { open(dir + "/tasks", O_WRONLY | O_CLOEXEC) })
        }
        child.joinItself(v1Tasks: tasks)
        // The device filter, if left to now, goes on while the child mounts;
        // the child waits for it before its execve (await_parent_setup).
        if deviceFilterLater != nil { child.awaitParentSetup() }
        return try ContainerProcess.start(
            child,
            placing: { (pid) throws(SwiftrunError) in
                cloned(pid)
                // The v1 tasks files, as they read once the child has moved itself.
                for dir in version1 { narrate(dir + "/tasks", String(pid)) }
                // The v2 one, where clone3 could not start it (ContainerProcess: a kernel before 5.7).
                if child.raw.cgroup_fd < 0, let unified { try add(pid, into: [unified], narrate: narrate) }
            },
            started: { (pid) throws(SwiftrunError) in
                if let (rules, dir) = deviceFilterLater {
                    try DeviceFilter.attach(rules, to: dir)
                    narrate(dir, "BPF_CGROUP_DEVICE program of \(rules.count) rules attached")
                }
                try started(pid)
            },
            runtimeHooks: runtimeHooks, stepDone: stepDone)
    }

    /// Puts `pid` in `dirs`, by default all the container's cgroups.
    func add(_ pid: pid_t, into dirs: [String]? = nil, narrate: (String, String) -> Void = { _, _ in }) throws(SwiftrunError) {
        for dir in dirs ?? directories {
            try FileSystem.writeString(String(pid), to: dir + "/cgroup.procs")
            narrate(dir + "/cgroup.procs", String(pid))
        }
    }

    /// Whether the kernel's OOM killer killed a process of the container
    /// (the oom_kill count in memory.events, or v1's memory.oom_control).
    static func oomKilled(id: String, mode: CgroupMode = .host) -> Bool {
        let file =
            mode.isPureV2
            ? mode.unified.map { $0 + "/\(parentName)/\(id)/memory.events" }
            : mode.v1["memory"].map { $0 + "/\(parentName)/\(id)/memory.oom_control" }
        guard let file, let text = try? FileSystem.readFile(file) else { return false }
        return String(decoding: text, as: UTF8.self).split(separator: "\n").contains {
            $0.hasPrefix("oom_kill ") && $0.split(separator: " ").last.flatMap { Int($0) } ?? 0 > 0
        }
    }

    /// Every directory an id may have, on this host.
    static func directories(id: String, mode: CgroupMode) -> [String] {
        directories(path: path(of: id), mode: mode)
    }

    static func directories(path: String, mode: CgroupMode) -> [String] {
        var mounts = Set(mode.v1.values)
        if let unified = mode.unified { mounts.insert(unified) }
        return mounts.sorted().map { $0 + "/" + path }
    }

    /// Kills whatever is left in the container's cgroups (cgroup.kill on v2,
    /// SIGKILL to each pid on v1), then removes them depth-first, sub-cgroups
    /// the container made included, retrying while the kernel still tears
    /// the processes down (EBUSY). swiftrun's shared parent goes once empty;
    /// an engine's parents are the engine's.
    static func remove(id: String, mode: CgroupMode = .host) {
        remove(path: path(of: id), mode: mode)
    }

    static func remove(path: String, mode: CgroupMode = .host) {
        for dir in directories(path: path, mode: mode) where FileSystem.exists(dir) {
            removeTree(dir)
            if path.hasPrefix(parentName + "/") { rmdir(String(dir[..<dir.lastIndex(of: "/")!])) }
        }
    }

    /// The pids in the container's cgroups, for `kill --all` and `ps`.
    static func processes(path: String, mode: CgroupMode = .host) -> [pid_t] {
        let pids = directories(path: path, mode: mode).flatMap { dir in
            String(decoding: (try? FileSystem.readFile(dir + "/cgroup.procs")) ?? [], as: UTF8.self).split(separator: "\n").compactMap { pid_t($0) }
        }
        return Array(Set(pids)).sorted()
    }

    private static func removeTree(_ dir: String) {
        for name in FileSystem.subdirectories(dir) { removeTree(dir + "/" + name) }
        if FileSystem.exists(dir + "/cgroup.kill") {
            try? FileSystem.writeString("1", to: dir + "/cgroup.kill")
        } else {
            let procs = String(decoding: (try? FileSystem.readFile(dir + "/cgroup.procs")) ?? [], as: UTF8.self)
            procs.split(separator: "\n").compactMap { pid_t($0) }.forEach { kill($0, SIGKILL) }
        }
        for _ in 0..<1000 {
            if rmdir(dir) == 0 || errno == ENOENT { return }
            guard errno == EBUSY else { return }
            var pause = timespec(tv_sec: 0, tv_nsec: 1_000_000)
            nanosleep(&pause, nil)
        }
    }
}

extension String {
    var trimmedWhitespace: String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
