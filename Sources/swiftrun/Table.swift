import SwiftrunCore

/// Docker's plain table output, as Go's tabwriter makes it for the docker
/// CLI (minimum width 10, padding 3) and for runc's `list` (minimum 12):
/// each column as wide as its widest cell and three spaces, or the minimum,
/// and a row's last cell not padded. Rows may have fewer cells (a table
/// template's lines).
struct Table {
    private var rows: [[String]]
    private let minimumWidth: Int

    init(_ header: [String], minimumWidth: Int = 10) {
        rows = [header]
        self.minimumWidth = minimumWidth
    }

    mutating func add(_ row: [String]) { rows.append(row) }

    func render() -> String {
        var widths: [Int] = []
        for row in rows {
            for (column, cell) in row.dropLast().enumerated() {
                if column == widths.count { widths.append(minimumWidth) }
                widths[column] = max(widths[column], cell.count + 3)
            }
        }
        return rows.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[column] - cell.count)
            }.joined() + "\n"
        }.joined()
    }

    /// Decimal units with three significant digits: "4.26MB".
    /// `significant`: 3 where Docker's CLI prints a size, 4 for an image's
    /// VirtualSize (go-units' HumanSize).
    static func size(_ bytes: Int64, significant: Int = 3) -> String {
        var value = Double(bytes)
        var unit = 0
        let units = ["B", "kB", "MB", "GB", "TB"]
        while value >= 1000 && unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        if unit == 0 { return "\(bytes)B" }  // Docker's "0B", "801B"
        let decimals = significant - (value >= 100 ? 3 : value >= 10 ? 2 : 1)
        var scale = 1.0
        for _ in 0..<max(decimals, 0) { scale *= 10 }
        let rounded = decimals <= 0 ? "\(Int(value.rounded()))" : String(Double(Int(value * scale)) / scale)
        return rounded + units[unit]
    }

    static func command(_ args: [String]) -> String {
        "\"" + truncate(args.joined(separator: " "), 20) + "\""
    }

    static func truncate(_ text: String, _ width: Int) -> String {
        text.count > width ? String(text.prefix(width - 1)) + "…" : text
    }
}

/// One JSON object on one line, keys sorted, for `--format json`.
func JSONLine(_ fields: [String: String]) -> String {
    func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
    return "{" + fields.keys.sorted().map { quote($0) + ":" + quote(fields[$0]!) }.joined(separator: ",") + "}"
}
