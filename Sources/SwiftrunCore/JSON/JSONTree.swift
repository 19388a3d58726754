/// A JSON document as swiftrun's own coder holds it (JSONTreeDecoder,
/// JSONTreeEncoder). Numbers keep their text, so each is read as exactly
/// the type a Decodable asks for (a UInt64 above Int64.max, a Double) and
/// written as it was made. Foundation's JSONEncoder and JSONDecoder did this
/// job before; loading FoundationEssentials cost every command ~2 ms.
indirect enum JSONTree: Sendable {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case array([JSONTree])
    /// A key given twice keeps its first value, as Foundation's decoder did.
    case object([String: JSONTree])

    /// What errors call it.
    var kind: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}
