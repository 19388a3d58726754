import Glibc
import SwiftrunCore

/// `GET /containers/{id}/top` (the host's ps, the container's lines, as
/// `swiftrun top`) and `GET /containers/{id}/stats` (samples of the
/// container's cgroups, as `swiftrun stats`).
extension EngineAPI {
    private struct TopDocument: Encodable {
        var Titles: [String]
        var Processes: [[String]]
    }

    func top(_ state: ContainerState, _ request: APIRequest) throws(APIError) -> APIResponse {
        let arguments = request.query["ps_args"].map { $0.split(separator: " ").map(String.init) } ?? []
        let text = try answer { () throws(SwiftrunError) in try ContainerTop(layout: layout).show(state.id, psArguments: arguments) }
        var lines = text.split(separator: "\n")
        guard !lines.isEmpty else { return try answer { () throws(SwiftrunError) in try .json(TopDocument(Titles: [], Processes: [])) } }
        let titles = lines.removeFirst().split(separator: " ").map(String.init)
        // The last column (the command) keeps its spaces.
        let processes = lines.map { line in
            let fields = line.split(separator: " ", maxSplits: max(titles.count - 1, 0)).map(String.init)
            return fields.count == titles.count ? fields : fields + Array(repeating: "", count: max(0, titles.count - fields.count))
        }
        return try answer { () throws(SwiftrunError) in try .json(TopDocument(Titles: titles, Processes: processes)) }
    }

    /// Docker's stats shape, with what the cgroups say: CPU time, memory
    /// and its limit, pids. `precpu_stats` is the sample before, zeros on
    /// the first (as Docker's first sample has them).
    private struct StatsDocument: Encodable {
        struct CPU: Encodable {
            var cpu_usage: [String: Int64]
            var system_cpu_usage: Int64
            var online_cpus: Int
        }
        var id: String
        var name: String
        var read: String
        var preread: String
        var pids_stats: [String: Int64]
        var cpu_stats: CPU
        var precpu_stats: CPU
        var memory_stats: Memory
        /// Each interface's counters, as Docker's (rx_bytes, tx_bytes).
        var networks: [String: [String: Int64]]
        /// Docker's io_service_bytes_recursive: a "read" and a "write" entry.
        var blkio_stats: [String: [BlockIO]]

        /// Docker's usage (page cache included), limit, and the memory.stat
        /// figure its CLI takes from the usage: inactive_file (v2) or
        /// total_inactive_file (v1).
        struct Memory: Encodable {
            var usage: Int64?
            var limit: Int64?
            var stats: [String: Int64]?
        }

        struct BlockIO: Encodable {
            var major = 0
            var minor = 0
            var op: String
            var value: Int64
        }
    }

    /// `stream=false`: one sample. Streamed (the default, as `docker stats`
    /// and docker-py's `stats(stream=True)` ask): one a second, each with
    /// the one before as precpu, until the container stops or the client
    /// hangs up.
    func stats(_ state: ContainerState, _ request: APIRequest) throws(APIError) -> APIResponse {
        let streamed = request.query["stream"].map { $0 == "1" || $0 == "true" || $0 == "True" } ?? true
        guard streamed && !request.flag("one-shot") else {
            return try answer { () throws(SwiftrunError) in try .json(Self.statsSample(state, previous: nil)) }
        }
        let store = ContainerStore(layout: layout)
        return APIResponse(
            status: 200, contentType: "application/json",
            body: .stream { send in
                var previous: StatsDocument?
                while let current = try? store.find(state.id), current.isActive {
                    let document = Self.statsSample(current, previous: previous)
                    guard send(APIResponse.jsonLine(document)) else { return }
                    previous = document
                    sleep(1)
                }
            })
    }

    private static func statsSample(_ state: ContainerState, previous: StatsDocument?) -> StatsDocument {
        let sample = state.isActive ? ContainerStats.read(id: state.id, pid: state.pid) : nil
        var memory = StatsDocument.Memory()
        if let sample {
            memory.usage = sample.memoryUsage
            memory.limit = sample.memoryLimit ?? HostInfo.memoryBytes
            memory.stats = sample.inactiveFileKey.map { [$0: sample.memoryInactiveFile] } ?? [:]
        }
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let cpus = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        return StatsDocument(
            id: state.id, name: "/" + state.name, read: ContainerLogs.format(Double(now.tv_sec) + Double(now.tv_nsec) / 1e9),
            preread: previous?.read ?? "0001-01-01T00:00:00Z",
            pids_stats: sample.map { ["current": $0.pids] } ?? [:],
            cpu_stats: .init(
                cpu_usage: ["total_usage": sample?.cpuNanoseconds ?? 0], system_cpu_usage: systemCPUNanoseconds(), online_cpus: cpus),
            precpu_stats: previous?.cpu_stats ?? .init(cpu_usage: ["total_usage": 0], system_cpu_usage: 0, online_cpus: cpus),
            memory_stats: memory,
            networks: (sample?.networks ?? [:]).mapValues { ["rx_bytes": $0.received, "tx_bytes": $0.sent] },
            blkio_stats: [
                "io_service_bytes_recursive": sample.map { [.init(op: "read", value: $0.blockRead), .init(op: "write", value: $0.blockWritten)] } ?? []
            ])
    }

    /// The host's CPU time so far, from /proc/stat's first line (clock ticks).
    private static func systemCPUNanoseconds() -> Int64 {
        guard let bytes = try? FileSystem.readFile("/proc/stat", limit: 1 << 16),
            let line = String(decoding: bytes, as: UTF8.self).split(separator: "\n").first
        else { return 0 }
        let ticks = line.split(separator: " ").dropFirst().compactMap { Int64($0) }.reduce(0, +)
        return ticks * (1_000_000_000 / Int64(sysconf(Int32(_SC_CLK_TCK))))
    }
}
