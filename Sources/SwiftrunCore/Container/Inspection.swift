/// `swiftrun inspect`: a container's or an image's details as JSON, with
/// Docker's top-level field names where Docker has them.
public struct Inspection {
    let layout: StoreLayout

    public init(layout: StoreLayout) { self.layout = layout }

    struct ContainerDocument: Encodable {
        var Id: String
        var Name: String
        var Created: String
        var Image: Digest
        var State: StateDocument
        var RestartCount: Int
        var LogPath: String
        var HostConfig: HostConfigDocument
        var NetworkSettings: NetworkSettingsDocument
        var Config: RuntimeSpec?
    }

    struct StateDocument: Encodable {
        var Status: String
        var Running: Bool
        var Paused: Bool
        var Restarting: Bool
        var Pid: Int32
        var ExitCode: Int32
        var OOMKilled: Bool
        var StartedAt: String
        var FinishedAt: String
        var Health: HealthState?
    }

    struct HostConfigDocument: Encodable {
        var RestartPolicy: RestartPolicyDocument
        var AutoRemove: Bool
        var LogConfig: LogConfigDocument
        var NetworkMode: String
        var PortBindings: [String: [NetworkSettingsDocument.PortBinding]]
        var Dns: [String]
        var DnsSearch: [String]
        var ExtraHosts: [String]
    }

    struct RestartPolicyDocument: Encodable {
        var Name: String
        var MaximumRetryCount: Int
    }

    struct LogConfigDocument: Encodable {
        var `Type`: String
        var Config: [String: String]
    }

    public func describe(_ target: String) throws(SwiftrunError) -> String {
        let containers = ContainerStore(layout: layout)
        if let state = try? containers.find(target) {
            let spec = try? containers.spec(state.id)
            let active = state.isActive
            let running = active && state.status == .running
            let paused = ContainerControl(layout: layout).isPaused(state)
            let policy = state.restartPolicy ?? .never
            let log = state.logConfig ?? LogConfig()
            let network = state.network ?? .none
            var logOptions: [String: String] = [:]
            if let size = log.maxSize { logOptions["max-size"] = String(size) }
            if log.maxFiles > 1 { logOptions["max-file"] = String(log.maxFiles) }
            let zeroTime = "0001-01-01T00:00:00Z"
            let document = ContainerDocument(
                Id: state.id, Name: "/" + state.name, Created: state.created, Image: state.imageID,
                State: .init(
                    Status: state.dockerStatus(paused: paused),
                    Running: running, Paused: paused,
                    Restarting: active && state.status == .restarting, Pid: running ? state.pid ?? 0 : 0,
                    ExitCode: state.exitCode ?? 0, OOMKilled: state.oomKilled ?? false,
                    StartedAt: state.started ?? zeroTime, FinishedAt: state.finished ?? zeroTime,
                    Health: ContainerHealth(layout: layout).state(of: state)),
                RestartCount: state.restartCount ?? 0,
                LogPath: state.detached == true && log.driver == "json-file" ? containers.logPath(state.id) : "",
                HostConfig: .init(
                    RestartPolicy: .init(Name: policy.name.rawValue, MaximumRetryCount: policy.maximumRetryCount),
                    AutoRemove: state.autoRemove, LogConfig: .init(Type: log.driver, Config: logOptions),
                    NetworkMode: network.mode,
                    PortBindings: Dictionary(grouping: network.ports) { "\($0.containerPort)/\($0.proto)" }.mapValues { ports in
                        ports.map {
                            .init(HostIp: $0.hostIP.map(String.init(describing:)) ?? "", HostPort: $0.hostPort == 0 ? "" : String($0.hostPort))
                        }
                    },
                    Dns: network.dns.servers, DnsSearch: network.dns.search, ExtraHosts: network.extraHosts),
                NetworkSettings: NetworkSettingsDocument(active ? ContainerNetwork(layout: layout).attachments(state.id) : []),
                Config: spec)
            return String(decoding: try JSON.encode(document), as: UTF8.self)
        }
        let images = ImageStore(layout: layout)
        return String(decoding: try JSON.encode(try ImageInspection(store: images, image: try images.image(target))), as: UTF8.self)
    }
}
