import CShims
import Foundation
import Testing

@testable import SwiftrunCore

/// Layers are untrusted: no entry may create, change or delete anything
/// outside the layer dir. The archives are made by Python's tarfile, a tar
/// writer that is not ours.
@Suite struct LayerSecurityTests {
    /// Builds a tar with python3's tarfile from a tiny program of entries.
    func makeTar(_ path: String, _ entries: String) throws {
        let script = """
            import io, sys, tarfile
            t = tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT)
            def file(name, data=b"x", mode=0o644):
                i = tarfile.TarInfo(name); i.size = len(data); i.mode = mode; t.addfile(i, io.BytesIO(data))
            def dir(name):
                i = tarfile.TarInfo(name); i.type = tarfile.DIRTYPE; i.mode = 0o755; t.addfile(i)
            def symlink(name, target):
                i = tarfile.TarInfo(name); i.type = tarfile.SYMTYPE; i.linkname = target; t.addfile(i)
            def hardlink(name, target):
                i = tarfile.TarInfo(name); i.type = tarfile.LNKTYPE; i.linkname = target; t.addfile(i)
            \(entries)
            t.close()
            """
        try tool(["python3", "-c", script, path])
    }

    /// Imports `entries` into a fresh store whose parent dir also holds a
    /// "victim" dir; returns the error, or nil if the import succeeded.
    func importing(_ entries: String, check: (_ store: String, _ outside: String) throws -> Void = { _, _ in }) throws -> SwiftrunError? {
        let sandbox = try Sandbox(importBusybox: false)
        let base = sandbox.root
        let outside = base + "/victim"
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        let tar = base + "/evil.tar"
        try makeTar(tar, entries.replacingOccurrences(of: "OUTSIDE", with: outside))
        let layout = StoreLayout(root: base + "/store")
        var failure: SwiftrunError?
        do {
            try ImageImporter(store: ImageStore(layout: layout)).importTarball(tar, as: ImageReference(parsing: "evil"))
        } catch {
            failure = error
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside).isEmpty, "something was written outside the layer")
        if failure != nil {
            #expect(try FileManager.default.contentsOfDirectory(atPath: layout.temp).isEmpty, "a failed import left temp files")
            #expect(!FileManager.default.fileExists(atPath: layout.imageIndex), "a failed import was tagged")
        }
        try check(layout.root, outside)
        return failure
    }

    @Test func dotDotIsRefused() throws {
        let error = try importing(#"file("a/../../victim/escaped")"#)
        #expect(error?.description.contains("path leaves the layer") == true)
    }

    @Test func writingThroughAnEarlierSymlinkIsRefused() throws {
        let error = try importing(
            """
            symlink("link", "OUTSIDE")
            file("link/escaped")
            """)
        #expect(error?.description.contains("refusing to write through it") == true)
    }

    @Test func relativeSymlinkPointingUpIsRefusedToo() throws {
        let error = try importing(
            """
            symlink("up", "../../../../../../../..")
            file("up/tmp/escaped")
            """)
        #expect(error != nil)
    }

    @Test func hardlinkOutsideTheLayerIsRefused() throws {
        let error = try importing(#"hardlink("stolen", "../../../etc/passwd")"#)
        #expect(error?.description.contains("path leaves the layer") == true)
    }

    @Test func hardlinkThroughASymlinkIsRefused() throws {
        let error = try importing(
            """
            symlink("etc", "/etc")
            hardlink("stolen", "etc/passwd")
            """)
        #expect(error != nil)
    }

    @Test func absolutePathsLandInsideTheLayer() throws {
        let error = try importing(#"file("OUTSIDE/inside", b"data")"#) { store, outside in
            let layers = try FileManager.default.contentsOfDirectory(atPath: store + "/layers")
            #expect(layers.count == 1)
            let landed = store + "/layers/" + layers[0] + outside + "/inside"
            #expect(try String(contentsOfFile: landed, encoding: .utf8) == "data")
        }
        #expect(error == nil)
    }

    @Test func modesOwnersAndLinksAreKept() throws {
        let error = try importing(
            """
            dir("bin")
            file("bin/tool", b"#!/bin/sh", 0o4755)
            symlink("bin/alias", "tool")
            hardlink("bin/same", "bin/tool")
            """
        ) { store, _ in
            let layers = try FileManager.default.contentsOfDirectory(atPath: store + "/layers")
            let bin = store + "/layers/" + layers[0] + "/bin"
            var info = stat()
            #expect(stat(bin + "/tool", &info) == 0)
            #expect(info.st_mode & 0o7777 == 0o4755, "setuid bit lost")
            #expect(info.st_nlink == 2)
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: bin + "/alias") == "tool")
        }
        #expect(error == nil)
    }
}

/// Hostile multi-layer images, built as OCI layouts by Python (tarfile,
/// hashlib, json), loaded and run: the host must stay as it was.
@Suite struct HostileImageTests {
    /// Writes an OCI layout whose layers are given as Python tarfile code.
    func layout(_ path: String, layers: [String]) throws {
        let script = """
            import hashlib, io, json, os, sys, tarfile
            root = sys.argv[1]
            os.makedirs(root + "/blobs/sha256", exist_ok=True)
            def blob(data):
                digest = hashlib.sha256(data).hexdigest()
                open(root + "/blobs/sha256/" + digest, "wb").write(data)
                return "sha256:" + digest, len(data)
            def entry(t, name, data=b"x", kind=tarfile.REGTYPE, link=""):
                i = tarfile.TarInfo(name); i.type = kind; i.linkname = link; i.mode = 0o755
                i.size = len(data) if kind == tarfile.REGTYPE else 0
                t.addfile(i, io.BytesIO(data) if kind == tarfile.REGTYPE else None)
            layers = []
            for code in sys.argv[2:]:
                out = io.BytesIO(); t = tarfile.open(fileobj=out, mode="w"); exec(code); t.close()
                layers.append(out.getvalue())
            descriptors = [dict(zip(("digest", "size"), blob(l)), mediaType="application/vnd.oci.image.layer.v1.tar") for l in layers]
            config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["/bin/sh"]},
                "rootfs": {"type": "layers", "diff_ids": [d["digest"] for d in descriptors]}}).encode()
            cdigest, csize = blob(config)
            manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cdigest, "size": csize},
                "layers": descriptors}).encode()
            mdigest, msize = blob(manifest)
            open(root + "/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
            open(root + "/index.json", "w").write(json.dumps({"schemaVersion": 2, "manifests": [{"mediaType":
                "application/vnd.oci.image.manifest.v1+json", "digest": mdigest, "size": msize,
                "annotations": {"io.containerd.image.name": "hostile/image:latest"}}]}))
            """
        try tool(["python3", "-c", script, path] + layers)
    }

    @Test func aSymlinkFromALowerLayerIsNotWrittenThrough() throws {
        let sandbox = try Sandbox()
        let victim = "/tmp/swiftrun-victim-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: victim, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: victim) }
        let path = sandbox.root + "/test-layout"
        try layout(
            path,
            layers: [
                #"entry(t, "escape", kind=tarfile.SYMTYPE, link="\#(victim)")"#,
                #"entry(t, "escape/planted", b"pwned")"#
            ])
        let loaded = sandbox.run(["load", "-i", path])
        #expect(loaded.code == 0, "\(loaded.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: victim).isEmpty, "a layer wrote through a lower layer's symlink")
    }

    @Test func aWhiteoutOfDotDotIsRefused() throws {
        let sandbox = try Sandbox()
        let path = sandbox.root + "/test-layout"
        try layout(path, layers: [#"entry(t, "dir/.wh...", b"")"#])
        let result = sandbox.run(["load", "-i", path])
        #expect(result.code != 0)
        #expect(result.stderr.contains("whiteout of \"..\" is not allowed"), "\(result.stderr)")
    }

    @Test func entriesUnderAWhiteoutInTheSameLayerAreRefused() throws {
        let sandbox = try Sandbox()
        let path = sandbox.root + "/test-layout"
        try layout(path, layers: [#"entry(t, ".wh.gone", b""); entry(t, "gone/child")"#])
        let result = sandbox.run(["load", "-i", path])
        #expect(result.code != 0)
        #expect(result.stderr.contains("refusing to write through it"), "\(result.stderr)")
    }

    @Test func overlayXattrsFromALayerAreDroppedOthersKept() throws {
        // No busybox: the store's only layer is the one under test.
        let sandbox = try Sandbox(importBusybox: false)
        let path = sandbox.root + "/test-layout"
        try layout(
            path,
            layers: [
                #"""
                i = tarfile.TarInfo("marked"); i.mode = 0o644; i.size = 1
                i.pax_headers = {"SCHILY.xattr.trusted.overlay.redirect": "/etc", "SCHILY.xattr.user.kept": "yes"}
                t.addfile(i, io.BytesIO(b"x"))
                """#
            ])
        #expect(sandbox.run(["load", "-i", path]).code == 0)
        let layer = try #require(try FileManager.default.contentsOfDirectory(atPath: sandbox.root + "/layers").first)
        let dir = open(sandbox.root + "/layers/" + layer, O_RDONLY | O_DIRECTORY)
        defer { close(dir) }
        var value = [UInt8](repeating: 0, count: 64)
        #expect(sr_fgetxattr_at(dir, "marked", "trusted.overlay.redirect", &value, 64) < 0, "overlayfs would follow this redirect")
        #expect(sr_fgetxattr_at(dir, "marked", "user.kept", &value, 64) == 3, "other xattrs are kept")
    }
}
