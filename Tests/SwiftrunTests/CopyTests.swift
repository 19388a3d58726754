import Foundation
import Testing

/// `cp` between containers and the host (issue 12): both ways, running and
/// stopped, tar streams, and paths that must stay inside the container.
@Suite struct CopyTests {
    let sandbox: Sandbox
    let host: String

    init() throws {
        sandbox = try Sandbox()
        host = sandbox.root + "/host"
        try FileManager.default.createDirectory(atPath: host + "/tree/sub", withIntermediateDirectories: true)
        try "hello\n".write(toFile: host + "/file.txt", atomically: false, encoding: .utf8)
        try "deep\n".write(toFile: host + "/tree/sub/deep.txt", atomically: false, encoding: .utf8)
    }

    func startSleeper(_ name: String) throws {
        let started = sandbox.run(["run", "-d", "--name", name, "busybox", "sleep", "300"])
        try #require(started.code == 0, "\(started.stderr)")
    }

    func overlayMounts() throws -> Int {
        try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8).split(separator: "\n").filter { $0.contains(" - overlay ") }.count
    }

    @Test func filesAndTreesGoBothWaysWhileRunning() throws {
        try startSleeper("box")
        #expect(sandbox.run(["cp", host + "/file.txt", "box:/tmp/"]).code == 0)
        #expect(sandbox.run(["cp", host + "/tree", "box:/tmp/copied"]).code == 0)
        #expect(sandbox.run(["exec", "box", "cat", "/tmp/file.txt", "/tmp/copied/sub/deep.txt"]).stdout == "hello\ndeep\n")
        // Into an existing directory a tree keeps its name; "dir/." copies only its contents.
        #expect(sandbox.run(["cp", host + "/tree", "box:/tmp/copied"]).code == 0)
        #expect(sandbox.run(["exec", "box", "cat", "/tmp/copied/tree/sub/deep.txt"]).stdout == "deep\n")
        #expect(sandbox.run(["cp", host + "/tree/.", "box:/srv"]).code == 0)
        #expect(sandbox.run(["exec", "box", "cat", "/srv/sub/deep.txt"]).stdout == "deep\n")
        // Out again, under a new name and into a directory.
        #expect(sandbox.run(["cp", "box:/tmp/copied", host + "/back"]).code == 0)
        #expect(try String(contentsOfFile: host + "/back/sub/deep.txt", encoding: .utf8) == "deep\n")
        #expect(sandbox.run(["cp", "box:/etc/passwd", host + "/back"]).code == 0)
        #expect(try String(contentsOfFile: host + "/back/passwd", encoding: .utf8) == sandbox.run(["exec", "box", "cat", "/etc/passwd"]).stdout)
    }

    @Test func aStoppedContainerIsCopiedWithoutAMountLeftBehind() throws {
        try startSleeper("idle")
        #expect(sandbox.run(["exec", "idle", "sh", "-c", "echo written-while-running > /state"]).code == 0)
        #expect(sandbox.run(["stop", "-t", "0", "idle"]).code == 0)
        let before = try overlayMounts()
        #expect(sandbox.run(["cp", "idle:/state", host + "/state"]).code == 0)
        #expect(try String(contentsOfFile: host + "/state", encoding: .utf8) == "written-while-running\n")
        #expect(sandbox.run(["cp", host + "/file.txt", "idle:/added.txt"]).code == 0)
        #expect(try overlayMounts() == before)
        // The next start sees what was copied into its writable layer.
        #expect(sandbox.run(["start", "idle"]).code == 0)
        #expect(sandbox.run(["exec", "idle", "cat", "/added.txt"]).stdout == "hello\n")
    }

    @Test func tarStreamsOnStdinAndStdout() throws {
        try startSleeper("tarred")
        let out = sandbox.run(["cp", "tarred:/etc/passwd", "-"])
        #expect(out.code == 0)
        let listed = try tool(["sh", "-c", "\(Sandbox.binary) --root \(sandbox.root) cp tarred:/etc - | tar -tf - | sort | head -3"])
        // hostname: the mount point of the /etc/hostname every container gets.
        #expect(listed == "etc/\netc/group\netc/hostname\n", "\(listed)")
        try tool(["tar", "-cf", host + "/in.tar", "-C", host, "tree"])
        #expect(sandbox.run(["cp", "-", "tarred:/tmp"], stdin: FileHandle(forReadingAtPath: host + "/in.tar")!).code == 0)
        #expect(sandbox.run(["exec", "tarred", "cat", "/tmp/tree/sub/deep.txt"]).stdout == "deep\n")
        // A tar goes into a directory that is there.
        #expect(sandbox.run(["cp", "-", "tarred:/opt"], stdin: FileHandle(forReadingAtPath: host + "/in.tar")!).code == 1)
    }

    @Test func ownersAreRootsUnlessArchiveKeepsThem() throws {
        try startSleeper("owners")
        #expect(chown(host + "/file.txt", 1234, 4321) == 0)
        #expect(sandbox.run(["cp", host + "/file.txt", "owners:/plain"]).code == 0)
        #expect(sandbox.run(["cp", "-a", host + "/file.txt", "owners:/kept"]).code == 0)
        #expect(sandbox.run(["exec", "owners", "stat", "-c", "%u:%g", "/plain", "/kept"]).stdout == "0:0\n1234:4321\n")
    }

    /// CVE-2018-15664 and CVE-2019-14271: the container's symlinks resolve
    /// inside its root, so neither direction reaches the host's files.
    @Test func aSymlinkToSlashStaysInsideTheContainer() throws {
        try startSleeper("links")
        let marker = "swiftrun-cp-escape-\(UInt32.random(in: 0...UInt32.max))"
        #expect(sandbox.run(["exec", "links", "ln", "-s", "/", "/tmp/evil"]).code == 0)
        #expect(sandbox.run(["cp", host + "/file.txt", "links:/tmp/evil/\(marker)"]).code == 0)
        #expect(!FileManager.default.fileExists(atPath: "/" + marker), "cp wrote on the host")
        #expect(sandbox.run(["exec", "links", "cat", "/\(marker)"]).stdout == "hello\n")
        // So do ".." components: they stop at the container's root.
        #expect(sandbox.run(["cp", host + "/file.txt", "links:/tmp/../../../\(marker)-dots"]).code == 0)
        #expect(!FileManager.default.fileExists(atPath: "/\(marker)-dots"), "cp wrote on the host")
        #expect(sandbox.run(["exec", "links", "cat", "/\(marker)-dots"]).stdout == "hello\n")
        // Reading through the link gives the container's passwd, not the host's.
        #expect(sandbox.run(["cp", "links:/tmp/evil/etc/passwd", host + "/passwd"]).code == 0)
        #expect(try String(contentsOfFile: host + "/passwd", encoding: .utf8) == sandbox.run(["exec", "links", "cat", "/etc/passwd"]).stdout)
        // A symlink is copied out as a symlink, never as what it names.
        #expect(sandbox.run(["exec", "links", "ln", "-s", "/etc/shadow", "/tmp/shadow-link"]).code == 0)
        #expect(sandbox.run(["cp", "links:/tmp/shadow-link", host + "/link"]).code == 0)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: host + "/link") == "/etc/shadow")
    }

    @Test func badPathsGetAClearError() throws {
        try startSleeper("errs")
        let missing = sandbox.run(["cp", "errs:/no/such", host + "/x"])
        #expect(missing.code == 1)
        #expect(missing.stderr == "swiftrun: Could not find the file /no/such in container errs\n")
        #expect(sandbox.run(["cp", host + "/tree", "errs:/etc/passwd"]).stderr.contains("cannot copy a directory to a file"))
        #expect(sandbox.run(["cp", "a:/x", "b:/y"]).stderr == "swiftrun: copying between containers is not supported\n")
        #expect(sandbox.run(["cp", host + "/a", host + "/b"]).stderr == "swiftrun: must specify at least one container source\n")
    }
}
