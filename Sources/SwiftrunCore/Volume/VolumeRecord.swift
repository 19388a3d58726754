/// What swiftrun keeps of one volume, in volumes/<name>/volume.json.
public struct VolumeRecord: Codable, Sendable {
    public var name: String
    public var created: String
    public var labels: [String: String]
    /// Made for one container (`-v /path`, an image's VOLUME): removed
    /// with it by `run --rm` and `rm -v`. A named volume outlives them.
    public var anonymous: Bool
}

/// Docker's document for a volume (`volume inspect`, the API's /volumes).
public struct VolumeDocument: Encodable, Sendable {
    public var CreatedAt: String
    public var Driver = "local"
    public var Labels: [String: String]
    public var Mountpoint: String
    public var Name: String
    public var Options: [String: String] = [:]
    public var Scope = "local"

    public init(_ record: VolumeRecord, mountpoint: String) {
        CreatedAt = record.created
        Labels = record.labels
        Mountpoint = mountpoint
        Name = record.name
    }
}
