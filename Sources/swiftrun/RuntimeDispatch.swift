import SwiftrunCore

/// swiftrun answers two command lines: Docker's, for people, and runc's, for
/// the engines that drive a runtime binary (podman via conmon, containerd's
/// shim, dockerd). An engine's call is recognised, before any parsing, by:
///   - `swiftrun oci VERB ...`, always;
///   - runc's global flags before the verb (`--log`, `--log-format`,
///     `--debug`, `--systemd-cgroup`), which containerd and dockerd send;
///   - a verb only runc has (`state`, `delete`, `spec`, `features`, ...);
///   - `create` or `run` with `--bundle`/`-b`, which conmon sends;
///   - `start`, `kill`, `exec`, `ps` or `pause` whose first argument after
///     the flags names a container in the runtime's state root (an engine's
///     id, never a Docker name here), or `exec --process`.
/// Only the flags before the verb's first positional argument count: a
/// container's command (`swiftrun run busybox ls -b`) is never read.
/// In runc's command line, `--root` is the state root, not the store.
enum RuntimeDispatch {
    // Arrays, not sets: every command passes here first, and a Set<String>
    // costs its generic metadata on first use; ten names are a short scan.
    private static let runcOnly = [
        "state", "delete", "spec", "features", "list", "resume", "update", "events", "checkpoint", "restore"
    ]
    private static let shared = ["start", "kill", "exec", "ps", "pause"]
    private static let runcGlobals = ["--log", "--log-format", "--debug", "--systemd-cgroup", "--criu", "--rootless"]

    /// runc's arguments when `arguments` (without argv[0]) is an engine's call.
    static func runtimeArguments(_ arguments: [String], environment: (String) -> String?) -> [String]? {
        var index = 0
        var root: String?
        var sawRuncGlobal = false
        while index < arguments.count, arguments[index].hasPrefix("-") {
            let (name, inlineValue) = split(arguments[index])
            if name == "--root" { root = inlineValue ?? (index + 1 < arguments.count ? arguments[index + 1] : nil) }
            if runcGlobals.contains(name) { sawRuncGlobal = true }
            let takesValue = ["--root", "--log", "--log-format", "--criu", "--rootless"].contains(name) && inlineValue == nil
            index += takesValue ? 2 : 1
        }
        guard index < arguments.count else { return sawRuncGlobal ? arguments : nil }
        let verb = arguments[index]
        if verb == "oci" { return Array(arguments[..<index] + arguments[(index + 1)...]) }
        let (flags, id) = leadingFlags(arguments[(index + 1)...])
        if sawRuncGlobal || runcOnly.contains(verb) { return arguments }
        if verb == "create" || verb == "run" {
            return flags.contains { $0 == "-b" || $0 == "--bundle" || $0.hasPrefix("--bundle=") } ? arguments : nil
        }
        guard shared.contains(verb) else { return nil }
        if verb == "exec" && flags.contains(where: { $0 == "--process" || $0 == "-p" || $0.hasPrefix("--process=") }) { return arguments }
        let states = RuntimeStateRoot(path: root ?? environment("SWIFTRUN_RUNTIME_ROOT") ?? RuntimeStateRoot.defaultPath)
        return id.map(states.holds) == true ? arguments : nil
    }

    /// runc's flags that take a value as the next argument.
    /// An array, not a Set: `run`'s flags are looked up here on every
    /// call, and a Set<String>'s first use costs its generic metadata and
    /// a hash of each member (0.1 ms of every `run` in issue 15's profile).
    private static let valueFlags = [
        "-b", "--bundle", "--pid-file", "--console-socket", "--preserve-fds", "-p", "--process", "--cwd", "-e", "--env", "-u", "--user",
        "--cap", "-f", "--format", "--apparmor", "--process-label"
    ]

    /// The flags before the verb's first positional argument, and that
    /// argument (runc's container id). Only these are looked at: what comes
    /// after is a container's command, whose own flags must not count.
    private static func leadingFlags(_ rest: ArraySlice<String>) -> (flags: [String], id: String?) {
        var flags: [String] = []
        var index = rest.startIndex
        while index < rest.endIndex, rest[index].hasPrefix("-") {
            flags.append(rest[index])
            index += valueFlags.contains(rest[index]) ? 2 : 1
        }
        return (flags, index < rest.endIndex ? rest[index] : nil)
    }

    private static func split(_ flag: String) -> (String, String?) {
        guard let equals = flag.firstIndex(of: "=") else { return (flag, nil) }
        return (String(flag[..<equals]), String(flag[flag.index(after: equals)...]))
    }
}
