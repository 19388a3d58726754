import SwiftrunCore

/// run's network flags, as Docker spells them.
struct NetworkFlags: ParsableArguments {
    @Option("--network", "--net", help: "bridge (default), none, host, container:NAME, or a network's name.")
    var network: String?

    @Option("-p", "--publish", help: "Publish a port: [IP:][HOSTPORT:]CONTAINERPORT[/tcp|/udp].")
    var publish: [String] = []

    @Flag("-P", "--publish-all", help: "Publish every EXPOSEd port to a random host port.")
    var publishAll = false

    @Option("--ip", help: "The container's IPv4 address on its network.")
    var ip: String?

    @Option("--mac-address", help: "The container's MAC address (02:42:ac:11:00:02).")
    var macAddress: String?

    @Option("--network-alias", "--net-alias", help: "Another name for the container on its network.")
    var aliases: [String] = []

    @Option("--dns", help: "A DNS server for the container's resolv.conf.")
    var dns: [String] = []

    @Option("--dns-search", help: "A DNS search domain (\".\" for none).")
    var dnsSearch: [String] = []

    @Option("--dns-option", help: "A resolv.conf option.")
    var dnsOptions: [String] = []

    @Option("--add-host", help: "An /etc/hosts line: NAME:IP (IP may be host-gateway).")
    var addHosts: [String] = []

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
