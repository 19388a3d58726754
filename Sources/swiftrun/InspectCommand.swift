import SwiftrunCore

struct InspectCommand: StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect", abstract: "Show a container's or an image's details as JSON.")

    @Option("-f", "--format", help: "A Go template run over each object's JSON, as Docker's (for example '{{.State.Status}}' or '{{json .Config}}').")
    var format: String?

    @Argument("targets", help: "Container or image names or IDs.")
    var targets: [String]

    func run(in layout: StoreLayout) throws(SwiftrunError) -> Int32 {
        // A bad template fails before any object is looked up, as Docker's does.
        let template = try format.map { (text) throws(SwiftrunError) in try GoTemplate(text) }
        let documents = try targets.map { (target) throws(SwiftrunError) -> String in
            try Inspection(layout: layout).describe(target)
        }
        guard let template else {
            print("[" + documents.joined(separator: ",\n") + "]")
            return 0
        }
        for document in documents { print(try template.render(json: Array(document.utf8))) }
        return 0
    }
}
