import CShims
import Glibc
import SwiftrunCore
import Synchronization

/// `POST /containers/{id}/attach`: the container's output on a hijacked
/// connection, framed by stream (or raw with a terminal), as the
/// monitor's attach socket already gives it (CShims/attach.c).
///
/// The docker CLI attaches *before* it starts the container, and a short
/// command's output would be gone before a late client connected. So an
/// attach to a created container leaves one end of a socketpair here, and
/// `start` hands it to the new monitor as its first client (`swiftrun
/// start --attach-fd`), as `start -a` does in the CLI.
final class PendingAttaches: Sendable {
    private let ends = Mutex<[String: Int32]>([:])

    /// The monitor's end, kept until `start` takes it. A second attach
    /// before start replaces the first, whose relay then ends.
    func leave(_ fd: Int32, for id: String) {
        let previous = ends.withLock { ends in
            defer { ends[id] = fd }
            return ends[id]
        }
        if let previous { close(previous) }
    }

    func take(_ id: String) -> Int32? {
        ends.withLock { $0.removeValue(forKey: id) }
    }
}

extension EngineAPI {
    func attach(_ state: ContainerState, _ request: APIRequest) throws(APIError) -> APIResponse {
        guard request.flag("stream") else {
            // Without stream Docker sends what is buffered and ends; swiftrun's monitor keeps no buffer.
            return APIResponse(status: 101, contentType: "application/vnd.docker.multiplexed-stream", body: .hijacked { _, _ in })
        }
        let (stdout, stderr, stdin) = (request.flag("stdout"), request.flag("stderr"), request.flag("stdin"))
        let socket: Int32
        if state.status == .created {
            var fds: [Int32] = [-1, -1]
            guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) == 0 else {
                throw APIError(.system("socketpair for attach", errno: errno))
            }
            pendingAttaches.leave(fds[1], for: state.id)
            socket = fds[0]
        } else {
            guard state.isActive, state.status == .running else {
                throw .conflict("You cannot attach to a stopped container, start it first")
            }
            socket = try answer { () throws(SwiftrunError) in
                try UnixSocket.connect(directory: layout.container(state.id), name: "attach.sock", describe: "the monitor of \(state.name)")
            }
        }
        let tty = (try? ContainerStore(layout: layout).spec(state.id))?.process.terminal ?? false
        return APIResponse(
            status: 101, contentType: tty ? "application/vnd.docker.raw-stream" : "application/vnd.docker.multiplexed-stream",
            body: .hijacked { send, input in
                defer { close(socket) }
                Self.relay(socket, input: stdin ? input : -1, stdout: stdout, stderr: stderr, send: send)
            })
    }

    /// Copies the monitor's stream to the client until the monitor closes
    /// it (the container has ended), and the client's input (`input`, -1
    /// for none) to the monitor, which gives it to the container's stdin;
    /// the input's end is a half-close, which for a StdinOnce container
    /// attached at start ends its stdin. The stream's first byte says the
    /// framing: 's' for Docker's stream headers, passed whole and filtered
    /// by stream; 't' for a terminal's raw bytes.
    private static func relay(_ socket: Int32, input: Int32, stdout: Bool, stderr: Bool, send: ([UInt8]) -> Bool) {
        var kind: UInt8 = 0
        guard read(socket, &kind, 1) == 1 else { return }
        var pending: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        var fds = [pollfd(fd: socket, events: Int16(POLLIN), revents: 0), pollfd(fd: input, events: Int16(POLLIN), revents: 0)]
        while true {
            if poll(&fds, 2, -1) < 0 {
                if errno == EINTR { continue }
                return
            }
            if fds[1].fd >= 0 && fds[1].revents != 0 {
                let count = read(input, &buffer, buffer.count)
                if count > 0 {
                    _ = try? FileSystem.writeAll(socket, Array(buffer[0..<count]), path: "the attach socket")
                } else if count == 0 || errno != EINTR {
                    fds[1].fd = -1  // poll skips a negative fd
                    shutdown(socket, Int32(SHUT_WR))
                }
            }
            guard fds[0].revents != 0 else { continue }
            let count = read(socket, &buffer, buffer.count)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return }
            if kind == UInt8(ascii: "t") {
                guard send(Array(buffer[0..<count])) else { return }
                continue
            }
            pending += buffer[0..<count]
            // Whole frames only: 8 header bytes, then the length they give.
            while pending.count >= 8 {
                let length = pending[4...7].reduce(0) { $0 << 8 | Int($1) }
                guard pending.count >= 8 + length else { break }
                let frame = Array(pending[0..<(8 + length)])
                pending.removeFirst(8 + length)
                let wanted = frame[0] == 2 ? stderr : stdout
                if wanted { guard send(frame) else { return } }
            }
        }
    }
}
