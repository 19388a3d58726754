import CShims
import Glibc

/// Finds and reads what a build starts from: the Dockerfile (-f, or
/// Dockerfile / dockerfile in the context) and the context, listed once.
enum BuildInputs {
    static func read(_ options: BuildOptions) throws(SwiftrunError) -> (Dockerfile, SourceTree) {
        let contextFD = try Syscall.check("open build context \(options.context)") {
            open(options.context, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        }
        defer { close(contextFD) }
        let dockerfile = try DockerfileParser.parse(
            String(decoding: try dockerfileBytes(options, contextFD: contextFD), as: UTF8.self),
            path: options.dockerfile ?? options.context + "/Dockerfile")
        let tree = try SourceTree(root: options.context, ignore: IgnoreRules.read(contextFD: contextFD))
        return (dockerfile, tree)
    }

    /// The largest Dockerfile read: Docker's own parser has no such cap,
    /// but no real Dockerfile comes near it.
    static let dockerfileLimit = 4 << 20

    /// `-f FILE` is the user's own choice and is opened by path. The
    /// default Dockerfile belongs to the context, which may come from
    /// anyone: it is opened through the context's fd like every other
    /// context file, so a `Dockerfile -> /etc/shadow` symlink resolves
    /// inside the context (and is not found) instead of printing the host's
    /// file in a parse error. Either way it must be a regular file.
    private static func dockerfileBytes(_ options: BuildOptions, contextFD: Int32) throws(SwiftrunError) -> [UInt8] {
        if let path = options.dockerfile, !options.dockerfileInContext {
            let fd = try Syscall.check("open \(path)") { open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC) }
            defer { close(fd) }
            try UntrustedFile.requireRegular(fd, describe: path)
            return try FileSystem.readAll(fd, path: path, limit: dockerfileLimit)
        }
        for name in options.dockerfile.map({ [$0] }) ?? ["Dockerfile", "dockerfile"] {
            guard
                let fd = try Syscall.attempt(
                    "open \(options.context)/\(name)", allowing: [ENOENT],
                    {
                        sr_open_in_root(contextFD, name, O_RDONLY | O_NONBLOCK)
                    })
            else { continue }
            defer { close(fd) }
            try UntrustedFile.requireRegular(fd, describe: "\(options.context)/\(name)")
            return try FileSystem.readAll(fd, path: "\(options.context)/\(name)", limit: dockerfileLimit)
        }
        if let name = options.dockerfile { throw .invalidArgument("no Dockerfile: \(name) is not a file of the build context") }
        throw .invalidArgument(
            "no Dockerfile: looked for \(options.context)/Dockerfile and \(options.context)/dockerfile; "
                + "give the folder that holds it (swiftrun build -t NAME docker/) or -f FILE")
    }
}
