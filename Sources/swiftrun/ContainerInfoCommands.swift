import SwiftrunCore

struct TopCommand: StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "top", abstract: "Show a running container's processes (the host's ps).")

    @Argument("container", help: "The container: name or ID.")
    var container: String

    @Argument("ps-options", passesThrough: true, help: "ps options (default: -ef).")
    var psOptions: [String] = []

    func run(in layout: StoreLayout) throws(SwiftrunError) -> Int32 {
        print(try ContainerTop(layout: layout).show(container, psArguments: psOptions), terminator: "")
        return 0
    }
}

struct RenameCommand: StoreCommand {
    static let configuration = CommandConfiguration(commandName: "rename", abstract: "Rename a container.")

    @Argument("container", help: "The container: name or ID.")
    var container: String

    @Argument("new-name", help: "Its new name.")
    var newName: String

    func run(in layout: StoreLayout) throws(SwiftrunError) -> Int32 {
        try ContainerStore(layout: layout).rename(container, to: newName)
        return 0
    }
}

/// `port NAME [PORT[/PROTO]]`: a container's published ports. Until
/// containers have networks of their own (the networking issue), none is.
struct PortCommand: StoreCommand {
    static let configuration = CommandConfiguration(commandName: "port", abstract: "List a container's published ports.")

    @Argument("container", help: "The container: name or ID.")
    var container: String

    @Argument("port", help: "A container port: PORT[/tcp|/udp].")
    var port: String?

    func run(in layout: StoreLayout) throws(SwiftrunError) -> Int32 {
        let (state, ports) = try ContainerStore(layout: layout).publishedPorts(container)
        guard let port else {
            ports.forEach { print($0.description) }
            return 0
        }
        let spelled = port.contains("/") ? port : port + "/tcp"
        let matching = ports.filter { "\($0.containerPort)/\($0.proto)" == spelled }
        guard !matching.isEmpty else {
            throw .invalidArgument("No public port '\(spelled)' published for \(state.name)")
        }
        matching.forEach { print("\($0.hostIP.map(String.init(describing:)) ?? "0.0.0.0"):\($0.hostPort)") }
        return 0
    }
}
