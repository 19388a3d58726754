import CShims
import Foundation
import Testing

@testable import SwiftrunCore

/// What swiftrun reads or walks on the host that someone else made: volume
/// trees under a read-only bind, image files, load archives, build
/// contexts, a container's upper dir, tar headers. Each test here failed
/// (or hung, or trapped) before the fix it names (issue 19).
@Suite struct UntrustedInputTests {
    let sandbox: Sandbox

    init() throws { sandbox = try Sandbox() }

    /// A tar made by Python's tarfile from a few lines of entries.
    func makeTar(_ path: String, _ entries: String) throws {
        try tool([
            "python3", "-c",
            """
            import io, sys, tarfile
            t = tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT)
            def file(name, data=b"x"):
                i = tarfile.TarInfo(name); i.size = len(data); i.mode = 0o644; t.addfile(i, io.BytesIO(data))
            def node(name, kind, major=0, minor=0):
                i = tarfile.TarInfo(name); i.type = kind; i.devmajor = major; i.devminor = minor; i.mode = 0o644; t.addfile(i)
            \(entries)
            t.close()
            """, path
        ])
    }

    // MARK: 1. A read-only volume is read-only all the way down

    @Test func aReadOnlyVolumeIsReadOnlyInEveryMountBelowIt() throws {
        let source = sandbox.root + "/volume"
        try FileManager.default.createDirectory(atPath: source + "/sub", withIntermediateDirectories: true)
        try #require(mount("tmpfs", source + "/sub", "tmpfs", 0, "size=1m") == 0)
        defer { umount2(source + "/sub", Int32(MNT_DETACH)) }

        let below = sandbox.run(["run", "--rm", "-v", "\(source):/data:ro", "busybox", "sh", "-c", "echo x > /data/sub/planted"])
        #expect(below.code != 0)
        #expect(below.stderr.contains("Read-only file system"), "\(below.stderr)")
        #expect(!FileManager.default.fileExists(atPath: source + "/sub/planted"))

        // The same under a read-only root, and the mounts still show ro.
        let rootToo = sandbox.run([
            "run", "--rm", "--read-only", "-v", "\(source):/data:ro", "busybox", "sh", "-c",
            "echo x > /data/sub/planted; grep ' /data/sub ' /proc/mounts"
        ])
        #expect(rootToo.stdout.hasPrefix("tmpfs /data/sub tmpfs ro"), "\(rootToo.stdout) \(rootToo.stderr)")
        #expect(!FileManager.default.fileExists(atPath: source + "/sub/planted"))

        // The escape: the host's /proc below a read-only bind of /.
        let host = sandbox.run([
            "run", "--rm", "-v", "/:/host:ro", "busybox", "sh", "-c",
            "cat /host/proc/sys/kernel/core_pattern > /host/proc/sys/kernel/core_pattern"
        ])
        #expect(host.code != 0)
        #expect(host.stderr.contains("Read-only file system"), "\(host.stderr)")

        // A writable volume keeps its writable submounts.
        let writable = sandbox.run(["run", "--rm", "-v", "\(source):/data", "busybox", "sh", "-c", "echo x > /data/sub/ok"])
        #expect(writable.code == 0, "\(writable.stderr)")
        #expect(FileManager.default.fileExists(atPath: source + "/sub/ok"))
    }

    // MARK: 2. Image files that are FIFOs, devices, whiteouts or cross-layer symlinks

    @Test(arguments: [
        ("FIFO", "node(\"etc/passwd\", tarfile.FIFOTYPE)"),
        ("character device", "node(\"etc/passwd\", tarfile.CHRTYPE, 1, 5)")
    ])
    func anEtcPasswdThatIsNotAFileIsRefusedNotRead(kind: String, entry: String) throws {
        let tar = sandbox.root + "/hostile.tar"
        try makeTar(tar, "file(\"etc/group\", b\"root:x:0:\\n\")\n" + entry)
        #expect(sandbox.run(["import", tar, "hostile"]).code == 0)
        let result = try #require(sandbox.run(["run", "--rm", "-u", "nobody", "hostile", "true"], within: 30), "run hung on a \(kind)")
        #expect(result.code == 125)
        #expect(result.stderr.contains("the image's /etc/passwd: not a regular file"), "\(result.stderr)")
    }

    @Test func imageFilesAreReadThroughTheLayersAsOverlayfsShowsThem() throws {
        let context = sandbox.root + "/ctx"
        try FileManager.default.createDirectory(atPath: context, withIntermediateDirectories: true)
        // Layer 2 adds a user; layer 3 swaps /etc/passwd for a relative
        // symlink into layer 2; a later image deletes that target.
        try """
        FROM busybox
        RUN mkdir -p /opt/etc && cp /etc/passwd /opt/etc/passwd && echo 'ghost:x:4321:4321::/haunt:/bin/sh' >> /opt/etc/passwd
        RUN rm /etc/passwd && ln -s ../opt/etc/passwd /etc/passwd
        """.write(toFile: context + "/Dockerfile", atomically: true, encoding: .utf8)
        #expect(sandbox.run(["build", "-q", "-t", "linked", context]).code == 0)
        #expect(sandbox.run(["run", "--rm", "-u", "ghost", "linked", "sh", "-c", "id -u; echo $HOME"]).stdout == "4321\n/haunt\n")

        try "FROM linked\nRUN rm /opt/etc/passwd\n".write(toFile: context + "/Dockerfile", atomically: true, encoding: .utf8)
        #expect(sandbox.run(["build", "-q", "-t", "deleted", context]).code == 0)
        let deleted = sandbox.run(["run", "--rm", "-u", "ghost", "deleted", "true"])
        #expect(deleted.code == 125)
        #expect(deleted.stderr.contains("unable to find user ghost"), "a whiteout did not hide the lower layer's file: \(deleted.stderr)")
    }

    @Test func aLoadArchiveWhoseManifestIsAFIFOFailsInsteadOfHanging() throws {
        let tar = sandbox.root + "/fifo-manifest.tar"
        try makeTar(tar, "node(\"manifest.json\", tarfile.FIFOTYPE)")
        let result = try #require(sandbox.run(["load", "-i", tar], within: 30), "load hung on a FIFO manifest.json")
        #expect(result.code != 0)
        #expect(result.stderr.contains("manifest.json: not a regular file"), "\(result.stderr)")
    }

    // MARK: 3. The default Dockerfile stays inside the context, and errors echo nothing raw

    @Test func aDockerfileSymlinkOutOfTheContextIsNotFollowedNorPrinted() throws {
        let context = sandbox.root + "/ctx"
        try FileManager.default.createDirectory(atPath: context, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: context + "/Dockerfile", withDestinationPath: "/proc/self/environ")
        let environ = sandbox.run(["build", "-t", "x", context], environment: ["CI_TOKEN": "s3cret-token"])
        #expect(environ.code != 0)
        #expect(!environ.stderr.contains("s3cret"), "\(environ.stderr)")

        try FileManager.default.removeItem(atPath: context + "/Dockerfile")
        try FileManager.default.createSymbolicLink(atPath: context + "/Dockerfile", withDestinationPath: "/etc/passwd")
        let passwd = sandbox.run(["build", "-t", "x", context])
        #expect(passwd.code != 0)
        #expect(!passwd.stderr.contains("root:"), "\(passwd.stderr)")

        // A file that is not a Dockerfile is named, not echoed.
        try FileManager.default.removeItem(atPath: context + "/Dockerfile")
        try "root:x:0:0:secret-line\n".write(toFile: context + "/Dockerfile", atomically: true, encoding: .utf8)
        let garbage = sandbox.run(["build", "-t", "x", context])
        #expect(garbage.code == 1)
        #expect(!garbage.stderr.contains("secret-line") && !garbage.stderr.contains("root:"), "\(garbage.stderr)")
        #expect(garbage.stderr.contains("unknown instruction"), "\(garbage.stderr)")
    }

    // MARK: 4 and 5. Deep trees and commit

    /// swiftrun itself under a low open-file limit, as a user may run it.
    func runLimited(_ arguments: [String], files: Int = 256) -> CommandResult {
        let quoted = arguments.map { "'" + $0 + "'" }.joined(separator: " ")
        return shell("ulimit -n \(files) && exec '\(Sandbox.binary)' --root '\(sandbox.root)' \(quoted)")
    }

    func shell(_ script: String) -> CommandResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script]
        // /bin/sh that cannot start is a broken machine: said at once, not
        // by reading pipes whose write ends were never handed on.
        let (out, err) = try! start(process) {
            let out = Pipe(), err = Pipe()
            process.standardOutput = out
            process.standardError = err
            return (out, err)
        }
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return CommandResult(code: process.terminationStatus, stdout: stdout, stderr: stderr)
    }

    /// A container that nests `rounds` x 101 + 101 directories. A shell
    /// cannot cd that deep (its cwd string passes PATH_MAX), so the tree
    /// grows from its root: each round moves the chain so far under a fresh
    /// 101-level one.
    func makeDeepTree(name: String, rounds: Int) {
        let hundred = Array(repeating: "d", count: 100).joined(separator: "/")
        let made = sandbox.run([
            "run", "--name", name, "busybox", "sh", "-c",
            "mkdir /w && cd /w && mkdir -p c/\(hundred) && touch c/\(hundred)/leaf && i=0; "
                + "while [ $i -lt \(rounds) ]; do mkdir -p n/\(hundred) && mv c n/\(hundred)/c && mv n c || exit 1; i=$((i+1)); done"
        ])
        #expect(made.code == 0, "\(made.stderr)")
    }

    @Test func aTreeTenThousandDeepDoesNotBreakTheStore() throws {
        makeDeepTree(name: "deep", rounds: 100)
        let listed = runLimited(["ps", "-a"])
        #expect(listed.code == 0, "\(listed.stderr)")
        #expect(listed.stdout.contains("deep"))
        let removed = runLimited(["rm", "deep"])
        #expect(removed.code == 0, "\(removed.stderr)")
        #expect(sandbox.run(["ps", "-a", "-q"]).stdout.isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: sandbox.root + "/containers").isEmpty)
    }

    /// Deeper than the open-file limit, but not 10,000: a layer names each
    /// entry by its full path, so its size grows with the square of depth.
    @Test func commitArchivesATreeDeeperThanTheOpenFileLimit() throws {
        makeDeepTree(name: "deep", rounds: 10)
        let committed = runLimited(["commit", "deep", "deep:v1"], files: 256)
        #expect(committed.code == 0, "\(committed.stderr)")
        let store = ImageStore(layout: StoreLayout(root: sandbox.root))
        let top = try #require(store.layerDirectories(of: try store.image("deep:v1")).last)
        #expect(try Self.depthOfSoleChain(top + "/w") == 10 * 101 + 101, "the committed layer lost part of the tree")
    }

    /// Follows a chain of single subdirectories down to the file "leaf",
    /// fd by fd (a path string that deep is too long for the kernel).
    static func depthOfSoleChain(_ path: String) throws -> Int {
        var fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        try #require(fd >= 0)
        var depth = 0
        while true {
            let names = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd/\(fd)")
            if names == ["leaf"] { close(fd); return depth }
            try #require(names.count == 1, "\(names)")
            let child = openat(fd, names[0], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            close(fd)
            try #require(child >= 0)
            fd = child
            depth += 1
        }
    }

    @Test func commitFreezesARunningContainerAndThawsIt() throws {
        let running = sandbox.start(["run", "--name", "busy", "busybox", "sh", "-c", "mkfifo /pipe; echo ready; read line < /pipe; echo $line"])
        #expect(running.readLine() == "ready")
        let id = try sandbox.containerID("busy")
        let freeze = try #require(CgroupMode.host.unified) + "/swiftrun/\(id)/cgroup.freeze"
        let committed = sandbox.run(["commit", "busy", "busy:v1"])
        #expect(committed.code == 0, "\(committed.stderr)")
        #expect(try String(contentsOfFile: freeze, encoding: .utf8) == "0\n", "commit left the container frozen")
        // The FIFO in the upper dir is archived as a header, never opened.
        #expect(sandbox.run(["run", "--rm", "busy:v1", "sh", "-c", "test -p /pipe && echo fifo"]).stdout == "fifo\n")
        // Still alive and unfrozen: it answers through its FIFO.
        #expect(sandbox.run(["commit", "--pause=false", "busy", "busy:v2"]).code == 0)
        let pid = try sandbox.containerPID("busy")
        let fifo = "/proc/\(pid)/root/pipe"
        try "thawed\n".write(toFile: fifo, atomically: false, encoding: .utf8)
        #expect(running.finish().stdout == "thawed\n")
    }

    // MARK: 6. Tar headers

    /// Archives that trapped swiftrun (SIGILL) before pax records were
    /// bounds-checked: a corpus, kept as the fuzzer found them.
    static let crashes: [(String, [UInt8])] = [
        ("record length ends before its value", paxArchive("4 k=")),
        ("record length shorter than its digits", paxArchive("001 k=v\n")),
        ("no newline at the record's end", paxArchive("9 path=ab")),
        ("no equals sign", paxArchive("8 pathab\n")),
        ("empty key", paxArchive("6 =abc\n")),
        ("length past the data", paxArchive("99 path=a\n")),
        ("signed length", paxArchive("+9 path=a\n"))
    ]

    /// One pax `x` header holding `records`, then a file, then the end marker.
    static func paxArchive(_ records: String) -> [UInt8] {
        let data = Array(records.utf8)
        var archive = header(name: "PaxHeader", type: "x", size: data.count)
        archive += data + [UInt8](repeating: 0, count: (512 - data.count % 512) % 512)
        archive += header(name: "file", type: "0", size: 0)
        return archive + [UInt8](repeating: 0, count: 1024)
    }

    static func header(name: String, type: Character, size: Int) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, at offset: Int) { for (i, byte) in text.utf8.enumerated() { block[offset + i] = byte } }
        put(name, at: 0)
        put("0000644", at: 100)
        put(String(format: "%011o", size), at: 124)
        put("00000000000", at: 136)
        block[156] = type.asciiValue!
        put("ustar", at: 257)
        put("00", at: 263)
        put("        ", at: 148)
        let sum = block.reduce(0) { $0 + Int($1) }
        put(String(format: "%06o", sum) + "\0 ", at: 148)
        return block
    }

    /// Lends an archive in pieces of at most `piece` bytes, as a pipeline's
    /// buffers end wherever they end: headers, content and padding split
    /// across two loans.
    final class MemorySource: ByteSource, LendingSource {
        let bytes: UnsafeMutableRawBufferPointer
        let piece: Int
        var offset = 0
        init(_ bytes: [UInt8], piece: Int = .max) {
            self.bytes = .allocate(byteCount: bytes.count, alignment: 1)
            self.bytes.copyBytes(from: bytes)
            self.piece = piece
        }
        deinit { bytes.deallocate() }
        func read(into buffer: UnsafeMutableRawBufferPointer) throws(SwiftrunError) -> Int {
            let lent = try borrow(upTo: buffer.count)
            buffer.copyMemory(from: lent)
            return lent.count
        }
        func borrow(upTo limit: Int) throws(SwiftrunError) -> UnsafeRawBufferPointer {
            let n = min(limit, piece, bytes.count - offset)
            defer { offset += n }
            return UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + n)])
        }
    }

    /// Reads every entry; returns the error, if any. A trap ends the test run.
    static func readAll(_ bytes: [UInt8], piece: Int = .max) -> SwiftrunError? {
        do {
            _ = try entries(of: bytes, piece: piece)
            return nil
        } catch {
            return error
        }
    }

    /// Each entry's path, size and content, as the reader gives them.
    static func entries(of bytes: [UInt8], piece: Int = .max) throws(SwiftrunError) -> [String] {
        let reader = TarReader(MemorySource(bytes, piece: piece), name: "fuzz.tar")
        var seen: [String] = []
        while let entry = try reader.next() {
            var content: [UInt8] = []
            try reader.readContent { content += $0 }
            seen.append("\(entry.path) \(entry.size) \(String(decoding: content, as: UTF8.self))")
        }
        return seen
    }

    /// A header, a file or padding cut anywhere between two of the source's
    /// buffers reads as it does whole; a layer is borrowed in place from
    /// 1 MiB buffers that end mid-header.
    @Test func anArchiveSplitAnywhereReadsAsItDoesWhole() throws {
        let content = Array(String(repeating: "0123456789", count: 70).utf8)
        let archive =
            Self.header(name: "././@LongLink", type: "L", size: 5) + Array("long\0".utf8) + [UInt8](repeating: 0, count: 507)
            + Self.header(name: "x", type: "0", size: content.count) + content + [UInt8](repeating: 0, count: 1024 - content.count)
            + Self.paxArchive("21 path=dir/file.txt\n")
        let whole = try Self.entries(of: archive)
        #expect(whole == ["long 700 " + String(decoding: content, as: UTF8.self), "dir/file.txt 0 "])
        for piece in [1, 7, 100, 511, 512, 513, 1000] {
            #expect(try Self.entries(of: archive, piece: piece) == whole, "pieces of \(piece)")
        }
        // Cut short anywhere, it is refused, whatever the pieces.
        for cut in [100, 512, 1300, archive.count - 600] {
            #expect(Self.readAll(Array(archive.prefix(cut)), piece: 97) != nil, "cut at \(cut)")
        }
    }

    /// The read-ahead lends its buffers in place, in order, whatever the
    /// sizes its reader asks for and its source fills: the tar's hash over
    /// what was borrowed is the stream's. A reader that stops early is not
    /// kept waiting by the thread.
    @Test func theReadAheadLendsTheWholeStreamInOrder() throws {
        var stream = [UInt8](repeating: 0, count: 3 << 20 + 12_345)
        for i in stream.indices { stream[i] = UInt8(truncatingIfNeeded: i &* 2_654_435_761 >> 13) }
        let hasher = DigestHasher()
        let ahead = ReadAheadSource(MemorySource(stream, piece: 100_000))
        let lender = HashingLender(ahead, into: hasher)
        var borrowed = 0
        while true {
            let lent = try lender.borrow(upTo: 70_000)
            if lent.isEmpty { break }
            borrowed += lent.count
        }
        ahead.stop()
        #expect(borrowed == stream.count)
        #expect(hasher.finalize() == Digest.of(stream))

        let early = ReadAheadSource(MemorySource(stream))
        #expect(try early.borrow(upTo: 10).count == 10)
        early.stop()
    }

    @Test func malformedPaxRecordsAreRefusedNotTrapped() {
        for (what, archive) in Self.crashes {
            let error = Self.readAll(archive)
            #expect(error?.description.contains("corrupt pax extended header") == true, "\(what): \(String(describing: error))")
        }
        // The same through the CLI: exit 125 and nothing left in tmp/.
        let path = sandbox.root + "/crash.tar"
        #expect(FileManager.default.createFile(atPath: path, contents: Data(Self.crashes[0].1)))
        let result = sandbox.run(["import", path, "crash"])
        #expect(result.code == 1)
        #expect(result.stderr.contains("corrupt pax extended header"), "\(result.stderr)")
        #expect((try? FileManager.default.contentsOfDirectory(atPath: sandbox.root + "/tmp"))?.isEmpty ?? true)
    }

    @Test func aChainOfExtendedHeadersIsCapped() {
        let record = "1048000 comment=" + String(repeating: "a", count: 1_048_000 - 17) + "\n"
        var archive: [UInt8] = []
        for _ in 0..<3 {
            let data = Array(record.utf8)
            archive += Self.header(name: "PaxHeader", type: "x", size: data.count)
            archive += data + [UInt8](repeating: 0, count: (512 - data.count % 512) % 512)
        }
        archive += Self.header(name: "file", type: "0", size: 0) + [UInt8](repeating: 0, count: 1024)
        #expect(Self.readAll(archive)?.description.contains("extended headers of more than 1 MiB") == true)
    }

    /// A deterministic mutation fuzzer over valid archives: flip, overwrite
    /// and truncate bytes of pax, GNU and ustar headers. Every outcome must
    /// be an entry list or a thrown error, never a trap.
    @Test func theTarReaderSurvivesMutatedArchives() {
        let seeds = [
            Self.paxArchive("20 path=dir/file.txt\n13 uid=12345\n"), Self.paxArchive("30 SCHILY.xattr.user.k=value\n"),
            Self.header(name: "././@LongLink", type: "L", size: 5) + Array("long\0".utf8) + [UInt8](repeating: 0, count: 507)
                + Self.header(name: "x", type: "0", size: 3) + Array("abc".utf8) + [UInt8](repeating: 0, count: 509 + 1024)
        ]
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func random(_ bound: Int) -> Int {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return Int(state % UInt64(bound))
        }
        var refused = 0
        for round in 0..<20_000 {
            var bytes = seeds[round % seeds.count]
            for _ in 0..<(1 + random(4)) {
                switch random(4) {
                case 0: bytes[random(bytes.count)] ^= UInt8(1 << random(8))
                case 1: bytes[random(bytes.count)] = [0, 0x20, 0x30, 0x39, 0x3d, 0x0a, 0xff][random(7)]
                case 2: bytes = Array(bytes.prefix(random(bytes.count)))
                default: bytes[random(bytes.count)] = UInt8(random(256))
                }
                if bytes.isEmpty { break }
            }
            if Self.readAll(bytes, piece: 1 + random(600)) != nil { refused += 1 }
        }
        #expect(refused > 0)
    }
}
