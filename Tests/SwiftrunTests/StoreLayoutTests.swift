import Glibc
import Testing

@testable import SwiftrunCore

/// The store's directories as `prepare` makes them.
@Suite struct StoreLayoutTests {
    static let topDirectory: Int32 = 0x0002_0000  // FS_TOPDIR_FL

    /// FS_IOC_GETFLAGS, as lsattr reads them.
    func flags(_ path: String) throws -> Int32 {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        try #require(fd >= 0, "open \(path): errno \(errno)")
        defer { close(fd) }
        var flags: Int32 = 0
        try #require(ioctl(fd, UInt(0x8008_6601), &flags) == 0, "FS_IOC_GETFLAGS: errno \(errno)")
        return flags
    }

    /// On ext4 a new store's root carries the top-directory hint
    /// (StoreLayout.spreadSubdirectories); containers/ and the layers do
    /// not, and a store that exists is prepared again without error. A
    /// store made before recipes/ existed gets it.
    @Test func aNewStoreSpreadsItsDirectoriesOverBlockGroups() throws {
        var template = Array("/tmp/swiftrun-test-XXXXXX".utf8CString)
        let root = String(cString: try #require(mkdtemp(&template)))
        defer { try? FileSystem.removeTree(root) }
        let layout = StoreLayout(root: root)
        try layout.prepare()
        try layout.prepare()
        try #require(rmdir(layout.recipes) == 0)
        try layout.prepare()
        for dir in [layout.containers, layout.running, layout.names, layout.layers, layout.trash, layout.recipes] {
            #expect(FileSystem.exists(dir), "\(dir)")
        }
        // ext2/3/4 only (stat prints "ext2/ext3" for all three): elsewhere no such hint exists.
        guard try tool(["stat", "-f", "-c", "%T", root]).hasPrefix("ext2") else { return }
        #expect(try flags(root) & Self.topDirectory != 0)
        #expect(try flags(layout.containers) & Self.topDirectory == 0)
        #expect(try flags(layout.layers) & Self.topDirectory == 0)
    }
}
