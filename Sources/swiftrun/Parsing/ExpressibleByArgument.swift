/// A type an option's or argument's text converts to; nil means the text is
/// not a valid value, and the parse fails naming the option.
protocol ExpressibleByArgument {
    init?(argument: String)
}

extension String: ExpressibleByArgument {
    init?(argument: String) { self = argument }
}

extension Int: ExpressibleByArgument {
    init?(argument: String) { self.init(argument, radix: 10) }
}

extension Int32: ExpressibleByArgument {
    init?(argument: String) { self.init(argument, radix: 10) }
}

extension Int64: ExpressibleByArgument {
    init?(argument: String) { self.init(argument, radix: 10) }
}

extension UInt64: ExpressibleByArgument {
    init?(argument: String) { self.init(argument, radix: 10) }
}

/// `--tls-verify=false`, as Docker's CLI reads a boolean.
extension Bool: ExpressibleByArgument {
    init?(argument: String) {
        switch argument {
        case "true", "1": self = true
        case "false", "0": self = false
        default: return nil
        }
    }
}

extension ExpressibleByArgument where Self: RawRepresentable, RawValue == String {
    init?(argument: String) { self.init(rawValue: argument) }
}
