import Foundation
import Testing

/// A container is isolated: its own pid 1, hostname and mount table, and
/// nothing it does reaches the host or the image.
@Suite struct IsolationTests {
    @Test func containerProcessIsPidOneAndSeesNoHostProcess() throws {
        let sandbox = try Sandbox()
        let result = sandbox.run(["run", "--rm", "busybox", "sh", "-c", "echo $$; ls /proc | grep -E '^[0-9]+$' | sort -n | tr '\\n' ' '"])
        #expect(result.code == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.first == "1")
        // Only the shell (1) and its pipeline's children: no host pid such as ours.
        let pids = lines.last!.split(separator: " ").compactMap { Int32($0) }
        #expect(!pids.contains(getpid()))
        #expect(pids.allSatisfy { $0 < 10 }, "host processes visible: \(pids)")
    }

    @Test func hostnameIsTheContainersOwn() throws {
        let sandbox = try Sandbox()
        let hostBefore = ProcessInfo.processInfo.hostName
        let named = sandbox.run(["run", "--rm", "--hostname", "isolated-box", "busybox", "hostname"])
        #expect(named.code == 0, "\(named.stderr)")
        #expect(named.stdout == "isolated-box\n")
        // With CAP_SYS_ADMIN the container may rename its own uts namespace;
        // the host's name stays.
        let renamed = sandbox.run(["run", "--rm", "--cap-add", "SYS_ADMIN", "busybox", "sh", "-c", "hostname new-name-inside && hostname"])
        #expect(renamed.stdout == "new-name-inside\n", "\(renamed.stderr)")
        #expect(ProcessInfo.processInfo.hostName == hostBefore)

        // The default hostname is the container's short id: 12 hex digits.
        let unnamed = sandbox.run(["run", "--rm", "busybox", "hostname"])
        let hostname = unnamed.stdout.trimmingCharacters(in: .newlines)
        #expect(hostname.count == 12 && hostname.allSatisfy(\.isHexDigit), "hostname: \(hostname)")
    }

    @Test func hostMountTableIsUnchangedByARun() throws {
        let sandbox = try Sandbox()
        let before = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
        let result = sandbox.run(["run", "--rm", "busybox", "sh", "-c", "grep -c overlay /proc/self/mountinfo"])
        let after = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
        #expect(result.stdout == "1\n", "the container sees its overlay root")
        #expect(!after.contains(sandbox.root), "a container mount leaked into the host")
        #expect(before == after)
    }

    /// The mount targets an image lacks come from its init layer, made once
    /// per image: a container's writable layer stays empty, /etc keeps the
    /// image's mode, owner, time and xattrs, a name the image has (here a
    /// symlink) is never shadowed, and rmi takes the layer with the image.
    @Test func theInitLayerHoldsOnlyWhatTheImageLacks() throws {
        let sandbox = try Sandbox(importBusybox: false)
        let archive = sandbox.root + "/odd.tar"
        _ = try tool([
            "python3", "-c",
            """
            import io, sys, tarfile
            source = tarfile.open(sys.argv[1])
            out = tarfile.open(sys.argv[2], "w", format=tarfile.PAX_FORMAT)
            for m in source.getmembers():
                name = m.name.removeprefix("./").rstrip("/")
                if name in ("sys", "etc/hosts"): continue
                if name == "etc":
                    m.mode, m.uid, m.gid, m.mtime = 0o750, 7, 8, 1000000000
                    m.pax_headers = {"SCHILY.xattr.user.note": "kept"}
                out.addfile(m, source.extractfile(m) if m.isfile() else None)
            link = tarfile.TarInfo("etc/resolv.conf"); link.type = tarfile.SYMTYPE; link.linkname = "resolv.real"
            out.addfile(link)
            out.addfile(tarfile.TarInfo("etc/resolv.real"), io.BytesIO(b""))
            out.close()
            """,
            Sandbox.sample, archive
        ])
        #expect(sandbox.run(["import", archive, "odd"]).code == 0)
        let script = "stat -c '%a %u %g %Y' /etc; cat /etc/hostname; readlink /etc/resolv.conf; test -s /etc/hosts && echo hosts"
        let result = sandbox.run(["run", "--name", "odd", "--hostname", "named", "--network", "none", "odd", "sh", "-c", script])
        #expect(result.code == 0 && result.stdout == "750 7 8 1000000000\nnamed\nresolv.real\nhosts\n", "\(result.stdout) \(result.stderr)")
        let upper = sandbox.root + "/containers/" + (try sandbox.containerID("odd")) + "/upper"
        #expect(try FileManager.default.contentsOfDirectory(atPath: upper).isEmpty, "made in the writable layer")

        let inits = try FileManager.default.contentsOfDirectory(atPath: sandbox.root + "/init")
        try #require(inits.count == 1)
        let layer = sandbox.root + "/init/" + inits[0]
        #expect(Set(try FileManager.default.subpathsOfDirectory(atPath: layer)) == ["etc", "etc/hosts", "etc/hostname", "sys"])
        let note = try tool(["python3", "-c", "import os, sys; print(os.getxattr(sys.argv[1], 'user.note').decode())", layer + "/etc"])
        #expect(note == "kept\n")
        #expect(sandbox.run(["run", "--rm", "odd", "true"]).code == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: sandbox.root + "/init") == inits, "one per image")

        #expect(sandbox.run(["rmi", "-f", "odd"]).code == 0)
        #expect(FileManager.default.fileExists(atPath: layer), "the container still needs it")
        #expect(sandbox.run(["rm", "odd"]).code == 0)
        #expect(sandbox.run(["image", "prune", "-f"]).code == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: sandbox.root + "/init").isEmpty)
    }

    /// A --rm container's writable layer skips syncing (overlay's
    /// `volatile`); a kept one's does not, and it mounts again on `start`.
    @Test func onlyARemovedContainersLayerIsVolatile() throws {
        let sandbox = try Sandbox()
        // The root's filesystem and its options: mountinfo's fields after " - ".
        let rootMount = ["sh", "-c", "awk '$5 == \"/\" { sub(/.* - /, \"\"); print }' /proc/self/mountinfo"]
        let removed = sandbox.run(["run", "--rm", "busybox"] + rootMount)
        #expect(removed.code == 0, "\(removed.stderr)")
        #expect(removed.stdout.hasPrefix("overlay ") && removed.stdout.contains("volatile"), "\(removed.stdout)")

        let kept = sandbox.run(["run", "--name", "kept", "busybox"] + rootMount)
        #expect(kept.code == 0, "\(kept.stderr)")
        #expect(kept.stdout.hasPrefix("overlay ") && !kept.stdout.contains("volatile"), "\(kept.stdout)")
        let again = sandbox.run(["start", "-a", "kept"])
        #expect(again.code == 0 && again.stdout.hasPrefix("overlay ") && !again.stdout.contains("volatile"), "\(again.stdout) \(again.stderr)")
        #expect(sandbox.run(["rm", "kept"]).code == 0)
    }

    @Test func writesInsideDoNotChangeTheImageLayer() throws {
        let sandbox = try Sandbox()
        let layers = try FileManager.default.contentsOfDirectory(atPath: sandbox.root + "/layers")
        let layer = sandbox.root + "/layers/" + layers[0]
        let passwdBefore = try Data(contentsOf: URL(fileURLWithPath: layer + "/etc/passwd"))

        let write = sandbox.run(["run", "--rm", "busybox", "sh", "-c", "echo intruder >> /etc/passwd && touch /new-file && rm /bin/ls"])
        #expect(write.code == 0, "\(write.stderr)")

        #expect(try Data(contentsOf: URL(fileURLWithPath: layer + "/etc/passwd")) == passwdBefore)
        #expect(!FileManager.default.fileExists(atPath: layer + "/new-file"))
        #expect(FileManager.default.fileExists(atPath: layer + "/bin/ls"))
        let fresh = sandbox.run(["run", "--rm", "busybox", "sh", "-c", "grep -c intruder /etc/passwd; ls /new-file"])
        #expect(fresh.stdout.hasPrefix("0\n"), "a new container saw the old one's write")
    }

    @Test func standardDevicesAndSpecialMountsArePresent() throws {
        let sandbox = try Sandbox()
        let result = sandbox.run([
            "run", "--rm", "busybox", "sh", "-c",
            "ls /dev | tr '\\n' ' '; echo; echo x > /sys/kernel/test 2>&1 || echo sys-readonly; ip link show lo | grep -c UP"
        ])
        #expect(result.code == 0, "\(result.stderr)")
        for device in ["null", "zero", "full", "random", "urandom", "tty", "pts", "shm", "mqueue", "ptmx", "fd"] {
            #expect(result.stdout.contains(device + " "), "missing /dev/\(device)")
        }
        #expect(result.stdout.contains("sys-readonly"))
        #expect(result.stdout.hasSuffix("1\n"), "lo is not up: \(result.stdout)")
    }

    /// /dev as Docker makes it, node for node and mode for mode, with its
    /// mount's flags (strictatime shows as no atime word at all): what a
    /// change to how it is made must keep.
    @Test func devIsDockersTmpfsWithItsNodesAndLinks() throws {
        let sandbox = try Sandbox()
        let result = sandbox.run([
            "run", "--rm", "busybox", "sh", "-c",
            "cd /dev && stat -c '%n %F %a %u:%g %t:%T' . null zero full random urandom tty pts shm mqueue"
                + " && for link in fd stdin stdout stderr ptmx; do readlink $link; done && grep ' /dev ' /proc/self/mountinfo | cut -d ' ' -f 6-"
        ])
        #expect(result.code == 0, "\(result.stderr)")
        var lines = result.stdout.split(separator: "\n").map(String.init)
        let mount = lines.popLast() ?? ""
        #expect(
            lines == [
                ". directory 755 0:0 0:0",
                "null character special file 666 0:0 1:3",
                "zero character special file 666 0:0 1:5",
                "full character special file 666 0:0 1:7",
                "random character special file 666 0:0 1:8",
                "urandom character special file 666 0:0 1:9",
                "tty character special file 666 0:0 5:0",
                "pts directory 755 0:0 0:0",
                "shm directory 1777 0:0 0:0",
                "mqueue directory 1777 0:0 0:0",
                "/proc/self/fd", "/proc/self/fd/0", "/proc/self/fd/1", "/proc/self/fd/2", "pts/ptmx"
            ])
        // "FLAGS - TYPE SOURCE OPTIONS": the mount's own flags exactly; the
        // filesystem's options, to which a kernel may add its own (6.1: inode64).
        let halves = mount.components(separatedBy: " - ")
        let filesystem = (halves.last ?? "").split(separator: " ").map(String.init)
        #expect(halves.first == "rw,nosuid", "\(mount)")
        #expect(filesystem.count == 3 && filesystem[0] == "tmpfs" && filesystem[1] == "tmpfs", "\(mount)")
        #expect(Set((filesystem.last ?? "").split(separator: ",")).isSuperset(of: ["rw", "size=65536k", "mode=755"]), "\(mount)")
    }

    @Test func environmentAndWorkingDirectoryFollowTheFlags() throws {
        let sandbox = try Sandbox()
        let result = sandbox.run([
            "run", "--rm", "-e", "GREETING=hello world", "-e", "PATH=/bin", "-w", "/made/for/you",
            "busybox", "sh", "-c", "echo \"$GREETING|$PATH|$(pwd)|$HOME\""
        ])
        #expect(result.code == 0, "\(result.stderr)")
        #expect(result.stdout == "hello world|/bin|/made/for/you|/root\n")
    }

    @Test func commandArgumentsPassThroughUntouched() throws {
        let sandbox = try Sandbox()
        let result = sandbox.run(["run", "--rm", "busybox", "ls", "-la", "-d", "/"])
        #expect(result.code == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("drwxr-xr-x"), "root dir: \(result.stdout)")
    }
}
