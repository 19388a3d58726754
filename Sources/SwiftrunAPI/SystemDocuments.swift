import Glibc
import SwiftrunCore

/// `GET /version` and `GET /info` in Docker's shapes: clients negotiate the
/// API version from the first, and read the store's counts from the second.
enum SystemDocuments {
    struct Version: Encodable {
        struct Component: Encodable {
            var Name: String
            var Version: String
            var Details: [String: String]
        }
        var Platform: [String: String]
        var Components: [Component]
        var Version: String
        var ApiVersion: String
        var MinAPIVersion: String
        var GitCommit = ""
        var GoVersion = ""
        var Os: String
        var Arch: String
        var KernelVersion: String
        var BuildTime = ""
    }

    /// The oldest API version answered: docker-py's and the docker CLI's
    /// negotiation lands on 1.41 (docker 20.10) or below.
    static let minimumAPIVersion = "1.24"

    static func version() -> Version {
        let platform = SwiftrunCore.Platform.host
        return Version(
            Platform: ["Name": "swiftrun"],
            Components: [
                .init(
                    Name: "Engine", Version: HostInfo.version,
                    Details: ["ApiVersion": HostInfo.apiVersion, "MinAPIVersion": minimumAPIVersion, "Os": platform.os, "Arch": platform.architecture])
            ],
            Version: HostInfo.version, ApiVersion: HostInfo.apiVersion, MinAPIVersion: minimumAPIVersion,
            Os: platform.os, Arch: platform.architecture, KernelVersion: HostInfo.kernelRelease())
    }

    struct Info: Encodable {
        var ID: String
        var Containers: Int
        var ContainersRunning: Int
        var ContainersPaused: Int
        var ContainersStopped: Int
        var Images: Int
        var Driver = "overlay2"
        var DockerRootDir: String
        var LoggingDriver = "json-file"
        var CgroupDriver = "cgroupfs"
        var CgroupVersion: String
        var KernelVersion: String
        var OperatingSystem: String
        var OSType: String
        var Architecture: String
        var NCPU: Int
        var MemTotal: Int64
        var Name: String
        var ServerVersion: String
        var SecurityOptions: [String]
        var DefaultRuntime = "swiftrun"
        var Swarm = ["LocalNodeState": "inactive"]
    }

    static func info(_ layout: StoreLayout) throws(SwiftrunError) -> Info {
        let listed = try ListedContainer.list(layout, all: true, filter: try ContainerFilter([]))
        let running = listed.filter { $0.status == "running" || $0.status == "restarting" }.count
        let paused = listed.filter(\.paused).count
        var name = utsname()
        uname(&name)
        let machine = withUnsafePointer(to: &name.machine) { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
        let hostname = HostInfo.hostname()
        return Info(
            ID: hostname, Containers: listed.count, ContainersRunning: running, ContainersPaused: paused,
            ContainersStopped: listed.count - running - paused, Images: try ImageStore(layout: layout).list().count,
            DockerRootDir: layout.root, CgroupVersion: CgroupMode.host.isPureV2 ? "2" : "1", KernelVersion: HostInfo.kernelRelease(),
            OperatingSystem: "swiftrun \(HostInfo.version)", OSType: "linux", Architecture: machine,
            NCPU: Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))), MemTotal: HostInfo.memoryBytes,
            Name: hostname, ServerVersion: HostInfo.version, SecurityOptions: ["name=seccomp,profile=builtin"])
    }
}
