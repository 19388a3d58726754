/// `@Flag("-d", "--detach", help: "...") var detach = false`: true when
/// given. `--detach=false` also reads, as Docker's CLI takes it.
@propertyWrapper
struct Flag {
    var wrappedValue: Bool

    init(wrappedValue: Bool, _ names: String..., help: ArgumentHelp) {
        let declaration = ArgumentDeclaration(kind: .flag, names: names, help: help)
        let recorder = DeclarationRecorder.active
        guard let last = recorder.take(declaration)?.last else {
            self.wrappedValue = wrappedValue
            return
        }
        self.wrappedValue = last.isEmpty ? true : recorder.convert(last, for: declaration) ?? wrappedValue
    }
}
