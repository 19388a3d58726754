import CShims
import Foundation
import Testing

@testable import SwiftrunCore

/// The output of one swiftrun invocation.
struct CommandResult {
    var code: Int32
    var stdout: String
    var stderr: String
}

/// A private store (--root) in a temp dir, with the busybox sample imported,
/// and the swiftrun binary that `make test` built. Every test makes its own,
/// so tests run in parallel; deinit removes the dir.
final class Sandbox {
    static let binary =
        ProcessInfo.processInfo.environment["SWIFTRUN_BIN"]
        ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../.build/release/swiftrun").standardized.path
    static let sample =
        ProcessInfo.processInfo.environment["SWIFTRUN_SAMPLE"]
        ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../rootfs-samples/out/busybox.tar").standardized.path

    static let probeImage =
        ProcessInfo.processInfo.environment["SWIFTRUN_PROBE_IMAGE"]
        ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../rootfs-samples/out/probe.tar").standardized.path

    let root: String

    /// The escape tests' image (Tests/probe/build.sh) as "probe".
    func importProbe() throws {
        let result = run(["import", Sandbox.probeImage, "probe"])
        try #require(result.code == 0, "import of the probe image failed: \(result.stderr)")
    }

    init(importBusybox: Bool = true) throws {
        var template = Array("/tmp/swiftrun-test-XXXXXX".utf8CString)
        guard let dir = mkdtemp(&template) else { throw POSIXError(.init(rawValue: errno)!) }
        root = String(cString: dir)
        if importBusybox {
            let result = run(["import", Sandbox.sample, "busybox"])
            try #require(result.code == 0, "import failed: \(result.stderr)")
        }
    }

    /// Removes every container through swiftrun itself (so cgroups and
    /// state outside the temp dir go too), then the dir.
    deinit {
        removeContainers()
        waitForRemovers()
        // swiftrun's own removal: FileManager gives up on a tree deeper
        // than PATH_MAX, which some tests make.
        try? FileSystem.removeTree(root)
    }

    func removeContainers() {
        let ids = run(["ps", "-a", "-q"]).stdout.split(separator: "\n").map(String.init)
        if !ids.isEmpty { run(["rm", "-f"] + ids) }
    }

    /// Removes networks a test made, for its defer. Networks are the
    /// host's, shared by every root, so the sandbox's end does not remove
    /// them; and one a container still uses stays, so this sandbox's
    /// containers go first: a test that fails part-way leaves no bridge.
    func removeNetworks(_ names: [String]) {
        removeContainers()
        run(["network", "rm"] + names)
    }

    /// Runs `swiftrun --root ROOT ARGS...` to completion.
    @discardableResult
    func run(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:]) -> CommandResult {
        start(arguments, stdin: stdin, environment: environment).finish()
    }

    /// Runs with `stdin` as the command's standard input (a terminal, say).
    func run(_ arguments: [String], stdin: FileHandle) -> CommandResult {
        RunningCommand(arguments: ["--root", root] + arguments, stdin: stdin).finish()
    }

    /// Runs to completion, or kills swiftrun after `seconds` and returns
    /// nil: for commands that used to hang (a FIFO where a file should be).
    func run(_ arguments: [String], within seconds: Int32) -> CommandResult? {
        let command = start(arguments)
        guard waitForExit(of: command.process.processIdentifier, timeout: seconds * 1000) else {
            command.signal(SIGKILL)
            command.waitForSwiftrun()
            return nil
        }
        return command.finish()
    }

    func start(_ arguments: [String], stdin: String? = nil, keepStdinOpen: Bool = false, environment: [String: String] = [:]) -> RunningCommand {
        RunningCommand(arguments: ["--root", root] + arguments, stdin: stdin, keepStdinOpen: keepStdinOpen, environment: environment)
    }

    /// Every path in the store with its type, mode and content, to prove a
    /// command left the store byte-for-byte as it found it. The seccomp
    /// cache is left out: it is shared by all containers, keyed by profile
    /// and capabilities, and the first run of each kind writes it once.
    func snapshot() throws -> [String: String] {
        waitForRemovers()
        var entries: [String: String] = [:]
        // Whole contents, not hashValue: Data's hash reads only a prefix.
        let enumerator = FileManager.default.enumerator(atPath: root)!
        while let path = enumerator.nextObject() as? String {
            // Caches made once and kept: compiled filters, images' init layers.
            if path == "seccomp" || path.hasPrefix("seccomp/") || path == "init" || path.hasPrefix("init/") { continue }
            let full = root + "/" + path
            var info = stat()
            try #require(lstat(full, &info) == 0)
            var description = "mode=\(String(info.st_mode, radix: 8)) uid=\(info.st_uid) size=\(info.st_size)"
            if info.st_mode & S_IFMT == S_IFREG {
                description += " content=" + FileManager.default.contents(atPath: full)!.base64EncodedString()
            } else if info.st_mode & S_IFMT == S_IFLNK {
                description += " -> " + (try FileManager.default.destinationOfSymbolicLink(atPath: full))
            }
            entries[path] = description
        }
        return entries
    }

    /// Waits until no process removes a --rm container's files (Trash):
    /// each holds a lock on its trash entry until the entry is gone.
    func waitForRemovers() {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: root + "/trash")) ?? [] {
            let fd = open(root + "/trash/" + name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard fd >= 0 else { continue }
            flock(fd, LOCK_EX)
            close(fd)
        }
    }

    /// The container pid 1's host pid, from `inspect`.
    func containerPID(_ name: String) throws -> pid_t {
        let state = try inspect(name)["State"] as! [String: Any]
        return pid_t(state["Pid"] as! Int)
    }

    func containerID(_ name: String) throws -> String {
        try inspect(name)["Id"] as! String
    }

    private func inspect(_ name: String) throws -> [String: Any] {
        let result = run(["inspect", name])
        try #require(result.code == 0, "inspect failed: \(result.stderr)")
        let documents = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [[String: Any]]
        return documents[0]
    }

    /// Whether any of the container's cgroups (outside the store) exists.
    static func cgroupExists(_ id: String) -> Bool {
        ContainerCgroup.directories(id: id, mode: .host).contains { FileManager.default.fileExists(atPath: $0) }
    }
}

/// A swiftrun process under the test's control: read its output line by
/// line, signal it, wait for it.
final class RunningCommand {
    let process: Process
    private let stdoutPipe: Pipe
    private let stderrPipe: Pipe
    private var buffered = Data()
    /// From launch, not from finish: a test blocked in readLine on a
    /// command that hangs before its line is freed by the kill too.
    private var watchdog: Watchdog?

    /// With `stdin` nil and `keepStdinOpen`, the test writes to the
    /// command's stdin later (writeToStdin).
    init(arguments: [String], stdin: String?, keepStdinOpen: Bool = false, environment: [String: String] = [:]) {
        let made: Pipe?
        (process, stdoutPipe, stderrPipe, made) = Self.launch(arguments, stdin: nil, environment: environment)
        let input = made!
        watch(arguments)
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        if !keepStdinOpen { try? input.fileHandleForWriting.close() }
    }

    init(arguments: [String], stdin: FileHandle) {
        (process, stdoutPipe, stderrPipe, _) = Self.launch(arguments, stdin: stdin)
        watch(arguments)
    }

    /// Starts swiftrun with new pipes for its stdout and stderr, and for
    /// its stdin unless one is given, through `start(_:wiring:)`.
    private static func launch(_ arguments: [String], stdin: FileHandle?, environment: [String: String] = [:]) -> (Process, Pipe, Pipe, Pipe?) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Sandbox.binary)
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let (out, err, input) = try! start(process) {
            let out = Pipe(), err = Pipe(), input = stdin == nil ? Pipe() : nil
            process.standardOutput = out
            process.standardError = err
            if let stdin { process.standardInput = stdin } else { process.standardInput = input }
            return (out, err, input)
        }
        return (process, out, err, input)
    }

    private func watch(_ arguments: [String]) {
        watchdog = Watchdog(pid: process.processIdentifier, ["swiftrun"] + arguments) { [process] in process.isRunning }
    }

    var pid: pid_t { process.processIdentifier }

    /// Blocks until the container prints a whole line: the synchronisation
    /// point for tests that act while a container runs.
    func readLine() -> String? {
        while true {
            if let newline = buffered.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffered[buffered.startIndex..<newline], as: UTF8.self)
                buffered.removeSubrange(buffered.startIndex...newline)
                return line
            }
            let chunk = stdoutPipe.fileHandleForReading.availableData
            if chunk.isEmpty { return nil }
            buffered.append(chunk)
        }
    }

    /// What swiftrun has written to stderr so far (blocks until there is some).
    func availableStderr() -> String {
        String(decoding: stderrPipe.fileHandleForReading.availableData, as: UTF8.self)
    }

    func writeToStdin(_ text: String) {
        (process.standardInput as? Pipe)?.fileHandleForWriting.write(Data(text.utf8))
    }

    func signal(_ signal: Int32) {
        kill(process.processIdentifier, signal)
    }

    /// Waits for swiftrun itself, without reading its output to EOF: when a
    /// test kills swiftrun, a surviving container would hold the pipe open.
    @discardableResult
    func waitForSwiftrun() -> Int32 {
        process.waitUntilExit()
        return process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
    }

    func finish() -> CommandResult {
        let out = stdoutPipe.fileHandleForReading.readDataToEndOfFile()
        let err = stderrPipe.fileHandleForReading.readDataToEndOfFile()
        let code = waitForSwiftrun()
        #expect(watchdog?.fired != true, "swiftrun \(process.arguments ?? []) was still running after \(Watchdog.seconds) s: killed")
        return CommandResult(code: code, stdout: String(decoding: buffered + out, as: UTF8.self), stderr: String(decoding: err, as: UTF8.self))
    }
}

/// The one way the tests start a process with Foundation (`make lint`
/// refuses a `.run()` anywhere else): `wiring` makes the pipes it hands
/// the process, and returns them, under a lock that every such start
/// holds. Foundation closes the parent's other fds in the child by listing
/// the open ones first, so a pipe another thread made between that list
/// and the spawn was inherited, and its write end held open by a child
/// that could outlive the test (a registry, a server): the test reading
/// that pipe to EOF then waited for a process that was not its own, and
/// Foundation, which learns of an exit by a socket it hands each child,
/// learned of exits late the same way.
func start<Wired>(_ process: Process, wiring: () -> Wired) throws -> Wired {
    try spawning.withLock {
        let wired = wiring()
        try process.run()
        return wired
    }
}

private let spawning = NSLock()

/// Starts `process` with one new pipe for both its stdout and its stderr,
/// and returns the pipe.
func startWithOnePipe(_ process: Process) throws -> Pipe {
    try start(process) {
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        return output
    }
}

/// Waits for a process that is not our child to exit, via a pidfd: an
/// event, not a sleep. Returns false if it is still alive after `timeout`.
func waitForExit(of pid: pid_t, timeout milliseconds: Int32 = 10_000) -> Bool {
    let fd = sr_pidfd_open(pid)
    if fd < 0 { return errno == ESRCH }
    defer { close(fd) }
    return waitForExit(pidfd: fd, timeout: milliseconds)
}

/// The same for a process pinned by a pidfd, which no recycled pid can fool.
func waitForExit(pidfd: Int32, timeout milliseconds: Int32 = 10_000) -> Bool {
    var poller = pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)
    return poll(&poller, 1, milliseconds) == 1
}

/// What each of a process's fds is open on, as /proc/PID/fd's links name it.
func openFiles(of pid: pid_t) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").map {
        try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\($0)")
    }
}

func processExists(_ pid: pid_t) -> Bool {
    kill(pid, 0) == 0 || errno != ESRCH
}

/// Whether `condition` comes true within 10 seconds, looked at every 10
/// ms: for what the kernel does in its own time and tells nobody (a
/// reaped zombie, a thawed process that the scheduler has yet to run).
func eventually(_ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(10)
    while Date() < deadline {
        if condition() { return true }
        usleep(10_000)
    }
    return condition()
}

/// Runs another tool (umoci, skopeo, podman, python3) to completion; its
/// failure fails the test with what it printed.
@discardableResult
func tool(_ arguments: [String], environment: [String: String] = [:]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    if !environment.isEmpty {
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    }
    let output = try startWithOnePipe(process)
    let watchdog = Watchdog(pid: process.processIdentifier, arguments) { process.isRunning }
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    try #require(!watchdog.fired, "\(arguments.joined(separator: " ")) was still running after \(Watchdog.seconds) s: killed. It printed: \(text)")
    try #require(process.terminationStatus == 0, "\(arguments.joined(separator: " ")) failed: \(text)")
    return text
}

/// A program run with posix_spawn and waited for with waitpid: its exit
/// status, its stdout as a pipe to read (`output`) and its stderr. For
/// programs that leave something running with their fds (`swiftrun
/// create`'s container, podman's conmon): Foundation's Process on Linux
/// learns of an exit when an fd it hands the child closes, and such a
/// survivor holds that fd.
struct Spawned {
    let status: Int32
    let output: FileHandle
    let stderr: String

    static func run(_ arguments: [String], directory: String, environment: [String: String] = [:]) throws -> Spawned {
        var fds: [Int32] = [-1, -1]
        try #require(sr_pipe_cloexec(&fds) == 0)
        let errors = directory + "/stderr-\(UUID().uuidString)"
        defer { unlink(errors) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_addopen(&actions, 2, errors, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        // What survives the program (a container, conmon) keeps nothing of
        // the bundle's: another test's pipe held open would hold its reader.
        sr_spawn_close_from(&actions, 3)
        let argv = arguments.map { strdup($0) } + [nil]
        let env = ProcessInfo.processInfo.environment.merging(environment) { $1 }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + env).forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, arguments[0], &actions, nil, argv, env)
        close(fds[1])
        guard spawned == 0 else {
            close(fds[0])
            throw POSIXError(.init(rawValue: spawned)!)
        }
        let watchdog = Watchdog(pid: pid, arguments)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let stderr = (try? String(contentsOfFile: errors, encoding: .utf8)) ?? ""
        try #require(!watchdog.fired, "\(arguments.joined(separator: " ")) was still running after \(Watchdog.seconds) s: killed")
        let code = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return Spawned(status: code, output: FileHandle(fileDescriptor: fds[0], closeOnDealloc: true), stderr: stderr)
    }
}
