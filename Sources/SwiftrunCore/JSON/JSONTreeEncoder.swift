/// Swift's Encoder into a JSONTree: what `JSON.encode` writes every
/// Encodable with. Each value is written into a JSONSlot, which containers
/// nested later can still fill (Swift's containers are handed out before
/// their contents are written).
struct JSONTreeEncoder: Encoder {
    let slot: JSONSlot
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    /// The tree `value` encodes to.
    static func tree(of value: some Encodable) throws -> JSONTree {
        let slot = JSONSlot()
        try value.encode(to: JSONTreeEncoder(slot: slot, codingPath: []))
        return slot.tree
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if case .object = slot.content {} else { slot.content = .object([:]) }
        return KeyedEncodingContainer(JSONKeyedWriter<Key>(slot: slot, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if case .array = slot.content {} else { slot.content = .array([]) }
        return JSONArrayWriter(slot: slot, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { self }
}

extension JSONTreeEncoder: SingleValueEncodingContainer {
    func encodeNil() { slot.content = .value(.null) }
    func encode(_ value: Bool) { slot.content = .value(.bool(value)) }
    func encode(_ value: String) { slot.content = .value(.string(value)) }
    func encode(_ value: Double) throws { slot.content = .value(.number(try JSONTreeEncoder.text(value, codingPath))) }
    func encode(_ value: Float) throws { slot.content = .value(.number(try JSONTreeEncoder.text(Double(value), codingPath))) }
    func encode(_ value: Int) { integer(value) }
    func encode(_ value: Int8) { integer(value) }
    func encode(_ value: Int16) { integer(value) }
    func encode(_ value: Int32) { integer(value) }
    func encode(_ value: Int64) { integer(value) }
    func encode(_ value: UInt) { integer(value) }
    func encode(_ value: UInt8) { integer(value) }
    func encode(_ value: UInt16) { integer(value) }
    func encode(_ value: UInt32) { integer(value) }
    func encode(_ value: UInt64) { integer(value) }
    func encode<T: Encodable>(_ value: T) throws { try value.encode(to: self) }

    private func integer(_ value: some FixedWidthInteger) { slot.content = .value(.number(String(value))) }

    /// A Double as Foundation's encoder wrote it: whole numbers below 10^16
    /// without a fraction (`1`, not `1.0`), others in Swift's shortest
    /// round-trip form (`0.5`, `1e+20`). JSON has no NaN or infinity.
    static func text(_ value: Double, _ codingPath: [any CodingKey]) throws -> String {
        guard value.isFinite else {
            throw EncodingError.invalidValue(value, .init(codingPath: codingPath, debugDescription: "\(value) is not a JSON number"))
        }
        if value == value.rounded(), abs(value) < 1e16 {
            return value == 0 && value.sign == .minus ? "-0" : String(Int64(value))
        }
        return value.description
    }
}

/// One value being encoded: empty until a container or a value fills it.
final class JSONSlot {
    enum Content {
        case empty
        case value(JSONTree)
        case object([String: JSONSlot])
        case array([JSONSlot])
    }

    var content = Content.empty

    /// The finished value; a type that encoded nothing is `{}`, as with Foundation.
    var tree: JSONTree {
        switch content {
        case .empty: .object([:])
        case let .value(tree): tree
        case let .object(fields): .object(fields.mapValues(\.tree))
        case let .array(items): .array(items.map(\.tree))
        }
    }

    /// A new slot for `key` of this object.
    func field(_ key: String) -> JSONSlot {
        let slot = JSONSlot()
        if case var .object(fields) = content {
            fields[key] = slot
            content = .object(fields)
        }
        return slot
    }

    /// A new slot at the end of this array.
    func element() -> JSONSlot {
        let slot = JSONSlot()
        if case var .array(items) = content {
            items.append(slot)
            content = .array(items)
        }
        return slot
    }

    var count: Int {
        if case let .array(items) = content { items.count } else { 0 }
    }
}

/// An object's fields. A nil optional is left out (`encodeIfPresent`).
struct JSONKeyedWriter<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let slot: JSONSlot
    let codingPath: [any CodingKey]

    private func field(_ key: some CodingKey) -> JSONTreeEncoder {
        JSONTreeEncoder(slot: slot.field(key.stringValue), codingPath: codingPath + [key])
    }

    mutating func encodeNil(forKey key: Key) { field(key).encodeNil() }
    mutating func encode(_ value: Bool, forKey key: Key) { field(key).encode(value) }
    mutating func encode(_ value: String, forKey key: Key) { field(key).encode(value) }
    mutating func encode(_ value: Double, forKey key: Key) throws { try field(key).encode(value) }
    mutating func encode(_ value: Float, forKey key: Key) throws { try field(key).encode(value) }
    mutating func encode(_ value: Int, forKey key: Key) { field(key).encode(value) }
    mutating func encode(_ value: Int8, forKey key: Key) { field(key).encode(value) }
    mutating func encode(_ value: Int16, forKey key: Key) { field(key).encode(value) }
    mutating func encode(_ value: Int32, forKey key: Key) { field(key).encode(value) }
    mutating func encode(_ value: Int64, forKey key: Key) { field(key).encode(value) }
    mutating func encode(_ value: UInt, forKey key: Key) { field(key).encode(value) }
    mutating func encode(_ value: UInt8, forKey key: Key) { field(key).encode(value) }
    mutating func encode(_ value: UInt16, forKey key: Key) { field(key).encode(value) }
    mutating func encode(_ value: UInt32, forKey key: Key) { field(key).encode(value) }
    mutating func encode(_ value: UInt64, forKey key: Key) { field(key).encode(value) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws { try value.encode(to: field(key)) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        field(key).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer { field(key).unkeyedContainer() }
    mutating func superEncoder() -> any Encoder { field(JSONSuperKey()) }
    mutating func superEncoder(forKey key: Key) -> any Encoder { field(key) }
}

/// An array's items, appended in order.
struct JSONArrayWriter: UnkeyedEncodingContainer {
    let slot: JSONSlot
    let codingPath: [any CodingKey]

    var count: Int { slot.count }

    private func element() -> JSONTreeEncoder {
        JSONTreeEncoder(slot: slot.element(), codingPath: codingPath + [JSONIndexKey(intValue: count)])
    }

    mutating func encodeNil() { element().encodeNil() }
    mutating func encode(_ value: Bool) { element().encode(value) }
    mutating func encode(_ value: String) { element().encode(value) }
    mutating func encode(_ value: Double) throws { try element().encode(value) }
    mutating func encode(_ value: Float) throws { try element().encode(value) }
    mutating func encode(_ value: Int) { element().encode(value) }
    mutating func encode(_ value: Int8) { element().encode(value) }
    mutating func encode(_ value: Int16) { element().encode(value) }
    mutating func encode(_ value: Int32) { element().encode(value) }
    mutating func encode(_ value: Int64) { element().encode(value) }
    mutating func encode(_ value: UInt) { element().encode(value) }
    mutating func encode(_ value: UInt8) { element().encode(value) }
    mutating func encode(_ value: UInt16) { element().encode(value) }
    mutating func encode(_ value: UInt32) { element().encode(value) }
    mutating func encode(_ value: UInt64) { element().encode(value) }
    mutating func encode<T: Encodable>(_ value: T) throws { try value.encode(to: element()) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        element().container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer { element().unkeyedContainer() }
    mutating func superEncoder() -> any Encoder { element() }
}
