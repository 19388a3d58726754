import SwiftrunCore

/// `--env-file`: Docker's format, one KEY=VALUE (or KEY, to pass ours) a
/// line; blank lines and lines starting with # are skipped. Values are
/// taken as written: no quotes are removed, as in Docker.
enum EnvironmentFile {
    static func read(_ paths: [String]) throws(SwiftrunError) -> [String] {
        var entries: [String] = []
        for path in paths {
            let text = String(decoding: try FileSystem.readFile(path), as: UTF8.self)
            for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
                let trimmed = line.drop { $0 == " " || $0 == "\t" }
                guard !trimmed.isEmpty, !trimmed.hasPrefix("#") else { continue }
                guard !trimmed.hasPrefix("=") else { throw .invalidArgument("\(path): invalid environment variable: \(trimmed)") }
                entries.append(String(trimmed.hasSuffix("\r") ? trimmed.dropLast() : trimmed))
            }
        }
        return entries
    }
}
