import SwiftrunCore

struct LoadCommand: StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Load images from a docker save archive or an OCI image layout (dir or tar; stdin by default).")

    @Option("-i", "--input", help: "Read from this file or directory instead of stdin.")
    var input: String?

    /// As in Docker, -q hides only progress (swiftrun shows none): the
    /// names of what was loaded are printed either way.
    @Flag("-q", "--quiet", help: "Suppress the load output.")
    var quiet = false

    func run(in layout: StoreLayout) throws(SwiftrunError) -> Int32 {
        let loaded = try ImageLoader(store: ImageStore(layout: layout)).load(input)
        for image in loaded {
            if image.names.isEmpty {
                print("Loaded image ID: \(image.id)")
            } else {
                image.names.forEach { print("Loaded image: \($0)") }
            }
        }
        return 0
    }
}
