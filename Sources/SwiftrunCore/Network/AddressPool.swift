import Glibc

/// IPAM: which addresses of a network are taken. Each taken address is a
/// file named for it, created with O_EXCL, so two parallel runs can never
/// both take one (the file system is the lock). It holds its owner, the
/// store root and container id, so a dead owner's address can be freed.
struct AddressPool {
    let store: NetworkStore
    let network: NetworkDefinition

    struct Owner: Equatable {
        let root: String
        let container: String
    }

    private var directory: String { store.addressDirectory(network) }

    /// Takes `preferred` (--ip, or the address of the container's last
    /// run), or the lowest free address after the gateway.
    func allocate(for owner: Owner, preferred: IPv4Address?, required: Bool) throws(SwiftrunError) -> IPv4Address {
        if let preferred {
            guard network.subnet.contains(preferred), preferred != network.gateway,
                preferred != network.subnet.network, preferred != network.subnet.broadcast
            else { throw .invalidArgument("invalid address \(preferred): it does not belong to network \(network.name) (\(network.subnet))") }
            if try claim(preferred, for: owner) { return preferred }
            if required { throw .invalidArgument("Address already in use: \(preferred) on network \(network.name)") }
        }
        let taken = Set(((try? FileSystem.listDirectory(directory)) ?? []).compactMap { IPv4Address($0) })
        // Round-robin from the last address given, as Docker's IPAM does: a
        // freed address must not be given again at once, because the
        // kernel removes the old container's veth (which still holds it on
        // the bridge) asynchronously, after its namespace is gone.
        let first = network.subnet.firstHost.value
        let count = network.subnet.lastHost.value - first + 1
        let last = (try? FileSystem.readFile(directory + "/last", limit: 64)).flatMap { IPv4Address(String(decoding: $0, as: UTF8.self)) }
        let start = last.map { network.subnet.contains($0) ? $0.value - first + 1 : 0 } ?? 0
        for step in 0..<count {
            let address = IPv4Address(first + (start + step) % count)
            if address == network.gateway || taken.contains(address) { continue }
            if try claim(address, for: owner) {
                try? FileSystem.writeAtomically(Array(address.description.utf8), to: directory + "/last", durable: false)
                return address
            }
        }
        throw .invalidArgument("no available IPv4 addresses on network \(network.name) (\(network.subnet))")
    }

    /// Frees `address` if `owner` holds it: a second teardown, or one after
    /// the address went to someone else, changes nothing.
    func release(_ address: IPv4Address, for owner: Owner) {
        let path = directory + "/\(address)"
        if (try? read(path)) == owner { unlink(path) }
    }

    /// Every address `container` holds here (recovery, when the container
    /// died before recording which).
    func release(container: String) {
        for (address, owner) in entries() where owner.container == container { release(address, for: owner) }
    }

    func owners() -> [Owner] { entries().map(\.1) }

    /// Addresses whose owner no longer exists in its store are freed first:
    /// a container killed before it was recorded left its file behind.
    func entries() -> [(IPv4Address, Owner)] {
        ((try? FileSystem.listDirectory(directory)) ?? []).compactMap { name in
            guard let address = IPv4Address(name), let owner = try? read(directory + "/" + name) else { return nil }
            guard FileSystem.exists(owner.root + "/containers/" + owner.container) else {
                unlink(directory + "/" + name)
                return nil
            }
            return (address, owner)
        }
    }

    private func claim(_ address: IPv4Address, for owner: Owner) throws(SwiftrunError) -> Bool {
        let path = directory + "/\(address)"
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            if errno == EEXIST { return false }
            throw .system("create \(path)", errno: errno)
        }
        defer { close(fd) }
        try FileSystem.writeAll(fd, Array("\(owner.root)\n\(owner.container)".utf8), path: path)
        return true
    }

    private func read(_ path: String) throws(SwiftrunError) -> Owner {
        let lines = String(decoding: try FileSystem.readFile(path, limit: 8192), as: UTF8.self).split(separator: "\n")
        guard lines.count == 2 else { throw .invalidArgument("\(path): not an address claim") }
        return Owner(root: String(lines[0]), container: String(lines[1]))
    }
}
