import Glibc

/// JSON as swiftrun writes it: sorted keys, so the same value always has
/// the same bytes and therefore the same digest.
public enum JSON {
    package static func encode<T: Encodable>(_ value: T) throws(SwiftrunError) -> [UInt8] {
        try write(value, pretty: false)
    }

    /// A value that makes its own tree skips the Encoder (JSONTreeRepresentable).
    static func encodeTree(_ value: some JSONTreeRepresentable, pretty: Bool = false) -> [UInt8] {
        var writer = JSONWriter(pretty: pretty)
        writer.write(value.jsonTree)
        return writer.bytes
    }

    /// Indented, for people and for the OCI verbs that print state as runc does.
    public static func encodePretty<T: Encodable>(_ value: T) throws(SwiftrunError) -> String {
        String(decoding: try write(value, pretty: true), as: UTF8.self)
    }

    private static func write<T: Encodable>(_ value: T, pretty: Bool) throws(SwiftrunError) -> [UInt8] {
        do {
            var writer = JSONWriter(pretty: pretty)
            writer.write(try JSONTreeEncoder.tree(of: value))
            return writer.bytes
        } catch {
            throw .invalidArgument("cannot encode \(T.self): \(error)")
        }
    }

    package static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8], path: String) throws(SwiftrunError) -> T {
        do {
            return try T(from: JSONTreeDecoder(tree: try JSONParser.parse(bytes)))
        } catch {
            throw .badArchive(path, reason: "unreadable \(T.self) JSON: \(error)")
        }
    }

    /// A type that reads its own tree skips the Decoder (JSONTreeDecodable).
    static func decode<T: JSONTreeDecodable>(_ type: T.Type, from bytes: [UInt8], path: String) throws(SwiftrunError) -> T {
        do {
            return try T(tree: try JSONParser.parse(bytes), at: [])
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
    /// Docker's 9). The date is worked out here (days to the proleptic
    /// Gregorian calendar): Foundation's ISO 8601 style builds a calendar
    /// first, about 0.8 ms of every `run`, and glibc's gmtime_r reads the
    /// local time zone's file on its first call, seven syscalls for nothing.
    package static func rfc3339(seconds: time_t, nanoseconds: Int, fractionDigits: Int) -> String {
        let days = Int(seconds).floorDiv(86_400)
        let second = Int(seconds) - days * 86_400
        let (year, month, day) = civilDate(daysSince1970: days)
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        var fraction = nanoseconds
        for _ in fractionDigits..<9 { fraction /= 10 }
        return pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2) + "T"
            + pad(second / 3600, 2) + ":" + pad(second / 60 % 60, 2) + ":" + pad(second % 60, 2) + "."
            + pad(fraction, fractionDigits) + "Z"
    }

    /// Year, month (1-12) and day of a day count from 1970-01-01: eras of
    /// 400 years of 146,097 days, each year from March, so that the leap
    /// day comes last (H. Hinnant's civil_from_days).
    static func civilDate(daysSince1970 days: Int) -> (year: Int, month: Int, day: Int) {
        let shifted = days + 719_468  // from 0000-03-01
        let era = shifted.floorDiv(146_097)
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthFromMarch = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthFromMarch + 2) / 5 + 1
        let month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// Seconds since 1970 now, with the fraction.
    public static func now() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    /// Seconds since 1970 of an RFC 3339 time, with or without a fraction of
    /// any length (Docker writes nanoseconds, older swiftrun state whole
    /// seconds) and in UTC (`Z`) or at an offset (`+02:00`).
    public static func seconds(from text: String) -> Double? {
        let bytes = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int32? {
            guard range.upperBound <= bytes.count, bytes[range].allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
            return bytes[range].reduce(0) { $0 * 10 + Int32($1 - 0x30) }
        }
        guard bytes.count >= 20, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"), bytes[10] | 0x20 == UInt8(ascii: "t"),
            bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
            let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19)
        else { return nil }
        var index = 19
        var fraction = 0.0
        if bytes[index] == UInt8(ascii: ".") {
            var scale = 0.1
            index += 1
            let start = index
            while index < bytes.count, (0x30...0x39).contains(bytes[index]) {
                fraction += Double(bytes[index] - 0x30) * scale
                scale /= 10
                index += 1
            }
            guard index > start else { return nil }
        }
        var offset = 0
        if index == bytes.count - 1, bytes[index] | 0x20 == UInt8(ascii: "z") {
            offset = 0
        } else if index == bytes.count - 6, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-"),
            bytes[index + 3] == UInt8(ascii: ":"), let hours = number(index + 1..<index + 3), let minutes = number(index + 4..<index + 6)
        {
            offset = (Int(hours) * 3600 + Int(minutes) * 60) * (bytes[index] == UInt8(ascii: "-") ? -1 : 1)
        } else {
            return nil
        }
        var parts = tm()
        parts.tm_year = year - 1900
        parts.tm_mon = month - 1
        parts.tm_mday = day
        parts.tm_hour = hour
        parts.tm_min = minute
        parts.tm_sec = second
        return Double(timegm(&parts) - offset) + fraction
    }
}

extension Int {
    /// Division rounding toward minus infinity: a time before 1970 is a
    /// day earlier, not later.
    fileprivate func floorDiv(_ divisor: Int) -> Int {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
