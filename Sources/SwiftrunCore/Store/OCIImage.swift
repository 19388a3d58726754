/// The OCI image types swiftrun reads and writes (image-spec v1.1),
/// with field names exactly as in the JSON.
public enum MediaType {
    public static let manifest = "application/vnd.oci.image.manifest.v1+json"
    public static let config = "application/vnd.oci.image.config.v1+json"
    public static let layerTar = "application/vnd.oci.image.layer.v1.tar"
    public static let layerGzip = "application/vnd.oci.image.layer.v1.tar+gzip"
    public static let layerZstd = "application/vnd.oci.image.layer.v1.tar+zstd"
    public static let index = "application/vnd.oci.image.index.v1+json"
    public static let dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
    public static let dockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
    public static let dockerConfig = "application/vnd.docker.container.image.v1+json"
    public static let dockerLayerTar = "application/vnd.docker.image.rootfs.diff.tar"
    public static let dockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip"
}

public struct Descriptor: Codable, Equatable, Sendable {
    public var mediaType: String
    public var digest: Digest
    public var size: Int64
    public var annotations: [String: String]?
    public var platform: Platform?

    public init(mediaType: String, digest: Digest, size: Int64, annotations: [String: String]? = nil, platform: Platform? = nil) {
        self.mediaType = mediaType
        self.digest = digest
        self.size = size
        self.annotations = annotations
        self.platform = platform
    }
}

public struct Platform: Codable, Equatable, Sendable {
    public var architecture: String
    public var os: String
    public var variant: String?
}

/// An image index (OCI) or manifest list (Docker): one manifest per platform,
/// and in an OCI layout the list of images with their names.
public struct ImageIndex: Codable, Sendable {
    public var schemaVersion = 2
    public var mediaType: String?
    public var manifests: [Descriptor]

    /// The annotation that names an image in an OCI layout ("latest", or a full reference).
    public static let refName = "org.opencontainers.image.ref.name"
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
        public var Hostname: String?
        public var User: String?
        public var Env: [String]?
        public var Entrypoint: [String]?
        public var Cmd: [String]?
        public var WorkingDir: String?
        public var StopSignal: String?
        public var Healthcheck: HealthConfig?
        /// EXPOSE: "80/tcp" -> {}; -P publishes each.
        public var ExposedPorts: [String: Empty]?
        public var Labels: [String: String]?
        /// VOLUME: "/path" -> {}; each gets an anonymous volume.
        public var Volumes: [String: Empty]?
    }

    /// The `{}` that Docker's sets of keys (ExposedPorts, Volumes) map to.
    public struct Empty: Codable, Sendable {}

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
