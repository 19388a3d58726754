import Foundation
import Testing

/// `pull` and `run`'s pulls against a real registry on 127.0.0.1, with
/// images made by umoci and pushed by skopeo.
@Suite final class RegistryTests {
    let sandbox: Sandbox
    let work: String
    let registry: RegistryServer

    init() throws {
        sandbox = try Sandbox()
        var template = Array("/tmp/swiftrun-registry-XXXXXX".utf8CString)
        work = String(cString: mkdtemp(&template)!)
        registry = try RegistryServer(in: work + "/registry")
    }

    deinit {
        registry.stop()
        try? FileManager.default.removeItem(atPath: work)
    }

    /// This test's own Docker config dir, for login's credentials.
    var environment: [String: String] { ["DOCKER_CONFIG": work + "/docker-config"] }

    /// The busybox sample with Env FOO=bar as an OCI layout made by umoci,
    /// under `tag`; `marker` adds /platform with that text.
    func layout(tag: String = "v1", architecture: String = "amd64", marker: String? = nil, extraLayer: String? = nil) throws -> String {
        let layout = work + "/layout"
        let bundle = work + "/bundle-" + tag
        if !FileManager.default.fileExists(atPath: layout) { try tool(["umoci", "init", "--layout", layout]) }
        try tool(["umoci", "new", "--image", "\(layout):\(tag)"])
        try tool(["umoci", "unpack", "--image", "\(layout):\(tag)", bundle])
        try tool(["tar", "-C", bundle + "/rootfs", "-xf", Sandbox.sample])
        if let marker { try marker.write(toFile: bundle + "/rootfs/platform", atomically: true, encoding: .utf8) }
        try tool(["umoci", "repack", "--image", "\(layout):\(tag)", bundle])
        try tool([
            "umoci", "config", "--image", "\(layout):\(tag)", "--config.env", "FOO=bar", "--config.cmd", "/bin/sh",
            "--architecture", architecture
        ])
        if let extraLayer { try tool(["umoci", "raw", "add-layer", "--image", "\(layout):\(tag)", extraLayer]) }
        try FileManager.default.removeItem(atPath: bundle)
        return layout
    }

    /// A layer tar with one incompressible file, /big/random, from Python's tarfile.
    func randomLayer(megabytes: Int) throws -> String {
        let path = work + "/big.tar"
        try tool([
            "python3", "-c",
            """
            import io, os, sys, tarfile
            t = tarfile.open(sys.argv[1], "w"); data = os.urandom(int(sys.argv[2]) << 20)
            i = tarfile.TarInfo("big/random"); i.size = len(data); i.mode = 0o644; t.addfile(i, io.BytesIO(data)); t.close()
            """, path, String(megabytes)
        ])
        return path
    }

    /// The registry's digest for a pushed image, as skopeo reads it.
    func registryDigest(_ name: String) throws -> String {
        try tool(["skopeo", "inspect", "--tls-verify=false", "--format", "{{.Digest}}", "docker://\(registry.host)/\(name)"])
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func pullsByTagAndByDigestInOCIAndDockerManifests() throws {
        let layout = try layout()
        try registry.push("oci:\(layout):v1", as: "test/oci:v1")
        try registry.push("oci:\(layout):v1", as: "test/docker:v1", format: "v2s2")
        for name in ["test/oci:v1", "test/docker:v1"] {
            let sandbox = try Sandbox(importBusybox: false)
            let pulled = sandbox.run(["pull", "\(registry.host)/\(name)"])
            #expect(pulled.code == 0, "\(pulled.stderr)")
            #expect(pulled.stdout.contains("Pull complete") && pulled.stdout.contains("Status: Downloaded newer image"), "\(pulled.stdout)")
            #expect(pulled.stdout.contains("Digest: \(try registryDigest(name))"), "the registry's manifest is kept byte for byte")
            let ran = sandbox.run(["run", "--rm", "\(registry.host)/\(name)", "sh", "-c", "echo $FOO; test -x /bin/busybox && echo ok"])
            #expect(ran.stdout == "bar\nok\n", "\(ran.stderr)")
        }
        #expect(sandbox.run(["pull", "\(registry.host)/test/oci:v1"]).stdout.contains("Pull complete"))
        let again = sandbox.run(["pull", "\(registry.host)/test/oci:v1"])
        #expect(again.stdout.contains("Already exists") && again.stdout.contains("Image is up to date"), "\(again.stdout)")
        let shared = sandbox.run(["pull", "\(registry.host)/test/docker:v1"])
        #expect(shared.stdout.contains("Already exists") && shared.stdout.contains("Downloaded newer image"), "one layer, stored once: \(shared.stdout)")

        let digest = try registryDigest("test/docker:v1")
        let other = try Sandbox(importBusybox: false)
        let byDigest = other.run(["pull", "-q", "\(registry.host)/test/docker@\(digest)"])
        #expect(byDigest.code == 0 && byDigest.stdout == digest + "\n", "-q prints only the digest: \(byDigest.stdout) \(byDigest.stderr)")
        #expect(other.run(["run", "--rm", "\(registry.host)/test/docker@\(digest)", "echo", "pinned"]).stdout == "pinned\n")
        #expect(other.run(["images"]).stdout.contains("<none>"), "a digest pull has no tag, as in Docker")
        let wrong = other.run(["pull", "\(registry.host)/test/oci@sha256:" + String(repeating: "0", count: 64)])
        #expect(wrong.code == 1 && wrong.stderr.contains("manifest unknown"), "\(wrong.stderr)")
    }

    @Test func anIndexGivesThisMachinesImageOrTheOneAskedFor() throws {
        let layout = try layout(tag: "amd64", marker: "amd64")
        _ = try self.layout(tag: "arm64", architecture: "arm64", marker: "arm64")
        // umoci makes one manifest per tag; an index over both is what `docker buildx` would push.
        try tool([
            "python3", "-c",
            """
            import hashlib, json, sys
            root = sys.argv[1]
            index = json.load(open(root + "/index.json"))
            entries = []
            for m in index["manifests"]:
                arch = m["annotations"]["org.opencontainers.image.ref.name"]
                entries.append(dict(m, platform={"architecture": arch, "os": "linux"}, annotations=None))
            for e in entries: del e["annotations"]
            blob = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": entries}).encode()
            digest = hashlib.sha256(blob).hexdigest()
            open(root + "/blobs/sha256/" + digest, "wb").write(blob)
            index["manifests"].append({"mediaType": "application/vnd.oci.image.index.v1+json", "digest": "sha256:" + digest,
                "size": len(blob), "annotations": {"org.opencontainers.image.ref.name": "multi"}})
            json.dump(index, open(root + "/index.json", "w"))
            """, layout
        ])
        try registry.push("oci:\(layout):multi", as: "test/multi:v1", all: true)
        let reference = "\(registry.host)/test/multi:v1"
        #expect(sandbox.run(["pull", reference]).code == 0)
        #expect(sandbox.run(["run", "--rm", reference, "cat", "/platform"]).stdout == "amd64")
        let arm = sandbox.run(["pull", "--platform", "linux/arm64", reference])
        #expect(arm.code == 0, "\(arm.stderr)")
        #expect(sandbox.run(["run", "--rm", reference, "cat", "/platform"]).stdout == "arm64", "the tag now names the arm64 image")
        let none = sandbox.run(["pull", "--platform", "linux/s390x", reference])
        #expect(none.code == 1 && none.stderr.contains("no image for linux/s390x") && none.stderr.contains("linux/arm64"), "\(none.stderr)")
    }

    @Test func runPullsWhatIsMissingUnlessToldNever() throws {
        try registry.push("oci:\(try layout()):v1", as: "test/app:v1")
        let reference = "\(registry.host)/test/app:v1"
        let never = sandbox.run(["run", "--rm", "--pull=never", reference, "true"])
        #expect(never.code == 125 && never.stderr.contains("image not found"), "\(never.stderr)")
        let ran = sandbox.run(["run", "--rm", reference, "echo", "hi"])
        #expect(ran.code == 0 && ran.stdout == "hi\n", "\(ran.stderr)")
        #expect(ran.stderr.contains("Unable to find image '\(reference)' locally"), "the pull's progress goes to stderr")
        let always = sandbox.run(["run", "--rm", "--pull", "always", reference, "true"])
        #expect(always.code == 0 && always.stderr.contains("Image is up to date"), "\(always.stderr)")

        let unknown = sandbox.run(["run", "--rm", "\(registry.host)/test/app:nope", "true"])
        #expect(unknown.code == 125 && unknown.stderr.hasSuffix("manifest unknown: manifest unknown\n"), "\(unknown.stderr)")
        let pulled = sandbox.run(["pull", "\(registry.host)/test/app:nope"])
        #expect(pulled.code == 1, "docker pull exits 1 on an error")
        #expect(pulled.stderr == "swiftrun: \(registry.host)/test/app:nope: manifest unknown: manifest unknown\n", "\(pulled.stderr)")
    }

    @Test func aTamperedBlobIsRefusedAndTheStoreIsUnchanged() throws {
        try registry.push("oci:\(try layout()):v1", as: "test/app:v1")
        let manifest = try tool(["skopeo", "inspect", "--raw", "--tls-verify=false", "docker://\(registry.host)/test/app:v1"])
        let layer = try #require(manifest.firstMatch(of: #/"digest":\s*"(sha256:[0-9a-f]{64})","size":\s*\d+(,"annotations"[^}]*)?\}\]/#)?.output.1)
        let handle = try #require(FileHandle(forUpdatingAtPath: registry.blobPath(String(layer))))
        try handle.seek(toOffset: 100)
        let byte = try #require(try handle.read(upToCount: 1)?.first)
        try handle.seek(toOffset: 100)
        try handle.write(contentsOf: [byte ^ 0xff])
        try handle.close()

        let before = try sandbox.snapshot()
        let pulled = sandbox.run(["pull", "\(registry.host)/test/app:v1"])
        #expect(pulled.code == 1 && pulled.stderr.contains("digest mismatch"), "\(pulled.stderr)")
        #expect(try sandbox.snapshot() == before, "nothing of the image is stored, not even in tmp/")

        // A blob longer than its descriptor is cut off at the size the manifest gives.
        let appended = try #require(FileHandle(forWritingAtPath: registry.blobPath(String(layer))))
        try appended.seekToEnd()
        try appended.write(contentsOf: [UInt8](repeating: 0, count: 4096))
        try appended.close()
        let longer = sandbox.run(["pull", "\(registry.host)/test/app:v1"])
        #expect(longer.code == 1 && longer.stderr.contains("sent more than the"), "\(longer.stderr)")
        #expect(try sandbox.snapshot() == before)
    }

    /// The pull is stopped (SIGSTOP) while a 48 MB layer downloads, the
    /// registry is killed, the pull resumes and fails; after a restart a
    /// second pull completes.
    @Test func aRegistryKilledMidPullLeavesNothingAndARerunCompletes() throws {
        try registry.push("oci:\(try layout(extraLayer: try randomLayer(megabytes: 48))):v1", as: "test/big:v1")
        let before = try sandbox.snapshot()
        let pull = sandbox.start(["pull", "\(registry.host)/test/big:v1"])
        while let line = pull.readLine(), !line.hasSuffix("Downloading") {}
        pull.signal(SIGSTOP)
        registry.stop(signal: SIGKILL)
        pull.signal(SIGCONT)
        let failed = pull.finish()
        #expect(failed.code == 1, "\(failed.stdout)")
        #expect(failed.stderr.contains("after 5 attempts") && failed.stderr.split(separator: "\n").count == 1, "\(failed.stderr)")
        #expect(try sandbox.snapshot() == before, "no partial image or layer is visible or left in tmp/")

        try registry.start(.none)
        let rerun = sandbox.run(["pull", "\(registry.host)/test/big:v1"])
        #expect(rerun.code == 0, "\(rerun.stderr)")
        #expect(sandbox.run(["run", "--rm", "\(registry.host)/test/big:v1", "stat", "-c", "%s", "/big/random"]).stdout == "\(48 << 20)\n")
    }

    @Test func aBrokenDownloadResumesWithRange() throws {
        try registry.push("oci:\(try layout(extraLayer: try randomLayer(megabytes: 8))):v1", as: "test/big:v1")
        let proxy = try FixtureServer("flaky_proxy.py", [String(registry.port)])
        let pulled = sandbox.run(["pull", "127.0.0.1:\(proxy.port)/test/big:v1"])
        #expect(pulled.code == 0, "\(pulled.stderr)")
        #expect(pulled.stdout.contains("retrying"), "the broken transfer was noticed: \(pulled.stdout)")
        #expect(proxy.text.contains("range=bytes="), "the retry asked for the rest only: \(proxy.text)")
        #expect(sandbox.run(["run", "--rm", "127.0.0.1:\(proxy.port)/test/big:v1", "stat", "-c", "%s", "/big/random"]).stdout == "\(8 << 20)\n")
    }

    @Test func basicAuthOverTLSWithATestCA() throws {
        try registry.push("oci:\(try layout()):v1", as: "test/private:v1")
        let certificates = try TestCertificates(in: work + "/tls")
        try tool(["sh", "-c", "htpasswd -Bbn alice s3cret > \(work)/htpasswd"])
        try registry.start(.basic(tls: certificates, htpasswd: work + "/htpasswd"))
        let reference = "\(registry.host)/test/private:v1"

        let untrusted = sandbox.run(["pull", reference], environment: environment)
        #expect(untrusted.code == 1 && untrusted.stderr.contains("certificate"), "\(untrusted.stderr)")
        var trusted = environment
        trusted["SSL_CERT_FILE"] = certificates.caCertificate
        let anonymous = sandbox.run(["pull", reference], environment: trusted)
        #expect(anonymous.code == 1 && anonymous.stderr.contains("swiftrun login \(registry.host)"), "\(anonymous.stderr)")

        let wrong = sandbox.run(["login", "-u", "alice", "-p", "wrong", registry.host], environment: trusted)
        #expect(wrong.code == 1 && wrong.stderr.contains("401"), "\(wrong.stderr)")
        #expect(!FileManager.default.fileExists(atPath: work + "/docker-config/config.json"), "nothing stored for a failed login")
        let login = sandbox.run(
            ["login", "-u", "alice", "--password-stdin", "--cert-dir", certificates.directory, registry.host],
            stdin: "s3cret\n", environment: environment)
        #expect(login.code == 0 && login.stdout == "Login Succeeded\n", "\(login.stderr)")
        let config = try String(contentsOfFile: work + "/docker-config/config.json", encoding: .utf8)
        #expect(config.contains(Data("alice:s3cret".utf8).base64EncodedString()), "Docker's config.json format")

        let pulled = sandbox.run(["pull", reference], environment: trusted)
        #expect(pulled.code == 0, "\(pulled.stderr)")
        #expect(sandbox.run(["logout", registry.host], environment: environment).stdout == "Removing login credentials for \(registry.host)\n")
        #expect(sandbox.run(["pull", "--tls-verify=false", reference], environment: environment).stderr.contains("swiftrun login"))
    }

    @Test func bearerTokensFromATokenIssuer() throws {
        try registry.push("oci:\(try layout()):v1", as: "test/private:v1")
        let keys = work + "/token"
        try FileManager.default.createDirectory(atPath: keys, withIntermediateDirectories: true)
        try tool([
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", keys + "/key.pem", "-out", keys + "/cert.pem",
            "-days", "2", "-subj", "/CN=swiftrun test token signer"
        ])
        let issuer = try FixtureServer("token_issuer.py", [keys + "/key.pem", keys + "/cert.pem", "bob", "hunter2"])
        let reference = "\(registry.host)/test/private:v1"

        // A plain-http realm on another host never sees the password ("localhost" is not the registry's "127.0.0.1").
        try registry.start(.token(realm: "http://localhost:\(issuer.port)/token", certificate: keys + "/cert.pem"))
        let elsewhere = sandbox.run(["login", "-u", "bob", "-p", "hunter2", registry.host], environment: environment)
        #expect(elsewhere.code == 1 && elsewhere.stderr.contains("refusing to send credentials to the plain-http token realm"), "\(elsewhere.stderr)")
        #expect(!issuer.text.contains("authorized=True") && !issuer.text.contains("authorized=False"), "no request reached the realm: \(issuer.text)")

        try registry.start(.token(realm: "http://127.0.0.1:\(issuer.port)/token", certificate: keys + "/cert.pem"))

        let anonymous = sandbox.run(["pull", reference], environment: environment)
        #expect(anonymous.code == 1 && anonymous.stderr.contains("token request") && anonymous.stderr.contains("401"), "\(anonymous.stderr)")
        let login = sandbox.run(["login", "-u", "bob", "-p", "hunter2", registry.host], environment: environment)
        #expect(login.code == 0, "\(login.stderr)")
        let pulled = sandbox.run(["pull", reference], environment: environment)
        #expect(pulled.code == 0, "\(pulled.stderr)")
        #expect(
            issuer.text.contains("'scope': ['repository:test/private:pull']") && issuer.text.contains("authorized=True"),
            "a token for this repository, asked with the stored credentials: \(issuer.text)")
        #expect(sandbox.run(["run", "--rm", reference, "echo", "tokened"]).stdout == "tokened\n")
    }
}
