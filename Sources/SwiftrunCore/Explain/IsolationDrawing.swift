/// `--explain=svg:FILE` and `explain render`: one picture of a run, the
/// host on the left and the container on the right, band by band:
/// namespaces, filesystem, cgroup, privileges, network. Every value comes
/// from the run's records (IsolationFacts); the layout is fixed columns
/// and rows of monospace text, so a drawing diffs well.
public struct IsolationDrawing {
    let facts: IsolationFacts

    init(records: [[String: JSONValue]]) { facts = IsolationFacts(records: records) }

    /// `explain render`: the drawing of a saved --explain=json stream, one
    /// record per line.
    public static func render(recordsAt path: String) throws(SwiftrunError) -> String {
        let text = String(decoding: try FileSystem.readFile(path), as: UTF8.self)
        var records: [[String: JSONValue]] = []
        for (number, line) in text.split(separator: "\n").enumerated() where !String(line).trimmedWhitespace.isEmpty {
            guard case let .object(record) = try JSON.decode(JSONValue.self, from: Array(line.utf8), path: "\(path):\(number + 1)")
            else { throw .invalidArgument("\(path):\(number + 1): not an --explain=json record") }
            records.append(record)
        }
        guard records.contains(where: { $0["step"]?.stringValue == "compare" }) else {
            throw .invalidArgument("\(path): no namespaces record: save a whole run's --explain=json stream")
        }
        return IsolationDrawing(records: records).svg()
    }

    /// A drawing to its file, whole or not at all.
    public static func write(_ svg: String, to path: String) throws(SwiftrunError) {
        try FileSystem.writeAtomically(Array(svg.utf8), to: path, durable: false)
    }

    private static let width = 1200
    private static let (hostX, containerX, columnWidth) = (20, 660, 520)
    /// Characters of 12px monospace that fit in a column.
    private static let columnChars = 70

    func svg() -> String {
        var canvas = SVGCanvas(width: Self.width)
        var y = 34
        canvas.text(Self.width / 2, y, "swiftrun run \(shortDigest(facts.image)): one kernel, two views", "title", anchor: "middle")
        y += 22
        canvas.text(Self.width / 2, y, fit(facts.command, 150), "muted", anchor: "middle")
        y += 34
        canvas.text(Self.hostX + Self.columnWidth / 2, y, "HOST", "heading", anchor: "middle")
        let pid1 = facts.hostPid.isEmpty ? "" : " (host pid \(facts.hostPid) is its pid 1)"
        canvas.text(Self.containerX + Self.columnWidth / 2, y, "CONTAINER" + pid1, "heading", anchor: "middle")
        y += 20
        y = namespaces(&canvas, y)
        y = filesystem(&canvas, y)
        y = cgroup(&canvas, y)
        y = privileges(&canvas, y)
        y = network(&canvas, y)
        return canvas.document(height: y + 20, style: Self.style)
    }

    // MARK: bands

    private func band(_ canvas: inout SVGCanvas, _ y: Int, _ title: String) -> Int {
        canvas.line(Self.hostX, y + 8, Self.width - Self.hostX, y + 8, "rule")
        canvas.text(Self.hostX, y + 28, title, "band")
        return y + 42
    }

    private func namespaces(_ canvas: inout SVGCanvas, _ start: Int) -> Int {
        var y = band(&canvas, start, "Namespaces: the same kernel, different views (namespaces(7))")
        for name in ["pid", "mnt", "uts", "ipc", "net", "cgroup", "root", "hostname"] {
            let host = facts.host[name] ?? "?"
            let inside = facts.container[name] ?? "?"
            let same = host == inside
            // pid:[4026531836] names itself; root and hostname get a label.
            let label = host.hasPrefix(name + ":") ? "" : pad(name == "root" ? "root (device:inode)" : name, 21)
            canvas.box(Self.hostX, y, Self.columnWidth, 22, "host")
            canvas.text(Self.hostX + 10, y + 15, label + host)
            canvas.box(Self.containerX, y, Self.columnWidth, 22, same ? "shared" : "container")
            var note = ""
            if name == "pid" { note = "  its command is pid 1 here" }
            if name == "root" { note = "  after pivot_root" }
            canvas.text(Self.containerX + 10, y + 15, label + inside + note)
            canvas.line(Self.hostX + Self.columnWidth, y + 11, Self.containerX, y + 11, same ? "link" : "split")
            canvas.text(Self.width / 2, y + 7, same ? "same" : "new", same ? "muted" : "accent", anchor: "middle")
            y += 28
        }
        return y
    }

    private func filesystem(_ canvas: inout SVGCanvas, _ start: Int) -> Int {
        var y = band(&canvas, start, "Filesystem: overlayfs, read-only layers under one writable dir (overlayfs(5))")
        var left = y
        canvas.text(Self.hostX, left + 14, "The store keeps each layer unpacked once, shared:", "muted")
        left += 24
        for layer in facts.layers.reversed() {
            canvas.text(Self.hostX + 10, left + 14, fit("layers/" + layer.diffID.replacingEvery("sha256:", with: ""), Self.columnChars - 2))
            left += 20
        }
        canvas.text(Self.hostX, left + 14, "This container's own dirs:", "muted")
        left += 22
        canvas.text(Self.hostX + 10, left + 14, fit("upper  " + facts.upper, Self.columnChars - 2))
        canvas.text(Self.hostX + 10, left + 34, fit("root   " + facts.rootfs, Self.columnChars - 2))
        left += 44

        canvas.box(Self.containerX, y, Self.columnWidth, 26, "container", title: facts.rootfs)
        canvas.text(Self.containerX + 10, y + 17, "/  the merged root (pivot_root made it /)")
        y += 32
        canvas.box(Self.containerX, y, Self.columnWidth, 26, "writable", title: facts.upper)
        canvas.text(Self.containerX + 10, y + 17, "upper dir: writable, this container's only")
        y += 32
        for layer in facts.layers.reversed() {
            canvas.box(Self.containerX, y, Self.columnWidth, 38, "layer", title: layer.diffID)
            canvas.text(
                Self.containerX + 10, y + 16, "layer \(shortDigest(layer.diffID))  \(IsolationFacts.bytes(layer.size))  read-only")
            canvas.text(Self.containerX + 10, y + 31, layer.diffID, "digest")
            y += 44
        }
        y = list(&canvas, y + 4, "masked (an empty view over them):", facts.masked, kind: "drop")
        y = list(&canvas, y, "read-only:", facts.readonly, kind: "")
        return max(y, left)
    }

    private func cgroup(_ canvas: inout SVGCanvas, _ start: Int) -> Int {
        var y = band(&canvas, start, "cgroup: what the container may use (cgroups(7))")
        var left = y
        canvas.text(Self.hostX, left + 14, "The host's cgroup dirs it was placed in:", "muted")
        left += 22
        for directory in facts.cgroupDirectories {
            canvas.text(Self.hostX + 10, left + 14, fit(directory, Self.columnChars - 2))
            left += 20
        }
        let limits = facts.limits
        canvas.box(Self.containerX, y, Self.columnWidth, 12 + 20 * max(1, limits.count), "container")
        for (index, line) in (limits.isEmpty ? ["no limit written"] : limits).enumerated() {
            canvas.text(Self.containerX + 10, y + 20 + 20 * index, fit(line, Self.columnChars - 2))
        }
        y += 18 + 20 * max(1, limits.count)
        return max(y, left)
    }

    private func privileges(_ canvas: inout SVGCanvas, _ start: Int) -> Int {
        var y = band(&canvas, start, "Privileges: root, with fewer powers (capabilities(7), seccomp(2))")
        let all = facts.kept.count + facts.dropped.count
        canvas.text(Self.hostX, y + 14, "root on the host: all \(all) capabilities, every syscall", "muted")
        canvas.text(Self.hostX, y + 34, "the container's uid \(facts.uid), gid \(facts.gid) is the host's root,", "muted")
        canvas.text(Self.hostX, y + 54, "so only the walls on the right keep it in", "muted")
        y = list(&canvas, y, "capabilities kept (\(facts.kept.count)):", facts.kept, kind: "kept", perLine: 3)
        y = list(&canvas, y, "capabilities dropped (\(facts.dropped.count)):", facts.dropped, kind: "drop", perLine: 3)
        for line in wrap("seccomp: " + facts.seccomp, Self.columnChars + 2) {
            canvas.text(Self.containerX, y + 14, line)
            y += 20
        }
        canvas.text(Self.containerX, y + 14, "no_new_privs: \(facts.noNewPrivileges ? "on" : "off")   uid \(facts.uid), gid \(facts.gid)")
        return y + 24
    }

    private func network(_ canvas: inout SVGCanvas, _ start: Int) -> Int {
        var y = band(&canvas, start, "Network: a veth pair, a bridge, NAT (veth(4), nft(8))")
        guard let bridge = facts.veth["bridge"] ?? facts.network["bridge"] else {
            let same = facts.host["net"] == facts.container["net"]
            canvas.box(Self.containerX, y, Self.columnWidth, 26, same ? "shared" : "container")
            canvas.text(Self.containerX + 10, y + 17, same ? "the host's own network (--network host or container:)" : "lo only: no way in or out")
            return y + 32
        }
        let gateway = facts.network["gateway"] ?? "?"
        canvas.box(Self.hostX, y, Self.columnWidth, 26, "host")
        canvas.text(Self.hostX + 10, y + 17, "bridge \(bridge)  \(gateway)  (\(facts.network["subnet"] ?? "?"))")
        canvas.box(Self.hostX + 260, y + 34, Self.columnWidth - 260, 26, "host")
        canvas.text(Self.hostX + 270, y + 51, "veth \(facts.veth["host"] ?? "?")")
        canvas.line(Self.hostX + 260, y + 26, Self.hostX + 300, y + 34)
        canvas.box(Self.containerX, y + 34, Self.columnWidth, 26, "container", title: facts.veth["mac"])
        canvas.text(
            Self.containerX + 10, y + 51, "\(facts.veth["container"] ?? "eth0")  \(facts.network["address"] ?? "?")  via \(gateway)")
        canvas.line(Self.hostX + Self.columnWidth, y + 47, Self.containerX, y + 47, "cable")
        canvas.text(Self.width / 2, y + 42, "one cable", "accent", anchor: "middle")
        y += 70
        if facts.nat {
            canvas.text(Self.hostX, y + 14, "NAT: masquerade out of \(facts.network["subnet"] ?? "the subnet") (table ip swiftrun)", "muted")
            y += 20
        }
        for port in facts.ports {
            canvas.text(Self.hostX, y + 14, "published: host \(port.split(separator: " ").last.map(String.init) ?? port)  →  DNAT", "accent")
            canvas.text(Self.containerX, y + 14, "port \(port.split(separator: " ").first.map(String.init) ?? port)")
            canvas.line(Self.hostX + Self.columnWidth - 100, y + 10, Self.containerX - 6, y + 10, "cable")
            y += 22
        }
        return y
    }

    // MARK: pieces

    /// A titled list in the container's column, `perLine` items to a line.
    private func list(_ canvas: inout SVGCanvas, _ start: Int, _ title: String, _ items: [String], kind: String, perLine: Int = 2) -> Int {
        var y = start
        canvas.text(Self.containerX, y + 14, title, "muted")
        y += 20
        for offset in stride(from: 0, to: items.count, by: perLine) {
            let row = items[offset..<min(offset + perLine, items.count)]
            for (column, item) in row.enumerated() {
                canvas.text(Self.containerX + 10 + column * (Self.columnWidth / perLine), y + 14, item, kind)
            }
            y += 18
        }
        return y + 6
    }

    private func pad(_ name: String, _ width: Int) -> String { name + String(repeating: " ", count: max(1, width - name.count)) }

    /// Words into lines of at most `limit` characters.
    private func wrap(_ text: String, _ limit: Int) -> [String] {
        var lines: [String] = []
        var current = ""
        for word in text.split(separator: " ") {
            if !current.isEmpty && current.count + 1 + word.count > limit {
                lines.append(current)
                current = "  "
            }
            current += (current.isEmpty || current == "  " ? "" : " ") + word
        }
        if !current.trimmedWhitespace.isEmpty { lines.append(current) }
        return lines
    }

    private func shortDigest(_ digest: String) -> String { String(digest.replacingEvery("sha256:", with: "").prefix(12)) }

    /// Long paths keep their start and end.
    private func fit(_ text: String, _ limit: Int) -> String {
        guard text.count > limit, limit > 10 else { return text }
        let half = (limit - 1) / 2
        return String(text.prefix(half)) + "…" + String(text.suffix(limit - 1 - half))
    }

    /// Light by default; dark where the viewer prefers it.
    private static let style = """
        text { font-family: monospace; font-size: 12px; fill: #1f2328; }
        .background { fill: #ffffff; }
        .title { font-size: 18px; font-weight: bold; }
        .heading { font-size: 14px; font-weight: bold; letter-spacing: 2px; }
        .band { font-size: 13px; font-weight: bold; fill: #0550ae; }
        .muted { fill: #59636e; }
        .accent { fill: #8250df; }
        .digest { fill: #59636e; font-size: 9px; }
        .kept { fill: #116329; }
        .drop { fill: #a40e26; }
        rect.host { fill: #ddf4ff; stroke: #54aeff; }
        rect.container { fill: #dafbe1; stroke: #4ac26b; }
        rect.shared { fill: #fff8c5; stroke: #d4a72c; }
        rect.writable { fill: #fbefff; stroke: #c297ff; }
        rect.layer { fill: #f6f8fa; stroke: #8c959f; }
        line.rule { stroke: #d1d9e0; }
        line.divider, line.link { stroke: #8c959f; }
        line.split { stroke: #8250df; stroke-dasharray: 4 3; }
        line.cable { stroke: #0969da; stroke-width: 2; }
        @media (prefers-color-scheme: dark) {
          text { fill: #e6edf3; }
          .background { fill: #0d1117; }
          .band { fill: #79c0ff; }
          .muted, .digest { fill: #9198a1; }
          .accent { fill: #d2a8ff; }
          .kept { fill: #56d364; }
          .drop { fill: #ff7b72; }
          rect.host { fill: #0c2d6b; stroke: #388bfd; }
          rect.container { fill: #033a16; stroke: #2ea043; }
          rect.shared { fill: #4b2900; stroke: #bb8009; }
          rect.writable { fill: #3c1e70; stroke: #a371f7; }
          rect.layer { fill: #151b23; stroke: #3d444d; }
          line.rule { stroke: #3d444d; }
        }
        """
}
