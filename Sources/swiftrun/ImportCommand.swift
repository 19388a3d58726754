import SwiftrunCore

struct ImportCommand: StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Create an image from a rootfs tarball (.tar or .tar.gz).")

    @Argument("file", help: "The tarball.")
    var file: String

    @Argument("reference", help: "NAME[:TAG] for the new image.")
    var reference: String

    func run(in layout: StoreLayout) throws(SwiftrunError) -> Int32 {
        let reference = try ImageReference(parsing: reference).requiringTag()
        let image = try ImageImporter(store: ImageStore(layout: layout)).importTarball(file, as: reference)
        print(image.id)
        return 0
    }
}
