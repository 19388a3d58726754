/// `@OptionGroup var container: ContainerFlags`: another type's options and
/// arguments, declared in place, as if written here.
@propertyWrapper
struct OptionGroup<Value: ParsableArguments> {
    var wrappedValue: Value

    init() {
        wrappedValue = Value()
        DeclarationRecorder.active.validate(wrappedValue)
    }
}
