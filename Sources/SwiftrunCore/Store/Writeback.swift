import CShims
import Glibc

/// Makes a layer durable while it is still being unpacked. The kernel
/// keeps written pages dirty for up to 30 s, so a single syncfs after the
/// unpack found all of a 200 MB Debian base still to write: 0.7 s of
/// waiting on the disk after 1.2 s of work. Here a second thread calls
/// syncfs each time another `stride` bytes have been written into the
/// layer, so the disk works while the unpack goes on. The last syncfs,
/// `finish()`, waits until the image is published: an image of several
/// layers waits on the disk once, not after each layer, and the unpack
/// never waits for a syncfs the thread is in. The thread starts with the
/// first request, so a layer smaller than `stride` (most of a build's)
/// has none; it lives until `finish()`, idle, and ends when its Writeback
/// does.
///
/// The directory is opened before the first file is written: syncfs
/// reports a writeback error once to each open file (errseq), so a file
/// opened only after the unpack could miss an error during it. The thread
/// shares this one open file and keeps the first error it is told. The
/// layer's blob is on the same filesystem, written during the unpack, so
/// its pages and errors are covered too.
final class Writeback: @unchecked Sendable {
    /// Debian's base, imported and loaded: 8, 16 and 32 MB measured alike,
    /// 64 MB slower, and no syncfs until the end 0.6 s slower.
    private static let stride = 16 << 20

    private let syncer: Syncer
    private let path: String
    /// The writer's bytes since it last asked for a syncfs (its thread only).
    private var unrequested = 0
    private var worker: Worker<Int32>?

    init(directory path: String) throws(SwiftrunError) {
        let fd = try Syscall.check("open \(path)") { open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        syncer = Syncer(fd: fd)
        self.path = path
    }

    deinit { _ = stop() }

    /// `count` more bytes were written into the layer.
    func wrote(_ count: Int) {
        unrequested += count
        guard unrequested >= Self.stride else { return }
        unrequested = 0
        if worker == nil { worker = Worker { [syncer] in syncer.run() } }
        syncer.request()
    }

    /// Ends the thread, after the syncfs it is in, and syncs what is left:
    /// the layer is on disk when this returns.
    func finish() throws(SwiftrunError) {
        let error = stop()
        if error != 0 { throw .system("syncfs \(path) while unpacking", errno: error) }
        try Syscall.check("syncfs \(path)") { sr_syncfs(syncer.fd) }
    }

    /// The first error the thread's syncfs calls met, or 0; 0 again later.
    private func stop() -> Int32 {
        guard let worker else { return 0 }
        syncer.end()
        self.worker = nil
        return worker.join()
    }

    /// What the thread holds: the open directory, and the requests.
    private final class Syncer: @unchecked Sendable {
        let fd: Int32
        private var lock = pthread_mutex_t()
        private var changed = pthread_cond_t()
        private var requested = false
        private var ending = false

        init(fd: Int32) {
            self.fd = fd
            pthread_mutex_init(&lock, nil)
            pthread_cond_init(&changed, nil)
        }

        deinit {
            close(fd)
            pthread_cond_destroy(&changed)
            pthread_mutex_destroy(&lock)
        }

        func request() { signal { requested = true } }
        func end() { signal { ending = true } }

        private func signal(_ change: () -> Void) {
            pthread_mutex_lock(&lock)
            change()
            pthread_cond_signal(&changed)
            pthread_mutex_unlock(&lock)
        }

        /// The thread: a syncfs for each request, until the end.
        func run() -> Int32 {
            var firstError: Int32 = 0
            pthread_mutex_lock(&lock)
            while true {
                while !requested && !ending { pthread_cond_wait(&changed, &lock) }
                if ending { break }
                requested = false
                pthread_mutex_unlock(&lock)
                if sr_syncfs(fd) < 0 && firstError == 0 { firstError = errno }
                pthread_mutex_lock(&lock)
            }
            pthread_mutex_unlock(&lock)
            return firstError
        }
    }
}
