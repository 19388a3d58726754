/// What swiftrun knows about one container, in containers/<id>/state.json.
public struct ContainerState: Codable, Sendable {
    public enum Status: String, Codable, Sendable {
        case running, exited
    }

    public var id: String
    public var name: String
    /// The image as the user named it, and the ID it resolved to.
    public var image: String
    public var imageID: Digest
    /// The manifest the container's layers come from: rmi keeps them while
    /// a container uses them, and commit builds on them.
    public var imageManifest: Digest?
    public var command: [String]
    public var created: String
    public var autoRemove: Bool
    public var status: Status
    /// The swiftrun process that started the container and waits for it.
    /// If it is gone while status says running, the container is gone too
    /// (PDEATHSIG), and recovery finishes its cleanup.
    public var monitor: ProcessIdentity
    /// The container's pid 1, as the host sees it.
    public var pid: Int32?
    public var exitCode: Int32?
    /// The kernel's OOM killer ended a process of the container.
    public var oomKilled: Bool?
    public var finished: String?
}
