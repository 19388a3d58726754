import CShims
import Glibc

/// Makes a layer durable while it is still being unpacked. The kernel
/// keeps written pages dirty for up to 30 s, so a single syncfs after the
/// unpack found all of a 200 MB Debian base still to write: 0.7 s of
/// waiting on the disk after 1.2 s of work. Here a second thread calls
/// syncfs each time another `stride` bytes have been written into the
/// layer, so the disk works while the unpack goes on and the last syncfs
/// finds little left.
///
/// The directory is opened before the first file is written: syncfs
/// reports a writeback error once to each open file (errseq), so a file
/// opened only after the unpack could miss an error during it. The thread
/// shares this one open file and keeps the first error it is told.
final class Writeback {
    private static let stride = 32 << 20

    private let fd: Int32
    private let path: String
    /// The writer's bytes since it last asked for a syncfs (its thread only).
    private var unrequested = 0
    private var lock = pthread_mutex_t()
    private var changed = pthread_cond_t()
    private var requested = false
    private var stopping = false
    private var worker: Worker<Int32>?

    init(directory path: String) throws(SwiftrunError) {
        fd = try Syscall.check("open \(path)") { open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        self.path = path
        pthread_mutex_init(&lock, nil)
        pthread_cond_init(&changed, nil)
        worker = Worker { [self] in flush() }
    }

    /// The thread holds this object until `stop()`, which its owner calls.
    deinit {
        close(fd)
        pthread_cond_destroy(&changed)
        pthread_mutex_destroy(&lock)
    }

    /// `count` more bytes were written into the layer.
    func wrote(_ count: Int) {
        unrequested += count
        guard unrequested >= Self.stride else { return }
        unrequested = 0
        pthread_mutex_lock(&lock)
        requested = true
        pthread_cond_signal(&changed)
        pthread_mutex_unlock(&lock)
    }

    /// Waits for the thread, then syncs what is left: the layer is on disk
    /// when this returns.
    func finish() throws(SwiftrunError) {
        let error = stop()
        if error != 0 { throw .system("syncfs \(path) while unpacking", errno: error) }
        try Syscall.check("syncfs \(path)") { sr_syncfs(fd) }
    }

    /// Ends the thread (after the syncfs it is in); returns the first
    /// error its syncfs calls met, or 0. Called again, it returns 0.
    @discardableResult
    func stop() -> Int32 {
        guard let worker else { return 0 }
        pthread_mutex_lock(&lock)
        stopping = true
        pthread_cond_signal(&changed)
        pthread_mutex_unlock(&lock)
        self.worker = nil
        return worker.join()
    }

    private func flush() -> Int32 {
        var firstError: Int32 = 0
        pthread_mutex_lock(&lock)
        while true {
            while !requested && !stopping { pthread_cond_wait(&changed, &lock) }
            if stopping { break }
            requested = false
            pthread_mutex_unlock(&lock)
            if sr_syncfs(fd) < 0 && firstError == 0 { firstError = errno }
            pthread_mutex_lock(&lock)
        }
        pthread_mutex_unlock(&lock)
        return firstError
    }
}
