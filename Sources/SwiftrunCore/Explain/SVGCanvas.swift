/// A few SVG shapes, appended as text: boxes, labels and lines, with the
/// classes IsolationDrawing's style sheet colours (light, and dark where
/// the viewer prefers it). No scripts, no external fonts or images.
struct SVGCanvas {
    let width: Int
    private(set) var body: [String] = []

    init(width: Int) { self.width = width }

    mutating func box(_ x: Int, _ y: Int, _ width: Int, _ height: Int, _ kind: String, title: String? = nil) {
        let tooltip = title.map { "<title>\(Self.escape($0))</title>" } ?? ""
        body.append("<rect class=\"\(kind)\" x=\"\(x)\" y=\"\(y)\" width=\"\(width)\" height=\"\(height)\" rx=\"6\">\(tooltip)</rect>")
    }

    mutating func text(_ x: Int, _ y: Int, _ value: String, _ kind: String = "", anchor: String = "start") {
        let cls = kind.isEmpty ? "" : " class=\"\(kind)\""
        body.append("<text x=\"\(x)\" y=\"\(y)\"\(cls) text-anchor=\"\(anchor)\">\(Self.escape(value))</text>")
    }

    mutating func line(_ x1: Int, _ y1: Int, _ x2: Int, _ y2: Int, _ kind: String = "link") {
        body.append("<line class=\"\(kind)\" x1=\"\(x1)\" y1=\"\(y1)\" x2=\"\(x2)\" y2=\"\(y2)\"/>")
    }

    /// The document, `height` tall, with its style sheet.
    func document(height: Int, style: String) -> String {
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(height)" viewBox="0 0 \(width) \(height)">
        <style>
        \(style)
        </style>
        <rect class="background" x="0" y="0" width="\(width)" height="\(height)"/>
        \(body.joined(separator: "\n"))
        </svg>

        """
    }

    static func escape(_ text: String) -> String {
        var escaped = ""
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
