import Glibc

/// One -p mapping: host address and port to a container port. The host
/// port is chosen by the kernel when -p gives none (or -P publishes).
public struct PublishedPort: Codable, Sendable, Equatable {
    /// nil: every address of the host (0.0.0.0).
    public var hostIP: IPv4Address?
    public var hostPort: UInt16
    public var containerPort: UInt16
    /// "tcp" or "udp".
    public var proto: String

    /// Docker's `port` line: "80/tcp -> 0.0.0.0:8080".
    public var description: String {
        "\(containerPort)/\(proto) -> \(hostIP.map(String.init(describing:)) ?? "0.0.0.0"):\(hostPort)"
    }

    /// -p [IP:][HOSTPORT:]CTRPORT[/PROTO], ports or equal-length ranges
    /// (8000-8001:80-81). HOSTPORT 0 or absent: chosen at start.
    public static func parse(_ text: String) throws(SwiftrunError) -> [PublishedPort] {
        func invalid(_ why: String) -> SwiftrunError { .invalidArgument("invalid -p \(text): \(why)") }
        var body = Substring(text)
        var proto = "tcp"
        if let slash = body.lastIndex(of: "/") {
            proto = String(body[body.index(after: slash)...])
            body = body[..<slash]
            guard proto == "tcp" || proto == "udp" else { throw invalid("the protocol must be tcp or udp") }
        }
        var parts = body.split(separator: ":", omittingEmptySubsequences: false)
        guard (1...3).contains(parts.count) else { throw invalid("expected [IP:][HOSTPORT:]CONTAINERPORT") }
        var hostIP: IPv4Address?
        if parts.count == 3 {
            if !parts[0].isEmpty {
                guard let address = IPv4Address(parts[0]) else { throw invalid("\(parts[0]) is not an IPv4 address") }
                if address.value != 0 { hostIP = address }
            }
            parts.removeFirst()
        }
        let containerPorts = try range(parts.last!, invalid)
        let hostPorts = parts.count == 2 && !parts[0].isEmpty ? try range(parts[0], invalid) : nil
        if let hostPorts, hostPorts.count != containerPorts.count {
            throw invalid("the host and container port ranges differ in length")
        }
        return containerPorts.indices.map { i in
            PublishedPort(hostIP: hostIP, hostPort: hostPorts?[i] ?? 0, containerPort: containerPorts[i], proto: proto)
        }
    }

    /// The ports of EXPOSE's `keys` that `published` does not publish
    /// already (by container port and protocol), in key order: what -P
    /// publishes, and what `ps` lists as only exposed.
    static func exposed(_ keys: some Sequence<String>, besides published: [PublishedPort]) -> [PublishedPort] {
        keys.sorted().compactMap(exposed).filter { port in
            !published.contains { $0.containerPort == port.containerPort && $0.proto == port.proto }
        }
    }

    /// -P and EXPOSE's keys: "80/tcp", "53/udp", "8080".
    static func exposed(_ key: String) -> PublishedPort? {
        let parts = key.split(separator: "/")
        guard let port = UInt16(parts[0]), port > 0 else { return nil }
        let proto = parts.count > 1 ? String(parts[1]) : "tcp"
        guard proto == "tcp" || proto == "udp" else { return nil }
        return PublishedPort(hostIP: nil, hostPort: 0, containerPort: port, proto: proto)
    }

    private static func range(_ text: Substring, _ invalid: (String) -> SwiftrunError) throws(SwiftrunError) -> [UInt16] {
        let bounds = text.split(separator: "-", omittingEmptySubsequences: false)
        guard (1...2).contains(bounds.count), let low = UInt16(bounds[0]), let high = UInt16(bounds.last!), low <= high
        else { throw invalid("\(text) is not a port or port range") }
        return Array(low...high)
    }

    /// Before anything is created: the host port must be free, neither
    /// listened on (as Docker's proxy would find) nor published by another
    /// container. A port given as 0 gets one from the kernel's ephemeral
    /// range, tried again while the kernel offers a published one.
    func reserved() throws(SwiftrunError) -> PublishedPort {
        for _ in 0..<16 {
            let chosen = try bound()
            guard Firewall.isTaken(chosen) else { return chosen }
            if hostPort != 0 { break }
        }
        throw .invalidArgument("Bind for \(hostIP.map(String.init(describing:)) ?? "0.0.0.0"):\(hostPort) failed: port is already allocated")
    }

    /// This port bound (and listened on, for TCP) for a moment: nothing on
    /// the host holds it.
    private func bound() throws(SwiftrunError) -> PublishedPort {
        let type = proto == "udp" ? SOCK_DGRAM.rawValue : SOCK_STREAM.rawValue
        let fd = socket(AF_INET, Int32(type | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .system("socket", errno: errno) }
        defer { close(fd) }
        var on: Int32 = 1
        if proto == "tcp" { setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size)) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = hostPort.bigEndian
        address.sin_addr.s_addr = (hostIP ?? IPv4Address(0)).networkOrder
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        let where_ = "\(hostIP.map(String.init(describing:)) ?? "0.0.0.0"):\(hostPort)"
        guard bound == 0 else {
            if errno == EADDRINUSE { throw .invalidArgument("Bind for \(where_) failed: port is already allocated") }
            throw .invalidArgument("Bind for \(where_) failed: \(SwiftrunError.strerror(errno))")
        }
        // TCP: a listener is what Docker's proxy would have; binding alone
        // succeeds beside an unlistened socket, so listen to be sure.
        if proto == "tcp" && listen(fd, 1) != 0 {
            throw .invalidArgument("Bind for \(where_) failed: port is already allocated")
        }
        var chosen = self
        if hostPort == 0 {
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            }
            chosen.hostPort = UInt16(bigEndian: address.sin_port)
        }
        return chosen
    }

    /// The firewall map this mapping's element goes in (Firewall.ruleset).
    var map: String { hostIP == nil ? "published_any" : "published" }

    /// The element's key as nf_tables stores a concatenation: each field
    /// in network order, padded to 4 bytes. [host address .] protocol . port.
    var key: [UInt8] {
        let address = hostIP.map { Self.bytes($0.value) } ?? []
        return address + [proto == "udp" ? 17 : 6, 0, 0, 0] + [UInt8(hostPort >> 8), UInt8(hostPort & 0xff), 0, 0]
    }

    /// The element's value: the container's address . port.
    func value(to container: IPv4Address) -> [UInt8] {
        Self.bytes(container.value) + [UInt8(containerPort >> 8), UInt8(containerPort & 0xff), 0, 0]
    }

    private static func bytes(_ value: UInt32) -> [UInt8] {
        [24, 16, 8, 0].map { (shift: UInt32) in UInt8(truncatingIfNeeded: value >> shift) }
    }
}
