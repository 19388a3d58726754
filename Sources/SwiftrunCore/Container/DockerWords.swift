import Glibc

/// How Docker words times and states for people: `ps`'s STATUS and
/// CREATED columns, and the Engine API's container list.
public enum DockerWords {
    /// "5 seconds ago", "About a minute ago", "3 hours ago", as Docker words it.
    public static func ago(_ timestamp: String?) -> String {
        guard let timestamp, let seconds = JSON.seconds(from: timestamp) else { return "unknown" }
        return duration(JSON.now() - seconds) + " ago"
    }

    /// A list's .CreatedAt, as Docker's CLI prints it (Go's time.String()),
    /// in UTC: "2026-12-02 11:52:46 +0000 UTC".
    public static func createdAt(_ timestamp: String?) -> String {
        guard let timestamp, let seconds = JSON.seconds(from: timestamp) else { return "" }
        let utc = JSON.rfc3339(seconds: time_t(seconds.rounded(.down)), nanoseconds: 0, fractionDigits: 3)
        return utc.prefix(10) + " " + utc.dropFirst(11).prefix(8) + " +0000 UTC"
    }

    public static func duration(_ seconds: Double) -> String {
        switch seconds {
        case ..<1: "Less than a second"
        case ..<60: "\(Int(seconds)) seconds"
        case ..<120: "About a minute"
        case ..<3600: "\(Int(seconds / 60)) minutes"
        case ..<7200: "About an hour"
        case ..<172_800: "\(Int(seconds / 3600)) hours"
        default: "\(Int(seconds / 86400)) days"
        }
    }

    /// Docker's STATUS column: "Up 3 seconds (Paused)", "Up 3 seconds
    /// (healthy)", "Restarting (1) 2 seconds ago", "Exited (0) 2 minutes ago".
    public static func status(_ container: ContainerState, paused: Bool = false, health: String? = nil) -> String {
        switch container.status {
        case .created:
            return "Created"
        case .running:
            guard let started = JSON.seconds(from: container.started ?? container.created) else { return "Up" }
            let note =
                paused ? " (Paused)" : health.map { $0 == "starting" ? " (health: starting)" : " (\($0))" } ?? ""
            return "Up " + duration(JSON.now() - started) + note
        case .restarting:
            return "Restarting (\(container.exitCode ?? -1)) " + ago(container.finished)
        case .exited:
            return "Exited (\(container.exitCode ?? -1)) " + ago(container.finished)
        }
    }
}
