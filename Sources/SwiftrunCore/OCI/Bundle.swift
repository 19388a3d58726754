import Glibc

/// An engine's bundle: a directory holding config.json and, usually, the
/// root filesystem it names. The config is read into the same RuntimeSpec
/// `swiftrun run` builds, so both run through one child; what this runtime
/// cannot honour is refused here, by name, before anything is made.
struct Bundle {
    /// Absolute, as `state` reports it.
    let path: String
    var spec: RuntimeSpec

    static func load(_ directory: String) throws(SwiftrunError) -> Bundle {
        let path = try absolute(directory)
        let file = path + "/config.json"
        guard FileSystem.exists(file) else { throw .invalidArgument("\(file): no such file: the bundle needs a config.json") }
        var spec = try JSON.decode(RuntimeSpec.self, from: FileSystem.readFile(file), path: file)
        guard spec.ociVersion.hasPrefix("1.") else {
            throw .invalidArgument("\(file): ociVersion \(spec.ociVersion) is not supported (1.x is)")
        }
        if !spec.root.path.hasPrefix("/") { spec.root.path = path + "/" + spec.root.path }
        guard FileSystem.exists(spec.root.path) else { throw .invalidArgument("root.path \(spec.root.path): no such directory") }
        try check(spec)
        // As runc: the standard devices are always allowed after the
        // config's rules (the last match wins), and a config with no rule
        // starts from deny-all, not from the host's every device.
        var rules = spec.linux.resources.devices
        if rules.isEmpty { rules = [ContainerDefaults.deviceRules[0]] }
        spec.linux.resources.devices = rules + ContainerDefaults.deviceRules.filter(\.allow)
        return Bundle(path: path, spec: spec)
    }

    private static func absolute(_ directory: String) throws(SwiftrunError) -> String {
        guard !directory.hasPrefix("/") else { return directory }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX))
        guard getcwd(&buffer, buffer.count) != nil else { throw .system("getcwd", errno: errno) }
        let cwd = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return directory == "." ? cwd : cwd + "/" + directory
    }

    /// What the config asks that this runtime does not do yet, or that this
    /// host cannot: refused with the field's name, as runc refuses.
    private static func check(_ spec: RuntimeSpec) throws(SwiftrunError) {
        let types = spec.linux.namespaces.map(\.type)
        try checkUserNamespace(spec)
        if spec.linux.namespaces.contains(where: { $0.type == "mount" && $0.path != nil }) {
            throw .invalidArgument("linux.namespaces: joining a mount namespace by path is not supported")
        }
        if !types.contains("mount") { throw .invalidArgument("linux.namespaces: a mount namespace is required") }
        if spec.process.selinuxLabel?.isEmpty == false && FileSystem.exists("/sys/fs/selinux/enforce") {
            throw .invalidArgument("process.selinuxLabel: SELinux labels are not supported by swiftrun")
        }
        if let profile = spec.process.apparmorProfile, !profile.isEmpty, profile != "unconfined", AppArmor.isEnabled {
            throw .invalidArgument("process.apparmorProfile \(profile): AppArmor profiles are not supported by swiftrun")
        }
        if spec.linux.intelRdt != nil {
            throw .invalidArgument(
                FileSystem.exists("/sys/fs/resctrl/schemata")
                    ? "linux.intelRdt: Intel RDT is not supported by swiftrun"
                    : "linux.intelRdt: Intel RDT is not supported or enabled on this host (no resctrl at /sys/fs/resctrl)")
        }
        for (key, _) in spec.linux.sysctl ?? [:] {
            try checkSysctl(key, namespaces: spec.linux.namespaces)
        }
    }

    /// A new user namespace needs both maps, and maps need one. Joining
    /// one by path is refused: the namespaces made with the container
    /// would have to be made from inside it, after the setns.
    private static func checkUserNamespace(_ spec: RuntimeSpec) throws(SwiftrunError) {
        let mapped = spec.linux.uidMappings?.isEmpty == false || spec.linux.gidMappings?.isEmpty == false
        guard let user = spec.linux.namespaces.first(where: { $0.type == "user" }) else {
            if mapped { throw .invalidArgument("linux.uidMappings: mappings need a user namespace in linux.namespaces") }
            return
        }
        if user.path != nil { throw .invalidArgument("linux.namespaces: joining a user namespace by path is not supported") }
        guard spec.linux.uidMappings?.isEmpty == false, spec.linux.gidMappings?.isEmpty == false else {
            throw .invalidArgument("linux.namespaces: a new user namespace needs linux.uidMappings and linux.gidMappings")
        }
        let joined = spec.linux.namespaces.filter { $0.path != nil }.map(\.type)
        if let kind = joined.first(where: { !["network", "ipc", "uts", "cgroup", "pid"].contains($0) }) {
            throw .invalidArgument("linux.namespaces: a \(kind) namespace cannot be joined by path with a new user namespace")
        }
    }

    /// Only keys the container's own namespaces hold, as runc allows: a
    /// write to any other would change the host.
    private static func checkSysctl(_ key: String, namespaces: [RuntimeSpec.Namespace]) throws(SwiftrunError) {
        func own(_ type: String) -> Bool { namespaces.contains { $0.type == type } }
        let ipc = ["kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced"]
        if ipc.contains(key) || key.hasPrefix("fs.mqueue.") {
            guard own("ipc") else { throw .invalidArgument("linux.sysctl \(key): needs an ipc namespace of the container's own") }
        } else if key.hasPrefix("net.") {
            guard own("network") else { throw .invalidArgument("linux.sysctl \(key): needs a network namespace of the container's own") }
        } else if key == "kernel.domainname" || key == "kernel.hostname" {
            guard own("uts") else { throw .invalidArgument("linux.sysctl \(key): needs a uts namespace of the container's own") }
        } else {
            throw .invalidArgument("linux.sysctl \(key): not namespaced, so it would change the host")
        }
        guard !key.contains("/"), !key.split(separator: ".").contains("..") else { throw .invalidArgument("linux.sysctl \(key): invalid key") }
    }
}

/// Whether the kernel enforces AppArmor (a profile named in a bundle would then matter).
enum AppArmor {
    static var isEnabled: Bool {
        guard let bytes = try? FileSystem.readFile("/sys/module/apparmor/parameters/enabled") else { return false }
        return bytes.first == UInt8(ascii: "Y")
    }
}
