/// A seccomp profile in Docker's JSON format (the format of moby's
/// profiles/seccomp/default.json and of `--security-opt seccomp=FILE`),
/// which reads the OCI runtime spec's linux.seccomp too.
public struct SeccompProfile: Decodable, Sendable {
    var defaultAction: String
    var defaultErrnoRet: UInt16?
    var archMap: [ArchMap]?
    /// The older form: a flat list of architectures.
    var architectures: [String]?
    var syscalls: [Rule]?

    struct ArchMap: Decodable, Sendable {
        var architecture: String
        var subArchitectures: [String]?
    }

    struct Rule: Decodable, Sendable {
        var names: [String]?
        /// The older form: one name per rule.
        var name: String?
        var action: String
        var errnoRet: UInt16?
        var args: [Argument]?
        var includes: Condition?
        var excludes: Condition?
    }

    struct Argument: Decodable, Sendable {
        var index: UInt32
        var value: UInt64
        var valueTwo: UInt64?
        var op: String
    }

    /// When a rule applies: all of `caps` held, the arch among `arches`,
    /// and a kernel at least `minKernel` ("4.8").
    struct Condition: Decodable, Sendable {
        var caps: [String]?
        var arches: [String]?
        var minKernel: String?
    }
}
