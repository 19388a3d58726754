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
/// field names (`.ID`, `.Names`) to their text, every field Docker's Go
/// struct for the row has: a template naming another fails, as Docker's
/// does, where Go would print `<no value>` for a map.
struct ListFormat {
    /// What a row stands for in Docker's CLI: a Go struct, whose fields a
    /// template names, or else fails with Docker's words.
    enum Rows {
        case containers, images, networks, volumes

        var goType: String {
            switch self {
            case .containers: "*formatter.ContainerContext"
            case .images: "*formatter.imageContext"
            case .networks: "*network.networkContext"
            case .volumes: "*formatter.volumeContext"
            }
        }

        /// How the CLI words a failed template: ps's formatter says it
        /// failed to execute, the others that it failed to parse.
        var failure: String { self == .containers ? "failed to execute template: " : "template parsing error: " }

        /// ps runs its template on an empty row when it has none: a wrong
        /// field fails there too.
        var checkedWithoutRows: Bool { self == .containers }
    }

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
            // The offset in `text` of each scalar parsed: an error names its
            // line:column in what was written, as Docker's does.
            let written = Array(text.unicodeScalars)
            var body = String.UnicodeScalarView()
            var offsets: [Int] = []
            var index = header ? "table ".count : 0
            while index < written.count {
                offsets.append(index)
                if written[index] == "\\", index + 1 < written.count, written[index + 1] == "t" || written[index + 1] == "n" {
                    body.append(written[index + 1] == "t" ? "\t" : "\n")
                    index += 2
                } else {
                    body.append(written[index])
                    index += 1
                }
            }
            style = .template(try GoTemplate(String(body), written: (text: text, offsets: offsets)), header: header)
        }
    }

    /// Whether the output may show `field`: a row's costly fields are
    /// found only then.
    func mentions(_ field: String) -> Bool {
        switch style {
        case .json: true
        case .table: false
        case let .template(template, _): template.names(field)
        }
    }

    /// Prints `rows`: `columns` are the fields of the command's own table,
    /// and `headers` give every field's column title, which a table
    /// template's header row prints in the field's place. `of`: what the
    /// rows are, when a template must name only their fields.
    func print(_ rows: [[String: String]], columns: [String], headers: [String: String], of kind: Rows? = nil) throws(SwiftrunError) {
        if case let .template(template, _) = style, let kind, kind.checkedWithoutRows, rows.isEmpty {
            _ = try Self.render(template, headers.mapValues { _ in "" }, kind)
        }
        switch style {
        case .json:
            rows.forEach { Swift.print(JSONLine($0)) }
        case .table:
            var table = Table(columns.map { headers[$0]! })
            for row in rows { table.add(columns.map { row[$0] ?? "" }) }
            Swift.print(table.render(), terminator: "")
        case let .template(template, header: false):
            for row in rows { Swift.print(try Self.render(template, row, kind)) }
        case let .template(template, header: true):
            // The header is the template run over the titles, as Docker
            // runs it over a map of each field's title.
            var text = try template.render(strings: headers) + "\n"
            for row in rows { text += try Self.render(template, row, kind) + "\n" }
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
            var table = Table(lines.first.map(Self.cells) ?? [])
            lines.dropFirst().forEach { table.add(Self.cells($0)) }
            Swift.print(table.render(), terminator: "")
        }
    }

    private static func render(_ template: GoTemplate, _ row: [String: String], _ kind: Rows?) throws(SwiftrunError) -> String {
        do throws(SwiftrunError) {
            return try template.render(strings: row, fieldsOf: kind?.goType)
        } catch let .invalidArgument(message) {
            throw .invalidArgument((kind?.failure ?? "") + message)
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
