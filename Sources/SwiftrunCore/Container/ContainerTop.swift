import Glibc

/// `top NAME [ps OPTIONS]`: the host's ps (default -ef), its lines kept for
/// the container's processes alone, as Docker does. A process is the
/// container's when it is in pid 1's pid namespace.
public struct ContainerTop {
    let layout: StoreLayout

    public init(layout: StoreLayout) { self.layout = layout }

    public func show(_ key: String, psArguments: [String]) throws(SwiftrunError) -> String {
        let state = try ContainerStore(layout: layout).find(key)
        guard state.isActive, state.status == .running, let pid1 = PinnedPid1(state) else {
            throw .invalidArgument("Container \(state.id) is not running")
        }
        defer { pid1.close() }
        let pids = try Self.processes(inNamespaceOf: pid1.pid)
        let (status, output) = try HostCommand.output(["ps"] + (psArguments.isEmpty ? ["-ef"] : psArguments))
        guard status == 0 else { throw .invalidArgument("ps \(psArguments.joined(separator: " ")) failed with exit status \(status)") }
        var lines = output.split(separator: "\n", omittingEmptySubsequences: true)
        guard !lines.isEmpty else { return "" }
        let header = lines.removeFirst()
        guard let column = header.split(separator: " ", omittingEmptySubsequences: true).firstIndex(of: "PID") else {
            throw .invalidArgument("Couldn't find PID field in ps output")
        }
        let kept = lines.filter { line in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            return fields.indices.contains(column) && Int32(fields[column]).map(pids.contains) == true
        }
        return ([header] + kept).joined(separator: "\n") + "\n"
    }

    /// Every host pid whose pid namespace is `pid`'s.
    static func processes(inNamespaceOf pid: pid_t) throws(SwiftrunError) -> Set<Int32> {
        let namespace = try FileSystem.readLink(in: AT_FDCWD, "/proc/\(pid)/ns/pid", describe: "pid \(pid)'s pid namespace")
        var found: Set<Int32> = []
        for entry in try FileSystem.listDirectory("/proc") {
            guard let candidate = Int32(entry) else { continue }
            if (try? FileSystem.readLink(in: AT_FDCWD, "/proc/\(entry)/ns/pid", describe: entry)) == namespace { found.insert(candidate) }
        }
        return found
    }
}
