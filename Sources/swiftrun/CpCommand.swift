import SwiftrunCore

struct CpCommand: StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "cp", abstract: "Copy files between a container and the host (\"-\": a tar on stdin or stdout).")

    @Flag("-a", "--archive", help: "Keep the files' owners (uid and gid).")
    var archive = false

    @Argument("source", help: "CONTAINER:SRC_PATH, a host path, or - (a tar on stdin).")
    var source: String

    @Argument("destination", help: "CONTAINER:DEST_PATH, a host path, or - (a tar on stdout).")
    var destination: String

    func run(in layout: StoreLayout) throws(SwiftrunError) -> Int32 {
        var options = ContainerCopy.Options()
        options.keepOwners = archive
        let copy = ContainerCopy(layout: layout)
        switch (Self.split(source), Self.split(destination)) {
        case let ((container?, path), (nil, host)):
            try copy.copyOut(from: container, path: path, to: host, options: options)
        case let ((nil, host), (container?, path)):
            try copy.copyIn(from: host, to: container, path: path, options: options)
        case ((.some, _), (.some, _)):
            throw .invalidArgument("copying between containers is not supported")
        case ((nil, _), (nil, _)):
            throw .invalidArgument("must specify at least one container source")
        }
        return 0
    }

    /// Docker's reading: a path that starts with / or . is the host's;
    /// otherwise NAME:PATH names a container.
    static func split(_ argument: String) -> (container: String?, path: String) {
        guard !argument.hasPrefix("/"), !argument.hasPrefix("."), let colon = argument.firstIndex(of: ":") else { return (nil, argument) }
        return (String(argument[..<colon]), String(argument[argument.index(after: colon)...]))
    }
}
