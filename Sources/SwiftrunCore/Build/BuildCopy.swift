import CShims
import Glibc

/// COPY and ADD: which files go where, with which owner and mode, as a
/// plan whose checksum (paths, metadata and content) joins the cache key;
/// then the plan written as a layer tar. Sources come from the context,
/// an earlier stage (`--from=NAME`) or an image; ADD also unpacks a local
/// tar archive. Paths are never resolved outside their tree.
struct BuildCopy {
    let builder: ImageBuilder
    let instruction: Dockerfile.Instruction
    let stage: ImageBuilder.Stage
    let stages: [ImageBuilder.Stage]
    let context: SourceTree
    let words: ShellWords
    /// The stage's image as its RUN steps see it, for --chown's names and
    /// the metadata of the directories a COPY writes into.
    private let image: LayerStack

    init(
        builder: ImageBuilder, instruction: Dockerfile.Instruction, stage: ImageBuilder.Stage, stages: [ImageBuilder.Stage],
        context: SourceTree, words: ShellWords
    ) {
        self.builder = builder
        self.instruction = instruction
        self.stage = stage
        self.stages = stages
        self.context = context
        self.words = words
        image = LayerStack(layers: stage.layers.map { builder.layout.layer($0.diffID) })
    }

    struct Item {
        var header: TarWriter.Header
        var tree: SourceTree?
        var entry: SourceTree.Entry?
        var inline: [UInt8]?
    }

    struct Plan {
        var items: [Item]
        var checksum: String

        func write(to writer: TarWriter) throws(SwiftrunError) {
            for item in items {
                if let inline = item.inline {
                    try writer.add(item.header, bytes: inline)
                } else if let tree = item.tree, let entry = item.entry, item.header.kind == .regular {
                    let fd = try tree.openFile(entry)
                    defer { close(fd) }
                    try writer.add(item.header, from: fd, path: tree.root + "/" + entry.path)
                } else {
                    try writer.add(item.header)
                }
            }
        }
    }

    func plan() throws(SwiftrunError) -> Plan {
        let keyword = instruction.keyword
        for flag in instruction.flags.keys where !["from", "chown", "chmod", "link"].contains(flag) {
            throw .invalidArgument("\(keyword) --\(flag) is not supported")
        }
        let arguments: [String] =
            switch instruction.arguments {
            case let .exec(array): array
            case let .shell(text): try words.words(text)
            }
        guard arguments.count >= 2, let destinationWord = arguments.last else {
            throw .invalidArgument("\(keyword) takes SOURCE... DESTINATION")
        }
        let sources = arguments.dropLast()
        var destination = destinationWord.hasPrefix("/") ? destinationWord : ImageBuilder.join(stage.config.workingDirectory, destinationWord)
        let intoDirectory =
            destinationWord.hasSuffix("/") || sources.count > 1 || sources.contains(where: Glob.hasWildcards)
            || imageHasDirectory(destination)
        destination = SourceTree.cleanAbsolute(destination)
        let owner = try ownership()
        let mode = try instruction.flags["chmod"].map { (text) throws(SwiftrunError) -> UInt32 in
            guard let value = UInt32(text, radix: 8), value <= 0o7777 else { throw .invalidArgument("\(keyword) --chmod=\(text): expected an octal mode") }
            return value
        }
        let tree = try sourceTree()
        var items: [String: Item] = [:]

        /// `asDestination`: the directory a source directory's contents go
        /// into, which takes its mode but not its owner.
        func add(_ entry: SourceTree.Entry, from tree: SourceTree, at target: String, asDestination: Bool = false) throws(SwiftrunError) {
            // Files from the context become root's; files from a stage or
            // an image keep their owner and xattrs, as Docker and buildah
            // copy them. --chown overrides both.
            let fromContext = tree === context || asDestination
            var header = TarWriter.Header(
                path: String(target.dropFirst()), kind: .regular, mode: UInt32(entry.mode & 0o7777),
                uid: owner?.uid ?? (fromContext ? 0 : entry.uid), gid: owner?.gid ?? (fromContext ? 0 : entry.gid),
                size: entry.size, mtime: entry.mtime)
            if !fromContext { header.xattrs = tree.xattrs(entry) }
            switch entry.mode & S_IFMT {
            case S_IFDIR: header.kind = .directory; header.size = 0
            case S_IFLNK:
                let link = entry.linkTarget ?? ""
                if tree === context && !SourceTree.staysInside(entry.path, target: link) {
                    throw .invalidArgument("\(keyword): \(entry.path) is a symlink to \(link), outside the build context")
                }
                header.kind = .symbolicLink; header.linkTarget = link; header.size = 0
            case S_IFREG: break
            default: return  // devices, sockets and fifos are not copied
            }
            if let mode, header.kind != .symbolicLink { header.mode = mode }
            items[target] = Item(header: header, tree: tree, entry: entry)
        }

        for source in sources {
            if source.hasPrefix("<<") {
                let name = String(source.dropFirst(2).drop { $0 == "-" })
                guard let heredoc = instruction.heredocs.first(where: { $0.name == name }) else {
                    throw .invalidArgument("\(keyword): no heredoc named \(name)")
                }
                let body = heredoc.expands ? try words.expandingVariables(heredoc.body) : heredoc.body
                let target = intoDirectory ? destination + "/" + name : destination
                items[target] = Item(
                    header: .init(
                        path: String(target.dropFirst()), kind: .regular, mode: mode ?? 0o644,
                        uid: owner?.uid ?? 0, gid: owner?.gid ?? 0),
                    inline: Array(body.utf8))
                continue
            }
            if keyword == "ADD" && (source.hasPrefix("http://") || source.hasPrefix("https://") || source.hasPrefix("git@")) {
                throw .invalidArgument("ADD \(source): fetching URLs is not supported; download it in a RUN step, or COPY it from the context")
            }
            for entry in try tree.match(source, instruction: keyword) {
                if keyword == "ADD", entry.mode & S_IFMT == S_IFREG, let unpacked = try unpackIfArchive(entry, from: tree) {
                    for inner in unpacked.contents(of: SourceTree.rootEntry) {
                        try add(inner, from: unpacked, at: destination + "/" + inner.path)
                    }
                } else if entry.isDirectory {
                    let prefix = entry.path.isEmpty ? 0 : entry.path.count + 1
                    for inner in tree.contents(of: entry) {
                        try add(inner, from: tree, at: destination + "/" + inner.path.dropFirst(prefix))
                    }
                    if destination != "/" && items[destination] == nil { try add(entry, from: tree, at: destination, asDestination: true) }
                } else {
                    let name = entry.path.split(separator: "/").last.map(String.init) ?? entry.path
                    try add(entry, from: tree, at: intoDirectory ? destination + "/" + name : destination)
                }
            }
        }
        // Parent directories keep the image's metadata where they exist; new
        // ones are 0755 and, as Docker and buildah make them, --chown's owner.
        for target in Array(items.keys) {
            var parent = target
            while let slash = parent.lastIndex(of: "/"), slash != parent.startIndex {
                parent = String(parent[..<slash])
                if items[parent] != nil { continue }
                var header = TarWriter.Header(path: String(parent.dropFirst()), kind: .directory, mode: 0o755)
                if let existing = imageStat(parent) {
                    header.mode = UInt32(existing.st_mode & 0o7777)
                    header.uid = Int(existing.st_uid)
                    header.gid = Int(existing.st_gid)
                    header.mtime = Int64(existing.st_mtim.tv_sec)
                } else if let owner {
                    header.uid = owner.uid
                    header.gid = owner.gid
                }
                items[parent] = Item(header: header)
            }
        }
        let ordered = items.keys.sorted().map { items[$0]! }
        return Plan(items: ordered, checksum: try checksum(ordered))
    }

    /// Paths, metadata and each file's sha256: what the cache key must cover.
    private func checksum(_ items: [Item]) throws(SwiftrunError) -> String {
        let hasher = DigestHasher()
        for item in items {
            let header = item.header
            var line = "\(header.path) \(header.kind) \(String(header.mode, radix: 8)) \(header.uid):\(header.gid) \(header.linkTarget) "
            for xattr in header.xattrs { line += "\(xattr.name)=\(Digest.of(xattr.value).hex) " }
            if let inline = item.inline {
                line += Digest.of(inline).hex
            } else if let tree = item.tree, let entry = item.entry, header.kind == .regular {
                let fd = try tree.openFile(entry)
                defer { close(fd) }
                line += try Digest.ofFile(fd, path: entry.path).hex
            }
            Array((line + "\n").utf8).withUnsafeBytes { hasher.update($0) }
        }
        return hasher.finalize().hex
    }

    /// --chown=USER[:GROUP], names looked up in the stage's own /etc/passwd and /etc/group.
    private func ownership() throws(SwiftrunError) -> (uid: Int, gid: Int)? {
        guard let spec = instruction.flags["chown"] else { return nil }
        let resolved = try UserResolver(readFile: readImageFile).resolve(spec)
        return (Int(resolved.user.uid), Int(resolved.user.gid))
    }

    private func sourceTree() throws(SwiftrunError) -> SourceTree {
        guard let from = instruction.flags["from"] else { return context }
        if let index = Int(from), stages.indices.contains(index) {
            return try SourceTree(root: try builder.mountedRoot(of: stages[index]))
        }
        if let named = stages.last(where: { $0.name?.lowercased() == from.lowercased() }) {
            return try SourceTree(root: try builder.mountedRoot(of: named))
        }
        let image = try builder.baseImage(try ImageReference(parsing: from))
        let layers = image.storedLayers
        var imageStage = stage
        imageStage.layers = layers
        return try SourceTree(root: try builder.mountedRoot(of: imageStage))
    }

    /// ADD's archive rule: a local tar (plain, gzip or zstd) is unpacked, not copied.
    private func unpackIfArchive(_ entry: SourceTree.Entry, from tree: SourceTree) throws(SwiftrunError) -> SourceTree? {
        let fd = try tree.openFile(entry)
        defer { close(fd) }
        var head = [UInt8](repeating: 0, count: 512)
        let n = pread(fd, &head, 512, 0)
        let isGzip = n >= 2 && head[0] == 0x1f && head[1] == 0x8b
        let isZstd = n >= 4 && head[0..<4] == [0x28, 0xb5, 0x2f, 0xfd]
        let isTar = n >= 262 && Array(head[257..<262]) == Array("ustar".utf8)
        guard isGzip || isZstd || isTar else { return nil }
        let directory = builder.scratchDirectory()
        try LayerUnpacker.unpackArchive(FileSource(fd: fd, path: entry.path), into: directory, name: "ADD \(entry.path)")
        return try SourceTree(root: directory)
    }

    private func readImageFile(_ path: String) throws(SwiftrunError) -> [UInt8]? {
        try image.read(path)
    }

    /// The metadata of a path in the stage's image, as the merged view has it.
    private func imageStat(_ path: String) -> stat? {
        try? image.metadata(path)
    }

    private func imageHasDirectory(_ path: String) -> Bool {
        imageStat(path).map { $0.st_mode & S_IFMT == S_IFDIR } ?? false
    }

    // MARK: - Stage roots

    /// The layers as one read-only tree: the layer itself when there is
    /// one, an overlay mount when there are more, an empty dir for none.
    static func mountReadOnly(_ layers: [String], layout: StoreLayout) throws(SwiftrunError) -> String {
        let mountpoint = layout.newTempPath("stage")
        try Syscall.check("mkdir \(mountpoint)") { mkdir(mountpoint, 0o700) }
        if layers.count == 1 {
            try Syscall.check("bind \(layers[0])") { mount(layers[0], mountpoint, nil, UInt(MS_BIND), nil) }
        } else if layers.count > 1 {
            let options = "lowerdir=" + layers.reversed().joined(separator: ":")
            try Syscall.check("mount overlay of \(layers.count) layers") { mount("overlay", mountpoint, "overlay", UInt(MS_RDONLY), options) }
        }
        return mountpoint
    }

    static func unmount(_ mountpoint: String) {
        umount2(mountpoint, Int32(MNT_DETACH))
        rmdir(mountpoint)
    }
}
