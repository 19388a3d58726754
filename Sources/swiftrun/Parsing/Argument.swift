/// `@Argument("image", help: "...") var image: String`: a positional
/// argument, taken in declaration order once the options are out. Without
/// a default it must be given; an array takes every remaining argument.
@propertyWrapper
struct Argument<Value> {
    private var value: Value?

    var wrappedValue: Value {
        get { value! }  // nil only while declaring, when nothing reads it
        set { value = newValue }
    }
}

extension Argument where Value: ExpressibleByArgument {
    init(wrappedValue: Value, _ name: String, help: ArgumentHelp) {
        value = DeclarationRecorder.active.single(ArgumentDeclaration(kind: .positional, names: [name], help: help)) ?? wrappedValue
    }

    init(_ name: String, help: ArgumentHelp) {
        value = DeclarationRecorder.active.single(ArgumentDeclaration(kind: .positional, names: [name], help: help, isRequired: true))
    }
}

extension Argument {
    init<Element: ExpressibleByArgument>(_ name: String, help: ArgumentHelp) where Value == Element? {
        value = .some(DeclarationRecorder.active.single(ArgumentDeclaration(kind: .positional, names: [name], help: help)) as Element?)
    }

    /// One or more.
    init<Element: ExpressibleByArgument>(_ name: String, help: ArgumentHelp) where Value == [Element] {
        value = DeclarationRecorder.active.many(ArgumentDeclaration(kind: .positional, names: [name], help: help, repeats: true, isRequired: true))
    }

    /// Zero or more; `passesThrough`: the container's command, whose own
    /// flags are never read as ours.
    init<Element: ExpressibleByArgument>(wrappedValue: [Element], _ name: String, passesThrough: Bool = false, help: ArgumentHelp)
    where Value == [Element] {
        let declaration = ArgumentDeclaration(kind: .positional, names: [name], help: help, repeats: true, passesThrough: passesThrough)
        value = DeclarationRecorder.active.many(declaration) ?? wrappedValue
    }
}
