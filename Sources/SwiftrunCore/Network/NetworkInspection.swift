/// Docker's JSON for networks: `network inspect`, and a container's
/// NetworkSettings in `inspect`.
package struct NetworkSettingsDocument: Encodable {
    package struct PortBinding: Encodable {
        var HostIp: String
        var HostPort: String
    }

    /// Docker's EndpointSettings; swiftrun has no IPv6 and no per-endpoint
    /// IPAM config or driver options, which Docker also leaves empty here.
    package struct Endpoint: Encodable, Sendable {
        var IPAMConfig = OrNull<[String: String]>(nil)
        var Links = OrNull<[String]>(nil)
        var Aliases: OrNull<[String]>
        var NetworkID: String
        var EndpointID = ""
        var Gateway: String
        var IPAddress: String
        var IPPrefixLen: Int
        var IPv6Gateway = ""
        var GlobalIPv6Address = ""
        var GlobalIPv6PrefixLen = 0
        var MacAddress: String
        var DriverOpts = OrNull<[String: String]>(nil)

        /// A network the container is set to join, while it is not on it.
        static let unattached = Endpoint(Aliases: OrNull(nil), NetworkID: "", Gateway: "", IPAddress: "", IPPrefixLen: 0, MacAddress: "")
    }

    var Bridge = ""
    var SandboxID = ""
    var HairpinMode = false
    var LinkLocalIPv6Address = ""
    var LinkLocalIPv6PrefixLen = 0
    var Ports: [String: [PortBinding]]
    var SandboxKey = ""
    var SecondaryIPAddresses = OrNull<[String]>(nil)
    var SecondaryIPv6Addresses = OrNull<[String]>(nil)
    var EndpointID = ""
    var Gateway: String
    var GlobalIPv6Address = ""
    var GlobalIPv6PrefixLen = 0
    var IPAddress: String
    var IPPrefixLen: Int
    var IPv6Gateway = ""
    var MacAddress: String
    package var Networks: [String: Endpoint]

    /// The top-level fields are the first network's (Docker's legacy
    /// ones); Networks has each. A stopped container, or one on no bridge,
    /// has empty fields, as Docker shows them, and Networks names the
    /// network it is set to join (`mode`: a network, host or none; not
    /// another container's).
    package init(_ attachments: [NetworkAttachment], mode: String) {
        Networks = Dictionary(
            attachments.map { attachment in
                (
                    attachment.network,
                    Endpoint(
                        Aliases: OrNull(attachment.aliases.isEmpty ? nil : attachment.aliases), NetworkID: attachment.networkID,
                        Gateway: attachment.gateway.description, IPAddress: attachment.ipAddress.description,
                        IPPrefixLen: attachment.prefix, MacAddress: attachment.macAddress)
                )
            }, uniquingKeysWith: { first, _ in first })
        if attachments.isEmpty && !mode.hasPrefix("container:") { Networks[mode] = .unattached }
        guard let first = attachments.first else {
            (Ports, Gateway, IPAddress, IPPrefixLen, MacAddress) = ([:], "", "", 0, "")
            return
        }
        Ports = Dictionary(grouping: first.ports) { "\($0.containerPort)/\($0.proto)" }.mapValues { ports in
            ports.map { PortBinding(HostIp: $0.hostIP.map(String.init(describing:)) ?? "0.0.0.0", HostPort: String($0.hostPort)) }
        }
        Gateway = first.gateway.description
        IPAddress = first.ipAddress.description
        IPPrefixLen = first.prefix
        MacAddress = first.macAddress
    }
}

package struct NetworkDocument: Encodable {
    struct IPAMDocument: Encodable {
        var Driver = "default"
        var Options = OrNull<[String: String]>(nil)
        var Config: [[String: String]]
    }

    struct ConfigFromDocument: Encodable {
        var Network = ""
    }

    package struct ContainerEndpoint: Encodable {
        var Name: String
        var MacAddress: String
        var IPv4Address: String
        var IPv6Address = ""
    }

    package var Name: String
    package var Id: String
    var Created: String
    var Scope = "local"
    package var Driver = "bridge"
    var EnableIPv6 = false
    var IPAM: IPAMDocument
    var Internal: Bool
    var Attachable = false
    var Ingress = false
    var ConfigFrom = ConfigFromDocument()
    var ConfigOnly = false
    var Containers: [String: ContainerEndpoint]
    var Options: [String: String]
    package var Labels: [String: String]

    /// host and none: no subnet, no options, Docker's drivers.
    package init(_ mode: ModeNetwork) {
        Name = mode.name
        Id = mode.id
        Created = "0001-01-01T00:00:00Z"
        Driver = mode.driver
        IPAM = IPAMDocument(Config: [])
        Internal = false
        Containers = [:]
        Options = [:]
        Labels = [:]
    }

    package init(_ network: NetworkDefinition, containers: [String: ContainerEndpoint]) {
        Name = network.name
        Id = network.id
        Created = network.created
        IPAM = IPAMDocument(Config: [["Subnet": network.subnet.description, "Gateway": network.gateway.description]])
        Internal = network.isInternal
        Containers = containers
        Options = ["com.docker.network.bridge.name": network.bridge, NetworkDefinition.mtuOption: String(network.linkMTU)]
        Labels = network.labels
    }
}

extension NetworkStore {
    /// `network inspect`: the definition, with the running containers
    /// whose addresses it holds (in any store root on the host).
    public func inspect(_ key: String) throws(SwiftrunError) -> String {
        if let mode = ModeNetwork.find(key) { return String(decoding: try JSON.encode(NetworkDocument(mode)), as: UTF8.self) }
        let network = try find(key)
        var endpoints: [String: NetworkDocument.ContainerEndpoint] = [:]
        for (_, owner) in AddressPool(store: self, network: network).entries() {
            let layout = StoreLayout(root: owner.root)
            guard
                let attachment = ContainerNetwork(layout: layout, store: self).attachments(owner.container).first(where: {
                    $0.networkID == network.id
                }),
                let state = try? ContainerStore(layout: layout).state(owner.container)
            else { continue }
            endpoints[owner.container] = .init(
                Name: state.name, MacAddress: attachment.macAddress, IPv4Address: "\(attachment.ipAddress)/\(attachment.prefix)")
        }
        return String(decoding: try JSON.encode(NetworkDocument(network, containers: endpoints)), as: UTF8.self)
    }
}
