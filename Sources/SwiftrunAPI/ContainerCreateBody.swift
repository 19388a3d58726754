import SwiftrunCore

/// `POST /containers/create`'s body (Config, HostConfig and
/// NetworkingConfig in one object) as the RunOptions `run` builds from its
/// flags, so the API's containers are made by the same code as the CLI's.
///
/// A field swiftrun does not implement is refused by name when it is set
/// (400), never dropped: a client that asked for a device or a volume
/// driver must not get a container without it. Fields left at their zero
/// value, as the docker CLI sends every field, pass.
struct ContainerCreateBody {
    private let body: [String: JSONValue]
    private let host: [String: JSONValue]

    init(_ bytes: [UInt8]) throws(APIError) {
        guard let value = try? JSON.decode(JSONValue.self, from: bytes, path: "body"), let object = value.objectValue else {
            throw .badRequest("the request body is not a JSON object")
        }
        body = object
        host = object["HostConfig"]?.objectValue ?? [:]
    }

    /// Config's fields (the top level of the body) that swiftrun reads, or
    /// that only describe a client's attach and are implied here.
    private static let configFields: Set<String> = [
        "Hostname", "User", "Env", "Cmd", "Entrypoint", "Image", "WorkingDir", "Labels", "Tty", "OpenStdin", "StdinOnce",
        "AttachStdin", "AttachStdout", "AttachStderr", "ExposedPorts", "StopSignal", "StopTimeout", "Healthcheck",
        "MacAddress", "Volumes", "HostConfig", "NetworkingConfig", "ArgsEscaped", "OnBuild", "Shell"
    ]

    private static let hostFields: Set<String> = [
        "Binds", "Mounts", "Tmpfs", "Memory", "MemorySwap", "MemoryReservation", "NanoCpus", "CpuShares", "CpusetCpus",
        "PidsLimit", "CapAdd", "CapDrop", "Privileged", "SecurityOpt", "ReadonlyRootfs", "Devices", "Ulimits", "Init",
        "AutoRemove", "RestartPolicy", "LogConfig", "NetworkMode", "PortBindings", "PublishAllPorts", "Dns", "DnsSearch",
        "DnsOptions", "ExtraHosts",
        // What swiftrun always does: a private cgroup namespace, its own
        // /dev/shm, the console size the client's terminal gives later.
        "CgroupnsMode", "ConsoleSize", "ShmSize", "Isolation"
    ]

    /// Fields whose "unset" is not Go's zero: the docker CLI sends
    /// MemorySwappiness -1 when --memory-swappiness is not given.
    private static let unsetHostValues: [String: JSONValue] = ["MemorySwappiness": .integer(-1)]

    func options(name: String?) throws(APIError) -> RunOptions {
        let refused =
            body.filter { !Self.configFields.contains($0.key) && !$0.value.isZero }.keys.sorted()
            + host.filter { !Self.hostFields.contains($0.key) && !$0.value.isZero && Self.unsetHostValues[$0.key] != $0.value }
            .keys.sorted().map { "HostConfig." + $0 }
        if !refused.isEmpty {
            throw .badRequest(refused.joined(separator: ", ") + (refused.count == 1 ? " is" : " are") + " not supported by swiftrun")
        }
        guard let image = body["Image"]?.stringValue, !image.isEmpty else { throw .badRequest("no image given: Config.Image is empty") }
        var options = RunOptions(image: image)
        options.name = name.flatMap { $0.isEmpty ? nil : $0 }
        try command(&options)
        // KEY alone would pass the service's own variable, as `run -e KEY`
        // passes the caller's: only KEY=VALUE comes from a client.
        options.environment = strings(body["Env"]).filter { $0.contains("=") }
        options.labels = body["Labels"]?.objectValue?.compactMapValues(\.stringValue) ?? [:]
        options.hostname = nonEmpty(body["Hostname"])
        options.user = nonEmpty(body["User"])
        options.workingDirectory = nonEmpty(body["WorkingDir"])
        options.tty = body["Tty"]?.boolValue ?? false
        options.interactive = body["OpenStdin"]?.boolValue ?? false
        options.stdinOnce = body["StdinOnce"]?.boolValue ?? false
        options.stopSignal = nonEmpty(body["StopSignal"])
        options.stopTimeout = body["StopTimeout"]?.integerValue.map { Int($0) }
        try healthcheck(&options)
        try resources(&options)
        try mounts(&options)
        options.capAdd = strings(host["CapAdd"])
        options.capDrop = strings(host["CapDrop"])
        options.privileged = host["Privileged"]?.boolValue ?? false
        options.securityOptions = strings(host["SecurityOpt"])
        options.readOnly = host["ReadonlyRootfs"]?.boolValue ?? false
        options.initProcess = host["Init"]?.boolValue ?? false
        options.autoRemove = host["AutoRemove"]?.boolValue ?? false
        options.devices = (host["Devices"]?.arrayValue ?? []).map { device in
            [device["PathOnHost"], device["PathInContainer"], device["CgroupPermissions"]].compactMap { nonEmpty($0) }.joined(separator: ":")
        }
        options.ulimits = (host["Ulimits"]?.arrayValue ?? []).map { limit in
            "\(limit["Name"]?.stringValue ?? "")=\(limit["Soft"]?.integerValue ?? 0):\(limit["Hard"]?.integerValue ?? 0)"
        }
        let policy = host["RestartPolicy"]
        if let policyName = nonEmpty(policy?["Name"]) {
            let retries = policy?["MaximumRetryCount"]?.integerValue ?? 0
            options.restart = try swiftrun { () throws(SwiftrunError) in
                try RestartPolicy(parsing: policyName == "on-failure" && retries > 0 ? "on-failure:\(retries)" : policyName)
            }
        }
        let log = host["LogConfig"]
        let logOptions = (log?["Config"]?.objectValue ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.stringValue ?? "")" }
        options.log = try swiftrun { () throws(SwiftrunError) in try LogConfig(driver: nonEmpty(log?["Type"]), options: logOptions) }
        options.network = try network()
        options.publishAll = host["PublishAllPorts"]?.boolValue ?? false
        return options
    }

    /// Docker's Entrypoint is a list: its first word is run's --entrypoint
    /// and the rest go before Cmd. An empty list clears the image's.
    private func command(_ options: inout RunOptions) throws(APIError) {
        let cmd = body["Cmd"].flatMap { $0 == .null ? nil : $0.stringsValue }
        guard let entrypoint = body["Entrypoint"].flatMap({ $0 == .null ? nil : $0.stringsValue }) else {
            options.command = cmd ?? []
            return
        }
        options.entrypoint = entrypoint.first ?? ""
        options.command = Array(entrypoint.dropFirst()) + (cmd ?? [])
    }

    /// Healthcheck.Test: ["NONE"], ["CMD-SHELL", "script"] or ["CMD", words...];
    /// the times are nanoseconds.
    private func healthcheck(_ options: inout RunOptions) throws(APIError) {
        guard let check = body["Healthcheck"]?.objectValue else { return }
        let test = strings(check["Test"])
        switch test.first {
        case "NONE": options.noHealthcheck = true
        case "CMD-SHELL" where test.count == 2: options.healthCommand = test[1]
        // Run's --health-cmd goes through /bin/sh -c: each word single-quoted.
        case "CMD" where test.count > 1:
            options.healthCommand = test.dropFirst().map { "'" + $0.replacing("'", with: "'\\''") + "'" }.joined(separator: " ")
        case nil: break
        default: throw .badRequest("Healthcheck.Test must start with NONE, CMD or CMD-SHELL")
        }
        func duration(_ key: String) -> String? {
            check[key]?.integerValue.flatMap { $0 > 0 ? "\($0 / 1_000_000)ms" : nil }
        }
        options.healthInterval = duration("Interval")
        options.healthTimeout = duration("Timeout")
        options.healthStartPeriod = duration("StartPeriod")
        options.healthRetries = check["Retries"]?.integerValue.flatMap { $0 > 0 ? Int($0) : nil }
    }

    /// Bytes and counts as numbers, in the flags' spelling.
    private func resources(_ options: inout RunOptions) throws(APIError) {
        func positive(_ key: String) -> Int64? { host[key]?.integerValue.flatMap { $0 > 0 ? $0 : nil } }
        options.memory = positive("Memory").map(String.init)
        options.memorySwap = host["MemorySwap"]?.integerValue.flatMap { $0 == -1 ? "-1" : $0 > 0 ? String($0) : nil }
        options.memoryReservation = positive("MemoryReservation").map(String.init)
        options.cpus = positive("NanoCpus").map { String(Double($0) / 1e9) }
        options.cpuShares = positive("CpuShares").map(String.init)
        options.cpusetCpus = nonEmpty(host["CpusetCpus"])
        // 0 and null are "unlimited" in the API, as -1 is.
        options.pidsLimit = host["PidsLimit"]?.integerValue.flatMap { $0 > 0 ? String($0) : $0 == -1 ? "-1" : nil }
    }

    /// Binds ("SRC:DST[:ro]" or "NAME:DST[:ro]"), Mounts of type bind,
    /// volume or tmpfs, Tmpfs, and Config's Volumes (anonymous ones).
    private func mounts(_ options: inout RunOptions) throws(APIError) {
        options.volumes = strings(host["Binds"])
        for mount in host["Mounts"]?.arrayValue ?? [] {
            guard let target = nonEmpty(mount["Target"]) else { throw .badRequest("a mount needs a Target") }
            let readOnly = mount["ReadOnly"]?.boolValue ?? false
            switch mount["Type"]?.stringValue ?? "" {
            case "bind":
                guard let source = nonEmpty(mount["Source"]) else { throw .badRequest("a bind mount needs a Source") }
                options.volumes.append("\(source):\(target)" + (readOnly ? ":ro" : ""))
            case "volume":
                let noCopy = mount["VolumeOptions"]?["NoCopy"]?.boolValue ?? false
                let flags = (readOnly ? ["ro"] : []) + (noCopy ? ["nocopy"] : [])
                guard let source = nonEmpty(mount["Source"]) else {
                    // No Source: an anonymous volume, as -v /path makes.
                    guard flags.isEmpty else { throw .badRequest("an anonymous volume takes neither ReadOnly nor NoCopy in swiftrun") }
                    options.volumes.append(target)
                    continue
                }
                options.volumes.append("\(source):\(target)" + (flags.isEmpty ? "" : ":" + flags.joined(separator: ",")))
            case "tmpfs": options.tmpfs.append(target + (readOnly ? ":ro" : ""))
            case let kind: throw .badRequest("mounts of type \"\(kind)\" are not supported by swiftrun (bind, volume and tmpfs are)")
            }
        }
        for (path, mountOptions) in (host["Tmpfs"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            options.tmpfs.append(nonEmpty(mountOptions).map { "\(path):\($0)" } ?? path)
        }
        // Config.Volumes, {"/path": {}}: the image's VOLUME rule (VolumeUse).
        options.declaredVolumes = (body["Volumes"]?.objectValue ?? [:]).keys.sorted()
    }

    /// NetworkMode ("default" is the bridge), PortBindings, DNS, and the
    /// one network NetworkingConfig may name with its aliases and address.
    private func network() throws(APIError) -> NetworkRequest {
        var request = NetworkRequest()
        let endpoints = body["NetworkingConfig"]?["EndpointsConfig"]?.objectValue ?? [:]
        if let mode = nonEmpty(host["NetworkMode"]), mode != "default" {
            request.mode = mode
        } else if endpoints.count == 1, let name = endpoints.keys.first {
            request.mode = name
        }
        if let endpoint = endpoints[request.mode] {
            request.aliases = strings(endpoint["Aliases"])
            if let address = nonEmpty(endpoint["IPAMConfig"]?["IPv4Address"]) {
                guard let parsed = IPv4Address(address) else { throw .badRequest("invalid IPv4 address: \(address)") }
                request.ipAddress = parsed
            }
        }
        request.macAddress = nonEmpty(body["MacAddress"])
        for (port, bindings) in (host["PortBindings"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            for binding in bindings.arrayValue ?? [] {
                let text = "\(binding["HostIp"]?.stringValue ?? ""):\(binding["HostPort"]?.stringValue ?? ""):\(port)"
                request.ports += try swiftrun { () throws(SwiftrunError) in try PublishedPort.parse(text) }
            }
        }
        request.dns = DNSOptions(servers: strings(host["Dns"]), search: strings(host["DnsSearch"]), options: strings(host["DnsOptions"]))
        request.extraHosts = strings(host["ExtraHosts"])
        return request
    }

    private func strings(_ value: JSONValue?) -> [String] { value?.stringsValue ?? [] }

    private func nonEmpty(_ value: JSONValue?) -> String? {
        value?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// A flag parser's error, as the 400 it is here.
    private func swiftrun<T>(_ body: () throws(SwiftrunError) -> T) throws(APIError) -> T {
        do { return try body() } catch { throw .badRequest(error.description) }
    }
}
