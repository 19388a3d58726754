import SwiftrunCore

/// What the Engine API asks of a request body's values.
extension JSONValue {
    var boolValue: Bool? {
        if case let .bool(value) = self { value } else { nil }
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
