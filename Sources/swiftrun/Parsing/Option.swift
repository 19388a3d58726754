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
        value = DeclarationRecorder.active.single(ArgumentDeclaration(kind: .option, names: names, help: help)) ?? wrappedValue
    }

    init(_ names: String..., help: ArgumentHelp) {
        value = DeclarationRecorder.active.single(ArgumentDeclaration(kind: .option, names: names, help: help, isRequired: true))
    }
}

extension Option {
    /// `bareValue`: what the option means given alone (`--explain`).
    init<Element: ExpressibleByArgument>(_ names: String..., bareValue: String? = nil, help: ArgumentHelp) where Value == Element? {
        let declaration = ArgumentDeclaration(kind: .option, names: names, help: help, bareValue: bareValue)
        value = .some(DeclarationRecorder.active.single(declaration) as Element?)
    }

    init<Element: ExpressibleByArgument>(wrappedValue: [Element], _ names: String..., help: ArgumentHelp) where Value == [Element] {
        value = DeclarationRecorder.active.many(ArgumentDeclaration(kind: .option, names: names, help: help, repeats: true)) ?? wrappedValue
    }
}
