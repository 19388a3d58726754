/// A registry's WWW-Authenticate header (RFC 7235), as the distribution
/// spec uses it: `Basic realm="..."`, or `Bearer realm="https://auth/token",
/// service="registry",scope="repository:app:pull"` for the token flow.
struct AuthChallenge: Equatable {
    var scheme: String
    var parameters: [String: String]

    var realm: String? { parameters["realm"] }

    init?(header: String) {
        let trimmed = header.drop { $0 == " " }
        guard let space = trimmed.firstIndex(of: " ") else {
            guard !trimmed.isEmpty else { return nil }
            scheme = trimmed.lowercased()
            parameters = [:]
            return
        }
        scheme = trimmed[..<space].lowercased()
        parameters = Self.parameters(trimmed[trimmed.index(after: space)...])
    }

    /// key=value or key="quoted, with \" escapes", separated by commas.
    private static func parameters(_ text: Substring) -> [String: String] {
        var result: [String: String] = [:]
        var rest = text[...]
        while true {
            rest = rest.drop { $0 == " " || $0 == "," }
            guard let equals = rest.firstIndex(of: "=") else { break }
            let key = rest[..<equals].trimmingSpaces.lowercased()
            rest = rest[rest.index(after: equals)...]
            var value = ""
            if rest.first == "\"" {
                rest = rest.dropFirst()
                var escaped = false
                while let character = rest.first {
                    rest = rest.dropFirst()
                    if escaped {
                        value.append(character); escaped = false
                    } else if character == "\\" {
                        escaped = true
                    } else if character == "\"" {
                        break
                    } else {
                        value.append(character)
                    }
                }
            } else {
                let end = rest.firstIndex(of: ",") ?? rest.endIndex
                value = String(rest[..<end]).trimmingSpaces
                rest = rest[end...]
            }
            result[key] = value
        }
        return result
    }
}
