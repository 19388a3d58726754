import CShims
import Foundation
import Testing

/// Health checks run by the monitor through exec, and `ps`'s filters and
/// formats (issue 12).
@Suite struct HealthAndListTests {
    let sandbox: Sandbox

    init() throws { sandbox = try Sandbox() }

    func health(_ name: String) throws -> [String: Any]? {
        let result = sandbox.run(["inspect", name])
        let document = try #require((try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])?.first)
        return (document["State"] as? [String: Any])?["Health"] as? [String: Any]
    }

    /// Waits until the container's health status is `wanted`, woken by
    /// inotify each time the check writes its result: an event, not a sleep.
    func waitForHealth(_ name: String, _ wanted: String, seconds: Int32 = 20) throws -> [String: Any]? {
        let dir = sandbox.root + "/containers/" + (try sandbox.containerID(name))
        let inotify = inotify_init1(Int32(IN_CLOEXEC))
        defer { close(inotify) }
        try #require(inotify_add_watch(inotify, dir, UInt32(IN_MOVED_TO | IN_CLOSE_WRITE)) >= 0)
        let deadline = Date().addingTimeInterval(Double(seconds))
        while true {
            let current = try health(name)
            if current?["Status"] as? String == wanted { return current }
            let left = Int32(deadline.timeIntervalSinceNow * 1000)
            guard left > 0 else { return current }
            var poller = pollfd(fd: inotify, events: Int16(POLLIN), revents: 0)
            if poll(&poller, 1, left) == 1 {
                var buffer = [UInt8](repeating: 0, count: 4096)
                _ = read(inotify, &buffer, buffer.count)
            }
        }
    }

    @Test func aCheckTurnsHealthyThenUnhealthy() throws {
        let started = sandbox.run([
            "run", "-d", "--name", "checked", "--health-cmd", "cat /ready", "--health-interval", "100ms", "--health-retries", "2",
            "busybox", "sleep", "300"
        ])
        #expect(started.code == 0, "\(started.stderr)")
        #expect(try health("checked")?["Status"] as? String == "starting")
        #expect(sandbox.run(["ps", "--format", "{{.Status}}"]).stdout.hasSuffix("(health: starting)\n"))
        #expect(sandbox.run(["exec", "checked", "sh", "-c", "echo ok > /ready"]).code == 0)
        let healthy = try waitForHealth("checked", "healthy")
        #expect(healthy?["Status"] as? String == "healthy")
        let last = try #require((healthy?["Log"] as? [[String: Any]])?.last)
        #expect(last["ExitCode"] as? Int == 0 && last["Output"] as? String == "ok\n")
        #expect(sandbox.run(["ps", "--filter", "health=healthy", "--format", "{{.Names}} {{.Status}}"]).stdout.hasSuffix("(healthy)\n"))
        #expect(sandbox.run(["exec", "checked", "rm", "/ready"]).code == 0)
        let unhealthy = try waitForHealth("checked", "unhealthy")
        #expect(unhealthy?["FailingStreak"] as? Int ?? 0 >= 2)
        #expect(((unhealthy?["Log"] as? [[String: Any]])?.count ?? 0) <= 5)
    }

    @Test func aCheckThatHangsIsKilledAtItsTimeout() throws {
        #expect(
            sandbox.run([
                "run", "-d", "--name", "slow", "--health-cmd", "sleep 60", "--health-interval", "100ms", "--health-timeout", "200ms",
                "--health-retries", "1", "busybox", "sleep", "300"
            ]).code == 0)
        let result = try waitForHealth("slow", "unhealthy")
        let last = try #require((result?["Log"] as? [[String: Any]])?.last)
        #expect(last["ExitCode"] as? Int == -1)
        #expect((last["Output"] as? String)?.hasPrefix("Health check exceeded timeout") == true)
        // A killed check leaves no process behind: at most the one in flight runs.
        let checks = sandbox.run(["exec", "slow", "ps", "-o", "args"]).stdout.split(separator: "\n").filter { $0.hasPrefix("sleep 60") }
        #expect(checks.count <= 1, "\(checks)")
    }

    @Test func theImagesHealthcheckRunsUnlessTurnedOff() throws {
        let context = sandbox.root + "/context"
        try FileManager.default.createDirectory(atPath: context, withIntermediateDirectories: true)
        try "FROM busybox\nHEALTHCHECK --interval=100ms CMD [\"true\"]\n".write(toFile: context + "/Dockerfile", atomically: false, encoding: .utf8)
        #expect(sandbox.run(["build", "-t", "checked-image", context]).code == 0)
        #expect(sandbox.run(["run", "-d", "--name", "by-image", "checked-image", "sleep", "300"]).code == 0)
        #expect(try waitForHealth("by-image", "healthy")?["Status"] as? String == "healthy")
        #expect(sandbox.run(["run", "-d", "--name", "unchecked", "--no-healthcheck", "checked-image", "sleep", "300"]).code == 0)
        #expect(try health("unchecked") == nil)
    }

    @Test func psFiltersLimitsAndFormats() throws {
        #expect(sandbox.run(["run", "--name", "done-0", "busybox", "true"]).code == 0)
        #expect(sandbox.run(["run", "--name", "done-3", "busybox", "sh", "-c", "exit 3"]).code == 3)
        #expect(sandbox.run(["run", "-d", "--name", "up", "busybox", "sleep", "300"]).code == 0)
        func names(_ arguments: [String]) -> String {
            sandbox.run(["ps"] + arguments + ["--format", "{{.Names}}"]).stdout
        }
        #expect(names([]) == "up\n")
        #expect(names(["-a"]) == "up\ndone-3\ndone-0\n")
        #expect(names(["--filter", "status=exited"]) == "done-3\ndone-0\n")
        #expect(names(["--filter", "exited=3"]) == "done-3\n")
        #expect(names(["-a", "--filter", "name=done"]) == "done-3\ndone-0\n")
        #expect(names(["-n", "2"]) == "up\ndone-3\n")
        #expect(names(["-l"]) == "up\n")
        let json = sandbox.run(["ps", "-a", "--format", "json", "--filter", "name=up"]).stdout
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: String])
        #expect(object["Names"] == "up" && object["State"] == "running" && object["Image"] == "busybox")
        #expect(sandbox.run(["ps", "--filter", "status=sleeping"]).code == 1)
    }
}
