import Glibc

/// Names on user networks: aardvark-dns (Debian's package, podman's DNS
/// server) answers on each network's gateway, port 53, with the address of
/// every container by name, alias and short id, and forwards other names
/// to the host's resolvers. One process serves every network; it reads one
/// file per network from its config dir and reloads them on SIGHUP, so a
/// container starting or ending is one line written and one signal.
struct NameServer {
    static let program = "/usr/lib/podman/aardvark-dns"
    static let directory = "/run/swiftrun/aardvark-dns"
    let lockPath: String

    struct Entry {
        let container: String
        let address: IPv4Address
        let names: [String]
    }

    /// Adds `entry` to `network`'s file and makes the server see it.
    func add(_ entry: Entry, to network: NetworkDefinition) throws(SwiftrunError) {
        guard FileSystem.exists(Self.program) else {
            throw .invalidArgument("\(Self.program) is missing: install Debian's aardvark-dns for names on user networks")
        }
        let signaled = try StoreLock.withLock(lockPath) { () throws(SwiftrunError) -> pid_t? in
            try FileSystem.makeDirectories(Self.directory, mode: 0o700)
            var lines = entries(of: network).filter { !$0.hasPrefix(entry.container + " ") }
            lines.append("\(entry.container) \(entry.address)  \(entry.names.joined(separator: ","))")
            try write(lines, for: network)
            return try reload()
        }
        try waitUntilServed(entry.names[0], by: network.gateway, signaled: signaled)
    }

    /// aardvark-dns reloads after SIGHUP (or binds after its start) in
    /// its own time. A container started right after this one returns
    /// must find its name, so ask the server for it until it answers: one
    /// round trip when it is ready, each try bounded by a receive timeout.
    /// `signaled`: the server this add sent SIGHUP to (nil: it started one).
    /// `port`: 53, but for the test that plays the server.
    func waitUntilServed(_ name: String, by server: IPv4Address, port: UInt16 = 53, signaled: pid_t?) throws(SwiftrunError) {
        var signaled = signaled
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .system("socket", errno: errno) }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 0, tv_usec: 50_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = server.networkOrder
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw .system("connect to \(server):\(port)", errno: errno) }
        // A standard query, recursion desired, for NAME's A record.
        var query: [UInt8] = [0x53, 0x52, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
        for label in name.split(separator: ".") { query += [UInt8(label.utf8.count)] + Array(label.utf8) }
        query += [0, 0, 1, 0, 1]
        var reply = [UInt8](repeating: 0, count: 512)
        // 10 s by the clock: a busy host (the test suite in parallel on two
        // cores) once kept a reload from answering within 3 s. Counted in
        // tries, the wait had ended early where each try came back at once.
        let deadline = MonotonicClock.nanoseconds() + 10_000_000_000
        while MonotonicClock.nanoseconds() < deadline {
            let count = send(fd, query, query.count, 0) == query.count ? recv(fd, &reply, reply.count, 0) : -1
            // The same id, no error, at least one answer.
            if count >= 12 && reply[0] == 0x53 && reply[1] == 0x52 && reply[3] & 0x0f == 0 && (reply[6] != 0 || reply[7] != 0) { return }
            // The server has not read the new entry yet (it answers at once
            // that the name is unknown): a short pause, so that a quick
            // reload is not waited for long. Nothing listens yet (a refusal
            // comes back at once): give it the time a reply would have had.
            if count >= 0 { poll(nil, 0, 5) } else if errno == ECONNREFUSED { poll(nil, 0, 50) }
            // aardvark-dns exits by itself once a SIGHUP finds no network
            // left. A SIGHUP sent while it was on its way out (the last
            // network removed just before this one came) went to a
            // process that is now gone: start a new one (or signal the one
            // another add started meanwhile). A server this add started is
            // only given time: it writes its pid file once it is up.
            if count < 0, let pid = signaled, !Self.isServer(pid) {
                signaled = try StoreLock.withLock(lockPath) { () throws(SwiftrunError) -> pid_t? in try reload() }
            }
        }
        throw .invalidArgument("aardvark-dns on \(server):\(port) did not answer for \(name) within 10 s")
    }

    /// Removes `container`'s line; the file goes with its last line.
    func remove(container: String, from network: NetworkDefinition) {
        try? StoreLock.withLock(lockPath) { () throws(SwiftrunError) in
            let lines = entries(of: network)
            let kept = lines.filter { !$0.hasPrefix(container + " ") }
            guard kept.count != lines.count else { return }
            if kept.isEmpty {
                unlink(path(network))
            } else {
                try write(kept, for: network)
            }
            if let pid = runningPid() { kill(pid, SIGHUP) }
        }
    }

    private func path(_ network: NetworkDefinition) -> String { Self.directory + "/" + network.name }

    private func entries(of network: NetworkDefinition) -> [String] {
        let text = String(decoding: (try? FileSystem.readFile(path(network))) ?? [], as: UTF8.self)
        return text.split(separator: "\n").dropFirst().map(String.init)
    }

    private func write(_ lines: [String], for network: NetworkDefinition) throws(SwiftrunError) {
        let text = ([network.gateway.description] + lines).joined(separator: "\n") + "\n"
        try FileSystem.writeAtomically(Array(text.utf8), to: path(network), durable: false)
    }

    /// SIGHUP to the running server (its pid returned), or a new one (nil).
    private func reload() throws(SwiftrunError) -> pid_t? {
        if let pid = runningPid() {
            kill(pid, SIGHUP)
            return pid
        }
        try HostCommand.startDaemon([Self.program, "--config", Self.directory, "-p", "53", "run"])
        return nil
    }

    /// The server's pid from the file it writes, if that process is still aardvark-dns.
    private func runningPid() -> pid_t? {
        guard let text = try? FileSystem.readFile(Self.directory + "/aardvark.pid"),
            let pid = pid_t(String(decoding: text, as: UTF8.self).trimmedWhitespace), pid > 0, Self.isServer(pid)
        else { return nil }
        return pid
    }

    private static func isServer(_ pid: pid_t) -> Bool {
        guard let comm = try? FileSystem.readFile("/proc/\(pid)/comm") else { return false }
        return String(decoding: comm, as: UTF8.self).hasPrefix("aardvark-dns")
    }
}
