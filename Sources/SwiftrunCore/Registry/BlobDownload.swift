import Glibc

/// Streams one layer blob from the registry into a pipe, where the store's
/// unpacker reads it as it arrives. A broken connection is resumed from
/// the last byte written, with Range; a server that ignores the Range and
/// sends the blob from the start has the bytes already written skipped.
/// The digest is checked by the reader, over exactly the bytes it got.
final class BlobDownload {
    private let client: RegistryClient
    private let descriptor: Descriptor
    private let progress: PullProgress
    private let id: String
    /// Bytes written to the pipe so far, over all attempts.
    private var delivered: Int64 = 0
    /// Bytes the current attempt must drop before writing (a 200 to a Range request).
    private var skipping: Int64 = 0
    /// Why the sink stopped the transfer, if it did.
    private var stop: Stop?
    private enum Stop { case readerGone, oversized }

    init(client: RegistryClient, descriptor: Descriptor, progress: PullProgress) {
        self.client = client
        self.descriptor = descriptor
        self.progress = progress
        id = descriptor.digest.short
    }

    /// Downloads into `fd` (the pipe's write end, closed by the caller).
    /// A reader that stops early is not an error here: it has its own.
    func run(into fd: Int32) throws(SwiftrunError) {
        let session = try HTTPSession(tls: client.tls)
        var started = false
        let response: HTTPResponse
        do {
            response = try client.get(
                "blobs/\(descriptor.digest)", session: session, what: "layer \(id)",
                sink: { bytes, status in
                    if !started { started = true; self.progress.layer(self.id, "Downloading", total: self.descriptor.size) }
                    var chunk = bytes
                    if status == 200 && self.skipping > 0 {
                        let dropped = min(Int64(chunk.count), self.skipping)
                        self.skipping -= dropped
                        chunk = UnsafeRawBufferPointer(rebasing: chunk[Int(dropped)...])
                    }
                    // More than the manifest promised would only fill the disk before the digest fails.
                    guard self.delivered + Int64(chunk.count) <= self.descriptor.size else {
                        self.stop = .oversized
                        return false
                    }
                    guard (try? FileSystem.writeAll(fd, chunk, path: "pipe")) != nil else {
                        self.stop = .readerGone
                        return false
                    }
                    self.delivered += Int64(chunk.count)
                    self.progress.advance(self.id, to: self.delivered)
                    return true
                },
                offset: {
                    self.skipping = self.delivered
                    return self.delivered
                })
        } catch {
            switch stop {
            case .readerGone: return
            case .oversized: throw .registry("layer \(descriptor.digest): the registry sent more than the \(descriptor.size) bytes the manifest gives")
            case nil: throw error
            }
        }
        guard response.isSuccess else {
            throw .registry("layer \(descriptor.digest): \(response.status) \(RegistryErrors.message(response))")
        }
        guard delivered == descriptor.size else {
            throw .registry("layer \(descriptor.digest): the registry sent \(delivered) bytes, the manifest says \(descriptor.size)")
        }
    }
}
