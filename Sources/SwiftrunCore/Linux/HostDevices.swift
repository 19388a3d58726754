import CShims
import Glibc

/// The host's device nodes, for --privileged, which gives the container
/// the host's devices as Docker does. /dev/pts, /dev/shm and /dev/mqueue
/// are the container's own and are skipped, and so are symlinks.
enum HostDevices {
    static func all() -> [RuntimeSpec.Device] {
        var devices: [RuntimeSpec.Device] = []
        collect("/dev", depth: 0, into: &devices)
        return devices
    }

    private static func collect(_ dir: String, depth: Int, into devices: inout [RuntimeSpec.Device]) {
        for name in (try? FileSystem.listDirectory(dir)) ?? [] {
            let path = dir + "/" + name
            if ["/dev/pts", "/dev/shm", "/dev/mqueue", "/dev/fd"].contains(path) { continue }
            var info = stat()
            guard lstat(path, &info) == 0 else { continue }
            switch info.st_mode & S_IFMT {
            case S_IFDIR where depth < 2:
                collect(path, depth: depth + 1, into: &devices)
            case S_IFCHR, S_IFBLK:
                devices.append(
                    .init(
                        path: path, type: info.st_mode & S_IFMT == S_IFCHR ? "c" : "b",
                        major: sr_major(info.st_rdev), minor: sr_minor(info.st_rdev),
                        fileMode: UInt32(info.st_mode & 0o777), uid: info.st_uid, gid: info.st_gid))
            default:
                continue
            }
        }
    }
}
