/// What the user asked of `run`, before it meets the image: Docker's
/// flags, as strings, validated when the spec is built.
public struct RunOptions: Sendable {
    public var image: String
    public var command: [String] = []
    /// --entrypoint: replaces the image's Entrypoint, and then its Cmd is
    /// not used either (Docker's rule); "" clears it.
    public var entrypoint: String?
    public var name: String?
    public var autoRemove = false
    public var environment: [String] = []
    public var workingDirectory: String?
    public var hostname: String?
    /// --network, -p, --ip, --dns and the rest (Network/NetworkRequest.swift).
    public var network = NetworkRequest()
    /// -P: every port the image EXPOSEs, each to a host port of the kernel's choice.
    public var publishAll = false
    /// -l KEY=VALUE: over the image's labels, as Docker merges them.
    public var labels: [String: String] = [:]
    /// -u: "uid[:gid]" or "name[:group]".
    public var user: String?
    public var capAdd: [String] = []
    public var capDrop: [String] = []
    public var privileged = false
    /// --security-opt: "seccomp=unconfined|FILE", "no-new-privileges".
    public var securityOptions: [String] = []
    public var readOnly = false
    /// --tmpfs: "PATH[:OPTIONS]".
    public var tmpfs: [String] = []
    /// -v: "HOST:CTR[:ro|rw]".
    public var volumes: [String] = []
    /// --device: "HOST[:CTR][:rwm]".
    public var devices: [String] = []
    /// --ulimit: "NAME=SOFT[:HARD]".
    public var ulimits: [String] = []
    /// --init: a reaper as pid 1.
    public var initProcess = false
    /// Resource limits, as Docker spells them: --memory 64m, --memory-swap,
    /// --memory-reservation, --cpus 0.5, --cpu-shares, --cpuset-cpus, --pids-limit.
    public var memory: String?
    public var memorySwap: String?
    public var memoryReservation: String?
    public var cpus: String?
    public var cpuShares: String?
    public var cpusetCpus: String?
    public var pidsLimit: String?
    /// --explain: narrate every isolation step on stderr.
    public var explain: Narrator.Format?

    /// -i: our stdin goes to the container (without it, /dev/null does);
    /// -t: the container gets a pty of its own devpts.
    public var interactive = false
    /// StdinOnce: no flag of the CLI's; the API's create sets it.
    public var stdinOnce = false
    /// Paths declared as volumes, as an image's VOLUMEs are (the API's
    /// Config.Volumes): each gets an anonymous volume unless -v or --tmpfs
    /// mounts there.
    public var declaredVolumes: [String] = []
    public var tty = false

    /// -d: hand the container to a monitor and return its id.
    public var detach = false
    public var restart = RestartPolicy.never
    public var log = LogConfig()
    /// --stop-signal and --stop-timeout; nil: the image's StopSignal, 10 s.
    public var stopSignal: String?
    public var stopTimeout: Int?
    /// --health-cmd and friends, over the image's HEALTHCHECK.
    public var healthCommand: String?
    public var healthInterval: String?
    public var healthTimeout: String?
    public var healthStartPeriod: String?
    public var healthRetries: Int?
    public var noHealthcheck = false

    public init(image: String) { self.image = image }

    /// -l KEY=VALUE, or KEY alone for an empty value (Docker's parse).
    public static func label(_ text: String) -> (String, String) {
        let pair = text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        return (pair[0], pair.count == 2 ? pair[1] : "")
    }
}
