/// Any JSON value, for editing documents swiftrun does not fully model
/// (an image config with Labels, ExposedPorts, ...) without losing fields.
package enum JSONValue: Codable, Equatable, Sendable {
    case object([String: JSONValue])
    case array([JSONValue])
    case string(String)
    case integer(Int64)
    case number(Double)
    case bool(Bool)
    case null

    package init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case let .object(value): try container.encode(value)
        case let .array(value): try container.encode(value)
        case let .string(value): try container.encode(value)
        case let .integer(value): try container.encode(value)
        case let .number(value): try container.encode(value)
        case let .bool(value): try container.encode(value)
        case .null: try container.encodeNil()
        }
    }

    package subscript(key: String) -> JSONValue? {
        get { if case let .object(fields) = self { fields[key] } else { nil } }
        set {
            guard case var .object(fields) = self else { return }
            fields[key] = newValue
            self = .object(fields)
        }
    }

    /// The string, if this value is one.
    package var stringValue: String? {
        if case let .string(value) = self { value } else { nil }
    }
}

extension JSONValue {
    package var objectValue: [String: JSONValue]? {
        if case let .object(value) = self { value } else { nil }
    }

    package var arrayValue: [JSONValue]? {
        if case let .array(value) = self { value } else { nil }
    }

    /// A whole number, as Go writes int64s (a float with no fraction passes).
    package var integerValue: Int64? {
        switch self {
        case let .integer(value): value
        case let .number(value) where value.rounded() == value: Int64(exactly: value)
        default: nil
        }
    }

    /// A list of strings; Docker's "strslice" also takes one string alone.
    package var stringsValue: [String]? {
        switch self {
        case let .string(value): [value]
        case let .array(values): values.allSatisfy { $0.stringValue != nil } ? values.compactMap(\.stringValue) : nil
        default: nil
        }
    }
}
