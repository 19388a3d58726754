import CShims
import Foundation
import Testing

/// `exec` into running containers, and `-i`/`-t` through real ptys
/// (issue 12): a new process behind the same walls as pid 1.
@Suite struct ExecTests {
    let sandbox: Sandbox

    init() throws { sandbox = try Sandbox() }

    static let ptySession = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../scripts/pty-session.py").standardized.path

    func startSleeper(_ name: String, _ flags: [String] = []) throws -> pid_t {
        let started = sandbox.run(["run", "-d", "--name", name] + flags + ["busybox", "sleep", "300"])
        try #require(started.code == 0, "\(started.stderr)")
        return try sandbox.containerPID(name)
    }

    func hostStatus(_ pid: pid_t, _ field: String) throws -> String {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        return try #require(status.split(separator: "\n").first { $0.hasPrefix(field + ":") }).split(separator: "\t").last.map(String.init) ?? ""
    }

    @Test func aServiceAnswersFromInsideItsContainer() {
        // httpd without -f binds its port, then goes to the background: "ready" follows the bind.
        #expect(
            sandbox.run([
                "run", "-d", "--name", "web", "busybox", "sh", "-c",
                "mkdir /www && echo hello > /www/index.html && httpd -p 8080 -h /www && echo ready && exec sleep 300"
            ]).code == 0)
        let logs = sandbox.start(["logs", "-f", "web"])
        #expect(logs.readLine() == "ready")
        let page = sandbox.run(["exec", "web", "wget", "-qO-", "http://127.0.0.1:8080/"])
        #expect(page.stdout == "hello\n", "\(page.stderr)")
        #expect(sandbox.run(["stop", "-t", "1", "web"]).code == 0)
        #expect(logs.finish().code == 0)
    }

    @Test func execHasTheContainersNamespacesCgroupsAndWalls() throws {
        let pid = try startSleeper("walls", ["--memory", "64m"])
        let kinds = ["pid", "mnt", "uts", "ipc", "net", "cgroup"]
        let inside = sandbox.run(["exec", "walls", "sh", "-c", kinds.map { "readlink /proc/self/ns/\($0)" }.joined(separator: ";")])
        let host = try kinds.map { try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/\($0)") }
        #expect(inside.stdout == host.map { $0 + "\n" }.joined(), "\(inside.stderr)")
        // It sees the container's processes, pid 1 first, and nothing of the host's.
        let processes = sandbox.run(["exec", "walls", "ps", "-o", "pid,comm"]).stdout.split(separator: "\n").dropFirst()
        #expect(processes.first?.split(separator: " ").map(String.init) == ["1", "sleep"], "\(processes)")
        #expect(processes.count == 2)
        // In the container's cgroup (its memory limit holds for it too).
        let cgroups = sandbox.run(["exec", "walls", "cat", "/proc/self/cgroup", "/proc/1/cgroup"]).stdout.split(separator: "\n")
        #expect(cgroups.count == 2 * (try String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8)).split(separator: "\n").count)
        #expect(Array(cgroups[..<(cgroups.count / 2)]) == Array(cgroups[(cgroups.count / 2)...]), "\(cgroups)")
        #expect(!cgroups.contains { $0.contains("/..") }, "outside the container's cgroup namespace: \(cgroups)")
        let status = sandbox.run(["exec", "walls", "cat", "/proc/self/status"]).stdout
        func field(_ name: String) -> String? {
            status.split(separator: "\n").first { $0.hasPrefix(name + ":") }?.split(separator: "\t").last.map(String.init)
        }
        #expect(field("CapEff") == (try hostStatus(pid, "CapEff")))
        #expect(field("CapBnd") == (try hostStatus(pid, "CapBnd")))
        #expect(field("Seccomp") == "2")
        // --privileged: every capability swiftrun holds (this host withholds CAP_SYS_RESOURCE).
        let privileged = sandbox.run(["exec", "--privileged", "walls", "grep", "CapEff", "/proc/self/status"]).stdout
        #expect(privileged == "CapEff:\t" + (try hostStatus(getpid(), "CapEff")) + "\n")
    }

    @Test func execKeepsNoNewPrivsAndTheRlimits() throws {
        _ = try startSleeper("limited", ["--security-opt", "no-new-privileges", "--ulimit", "nofile=100:200"])
        #expect(sandbox.run(["exec", "limited", "grep", "NoNewPrivs", "/proc/self/status"]).stdout == "NoNewPrivs:\t1\n")
        let limits = sandbox.run(["exec", "limited", "grep", "Max open files", "/proc/self/limits"]).stdout
        #expect(limits.range(of: #"^Max open files +100 +200 "#, options: .regularExpression) != nil, "\(limits)")
    }

    /// In exec the container's root owns /dev: a /dev/ptmx it planted is
    /// refused with a clear error, never used as the terminal.
    @Test func aPlantedPtmxIsRefused() throws {
        _ = try startSleeper("planted")
        #expect(sandbox.run(["exec", "planted", "sh", "-c", "rm /dev/ptmx && mkfifo /dev/ptmx"]).code == 0)
        let result = try #require(sandbox.run(["exec", "-t", "planted", "true"], within: 20), "exec -t hung on the fifo")
        #expect(result.code == 126)
        #expect(result.stderr == "swiftrun: open pty: Inappropriate ioctl for device\n")
    }

    @Test func execHoldsNoFdOfTheHost() throws {
        _ = try startSleeper("fds")
        // 0-2 and ls's own handle on the directory; the cwd and root are the container's.
        #expect(sandbox.run(["exec", "fds", "ls", "/proc/self/fd"]).stdout == "0\n1\n2\n3\n")
        #expect(sandbox.run(["exec", "-w", "/tmp", "fds", "sh", "-c", "readlink /proc/self/cwd; readlink /proc/self/root"]).stdout == "/tmp\n/\n")
        // Without -i, stdin is /dev/null, not ours.
        #expect(sandbox.run(["exec", "fds", "readlink", "/proc/self/fd/0"]).stdout == "/dev/null\n")
        #expect(sandbox.run(["exec", "-i", "fds", "cat"], stdin: "typed\n").stdout == "typed\n")
    }

    @Test func execRunsAsTheUserAndInTheDirectoryAsked() throws {
        _ = try startSleeper("who")
        #expect(sandbox.run(["exec", "-u", "1000", "who", "id", "-u"]).stdout == "1000\n")
        #expect(
            sandbox.run(["exec", "-u", "nobody", "-w", "/tmp", "-e", "GREETING=hi", "who", "sh", "-c", "id -un; pwd; echo $GREETING $HOME"]).stdout
                == "nobody\n/tmp\nhi /nonexistent\n")
        #expect(sandbox.run(["exec", "who", "sh", "-c", "exit 3"]).code == 3)
    }

    @Test func envFilesFeedRunAndExec() throws {
        let file = sandbox.root + "/app.env"
        try "# settings\nGREETING=hello world\n\nEMPTY=\nFROM_HOST\n".write(toFile: file, atomically: false, encoding: .utf8)
        let script = "echo \"$GREETING|$EMPTY|$FROM_HOST\""
        let run = sandbox.run(["run", "--rm", "--env-file", file, "busybox", "sh", "-c", script], environment: ["FROM_HOST": "passed"])
        #expect(run.stdout == "hello world||passed\n", "\(run.stderr)")
        _ = try startSleeper("envs")
        #expect(sandbox.run(["exec", "--env-file", file, "-e", "GREETING=override", "envs", "sh", "-c", script]).stdout == "override||\n")
    }

    @Test func execFailuresUseDockersCodes() throws {
        _ = try startSleeper("codes")
        let missing = sandbox.run(["exec", "codes", "no-such-command"])
        #expect(missing.code == 126)
        #expect(missing.stderr == "swiftrun: exec: \"no-such-command\": executable file not found in $PATH\n")
        let noDir = sandbox.run(["exec", "-w", "/no/such/dir", "codes", "pwd"])
        #expect(noDir.code == 126)
        #expect(noDir.stderr.hasPrefix("swiftrun: chdir /no/such/dir:"))
        #expect(sandbox.run(["exec", "-u", "nosuchuser", "codes", "true"]).code == 1)
        let id = try sandbox.containerID("codes")
        #expect(sandbox.run(["pause", "codes"]).code == 0)
        let paused = sandbox.run(["exec", "codes", "true"])
        #expect(paused.code == 1)
        #expect(paused.stderr == "swiftrun: Container \(id) is paused, unpause the container before exec\n")
        #expect(sandbox.run(["unpause", "codes"]).code == 0)
        #expect(sandbox.run(["stop", "-t", "0", "codes"]).code == 0)
        let stopped = sandbox.run(["exec", "codes", "true"])
        #expect(stopped.code == 1)
        #expect(stopped.stderr == "swiftrun: Container \(id) is not running\n")
        #expect(sandbox.run(["exec", "nobody-here", "true"]).stderr == "swiftrun: no such container: nobody-here\n")
    }

    @Test func execDetachedReturnsWhileItsCommandRuns() throws {
        _ = try startSleeper("bg")
        let started = sandbox.run(["exec", "-d", "bg", "sleep", "299"])
        #expect(started.code == 0 && started.stdout.isEmpty, "\(started.stderr)")
        #expect(sandbox.run(["exec", "bg", "ps", "-o", "args"]).stdout.contains("sleep 299"))
        // Stopping the container ends it too: it lives in pid 1's namespace.
        let id = try sandbox.containerID("bg")
        #expect(sandbox.run(["rm", "-f", "bg"]).code == 0)
        #expect(!Sandbox.cgroupExists(id))
    }

    struct PtySession: Decodable {
        var prompt, raw, first, resized, interrupted, restored, tty: Bool
        var exit: Int32
        var output: String
    }

    func session(_ arguments: [String]) throws -> PtySession {
        let json = try tool(["python3", Self.ptySession, Sandbox.binary, "--root", sandbox.root] + arguments)
        return try JSONDecoder().decode(PtySession.self, from: Data(json.utf8))
    }

    @Test(arguments: [["run", "--rm", "-it", "busybox", "sh"], ["exec", "-it", "shell", "sh"]])
    func aTerminalSessionBehavesAsAtAConsole(_ arguments: [String]) throws {
        if arguments[0] == "exec" { _ = try startSleeper("shell") }
        let result = try session(arguments)
        #expect(result.prompt && result.raw, "\(result.output)")
        #expect(result.first && result.tty, "tty and stty size: \(result.output)")
        #expect(result.resized, "SIGWINCH did not resize the pty: \(result.output)")
        #expect(result.interrupted, "Ctrl-C did not reach the container: \(result.output)")
        #expect(result.exit == 7)
        #expect(result.restored, "the caller's terminal modes were not restored")
    }

    static let attachSession = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../scripts/attach-session.py").standardized.path

    struct AttachSession: Decodable {
        var answered: Bool
        var exit: Int32?
        var output: String
    }

    @Test(arguments: [(nil, "1011"), ("ctrl-a,x", "0178")] as [(String?, String)])
    func attachThenDetachLeavesTheContainerRunning(_ detachKeys: String?, _ typed: String) throws {
        #expect(sandbox.run(["run", "-dit", "--name", "console", "busybox", "sh"]).code == 0)
        let flags = detachKeys.map { ["--detach-keys", $0] } ?? []
        let json = try tool(["python3", Self.attachSession, typed, Sandbox.binary, "--root", sandbox.root, "attach"] + flags + ["console"])
        let session = try JSONDecoder().decode(AttachSession.self, from: Data(json.utf8))
        #expect(session.answered, "\(session.output)")
        #expect(session.exit == 0, "the detach keys did not end attach: \(session.output)")
        #expect(sandbox.run(["ps", "--format", "{{.Names}}"]).stdout == "console\n")
        // What it printed while attached is in its log too.
        #expect(sandbox.run(["logs", "console"]).stdout.contains("answer-42"))
    }

    @Test func attachWithoutATerminalKeepsTheStreamsApartAndEndsWithTheContainer() throws {
        #expect(sandbox.run(["run", "-di", "--name", "piped", "busybox", "sh"]).code == 0)
        let attached = sandbox.run(["attach", "piped"], stdin: "echo out; echo err >&2; exit 4\n")
        #expect(attached.code == 4)
        #expect(attached.stdout == "out\n")
        #expect(attached.stderr == "err\n")
        #expect(sandbox.run(["attach", "piped"]).stderr == "swiftrun: You cannot attach to a stopped container, start it first\n")
    }

    @Test func startAttachedSeesTheFirstBytesAndTakesInput() {
        #expect(sandbox.run(["run", "-i", "--name", "reader", "busybox", "sh", "-c", "echo hello; read x; echo got-$x >&2; exit 5"], stdin: "1\n").code == 5)
        let again = sandbox.run(["start", "-ai", "reader"], stdin: "2\n")
        #expect(again.code == 5)
        #expect(again.stdout == "hello\n" && again.stderr == "got-2\n", "\(again)")
        #expect(sandbox.run(["start", "-a", "reader", "reader"]).stderr == "swiftrun: you cannot start and attach multiple containers at once\n")
    }

    @Test func aDetachedTerminalIsLoggedAsStdout() {
        #expect(sandbox.run(["run", "-d", "-t", "--name", "dt", "busybox", "sh", "-c", "tty; echo to-stderr >&2"]).code == 0)
        #expect(sandbox.run(["wait", "dt"]).stdout == "0\n")
        // A pty has one stream, and its line discipline ends lines with \r\n.
        #expect(sandbox.run(["logs", "dt"]).stdout == "/dev/pts/0\r\nto-stderr\r\n")
    }
}
