/// Why a command line does not parse. main.swift prints it as one line
/// with where to look next, and exits with Docker's code (`exitCode`).
enum CommandLineError: Error, CustomStringConvertible {
    case unknownOption(String)
    case missingValue(for: String)
    case invalidValue(String, for: String)
    /// An option the command cannot do without (`explain render --output`).
    case missingOption(String)
    case missingArgument(String)
    case unexpectedArgument(String)
    /// A word where a group (`image`, `network`) expects one of its commands.
    case unknownCommand(String)
    /// A command's own check (`validate()`) refused the combination.
    case invalid(String)

    var description: String {
        switch self {
        case let .unknownOption(name): "Unknown option '\(name)'"
        case let .missingValue(option): "Missing value for '\(option)'"
        case let .invalidValue(value, option): "The value '\(value)' is invalid for '\(option)'"
        case let .missingOption(name), let .missingArgument(name): "Missing expected argument '\(name)'"
        case let .unexpectedArgument(argument): "Unexpected argument '\(argument)'"
        case let .unknownCommand(name): "Unknown command '\(name)'"
        case let .invalid(message): message
        }
    }

    /// Docker's: 125 for a flag it cannot take, 1 for the wrong number of
    /// arguments or an unknown command (`"docker rm" requires at least 1 argument.`).
    var exitCode: Int32 {
        switch self {
        case .missingArgument, .unexpectedArgument, .unknownCommand: 1
        case .unknownOption, .missingValue, .invalidValue, .missingOption, .invalid: 125
        }
    }
}
