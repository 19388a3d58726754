import Glibc
import Testing

@testable import SwiftrunCore

/// FileSystem.removeTree, which removes every container's
/// directory: its threads share the entries, and none of them may follow a
/// symlink out of the tree, leave an entry behind, or lose an error.
@Suite struct RemoveTreeTests {
    /// A temp dir for one test, removed by the test.
    private static func makeTemp() throws -> String {
        var template = Array("/tmp/swiftrun-removetree-XXXXXX".utf8CString)
        let dir = try #require(mkdtemp(&template))
        return String(cString: dir)
    }

    private static func makeFile(_ path: String, _ text: String = "x") throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        try #require(fd >= 0, "create \(path): errno \(errno)")
        defer { close(fd) }
        try #require(text.utf8CString.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count - 1) } == text.utf8.count)
    }

    /// A container's dir as `run` leaves it, with more entries than threads,
    /// a nested tree, and symlinks a container could plant towards the host.
    private static func makeContainerLikeTree(in root: String, outside: String) throws -> String {
        let tree = root + "/container"
        for dir in ["", "/upper", "/upper/etc", "/upper/deep", "/upper/deep/er", "/work", "/work/work", "/rootfs"] {
            try #require(mkdir(tree + dir, 0o755) == 0)
        }
        for file in ["state.json", "hosts", "hostname", "resolv.conf", "upper/etc/hostname", "upper/deep/er/file"] {
            try makeFile(tree + "/" + file)
        }
        try #require(symlink(outside, tree + "/upper/escape") == 0)
        try #require(symlink(outside, tree + "/link-at-top") == 0)
        return tree
    }

    @Test func removesEveryEntryAndFollowsNoSymlink() throws {
        let root = try Self.makeTemp()
        defer { try? FileSystem.removeTree(root) }
        let outside = root + "/host"
        try #require(mkdir(outside, 0o755) == 0)
        try Self.makeFile(outside + "/precious", "keep")
        let tree = try Self.makeContainerLikeTree(in: root, outside: outside)

        try FileSystem.removeTree(tree)

        #expect(access(tree, F_OK) != 0 && errno == ENOENT, "the container dir is still there")
        #expect(access(outside + "/precious", F_OK) == 0, "a symlink in the tree was followed out of it")
        // A tree already gone is not an error: removal after a crash repeats it.
        try FileSystem.removeTree(tree)
    }

    @Test func anEntryThatCannotGoFailsTheRemoval() throws {
        let root = try Self.makeTemp()
        defer { try? FileSystem.removeTree(root) }
        let tree = try Self.makeContainerLikeTree(in: root, outside: root)
        // An immutable file (chattr +i) cannot be unlinked, even by root.
        let stuck = tree + "/work/stuck"
        try Self.makeFile(stuck)
        try setImmutable(stuck, true)
        defer { try? setImmutable(stuck, false) }

        let error = #expect(throws: SwiftrunError.self) { try FileSystem.removeTree(tree) }
        // The entry's own error, whichever thread met it; not the rmdir's
        // ENOTEMPTY that a lost one would leave.
        #expect(error.map { String(describing: $0) }?.contains("work/stuck") == true, "\(String(describing: error))")

        #expect(access(stuck, F_OK) == 0)
        #expect(access(tree, F_OK) == 0, "the dir went although an entry in it could not")
    }

    /// FS_IOC_SETFLAGS with FS_IMMUTABLE_FL, as chattr sets it.
    private func setImmutable(_ path: String, _ on: Bool) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        try #require(fd >= 0)
        defer { close(fd) }
        var flags: Int32 = 0
        try #require(ioctl(fd, UInt(0x8008_6601), &flags) == 0, "FS_IOC_GETFLAGS: errno \(errno)")
        flags = on ? flags | 0x10 : flags & ~0x10
        try #require(ioctl(fd, UInt(0x4008_6602), &flags) == 0, "FS_IOC_SETFLAGS: errno \(errno)")
    }
}
