import ArgumentParser
import SwiftrunCore

/// run's network flags, as Docker spells them.
struct NetworkFlags: ParsableArguments {
    @Option(name: [.customLong("network"), .customLong("net")], help: "bridge (default), none, host, container:NAME, or a network's name.")
    var network: String?

    @Option(name: [.customShort("p"), .customLong("publish")], help: "Publish a port: [IP:][HOSTPORT:]CONTAINERPORT[/tcp|/udp].")
    var publish: [String] = []

    @Flag(name: [.customShort("P"), .customLong("publish-all")], help: "Publish every EXPOSEd port to a random host port.")
    var publishAll = false

    @Option(name: .customLong("ip"), help: "The container's IPv4 address on its network.")
    var ip: String?

    @Option(name: .customLong("mac-address"), help: "The container's MAC address (02:42:ac:11:00:02).")
    var macAddress: String?

    @Option(name: [.customLong("network-alias"), .customLong("net-alias")], help: "Another name for the container on its network.")
    var aliases: [String] = []

    @Option(name: .customLong("dns"), help: "A DNS server for the container's resolv.conf.")
    var dns: [String] = []

    @Option(name: .customLong("dns-search"), help: "A DNS search domain (\".\" for none).")
    var dnsSearch: [String] = []

    @Option(name: .customLong("dns-option"), help: "A resolv.conf option.")
    var dnsOptions: [String] = []

    @Option(name: .customLong("add-host"), help: "An /etc/hosts line: NAME:IP (IP may be host-gateway).")
    var addHosts: [String] = []

    static let optionsWithValues: Set<String> = [
        "--network", "--net", "-p", "--publish", "--ip", "--mac-address", "--network-alias", "--net-alias",
        "--dns", "--dns-search", "--dns-option", "--add-host"
    ]

    func request() throws(SwiftrunError) -> NetworkRequest {
        var request = NetworkRequest()
        if let network { request.mode = network }
        for text in publish { request.ports += try PublishedPort.parse(text) }
        if let ip {
            guard let address = IPv4Address(ip) else { throw .invalidArgument("invalid IPv4 address: \(ip)") }
            request.ipAddress = address
        }
        request.macAddress = macAddress
        request.aliases = aliases
        for server in dns where IPv4Address(server) == nil {
            throw .invalidArgument("\(server) is not an ip address")
        }
        request.dns = DNSOptions(servers: dns, search: dnsSearch, options: dnsOptions)
        request.extraHosts = addHosts
        return request
    }
}
