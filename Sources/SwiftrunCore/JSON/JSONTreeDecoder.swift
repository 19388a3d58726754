/// Swift's Decoder over a JSONTree: what `JSON.decode` reads every
/// Decodable with. Errors are Swift's DecodingError, with the coding path.
struct JSONTreeDecoder: Decoder {
    let tree: JSONTree
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(tree: JSONTree, codingPath: [any CodingKey] = []) {
        self.tree = tree
        self.codingPath = codingPath
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case let .object(fields) = tree else { throw mismatch([String: JSONTree].self, "an object") }
        return KeyedDecodingContainer(JSONKeyedReader<Key>(fields: fields, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case let .array(items) = tree else { throw mismatch([JSONTree].self, "an array") }
        return JSONArrayReader(items: items, codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { self }

    private func mismatch(_ type: Any.Type, _ expected: String) -> DecodingError {
        let context = DecodingError.Context(codingPath: codingPath, debugDescription: "expected \(expected), found \(tree.kind)")
        if case .null = tree { return .valueNotFound(type, context) }
        return .typeMismatch(type, context)
    }
}

extension JSONTreeDecoder: SingleValueDecodingContainer {
    func decodeNil() -> Bool {
        if case .null = tree { true } else { false }
    }

    func decode(_ type: Bool.Type) throws -> Bool { try tree.scalar(type, at: codingPath) }
    func decode(_ type: String.Type) throws -> String { try tree.scalar(type, at: codingPath) }
    func decode(_ type: Double.Type) throws -> Double { try tree.scalar(type, at: codingPath) }
    func decode(_ type: Float.Type) throws -> Float { try tree.scalar(type, at: codingPath) }
    func decode(_ type: Int.Type) throws -> Int { try tree.scalar(type, at: codingPath) }
    func decode(_ type: Int8.Type) throws -> Int8 { try tree.scalar(type, at: codingPath) }
    func decode(_ type: Int16.Type) throws -> Int16 { try tree.scalar(type, at: codingPath) }
    func decode(_ type: Int32.Type) throws -> Int32 { try tree.scalar(type, at: codingPath) }
    func decode(_ type: Int64.Type) throws -> Int64 { try tree.scalar(type, at: codingPath) }
    func decode(_ type: UInt.Type) throws -> UInt { try tree.scalar(type, at: codingPath) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try tree.scalar(type, at: codingPath) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try tree.scalar(type, at: codingPath) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try tree.scalar(type, at: codingPath) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try tree.scalar(type, at: codingPath) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try T(from: self) }
}

/// An object's fields, by key.
struct JSONKeyedReader<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let fields: [String: JSONTree]
    let codingPath: [any CodingKey]

    /// A loop over the concrete dictionary: `compactMap` here would be
    /// called unspecialized (Key is generic) and look up its types by name.
    var allKeys: [Key] {
        var keys: [Key] = []
        keys.reserveCapacity(fields.count)
        for (name, _) in fields {
            if let key = Key(stringValue: name) { keys.append(key) }
        }
        return keys
    }

    func contains(_ key: Key) -> Bool { fields[key.stringValue] != nil }

    private func value(_ key: Key) throws -> JSONTree {
        guard let value = fields[key.stringValue] else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "no \"\(key.stringValue)\""))
        }
        return value
    }

    private func decoder(_ key: some CodingKey, _ tree: JSONTree) -> JSONTreeDecoder {
        JSONTreeDecoder(tree: tree, codingPath: codingPath + [key])
    }

    private func scalar<T: JSONScalar>(_ type: T.Type, _ key: Key) throws -> T { try value(key).scalar(type, at: codingPath + [key]) }

    func decodeNil(forKey key: Key) throws -> Bool { decoder(key, try value(key)).decodeNil() }
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try scalar(type, key) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try scalar(type, key) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try scalar(type, key) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try scalar(type, key) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try scalar(type, key) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try scalar(type, key) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try scalar(type, key) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try scalar(type, key) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try scalar(type, key) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try scalar(type, key) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try scalar(type, key) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try scalar(type, key) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try scalar(type, key) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try scalar(type, key) }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try T(from: decoder(key, try value(key))) }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try decoder(key, try value(key)).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try decoder(key, try value(key)).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder { decoder(JSONSuperKey(), fields["super"] ?? .null) }
    func superDecoder(forKey key: Key) throws -> any Decoder { decoder(key, fields[key.stringValue] ?? .null) }
}

/// An array's items, in order.
struct JSONArrayReader: UnkeyedDecodingContainer {
    let items: [JSONTree]
    let codingPath: [any CodingKey]
    private(set) var currentIndex = 0

    init(items: [JSONTree], codingPath: [any CodingKey]) {
        self.items = items
        self.codingPath = codingPath
    }

    var count: Int? { items.count }
    var isAtEnd: Bool { currentIndex >= items.count }

    /// The next item's decoder; past the end, Swift's valueNotFound.
    private mutating func next(_ type: Any.Type) throws -> JSONTreeDecoder {
        let path = codingPath + [JSONIndexKey(intValue: currentIndex)]
        guard !isAtEnd else { throw DecodingError.valueNotFound(type, .init(codingPath: path, debugDescription: "the array has no more items")) }
        defer { currentIndex += 1 }
        return JSONTreeDecoder(tree: items[currentIndex], codingPath: path)
    }

    private mutating func scalar<T: JSONScalar>(_ type: T.Type) throws -> T {
        let item = try next(type)
        return try item.tree.scalar(type, at: item.codingPath)
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, case .null = items[currentIndex] else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool { try scalar(type) }
    mutating func decode(_ type: String.Type) throws -> String { try scalar(type) }
    mutating func decode(_ type: Double.Type) throws -> Double { try scalar(type) }
    mutating func decode(_ type: Float.Type) throws -> Float { try scalar(type) }
    mutating func decode(_ type: Int.Type) throws -> Int { try scalar(type) }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try scalar(type) }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try scalar(type) }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try scalar(type) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try scalar(type) }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try scalar(type) }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try scalar(type) }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try scalar(type) }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try scalar(type) }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try scalar(type) }
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try T(from: try next(type)) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        try next(type).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try next([JSONTree].self).unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder { try next(JSONTree.self) }
}
