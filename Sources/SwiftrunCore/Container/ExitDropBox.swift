import Glibc

/// Where a waiter finds the exit code of a --rm container that is gone by
/// the time it looks (`wait`, and the Engine API's wait, which the docker
/// CLI's `run --rm` takes its exit code from). Made before the waiter
/// reads the state; the container's supervisor writes the code into it
/// just before removing the container (ContainerStore.finish). Every
/// waiter holds its own fd, so the first to finish may unlink the name.
final class ExitDropBox {
    private let fd: Int32
    private let path: String

    init?(layout: StoreLayout, id: String) {
        path = layout.exits + "/" + id
        _ = try? FileSystem.makeDirectory(layout.exits, mode: 0o700)
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { return nil }
    }

    deinit {
        unlink(path)
        close(fd)
    }

    /// The code written, if the supervisor got to it.
    func code() -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 16)
        let count = pread(fd, &buffer, buffer.count, 0)
        return count > 0 ? Int32(String(decoding: buffer[0..<count], as: UTF8.self)) : nil
    }
}
