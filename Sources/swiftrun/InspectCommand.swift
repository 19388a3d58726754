import SwiftrunCore

struct InspectCommand: StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect", abstract: "Show a container's or an image's details as JSON.")

    @Option("-f", "--format", help: InspectFormat.help)
    var format: String?

    @Argument("targets", help: "Container or image names or IDs.")
    var targets: [String]

    func run(in layout: StoreLayout) throws(SwiftrunError) -> Int32 {
        try InspectFormat.show(targets, format: format) { (target) throws(SwiftrunError) in try Inspection(layout: layout).describe(target) }
    }
}

/// The `--format` of the inspect commands (container and image, network,
/// volume): Docker's Go template, parsed before any object is looked up,
/// and run over each object's JSON, a line each.
enum InspectFormat {
    static let help: ArgumentHelp = "A Go template run over each object's JSON, as Docker's (for example '{{.State.Status}}' or '{{json .Config}}')."

    static func template(_ format: String?) throws(SwiftrunError) -> GoTemplate? {
        try format.map { (text) throws(SwiftrunError) in try GoTemplate(text) }
    }

    /// Each target's JSON document: a JSON array of them, or the template
    /// run over each. As Docker's, a target that cannot be shown is an
    /// error line of its own, the others are still shown, and the exit
    /// code is 1.
    static func show(_ targets: [String], format: String?, _ describe: (String) throws(SwiftrunError) -> String) throws(SwiftrunError) -> Int32 {
        let template = try template(format)
        var documents: [String] = []
        let code = forEachArgument(targets) { (target) throws(SwiftrunError) in documents.append(try describe(target)) }
        if let template {
            try print(documents.map { Array($0.utf8) }, with: template)
        } else {
            Swift.print("[" + documents.joined(separator: ",\n") + "]")
        }
        return code
    }

    static func print(_ documents: [[UInt8]], with template: GoTemplate) throws(SwiftrunError) {
        for document in documents { Swift.print(try template.render(json: document)) }
    }
}
