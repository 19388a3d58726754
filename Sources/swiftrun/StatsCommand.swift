import Glibc
import SwiftrunCore

struct StatsCommand: StoreCommand {
    static let configuration = CommandConfiguration(commandName: "stats", abstract: "Show running containers' resource use.")

    @Flag("-a", "--all", help: "Show all containers (default shows just running).")
    var all = false

    @Flag("--no-stream", help: "Print once instead of every second.")
    var noStream = false

    @Flag("--no-trunc", help: "Do not truncate IDs.")
    var noTrunc = false

    @Option("--format", help: ListFormat.help("{{.Name}} {{.CPUPerc}} {{.MemUsage}} {{.NetIO}} {{.BlockIO}} {{.PIDs}}"))
    var format: String?

    @Argument("containers", help: "Containers (default: all running).")
    var containers: [String] = []

    func run(in layout: StoreLayout) throws(SwiftrunError) -> Int32 {
        let format = try ListFormat(format)
        let store = ContainerStore(layout: layout)
        let states =
            try containers.isEmpty
            ? store.all().filter { all || $0.status == .running }
            : containers.map { (key) throws(SwiftrunError) in try store.find(key) }
        let given = containers.isEmpty ? states.map { noTrunc ? $0.id : ContainerID.short($0.id) } : containers
        // CPU % needs two samples: take one now, and one a moment later.
        var previous = Dictionary(uniqueKeysWithValues: states.map { ($0.id, (cpu: Self.sample($0)?.cpuNanoseconds ?? 0, time: Self.seconds())) })
        usleep(500_000)
        while true {
            let now = Self.seconds()
            let rows = zip(states, given).map { state, container in
                let stats = Self.sample(state)
                let used = stats?.cpuNanoseconds ?? 0
                let last = previous[state.id] ?? (used, now)
                previous[state.id] = (used, now)
                return Self.row(
                    stats, cpu: Double(used - last.cpu) / 1e9 / max(now - last.time, 0.001) * 100, running: state.status == .running,
                    fields: ["Container": container, "Name": state.name, "ID": noTrunc ? state.id : ContainerID.short(state.id)])
            }
            try format.print(rows, columns: ["ID", "Name", "CPUPerc", "MemUsage", "MemPerc", "NetIO", "BlockIO", "PIDs"], headers: Self.headers)
            if noStream { return 0 }
            sleep(1)
            print("\u{1B}[2J\u{1B}[H", terminator: "")  // clear the screen, as docker stats does
        }
    }

    /// Docker's column titles for each field a template may name.
    static let headers = [
        "Container": "CONTAINER", "Name": "NAME", "ID": "CONTAINER ID", "CPUPerc": "CPU %", "MemUsage": "MEM USAGE / LIMIT",
        "MemPerc": "MEM %", "NetIO": "NET I/O", "BlockIO": "BLOCK I/O", "PIDs": "PIDS"
    ]

    private static func sample(_ state: ContainerState) -> ContainerStats? {
        state.status == .running ? ContainerStats.read(id: state.id, pid: state.pid) : nil
    }

    /// One container's fields in docker stats' words: memory in binary
    /// units against the host's memory when unlimited, I/O in decimal
    /// ones; a stopped container all zeros, one unreadable "--".
    private static func row(_ stats: ContainerStats?, cpu: Double, running: Bool, fields: [String: String]) -> [String: String] {
        guard let stats else {
            let none = running ? "--" : "0B / 0B"
            return fields.merging([
                "CPUPerc": running ? "--" : "0.00%", "MemUsage": none, "MemPerc": running ? "--" : "0.00%", "NetIO": none, "BlockIO": none,
                "PIDs": running ? "--" : "0"
            ]) { $1 }
        }
        let limit = stats.memoryLimit ?? HostInfo.memoryBytes
        return fields.merging([
            "CPUPerc": percent(cpu),
            "MemUsage": binarySize(stats.memoryShown) + " / " + binarySize(limit),
            "MemPerc": percent(limit > 0 ? Double(stats.memoryShown) / Double(limit) * 100 : 0),
            "NetIO": Table.size(stats.networkReceived) + " / " + Table.size(stats.networkSent),
            "BlockIO": Table.size(stats.blockRead) + " / " + Table.size(stats.blockWritten),
            "PIDs": String(stats.pids)
        ]) { $1 }
    }

    /// "12.34%", as Go's %.2f%% prints it.
    private static func percent(_ value: Double) -> String {
        let hundredths = Int((value * 100).rounded())
        let fraction = String(hundredths % 100)
        return "\(hundredths / 100)." + (fraction.count == 1 ? "0" : "") + fraction + "%"
    }

    /// go-units' BytesSize: four significant digits (%.4g) of KiB, MiB,
    /// GiB...: "1.395MiB".
    static func binarySize(_ bytes: Int64) -> String {
        var value = Double(bytes)
        var unit = 0
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        var text = [CChar](repeating: 0, count: 32)
        _ = withVaList([value]) { vsnprintf(&text, text.count, "%.4g", $0) }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) + units[unit]
    }

    private static func seconds() -> Double { Double(MonotonicClock.nanoseconds()) / 1e9 }
}
