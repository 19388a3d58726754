import CShims
import Glibc

/// Volumes, as Docker's `local` driver keeps them: a directory per volume
/// under the store root, which containers bind-mount.
///
///     volumes/<name>/_data          the volume's files: what containers mount
///     volumes/<name>/volume.json    a VolumeRecord
///     volumes/<name>/users/<id>     one per container that mounts it
///     volumes/lock                  flock for making, using and removing volumes
///
/// A volume is made whole in tmp/ and renamed into place, so a crash never
/// leaves half of one. A user file is made under the lock once its
/// container's dir exists, and counts while that dir exists. So `volume rm`
/// and `prune`, which take the same lock, never remove a volume that a
/// container is being made with, and one that died half-made holds nothing.
public struct VolumeStore: Sendable {
    let layout: StoreLayout

    public init(layout: StoreLayout) { self.layout = layout }

    var directory: String { layout.root + "/volumes" }
    var lock: String { directory + "/lock" }
    func path(_ name: String) -> String { directory + "/" + name }
    public func mountpoint(_ name: String) -> String { path(name) + "/_data" }
    func usersDirectory(_ name: String) -> String { path(name) + "/users" }

    /// The volume that a mount's source is, if it is one of ours.
    func name(ofSource source: String) -> String? {
        let prefix = directory + "/"
        let suffix = "/_data"
        guard source.hasPrefix(prefix), source.hasSuffix(suffix), source.count > prefix.count + suffix.count else { return nil }
        let name = String(source.dropFirst(prefix.count).dropLast(suffix.count))
        return name.contains("/") ? nil : name
    }

    /// Docker's rule for a local volume's name; anything else given to -v
    /// that is not an absolute path is refused with Docker's words.
    public static func validate(name: String) throws(SwiftrunError) {
        let valid =
            name.utf8.count >= 2 && name.utf8.count <= 255
            && name.utf8.enumerated().allSatisfy { index, byte in
                let alphanumeric = (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                return alphanumeric || (index > 0 && (byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-")))
            }
        guard valid else {
            throw .invalidArgument(
                "create \(name): \"\(name)\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use absolute path"
            )
        }
    }

    /// `volume create`: a new volume, or the one of that name (Docker
    /// answers with the existing volume too). No name: an anonymous one's
    /// 64 hex digits, but kept as a named volume is.
    public func create(_ name: String?, labels: [String: String]) throws(SwiftrunError) -> VolumeRecord {
        let name = name ?? ContainerID.generate()
        try Self.validate(name: name)
        return try withLock { () throws(SwiftrunError) in try ensure(name, anonymous: false, labels: labels) }
    }

    /// Under the lock: the volume `name`, made if missing.
    private func ensure(_ name: String, anonymous: Bool, labels: [String: String] = [:]) throws(SwiftrunError) -> VolumeRecord {
        if let record = try? record(name) { return record }
        let record = VolumeRecord(name: name, created: JSON.timestamp(), labels: labels, anonymous: anonymous)
        let staging = layout.newTempPath("volume")
        try Syscall.check("mkdir \(staging)") { mkdir(staging, 0o701) }
        do {
            for dir in ["/_data", "/users"] { try Syscall.check("mkdir \(staging + dir)") { mkdir(staging + dir, dir == "/_data" ? 0o755 : 0o700) } }
            try FileSystem.writeAtomically(try JSON.encode(record), to: staging + "/volume.json", durable: true)
            try Syscall.check("rename \(staging) to \(path(name))") { rename(staging, path(name)) }
        } catch {
            try? FileSystem.removeTree(staging)
            throw error
        }
        return record
    }

    private func withLock<T>(_ body: () throws(SwiftrunError) -> T) throws(SwiftrunError) -> T {
        try layout.prepare()
        try FileSystem.makeDirectory(directory, mode: 0o700)
        return try StoreLock.withLock(lock, body)
    }

    func record(_ name: String) throws(SwiftrunError) -> VolumeRecord {
        let file = path(name) + "/volume.json"
        let bytes: [UInt8]
        do {
            bytes = try FileSystem.readFile(file, limit: 1 << 20)
        } catch .system(_, let errno) where errno == ENOENT || errno == ENOTDIR {
            throw .volumeNotFound(name)
        }
        return try JSON.decode(VolumeRecord.self, from: bytes, path: file)
    }

    /// `volume inspect` and the API's GET /volumes/NAME.
    public func find(_ name: String) throws(SwiftrunError) -> VolumeDocument {
        guard !name.isEmpty, !name.contains("/"), name != "." && name != ".." else { throw .volumeNotFound(name) }
        return VolumeDocument(try record(name), mountpoint: mountpoint(name))
    }

    /// Every volume, by name.
    public func all() throws(SwiftrunError) -> [VolumeDocument] {
        try FileSystem.listDirectory(directory).filter { $0 != "lock" }.sorted().compactMap { name in
            (try? record(name)).map { VolumeDocument($0, mountpoint: mountpoint(name)) }
        }
    }

    /// The containers (ids) that mount `name`: those whose user file is
    /// there and whose dir still exists.
    public func users(_ name: String) -> [String] {
        ((try? FileSystem.listDirectory(usersDirectory(name))) ?? []).filter { FileSystem.exists(layout.container($0)) }.sorted()
    }

    /// `volume rm`: refused while any container, running or not, mounts it.
    public func remove(_ name: String) throws(SwiftrunError) {
        _ = try find(name)
        try withLock { () throws(SwiftrunError) in try removeUnused(name) }
    }

    /// Under the lock.
    private func removeUnused(_ name: String) throws(SwiftrunError) {
        _ = try record(name)
        let users = users(name)
        guard users.isEmpty else { throw .volumeInUse(name, containers: users) }
        // Renamed out of sight first: a crash mid-removal leaves a tmp/ entry, never half a volume.
        let doomed = layout.newTempPath("removed-volume")
        try Syscall.check("rename \(path(name))") { rename(path(name), doomed) }
        try FileSystem.removeTree(doomed)
    }

    /// `volume prune`: every volume no container mounts. Returns their
    /// names and the bytes freed.
    public func prune() throws(SwiftrunError) -> (names: [String], bytes: Int64) {
        guard FileSystem.exists(directory) else { return ([], 0) }
        return try withLock { () throws(SwiftrunError) in
            var removed: [String] = []
            var bytes: Int64 = 0
            for volume in try all() where users(volume.Name).isEmpty {
                let size = DiskUsage.bytes(mountpoint(volume.Name))
                try removeUnused(volume.Name)
                removed.append(volume.Name)
                bytes += size
            }
            return (removed, bytes)
        }
    }

    /// Phase 2, create: the volumes a new container mounts, made if
    /// missing, each with the container as a user. `populate` fills each
    /// empty one that asks for it (Docker's copy-up), under the lock, so
    /// two containers made at once with a new volume do not both fill it.
    func attach(_ uses: [VolumeUse], to id: String, populate: (VolumeUse, String) throws(SwiftrunError) -> Void) throws(SwiftrunError) {
        guard !uses.isEmpty else { return }
        try withLock { () throws(SwiftrunError) in
            for use in uses {
                _ = try ensure(use.name, anonymous: use.anonymous)
                let user = usersDirectory(use.name) + "/" + id
                close(try Syscall.check("create \(user)") { open(user, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600) })
                if use.copyUp, (try? FileSystem.listDirectory(mountpoint(use.name)))?.isEmpty == true {
                    try populate(use, mountpoint(use.name))
                }
            }
        }
    }

    /// Phase 5, delete: the container no longer holds its volumes. With
    /// `removingAnonymous` (run --rm, rm -v), its anonymous ones go too.
    func detach(_ names: [String], from id: String, removingAnonymous: Bool) throws(SwiftrunError) {
        guard !names.isEmpty else { return }
        try withLock { () throws(SwiftrunError) in
            for name in names {
                unlink(usersDirectory(name) + "/" + id)
                guard removingAnonymous, (try? record(name))?.anonymous == true, users(name).isEmpty else { continue }
                try removeUnused(name)
            }
        }
    }
}

extension VolumeStore {
    /// Docker's volume filters, for `volume ls -f` and the API: each key's
    /// values are alternatives, and every key must match. A key or a
    /// dangling value Docker does not have is refused.
    public func list(filters: [String: [String]]) throws(SwiftrunError) -> [VolumeDocument] {
        for (key, values) in filters {
            guard ["name", "driver", "label", "dangling"].contains(key) else { throw .invalidArgument("invalid filter '\(key)'") }
            if key == "dangling", let bad = values.first(where: { !["true", "1", "false", "0"].contains($0) }) {
                throw .invalidArgument("invalid filter 'dangling=\(bad)'")
            }
        }
        return try all().filter { volume in
            filters.allSatisfy { key, values in
                values.contains { value in
                    switch key {
                    case "name": volume.Name.contains(text: value)
                    case "driver": volume.Driver == value
                    case "label": ContainerFilter.hasLabel(volume.Labels, value)
                    default: users(volume.Name).isEmpty == (value == "true" || value == "1")
                    }
                }
            }
        }
    }
}
