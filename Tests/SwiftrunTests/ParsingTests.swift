import Foundation
import Testing

@testable import SwiftrunCore

@Suite struct ImageReferenceTests {
    @Test(arguments: [
        ("busybox", "docker.io/library/busybox", "latest", "busybox"),
        ("busybox:1.36", "docker.io/library/busybox", "1.36", "busybox"),
        ("library/busybox:musl", "docker.io/library/busybox", "musl", "busybox"),
        ("docker.io/library/busybox", "docker.io/library/busybox", "latest", "busybox"),
        ("user/app", "docker.io/user/app", "latest", "user/app"),
        ("localhost:5000/app", "localhost:5000/app", "latest", "localhost:5000/app"),
        ("localhost/app:v2", "localhost/app", "v2", "localhost/app"),
        ("quay.io/org/app:v2", "quay.io/org/app", "v2", "quay.io/org/app")
    ])
    func normalisesAsDockerDoes(text: String, name: String, tag: String, familiar: String) throws {
        let reference = try ImageReference(parsing: text)
        #expect(reference.name == name)
        #expect(reference.tag == tag)
        #expect(reference.familiarName == familiar)
    }

    @Test(arguments: ["", "UPPER", "name:", "name:-bad", "../escape", "a//b", "name:tag:extra/x", "-dash"])
    func rejectsInvalidReferences(text: String) {
        #expect(throws: SwiftrunError.self) { try ImageReference(parsing: text) }
    }
}

@Suite struct RuntimeSpecTests {
    func image(cmd: [String]? = ["sh"], entrypoint: [String]? = nil, env: [String]? = nil, workdir: String? = nil) -> ImageConfiguration {
        ImageConfiguration(
            architecture: "amd64", os: "linux",
            config: .init(Env: env, Entrypoint: entrypoint, Cmd: cmd, WorkingDir: workdir),
            rootfs: .init(diff_ids: []))
    }

    let id = String(repeating: "ab", count: 32)

    @Test func imageCommandIsTheDefaultAndTheFlagsReplaceIt() throws {
        var options = RunOptions(image: "x")
        #expect(try RuntimeSpec(image: image(), options: options, id: id, rootfs: "/r").process.args == ["sh"])
        options.command = ["ls", "-la"]
        #expect(try RuntimeSpec(image: image(), options: options, id: id, rootfs: "/r").process.args == ["ls", "-la"])
        let withEntrypoint = image(cmd: ["--help"], entrypoint: ["/bin/tool"])
        #expect(try RuntimeSpec(image: withEntrypoint, options: options, id: id, rootfs: "/r").process.args == ["/bin/tool", "ls", "-la"])
    }

    @Test func noCommandAnywhereIsAnError() {
        #expect(throws: SwiftrunError.self) {
            try RuntimeSpec(image: image(cmd: nil), options: RunOptions(image: "x"), id: id, rootfs: "/r")
        }
    }

    @Test func environmentPrecedenceIsFlagsThenImageThenDefaults() throws {
        var options = RunOptions(image: "x")
        options.environment = ["A=flag", "FROM_HOST", "UNSET_ON_HOST"]
        let spec = try RuntimeSpec(
            image: image(env: ["A=image", "B=image"]), options: options, id: id, rootfs: "/r",
            hostEnvironment: { $0 == "FROM_HOST" ? "host-value" : nil })
        #expect(
            spec.process.env == [
                "A=flag", "B=image", ContainerDefaults.path, "HOSTNAME=abababababab",
                "HOME=/", "FROM_HOST=host-value"
            ])
        #expect(spec.searchPath == "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
    }

    @Test func workingDirectoryAndHostname() throws {
        var options = RunOptions(image: "x")
        #expect(try RuntimeSpec(image: image(workdir: "/srv"), options: options, id: id, rootfs: "/r").process.cwd == "/srv")
        options.workingDirectory = "/tmp"
        options.hostname = "box"
        let spec = try RuntimeSpec(image: image(workdir: "/srv"), options: options, id: id, rootfs: "/r")
        #expect(spec.process.cwd == "/tmp")
        #expect(spec.hostname == "box")
        options.hostname = "bad host"
        #expect(throws: SwiftrunError.self) { try RuntimeSpec(image: image(), options: options, id: id, rootfs: "/r") }
        options.hostname = nil
        options.workingDirectory = "tmp"
        #expect(throws: SwiftrunError.self) { try RuntimeSpec(image: image(), options: options, id: id, rootfs: "/r") }
    }

    @Test func everyNamespaceBecomesACloneFlag() {
        let flags = ChildSpec.cloneFlags(ContainerDefaults.namespaces)
        #expect(flags == 0x0002_0000 | 0x0200_0000 | 0x0400_0000 | 0x0800_0000 | 0x2000_0000 | 0x4000_0000)
    }
}

@Suite struct CgroupMountTests {
    /// A hybrid host's lines, as this VM has them: co-mounted controllers
    /// share one hierarchy and its options; named and rw/ro options are not
    /// controllers.
    @Test func readsHybridMountinfo() {
        let lines = """
            22 27 0:21 / /proc rw,relatime - proc proc rw
            30 29 0:26 / /sys/fs/cgroup/unified rw,nosuid - cgroup2 cgroup2 rw,nsdelegate
            31 29 0:27 / /sys/fs/cgroup/systemd rw,nosuid - cgroup cgroup rw,xattr,name=systemd
            33 29 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid - cgroup cgroup rw,cpu,cpuacct
            34 29 0:30 / /sys/fs/cgroup/memory rw,nosuid - cgroup cgroup rw,memory
            35 29 0:31 / /sys/fs/cgroup/pids rw,nosuid shared:12 master:3 - cgroup cgroup rw,pids

            """
        let mode = CgroupMode(mountinfo: Array(lines.utf8))
        #expect(mode.unified == "/sys/fs/cgroup/unified")
        #expect(
            mode.v1 == [
                "cpu": "/sys/fs/cgroup/cpu,cpuacct", "cpuacct": "/sys/fs/cgroup/cpu,cpuacct", "memory": "/sys/fs/cgroup/memory", "pids": "/sys/fs/cgroup/pids"
            ])
        #expect(mode.v1Options == ["cpu": "cpu,cpuacct", "cpuacct": "cpu,cpuacct", "memory": "memory", "pids": "pids"])
        #expect(!mode.isPureV2)
        #expect(CgroupMode(mountinfo: Array("30 29 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n".utf8)).isPureV2)
    }
}

@Suite struct NameAndIDTests {
    @Test func idsAre64LowercaseHexAndShowAs12() {
        let id = ContainerID.generate()
        #expect(ContainerID.isValid(id))
        #expect(ContainerID.short(id).count == 12)
        #expect(ContainerID.generate() != id)
    }

    @Test(arguments: ["web", "my-app.1", "a_b"])
    func acceptsDockerNames(name: String) throws {
        try ContainerName.validate(name)
    }

    @Test(arguments: ["x", "../up", "a/b", "-lead", ".hidden", "sp ace", ""])
    func rejectsNamesDockerRejects(name: String) {
        #expect(throws: SwiftrunError.self) { try ContainerName.validate(name) }
    }

    @Test func digestsParseOnlyTheirOwnForm() {
        let hex = String(repeating: "0f", count: 32)
        #expect(Digest(parsing: "sha256:" + hex)?.hex == hex)
        #expect(Digest(parsing: hex) == nil)
        #expect(Digest(parsing: "sha256:" + hex.uppercased()) == nil)
        #expect(Digest(parsing: "sha256:abc") == nil)
        #expect(Digest.of(Array("abc".utf8)).hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}

/// Docker's durations, one parser for HEALTHCHECK, --health-* and logs --since.
@Suite struct GoDurationTests {
    @Test func durationsReadAsGoReadsThem() throws {
        #expect(GoDuration.seconds("1m30s") == 90)
        #expect(GoDuration.seconds("500ms") == 0.5)
        #expect(GoDuration.seconds("1.5h") == 5400)
        #expect(try GoDuration.nanoseconds("100ms", flag: "--health-interval") == 100_000_000)
        for bad in ["", "5", "10x", "s", "1m30"] { #expect(GoDuration.seconds(bad) == nil, "\(bad)") }
        #expect(throws: SwiftrunError.invalidArgument("invalid --health-timeout \"0s\": a duration such as 30s, 1m30s or 500ms")) {
            try GoDuration.nanoseconds("0s", flag: "--health-timeout")
        }
    }
}

@Suite struct TimestampTests {
    /// swiftrun's own RFC 3339 form (UTC, milliseconds), read back by the
    /// parser ps and inspect use, and within the second around its making.
    @Test func aTimestampIsRFC3339InUTCWithMilliseconds() throws {
        let before = time(nil)
        let text = JSON.timestamp()
        let after = time(nil)
        #expect(text.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/) != nil, "\(text)")
        let parsed = try #require(JSON.seconds(from: text))
        #expect(parsed >= Double(before) && parsed < Double(after + 1), "\(text) is not between \(before) and \(after)")
    }

    /// One formatter for state's milliseconds and Docker's nanoseconds
    /// (logs --timestamps, cp's mtime, stats' read).
    @Test func fractionsAreTruncatedAndZeroPadded() {
        #expect(JSON.rfc3339(seconds: 0, nanoseconds: 0, fractionDigits: 3) == "1970-01-01T00:00:00.000Z")
        #expect(JSON.rfc3339(seconds: 1_796_000_000, nanoseconds: 7_000_123, fractionDigits: 3) == "2026-11-30T00:53:20.007Z")
        #expect(JSON.rfc3339(seconds: 1_796_000_000, nanoseconds: 7_000_123, fractionDigits: 9) == "2026-11-30T00:53:20.007000123Z")
        #expect(ContainerLogs.format(1_796_000_000.5) == "2026-11-30T00:53:20.500000000Z")
    }

    /// The calendar is our own (no time zone file read): it agrees with
    /// gmtime_r from 1601 to 2400, leap days and centuries included, at a
    /// step that walks through the days of the year and the hours of a day.
    @Test func datesAgreeWithGmtime() {
        var seconds = -11_644_473_600  // 1601-01-01
        while seconds < 13_569_465_600 {  // 2400-01-01
            var whole = time_t(seconds)
            var utc = tm()
            gmtime_r(&whole, &utc)
            let expected =
                String(format: "%04d-%02d-%02dT%02d:%02d:%02d", utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec)
            let text = JSON.rfc3339(seconds: time_t(seconds), nanoseconds: 0, fractionDigits: 3)
            guard text == expected + ".000Z" else {
                Issue.record("\(seconds): \(text), gmtime_r says \(expected)")
                return
            }
            seconds += 86_400 * 3 + 3_607
        }
    }
}
