import SwiftrunCore

struct InspectCommand: StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect", abstract: "Show a container's or an image's details as JSON.")

    @Argument("targets", help: "Container or image names or IDs.")
    var targets: [String]

    func run(in layout: StoreLayout) throws(SwiftrunError) -> Int32 {
        let documents = try targets.map { (target) throws(SwiftrunError) -> String in
            try Inspection(layout: layout).describe(target)
        }
        print("[" + documents.joined(separator: ",\n") + "]")
        return 0
    }
}
