import CShims
import Glibc
import SwiftrunCore

/// One Engine API request, as the HTTP server hands it over: the path
/// without its `/v1.41` prefix, the query decoded, the body read whole
/// (every body this API takes is small JSON, or a tar for the routes that
/// stream it in).
public struct APIRequest: Sendable {
    public var method: String
    public var path: String
    public var query: [String: String]
    public var body: [UInt8]
    /// A body too big for memory, spooled by the server to an unnamed temp
    /// file (`EngineAPI.spoolFile`); -1 when `body` holds it all.
    public var bodyFile: Int32 = -1

    public init(method: String, path: String, query: [String: String], body: [UInt8]) {
        self.method = method
        self.path = path
        self.query = query
        self.body = body
    }

    /// The body as an fd at its start, for a command's stdin: the spooled
    /// file, or `body` written to a new temp file in `layout`'s tmp.
    func bodyAsFile(_ layout: StoreLayout) throws(APIError) -> (fd: Int32, owned: Bool) {
        if bodyFile >= 0 {
            lseek(bodyFile, 0, SEEK_SET)
            return (bodyFile, false)
        }
        let temp = open(layout.temp, Int32(SR_O_TMPFILE) | O_RDWR | O_CLOEXEC, 0o600)
        guard temp >= 0 else { throw APIError(.system("open a temp file in \(layout.temp)", errno: errno)) }
        do {
            try FileSystem.writeAll(temp, body, path: "the request body")
        } catch {
            close(temp)
            throw APIError(error)
        }
        lseek(temp, 0, SEEK_SET)
        return (temp, true)
    }

    /// Docker's booleans in a query: 1, true, True (anything else is false).
    func flag(_ name: String) -> Bool {
        guard let value = query[name] else { return false }
        return ["1", "true", "True", "TRUE"].contains(value)
    }
}

/// What goes back: a status, a content type and a body, whole or streamed.
public struct APIResponse: Sendable {
    public enum Body: Sendable {
        case bytes([UInt8])
        /// Written as it comes (logs -f, wait, pull progress): `send`
        /// returns false once the client has gone, and the producer stops.
        /// An empty send writes nothing: it only asks whether the client is
        /// still there, for a producer that may wait long between writes.
        case stream(@Sendable (_ send: @escaping @Sendable ([UInt8]) -> Bool) -> Void)
        /// Docker's hijacked connection (exec start, attach): a 101 head
        /// with `Upgrade: tcp`, then the bytes raw, not HTTP's chunks, until
        /// the producer returns and the connection closes. `input` is the
        /// read end of a pipe of what the client sends (a command's stdin),
        /// at its end when the client half-closes; the server closes it
        /// once the producer returns.
        case hijacked(@Sendable (_ send: @escaping @Sendable ([UInt8]) -> Bool, _ input: Int32) -> Void)
    }

    public var status: Int
    public var contentType: String
    public var body: Body
    /// Beyond Content-Type and Docker's own: X-Docker-Container-Path-Stat.
    public var headers: [String: String] = [:]

    static func json<T: Encodable>(_ value: T, status: Int = 200) throws(SwiftrunError) -> APIResponse {
        APIResponse(status: status, contentType: "application/json", body: .bytes(try JSON.encode(value) + [UInt8(ascii: "\n")]))
    }

    /// One JSON object and a newline: a line of a streamed answer.
    static func jsonLine<T: Encodable>(_ value: T) -> [UInt8] {
        ((try? JSON.encode(value)) ?? Array("{}".utf8)) + [UInt8(ascii: "\n")]
    }

    static func text(_ text: String, status: Int = 200) -> APIResponse {
        APIResponse(status: status, contentType: "text/plain; charset=utf-8", body: .bytes(Array(text.utf8)))
    }

    static let noContent = APIResponse(status: 204, contentType: "text/plain", body: .bytes([]))
    /// Docker's answer to starting a started container, or stopping a stopped one.
    static let notModified = APIResponse(status: 304, contentType: "text/plain", body: .bytes([]))

    /// Docker's error body, `{"message": "..."}`: docker-py turns the
    /// status into its exception (404 NotFound, or ImageNotFound when the
    /// message says "No such image"; 409 conflict; 400; 500).
    static func error(_ error: APIError) -> APIResponse {
        APIResponse(status: error.status, contentType: "application/json", body: .bytes(jsonLine(["message": error.message])))
    }
}

/// The last line of a streamed answer (pull, build) that failed, in
/// Docker's shape; docker-py raises on the `error` key.
struct StreamedError: Encodable {
    var errorDetail: [String: String]
    var error: String

    init(message: String) {
        errorDetail = ["message": message]
        error = message
    }
}

/// An error with the status Docker gives it.
public struct APIError: Error, Sendable {
    public var status: Int
    public var message: String

    static func badRequest(_ message: String) -> APIError { APIError(status: 400, message: message) }
    static func notFound(_ message: String) -> APIError { APIError(status: 404, message: message) }
    static func conflict(_ message: String) -> APIError { APIError(status: 409, message: message) }

    /// swiftrun's errors in Docker's words and codes.
    init(_ error: SwiftrunError) {
        switch error {
        case let .containerNotFound(name): self.init(status: 404, message: "No such container: \(name)")
        case let .imageNotFound(name): self.init(status: 404, message: "No such image: \(name)")
        case let .networkNotFound(name): self.init(status: 404, message: "network \(name) not found")
        case let .volumeNotFound(name): self.init(status: 404, message: "get \(name): no such volume")
        case .volumeInUse: self.init(status: 409, message: error.description)
        case let .nameInUse(name):
            self.init(
                status: 409,
                message:
                    "Conflict. The container name \"/\(name)\" is already in use. You have to remove (or rename) that container to be able to reuse that name.")
        case let .containerRunning(name):
            self.init(status: 409, message: "You cannot remove a running container \(name). Stop the container before attempting removal or force remove")
        // A path a copy looked for in a container (docker-py's NotFound).
        case let .invalidArgument(message) where message.hasPrefix("Could not find"): self.init(status: 404, message: message)
        case .invalidArgument, .badArchive: self.init(status: 400, message: error.description)
        default: self.init(status: 500, message: error.description)
        }
    }

    init(status: Int, message: String) {
        self.status = status
        self.message = message
    }
}
