/// Reading the image documents every `run` reads (the index's digests, a
/// manifest and its config) straight from the JSON tree: JSONTreeDecodable
/// says why. Each type's fields are read as its synthesized Decodable read
/// them: by their own names, optionals missing or null as nil.
extension Digest: JSONTreeDecodable {
    init(tree: JSONTree, at path: [any CodingKey]) throws {
        let text = try tree.scalar(String.self, at: path)
        guard let digest = Digest(parsing: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: path, debugDescription: "not a sha256 digest: \(text)"))
        }
        self = digest
    }
}

extension Descriptor: JSONTreeDecodable {
    public init(from decoder: any Decoder) throws { try self.init(tree: try JSONTreeDecoder.tree(of: decoder), at: decoder.codingPath) }

    init(tree: JSONTree, at path: [any CodingKey]) throws {
        let fields = try JSONFields(tree, at: path)
        self.init(
            mediaType: try fields.required("mediaType"), digest: try fields.required("digest"), size: try fields.required("size"),
            annotations: try fields.optional("annotations"), platform: try fields.optional("platform"))
    }
}

extension Platform: JSONTreeDecodable {
    public init(from decoder: any Decoder) throws { try self.init(tree: try JSONTreeDecoder.tree(of: decoder), at: decoder.codingPath) }

    init(tree: JSONTree, at path: [any CodingKey]) throws {
        let fields = try JSONFields(tree, at: path)
        architecture = try fields.required("architecture")
        os = try fields.required("os")
        variant = try fields.optional("variant")
    }
}

extension ImageManifest: JSONTreeDecodable {
    public init(from decoder: any Decoder) throws { try self.init(tree: try JSONTreeDecoder.tree(of: decoder), at: decoder.codingPath) }

    init(tree: JSONTree, at path: [any CodingKey]) throws {
        let fields = try JSONFields(tree, at: path)
        schemaVersion = try fields.required("schemaVersion")
        mediaType = try fields.optional("mediaType")
        config = try fields.required("config")
        layers = try fields.required("layers")
    }
}

extension ImageConfiguration: JSONTreeDecodable {
    public init(from decoder: any Decoder) throws { try self.init(tree: try JSONTreeDecoder.tree(of: decoder), at: decoder.codingPath) }

    init(tree: JSONTree, at path: [any CodingKey]) throws {
        let fields = try JSONFields(tree, at: path)
        created = try fields.optional("created")
        architecture = try fields.required("architecture")
        os = try fields.required("os")
        config = try fields.optional("config")
        rootfs = try fields.required("rootfs")
        history = try fields.optional("history")
    }
}

extension ImageConfiguration.ExecutionConfig: JSONTreeDecodable {
    public init(from decoder: any Decoder) throws { try self.init(tree: try JSONTreeDecoder.tree(of: decoder), at: decoder.codingPath) }

    init(tree: JSONTree, at path: [any CodingKey]) throws {
        let fields = try JSONFields(tree, at: path)
        Hostname = try fields.optional("Hostname")
        User = try fields.optional("User")
        Env = try fields.optional("Env")
        Entrypoint = try fields.optional("Entrypoint")
        Cmd = try fields.optional("Cmd")
        WorkingDir = try fields.optional("WorkingDir")
        StopSignal = try fields.optional("StopSignal")
        Healthcheck = try fields.optional("Healthcheck")
        ExposedPorts = try fields.optional("ExposedPorts")
        Labels = try fields.optional("Labels")
        Volumes = try fields.optional("Volumes")
    }
}

extension ImageConfiguration.Empty: JSONTreeDecodable {
    public init(from decoder: any Decoder) throws { try self.init(tree: try JSONTreeDecoder.tree(of: decoder), at: decoder.codingPath) }

    /// Any object: its fields mean nothing.
    init(tree: JSONTree, at path: [any CodingKey]) throws { _ = try JSONFields(tree, at: path) }
}

extension ImageConfiguration.RootFS: JSONTreeDecodable {
    public init(from decoder: any Decoder) throws { try self.init(tree: try JSONTreeDecoder.tree(of: decoder), at: decoder.codingPath) }

    init(tree: JSONTree, at path: [any CodingKey]) throws {
        let fields = try JSONFields(tree, at: path)
        type = try fields.required("type")
        diff_ids = try fields.required("diff_ids")
    }
}

extension ImageConfiguration.History: JSONTreeDecodable {
    public init(from decoder: any Decoder) throws { try self.init(tree: try JSONTreeDecoder.tree(of: decoder), at: decoder.codingPath) }

    init(tree: JSONTree, at path: [any CodingKey]) throws {
        let fields = try JSONFields(tree, at: path)
        created = try fields.optional("created")
        created_by = try fields.optional("created_by")
        comment = try fields.optional("comment")
    }
}

extension HealthConfig: JSONTreeDecodable {
    public init(from decoder: any Decoder) throws { try self.init(tree: try JSONTreeDecoder.tree(of: decoder), at: decoder.codingPath) }

    init(tree: JSONTree, at path: [any CodingKey]) throws {
        let fields = try JSONFields(tree, at: path)
        Test = try fields.optional("Test")
        Interval = try fields.optional("Interval")
        Timeout = try fields.optional("Timeout")
        StartPeriod = try fields.optional("StartPeriod")
        Retries = try fields.optional("Retries")
    }
}
