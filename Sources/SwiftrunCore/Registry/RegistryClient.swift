import Glibc
import Synchronization

/// How to reach registries, from pull's flags and the environment.
public struct RegistryOptions: Sendable {
    /// --tls-verify=false: accept any certificate.
    public var tlsVerify = true
    /// A CA bundle to trust instead of the system's ($SSL_CERT_FILE, or ca.crt in --cert-dir).
    public var caFile: String?
    public var config: DockerConfig
    /// Credentials to use instead of config.json's (login, before it stores them).
    public var credentials: RegistryCredentials?
    /// Where retries and other notices go.
    public var notice: @Sendable (String) -> Void = { _ in }

    public init(environment: (String) -> String?) {
        config = DockerConfig(environment: environment)
        caFile = environment("SSL_CERT_FILE")
    }
}

/// The client side of the OCI distribution API for one repository:
/// GET /v2/<name>/manifests/<reference> and /v2/<name>/blobs/<digest>,
/// with the scheme, authentication and retries worked out here. Shared by
/// the threads of one pull; each brings its own HTTPSession.
public final class RegistryClient: Sendable {
    let registry: String
    let repository: String
    private let apiHost: String
    private let options: RegistryOptions
    private let state = Mutex(State())

    private struct State {
        /// "https://host", or "http://host" once an insecure registry has answered plain HTTP.
        var base: String?
        var authorization: String?
    }

    convenience init(_ reference: ImageReference, options: RegistryOptions) {
        self.init(registry: reference.registry, repository: String(reference.name.dropFirst(reference.registry.count + 1)), options: options)
    }

    /// An empty repository addresses the registry itself (GET /v2/, as login does).
    init(registry: String, repository: String, options: RegistryOptions) {
        self.registry = registry
        self.repository = repository
        // docker.io names an index; its API lives at registry-1.docker.io.
        apiHost = registry == ImageReference.defaultRegistry ? "registry-1.docker.io" : registry
        self.options = options
    }

    /// Docker allows plain HTTP only to loopback (localhost, 127.0.0.0/8, ::1).
    var isInsecure: Bool {
        let host = Self.hostName(apiHost)
        return host == "localhost" || host.hasPrefix("127.") || host == "::1"
    }

    /// "127.0.0.1:5000" -> "127.0.0.1", "[::1]:5000" -> "::1".
    static func hostName(_ authority: String) -> String {
        authority.hasPrefix("[") ? String(authority.prefix { $0 != "]" }.dropFirst()) : String(authority.prefix { $0 != ":" })
    }

    var tls: TLSPolicy { TLSPolicy(verify: options.tlsVerify, caFile: options.caFile) }

    /// GET a path under /v2/<name>/. Retries what may pass (connection
    /// errors, 5xx, 429) with backoff, answers auth challenges once, and
    /// returns the final response whatever its status.
    func get(
        _ path: String, accept: [String] = [], session: HTTPSession, what: String,
        sink: HTTPSink? = nil, offset: () -> Int64 = { 0 }
    ) throws(SwiftrunError) -> HTTPResponse {
        var delay = 0.25
        for attempt in 1...Self.attempts {
            do {
                let response = try authorized(path, accept: accept, session: session, offset: offset(), sink: sink)
                guard response.status >= 500 || response.status == 429, attempt < Self.attempts else { return response }
                options.notice("\(what): \(registry) answered \(response.status), retrying in \(Self.format(delay))")
            } catch let failure as HTTPFailure {
                guard failure.isTransient else { throw .registry("\(what): \(failure.message)") }
                guard attempt < Self.attempts else {
                    throw .registry("\(what): \(failure.message) (after \(Self.attempts) attempts)")
                }
                options.notice("\(what): \(failure.message), retrying in \(Self.format(delay))")
            } catch let error as SwiftrunError {
                throw error
            } catch {
                throw .registry("\(what): \(error)")
            }
            usleep(useconds_t(delay * 1_000_000))
            delay *= 2
        }
        fatalError("unreachable: the last attempt returns or throws")
    }

    static let attempts = 5

    /// GET /v2/ with the credentials given: how login checks them before storing.
    public static func checkLogin(registry: String, options: RegistryOptions) throws(SwiftrunError) {
        let client = RegistryClient(registry: registry, repository: "", options: options)
        let response = try client.get("", session: try HTTPSession(tls: client.tls), what: "login to \(registry)")
        guard response.isSuccess else {
            throw .registry("login to \(registry) failed: \(response.status) \(RegistryErrors.message(response))")
        }
    }

    private static func format(_ seconds: Double) -> String {
        seconds < 1 ? "\(Int(seconds * 1000)) ms" : "\(Int(seconds)) s"
    }

    /// One request with the current credentials; on 401, authenticate as
    /// the challenge asks and send it once more.
    private func authorized(
        _ path: String, accept: [String], session: HTTPSession, offset: Int64,
        sink: HTTPSink?
    ) throws -> HTTPResponse {
        let base = try self.base(session)
        var request = HTTPRequest(url: base + "/v2/" + (repository.isEmpty ? path : repository + "/" + path), offset: offset)
        if !accept.isEmpty { request.headers.append("Accept: " + accept.joined(separator: ", ")) }
        let sent = state.withLock { $0.authorization }
        var response = try session.send(request.withAuthorization(sent), sink: sink)
        guard response.status == 401 else { return response }
        let challenge = response.headers["www-authenticate"].flatMap(AuthChallenge.init(header:))
        let fresh = try authenticate(challenge, session: session, after: sent)
        response = try session.send(request.withAuthorization(fresh), sink: sink)
        if response.status == 401 {
            throw SwiftrunError.registry(
                "\(registry): 401 unauthorized: \(RegistryErrors.message(response))"
                    + (try options.credentials ?? options.config.credentials(for: registry) == nil
                        ? " (no credentials: swiftrun login \(registry))" : " (check the credentials: swiftrun login \(registry))"))
        }
        return response
    }

    /// The scheme, found once: https, or for an insecure registry http when
    /// its port speaks plain HTTP.
    private func base(_ session: HTTPSession) throws -> String {
        if let base = state.withLock({ $0.base }) { return base }
        var base = "https://" + apiHost
        if isInsecure {
            let probe = Result { () throws(HTTPFailure) in try session.send(HTTPRequest(url: base + "/v2/", headOnly: true)) }
            if case let .failure(failure) = probe {
                guard failure.isNotTLS else { throw failure }
                base = "http://" + apiHost
            }
        }
        state.withLock { $0.base = base }
        return base
    }

    /// Answers a challenge: Basic with the stored credentials, or Bearer by
    /// asking the realm for a token. Only one thread refreshes at a time;
    /// the others find the new header when they get the lock.
    private func authenticate(_ challenge: AuthChallenge?, session: HTTPSession, after sent: String?) throws -> String {
        guard let challenge else {
            throw SwiftrunError.registry("\(registry): 401 unauthorized without a WWW-Authenticate challenge")
        }
        let credentials = try options.credentials ?? options.config.credentials(for: registry)
        return try state.withLock { (state) throws -> String in
            if let current = state.authorization, current != sent { return current }
            let header: String
            switch challenge.scheme {
            case "basic":
                guard let credentials else {
                    throw SwiftrunError.registry("\(registry) requires a login: swiftrun login \(registry)")
                }
                header = "Basic " + credentials.basic
            case "bearer":
                header = "Bearer " + (try token(challenge, credentials: credentials, session: session))
            default:
                throw SwiftrunError.registry("\(registry): unsupported authentication scheme \(challenge.scheme)")
            }
            state.authorization = header
            return header
        }
    }

    /// The token flow (distribution's token.md): GET realm?service=&scope=,
    /// with Basic credentials when there are any, which go only to an https
    /// realm or to the registry's own insecure host.
    private func token(_ challenge: AuthChallenge, credentials: RegistryCredentials?, session: HTTPSession) throws -> String {
        guard let realm = challenge.realm, realm.hasPrefix("https://") || realm.hasPrefix("http://") else {
            throw SwiftrunError.registry("\(registry): the Bearer challenge names no http(s) realm")
        }
        var query: [String] = []
        if let service = challenge.parameters["service"] { query.append("service=" + Self.percentEncoded(service)) }
        if let scope = challenge.parameters["scope"] ?? (repository.isEmpty ? nil : "repository:\(repository):pull") {
            query.append("scope=" + Self.percentEncoded(scope))
        }
        var request = HTTPRequest(url: realm + (realm.contains("?") ? "&" : "?") + query.joined(separator: "&"))
        if let credentials {
            // The registry's own host, on any port: its token service beside it.
            let realmHost = realm.split(separator: "/", maxSplits: 3).dropFirst().first.map { Self.hostName(String($0)) }
            guard realm.hasPrefix("https://") || (isInsecure && realmHost == Self.hostName(apiHost)) else {
                throw SwiftrunError.registry("\(registry): refusing to send credentials to the plain-http token realm \(realm)")
            }
            request.headers.append("Authorization: Basic " + credentials.basic)
        }
        let response = try session.send(request)
        guard response.isSuccess else {
            throw SwiftrunError.registry("\(registry): token request to \(realm) failed: \(response.status) \(RegistryErrors.message(response))")
        }
        struct Token: Decodable { var token: String?; var access_token: String? }
        guard let decoded = try? JSON.decode(Token.self, from: response.body, path: realm),
            let token = decoded.token ?? decoded.access_token, !token.isEmpty
        else {
            throw SwiftrunError.registry("\(registry): the token realm \(realm) answered without a token")
        }
        return token
    }

    private static func percentEncoded(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            if (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a) || "-._~".utf8.contains(byte) {
                result.append(Character(UnicodeScalar(byte)))
            } else {
                result += "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
            }
        }
        return result
    }
}

extension HTTPRequest {
    func withAuthorization(_ value: String?) -> HTTPRequest {
        guard let value else { return self }
        var copy = self
        copy.headers.append("Authorization: " + value)
        return copy
    }
}

/// The distribution spec's error document: {"errors":[{"code","message","detail"}]}.
enum RegistryErrors {
    static func message(_ response: HTTPResponse) -> String {
        struct Document: Decodable {
            struct Entry: Decodable { var code: String?; var message: String? }
            var errors: [Entry]
        }
        if let document = try? JSON.decode(Document.self, from: response.body, path: "error document"), !document.errors.isEmpty {
            return document.errors.map { $0.message ?? $0.code ?? "error" }.joined(separator: "; ")
        }
        let text = String(decoding: response.body.prefix(200), as: UTF8.self).trimmingSpaces
        return text.isEmpty ? "HTTP \(response.status)" : text
    }
}
