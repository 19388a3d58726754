import SwiftrunCore

struct InfoCommand: StoreCommand {
    static let configuration = CommandConfiguration(commandName: "info", abstract: "Show the runtime, the store and the host.")

    func run(in layout: StoreLayout) throws(SwiftrunError) -> Int32 {
        let host = HostInfo.current()
        let containers = try ContainerStore(layout: layout).all()
        let running = containers.filter(\.isActive).count
        print(
            """
            Server Version: swiftrun \(HostInfo.version)
            Containers: \(containers.count)
             Running: \(running)
             Stopped: \(containers.count - running)
            Images: \(try ImageStore(layout: layout).list().count)
            Cgroup Version: \(CgroupMode.host.description)
            Storage Driver: overlay
            Root Dir: \(layout.root)
            Kernel Version: \(host.kernel)
            Security Options:
             seccomp: libseccomp \(host.libseccomp)
             capabilities: \(host.capabilityCount) known to the kernel (libcap)
             device cgroup: \(CgroupMode.host.deviceFilterDescription)
            Libraries: zlib \(host.zlib), SHA-256 (\(host.sha256))
            """)
        return 0
    }
}
