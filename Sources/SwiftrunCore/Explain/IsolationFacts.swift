/// What one run's --explain records say, gathered for the drawing: the
/// values are the run's own (the records' `data`, the compare record's
/// namespaces, the child's calls), never made up here.
struct IsolationFacts {
    struct Layer {
        var diffID: String
        var size: Int64
    }

    var image = ""
    var command = ""
    var hostPid = ""
    /// pid, mnt, uts, ipc, net, cgroup, root, hostname: the host's and the container's.
    var host: [String: String] = [:]
    var container: [String: String] = [:]
    var layers: [Layer] = []
    var upper = ""
    var rootfs = ""
    var masked: [String] = []
    var readonly: [String] = []
    /// Each cgroup file written, in order (cgroup.procs aside), and the
    /// directories the pid joined.
    var cgroupWrites: [(file: String, value: String)] = []
    var cgroupDirectories: [String] = []
    var kept: [String] = []
    var dropped: [String] = []
    var seccomp = ""
    var noNewPrivileges = false
    var uid: Int64 = 0
    var gid: Int64 = 0
    var network: [String: String] = [:]
    /// The network masquerades out (not --internal).
    var nat = false
    var veth: [String: String] = [:]
    var ports: [String] = []

    init(records: [[String: JSONValue]]) {
        for record in records {
            let step = record["step"]?.stringValue ?? ""
            let call = record["call"]?.stringValue ?? ""
            let data = record["data"]?.objectValue ?? [:]
            switch (record["by"]?.stringValue ?? "", step) {
            case ("parent", "image"):
                image = data["image"]?.stringValue ?? ""
                layers = (data["layers"]?.arrayValue ?? []).map { layer in
                    let fields = layer.objectValue ?? [:]
                    return Layer(diffID: fields["diff_id"]?.stringValue ?? "?", size: fields["size"]?.integerValue ?? 0)
                }
                upper = data["upper"]?.stringValue ?? ""
                rootfs = data["rootfs"]?.stringValue ?? ""
                masked = data["masked"]?.stringsValue ?? []
                readonly = data["readonly"]?.stringsValue ?? []
            case ("parent", "capabilities"):
                kept = data["kept"]?.stringsValue ?? []
                dropped = data["dropped"]?.stringsValue ?? []
            case ("parent", "seccomp"): seccomp = call
            case ("parent", "no_new_privs"): noNewPrivileges = data["on"] == .bool(true)
            case ("parent", "user"):
                uid = data["uid"]?.integerValue ?? 0
                gid = data["gid"]?.integerValue ?? 0
            case ("parent", "cgroup"):
                guard let file = data["file"]?.stringValue, let value = data["value"]?.stringValue else { continue }
                if file.hasSuffix("/cgroup.procs") {
                    cgroupDirectories.append(String(file.dropLast("/cgroup.procs".count)))
                } else {
                    cgroupWrites.append((file, value))
                }
            case ("parent", "clone3"):
                hostPid = call.split(separator: "=").last.map { String($0).trimmedWhitespace } ?? ""
            case ("parent", "compare"):
                host = (record["host"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
                container = (record["container"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
            case ("parent", "address"):
                network = data.compactMapValues(\.stringValue)
                nat = data["nat"] == .bool(true)
            case ("parent", "veth"): veth = data.compactMapValues(\.stringValue)
            case ("parent", "ports"): ports = data["ports"]?.stringsValue ?? []
            case ("child", "exec"): command = call
            default: continue
            }
        }
    }

    /// The limits in words: memory in MiB, CPU as a share of CPUs.
    var limits: [String] {
        var lines: [String] = []
        var quota: Double?
        var period: Double?
        for (file, value) in cgroupWrites {
            let name = file.split(separator: "/").last.map(String.init) ?? file
            switch name {
            case "memory.limit_in_bytes", "memory.max", "memory.memsw.limit_in_bytes", "memory.swap.max",
                "memory.soft_limit_in_bytes", "memory.low":
                lines.append("\(name) = \(Int64(value).map(Self.bytes) ?? value)")
            case "cpu.cfs_quota_us": quota = Double(value)
            case "cpu.cfs_period_us": period = Double(value)
            case "cpu.max":
                let parts = value.split(separator: " ")
                if parts.count == 2 { (quota, period) = (Double(parts[0]), Double(parts[1])) }
            default:
                lines.append(value.contains(text: "BPF_CGROUP_DEVICE") ? "devices: \(value)" : "\(name) = \(value)")
            }
        }
        if let quota, let period, period > 0 {
            let cpus = (quota / period * 100).rounded() / 100
            lines.append("cpu: \(cpus) CPU (\(Int(quota)) µs every \(Int(period)) µs)")
        }
        return lines
    }

    /// Sizes as Docker's limits read: 64 MiB.
    static func bytes(_ value: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var size = Double(value)
        var unit = 0
        while size >= 1024 && unit < units.count - 1 {
            size /= 1024
            unit += 1
        }
        let rounded = (size * 10).rounded() / 10
        return (rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)) + " " + units[unit]
    }
}
