/// Reading a config.json someone else wrote. The runtime spec makes most
/// fields optional, and a bundle from podman, containerd or `runc spec`
/// leaves out whatever it does not use, so each type here decodes with the
/// spec's defaults where a field is missing. What swiftrun writes
/// (RuntimeSpec+Encoding.swift) always has every field it uses.
private struct Key: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

extension KeyedDecodingContainer where Key == SwiftrunCore.Key {
    fileprivate func value<T: Decodable>(_ name: String, or fallback: @autoclosure () -> T) throws -> T {
        try decodeIfPresent(T.self, forKey: Key(name)) ?? fallback()
    }

    fileprivate func optional<T: Decodable>(_ name: String) throws -> T? {
        try decodeIfPresent(T.self, forKey: Key(name))
    }

    fileprivate func required<T: Decodable>(_ name: String) throws -> T {
        try decode(T.self, forKey: Key(name))
    }
}

extension RuntimeSpec {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        ociVersion = try c.required("ociVersion")
        process = try c.required("process")
        root = try c.required("root")
        hostname = try c.value("hostname", or: "")
        mounts = try c.value("mounts", or: [])
        linux = try c.value("linux", or: Linux(namespaces: [], maskedPaths: [], readonlyPaths: [], devices: [], resources: Resources(devices: [])))
        annotations = try c.value("annotations", or: [:])
        hooks = try c.optional("hooks")
    }
}

extension RuntimeSpec.Process {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        terminal = try c.value("terminal", or: false)
        user = try c.value("user", or: RuntimeSpec.User(uid: 0, gid: 0, additionalGids: []))
        args = try c.value("args", or: [])
        env = try c.value("env", or: [])
        cwd = try c.required("cwd")
        // No capabilities object: the process has none.
        capabilities = try c.value("capabilities", or: RuntimeSpec.CapabilitySets(bounding: [], effective: [], permitted: [], inheritable: [], ambient: []))
        rlimits = try c.value("rlimits", or: [])
        noNewPrivileges = try c.value("noNewPrivileges", or: false)
        consoleSize = try c.optional("consoleSize")
        oomScoreAdj = try c.optional("oomScoreAdj")
        apparmorProfile = try c.optional("apparmorProfile")
        selinuxLabel = try c.optional("selinuxLabel")
    }
}

extension RuntimeSpec.User {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        uid = try c.value("uid", or: 0)
        gid = try c.value("gid", or: 0)
        additionalGids = try c.value("additionalGids", or: [])
        umask = try c.optional("umask")
    }
}

extension RuntimeSpec.CapabilitySets {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        bounding = try c.value("bounding", or: [])
        effective = try c.value("effective", or: [])
        permitted = try c.value("permitted", or: [])
        inheritable = try c.value("inheritable", or: [])
        ambient = try c.value("ambient", or: [])
    }
}

extension RuntimeSpec.Root {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        path = try c.required("path")
        readonly = try c.value("readonly", or: false)
    }
}

extension RuntimeSpec.Mount {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        destination = try c.required("destination")
        options = try c.value("options", or: [])
        // A mount with no type but a bind option is a bind (runc's reading).
        type = try c.value("type", or: options.contains { $0 == "bind" || $0 == "rbind" } ? "bind" : "none")
        source = try c.value("source", or: "")
    }
}

extension RuntimeSpec.Linux {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        namespaces = try c.value("namespaces", or: [])
        maskedPaths = try c.value("maskedPaths", or: [])
        readonlyPaths = try c.value("readonlyPaths", or: [])
        devices = try c.value("devices", or: [])
        resources = try c.value("resources", or: RuntimeSpec.Resources(devices: []))
        cgroupsPath = try c.optional("cgroupsPath")
        sysctl = try c.optional("sysctl")
        seccomp = try c.optional("seccomp")
        rootfsPropagation = try c.optional("rootfsPropagation")
        uidMappings = try c.optional("uidMappings")
        gidMappings = try c.optional("gidMappings")
        intelRdt = try c.optional("intelRdt")
    }
}

extension RuntimeSpec.Device {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        path = try c.required("path")
        type = try c.required("type")
        major = try c.value("major", or: 0)
        minor = try c.value("minor", or: 0)
        fileMode = try c.value("fileMode", or: 0o666)
        uid = try c.value("uid", or: 0)
        gid = try c.value("gid", or: 0)
    }
}

extension RuntimeSpec.Resources {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        devices = try c.value("devices", or: [])
        memory = try c.optional("memory")
        cpu = try c.optional("cpu")
        pids = try c.optional("pids")
    }
}

extension RuntimeSpec.DeviceRule {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        allow = try c.required("allow")
        type = try c.value("type", or: "a")
        major = try c.optional("major")
        minor = try c.optional("minor")
        access = try c.value("access", or: "rwm")
    }
}
