/// What a container's processes use, read from its cgroups: `swiftrun stats`.
public struct ContainerStats: Sendable {
    public var memoryUsage: Int64
    /// nil when unlimited.
    public var memoryLimit: Int64?
    /// Nanoseconds of CPU time used.
    public var cpuNanoseconds: Int64
    public var pids: Int64

    public static func read(id: String, mode: CgroupMode = .host) -> ContainerStats? {
        read(path: ContainerCgroup.path(of: id), mode: mode)
    }

    /// The container whose cgroups are at `path` in each hierarchy.
    static func read(path: String, mode: CgroupMode = .host) -> ContainerStats? {
        func number(_ path: String?) -> Int64? {
            guard let path, let bytes = try? FileSystem.readFile(path) else { return nil }
            return Int64(String(decoding: bytes, as: UTF8.self).trimmedWhitespace)
        }
        let directory = { (mount: String?) in mount.map { $0 + "/" + path } }
        if mode.isPureV2 {
            guard let dir = directory(mode.unified), FileSystem.exists(dir) else { return nil }
            let cpuStat = String(decoding: (try? FileSystem.readFile(dir + "/cpu.stat")) ?? [], as: UTF8.self)
            let usage = cpuStat.split(separator: "\n").first { $0.hasPrefix("usage_usec ") }.flatMap { Int64($0.split(separator: " ")[1]) } ?? 0
            return ContainerStats(
                memoryUsage: number(dir + "/memory.current") ?? 0, memoryLimit: number(dir + "/memory.max"),
                cpuNanoseconds: usage * 1000, pids: number(dir + "/pids.current") ?? 0)
        }
        // v1: a container joins only the hierarchies its limits need, so
        // what is not there is read elsewhere or shown as zero; its
        // processes are counted in any cgroup it is in.
        let memory = directory(mode.v1["memory"]).flatMap { FileSystem.exists($0) ? $0 : nil }
        let any = ([memory, directory(mode.unified)] + mode.v1.values.map(directory)).compactMap { $0 }.first(where: FileSystem.exists)
        guard let any else { return nil }
        let limit = memory.flatMap { number($0 + "/memory.limit_in_bytes") }
        let processes = String(decoding: (try? FileSystem.readFile(any + "/cgroup.procs")) ?? [], as: UTF8.self).split(separator: "\n").count
        return ContainerStats(
            memoryUsage: memory.flatMap { number($0 + "/memory.usage_in_bytes") } ?? 0,
            memoryLimit: limit.flatMap { $0 >= Int64.max / 2 ? nil : $0 },  // v1 says "unlimited" with a huge number
            cpuNanoseconds: number(directory(mode.v1["cpuacct"]).map { $0 + "/cpuacct.usage" }) ?? 0,
            pids: number(directory(mode.v1["pids"]).map { $0 + "/pids.current" }) ?? Int64(processes))
    }
}
