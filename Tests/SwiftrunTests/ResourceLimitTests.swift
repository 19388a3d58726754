import Foundation
import Testing

@testable import SwiftrunCore

/// Docker's resource flags, enforced by the kernel: on this host through
/// the cgroup v1 hierarchies, in the VM (make vm-test) through cgroup v2.
@Suite struct ResourceLimitTests {
    let sandbox: Sandbox

    init() throws { sandbox = try Sandbox() }

    @Test func aMemoryHogIsKilledAt137AndInspectSaysOOMKilled() throws {
        let result = sandbox.run([
            "run", "--name", "hog", "--memory", "16m", "--memory-swap", "16m", "busybox", "sh", "-c",
            "x=0123456789; while true; do x=$x$x; done"
        ])
        #expect(result.code == 137)
        #expect(sandbox.run(["inspect", "hog"]).stdout.contains("\"OOMKilled\":true"))
        let id = try sandbox.containerID("hog")
        #expect(!Sandbox.cgroupExists(id), "the cgroup went when the container ended")
        #expect(sandbox.run(["rm", "hog"]).code == 0)
    }

    /// Docker's default: memory and swap together up to twice --memory
    /// (v1's memory.memsw; v2's memory.swap.max holds the swap alone), and
    /// --memory-swap 0 means the same.
    @Test(arguments: [[], ["--memory-swap", "0"]])
    func swapIsLimitedToTheMemoryLimitByDefault(flags: [String]) throws {
        let name = "swap\(flags.count)"
        #expect(sandbox.run(["run", "-d", "--name", name, "--memory", "64m"] + flags + ["busybox", "sleep", "1000"]).code == 0)
        defer { sandbox.run(["rm", "-f", name]) }
        let id = try sandbox.containerID(name)
        // The kernel accounts swap where the hierarchy above the container
        // has the file; there the container's own must have it too.
        // v2's root cgroup has no swap files, so there swiftrun's is looked at.
        let mode = CgroupMode.host
        let root = mode.isPureV2 ? mode.unified! : mode.v1["memory"]!
        let (file, expected) = mode.isPureV2 ? ("memory.swap.max", 64 << 20) : ("memory.memsw.limit_in_bytes", 128 << 20)
        if FileManager.default.fileExists(atPath: mode.isPureV2 ? "\(root)/swiftrun/\(file)" : "\(root)/\(file)") {
            #expect(try String(contentsOfFile: "\(root)/swiftrun/\(id)/\(file)", encoding: .utf8) == "\(expected)\n")
        }
        let inspect = sandbox.run(["inspect", "-f", "{{.HostConfig.MemorySwap}}", name])
        #expect(inspect.stdout == "\(128 << 20)\n", "\(inspect.stderr)")
        if !flags.isEmpty {
            // Alone, --memory-swap 0 limits nothing (v1 would have taken it as a limit of 0).
            let alone = sandbox.run(["run", "--rm", "--memory-swap", "0", "busybox", "echo", "ran"])
            #expect(alone.code == 0 && alone.stdout == "ran\n", "\(alone.stderr)")
        }
    }

    @Test func aForkBombStopsAtThePidsLimit() {
        // 200 processes that stay, asked for as fast as a subshell can fork
        // (ash gives up at the first failed fork); then counted with a shell
        // glob, which needs no fork once the slots are gone.
        let result = sandbox.run([
            "run", "--rm", "--pids-limit", "20", "busybox", "sh", "-c",
            "(i=0; while [ $i -lt 200 ]; do sleep 100 & i=$((i+1)); done) 2>/dev/null; set -- /proc/[0-9]*; echo $#"
        ])
        let count = Int(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
        #expect(count > 5 && count <= 20, "processes: \(result.stdout) \(result.stderr)")
    }

    @Test func aCPUBurnerUnderCpusIsThrottled() throws {
        let running = sandbox.start([
            "run", "--rm", "--name", "burner", "--cpus", "0.2", "busybox", "sh", "-c",
            "echo ready; while :; do :; done"
        ])
        #expect(running.readLine() == "ready")
        let id = try sandbox.containerID("burner")
        let mode = CgroupMode.host
        let stat = mode.isPureV2 ? mode.unified! + "/swiftrun/\(id)/cpu.stat" : mode.v1["cpu"]! + "/swiftrun/\(id)/cpu.stat"
        // Throttling shows after a few 100 ms CFS periods; the kernel offers
        // no event for it, so this waits with a deadline.
        let deadline = Date().addingTimeInterval(10)
        var throttled = 0
        while throttled == 0 && Date() < deadline {
            let text = (try? String(contentsOfFile: stat, encoding: .utf8)) ?? ""
            throttled = text.split(separator: "\n").first { $0.hasPrefix("nr_throttled ") }.flatMap { Int($0.split(separator: " ")[1]) } ?? 0
            usleep(50_000)
        }
        #expect(throttled > 0, "cpu.stat shows no throttling")
        running.signal(SIGKILL)
        running.waitForSwiftrun()
        sandbox.run(["ps", "-a"])  // finishes the cleanup
        #expect(!Sandbox.cgroupExists(id))
    }

    @Test func theContainerSitsAtTheRootOfItsCgroupNamespace() {
        let lines = sandbox.run(["run", "--rm", "--memory", "32m", "busybox", "cat", "/proc/self/cgroup"]).stdout.split(separator: "\n")
        #expect(!lines.isEmpty)
        #expect(lines.allSatisfy { $0.hasSuffix(":/") }, "\(lines)")
    }

    @Test func subCgroupsTheContainerMadeAreRemovedToo() throws {
        let mount = CgroupMode.host.isPureV2 ? "mount -t cgroup2 none /tmp/cg" : "mount -t cgroup -o memory none /tmp/cg"
        let running = sandbox.start(
            [
                "run", "--rm", "-i", "--name", "nester", "--privileged", "--memory", "64m", "busybox", "sh", "-c",
                "mkdir /tmp/cg && \(mount) && mkdir /tmp/cg/sub /tmp/cg/sub/deeper && echo ready; read x"
            ],
            keepStdinOpen: true)
        #expect(running.readLine() == "ready")
        let id = try sandbox.containerID("nester")
        let memoryRoot = CgroupMode.host.isPureV2 ? CgroupMode.host.unified! : CgroupMode.host.v1["memory"]!
        #expect(FileManager.default.fileExists(atPath: memoryRoot + "/swiftrun/\(id)/sub/deeper"))
        running.writeToStdin("\n")
        #expect(running.finish().code == 0)
        #expect(!Sandbox.cgroupExists(id), "a sub-cgroup kept the container's cgroup alive")
    }

    @Test func statsReadsTheContainersCgroups() throws {
        let running = sandbox.start(
            ["run", "--rm", "-i", "--name", "measured", "--memory", "64m", "busybox", "sh", "-c", "echo ready; read x"],
            keepStdinOpen: true)
        #expect(running.readLine() == "ready")
        let stats = sandbox.run(["stats", "--no-stream", "measured"])
        let row = stats.stdout.split(separator: "\n").last.map(String.init) ?? ""
        #expect(stats.stdout.hasPrefix("CONTAINER ID   NAME"), "\(stats.stdout)\(stats.stderr)")
        #expect(row.contains("measured") && row.contains("/ 64MiB"), "\(row)")
        #expect(row.hasSuffix(" 1") || row.hasSuffix(" 2"), "pids: \(row)")
        running.writeToStdin("\n")
        #expect(running.finish().code == 0)
    }

    /// With no limit, a container on a hybrid host is in no v1 hierarchy:
    /// its CPU time comes from its v2 cgroup's cpu.stat and its memory
    /// from its processes, not "0%" and "0B". A stopped one (-a) is zeros,
    /// as in docker stats.
    @Test func statsMeasuresAContainerWithNoLimits() throws {
        let running = sandbox.start(["run", "--rm", "--name", "busy", "busybox", "sh", "-c", "echo ready; while :; do :; done"])
        #expect(running.readLine() == "ready")
        #expect(sandbox.run(["create", "--name", "idle", "busybox", "true"]).code == 0)
        let stats = sandbox.run(["stats", "--no-stream", "-a", "--format", "{{.Name}}|{{.CPUPerc}}|{{.MemUsage}}|{{.BlockIO}}|{{.PIDs}}"])
        let rows = Dictionary(
            stats.stdout.split(separator: "\n").map { line in (String(line.prefix { $0 != "|" }), line.split(separator: "|").map(String.init)) },
            uniquingKeysWith: { $1 })
        let busy = try #require(rows["busy"], "\(stats.stdout)\(stats.stderr)")
        #expect((Double(busy[1].dropLast()) ?? 0) > 5, "a busy loop's CPU: \(busy)")
        #expect(!busy[2].hasPrefix("0B ") && busy[2].hasSuffix("iB"), "its memory, against the host's: \(busy)")
        #expect(busy[4] == "1", "\(busy)")
        #expect(rows["idle"] == ["idle", "0.00%", "0B / 0B", "0B / 0B", "0"], "\(stats.stdout)")
        #expect(sandbox.run(["kill", "busy"]).code == 0)
        #expect(running.finish().code == 137)
    }

    @Test(
        arguments: [
            (["--memory", "12XB"], "invalid --memory \"12XB\""),
            (["--memory=-5m"], "invalid --memory \"-5m\""),
            (["--cpus", "0"], "invalid --cpus \"0\""),
            (["--pids-limit", "0"], "invalid --pids-limit \"0\""),
            (["--memory", "64m", "--memory-swap", "32m"], "must be at least --memory"),
            (["--cpuset-cpus", "a-b"], "invalid --cpuset-cpus")
        ] as [([String], String)])
    func badValuesGetClearErrors(flags: [String], message: String) {
        let result = sandbox.run(["run", "--rm"] + flags + ["busybox", "true"])
        #expect(result.code == 125)
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }
}
