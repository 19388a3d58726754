import SwiftrunCore

/// The containers a lifecycle verb acts on, one or more: each gets its own
/// line of output or of error (forEachArgument).
struct ContainerList: ParsableArguments {
    @Argument("containers", help: "Containers: names or IDs.")
    var names: [String]
}

struct LogsCommand: StoreCommand {
    static let configuration = CommandConfiguration(commandName: "logs", abstract: "Show a detached container's output.")

    @Flag("-f", "--follow", help: "Follow the log until the container stops.")
    var follow = false

    @Option("-n", "--tail", help: "Lines to show from the end (default: all).")
    var tail: String?

    @Flag("-t", "--timestamps", help: "Show timestamps.")
    var timestamps = false

    @Option("--since", help: "Show logs since a time (2026-11-28T18:00:00Z, a Unix time) or a duration ago (10m).")
    var since: String?

    @Option("--until", help: "Show logs before a time or a duration ago.")
    var until: String?

    @Argument("container", help: "The container: name or ID.")
    var container: String

    func run(in layout: StoreLayout) throws(SwiftrunError) -> Int32 {
        var options = ContainerLogs.Options()
        options.follow = follow
        options.timestamps = timestamps
        options.since = since
        options.until = until
        if let tail, tail != "all" {
            guard let count = Int(tail) else { throw .invalidArgument("invalid --tail \(tail): a number of lines, or all") }
            options.tail = count
        }
        try ContainerLogs(layout: layout).show(container, options: options)
        return 0
    }
}

struct StopCommand: StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop", abstract: "Stop containers: the stop signal, then SIGKILL after a grace period.")

    @Option("-t", "--timeout", "--time", help: "Seconds to wait before SIGKILL (default: the container's --stop-timeout, or 10).")
    var time: Int?

    @Option("-s", "--signal", help: "Signal to send first (default: the container's stop signal).")
    var signal: String?

    @OptionGroup var containers: ContainerList

    func run(in layout: StoreLayout) throws(SwiftrunError) -> Int32 {
        let control = ContainerControl(layout: layout)
        return forEachArgument(containers.names) { (key) throws(SwiftrunError) in
            try control.stop(key, timeout: time, signal: try signal.map { (name) throws(SwiftrunError) in try SignalName.parse(name) })
            print(key)
        }
    }
}

struct StartCommand: StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "start", abstract: "Start stopped containers again, on the same writable layer.")

    @Flag("-a", "--attach", help: "Attach to its output (and, with -i, input) until it stops.")
    var attach = false

    @Flag("-i", "--interactive", help: "Attach our input.")
    var interactive = false

    @Option("--detach-keys", help: "Keys that detach and leave it running (default: ctrl-p,ctrl-q).")
    var detachKeys: String?

    /// The Engine API's attach before start: a socket the caller passed,
    /// which the monitor takes as its first client, so no output is missed.
    @Option("--attach-fd", help: .hidden)
    var attachFD: Int32?

    @OptionGroup var containers: ContainerList

    func run(in layout: StoreLayout) throws(SwiftrunError) -> Int32 {
        if let attachFD {
            guard containers.names.count == 1, UnixSocket.isSocket(attachFD) else {
                throw .invalidArgument("--attach-fd takes one container and an open socket")
            }
            _ = try ContainerRunner(layout: layout).start(containers.names[0], attached: attachFD)
            return 0
        }
        if attach || interactive {
            guard containers.names.count == 1 else { throw .invalidArgument("you cannot start and attach multiple containers at once") }
            return try ContainerAttach(layout: layout).start(containers.names[0], detachKeys: detachKeys, sendInput: interactive)
        }
        let runner = ContainerRunner(layout: layout)
        return forEachArgument(containers.names) { (key) throws(SwiftrunError) in
            _ = try runner.start(key)
            print(key)
        }
    }
}

struct RestartCommand: StoreCommand {
    static let configuration = CommandConfiguration(commandName: "restart", abstract: "Stop containers, then start them again.")

    @Option("-s", "--signal", help: "Signal to stop with (default: the container's stop signal).")
    var signal: String?

    @Option("-t", "--timeout", "--time", help: "Seconds to wait before SIGKILL (default: the container's --stop-timeout, or 10).")
    var time: Int?

    @OptionGroup var containers: ContainerList

    func run(in layout: StoreLayout) throws(SwiftrunError) -> Int32 {
        let control = ContainerControl(layout: layout)
        let runner = ContainerRunner(layout: layout)
        return forEachArgument(containers.names) { (key) throws(SwiftrunError) in
            try control.stop(key, timeout: time, signal: try signal.map { (name) throws(SwiftrunError) in try SignalName.parse(name) })
            _ = try runner.start(key)
            print(key)
        }
    }
}

struct KillCommand: StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "kill", abstract: "Send a signal to running containers (SIGKILL by default).")

    @Option("-s", "--signal", help: "Signal to send: a name (TERM, SIGTERM) or a number.")
    var signal = "KILL"

    @OptionGroup var containers: ContainerList

    func run(in layout: StoreLayout) throws(SwiftrunError) -> Int32 {
        let number = try SignalName.parse(signal)
        let control = ContainerControl(layout: layout)
        return forEachArgument(containers.names) { (key) throws(SwiftrunError) in
            try control.kill(key, signal: number)
            print(key)
        }
    }
}

struct WaitCommand: StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "wait", abstract: "Block until containers stop, then print their exit codes.")

    @OptionGroup var containers: ContainerList

    func run(in layout: StoreLayout) throws(SwiftrunError) -> Int32 {
        let control = ContainerControl(layout: layout)
        return forEachArgument(containers.names) { (key) throws(SwiftrunError) in
            print(try control.wait(key))
        }
    }
}

/// What swiftrun-monitor execs when a detached container's pid 1 exits:
/// record the exit, apply the restart policy. Not for users.
struct MonitorExitedCommand: StoreCommand {
    static let configuration = CommandConfiguration(commandName: "__monitor-exited", shouldDisplay: false)

    @Argument("id", help: "The container's id.") var id: String
    @Argument("wait-status", help: "Its pid 1's status, as waitpid gave it.") var waitStatus: Int32

    func run(in layout: StoreLayout) throws(SwiftrunError) -> Int32 {
        ContainerMonitor.resume(layout: layout, id: id, waitStatus: waitStatus)
    }
}

/// The boot hook: swiftrun-boot.service runs it once at boot.
struct BootCommand: StoreCommand {
    static let configuration = CommandConfiguration(commandName: "__boot", shouldDisplay: false)

    func run(in layout: StoreLayout) throws(SwiftrunError) -> Int32 {
        let runner = ContainerRunner(layout: layout)
        return forEachArgument(try runner.restartableAfterBoot()) { (name) throws(SwiftrunError) in
            _ = try runner.start(name)
            print(name)
        }
    }
}

/// What a detached container's monitor runs every health-check interval.
struct HealthCheckCommand: StoreCommand {
    static let configuration = CommandConfiguration(commandName: "__health-check", shouldDisplay: false)

    @Argument("id", help: "The container's id.") var id: String

    func run(in layout: StoreLayout) throws(SwiftrunError) -> Int32 {
        try ContainerHealth(layout: layout).check(id)
        return 0
    }
}

struct PauseCommand: StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "pause", abstract: "Freeze every process of running containers.")

    @OptionGroup var containers: ContainerList

    func run(in layout: StoreLayout) throws(SwiftrunError) -> Int32 {
        let control = ContainerControl(layout: layout)
        return forEachArgument(containers.names) { (key) throws(SwiftrunError) in
            try control.pause(key, true)
            print(key)
        }
    }
}

struct UnpauseCommand: StoreCommand {
    static let configuration = CommandConfiguration(commandName: "unpause", abstract: "Thaw paused containers.")

    @OptionGroup var containers: ContainerList

    func run(in layout: StoreLayout) throws(SwiftrunError) -> Int32 {
        let control = ContainerControl(layout: layout)
        return forEachArgument(containers.names) { (key) throws(SwiftrunError) in
            try control.pause(key, false)
            print(key)
        }
    }
}
