import Foundation
import Testing

/// `top`, `rename`, `port` and the boot hook (issue 12).
@Suite struct InfoCommandTests {
    let sandbox: Sandbox

    init() throws { sandbox = try Sandbox() }

    @Test func topListsOnlyTheContainersProcesses() throws {
        #expect(sandbox.run(["run", "-d", "--name", "busy", "busybox", "sh", "-c", "sleep 300 & exec sleep 301"]).code == 0)
        let pid = try sandbox.containerPID("busy")
        let top = sandbox.run(["top", "busy"])
        let lines = top.stdout.split(separator: "\n")
        #expect(lines.first?.hasPrefix("UID") == true && lines.first?.contains("PID") == true, "\(top.stdout)\(top.stderr)")
        #expect(lines.count == 3, "pid 1 and its one child: \(top.stdout)")
        #expect(lines.contains { $0.contains(" \(pid) ") && $0.hasSuffix("sleep 301") })
        #expect(lines.contains { $0.hasSuffix("sleep 300") })
        // ps options pass through.
        #expect(sandbox.run(["top", "busy", "-o", "pid,comm"]).stdout.split(separator: "\n").dropFirst().allSatisfy { $0.hasSuffix("sleep") })
        #expect(sandbox.run(["stop", "-t", "0", "busy"]).code == 0)
        #expect(sandbox.run(["top", "busy"]).code == 1)
    }

    @Test func renameKeepsTheContainerRunningUnderItsNewName() throws {
        #expect(sandbox.run(["run", "-d", "--name", "before", "busybox", "sleep", "300"]).code == 0)
        #expect(sandbox.run(["run", "-d", "--name", "other", "busybox", "sleep", "300"]).code == 0)
        #expect(sandbox.run(["rename", "before", "after"]).code == 0)
        #expect(sandbox.run(["exec", "after", "true"]).code == 0)
        #expect(sandbox.run(["exec", "before", "true"]).stderr == "swiftrun: no such container: before\n")
        let taken = sandbox.run(["rename", "after", "other"])
        #expect(taken.code == 1 && taken.stderr.contains("is already in use"))
        // The old name is free again; stopping (which records the exit) keeps the new one.
        #expect(sandbox.run(["run", "--rm", "--name", "before", "busybox", "true"]).code == 0)
        #expect(sandbox.run(["stop", "-t", "0", "after"]).code == 0)
        #expect(sandbox.run(["ps", "-a", "--format", "{{.Names}}"]).stdout == "other\nafter\n")
    }

    @Test func portListsNothingPublishedYet() {
        #expect(sandbox.run(["run", "-d", "--name", "quiet", "busybox", "sleep", "300"]).code == 0)
        #expect(sandbox.run(["port", "quiet"]).stdout == "")
        #expect(sandbox.run(["port", "quiet", "80"]).stderr == "swiftrun: No public port '80/tcp' published for quiet\n")
    }

    /// A reboot leaves no monitor: killing each one (its container dies
    /// with it) is the same state, then the boot hook runs.
    @Test func theBootHookBringsBackWhatThePoliciesSay() throws {
        for (name, policy) in [("always", "always"), ("unless", "unless-stopped"), ("stopped", "unless-stopped"), ("never", "no")] {
            #expect(sandbox.run(["run", "-d", "--name", name, "--restart", policy, "busybox", "sleep", "300"]).code == 0)
        }
        #expect(sandbox.run(["stop", "-t", "0", "stopped"]).code == 0)
        for name in ["always", "unless", "never"] {
            let pid = try sandbox.containerPID(name)
            let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
            let monitor = try #require(stat[stat.index(after: stat.lastIndex(of: ")")!)...].split(separator: " ").dropFirst().first.flatMap { pid_t($0) })
            kill(monitor, SIGKILL)
            #expect(waitForExit(of: pid), "the container dies with its monitor")
        }
        let booted = sandbox.run(["__boot"])
        #expect(booted.code == 0, "\(booted.stderr)")
        #expect(booted.stdout.split(separator: "\n").sorted() == ["always", "unless"])
        #expect(sandbox.run(["ps", "--format", "{{.Names}}"]).stdout.split(separator: "\n").sorted() == ["always", "unless"])
    }
}
