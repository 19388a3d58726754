/// A running container's ports as Docker lists them (`ps`'s PORTS, the
/// API's container list): each published port, and each port the image
/// exposes that none publishes (a hostPort of 0). On the host's network or
/// another container's, none: Docker lists none there either.
public struct ContainerPorts {
    private let layout: StoreLayout
    /// Exposed ports by image manifest: a list reads each image once.
    private var exposedByImage: [Digest: [PublishedPort]] = [:]

    public init(layout: StoreLayout) { self.layout = layout }

    public mutating func of(_ state: ContainerState) -> [PublishedPort] {
        guard state.isActive, let network = state.network, case .network = network.kind else { return [] }
        let published = ContainerNetwork(layout: layout).attachments(state.id).first?.ports ?? []
        let exposed = state.imageManifest.map { exposedPorts(of: $0) } ?? []
        let unpublished = exposed.filter { port in !published.contains { $0.containerPort == port.containerPort && $0.proto == port.proto } }
        return published + unpublished
    }

    private mutating func exposedPorts(of manifest: Digest) -> [PublishedPort] {
        if let known = exposedByImage[manifest] { return known }
        let keys = (try? ImageStore(layout: layout).load(manifest: manifest))?.configuration.config?.ExposedPorts?.keys
        let ports = keys.map { $0.compactMap(PublishedPort.exposed) } ?? []
        exposedByImage[manifest] = ports
        return ports
    }

    /// Docker's PORTS words (its CLI's DisplayablePorts): sorted by
    /// container port; a port published at the same number, or not at
    /// all, grouped with its neighbours ("0.0.0.0:80-81->80-81/tcp",
    /// "53/udp"), others each as "0.0.0.0:8080->80/tcp", after them.
    public static func words(_ ports: [PublishedPort]) -> String {
        let sorted = ports.sorted {
            ($0.containerPort, ip($0), $0.hostPort, $0.proto) < ($1.containerPort, ip($1), $1.hostPort, $1.proto)
        }
        var groups: [(key: String, first: UInt16, last: UInt16)] = []
        var finished: [String] = []
        var mappings: [String] = []
        for port in sorted {
            var key = port.proto
            if port.hostPort != 0 {
                guard port.hostPort == port.containerPort else {
                    mappings.append("\(ip(port)):\(port.hostPort)->\(port.containerPort)/\(port.proto)")
                    continue
                }
                key = ip(port) + "/" + port.proto
            }
            guard let index = groups.firstIndex(where: { $0.key == key }) else {
                groups.append((key, port.containerPort, port.containerPort))
                continue
            }
            if port.containerPort == groups[index].last + 1 {
                groups[index].last = port.containerPort
            } else {
                finished.append(group(groups[index]))
                groups[index] = (key, port.containerPort, port.containerPort)
            }
        }
        return (finished + groups.map(group) + mappings).joined(separator: ", ")
    }

    private static func ip(_ port: PublishedPort) -> String {
        port.hostIP.map(String.init(describing:)) ?? "0.0.0.0"
    }

    private static func group(_ group: (key: String, first: UInt16, last: UInt16)) -> String {
        let parts = group.key.split(separator: "/")
        let range = group.first == group.last ? "\(group.first)" : "\(group.first)-\(group.last)"
        return parts.count > 1 ? "\(parts[0]):\(range)->\(range)/\(parts[1])" : "\(range)/\(parts[0])"
    }
}
