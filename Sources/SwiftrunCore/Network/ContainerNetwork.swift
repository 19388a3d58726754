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
    /// The host's end of the veth pair (the container's is eth0).
    public var hostInterface: String
    public var aliases: [String]
    /// Host ports as chosen at this start.
    public var ports: [PublishedPort]
}

/// The network part of the phases, for every --network mode:
///   attach   (start, before clone3)  the bridge, an address, network.json, /etc files
///   connect  (start, after the go byte, while the child mounts; it waits
///            for a second byte before eth0)  the veth into the child's
///            namespace, the published ports
///   detach   (delete, after each exit)  ports, veth, address; idempotent
/// The child itself configures eth0 (CShims/child.c, configure_eth0).
struct ContainerNetwork {
    let layout: StoreLayout
    let store: NetworkStore

    init(layout: StoreLayout, store: NetworkStore = NetworkStore()) {
        self.layout = layout
        self.store = store
    }

    func attachmentPath(_ id: String) -> String { layout.container(id) + "/network.json" }
    /// Left in a container's dir when another joins its network namespace.
    func sharedMarkerPath(_ id: String) -> String { layout.container(id) + "/network-shared" }
    func etcPath(_ id: String, _ name: String) -> String { layout.container(id) + "/" + name }

    /// What the child and `connect` need of one start.
    struct Plan {
        var attachment: NetworkAttachment?
        var bridgeIndex: Int32 = -1
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

    /// Attach, before clone3. On failure, whatever was taken is given back.
    func attach(_ request: NetworkRequest, id: String, name: String, hostname: String, narrator: Narrator?) throws(SwiftrunError) -> Plan {
        var plan = Plan()
        do {
            switch request.kind {
            case let .network(networkName):
                let network = try store.find(networkName)
                plan.bridgeIndex = try NetworkBridge(network: network).ensure(lockPath: store.lock) {
                    narrator?.parent("bridge", $0, why: "the network's switch on the host, made on first use", manual: "rtnetlink(7)")
                }
                let previous = try? JSON.decode(NetworkAttachment.self, from: FileSystem.readFile(attachmentPath(id)), path: attachmentPath(id))
                let owner = AddressPool.Owner(root: layout.root, container: id)
                let address = try AddressPool(store: store, network: network).allocate(
                    for: owner, preferred: request.ipAddress ?? previous?.ipAddress, required: request.ipAddress != nil)
                var attachment = NetworkAttachment(
                    network: network.name, networkID: network.id, bridge: network.bridge, ipAddress: address,
                    prefix: network.subnet.prefix, gateway: network.gateway,
                    macAddress: request.macAddress ?? Self.mac(for: address), hostInterface: "veth" + id.prefix(11),
                    aliases: request.aliases, ports: [])
                // Saved once, ports chosen: reserving them makes no kernel object.
                attachment.ports = try request.ports.map { (port) throws(SwiftrunError) in try port.reserved() }
                try save(attachment, id: id)
                if network.resolvesNames {
                    try NameServer(lockPath: store.lock).add(
                        .init(container: id, address: address, names: [name] + request.aliases + [ContainerID.short(id)]), to: network)
                    narrator?.parent(
                        "dns", "\(name) -> \(address) in \(NameServer.directory)/\(network.name); aardvark-dns answers on \(network.gateway):53",
                        why: "on a user network, containers find each other by name", manual: "resolv.conf(5)")
                }
                narrator?.parent(
                    "address", "\(address)/\(network.subnet.prefix) on \(network.name) (\(network.bridge)), gateway \(network.gateway)",
                    why: "IPAM: a file per address, created with O_EXCL, so no two containers share one", manual: "open(2)")
                plan.attachment = attachment
            case let .container(key):
                let pinned = try runningPid1(of: key)
                plan.joinPidFD = pinned.fd
                let target = try ContainerStore(layout: layout).find(key)
                try FileSystem.writeAtomically([], to: sharedMarkerPath(target.id), durable: false)
            case .none, .host: break
            }
            try writeEtcFiles(request, id: id, hostname: hostname, address: plan.attachment?.ipAddress)
        } catch {
            detach(id)
            throw error
        }
        return plan
    }

    /// Connect, once the child exists in its new network namespace and
    /// before it reaches eth0: the veth pair, born with its peer (eth0)
    /// already in the child's namespace, and the published ports.
    func connect(_ plan: Plan, id: String, pid: pid_t, narrator: Narrator?) throws(SwiftrunError) {
        guard let attachment = plan.attachment else { return }
        let socket = try Syscall.check("netlink socket") { sr_netlink_open() }
        defer { close(socket) }
        let mac = NetworkRequest.macBytes(attachment.macAddress) ?? [2, 0x42, 0, 0, 0, 0]
        try Syscall.check("create veth \(attachment.hostInterface)") {
            sr_netlink_add_veth(socket, attachment.hostInterface, plan.bridgeIndex, "eth0", pid, mac)
        }
        narrator?.parent(
            "veth", "\(attachment.hostInterface) on \(attachment.bridge) <-> eth0 (\(attachment.macAddress)) in pid \(pid)'s namespace",
            why: "one cable: one end on the host's bridge, the other inside the container", manual: "veth(4)")
        guard !attachment.ports.isEmpty else { return }
        // network.json lists the ports before they are published, so a
        // crash in between leaves nothing teardown does not know of. A port
        // another container holds is dropped from the list first: teardown
        // deletes by key, and must not delete that container's entry.
        for (index, port) in attachment.ports.enumerated() {
            do {
                try Firewall.publish(port, to: attachment.ipAddress)
            } catch {
                var published = attachment
                published.ports = Array(attachment.ports[..<index])
                try save(published, id: id)
                guard case .system(_, EEXIST) = error else { throw error }
                let host = "\(port.hostIP.map(String.init(describing:)) ?? "0.0.0.0"):\(port.hostPort)"
                throw .invalidArgument("Bind for \(host) failed: port is already allocated")
            }
        }
        narrator?.parent(
            "ports", attachment.ports.map(\.description).joined(separator: ", "),
            why: "DNAT in table \(Firewall.table): the host's port leads to the container's", manual: "nft(8)")
    }

    /// Detach: the published ports, the host's veth end (gone already when
    /// the namespace died with the container, unless another container
    /// shares it), and the address. Each step is idempotent, so recovery
    /// may run it again after a crash part-way.
    func detach(_ id: String) {
        guard let bytes = try? FileSystem.readFile(attachmentPath(id)),
            let attachment = try? JSON.decode(NetworkAttachment.self, from: bytes, path: attachmentPath(id))
        else {
            for network in (try? store.all()) ?? [] { AddressPool(store: store, network: network).release(container: id) }
            return
        }
        attachment.ports.forEach(Firewall.unpublish)
        // The veth pair dies with the container's namespace, in the
        // kernel's own time: deleting it here would cost a grace period
        // (about 25 ms) on every exit. Only a namespace that containers
        // joined with container:ID outlives pid 1, and then the link goes
        // now, so the address freed below is not still on the wire.
        let index = FileSystem.exists(sharedMarkerPath(id)) ? sr_link_index(attachment.hostInterface) : -1
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
        unlink(attachmentPath(id))
    }

    /// The attachment while the container runs (inspect, port).
    func attachment(_ id: String) -> NetworkAttachment? {
        guard let bytes = try? FileSystem.readFile(attachmentPath(id)) else { return nil }
        return try? JSON.decode(NetworkAttachment.self, from: bytes, path: attachmentPath(id))
    }

    private func save(_ attachment: NetworkAttachment, id: String) throws(SwiftrunError) {
        try FileSystem.writeAtomically(try JSON.encode(attachment), to: attachmentPath(id), durable: false)
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
    /// container's own (RuntimeSpec+Build binds them).
    private func writeEtcFiles(_ request: NetworkRequest, id: String, hostname: String, address: IPv4Address?) throws(SwiftrunError) {
        if case .container = request.kind { return }
        let hostResolv = String(decoding: (try? FileSystem.readFile("/etc/resolv.conf")) ?? [], as: UTF8.self)
        let hosts: String
        let resolv: String
        if request.kind == .host {
            hosts = String(decoding: (try? FileSystem.readFile("/etc/hosts")) ?? [], as: UTF8.self)
            resolv = EtcFiles.resolvConf(host: hostResolv, dns: request.dns, fallback: [], keepLoopback: true)
        } else {
            let network: NetworkDefinition? =
                if case let .network(name) = request.kind { try? store.find(name) } else { nil }
            let gateway = network?.gateway
            let extra = request.extraHosts.map { entry in
                let colon = entry.lastIndex(of: ":")!
                let value = String(entry[entry.index(after: colon)...])
                return (String(entry[..<colon]), value == "host-gateway" ? gateway.map(String.init(describing:)) ?? "127.0.0.1" : value)
            }
            hosts = EtcFiles.hosts(hostname: hostname, address: address, extraHosts: extra)
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
        try FileSystem.writeAtomically(Array(hosts.utf8), to: etcPath(id, "hosts"), durable: false)
        try FileSystem.writeAtomically(Array((hostname + "\n").utf8), to: etcPath(id, "hostname"), durable: false)
        try FileSystem.writeAtomically(Array(resolv.utf8), to: etcPath(id, "resolv.conf"), durable: false)
    }
}

extension ContainerStore {
    /// `port`: a running container's published ports, as chosen at its
    /// start; none once it has stopped (Docker's rule).
    public func publishedPorts(_ key: String) throws(SwiftrunError) -> (ContainerState, [PublishedPort]) {
        let state = try find(key)
        guard state.isActive else { return (state, []) }
        return (state, ContainerNetwork(layout: layout).attachment(state.id)?.ports ?? [])
    }
}
