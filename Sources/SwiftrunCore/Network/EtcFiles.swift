/// The three files Docker gives every container, kept in the container's
/// dir and bound over /etc/hosts, /etc/hostname and /etc/resolv.conf
/// (RuntimeSpec+Build), so the image's own are untouched.
enum EtcFiles {
    /// The container's path of each file, and its name in the container's dir.
    static let files = [("/etc/hosts", "hosts"), ("/etc/hostname", "hostname"), ("/etc/resolv.conf", "resolv.conf")]
    /// Docker's servers for a container when the host has only loopback ones.
    static let publicResolvers = [IPv4Address(0x0808_0808), IPv4Address(0x0808_0404)]

    /// Docker's /etc/hosts: localhost, the IPv6 names, --add-host lines,
    /// then the container's own addresses (one per network) with its
    /// hostname (127.0.0.1 when it has none, as with --network none).
    static func hosts(hostname: String, addresses: [IPv4Address], extraHosts: [(String, String)]) -> String {
        var lines = [
            "127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback", "fe00::0\tip6-localnet",
            "ff00::0\tip6-mcastprefix", "ff02::1\tip6-allnodes", "ff02::2\tip6-allrouters"
        ]
        lines += extraHosts.map { "\($0.1)\t\($0.0)" }
        lines += (addresses.isEmpty ? ["127.0.0.1"] : addresses.map(\.description)).map { "\($0)\t\(hostname)" }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The host's resolv.conf, with what a container cannot use replaced:
    /// loopback servers (a resolver on the host's 127.0.0.53 is not in the
    /// container's namespace) give way to `fallback` (the network's own
    /// DNS), and --dns, --dns-search and --dns-option replace their lines.
    static func resolvConf(host: String, dns: DNSOptions, fallback: [IPv4Address], keepLoopback: Bool) -> String {
        var servers: [String] = []
        var search: [String] = []
        var options: [String] = []
        for line in host.split(separator: "\n") {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let keyword = words.first else { continue }
            switch keyword {
            case "nameserver" where words.count > 1:
                if keepLoopback || !(words[1].hasPrefix("127.") || words[1] == "::1") { servers.append(words[1]) }
            case "search", "domain": search = Array(words.dropFirst())
            case "options": options += words.dropFirst()
            default: continue
            }
        }
        if servers.isEmpty { servers = fallback.map(\.description) }
        if !dns.servers.isEmpty { servers = dns.servers }
        if !dns.search.isEmpty { search = dns.search == ["."] ? [] : dns.search }
        if !dns.options.isEmpty { options = dns.options }
        var lines = servers.map { "nameserver " + $0 }
        if !search.isEmpty { lines.append("search " + search.joined(separator: " ")) }
        if !options.isEmpty { lines.append("options " + options.joined(separator: " ")) }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// --dns, --dns-search, --dns-option.
public struct DNSOptions: Codable, Sendable, Equatable {
    public var servers: [String] = []
    public var search: [String] = []
    public var options: [String] = []

    public init(servers: [String] = [], search: [String] = [], options: [String] = []) {
        self.servers = servers
        self.search = search
        self.options = options
    }
}
