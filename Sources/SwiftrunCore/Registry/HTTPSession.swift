import CCurl
import Glibc

/// One HTTP request as a registry client makes it.
struct HTTPRequest {
    var url: String
    var headers: [String] = []
    /// Ask for the body from this byte on (a resumed blob download).
    var offset: Int64 = 0
    var headOnly = false
}

struct HTTPResponse {
    var status: Int
    /// Header names in lower case; the last block's, after any redirects.
    var headers: [String: String]
    /// The body when no sink took it (manifests, tokens, error documents).
    var body: [UInt8]

    var isSuccess: Bool { (200..<300).contains(status) }
}

/// How to check the server's certificate.
struct TLSPolicy: Sendable {
    var verify = true
    /// A CA bundle to trust instead of the system's.
    var caFile: String?
}

/// Receives a successful response's body as it arrives, with its status
/// (206 when a Range was honoured). Returns false to abort.
typealias HTTPSink = (_ bytes: UnsafeRawBufferPointer, _ status: Int) -> Bool

/// A transport failure: nothing or only part of a response arrived.
struct HTTPFailure: Error {
    var code: CURLcode
    var message: String

    /// The server answered TLS with something else: plain HTTP on an insecure registry.
    var isNotTLS: Bool { code == CURLE_SSL_CONNECT_ERROR && message.contains(text: "wrong version number") }

    /// Worth another attempt: the network or the server broke off. Not a
    /// certificate that does not verify, and not a sink that said stop.
    var isTransient: Bool {
        [
            CURLE_COULDNT_CONNECT, CURLE_PARTIAL_FILE, CURLE_OPERATION_TIMEDOUT, CURLE_GOT_NOTHING,
            CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_HTTP2, CURLE_HTTP2_STREAM
        ].contains(code)
    }
}

/// A libcurl easy handle: one request at a time, connections kept alive
/// between them. One per thread.
final class HTTPSession {
    private let curl: UnsafeMutableRawPointer
    private let tls: TLSPolicy
    /// libcurl writes its detailed error text here (CURLOPT_ERRORBUFFER).
    private let errorText = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE))

    init(tls: TLSPolicy) throws(SwiftrunError) {
        if let problem = sr_curl_load() { throw .registry(String(cString: problem)) }
        guard let curl = sr_curl_easy_init() else { throw .registry("curl_easy_init failed") }
        self.curl = curl
        self.tls = tls
    }

    deinit {
        sr_curl_easy_cleanup(curl)
        errorText.deallocate()
    }

    /// Sends `request`. A 2xx body goes to `sink` with the status when there
    /// is one (false from the sink aborts the transfer); any other body is
    /// returned, up to `limit` bytes.
    func send(_ request: HTTPRequest, limit: Int = 4 << 20, sink: HTTPSink? = nil) throws(HTTPFailure) -> HTTPResponse {
        let exchange = Exchange(curl: curl, limit: limit, sink: sink)
        var headers: UnsafeMutablePointer<curl_slist>?
        for line in request.headers { headers = sr_curl_slist_append(headers, line) }
        defer { sr_curl_slist_free_all(headers) }
        let context = Unmanaged.passUnretained(exchange).toOpaque()

        sr_curl_easy_reset(curl)
        errorText[0] = 0
        _ = sr_curl_set_string(curl, CURLOPT_URL, request.url)
        _ = sr_curl_set_list(curl, CURLOPT_HTTPHEADER, headers)
        _ = sr_curl_set_long(curl, CURLOPT_NOBODY, request.headOnly ? 1 : 0)
        _ = sr_curl_set_long(curl, CURLOPT_FOLLOWLOCATION, 1)
        _ = sr_curl_set_long(curl, CURLOPT_MAXREDIRS, 10)
        // Registries are https or http; file:// and friends must not be reachable through a redirect.
        _ = sr_curl_set_string(curl, CURLOPT_PROTOCOLS_STR, "http,https")
        _ = sr_curl_set_string(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https")
        _ = sr_curl_set_long(curl, CURLOPT_CONNECTTIMEOUT, 30)
        // A stalled transfer (under 1 byte/s for 30 s) is a failure to retry, not a hang.
        _ = sr_curl_set_long(curl, CURLOPT_LOW_SPEED_LIMIT, 1)
        _ = sr_curl_set_long(curl, CURLOPT_LOW_SPEED_TIME, 30)
        _ = sr_curl_set_long(curl, CURLOPT_NOSIGNAL, 1)
        _ = sr_curl_set_string(curl, CURLOPT_USERAGENT, "swiftrun")
        _ = sr_curl_set_string(curl, CURLOPT_ERRORBUFFER, errorText)
        _ = sr_curl_set_long(curl, CURLOPT_SSL_VERIFYPEER, tls.verify ? 1 : 0)
        _ = sr_curl_set_long(curl, CURLOPT_SSL_VERIFYHOST, tls.verify ? 2 : 0)
        if let caFile = tls.caFile { _ = sr_curl_set_string(curl, CURLOPT_CAINFO, caFile) }
        if request.offset > 0 { _ = sr_curl_set_string(curl, CURLOPT_RANGE, "\(request.offset)-") }
        _ = sr_curl_set_receivers(
            curl,
            { data, size, count, context in
                let exchange = Unmanaged<Exchange>.fromOpaque(context!).takeUnretainedValue()
                return exchange.receiveBody(UnsafeRawBufferPointer(start: data, count: size * count)) ? size * count : 0
            },
            { data, size, count, context in
                let exchange = Unmanaged<Exchange>.fromOpaque(context!).takeUnretainedValue()
                exchange.receiveHeader(UnsafeRawBufferPointer(start: data, count: size * count))
                return size * count
            }, context)

        let code = sr_curl_perform(curl)
        guard code == CURLE_OK else {
            // The sink said stop: its own error explains why; report what curl saw otherwise.
            let detail = errorText[0] != 0 ? String(cString: errorText) : String(cString: sr_curl_strerror(code))
            throw HTTPFailure(code: code, message: detail)
        }
        return HTTPResponse(status: Int(sr_curl_response_code(curl)), headers: exchange.headers, body: exchange.body)
    }
}

/// What one request received, filled by libcurl's callbacks.
private final class Exchange {
    let curl: UnsafeMutableRawPointer
    let limit: Int
    let sink: HTTPSink?
    var headers: [String: String] = [:]
    var body: [UInt8] = []

    init(curl: UnsafeMutableRawPointer, limit: Int, sink: HTTPSink?) {
        self.curl = curl
        self.limit = limit
        self.sink = sink
    }

    func receiveHeader(_ bytes: UnsafeRawBufferPointer) {
        let line = String(decoding: bytes, as: UTF8.self).trimmingSpaces
        if line.hasPrefix("HTTP/") {
            headers = [:]  // a new response (after a redirect or 100 Continue)
        } else if let colon = line.firstIndex(of: ":") {
            let name = line[..<colon].lowercased()
            headers[name] = line[line.index(after: colon)...].trimmingSpaces
        }
    }

    func receiveBody(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let status = Int(sr_curl_response_code(curl))
        if let sink, (200..<300).contains(status) { return sink(bytes, status) }
        guard body.count + bytes.count <= limit else { return false }
        body.append(contentsOf: bytes)
        return true
    }
}
