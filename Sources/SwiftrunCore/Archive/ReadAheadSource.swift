import Glibc

/// Runs the sources below it on a thread of its own, a few buffers ahead
/// of its reader: unpacking a layer becomes a pipeline over the cores
/// (LayerUnpacker). One such thread reads a compressed blob, copies and
/// hashes it; another inflates it; the reader hashes the tar, parses it
/// and writes the files (the kernel's part). Slots are handed over whole:
/// the producer fills only slots the reader has given back, so neither
/// copies under the lock. The reader borrows the bytes in place
/// (LendingSource): a slot is given back at its next call, once read
/// through.
///
/// The sources below are touched by the producer only until it has ended,
/// which the reader learns under the lock: once `read` has returned 0 (or
/// thrown), or after `stop()`, their hashes may be read on this thread.
final class ReadAheadSource: ByteSource, LendingSource {
    private static let slotCount = 4
    private static let slotSize = 1 << 20

    private let inner: any ByteSource
    private let slots: [UnsafeMutableRawBufferPointer]
    private var lengths = [Int](repeating: 0, count: slotCount)
    /// Slots counted from the stream's start (slot k is slots[k % slotCount]):
    /// those filled, and those the reader has read through.
    private var produced = 0
    private var returned = 0
    /// The reader's place in slot `returned`.
    private var offset = 0
    private var ended = false
    private var cancelled = false
    private var failure: SwiftrunError?
    private var lock = pthread_mutex_t()
    private var changed = pthread_cond_t()
    private var worker: Worker<Void>?

    init(_ inner: any ByteSource) {
        self.inner = inner
        slots = (0..<Self.slotCount).map { _ in UnsafeMutableRawBufferPointer.allocate(byteCount: Self.slotSize, alignment: 64) }
        pthread_mutex_init(&lock, nil)
        pthread_cond_init(&changed, nil)
        worker = Worker { [self] in produce() }
    }

    /// The thread holds this object until `stop()`, which its owner calls.
    deinit {
        slots.forEach { $0.deallocate() }
        pthread_cond_destroy(&changed)
        pthread_mutex_destroy(&lock)
    }

    /// Ends the producer (it finishes the read it is in) and waits for it.
    func stop() {
        guard let worker else { return }
        pthread_mutex_lock(&lock)
        cancelled = true
        pthread_cond_broadcast(&changed)
        pthread_mutex_unlock(&lock)
        worker.join()
        self.worker = nil
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(SwiftrunError) -> Int {
        let bytes = try borrow(upTo: buffer.count)
        buffer.copyMemory(from: bytes)
        return bytes.count
    }

    func borrow(upTo limit: Int) throws(SwiftrunError) -> UnsafeRawBufferPointer {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        // What was lent last is read through by now: a slot it emptied is
        // given back.
        if returned < produced && offset == lengths[returned % Self.slotCount] {
            returned += 1
            offset = 0
            pthread_cond_broadcast(&changed)
        }
        while returned == produced && !ended { pthread_cond_wait(&changed, &lock) }
        guard returned < produced else {
            if let failure { throw failure }
            return UnsafeRawBufferPointer(start: nil, count: 0)
        }
        let count = min(lengths[returned % Self.slotCount] - offset, limit)
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: slots[returned % Self.slotCount][offset..<(offset + count)])
    }

    /// The producer: fill the next free slot, until the end, an error or
    /// a stop.
    private func produce() {
        pthread_mutex_lock(&lock)
        while true {
            while produced - returned == Self.slotCount && !cancelled { pthread_cond_wait(&changed, &lock) }
            if cancelled { break }
            let slot = produced % Self.slotCount
            pthread_mutex_unlock(&lock)
            let result: Result<Int, SwiftrunError>
            do throws(SwiftrunError) { result = .success(try inner.read(into: slots[slot])) } catch { result = .failure(error) }
            pthread_mutex_lock(&lock)
            switch result {
            case let .success(count) where count > 0:
                lengths[slot] = count
                produced += 1
            case .success:
                ended = true
            case let .failure(error):
                failure = error
                ended = true
            }
            pthread_cond_broadcast(&changed)
            if ended { break }
        }
        ended = true
        pthread_cond_broadcast(&changed)
        pthread_mutex_unlock(&lock)
    }
}
