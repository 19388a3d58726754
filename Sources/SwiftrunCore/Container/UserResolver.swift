/// Resolves `-u`/`User` ("name", "uid", "name:group", "uid:gid") through the
/// image's own /etc/passwd and /etc/group, as Docker does: a name must be
/// in the image, a number need not be; supplementary groups are the groups
/// that list the user by name.
struct UserResolver {
    struct Resolved: Equatable {
        var user: RuntimeSpec.User
        var home: String
    }

    private let passwd: [[Substring]]
    private let group: [[Substring]]

    /// `readFile` reads a path inside the image, nil if it is missing.
    init(readFile: (String) throws(SwiftrunError) -> [UInt8]?) throws(SwiftrunError) {
        passwd = Self.records(try readFile("/etc/passwd"))
        group = Self.records(try readFile("/etc/group"))
    }

    func resolve(_ spec: String?) throws(SwiftrunError) -> Resolved {
        let text = spec.flatMap { $0.isEmpty ? nil : $0 } ?? "0"
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let userPart = parts[0]
        let entry: [Substring]?
        let uid: UInt32
        if let number = UInt32(userPart) {
            uid = number
            entry = passwd.first { $0.count > 2 && UInt32($0[2]) == number }
        } else {
            guard let found = passwd.first(where: { $0.first == userPart }), found.count > 3, let number = UInt32(found[2]) else {
                throw .invalidArgument("unable to find user \(userPart): no matching entries in the image's /etc/passwd")
            }
            uid = number
            entry = found
        }

        var gid = entry.flatMap { $0.count > 3 ? UInt32($0[3]) : nil } ?? 0
        if parts.count == 2 {
            let groupPart = parts[1]
            if let number = UInt32(groupPart) {
                gid = number
            } else {
                guard let found = group.first(where: { $0.first == groupPart }), found.count > 2, let number = UInt32(found[2]) else {
                    throw .invalidArgument("unable to find group \(groupPart): no matching entries in the image's /etc/group")
                }
                gid = number
            }
        }

        var additional: [UInt32] = []
        if let name = entry?.first {
            for record in group where record.count > 3 {
                guard let number = UInt32(record[2]), number != gid, !additional.contains(number) else { continue }
                if record[3].split(separator: ",").contains(name) { additional.append(number) }
            }
        }
        let home = entry.flatMap { $0.count > 5 && !$0[5].isEmpty ? String($0[5]) : nil } ?? "/"
        return Resolved(user: .init(uid: uid, gid: gid, additionalGids: additional), home: home)
    }

    /// Colon-separated records, one a line, comments and blanks skipped.
    private static func records(_ bytes: [UInt8]?) -> [[Substring]] {
        guard let bytes else { return [] }
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n").compactMap { line in
            line.hasPrefix("#") || line.isEmpty ? nil : line.split(separator: ":", omittingEmptySubsequences: false)
        }
    }
}
