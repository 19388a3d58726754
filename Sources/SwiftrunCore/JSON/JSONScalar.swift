/// A value JSON holds directly: what the decoder's containers read with
/// `decode(Int.self)` and the like, converted from a JSONTree.
protocol JSONScalar {
    init?(json: JSONTree)
}

extension Bool: JSONScalar {
    init?(json: JSONTree) {
        guard case let .bool(value) = json else { return nil }
        self = value
    }
}

extension String: JSONScalar {
    init?(json: JSONTree) {
        guard case let .string(value) = json else { return nil }
        self = value
    }
}

extension Double: JSONScalar {
    init?(json: JSONTree) {
        guard case let .number(text) = json, let value = Double(text) else { return nil }
        self = value
    }
}

extension Float: JSONScalar {
    init?(json: JSONTree) {
        guard case let .number(text) = json, let value = Float(text) else { return nil }
        self = value
    }
}

/// An integer from its digits, or from a number that is one exactly
/// (`1.0`, `1e2`), as Foundation's decoder read them.
extension JSONScalar where Self: FixedWidthInteger {
    init?(json: JSONTree) {
        guard case let .number(text) = json else { return nil }
        if let value = Self(text, radix: 10) {
            self = value
        } else if let double = Double(text), let value = Self(exactly: double) {
            self = value
        } else {
            return nil
        }
    }
}

extension Int: JSONScalar {}
extension Int8: JSONScalar {}
extension Int16: JSONScalar {}
extension Int32: JSONScalar {}
extension Int64: JSONScalar {}
extension UInt: JSONScalar {}
extension UInt8: JSONScalar {}
extension UInt16: JSONScalar {}
extension UInt32: JSONScalar {}
extension UInt64: JSONScalar {}

extension JSONTree {
    /// This value as `T`, or Swift's DecodingError saying what was found instead.
    func scalar<T: JSONScalar>(_ type: T.Type, at path: [any CodingKey]) throws -> T {
        if let value = T(json: self) { return value }
        let context = DecodingError.Context(codingPath: path, debugDescription: "expected \(T.self), found \(kind)")
        if case .null = self { throw DecodingError.valueNotFound(T.self, context) }
        throw DecodingError.typeMismatch(T.self, context)
    }
}

/// An array element's place in a coding path.
struct JSONIndexKey: CodingKey {
    let intValue: Int?
    var stringValue: String { "Index \(intValue ?? 0)" }

    init(intValue: Int) { self.intValue = intValue }
    init?(stringValue: String) { nil }
}

/// The key `superDecoder()` and `superEncoder()` use, as Foundation's.
struct JSONSuperKey: CodingKey {
    var stringValue: String { "super" }
    var intValue: Int? { nil }

    init() {}
    init?(stringValue: String) { nil }
    init?(intValue: Int) { nil }
}
