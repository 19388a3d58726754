import ArgumentParser
import Glibc
import SwiftrunCore

struct RunCommand: StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run a command in a new container.",
        helpNames: [.long])  // -h is --hostname, as in Docker

    @Flag(name: .customLong("rm"), help: "Remove the container when it exits.")
    var autoRemove = false

    /// `docker run -rm` from a popular cheat sheet: accepted, with a note.
    @Flag(name: .customLong("rm", withSingleDash: true), help: .hidden)
    var autoRemoveOneDash = false

    @Option(help: "Name the container.")
    var name: String?

    @Option(name: [.customShort("e"), .customLong("env")], help: "Set an environment variable (KEY=VALUE, or KEY to pass the host's).")
    var environment: [String] = []

    @Option(name: .customLong("env-file"), help: "Read environment variables from a file (KEY=VALUE or KEY lines).")
    var envFiles: [String] = []

    @Option(name: [.customShort("w"), .customLong("workdir")], help: "Working directory inside the container.")
    var workingDirectory: String?

    @Option(name: [.customShort("h"), .customLong("hostname")], help: "Container hostname (default: the short id).")
    var hostname: String?

    @OptionGroup(title: "Network") var networkFlags: NetworkFlags

    @Option(help: "Replace the image's entrypoint (\"\" clears it).")
    var entrypoint: String?

    @Option(name: [.customShort("u"), .customLong("user")], help: "User to run as: NAME|UID[:GROUP|GID], resolved in the image.")
    var user: String?

    @Option(name: .customLong("cap-add"), help: "Add a Linux capability (or ALL).")
    var capAdd: [String] = []

    @Option(name: .customLong("cap-drop"), help: "Drop a Linux capability (or ALL).")
    var capDrop: [String] = []

    @Flag(help: "All capabilities, no seccomp, no masked paths, the host's devices.")
    var privileged = false

    @Option(name: .customLong("security-opt"), help: "seccomp=unconfined|PROFILE.json, no-new-privileges.")
    var securityOptions: [String] = []

    @Flag(name: .customLong("read-only"), help: "Mount the container's root filesystem read-only.")
    var readOnly = false

    @Option(help: "Mount a tmpfs: PATH[:OPTIONS].")
    var tmpfs: [String] = []

    @Option(name: [.customShort("v"), .customLong("volume")], help: "Bind mount: HOST:CONTAINER[:ro].")
    var volumes: [String] = []

    @Option(name: .customLong("device"), help: "Add a host device: HOST[:CONTAINER][:rwm].")
    var devices: [String] = []

    @Option(help: "Resource limit: NAME=SOFT[:HARD] (nofile, nproc, ...).")
    var ulimit: [String] = []

    @Flag(name: .customLong("init"), help: "Run a reaper as pid 1 that forwards signals and reaps zombies.")
    var initProcess = false

    @Option(name: [.customShort("m"), .customLong("memory")], help: "Memory limit: 64m, 1g, ...")
    var memory: String?

    @Option(name: .customLong("memory-swap"), help: "Memory plus swap limit (-1: unlimited swap).")
    var memorySwap: String?

    @Option(name: .customLong("memory-reservation"), help: "Soft memory limit.")
    var memoryReservation: String?

    @Option(help: "CPUs the container may use, as a fraction: 0.5, 1.5.")
    var cpus: String?

    @Option(name: [.customShort("c"), .customLong("cpu-shares")], help: "Relative CPU weight (2-262144; 1024 is the default).")
    var cpuShares: String?

    @Option(name: .customLong("cpuset-cpus"), help: "CPUs the container may run on: 0-1, 0,2.")
    var cpusetCpus: String?

    @Option(name: .customLong("pids-limit"), help: "Most processes the container may have (-1: unlimited).")
    var pidsLimit: String?

    /// `--explain` alone means text; main.swift spells it `--explain=text`
    /// for ArgumentParser, which has no options with an optional value.
    @Flag(name: .shortAndLong, help: "Run in the background under a monitor, and print the container's ID.")
    var detach = false

    @Flag(name: .shortAndLong, help: "Keep stdin open: the container reads ours.")
    var interactive = false

    @Flag(name: .shortAndLong, help: "Give the container a terminal (a pty of its own).")
    var tty = false

    @Option(help: "Restart policy: no, on-failure[:max-retries], always or unless-stopped.")
    var restart: String?

    @Option(name: .customLong("log-driver"), help: "json-file (default) or none.")
    var logDriver: String?

    @Option(name: .customLong("log-opt"), help: "json-file options: max-size=SIZE, max-file=N.")
    var logOptions: [String] = []

    @Option(name: .customLong("stop-signal"), help: "Signal to stop the container (default: the image's, or SIGTERM).")
    var stopSignal: String?

    @Option(name: .customLong("stop-timeout"), help: "Seconds to wait for the stop signal before SIGKILL (default 10).")
    var stopTimeout: Int?

    @Option(name: .customLong("health-cmd"), help: "Command to run to check health (through /bin/sh -c).")
    var healthCommand: String?

    @Option(name: .customLong("health-interval"), help: "Time between health checks (default 30s).")
    var healthInterval: String?

    @Option(name: .customLong("health-timeout"), help: "Longest a health check may run (default 30s).")
    var healthTimeout: String?

    @Option(name: .customLong("health-start-period"), help: "Failures in this first period do not count (default 0s).")
    var healthStartPeriod: String?

    @Option(name: .customLong("health-retries"), help: "Failures in a row before unhealthy (default 3).")
    var healthRetries: Int?

    @Flag(name: .customLong("no-healthcheck"), help: "Disable the image's HEALTHCHECK.")
    var noHealthcheck = false

    @Option(help: "Narrate every isolation step on stderr: --explain, --explain=json; or draw them: --explain=svg:FILE.")
    var explain: Narrator.Format?

    @Option(help: "When to pull the image: missing (default), always or never.")
    var pull: PullPolicy = .missing

    @OptionGroup var registry: RegistryFlags

    @Argument(help: "The image: NAME[:TAG][@DIGEST] or an image ID.")
    var image: String

    @Argument(parsing: .captureForPassthrough, help: "The command and its arguments (default: the image's).")
    var command: [String] = []

    func run(in layout: StoreLayout) throws(SwiftrunError) -> Int32 {
        if autoRemoveOneDash {
            printError("swiftrun: note: the flag is spelled --rm (two dashes); treating -rm as --rm")
        }
        var options = RunOptions(image: image)
        options.command = command
        options.autoRemove = autoRemove || autoRemoveOneDash
        options.name = name
        options.environment = try EnvironmentFile.read(envFiles) + environment
        options.workingDirectory = workingDirectory
        options.hostname = hostname
        options.network = try networkFlags.request()
        options.publishAll = networkFlags.publishAll
        options.user = user
        options.entrypoint = entrypoint
        options.capAdd = capAdd
        options.capDrop = capDrop
        options.privileged = privileged
        options.securityOptions = securityOptions
        options.readOnly = readOnly
        options.tmpfs = tmpfs
        options.volumes = volumes
        options.devices = devices
        options.ulimits = ulimit
        options.initProcess = initProcess
        options.explain = explain
        options.memory = memory
        options.memorySwap = memorySwap
        options.memoryReservation = memoryReservation
        options.cpus = cpus
        options.cpuShares = cpuShares
        options.cpusetCpus = cpusetCpus
        options.pidsLimit = pidsLimit
        options.detach = detach
        options.interactive = interactive
        options.tty = tty
        if tty && interactive && !detach && isatty(0) == 0 {
            printError("the input device is not a TTY")
            return 1
        }
        options.restart = try restart.map { (text) throws(SwiftrunError) in try RestartPolicy(parsing: text) } ?? .never
        options.log = try LogConfig(driver: logDriver, options: logOptions)
        if let stopSignal { _ = try SignalName.parse(stopSignal) }
        options.stopSignal = stopSignal
        options.stopTimeout = stopTimeout
        options.healthCommand = healthCommand
        options.healthInterval = healthInterval
        options.healthTimeout = healthTimeout
        options.healthStartPeriod = healthStartPeriod
        options.healthRetries = healthRetries
        options.noHealthcheck = noHealthcheck
        if !detach && options.restart.name != .no {
            throw .invalidArgument("--restart needs -d: a foreground container has no monitor to restart it")
        }
        let runner = ContainerRunner(layout: layout)
        if pull == .always { try pullImage(layout) }
        do {
            return try start(runner, options)
        } catch .imageNotFound where pull == .missing && (try? ImageReference(parsing: image)) != nil {
            printError("Unable to find image '\(image)' locally")
            try pullImage(layout)
            return try start(runner, options)
        }
    }

    private func start(_ runner: ContainerRunner, _ options: RunOptions) throws(SwiftrunError) -> Int32 {
        guard options.detach else { return try runner.run(options) }
        print(try runner.runDetached(options))
        return 0
    }

    /// As docker run does, the pull's progress goes to stderr: stdout is the container's.
    private func pullImage(_ layout: StoreLayout) throws(SwiftrunError) {
        let progress = PullProgress(style: PullProgress.style(for: 2, quiet: false), fd: 2)
        _ = try registry.puller(layout: layout, progress: progress).pull(try ImageReference(parsing: image))
    }

    func exitCode(for error: SwiftrunError) -> Int32 { error.runExitCode }

    /// The options that take a value, so that `--explain` is recognised
    /// only among swiftrun's flags and never in the container's command.
    static let optionsWithValues: Set<String> = Set([
        "--name", "-e", "--env", "-w", "--workdir", "-h", "--hostname", "--entrypoint", "-u", "--user",
        "--cap-add", "--cap-drop", "--security-opt", "--tmpfs", "-v", "--volume", "--device", "--ulimit",
        "-m", "--memory", "--memory-swap", "--memory-reservation", "--cpus", "-c", "--cpu-shares", "--cpuset-cpus", "--pids-limit",
        "--pull", "--platform", "--tls-verify", "--cert-dir", "--restart", "--log-driver", "--log-opt", "--stop-signal", "--stop-timeout"
    ]).union(NetworkFlags.optionsWithValues)

    /// Rewrites a bare `--explain` before the image to `--explain=text`.
    static func spellExplain(_ arguments: [String]) -> [String] {
        guard arguments.first == "run" else { return arguments }
        var result = arguments
        var index = 1
        while index < result.count {
            let argument = result[index]
            if !argument.hasPrefix("-") { break }  // the image: the container's command follows
            if argument == "--explain" { result[index] = "--explain=text" }
            index += optionsWithValues.contains(argument) ? 2 : 1
        }
        return result
    }
}
