import CSeccomp
import Glibc

/// What `spec` writes and `features` prints: the defaults and the
/// abilities of this runtime, in the runtime spec's own formats.
public enum RuntimeDescription {
    /// A config.json to start from, as `runc spec` writes one: `sh` on a
    /// terminal in ./rootfs, read-only, with the default namespaces, mounts,
    /// masks and the capabilities runc keeps.
    public static func defaultSpec() -> RuntimeSpec {
        let capabilities = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
        func mount(_ destination: String, _ type: String, _ source: String, _ options: [String]) -> RuntimeSpec.Mount {
            RuntimeSpec.Mount(destination: destination, type: type, source: source, options: options)
        }
        return RuntimeSpec(
            process: .init(
                terminal: true, user: .init(uid: 0, gid: 0, additionalGids: []), args: ["sh"],
                env: [ContainerDefaults.path, "TERM=xterm"], cwd: "/",
                capabilities: .init(bounding: capabilities, effective: capabilities, permitted: capabilities, inheritable: [], ambient: []),
                rlimits: [.init(type: "RLIMIT_NOFILE", hard: 1024, soft: 1024)], noNewPrivileges: true),
            root: .init(path: "rootfs", readonly: true),
            hostname: "swiftrun",
            mounts: [
                mount("/proc", "proc", "proc", []),
                mount("/dev", "tmpfs", "tmpfs", ["nosuid", "strictatime", "mode=755", "size=65536k"]),
                mount("/dev/pts", "devpts", "devpts", ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]),
                mount("/dev/shm", "tmpfs", "shm", ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]),
                mount("/dev/mqueue", "mqueue", "mqueue", ["nosuid", "noexec", "nodev"]),
                mount("/sys", "sysfs", "sysfs", ["nosuid", "noexec", "nodev", "ro"]),
                mount("/sys/fs/cgroup", "cgroup", "cgroup", ["nosuid", "noexec", "nodev", "relatime", "ro"])
            ],
            linux: .init(
                namespaces: ContainerDefaults.namespaces, maskedPaths: ContainerDefaults.maskedPaths,
                readonlyPaths: ContainerDefaults.readonlyPaths, devices: [],
                resources: .init(devices: [.init(allow: false, type: "a", major: nil, minor: nil, access: "rwm")])),
            annotations: [:])
    }

    /// `spec`: refuses to overwrite a config.json, as runc does.
    public static func writeDefaultSpec(in bundle: String) throws(SwiftrunError) {
        let file = bundle + "/config.json"
        guard !FileSystem.exists(file) else { throw .invalidArgument("File \(file) exists. Remove it first") }
        try FileSystem.writeAtomically(JSON.encodeTree(defaultSpec(), pretty: true) + [0x0A], to: file, durable: false)
    }

    /// runc's `features` document (runtime-spec features.md), indented.
    public static func featuresJSON() throws(SwiftrunError) -> String {
        try JSON.encodePretty(features())
    }

    static func features() -> JSONValue {
        func strings(_ values: [String]) -> JSONValue { .array(values.map { .string($0) }) }
        let mountOptions =
            [
                "bind", "rbind", "ro", "rw", "nosuid", "suid", "nodev", "dev", "noexec", "exec", "noatime", "atime",
                "nodiratime", "diratime", "relatime", "norelatime", "strictatime", "sync", "async", "dirsync", "mand", "nomand", "defaults"
            ]
            + ["private", "rprivate", "slave", "rslave", "shared", "rshared", "unbindable", "runbindable"]
        let mode = CgroupMode.host
        return .object([
            "ociVersionMin": .string("1.0.0"),
            "ociVersionMax": .string(RuntimeSpec.specVersion),
            "hooks": strings(["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"]),
            "mountOptions": strings(mountOptions),
            "linux": .object([
                "namespaces": strings(["cgroup", "ipc", "mount", "network", "pid", "user", "uts"]),
                "capabilities": strings(Capabilities.all()),
                "cgroup": .object([
                    "v1": .bool(!mode.isPureV2), "v2": .bool(mode.unified != nil), "systemd": .bool(true), "systemdUser": .bool(false)
                ]),
                "seccomp": .object([
                    "enabled": .bool(true),
                    "actions": strings(SeccompCompiler.actionNames),
                    "operators": strings(SeccompCompiler.operatorNames),
                    "archs": strings([SeccompCompiler.nativeSeccompArch, "SCMP_ARCH_X86", "SCMP_ARCH_X32"])
                ]),
                "apparmor": .object(["enabled": .bool(false)]),
                "selinux": .object(["enabled": .bool(false)])
            ]),
            "annotations": .object(["run.swiftrun.version": .string(HostInfo.version)])
        ])
    }
}
