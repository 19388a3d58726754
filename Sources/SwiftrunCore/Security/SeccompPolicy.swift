import CSeccomp
import Glibc

/// Which seccomp filter a container gets: Docker's default, a profile file
/// (`--security-opt seccomp=FILE`), or none (`seccomp=unconfined`,
/// `--privileged`).
public enum SeccompPolicy: Equatable, Sendable {
    case defaultProfile
    case file(String)
    case unconfined

    /// What `inspect` shows.
    var description: String {
        switch self {
        case .defaultProfile: "default"
        case let .file(path): path
        case .unconfined: "unconfined"
        }
    }

    /// The compiled BPF for a container holding `capabilities`, or nil when
    /// unconfined. Compiling costs milliseconds (parsing the profile and
    /// libseccomp's work, SeccompRelayout's), so the result is cached under
    /// the store, keyed by everything that shapes it: the profile's bytes,
    /// the capabilities, the kernel version and libseccomp's version.
    func filter(capabilities: [String], layout: StoreLayout) throws(SwiftrunError) -> [UInt8]? {
        let source: String
        let profileBytes: [UInt8]
        switch self {
        case .unconfined: return nil
        case .defaultProfile:
            source = "default seccomp profile"
            profileBytes = Array(DefaultSeccompProfile.json.utf8)
        case let .file(path):
            source = path
            profileBytes = try FileSystem.readFile(path)
        }
        return try Self.compile(profileBytes, source: source, capabilities: capabilities, cache: layout.seccompCache)
    }

    /// The BPF for a profile's JSON bytes, from `cache` (a directory) when
    /// compiled before. `swiftrun run`'s profiles and an engine's bundles
    /// (linux.seccomp, re-encoded with sorted keys) share this.
    static func compile(_ profileBytes: [UInt8], source: String, capabilities: [String], cache: String) throws(SwiftrunError) -> [UInt8] {
        let kernel = HostInfo.kernelRelease()
        // Joined, not interpolated: an array's description goes through
        // reflection (debugPrint), which costs a run its first dynamic casts.
        let compilation =
            capabilities.sorted().joined(separator: ",") + "\0\(kernel)\0\(HostInfo.libseccompVersion())"
            + "\0optimize \(SeccompCompiler.binaryTree)\0relaid \(SeccompRelayout.version)"
        let key = Digest.of(profileBytes + Array("\0\(compilation)".utf8))
        let cached = cache + "/" + key.hex + ".bpf"
        if let bpf = try? FileSystem.readFile(cached), bpf.count % 8 == 0, !bpf.isEmpty {
            return bpf
        }
        let profile = try JSON.decode(SeccompProfile.self, from: profileBytes, path: source)
        let compiler = SeccompCompiler(capabilities: Set(capabilities), kernel: Self.kernelVersion(kernel))
        let compiled = try compiler.compile(profile, source: source)
        let bpf = BPFProgram(bytes: compiled).flatMap(SeccompRelayout.shorten)?.bytes ?? compiled
        try FileSystem.makeDirectories(cache, mode: 0o700)
        try FileSystem.writeAtomically(bpf, to: cached, durable: false)
        return bpf
    }

    /// For --explain: how many syscalls pass, and what happens to the rest.
    func summary(capabilities: [String]) throws(SwiftrunError) -> String {
        let bytes: [UInt8]
        switch self {
        case .unconfined: return "no seccomp filter (unconfined)"
        case .defaultProfile: bytes = Array(DefaultSeccompProfile.json.utf8)
        case let .file(path): bytes = try FileSystem.readFile(path)
        }
        let profile = try JSON.decode(SeccompProfile.self, from: bytes, path: description)
        let compiler = SeccompCompiler(capabilities: Set(capabilities), kernel: Self.kernelVersion(HostInfo.kernelRelease()))
        let errno = profile.defaultErrnoRet.map { " (errno \($0))" } ?? ""
        return "\(description) profile: \(compiler.allowedSyscalls(profile).count) syscalls allowed, all others \(profile.defaultAction)\(errno)"
    }

    static func kernelVersion(_ release: String) -> (Int, Int) {
        let parts = release.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
        return (parts.first ?? 0, parts.count > 1 ? parts[1] : 0)
    }
}
