import Glibc
import SwiftrunCore

/// The socket file: root's, mode 0660, group `swiftrun` where that group
/// exists, as Docker's socket is root's and group docker's. Whoever can
/// write to it is root on the host.
public enum ServiceSocket {
    /// A socket file left by a service that died is removed; one that a
    /// live service answers on is not taken over.
    public static func prepare(_ path: String) throws(SwiftrunError) {
        let directory = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
        if !directory.isEmpty && mkdir(directory, 0o755) != 0 && errno != EEXIST {
            throw .system("mkdir \(directory)", errno: errno)
        }
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        guard info.st_mode & S_IFMT == S_IFSOCK else {
            throw .invalidArgument("\(path) exists and is not a socket")
        }
        if let fd = try? UnixSocket.connect(path: path, describe: "the service on \(path)") {
            close(fd)
            throw .invalidArgument("another service is already serving \(path)")
        }
        unlink(path)
    }

    /// systemd's socket activation (sd_listen_fds(3)): the listening
    /// socket it passed as fd 3, when this process is the one it was
    /// meant for. The variables go, and the fd is closed on exec, so no
    /// command the service runs takes them for its own.
    public static func activated() -> Int32? {
        let pid = getenv("LISTEN_PID").flatMap { Int32(String(cString: $0)) }
        let count = getenv("LISTEN_FDS").flatMap { Int(String(cString: $0)) } ?? 0
        for name in ["LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"] { unsetenv(name) }
        guard pid == getpid(), count >= 1 else { return nil }
        _ = fcntl(3, F_SETFD, FD_CLOEXEC)
        return 3
    }

    public static func restrict(_ path: String) throws(SwiftrunError) {
        let group = getgrnam("swiftrun")?.pointee.gr_gid ?? 0
        try Syscall.check("chown \(path)") { chown(path, 0, group) }
        try Syscall.check("chmod \(path)") { chmod(path, 0o660) }
    }
}
