import CShims
import Glibc

extension OCIRuntime {
    public struct ExecRequest {
        public var process: RuntimeSpec.Process
        public var detach = false
        public var pidFile: String?
        public var consoleSocket: String?
        public var preserveFDs = 0

        public init(process: RuntimeSpec.Process) { self.process = process }
    }

    /// runc's `exec`: a new process in a running container, through the
    /// same join path as `swiftrun exec` (setns on a pidfd of pid 1, its
    /// cgroups, CShims/child_join.c), with the container's seccomp profile
    /// compiled for this process's capabilities. Its exit code, or 0 at
    /// once with `detach`, when it outlives this process (an engine's shim
    /// reaps it).
    public func exec(_ id: String, _ request: ExecRequest) throws(SwiftrunError) -> Int32 {
        let record = try root.load(id)
        guard root.status(of: record) == .running else { throw .invalidArgument("cannot exec in a stopped or not yet started container") }
        guard let pidfd = record.pinInit() else { throw .invalidArgument("cannot exec in a stopped container") }
        defer { close(pidfd) }
        let config = root.config(id)
        var spec = try JSON.decode(RuntimeSpec.self, from: FileSystem.readFile(config), path: config)
        if request.process.terminal && request.consoleSocket == nil {
            throw .invalidArgument("process.terminal is set, so --console-socket is required to hand over the pty")
        }
        spec.mounts = []  // in place already, in the namespace it joins
        spec.process = request.process
        let child = try ChildSpec(spec: spec, overlayOptions: "", seccomp: spec.compiledSeccomp(cache: root.seccompCache))
        child.join(pidfd: pidfd, flags: ChildSpec.cloneFlags(spec.linux.namespaces.map { .init(type: $0.type) }), detachedWith: nil)
        child.preserve(fds: request.preserveFDs)
        if request.detach { child.outliveCaller() }
        let console = try request.consoleSocket.map { (socket) throws(SwiftrunError) in try child.sendConsole(to: socket) }
        defer { console.map { _ = close($0) } }
        let process = try ContainerCgroup.existing(path: record.cgroupPath).spawn(child, started: { _ in })
        if let pidFile = request.pidFile {
            try FileSystem.writeAtomically(Array(String(process.pid).utf8), to: pidFile, durable: false)
        }
        if request.detach { return 0 }
        return try process.wait().code
    }

    /// `exec --process FILE`: a process object of the runtime spec.
    public static func readProcess(_ path: String) throws(SwiftrunError) -> RuntimeSpec.Process {
        try JSON.decode(RuntimeSpec.Process.self, from: FileSystem.readFile(path), path: path)
    }

    /// The process `exec` runs when given on the command line rather than
    /// as process.json: the container's own, with these changes.
    public func execProcess(
        _ id: String, args: [String], env: [String], cwd: String?, user: String?, tty: Bool, capabilities: [String], noNewPrivileges: Bool
    ) throws(SwiftrunError) -> RuntimeSpec.Process {
        _ = try root.load(id)
        let config = root.config(id)
        var process = try JSON.decode(RuntimeSpec.self, from: FileSystem.readFile(config), path: config).process
        guard !args.isEmpty else { throw .invalidArgument("exec needs a command to run") }
        process.args = args
        process.terminal = tty
        var environment = Environment(process.env)
        env.forEach { environment.set($0) }
        process.env = environment.entries
        if let cwd { process.cwd = cwd }
        if let user {
            let parts = user.split(separator: ":", maxSplits: 1)
            guard let uid = UInt32(parts[0]), parts.count == 1 || UInt32(parts[1]) != nil else {
                throw .invalidArgument("--user \(user): uid[:gid], as numbers")
            }
            process.user = RuntimeSpec.User(uid: uid, gid: parts.count == 2 ? UInt32(parts[1])! : 0, additionalGids: [])
        }
        if !capabilities.isEmpty {
            let added = try capabilities.map { (name) throws(SwiftrunError) in try Capabilities.canonicalName(name) }
            for keyPath in [\RuntimeSpec.CapabilitySets.bounding, \.effective, \.permitted] {
                process.capabilities[keyPath: keyPath] += added.filter { !process.capabilities[keyPath: keyPath].contains($0) }
            }
        }
        if noNewPrivileges { process.noNewPrivileges = true }
        return process
    }
}

extension RuntimeSpec {
    /// linux.seccomp compiled for this process's bounding capabilities
    /// (cached in `cache`: an engine sends the same profile every time), or
    /// nil when the config has none.
    func compiledSeccomp(cache: String) throws(SwiftrunError) -> [UInt8]? {
        try linux.seccomp.map { (profile) throws(SwiftrunError) in
            try SeccompPolicy.compile(JSON.encodeTree(profile), source: "linux.seccomp", capabilities: process.capabilities.bounding, cache: cache)
        }
    }
}

extension ChildSpec {
    /// --console-socket: the child sends its pty master to the engine's
    /// socket. Returns the connected fd, which the caller closes after the spawn.
    func sendConsole(to socket: String) throws(SwiftrunError) -> Int32 {
        let fd = try UnixSocket.connect(path: socket, describe: "the console socket \(socket)")
        let size = spec.process.consoleSize.map { TerminalSize(rows: $0.height, columns: $0.width) }
        attachConsole(socket: fd, size: size)
        return fd
    }
}
