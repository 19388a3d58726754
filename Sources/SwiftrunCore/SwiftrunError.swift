import Glibc

/// Every failure swiftrun reports: one line that says which step failed and why.
/// The CLI prints `swiftrun: <description>` and exits with Docker's code.
public enum SwiftrunError: Error, CustomStringConvertible, Equatable {
    /// A system call failed: the call (with its subject) and errno.
    case system(_ call: String, errno: Int32)
    /// A step of the container child failed before execve.
    case childStep(_ step: String, errno: Int32)
    /// The container's command could not be executed (Docker's 126 and 127).
    case cannotExecute(_ command: String, errno: Int32)
    case imageNotFound(String)
    case containerNotFound(String)
    case containerRunning(String)
    case nameInUse(String)
    case networkNotFound(String)
    case volumeNotFound(String)
    /// A volume that containers (their ids) mount cannot be removed.
    case volumeInUse(String, containers: [String])
    case invalidArgument(String)
    case badArchive(_ file: String, reason: String)
    /// Talking to a registry failed: what was asked and what went wrong.
    case registry(String)
    /// A build's RUN step exited non-zero; the build exits with its code.
    case commandFailed(String, code: Int32)
    case notRoot
    /// An error another swiftrun process (a container's monitor) met and
    /// passed back: its text and the exit code it asks for.
    case relayed(_ description: String, exitCode: Int32)

    public var description: String {
        switch self {
        case let .system(call, errno):
            return "\(call): \(Self.strerror(errno))"
        case let .childStep(step, errno):
            return "\(step): \(Self.strerror(errno))"
        case let .cannotExecute(command, errno) where errno == ENOENT:
            return "exec: \"\(command)\": executable file not found in $PATH"
        case let .cannotExecute(command, errno):
            return "exec: \"\(command)\": \(Self.strerror(errno))"
        case let .imageNotFound(name):
            return "image not found: \(name) (import or load it first; `swiftrun images` lists what is here)"
        case let .containerNotFound(name):
            return "no such container: \(name)"
        case let .containerRunning(name):
            return "container \(name) is running: stop it first or use rm -f"
        case let .nameInUse(name):
            return "the container name \"\(name)\" is already in use; remove that container or pick another name"
        case let .networkNotFound(name):
            return "network \(name) not found"
        case let .volumeNotFound(name):
            return "no such volume: \(name)"
        case let .volumeInUse(name, containers):
            return "remove \(name): volume is in use - [\(containers.joined(separator: ", "))]"
        case let .invalidArgument(message):
            return message
        case let .badArchive(file, reason):
            return "\(file): \(reason)"
        case let .registry(message):
            return message
        case let .commandFailed(message, _):
            return message
        case .notRoot:
            return "swiftrun must run as root (it creates namespaces and mounts)"
        case let .relayed(description, _):
            return description
        }
    }

    /// Docker's exit code when this error ends `run`.
    public var runExitCode: Int32 {
        switch self {
        case let .cannotExecute(_, errno): return errno == ENOENT ? 127 : 126
        case let .relayed(_, code): return code
        default: return 125
        }
    }

    static func strerror(_ code: Int32) -> String {
        String(cString: Glibc.strerror(code))
    }
}
