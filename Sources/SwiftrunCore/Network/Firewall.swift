import CShims
import Glibc
import Synchronization

/// swiftrun's nftables table, `ip swiftrun`: NAT out of each network,
/// isolation between networks, and the published ports. The rules are
/// fixed; what changes per network and per container are set and map
/// elements, added and deleted by key, so no rule handle is ever tracked
/// and nothing of another tool's tables (Docker's, podman's) is touched.
///
/// Published ports are DNAT in the kernel, not a proxy process: the host's
/// own 127.0.0.1 reaches a container because each bridge has
/// route_localnet on and loopback sources are masqueraded onto it.
enum Firewall {
    static let table = "ip swiftrun"

    /// The whole table, made once per boot (when the first bridge comes up).
    static let ruleset = """
        table ip swiftrun {
            set bridges { type ifname; }
            set internal { type ifname; }
            set same_bridge { type ifname . ifname; }
            set nat_subnets { type ipv4_addr; flags interval; }
            map published { type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service; }
            map published_any { type inet_proto . inet_service : ipv4_addr . inet_service; }
            chain publish {
                dnat ip to ip daddr . meta l4proto . th dport map @published
                dnat ip to meta l4proto . th dport map @published_any
            }
            chain prerouting {
                type nat hook prerouting priority dstnat; policy accept;
                fib daddr type local jump publish
            }
            chain output {
                type nat hook output priority -100; policy accept;
                fib daddr type local jump publish
            }
            chain postrouting {
                type nat hook postrouting priority srcnat; policy accept;
                ip saddr 127.0.0.0/8 oifname @bridges masquerade
                ip saddr @nat_subnets oifname != @bridges masquerade
                ct status dnat oifname @bridges ip saddr @nat_subnets masquerade
            }
            chain forward {
                type filter hook forward priority filter; policy accept;
                iifname . oifname @same_bridge accept
                iifname @bridges oifname @bridges drop
                iifname @internal drop
                oifname @internal drop
            }
        }
        """

    // Within a bridge, frames are switched and never reach the forward
    // hook, unless br_netfilter is loaded (Docker loads it); same_bridge
    // (each bridge paired with itself) keeps that traffic flowing then,
    // since nft cannot compare iifname with oifname directly.

    /// Runs nft commands; nft's own message on failure.
    @discardableResult
    static func run(_ commands: String) throws(FirewallError) -> String {
        var output = [CChar](repeating: 0, count: 1 << 16)
        var error = [CChar](repeating: 0, count: 4096)
        let rc = sr_nft_run(commands, &output, output.count, &error, error.count)
        guard rc == 0 else {
            throw FirewallError(commands: commands, message: Self.string(error).trimmedWhitespace)
        }
        return Self.string(output)
    }

    private static func string(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Creates the table unless it is there.
    static func ensureTable() throws(FirewallError) {
        if (try? run("list table \(table)")) != nil { return }
        try run(ruleset)
    }

    /// One nfnetlink socket for the process, opened on first use and kept
    /// to the end. The last close of a socket after a commit waits for
    /// nf_tables to free what the commit replaced or deleted, an RCU grace
    /// period later (its release notifier flushes that work): 5-8 ms at
    /// the exit of every `run --rm -p`, after the container's exit. So at
    /// exit a forked child makes that close (sr_close_in_child) and waits
    /// instead of us.
    /// The API service connects and disconnects containers from several
    /// threads: the first to open it keeps it, a loser closes its own.
    private static var socket: Int32 {
        let current = openSocket.load(ordering: .acquiring)
        if current >= 0 { return current }
        let fresh = sr_nft_open()
        let (won, kept) = openSocket.compareExchange(expected: -1, desired: fresh, ordering: .acquiringAndReleasing)
        if won {
            if fresh >= 0 { atexit { Firewall.handOffSocket() } }
            return fresh
        }
        close(fresh)
        return kept
    }

    private static func handOffSocket() {
        let fd = openSocket.exchange(-1, ordering: .acquiringAndReleasing)
        if fd >= 0 { sr_close_in_child(fd) }
    }
    private static let openSocket = Atomic<Int32>(-1)

    /// For a process that has just closed the fds it inherited (a detached
    /// container's monitor, forked after `run -d` checked its ports): the
    /// socket's number may now be nothing, or another file. The next use
    /// opens a socket of its own.
    static func forgetInheritedSocket() { openSocket.store(-1, ordering: .releasing) }

    /// A published port's DNAT entry, added straight over nfnetlink
    /// (CShims/netlink.c): one round trip, where nft would parse and read
    /// the ruleset first. EEXIST: another container has that host port.
    static func publish(_ port: PublishedPort, to container: IPv4Address) throws(SwiftrunError) {
        let key = port.key
        let value = port.value(to: container)
        try Syscall.check("add \(port.description) to map \(port.map) of table \(table)") {
            sr_nft_set_element(socket, 1, "swiftrun", port.map, key, key.count, value, value.count)
        }
    }

    /// Whether another container has published this host port, as Docker's
    /// proxy would find it bound: 0.0.0.0:P clashes with P on each of the
    /// host's addresses, and an address's P with 0.0.0.0:P. A missing
    /// table holds nothing.
    static func isTaken(_ port: PublishedPort) -> Bool {
        var candidates = [PublishedPort](repeating: port, count: 1)
        candidates[0].hostIP = nil
        for address in port.hostIP.map({ [$0] }) ?? HostRoutes.localAddresses() {
            var specific = port
            specific.hostIP = address
            candidates.append(specific)
        }
        return candidates.contains { candidate in
            let key = candidate.key
            return sr_nft_has_element(socket, "swiftrun", candidate.map, key, key.count) == 1
        }
    }

    /// Deletes the entry; one that is not there is not an error.
    static func unpublish(_ port: PublishedPort) {
        let key = port.key
        _ = sr_nft_set_element(socket, 0, "swiftrun", port.map, key, key.count, nil, 0)
    }

    static func deleteTable() {
        _ = try? run("delete table \(table)")
    }
}

struct FirewallError: Error {
    let commands: String
    let message: String

    var asSwiftrunError: SwiftrunError {
        let first = commands.split(separator: "\n").first.map(String.init) ?? commands
        return .invalidArgument("nftables: \(first): \(message)")
    }
}
