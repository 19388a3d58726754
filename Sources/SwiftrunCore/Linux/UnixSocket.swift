import CShims
import Glibc

public enum UnixSocket {
    /// Whether `fd` is an open socket: what a caller passes by number
    /// (`start --attach-fd`) is checked before it is trusted.
    public static func isSocket(_ fd: Int32) -> Bool {
        var info = stat()
        return fd >= 0 && fstat(fd, &info) == 0 && info.st_mode & S_IFMT == S_IFSOCK
    }

    /// Connects a stream socket to `name` in `directory`, named through an
    /// fd of the directory: a unix socket path holds at most 108 bytes, and
    /// a store or an engine's state dir can be deeper.
    package static func connect(directory: String, name: String, describe: String) throws(SwiftrunError) -> Int32 {
        let dir = try Syscall.check("open \(directory)") { open(directory, Int32(SR_O_PATH) | O_DIRECTORY | O_CLOEXEC) }
        defer { close(dir) }
        let fd = try Syscall.check("socket") { socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let path = Array("/proc/self/fd/\(dir)/\(name)".utf8CString)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path.map { UInt8(bitPattern: $0) }.prefix(raw.count - 1))
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else {
            let error = errno
            close(fd)
            throw .system("connect to \(describe)", errno: error)
        }
        return fd
    }

    /// The same for a socket named by its full path.
    package static func connect(path: String, describe: String) throws(SwiftrunError) -> Int32 {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        return try connect(directory: directory, name: name, describe: describe)
    }
}
