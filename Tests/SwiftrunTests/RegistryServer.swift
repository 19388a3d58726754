import Foundation
import Testing

/// A real registry (Debian's docker-registry, distribution 2.8) on
/// 127.0.0.1, its storage in the test's own dir. Ready once it logs that it
/// listens; stopped by pid in deinit.
final class RegistryServer {
    enum Security {
        case none
        /// TLS with a certificate for 127.0.0.1 from a CA the test made, and htpasswd users.
        case basic(tls: TestCertificates, htpasswd: String)
        /// Tokens from `realm`, signed by the key behind `certificate`.
        case token(realm: String, certificate: String)
    }

    let directory: String
    let port: Int
    private var process: Process?
    private var security: Security = .none

    var host: String { "127.0.0.1:\(port)" }
    var storage: String { directory + "/storage" }

    init(in directory: String) throws {
        self.directory = directory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        port = try freePort()
        try start(.none)
    }

    deinit { stop() }

    /// (Re)starts on the same port and storage with `security`.
    func start(_ security: Security) throws {
        stop()
        self.security = security
        var config = """
            version: 0.1
            log: {level: info}
            storage: {filesystem: {rootdirectory: \(storage)}, delete: {enabled: true}}
            http:
              addr: \(host)

            """
        switch security {
        case .none:
            break
        case let .basic(tls, htpasswd):
            config += "  tls: {certificate: \(tls.serverCertificate), key: \(tls.serverKey)}\n"
            config += "auth: {htpasswd: {realm: swiftrun-test, path: \(htpasswd)}}\n"
        case let .token(realm, certificate):
            config += "auth: {token: {realm: \"\(realm)\", service: swiftrun-test, issuer: swiftrun-test-issuer, rootcertbundle: \(certificate)}}\n"
        }
        let configPath = directory + "/config.yml"
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/docker-registry")
        process.arguments = ["serve", configPath]
        let log = try startWithOnePipe(process)
        self.process = process
        // Readiness is an event: the log line, read as it comes; the pipe is
        // then drained for as long as the registry runs.
        let listening = DispatchSemaphore(value: 0)
        let seen = LockedText()
        log.fileHandleForReading.readabilityHandler = { handle in
            let chunk = handle.availableData
            if chunk.isEmpty { handle.readabilityHandler = nil; listening.signal(); return }
            if seen.append(chunk).contains("listening on") { listening.signal() }
        }
        guard listening.wait(timeout: .now() + 30) == .success, seen.text.contains("listening on") else {
            throw RegistryError.notListening(seen.text)
        }
    }

    func stop(signal: Int32 = SIGTERM) {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        self.process = nil
    }

    var pid: pid_t? { process?.processIdentifier }

    /// skopeo pushes a layout made by other tools: `format` "v2s2" for a Docker manifest.
    func push(_ source: String, as name: String, format: String? = nil, all: Bool = false) throws {
        var arguments = ["skopeo", "copy", "-q", "--dest-tls-verify=false"]
        if let format { arguments += ["--format", format] }
        if all { arguments.append("--all") }
        try tool(arguments + [source, "docker://\(host)/\(name)"])
    }

    /// The blob file in the registry's own storage (distribution's filesystem driver layout).
    func blobPath(_ digest: String) -> String {
        let hex = String(digest.dropFirst("sha256:".count))
        return storage + "/docker/registry/v2/blobs/sha256/\(hex.prefix(2))/\(hex)/data"
    }
}

enum RegistryError: Error { case notListening(String) }

final class LockedText: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    func append(_ chunk: Data) -> String {
        lock.withLock {
            data.append(chunk); return String(decoding: data, as: UTF8.self)
        }
    }
    var text: String { lock.withLock { String(decoding: data, as: UTF8.self) } }
}

/// A port nothing listens on now: bound to 0, read back, released.
func freePort() throws -> Int {
    let (fd, port) = try boundSocket()
    close(fd)
    return port
}

/// A TCP (or, given SOCK_DGRAM, UDP) socket bound to 127.0.0.1 on a port
/// the kernel picks, and that port.
func boundSocket(_ type: __socket_type = SOCK_STREAM) throws -> (fd: Int32, port: Int) {
    let fd = socket(AF_INET, Int32(type.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    if !bound { close(fd) }
    try #require(bound, "bind 127.0.0.1:0")
    return (fd, Int(UInt16(bigEndian: address.sin_port)))
}

/// A CA and a server certificate for 127.0.0.1 signed by it, made by openssl.
struct TestCertificates {
    let directory: String
    var caCertificate: String { directory + "/ca.crt" }
    var serverCertificate: String { directory + "/server.crt" }
    var serverKey: String { directory + "/server.key" }

    init(in directory: String) throws {
        self.directory = directory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try tool(
            ["openssl", "req", "-x509"] + ec + [
                "-keyout", directory + "/ca.key", "-out", caCertificate,
                "-days", "2", "-subj", "/CN=swiftrun test CA"
            ])
        try tool(["openssl", "req"] + ec + ["-keyout", serverKey, "-out", directory + "/server.csr", "-subj", "/CN=127.0.0.1"])
        try "subjectAltName=IP:127.0.0.1\n".write(toFile: directory + "/san.ext", atomically: true, encoding: .utf8)
        try tool([
            "openssl", "x509", "-req", "-in", directory + "/server.csr", "-CA", caCertificate, "-CAkey", directory + "/ca.key",
            "-CAcreateserial", "-out", serverCertificate, "-days", "2", "-extfile", directory + "/san.ext"
        ])
    }
}

/// One of Tests/fixtures' Python servers (token issuer, flaky proxy):
/// ready when it prints its port; its stderr log kept; stopped by pid.
final class FixtureServer {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../fixtures").standardized.path

    private let process = Process()
    private let log = LockedText()
    let port: Int

    init(_ script: String, _ arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", FixtureServer.fixtures + "/" + script] + arguments
        let (output, errors) = try start(process) { [process] in
            let output = Pipe(), errors = Pipe()
            process.standardOutput = output
            process.standardError = errors
            return (output, errors)
        }
        errors.fileHandleForReading.readabilityHandler = { [log] handle in
            let chunk = handle.availableData
            if chunk.isEmpty { handle.readabilityHandler = nil } else { _ = log.append(chunk) }
        }
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        port = try #require(
            Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)),
            "\(script) did not start: \(log.text)")
    }

    var text: String { log.text }

    /// SIGKILL: the test process blocks SIGTERM in the mask its children
    /// inherit, so Python would never see it; the fixture has nothing to save.
    deinit {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
