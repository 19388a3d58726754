import Glibc

/// `images --filter`, and the Engine API's `filters` on `GET /images/json`,
/// as Docker reads them: every key must match, and several values of one
/// key match any.
/// - `dangling=true|false`: images with no name, or only named ones;
/// - `label=KEY` or `label=KEY=VALUE`: the image config's labels;
/// - `reference=PATTERN`: NAME or NAME:TAG, a shell pattern in which `*`
///   stays within one path component (Go's path.Match, as Docker's);
/// - `before=IMAGE`, `since=IMAGE`: created before or after that image.
public struct ImageFilter: Sendable {
    private var wanted: [String: [String]] = [:]
    /// `dangling=`, read as Docker reads a boolean filter.
    private var dangling: [Bool] = []
    /// `before` and `since` as the creation times of the images they name.
    private var before: [Double] = []
    private var since: [Double] = []

    public init(_ filters: [String], store: ImageStore) throws(SwiftrunError) {
        for filter in filters {
            let parts = filter.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, ["dangling", "label", "reference", "before", "since"].contains(parts[0]) else {
                throw .invalidArgument("invalid filter '\(parts[0])': dangling=, label=, reference=, before= or since=")
            }
            switch parts[0] {
            case "dangling":
                switch parts[1].lowercased() {
                case "true", "1": dangling.append(true)
                case "false", "0": dangling.append(false)
                default: throw .invalidArgument("invalid filter 'dangling=\(parts[1])': true or false")
                }
            case "before": before.append(try Self.created(parts[1], store: store))
            case "since": since.append(try Self.created(parts[1], store: store))
            default: wanted[parts[0], default: []].append(parts[1])
            }
        }
    }

    public func matches(_ image: ImageSummary) -> Bool {
        let created = image.created.flatMap(JSON.seconds) ?? 0
        return before.allSatisfy { created < $0 } && since.allSatisfy { created > $0 }
            && (dangling.isEmpty || dangling.contains(image.isDangling))
            && wanted.allSatisfy { key, values in
                values.contains { value in
                    switch key {
                    case "label": ContainerFilter.hasLabel(image.labels, value)
                    case "reference":
                        !image.isDangling
                            && (Self.match(value, image.repository) || Self.match(value, image.repository + ":" + image.tag))
                    default: false
                    }
                }
            }
    }

    private static func match(_ pattern: String, _ name: String) -> Bool {
        fnmatch(pattern, name, FNM_PATHNAME) == 0
    }

    private static func created(_ reference: String, store: ImageStore) throws(SwiftrunError) -> Double {
        try store.image(reference).configuration.created.flatMap(JSON.seconds) ?? 0
    }
}
