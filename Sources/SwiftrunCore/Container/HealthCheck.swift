import CShims
import Glibc

/// A container's health check, in the image config's shape (Docker's
/// `Healthcheck`): Test is ["CMD", args...], ["CMD-SHELL", line] or
/// ["NONE"]; durations in nanoseconds; zero or absent means the default.
public struct HealthConfig: Codable, Sendable, Equatable {
    public var Test: [String]?
    public var Interval: Int64?
    public var Timeout: Int64?
    public var StartPeriod: Int64?
    public var Retries: Int?

    /// The command to exec, nil when the check is off.
    var command: [String]? {
        guard let test = Test, let kind = test.first else { return nil }
        switch kind {
        case "CMD" where test.count > 1: return Array(test.dropFirst())
        case "CMD-SHELL" where test.count > 1: return ["/bin/sh", "-c", test[1]]
        default: return nil
        }
    }

    /// Docker's defaults: every 30 s, 30 s to answer, 3 failures in a row.
    var intervalMilliseconds: Int64 { Self.milliseconds(Interval, default: 30_000) }
    var timeoutMilliseconds: Int64 { Self.milliseconds(Timeout, default: 30_000) }
    var startPeriodMilliseconds: Int64 { Self.milliseconds(StartPeriod, default: 0) }
    var retries: Int { Retries.flatMap { $0 > 0 ? $0 : nil } ?? 3 }

    private static func milliseconds(_ nanoseconds: Int64?, default value: Int64) -> Int64 {
        guard let nanoseconds, nanoseconds > 0 else { return value }
        return max(1, nanoseconds / 1_000_000)
    }

    /// The image's check with run's --health-* flags on top; nil when
    /// there is none or it is off (NONE, --no-healthcheck).
    static func resolve(image: HealthConfig?, options: RunOptions) throws(SwiftrunError) -> HealthConfig? {
        if options.noHealthcheck { return nil }
        var config = image ?? HealthConfig()
        if let command = options.healthCommand { config.Test = ["CMD-SHELL", command] }
        if let text = options.healthInterval { config.Interval = try GoDuration.nanoseconds(text, flag: "--health-interval") }
        if let text = options.healthTimeout { config.Timeout = try GoDuration.nanoseconds(text, flag: "--health-timeout") }
        if let text = options.healthStartPeriod { config.StartPeriod = try GoDuration.nanoseconds(text, flag: "--health-start-period") }
        if let retries = options.healthRetries { config.Retries = retries }
        return config.command == nil ? nil : config
    }
}

/// What `inspect` shows as State.Health.
public struct HealthState: Codable, Sendable, Equatable {
    public var Status = "starting"
    public var FailingStreak = 0
    public var Log: [Result] = []

    public struct Result: Codable, Sendable, Equatable {
        public var Start: String
        public var End: String
        public var ExitCode: Int
        public var Output: String
    }
}

/// One health check, run by `swiftrun __health-check ID`, which a detached
/// container's monitor starts every interval (CShims/monitor.c). The
/// command runs through exec, behind the container's walls; its output
/// (the first 4 KiB, as Docker keeps) goes into the state, with the last
/// five results. A check that outlives its timeout is killed and fails.
public struct ContainerHealth {
    let layout: StoreLayout

    public init(layout: StoreLayout) { self.layout = layout }

    /// The last results, nil for a container without a health check.
    public func state(of container: ContainerState) -> HealthState? {
        guard container.health != nil else { return nil }
        let path = ContainerStore(layout: layout).healthPath(container.id)
        return (try? JSON.decode(HealthState.self, from: FileSystem.readFile(path), path: path)) ?? HealthState()
    }

    static let outputLimit = 4096
    static let logLength = 5

    public func check(_ id: String) throws(SwiftrunError) {
        let containers = ContainerStore(layout: layout)
        let state = try containers.state(id)
        guard let config = state.health, let command = config.command, state.isActive else { return }
        let started = JSON.timestamp()
        let (code, output) = try run(command, in: id, timeout: config.timeoutMilliseconds)
        var health = self.state(of: state) ?? HealthState()
        health.Log.append(.init(Start: started, End: JSON.timestamp(), ExitCode: code, Output: output))
        health.Log = Array(health.Log.suffix(Self.logLength))
        if code == 0 {
            health.Status = "healthy"
            health.FailingStreak = 0
        } else {
            // Failures while the container is starting up do not count.
            let ranFor = state.started.flatMap(JSON.seconds).map { (JSON.now() - $0) * 1000 } ?? .infinity
            if ranFor >= Double(config.startPeriodMilliseconds) || health.Status != "starting" {
                health.FailingStreak += 1
                if health.FailingStreak >= config.retries { health.Status = "unhealthy" }
            }
        }
        try FileSystem.writeAtomically(try JSON.encode(health), to: containers.healthPath(id), durable: false)
    }

    /// The check's exit code and output; -1 when it timed out or could not start.
    private func run(_ command: [String], in id: String, timeout: Int64) throws(SwiftrunError) -> (Int, String) {
        let output = try Syscall.check("memfd for the health check's output") { sr_memfd_create("health-output") }
        defer { close(output) }
        for fd in Int32(1)...2 { dup2(output, fd) }
        let process: ContainerProcess
        do {
            process = try ContainerExec(layout: layout).start(id, ExecOptions(command: command))
        } catch {
            return (-1, "\(error)")
        }
        let pidfd = try Syscall.check("pidfd_open \(process.pid)") { sr_pidfd_open(process.pid) }
        defer { close(pidfd) }
        var poller = pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)
        let exited = poll(&poller, 1, Int32(clamping: timeout)) == 1
        if !exited { _ = sr_pidfd_send_signal(pidfd, SIGKILL) }
        var status: Int32 = 0
        while waitpid(process.pid, &status, 0) < 0 && errno == EINTR {}
        guard exited else { return (-1, "Health check exceeded timeout (\(Double(timeout) / 1000)s)") }
        var bytes = [UInt8](repeating: 0, count: Self.outputLimit)
        let count = max(0, pread(output, &bytes, bytes.count, 0))
        return (Int(ExitStatus(waitStatus: status).code), String(decoding: bytes[..<count], as: UTF8.self))
    }
}
