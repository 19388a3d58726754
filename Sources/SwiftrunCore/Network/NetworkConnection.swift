import CShims
import Glibc

/// `network connect` and `disconnect`: the container's list of networks
/// changes (endpoints.json, read at each start), and a running container
/// gains or loses one interface at once, made from the host through its
/// pid 1's network namespace. Both hold the store lock, as `rename` does.
extension ContainerStore {
    public func connect(_ key: String, to networkKey: String, ipAddress: IPv4Address?, aliases: [String]) throws(SwiftrunError) {
        let network = try Self.connectable(networkKey)
        let links = ContainerNetwork(layout: layout)
        try StoreLock.withLock(layout.lock) { () throws(SwiftrunError) in
            let state = try find(key)
            let request = state.network ?? .none
            if let refusal = Self.refusal(request.kind) { throw refusal }
            var endpoints = links.endpoints(state.id, request: request)
            guard !endpoints.contains(where: { $0.network == network.name }) else {
                throw .invalidArgument("endpoint with name \(currentName(state)) already exists in network \(network.name)")
            }
            let endpoint = NetworkEndpoint(network: network.name, ipAddress: ipAddress, aliases: aliases)
            if state.isActive, let pid1 = PinnedPid1(state) {
                defer { pid1.close() }
                try links.join(endpoint, state: state, name: currentName(state), hostname: try spec(state.id).hostname, pid1: pid1)
            }
            endpoints.append(endpoint)
            try FileSystem.writeAtomically(try JSON.encode(endpoints), to: links.endpointsPath(state.id), durable: false)
        }
    }

    public func disconnect(_ key: String, from networkKey: String) throws(SwiftrunError) {
        let network = try Self.connectable(networkKey)
        let links = ContainerNetwork(layout: layout)
        try StoreLock.withLock(layout.lock) { () throws(SwiftrunError) in
            let state = try find(key)
            let request = state.network ?? .none
            var endpoints = links.endpoints(state.id, request: request)
            guard let position = endpoints.firstIndex(where: { $0.network == network.name }) else {
                throw .invalidArgument("container \(state.id) is not connected to network \(network.name)")
            }
            endpoints.remove(at: position)
            try FileSystem.writeAtomically(try JSON.encode(endpoints), to: links.endpointsPath(state.id), durable: false)
            if state.isActive, let pid1 = PinnedPid1(state) {
                defer { pid1.close() }
                try links.leave(network.name, state: state, hostname: try spec(state.id).hostname, pid1: pid1)
            }
        }
    }

    /// host and none are modes, not networks one joins.
    private static func connectable(_ key: String) throws(SwiftrunError) -> NetworkDefinition {
        if let refusal = refusal(NetworkRequest.kind(of: key)) { throw refusal }
        return try NetworkStore().find(key)
    }

    /// Why a container in this network mode cannot join or leave a
    /// network, in Docker's words; nil for a network.
    private static func refusal(_ kind: NetworkRequest.Kind) -> SwiftrunError? {
        switch kind {
        case .network: nil
        case .host: .invalidArgument("container cannot be disconnected from host network or connected to host network")
        case .none: .invalidArgument("container cannot be connected to multiple networks with one of the networks in private (none) mode")
        case .container:
            .invalidArgument("container sharing network namespace with another container or host cannot be connected to any other network")
        }
    }
}

extension ContainerNetwork {
    /// A running container joins one more network: an address, a veth
    /// whose peer (ethN) is born in pid 1's namespace, configured there
    /// from outside, then its name in DNS and /etc/hosts. Undone on failure,
    /// and if pid 1 ended meanwhile (its monitor's detach may have run).
    func join(_ endpoint: NetworkEndpoint, state: ContainerState, name: String, hostname: String, pid1: PinnedPid1) throws(SwiftrunError) {
        let request = state.network ?? .none
        var attachments = attachments(state.id)
        let index = attachments.compactMap { Int($0.interface.dropFirst("eth".count)) }.max().map { $0 + 1 } ?? 0
        let (attachment, bridgeIndex) = try allocate(endpoint, interface: index, id: state.id, request: request, narrator: nil)
        attachments.append(attachment)
        do throws(SwiftrunError) {
            try save(attachments, id: state.id)
            let netns = try Syscall.check("open the network namespace of pid \(pid1.pid)") { sr_netns_open(pid1.fd) }
            defer { close(netns) }
            let socket = try Syscall.check("netlink socket") { sr_netlink_open() }
            defer { close(socket) }
            let mac = NetworkRequest.macBytes(attachment.macAddress) ?? [2, 0x42, 0, 0, 0, 0]
            try Syscall.check("create veth \(attachment.hostInterface)") {
                sr_netlink_add_veth_in(socket, attachment.hostInterface, bridgeIndex, UInt32(attachment.mtu), attachment.interface, netns, mac)
            }
            // The only network: it takes the default route, as eth0 does at a start.
            try configure(attachment, in: netns, route: attachments.count == 1, narrator: nil)
            if attachments.count == 1 { try publish(attachment, id: state.id, narrator: nil) }
            try announce(attachment, id: state.id, name: name, narrator: nil)
            try rewriteHosts(request, id: state.id, hostname: hostname, addresses: attachments.map(\.ipAddress))
            guard !pid1.hasExited else { throw .invalidArgument("container \(name) is not running") }
        } catch {
            release(attachment, id: state.id, deleteLink: true)
            try? save(attachments.dropLast(), id: state.id)
            throw error
        }
    }

    /// A running container leaves one network: its veth goes at once (its
    /// namespace lives on), then its ports, address and names. When that
    /// network held the default route, the next one's gateway takes it.
    func leave(_ networkName: String, state: ContainerState, hostname: String, pid1: PinnedPid1) throws(SwiftrunError) {
        var attachments = attachments(state.id)
        guard let position = attachments.firstIndex(where: { $0.network == networkName }) else { return }
        let leaving = attachments.remove(at: position)
        try save(attachments, id: state.id)
        release(leaving, id: state.id, deleteLink: true)
        try rewriteHosts(state.network ?? .none, id: state.id, hostname: hostname, addresses: attachments.map(\.ipAddress))
        guard position == 0, let next = attachments.first else { return }
        let netns = try Syscall.check("open the network namespace of pid \(pid1.pid)") { sr_netns_open(pid1.fd) }
        defer { close(netns) }
        try configure(next, in: netns, route: true, narrator: nil)
    }
}
