import CShims
import Glibc

/// The files COPY and ADD read: a build context (minus what .dockerignore
/// excludes) or an earlier stage's root. Listed once, walking from a
/// directory fd with O_NOFOLLOW, so nothing outside the tree is ever
/// opened, and a symlink that points out of it is refused when copied.
final class SourceTree {
    struct Entry {
        /// Relative to the tree, no leading "./": "src/main.c".
        var path: String
        var mode: mode_t
        var size: Int64
        var mtime: Int64
        var uid: Int = 0
        var gid: Int = 0
        var linkTarget: String?
        var isDirectory: Bool { mode & S_IFMT == S_IFDIR }
    }

    let root: String
    let rootFD: Int32
    private(set) var entries: [String: Entry] = [:]
    private(set) var sortedPaths: [String] = []

    /// `ignore`: .dockerignore's rules; an excluded path is as if absent.
    init(root: String, ignore: IgnoreRules = IgnoreRules(patterns: [])) throws(SwiftrunError) {
        self.root = root
        rootFD = try Syscall.check("open build context \(root)") { open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        try DirectoryWalk.walk(rootFD, describe: root) { (found) throws(SwiftrunError) in
            let info = found.info
            let isDirectory = info.st_mode & S_IFMT == S_IFDIR
            let excluded = ignore.excludes(found.path)
            if excluded && !(isDirectory && ignore.mayReinclude(under: found.path)) { return false }
            var entry = Entry(
                path: found.path, mode: info.st_mode, size: Int64(info.st_size), mtime: Int64(info.st_mtim.tv_sec),
                uid: Int(info.st_uid), gid: Int(info.st_gid))
            if info.st_mode & S_IFMT == S_IFLNK {
                entry.linkTarget = (try? FileSystem.readLink(in: found.parentFD, found.name, describe: found.path)) ?? ""
            }
            if !excluded { entries[found.path] = entry }
            return isDirectory
        }
        sortedPaths = entries.keys.sorted()
    }

    deinit { close(rootFD) }

    /// The tree itself, as `COPY . /dst` names it.
    static let rootEntry = Entry(path: "", mode: S_IFDIR | 0o755, size: 0, mtime: 0)

    /// Opens a regular file of the tree for reading, never through a
    /// symlink, and never blocking on a FIFO swapped in since the listing.
    func openFile(_ entry: Entry) throws(SwiftrunError) -> Int32 {
        let fd = try Syscall.check("open \(root)/\(entry.path)") { sr_open_in_root_nofollow(rootFD, entry.path, O_RDONLY | O_NONBLOCK) }
        do { try UntrustedFile.requireRegular(fd, describe: "\(root)/\(entry.path)") } catch {
            close(fd)
            throw error
        }
        return fd
    }

    /// The extended attributes of an entry, as a layer carries them
    /// (SCHILY.xattr). overlayfs's own trusted.overlay.* are not the file's.
    func xattrs(_ entry: Entry) -> [(name: String, value: [UInt8])] {
        ExtendedAttributes.of(entry.path, in: rootFD)
    }

    /// The entries a COPY source names: one path, or a glob; a directory
    /// stands for itself (its contents are copied by the caller).
    func match(_ source: String, instruction: String) throws(SwiftrunError) -> [Entry] {
        let cleaned = try Self.clean(source, instruction: instruction)
        if cleaned.isEmpty { return [Self.rootEntry] }
        if !Glob.hasWildcards(cleaned) {
            guard let entry = entries[cleaned] else {
                throw .invalidArgument("\(instruction): \(source): not found in the build context (or excluded by .dockerignore)")
            }
            return [entry]
        }
        let found = sortedPaths.filter { Glob.matches(cleaned, $0) }.compactMap { entries[$0] }
        guard !found.isEmpty else { throw .invalidArgument("\(instruction): no files match \(source) in the build context") }
        return found
    }

    /// Everything under a directory entry, depth first, parents before children.
    func contents(of directory: Entry) -> [Entry] {
        let prefix = directory.path.isEmpty ? "" : directory.path + "/"
        return sortedPaths.filter { $0.hasPrefix(prefix) && $0 != directory.path }.compactMap { entries[$0] }
    }

    /// A source path made relative to the tree; "../x" is refused.
    static func clean(_ source: String, instruction: String) throws(SwiftrunError) -> String {
        guard let parts = components(source) else { throw .invalidArgument("\(instruction): \(source) is outside the build context") }
        return parts.joined(separator: "/")
    }

    /// An absolute path in an image, ".." stopping at "/" as the kernel's does.
    static func cleanAbsolute(_ path: String) -> String {
        "/" + (components(path, clampAtRoot: true) ?? []).joined(separator: "/")
    }

    /// The components left once "." and ".." are resolved lexically; nil
    /// when ".." climbs above the start and `clampAtRoot` is off.
    static func components(_ path: String, clampAtRoot: Bool = false) -> [Substring]? {
        var parts: [Substring] = []
        for part in path.split(separator: "/") where part != "." {
            if part != ".." {
                parts.append(part)
            } else if parts.popLast() == nil && !clampAtRoot {
                return nil
            }
        }
        return parts
    }

    /// Whether a symlink at `path` pointing at `target` stays inside the tree.
    static func staysInside(_ path: String, target: String) -> Bool {
        guard !target.hasPrefix("/") else { return false }
        var depth = path.split(separator: "/").count - 1
        for part in target.split(separator: "/") {
            if part == ".." { depth -= 1 } else if part != "." { depth += 1 }
            if depth < 0 { return false }
        }
        return true
    }
}

/// .dockerignore: one pattern per line, `#` comments, `!` re-includes, and
/// the last matching line wins; a pattern that matches a directory
/// excludes everything under it.
struct IgnoreRules {
    private let rules: [(pattern: String, exclude: Bool)]

    init(patterns: [String]) {
        rules = patterns.compactMap { line in
            var text = line.trimmingSpaces
            guard !text.isEmpty, !text.hasPrefix("#") else { return nil }
            let exclude = !text.hasPrefix("!")
            if !exclude { text = String(text.dropFirst()).trimmingSpaces }
            let cleaned = (try? SourceTree.clean(text, instruction: ".dockerignore")) ?? text
            return cleaned.isEmpty ? nil : (cleaned, exclude)
        }
    }

    /// The context's .dockerignore; none means no rules. One that is not
    /// a regular file (a FIFO, a device) is an error, not silently no rules.
    static func read(contextFD: Int32) throws(SwiftrunError) -> IgnoreRules {
        guard
            let fd = try Syscall.attempt(
                "open .dockerignore", allowing: [ENOENT],
                {
                    sr_open_in_root_nofollow(contextFD, ".dockerignore", O_RDONLY | O_NONBLOCK)
                })
        else { return IgnoreRules(patterns: []) }
        defer { close(fd) }
        try UntrustedFile.requireRegular(fd, describe: ".dockerignore")
        let text = String(decoding: try FileSystem.readAll(fd, path: ".dockerignore", limit: 1 << 20), as: UTF8.self)
        return IgnoreRules(patterns: text.split(separator: "\n").map(String.init))
    }

    func excludes(_ path: String) -> Bool {
        var excluded = false
        for rule in rules where Glob.matches(rule.pattern, path) || Glob.matchesParent(rule.pattern, of: path) {
            excluded = rule.exclude
        }
        return excluded
    }

    /// Whether a later `!` rule could bring back something under an excluded directory.
    func mayReinclude(under directory: String) -> Bool {
        rules.contains { !$0.exclude && $0.pattern.hasPrefix(directory + "/") }
    }
}

/// Docker's path patterns: * and ? within one component, [...] classes,
/// and ** for any number of components.
enum Glob {
    static func hasWildcards(_ pattern: String) -> Bool {
        pattern.contains { "*?[".contains($0) }
    }

    static func matches(_ pattern: String, _ path: String) -> Bool {
        match(pattern.split(separator: "/")[...], path.split(separator: "/")[...])
    }

    /// Whether the pattern matches a directory that holds `path`.
    static func matchesParent(_ pattern: String, of path: String) -> Bool {
        let parts = path.split(separator: "/")
        return (1..<max(parts.count, 1)).contains { match(pattern.split(separator: "/")[...], parts.prefix($0)) }
    }

    private static func match(_ pattern: ArraySlice<Substring>, _ path: ArraySlice<Substring>) -> Bool {
        guard let first = pattern.first else { return path.isEmpty }
        if first == "**" {
            return (path.startIndex...path.endIndex).contains { match(pattern.dropFirst(), path[$0...]) }
        }
        guard let component = path.first, fnmatch(String(first), String(component), FNM_PERIOD) == 0 else { return false }
        return match(pattern.dropFirst(), path.dropFirst())
    }
}
