import CShims
import Glibc
import NIOCore
import NIOHTTP1
import NIOPosix
import SwiftrunAPI
import SwiftrunCore

/// One connection's requests: the head and body gathered, then answered on
/// a thread of its own (a wait or a followed log blocks as long as the
/// container runs), and the answer written back on the event loop, whole
/// or as it comes.
final class APIHandler: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// JSON bodies stay in memory; past this size a body (an image to
    /// load, a tar to unpack) goes on to a temp file in the store.
    static let memoryLimit = 1 << 20

    private let api: EngineAPI
    private let activity: Activity
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var spool: BodySpool?

    init(api: EngineAPI, activity: Activity) {
        self.api = api
        self.activity = activity
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case let .head(requestHead):
            head = requestHead
            body = []
            spool = nil
        case var .body(buffer):
            let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
            if spool == nil && body.count + bytes.count > Self.memoryLimit {
                guard let file = BodySpool(api.spoolFile()) else {
                    context.close(promise: nil)
                    return
                }
                spool = file
                guard file.append(body) else { return context.close(promise: nil) }
                body = []
            }
            if let spool {
                guard spool.append(bytes) else { return context.close(promise: nil) }
            } else {
                body += bytes
            }
        case .end:
            guard let head else { return }
            self.head = nil
            answer(head, body: body, spool: spool, context: context)
            spool = nil
        }
    }

    private func answer(_ head: HTTPRequestHead, body: [UInt8], spool: BodySpool?, context: ChannelHandlerContext) {
        var request = RequestTarget.parse(method: head.method.rawValue, uri: head.uri, body: body)
        request.bodyFile = spool?.fd ?? -1
        let channel = context.channel
        let keepAlive = head.isKeepAlive
        let version = head.version
        let isHead = head.method == .HEAD
        let api = api
        activity.begin()
        let activity = activity
        RequestThread.start {
            defer {
                activity.end()
                withExtendedLifetime(spool) {}  // the body's file, closed once answered
            }
            let response = api.handle(request)
            Self.write(response, to: channel, version: version, keepAlive: keepAlive, isHead: isHead)
        }
    }

    /// Docker's headers on every answer: clients read the API version from them.
    private static func headers(for response: APIResponse) -> HTTPHeaders {
        var headers = HTTPHeaders()
        headers.add(name: "Api-Version", value: HostInfo.apiVersion)
        headers.add(name: "Docker-Experimental", value: "false")
        headers.add(name: "Ostype", value: "linux")
        headers.add(name: "Server", value: "swiftrun/\(HostInfo.version) (linux)")
        headers.add(name: "Content-Type", value: response.contentType)
        for (name, value) in response.headers { headers.add(name: name, value: value) }
        return headers
    }

    /// From the request's thread: each part is handed to the event loop, and
    /// a stream waits for each write, so a slow client slows the producer
    /// rather than filling memory.
    private static func write(_ response: APIResponse, to channel: any Channel, version: HTTPVersion, keepAlive: Bool, isHead: Bool) {
        var headers = headers(for: response)
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        let status = HTTPResponseStatus(statusCode: response.status)
        switch response.body {
        case let .bytes(bytes):
            headers.add(name: "Content-Length", value: String(bytes.count))
            let head = HTTPResponseHead(version: version, status: status, headers: headers)
            channel.eventLoop.execute {
                channel.write(HTTPServerResponsePart.head(head), promise: nil)
                if !isHead && !bytes.isEmpty {
                    channel.write(HTTPServerResponsePart.body(.byteBuffer(channel.allocator.buffer(bytes: bytes))), promise: nil)
                }
                let done = channel.writeAndFlush(HTTPServerResponsePart.end(nil))
                if !keepAlive { done.whenComplete { _ in channel.close(promise: nil) } }
            }
        case let .stream(produce):
            let started = channel.writeAndFlush(HTTPServerResponsePart.head(HTTPResponseHead(version: version, status: status, headers: headers)))
            guard (try? started.wait()) != nil else { return }
            produce { bytes in
                guard !bytes.isEmpty else { return channel.isActive }
                let written = channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(channel.allocator.buffer(bytes: bytes))))
                return (try? written.wait()) != nil
            }
            let done = channel.writeAndFlush(HTTPServerResponsePart.end(nil))
            if !keepAlive { done.whenComplete { _ in channel.close(promise: nil) } }
        case let .hijacked(produce):
            headers.add(name: "Connection", value: "Upgrade")
            headers.add(name: "Upgrade", value: "tcp")
            let head = HTTPResponseHead(version: version, status: .switchingProtocols, headers: headers)
            var input: [Int32] = [-1, -1]
            guard sr_pipe_cloexec(&input) == 0 else {
                channel.close(promise: nil)
                return
            }
            let writeEnd = input[1]
            let raw = channel.eventLoop.flatSubmit {
                channel.writeAndFlush(HTTPServerResponsePart.head(head)).flatMap { HTTPPipeline.hijack(channel, input: writeEnd) }
            }
            // Without the connection the work is still done (an exec runs
            // and records its exit code); its output has nowhere to go.
            let connected = (try? raw.wait()) != nil
            if !connected { close(writeEnd) }
            produce(
                { bytes in
                    connected && (try? channel.writeAndFlush(channel.allocator.buffer(bytes: bytes)).wait()) != nil
                }, input[0])
            close(input[0])
            channel.close(promise: nil)
        }
    }
}

/// The HTTP handlers of a connection, by name, so that a hijacked one can
/// leave HTTP: after the 101 head its bytes are the stream's own.
enum HTTPPipeline {
    static let handlers = ["http-encoder", "http-decoder", "http-pipelining", "http-errors", "api"]

    static func configure(_ channel: any Channel, api: EngineAPI, activity: Activity) -> EventLoopFuture<Void> {
        channel.eventLoop.makeCompletedFuture {
            let pipeline = channel.pipeline.syncOperations
            try pipeline.addHandler(HTTPResponseEncoder(), name: "http-encoder")
            try pipeline.addHandler(ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .forwardBytes)), name: "http-decoder")
            try pipeline.addHandler(HTTPServerPipelineHandler(), name: "http-pipelining")
            try pipeline.addHandler(HTTPServerProtocolErrorHandler(), name: "http-errors")
            try pipeline.addHandler(APIHandler(api: api, activity: activity), name: "api")
        }
    }

    /// What the client sends after the head goes to the pipe `input`,
    /// through a channel of NIO's own, so a command that does not read
    /// never blocks the event loop. The forwarder is in place before the
    /// HTTP decoder goes, which hands it whatever it had read beyond the
    /// request; the decoder goes after the handlers above it.
    static func hijack(_ channel: any Channel, input: Int32) -> EventLoopFuture<Void> {
        NIOPipeBootstrap(group: channel.eventLoop).takingOwnershipOfDescriptor(output: input).flatMap { pipe in
            channel.pipeline.addHandler(ForwardInput(pipe)).flatMap {
                var removed = channel.eventLoop.makeSucceededVoidFuture()
                for name in handlers.reversed() {
                    removed = removed.flatMap { channel.pipeline.removeHandler(name: name) }
                }
                return removed
            }
        }
    }

    /// The client's bytes to the command's stdin; its half-close, or its
    /// going, is the end of that input.
    private final class ForwardInput: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        private let pipe: any Channel

        init(_ pipe: any Channel) { self.pipe = pipe }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            pipe.writeAndFlush(unwrapInboundIn(data), promise: nil)
        }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if let event = event as? ChannelEvent, event == .inputClosed { pipe.close(promise: nil) }
            context.fireUserInboundEventTriggered(event)
        }

        func channelInactive(context: ChannelHandlerContext) {
            pipe.close(promise: nil)
            context.fireChannelInactive()
        }
    }
}

/// A request body too big to hold: an unnamed temp file in the store,
/// closed (and so gone) when the request has been answered.
final class BodySpool: @unchecked Sendable {
    let fd: Int32

    init?(_ fd: Int32) {
        guard fd >= 0 else { return nil }
        self.fd = fd
    }

    deinit { close(fd) }

    /// False on a write error (a full disk): the connection is then closed.
    func append(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return false }
            offset += written
        }
        return true
    }
}

/// The API's path and query from a request's URI: the `/v1.41` prefix
/// dropped, the query's values percent-decoded.
enum RequestTarget {
    static func parse(method: String, uri: String, body: [UInt8]) -> APIRequest {
        let pathPart = uri.prefix { $0 != "?" }
        let queryPart = uri.dropFirst(pathPart.count + 1)
        var path = String(pathPart)
        let parts = path.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: true)
        if let first = parts.first, first.hasPrefix("v"), Double(first.dropFirst()) != nil {
            path = "/" + (parts.count > 1 ? String(parts[1]) : "")
        }
        var query: [String: String] = [:]
        for pair in queryPart.split(separator: "&") {
            let keyValue = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            query[decode(keyValue[0])] = keyValue.count > 1 ? decode(keyValue[1]) : ""
        }
        return APIRequest(method: method, path: decode(Substring(path)), query: query, body: body)
    }

    /// %XX and '+' for a space, as a form's query is encoded.
    static func decode(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        var index = text.utf8.startIndex
        let utf8 = text.utf8
        while index < utf8.endIndex {
            let byte = utf8[index]
            if byte == UInt8(ascii: "%"), let high = utf8.index(index, offsetBy: 1, limitedBy: utf8.endIndex),
                let low = utf8.index(index, offsetBy: 2, limitedBy: utf8.endIndex), low < utf8.endIndex,
                let value = UInt8(String(decoding: [utf8[high], utf8[low]], as: UTF8.self), radix: 16)
            {
                bytes.append(value)
                index = utf8.index(after: low)
                continue
            }
            bytes.append(byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
            index = utf8.index(after: index)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
