/// A volume as one container mounts it: `-v NAME:/path[:ro|rw|nocopy]`,
/// `-v /path` (anonymous), or one of the image's VOLUMEs (anonymous).
struct VolumeUse: Sendable {
    var name: String
    var anonymous: Bool
    var destination: String
    /// Docker's copy-up: an empty volume first gets what the image has at
    /// its destination (owners and modes kept), unless `nocopy` is given.
    var copyUp: Bool

    /// Whether `resolve` could find a volume here: a -v that is not a host
    /// path, or a VOLUME of the image or the request. Such a run's first
    /// use of a volume copies up from an overlay of its own, which must
    /// come before the launch's (a volatile upper dir is mounted once).
    static func mayBeUsed(by options: RunOptions, imageVolumes: [String]) -> Bool {
        !imageVolumes.isEmpty || !options.declaredVolumes.isEmpty || !options.volumes.allSatisfy(bindsHostPath)
    }

    /// A -v of a host path (HOST:CONTAINER[:opts]), which RunOptions.parseVolume
    /// binds as it is; the rest name volumes.
    private static func bindsHostPath(_ text: String) -> Bool {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        return parts.count > 1 && parts[0].hasPrefix("/")
    }

    /// The volumes that -v and the image ask for. Each -v that names a
    /// volume is rewritten to bind its _data, so the spec sees only binds;
    /// a host path (absolute) is left as it is. `imageVolumes` and the
    /// options' declared ones get anonymous volumes where nothing mounts.
    static func resolve(_ options: inout RunOptions, imageVolumes: [String], store: VolumeStore) throws(SwiftrunError) -> [VolumeUse] {
        var uses: [VolumeUse] = []
        options.volumes = try options.volumes.map { (text) throws(SwiftrunError) -> String in
            if bindsHostPath(text) { return text }
            let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            let anonymous = parts.count == 1
            guard parts.count <= 3, let destination = anonymous ? parts.first : parts[1], destination.hasPrefix("/") else {
                throw .invalidArgument("invalid volume \"\(text)\": use -v HOST:CONTAINER[:ro], -v NAME:CONTAINER[:ro] or -v /CONTAINER")
            }
            let name = anonymous ? ContainerID.generate() : parts[0]
            try VolumeStore.validate(name: name)
            var readOnly = false
            var copyUp = true
            for option in parts.count == 3 ? parts[2].split(separator: ",") : [] {
                switch option {
                case "ro": readOnly = true
                case "rw": readOnly = false
                case "nocopy": copyUp = false
                default: throw .invalidArgument("invalid volume \"\(text)\": unknown option \"\(option)\" (ro, rw or nocopy)")
                }
            }
            uses.append(VolumeUse(name: name, anonymous: anonymous, destination: destination, copyUp: copyUp))
            return store.mountpoint(name) + ":" + destination + (readOnly ? ":ro" : "")
        }
        // A VOLUME of the image, or one the request declares, that no -v or
        // --tmpfs covers gets an anonymous volume, as Docker gives it one.
        let covered = Set(
            options.volumes.compactMap { $0.split(separator: ":").dropFirst().first.map { Self.clean(String($0)) } }
                + options.tmpfs.compactMap { $0.split(separator: ":").first.map { Self.clean(String($0)) } })
        for path in Set((imageVolumes + options.declaredVolumes).map(Self.clean)).sorted() where path.hasPrefix("/") && !covered.contains(path) {
            let use = VolumeUse(name: ContainerID.generate(), anonymous: true, destination: path, copyUp: true)
            uses.append(use)
            options.volumes.append(store.mountpoint(use.name) + ":" + path)
        }
        return uses
    }

    /// "/data/" and "/data" are one destination.
    private static func clean(_ path: String) -> String {
        var path = Substring(path)
        while path.count > 1 && path.hasSuffix("/") { path = path.dropLast() }
        return String(path)
    }
}
