import Foundation
import Testing

/// Volumes (issue 17): `volume create/ls/inspect/rm/prune`, `-v NAME:/path`,
/// anonymous volumes (`-v /path`, an image's VOLUME) and Docker's copy-up,
/// on real bind mounts in real containers.
@Suite final class VolumeTests {
    let sandbox: Sandbox
    let context: String

    init() throws {
        sandbox = try Sandbox()
        context = sandbox.root + "-context"
        try FileManager.default.createDirectory(atPath: context, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: context) }

    func volumeNames() -> [String] {
        sandbox.run(["volume", "ls", "-q"]).stdout.split(separator: "\n").map(String.init)
    }

    func mountpoint(_ name: String) throws -> String {
        let result = sandbox.run(["volume", "inspect", name])
        let documents = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]], "\(result.stderr)")
        return try #require(documents.first?["Mountpoint"] as? String)
    }

    func build(_ tag: String, _ dockerfile: String) throws {
        try dockerfile.write(toFile: context + "/Dockerfile", atomically: true, encoding: .utf8)
        let built = sandbox.run(["build", "-t", tag, context])
        try #require(built.code == 0, "\(built.stderr)")
    }

    @Test func aNamedVolumeOutlivesItsContainersAndIsRefusedWhileMounted() throws {
        let wrote = sandbox.run(["run", "--rm", "-v", "data:/d", "busybox", "sh", "-c", "echo kept > /d/f"])
        #expect(wrote.code == 0, "\(wrote.stderr)")
        #expect(volumeNames() == ["data"])
        #expect(sandbox.run(["run", "--rm", "-v", "data:/d:ro", "busybox", "cat", "/d/f"]).stdout == "kept\n")
        let readOnly = sandbox.run(["run", "--rm", "-v", "data:/d:ro", "busybox", "touch", "/d/g"])
        #expect(readOnly.code == 1 && readOnly.stderr.contains("Read-only file system"), "\(readOnly)")

        let started = sandbox.run(["run", "-d", "--name", "user", "-v", "data:/d", "busybox", "sleep", "60"])
        try #require(started.code == 0, "\(started.stderr)")
        let refused = sandbox.run(["volume", "rm", "data"])
        #expect(refused.code == 1 && refused.stderr.contains("remove data: volume is in use - [\(started.stdout.prefix(64))]"), "\(refused)")
        let mounts = try #require(
            (try JSONSerialization.jsonObject(with: Data(sandbox.run(["inspect", "user"]).stdout.utf8)) as? [[String: Any]])?.first?["Mounts"]
                as? [[String: Any]])
        #expect(mounts.first?["Type"] as? String == "volume" && mounts.first?["Name"] as? String == "data", "\(mounts)")
        // rm -v takes anonymous volumes only: a named one stays.
        #expect(sandbox.run(["rm", "-f", "-v", "user"]).code == 0)
        #expect(volumeNames() == ["data"])
        #expect(sandbox.run(["volume", "rm", "data"]).stdout == "data\n")
        #expect(volumeNames().isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: sandbox.root + "/tmp").isEmpty)
    }

    @Test func anEmptyVolumeGetsTheImagesFilesWithTheirOwnersAndAnonymousOnesGoWithRm() throws {
        try build("seeded", "FROM busybox\nRUN mkdir -p /data/sub && echo seed > /data/sub/f && chown -R 1000:2000 /data && chmod 750 /data\nVOLUME /data\n")
        let seen = sandbox.run([
            "run", "--rm", "seeded", "sh", "-c", "stat -c '%u:%g %a' /data /data/sub/f; cat /data/sub/f; grep ' /data ' /proc/mounts | wc -l"
        ])
        #expect(seen.stdout == "1000:2000 750\n1000:2000 644\nseed\n1\n", "\(seen)")
        // --rm took the image's anonymous volume with the container.
        #expect(volumeNames().isEmpty)

        // Without --rm it stays, dangling, until rm -v or a prune.
        #expect(sandbox.run(["run", "--name", "kept", "seeded", "true"]).code == 0)
        let anonymous = volumeNames()
        #expect(anonymous.count == 1 && anonymous.first?.count == 64, "\(anonymous)")
        #expect(sandbox.run(["volume", "ls", "-q", "-f", "dangling=true"]).stdout.isEmpty)
        #expect(sandbox.run(["rm", "kept"]).code == 0)
        #expect(sandbox.run(["volume", "ls", "-q", "-f", "dangling=true"]).stdout == anonymous[0] + "\n")
        let pruned = sandbox.run(["volume", "prune", "-f"])
        #expect(pruned.stdout.contains(anonymous[0]), "\(pruned)")
        #expect(volumeNames().isEmpty)

        // A volume that has files is not filled again, and nocopy fills none.
        #expect(sandbox.run(["run", "--rm", "-v", "own:/data", "busybox", "sh", "-c", "echo mine > /data/m"]).code == 0)
        #expect(sandbox.run(["run", "--rm", "-v", "own:/data", "seeded", "ls", "/data"]).stdout == "m\n")
        #expect(sandbox.run(["run", "--rm", "-v", "bare:/data:nocopy", "seeded", "ls", "-A", "/data"]).stdout == "")
    }

    /// The image's path is a symlink to /etc: the copy resolves it in the
    /// container's root, so the volume gets the image's /etc, never the
    /// host's (a plain open would copy the host's files).
    @Test func copyUpResolvesTheImagesSymlinksInsideItsRoot() throws {
        try build("linked", "FROM busybox\nRUN ln -s /etc /data\n")
        let run = sandbox.run(["run", "--rm", "-v", "got:/data", "linked", "true"])
        #expect(run.code == 0, "\(run.stderr)")
        let copied = try FileManager.default.contentsOfDirectory(atPath: try mountpoint("got"))
        #expect(copied.contains("passwd"), "\(copied)")
        #expect(FileManager.default.fileExists(atPath: "/etc/debian_version"))
        #expect(!copied.contains("debian_version"), "\(copied)")
    }

    /// A create that fails after its volumes were made (here the copy-up
    /// meets a symlink loop) takes its anonymous ones with it; a named one,
    /// made as `volume create` would make it, stays.
    @Test func aFailedCreateLeavesNoAnonymousVolume() throws {
        try build("looped", "FROM busybox\nRUN ln -s /loop /loop\n")
        let failed = sandbox.run(["run", "--rm", "-v", "/scratch", "-v", "named:/loop", "looped", "true"])
        #expect(failed.code == 125 && failed.stderr.contains("Too many levels of symbolic links"), "\(failed)")
        #expect(volumeNames() == ["named"])
        #expect(sandbox.run(["ps", "-a", "-q"]).stdout.isEmpty)
    }

    @Test func badNamesAndMissingVolumesGetDockersErrors() {
        let bad = sandbox.run(["run", "--rm", "-v", "x:/data", "busybox", "true"])
        #expect(bad.code == 125 && bad.stderr.contains("\"x\" includes invalid characters for a local volume name"), "\(bad)")
        let relative = sandbox.run(["run", "--rm", "-v", "data", "busybox", "true"])
        #expect(relative.code == 125 && relative.stderr.contains("invalid volume \"data\""), "\(relative)")
        let missing = sandbox.run(["volume", "inspect", "nope"])
        #expect(missing.code == 1 && missing.stderr == "swiftrun: no such volume: nope\n", "\(missing)")
        #expect(sandbox.run(["volume", "rm", "nope"]).code == 1)
        #expect(sandbox.run(["volume", "rm", "-f", "nope"]).code == 0)
        #expect(sandbox.run(["volume", "create", "--label", "k=v", "made"]).stdout == "made\n")
        #expect(sandbox.run(["volume", "create", "made"]).stdout == "made\n")
        #expect(sandbox.run(["volume", "ls", "-q", "-f", "label=k=v"]).stdout == "made\n")
        #expect(sandbox.run(["volume", "ls", "-f", "color=red"]).code == 1)
        #expect(volumeNames() == ["made"])
    }
}
