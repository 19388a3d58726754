import Foundation
import Testing

/// `swiftrun build` end to end, and beside `podman build` on the same Dockerfile.
@Suite final class BuildTests {
    let sandbox: Sandbox
    let context: String

    init() throws {
        sandbox = try Sandbox()
        context = sandbox.root + "-context"
        try FileManager.default.createDirectory(atPath: context + "/site", withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: context) }

    func write(_ text: String, to path: String) throws {
        let full = context + "/" + path
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: full, atomically: true, encoding: .utf8)
    }

    func build(_ arguments: [String]) -> CommandResult {
        sandbox.run(["build"] + arguments + [context])
    }

    /// rootfs-samples/web (a page served by busybox httpd) as this test's context.
    func webSample() throws {
        let sample = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../rootfs-samples/web").standardized.path
        try FileManager.default.removeItem(atPath: context)
        try FileManager.default.copyItem(atPath: sample, toPath: context)
    }

    @Test func buildThenRunSeesEnvCmdWorkdirUserAndTheLayers() throws {
        try webSample()
        let built = build(["-t", "web:v1"])
        #expect(built.code == 0, "\(built.stderr)")
        #expect(built.stdout.contains("Step 1/10 : ARG BASE=busybox") && built.stdout.contains("Successfully tagged web:v1"), "\(built.stdout)")
        let seen = sandbox.run([
            "run", "--rm", "web:v1", "sh", "-c", "echo $APP $GREETING; pwd; id -u; cat greeting.txt; stat -c '%u:%g' site/index.html; ls /bin/ls"
        ])
        #expect(seen.stdout == "/srv/app hello there\n/srv/app\n1000\nhello there\n1000:1000\n", "\(seen.stdout) \(seen.stderr)")
        #expect(seen.stderr.contains("No such file"), "RUN rm's whiteout hides the base layer's /bin/ls")
        let served = sandbox.run(["run", "--rm", "web:v1", "sh", "-c", "httpd -p 8080 -h site; wget -qO- http://127.0.0.1:8080/"])
        #expect(served.stdout.contains("<h1>Served from a container swiftrun built</h1>"), "\(served.stderr)")
        let inspected = sandbox.run(["inspect", "web:v1"]).stdout
        #expect(inspected.contains(#""Cmd":["httpd","-f","-p","8080","-h","/srv/app/site"]"#), "\(inspected)")
    }

    /// A RUN layer holds what the command changed, as Docker's does: not
    /// the /etc/hostname and /etc/resolv.conf a container is given (the
    /// image's init layer has them, so its writable layer never does).
    @Test func aRunLayerHoldsOnlyWhatTheCommandChanged() throws {
        try write("FROM busybox\nRUN echo a > /a\n", to: "Dockerfile")
        #expect(build(["-t", "one-run"]).code == 0)
        let archive = sandbox.root + "/one-run.tar"
        #expect(sandbox.run(["save", "-o", archive, "one-run"]).code == 0)
        let names = try tool([
            "python3", "-c",
            """
            import json, sys, tarfile
            image = tarfile.open(sys.argv[1])
            layer = json.load(image.extractfile("manifest.json"))[0]["Layers"][-1]
            print(" ".join(tarfile.open(fileobj=image.extractfile(layer)).getnames()))
            """,
            archive
        ])
        #expect(names == "a\n")
    }

    @Test func multiStageCopiesFromAnEarlierStageAndTargetStopsThere() throws {
        try write(
            """
            FROM busybox AS builder
            RUN mkdir /out && echo compiled > /out/app && echo tmp > /out/scratch
            FROM busybox AS unused
            RUN echo never
            FROM scratch
            COPY --from=builder /out/app /app
            COPY --from=0 /bin/busybox /bin/busybox
            CMD ["/bin/busybox", "cat", "/app"]
            """, to: "Dockerfile")
        let built = build(["-t", "multi"])
        #expect(built.code == 0, "\(built.stderr)")
        #expect(sandbox.run(["run", "--rm", "multi"]).stdout == "compiled\n")
        let root = sandbox.run(["run", "--rm", "multi", "/bin/busybox", "ls", "/"]).stdout
        #expect(root.contains("app\n") && !root.contains("out") && !root.contains("usr"), "only what was copied: \(root)")
        let target = build(["-t", "first", "--target", "builder"])
        #expect(target.code == 0 && !target.stdout.contains("never"), "\(target.stdout)")
        #expect(sandbox.run(["run", "--rm", "first", "cat", "/out/scratch"]).stdout == "tmp\n")
        #expect(sandbox.run(["run", "--rm", "first", "cat", "/app"]).code != 0, "the target stage stops before the last one")
    }

    @Test func theCacheHitsWhenNothingChangedAndMissesFromTheStepThatReadsAChange() throws {
        try write("FROM busybox\nRUN echo one > /one\nCOPY a.txt /a.txt\nRUN cat /a.txt > /copy\nCMD [\"cat\", \"/copy\"]\n", to: "Dockerfile")
        try write("first\n", to: "a.txt")
        #expect(build(["-t", "cached"]).code == 0)
        let layers = try FileManager.default.contentsOfDirectory(atPath: sandbox.root + "/layers").count
        let cache = try String(contentsOfFile: sandbox.root + "/build-cache.json", encoding: .utf8)
        // How fast that is lives in make bench (a 6-step rebuild: ~6 ms); here, that nothing was made again.
        let again = build(["-t", "cached"])
        #expect(again.stdout.components(separatedBy: "---> Using cache").count - 1 == 3, "\(again.stdout)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: sandbox.root + "/layers").count == layers, "no new layers")
        #expect(try String(contentsOfFile: sandbox.root + "/build-cache.json", encoding: .utf8) == cache, "no step ran again")

        try write("second\n", to: "a.txt")
        let changed = build(["-t", "cached"])
        #expect(changed.stdout.components(separatedBy: "---> Using cache").count - 1 == 1, "only the RUN before the COPY: \(changed.stdout)")
        #expect(sandbox.run(["run", "--rm", "cached"]).stdout == "second\n")
        let fresh = build(["-t", "cached", "--no-cache"])
        #expect(!fresh.stdout.contains("Using cache"))
    }

    @Test func dockerignoreChownAndAFailingRun() throws {
        try write("FROM busybox\nCOPY --chown=nobody . /ctx/\nRUN ls -n /ctx > /listing\n", to: "Dockerfile")
        try write("*.key\nsecret/\n!secret/public.txt\n", to: ".dockerignore")
        try write("k", to: "private.key")
        try write("s", to: "secret/hidden.txt")
        try write("p", to: "secret/public.txt")
        try write("ok", to: "kept.txt")
        #expect(build(["-t", "ignored"]).code == 0)
        let listing = sandbox.run(["run", "--rm", "ignored", "sh", "-c", "find /ctx | sort; stat -c '%U' /ctx/kept.txt"]).stdout
        #expect(listing.contains("/ctx/kept.txt") && listing.contains("/ctx/secret/public.txt"), "\(listing)")
        #expect(!listing.contains("private.key") && !listing.contains("hidden.txt"), "\(listing)")
        #expect(listing.hasSuffix("nobody\n"), "--chown resolved through the image's /etc/passwd: \(listing)")

        try write("FROM busybox\nRUN echo before\nRUN exit 7\nRUN echo after\n", to: "Dockerfile")
        let failed = build(["-t", "broken"])
        #expect(failed.code == 7, "the build exits with the RUN's code")
        #expect(failed.stdout.contains("Step 3/4 : RUN exit 7") && !failed.stdout.contains("Step 4/4"))
        #expect(failed.stderr == "swiftrun: The command '/bin/sh -c exit 7' returned a non-zero code: 7\n", "\(failed.stderr)")
        #expect(sandbox.run(["ps", "-a", "-q"]).stdout.isEmpty, "no build container is left")
    }

    @Test func addUnpacksALocalArchiveAndCopyTakesHeredocsAndChmod() throws {
        try write("packed\n", to: "payload/inside.txt")
        try tool(["tar", "-C", context + "/payload", "-czf", context + "/payload.tar.gz", "inside.txt"])
        try write(
            """
            FROM busybox
            ENV WHO=heredoc
            ADD payload.tar.gz /opt/
            COPY --chmod=0750 <<EOF /usr/local/bin/hello
            #!/bin/sh
            echo "hello from a $WHO"
            EOF
            RUN hello > /greeting
            """, to: "Dockerfile")
        let built = build(["-t", "added"])
        #expect(built.code == 0, "\(built.stderr)")
        let seen = sandbox.run(["run", "--rm", "added", "sh", "-c", "cat /opt/inside.txt /greeting; stat -c %a /usr/local/bin/hello; ls /opt"])
        #expect(seen.stdout == "packed\nhello from a heredoc\n750\ninside.txt\n", "\(seen.stdout) \(seen.stderr)")
    }

    /// ADD unpacks with the store's layer writer: an archive cannot put a file outside its destination.
    @Test func addOfAHostileArchiveWritesNothingOutside() throws {
        try tool([
            "python3", "-c",
            """
            import io, sys, tarfile
            t = tarfile.open(sys.argv[1], "w")
            for name in ["ok.txt", "../../escaped.txt"]:
                i = tarfile.TarInfo(name); i.size = 2; t.addfile(i, io.BytesIO(b"x\\n"))
            t.close()
            """, context + "/hostile.tar"
        ])
        try write("FROM busybox\nADD hostile.tar /opt/\n", to: "Dockerfile")
        let built = build(["-t", "hostile"])
        #expect(built.code == 1 && built.stderr.contains("path leaves the layer"), "\(built.stderr)")
        #expect(!FileManager.default.fileExists(atPath: sandbox.root + "/escaped.txt"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: sandbox.root + "/tmp").isEmpty, "the unpacked archive is gone")
    }

    @Test func anImageWithoutLayersIsRefusedNotRun() throws {
        try write("FROM scratch\nRUN true\n", to: "Dockerfile")
        let built = build(["-t", "empty"])
        #expect(built.code == 1 && built.stderr.hasSuffix("the image has no layers, so there is nothing to run\n"), "\(built.stderr)")
    }

    @Test func theDockerfileIsFoundWhereTheCheatSheetPutsItAndEscapesAreRefused() throws {
        try write("FROM busybox\nCMD [\"echo\", \"from docker/\"]\n", to: "docker/Dockerfile")
        let missing = build(["-t", "nothing"])
        #expect(missing.code == 1 && missing.stderr.contains("looked for \(context)/Dockerfile"), "\(missing.stderr)")
        #expect(sandbox.run(["build", "-t", "ros_bare_bones", context + "/docker"]).code == 0)
        #expect(sandbox.run(["run", "--rm", "ros_bare_bones"]).stdout == "from docker/\n")
        #expect(sandbox.run(["build", "-t", "viaf", "-f", context + "/docker/Dockerfile", context]).code == 0)

        try write("FROM busybox\nCOPY ../outside /x\n", to: "Dockerfile")
        #expect(build(["-t", "escape"]).stderr.contains("Dockerfile:2: COPY: ../outside is outside the build context"))
        try FileManager.default.createSymbolicLink(atPath: context + "/link", withDestinationPath: "/etc/shadow")
        try write("FROM busybox\nCOPY link /x\n", to: "Dockerfile")
        #expect(build(["-t", "escape"]).stderr.contains("symlink to /etc/shadow, outside the build context"))
        try write("FROM busybox\nADD https://example.com/x /x\n", to: "Dockerfile")
        #expect(build(["-t", "url"]).stderr.contains("not supported"))
    }

    /// podman build (buildah, runc, no network) and swiftrun build make the
    /// same image from the same Dockerfile: same files (path, type, mode,
    /// owner, content) and the same config fields.
    @Test func podmanBuildsTheSameImage() throws {
        try webSample()
        let compared = try buildBesidePodman(tag: "web:v1")
        #expect(compared == "same\n", "\(compared)")
    }

    /// COPY --from keeps the owner, mode (setuid and setgid included) and
    /// xattrs of what it copies, as Docker and buildah do; files from the
    /// context become root's. The xattrs come in through ADD of a tar.
    @Test func copyFromAStageKeepsOwnersModesAndXattrsAsPodmanDoes() throws {
        try write("ctx\n", to: "f")
        try tool([
            "python3", "-c",
            """
            import io, sys, tarfile
            t = tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT)
            i = tarfile.TarInfo("tagged"); i.size = 2; i.mode = 0o640; i.uid = 42; i.gid = 43
            i.pax_headers = {"SCHILY.xattr.user.origin": "stage-a"}
            t.addfile(i, io.BytesIO(b"x\\n")); t.close()
            """, context + "/tagged.tar"
        ])
        try write(
            """
            ARG BASE=busybox
            FROM $BASE AS a
            COPY --chown=1000:1000 f /f
            ADD tagged.tar /x/
            RUN chown 1234:1234 /f && touch /g && chown 55:66 /g && chmod 4755 /g && mkdir -p /d/sub && chown -R 7:8 /d && chmod 2750 /d/sub
            FROM $BASE
            COPY --from=a /f /f
            COPY --from=a /g /g
            COPY --from=a /d /d
            COPY --from=a /x/tagged /tagged
            COPY f /plain
            """, to: "Dockerfile")
        let compared = try buildBesidePodman(tag: "owners:v1")
        #expect(compared == "same\n", "\(compared)")
        let seen = sandbox.run(["run", "--rm", "owners:v1", "stat", "-c", "%n %u:%g %a", "/f", "/g", "/d/sub", "/tagged", "/plain"])
        #expect(seen.stdout == "/f 1234:1234 644\n/g 55:66 4755\n/d/sub 7:8 2750\n/tagged 42:43 640\n/plain 0:0 644\n", "\(seen.stderr)")
        let xattrs = try tool([
            "python3", "-c", "import glob, os, sys; print([os.getxattr(p, 'user.origin').decode() for p in glob.glob(sys.argv[1] + '/layers/*/tagged')])",
            sandbox.root
        ])
        #expect(xattrs == "['stage-a']\n", "the final stage's layer holds /tagged with its xattr")
    }

    /// Builds the context with swiftrun and with podman (buildah, runc, no
    /// network), and compares the two images' files and configs.
    func buildBesidePodman(tag: String) throws -> String {
        #expect(build(["-t", tag]).code == 0)
        let work = sandbox.root + "/test-work"
        let podman = [
            "podman", "--root", work + "/podman", "--runroot", work + "/podman-run", "--storage-driver", "vfs",
            "--cgroup-manager", "cgroupfs", "--events-backend", "file"
        ]
        try tool(podman + ["import", Sandbox.sample, "localhost/busybox"])
        try tool(
            podman + [
                "build", "-q", "--runtime", "runc", "--network", "none", "--pull=never", "--build-arg", "BASE=localhost/busybox",
                "-t", tag, context
            ])
        try tool(podman + ["save", "-q", "--format", "oci-archive", "-o", work + "/podman.tar", "localhost/" + tag])
        #expect(sandbox.run(["save", "--format", "oci-archive", "-o", work + "/swiftrun.tar", tag]).code == 0)
        return try tool(["python3", "-c", Self.compareScript, work + "/swiftrun.tar", work + "/podman.tar", work])
    }

    /// Unpacks two OCI archives with umoci and compares their trees and configs.
    static let compareScript = #"""
        import hashlib, json, os, stat, subprocess, sys, tarfile
        ours, theirs, work = sys.argv[1:4]
        def load(archive, name):
            layout = os.path.join(work, name + "-layout")
            os.makedirs(layout)
            tarfile.open(archive).extractall(layout)
            index = json.load(open(layout + "/index.json"))
            tag = index["manifests"][0].get("annotations", {}).get("org.opencontainers.image.ref.name", "latest")
            subprocess.run(["umoci", "unpack", "--image", layout + ":" + tag, os.path.join(work, name + "-bundle")], check=True, capture_output=True)
            manifest = json.load(open(layout + "/blobs/sha256/" + index["manifests"][0]["digest"].split(":")[1]))
            config = json.load(open(layout + "/blobs/sha256/" + manifest["config"]["digest"].split(":")[1]))["config"]
            root = os.path.join(work, name + "-bundle", "rootfs")
            files = {}
            for directory, dirs, names in os.walk(root):
                for entry in dirs + names:
                    path = os.path.join(directory, entry)
                    info = os.lstat(path)
                    digest = hashlib.sha256(open(path, "rb").read()).hexdigest() if stat.S_ISREG(info.st_mode) else (os.readlink(path) if stat.S_ISLNK(info.st_mode) else "")
                    xattrs = sorted((k, os.getxattr(path, k, follow_symlinks=False)) for k in os.listxattr(path, follow_symlinks=False) if k.startswith("user."))
                    files[path[len(root):]] = (oct(info.st_mode), info.st_uid, info.st_gid, digest, xattrs)
            fields = {k: config.get(k) for k in ["Env", "Cmd", "Entrypoint", "WorkingDir", "User", "ExposedPorts", "Labels"]}
            return files, fields
        a, b = load(ours, "swiftrun"), load(theirs, "podman")
        # What buildah adds to every image it builds: its own label and the RUN mount points of /etc.
        b[1]["Labels"] = {k: v for k, v in (b[1]["Labels"] or {}).items() if k != "io.buildah.version"}
        a[1]["Labels"] = a[1]["Labels"] or {}
        for f in ["/etc/hosts", "/etc/resolv.conf", "/etc/hostname", "/run/.containerenv", "/run"]:
            a[0].pop(f, None); b[0].pop(f, None)
        problems = []
        for path in sorted(set(a[0]) | set(b[0])):
            if a[0].get(path) != b[0].get(path):
                problems.append(f"{path}: swiftrun {a[0].get(path)} podman {b[0].get(path)}")
        for key in a[1]:
            if a[1][key] != b[1][key]:
                problems.append(f"config {key}: swiftrun {a[1][key]} podman {b[1][key]}")
        print("\n".join(problems[:20]) if problems else "same")
        """#
}
