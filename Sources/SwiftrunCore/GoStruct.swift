/// What `docker inspect -f` knows of the Go struct behind an inspect
/// document, beyond its JSON. Docker's CLI runs the template over the
/// struct first, where a field the JSON leaves out when empty (Go's
/// `omitempty`) still has its zero value and a missing key of a Go map is
/// `<no value>`; only if that fails does it run the template over the JSON
/// decoded into maps, where any missing key is an error
/// (GoTemplate.render(json:as:)).
public struct GoStruct: Sendable {
    /// The fields the JSON omits when empty, by their path from the
    /// document's root, with the value Go's template prints for them.
    let zeroes: [[String]: JSONTree]
    /// The fields that are Go maps, by the end of their path.
    let maps: [[String]]
    /// The fields that are Go slices, by the end of their path: null in
    /// the JSON, they print as `[]` (a nil map as `map[]`).
    var slices: [[String]] = Self.commonSlices

    /// Whether the object at `path` is one of the struct's maps.
    func isMap(_ path: [String]) -> Bool { maps.contains { Self.ends(path, with: $0) } }

    /// How Go prints the field at `path` when its JSON is null: nil slices
    /// and maps print empty, nil pointers `<nil>`.
    func printedNull(at path: [String]) -> String? {
        if slices.contains(where: { Self.ends(path, with: $0) }) { return "[]" }
        return isMap(path) ? "map[]" : nil
    }

    private static func ends(_ path: [String], with suffix: [String]) -> Bool {
        path.count >= suffix.count && Array(path.suffix(suffix.count)) == suffix
    }

    /// The slices of Docker's inspect structs that its JSON writes as null.
    private static let commonSlices: [[String]] = [
        "Binds", "VolumesFrom", "CapAdd", "CapDrop", "ExtraHosts", "GroupAdd", "Links", "SecurityOpt", "BlkioWeightDevice",
        "BlkioDeviceReadBps", "BlkioDeviceWriteBps", "BlkioDeviceReadIOps", "BlkioDeviceWriteIOps", "DeviceCgroupRules",
        "DeviceRequests", "Ulimits", "MaskedPaths", "ReadonlyPaths", "Env", "Cmd", "Entrypoint", "OnBuild", "Shell", "ExecIDs",
        "SecondaryIPAddresses", "SecondaryIPv6Addresses", "Aliases", "Dns", "DnsSearch", "DnsOptions", "Devices", "Mounts",
        "RepoTags", "RepoDigests", "Layers", "Peers"
    ].map { [$0] }

    /// container.Config, in a container's and in an image's document.
    private static let configZeroes: [String: JSONTree] = [
        "ExposedPorts": .object([:]), "Healthcheck": .null, "ArgsEscaped": .bool(false), "NetworkDisabled": .bool(false),
        "MacAddress": .string(""), "StopSignal": .string(""), "StopTimeout": .null, "Shell": .array([])
    ]
    private static let configMaps = [["Labels"], ["ExposedPorts"], ["Volumes"]]

    private static func under(_ parent: String, _ zeroes: [String: JSONTree]) -> [[String]: JSONTree] {
        Dictionary(uniqueKeysWithValues: zeroes.map { ([parent, $0.key], $0.value) })
    }

    /// types.ContainerJSON.
    public static let container = GoStruct(
        zeroes: under("Config", configZeroes)
            .merging([["Node"]: .null, ["SizeRw"]: .null, ["SizeRootFs"]: .null, ["State", "Health"]: .null]) { $1 }
            .merging(
                under(
                    "HostConfig",
                    ["Init": .null, "Tmpfs": .object([:]), "Sysctls": .object([:]), "StorageOpt": .object([:]), "Mounts": .array([])])
            ) { $1 },
        maps: configMaps + [
            ["PortBindings"], ["LogConfig", "Config"], ["Tmpfs"], ["Sysctls"], ["StorageOpt"], ["Ports"], ["Networks"], ["Data"],
            ["DriverOpts"]
        ])

    /// types.ImageInspect.
    public static let image = GoStruct(
        zeroes: under("Config", configZeroes).merging(under("ContainerConfig", configZeroes)) { $1 }
            .merging([["Variant"]: .string(""), ["OsVersion"]: .string(""), ["RootFS", "BaseLayer"]: .string("")]) { $1 },
        maps: configMaps + [["Data"]])

    /// types.NetworkResource.
    public static let network = GoStruct(
        zeroes: [["Peers"]: .array([]), ["Services"]: .object([:])],
        maps: [["Options"], ["Labels"], ["Containers"]])

    /// types.Volume.
    public static let volume = GoStruct(
        zeroes: [["CreatedAt"]: .string(""), ["Status"]: .object([:]), ["UsageData"]: .null],
        maps: [["Labels"], ["Options"], ["Status"]])
}
