import SwiftrunCore

struct InspectCommand: StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect", abstract: "Show a container's or an image's details as JSON.")

    @Option("-f", "--format", help: InspectFormat.help)
    var format: String?

    @Argument("targets", help: "Container or image names or IDs.")
    var targets: [String]

    func run(in layout: StoreLayout) throws(SwiftrunError) -> Int32 {
        let output = try InspectFormat(format)
        let documents = try targets.map { (target) throws(SwiftrunError) -> String in
            try Inspection(layout: layout).describe(target)
        }
        guard output.template != nil else {
            print("[" + documents.joined(separator: ",\n") + "]")
            return 0
        }
        try output.print(documents.map { Array($0.utf8) })
        return 0
    }
}

/// The `--format` of the inspect commands (container and image, network,
/// volume): Docker's Go template, parsed before any object is looked up,
/// and run over each object's JSON, a line each.
struct InspectFormat {
    static let help: ArgumentHelp = "A Go template run over each object's JSON, as Docker's (for example '{{.State.Status}}' or '{{json .Config}}')."

    let template: GoTemplate?

    init(_ format: String?) throws(SwiftrunError) {
        template = try format.map { (text) throws(SwiftrunError) in try GoTemplate(text) }
    }

    func print(_ documents: [[UInt8]]) throws(SwiftrunError) {
        guard let template else { return }
        for document in documents { Swift.print(try template.render(json: document)) }
    }
}
