import Glibc
import SwiftrunCore

/// `swiftrun system service`: the Docker Engine API on a unix socket, for
/// docker-py, testcontainers and the docker CLI (DOCKER_HOST=unix://...).
/// This process becomes swiftrun-api, installed beside swiftrun, whose
/// SwiftNIO never loads on any other command's path.
struct ServiceCommand: StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "service", abstract: "Serve the Docker Engine API on a unix socket (access to it is root on this host).")

    static let defaultSocket = "unix:///run/swiftrun/docker.sock"

    @Option("--socket", help: "Where to listen: unix:///PATH.")
    var socket = ServiceCommand.defaultSocket

    @Option("-t", "--time", help: "Exit after this many idle seconds (0: serve until killed).")
    var time = 5

    @Argument("uri", help: .hidden)
    var uri: String?

    func run(in layout: StoreLayout) throws(SwiftrunError) -> Int32 {
        let address = uri ?? socket
        guard address.hasPrefix("unix:///") else {
            throw .invalidArgument("\(address): swiftrun serves on a unix socket only (unix:///PATH)")
        }
        guard time >= 0 else { throw .invalidArgument("--time must be 0 or more seconds") }
        guard let swiftrun = SwiftrunBinary.path, let server = SwiftrunBinary.sibling("swiftrun-api") else {
            throw .invalidArgument("swiftrun-api is not installed beside swiftrun (make install puts it there)")
        }
        let arguments = [
            server, "--root", layout.root, "--socket", String(address.dropFirst("unix://".count)), "--time", String(time), "--swiftrun", swiftrun
        ]
        var pointers = arguments.map { strdup($0) } + [nil]
        execv(server, &pointers)
        throw .system("exec \(server)", errno: errno)
    }
}
