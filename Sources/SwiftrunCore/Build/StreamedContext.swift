import Glibc

/// `build -` (and the Engine API's POST /build): the context arrives as a
/// stream, as Docker takes it: a tar, plain, gzip or zstd, or a Dockerfile
/// alone, which makes an empty context.
///
/// A tar is unpacked into tmp/ by the writer layers use, so no entry lands
/// outside the directory (every step O_NOFOLLOW, no absolute path or ".."
/// honoured). The directory is named for this process, so a sweep leaves
/// it alone while the build lives and takes it after a crash.
public struct StreamedContext {
    public let directory: String

    public static func receive(from fd: Int32, layout: StoreLayout) throws(SwiftrunError) -> StreamedContext {
        try layout.prepare()
        let context = StreamedContext(directory: layout.newTempPath("context"))
        try Syscall.check("mkdir \(context.directory)") { mkdir(context.directory, 0o700) }
        do {
            let name = "the build context on stdin"
            let head = try PrefixedSource.sniffing(512, from: FileSource(fd: fd, path: name))
            let compressed = head.head.starts(with: GzipSource.magic) || head.head.starts(with: ZstdSource.magic)
            let isTar = TarReader.startsWithHeader(head.head)
            if compressed || isTar {
                try LayerUnpacker.unpackArchive(head, into: context.directory, name: name)
            } else {
                try context.writeDockerfile(from: head, name: name)
            }
        } catch {
            context.remove()
            throw error
        }
        return context
    }

    private func writeDockerfile(from source: any ByteSource, name: String) throws(SwiftrunError) {
        let path = directory + "/Dockerfile"
        let out = try Syscall.check("create \(path)") { open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600) }
        defer { close(out) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 1)
        defer { buffer.deallocate() }
        var total = 0
        while true {
            let count = try source.read(into: buffer)
            if count == 0 { return }
            total += count
            guard total <= BuildInputs.dockerfileLimit else { throw .invalidArgument("\(name): a Dockerfile larger than 4 MiB") }
            try FileSystem.writeAll(out, UnsafeRawBufferPointer(rebasing: buffer[0..<count]), path: path)
        }
    }

    public func remove() {
        try? FileSystem.removeTree(directory)
    }
}
