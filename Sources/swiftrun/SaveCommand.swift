import Glibc
import SwiftrunCore

extension ImageSaver.Format: ExpressibleByArgument {}
extension Narrator.Format: ExpressibleByArgument {}

struct SaveCommand: StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "save", abstract: "Save images to a tar archive (stdout by default).")

    @Option("-o", "--output", help: "Write to this file instead of stdout.")
    var output: String?

    @Option("--format", help: "docker-archive (as docker save) or oci-archive (an OCI image layout).")
    var format: ImageSaver.Format = .dockerArchive

    @Argument("images", help: "Images: NAME[:TAG] or IDs.")
    var images: [String]

    func run(in layout: StoreLayout) throws(SwiftrunError) -> Int32 {
        let saver = ImageSaver(store: ImageStore(layout: layout))
        if let output {
            try saver.save(images, format: format, toFile: output)
        } else {
            guard isatty(1) == 0 else {
                throw .invalidArgument("refusing to write an archive to a terminal: use -o FILE or redirect stdout")
            }
            try saver.save(images, format: format, to: 1, path: "stdout")
        }
        return 0
    }
}
