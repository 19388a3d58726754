import Glibc

extension Platform {
    /// This machine, in the names images use (uname's x86_64 is amd64).
    public static var host: Platform {
        var name = utsname()
        uname(&name)
        let machine = withUnsafeBytes(of: &name.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let architecture =
            [
                "x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "i686": "386", "ppc64le": "ppc64le",
                "s390x": "s390x", "riscv64": "riscv64"
            ][machine] ?? machine
        return Platform(architecture: architecture, os: "linux", variant: architecture == "arm64" ? "v8" : nil)
    }

    /// --platform os/arch[/variant].
    public init(parsing text: String) throws(SwiftrunError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard (2...3).contains(parts.count), parts.allSatisfy({ !$0.isEmpty }) else {
            throw .invalidArgument("invalid --platform \"\(text)\": expected OS/ARCH[/VARIANT], such as linux/amd64")
        }
        self.init(architecture: parts[1], os: parts[0], variant: parts.count == 3 ? parts[2] : nil)
    }

    public var description: String { [os, architecture, variant].compactMap { $0 }.joined(separator: "/") }

    /// An index entry for this platform: same os and architecture, and the
    /// variant when both name one (arm64 without a variant is v8).
    func matches(_ candidate: Platform) -> Bool {
        guard candidate.os == os, candidate.architecture == architecture else { return false }
        guard let variant, let other = candidate.variant else { return true }
        return variant == other
    }
}
