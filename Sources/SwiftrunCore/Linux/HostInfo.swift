import CCap
import CSeccomp
import CShims
import CZlib
import Glibc

/// Facts about this host and the libraries swiftrun is linked with, for
/// `swiftrun info` (Docker's `docker info`).
public struct HostInfo: Sendable {
    public static let version = "0.2.0"
    /// The Docker Engine API version swiftrun's CLI and API follow.
    public static let apiVersion = "1.41"

    public var kernel: String
    public var libseccomp: String
    /// The highest capability number the running kernel knows, plus one.
    public var capabilityCount: Int
    /// Which SHA-256 code digests run on: the CPU's SHA extensions, or portable C.
    public var sha256: String
    public var zlib: String

    public static func current() -> HostInfo {
        HostInfo(
            kernel: kernelRelease(),
            libseccomp: libseccompVersion(),
            capabilityCount: Int(cap_max_bits()),
            sha256: sr_sha256_uses_sha_ni() != 0 ? "SHA extensions" : "portable",
            zlib: String(cString: zlibVersion()))
    }

    /// The host's memory in bytes: Docker's MemTotal, and the limit its
    /// stats give a container that has none.
    public static var memoryBytes: Int64 { Int64(sysconf(Int32(_SC_PHYS_PAGES))) * Int64(sysconf(Int32(_SC_PAGESIZE))) }

    /// The host's name: a --network host container takes it, as in Docker.
    package static func hostname() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        gethostname(&buffer, buffer.count - 1)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// uname -r: "6.1.0-18-amd64".
    public static func kernelRelease() -> String {
        var name = utsname()
        uname(&name)
        return withUnsafePointer(to: &name.release) {
            String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
        }
    }

    public static func libseccompVersion() -> String {
        let version = seccomp_version().pointee
        return "\(version.major).\(version.minor).\(version.micro)"
    }
}
