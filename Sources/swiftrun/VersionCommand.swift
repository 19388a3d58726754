import SwiftrunCore

/// `swiftrun version`, in the shape of `docker version`'s client block:
/// what this binary is, which API and runtime-spec versions it follows,
/// and the libseccomp and kernel it runs with. Needs no store and no root.
struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Show the swiftrun version information.")
    var role: CommandRole { .version(self) }

    /// What `swiftrun --version` prints, as `docker --version` does.
    static let short = "swiftrun version \(HostInfo.version), runtime-spec \(RuntimeSpec.specVersion)"

    func run() {
        let platform = Platform.host
        print(
            """
            Client: swiftrun
             Version:           \(HostInfo.version)
             API version:       \(HostInfo.apiVersion)
             OCI runtime spec:  \(RuntimeSpec.specVersion)
             libseccomp:        \(HostInfo.libseccompVersion())
             Kernel:            \(HostInfo.kernelRelease())
             OS/Arch:           \(platform.os)/\(platform.architecture)
            """)
    }
}
