import Glibc

/// What a container's processes use, read from its cgroups: `swiftrun stats`.
///
/// On a hybrid host a container joins only the v1 hierarchies its limits
/// need, and its v2 cgroup has no controllers. What no cgroup counts is
/// read from elsewhere, as near to Docker's figure as the kernel allows:
/// CPU time from the v2 cgroup's cpu.stat (always there), memory as its
/// processes' resident anonymous pages (near what docker stats shows: the
/// usage less the page cache), block I/O from their /proc/PID/io.
public struct ContainerStats: Sendable {
    /// The cgroup's usage, page cache included, as the Engine API and
    /// runc's events report it.
    public var memoryUsage: Int64
    /// Of that, the inactive file pages (memory.stat), which docker stats
    /// leaves out of what it shows.
    public var memoryInactiveFile: Int64 = 0
    /// The memory.stat key it was read under: "inactive_file" on v2,
    /// "total_inactive_file" on v1 (hierarchical), as Docker's API names it
    /// in memory_stats.stats; nil where no memory cgroup counts the
    /// container.
    public var inactiveFileKey: String?
    /// nil when unlimited.
    public var memoryLimit: Int64?
    /// Nanoseconds of CPU time used.
    public var cpuNanoseconds: Int64
    public var pids: Int64
    /// Bytes received and sent on each of the container's own interfaces
    /// (not lo); none on the host's network.
    public var networks: [String: (received: Int64, sent: Int64)] = [:]
    public var networkReceived: Int64 { networks.values.reduce(0) { $0 + $1.received } }
    public var networkSent: Int64 { networks.values.reduce(0) { $0 + $1.sent } }
    /// Bytes read from and written to block devices.
    public var blockRead: Int64 = 0
    public var blockWritten: Int64 = 0

    /// `pid`, the container's pid 1, names its network namespace.
    public static func read(id: String, pid: Int32? = nil, mode: CgroupMode = .host) -> ContainerStats? {
        guard var stats = read(path: ContainerCgroup.path(of: id), mode: mode) else { return nil }
        if let pid { stats.networks = networks(of: pid) }
        return stats
    }

    /// The container whose cgroups are at `path` in each hierarchy.
    static func read(path: String, mode: CgroupMode = .host) -> ContainerStats? {
        let directory = { (mount: String?) in mount.map { $0 + "/" + path }.flatMap { FileSystem.exists($0) ? $0 : nil } }
        let unified = directory(mode.unified)
        if mode.isPureV2 {
            guard let dir = unified else { return nil }
            let io = keyedSums(dir + "/io.stat", keys: ["rbytes", "wbytes"])
            return ContainerStats(
                memoryUsage: number(dir + "/memory.current") ?? 0, memoryInactiveFile: inactiveFile(dir, key: "inactive_file"),
                inactiveFileKey: "inactive_file", memoryLimit: number(dir + "/memory.max"),
                cpuNanoseconds: cpuTime(dir),
                pids: number(dir + "/pids.current") ?? 0, blockRead: io["rbytes"] ?? 0, blockWritten: io["wbytes"] ?? 0)
        }
        let memory = directory(mode.v1["memory"])
        let cpu = directory(mode.v1["cpuacct"])
        guard let any = ([memory, cpu, unified] + mode.v1.values.map(directory)).compactMap({ $0 }).first else { return nil }
        let processes = String(decoding: (try? FileSystem.readFile(any + "/cgroup.procs")) ?? [], as: UTF8.self)
            .split(separator: "\n").compactMap { Int32($0) }
        let limit = memory.flatMap { number($0 + "/memory.limit_in_bytes") }
        let io = processes.reduce(into: [String: Int64]()) { sums, pid in
            sums.merge(keyedSums("/proc/\(pid)/io", keys: ["read_bytes:", "write_bytes:"]), uniquingKeysWith: +)
        }
        return ContainerStats(
            memoryUsage: memory.flatMap { number($0 + "/memory.usage_in_bytes") } ?? processes.reduce(0) { $0 + anonymousResident(of: $1) },
            memoryInactiveFile: memory.map { inactiveFile($0, key: "total_inactive_file") } ?? 0,
            inactiveFileKey: memory.map { _ in "total_inactive_file" },
            memoryLimit: limit.flatMap { $0 >= Int64.max / 2 ? nil : $0 },  // v1 says "unlimited" with a huge number
            cpuNanoseconds: cpu.flatMap { number($0 + "/cpuacct.usage") }
                ?? unified.map(cpuTime) ?? 0,
            pids: number(directory(mode.v1["pids"]).map { $0 + "/pids.current" }) ?? Int64(processes.count),
            blockRead: io["read_bytes:"] ?? 0, blockWritten: io["write_bytes:"] ?? 0)
    }

    private static func number(_ path: String?) -> Int64? {
        guard let path, let bytes = try? FileSystem.readFile(path) else { return nil }
        return Int64(String(decoding: bytes, as: UTF8.self).trimmedWhitespace)
    }

    /// Sums, over the file's lines, each "KEY VALUE" (or "... KEY=VALUE")
    /// whose key is among `keys`: cpu.stat, io.stat (a line a device),
    /// /proc/PID/io.
    private static func keyedSums(_ path: String, keys: Set<String>) -> [String: Int64] {
        var sums: [String: Int64] = [:]
        guard let bytes = try? FileSystem.readFile(path) else { return sums }
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            let words = line.split(separator: " ")
            for (index, word) in words.enumerated() {
                let pair = word.split(separator: "=", maxSplits: 1)
                if pair.count == 2, keys.contains(String(pair[0])), let value = Int64(pair[1]) {
                    sums[String(pair[0]), default: 0] += value
                } else if keys.contains(String(word)), index + 1 < words.count, let value = Int64(words[index + 1]) {
                    sums[String(word), default: 0] += value
                }
            }
        }
        return sums
    }

    /// docker stats' usage: what it shows, the usage less the inactive file pages.
    public var memoryShown: Int64 { max(memoryUsage - memoryInactiveFile, 0) }

    /// A v2 cgroup's CPU time in nanoseconds (cpu.stat's usage_usec, there
    /// with or without the cpu controller).
    private static func cpuTime(_ directory: String) -> Int64 {
        (keyedSums(directory + "/cpu.stat", keys: ["usage_usec"])["usage_usec"] ?? 0) * 1000
    }

    /// memory.stat's `key`: v1's total_inactive_file, v2's inactive_file.
    private static func inactiveFile(_ directory: String, key: String) -> Int64 {
        keyedSums(directory + "/memory.stat", keys: [key])[key] ?? 0
    }

    /// Resident pages less shared ones (/proc/PID/statm), in bytes.
    private static func anonymousResident(of pid: Int32) -> Int64 {
        guard let bytes = try? FileSystem.readFile("/proc/\(pid)/statm") else { return 0 }
        let fields = String(decoding: bytes, as: UTF8.self).split(separator: " ").compactMap { Int64(String($0).trimmedWhitespace) }
        guard fields.count >= 3 else { return 0 }
        return max(fields[1] - fields[2], 0) * Int64(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// Received and sent bytes of each interface but lo in `pid`'s network
    /// namespace (/proc/PID/net/dev), or none when that is the host's own.
    private static func networks(of pid: Int32) -> [String: (received: Int64, sent: Int64)] {
        var own = stat()
        var theirs = stat()
        guard stat("/proc/\(pid)/ns/net", &theirs) == 0, stat("/proc/self/ns/net", &own) == 0, own.st_ino != theirs.st_ino,
            let bytes = try? FileSystem.readFile("/proc/\(pid)/net/dev")
        else { return [:] }
        var counters: [String: (received: Int64, sent: Int64)] = [:]
        // "  eth0: RXBYTES packets errs drop fifo frame compressed multicast TXBYTES ..."
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n").dropFirst(2) {
            let sides = line.split(separator: ":", maxSplits: 1)
            let name = sides.first.map { String($0).trimmedWhitespace } ?? "lo"
            let numbers = sides.dropFirst().first?.split(separator: " ").compactMap { Int64($0) } ?? []
            guard name != "lo", numbers.count >= 9 else { continue }
            counters[name] = (numbers[0], numbers[8])
        }
        return counters
    }
}
