/// `@Option("-e", "--env", help: "...") var environment: [String] = []`:
/// an option that takes a value. A single value keeps the last one given,
/// an array every one; without a default, it must be given.
@propertyWrapper
struct Option<Value> {
    private var value: Value?

    var wrappedValue: Value {
        get { value! }  // nil only while declaring, when nothing reads it
        set { value = newValue }
    }
}

extension Option where Value: ExpressibleByArgument {
    init(wrappedValue: Value, _ names: String..., help: ArgumentHelp) {
        value = Option.single(ArgumentDeclaration(kind: .option, names: names, help: help)) ?? wrappedValue
    }

    init(_ names: String..., help: ArgumentHelp) {
        value = Option.single(ArgumentDeclaration(kind: .option, names: names, help: help, isRequired: true))
    }
}

extension Option {
    /// `bareValue`: what the option means given alone (`--explain`).
    init<Element: ExpressibleByArgument>(_ names: String..., bareValue: String? = nil, help: ArgumentHelp) where Value == Element? {
        value = .some(Option<Element>.single(ArgumentDeclaration(kind: .option, names: names, help: help, bareValue: bareValue)))
    }

    init<Element: ExpressibleByArgument>(wrappedValue: [Element], _ names: String..., help: ArgumentHelp) where Value == [Element] {
        let declaration = ArgumentDeclaration(kind: .option, names: names, help: help, repeats: true)
        let recorder = DeclarationRecorder.active
        guard let texts = recorder.take(declaration), !texts.isEmpty else {
            value = wrappedValue
            return
        }
        value = texts.compactMap { recorder.convert($0, for: declaration) }
    }

    /// The last value given, converted; nil when absent or while declaring.
    fileprivate static func single<Element: ExpressibleByArgument>(_ declaration: ArgumentDeclaration) -> Element? {
        let recorder = DeclarationRecorder.active
        guard let last = recorder.take(declaration)?.last else { return nil }
        return recorder.convert(last, for: declaration)
    }
}
