import Glibc

/// This binary, and the helpers installed beside it (swiftrun-monitor,
/// swiftrun-api): found through /proc/self/exe, never through $PATH,
/// so the helper run is the one built with this swiftrun.
public enum SwiftrunBinary {
    public static var path: String? {
        var path = [CChar](repeating: 0, count: 4096)
        let length = readlink("/proc/self/exe", &path, path.count - 1)
        guard length > 0 else { return nil }
        return String(decoding: path[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// NAME in this binary's directory, if it is there and executable.
    public static func sibling(_ name: String) -> String? {
        guard let path else { return nil }
        let helper = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)]) + "/" + name
        return access(helper, X_OK) == 0 ? helper : nil
    }
}
