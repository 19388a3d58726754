import SwiftrunCore

struct LoginCommand: StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "login", abstract: "Check credentials with a registry and keep them in Docker's config.json.")

    @Option("-u", "--username", help: "User name.")
    var username: String

    @Option("-p", "--password", help: "Password (visible to other users in ps; prefer --password-stdin).")
    var password: String?

    @Flag("--password-stdin", help: "Read the password from stdin.")
    var passwordStdin = false

    @OptionGroup var registry: RegistryFlags

    @Argument("server", help: "The registry: HOST[:PORT] (default docker.io).")
    var server: String = ImageReference.defaultRegistry

    func run(in layout: StoreLayout) throws(SwiftrunError) -> Int32 {
        let secret: String
        if passwordStdin {
            guard let line = readLine(strippingNewline: true), !line.isEmpty else { throw .invalidArgument("--password-stdin: no password on stdin") }
            secret = line
        } else if let password {
            secret = password
        } else {
            throw .invalidArgument("login needs a password: -p PASSWORD or --password-stdin")
        }
        var options = registry.options()
        options.credentials = RegistryCredentials(username: username, password: secret)
        try RegistryClient.checkLogin(registry: server, options: options)
        try options.config.store(options.credentials!, for: server)
        print("Login Succeeded")
        return 0
    }
}

struct LogoutCommand: StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "logout", abstract: "Forget the credentials kept for a registry.")

    @Argument("server", help: "The registry: HOST[:PORT] (default docker.io).")
    var server: String = ImageReference.defaultRegistry

    func run(in layout: StoreLayout) throws(SwiftrunError) -> Int32 {
        let config = DockerConfig(environment: environmentVariable)
        if try config.remove(for: server) {
            print("Removing login credentials for \(server)")
        } else {
            print("Not logged in to \(server)")
        }
        return 0
    }
}
