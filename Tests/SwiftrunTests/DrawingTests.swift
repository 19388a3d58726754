import Foundation
import Testing

/// `run --explain=svg:FILE` and `explain render`: the drawing holds this
/// run's own values, parses as XML, and renders (rsvg-convert) to a PNG.
@Suite struct DrawingTests {
    let sandbox: Sandbox

    init() throws { sandbox = try Sandbox() }

    /// Parses `svg` as XML and renders it to a PNG; returns the PNG's size.
    func renderPNG(_ svg: String) throws -> Int {
        try tool(["python3", "-c", "import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])", svg])
        let png = svg + ".png"
        try tool(["rsvg-convert", "-o", png, svg])
        let bytes = try Data(contentsOf: URL(fileURLWithPath: png))
        #expect(bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]), "not a PNG")
        return bytes.count
    }

    @Test func aSavedStreamDrawsThisRunsNamespacesLayersAndLimits() throws {
        let result = sandbox.run([
            "run", "--rm", "--explain=json", "--memory", "64m", "--pids-limit", "77", "busybox", "sh", "-c",
            "for n in pid mnt uts ipc net cgroup; do readlink /proc/self/ns/$n; done"
        ])
        #expect(result.code == 0, "\(result.stderr)")
        let records = sandbox.root + "/records.json"
        try result.stderr.write(toFile: records, atomically: true, encoding: .utf8)
        let svgPath = sandbox.root + "/run.svg"
        let rendered = sandbox.run(["explain", "render", records, "-o", svgPath])
        #expect(rendered.code == 0, "\(rendered.stderr)")
        let svg = try String(contentsOfFile: svgPath, encoding: .utf8)
        #expect(try renderPNG(svgPath) > 10_000)

        let inside = result.stdout.split(separator: "\n").map(String.init)
        #expect(inside.count == 6)
        for link in inside { #expect(svg.contains(">\(link)"), "\(link) is not drawn") }
        let image = try JSONSerialization.jsonObject(with: Data(sandbox.run(["image", "inspect", "busybox"]).stdout.utf8)) as! [[String: Any]]
        let layers = try #require((image[0]["RootFS"] as? [String: Any])?["Layers"] as? [String])
        #expect(!layers.isEmpty)
        for layer in layers { #expect(svg.contains(layer), "layer \(layer) is not drawn") }
        #expect(svg.contains("= 64 MiB"))
        #expect(svg.contains("pids.max = 77"))
        #expect(svg.contains("capabilities kept (14):"))
        #expect(svg.components(separatedBy: "class=\"kept\"").count - 1 == 14)
    }

    @Test func svgDrawsTheRunAsItHappensAndCapDropAllKeepsNothing() throws {
        let svgPath = sandbox.root + "/dropped.svg"
        let result = sandbox.run(["run", "--rm", "--explain=svg:\(svgPath)", "--cap-drop", "ALL", "busybox", "echo", "ran"])
        #expect(result.code == 0 && result.stdout == "ran\n", "\(result.stderr)")
        #expect(result.stderr.isEmpty, "svg narrates nothing on stderr: \(result.stderr)")
        let svg = try String(contentsOfFile: svgPath, encoding: .utf8)
        #expect(try renderPNG(svgPath) > 10_000)
        #expect(svg.contains("capabilities kept (0):"))
        #expect(!svg.contains("class=\"kept\""), "a capability is drawn as kept")
        #expect(svg.contains("CAP_CHOWN") && svg.contains("class=\"drop\""))
        // The default bridge: the veth pair and the container's address.
        let gateway = try #require(svg.split(separator: "<").first { $0.contains(">eth0 ") }?.split(separator: " ").last)
        let bridge = svg.split(separator: "<").first { $0.contains(">bridge swiftrun0 ") }
        #expect(svg.contains("veth veth") && bridge?.contains(" \(gateway) ") == true, "no network drawn")
    }

    @Test func aStreamWithoutARunIsRefused() throws {
        let records = sandbox.root + "/empty.json"
        try "{\"by\":\"parent\",\"step\":\"image\"}\n".write(toFile: records, atomically: true, encoding: .utf8)
        let result = sandbox.run(["explain", "render", records, "-o", sandbox.root + "/x.svg"])
        #expect(result.code == 1)
        #expect(result.stderr.contains("no namespaces record"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: sandbox.root + "/x.svg"))
    }
}
