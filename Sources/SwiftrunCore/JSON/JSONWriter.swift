/// A JSONTree as bytes, in the form swiftrun has always written (that of
/// Foundation's encoder with sorted keys and unescaped slashes): keys in
/// byte order, so the same value always has the same bytes and digest;
/// non-ASCII text as UTF-8. Pretty output indents by two and writes
/// `"key" : value`, and an empty array as `[` and `]` a blank line apart.
struct JSONWriter {
    let pretty: Bool
    private(set) var bytes: [UInt8] = []

    init(pretty: Bool) { self.pretty = pretty }

    mutating func write(_ tree: JSONTree, indent: Int = 0) {
        switch tree {
        case .null: append("null")
        case let .bool(value): append(value ? "true" : "false")
        case let .number(text): append(text)
        case let .string(text): write(string: text)
        case let .array(items):
            bytes.append(UInt8(ascii: "["))
            for (position, item) in items.enumerated() {
                separate(first: position == 0, indent: indent + 2)
                write(item, indent: indent + 2)
            }
            close("]", indent: indent, empty: items.isEmpty)
        case let .object(fields):
            bytes.append(UInt8(ascii: "{"))
            let keys = fields.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            for (position, key) in keys.enumerated() {
                separate(first: position == 0, indent: indent + 2)
                write(string: key)
                append(pretty ? " : " : ":")
                write(fields[key]!, indent: indent + 2)
            }
            close("}", indent: indent, empty: fields.isEmpty)
        }
    }

    private mutating func separate(first: Bool, indent: Int) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        guard pretty else { return }
        bytes.append(0x0A)
        bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: indent))
    }

    private mutating func close(_ bracket: Unicode.Scalar, indent: Int, empty: Bool) {
        if pretty {
            bytes.append(contentsOf: empty ? [0x0A, 0x0A] : [0x0A])
            bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: indent))
        }
        bytes.append(UInt8(ascii: bracket))
    }

    /// Quotes, backslashes and control characters escaped; nothing else.
    private mutating func write(string: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): append("\\\"")
            case UInt8(ascii: "\\"): append("\\\\")
            case 0x0A: append("\\n")
            case 0x0D: append("\\r")
            case 0x09: append("\\t")
            case 0x08: append("\\b")
            case 0x0C: append("\\f")
            case ..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                append("\\u00")
                bytes.append(hex[Int(byte >> 4)])
                bytes.append(hex[Int(byte & 0xF)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func append(_ text: String) { bytes.append(contentsOf: text.utf8) }
}
