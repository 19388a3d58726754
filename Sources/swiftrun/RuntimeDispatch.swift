import SwiftrunCore

/// swiftrun answers two command lines: Docker's, for people, and runc's, for
/// the engines that drive a runtime binary (podman via conmon, containerd's
/// shim, dockerd). An engine's call is recognised, before any parsing, by:
///   - `swiftrun oci VERB ...`, always;
///   - runc's global flags before the verb (`--log`, `--log-format`,
///     `--debug`, `--systemd-cgroup`), which containerd and dockerd send;
///   - a verb only runc has (`state`, `delete`, `spec`, `features`, ...);
///   - `create` or `run` with `--bundle`/`-b`, which conmon sends;
///   - `start`, `kill`, `exec`, `ps` or `pause` naming a container in the
///     runtime's state root (an engine's id, never a Docker name here), or
///     `exec --process`.
/// In runc's command line, `--root` is the state root, not the store.
enum RuntimeDispatch {
    private static let runcOnly: Set<String> = [
        "state", "delete", "spec", "features", "list", "resume", "update", "events", "checkpoint", "restore"
    ]
    private static let shared: Set<String> = ["start", "kill", "exec", "ps", "pause"]
    private static let runcGlobals: Set<String> = ["--log", "--log-format", "--debug", "--systemd-cgroup", "--criu", "--rootless"]

    /// runc's arguments when `arguments` (without argv[0]) is an engine's call.
    static func runtimeArguments(_ arguments: [String], environment: (String) -> String?) -> [String]? {
        if arguments.first == "oci" { return Array(arguments.dropFirst()) }
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
        let rest = arguments[(index + 1)...]
        if sawRuncGlobal || runcOnly.contains(verb) { return arguments }
        if verb == "create" || verb == "run" {
            return rest.contains { $0 == "-b" || $0 == "--bundle" || $0.hasPrefix("--bundle=") } ? arguments : nil
        }
        guard shared.contains(verb) else { return nil }
        if verb == "exec" && rest.contains(where: { $0 == "--process" || $0.hasPrefix("--process=") }) { return arguments }
        let states = RuntimeStateRoot(path: root ?? environment("SWIFTRUN_RUNTIME_ROOT") ?? RuntimeStateRoot.defaultPath)
        return rest.contains { !$0.hasPrefix("-") && states.holds($0) } ? arguments : nil
    }

    private static func split(_ flag: String) -> (String, String?) {
        guard let equals = flag.firstIndex(of: "=") else { return (flag, nil) }
        return (String(flag[..<equals]), String(flag[flag.index(after: equals)...]))
    }
}
