/// What a container gets when neither the image nor the flags say otherwise.
/// The values are Docker's, so scripts behave the same under swiftrun.
public enum ContainerDefaults {
    public static let path = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    public static let workingDirectory = "/"
    /// Every namespace Docker gives a container; no user namespace.
    public static let namespaces: [RuntimeSpec.Namespace] = [
        .init(type: "pid"), .init(type: "mount"), .init(type: "uts"),
        .init(type: "ipc"), .init(type: "network"), .init(type: "cgroup")
    ]

    /// Kernel interfaces that leak host information or let a container
    /// act on the host: hidden behind /dev/null or an empty tmpfs.
    public static let maskedPaths = [
        "/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
        "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
        "/proc/interrupts", "/sys/firmware", "/sys/devices/virtual/powercap"
    ]

    /// Kernel interfaces a container may read but not write.
    public static let readonlyPaths = [
        "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"
    ]

    /// The device cgroup: deny everything, allow mknod of any node (Docker
    /// keeps CAP_MKNOD), and allow opening only the standard devices. So a
    /// node made for the host's disk cannot be opened.
    public static let deviceRules: [RuntimeSpec.DeviceRule] = [
        .init(allow: false, type: "a", access: "rwm"),
        .init(allow: true, type: "c", access: "m"),
        .init(allow: true, type: "b", access: "m"),
        .init(allow: true, type: "c", major: 1, minor: 3, access: "rwm"),  // null
        .init(allow: true, type: "c", major: 1, minor: 5, access: "rwm"),  // zero
        .init(allow: true, type: "c", major: 1, minor: 7, access: "rwm"),  // full
        .init(allow: true, type: "c", major: 1, minor: 8, access: "rwm"),  // random
        .init(allow: true, type: "c", major: 1, minor: 9, access: "rwm"),  // urandom
        .init(allow: true, type: "c", major: 5, minor: 0, access: "rwm"),  // tty
        .init(allow: true, type: "c", major: 5, minor: 1, access: "rwm"),  // console
        .init(allow: true, type: "c", major: 5, minor: 2, access: "rwm"),  // ptmx
        .init(allow: true, type: "c", major: 136, access: "rwm")  // /dev/pts/*
    ]
}
