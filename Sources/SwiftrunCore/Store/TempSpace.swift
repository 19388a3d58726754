import Glibc

/// Names under tmp/ carry the pid and start time of the process writing
/// them ("<pid>-<start>-<random>.blob"), so whatever a killed import, load
/// or pull left behind (Ctrl-C, kill -9, a power cut) can be told apart
/// from what a live one is still writing, and swept.
extension StoreLayout {
    func newTempPath(_ suffix: String) -> String {
        "\(temp)/\(Self.tempOwner)-\(String(UInt64.random(in: .min ... .max), radix: 16)).\(suffix)"
    }

    /// This process's pid and start time, read from /proc once.
    private static let tempOwner = (try? ProcessIdentity.current()).map { "\($0.pid)-\($0.startTime)" } ?? "0-0"

    /// Removes what dead processes left in tmp/. Never touches a live writer's files.
    func sweepTemp() {
        guard let entries = try? FileSystem.listDirectory(temp) else { return }
        for entry in entries {
            let parts = entry.split(separator: "-", maxSplits: 2)
            if parts.count == 3, let pid = Int32(parts[0]), let start = UInt64(parts[1]),
                ProcessIdentity(pid: pid, startTime: start).isAlive
            {
                continue
            }
            try? FileSystem.removeTree(temp + "/" + entry)
        }
    }
}
