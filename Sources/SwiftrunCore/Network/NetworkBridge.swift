import CShims
import Glibc

/// A network's bridge on the host: made when its first container starts
/// (after a boot, the default network's too), with the gateway's address,
/// routing and NAT switched on, and the network entered in the firewall
/// table. Later containers find it up and pay one ioctl.
struct NetworkBridge {
    let network: NetworkDefinition

    /// The bridge's ifindex, creating and configuring it if it is missing.
    func ensure(lockPath: String, narrate: (String) -> Void = { _ in }) throws(SwiftrunError) -> Int32 {
        let existing = sr_link_index(network.bridge)
        if existing >= 0 && hasItsOwnMAC { return existing }
        return try StoreLock.withLock(lockPath) { () throws(SwiftrunError) -> Int32 in
            let index = sr_link_index(network.bridge)
            guard index >= 0 else { return try create(narrate: narrate) }
            // Made before bridges had a MAC of their own: give it one now.
            if !hasItsOwnMAC {
                let socket = try Syscall.check("netlink socket") { sr_netlink_open() }
                defer { close(socket) }
                try Syscall.check("set the MAC of \(network.bridge)") { sr_netlink_set_address(socket, index, mac) }
            }
            return index
        }
    }

    /// Docker's scheme, 02:42 and the gateway's four bytes. A bridge
    /// without a MAC of its own takes its lowest port's, which changes as
    /// containers come and go; their ARP caches then hold a gateway MAC the
    /// bridge no longer answers to, and replies through the gateway are
    /// lost until the entry expires.
    private var mac: [UInt8] { NetworkRequest.macBytes(ContainerNetwork.mac(for: network.gateway)) ?? [2, 0x42, 0, 0, 0, 1] }

    /// The kernel says how the bridge got its MAC: 3 is "set" (by us).
    private var hasItsOwnMAC: Bool {
        (try? FileSystem.readFile("/sys/class/net/\(network.bridge)/addr_assign_type", limit: 16)) == Array("3\n".utf8)
    }

    private func create(narrate: (String) -> Void) throws(SwiftrunError) -> Int32 {
        let socket = try Syscall.check("netlink socket") { sr_netlink_open() }
        defer { close(socket) }
        try Syscall.check("create bridge \(network.bridge)") { sr_netlink_add_bridge(socket, network.bridge, UInt32(network.linkMTU), mac) }
        let index = try Syscall.check("find bridge \(network.bridge)") { sr_link_index(network.bridge) }
        do {
            let prefix = Int32(network.subnet.prefix)
            try Syscall.check("add \(network.gateway)/\(prefix) to \(network.bridge)") {
                sr_netlink_add_address(socket, index, network.gateway.networkOrder, prefix)
            }
            try Syscall.check("bring up \(network.bridge)") { sr_netlink_link_up(socket, index) }
            narrate("RTM_NEWLINK \(network.bridge) type bridge; RTM_NEWADDR \(network.gateway)/\(prefix); IFF_UP")
            // 127.0.0.1 may be routed onto the bridge: published ports answer on the host's loopback.
            try FileSystem.writeString("1", to: "/proc/sys/net/ipv4/conf/\(network.bridge)/route_localnet")
            if !network.isInternal { try FileSystem.writeString("1", to: "/proc/sys/net/ipv4/ip_forward") }
            try register()
            narrate("nft: \(network.bridge) in table \(Firewall.table)" + (network.isInternal ? ", internal" : ", NAT for \(network.subnet)"))
        } catch {
            _ = sr_netlink_delete_link(socket, index)
            throw error
        }
        return index
    }

    private func register() throws(SwiftrunError) {
        let name = "\"\(network.bridge)\""
        var commands = [
            "add element \(Firewall.table) bridges { \(name) }",
            "add element \(Firewall.table) same_bridge { \(name) . \(name) }"
        ]
        commands.append(
            network.isInternal
                ? "add element \(Firewall.table) internal { \(name) }"
                : "add element \(Firewall.table) nat_subnets { \(network.subnet) }")
        do {
            try Firewall.ensureTable()
            try Firewall.run(commands.joined(separator: "\n"))
        } catch {
            throw error.asSwiftrunError
        }
    }

    /// `network rm`: the bridge and its firewall entries. Each is deleted
    /// by key, and a missing one is not an error, so a second run finishes
    /// what a killed first one began.
    func remove() throws(SwiftrunError) {
        let name = "\"\(network.bridge)\""
        for element in [
            "bridges { \(name) }", "same_bridge { \(name) . \(name) }",
            network.isInternal ? "internal { \(name) }" : "nat_subnets { \(network.subnet) }"
        ] {
            _ = try? Firewall.run("delete element \(Firewall.table) \(element)")
        }
        let index = sr_link_index(network.bridge)
        guard index >= 0 else { return }
        let socket = try Syscall.check("netlink socket") { sr_netlink_open() }
        defer { close(socket) }
        try Syscall.check("delete bridge \(network.bridge)") { sr_netlink_delete_link(socket, index) }
    }
}
