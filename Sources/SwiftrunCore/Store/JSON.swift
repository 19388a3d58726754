import Glibc

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// JSON as swiftrun writes it: sorted keys, so the same value always has
/// the same bytes and therefore the same digest.
public enum JSON {
    package static func encode<T: Encodable>(_ value: T) throws(SwiftrunError) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return Array(try encoder.encode(value))
        } catch {
            throw .invalidArgument("cannot encode \(T.self): \(error)")
        }
    }

    /// Indented, for people and for the OCI verbs that print state as runc does.
    public static func encodePretty<T: Encodable>(_ value: T) throws(SwiftrunError) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
        do {
            return String(decoding: try encoder.encode(value), as: UTF8.self)
        } catch {
            throw .invalidArgument("cannot encode \(T.self): \(error)")
        }
    }

    package static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8], path: String) throws(SwiftrunError) -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(bytes))
        } catch {
            throw .badArchive(path, reason: "unreadable \(T.self) JSON: \(error)")
        }
    }

    /// Now, as RFC 3339 in UTC with milliseconds, the form OCI configs and
    /// swiftrun's state use: containers made in the same second still sort
    /// in the order they were made.
    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return rfc3339(seconds: now.tv_sec, nanoseconds: now.tv_nsec, fractionDigits: 3)
    }

    /// A time as RFC 3339 in UTC with `fractionDigits` of the second (3, or
    /// Docker's 9), from gmtime_r: Foundation's ISO 8601 style builds a
    /// Gregorian calendar first, about 0.8 ms of every `run`.
    package static func rfc3339(seconds: time_t, nanoseconds: Int, fractionDigits: Int) -> String {
        var whole = seconds
        var utc = tm()
        gmtime_r(&whole, &utc)
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        var fraction = nanoseconds
        for _ in fractionDigits..<9 { fraction /= 10 }
        return pad(Int(utc.tm_year) + 1900, 4) + "-" + pad(Int(utc.tm_mon) + 1, 2) + "-" + pad(Int(utc.tm_mday), 2) + "T"
            + pad(Int(utc.tm_hour), 2) + ":" + pad(Int(utc.tm_min), 2) + ":" + pad(Int(utc.tm_sec), 2) + "."
            + pad(fraction, fractionDigits) + "Z"
    }

    /// RFC 3339, with or without a fraction of any length (Docker writes
    /// nanoseconds, older swiftrun state whole seconds).
    public static func date(from text: String) -> Date? {
        guard let dot = text.firstIndex(of: "."), let end = text[dot...].firstIndex(where: { !$0.isNumber && $0 != "." }) else {
            return try? Date(text, strategy: .iso8601)
        }
        guard let whole = try? Date(String(text[..<dot]) + String(text[end...]), strategy: .iso8601) else { return nil }
        return whole.addingTimeInterval(Double("0" + text[dot..<end]) ?? 0)
    }
}
