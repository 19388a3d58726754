/// `inspect IMAGE` in Docker's shape (moby api/swagger.yaml, ImageInspect),
/// so `jq '.[0].Config.Env'` and Docker-minded tools find what they look
/// for: the container config of the image under `Config` with Docker's
/// defaults filled in, the layers' diffIDs under `RootFS`. Beyond Docker's
/// fields, `Descriptor` (as Docker 25 has it) and `Manifest` keep the OCI
/// manifest reachable: its compressed layer digests are in no other field.
package struct ImageInspection: Encodable {
    var Id: Digest
    var RepoTags: [String]
    var RepoDigests: [String]
    var Parent = ""
    var Comment: String
    var Created: String
    /// The container a `commit` made it from, and that container's
    /// config, as the image's config records them (Docker's own do).
    var Container: String
    var ContainerConfig: JSONValue
    var DockerVersion: String
    var Author: String
    var Config: JSONValue
    var Architecture: String
    var Variant: String?
    var Os: String
    var Size: Int64
    var VirtualSize: Int64
    var GraphDriver: GraphDriverDocument
    var RootFS: RootFSDocument
    var Metadata = MetadataDocument()
    var Descriptor: Descriptor
    var Manifest: ImageManifest

    struct RootFSDocument: Encodable {
        var `Type` = "layers"
        var Layers: [Digest]
    }

    /// The image's layer dirs as overlay stacks them: the top one, and
    /// those below it, top first (none for an image of one layer).
    struct GraphDriverDocument: Encodable {
        var Name = "overlay2"
        var Data: [String: String]
    }

    struct MetadataDocument: Encodable {
        var LastTagTime = "0001-01-01T00:00:00Z"
    }

    /// The fields Docker always prints in an image's Config, at their
    /// empty values; the image's own settings replace them.
    static let configDefaults: [String: JSONValue] = [
        "Hostname": .string(""), "Domainname": .string(""), "User": .string(""),
        "AttachStdin": .bool(false), "AttachStdout": .bool(false), "AttachStderr": .bool(false),
        "Tty": .bool(false), "OpenStdin": .bool(false), "StdinOnce": .bool(false),
        "Env": .null, "Cmd": .null, "Image": .string(""), "Volumes": .null, "WorkingDir": .string(""),
        "Entrypoint": .null, "OnBuild": .null, "Labels": .null
    ]

    package init(store: ImageStore, image: Image) throws(SwiftrunError) {
        let document = try store.editableConfig(of: image).document
        let names = try store.index().filter { $0.value == image.manifestDigest && !$0.key.hasPrefix("<none>") }.map(\.key)
        let references = names.compactMap { try? ImageReference(parsing: $0) }
        func filled(_ key: String) -> JSONValue {
            var config = Self.configDefaults
            if case let .object(fields)? = document[key] { config.merge(fields) { $1 } }
            return .object(config)
        }
        Id = image.id
        RepoTags = references.map(\.familiar).sorted()
        RepoDigests = Set(references.map { $0.familiarName + "@" + image.manifestDigest.description }).sorted()
        Comment = document["comment"]?.stringValue ?? ""
        Created = image.configuration.created ?? "0001-01-01T00:00:00Z"
        Container = document["container"]?.stringValue ?? ""
        ContainerConfig = filled("container_config")
        DockerVersion = document["docker_version"]?.stringValue ?? ""
        Author = document["author"]?.stringValue ?? ""
        Config = filled("config")
        Architecture = image.configuration.architecture
        Variant = document["variant"]?.stringValue
        Os = image.configuration.os
        Size = image.size
        VirtualSize = Size
        let layers = store.layerDirectories(of: image)
        var directories: [String: String] = [:]
        if let top = layers.last { directories["UpperDir"] = top }
        if layers.count > 1 { directories["LowerDir"] = layers.dropLast().reversed().joined(separator: ":") }
        GraphDriver = GraphDriverDocument(Data: directories)
        RootFS = RootFSDocument(Layers: image.configuration.rootfs.diff_ids)
        Descriptor = .init(
            mediaType: image.manifest.mediaType ?? MediaType.manifest, digest: image.manifestDigest,
            size: Int64((try? FileSystem.readFile(store.layout.blob(image.manifestDigest)).count) ?? 0))
        Manifest = image.manifest
    }
}
