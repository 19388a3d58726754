import Glibc

/// What `swiftrun build` was asked.
public struct BuildOptions {
    public var context: String
    /// -f; nil means CONTEXT/Dockerfile.
    public var dockerfile: String?
    /// -f names a file of the context (a streamed context, the API's
    /// `dockerfile`), opened through the context's fd like any file of it.
    public var dockerfileInContext = false
    public var tags: [ImageReference] = []
    public var buildArgs: [String: String] = [:]
    public var target: String?
    public var noCache = false
    /// --network for RUN steps: bridge (default, so a step can download), none or host.
    public var network = NetworkDefinition.defaultName
    public var platform: Platform = .host

    public init(context: String) { self.context = context }
}

/// `swiftrun build`: runs a Dockerfile's stages in order. Each stage's
/// state is a list of layers and a config; RUN runs a container of that
/// state and keeps its upper dir as a new layer (ContainerCommitter),
/// COPY and ADD write their files as one (BuildCopy.swift), and every other
/// instruction only edits the config. Layer steps are cached by a key
/// chained from the base image, every instruction before, and the content
/// of the files a COPY reads; the cache maps that key to the intermediate
/// image, which lives in the store untagged.
public final class ImageBuilder {
    let layout: StoreLayout
    let images: ImageStore
    let containers: ContainerStore
    let output: (String) -> Void
    /// Finds or pulls the image a FROM names.
    let baseImage: (ImageReference) throws(SwiftrunError) -> Image
    let cache: BuildCache
    private var mounts: [String] = []

    public init(
        layout: StoreLayout, output: @escaping (String) -> Void,
        baseImage: @escaping (ImageReference) throws(SwiftrunError) -> Image
    ) {
        self.layout = layout
        images = ImageStore(layout: layout)
        containers = ContainerStore(layout: layout)
        self.output = output
        self.baseImage = baseImage
        cache = BuildCache(layout: layout)
    }

    private var scratch: [String] = []
    private var noCache = false
    private var network = NetworkDefinition.defaultName

    deinit {
        for mount in mounts.reversed() { BuildCopy.unmount(mount) }
        for directory in scratch { try? FileSystem.removeTree(directory) }
    }

    /// A dir under tmp/ that lives as long as the build (ADD's unpacked archives).
    func scratchDirectory() -> String {
        let directory = layout.newTempPath("add")
        mkdir(directory, 0o700)
        scratch.append(directory)
        return directory
    }

    /// One stage's state as the build goes.
    struct Stage {
        var name: String?
        var layers: [StagedLayer]
        var config: EditableConfig
        /// The cache key chain: the base, then every instruction so far.
        var key: String
        /// ARGs declared in this stage, with their values.
        var arguments: [String: String] = [:]
        /// The image of the last layer step (or the base), when nothing changed the config since.
        var image: Image?
        var setsCmd = false

        var variables: [String: String] { arguments.merging(config.variables) { $1 } }
    }

    public func build(_ options: BuildOptions) throws(SwiftrunError) -> Image {
        try layout.prepare()
        layout.sweepTemp()
        noCache = options.noCache
        guard ["bridge", "default", "none", "host"].contains(options.network) else {
            throw .invalidArgument("build --network: bridge, none or host, not \(options.network)")
        }
        network = options.network
        let (dockerfile, contextTree) = try BuildInputs.read(options)
        let instructions = dockerfile.instructions
        let total = Self.stepCount(instructions, target: options.target)
        var stages: [Stage] = []
        var current: Stage?
        // ARGs before the first FROM are for FROM lines only.
        var globalArguments: [String: String] = [:]
        var step = 0

        for instruction in instructions {
            if instruction.keyword == "FROM", let finished = current {
                stages.append(finished)
                current = nil
                if let target = options.target, finished.name?.lowercased() == target.lowercased() { break }
            }
            step += 1
            output("Step \(step)/\(total) : \(instruction.original)")
            if current == nil && instruction.keyword == "ARG" {
                for (name, value) in try Self.declarations(instruction, variables: globalArguments, escape: dockerfile.escape) {
                    globalArguments[name] = options.buildArgs[name] ?? value
                }
                continue
            }
            do throws(SwiftrunError) {
                if instruction.keyword == "FROM" {
                    current = try from(instruction, stages: stages, variables: globalArguments, escape: dockerfile.escape, options: options)
                } else {
                    try apply(instruction, to: &current!, stages: stages, context: contextTree, dockerfile: dockerfile, options: options)
                }
            } catch let .invalidArgument(message) {
                throw .dockerfile(dockerfile.path, line: instruction.line, message)
            }
        }
        // The last stage has no FROM after it to close it.
        if let last = current { stages.append(last) }
        let final: Stage
        if let target = options.target {
            guard let found = stages.first(where: { $0.name?.lowercased() == target.lowercased() }) else {
                throw .invalidArgument("--target \(target): no stage of that name in \(dockerfile.path)")
            }
            final = found
        } else {
            final = stages.last!
        }
        let image = try images.publish(
            layers: final.layers, config: try JSON.encode(final.config.document),
            tags: options.tags, untaggedName: options.tags.isEmpty)
        output("Successfully built \(image.id.short)")
        for tag in options.tags { output("Successfully tagged \(tag.familiar)") }
        return image
    }

    // MARK: - FROM

    private func from(
        _ instruction: Dockerfile.Instruction, stages: [Stage], variables: [String: String],
        escape: Character, options: BuildOptions
    ) throws(SwiftrunError) -> Stage {
        let words: [String] =
            switch instruction.arguments {
            case let .shell(text): try ShellWords(variables: variables, escape: escape).words(text)
            case let .exec(array): array
            }
        guard words.count == 1 || (words.count == 3 && words[1].lowercased() == "as") else {
            throw .invalidArgument("FROM takes IMAGE [AS NAME]")
        }
        let name = words.count == 3 ? words[2] : nil
        if let earlier = stages.last(where: { $0.name?.lowercased() == words[0].lowercased() }) {
            var stage = earlier
            stage.name = name
            stage.arguments = [:]
            output(" ---> \(stage.image?.id.short ?? "stage \(words[0])")")
            return stage
        }
        if words[0] == "scratch" {
            return Stage(name: name, layers: [], config: .empty(platform: options.platform), key: "scratch")
        }
        let image = try baseImage(try ImageReference(parsing: words[0]))
        output(" ---> \(image.id.short)")
        return Stage(
            name: name, layers: image.storedLayers, config: try images.editableConfig(of: image),
            key: image.manifestDigest.description, image: image)
    }

    // MARK: - Instructions

    private func apply(
        _ instruction: Dockerfile.Instruction, to stage: inout Stage, stages: [Stage], context: SourceTree,
        dockerfile: Dockerfile, options: BuildOptions
    ) throws(SwiftrunError) {
        let words = ShellWords(variables: stage.variables, escape: dockerfile.escape)
        let text: String = if case let .shell(body) = instruction.arguments { body } else { "" }
        stage.key = BuildCache.chain(stage.key, instruction.original)
        switch instruction.keyword {
        case "RUN":
            try run(instruction, in: &stage)
            return
        case "COPY", "ADD":
            try copy(instruction, in: &stage, stages: stages, context: context, words: words)
            return
        case "ENV":
            for (name, value) in try Self.pairs(text, words: words, instruction: "ENV") { stage.config.setEnvironment(name, value) }
        case "ARG":
            for (name, value) in try Self.declarations(instruction, variables: stage.variables, escape: dockerfile.escape) {
                stage.arguments[name] = options.buildArgs[name] ?? value
            }
        case "LABEL":
            for (name, value) in try Self.pairs(text, words: words, instruction: "LABEL") { stage.config.addToObject("Labels", name, .string(value)) }
        case "MAINTAINER":
            stage.config.document["author"] = .string(try words.line(text))
        case "EXPOSE":
            for port in try words.words(text) {
                stage.config.addToObject("ExposedPorts", port.contains("/") ? port : port + "/tcp", .object([:]))
            }
        case "VOLUME":
            for path in try Self.list(instruction, words: words) { stage.config.addToObject("Volumes", path, .object([:])) }
        case "USER":
            stage.config["User"] = .string(try words.line(text))
        case "WORKDIR":
            let path = try words.line(text)
            stage.config["WorkingDir"] = .string(path.hasPrefix("/") ? path : Self.join(stage.config.workingDirectory, path))
        case "CMD", "ENTRYPOINT":
            let key = instruction.keyword == "CMD" ? "Cmd" : "Entrypoint"
            stage.config[key] = .array(Self.command(instruction, shell: stage.config.shell).map(JSONValue.string))
            if key == "Cmd" { stage.setsCmd = true }
            // As Docker: an ENTRYPOINT drops the CMD the base image had, not one this stage set.
            if key == "Entrypoint" && !stage.setsCmd { stage.config["Cmd"] = .null }
        case "SHELL":
            guard case let .exec(shell) = instruction.arguments, !shell.isEmpty else {
                throw .invalidArgument("SHELL takes a JSON array: SHELL [\"/bin/bash\", \"-c\"]")
            }
            stage.config["Shell"] = .array(shell.map(JSONValue.string))
        case "STOPSIGNAL":
            stage.config["StopSignal"] = .string(try words.line(text))
        case "HEALTHCHECK":
            stage.config["Healthcheck"] = try Self.healthcheck(instruction)
        case "ONBUILD":
            var triggers: [JSONValue] = if case let .array(values)? = stage.config["OnBuild"] { values } else { [] }
            triggers.append(.string(text))
            stage.config["OnBuild"] = .array(triggers)
        default:
            throw .invalidArgument("\(instruction.keyword) is not supported")
        }
        stage.image = nil
        if instruction.keyword != "ARG" {
            stage.config.record("/bin/sh -c #(nop)  " + instruction.original, emptyLayer: true)
        }
    }

    /// RUN: a container of the stage's current image; its changes become the layer.
    private func run(_ instruction: Dockerfile.Instruction, in stage: inout Stage) throws(SwiftrunError) {
        let command = Self.runCommand(instruction, shell: stage.config.shell)
        // Build arguments reach RUN as environment (ENV wins), and so belong in its key.
        let environment = stage.arguments.filter { stage.config.variables[$0.key] == nil }.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        stage.key = BuildCache.chain(stage.key, environment.joined(separator: "\n"))
        if try useCache(&stage) { return }

        let base = try intermediate(stage)
        var options = RunOptions(image: base.manifestDigest.description)
        options.entrypoint = ""
        options.command = command
        options.environment = environment
        options.network.mode = network
        options.name = "swiftrun-build-" + String(UInt64.random(in: .min ... .max), radix: 36)
        let code = try ContainerRunner(layout: layout).run(options, image: base)
        defer { try? containers.remove(options.name!, force: true) }
        guard code == 0 else {
            throw .commandFailed("The command '\(command.joined(separator: " "))' returned a non-zero code: \(code)", code: code)
        }
        let layer = try ContainerCommitter(layout: layout).stageChanges(of: try containers.find(options.name!))
        defer { images.discard([layer]) }
        stage.config.appendLayer(layer.diffID)
        stage.config.record("RUN " + command.joined(separator: " "), emptyLayer: false)
        try keep(layer, in: &stage)
    }

    /// COPY and ADD: the files, planned and checksummed first, so that the
    /// key covers their content; written as a layer only on a cache miss.
    private func copy(
        _ instruction: Dockerfile.Instruction, in stage: inout Stage, stages: [Stage], context: SourceTree,
        words: ShellWords
    ) throws(SwiftrunError) {
        let plan = try BuildCopy(builder: self, instruction: instruction, stage: stage, stages: stages, context: context, words: words).plan()
        stage.key = BuildCache.chain(stage.key, plan.checksum)
        if try useCache(&stage) { return }
        let layer = try images.stageLayer(name: "\(instruction.keyword) at line \(instruction.line)") { (writer) throws(SwiftrunError) in
            try plan.write(to: writer)
        }
        defer { images.discard([layer]) }
        stage.config.appendLayer(layer.diffID)
        stage.config.record("/bin/sh -c #(nop) " + instruction.original, emptyLayer: false)
        try keep(layer, in: &stage)
    }

    /// A cached image for the stage's key, if the store still has all of it.
    private func useCache(_ stage: inout Stage) throws(SwiftrunError) -> Bool {
        guard !noCache, let image = cache.image(for: stage.key, in: images) else { return false }
        stage.config = try images.editableConfig(of: image)
        stage.layers = image.storedLayers
        stage.image = image
        output(" ---> Using cache")
        output(" ---> \(image.id.short)")
        return true
    }

    /// Publishes the stage with its new layer as an untagged image and remembers it under the key.
    private func keep(_ layer: StagedLayer, in stage: inout Stage) throws(SwiftrunError) {
        let image = try images.publish(layers: stage.layers + [layer], config: try JSON.encode(stage.config.document), tags: [], untaggedName: false)
        try cache.remember(stage.key, image: image)
        stage.layers = image.storedLayers
        stage.image = image
        output(" ---> \(image.id.short)")
    }

    /// The stage as an image a container can run: the last one if the config has not changed since.
    private func intermediate(_ stage: Stage) throws(SwiftrunError) -> Image {
        if let image = stage.image { return image }
        return try images.publish(layers: stage.layers, config: try JSON.encode(stage.config.document), tags: [], untaggedName: false)
    }

    /// An overlay of `stage`'s layers, read-only, for COPY --from; unmounted when the build ends.
    func mountedRoot(of stage: Stage) throws(SwiftrunError) -> String {
        let mountpoint = try BuildCopy.mountReadOnly(stage.layers.map { layout.layer($0.diffID) }, layout: layout)
        mounts.append(mountpoint)
        return mountpoint
    }

    // MARK: - Arguments

    /// RUN's argv: the exec form as given; the shell form through SHELL; a
    /// heredoc alone is the script, one after a command is the shell's own heredoc.
    static func runCommand(_ instruction: Dockerfile.Instruction, shell: [String]) -> [String] {
        switch instruction.arguments {
        case let .exec(array):
            return array
        case let .shell(text):
            guard !instruction.heredocs.isEmpty else { return shell + [text] }
            if text.split(separator: " ").allSatisfy({ $0.hasPrefix("<<") }) {
                return shell + [instruction.heredocs.map(\.body).joined()]
            }
            return shell + [text + "\n" + instruction.heredocs.map { $0.body + $0.name + "\n" }.joined()]
        }
    }

    static func command(_ instruction: Dockerfile.Instruction, shell: [String]) -> [String] {
        switch instruction.arguments {
        case let .exec(array): array
        case let .shell(text): shell + [text]
        }
    }

    /// KEY=VALUE pairs (ENV, LABEL), or the old `ENV KEY value with spaces`.
    static func pairs(_ text: String, words: ShellWords, instruction: String) throws(SwiftrunError) -> [(String, String)] {
        let parts = try words.words(text)
        if let first = parts.first, !first.contains("=") {
            guard instruction == "ENV", parts.count >= 2 else { throw .invalidArgument("\(instruction) takes KEY=VALUE pairs") }
            let afterKey = text.drop(while: { $0.isWhitespace }).drop(while: { !$0.isWhitespace })
            let rest = afterKey.drop(while: { $0.isWhitespace })
            return [(first, try words.line(String(rest)))]
        }
        return try parts.map { (part) throws(SwiftrunError) -> (String, String) in
            guard let equals = part.firstIndex(of: "="), equals != part.startIndex else {
                throw .invalidArgument("\(instruction): \"\(part)\" is not KEY=VALUE")
            }
            return (String(part[..<equals]), String(part[part.index(after: equals)...]))
        }
    }

    /// ARG NAME[=default]...
    static func declarations(_ instruction: Dockerfile.Instruction, variables: [String: String], escape: Character) throws(SwiftrunError) -> [(String, String?)]
    {
        guard case let .shell(text) = instruction.arguments else { throw .invalidArgument("ARG takes NAME[=default]") }
        return try ShellWords(variables: variables, escape: escape).words(text).map { word in
            guard let equals = word.firstIndex(of: "=") else { return (word, nil) }
            return (String(word[..<equals]), String(word[word.index(after: equals)...]))
        }
    }

    static func list(_ instruction: Dockerfile.Instruction, words: ShellWords) throws(SwiftrunError) -> [String] {
        switch instruction.arguments {
        case let .exec(array): array
        case let .shell(text): try words.words(text)
        }
    }

    /// HEALTHCHECK [--interval=D ...] CMD command | NONE, in Docker's config shape.
    static func healthcheck(_ instruction: Dockerfile.Instruction) throws(SwiftrunError) -> JSONValue {
        let test: [String]
        switch instruction.arguments {
        case let .shell(text) where text.uppercased() == "NONE":
            test = ["NONE"]
        case let .shell(text) where text.uppercased().hasPrefix("CMD "):
            let body = String(text.dropFirst(4).drop(while: \.isWhitespace))
            if body.hasPrefix("["), let array = try? JSON.decode([String].self, from: Array(body.utf8), path: "HEALTHCHECK") {
                test = ["CMD"] + array
            } else {
                test = ["CMD-SHELL", body]
            }
        default:
            throw .invalidArgument("HEALTHCHECK takes [OPTIONS] CMD command, or NONE")
        }
        var object: [String: JSONValue] = ["Test": .array(test.map(JSONValue.string))]
        for (flag, key) in [("interval", "Interval"), ("timeout", "Timeout"), ("start-period", "StartPeriod")] {
            if let value = instruction.flags[flag] { object[key] = .integer(try GoDuration.nanoseconds(value, flag: "HEALTHCHECK --\(flag)")) }
        }
        if let retries = instruction.flags["retries"] {
            guard let count = Int64(retries) else { throw .invalidArgument("HEALTHCHECK --retries=\(retries): not a number") }
            object["Retries"] = .integer(count)
        }
        return .object(object)
    }

    static func join(_ directory: String, _ path: String) -> String {
        directory.hasSuffix("/") ? directory + path : directory + "/" + path
    }

    /// Steps as `Step N/M` counts them: every instruction up to the end of
    /// the --target stage, or all of them.
    static func stepCount(_ instructions: [Dockerfile.Instruction], target: String?) -> Int {
        guard let target else { return instructions.count }
        var inTarget = false
        for (index, instruction) in instructions.enumerated() where instruction.keyword == "FROM" {
            if inTarget { return index }
            inTarget = instruction.original.lowercased().hasSuffix(" as " + target.lowercased())
        }
        return instructions.count
    }
}
