import SwiftrunCore

/// The flags `run` and `create` share: everything that describes a
/// container, Docker's spelling for each.
struct ContainerFlags: ParsableArguments {
    @Flag("--rm", help: "Remove the container when it exits.")
    var autoRemove = false

    @Option("--name", help: "Name the container.")
    var name: String?

    @Option("-e", "--env", help: "Set an environment variable (KEY=VALUE, or KEY to pass the host's).")
    var environment: [String] = []

    @Option("--env-file", help: "Read environment variables from a file (KEY=VALUE or KEY lines).")
    var envFiles: [String] = []

    @Option("-l", "--label", help: "Set a label: KEY=VALUE (or KEY, empty).")
    var labels: [String] = []

    @Option("-w", "--workdir", help: "Working directory inside the container.")
    var workingDirectory: String?

    @Option("-h", "--hostname", help: "Container hostname (default: the short id).")
    var hostname: String?

    @OptionGroup var networkFlags: NetworkFlags

    @Option("--entrypoint", help: "Replace the image's entrypoint (\"\" clears it).")
    var entrypoint: String?

    @Option("-u", "--user", help: "User to run as: NAME|UID[:GROUP|GID], resolved in the image.")
    var user: String?

    @Option("--cap-add", help: "Add a Linux capability (or ALL).")
    var capAdd: [String] = []

    @Option("--cap-drop", help: "Drop a Linux capability (or ALL).")
    var capDrop: [String] = []

    @Flag("--privileged", help: "All capabilities, no seccomp, no masked paths, the host's devices.")
    var privileged = false

    @Option("--security-opt", help: "seccomp=unconfined|PROFILE.json, no-new-privileges.")
    var securityOptions: [String] = []

    @Flag("--read-only", help: "Mount the container's root filesystem read-only.")
    var readOnly = false

    @Option("--tmpfs", help: "Mount a tmpfs: PATH[:OPTIONS].")
    var tmpfs: [String] = []

    @Option("-v", "--volume", help: "Bind mount: HOST:CONTAINER[:ro].")
    var volumes: [String] = []

    @Option("--device", help: "Add a host device: HOST[:CONTAINER][:rwm].")
    var devices: [String] = []

    @Option("--ulimit", help: "Resource limit: NAME=SOFT[:HARD] (nofile, nproc, ...).")
    var ulimit: [String] = []

    @Flag("--init", help: "Run a reaper as pid 1 that forwards signals and reaps zombies.")
    var initProcess = false

    @Option("-m", "--memory", help: "Memory limit: 64m, 1g, ...")
    var memory: String?

    @Option("--memory-swap", help: "Memory plus swap limit (-1: unlimited swap).")
    var memorySwap: String?

    @Option("--memory-reservation", help: "Soft memory limit.")
    var memoryReservation: String?

    @Option("--cpus", help: "CPUs the container may use, as a fraction: 0.5, 1.5.")
    var cpus: String?

    @Option("-c", "--cpu-shares", help: "Relative CPU weight (2-262144; 1024 is the default).")
    var cpuShares: String?

    @Option("--cpuset-cpus", help: "CPUs the container may run on: 0-1, 0,2.")
    var cpusetCpus: String?

    @Option("--pids-limit", help: "Most processes the container may have (-1: unlimited).")
    var pidsLimit: String?

    @Flag("-i", "--interactive", help: "Keep stdin open: the container reads ours.")
    var interactive = false

    @Flag("-t", "--tty", help: "Give the container a terminal (a pty of its own).")
    var tty = false

    @Option("--restart", help: "Restart policy: no, on-failure[:max-retries], always or unless-stopped.")
    var restart: String?

    @Option("--log-driver", help: "json-file (default) or none.")
    var logDriver: String?

    @Option("--log-opt", help: "json-file options: max-size=SIZE, max-file=N.")
    var logOptions: [String] = []

    @Option("--stop-signal", help: "Signal to stop the container (default: the image's, or SIGTERM).")
    var stopSignal: String?

    @Option("--stop-timeout", help: "Seconds to wait for the stop signal before SIGKILL (default 10).")
    var stopTimeout: Int?

    @Option("--health-cmd", help: "Command to run to check health (through /bin/sh -c).")
    var healthCommand: String?

    @Option("--health-interval", help: "Time between health checks (default 30s).")
    var healthInterval: String?

    @Option("--health-timeout", help: "Longest a health check may run (default 30s).")
    var healthTimeout: String?

    @Option("--health-start-period", help: "Failures in this first period do not count (default 0s).")
    var healthStartPeriod: String?

    @Option("--health-retries", help: "Failures in a row before unhealthy (default 3).")
    var healthRetries: Int?

    @Flag("--no-healthcheck", help: "Disable the image's HEALTHCHECK.")
    var noHealthcheck = false

    @Option("--pull", help: "When to pull the image: missing (default), always or never.")
    var pull: PullPolicy = .missing

    @OptionGroup var registry: RegistryFlags

    @Argument("image", help: "The image: NAME[:TAG][@DIGEST] or an image ID.")
    var image: String

    @Argument("command", passesThrough: true, help: "The command and its arguments (default: the image's).")
    var command: [String] = []

    /// The container these flags describe, as RunOptions. `tty` with
    /// `interactive` needs a terminal only in the foreground; the caller checks.
    func options(autoRemove extraAutoRemove: Bool = false) throws(SwiftrunError) -> RunOptions {
        var options = RunOptions(image: image)
        options.command = command
        options.autoRemove = autoRemove || extraAutoRemove
        options.name = name
        options.environment = try EnvironmentFile.read(envFiles) + environment
        options.labels = Dictionary(labels.map(RunOptions.label), uniquingKeysWith: { $1 })
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
        options.memory = memory
        options.memorySwap = memorySwap
        options.memoryReservation = memoryReservation
        options.cpus = cpus
        options.cpuShares = cpuShares
        options.cpusetCpus = cpusetCpus
        options.pidsLimit = pidsLimit
        options.interactive = interactive
        options.tty = tty
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
        return options
    }

    /// Runs `body`, pulling the image first (`--pull always`) or when it is
    /// missing (`--pull missing`, the default), as docker run and create do.
    func withImage<T>(_ layout: StoreLayout, _ body: () throws(SwiftrunError) -> T) throws(SwiftrunError) -> T {
        if pull == .always { try pullImage(layout) }
        do {
            return try body()
        } catch .imageNotFound where pull == .missing && (try? ImageReference(parsing: image)) != nil {
            printError("Unable to find image '\(image)' locally")
            try pullImage(layout)
            return try body()
        }
    }

    /// As docker run does, the pull's progress goes to stderr: stdout is the container's.
    private func pullImage(_ layout: StoreLayout) throws(SwiftrunError) {
        let progress = PullProgress(style: PullProgress.style(for: 2, quiet: false), fd: 2)
        _ = try registry.puller(layout: layout, progress: progress).pull(try ImageReference(parsing: image))
    }
}
