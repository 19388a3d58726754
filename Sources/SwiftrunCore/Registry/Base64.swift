/// RFC 4648 base64 with padding: the `auth` entries of Docker's
/// config.json and Basic authorization headers.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count + 2) / 3 * 4)
        for start in stride(from: 0, to: bytes.count, by: 3) {
            let chunk = bytes[start..<min(start + 3, bytes.count)]
            let value = chunk.enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (16 - 8 * $1.offset) }
            for position in 0..<4 {
                output.append(position <= chunk.count ? alphabet[Int(value >> (18 - 6 * position) & 0x3F)] : UInt8(ascii: "="))
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// nil unless `text` is whole groups of four from the alphabet, padded at the end only.
    static func decode(_ text: String) -> [UInt8]? {
        let characters = Array(text.utf8)
        guard characters.count % 4 == 0 else { return nil }
        var output: [UInt8] = []
        for start in stride(from: 0, to: characters.count, by: 4) {
            let group = characters[start..<start + 4]
            let padding = group.reversed().prefix { $0 == UInt8(ascii: "=") }.count
            guard padding <= 2, start + 4 == characters.count || padding == 0 else { return nil }
            var value: UInt32 = 0
            for character in group.dropLast(padding) {
                guard let digit = alphabet.firstIndex(of: character) else { return nil }
                value = value << 6 | UInt32(digit)
            }
            value <<= 6 * UInt32(padding)
            for position in 0..<(3 - padding) { output.append(UInt8(truncatingIfNeeded: value >> (16 - 8 * position))) }
        }
        return output
    }
}
