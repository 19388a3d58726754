/// Reading a template: the text is cut at `{{` and `}}` into text and
/// actions, each action into tokens, and the actions into GoTemplate's
/// nodes, an `if`, `with` or `range` holding what comes before its `end`.
extension GoTemplate {
    enum Token: Equatable {
        case field([String], at: Int)  // ".", ".A.B"; at its second "." if any (Go's place for a chain)
        case chain([String], at: Int)  // ".A" right after ")"; at its first "."
        case variable(String, [String], at: Int)  // "$", "$x.A"; at its first "." if any, else at "$"
        case string(String)
        case number(String)
        case word(String)
        case open, close, pipe, declare, comma
    }

    /// A piece of the template: text, or an action's tokens and its own text.
    enum Item {
        case text(String)
        case action([Token], source: String)
    }

    /// How a list of nodes ended: at `{{end}}`, at `{{else ...}}` (with
    /// what follows `else`), or at the end of the template.
    enum Ending: Equatable {
        case end
        case otherwise([Token])
        case finished
    }

    struct Parser {
        let text: [Unicode.Scalar]
        private var items: [Item] = []
        private var position = 0

        init(text: [Unicode.Scalar]) { self.text = text }

        mutating func parseAll() throws(SwiftrunError) -> [Node] {
            items = try cut()
            let (nodes, ending) = try list()
            switch ending {
            case .finished: return nodes
            case .end: throw Self.failure("unexpected {{end}}")
            case .otherwise: throw Self.failure("unexpected {{else}}")
            }
        }

        static func failure(_ reason: String) -> SwiftrunError {
            .invalidArgument("template parsing error: template: :1: \(reason)")
        }

        // MARK: Nodes

        private mutating func list() throws(SwiftrunError) -> ([Node], Ending) {
            var nodes: [Node] = []
            while position < items.count {
                let item = items[position]
                position += 1
                guard case let .action(tokens, source) = item else {
                    if case let .text(text) = item { nodes.append(.text(text)) }
                    continue
                }
                switch tokens.first {
                case .word("end")?:
                    guard tokens.count == 1 else { throw Self.failure("unexpected \(source) in end") }
                    return (nodes, .end)
                case .word("else")?: return (nodes, .otherwise(Array(tokens.dropFirst())))
                case .word("if")?: nodes.append(try conditional(Array(tokens.dropFirst()), binds: false, source: source))
                case .word("with")?: nodes.append(try conditional(Array(tokens.dropFirst()), binds: true, source: source))
                case .word("range")?: nodes.append(try range(Array(tokens.dropFirst()), source: source))
                default: nodes.append(.output(try pipeline(tokens, source: source)))
                }
            }
            return (nodes, .finished)
        }

        /// `if`/`with` to its `end`; `else if` and `else with` nest and
        /// share that `end`.
        private mutating func conditional(_ tokens: [Token], binds: Bool, source: String) throws(SwiftrunError) -> Node {
            let condition = try pipeline(tokens, source: source)
            let (then, ending) = try list()
            switch ending {
            case .end: return .branch(condition, then: then, otherwise: [], binds: binds)
            case .otherwise([]):
                let (otherwise, last) = try list()
                guard last == .end else { throw Self.failure("unexpected EOF") }
                return .branch(condition, then: then, otherwise: otherwise, binds: binds)
            case let .otherwise(rest):
                guard case let .word(keyword)? = rest.first, keyword == "if" || keyword == "with" else {
                    throw Self.failure("unexpected \(source)")
                }
                let nested = try conditional(Array(rest.dropFirst()), binds: keyword == "with", source: source)
                return .branch(condition, then: then, otherwise: [nested], binds: binds)
            case .finished: throw Self.failure("unexpected EOF")
            }
        }

        /// `range [$v :=|$k, $v :=] pipeline` ... [`else` ...] `end`.
        private mutating func range(_ tokens: [Token], source: String) throws(SwiftrunError) -> Node {
            var rest = tokens[...]
            var key: String?
            var value: String?
            if case let .variable(first, [], _)? = rest.first {
                if rest.dropFirst().first == .declare {
                    value = first
                    rest = rest.dropFirst(2)
                } else if rest.dropFirst().first == .comma, case let .variable(second, [], _)? = rest.dropFirst(2).first,
                    rest.dropFirst(3).first == .declare
                {
                    (key, value) = (first, second)
                    rest = rest.dropFirst(4)
                }
            }
            let items = try pipeline(Array(rest), source: source)
            let (body, ending) = try list()
            switch ending {
            case .end: return .range(items, key: key, value: value, body: body, otherwise: [])
            case .otherwise([]):
                let (otherwise, last) = try list()
                guard last == .end else { throw Self.failure("unexpected EOF") }
                return .range(items, key: key, value: value, body: body, otherwise: otherwise)
            default: throw Self.failure("unexpected EOF")
            }
        }

        /// Commands split at top-level `|`, each a list of operands.
        private func pipeline(_ tokens: [Token], source: String) throws(SwiftrunError) -> Pipeline {
            var commands: [[Operand]] = [[]]
            var index = 0
            while index < tokens.count {
                if tokens[index] == .pipe {
                    commands.append([])
                    index += 1
                    continue
                }
                commands[commands.count - 1].append(try operand(tokens, &index, source: source))
            }
            guard commands.allSatisfy({ !$0.isEmpty }) else { throw Self.failure("missing value for command in \(source)") }
            return Pipeline(commands: commands, source: source)
        }

        private func operand(_ tokens: [Token], _ index: inout Int, source: String) throws(SwiftrunError) -> Operand {
            let token = tokens[index]
            index += 1
            switch token {
            case let .field(names, at): return .dot(names, at: at)
            case let .variable(name, names, at): return .variable(name, names, at: at)
            case let .string(text): return .literal(.string(text))
            case let .number(text): return .literal(.number(text))
            case .word("true"): return .literal(.bool(true))
            case .word("false"): return .literal(.bool(false))
            case .word("nil"): return .literal(.null)
            case let .word(name):
                guard let function = GoTemplate.Function(rawValue: name) else { throw Self.failure("function \"\(name)\" not defined") }
                return .function(function)
            case .open:
                var depth = 1
                let start = index
                while index < tokens.count {
                    if tokens[index] == .open { depth += 1 }
                    if tokens[index] == .close { depth -= 1 }
                    if depth == 0 { break }
                    index += 1
                }
                guard index < tokens.count else { throw Self.failure("unclosed left paren in \(source)") }
                let inner = try pipeline(Array(tokens[start..<index]), source: source)
                index += 1
                if index < tokens.count, case let .chain(names, at) = tokens[index] {
                    index += 1
                    return .nested(inner, names, at: at)
                }
                return .nested(inner, [], at: start)
            default: throw Self.failure("unexpected \(source)")
            }
        }

        // MARK: Text and actions

        /// Text and actions, with `{{-`/`-}}` trimming the text beside them.
        private func cut() throws(SwiftrunError) -> [Item] {
            var items: [Item] = []
            var index = 0
            var pending: [Unicode.Scalar] = []
            var trimLeading = false
            func flush(trimmingTrailing: Bool) {
                var piece = pending[...]
                if trimLeading { piece = piece.drop(while: Self.isSpace) }
                while trimmingTrailing, let last = piece.last, Self.isSpace(last) { piece = piece.dropLast() }
                if !piece.isEmpty { items.append(.text(String(String.UnicodeScalarView(piece)))) }
                pending = []
            }
            while index < text.count {
                guard index + 1 < text.count, text[index] == "{", text[index + 1] == "{" else {
                    pending.append(text[index])
                    index += 1
                    continue
                }
                var start = index + 2
                let trimsBefore = start + 1 < text.count && text[start] == "-" && Self.isSpace(text[start + 1])
                if trimsBefore { start += 1 }
                flush(trimmingTrailing: trimsBefore)
                let (tokens, end) = try tokenize(from: start)
                // "-}}" trims the text after the action.
                trimLeading = end >= 4 && text[end - 3] == "-" && Self.isSpace(text[end - 4])
                items.append(.action(tokens, source: String(String.UnicodeScalarView(text[index..<end]))))
                index = end
            }
            flush(trimmingTrailing: false)
            return items
        }

        /// The white space a trim marker takes away, and must stand beside.
        static func isSpace(_ scalar: Unicode.Scalar) -> Bool {
            scalar == " " || scalar == "\t" || scalar == "\n" || scalar == "\r"
        }

        /// The tokens from `start` to the action's `}}`, and the index past it.
        private func tokenize(from start: Int) throws(SwiftrunError) -> ([Token], Int) {
            var tokens: [Token] = []
            var index = start
            func isName(_ scalar: Unicode.Scalar) -> Bool {
                (scalar >= "a" && scalar <= "z") || (scalar >= "A" && scalar <= "Z") || (scalar >= "0" && scalar <= "9") || scalar == "_"
            }
            var place = start
            func names() -> [String] {
                var result: [String] = []
                while index < text.count, text[index] == ".", index + 1 < text.count, isName(text[index + 1]) {
                    if result.count < 2 { place = index }
                    index += 1
                    var name = ""
                    while index < text.count, isName(text[index]) {
                        name.unicodeScalars.append(text[index])
                        index += 1
                    }
                    result.append(name)
                }
                return result
            }
            while index < text.count {
                let scalar = text[index]
                if scalar == "}", index + 1 < text.count, text[index + 1] == "}" { return (tokens, index + 2) }
                if scalar == "-", index + 2 < text.count, text[index + 1] == "}", text[index + 2] == "}" {
                    index += 1
                    continue
                }
                switch scalar {
                case " ", "\t", "\n", "\r": index += 1
                case "(": tokens.append(.open); index += 1
                case ")":
                    tokens.append(.close)
                    index += 1
                    if index < text.count, text[index] == "." {
                        let at = index
                        tokens.append(.chain(names(), at: at))
                    }
                case "|": tokens.append(.pipe); index += 1
                case ",": tokens.append(.comma); index += 1
                case ":":
                    guard index + 1 < text.count, text[index + 1] == "=" else { throw Self.failure("unexpected \":\" in command") }
                    tokens.append(.declare)
                    index += 2
                case ".":
                    if index + 1 < text.count, isName(text[index + 1]) {
                        let chain = names()
                        tokens.append(.field(chain, at: place))
                    } else {
                        tokens.append(.field([], at: index))
                        index += 1
                    }
                case "$":
                    let dollar = index
                    index += 1
                    var name = "$"
                    while index < text.count, isName(text[index]) {
                        name.unicodeScalars.append(text[index])
                        index += 1
                    }
                    let at = index < text.count && text[index] == "." ? index : dollar
                    tokens.append(.variable(name, names(), at: at))
                case "\"", "`":
                    tokens.append(.string(try quoted(&index)))
                case "-", "0"..."9":
                    var number = ""
                    while index < text.count, text[index] == "-" || text[index] == "." || isName(text[index]) {
                        number.unicodeScalars.append(text[index])
                        index += 1
                    }
                    guard Double(number) != nil else { throw Self.failure("bad number syntax: \"\(number)\"") }
                    tokens.append(.number(number))
                default:
                    guard isName(scalar) else { throw Self.failure("unexpected \"\(scalar)\" in command") }
                    var word = ""
                    while index < text.count, isName(text[index]) {
                        word.unicodeScalars.append(text[index])
                        index += 1
                    }
                    tokens.append(.word(word))
                }
            }
            throw Self.failure("unclosed action")
        }

        /// A "..." string with Go's escapes, or a `...` raw one.
        private func quoted(_ index: inout Int) throws(SwiftrunError) -> String {
            let quote = text[index]
            index += 1
            var value = ""
            while index < text.count, text[index] != quote {
                if quote == "\"", text[index] == "\\", index + 1 < text.count {
                    index += 1
                    switch text[index] {
                    case "n": value += "\n"
                    case "t": value += "\t"
                    case "r": value += "\r"
                    default: value.unicodeScalars.append(text[index])
                    }
                } else {
                    value.unicodeScalars.append(text[index])
                }
                index += 1
            }
            guard index < text.count else { throw Self.failure("unterminated quoted string") }
            index += 1
            return value
        }
    }
}
