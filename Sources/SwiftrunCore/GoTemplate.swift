/// Docker's `--format`: a Go text/template run over a JSON document, as
/// `docker inspect -f` runs it over the inspect JSON decoded into maps (the
/// CLI's fallback that every field path reaches).
///
/// The part of text/template that format strings use: text; `{{.A.B}}`,
/// `{{.}}`, `{{$}}` and `{{$v.A}}`; string, number and boolean literals;
/// parenthesised and piped (`|`) commands; `if`, `else if`, `else`, `with`,
/// `range` (with `$v :=` or `$k, $v :=`) and `end`; `{{-` and `-}}` trim.
/// Functions: Docker's `json`, `join`, `split`, `upper`, `lower`, `title`,
/// and Go's `index`, `len`, `print`, `printf`, `println`, `not`, `and`, `or`,
/// `eq`, `ne`.
/// Values print as Go's %v does: a missing key of a map as `<no value>`,
/// null as `<nil>`, a map as `map[k:v ...]` in key order, a list as
/// `[a b]`. What a missing key means depends on what the document stands
/// for (`Keys`): an inspect document is run as `docker inspect -f` runs
/// it (`render(json:as:)`), a list's row stands for a Go struct
/// (`render(strings:fieldsOf:)`); either fails at the field's line:column.
public struct GoTemplate {
    indirect enum Node {
        case text(String)
        case output(Pipeline)
        case branch(Pipeline, then: [Node], otherwise: [Node], binds: Bool)  // if, or `with` (binds dot)
        case range(Pipeline, key: String?, value: String?, body: [Node], otherwise: [Node])
    }

    /// `cmd | cmd ...`: each command's value is the last argument of the next.
    struct Pipeline {
        var commands: [[Operand]]
        let source: String
    }

    indirect enum Operand {
        /// `at`: where it stands in the template, for an error's line:column.
        case dot([String], at: Int)
        case variable(String, [String], at: Int)
        case literal(JSONTree)
        case function(Function)
        case nested(Pipeline, [String], at: Int)
    }

    /// The functions a template may call: the parser accepts these names,
    /// and `call` must answer each (the switch there is exhaustive).
    enum Function: String {
        case json, join, split, upper, lower, title, index, len, print, printf, println, not, and, or, eq, ne
    }

    private let nodes: [Node]
    /// The text as its user wrote it, and where each scalar parsed stands
    /// in it: a list format's "table " is not parsed, and its "\t" is a tab.
    private let written: [Unicode.Scalar]
    private let offsets: [Int]?

    /// Parses `text`; a malformed template fails here, as Docker's does
    /// before it looks at any object. `written`: the text the user gave,
    /// with the offset there of each scalar of `text`.
    public init(_ text: String, written: (text: String, offsets: [Int])? = nil) throws(SwiftrunError) {
        var parser = Parser(text: Array(text.unicodeScalars))
        nodes = try parser.parseAll()
        self.written = Array((written?.text ?? text).unicodeScalars)
        offsets = written?.offsets
    }

    /// The template run over the inspect document `json`, as `docker
    /// inspect -f` runs it: over the Go struct `shape` describes, and if
    /// that fails, over the JSON as maps where a missing key is an error,
    /// whose error is the one reported.
    public func render(json: [UInt8], as shape: GoStruct) throws(SwiftrunError) -> String {
        let tree: JSONTree
        do {
            tree = try JSONParser.parse(json)
        } catch {
            throw .invalidArgument("template: the document to format is not JSON")
        }
        if let typed = try? render(tree, keys: .typed(shape)) { return typed }
        return try render(tree, keys: .strict)
    }

    /// The template over an object of strings (ps's rows). With `fieldsOf`,
    /// the object stands for a Go struct of that type, as a list's row does
    /// in Docker's CLI: a field it lacks is an error, not `<no value>`.
    public func render(strings: [String: String], fieldsOf type: String? = nil) throws(SwiftrunError) -> String {
        try render(.object(strings.mapValues(JSONTree.string)), keys: type.map { .row(type: $0) } ?? .lenient)
    }

    private func render(_ root: JSONTree, keys: Keys) throws(SwiftrunError) -> String {
        var output = ""
        var scope = Scope(variables: ["$": root], keys: keys, place: place)
        try Self.run(nodes, dot: Dot(root, path: []), scope: &scope, into: &output)
        return output
    }

    /// Go's "line:column" of the scalar at `offset` of the parsed text, in
    /// the text as written (the column counted from 0).
    private func place(_ offset: Int) -> String {
        let at = offsets.map { offset < $0.count ? $0[offset] : written.count } ?? offset
        let before = written.prefix(at)
        let lineStart = before.lastIndex(of: "\n").map { $0 + 1 } ?? 0
        return "\(before.filter { $0 == "\n" }.count + 1):\(at - lineStart)"
    }

    /// Whether the template names `field` of its row (`.field`, `$.field`,
    /// or the whole row as `.` or `$`): a list reads a costly field only for
    /// a template that shows it.
    public func names(_ field: String) -> Bool { Self.names(field, in: nodes) }

    private static func names(_ field: String, in nodes: [Node]) -> Bool {
        nodes.contains { node in
            switch node {
            case .text: false
            case let .output(pipeline): names(field, in: pipeline)
            case let .branch(pipeline, then, otherwise, _):
                names(field, in: pipeline) || names(field, in: then) || names(field, in: otherwise)
            case let .range(pipeline, _, _, body, otherwise):
                names(field, in: pipeline) || names(field, in: body) || names(field, in: otherwise)
            }
        }
    }

    private static func names(_ field: String, in pipeline: Pipeline) -> Bool {
        pipeline.commands.joined().contains { operand in
            switch operand {
            // A bare dot or `$` is the whole row: `{{json .}}` shows every field.
            case let .dot(fields, _): fields.isEmpty || fields.first == field
            case let .variable(name, fields, _): (name == "$" && fields.isEmpty) || fields.first == field
            case let .nested(inner, fields, _): fields.first == field || names(field, in: inner)
            case .literal, .function: false
            }
        }
    }

    // MARK: - Running

    /// What a key the document lacks means.
    enum Keys {
        /// Go's map with its default: `<no value>` (stats' rows).
        case lenient
        /// A list's row, standing for a Go struct of this type: an error.
        case row(type: String)
        /// docker inspect's first pass, over its Go struct: a field the
        /// JSON omits when empty is its zero value, a Go map's missing key
        /// `<no value>`; anything else ends the pass.
        case typed(GoStruct)
        /// Its second, over maps with missingkey=error: an error.
        case strict
    }

    /// The variables in reach: `$`, the document, and those `range`
    /// declared; what a missing key means; how to place an error.
    struct Scope {
        var variables: [String: JSONTree]
        let keys: Keys
        let place: (Int) -> String
    }

    /// The value `.` stands for, and its path from the document's root
    /// where that is known (not inside a `range`): the typed pass finds a
    /// field's zero value by it.
    struct Dot {
        var value: JSONTree?
        var path: [String]?

        init(_ value: JSONTree?, path: [String]?) {
            self.value = value
            self.path = path
        }
    }

    private static func run(_ nodes: [Node], dot: Dot, scope: inout Scope, into output: inout String) throws(SwiftrunError) {
        for node in nodes {
            switch node {
            case let .text(text):
                output += text
            case let .output(pipeline):
                let value = try evaluate(pipeline, dot: dot, scope: scope)
                if case let .typed(shape) = scope.keys, case .null? = value.value, let path = value.path, let printed = shape.printedNull(at: path) {
                    output += printed
                } else {
                    output += format(value.value)
                }
            case let .branch(pipeline, then, otherwise, binds):
                let value = try evaluate(pipeline, dot: dot, scope: scope)
                if isTrue(value.value) {
                    try run(then, dot: binds ? value : dot, scope: &scope, into: &output)
                } else {
                    try run(otherwise, dot: dot, scope: &scope, into: &output)
                }
            case let .range(pipeline, key, value, body, otherwise):
                let items: [(JSONTree, JSONTree)]
                switch try evaluate(pipeline, dot: dot, scope: scope).value {
                case nil, .null?: items = []
                case let .array(elements)?: items = elements.enumerated().map { (.number(String($0.offset)), $0.element) }
                case let .object(fields)?:
                    items = fields.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.map { (.string($0), fields[$0]!) }
                case let other?:
                    throw .invalidArgument("template: executing at <\(pipeline.source)>: range can't iterate over \(format(other))")
                }
                if items.isEmpty { try run(otherwise, dot: dot, scope: &scope, into: &output) }
                for (index, element) in items {
                    if let key, let value {
                        scope.variables[key] = index
                        scope.variables[value] = element
                    } else if let value {
                        scope.variables[value] = element
                    }
                    try run(body, dot: Dot(element, path: nil), scope: &scope, into: &output)
                }
            }
        }
    }

    /// A pipeline's value; with its path from the root when it is one
    /// chain of fields, so that `with` keeps it.
    private static func evaluate(_ pipeline: Pipeline, dot: Dot, scope: Scope) throws(SwiftrunError) -> Dot {
        var carried: Dot? = nil
        for command in pipeline.commands {
            var arguments: [JSONTree?] = []
            for operand in command.dropFirst() { arguments.append(try value(of: operand, dot: dot, scope: scope, in: pipeline).value) }
            if let previous = carried { arguments.append(previous.value) }
            if case let .function(name) = command[0] {
                carried = Dot(try call(name, arguments, in: pipeline), path: nil)
            } else {
                guard arguments.isEmpty else {
                    throw .invalidArgument("template: executing at <\(pipeline.source)>: can't give argument to non-function")
                }
                carried = try value(of: command[0], dot: dot, scope: scope, in: pipeline)
            }
        }
        return carried ?? Dot(nil, path: nil)
    }

    private static func value(of operand: Operand, dot: Dot, scope: Scope, in pipeline: Pipeline) throws(SwiftrunError) -> Dot {
        switch operand {
        case let .dot(fields, at):
            // A row's fields are flat: an object here is the row itself.
            if case let .row(type) = scope.keys, let first = fields.first, case let .object(members)? = dot.value, members[first] == nil {
                throw .invalidArgument(
                    "template: :\(scope.place(at)): executing \"\" at <.\(fields.joined(separator: "."))>: can't evaluate field \(first) in type \(type)")
            }
            return try walk(dot, fields, scope: scope, at: at, written: "." + fields.joined(separator: "."), in: pipeline)
        case let .variable(name, fields, at):
            guard let variable = scope.variables[name] else { throw .invalidArgument("template: undefined variable: \(name)") }
            let written = ([name] + fields).joined(separator: ".")
            return try walk(Dot(variable, path: name == "$" ? [] : nil), fields, scope: scope, at: at, written: written, in: pipeline)
        case let .literal(tree): return Dot(tree, path: nil)
        case let .function(name): return Dot(try call(name, [], in: pipeline), path: nil)
        case let .nested(inner, fields, at):
            let start = try evaluate(inner, dot: dot, scope: scope)
            return try walk(start, fields, scope: scope, at: at, written: "(" + inner.source + ")." + fields.joined(separator: "."), in: pipeline)
        }
    }

    /// A key of a map. What a missing one, or a field of null or of a
    /// value that has none, gives depends on the pass (`Keys`): Go's
    /// `<no value>` for a map, or the error Go's template gives, placed at
    /// `at` in the template and naming the operand as `written`.
    private static func walk(
        _ start: Dot, _ fields: [String], scope: Scope, at: Int, written: String, in pipeline: Pipeline
    ) throws(SwiftrunError) -> Dot {
        func failure(_ reason: String) -> SwiftrunError {
            .invalidArgument("template: :\(scope.place(at)): executing \"\" at <\(written)>: \(reason)")
        }
        var current = start
        for (index, field) in fields.enumerated() {
            switch (current.value, scope.keys) {
            case (nil, .strict), (.null?, .strict), (.null?, .typed):
                throw failure("nil pointer evaluating interface {}.\(field)")
            case (nil, _), (.null?, _):
                return Dot(nil, path: nil)
            case let (.object(members)?, keys):
                if let next = members[field] {
                    current = Dot(next, path: current.path.map { $0 + [field] })
                    continue
                }
                switch keys {
                case .lenient, .row: return Dot(nil, path: nil)
                case .strict: throw failure("map has no entry for key \"\(field)\"")
                case let .typed(shape):
                    guard let path = current.path else { throw failure("no field \(field) known here") }
                    if shape.isMap(path) { return Dot(nil, path: nil) }
                    guard index == fields.count - 1, let zero = shape.zeroes[path + [field]] else { throw failure("no field \(field)") }
                    return Dot(zero, path: path + [field])
                }
            case let (other?, keys):
                switch keys {
                case .lenient:
                    throw .invalidArgument("template: executing at <\(pipeline.source)>: can't evaluate field \(field) in type \(typeName(other))")
                case .row: throw failure("can't evaluate field \(field) in type \(typeName(other))")
                // Decoded into maps, every value is Go's interface {}.
                case .typed, .strict: throw failure("can't evaluate field \(field) in type interface {}")
                }
            }
        }
        return current
    }

    private static func call(_ function: Function, _ arguments: [JSONTree?], in pipeline: Pipeline) throws(SwiftrunError) -> JSONTree? {
        func wrong() -> SwiftrunError {
            .invalidArgument("template: executing at <\(pipeline.source)>: wrong number or type of args for \(function.rawValue)")
        }
        func taking(_ counts: some RangeExpression<Int>) throws(SwiftrunError) {
            guard counts.contains(arguments.count) else { throw wrong() }
        }
        switch function {
        case .json:
            try taking(1...1)
            return .string(json(arguments[0]))
        case .upper:
            try taking(1...1)
            return .string(format(arguments[0]).uppercased())
        case .lower:
            try taking(1...1)
            return .string(format(arguments[0]).lowercased())
        case .title:
            try taking(1...1)
            let words = format(arguments[0]).split(separator: " ", omittingEmptySubsequences: false)
            return .string(words.map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined(separator: " "))
        case .join:
            try taking(2...2)
            guard case let .array(items)? = arguments[0] else { throw wrong() }
            return .string(items.map { format($0) }.joined(separator: format(arguments[1])))
        case .split:
            try taking(2...2)
            return .array(split(format(arguments[0]), by: format(arguments[1])).map(JSONTree.string))
        case .len:
            try taking(1...1)
            switch arguments[0] {
            case let .array(items)?: return .number(String(items.count))
            case let .object(fields)?: return .number(String(fields.count))
            case let .string(text)?: return .number(String(text.utf8.count))
            default: throw wrong()
            }
        case .index:
            try taking(1...)
            var current = arguments[0]
            for key in arguments.dropFirst() {
                switch (current, key) {
                // A missing key of a map of strings (Labels, Options) is Go's "".
                case let (.object(fields)?, .string(name)?):
                    current = fields[name] ?? (fields.values.allSatisfy { if case .string = $0 { true } else { false } } ? .string("") : nil)
                case let (.array(items)?, .number(text)?):
                    guard let position = Int(text), items.indices.contains(position) else {
                        throw .invalidArgument("template: executing at <\(pipeline.source)>: error calling index: index out of range: \(text)")
                    }
                    current = items[position]
                case (nil, _), (.null?, _): current = nil
                default: throw wrong()
                }
            }
            return current
        case .print: return .string(arguments.map { format($0) }.joined())
        case .printf:
            try taking(1...)
            return .string(printf(format(arguments[0]), Array(arguments.dropFirst())))
        case .println: return .string(arguments.map { format($0) }.joined(separator: " ") + "\n")
        case .not:
            try taking(1...1)
            return .bool(!isTrue(arguments[0]))
        case .and:
            try taking(1...)
            return arguments.first { !isTrue($0) } ?? arguments.last!
        case .or:
            try taking(1...)
            return arguments.first { isTrue($0) } ?? arguments.last!
        case .eq:
            try taking(2...)
            return .bool(arguments.dropFirst().contains { format($0) == format(arguments[0]) })
        case .ne:
            try taking(2...2)
            return .bool(format(arguments[0]) != format(arguments[1]))
        }
    }

    /// Go's Sprintf for the verbs format strings use: %s, %v, %d (a value's
    /// %v), %q (quoted) and %%.
    private static func printf(_ pattern: String, _ arguments: [JSONTree?]) -> String {
        var output = ""
        var next = 0
        var scalars = pattern.unicodeScalars.makeIterator()
        while let scalar = scalars.next() {
            guard scalar == "%", let verb = scalars.next() else {
                output.unicodeScalars.append(scalar)
                continue
            }
            guard verb != "%" else {
                output += "%"
                continue
            }
            guard next < arguments.count else {
                output += "%!\(verb)(MISSING)"
                continue
            }
            let text = format(arguments[next])
            next += 1
            output += verb == "q" ? json(.string(text)) : text
        }
        return output
    }

    /// Go's strings.Split: around every occurrence, or into characters.
    private static func split(_ text: String, by separator: String) -> [String] {
        guard !separator.isEmpty else { return text.map(String.init) }
        var parts: [String] = []
        var rest = text[...]
        while let found = rest.firstOccurrence(of: separator) {
            parts.append(String(rest[..<found.lowerBound]))
            rest = rest[found.upperBound...]
        }
        return parts + [String(rest)]
    }

    /// Go's truth: false, 0, nil, and empty strings, lists and maps are false.
    static func isTrue(_ value: JSONTree?) -> Bool {
        switch value {
        case nil, .null?: false
        case let .bool(flag)?: flag
        case let .number(text)?: Double(text) != 0
        case let .string(text)?: !text.isEmpty
        case let .array(items)?: !items.isEmpty
        case let .object(fields)?: !fields.isEmpty
        }
    }

    /// Go's %v of a value decoded from JSON.
    static func format(_ value: JSONTree?) -> String {
        switch value {
        case nil: "<no value>"
        case .null?: "<nil>"
        case let .bool(flag)?: flag ? "true" : "false"
        case let .number(text)?: text
        case let .string(text)?: text
        case let .array(items)?: "[" + items.map { format($0) }.joined(separator: " ") + "]"
        case let .object(fields)?:
            "map["
                + fields.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.map { $0 + ":" + format(fields[$0]) }.joined(separator: " ")
                + "]"
        }
    }

    /// Go's json.Marshal: compact, keys in order, <, > and & escaped.
    static func json(_ value: JSONTree?) -> String {
        var writer = JSONWriter(pretty: false)
        writer.write(value ?? .null)
        return String(decoding: writer.bytes, as: UTF8.self)
            .replacingEvery("<", with: "\\u003c").replacingEvery(">", with: "\\u003e").replacingEvery("&", with: "\\u0026")
    }

    private static func typeName(_ value: JSONTree) -> String {
        switch value {
        case .null: "interface {}"
        case .bool: "bool"
        case .number: "float64"
        case .string: "string"
        case .array: "[]interface {}"
        case .object: "map[string]interface {}"
        }
    }
}
