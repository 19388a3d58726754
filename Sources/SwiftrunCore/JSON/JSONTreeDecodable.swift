/// A type read straight from a JSONTree, the mirror of
/// JSONTreeRepresentable: JSON.decode calls this init with no Decoder in
/// between. A synthesized Decodable reads through a keyed container boxed
/// for each CodingKeys type, whose metadata and witness tables the runtime
/// builds on first use, in every process: for the image index, manifest and
/// config that every `run` reads, a quarter of its instructions. Each such
/// type's `init(from:)` calls this init too, so one reading serves both
/// (JSONTreeDecoder.tree(of:)).
protocol JSONTreeDecodable: Decodable {
    init(tree: JSONTree, at path: [any CodingKey]) throws
}

extension JSONTreeDecoder {
    /// The tree under `decoder`, for a JSONTreeDecodable's `init(from:)`.
    /// swiftrun reads JSON with no other Decoder.
    static func tree(of decoder: any Decoder) throws -> JSONTree {
        guard let decoder = decoder as? JSONTreeDecoder else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "only swiftrun's JSON reader reads this type"))
        }
        return decoder.tree
    }
}

/// An object's fields, read as a synthesized Decodable reads them: a
/// missing required key is keyNotFound, and an optional that is missing or
/// null is nil.
struct JSONFields {
    let fields: [String: JSONTree]
    let path: [any CodingKey]

    init(_ tree: JSONTree, at path: [any CodingKey]) throws {
        guard case let .object(fields) = tree else {
            let context = DecodingError.Context(codingPath: path, debugDescription: "expected an object, found \(tree.kind)")
            if case .null = tree { throw DecodingError.valueNotFound([String: JSONTree].self, context) }
            throw DecodingError.typeMismatch([String: JSONTree].self, context)
        }
        self.fields = fields
        self.path = path
    }

    func required<T: JSONTreeDecodable>(_ key: String) throws -> T {
        guard let value = fields[key] else {
            throw DecodingError.keyNotFound(JSONFieldKey(key), .init(codingPath: path, debugDescription: "no \"\(key)\""))
        }
        return try T(tree: value, at: path + [JSONFieldKey(key)])
    }

    func optional<T: JSONTreeDecodable>(_ key: String) throws -> T? {
        guard let value = fields[key] else { return nil }
        if case .null = value { return nil }
        return try T(tree: value, at: path + [JSONFieldKey(key)])
    }
}

/// A field's place in a coding path.
struct JSONFieldKey: CodingKey {
    let stringValue: String
    var intValue: Int? { nil }

    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

extension JSONTreeDecodable where Self: JSONScalar {
    init(tree: JSONTree, at path: [any CodingKey]) throws { self = try tree.scalar(Self.self, at: path) }
}

extension String: JSONTreeDecodable {}
extension Bool: JSONTreeDecodable {}
extension Int: JSONTreeDecodable {}
extension Int64: JSONTreeDecodable {}

extension Array: JSONTreeDecodable where Element: JSONTreeDecodable {
    init(tree: JSONTree, at path: [any CodingKey]) throws {
        guard case let .array(items) = tree else {
            let context = DecodingError.Context(codingPath: path, debugDescription: "expected an array, found \(tree.kind)")
            if case .null = tree { throw DecodingError.valueNotFound([JSONTree].self, context) }
            throw DecodingError.typeMismatch([JSONTree].self, context)
        }
        self = []
        reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            append(try Element(tree: item, at: path + [JSONIndexKey(intValue: index)]))
        }
    }
}

extension Dictionary: JSONTreeDecodable where Key == String, Value: JSONTreeDecodable {
    init(tree: JSONTree, at path: [any CodingKey]) throws {
        let object = try JSONFields(tree, at: path)
        self = [:]
        reserveCapacity(object.fields.count)
        for (key, value) in object.fields {
            self[key] = try Value(tree: value, at: path + [JSONFieldKey(key)])
        }
    }
}
