import Glibc
import SwiftrunCore

struct StatsCommand: StoreCommand {
    static let configuration = CommandConfiguration(commandName: "stats", abstract: "Show running containers' resource use.")

    @Flag("--no-stream", help: "Print once instead of every second.")
    var noStream = false

    @Argument("containers", help: "Containers (default: all running).")
    var containers: [String] = []

    func run(in layout: StoreLayout) throws(SwiftrunError) -> Int32 {
        let store = ContainerStore(layout: layout)
        let states =
            try containers.isEmpty
            ? store.all().filter { $0.status == .running }
            : containers.map { (key) throws(SwiftrunError) in try store.find(key) }
        // CPU % needs two samples: take one now, and one a moment later.
        var previous = Dictionary(
            uniqueKeysWithValues: states.map { ($0.id, (cpu: ContainerStats.read(id: $0.id)?.cpuNanoseconds ?? 0, time: Self.seconds())) })
        usleep(500_000)
        while true {
            var table = Table(["CONTAINER ID", "NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %", "PIDS"])
            let now = Self.seconds()
            for state in states {
                let stats = ContainerStats.read(id: state.id)
                let used = stats?.cpuNanoseconds ?? 0
                let last = previous[state.id] ?? (used, now)
                let cpu = Double(used - last.cpu) / 1e9 / max(now - last.time, 0.001) * 100
                previous[state.id] = (used, now)
                let usage = stats.map { Table.size($0.memoryUsage) } ?? "--"
                let limit = stats?.memoryLimit.map { Table.size($0) } ?? "unlimited"
                let percent = stats.flatMap { s in s.memoryLimit.map { format2(Double(s.memoryUsage) / Double($0) * 100) + "%" } } ?? "--"
                table.add([
                    ContainerID.short(state.id), state.name, format2(cpu) + "%", usage + " / " + limit, percent,
                    stats.map { String($0.pids) } ?? "--"
                ])
            }
            print(table.render(), terminator: "")
            if noStream { return 0 }
            sleep(1)
            print("\u{1B}[2J\u{1B}[H", terminator: "")  // clear the screen, as docker stats does
        }
    }

    private func format2(_ value: Double) -> String {
        let hundredths = Int((value * 100).rounded())
        let fraction = String(hundredths % 100)
        return "\(hundredths / 100)." + (fraction.count == 1 ? "0" : "") + fraction
    }

    private static func seconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
