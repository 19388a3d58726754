import CShims
import Glibc

/// `load` reads its archive once. Each regular file in it is written under
/// tmp/, and while its bytes pass they are also unpacked as a layer, as
/// most of a `docker save` archive is. Which files are layers is known only
/// at the archive's end (`docker save` writes manifest.json after the
/// layers), so each unpack is a guess: a file the manifest names as a
/// layer takes the layer staged from it, found by the file's inode, so an
/// archive's symlinks and hardlinks to it find it too. A file that is not
/// a tar, or that no manifest names, has its guess dropped. A guess that
/// failed costs only the attempt: its file is then staged the ordinary
/// way, which gives the ordinary error.
///
/// Before, the archive was written to tmp/ whole, then each layer was
/// read back, copied again as its blob and unpacked: three writes of every
/// layer byte where now there are two.
final class PassingLayers {
    private struct FileKey: Hashable {
        var device: UInt
        var inode: UInt

        init(_ info: stat) {
            device = UInt(info.st_dev)
            inode = UInt(info.st_ino)
        }
    }

    private let store: ImageStore
    private let archive: String
    private var unpacked: [FileKey: StagedLayer] = [:]

    init(store: ImageStore, archive: String) {
        self.store = store
        self.archive = archive
    }

    /// Removes what no manifest took.
    deinit { store.discard(Array(unpacked.values)) }

    /// LayerWriter's way of writing a regular file of the archive: its
    /// content goes into `fd` and, on the way, into a layer unpacked under
    /// tmp/. The whole content reaches `fd` whether or not it is a layer.
    func write(_ entry: TarEntry, into fd: Int32, from reader: TarReader) throws(SwiftrunError) {
        let name = "\(archive): \(entry.path)"
        var info = stat()
        try Syscall.check("fstat \(name)") { fstat(fd, &info) }
        let content = HashingSource(FileSource(entryOf: reader, path: name, copyTo: fd))
        if let staged = try? store.unpackLayer(content, name: name) {
            unpacked[FileKey(info)] = staged
        } else {
            try content.drain()  // not a layer: the rest of the file still goes to its file
        }
    }

    /// The layer unpacked from the archive's file open at `fd`, if it was
    /// one: its digests checked, the file linked under tmp/ as its blob
    /// (written while the layer passed, so its writeback covers it). nil
    /// when it must be staged the ordinary way.
    func take(_ fd: Int32, name: String, expectedDigest: Digest?, expectedDiffID: Digest?) throws(SwiftrunError) -> StagedLayer? {
        var info = stat()
        try Syscall.check("fstat \(name)") { fstat(fd, &info) }
        guard var staged = unpacked.removeValue(forKey: FileKey(info)) else { return nil }
        do throws(SwiftrunError) {
            try ImageStore.check(staged, name: name, expectedDigest: expectedDigest, expectedDiffID: expectedDiffID)
            let blobTemp = store.layout.newTempPath("blob")
            // The file was written under tmp/ from the archive's entry, with
            // the entry's owner and mode: the blob is root's alone.
            try Syscall.check("chown \(name)") { fchown(fd, 0, 0) }
            try Syscall.check("chmod \(name)") { fchmod(fd, 0o600) }
            try Syscall.check("link \(name) as \(blobTemp)") { linkat(fd, "", AT_FDCWD, blobTemp, Int32(SR_AT_EMPTY_PATH)) }
            staged.blobTemp = blobTemp
        } catch {
            store.discard([staged])
            throw error
        }
        return staged
    }
}
