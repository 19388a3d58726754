import CShims
import Glibc

/// A container's place on a bridge network while it runs: written to
/// containers/<id>/network.json before the first kernel object is made,
/// so teardown (and recovery after a kill -9) knows what to undo.
public struct NetworkAttachment: Codable, Sendable, Equatable {
    public var network: String
    public var networkID: String
    public var bridge: String
    public var ipAddress: IPv4Address
    public var prefix: Int
    public var gateway: IPv4Address
    public var macAddress: String
    /// Both ends of the veth pair have the network's MTU.
    public var mtu: Int
    /// The container's end of the veth pair: eth0 for the first network,
    /// eth1... for those connected after.
    public var interface: String
    /// The host's end.
    public var hostInterface: String
    public var aliases: [String]
    /// Host ports as chosen at this start (the first network's only).
    public var ports: [PublishedPort]
}

extension NetworkAttachment {
    /// A network.json from before multiple networks has no interface (it
    /// was eth0) and no MTU (1500).
    public init(from decoder: any Decoder) throws {
        let values = try decoder.container(keyedBy: CodingKeys.self)
        network = try values.decode(String.self, forKey: .network)
        networkID = try values.decode(String.self, forKey: .networkID)
        bridge = try values.decode(String.self, forKey: .bridge)
        ipAddress = try values.decode(IPv4Address.self, forKey: .ipAddress)
        prefix = try values.decode(Int.self, forKey: .prefix)
        gateway = try values.decode(IPv4Address.self, forKey: .gateway)
        macAddress = try values.decode(String.self, forKey: .macAddress)
        mtu = try values.decodeIfPresent(Int.self, forKey: .mtu) ?? 1500
        interface = try values.decodeIfPresent(String.self, forKey: .interface) ?? "eth0"
        hostInterface = try values.decode(String.self, forKey: .hostInterface)
        aliases = try values.decode([String].self, forKey: .aliases)
        ports = try values.decode([PublishedPort].self, forKey: .ports)
    }
}

/// The network part of the phases, for every --network mode:
///   attach   (start, before clone3)  the bridges, addresses, network.json, /etc files
///   connect  (start, after the go byte, while the child mounts; it waits
///            for a second byte before eth0)  the veths into the child's
///            namespace, the published ports
///   detach   (delete, after each exit)  ports, veths, addresses; idempotent
/// The child itself configures eth0 (CShims/child.c, configure_eth0); the
/// parent configures eth1... from outside (sr_netlink_configure_in).
/// `network connect` and `disconnect` (NetworkConnection.swift) change the
/// list of networks, and a running container's links, one network at a time.
package struct ContainerNetwork {
    let layout: StoreLayout
    let store: NetworkStore

    package init(layout: StoreLayout, store: NetworkStore = NetworkStore()) {
        self.layout = layout
        self.store = store
    }

    func attachmentPath(_ id: String) -> String { layout.container(id) + "/network.json" }
    /// The networks, once `network connect` or `disconnect` changed them:
    /// kept apart from state.json, which the monitor rewrites from its own copy.
    func endpointsPath(_ id: String) -> String { layout.container(id) + "/endpoints.json" }
    /// Left in a container's dir when another joins its network namespace.
    func sharedMarkerPath(_ id: String) -> String { layout.container(id) + "/network-shared" }
    func etcPath(_ id: String, _ name: String) -> String { layout.container(id) + "/" + name }

    /// What the child and `connect` need of one start.
    struct Plan {
        /// In the order of the container's interfaces: eth0 first.
        var attachments: [NetworkAttachment] = []
        var bridgeIndexes: [Int32] = []
        /// container:NAME: a pidfd of that container's pid 1, whose
        /// network namespace the child joins.
        var joinPidFD: Int32 = -1
    }

    /// Prepare: checks what can fail before anything exists, so a bad
    /// --network or a taken port ends `run` with 125 and leaves nothing.
    func check(_ request: NetworkRequest, hostname: String?) throws(SwiftrunError) {
        try request.validate(hostname: hostname)
        switch request.kind {
        case let .network(name): _ = try store.find(name)
        case let .container(key): try runningPid1(of: key).close()
        case .none, .host: break
        }
        for port in request.ports where port.hostPort != 0 { _ = try port.reserved() }
    }

    /// The networks a container is on, in order: run's flags', as `network
    /// connect` and `disconnect` changed them since.
    func endpoints(_ id: String, request: NetworkRequest) -> [NetworkEndpoint] {
        if let bytes = try? FileSystem.readFile(endpointsPath(id)),
            let endpoints = try? JSON.decode([NetworkEndpoint].self, from: bytes, path: endpointsPath(id))
        {
            return endpoints
        }
        return request.primaryEndpoint.map { [$0] } ?? []
    }

    /// Attach, before clone3. On failure, whatever was taken is given back.
    func attach(_ request: NetworkRequest, id: String, name: String, hostname: String, narrator: Narrator?) throws(SwiftrunError) -> Plan {
        var plan = Plan()
        do {
            switch request.kind {
            case .network:
                for (index, endpoint) in endpoints(id, request: request).enumerated() {
                    let (attachment, bridgeIndex) = try allocate(endpoint, interface: index, id: id, request: request, narrator: narrator)
                    plan.attachments.append(attachment)
                    plan.bridgeIndexes.append(bridgeIndex)
                }
                try save(plan.attachments, id: id)
                for attachment in plan.attachments { try announce(attachment, id: id, name: name, narrator: narrator) }
            case let .container(key):
                let pinned = try runningPid1(of: key)
                plan.joinPidFD = pinned.fd
                let target = try ContainerStore(layout: layout).find(key)
                try FileSystem.writeAtomically([], to: sharedMarkerPath(target.id), durable: false)
            case .none, .host: break
            }
            try writeEtcFiles(request, id: id, hostname: hostname, addresses: plan.attachments.map(\.ipAddress))
        } catch {
            // network.json is saved once all are taken: what was taken
            // before it is given back here, the rest by detach.
            for attachment in plan.attachments { release(attachment, id: id, deleteLink: false) }
            detach(id)
            throw error
        }
        return plan
    }

    /// One network's bridge (made on first use) and an address on it. The
    /// first network (eth0) takes the published ports: choosing them
    /// makes no kernel object.
    func allocate(
        _ endpoint: NetworkEndpoint, interface index: Int, id: String, request: NetworkRequest, narrator: Narrator?
    ) throws(SwiftrunError) -> (NetworkAttachment, Int32) {
        guard index < 100 else { throw .invalidArgument("a container can be on at most 100 networks") }
        let network = try store.find(endpoint.network)
        let bridgeIndex = try NetworkBridge(network: network).ensure(lockPath: store.lock) {
            narrator?.parent("bridge", $0, why: "the network's switch on the host, made on first use", manual: "rtnetlink(7)")
        }
        let owner = AddressPool.Owner(root: layout.root, container: id)
        let address = try AddressPool(store: store, network: network).allocate(
            for: owner, preferred: endpoint.ipAddress, required: endpoint.ipAddress != nil)
        var attachment = NetworkAttachment(
            network: network.name, networkID: network.id, bridge: network.bridge, ipAddress: address,
            prefix: network.subnet.prefix, gateway: network.gateway,
            macAddress: (index == 0 ? request.macAddress : nil) ?? Self.mac(for: address), mtu: network.linkMTU, interface: "eth\(index)",
            hostInterface: index == 0 ? "veth" + id.prefix(11) : "veth\(id.prefix(8))-\(index)",
            aliases: endpoint.aliases, ports: [])
        if index == 0 {
            do {
                attachment.ports = try request.ports.map { (port) throws(SwiftrunError) in try port.reserved() }
            } catch {
                AddressPool(store: store, network: network).release(address, for: owner)
                throw error
            }
        }
        narrator?.parent(
            "address", "\(address)/\(network.subnet.prefix) on \(network.name) (\(network.bridge)), gateway \(network.gateway)",
            why: "IPAM: a file per address, created with O_EXCL, so no two containers share one", manual: "open(2)",
            data: [
                "network": .string(network.name), "bridge": .string(network.bridge), "address": .string("\(address)/\(network.subnet.prefix)"),
                "gateway": .string(network.gateway.description), "subnet": .string(network.subnet.description),
                "nat": .bool(!network.isInternal)
            ])
        return (attachment, bridgeIndex)
    }

    /// On a user network, the container's names go to its DNS server.
    func announce(_ attachment: NetworkAttachment, id: String, name: String, narrator: Narrator?) throws(SwiftrunError) {
        guard let network = try? store.find(attachment.network), network.id == attachment.networkID, network.resolvesNames else { return }
        try NameServer(lockPath: store.lock).add(
            .init(container: id, address: attachment.ipAddress, names: [name] + attachment.aliases + [ContainerID.short(id)]), to: network)
        narrator?.parent(
            "dns", "\(name) -> \(attachment.ipAddress) in \(NameServer.directory)/\(network.name); aardvark-dns answers on \(network.gateway):53",
            why: "on a user network, containers find each other by name", manual: "resolv.conf(5)")
    }

    /// Connect, once the child exists in its new network namespace and
    /// before it reaches eth0: the veth pairs, born with their peers
    /// already in that namespace, and the published ports. Everything goes
    /// in by an fd of it: `madeAhead` (NetworkNamespaceAhead), which the
    /// child may not have joined yet, or else the one pid's clone3 made.
    func connect(_ plan: Plan, id: String, pid: pid_t, madeAhead: Int32?, narrator: Narrator?) throws(SwiftrunError) {
        guard !plan.attachments.isEmpty else { return }
        let opened = try madeAhead == nil ? Syscall.check("open /proc/\(pid)/ns/net") { open("/proc/\(pid)/ns/net", O_RDONLY | O_CLOEXEC) } : -1
        defer { if opened >= 0 { close(opened) } }
        let netns = madeAhead ?? opened
        let socket = try Syscall.check("netlink socket") { sr_netlink_open() }
        defer { close(socket) }
        for (attachment, bridgeIndex) in zip(plan.attachments, plan.bridgeIndexes) {
            let mac = NetworkRequest.macBytes(attachment.macAddress) ?? [2, 0x42, 0, 0, 0, 0]
            try Syscall.check("create veth \(attachment.hostInterface)") { () -> Int32 in
                let add = { sr_netlink_add_veth_in(socket, attachment.hostInterface, bridgeIndex, UInt32(attachment.mtu), attachment.interface, netns, mac) }
                // The name is this container's: taken at a start, it is the
                // pair of its last run, whose namespace the kernel has not
                // yet torn down (detach leaves that to it). It goes now.
                let added = add()
                guard added < 0 && errno == EEXIST else { return added }
                let stale = sr_link_index(attachment.hostInterface)
                if stale >= 0 { _ = sr_netlink_delete_link(socket, stale) }
                return add()
            }
            narrator?.parent(
                "veth", "\(attachment.hostInterface) on \(attachment.bridge) <-> \(attachment.interface) (\(attachment.macAddress)) in pid \(pid)'s namespace",
                why: "one cable: one end on the host's bridge, the other inside the container", manual: "veth(4)",
                data: [
                    "host": .string(attachment.hostInterface), "container": .string(attachment.interface),
                    "mac": .string(attachment.macAddress), "bridge": .string(attachment.bridge)
                ])
        }
        for attachment in plan.attachments.dropFirst() { try configure(attachment, in: netns, route: false, narrator: narrator) }
        try publish(plan.attachments[0], id: id, narrator: narrator)
    }

    /// eth1... from outside: the child configures only eth0.
    func configure(_ attachment: NetworkAttachment, in netns: Int32, route: Bool, narrator: Narrator?) throws(SwiftrunError) {
        try Syscall.check("configure \(attachment.interface)") {
            sr_netlink_configure_in(
                netns, attachment.interface, attachment.ipAddress.networkOrder, Int32(attachment.prefix),
                route ? attachment.gateway.networkOrder : 0)
        }
        narrator?.parent(
            "configure \(attachment.interface)",
            "RTM_NEWADDR \(attachment.ipAddress)/\(attachment.prefix); RTM_NEWLINK IFF_UP"
                + (route ? "; RTM_NEWROUTE default via \(attachment.gateway)" : ""),
            why: "from the host, through a netlink socket opened inside the container's namespace", manual: "setns(2)")
    }

    /// The first network's published ports. network.json lists the ports
    /// before they are published, so a crash in between leaves nothing
    /// teardown does not know of. A port another container holds is
    /// dropped from the list first: teardown deletes by key, and must not
    /// delete that container's entry.
    func publish(_ attachment: NetworkAttachment, id: String, narrator: Narrator?) throws(SwiftrunError) {
        guard !attachment.ports.isEmpty else { return }
        // Under the networks' lock: 0.0.0.0:P and ADDRESS:P are different
        // keys, so only a check then an add, alone, keeps them exclusive.
        try StoreLock.withLock(store.lock) { () throws(SwiftrunError) in try publishExclusively(attachment, id: id) }
        narrator?.parent(
            "ports", attachment.ports.map(\.description).joined(separator: ", "),
            why: "DNAT in table \(Firewall.table): the host's port leads to the container's", manual: "nft(8)",
            data: ["ports": .array(attachment.ports.map { .string($0.description) })])
    }

    private func publishExclusively(_ attachment: NetworkAttachment, id: String) throws(SwiftrunError) {
        for (index, port) in attachment.ports.enumerated() {
            do throws(SwiftrunError) {
                guard !Firewall.isTaken(port) else { throw .system("publish \(port.description)", errno: EEXIST) }
                try Firewall.publish(port, to: attachment.ipAddress)
            } catch {
                var saved = attachments(id)
                if let position = saved.firstIndex(where: { $0.interface == attachment.interface }) {
                    saved[position].ports = Array(attachment.ports[..<index])
                }
                try save(saved, id: id)
                guard case .system(_, EEXIST) = error else { throw error }
                let host = "\(port.hostIP.map(String.init(describing:)) ?? "0.0.0.0"):\(port.hostPort)"
                throw .invalidArgument("Bind for \(host) failed: port is already allocated")
            }
        }
    }

    /// Detach: every network's published ports, veth and address. Each
    /// step is idempotent, so recovery may run it again after a crash part-way.
    func detach(_ id: String) {
        guard FileSystem.exists(attachmentPath(id)) else { return }
        // The veth pairs die with the container's namespace, in the
        // kernel's own time: deleting them here would cost a grace period
        // (about 25 ms) on every exit. Only a namespace that containers
        // joined with container:ID outlives pid 1, and then the links go
        // now, so the addresses freed below are not still on the wire.
        let shared = FileSystem.exists(sharedMarkerPath(id))
        for attachment in attachments(id) { release(attachment, id: id, deleteLink: shared) }
        unlink(attachmentPath(id))
    }

    /// Recovery, for a container killed while it attached: an address it
    /// claimed before network.json named it is found by its owner file.
    func releaseClaims(of id: String) {
        for network in (try? store.all()) ?? [] { AddressPool(store: store, network: network).release(container: id) }
    }

    /// One network's part of a detach.
    func release(_ attachment: NetworkAttachment, id: String, deleteLink: Bool) {
        attachment.ports.forEach(Firewall.unpublish)
        let index = deleteLink ? sr_link_index(attachment.hostInterface) : -1
        if index >= 0 {
            let socket = sr_netlink_open()
            if socket >= 0 {
                _ = sr_netlink_delete_link(socket, index)
                close(socket)
            }
        }
        if let network = try? store.find(attachment.network), network.id == attachment.networkID {
            if network.resolvesNames { NameServer(lockPath: store.lock).remove(container: id, from: network) }
            AddressPool(store: store, network: network).release(
                attachment.ipAddress, for: .init(root: layout.root, container: id))
        }
    }

    /// The attachments while the container runs (inspect, port), eth0
    /// first. A network.json of one object is from before multiple networks.
    package func attachments(_ id: String) -> [NetworkAttachment] {
        guard let bytes = try? FileSystem.readFile(attachmentPath(id)) else { return [] }
        if let list = try? JSON.decode([NetworkAttachment].self, from: bytes, path: attachmentPath(id)) { return list }
        return (try? JSON.decode(NetworkAttachment.self, from: bytes, path: attachmentPath(id))).map { [$0] } ?? []
    }

    func save(_ attachments: [NetworkAttachment], id: String) throws(SwiftrunError) {
        try FileSystem.writeAtomically(try JSON.encode(attachments), to: attachmentPath(id), durable: false)
    }

    /// container:NAME: that container's pid 1, pinned, and checked to be
    /// still the one its monitor started.
    private func runningPid1(of key: String) throws(SwiftrunError) -> PinnedPid1 {
        let containers = ContainerStore(layout: layout)
        let target = try containers.find(key)
        guard target.isActive, target.status == .running else {
            throw .invalidArgument("cannot join network of a non running container: \(key)")
        }
        guard let pinned = PinnedPid1(target) else {
            throw .invalidArgument("cannot join network of a non running container: \(key)")
        }
        return pinned
    }

    /// Docker's MAC: 02:42 and the four bytes of the address.
    static func mac(for address: IPv4Address) -> String {
        let bytes: [UInt8] = [2, 0x42] + [24, 16, 8, 0].map { (shift: UInt32) in UInt8(truncatingIfNeeded: address.value >> shift) }
        return bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: ":")
    }

    /// hosts, hostname and resolv.conf in the container's dir, made anew at
    /// each start (the address may change). container:NAME uses that
    /// container's own (RuntimeSpec+Build binds them). Written in place: no
    /// one reads them until the container that binds them starts.
    func writeEtcFiles(_ request: NetworkRequest, id: String, hostname: String, addresses: [IPv4Address]) throws(SwiftrunError) {
        if case .container = request.kind { return }
        let hostResolv = String(decoding: (try? FileSystem.readFile("/etc/resolv.conf")) ?? [], as: UTF8.self)
        let hosts: String
        let resolv: String
        if request.kind == .host {
            hosts = String(decoding: (try? FileSystem.readFile("/etc/hosts")) ?? [], as: UTF8.self)
            resolv = EtcFiles.resolvConf(host: hostResolv, dns: request.dns, fallback: [], keepLoopback: true)
        } else {
            let network = modeNetwork(request)
            hosts = hostsFile(request, network: network, hostname: hostname, addresses: addresses)
            // A user network's own server (aardvark-dns on the gateway) knows
            // the containers' names and forwards the rest.
            if let network, network.resolvesNames {
                var dns = request.dns
                if dns.servers.isEmpty { dns.servers = [network.gateway.description] }
                resolv = EtcFiles.resolvConf(host: hostResolv, dns: dns, fallback: [], keepLoopback: false)
            } else {
                resolv = EtcFiles.resolvConf(host: hostResolv, dns: request.dns, fallback: EtcFiles.publicResolvers, keepLoopback: false)
            }
        }
        try FileSystem.writeInPlace(Array(hosts.utf8), to: etcPath(id, "hosts"))
        try FileSystem.writeInPlace(Array((hostname + "\n").utf8), to: etcPath(id, "hostname"))
        try FileSystem.writeInPlace(Array(resolv.utf8), to: etcPath(id, "resolv.conf"))
    }

    /// `network connect` and `disconnect` while the container runs: its
    /// /etc/hosts lists its addresses. Rewritten in place, because the
    /// container's bind mount holds this inode; a rename would go unseen.
    func rewriteHosts(_ request: NetworkRequest, id: String, hostname: String, addresses: [IPv4Address]) throws(SwiftrunError) {
        let hosts = hostsFile(request, network: modeNetwork(request), hostname: hostname, addresses: addresses)
        try FileSystem.writeInPlace(Array(hosts.utf8), to: etcPath(id, "hosts"))
    }

    /// The network --network named: its gateway is host-gateway, its DNS
    /// server the container's.
    private func modeNetwork(_ request: NetworkRequest) -> NetworkDefinition? {
        if case let .network(name) = request.kind { try? store.find(name) } else { nil }
    }

    private func hostsFile(_ request: NetworkRequest, network: NetworkDefinition?, hostname: String, addresses: [IPv4Address]) -> String {
        let extra = request.extraHosts.map { entry in
            let colon = entry.lastIndex(of: ":")!
            let value = String(entry[entry.index(after: colon)...])
            return (String(entry[..<colon]), value == "host-gateway" ? network.map(\.gateway.description) ?? "127.0.0.1" : value)
        }
        return EtcFiles.hosts(hostname: hostname, addresses: addresses, extraHosts: extra)
    }
}

extension ContainerStore {
    /// `port`: a running container's published ports, as chosen at its
    /// start; none once it has stopped (Docker's rule).
    public func publishedPorts(_ key: String) throws(SwiftrunError) -> (ContainerState, [PublishedPort]) {
        let state = try find(key)
        guard state.isActive else { return (state, []) }
        return (state, ContainerNetwork(layout: layout).attachments(state.id).first?.ports ?? [])
    }
}
