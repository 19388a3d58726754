import Glibc

/// Finds and reads what a build starts from: the Dockerfile (-f, or
/// Dockerfile / dockerfile in the context) and the context, listed once.
enum BuildInputs {
    static func read(_ options: BuildOptions) throws(SwiftrunError) -> (Dockerfile, SourceTree) {
        var info = stat()
        guard stat(options.context, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            throw .invalidArgument("build context \(options.context): not a directory")
        }
        let candidates = options.dockerfile.map { [$0] } ?? ["Dockerfile", "dockerfile"].map { options.context + "/" + $0 }
        guard let path = candidates.first(where: FileSystem.exists) else {
            throw .invalidArgument(options.dockerfile.map { "-f \($0): no such file" }
                ?? "no Dockerfile: looked for \(candidates.joined(separator: " and ")); give the folder that holds it (swiftrun build -t NAME docker/) or -f FILE")
        }
        let text = String(decoding: try FileSystem.readFile(path), as: UTF8.self)
        let dockerfile = try DockerfileParser.parse(text, path: path)
        let probe = try Syscall.check("open \(options.context)") { open(options.context, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        defer { close(probe) }
        let tree = try SourceTree(root: options.context, ignore: IgnoreRules.read(contextFD: probe))
        return (dockerfile, tree)
    }
}
