/// A field Docker writes as `null` when it has no value (a nil slice,
/// map or pointer in its Go struct), where Swift's Optional would leave
/// the key out: a template or client that reads it finds it either way.
struct OrNull<Value: Encodable>: Encodable {
    var value: Value?

    init(_ value: Value?) { self.value = value }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let value { try container.encode(value) } else { try container.encodeNil() }
    }
}

extension OrNull: Sendable where Value: Sendable {}
