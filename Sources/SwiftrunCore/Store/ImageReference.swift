/// NAME[:TAG][@DIGEST] as the user types it, normalised as Docker does: the
/// tag defaults to "latest", the registry to docker.io, and a one-part name
/// on docker.io lives under library/. So "busybox" is
/// docker.io/library/busybox:latest, and is shown again as "busybox".
/// A digest pins the content; the tag is then only a label and shows as <none>.
public struct ImageReference: Hashable, Sendable, CustomStringConvertible {
    public static let defaultRegistry = "docker.io"

    /// The full name: "docker.io/library/busybox".
    public let name: String
    public let tag: String
    public let digest: Digest?

    public init(parsing text: String) throws(SwiftrunError) {
        var text = Substring(text)
        if let at = text.firstIndex(of: "@") {
            guard let digest = Digest(parsing: String(text[text.index(after: at)...])) else {
                throw .invalidArgument("invalid digest in \"\(text)\": expected sha256: and 64 lowercase hex digits")
            }
            self.digest = digest
            text = text[..<at]
        } else {
            digest = nil
        }
        // A colon after the last slash starts the tag; one before it is a
        // registry port (localhost:5000/app).
        let lastSlash = text.lastIndex(of: "/")
        let searchStart = lastSlash.map { text.index(after: $0) } ?? text.startIndex
        let given: String
        if let colon = text[searchStart...].lastIndex(of: ":") {
            given = String(text[..<colon])
            tag = String(text[text.index(after: colon)...])
        } else {
            given = String(text)
            tag = digest == nil ? "latest" : "<none>"
        }
        name = Self.normalize(given)
        guard Self.isValidName(given) else {
            throw .invalidArgument("invalid image name \"\(text)\": use lowercase letters, digits and . _ - / separators")
        }
        guard Self.isValidTag(tag) || (digest != nil && tag == "<none>") else {
            throw .invalidArgument("invalid tag in \"\(text)\": up to 128 of A-Z a-z 0-9 _ . -, not starting with . or -")
        }
    }

    /// The store's index key: NAME@DIGEST when pinned, else NAME:TAG.
    public var description: String { digest.map { name + "@" + $0.description } ?? name + ":" + tag }

    /// The name as Docker shows it: "busybox", "user/app", "localhost:5000/app".
    public var familiarName: String {
        let prefix = Self.defaultRegistry + "/"
        guard name.hasPrefix(prefix) else { return name }
        let rest = name.dropFirst(prefix.count)
        return String(rest.hasPrefix("library/") ? rest.dropFirst("library/".count) : rest)
    }

    public var familiar: String { digest.map { familiarName + "@" + $0.description } ?? familiarName + ":" + tag }

    /// The same name with a tag, for commands that name a new image: a
    /// digest cannot be given to content that does not have it.
    public func requiringTag() throws(SwiftrunError) -> ImageReference {
        guard digest == nil else { throw .invalidArgument("\(familiar): a new image is named NAME[:TAG]; its digest is computed, not chosen") }
        return self
    }

    /// The registry host, when the first part names one ("." or ":" in it, or localhost).
    public var registry: String { String(name.prefix { $0 != "/" }) }

    private static func normalize(_ name: String) -> String {
        let first = name.prefix { $0 != "/" }
        let hasRegistry = name.contains("/") && (first.contains(".") || first.contains(":") || first == "localhost")
        if hasRegistry { return name }
        return defaultRegistry + "/" + (name.contains("/") ? name : "library/" + name)
    }

    /// Lowercase components separated by "/"; the first may be a registry
    /// host with a port ("localhost:5000") when more components follow.
    private static func isValidName(_ name: String) -> Bool {
        guard !name.isEmpty, name.count <= 255 else { return false }
        let parts = name.split(separator: "/", omittingEmptySubsequences: false)
        return parts.enumerated().allSatisfy { index, part in
            var component = part
            if index == 0 && parts.count > 1, let colon = part.firstIndex(of: ":") {
                let port = part[part.index(after: colon)...]
                guard !port.isEmpty, port.allSatisfy(\.isNumber) else { return false }
                component = part[..<colon]
            }
            guard let first = component.first, let last = component.last,
                first.isLowercaseAlnum, last.isLowercaseAlnum
            else { return false }
            return component.allSatisfy { $0.isLowercaseAlnum || "._-".contains($0) }
        }
    }

    private static func isValidTag(_ tag: String) -> Bool {
        guard let first = tag.first, tag.count <= 128, first != ".", first != "-" else { return false }
        return tag.allSatisfy { ($0.isASCII && ($0.isLetter || $0.isNumber)) || "_.-".contains($0) }
    }
}

extension Character {
    var isLowercaseAlnum: Bool { isASCII && (isNumber || (isLetter && isLowercase)) }
}
