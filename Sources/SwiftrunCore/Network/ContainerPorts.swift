/// A running container's ports as Docker lists them (`ps`'s PORTS, the
/// API's container list): each published port, and each port the image
/// exposes that none publishes (a hostPort of 0). On the host's network or
/// another container's, none: Docker lists none there either.
public struct ContainerPorts {
    private let layout: StoreLayout
    /// EXPOSE's keys by image manifest: a list reads each image once.
    private var exposedByImage: [Digest: [String]] = [:]

    public init(layout: StoreLayout) { self.layout = layout }

    /// `attachments`: the container's, when the caller has read them already.
    public mutating func of(_ state: ContainerState, attachments: [NetworkAttachment]? = nil) -> [PublishedPort] {
        guard state.isActive, let network = state.network, case .network = network.kind else { return [] }
        let published = (attachments ?? ContainerNetwork(layout: layout).attachments(state.id)).first?.ports ?? []
        return published + PublishedPort.exposed(state.imageManifest.map { exposedKeys(of: $0) } ?? [], besides: published)
    }

    private mutating func exposedKeys(of manifest: Digest) -> [String] {
        if let known = exposedByImage[manifest] { return known }
        let keys = Array(((try? ImageStore(layout: layout).load(manifest: manifest))?.configuration.config?.ExposedPorts ?? [:]).keys)
        exposedByImage[manifest] = keys
        return keys
    }

    /// A run of ports published at their own number on one address, or
    /// exposed and not published (no address).
    private struct Group {
        let address: String?
        let proto: String
        let first: UInt16
        var last: UInt16

        var words: String {
            let range = first == last ? "\(first)" : "\(first)-\(last)"
            return address.map { "\($0):\(range)->\(range)/\(proto)" } ?? "\(range)/\(proto)"
        }
    }

    /// Docker's PORTS words (its CLI's DisplayablePorts): sorted by
    /// container port; a port published at the same number, or not at
    /// all, grouped with its neighbours ("0.0.0.0:80-81->80-81/tcp",
    /// "53/udp"), others each as "0.0.0.0:8080->80/tcp", after them.
    public static func words(_ ports: [PublishedPort]) -> String {
        let sorted = ports.sorted {
            ($0.containerPort, ip($0), $0.hostPort, $0.proto) < ($1.containerPort, ip($1), $1.hostPort, $1.proto)
        }
        var groups: [Group] = []
        var finished: [String] = []
        var mappings: [String] = []
        for port in sorted {
            let address = port.hostPort == 0 ? nil : ip(port)
            if port.hostPort != 0 && port.hostPort != port.containerPort {
                mappings.append("\(ip(port)):\(port.hostPort)->\(port.containerPort)/\(port.proto)")
                continue
            }
            guard let index = groups.firstIndex(where: { $0.address == address && $0.proto == port.proto }) else {
                groups.append(Group(address: address, proto: port.proto, first: port.containerPort, last: port.containerPort))
                continue
            }
            if port.containerPort == groups[index].last + 1 {
                groups[index].last = port.containerPort
            } else {
                finished.append(groups[index].words)
                groups[index] = Group(address: address, proto: port.proto, first: port.containerPort, last: port.containerPort)
            }
        }
        return (finished + groups.map(\.words) + mappings).joined(separator: ", ")
    }

    private static func ip(_ port: PublishedPort) -> String {
        port.hostIP.map(String.init(describing:)) ?? "0.0.0.0"
    }
}
