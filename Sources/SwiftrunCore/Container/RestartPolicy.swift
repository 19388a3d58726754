/// `--restart no|on-failure[:N]|always|unless-stopped`, as Docker applies
/// it: a container that exits is started again after a delay that starts
/// at 100 ms and doubles, and falls back to 100 ms once a run has lasted
/// 10 s. `stop` ends the policy for that container until the next `start`.
public struct RestartPolicy: Codable, Sendable, Equatable {
    public enum Name: String, Codable, Sendable {
        case no
        case onFailure = "on-failure"
        case always
        case unlessStopped = "unless-stopped"
    }

    public var name: Name
    /// on-failure's N: at most this many restarts; 0 is no limit.
    public var maximumRetryCount: Int

    public static let never = RestartPolicy(name: .no, maximumRetryCount: 0)

    public init(name: Name, maximumRetryCount: Int) {
        self.name = name
        self.maximumRetryCount = maximumRetryCount
    }

    public init(parsing text: String) throws(SwiftrunError) {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        guard let first = parts.first, let name = Name(rawValue: first) else {
            throw .invalidArgument("invalid restart policy \"\(text)\": use no, on-failure[:max-retries], always or unless-stopped")
        }
        var count = 0
        if parts.count == 2 {
            guard name == .onFailure else {
                throw .invalidArgument("invalid restart policy \"\(text)\": maximum retry count can only be used with 'on-failure'")
            }
            guard let value = Int(parts[1]), value >= 0 else {
                throw .invalidArgument("invalid restart policy \"\(text)\": max-retries must be a number")
            }
            count = value
        }
        self.init(name: name, maximumRetryCount: count)
    }

    /// Whether a container that exited with `code`, after `restarts`
    /// restarts, starts again. `stopped`: `stop` or `kill` asked for the end.
    func restarts(afterExit code: Int32, restarts: Int, stopped: Bool) -> Bool {
        guard !stopped else { return false }
        switch name {
        case .no: return false
        case .always, .unlessStopped: return true
        case .onFailure: return code != 0 && (maximumRetryCount == 0 || restarts < maximumRetryCount)
        }
    }

    /// The delay before restart number `restarts + 1`, in milliseconds.
    static func delay(afterRun seconds: Double, previous: Int) -> Int {
        seconds >= 10 ? 100 : min(previous == 0 ? 100 : previous * 2, 60_000)
    }
}
