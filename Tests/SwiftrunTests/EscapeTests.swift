import CShims
import Foundation
import Testing

/// The escape suite: each probe runs inside a container and must be
/// refused. Each has a twin that shows the same action succeeding with the
/// matching --cap-add, --privileged or seccomp=unconfined, so the test
/// proves that the wall, and not something else, stopped it. The probe is
/// Tests/probe/probe.c; it prints "ok" or "denied: ERRNO".
@Suite struct EscapeTests {
    let sandbox: Sandbox

    init() throws {
        sandbox = try Sandbox(importBusybox: false)
        try sandbox.importProbe()
    }

    /// `run --rm FLAGS probe ARGS...`, its first line of output.
    func probe(_ flags: [String] = [], _ arguments: String...) -> String {
        let result = sandbox.run(["run", "--rm"] + flags + ["probe", "probe"] + arguments)
        return result.stdout.split(separator: "\n").first.map(String.init) ?? "no output; stderr: \(result.stderr)"
    }

    @Test func mountNeedsSysAdmin() {
        #expect(probe([], "mount") == "denied: EPERM")
        #expect(probe(["--cap-add", "SYS_ADMIN"], "mount") == "ok")
    }

    @Test func kernelModulesCannotBeLoaded() {
        #expect(probe([], "module") == "denied: EPERM")
        // Privileged, the call reaches the kernel's loader, which rejects
        // the bogus image (or has no module support): not EPERM.
        #expect(probe(["--privileged"], "module") != "denied: EPERM")
    }

    @Test func procSysAndSysrqTriggerAreReadOnly() {
        if FileManager.default.fileExists(atPath: "/proc/sysrq-trigger") {  // absent without CONFIG_MAGIC_SYSRQ
            #expect(probe([], "write", "/proc/sysrq-trigger", "h") == "denied: EROFS")
        }
        // ip_forward belongs to the container's own network namespace, so
        // the privileged twin writes it without touching the host.
        #expect(probe([], "write", "/proc/sys/net/ipv4/ip_forward", "1") == "denied: EROFS")
        #expect(probe(["--privileged"], "write", "/proc/sys/net/ipv4/ip_forward", "1") == "ok")
    }

    @Test func maskedProcFilesShowNothing() {
        #expect(probe([], "read", "/proc/keys") == "empty")
        #expect(probe(["--privileged"], "read", "/proc/keys") == "ok")
        if FileManager.default.fileExists(atPath: "/proc/kcore") {
            #expect(probe([], "read", "/proc/kcore") == "empty")
        }
    }

    @Test func rawSocketsNeedNetRaw() {
        #expect(probe(["--cap-drop", "NET_RAW"], "raw-socket") == "denied: EPERM")
        #expect(probe([], "raw-socket") == "ok")
    }

    @Test func mknodNeedsMknod() {
        #expect(probe(["--cap-drop", "MKNOD"], "mknod", "/dev/node", "7", "0") == "mknod denied: EPERM")
        // With the default CAP_MKNOD the node is made; opening it is the
        // device cgroup's business (next test).
        #expect(!probe([], "mknod", "/dev/node", "7", "0").hasPrefix("mknod denied"))
    }

    @Test func aNodeForTheHostsRootDiskCannotBeOpened() throws {
        var root = stat()
        try #require(stat("/", &root) == 0)
        let disk = (String(sr_major(root.st_dev)), String(sr_minor(root.st_dev)))
        #expect(probe([], "mknod", "/dev/disk", disk.0, disk.1) == "denied: EPERM")
        // The twin needs a block device the host itself may open: loop0.
        // Refused by default, allowed once --device grants it.
        #expect(probe([], "mknod", "/dev/loop", "7", "0") == "denied: EPERM")
        #expect(probe(["--device", "/dev/loop0:/dev/granted"], "mknod", "/dev/loop", "7", "0") == "ok")
    }

    @Test func keyringsAreRefusedBySeccomp() {
        #expect(probe([], "add-key") == "denied: EPERM")
        #expect(probe(["--security-opt", "seccomp=unconfined"], "add-key") == "ok")
    }

    @Test func userNamespacesAreRefusedBySeccomp() {
        #expect(probe([], "unshare-user") == "denied: EPERM")
        #expect(probe(["--security-opt", "seccomp=unconfined"], "unshare-user") == "ok")
    }

    /// The filter is a binary tree over each architecture's numbers: the
    /// 32-bit entry has a table of its own, and must refuse what the
    /// 64-bit one does.
    @Test func thirtyTwoBitSyscallsAreFilteredToo() {
        #expect(probe([], "add-key-32") == "denied: EPERM")
        #expect(probe(["--security-opt", "seccomp=unconfined"], "add-key-32") == "ok")
        // x32's numbers share x86-64's section of the filter (SeccompRelayout
        // searches both in one tree): refused by the filter, not by the
        // kernel, which answers ENOSYS or runs it when unconfined.
        #expect(probe([], "add-key-x32") == "denied: EPERM")
        #expect(["ok", "denied: ENOSYS"].contains(probe(["--security-opt", "seccomp=unconfined"], "add-key-x32")))
    }

    /// Rules on a syscall's arguments: clone without namespace flags
    /// passes, with CLONE_NEWUSER it does not; personality takes only the
    /// few values Docker's profile names.
    @Test func argumentRulesDecideOnTheArguments() {
        #expect(probe([], "clone") == "ok")
        #expect(probe([], "clone-user") == "denied: EPERM")
        #expect(probe(["--security-opt", "seccomp=unconfined"], "clone-user") == "ok")
        #expect(probe([], "personality") == "denied: EPERM")
        #expect(probe(["--security-opt", "seccomp=unconfined"], "personality") == "ok")
        // socket(AF_VSOCK): the filter's EPERM, where the kernel itself would
        // say ok or EAFNOSUPPORT (no vsock transport), never EPERM.
        #expect(probe([], "vsock") == "denied: EPERM")
        #expect(["ok", "denied: EAFNOSUPPORT"].contains(probe(["--security-opt", "seccomp=unconfined"], "vsock")))
    }

    @Test func setuidBinaryGainsNothingUnderNoNewPrivileges() {
        let result = sandbox.run(["run", "--rm", "-u", "1000", "--security-opt", "no-new-privileges", "probe", "probe-setuid", "euid"])
        #expect(result.stdout == "euid=1000\n", "\(result.stderr)")
        let twin = sandbox.run(["run", "--rm", "-u", "1000", "probe", "probe-setuid", "euid"])
        #expect(twin.stdout == "euid=0\n", "\(twin.stderr)")
    }

    @Test func tiocstiCannotInjectIntoTheCallersTerminal() throws {
        func injected(_ flags: [String]) throws -> (probe: String, typed: String) {
            var master: Int32 = -1, slave: Int32 = -1
            try #require(sr_open_pty(&master, &slave) == 0)
            defer { close(master) }
            _ = fcntl(slave, F_SETFL, O_NONBLOCK)
            let terminal = FileHandle(fileDescriptor: slave, closeOnDealloc: true)
            let result = sandbox.run(["run", "--rm", "-i"] + flags + ["probe", "probe", "tiocsti"], stdin: terminal)
            // Whatever was injected waits in the terminal's input queue.
            var buffer = [UInt8](repeating: 0, count: 256)
            let n = read(slave, &buffer, buffer.count)
            return (result.stdout.trimmingCharacters(in: .newlines), n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self) : "")
        }
        let refused = try injected([])
        #expect(refused.probe == "denied: EPERM")
        #expect(refused.typed == "")
        let twin = try injected(["--cap-add", "SYS_ADMIN"])
        #expect(twin.probe == "ok")
        #expect(twin.typed.contains("echo INJECTED"))
    }

    @Test(arguments: 3...9)
    func aLeakedFdCannotBecomeTheWorkingDirectory(fd: Int) {
        let result = sandbox.run(["run", "--rm", "-w", "/proc/self/fd/\(fd)", "probe", "pwd"])
        #expect(result.code == 125, "-w /proc/self/fd/\(fd) ran in \(result.stdout)")
        #expect(result.stderr.hasPrefix("swiftrun: chdir /proc/self/fd/\(fd):") || result.stderr.hasPrefix("swiftrun: getcwd:"))
        #expect(sandbox.run(["run", "--rm", "-w", "/proc/sys", "probe", "pwd"]).stdout == "/proc/sys\n")
    }

    @Test func theHostsSwiftrunBinaryIsOutOfReach() throws {
        let before = try Data(contentsOf: URL(fileURLWithPath: Sandbox.binary))
        // Without --init, pid 1 is the container's own program.
        #expect(probe([], "write", "/proc/self/exe", "x") == "denied: ETXTBSY")
        #expect(probe([], "write", "/proc/1/exe", "x") == "denied: ETXTBSY")
        // With --init, pid 1 is swiftrun's C reaper, never exec'd, kept
        // non-dumpable: its exe link is closed to the container.
        #expect(probe(["--init"], "write", "/proc/1/exe", "x") == "denied: EACCES")
        #expect(probe(["--init"], "read", "/proc/1/exe") == "denied: EACCES")
        #expect(probe(["--init"], "read", "/proc/self/exe") == "ok", "the container's own binary is readable")
        #expect(try Data(contentsOf: URL(fileURLWithPath: Sandbox.binary)) == before)
    }

    @Test func fdsAbove2DoNotReachTheContainer() {
        #expect(probe([], "fds") == "fds above 2: 0")
        #expect(probe(["--init"], "fds") == "fds above 2: 0")
    }

    @Test func aVolumeTargetSymlinkStaysInsideTheRootfs() throws {
        // /evil in the image is a symlink to /tmp. Followed on the host, the
        // target below would be made in the host's /tmp.
        let name = "swiftrun-escape-\(UUID().uuidString)"
        let source = sandbox.root + "-volume"
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: source) }
        try Data("from the host\n".utf8).write(to: URL(fileURLWithPath: source + "/file"))

        let result = sandbox.run(["run", "--rm", "-v", "\(source):/evil/\(name)", "probe", "cat", "/tmp/\(name)/file"])
        #expect(result.code == 0, "\(result.stderr)")
        #expect(result.stdout == "from the host\n", "the volume is inside the container, under its own /tmp")
        #expect(!FileManager.default.fileExists(atPath: "/tmp/\(name)"), "the mount target was made on the host")
    }

    @Test func devHoldsOnlyTheStandardNodes() {
        let result = sandbox.run(["run", "--rm", "probe", "ls", "/dev"])
        let names = Set(result.stdout.split(separator: "\n").map(String.init))
        #expect(names == ["fd", "full", "mqueue", "null", "ptmx", "pts", "random", "shm", "stderr", "stdin", "stdout", "tty", "urandom", "zero"])
    }

    @Test func capabilitiesAreDockersDefaultAndAdjustable() {
        func status(_ flags: [String]) -> [String: String] {
            let out = sandbox.run(["run", "--rm"] + flags + ["probe", "grep", "^Cap", "/proc/self/status"]).stdout
            return Dictionary(
                uniqueKeysWithValues: out.split(separator: "\n").map {
                    let parts = $0.split(separator: "\t")
                    return (String(parts[0].dropLast()), String(parts[1]))
                })
        }
        let defaults = status([])
        #expect(defaults["CapEff"] == "00000000a80425fb")
        #expect(defaults["CapBnd"] == "00000000a80425fb")
        #expect(defaults["CapPrm"] == "00000000a80425fb")
        #expect(defaults["CapInh"] == "0000000000000000")
        #expect(defaults["CapAmb"] == "0000000000000000")
        #expect(status(["--cap-drop", "ALL"])["CapBnd"] == "0000000000000000")
        #expect(status(["--cap-drop", "ALL", "--cap-add", "net_bind_service"])["CapEff"] == "0000000000000400")
    }

    @Test func aCustomSeccompProfileIsObeyed() throws {
        let profile = sandbox.root + "-profile.json"
        defer { try? FileManager.default.removeItem(atPath: profile) }
        try Data(#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}"#.utf8)
            .write(to: URL(fileURLWithPath: profile))
        let refused = sandbox.run(["run", "--rm", "--security-opt", "seccomp=\(profile)", "probe", "mkdir", "/made"])
        #expect(refused.code != 0)
        #expect(refused.stderr.contains("Permission denied"), "\(refused.stderr)")
        #expect(sandbox.run(["run", "--rm", "probe", "mkdir", "/made"]).code == 0)
    }

    @Test func theCompiledFilterIsCachedOncePerProfileAndCapabilities() throws {
        sandbox.run(["run", "--rm", "probe", "true"])
        sandbox.run(["run", "--rm", "probe", "true"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: sandbox.root + "/seccomp").count == 1)
        sandbox.run(["run", "--rm", "--cap-add", "SYS_ADMIN", "probe", "true"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: sandbox.root + "/seccomp").count == 2)
    }
}
