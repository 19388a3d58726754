import SwiftrunCore

struct InspectCommand: StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect", abstract: "Show a container's or an image's details as JSON.")

    @Option("-f", "--format", help: InspectFormat.help)
    var format: String?

    @Flag("-s", "--size", help: "Show a container's sizes: SizeRw (its writable layer) and SizeRootFs (with its image).")
    var size = false

    @Argument("targets", help: "Container or image names or IDs.")
    var targets: [String]

    func run(in layout: StoreLayout) throws(SwiftrunError) -> Int32 {
        try InspectFormat.show(targets, format: format) { (target) throws(SwiftrunError) in
            try Inspection(layout: layout).describe(target, size: size)
        }
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

    /// Each target's JSON document, with the Go struct Docker's is: a JSON
    /// array of them, or the template run over each. As Docker's, a target
    /// that cannot be shown is an error line of its own, the others are
    /// still shown, and the exit code is 1.
    static func show(
        _ targets: [String], format: String?, _ describe: (String) throws(SwiftrunError) -> (document: String, shape: GoStruct)
    ) throws(SwiftrunError) -> Int32 {
        let template = try template(format)
        var documents: [(document: String, shape: GoStruct)] = []
        let code = forEachArgument(targets) { (target) throws(SwiftrunError) in documents.append(try describe(target)) }
        if let template {
            return print(documents.map { (Array($0.document.utf8), $0.shape) }, with: template) == 0 ? code : 1
        }
        Swift.print("[" + documents.map(\.document).joined(separator: ",\n") + "]")
        return code
    }

    /// The template's line for each document. One it fails on is an error
    /// line of its own, in Docker's words, and the others are still shown;
    /// if none is, the output is an empty line, as Docker's CLI flushes it.
    static func print(_ documents: [(document: [UInt8], shape: GoStruct)], with template: GoTemplate) -> Int32 {
        var lines: [String] = []
        var failures: [SwiftrunError] = []
        for (document, shape) in documents {
            do throws(SwiftrunError) { lines.append(try template.render(json: document, as: shape)) } catch { failures.append(error) }
        }
        if !lines.isEmpty || !failures.isEmpty { Swift.print(lines.joined(separator: "\n")) }
        for failure in failures { printError("swiftrun: template parsing error: \(failure)") }
        return failures.isEmpty ? 0 : 1
    }
}
