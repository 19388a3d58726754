/// The OCI image types swiftrun reads and writes (image-spec v1.1),
/// with field names exactly as in the JSON.
public enum MediaType {
    public static let manifest = "application/vnd.oci.image.manifest.v1+json"
    public static let config = "application/vnd.oci.image.config.v1+json"
    public static let layerTar = "application/vnd.oci.image.layer.v1.tar"
    public static let layerGzip = "application/vnd.oci.image.layer.v1.tar+gzip"
}

public struct Descriptor: Codable, Equatable, Sendable {
    public var mediaType: String
    public var digest: Digest
    public var size: Int64
}

public struct ImageManifest: Codable, Sendable {
    public var schemaVersion = 2
    public var mediaType: String? = MediaType.manifest
    public var config: Descriptor
    public var layers: [Descriptor]
}

public struct ImageConfiguration: Codable, Sendable {
    public var created: String?
    public var architecture: String
    public var os: String
    public var config: ExecutionConfig?
    public var rootfs: RootFS
    public var history: [History]?

    public struct ExecutionConfig: Codable, Sendable {
        public var User: String?
        public var Env: [String]?
        public var Entrypoint: [String]?
        public var Cmd: [String]?
        public var WorkingDir: String?
    }

    public struct RootFS: Codable, Sendable {
        public var type = "layers"
        public var diff_ids: [Digest]
    }

    public struct History: Codable, Sendable {
        public var created: String?
        public var created_by: String?
        public var comment: String?
    }
}
