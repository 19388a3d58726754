import Glibc

/// An exclusive flock(2) on the store, held by writers of shared state
/// (the image index, layer dirs, container names) and by recovery.
/// The kernel drops it if the holder dies, so a crash never leaves it held.
final class StoreLock {
    private let fd: Int32

    init(path: String) throws(SwiftrunError) {
        fd = try Syscall.check("open \(path)") { open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600) }
        do {
            try Syscall.check("flock \(path)") { flock(fd, LOCK_EX) }
        } catch {
            close(fd)
            throw error
        }
    }

    deinit { close(fd) }

    /// Runs `body` while holding the lock at `path`.
    static func withLock<T>(_ path: String, _ body: () throws(SwiftrunError) -> T) throws(SwiftrunError) -> T {
        let lock = try StoreLock(path: path)
        defer { withExtendedLifetime(lock) {} }
        return try body()
    }
}
