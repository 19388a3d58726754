import SwiftrunCore

struct BuildCommand: StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "build", abstract: "Build an image from a Dockerfile: swiftrun build -t NAME[:TAG] CONTEXT.")

    @Option("-t", "--tag", help: "Name the image NAME[:TAG] (repeatable).")
    var tag: [String] = []

    @Option("-f", "--file", help: "The Dockerfile (default: CONTEXT/Dockerfile).")
    var file: String?

    @Option("--build-arg", help: "Set a build argument: KEY=VALUE (repeatable).")
    var buildArgs: [String] = []

    @Option("--target", help: "Build up to this stage and name it.")
    var target: String?

    @Flag("--no-cache", help: "Run every step again.")
    var noCache = false

    @Option("--network", help: "The network of RUN steps: bridge (default), none or host.")
    var network = "bridge"

    @Flag("-q", "--quiet", help: "Print only the image ID.")
    var quiet = false

    @Option("--pull", help: "When to pull FROM images: missing (default), always or never.")
    var pull: PullPolicy = .missing

    @OptionGroup var registry: RegistryFlags

    @Argument(
        "context",
        help: "The build context: the folder COPY and ADD read (and where the Dockerfile is looked for); - reads a tar (or a Dockerfile alone) from stdin.")
    var context: String

    func run(in layout: StoreLayout) throws(SwiftrunError) -> Int32 {
        // `-`: a tar's -f names a file in it, as Docker reads it.
        let streamed = context == "-" ? try StreamedContext.receive(from: 0, layout: layout) : nil
        defer { streamed?.remove() }
        var options = BuildOptions(context: streamed?.directory ?? context)
        options.dockerfile = file
        options.dockerfileInContext = streamed != nil
        options.tags = try tag.map { (text) throws(SwiftrunError) in try ImageReference(parsing: text).requiringTag() }
        options.target = target
        options.noCache = noCache
        options.network = network
        for argument in buildArgs {
            guard let equals = argument.firstIndex(of: "=") else {
                // Docker: a bare KEY takes its value from the environment.
                if let value = environmentVariable(argument) { options.buildArgs[argument] = value }
                continue
            }
            options.buildArgs[String(argument[..<equals])] = String(argument[argument.index(after: equals)...])
        }
        if let platform = registry.platform { options.platform = try Platform(parsing: platform) }
        let images = ImageStore(layout: layout)
        let progress = PullProgress(style: PullProgress.style(for: 1, quiet: quiet), fd: 1)
        let builder = ImageBuilder(layout: layout, output: { line in if !quiet { print(line) } }) { (reference) throws(SwiftrunError) -> Image in
            if pull != .always, let image = try? images.image(reference.description) { return image }
            guard pull != .never else { throw .imageNotFound(reference.familiar) }
            return try registry.puller(layout: layout, progress: progress).pull(reference).image
        }
        let image = try builder.build(options)
        if quiet { print(image.id) }
        return 0
    }

    func exitCode(for error: SwiftrunError) -> Int32 {
        if case let .commandFailed(_, code) = error { return code }
        return 1
    }
}
