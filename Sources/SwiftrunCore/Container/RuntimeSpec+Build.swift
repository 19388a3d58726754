import Glibc

extension RuntimeSpec {
    /// Docker's rule for pid 1's words: the entrypoint (--entrypoint, ""
    /// clearing it, else the image's), then the command given, else the
    /// image's Cmd unless --entrypoint replaced the image's.
    static func entrypoint(image config: ImageConfiguration.ExecutionConfig?, options: RunOptions) -> [String] {
        options.entrypoint.map { $0.isEmpty ? [] : [$0] } ?? config?.Entrypoint ?? []
    }

    static func command(image config: ImageConfiguration.ExecutionConfig?, options: RunOptions) -> [String] {
        guard options.command.isEmpty else { return options.command }
        return options.entrypoint == nil ? config?.Cmd ?? [] : []
    }

    /// Image config + flags -> spec, with Docker's precedence: flags win over
    /// the image, the image wins over the defaults.
    ///
    /// `imageFile` reads a file of the image (for /etc/passwd and /etc/group);
    /// `hostDevices` lists the host's devices, for --privileged;
    /// `deviceCgroup` says whether the host can limit device access.
    /// `etcDirectory` holds the hosts, hostname and resolv.conf to bind;
    /// `joinedNetwork` is the namespace path of --network container:NAME.
    init(
        image: ImageConfiguration, options: RunOptions, id: String, rootfs: String,
        etcDirectory: String? = nil, joinedNetwork: String? = nil,
        imageFile: (String) throws(SwiftrunError) -> [UInt8]? = { _ in nil },
        deviceCgroup: Bool = CgroupMode.host.canFilterDevices,
        hostDevices: () -> [Device] = HostDevices.all,
        hostEnvironment: (String) -> String? = getenvString
    ) throws(SwiftrunError) {
        let config = image.config
        let args = Self.entrypoint(image: config, options: options) + Self.command(image: config, options: options)
        guard !args.isEmpty else {
            throw .invalidArgument("no command specified: the image has no Cmd or Entrypoint, so give one after the image name")
        }
        let cwd = options.workingDirectory ?? config?.WorkingDir.flatMap { $0.isEmpty ? nil : $0 } ?? ContainerDefaults.workingDirectory
        guard cwd.hasPrefix("/") else {
            throw .invalidArgument("the working directory '\(cwd)' is invalid: it needs to be an absolute path")
        }
        let hostname = options.hostname ?? ContainerID.short(id)
        // --network host takes the host's name as it is ("(none)" in a bare VM).
        if options.network.kind != .host { try Self.validateHostname(hostname) }
        let user = try UserResolver(readFile: imageFile).resolve(options.user ?? config?.User)

        var env = Environment(config?.Env ?? [])
        env.setDefault(ContainerDefaults.path)
        env.set("HOSTNAME=" + hostname)
        env.setDefault("HOME=" + user.home)
        if options.tty { env.setDefault("TERM=xterm") }
        env.apply(options.environment, host: hostEnvironment)

        let security = try RunOptions.parseSecurityOptions(options.securityOptions)
        var capabilities = try Capabilities.resolve(adding: options.capAdd, dropping: options.capDrop, privileged: options.privileged)
        if !deviceCgroup && !options.privileged {
            // Without a device cgroup (neither cgroup v2 nor v1 devices)
            // nothing stops a node made with CAP_MKNOD from opening the
            // host's disks: fail closed.
            capabilities.removeAll { $0 == "CAP_MKNOD" }
        }
        // Docker's /etc/hosts, /etc/hostname and /etc/resolv.conf, kept in
        // the container's dir (or, for container:NAME, that one's); -v may
        // still bind over them.
        var mounts =
            etcDirectory.map { directory in
                EtcFiles.files.map { target, name in
                    Mount(destination: target, type: "bind", source: directory + "/" + name, options: ["rbind", "rprivate"])
                }
            } ?? []
        mounts += try options.volumes.map { (text) throws(SwiftrunError) in try RunOptions.parseVolume(text) }
        mounts += try options.tmpfs.map { (text) throws(SwiftrunError) in try RunOptions.parseTmpfs(text) }
        let requested = try options.devices.map { (text) throws(SwiftrunError) in try RunOptions.parseDevice(text) }
        let seccomp: SeccompPolicy = options.privileged ? .unconfined : security.seccomp

        self.init(
            process: .init(
                user: user.user, args: args, env: env.entries, cwd: cwd,
                // Inheritable stays empty, as in Docker since CVE-2022-24769:
                // with it set, a file's inheritable caps would let a
                // non-root user gain capabilities through execve.
                capabilities: .init(
                    bounding: capabilities, effective: capabilities, permitted: capabilities,
                    inheritable: [], ambient: []),
                rlimits: try options.ulimits.map { (text) throws(SwiftrunError) in try RunOptions.parseUlimit(text) },
                noNewPrivileges: security.noNewPrivileges),
            root: .init(path: rootfs, readonly: options.readOnly),
            hostname: hostname,
            mounts: mounts,
            linux: .init(
                namespaces: ContainerDefaults.namespaces.compactMap { namespace in
                    guard namespace.type == "network" else { return namespace }
                    switch options.network.kind {
                    case .host: return nil
                    case .container: return .init(type: "network", path: joinedNetwork)
                    case .none, .network: return namespace
                    }
                },
                maskedPaths: options.privileged ? [] : ContainerDefaults.maskedPaths,
                readonlyPaths: options.privileged ? [] : ContainerDefaults.readonlyPaths,
                devices: (options.privileged ? hostDevices() : []) + requested.map(\.0),
                resources: try options.resources(
                    devices: options.privileged
                        ? DeviceFilter.allowAll
                        : ContainerDefaults.deviceRules + requested.map(\.1))),
            annotations: [
                Annotation.seccomp: seccomp.description,
                Annotation.initProcess: String(options.initProcess)
            ])
        process.terminal = options.tty
    }

    var seccompPolicy: SeccompPolicy {
        switch annotations[Annotation.seccomp] {
        case "unconfined": .unconfined
        case "default", nil: .defaultProfile
        case let path?: .file(path)
        }
    }

    var runsInit: Bool { annotations[Annotation.initProcess] == "true" }

    private static func validateHostname(_ hostname: String) throws(SwiftrunError) {
        let valid =
            !hostname.isEmpty && hostname.utf8.count <= 64
            && hostname.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") }
        guard valid else {
            throw .invalidArgument("invalid hostname \"\(hostname)\": up to 64 letters, digits, '-' and '.'")
        }
    }

    /// The value of PATH in the container's environment: the child searches
    /// it for argv[0], as execvp would inside the container.
    var searchPath: String {
        process.env.last { $0.hasPrefix("PATH=") }.map { String($0.dropFirst(5)) } ?? ""
    }
}

/// KEY=VALUE entries in order, where setting a key replaces it in place.
struct Environment {
    private(set) var entries: [String]

    init(_ entries: [String]) { self.entries = entries }

    mutating func set(_ assignment: String) {
        let key = Self.key(assignment)
        if let index = entries.firstIndex(where: { Self.key($0) == key }) {
            entries[index] = assignment
        } else {
            entries.append(assignment)
        }
    }

    /// -e: KEY=VALUE sets; a bare KEY passes the host's value, as in Docker.
    mutating func apply(_ assignments: [String], host: (String) -> String?) {
        for assignment in assignments {
            if assignment.contains("=") {
                set(assignment)
            } else if let value = host(assignment) {
                set(assignment + "=" + value)
            }
        }
    }

    mutating func setDefault(_ assignment: String) {
        let key = Self.key(assignment)
        if !entries.contains(where: { Self.key($0) == key }) { entries.append(assignment) }
    }

    private static func key(_ assignment: String) -> Substring {
        assignment.prefix { $0 != "=" }
    }
}

func getenvString(_ name: String) -> String? {
    getenv(name).map { String(cString: $0) }
}
