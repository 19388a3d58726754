import Foundation
import Testing

/// Exit codes as Docker gives them, and one clear line on stderr for errors.
@Suite struct ExitCodeTests {
    @Test(
        arguments: [
            (["sh", "-c", "exit 0"], 0),
            (["sh", "-c", "exit 3"], 3),
            (["/etc/passwd"], 126),  // exists, not executable
            (["no-such-command"], 127),
            (["sh", "-c", "kill -TERM $$; exit 0"], 0)  // pid 1 ignores signals it has no handler for
        ] as [([String], Int32)])
    func containerExitCodes(command: [String], expected: Int32) throws {
        let sandbox = try Sandbox()
        let result = sandbox.run(["run", "--rm", "busybox"] + command)
        #expect(result.code == expected, "stderr: \(result.stderr)")
    }

    @Test func notFoundAndNotExecutableSayWhy() throws {
        let sandbox = try Sandbox()
        let missing = sandbox.run(["run", "--rm", "busybox", "no-such-command"])
        #expect(missing.stderr == "swiftrun: exec: \"no-such-command\": executable file not found in $PATH\n")
        let denied = sandbox.run(["run", "--rm", "busybox", "/etc/passwd"])
        #expect(denied.stderr == "swiftrun: exec: \"/etc/passwd\": Permission denied\n")
    }

    @Test(
        arguments: [
            (["run", "--rm", "--pull=never", "no-such-image", "true"], "swiftrun: image not found: no-such-image"),
            (["run", "--bogus-flag", "busybox", "true"], "swiftrun: Unknown option '--bogus-flag'"),
            (["run", "--rm", "-w", "relative/dir", "busybox", "true"], "swiftrun: the working directory 'relative/dir' is invalid"),
            (["run", "--rm", "--name", "../escape", "busybox", "true"], "swiftrun: invalid container name"),
            (["run", "--rm", "-w", "/etc/passwd", "busybox", "true"], "swiftrun: chdir /etc/passwd: Not a directory")
        ] as [([String], String)])
    func runtimeErrorsExit125WithOneLine(arguments: [String], message: String) throws {
        let sandbox = try Sandbox()
        let result = sandbox.run(arguments)
        #expect(result.code == 125)
        #expect(result.stderr.hasPrefix(message), "stderr: \(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1, "more than one line: \(result.stderr)")
    }

    @Test func killedBySigkillFromTheHostExits137() throws {
        let sandbox = try Sandbox()
        let running = sandbox.start(["run", "--rm", "--name", "victim", "busybox", "sh", "-c", "echo ready; exec sleep 1000"])
        #expect(running.readLine() == "ready")
        let pid = try sandbox.containerPID("victim")
        #expect(kill(pid, SIGKILL) == 0)
        #expect(running.finish().code == 137)
    }

    @Test func sigtermToSwiftrunReachesTheContainersTrap() throws {
        let sandbox = try Sandbox()
        let running = sandbox.start([
            "run", "--rm", "busybox", "sh", "-c",
            "trap 'echo got-term; exit 42' TERM; echo ready; while :; do sleep 0.05; done"
        ])
        #expect(running.readLine() == "ready")
        running.signal(SIGTERM)
        let result = running.finish()
        #expect(result.code == 42, "stderr: \(result.stderr)")
        #expect(result.stdout.contains("got-term"))
    }

    @Test func oneDashRmIsAcceptedWithANote() throws {
        let sandbox = try Sandbox()
        let before = try sandbox.snapshot()
        let result = sandbox.run(["run", "-rm", "busybox", "echo", "hi"])
        #expect(result.code == 0)
        #expect(result.stdout == "hi\n")
        #expect(result.stderr.contains("--rm"))
        #expect(try sandbox.snapshot() == before, "-rm did not remove the container")
    }

    @Test func existingNameIsRefused() throws {
        let sandbox = try Sandbox()
        #expect(sandbox.run(["run", "--name", "web", "busybox", "true"]).code == 0)
        let second = sandbox.run(["run", "--name", "web", "busybox", "true"])
        #expect(second.code == 125)
        #expect(second.stderr.contains("\"web\" is already in use"))
        #expect(sandbox.run(["rm", "web"]).code == 0)
        #expect(sandbox.run(["run", "--rm", "--name", "web", "busybox", "true"]).code == 0)
    }

    @Test func corruptImportFilesAreRefusedAndStoreNothing() throws {
        let sandbox = try Sandbox()
        let before = try sandbox.snapshot()
        let dir = sandbox.root + "-inputs"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let notTar = dir + "/not.tar"
        try Data(repeating: 0x41, count: 4096).write(to: URL(fileURLWithPath: notTar))
        let truncated = dir + "/truncated.tar"
        let sample = try Data(contentsOf: URL(fileURLWithPath: Sandbox.sample))
        try sample.prefix(sample.count / 2).write(to: URL(fileURLWithPath: truncated))
        let badGzip = dir + "/bad.tar.gz"
        try Data([0x1f, 0x8b, 0x08, 0x00] + Array(repeating: 0xff, count: 100)).write(to: URL(fileURLWithPath: badGzip))

        for (file, reason) in [(notTar, "not a tar archive"), (truncated, "truncated"), (badGzip, "corrupt gzip data"), (dir + "/missing.tar", "No such file")]
        {
            let result = sandbox.run(["import", file, "broken"])
            #expect(result.code != 0)
            #expect(result.stderr.contains(reason), "\(file): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1)
        }
        #expect(try sandbox.snapshot() == before, "a failed import left something in the store")
    }
}
