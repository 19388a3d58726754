import CShims
import Glibc

/// `exec`'s flags, as Docker spells them.
public struct ExecOptions: Sendable {
    public var command: [String]
    /// -d: start it and return; it outlives this process.
    public var detach = false
    public var interactive = false
    public var tty = false
    public var privileged = false
    /// -u: resolved through the container's own /etc/passwd, as at run.
    public var user: String?
    public var workingDirectory: String?
    public var environment: [String] = []

    public init(command: [String]) { self.command = command }
}

/// `exec`: a new process inside a running container, behind the same
/// walls as its pid 1. It joins every namespace of pid 1 (setns on a
/// pidfd, CShims/child_join.c) and its cgroups (born in the v2 one with
/// CLONE_INTO_CGROUP, written into the v1 ones before it may go on), and
/// takes the container's seccomp filter, capabilities, no_new_privs and
/// rlimits from its config.json. The same start path as pid 1's
/// (ContainerProcess), so nothing of the caller's but stdio goes in.
public struct ContainerExec {
    let layout: StoreLayout

    public init(layout: StoreLayout) { self.layout = layout }

    /// Runs `options.command` in the container `key`: its exit code, or
    /// 0 at once with -d.
    public func run(_ key: String, _ options: ExecOptions) throws(SwiftrunError) -> Int32 {
        let console = try ContainerProcess.foregroundStdio(tty: options.tty, interactive: options.interactive)
        let process = try start(key, options, console: console)
        guard !options.detach else { return 0 }
        return try process.wait(console: console, interactive: options.interactive).code
    }

    /// Starts the command, with this process's stdio (or `console`'s pty),
    /// and returns once it runs: a health check waits for it with a timeout.
    func start(_ key: String, _ options: ExecOptions, console: ConsoleSocket? = nil) throws(SwiftrunError) -> ContainerProcess {
        let containers = ContainerStore(layout: layout)
        let state = try containers.find(key)
        guard state.isActive, state.status == .running else {
            throw .invalidArgument("Container \(state.id) is not running")
        }
        if ContainerControl(layout: layout).isPaused(state) {
            throw .invalidArgument("Container \(state.id) is paused, unpause the container before exec")
        }
        guard let pid1 = PinnedPid1(state) else { throw .invalidArgument("Container \(state.id) is not running") }
        defer { pid1.close() }

        let spec = try processSpec(for: options, container: try containers.spec(state.id), pid: pid1.pid)
        let seccomp = try spec.seccompPolicy.filter(capabilities: spec.process.capabilities.bounding, layout: layout)
        let child = try ChildSpec(spec: spec, overlayOptions: "", seccomp: seccomp)
        let null = options.detach ? try Syscall.check("open /dev/null") { open("/dev/null", O_RDWR | O_CLOEXEC) } : nil
        defer { if let null { close(null) } }
        child.join(pidfd: pid1.fd, flags: ChildSpec.cloneFlags(spec.linux.namespaces), detachedWith: null)
        if let console { child.attachConsole(socket: console.childEnd, size: TerminalSize.of(1)) }

        return try ContainerCgroup.existing(id: state.id).spawn(child, started: { _ in })
    }

    /// The container's spec with exec's process: its command, the
    /// container's environment with -e on top, -w, -u resolved inside the
    /// container (fd-relative, under /proc/PID/root), and with
    /// --privileged every capability.
    private func processSpec(for options: ExecOptions, container: RuntimeSpec, pid: pid_t) throws(SwiftrunError) -> RuntimeSpec {
        guard !options.command.isEmpty else { throw .invalidArgument("exec needs a command to run") }
        var spec = container
        spec.mounts = []  // in place already, in the namespace it joins
        spec.process.args = options.command
        spec.process.terminal = options.tty
        if let cwd = options.workingDirectory {
            guard cwd.hasPrefix("/") else { throw .invalidArgument("the working directory '\(cwd)' is invalid: it needs to be an absolute path") }
            spec.process.cwd = cwd
        }
        var env = Environment(container.process.env)
        if options.tty { env.setDefault("TERM=xterm") }
        if let user = options.user {
            let root = try Syscall.check("open the container's root") { open("/proc/\(pid)/root", Int32(SR_O_PATH) | O_DIRECTORY | O_CLOEXEC) }
            defer { close(root) }
            let resolved = try UserResolver { path in try? UntrustedFile.read(in: root, path, limit: 1 << 22, describe: path) }.resolve(user)
            spec.process.user = resolved.user
            env.set("HOME=" + resolved.home)
        }
        env.apply(options.environment, host: getenvString)
        spec.process.env = env.entries
        if options.privileged {
            let all = Capabilities.all()
            spec.process.capabilities = .init(bounding: all, effective: all, permitted: all, inheritable: [], ambient: [])
        }
        return spec
    }
}
