import Foundation
import Testing

@testable import SwiftrunCore

/// `run --explain=json`: the records of what really happened, in order.
@Suite struct ExplainTests {
    let sandbox: Sandbox

    init() throws { sandbox = try Sandbox() }

    /// The JSON records in `stderr`, one object a line.
    func records(_ stderr: String) throws -> [[String: Any]] {
        try stderr.split(separator: "\n").filter { $0.hasPrefix("{") }.map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
    }

    @Test func childRecordsFollowTheDocumentedOrder() throws {
        let result = sandbox.run(["run", "--rm", "--explain=json", "busybox", "true"])
        #expect(result.code == 0, "\(result.stderr)")
        let steps = try records(result.stderr).filter { $0["by"] as? String == "child" }.map { $0["step_number"] as! Int }
        #expect(steps.count > 30, "every step reports: \(steps)")
        #expect(steps == steps.sorted(), "out of the documented order: \(steps)")
        #expect(steps.last == steps.max(), "execve is last")
        let names = try records(result.stderr).compactMap { $0["step"] as? String }
        for expected in ["image", "seccomp", "capabilities", "clone3", "mount overlay rootfs", "pivot_root", "exec", "exit", "cleanup"] {
            #expect(names.contains(expected), "no \(expected) record")
        }
    }

    /// run's child shares swiftrun's memory until its execve; --init's
    /// pid 1 never execs, so it gets a copy (sr_spawn_can_share_memory).
    @Test func theCloneSharesMemoryOnlyWithAChildThatExecs() throws {
        for (flags, sharing) in [([String](), true), (["--init"], false)] {
            let result = sandbox.run(["run", "--rm", "--explain=json"] + flags + ["busybox", "true"])
            #expect(result.code == 0, "\(result.stderr)")
            let clone = try #require(try records(result.stderr).first { $0["step"] as? String == "clone3" })
            let call = try #require(clone["call"] as? String)
            #expect(call.hasPrefix("clone3(CLONE_VM|CLONE_VFORK|") == sharing, "\(flags): \(call)")
        }
    }

    @Test func namespaceInodesDifferFromTheHostsAndMatchWhatTheContainerReads() throws {
        let result = sandbox.run([
            "run", "--rm", "--explain=json", "busybox", "sh", "-c",
            "for n in pid mnt uts ipc net cgroup; do readlink /proc/self/ns/$n; done"
        ])
        let compare = try #require(try records(result.stderr).first { $0["step"] as? String == "compare" })
        let host = compare["host"] as! [String: String]
        let container = compare["container"] as! [String: String]
        let inside = result.stdout.split(separator: "\n").map(String.init)
        for (i, name) in ["pid", "mnt", "uts", "ipc", "net", "cgroup"].enumerated() {
            #expect(container[name] != host[name], "\(name) is the host's")
            #expect(container[name] == inside[i], "\(name): explained \(container[name] ?? "?"), inside \(inside[i])")
        }
        #expect(container["root"] != host["root"])
        #expect(container["hostname"] != host["hostname"])
    }

    @Test func theCgroupValuesReportedAreTheOnesInTheFiles() throws {
        let running = sandbox.start(
            [
                "run", "--rm", "-i", "--explain=json", "--memory", "64m", "--pids-limit", "50", "--cpus", "0.5",
                "busybox", "sh", "-c", "echo ready; read x"
            ], keepStdinOpen: true)
        #expect(running.readLine() == "ready")
        // Everything up to execve is on stderr by now: the child wrote its
        // last record before exec.
        var text = ""
        while !text.contains("\"step\":\"exec\"") { text += running.availableStderr() }
        let writes = try records(text).filter { $0["step"] as? String == "cgroup" }.compactMap { $0["call"] as? String }
            // subtree_control reads back as names without the "+" written.
            .filter { $0.contains(" = ") && !$0.contains("BPF") && !$0.contains("subtree_control") }
        #expect(writes.contains { $0.hasSuffix(" = 67108864") }, "the memory limit is reported: \(writes)")
        #expect(writes.contains { $0.contains("pids.max = 50") })
        // On a host with v1 hierarchies, the child moves itself into them
        // (no global lock, no grace period): its own record says so.
        let joined = try records(text).contains { $0["by"] as? String == "child" && $0["step"] as? String == "join v1 cgroup" }
        #expect(joined == !CgroupMode.host.isPureV2, "the child joins its v1 cgroups itself")
        for write in writes {
            let parts = write.components(separatedBy: " = ")
            let file = try String(contentsOfFile: parts[0], encoding: .utf8)
            #expect(file.split(separator: "\n").contains(Substring(parts[1])), "\(parts[0]) holds \(file), not \(parts[1])")
        }
        running.writeToStdin("\n")
        #expect(running.finish().code == 0)
    }

    @Test func aFailingStepIsNarratedAsTheStepThatFailed() throws {
        let result = sandbox.run(["run", "--rm", "--explain=json", "-w", "/etc/passwd", "busybox", "true"])
        #expect(result.code == 125)
        let last = try #require(try records(result.stderr).last { $0["by"] as? String == "child" })
        #expect(last["step"] as? String == "chdir")
        #expect(last["errno"] as? Int == Int(ENOTDIR))
        #expect(result.stderr.hasSuffix("swiftrun: chdir /etc/passwd: Not a directory\n"))
    }

    @Test func textModeNarratesTheSameRunAndLeavesTheOutputAlone() {
        let result = sandbox.run(["run", "--rm", "--explain", "busybox", "echo", "--explain"])
        #expect(result.code == 0)
        #expect(result.stdout == "--explain\n", "the container's own --explain is its argument")
        #expect(result.stderr.contains("explain: pivot_root:"))
        #expect(result.stderr.contains("the same kernel, different views"))
    }
}
