import CShims
import Foundation
import Testing

/// Containers that keep running: `run -d` under a monitor, logs, stop,
/// start, kill, wait and restart policies (issue 12), with real processes.
@Suite struct DetachedTests {
    let sandbox: Sandbox

    init() throws { sandbox = try Sandbox() }

    func inspect(_ name: String) throws -> [String: Any] {
        let result = sandbox.run(["inspect", name])
        return try #require((try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])?.first)
    }

    /// Alive and not a zombie: an orphaned monitor is reaped by init, and
    /// an init that reaps late leaves it a zombie for a while.
    func isRunning(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        return !stat[stat.index(after: close)...].hasPrefix(" Z")
    }

    func wait(_ name: String) -> String {
        sandbox.run(["wait", name]).stdout
    }

    @Test func runDetachedPrintsTheIdAndTheServiceAnswers() throws {
        let started = sandbox.run([
            "run", "-d", "--name", "web", "busybox", "sh", "-c",
            "mkdir /www && echo hello > /www/index.html && exec httpd -f -p 8080 -h /www"
        ])
        #expect(started.code == 0, "\(started.stderr)")
        #expect(started.stdout.range(of: #"^[0-9a-f]{64}\n$"#, options: .regularExpression) != nil, "\(started.stdout)")
        #expect(sandbox.run(["ps"]).stdout.contains("web"))
        let state = try #require(try inspect("web")["State"] as? [String: Any])
        #expect(state["Running"] as? Bool == true && state["Status"] as? String == "running")
        let pid = try #require(state["Pid"] as? Int)
        // The monitor is the container's parent, in a session of its own.
        let monitor = try #require(
            try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8).split(separator: " ").dropFirst(3).first.flatMap { Int32($0) })
        #expect(getsid(monitor) == monitor)
        // While the container runs, the monitor is the small C program, not swiftrun.
        #expect(try String(contentsOfFile: "/proc/\(monitor)/comm", encoding: .utf8) == "swiftrun-monito\n")
        // It holds nothing of its caller's (this test process passes swiftrun
        // sockets and pipes): /dev/null, its two pipes, pid 1's pidfd, the
        // log, and its own attach socket with the directory it lives in.
        let held = try openFiles(of: monitor)
        #expect(held.filter { $0.hasPrefix("socket:") }.count == 1, "\(held)")
        #expect(held.filter { $0.hasPrefix("pipe:") }.count == 2, "\(held)")
        #expect(held.count == 9, "\(held)")
        // Asked from inside its network namespace, which has only lo until networks land.
        let page = try tool(["nsenter", "-t", String(pid), "-n", "busybox", "wget", "-qO-", "http://127.0.0.1:8080/"])
        #expect(page == "hello\n")
        let stopped = sandbox.run(["stop", "web"])
        #expect(stopped.stdout == "web\n", "\(stopped.stderr)")
        #expect(!isRunning(monitor), "the monitor ends with its container")
        #expect(sandbox.run(["ps", "-q"]).stdout.isEmpty)
    }

    @Test func aDetachedContainerGetsOnlyStdio() {
        #expect(sandbox.run(["run", "-d", "--name", "fds", "busybox", "ls", "/proc/self/fd"]).code == 0)
        #expect(wait("fds") == "0\n")
        // 3 is ls's own handle on the directory it lists.
        #expect(sandbox.run(["logs", "fds"]).stdout == "0\n1\n2\n3\n")
    }

    @Test func errorsBeforeExecComeBackFromRunDetached() {
        let missing = sandbox.run(["run", "-d", "busybox", "no-such-command"])
        #expect(missing.code == 127)
        #expect(missing.stderr == "swiftrun: exec: \"no-such-command\": executable file not found in $PATH\n")
        let badImage = sandbox.run(["run", "-d", "--pull=never", "no-such-image"])
        #expect(badImage.code == 125)
        #expect(sandbox.run(["run", "-d", "--name", "dup", "busybox", "sleep", "60"]).code == 0)
        let taken = sandbox.run(["run", "-d", "--name", "dup", "busybox", "true"])
        #expect(taken.code == 125)
        #expect(taken.stderr.contains("is already in use"), "\(taken.stderr)")
        #expect(sandbox.run(["run", "-d", "--rm", "--restart", "always", "busybox", "true"]).code == 125)
    }

    @Test func logsKeepStdoutAndStderrApartAndFollowUntilExit() throws {
        let id = sandbox.run([
            "run", "-d", "--name", "talker", "busybox", "sh", "-c",
            "echo one; echo two >&2; echo three; echo four"
        ]).stdout
        #expect(id.count == 65)
        #expect(wait("talker") == "0\n")
        // Each stream in its own order; between the two, arrival decides, as in Docker.
        let logs = sandbox.run(["logs", "talker"])
        #expect(logs.stdout == "one\nthree\nfour\n")
        #expect(logs.stderr == "two\n")
        #expect(sandbox.run(["run", "-d", "--name", "counter", "busybox", "sh", "-c", "echo 1; echo 2; echo 3; echo 4"]).code == 0)
        #expect(wait("counter") == "0\n")
        #expect(sandbox.run(["logs", "--tail", "1", "counter"]).stdout == "4\n")
        #expect(sandbox.run(["logs", "-n", "2", "counter"]).stdout == "3\n4\n")
        let stamped = sandbox.run(["logs", "-t", "--tail", "1", "counter"]).stdout
        #expect(stamped.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z 4\n$"#, options: .regularExpression) != nil, "\(stamped)")
        #expect(sandbox.run(["logs", "--since", "1m", "talker"]).stdout == "one\nthree\nfour\n")
        #expect(sandbox.run(["logs", "--until", "2000-01-01T00:00:00Z", "talker"]).stdout.isEmpty)
        // The file is Docker's json-file.
        let path = try #require(try inspect("talker")["LogPath"] as? String)
        let first = try #require(try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").first)
        #expect(first.hasPrefix(#"{"log":"one\n","stream":"stdout","time":""#), "\(first)")

        // -f follows a running container and ends when it exits.
        #expect(sandbox.run(["run", "-d", "--name", "slow", "busybox", "sh", "-c", "echo a; mkfifo /go; read x < /go; echo b"]).code == 0)
        let follower = sandbox.start(["logs", "-f", "slow"])
        #expect(follower.readLine() == "a")
        let pid = try #require(try inspect("slow")["State"] as? [String: Any])["Pid"] as! Int
        try "go\n".write(toFile: "/proc/\(pid)/root/go", atomically: false, encoding: .utf8)
        #expect(follower.finish().stdout == "b\n")
    }

    @Test func logsRotateAndTheNoneDriverKeepsNothing() throws {
        #expect(
            sandbox.run([
                "run", "-d", "--name", "chatty", "--log-opt", "max-size=2k", "--log-opt", "max-file=2", "busybox", "sh", "-c",
                "i=0; while [ $i -lt 200 ]; do echo line-$i; i=$((i+1)); done"
            ]).code == 0)
        #expect(wait("chatty") == "0\n")
        let path = try #require(try inspect("chatty")["LogPath"] as? String)
        let size = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        #expect(size <= 2048)
        #expect(FileManager.default.fileExists(atPath: path + ".1"))
        #expect(!FileManager.default.fileExists(atPath: path + ".2"))
        let kept = sandbox.run(["logs", "chatty"]).stdout.split(separator: "\n")
        #expect(kept.last == "line-199" && kept.count < 200 && kept.count > 20, "\(kept.count)")

        #expect(sandbox.run(["run", "-d", "--name", "quiet", "--log-driver", "none", "busybox", "echo", "gone"]).code == 0)
        #expect(wait("quiet") == "0\n")
        #expect(sandbox.run(["logs", "quiet"]).stderr.contains("does not support reading"))
    }

    @Test func stopUsesTheTrapThenSigkillAtTheTimeout() throws {
        #expect(
            sandbox.run(["run", "-d", "--name", "trapper", "busybox", "sh", "-c", "trap 'exit 42' TERM; echo ready; while true; do sleep 1; done"]).code == 0)
        let follower = sandbox.start(["logs", "-f", "trapper"])
        #expect(follower.readLine() == "ready")
        #expect(sandbox.run(["stop", "trapper"]).code == 0)
        #expect(try (inspect("trapper")["State"] as? [String: Any])?["ExitCode"] as? Int == 42)
        _ = follower.finish()

        #expect(sandbox.run(["run", "-d", "--name", "stubborn", "busybox", "sh", "-c", "trap '' TERM; echo ready; while true; do sleep 1; done"]).code == 0)
        let stubborn = sandbox.start(["logs", "-f", "stubborn"])
        #expect(stubborn.readLine() == "ready")
        #expect(sandbox.run(["stop", "-t", "1", "stubborn"]).code == 0)
        #expect(try (inspect("stubborn")["State"] as? [String: Any])?["ExitCode"] as? Int == 137)
        _ = stubborn.finish()

        #expect(
            sandbox.run([
                "run", "-d", "--name", "usr1", "--stop-signal", "USR1", "busybox", "sh", "-c", "trap 'exit 7' USR1; echo ready; while true; do sleep 1; done"
            ]).code == 0)
        let usr1 = sandbox.start(["logs", "-f", "usr1"])
        #expect(usr1.readLine() == "ready")
        #expect(sandbox.run(["stop", "usr1"]).code == 0)
        #expect(try (inspect("usr1")["State"] as? [String: Any])?["ExitCode"] as? Int == 7)
        _ = usr1.finish()
    }

    @Test func startRunsAgainOnTheSameWritableLayer() throws {
        #expect(sandbox.run(["run", "-d", "--name", "keeper", "busybox", "sh", "-c", "cat /seen 2>/dev/null; date +%N > /seen"]).code == 0)
        #expect(wait("keeper") == "0\n")
        let first = sandbox.run(["logs", "keeper"]).stdout
        #expect(first.isEmpty)
        #expect(sandbox.run(["start", "keeper"]).stdout == "keeper\n")
        #expect(wait("keeper") == "0\n")
        #expect(sandbox.run(["logs", "keeper"]).stdout.split(separator: "\n").count == 1, "the second run read what the first wrote")
    }

    @Test func onFailureRestartsUpToItsLimit() throws {
        #expect(sandbox.run(["run", "-d", "--name", "flaky", "--restart", "on-failure:2", "busybox", "sh", "-c", "echo run; exit 3"]).code == 0)
        // logs -f ends with the monitor, after the last run the policy allows.
        #expect(sandbox.run(["logs", "-f", "flaky"]).stdout == "run\nrun\nrun\n")
        let state = try #require(try inspect("flaky")["State"] as? [String: Any])
        #expect(state["Status"] as? String == "exited" && state["ExitCode"] as? Int == 3)
        #expect(try inspect("flaky")["RestartCount"] as? Int == 2)
        #expect(sandbox.run(["logs", "flaky"]).stdout == "run\nrun\nrun\n")
        let policy = try #require((try inspect("flaky")["HostConfig"] as? [String: Any])?["RestartPolicy"] as? [String: Any])
        #expect(policy["Name"] as? String == "on-failure" && policy["MaximumRetryCount"] as? Int == 2)
        #expect(sandbox.run(["ps", "-a"]).stdout.contains("Exited (3)"))
    }

    @Test func alwaysComesBackAfterAKillButNotAfterStop() throws {
        #expect(
            sandbox.run(["run", "-d", "--name", "phoenix", "--restart", "always", "busybox", "sh", "-c", "echo up; while true; do sleep 1; done"]).code == 0)
        let firstPid = try #require((try inspect("phoenix")["State"] as? [String: Any])?["Pid"] as? Int)
        kill(pid_t(firstPid), SIGKILL)
        #expect(wait("phoenix") == "137\n")
        // Back under a new pid, counted: its second "up" reaches the log.
        let logs = sandbox.start(["logs", "-f", "phoenix"])
        #expect(logs.readLine() == "up" && logs.readLine() == "up")
        logs.signal(SIGKILL)
        logs.waitForSwiftrun()
        #expect(try inspect("phoenix")["RestartCount"] as? Int == 1)
        #expect(sandbox.run(["stop", "-t", "1", "phoenix"]).code == 0)
        let state = try #require(try inspect("phoenix")["State"] as? [String: Any])
        #expect(state["Status"] as? String == "exited", "\(state)")
        #expect(sandbox.run(["ps", "-q"]).stdout.isEmpty)
    }

    @Test func killingTheMonitorTakesTheContainerAndTheNextCommandRecordsIt() throws {
        #expect(sandbox.run(["run", "-d", "--name", "orphan", "busybox", "sleep", "600"]).code == 0)
        let id = try sandbox.containerID("orphan")
        let pid = try #require((try inspect("orphan")["State"] as? [String: Any])?["Pid"] as? Int)
        let monitor = try #require(
            try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8).split(separator: " ").dropFirst(3).first.flatMap { Int32($0) })
        kill(monitor, SIGKILL)
        #expect(waitForExit(of: pid_t(pid)), "PDEATHSIG ends the container with its monitor")
        #expect(sandbox.run(["ps", "-a"]).stdout.contains("Exited (137)"))
        #expect(sandbox.run(["rm", "orphan"]).code == 0)
        #expect(!Sandbox.cgroupExists(id))
    }

    @Test func killSendsOneSignalAndRmForceEndsEverything() throws {
        #expect(sandbox.run(["run", "-d", "--name", "target", "busybox", "sh", "-c", "trap 'exit 5' USR2; echo ready; while true; do sleep 1; done"]).code == 0)
        // USR2 before the trap is set would end sh outright: wait for "ready".
        let follower = sandbox.start(["logs", "-f", "target"])
        #expect(follower.readLine() == "ready")
        #expect(sandbox.run(["kill", "-s", "USR2", "target"]).stdout == "target\n")
        #expect(wait("target") == "5\n")
        _ = follower.finish()
        #expect(sandbox.run(["kill", "target"]).code != 0)

        #expect(sandbox.run(["run", "-d", "--name", "doomed", "busybox", "sleep", "600"]).code == 0)
        let id = try sandbox.containerID("doomed")
        #expect(sandbox.run(["rm", "-f", "doomed"]).code == 0)
        #expect(!Sandbox.cgroupExists(id))
        #expect(!FileManager.default.fileExists(atPath: sandbox.root + "/containers/" + id))
    }

    @Test func pauseFreezesTheContainerUntilUnpause() throws {
        #expect(sandbox.run(["run", "-d", "--name", "spinner", "busybox", "sh", "-c", "while true; do :; done"]).code == 0)
        let pid = try #require((try inspect("spinner")["State"] as? [String: Any])?["Pid"] as? Int)
        // Nanoseconds pid 1 has run: a frozen process gets none.
        func onCPU() throws -> String { String(try String(contentsOfFile: "/proc/\(pid)/schedstat", encoding: .utf8).split(separator: " ")[0]) }
        #expect(sandbox.run(["pause", "spinner"]).stdout == "spinner\n")
        #expect(try (inspect("spinner")["State"] as? [String: Any])?["Paused"] as? Bool == true)
        #expect(sandbox.run(["ps"]).stdout.contains("(Paused)"))
        let frozen = try onCPU()
        // A whole swiftrun command later, it has not run.
        #expect(sandbox.run(["pause", "spinner"]).stderr.contains("already paused"))
        #expect(try onCPU() == frozen)
        // commit freezes and thaws a running container, but leaves a paused one paused.
        #expect(sandbox.run(["commit", "spinner", "spun:v1"]).code == 0)
        #expect(try (inspect("spinner")["State"] as? [String: Any])?["Paused"] as? Bool == true)
        #expect(sandbox.run(["unpause", "spinner"]).code == 0)
        #expect(sandbox.run(["unpause", "spinner"]).stderr.contains("not paused"))
        // Thawed, it runs once the scheduler gets to it: on a busy host
        // that came after the next command more than once.
        #expect(eventually { (try? onCPU()) != frozen }, "it runs again")
        // A paused container still stops: it is thawed to take its signal.
        #expect(sandbox.run(["pause", "spinner"]).code == 0)
        #expect(sandbox.run(["stop", "--timeout", "1", "spinner"]).code == 0)
        #expect(try (inspect("spinner")["State"] as? [String: Any])?["Status"] as? String == "exited")
    }

    /// `create` records a container that nothing runs until `start`: no
    /// process, no cgroup, no marker for recovery; then it runs as `run -d` does.
    @Test func createRecordsAContainerThatStartRuns() throws {
        let created = sandbox.run(["create", "--name", "later", "-e", "X=5", "busybox", "sh", "-c", "echo hi $X; exit 3"])
        #expect(created.code == 0, "\(created.stderr)")
        let id = created.stdout.trimmingCharacters(in: .newlines)
        #expect(id.range(of: #"^[0-9a-f]{64}$"#, options: .regularExpression) != nil, "\(created.stdout)")
        let state = try #require(try inspect("later")["State"] as? [String: Any])
        #expect(state["Status"] as? String == "created" && state["Running"] as? Bool == false && state["Pid"] as? Int == 0)
        #expect(state["StartedAt"] as? String == "0001-01-01T00:00:00Z")
        #expect(sandbox.run(["ps", "-a", "--format", "{{.Status}}"]).stdout == "Created\n")
        #expect(sandbox.run(["ps", "-q"]).stdout.isEmpty)
        #expect(!Sandbox.cgroupExists(id))
        #expect(try FileManager.default.contentsOfDirectory(atPath: sandbox.root + "/running").isEmpty)
        // Another command's recovery leaves it as it is.
        #expect(sandbox.run(["ps", "-a", "-f", "status=created", "-q"]).stdout == String(id.prefix(12)) + "\n")
        #expect(wait("later") == "0\n", "never started: Docker's wait answers 0")
        #expect(sandbox.run(["start", "later"]).code == 0)
        #expect(wait("later") == "3\n")
        #expect(sandbox.run(["logs", "later"]).stdout == "hi 5\n")
        let taken = sandbox.run(["create", "--name", "later", "busybox", "true"])
        #expect(taken.code == 125 && taken.stderr.contains("is already in use"))
        let missing = sandbox.run(["create", "--pull", "never", "no-such-image"])
        #expect(missing.code == 125 && missing.stderr.contains("image not found"))
        #expect(sandbox.run(["rm", "later"]).code == 0)
        #expect(sandbox.run(["ps", "-a", "-q"]).stdout.isEmpty)
    }
}
