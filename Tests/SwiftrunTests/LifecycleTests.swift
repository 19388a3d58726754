import Foundation
import Testing

/// Containers leave nothing behind: --rm removes every trace however the
/// container ends, and a swiftrun killed mid-run is cleaned up by the next
/// command.
@Suite struct LifecycleTests {
    @Test(
        arguments: [
            ["sh", "-c", "echo data > /tmp/file; exit 7"],  // normal exit, with writes
            ["no-such-command"],  // exec fails (127)
            ["sh", "-c", "kill -KILL $$"]  // pid 1 cannot kill itself from inside: exits 0
        ] as [[String]])
    func rmLeavesTheStoreByteForByteAsBefore(command: [String]) throws {
        let sandbox = try Sandbox()
        let before = try sandbox.snapshot()
        sandbox.run(["run", "--rm", "busybox"] + command)
        #expect(try sandbox.snapshot() == before)
    }

    @Test func rmLeavesNothingWhenAStepFailsBeforeExec() throws {
        let sandbox = try Sandbox()
        let before = try sandbox.snapshot()
        let result = sandbox.run(["run", "--rm", "-w", "/etc/passwd/below-a-file", "busybox", "true"])
        #expect(result.code == 125)
        #expect(result.stderr == "swiftrun: chdir /etc/passwd/below-a-file: Not a directory\n")
        #expect(try sandbox.snapshot() == before)
    }

    /// A foreground run makes its container's dir and overlay before its
    /// plan (ContainerAhead): a flag the plan refuses, or a name already
    /// taken, undoes them, and the store is as it was.
    @Test func aRunRefusedAfterItsDirsWereBegunLeavesNothing() throws {
        let sandbox = try Sandbox()
        #expect(sandbox.run(["create", "--name", "taken", "busybox", "true"]).code == 0)
        let before = try sandbox.snapshot()
        let refused: [([String], String)] = [
            (["--rm", "--user", "nosuch"], "swiftrun: unable to find user nosuch: no matching entries in the image's /etc/passwd\n"),
            (["--network", "nosuchnet"], "swiftrun: network nosuchnet not found\n"),
            (["--name", "taken"], "swiftrun: the container name \"taken\" is already in use; remove that container or pick another name\n")
        ]
        for (flags, message) in refused {
            let result = sandbox.run(["run"] + flags + ["busybox", "true"])
            #expect(result.code == 125, "\(flags)")
            #expect(result.stderr == message)
            #expect(try sandbox.snapshot() == before, "\(flags) left something")
        }
    }

    /// The container's "/" is its upper dir, made owned and moded as the
    /// image's top layer's root: on the thread a foreground run begins
    /// (ContainerAhead) and in create where it does not (a volume).
    @Test func theContainersRootHasTheImagesOwnerAndMode() throws {
        let sandbox = try Sandbox()
        let tar = sandbox.root + "/owned-root.tar"
        let script = """
            import sys, tarfile
            with tarfile.open(sys.argv[1]) as source, tarfile.open(sys.argv[2], "w") as out:
                for member in source.getmembers():
                    if member.name in (".", "./"):
                        member.mode, member.uid, member.gid = 0o750, 1234, 5678
                    out.addfile(member, source.extractfile(member) if member.isfile() else None)
            """
        try tool(["python3", "-c", script, Sandbox.sample, tar])
        #expect(sandbox.run(["import", tar, "owned"]).code == 0)
        for flags in [[], ["-v", "/data"]] {
            let result = sandbox.run(["run", "--rm"] + flags + ["owned", "stat", "-c", "%a %u:%g", "/"])
            #expect(result.stdout == "750 1234:5678\n", "\(flags): \(result.stderr)")
        }
    }

    @Test func twentyParallelRunsAllSucceedAndLeaveNothing() throws {
        let sandbox = try Sandbox()
        let before = try sandbox.snapshot()
        let runs = (0..<20).map { i in sandbox.start(["run", "--rm", "busybox", "sh", "-c", "echo run-\(i)"]) }
        let results = runs.map { $0.finish() }
        for (i, result) in results.enumerated() {
            #expect(result.code == 0, "run \(i): \(result.stderr)")
            #expect(result.stdout == "run-\(i)\n")
        }
        #expect(try sandbox.snapshot() == before)
    }

    /// A --rm container leaves containers/ and frees its name before run
    /// returns; its files go in a process of their own, which holds its
    /// trash entry locked. The next command sweeps an entry nobody holds
    /// (its remover was killed) and leaves a held one alone.
    @Test func rmFilesGoAfterTheRunAndAKilledRemoversAreSwept() throws {
        let sandbox = try Sandbox()
        let before = try sandbox.snapshot()
        for _ in 0..<2 {
            let result = sandbox.run(["run", "--rm", "--name", "again", "busybox", "sh", "-c", "mkdir -p /a/b/c && echo x > /a/b/c/f"])
            #expect(result.code == 0, "\(result.stderr)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: sandbox.root + "/containers") == [])
        }
        #expect(try sandbox.snapshot() == before)

        let trash = sandbox.root + "/trash"
        for name in ["killed", "held"] {
            try FileManager.default.createDirectory(atPath: "\(trash)/\(name)/upper/a/b", withIntermediateDirectories: true)
            try "x".write(toFile: "\(trash)/\(name)/upper/a/b/f", atomically: false, encoding: .utf8)
        }
        let held = open(trash + "/held", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        try #require(held >= 0 && flock(held, LOCK_EX) == 0)
        #expect(sandbox.run(["ps", "-a"]).code == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: trash) == ["held"], "the sweep took a held entry, or left a free one")
        close(held)
        #expect(sandbox.run(["ps", "-a"]).code == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: trash) == [])
        #expect(try sandbox.snapshot() == before)
    }

    /// The remover (CShims/remover.c) walks with two fds at any depth: a
    /// tree deeper than PATH_MAX, with files at every level and siblings
    /// beside the deep branch, goes whole.
    @Test func rmRemovesATreeDeeperThanAPath() throws {
        let sandbox = try Sandbox()
        let before = try sandbox.snapshot()
        let script = "mkdir -p /w/a /w/b /w/c && cd /w/a && i=0; while [ $i -lt 2500 ]; do mkdir d e && touch f e/g && cd d; i=$((i+1)); done"
        let result = sandbox.run(["run", "--rm", "busybox", "sh", "-c", script])
        #expect(result.code == 0, "\(result.stderr)")
        #expect(try sandbox.snapshot() == before)
    }

    @Test func containerWithoutRmStaysUntilRemoved() throws {
        let sandbox = try Sandbox()
        let before = try sandbox.snapshot()
        #expect(sandbox.run(["run", "--name", "kept", "busybox", "sh", "-c", "exit 5"]).code == 5)
        let listed = sandbox.run(["ps", "-a"])
        #expect(listed.stdout.contains("Exited (5)"), "ps -a: \(listed.stdout)")
        #expect(listed.stdout.contains("kept"))
        #expect(!sandbox.run(["ps"]).stdout.contains("kept"), "ps without -a lists only running containers")
        #expect(sandbox.run(["rm", "kept"]).code == 0)
        #expect(try sandbox.snapshot() == before)
        let again = sandbox.run(["rm", "kept"])
        #expect(again.code == 1)
        #expect(again.stderr == "swiftrun: no such container: kept\n")
    }

    @Test func killingSwiftrunKillsTheContainerAndTheNextCommandCleansUp() throws {
        let sandbox = try Sandbox()
        let before = try sandbox.snapshot()
        let id = try killSwiftrunMidRun(sandbox, ["--rm", "--name", "orphan", "busybox", "sh", "-c", "sleep 1000 & echo ready; wait"])
        #expect(Sandbox.cgroupExists(id), "nothing has cleaned up yet")
        let listed = sandbox.run(["ps", "-a"])
        #expect(listed.code == 0)
        #expect(!listed.stdout.contains("orphan"))
        #expect(try sandbox.snapshot() == before, "the next command did not finish the cleanup")
        #expect(!Sandbox.cgroupExists(id), "a cgroup outlived the cleanup")
    }

    @Test func killedSwiftrunWithoutRmLeavesAnExitedContainer() throws {
        let sandbox = try Sandbox()
        let id = try killSwiftrunMidRun(
            sandbox, ["--name", "survivor", "--memory", "64m", "--pids-limit", "30", "busybox", "sh", "-c", "echo ready; exec sleep 1000"])
        let listed = sandbox.run(["ps", "-a"])
        #expect(listed.stdout.contains("Exited (137)"), "ps -a: \(listed.stdout)")
        #expect(sandbox.run(["rm", "survivor"]).code == 0)
        #expect(!Sandbox.cgroupExists(id))
    }

    @Test func aNameLeftByACrashedCreateIsTakenOver() throws {
        let sandbox = try Sandbox()
        sandbox.run(["ps"])  // creates the store's dirs
        let stale = String(repeating: "0", count: 64)
        try Data(stale.utf8).write(to: URL(fileURLWithPath: sandbox.root + "/names/web"))
        let result = sandbox.run(["run", "--rm", "--name", "web", "busybox", "true"])
        #expect(result.code == 0, "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: sandbox.root + "/names/web"))
    }

    /// Starts `run ARGS` (a container that prints "ready", named with
    /// --name), kills swiftrun with SIGKILL, and expects the container's
    /// pid 1 to die with it.
    @discardableResult
    func killSwiftrunMidRun(_ sandbox: Sandbox, _ arguments: [String]) throws -> String {
        let running = sandbox.start(["run"] + arguments)
        #expect(running.readLine() == "ready")
        let name = arguments[arguments.firstIndex(of: "--name")! + 1]
        let pid = try sandbox.containerPID(name)
        let id = try sandbox.containerID(name)
        #expect(Sandbox.cgroupExists(id))
        running.signal(SIGKILL)
        running.waitForSwiftrun()
        let died = waitForExit(of: pid)
        #expect(died, "the container outlived its swiftrun")
        if !died { kill(pid, SIGKILL) }
        return id
    }

    @Test func rmForceStopsARunningContainer() throws {
        let sandbox = try Sandbox()
        let before = try sandbox.snapshot()
        let running = sandbox.start(["run", "--name", "busy", "busybox", "sh", "-c", "echo ready; exec sleep 1000"])
        #expect(running.readLine() == "ready")
        let pid = try sandbox.containerPID("busy")
        let id = try sandbox.containerID("busy")
        let refused = sandbox.run(["rm", "busy"])
        #expect(refused.code == 1)
        #expect(refused.stderr.contains("is running"))
        #expect(sandbox.run(["rm", "-f", "busy"]).code == 0)
        #expect(running.waitForSwiftrun() == 137)
        let died = waitForExit(of: pid)
        #expect(died, "the container outlived rm -f")
        if !died { kill(pid, SIGKILL) }
        #expect(!Sandbox.cgroupExists(id))
        #expect(try sandbox.snapshot() == before)
    }
}
