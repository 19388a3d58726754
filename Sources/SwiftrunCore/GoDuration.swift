/// Durations as Docker spells them (Go's time.ParseDuration): "30s",
/// "1m30s", "500ms", "1.5h". HEALTHCHECK and --health-* take them, and so
/// do `logs --since/--until` for a time before now.
public enum GoDuration {
    private static let units: [Substring: Double] = ["ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600]

    /// The length in seconds, or nil if `text` is not a duration.
    public static func seconds(_ text: String) -> Double? {
        var total = 0.0
        var rest = Substring(text)
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            rest = rest.dropFirst(number.count)
            let unit = rest.prefix { $0.isLetter }
            rest = rest.dropFirst(unit.count)
            guard let value = Double(number), let scale = units[unit] else { return nil }
            total += value * scale
        }
        return text.isEmpty ? nil : total
    }

    /// A positive duration in nanoseconds, the unit of the image config's
    /// Healthcheck; `flag` names it in the error.
    static func nanoseconds(_ text: String, flag: String) throws(SwiftrunError) -> Int64 {
        guard let seconds = seconds(text), seconds > 0 else {
            throw .invalidArgument("invalid \(flag) \"\(text)\": a duration such as 30s, 1m30s or 500ms")
        }
        return Int64(seconds * 1e9)
    }
}
