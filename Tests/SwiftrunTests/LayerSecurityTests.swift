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
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, path]
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0)
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
        let error = try importing("""
        symlink("link", "OUTSIDE")
        file("link/escaped")
        """)
        #expect(error?.description.contains("refusing to write through it") == true)
    }

    @Test func relativeSymlinkPointingUpIsRefusedToo() throws {
        let error = try importing("""
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
        let error = try importing("""
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
        let error = try importing("""
        dir("bin")
        file("bin/tool", b"#!/bin/sh", 0o4755)
        symlink("bin/alias", "tool")
        hardlink("bin/same", "bin/tool")
        """) { store, _ in
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
