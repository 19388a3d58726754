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
        try StoreLock.withLock(lockPath) { () throws(SwiftrunError) in
            try FileSystem.makeDirectories(Self.directory, mode: 0o700)
            var lines = entries(of: network).filter { !$0.hasPrefix(entry.container + " ") }
            lines.append("\(entry.container) \(entry.address)  \(entry.names.joined(separator: ","))")
            try write(lines, for: network)
            try reload()
        }
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

    /// SIGHUP to the running server, or a new one.
    private func reload() throws(SwiftrunError) {
        if let pid = runningPid() {
            kill(pid, SIGHUP)
            return
        }
        try HostCommand.startDaemon([Self.program, "--config", Self.directory, "-p", "53", "run"])
    }

    /// The server's pid from the file it writes, if that process is still aardvark-dns.
    private func runningPid() -> pid_t? {
        guard let text = try? FileSystem.readFile(Self.directory + "/aardvark.pid"),
            let pid = pid_t(String(decoding: text, as: UTF8.self).trimmedWhitespace), pid > 0,
            let comm = try? FileSystem.readFile("/proc/\(pid)/comm"),
            String(decoding: comm, as: UTF8.self).hasPrefix("aardvark-dns")
        else { return nil }
        return pid
    }
}
