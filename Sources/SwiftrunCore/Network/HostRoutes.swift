import Glibc

/// The host's IPv4 routes (/proc/net/route), read to pick a subnet that
/// clashes with nothing the host already reaches.
enum HostRoutes {
    static func subnets() -> [IPv4Subnet] {
        guard let text = try? FileSystem.readFile("/proc/net/route") else { return [] }
        return String(decoding: text, as: UTF8.self).split(separator: "\n").dropFirst().compactMap { line in
            let fields = line.split(whereSeparator: { $0 == "\t" || $0 == " " })
            // Destination and Mask, hex in the kernel's (little-endian) byte order.
            guard fields.count > 7, let destination = UInt32(fields[1], radix: 16), let mask = UInt32(fields[7], radix: 16),
                mask != 0
            else { return nil }
            return IPv4Subnet(network: IPv4Address(UInt32(bigEndian: destination)), prefix: UInt32(bigEndian: mask).nonzeroBitCount)
        }
    }

    /// The host's own IPv4 addresses (getifaddrs).
    static func localAddresses() -> [IPv4Address] {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { return [] }
        defer { freeifaddrs(list) }
        var addresses: [IPv4Address] = []
        var entry = list
        while let current = entry {
            if let address = current.pointee.ifa_addr, address.pointee.sa_family == sa_family_t(AF_INET) {
                let value = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr.s_addr }
                addresses.append(IPv4Address(UInt32(bigEndian: value)))
            }
            entry = current.pointee.ifa_next
        }
        return addresses
    }
}
