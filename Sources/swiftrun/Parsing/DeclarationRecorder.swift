/// How a command's property wrappers become a parser without reflection.
/// A command type's `init()` runs twice, and its wrappers run in the order
/// the command declares them (OptionGroups recurse into theirs):
///   1. to declare: each wrapper appends its ArgumentDeclaration;
///   2. to fill: each wrapper takes the texts the scanner found for the
///      declaration at the same index, and converts them.
/// ArgumentParser discovers the same wrappers with Mirror and dynamic casts,
/// twice per parse; that cost 5 ms of every `run` (a quarter of it).
final class DeclarationRecorder {
    /// The recorder the wrappers being initialised report to. Parsing runs on
    /// the main thread, before swiftrun starts any other.
    nonisolated(unsafe) static var current: DeclarationRecorder?

    private(set) var declarations: [ArgumentDeclaration] = []
    /// The scanner's texts, one list per declaration; nil while declaring.
    private let found: [[String]]?
    private var next = 0
    /// The first value that did not convert, or validate() refused.
    private(set) var failure: CommandLineError?

    private init(found: [[String]]?) { self.found = found }

    /// What `Arguments` declares, in order.
    static func declarations<Arguments: ParsableArguments>(of type: Arguments.Type) -> [ArgumentDeclaration] {
        let recorder = DeclarationRecorder(found: nil)
        recorder.during { _ = Arguments() }
        return recorder.declarations
    }

    /// `Arguments` with the scanner's texts in its properties, validated.
    static func fill<Arguments: ParsableArguments>(_ type: Arguments.Type, with found: [[String]]) throws(CommandLineError) -> Arguments {
        let recorder = DeclarationRecorder(found: found)
        var arguments: Arguments?
        recorder.during {
            let made = Arguments()
            recorder.validate(made)
            arguments = made
        }
        if let failure = recorder.failure { throw failure }
        return arguments!
    }

    /// Called by each wrapper as it is initialised: in the declaring pass
    /// records `declaration` and returns nil; in the filling pass returns
    /// the texts found for it (empty when it was not given).
    func take(_ declaration: ArgumentDeclaration) -> [String]? {
        guard let found else {
            declarations.append(declaration)
            return nil
        }
        defer { next += 1 }
        return found[next]
    }

    /// The last text given for `declaration` (an option given twice keeps
    /// the later), converted; nil when absent, while declaring, or when it
    /// does not convert.
    func single<Value: ExpressibleByArgument>(_ declaration: ArgumentDeclaration) -> Value? {
        guard let last = take(declaration)?.last else { return nil }
        return convert(last, for: declaration)
    }

    /// Every text given for `declaration`, converted; nil when none was.
    func many<Value: ExpressibleByArgument>(_ declaration: ArgumentDeclaration) -> [Value]? {
        guard let texts = take(declaration), !texts.isEmpty else { return nil }
        return texts.compactMap { convert($0, for: declaration) }
    }

    /// The value of `text` for `declaration`; nil, with the parse's failure
    /// recorded, when it does not convert.
    func convert<Value: ExpressibleByArgument>(_ text: String, for declaration: ArgumentDeclaration) -> Value? {
        guard let value = Value(argument: text) else {
            fail(.invalidValue(text, for: declaration.spelling))
            return nil
        }
        return value
    }

    /// Runs the group's checks once it is filled (not while declaring).
    func validate(_ arguments: some ParsableArguments) {
        guard found != nil else { return }
        do throws(CommandLineError) {
            try arguments.validate()
        } catch {
            fail(error)
        }
    }

    private func fail(_ error: CommandLineError) {
        if failure == nil { failure = error }
    }

    private func during(_ body: () -> Void) {
        let outer = DeclarationRecorder.current
        DeclarationRecorder.current = self
        body()
        DeclarationRecorder.current = outer
    }

    /// The recorder of the pass under way: a wrapper made outside a parse is
    /// a programming error.
    static var active: DeclarationRecorder {
        guard let current else { preconditionFailure("command-line arguments are made only by CommandLineParser") }
        return current
    }
}
