/// Text helpers the HTTP headers, the Dockerfile parser and .dockerignore share.
extension StringProtocol {
    /// Without leading and trailing whitespace ("\r\n" is one Character, and whitespace).
    var trimmingSpaces: String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }

    /// Where `text` first occurs, by bytes. The CLI is built without
    /// _StringProcessing, whose `firstRange(of:)` and `contains(_:)` this
    /// replaces (see Package.swift).
    package func firstOccurrence(of text: some StringProtocol) -> Range<Index>? {
        let needle = Array(text.utf8)
        guard let first = needle.first else { return startIndex..<startIndex }
        var start = utf8.startIndex
        while let found = utf8[start...].firstIndex(of: first) {
            if let end = utf8.index(found, offsetBy: needle.count, limitedBy: utf8.endIndex), utf8[found..<end].elementsEqual(needle) {
                return found..<end
            }
            start = utf8.index(after: found)
        }
        return nil
    }

    package func contains(text: some StringProtocol) -> Bool { firstOccurrence(of: text) != nil }

    /// Every occurrence of `text` replaced, left to right.
    package func replacingEvery(_ text: some StringProtocol, with replacement: String) -> String {
        var result = ""
        var rest = self[...]
        while let found = rest.firstOccurrence(of: text) {
            result += rest[..<found.lowerBound] + replacement
            rest = rest[found.upperBound...]
        }
        return result + rest
    }
}

extension Array where Element == String {
    /// The standard library's `joined(separator:)`, for [String] in this
    /// package: the standard one is generic over BidirectionalCollection,
    /// and its first call in a process costs the runtime a witness table
    /// and a type found by its mangled name, 0.1-0.2 ms of every `run`
    /// (issue 15's profile: the seccomp cache key, then /etc/hosts, then
    /// the next caller). A concrete overload wins over the generic one, so
    /// every call here takes this.
    package func joined(separator: String = "") -> String {
        var text = ""
        for (index, part) in enumerated() {
            if index > 0 { text += separator }
            text += part
        }
        return text
    }
}

extension String {
    /// Two lowercase hex digits a byte: digests and container ids.
    package init(lowercaseHex bytes: [UInt8]) {
        let digits = Array("0123456789abcdef".utf8)
        var hex = [UInt8]()
        hex.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            hex.append(digits[Int(byte >> 4)])
            hex.append(digits[Int(byte & 0xf)])
        }
        self.init(decoding: hex, as: UTF8.self)
    }

    /// Exactly `count` bytes of 0-9 and a-f: digests and container ids.
    /// By bytes, not Characters: a Character's properties are Unicode
    /// table lookups, and this runs on every `run`'s path.
    package func isLowercaseHex(count: Int) -> Bool {
        utf8.count == count && utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }
}
