import Glibc
import SwiftrunCore

/// runc's command line (see RuntimeDispatch for when it applies). Global
/// flags come first and are taken off by RuntimeGlobals; each verb is one
/// command over OCIRuntime. Errors go to stderr and, with --log, to the
/// engine's log file; the exit code is 1, as runc's.
struct RuntimeCLI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swiftrun oci",
        abstract: "The OCI runtime command line (runc's), for podman, containerd and dockerd.",
        discussion: """
            Global options (before the verb): --root DIR (state, default \(RuntimeStateRoot.defaultPath)), --log FILE, \
            --log-format text|json, --debug, --systemd-cgroup.
            """,
        subcommands: [
            RuntimeCreate.self, RuntimeStart.self, RuntimeRun.self, RuntimeExec.self, RuntimeState.self, RuntimeKill.self, RuntimeDelete.self,
            RuntimeList.self, RuntimePs.self, RuntimePause.self, RuntimeResume.self, RuntimeUpdate.self, RuntimeEvents.self, RuntimeSpecCommand.self,
            RuntimeFeatures.self
        ])
}

/// What every verb gets: the state root and the global flags.
struct RuntimeGlobals {
    var root: String
    var log: RuntimeLog
    var systemdCgroup = false

    static func extract(from arguments: inout [String], environment: (String) -> String?) throws(SwiftrunError) -> RuntimeGlobals {
        var root = environment("SWIFTRUN_RUNTIME_ROOT").flatMap { $0.isEmpty ? nil : $0 } ?? RuntimeStateRoot.defaultPath
        var logPath: String?
        var format = RuntimeLog.Format.text
        var systemd = false
        while let first = arguments.first, first.hasPrefix("-") {
            let parts = first.split(separator: "=", maxSplits: 1).map(String.init)
            let name = parts[0]
            func value() throws(SwiftrunError) -> String {
                if parts.count == 2 { return parts[1] }
                guard arguments.count > 1 else { throw .invalidArgument("\(name) needs a value") }
                arguments.removeFirst()
                return arguments[0]
            }
            switch name {
            case "--root": root = try value()
            case "--log": logPath = try value()
            case "--log-format":
                let text = try value()
                guard let parsed = RuntimeLog.Format(rawValue: text) else { throw .invalidArgument("--log-format \(text): text or json") }
                format = parsed
            case "--systemd-cgroup": systemd = true
            case "--debug": break
            case "--criu", "--rootless": _ = try value()
            default: return RuntimeGlobals(root: root, log: RuntimeLog(path: logPath, format: format), systemdCgroup: systemd)  // --help, or the parser's error
            }
            arguments.removeFirst()
        }
        guard root.hasPrefix("/") else { throw .invalidArgument("--root must be an absolute path, not \(root)") }
        return RuntimeGlobals(root: root, log: RuntimeLog(path: logPath, format: format), systemdCgroup: systemd)
    }
}

/// A runc verb: runs with the globals and returns the exit code.
protocol RuntimeVerb: ParsableCommand {
    func run(_ globals: RuntimeGlobals) throws(SwiftrunError) -> Int32
}

extension RuntimeVerb {
    var role: CommandRole { .runtime(self) }
}

struct RuntimeCreate: RuntimeVerb {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Create a container from a bundle; it waits for start.")

    @OptionGroup var options: BundleOptions
    @Argument("id", help: "The container id.") var id: String

    func run(_ globals: RuntimeGlobals) throws(SwiftrunError) -> Int32 {
        try OCIRuntime(root: globals.root).create(id, options.createOptions(globals))
        return 0
    }
}

struct BundleOptions: ParsableArguments {
    @Option("-b", "--bundle", help: "The bundle directory (config.json and the rootfs).") var bundle = "."
    @Option("--pid-file", help: "Write pid 1's pid here.") var pidFile: String?
    @Option("--console-socket", help: "A unix socket to send the pty master to (process.terminal).")
    var consoleSocket: String?
    @Option("--preserve-fds", help: "Pass fds 3 to 2+N into the container.") var preserveFDs = 0
    @Flag("--no-pivot", help: "Accepted for runc's sake; swiftrun always uses pivot_root.") var noPivot = false
    @Flag("--no-new-keyring", help: "Accepted for runc's sake; swiftrun makes no session keyring.") var noNewKeyring = false

    func createOptions(_ globals: RuntimeGlobals) -> OCIRuntime.CreateOptions {
        OCIRuntime.CreateOptions(
            bundle: bundle, pidFile: pidFile, consoleSocket: consoleSocket, preserveFDs: preserveFDs, systemdCgroup: globals.systemdCgroup)
    }
}

struct RuntimeStart: RuntimeVerb {
    static let configuration = CommandConfiguration(
        commandName: "start", abstract: "Let a created container run its command.")
    @Argument("id", help: "The container id.") var id: String

    func run(_ globals: RuntimeGlobals) throws(SwiftrunError) -> Int32 {
        try OCIRuntime(root: globals.root).start(id)
        return 0
    }
}

struct RuntimeRun: RuntimeVerb {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Create and start a container; wait for it unless -d.")

    @OptionGroup var options: BundleOptions
    @Flag("-d", "--detach", help: "Return once it runs.") var detach = false
    @Flag("--keep", help: "Keep the container's state after it exits.") var keep = false
    @Argument("id", help: "The container id.") var id: String

    func run(_ globals: RuntimeGlobals) throws(SwiftrunError) -> Int32 {
        try OCIRuntime(root: globals.root).run(id, options.createOptions(globals), detach: detach, keep: keep)
    }
}

struct RuntimeState: RuntimeVerb {
    static let configuration = CommandConfiguration(commandName: "state", abstract: "Print a container's OCI state as JSON.")
    @Argument("id", help: "The container id.") var id: String

    func run(_ globals: RuntimeGlobals) throws(SwiftrunError) -> Int32 {
        print(try JSON.encodePretty(OCIRuntime(root: globals.root).state(id)))
        return 0
    }
}

struct RuntimeKill: RuntimeVerb {
    static let configuration = CommandConfiguration(
        commandName: "kill", abstract: "Send a signal (default SIGTERM) to pid 1.")
    @Flag("-a", "--all", help: "Signal every process of the container.") var all = false
    @Argument("id", help: "The container id.") var id: String
    @Argument("signal", help: "A name (TERM, SIGKILL) or number.") var signal = "TERM"

    func run(_ globals: RuntimeGlobals) throws(SwiftrunError) -> Int32 {
        try OCIRuntime(root: globals.root).kill(id, signal: SignalName.parse(signal), all: all)
        return 0
    }
}

struct RuntimeDelete: RuntimeVerb {
    static let configuration = CommandConfiguration(
        commandName: "delete", abstract: "Remove a container's state and cgroups.")
    @Flag("-f", "--force", help: "Kill it first if it runs; no error if it is gone.") var force = false
    @Argument("id", help: "The container id.") var id: String

    func run(_ globals: RuntimeGlobals) throws(SwiftrunError) -> Int32 {
        try OCIRuntime(root: globals.root).delete(id, force: force)
        return 0
    }
}

struct RuntimeList: RuntimeVerb {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the containers in the state root.")
    @Option("-f", "--format", help: "table or json.") var format = "table"
    @Flag("-q", "--quiet", help: "Only ids.") var quiet = false

    func run(_ globals: RuntimeGlobals) throws(SwiftrunError) -> Int32 {
        let states = OCIRuntime(root: globals.root).list()
        if quiet {
            states.forEach { print($0.id) }
        } else if format == "json" {
            print(try JSON.encodePretty(states))
        } else {
            var table = Table(["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"], minimumWidth: 12)
            for state in states { table.add([state.id, String(state.pid), state.status, state.bundle, state.created, "root"]) }
            print(table.render(), terminator: "")
        }
        return 0
    }
}

struct RuntimePs: RuntimeVerb {
    static let configuration = CommandConfiguration(commandName: "ps", abstract: "The processes of a container.")
    @Option("-f", "--format", help: "table or json.") var format = "table"
    @Argument("id", help: "The container id.") var id: String

    func run(_ globals: RuntimeGlobals) throws(SwiftrunError) -> Int32 {
        let pids = try OCIRuntime(root: globals.root).processes(id)
        if format == "json" {
            print("[" + pids.map(String.init).joined(separator: ",") + "]")
        } else {
            print("PID")
            pids.forEach { print($0) }
        }
        return 0
    }
}

struct RuntimeSpecCommand: RuntimeVerb {
    static let configuration = CommandConfiguration(
        commandName: "spec", abstract: "Write a default config.json into the bundle.")
    @Option("-b", "--bundle", help: "The bundle directory.") var bundle = "."
    @Flag("--rootless", help: "Not supported: swiftrun runs as root.") var rootless = false

    func run(_ globals: RuntimeGlobals) throws(SwiftrunError) -> Int32 {
        if rootless { throw .invalidArgument("--rootless: swiftrun runs as root, so it writes no rootless spec") }
        try RuntimeDescription.writeDefaultSpec(in: bundle)
        return 0
    }
}

struct RuntimeFeatures: RuntimeVerb {
    static let configuration = CommandConfiguration(
        commandName: "features", abstract: "Print what this runtime supports, as JSON.")

    func run(_ globals: RuntimeGlobals) throws(SwiftrunError) -> Int32 {
        print(try RuntimeDescription.featuresJSON())
        return 0
    }
}

struct RuntimeExec: RuntimeVerb {
    static let configuration = CommandConfiguration(commandName: "exec", abstract: "Run a process in a running container.")

    @Option("-p", "--process", help: "process.json: the whole process, instead of the flags below.") var process: String?
    @Flag("-d", "--detach", help: "Return once it runs.") var detach = false
    @Option("--pid-file", help: "Write its pid here.") var pidFile: String?
    @Option("--console-socket", help: "A unix socket to send the pty master to.") var consoleSocket: String?
    @Option("--preserve-fds", help: "Pass fds 3 to 2+N into the process.") var preserveFDs = 0
    @Flag("-t", "--tty", help: "Give it a terminal (needs --console-socket).") var tty = false
    @Option("--cwd", help: "Its working directory.") var cwd: String?
    @Option("-e", "--env", help: "KEY=VALUE added to its environment.") var env: [String] = []
    @Option("-u", "--user", help: "uid[:gid].") var user: String?
    @Option("--cap", help: "A capability added.") var cap: [String] = []
    @Flag("--no-new-privs", help: "Set no_new_privs.") var noNewPrivs = false
    @Argument("id", help: "The container id.") var id: String
    @Argument("command", passesThrough: true, help: "The command and its arguments.") var command: [String] = []

    func run(_ globals: RuntimeGlobals) throws(SwiftrunError) -> Int32 {
        let runtime = OCIRuntime(root: globals.root)
        let spec: RuntimeSpec.Process
        if let process {
            spec = try OCIRuntime.readProcess(process)
        } else {
            spec = try runtime.execProcess(
                id, args: command, env: env, cwd: cwd, user: user, tty: tty, capabilities: cap, noNewPrivileges: noNewPrivs)
        }
        var request = OCIRuntime.ExecRequest(process: spec)
        request.detach = detach
        request.pidFile = pidFile
        request.consoleSocket = consoleSocket
        request.preserveFDs = preserveFDs
        return try runtime.exec(id, request)
    }
}

struct RuntimePause: RuntimeVerb {
    static let configuration = CommandConfiguration(commandName: "pause", abstract: "Freeze every process of a container.")
    @Argument("id", help: "The container id.") var id: String

    func run(_ globals: RuntimeGlobals) throws(SwiftrunError) -> Int32 {
        try OCIRuntime(root: globals.root).pause(id)
        return 0
    }
}

struct RuntimeResume: RuntimeVerb {
    static let configuration = CommandConfiguration(commandName: "resume", abstract: "Thaw a paused container.")
    @Argument("id", help: "The container id.") var id: String

    func run(_ globals: RuntimeGlobals) throws(SwiftrunError) -> Int32 {
        try OCIRuntime(root: globals.root).resume(id)
        return 0
    }
}

struct RuntimeUpdate: RuntimeVerb {
    static let configuration = CommandConfiguration(commandName: "update", abstract: "Change a container's resource limits.")
    @Option("-r", "--resources", help: "linux.resources as JSON in a file, or - for stdin.") var resources: String?
    @Option("--memory", help: "Memory limit (bytes, or 256m).") var memory: String?
    @Option("--memory-reservation", help: "Memory soft limit.") var memoryReservation: String?
    @Option("--memory-swap", help: "Memory plus swap (-1: unlimited).") var memorySwap: String?
    @Option("--cpu-shares", help: "CPU shares.") var cpuShares: UInt64?
    @Option("--cpu-quota", help: "CFS quota in microseconds.") var cpuQuota: Int64?
    @Option("--cpu-period", help: "CFS period in microseconds.") var cpuPeriod: UInt64?
    @Option("--cpuset-cpus", help: "CPUs allowed: 0-1, 0,2.") var cpusetCpus: String?
    @Option("--pids-limit", help: "Maximum number of tasks.") var pidsLimit: Int64?
    @Argument("id", help: "The container id.") var id: String

    func run(_ globals: RuntimeGlobals) throws(SwiftrunError) -> Int32 {
        var changes = OCIRuntime.ResourceChanges()
        changes.file = resources
        changes.memory = memory
        changes.memoryReservation = memoryReservation
        changes.memorySwap = memorySwap
        changes.cpuShares = cpuShares
        changes.cpuQuota = cpuQuota
        changes.cpuPeriod = cpuPeriod
        changes.cpusetCpus = cpusetCpus
        changes.pidsLimit = pidsLimit
        try OCIRuntime(root: globals.root).update(id, changes)
        return 0
    }
}

struct RuntimeEvents: RuntimeVerb {
    static let configuration = CommandConfiguration(
        commandName: "events", abstract: "Print a container's resource usage as JSON events, every interval until it stops.")
    @Flag("--stats", help: "One stats event, then exit.") var stats = false
    @Option("--interval", help: "Time between two events (Go duration, as runc takes it).") var interval = "5s"
    @Argument("id", help: "The container id.") var id: String

    func run(_ globals: RuntimeGlobals) throws(SwiftrunError) -> Int32 {
        let runtime = OCIRuntime(root: globals.root)
        if stats {
            print(try runtime.statsEvent(id))
            return 0
        }
        guard let seconds = GoDuration.seconds(interval), seconds > 0 else {
            throw .invalidArgument("events: invalid --interval \(interval)")
        }
        // Each event written at once: an engine reads them as they come.
        try runtime.streamEvents(id, interval: Int32(min(seconds * 1000, Double(Int32.max)))) { event in
            var line = event + "\n"
            line.withUTF8 { _ = write(1, $0.baseAddress, $0.count) }
        }
        return 0
    }
}
