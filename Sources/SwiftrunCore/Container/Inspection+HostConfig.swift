extension Inspection {
    /// Docker's HostConfig: every field its struct has, read from what
    /// swiftrun kept (the state and the container's OCI spec, config.json),
    /// or the value Docker gives a container that did not ask for it.
    /// Limits show what is enforced: MemorySwap is 0 when --memory-swap was
    /// not given (Docker's daemon shows twice --memory then).
    struct HostConfigDocument: Encodable {
        struct RestartPolicyDocument: Encodable {
            var Name: String
            var MaximumRetryCount: Int
        }

        struct LogConfigDocument: Encodable {
            var `Type`: String
            var Config: [String: String]
        }

        struct Ulimit: Encodable {
            var Name: String
            var Hard: UInt64
            var Soft: UInt64
        }

        struct DeviceMapping: Encodable {
            var PathOnHost: String
            var PathInContainer: String
            var CgroupPermissions: String
        }

        var Binds: OrNull<[String]>
        var ContainerIDFile = ""
        var LogConfig: LogConfigDocument
        var NetworkMode: String
        var PortBindings: [String: [NetworkSettingsDocument.PortBinding]]
        var RestartPolicy: RestartPolicyDocument
        var AutoRemove: Bool
        var VolumeDriver = ""
        var VolumesFrom = OrNull<[String]>(nil)
        var CapAdd: OrNull<[String]>
        var CapDrop: OrNull<[String]>
        var CgroupnsMode: String
        var Dns: [String]
        var DnsOptions: [String] = []
        var DnsSearch: [String]
        var ExtraHosts: OrNull<[String]>
        var GroupAdd = OrNull<[String]>(nil)
        var IpcMode: String
        var Cgroup = ""
        var Links = OrNull<[String]>(nil)
        var OomScoreAdj: Int
        var PidMode: String
        var Privileged: Bool
        var PublishAllPorts = false
        var ReadonlyRootfs: Bool
        var SecurityOpt: OrNull<[String]>
        var UTSMode: String
        var UsernsMode = ""
        var ShmSize: Int64 = 64 << 20
        var Runtime = "swiftrun"
        var ConsoleSize = [0, 0]
        var Isolation = ""
        var CpuShares: UInt64
        var Memory: Int64
        var NanoCpus: Int64
        var CgroupParent = ""
        var BlkioWeight = 0
        var BlkioWeightDevice: [String] = []
        var BlkioDeviceReadBps = OrNull<[String]>(nil)
        var BlkioDeviceWriteBps = OrNull<[String]>(nil)
        var BlkioDeviceReadIOps = OrNull<[String]>(nil)
        var BlkioDeviceWriteIOps = OrNull<[String]>(nil)
        var CpuPeriod = 0
        var CpuQuota = 0
        var CpuRealtimePeriod = 0
        var CpuRealtimeRuntime = 0
        var CpusetCpus: String
        var CpusetMems = ""
        var Devices: [DeviceMapping]
        var DeviceCgroupRules = OrNull<[String]>(nil)
        var DeviceRequests = OrNull<[String]>(nil)
        var KernelMemory = 0
        var KernelMemoryTCP = 0
        var MemoryReservation: Int64
        var MemorySwap: Int64
        var MemorySwappiness = OrNull<Int>(nil)
        var OomKillDisable = false
        var PidsLimit: OrNull<Int64>
        var Ulimits: OrNull<[Ulimit]>
        var CpuCount = 0
        var CpuPercent = 0
        var IOMaximumIOps = 0
        var IOMaximumBandwidth = 0
        var MaskedPaths: OrNull<[String]>
        var ReadonlyPaths: OrNull<[String]>
        /// Docker leaves it out unless --init was given.
        var Init: Bool?

        init(_ state: ContainerState, spec: RuntimeSpec?, mounts: [MountDocument]) {
            let policy = state.restartPolicy ?? .never
            let log = state.logConfig ?? SwiftrunCore.LogConfig()
            let network = state.network ?? .none
            var logOptions: [String: String] = [:]
            if let size = log.maxSize { logOptions["max-size"] = String(size) }
            if log.maxFiles > 1 { logOptions["max-file"] = String(log.maxFiles) }
            LogConfig = .init(Type: log.driver, Config: logOptions)
            NetworkMode = network.mode
            PortBindings = Dictionary(grouping: network.ports) { "\($0.containerPort)/\($0.proto)" }.mapValues { ports in
                ports.map { .init(HostIp: $0.hostIP.map(String.init(describing:)) ?? "", HostPort: $0.hostPort == 0 ? "" : String($0.hostPort)) }
            }
            RestartPolicy = .init(Name: policy.name.rawValue, MaximumRetryCount: policy.maximumRetryCount)
            AutoRemove = state.autoRemove
            Dns = network.dns.servers
            DnsSearch = network.dns.search
            ExtraHosts = OrNull(network.extraHosts.isEmpty ? nil : network.extraHosts)
            // Namespaces as Docker names them: "host" where the container shares the host's.
            let namespaces = Set((spec?.linux.namespaces ?? ContainerDefaults.namespaces).map(\.type))
            CgroupnsMode = namespaces.contains("cgroup") ? "private" : "host"
            IpcMode = namespaces.contains("ipc") ? "private" : "host"
            PidMode = namespaces.contains("pid") ? "" : "host"
            UTSMode = namespaces.contains("uts") ? "" : "host"
            let binds = mounts.filter { $0.Type != "tmpfs" }.map { ($0.Name ?? $0.Source) + ":" + $0.Destination + ($0.RW ? "" : ":ro") }
            Binds = OrNull(binds.isEmpty ? nil : binds)

            let resources = spec?.linux.resources
            let privileged = spec.map { Self.isPrivileged($0) } ?? false
            Privileged = privileged
            ReadonlyRootfs = spec?.root.readonly ?? false
            OomScoreAdj = spec?.process.oomScoreAdj ?? 0
            let bounding = spec?.process.capabilities.bounding ?? Capabilities.dockerDefault
            let added = privileged ? [] : bounding.filter { !Capabilities.dockerDefault.contains($0) }
            let dropped = privileged ? [] : Capabilities.dockerDefault.filter { !bounding.contains($0) }
            CapAdd = OrNull(added.isEmpty ? nil : added.map { String($0.dropFirst("CAP_".count)) })
            CapDrop = OrNull(dropped.isEmpty ? nil : dropped.map { String($0.dropFirst("CAP_".count)) })
            SecurityOpt = OrNull(spec.flatMap { Self.securityOptions($0, privileged: privileged) })
            CpuShares = resources?.cpu?.shares ?? 0
            if let quota = resources?.cpu?.quota, let period = resources?.cpu?.period, period > 0 {
                NanoCpus = quota * 1_000_000_000 / Int64(period)
            } else {
                NanoCpus = 0
            }
            CpusetCpus = resources?.cpu?.cpus ?? ""
            Memory = resources?.memory?.limit ?? 0
            MemoryReservation = resources?.memory?.reservation ?? 0
            MemorySwap = resources?.memory?.swap ?? 0
            PidsLimit = OrNull(resources?.pids?.limit)
            let rlimits = spec?.process.rlimits ?? []
            Ulimits = OrNull(
                rlimits.isEmpty
                    ? nil : rlimits.map { .init(Name: $0.type.dropFirst("RLIMIT_".count).lowercased(), Hard: $0.hard, Soft: $0.soft) })
            // --device's: the host's devices of --privileged are not Docker's to list.
            Devices =
                privileged
                ? [] : (spec?.linux.devices ?? []).map { .init(PathOnHost: $0.path, PathInContainer: $0.path, CgroupPermissions: "rwm") }
            MaskedPaths = OrNull(privileged ? nil : spec?.linux.maskedPaths)
            ReadonlyPaths = OrNull(privileged ? nil : spec?.linux.readonlyPaths)
            Init = spec?.runsInit == true ? true : nil
        }

        /// --privileged: no masked or read-only paths, and every device allowed.
        private static func isPrivileged(_ spec: RuntimeSpec) -> Bool {
            spec.linux.maskedPaths.isEmpty && spec.linux.readonlyPaths.isEmpty && spec.linux.resources.devices == DeviceFilter.allowAll
        }

        /// What Docker lists of --security-opt; --privileged shows as its "label=disable".
        private static func securityOptions(_ spec: RuntimeSpec, privileged: Bool) -> [String]? {
            if privileged { return ["label=disable"] }
            var options: [String] = []
            if spec.process.noNewPrivileges { options.append("no-new-privileges") }
            switch spec.seccompPolicy {
            case .defaultProfile: break
            case .unconfined: options.append("seccomp=unconfined")
            case let .file(path): options.append("seccomp=" + path)
            }
            return options.isEmpty ? nil : options
        }
    }
}
