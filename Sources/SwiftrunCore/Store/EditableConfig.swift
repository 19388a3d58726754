/// An image config being edited by commit or build: generic JSON, so
/// fields swiftrun does not model (Healthcheck, OnBuild, ...) survive from
/// the base image. Layers and history entries are added here; a build's
/// config-only instructions are applied here too.
struct EditableConfig {
    var document: JSONValue

    init(_ document: JSONValue) { self.document = document }

    /// scratch: an empty linux config for this machine.
    static func empty(platform: Platform) -> EditableConfig {
        EditableConfig(
            .object([
                "architecture": .string(platform.architecture), "os": .string(platform.os),
                "config": .object(["Env": .array([.string("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")])]),
                "rootfs": .object(["type": .string("layers"), "diff_ids": .array([])])
            ]))
    }

    subscript(key: String) -> JSONValue? {
        get { document["config"]?[key] }
        set {
            var config = document["config"] ?? .object([:])
            config[key] = newValue
            document["config"] = config
        }
    }

    var environment: [String] {
        if case let .array(values)? = self["Env"] { values.compactMap { if case let .string(text) = $0 { text } else { nil } } } else { [] }
    }

    /// The Env as variables for expansion.
    var variables: [String: String] {
        Dictionary(
            environment.compactMap { pair in pair.firstIndex(of: "=").map { (String(pair[..<$0]), String(pair[pair.index(after: $0)...])) } },
            uniquingKeysWith: { $1 })
    }

    mutating func setEnvironment(_ name: String, _ value: String) {
        var pairs = environment.filter { !$0.hasPrefix(name + "=") }
        pairs.append(name + "=" + value)
        self["Env"] = .array(pairs.map(JSONValue.string))
    }

    /// `shell` ["/bin/sh", "-c"] unless SHELL changed it.
    var shell: [String] {
        if case let .array(values)? = self["Shell"] { values.compactMap { if case let .string(text) = $0 { text } else { nil } } } else { ["/bin/sh", "-c"] }
    }

    var workingDirectory: String {
        if case let .string(path)? = self["WorkingDir"], !path.isEmpty { path } else { "/" }
    }

    mutating func addToObject(_ key: String, _ name: String, _ value: JSONValue) {
        var object = self[key] ?? .object([:])
        if case .null = object { object = .object([:]) }
        object[name] = value
        self[key] = object
    }

    mutating func appendLayer(_ diffID: Digest) {
        var rootfs = document["rootfs"] ?? .object(["type": .string("layers")])
        var ids: [JSONValue] = if case let .array(values)? = rootfs["diff_ids"] { values } else { [] }
        ids.append(.string(diffID.description))
        rootfs["diff_ids"] = .array(ids)
        document["rootfs"] = rootfs
    }

    /// One history entry per step, as docker history shows them.
    mutating func record(_ createdBy: String, emptyLayer: Bool, comment: String? = nil) {
        var history: [JSONValue] = if case let .array(entries)? = document["history"] { entries } else { [] }
        var entry: [String: JSONValue] = ["created": .string(JSON.timestamp()), "created_by": .string(createdBy)]
        if emptyLayer { entry["empty_layer"] = .bool(true) }
        if let comment { entry["comment"] = .string(comment) }
        history.append(.object(entry))
        document["history"] = .array(history)
        document["created"] = .string(JSON.timestamp())
    }
}

extension ImageStore {
    /// The image's config as stored, ready to edit.
    func editableConfig(of image: Image) throws(SwiftrunError) -> EditableConfig {
        let path = layout.blob(image.manifest.config.digest)
        return EditableConfig(try JSON.decode(JSONValue.self, from: try FileSystem.readFile(path), path: path))
    }
}
