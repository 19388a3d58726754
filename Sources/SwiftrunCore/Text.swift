/// Text helpers the HTTP headers, the Dockerfile parser and .dockerignore share.
extension StringProtocol {
    /// Without leading and trailing whitespace ("\r\n" is one Character, and whitespace).
    var trimmingSpaces: String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
