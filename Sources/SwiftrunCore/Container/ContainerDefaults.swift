/// What a container gets when neither the image nor the flags say otherwise.
/// The values are Docker's, so scripts behave the same under swiftrun.
public enum ContainerDefaults {
    public static let path = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    public static let home = "HOME=/root"
    public static let workingDirectory = "/"
    /// Every namespace Docker gives a container; no user namespace.
    public static let namespaces: [RuntimeSpec.Namespace] = [
        .init(type: "pid"), .init(type: "mount"), .init(type: "uts"),
        .init(type: "ipc"), .init(type: "network"), .init(type: "cgroup"),
    ]
}
