import CShims
import Foundation
import Testing

/// Docker's run flags beyond the basics: volumes, tmpfs, a read-only root,
/// users, limits and --init, each checked from inside the container.
@Suite struct RunFlagTests {
    let sandbox: Sandbox

    init() throws { sandbox = try Sandbox() }

    @Test func volumesBindTheHostPathReadWriteOrReadOnly() throws {
        let source = sandbox.root + "-volume"
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: source) }
        try Data("host\n".utf8).write(to: URL(fileURLWithPath: source + "/in"))

        let writable = sandbox.run(["run", "--rm", "-v", "\(source):/data", "busybox", "sh", "-c", "cat /data/in && echo container > /data/out"])
        #expect(writable.stdout == "host\n", "\(writable.stderr)")
        #expect(try String(contentsOfFile: source + "/out", encoding: .utf8) == "container\n")

        let readOnly = sandbox.run(["run", "--rm", "-v", "\(source):/data:ro", "busybox", "sh", "-c", "echo no > /data/out"])
        #expect(readOnly.code != 0)
        #expect(readOnly.stderr.contains("Read-only file system"))
        #expect(try String(contentsOfFile: source + "/out", encoding: .utf8) == "container\n")
    }

    @Test func volumeErrorsSayWhat() {
        let missing = sandbox.run(["run", "--rm", "-v", "/no/such/dir:/data", "busybox", "true"])
        #expect(missing.code == 125)
        #expect(missing.stderr == "swiftrun: -v /no/such/dir:/data: bind source path /no/such/dir: No such file or directory\n")
        // A relative path is no volume name, as Docker says.
        let relative = sandbox.run(["run", "--rm", "-v", "./data:/data", "busybox", "true"])
        #expect(relative.code == 125)
        #expect(relative.stderr.contains("includes invalid characters for a local volume name"), "\(relative.stderr)")
        #expect(relative.stderr.contains("If you intended to pass a host directory, use absolute path"))
    }

    @Test func readOnlyRootWithTmpfsWhereAsked() {
        let result = sandbox.run([
            "run", "--rm", "--read-only", "--tmpfs", "/tmp", "busybox", "sh", "-c",
            "touch /etc/x 2>/dev/null && echo root-writable; touch /tmp/x && echo tmp-writable; grep ' /tmp ' /proc/mounts"
        ])
        #expect(result.stdout.hasPrefix("tmp-writable\ntmpfs /tmp tmpfs rw,nosuid,nodev,noexec"), "\(result.stdout) \(result.stderr)")
    }

    @Test func userByNameOrNumberFromTheImage() {
        #expect(sandbox.run(["run", "--rm", "-u", "nobody", "busybox", "id"]).stdout == "uid=65534(nobody) gid=65534(nogroup)\n")
        #expect(sandbox.run(["run", "--rm", "-u", "33:5", "busybox", "id"]).stdout == "uid=33(www-data) gid=5(tty)\n")
        #expect(sandbox.run(["run", "--rm", "-u", "www-data", "busybox", "sh", "-c", "echo $HOME"]).stdout == "/var/www\n")
        let unknown = sandbox.run(["run", "--rm", "-u", "ghost", "busybox", "id"])
        #expect(unknown.code == 125)
        #expect(unknown.stderr.contains("unable to find user ghost"))
        // A non-root user keeps no capabilities after execve.
        let caps = sandbox.run(["run", "--rm", "-u", "1000", "busybox", "grep", "CapEff", "/proc/self/status"])
        #expect(caps.stdout == "CapEff:\t0000000000000000\n")
    }

    @Test func ulimitsApplyAndNeverRiseAboveSwiftrunsOwn() {
        #expect(sandbox.run(["run", "--rm", "--ulimit", "nofile=128:256", "busybox", "sh", "-c", "ulimit -Sn; ulimit -Hn"]).stdout == "128\n256\n")
        var own = rlimit()
        getrlimit(__rlimit_resource_t(7), &own)  // RLIMIT_NOFILE
        let above = sandbox.run(["run", "--rm", "--ulimit", "nofile=1:\(UInt64(own.rlim_max) + 1)", "busybox", "true"])
        #expect(above.code == 125)
        #expect(above.stderr.contains("above swiftrun's own"))
    }

    @Test func initReapsZombiesAndForwardsSignals() throws {
        // The command leaves 100 orphans (sleep 1000, reparented to pid 1)
        // and execs sleep, which never reaps. The test kills the orphans from
        // the host. Without --init they stay as zombies of that sleep; with
        // --init the reaper collects them.
        let script = "for i in $(seq 100); do (sleep 1000 &); done; wait; echo ready; exec sleep 1000"
        let withoutInit = sandbox.start(["run", "--rm", "--name", "plain", "busybox", "sh", "-c", script])
        #expect(withoutInit.readLine() == "ready")
        let plainPID = try sandbox.containerPID("plain")
        let orphans = children(of: plainPID)
        #expect(orphans.count == 100)
        orphans.forEach { kill($0, SIGKILL) }
        #expect(orphans.allSatisfy { waitForExit(of: $0) })
        #expect(children(of: plainPID).count == 100, "nobody reaped them: 100 zombies")
        withoutInit.signal(SIGKILL)
        withoutInit.waitForSwiftrun()

        let withInit = sandbox.start(["run", "--rm", "--init", "--name", "reaped", "busybox", "sh", "-c", script])
        #expect(withInit.readLine() == "ready")
        let initPID = try sandbox.containerPID("reaped")
        let command = try #require(children(of: initPID).min())  // forked first
        let initOrphans = children(of: initPID).filter { $0 != command }
        #expect(initOrphans.count == 100)
        // Pinned by pidfds before the kill: the reaper frees each pid at
        // once, and another test's process may take it before a wait by pid.
        let pinned = initOrphans.map { sr_pidfd_open($0) }
        #expect(pinned.allSatisfy { $0 >= 0 })
        pinned.forEach { _ = sr_pidfd_send_signal($0, SIGKILL) }
        #expect(pinned.allSatisfy { waitForExit(pidfd: $0) })
        pinned.forEach { close($0) }
        // Reaping by another process has no event a test can wait on, so
        // this one check waits with a deadline.
        #expect(eventually { children(of: initPID) == [command] }, "zombies left: \(children(of: initPID).count - 1)")
        withInit.signal(SIGTERM)
        #expect(withInit.finish().code == 143, "SIGTERM went through the reaper to sleep")
    }

    /// The children of `pid`, from /proc (every thread's list).
    private func children(of pid: pid_t) -> [pid_t] {
        let text = (try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8)) ?? ""
        return text.split(separator: " ").compactMap { pid_t($0) }
    }
}
