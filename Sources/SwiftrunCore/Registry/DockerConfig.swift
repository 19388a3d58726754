import Glibc

/// A user name and password for one registry.
public struct RegistryCredentials: Equatable, Sendable {
    public var username: String
    public var password: String

    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }

    /// The value of an Authorization header for Basic auth, also what
    /// config.json keeps as "auth".
    var basic: String { Base64.encode(Array("\(username):\(password)".utf8)) }
}

/// Docker's client configuration (~/.docker/config.json, or
/// $DOCKER_CONFIG/config.json), read and written so that `docker login`
/// and `swiftrun login` share credentials. Only "auths" is touched; every
/// other field (credHelpers, proxies, ...) is kept as it was.
public struct DockerConfig: Sendable {
    public let path: String

    public init(environment: (String) -> String?) {
        let directory = environment("DOCKER_CONFIG") ?? (environment("HOME") ?? "/root") + "/.docker"
        path = directory + "/config.json"
    }

    /// Docker files docker.io's credentials under its v1 index address.
    static func key(for registry: String) -> String {
        registry == ImageReference.defaultRegistry ? "https://index.docker.io/v1/" : registry
    }

    public func credentials(for registry: String) throws(SwiftrunError) -> RegistryCredentials? {
        guard case let .string(auth)? = try document()["auths"]?[Self.key(for: registry)]?["auth"] else { return nil }
        guard let decoded = Base64.decode(auth), let text = String(validating: decoded, as: UTF8.self),
            let colon = text.firstIndex(of: ":")
        else {
            throw .badArchive(path, reason: "the auth entry for \(registry) is not base64 of USER:PASSWORD")
        }
        return RegistryCredentials(username: String(text[..<colon]), password: String(text[text.index(after: colon)...]))
    }

    public func store(_ credentials: RegistryCredentials, for registry: String) throws(SwiftrunError) {
        var config = try document()
        var auths = config["auths"] ?? .object([:])
        auths[Self.key(for: registry)] = .object(["auth": .string(credentials.basic)])
        config["auths"] = auths
        try write(config)
    }

    /// True when there was something to remove.
    public func remove(for registry: String) throws(SwiftrunError) -> Bool {
        var config = try document()
        guard var auths = config["auths"], auths[Self.key(for: registry)] != nil else { return false }
        auths[Self.key(for: registry)] = nil
        config["auths"] = auths
        try write(config)
        return true
    }

    private func document() throws(SwiftrunError) -> JSONValue {
        guard FileSystem.exists(path) else { return .object([:]) }
        let value = try JSON.decode(JSONValue.self, from: try FileSystem.readFile(path), path: path)
        guard case .object = value else { throw .badArchive(path, reason: "not a JSON object") }
        return value
    }

    /// Mode 0600: the file holds passwords.
    private func write(_ config: JSONValue) throws(SwiftrunError) {
        let directory = String(path[..<path.lastIndex(of: "/")!])
        try FileSystem.makeDirectories(directory, mode: 0o700)
        try FileSystem.writeAtomically(to: path, durable: true) { (fd, temp) throws(SwiftrunError) in
            try Syscall.check("chmod \(temp)") { fchmod(fd, 0o600) }
            try FileSystem.writeAll(fd, try JSON.encode(config), path: temp)
        }
    }
}
