import SwiftrunCore

/// Options that come before the subcommand (`swiftrun --root DIR run ...`),
/// as with podman. They are taken off the argument list before
/// CommandLineParser sees it.
struct GlobalOptions {
    var root: String

    static func extract(from arguments: inout [String], environment: (String) -> String?) throws(SwiftrunError) -> GlobalOptions {
        var root = environment("SWIFTRUN_ROOT").flatMap { $0.isEmpty ? nil : $0 } ?? StoreLayout.defaultRoot
        while let first = arguments.first, first.hasPrefix("--root") {
            if first == "--root" {
                guard arguments.count > 1 else { throw .invalidArgument("--root needs a directory") }
                root = arguments[1]
                arguments.removeFirst(2)
            } else if first.hasPrefix("--root=") {
                root = String(first.dropFirst("--root=".count))
                arguments.removeFirst()
            } else {
                break
            }
        }
        guard root.hasPrefix("/") else { throw .invalidArgument("--root must be an absolute path, not \(root)") }
        return GlobalOptions(root: root)
    }
}
