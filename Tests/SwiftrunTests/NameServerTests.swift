import Foundation
import Glibc
import Testing

@testable import SwiftrunCore

@Suite struct NameServerTests {
    /// aardvark-dns answers at once, while it has not reloaded yet, that a
    /// new name is unknown. The wait must outlast that by the clock: counted
    /// in tries, 200 quick answers had used it up in a few milliseconds.
    @Test func theWaitOutlastsQuickAnswersThatTheNameIsUnknown() throws {
        let server = try StubNameServer(knowsNameAfter: .milliseconds(300))
        defer { server.stop() }
        let waiter = NameServer(lockPath: "/nonexistent/lock")
        try waiter.waitUntilServed("db", by: try #require(IPv4Address("127.0.0.1")), port: server.port, signaled: nil)
        #expect(server.unknownAnswers > 1)
        #expect(server.knownAnswers == 1)
    }
}

/// A UDP server on 127.0.0.1 that answers every query with its own id:
/// NXDOMAIN until `knowsNameAfter` has passed since it started, then one
/// A record's worth of answer count.
private final class StubNameServer: @unchecked Sendable {
    let port: UInt16
    private let fd: Int32
    private let lock = NSLock()
    private var stopped = false
    private var unknown = 0, known = 0
    private let done = DispatchSemaphore(value: 0)

    var unknownAnswers: Int { lock.withLock { unknown } }
    var knownAnswers: Int { lock.withLock { known } }

    init(knowsNameAfter delay: Duration) throws {
        let (fd, port) = try boundSocket(SOCK_DGRAM)
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)  // so that stop() is seen
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        self.fd = fd
        self.port = UInt16(port)
        let knowsAt = ContinuousClock.now + delay
        Thread { [self] in serve(knowsAt: knowsAt) }.start()
    }

    private func serve(knowsAt: ContinuousClock.Instant) {
        defer { done.signal() }
        var packet = [UInt8](repeating: 0, count: 512)
        while !lock.withLock({ stopped }) {
            var peer = sockaddr_in()
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let count = withUnsafeMutablePointer(to: &peer) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, &packet, packet.count, 0, $0, &length) }
            }
            guard count >= 12 else { continue }
            let knows = ContinuousClock.now >= knowsAt
            packet[2] = 0x81  // a response, recursion desired
            packet[3] = knows ? 0x80 : 0x83  // recursion available; no error, or NXDOMAIN
            packet[7] = knows ? 1 : 0  // answers
            // Counted before it is sent: the waiter returns on the reply.
            lock.withLock { if knows { known += 1 } else { unknown += 1 } }
            _ = withUnsafePointer(to: &peer) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, packet, count, 0, $0, length) }
            }
        }
    }

    func stop() {
        lock.withLock { stopped = true }
        done.wait()
        close(fd)
    }
}
