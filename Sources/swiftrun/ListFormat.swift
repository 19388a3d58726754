import SwiftrunCore

/// The `--format` of the listing commands (ps, images, network ls, volume
/// ls), read as Docker's formatter reads it:
/// - "table", or none: the command's own columns;
/// - "json": one JSON object a line;
/// - "table TEMPLATE": a header row, then a row per object, the cells the
///   template separates with tabs aligned as Docker's tabwriter aligns them
///   (`docker ps --format 'table {{.ID}}\t{{.Names}}'`);
/// - any other TEMPLATE: a line per object, as the template prints it
///   (`docker images --format '{{.Repository}}:{{.Tag}}'`).
///
/// A literal \t or \n in the template is made a tab or a newline first, as
/// Docker's formatter does before it parses. Rows are maps of Docker's
/// field names (`.ID`, `.Names`) to their text.
struct ListFormat {
    private enum Style {
        case table, json
        case template(GoTemplate, header: Bool)
    }

    private let style: Style

    /// The --format help, with some of the command's `fields`.
    static func help(_ fields: String) -> ArgumentHelp {
        ArgumentHelp(stringLiteral: "table, json (one object a line), or a Go template of \(fields) ...; after \"table \", a header and columns.")
    }

    /// A malformed template fails here, before anything is listed.
    init(_ text: String?) throws(SwiftrunError) {
        switch text {
        case nil, "table": style = .table
        case "json": style = .json
        case let text?:
            let header = text.hasPrefix("table ")
            let body = (header ? String(text.dropFirst("table ".count)) : text)
                .replacingEvery("\\t", with: "\t").replacingEvery("\\n", with: "\n")
            style = .template(try GoTemplate(body), header: header)
        }
    }

    /// Prints `rows`: `columns` are the fields of the command's own table,
    /// and `headers` give every field's column title, which a table
    /// template's header row prints in the field's place.
    func print(_ rows: [[String: String]], columns: [String], headers: [String: String]) throws(SwiftrunError) {
        switch style {
        case .json:
            rows.forEach { Swift.print(JSONLine($0)) }
        case .table:
            var table = Table(columns.map { headers[$0]! })
            for row in rows { table.add(columns.map { row[$0] ?? "" }) }
            Swift.print(table.render(), terminator: "")
        case let .template(template, header: false):
            for row in rows { Swift.print(try template.render(strings: row)) }
        case let .template(template, header: true):
            // The header is the template run over the titles, as Docker
            // runs it over a map of each field's title.
            var text = try template.render(strings: headers) + "\n"
            for row in rows { text += try template.render(strings: row) + "\n" }
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
            var table = Table(lines.first.map(Self.cells) ?? [])
            lines.dropFirst().forEach { table.add(Self.cells($0)) }
            Swift.print(table.render(), terminator: "")
        }
    }

    /// A `.Labels` field: KEY=VALUE pairs by key, comma-separated.
    static func labels(_ labels: [String: String]) -> String {
        labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }

    private static func cells(_ line: Substring) -> [String] {
        line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
    }
}
