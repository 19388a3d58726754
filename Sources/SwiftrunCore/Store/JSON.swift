#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// JSON as swiftrun writes it: sorted keys, so the same value always has
/// the same bytes and therefore the same digest.
enum JSON {
    static func encode<T: Encodable>(_ value: T) throws(SwiftrunError) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return Array(try encoder.encode(value))
        } catch {
            throw .invalidArgument("cannot encode \(T.self): \(error)")
        }
    }

    static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8], path: String) throws(SwiftrunError) -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(bytes))
        } catch {
            throw .badArchive(path, reason: "unreadable \(T.self) JSON: \(error)")
        }
    }

    /// Now, as RFC 3339 in UTC, the form OCI configs and swiftrun's state use.
    static func timestamp(_ date: Date = Date()) -> String {
        date.formatted(.iso8601)
    }

    static func date(from text: String) -> Date? {
        try? Date(text, strategy: .iso8601)
    }
}
