/// A value that makes its own JSONTree, written out by JSON.encode with no
/// Encoder in between. Swift's Encodable path goes through a keyed
/// container boxed for each CodingKeys type, and the runtime builds that
/// box's metadata and witness tables on first use, in every process: for
/// config.json's RuntimeSpec, which every `run` writes, that was most of
/// the encoding's cost, and its first writes to those caches fault pages
/// (each a TLB shootdown, once other threads run). Types here list their
/// fields once, beside their hand-written decoding.
protocol JSONTreeRepresentable {
    var jsonTree: JSONTree { get }
}

extension JSONTree {
    /// An object of these fields, leaving out those that are nil as a
    /// synthesized Encodable leaves out a nil optional.
    static func fields(_ fields: KeyValuePairs<String, JSONTree?>) -> JSONTree {
        var object: [String: JSONTree] = [:]
        object.reserveCapacity(fields.count)
        for (key, value) in fields {
            if let value { object[key] = value }
        }
        return .object(object)
    }
}

extension JSONTree: Encodable {
    /// Through any Encoder: for a JSONTreeRepresentable held by a Codable
    /// type (an OCI state record's hooks).
    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case let .bool(value): try container.encode(value)
        case let .number(text):
            if let value = Int64(text) {
                try container.encode(value)
            } else if let value = UInt64(text) {
                try container.encode(value)
            } else if let value = Double(text) {
                try container.encode(value)
            } else {
                throw EncodingError.invalidValue(text, .init(codingPath: encoder.codingPath, debugDescription: "\(text) is not a JSON number"))
            }
        case let .string(value): try container.encode(value)
        case let .array(items): try container.encode(items)
        case let .object(fields): try container.encode(fields)
        }
    }
}

extension String: JSONTreeRepresentable {
    var jsonTree: JSONTree { .string(self) }
}

extension Bool: JSONTreeRepresentable {
    var jsonTree: JSONTree { .bool(self) }
}

extension Int: JSONTreeRepresentable {
    var jsonTree: JSONTree { .number(String(self)) }
}

extension Int64: JSONTreeRepresentable {
    var jsonTree: JSONTree { .number(String(self)) }
}

extension UInt16: JSONTreeRepresentable {
    var jsonTree: JSONTree { .number(String(self)) }
}

extension UInt32: JSONTreeRepresentable {
    var jsonTree: JSONTree { .number(String(self)) }
}

extension UInt64: JSONTreeRepresentable {
    var jsonTree: JSONTree { .number(String(self)) }
}

extension Array: JSONTreeRepresentable where Element: JSONTreeRepresentable {
    var jsonTree: JSONTree {
        var items: [JSONTree] = []
        items.reserveCapacity(count)
        for item in self { items.append(item.jsonTree) }
        return .array(items)
    }
}

extension Dictionary: JSONTreeRepresentable where Key == String, Value: JSONTreeRepresentable {
    var jsonTree: JSONTree {
        var object: [String: JSONTree] = [:]
        object.reserveCapacity(count)
        for (key, value) in self { object[key] = value.jsonTree }
        return .object(object)
    }
}
