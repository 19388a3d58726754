/// One flag, option or positional argument of a command, as the scanner
/// matches it and as --help shows it. Each property wrapper (Flag, Option,
/// Argument) makes one, in the order the command declares them.
struct ArgumentDeclaration {
    enum Kind {
        /// `--rm`: present or not (Docker's `--rm=false` also reads).
        case flag
        /// `--name VALUE`, `--name=VALUE`, `-nVALUE`.
        case option
        /// Matched by position, after the options are taken out.
        case positional
    }

    var kind: Kind
    /// Options: every spelling, dashes included ("-e", "--env", or "-rm"
    /// for a single-dash long name). Positionals: the name in help ("image").
    var names: [String]
    var help: ArgumentHelp
    /// An option given more than once keeps every value; a positional takes
    /// every remaining argument.
    var repeats = false
    /// Missing from the command line is an error (no default).
    var isRequired = false
    /// A positional from which on nothing is an option: the container's
    /// command in `run IMAGE COMMAND...`. The scanner stops reading options
    /// at the first positional of such a command, as Docker's CLI does.
    var passesThrough = false
    /// An option that may be given bare: `--explain` means `--explain=text`.
    /// Its value then comes only after "=", never from the next argument.
    var bareValue: String?

    /// `<env>`: what help and errors call the value.
    var valueName: String {
        let longest = names.max { $0.count < $1.count } ?? ""
        return "<" + longest.drop { $0 == "-" } + ">"
    }

    /// How errors name it: `--env <env>` for an option, `<image>` for a positional.
    var spelling: String {
        switch kind {
        case .flag: names.last ?? ""
        case .option: (names.last ?? "") + " " + valueName
        case .positional: valueName
        }
    }
}

/// An option's or argument's line in --help; `.hidden` leaves it out.
struct ArgumentHelp: ExpressibleByStringLiteral {
    var text: String
    var isHidden = false

    init(stringLiteral text: String) { self.text = text }

    /// Accepted on the command line, not shown in --help: flags for our own
    /// callers (the monitor, the API) and forgiven misspellings.
    static var hidden: ArgumentHelp {
        var help = ArgumentHelp(stringLiteral: "")
        help.isHidden = true
        return help
    }
}
