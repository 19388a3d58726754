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
/// A plain tar, as `docker save` writes its layers, is not written to its
/// file at all: a LayerRecipe stands for its blob. Such a guess that
/// fails part-way has left its file short, so its error is kept, to be
/// given if a manifest names the file.
///
/// Before, the archive was written to tmp/ whole, then each layer was
/// read back, copied again as its blob and unpacked: three writes of every
/// layer byte where now there is one.
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
    /// Files left short by a guess that failed, and why it failed.
    private var failed: [FileKey: SwiftrunError] = [:]

    init(store: ImageStore, archive: String) {
        self.store = store
        self.archive = archive
    }

    /// Removes what no manifest took.
    deinit { store.discard(Array(unpacked.values)) }

    /// LayerWriter's way of writing a regular file of the archive: its
    /// content goes into `fd` and, on the way, into a layer unpacked under
    /// tmp/. The whole content reaches `fd`, unless a recipe keeps it.
    func write(_ entry: TarEntry, into fd: Int32, from reader: TarReader) throws(SwiftrunError) {
        let name = "\(archive): \(entry.path)"
        var info = stat()
        try Syscall.check("fstat \(name)") { fstat(fd, &info) }
        let copy = BlobCopy(fd: fd, path: name)
        let content = HashingSource(FileSource(entryOf: reader, copyTo: copy))
        do throws(SwiftrunError) {
            unpacked[FileKey(info)] = try store.unpackLayer(content, hasher: content.hasher, copy: copy, name: name)
        } catch {
            if !copy.copying { failed[FileKey(info)] = error }
            try content.drain()  // not a layer: the rest of the file still goes to its file
        }
    }

    /// The layer unpacked from the archive's file open at `fd`, if it was
    /// one: its digests checked, and unless its recipe stands for it, the
    /// file linked under tmp/ as its blob (written while the layer passed,
    /// so its writeback covers it). nil when it must be staged the
    /// ordinary way; the first error when the guess failed and left the
    /// file short.
    func take(_ fd: Int32, name: String, expectedDigest: Digest?, expectedDiffID: Digest?) throws(SwiftrunError) -> StagedLayer? {
        var info = stat()
        try Syscall.check("fstat \(name)") { fstat(fd, &info) }
        switch failed[FileKey(info)] {
        case .badArchive(_, let reason): throw .badArchive(name, reason: reason)
        case let error?: throw error
        case nil: break
        }
        guard var staged = unpacked.removeValue(forKey: FileKey(info)) else { return nil }
        do throws(SwiftrunError) {
            try ImageStore.check(staged, name: name, expectedDigest: expectedDigest, expectedDiffID: expectedDiffID)
            guard staged.recipeTemp == nil else { return staged }
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
