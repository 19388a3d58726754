import Foundation
import Testing

/// Images made by other tools (umoci, skopeo, Python's tarfile) load and
/// run as they should, and what swiftrun saves loads in them.
@Suite struct ImageFormatTests {
    let sandbox: Sandbox
    let work: String

    init() throws {
        sandbox = try Sandbox()
        // Inside the sandbox, so it goes with it; swiftrun ignores it.
        work = sandbox.root + "/test-work"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
    }

    /// An OCI layout made by umoci: the busybox rootfs, then a layer that
    /// deletes /bin/ls, adds a hardlinked pair, a setuid file owned by
    /// 1000:1000, and (through a layer tar from Python's tarfile, added with
    /// `umoci raw add-layer`) makes /etc opaque with a new /etc/only.
    func umociLayout() throws -> String {
        let layout = work + "/layout"
        let bundle = work + "/bundle"
        try tool(["umoci", "init", "--layout", layout])
        try tool(["umoci", "new", "--image", layout + ":img"])
        try tool(["umoci", "unpack", "--image", layout + ":img", bundle])
        try tool(["tar", "-C", bundle + "/rootfs", "-xf", Sandbox.sample])
        try tool(["umoci", "repack", "--image", layout + ":img", bundle])
        try tool(["umoci", "config", "--image", layout + ":img", "--config.entrypoint", "/bin/echo", "--config.cmd", "from-config"])
        try FileManager.default.removeItem(atPath: bundle)
        try tool(["umoci", "unpack", "--image", layout + ":img", bundle])
        let root = bundle + "/rootfs"
        try FileManager.default.removeItem(atPath: root + "/bin/ls")
        try Data("shared\n".utf8).write(to: URL(fileURLWithPath: root + "/linked-a"))
        try FileManager.default.linkItem(atPath: root + "/linked-a", toPath: root + "/linked-b")
        try Data("tool\n".utf8).write(to: URL(fileURLWithPath: root + "/owned"))
        #expect(chown(root + "/owned", 1000, 1000) == 0 && chmod(root + "/owned", 0o4755) == 0)
        try tool(["umoci", "repack", "--image", layout + ":img", bundle])
        try tool([
            "python3", "-c",
            """
            import io, tarfile, sys
            t = tarfile.open(sys.argv[1], "w")
            for name, data in [("etc/.wh..wh..opq", b""), ("etc/only", b"opaque\\n")]:
                i = tarfile.TarInfo(name); i.size = len(data); i.mode = 0o644; t.addfile(i, io.BytesIO(data))
            t.close()
            """, work + "/opaque.tar"
        ])
        try tool(["umoci", "raw", "add-layer", "--image", layout + ":img", work + "/opaque.tar"])
        try FileManager.default.removeItem(atPath: bundle)
        return layout
    }

    /// The files a container of `image` sees, as the checks below need them.
    func inspectFiles(_ image: String) -> String {
        sandbox.run([
            "run", "--rm", "--entrypoint", "sh", image, "-c",
            """
            ls /bin/ls 2>&1; ls /etc; stat -c '%i' /linked-a /linked-b | uniq | wc -l; stat -c '%a %u:%g' /owned
            """
        ]).stdout
    }

    func expectUmociContent(_ files: String) {
        #expect(files.contains("No such file"), "/bin/ls was deleted: \(files)")
        #expect(files.contains("only\n"), "the opaque layer's own file is there")
        #expect(!files.contains("passwd"), "/etc is opaque: the lower /etc/passwd is hidden")
        #expect(files.contains("\n1\n"), "hardlinks share one inode")
        #expect(files.hasSuffix("4755 1000:1000\n"), "setuid mode and owner kept: \(files)")
    }

    @Test func anOCILayoutFromUmociRunsWithItsWhiteoutsOpaqueDirsAndConfig() throws {
        let layout = try umociLayout()
        let loaded = sandbox.run(["load", "-i", layout])
        #expect(loaded.code == 0, "\(loaded.stderr)")
        let id = try #require(loaded.stdout.split(separator: " ").last.map { String($0.dropLast()) })
        sandbox.run(["tag", id, "umoci/made:v1"])
        expectUmociContent(inspectFiles("umoci/made:v1"))
        #expect(sandbox.run(["run", "--rm", "umoci/made:v1"]).stdout == "from-config\n", "Entrypoint + Cmd from the config")
        #expect(sandbox.run(["run", "--rm", "umoci/made:v1", "given"]).stdout == "given\n", "arguments replace Cmd")
    }

    @Test func skopeoArchivesLoadFromFilesAndStdin() throws {
        let layout = try umociLayout()
        let archive = work + "/docker.tar"
        try tool(["skopeo", "copy", "-q", "oci:\(layout):img", "docker-archive:\(archive):skopeo/made:v2"])
        let loaded = sandbox.run(["load", "-i", archive])
        #expect(loaded.stdout == "Loaded image: skopeo/made:v2\n", "\(loaded.stderr)")
        // -q hides progress only, as in Docker: the names still print.
        #expect(sandbox.run(["load", "-q", "-i", archive]).stdout == "Loaded image: skopeo/made:v2\n")
        expectUmociContent(inspectFiles("skopeo/made:v2"))

        // inspect in Docker's shape: the container config under Config,
        // diffIDs under RootFS, the names Docker shows.
        let inspected = sandbox.run(["inspect", "skopeo/made:v2"])
        let document = try #require((try JSONSerialization.jsonObject(with: Data(inspected.stdout.utf8)) as? [[String: Any]])?.first)
        let config = try #require(document["Config"] as? [String: Any])
        #expect(config["Entrypoint"] as? [String] == ["/bin/echo"])
        #expect(config["Cmd"] as? [String] == ["from-config"])
        #expect(config["WorkingDir"] as? String == "" && config["User"] as? String == "" && config["Tty"] as? Bool == false)
        #expect(document["RepoTags"] as? [String] == ["skopeo/made:v2"])
        #expect((document["RepoDigests"] as? [String])?.first?.hasPrefix("skopeo/made@sha256:") == true)
        #expect((document["Id"] as? String)?.hasPrefix("sha256:") == true)
        #expect(document["Os"] as? String == "linux" && document["Architecture"] as? String == "amd64")
        #expect((document["Size"] as? Int ?? 0) > 0)
        let rootfs = try #require(document["RootFS"] as? [String: Any])
        #expect(rootfs["Type"] as? String == "layers")
        #expect((rootfs["Layers"] as? [String])?.count == 3)

        let ociArchive = work + "/oci.tar"
        try tool(["skopeo", "copy", "-q", "oci:\(layout):img", "oci-archive:\(ociArchive):other/name:v3"])
        let fromStdin = sandbox.run(["load"], stdin: FileHandle(forReadingAtPath: ociArchive)!)
        #expect(fromStdin.code == 0, "\(fromStdin.stderr)")
        expectUmociContent(inspectFiles(String(fromStdin.stdout.split(separator: " ").last!.dropLast())))
    }

    @Test(arguments: ["docker-archive", "oci-archive"])
    func whatSwiftrunSavesOtherToolsRead(format: String) throws {
        let archive = work + "/saved.tar"
        #expect(sandbox.run(["save", "--format", format, "-o", archive, "busybox"]).code == 0)
        let inspected = try tool(["skopeo", "inspect", format == "docker-archive" ? "docker-archive:\(archive)" : "oci-archive:\(archive):latest"])
        let image = sandbox.run(["inspect", "busybox"]).stdout
        let layer = try #require(image.firstMatch(of: #/"layers":\[\{"digest":"(sha256:[0-9a-f]{64})"/#)?.output.1)
        #expect(inspected.contains(String(layer)), "skopeo sees the store's own layer digest")
        if format == "oci-archive" {
            let unpacked = work + "/oci"
            try FileManager.default.createDirectory(atPath: unpacked, withIntermediateDirectories: true)
            try tool(["tar", "-C", unpacked, "-xf", archive])
            try tool(["umoci", "unpack", "--image", unpacked + ":latest", work + "/bundle"])
            #expect(FileManager.default.fileExists(atPath: work + "/bundle/rootfs/bin/busybox"))
        }
        // And back: a fresh store loads it to the same image ID.
        let other = try Sandbox(importBusybox: false)
        #expect(other.run(["load", "-i", archive]).code == 0)
        #expect(other.run(["images", "-q"]).stdout == sandbox.run(["images", "-q"]).stdout)
    }

    /// podman with its storage in the sandbox (vfs: no mounts to leave behind).
    @discardableResult
    func podman(_ arguments: [String]) throws -> String {
        try tool(
            [
                "podman", "--root", work + "/podman", "--runroot", work + "/podman-run", "--storage-driver", "vfs",
                "--cgroup-manager", "cgroupfs", "--events-backend", "file"
            ] + arguments)
    }

    @Test func podmanLoadsWhatSwiftrunSavesAndTheReverse() throws {
        let ours = work + "/ours.tar"
        #expect(sandbox.run(["save", "-o", ours, "busybox"]).code == 0)
        #expect(try podman(["load", "-q", "-i", ours]).contains("busybox"))
        #expect(try podman(["images", "--format", "{{.Repository}}:{{.Tag}}"]).contains("busybox:latest"))

        try podman(["import", Sandbox.sample, "localhost/from-podman:v1"])
        let theirs = work + "/theirs.tar"
        try podman(["save", "-q", "-o", theirs, "localhost/from-podman:v1"])
        let loaded = sandbox.run(["load", "-i", theirs])
        #expect(loaded.stdout == "Loaded image: localhost/from-podman:v1\n", "\(loaded.stderr)")
        #expect(sandbox.run(["run", "--rm", "localhost/from-podman:v1", "echo", "ran"]).stdout == "ran\n")
    }

    /// A gzip file of several members back to back (gzip(1) allows it,
    /// and `cat a.gz b.gz` makes one) unpacks whole, as one tar.
    @Test func aGzipOfSeveralMembersImportsWhole() throws {
        let layer = work + "/members.tar.gz"
        try tool([
            "python3", "-c",
            "import gzip, sys; d = open(sys.argv[1], 'rb').read(); n = len(d) // 3; open(sys.argv[2], 'wb').write(gzip.compress(d[:n]) + gzip.compress(d[n:]))",
            Sandbox.sample, layer
        ])
        #expect(sandbox.run(["import", layer, "members"]).code == 0)
        let check = ["run", "--rm", "--entrypoint", "sh"]
        let script = ["-c", "md5sum /bin/busybox; find /bin /etc /usr | sort | md5sum"]
        let whole = sandbox.run(check + ["busybox"] + script)
        #expect(whole.code == 0 && sandbox.run(check + ["members"] + script).stdout == whole.stdout)
    }

    /// `import` keeps a layer as its tar, as Docker's import does: of a
    /// gzip or zstd file, no copy is kept and the image's layer is the tar
    /// itself, its digest the diffID, which `save` rebuilds byte for byte.
    /// The same rootfs compressed or not makes the same image.
    @Test(arguments: ["gzip", "zstd"]) func anImportedArchiveIsKeptAsItsTar(compressor: String) throws {
        let gzipped = work + "/rootfs.tar.compressed"
        try tool(["sh", "-c", "\"$0\" -q -c \"$1\" > \"$2\"", compressor, Sandbox.sample, gzipped])
        #expect(sandbox.run(["import", gzipped, "gzipped"]).code == 0)
        let layers = sandbox.run(["inspect", "-f", "{{index .RootFS.Layers 0}}", "gzipped"]).stdout
        let diffID = String(layers.dropFirst("sha256:".count).prefix(64))
        #expect(FileManager.default.fileExists(atPath: sandbox.root + "/recipes/" + diffID), "the layer is kept as its tar's recipe")
        let blobs = try FileManager.default.contentsOfDirectory(atPath: sandbox.root + "/blobs/sha256")
        let largest = blobs.map { (try? FileManager.default.attributesOfItem(atPath: sandbox.root + "/blobs/sha256/" + $0)[.size] as? Int) ?? 0 }.max() ?? 0
        #expect(largest < 4096, "configs and manifests only: no copy of the gzip file")
        let saved = work + "/gzipped.tar"
        #expect(sandbox.run(["save", "-o", saved, "gzipped"]).code == 0)
        #expect(try blobsThatDoNotMatchTheirNames(saved) == "")
        #expect(try tool(["tar", "-tf", saved]).contains("blobs/sha256/" + diffID), "the saved layer is the tar")
        #expect(sandbox.run(["import", Sandbox.sample, "plain"]).code == 0)
        #expect(sandbox.run(["inspect", "-f", "{{index .RootFS.Layers 0}}", "plain"]).stdout == layers)
    }

    /// Files are made with their permission bits and chowned or chmodded
    /// only where the new file differs: a file in a setgid directory would
    /// take the directory's group, and the umask strips group and other
    /// write, so neither may be assumed away.
    @Test func ownersAndModesComeFromTheLayerNotFromHowFilesAreMade() throws {
        let layer = work + "/modes.tar"
        try tool([
            "python3", "-c",
            """
            import io, sys, tarfile
            with tarfile.open(sys.argv[1]) as base, tarfile.open(sys.argv[2], "w") as out:
                for m in base.getmembers():
                    out.addfile(m, base.extractfile(m) if m.isfile() else None)
                def add(name, mode, uid=0, gid=0, kind=tarfile.REGTYPE):
                    i = tarfile.TarInfo(name); i.type = kind; i.mode = mode; i.uid = uid; i.gid = gid
                    data = b"" if kind == tarfile.DIRTYPE else name.encode()
                    i.size = len(data); out.addfile(i, io.BytesIO(data))
                add("shared", 0o2775, gid=50, kind=tarfile.DIRTYPE)
                add("shared/rootfile", 0o644)
                add("wide", 0o666)
                add("suid", 0o4755, uid=1000, gid=1000)
                add("sgid", 0o2755, gid=42)
                add("readonly", 0o400)
            """,
            Sandbox.sample, layer
        ])
        #expect(sandbox.run(["import", layer, "modes"]).code == 0)
        let files = ["/shared/rootfile", "/wide", "/suid", "/sgid", "/readonly"]
        let result = sandbox.run(["run", "--rm", "--entrypoint", "stat", "modes", "-c", "%u:%g %a %n"] + files)
        #expect(
            result.stdout == "0:0 644 /shared/rootfile\n0:0 666 /wide\n1000:1000 4755 /suid\n0:42 2755 /sgid\n0:0 400 /readonly\n",
            "\(result.stderr)")
        #expect(sandbox.run(["run", "--rm", "--entrypoint", "cat", "modes", "/readonly"]).stdout == "readonly")
    }

    @Test func aWrongDigestStoresNothing() throws {
        let layout = try umociLayout()
        // Corrupt the largest blob (a layer) in place, keeping its name.
        let blobs = layout + "/blobs/sha256"
        let largest = try FileManager.default.contentsOfDirectory(atPath: blobs)
            .max {
                (try? FileManager.default.attributesOfItem(atPath: blobs + "/" + $0)[.size] as? Int ?? 0) ?? 0
                    < (try? FileManager.default.attributesOfItem(atPath: blobs + "/" + $1)[.size] as? Int ?? 0) ?? 0
            }!
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: blobs + "/" + largest))
        try handle.seek(toOffset: 100)
        handle.write(Data("corrupted".utf8))
        try handle.close()
        let before = try sandbox.snapshot()
        let result = sandbox.run(["load", "-i", layout])
        #expect(result.code != 0)
        #expect(result.stderr.contains("mismatch") || result.stderr.contains("corrupt"), "\(result.stderr)")
        #expect(try sandbox.snapshot() == before)
    }

    @Test func commitMakesANewImageAndLeavesTheOldOneAlone() throws {
        #expect(sandbox.run(["run", "--name", "changed", "busybox", "sh", "-c", "echo added > /added; rm /bin/vi; mkdir -p /etc/new"]).code == 0)
        #expect(sandbox.run(["commit", "-m", "my change", "changed", "changed:v1"]).code == 0)
        let committed = sandbox.run(["run", "--rm", "changed:v1", "sh", "-c", "cat /added; ls /bin/vi 2>&1; ls -d /etc/new"]).stdout
        #expect(committed.hasPrefix("added\n"))
        #expect(committed.contains("No such file"))
        #expect(committed.hasSuffix("/etc/new\n"))
        let original = sandbox.run(["run", "--rm", "busybox", "sh", "-c", "ls /added 2>&1; ls /bin/vi"]).stdout
        #expect(original.contains("No such file") && original.hasSuffix("/bin/vi\n"), "the base image is untouched")
        #expect(sandbox.run(["history", "changed:v1"]).stdout.contains("my change"))
    }

    @Test func rmiFreesLayersNoImageOrContainerUses() throws {
        #expect(sandbox.run(["tag", "busybox", "second:name"]).code == 0)
        #expect(sandbox.run(["run", "--name", "user", "busybox", "true"]).code == 0)
        #expect(sandbox.run(["rmi", "second:name"]).stdout == "Untagged: second:name\n", "one of two names: only untagged")
        let refused = sandbox.run(["rmi", "busybox"])
        #expect(refused.code == 1)
        #expect(refused.stderr.contains("used by container"))
        // The cheat sheet's form: every ID, forced.
        let ids = sandbox.run(["images", "-aq"]).stdout.split(separator: "\n").map(String.init)
        #expect(sandbox.run(["rmi", "-f"] + ids).code == 0)
        #expect(sandbox.run(["images", "-q"]).stdout == "")
        #expect(try !FileManager.default.contentsOfDirectory(atPath: sandbox.root + "/layers").isEmpty, "the container still needs its layer")
        #expect(sandbox.run(["rm", "user"]).code == 0)
        #expect(sandbox.run(["import", Sandbox.sample, "again"]).code == 0)
        #expect(sandbox.run(["rmi", "again"]).code == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: sandbox.root + "/layers").isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: sandbox.root + "/blobs/sha256").isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: sandbox.root + "/recipes").isEmpty)
    }

    @Test func theCheatSheetsSpellingsWork() {
        #expect(sandbox.run(["images", "ls", "-a"]).stdout.contains("busybox"))
        #expect(sandbox.run(["image", "ls"]).stdout.contains("busybox"))
        let rm = sandbox.run(["rm", "busybox"])
        #expect(rm.code == 1)
        #expect(rm.stderr.contains("is an image: remove it with `swiftrun rmi busybox`"))
    }

    @Test func parallelLoadsAndRemovesKeepTheStoreWhole() throws {
        let archive = work + "/busybox.tar"
        #expect(sandbox.run(["save", "-o", archive, "busybox"]).code == 0)
        let stores = (0..<6).map { i in
            i % 2 == 0 ? sandbox.start(["load", "-i", archive]) : sandbox.start(["rmi", "-f", "busybox"])
        }
        for command in stores { _ = command.finish() }
        #expect(sandbox.run(["load", "-i", archive]).code == 0)
        #expect(sandbox.run(["run", "--rm", "busybox", "true"]).code == 0, "the image and its layer are whole")
        #expect(try FileManager.default.contentsOfDirectory(atPath: sandbox.root + "/tmp").isEmpty)
    }

    /// A docker-archive as `docker save` lays it out, with what a guess
    /// must survive: the manifest last, a layer reached through a symlink,
    /// a second layer after the manifest, a tar no manifest names and a
    /// file that is no tar. `corrupt` flips a byte of the first layer
    /// after its digest is taken.
    func dockerArchive(corrupt: Bool) throws -> String {
        let archive = work + "/passing-\(corrupt).tar"
        try tool([
            "python3", "-c",
            """
            import hashlib, io, json, sys, tarfile
            sample, out, corrupt = sys.argv[1], sys.argv[2], sys.argv[3] == "true"
            # busybox plus one file: a layer this store does not have yet.
            base = io.BytesIO()
            with tarfile.open(sample) as t, tarfile.open(fileobj=base, mode="w") as w:
                for m in t.getmembers():
                    w.addfile(m, t.extractfile(m) if m.isfile() else None)
                info = tarfile.TarInfo("base"); data = b"from the first layer\\n"; info.size = len(data)
                w.addfile(info, io.BytesIO(data))
            base = base.getvalue()
            top = io.BytesIO()
            with tarfile.open(fileobj=top, mode="w") as t:
                info = tarfile.TarInfo("hello"); data = b"from the second layer\\n"; info.size = len(data)
                t.addfile(info, io.BytesIO(data))
            top = top.getvalue()
            config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["sh"]},
                "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(l).hexdigest() for l in (base, top)]}}).encode()
            if corrupt:
                base = base[:5000] + bytes([base[5000] ^ 1]) + base[5001:]
            def add(t, name, data, mtime=1000000000):
                info = tarfile.TarInfo(name); info.size = len(data); info.mtime = mtime
                t.addfile(info, io.BytesIO(data))
            with tarfile.open(out, "w") as t:
                add(t, "base/layer.tar", base)
                link = tarfile.TarInfo("linked"); link.type = tarfile.DIRTYPE; link.mode = 0o755; t.addfile(link)
                link = tarfile.TarInfo("linked/layer.tar"); link.type = tarfile.SYMTYPE; link.linkname = "../base/layer.tar"
                t.addfile(link)
                add(t, "stray.tar", top)
                add(t, "junk.bin", b"not a tar" * 1000)
                add(t, "config.json", config)
                add(t, "manifest.json", json.dumps([{"Config": "config.json", "RepoTags": ["passing:v1"],
                    "Layers": ["linked/layer.tar", "top/layer.tar"]}]).encode())
                add(t, "top/layer.tar", top)
            """,
            Sandbox.sample, archive, corrupt ? "true" : "false"
        ])
        return archive
    }

    /// load reads an archive once: each layer is unpacked while the
    /// archive passes, and a plain tar's blob is not written at all: a
    /// recipe (its headers, and its files' paths) stands for it. Guesses
    /// no manifest takes leave nothing behind.
    @Test func aDockerArchiveLoadsInOnePass() throws {
        let loaded = sandbox.run(["load", "-i", try dockerArchive(corrupt: false)])
        #expect(loaded.stdout == "Loaded image: passing:v1\n", "\(loaded.stderr)")
        let ran = sandbox.run(["run", "--rm", "passing:v1", "sh", "-c", "cat /base /hello; busybox true && echo whole"])
        #expect(ran.stdout == "from the first layer\nfrom the second layer\nwhole\n", "\(ran.stderr)")
        let recipes = try FileManager.default.contentsOfDirectory(atPath: sandbox.root + "/recipes")
        #expect(recipes.count == 3, "busybox's layer and the two loaded are kept as recipes")
        let blobs = try FileManager.default.contentsOfDirectory(atPath: sandbox.root + "/blobs/sha256")
        #expect(Set(recipes).isDisjoint(with: blobs), "and not as blobs")
        #expect(try FileManager.default.contentsOfDirectory(atPath: sandbox.root + "/tmp").isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: sandbox.root + "/layers").count == 3, "busybox's and the two loaded")
    }

    /// Each blob in a saved archive, hashed: a mismatch names the blob.
    func blobsThatDoNotMatchTheirNames(_ archive: String) throws -> String {
        try tool([
            "python3", "-c",
            """
            import hashlib, sys, tarfile
            with tarfile.open(sys.argv[1]) as t:
                for m in t.getmembers():
                    if m.isfile() and m.name.startswith("blobs/sha256/"):
                        if hashlib.sha256(t.extractfile(m).read()).hexdigest() != m.name.split("/")[-1]:
                            print(m.name)
            """,
            archive
        ])
    }

    /// A layer kept as a recipe is saved byte for byte: every blob in the
    /// archive hashes to its name. A file of the layer changed by hand
    /// fails the save, which leaves no archive, rather than saving a
    /// layer that is not the image's.
    @Test func aRecipeRebuildsItsLayerByteForByteOrFails() throws {
        #expect(sandbox.run(["load", "-i", try dockerArchive(corrupt: false)]).code == 0)
        let saved = work + "/saved.tar"
        let result = sandbox.run(["save", "-o", saved, "passing:v1"])
        #expect(result.code == 0, "\(result.stderr)")
        #expect(try blobsThatDoNotMatchTheirNames(saved) == "")

        let recipes = try FileManager.default.contentsOfDirectory(atPath: sandbox.root + "/recipes")
        let layer = try #require(recipes.first { FileManager.default.fileExists(atPath: sandbox.root + "/layers/\($0)/hello") })
        try Data("from the wrong layer!\n".utf8).write(to: URL(fileURLWithPath: sandbox.root + "/layers/\(layer)/hello"))
        let tampered = work + "/tampered.tar"
        let failed = sandbox.run(["save", "-o", tampered, "passing:v1"])
        #expect(failed.code == 1)
        #expect(failed.stderr.contains("layer sha256:\(layer)") && failed.stderr.contains("changed"), "\(failed.stderr)")
        #expect(!FileManager.default.fileExists(atPath: tampered))
    }

    /// A recipe's files are read inside their layer only. A layer file
    /// swapped for a symlink to the same bytes outside, or a layer dir
    /// swapped for a symlink to a copy of itself, would rebuild a blob
    /// that matches its digest if the symlink were followed: `save` must
    /// refuse both, name the change, and leave no archive.
    @Test func aRecipeNeverReadsThroughASymlinkOutOfItsLayer() throws {
        #expect(sandbox.run(["load", "-i", try dockerArchive(corrupt: false)]).code == 0)
        let recipes = try FileManager.default.contentsOfDirectory(atPath: sandbox.root + "/recipes")
        let layer = sandbox.root + "/layers/" + (try #require(recipes.first { FileManager.default.fileExists(atPath: sandbox.root + "/layers/\($0)/base") }))
        let outside = work + "/outside"
        try tool([
            "sh", "-c",
            """
            set -e
            mkdir "$2"
            mv "$1/base" "$2/base"
            ln -s "$2/base" "$1/base"
            """, "sh", layer, outside
        ])
        let viaFile = work + "/via-file.tar"
        let refused = sandbox.run(["save", "-o", viaFile, "passing:v1"])
        #expect(refused.code == 1)
        #expect(refused.stderr.contains("base was changed after the layer was stored"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: viaFile))

        try tool([
            "sh", "-c",
            """
            set -e
            rm "$1/base" && mv "$2/base" "$1/base"
            cp -a "$1/bin" "$2/bin"
            rm -r "$1/bin" && ln -s "$2/bin" "$1/bin"
            """, "sh", layer, outside
        ])
        let viaDir = work + "/via-dir.tar"
        let refusedDir = sandbox.run(["save", "-o", viaDir, "passing:v1"])
        #expect(refusedDir.code == 1)
        #expect(refusedDir.stderr.contains("bin/") && refusedDir.stderr.contains("was changed after the layer was stored"), "\(refusedDir.stderr)")
        #expect(!FileManager.default.fileExists(atPath: viaDir))

        try tool(["sh", "-c", "rm \"$1/bin\" && mv \"$2/bin\" \"$1/bin\"", "sh", layer, outside])
        let restored = work + "/restored.tar"
        #expect(sandbox.run(["save", "-o", restored, "passing:v1"]).code == 0, "the layer put back saves again")
        #expect(try blobsThatDoNotMatchTheirNames(restored) == "")
    }

    /// A layer that replaces its own entries (a name twice, a whiteout of
    /// a file it added) would lose a recorded file's content: its recipe
    /// is given up before the first removal, replayed into a blob, and the
    /// rest copied on. The blob is whole: it saves byte for byte. So is the
    /// same layer imported from a gzip file: its tar is the blob then.
    @Test func aLayerThatReplacesItsOwnEntriesKeepsItsBlob() throws {
        let archive = work + "/replacing.tar"
        let gzipped = work + "/replacing.tar.gz"
        try tool([
            "python3", "-c",
            """
            import gzip, hashlib, io, json, sys, tarfile
            sample, out = sys.argv[1], sys.argv[2]
            def add(t, name, data):
                info = tarfile.TarInfo(name); info.size = len(data); t.addfile(info, io.BytesIO(data))
            layer = io.BytesIO()
            with tarfile.open(sample) as t, tarfile.open(fileobj=layer, mode="w") as w:
                for m in t.getmembers():
                    w.addfile(m, t.extractfile(m) if m.isfile() else None)
                add(w, "twice", b"first\\n" * 5000)
                add(w, "gone", b"soon deleted\\n")
                add(w, "after", b"written before the recipe was given up\\n")
                add(w, "twice", b"second\\n")
                add(w, ".wh.gone", b"")
                add(w, "last", b"copied after it\\n" * 100)
            layer = layer.getvalue()
            open(sys.argv[3], "wb").write(gzip.compress(layer))
            config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["sh"]},
                "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(layer).hexdigest()]}}).encode()
            with tarfile.open(out, "w") as t:
                add(t, "layer.tar", layer)
                add(t, "config.json", config)
                add(t, "manifest.json", json.dumps([{"Config": "config.json", "RepoTags": ["replacing:v1"], "Layers": ["layer.tar"]}]).encode())
            """,
            Sandbox.sample, archive, gzipped
        ])
        let loaded = sandbox.run(["load", "-i", archive])
        #expect(loaded.code == 0, "\(loaded.stderr)")
        let ran = sandbox.run(["run", "--rm", "replacing:v1", "sh", "-c", "cat /twice /after; ls /gone 2>&1; wc -l < /last"])
        #expect(ran.stdout.hasPrefix("second\nwritten before the recipe was given up\n"), "\(ran.stdout)\(ran.stderr)")
        #expect(ran.stdout.contains("No such file") && ran.stdout.hasSuffix("100\n"), "\(ran.stdout)")
        let inspect = sandbox.run(["inspect", "-f", "{{index .RootFS.Layers 0}}", "replacing:v1"]).stdout
        let digest = String(inspect.dropFirst("sha256:".count).prefix(64))
        #expect(FileManager.default.fileExists(atPath: sandbox.root + "/blobs/sha256/" + digest), "the layer is kept as its blob")
        #expect(!FileManager.default.fileExists(atPath: sandbox.root + "/recipes/" + digest), "and not as a recipe")
        let saved = work + "/saved.tar"
        #expect(sandbox.run(["save", "-o", saved, "replacing:v1"]).code == 0)
        #expect(try blobsThatDoNotMatchTheirNames(saved) == "")

        #expect(sandbox.run(["rmi", "replacing:v1"]).code == 0)
        #expect(sandbox.run(["import", gzipped, "imported"]).code == 0)
        #expect(FileManager.default.fileExists(atPath: sandbox.root + "/blobs/sha256/" + digest), "the same tar, kept as its blob")
        #expect(sandbox.run(["run", "--rm", "imported", "cat", "/twice"]).stdout == "second\n")
        let imported = work + "/imported.tar"
        #expect(sandbox.run(["save", "-o", imported, "imported"]).code == 0)
        #expect(try blobsThatDoNotMatchTheirNames(imported) == "")
    }

    @Test func aCorruptLayerInADockerArchiveStoresNothing() throws {
        let archive = try dockerArchive(corrupt: true)
        let before = try sandbox.snapshot()
        let result = sandbox.run(["load", "-i", archive])
        #expect(result.code == 1)
        #expect(result.stderr.contains("linked/layer.tar: ") && (result.stderr.contains("mismatch") || result.stderr.contains("corrupt")), "\(result.stderr)")
        #expect(try sandbox.snapshot() == before)
    }

    /// The manifest's layer is a symlink to a real layer tar on the host,
    /// with the right diffID: followed, the load would succeed. Every
    /// layout path is resolved inside the archive (RESOLVE_IN_ROOT), on
    /// the one-pass path as on the ordinary one, so it must fail.
    @Test func aLayerSymlinkOutOfTheArchiveIsNotFollowed() throws {
        let archive = work + "/escape.tar"
        try tool([
            "python3", "-c",
            """
            import hashlib, io, json, sys, tarfile
            host, out = sys.argv[1], sys.argv[2]
            config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["sh"]},
                "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(open(host, "rb").read()).hexdigest()]}}).encode()
            def add(t, name, data):
                info = tarfile.TarInfo(name); info.size = len(data); t.addfile(info, io.BytesIO(data))
            with tarfile.open(out, "w") as t:
                link = tarfile.TarInfo("layer.tar"); link.type = tarfile.SYMTYPE; link.linkname = host
                t.addfile(link)
                add(t, "config.json", config)
                add(t, "manifest.json", json.dumps([{"Config": "config.json", "RepoTags": ["escape:v1"], "Layers": ["layer.tar"]}]).encode())
            """,
            Sandbox.sample, archive
        ])
        let before = try sandbox.snapshot()
        let result = sandbox.run(["load", "-i", archive])
        #expect(result.code == 1, "\(result.stdout)")
        #expect(result.stderr.contains("layer.tar"), "\(result.stderr)")
        #expect(sandbox.run(["image", "inspect", "escape:v1"]).code != 0)
        #expect(try sandbox.snapshot() == before)
    }
}
