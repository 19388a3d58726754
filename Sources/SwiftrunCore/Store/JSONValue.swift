/// Any JSON value, for editing documents swiftrun does not fully model
/// (an image config with Labels, ExposedPorts, ...) without losing fields.
enum JSONValue: Codable, Equatable, Sendable {
    case object([String: JSONValue])
    case array([JSONValue])
    case string(String)
    case integer(Int64)
    case number(Double)
    case bool(Bool)
    case null

    init(from decoder: any Decoder) throws {
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

    func encode(to encoder: any Encoder) throws {
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

    subscript(key: String) -> JSONValue? {
        get { if case let .object(fields) = self { fields[key] } else { nil } }
        set {
            guard case var .object(fields) = self else { return }
            fields[key] = newValue
            self = .object(fields)
        }
    }

    /// The string, if this value is one.
    var stringValue: String? {
        if case let .string(value) = self { value } else { nil }
    }
}

extension JSONValue {
    var objectValue: [String: JSONValue]? {
        if case let .object(value) = self { value } else { nil }
    }

    var arrayValue: [JSONValue]? {
        if case let .array(value) = self { value } else { nil }
    }

    var boolValue: Bool? {
        if case let .bool(value) = self { value } else { nil }
    }

    /// A whole number, as Go writes int64s (a float with no fraction passes).
    var integerValue: Int64? {
        switch self {
        case let .integer(value): value
        case let .number(value) where value.rounded() == value: Int64(exactly: value)
        default: nil
        }
    }

    /// The strings of an array, others skipped.
    var stringList: [String]? { arrayValue?.compactMap(\.stringValue) }

    /// A list of strings; Docker's "strslice" also takes one string alone.
    var stringsValue: [String]? {
        switch self {
        case let .string(value): [value]
        case let .array(values): values.allSatisfy { $0.stringValue != nil } ? values.compactMap(\.stringValue) : nil
        default: nil
        }
    }

    /// Go's zero value for the field's type: what a client that does not
    /// use a field sends for it.
    var isZero: Bool {
        switch self {
        case .null: true
        case let .bool(value): !value
        case let .integer(value): value == 0
        case let .number(value): value == 0
        case let .string(value): value.isEmpty
        case let .array(values): values.isEmpty || values.allSatisfy(\.isZero)
        case let .object(fields): fields.values.allSatisfy(\.isZero)
        }
    }
}
