import SwiftrunCore

struct PullCommand: StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull", abstract: "Pull an image from a registry: [REGISTRY[:PORT]/]NAME[:TAG|@DIGEST].")

    @OptionGroup var registry: RegistryFlags

    @Flag("-q", "--quiet", help: "Print only the image's digest.")
    var quiet = false

    @Argument("image", help: "The image, as docker pull takes it (busybox means docker.io/library/busybox:latest).")
    var image: String

    func run(in layout: StoreLayout) throws(SwiftrunError) -> Int32 {
        let reference = try ImageReference(parsing: image)
        let progress = PullProgress(style: PullProgress.style(for: 1, quiet: quiet), fd: 1)
        let pulled = try registry.puller(layout: layout, progress: progress).pull(reference)
        if quiet { print(pulled.digest) } else { print(reference.digest == nil ? reference.description : reference.name + "@" + pulled.digest.description) }
        return 0
    }
}

/// The flags every command that talks to a registry shares (pull, run, build).
struct RegistryFlags: ParsableArguments {
    @Option("--platform", help: "The platform to pick from a multi-platform image: OS/ARCH[/VARIANT] (default: this machine's).")
    var platform: String?

    @Flag("--tls-verify", help: "Check the registry's TLS certificate (--tls-verify=false to skip).")
    var tlsVerify = true

    @Option("--cert-dir", help: "Trust the CA in DIR/ca.crt (default: the system's CAs, or $SSL_CERT_FILE).")
    var certDirectory: String?

    func options() -> RegistryOptions {
        var options = RegistryOptions(environment: environmentVariable)
        options.tlsVerify = tlsVerify
        if let certDirectory { options.caFile = certDirectory + "/ca.crt" }
        return options
    }

    func puller(layout: StoreLayout, progress: PullProgress) throws(SwiftrunError) -> ImagePuller {
        var options = options()
        options.notice = { progress.line($0) }
        let platform = try platform.map { (text) throws(SwiftrunError) in try Platform(parsing: text) } ?? .host
        return ImagePuller(layout: layout, options: options, platform: platform, progress: progress)
    }
}

/// run's and build's --pull, as Docker spells it.
enum PullPolicy: String, ExpressibleByArgument, CaseIterable {
    case missing, always, never
}
