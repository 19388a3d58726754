import CShims
import Glibc

/// `attach`: the caller's terminal joined to a detached container, through
/// its monitor's attach socket (CShims/attach.c): what the container writes
/// from now on, and, with -i, what the caller types. The detach keys
/// (Ctrl-P Ctrl-Q unless --detach-keys says otherwise) leave it running;
/// otherwise attach ends when the container does, with its exit code.
public struct ContainerAttach {
    let layout: StoreLayout

    public init(layout: StoreLayout) { self.layout = layout }

    public static let defaultDetachKeys = "ctrl-p,ctrl-q"

    public func attach(_ key: String, detachKeys: String?, sendInput: Bool) throws(SwiftrunError) -> Int32 {
        let keys = try Self.parseKeys(detachKeys ?? Self.defaultDetachKeys)
        let containers = ContainerStore(layout: layout)
        let state = try containers.find(key)
        guard state.isActive, state.status == .running else {
            throw .invalidArgument("You cannot attach to a stopped container, start it first")
        }
        if ContainerControl(layout: layout).isPaused(state) {
            throw .invalidArgument("You cannot attach to a paused container, unpause it first")
        }
        let socket = try connect(to: state.id)
        defer { close(socket) }
        return try relay(socket, state: state, keys: keys, sendInput: sendInput)
    }

    /// `start -a [-i]`: starts the container with a client already on its
    /// monitor, so its first bytes are not missed, then relays.
    public func start(_ key: String, detachKeys: String?, sendInput: Bool) throws(SwiftrunError) -> Int32 {
        let keys = try Self.parseKeys(detachKeys ?? Self.defaultDetachKeys)
        var fds: [Int32] = [-1, -1]
        try Syscall.check("socketpair for attach") { socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) }
        defer { close(fds[0]) }
        let state: ContainerState
        do {
            defer { close(fds[1]) }
            state = try ContainerRunner(layout: layout).start(key, attached: fds[1])
        }
        return try relay(fds[0], state: state, keys: keys, sendInput: sendInput)
    }

    private func relay(_ socket: Int32, state: ContainerState, keys: [UInt8], sendInput: Bool) throws(SwiftrunError) -> Int32 {
        let tty = (try? ContainerStore(layout: layout).spec(state.id))?.process.terminal ?? false
        let interactive = sendInput && state.openStdin == true

        let saved = tty && interactive ? makeRaw(0) : nil
        defer { restore(0, saved) }
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGWINCH)
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        let outcome = try Syscall.check("attach to \(state.name)") {
            keys.withUnsafeBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) {
                    sr_attach_relay(socket, interactive ? 0 : -1, 1, 2, $0.baseAddress, Int32($0.count), &signals)
                }
            }
        }
        guard outcome == 0 else { return 0 }  // detached: the container runs on
        return try ContainerControl(layout: layout).wait(state.id)
    }

    /// The monitor's socket in the container's dir.
    private func connect(to id: String) throws(SwiftrunError) -> Int32 {
        try UnixSocket.connect(directory: layout.container(id), name: "attach.sock", describe: "the monitor of container \(id)")
    }

    /// Docker's --detach-keys: "ctrl-p,ctrl-q", "ctrl-a", "x", comma-separated.
    static func parseKeys(_ text: String) throws(SwiftrunError) -> [UInt8] {
        var keys: [UInt8] = []
        for part in text.split(separator: ",") {
            let lower = part.lowercased()
            if lower.hasPrefix("ctrl-"), lower.count == 6, let character = lower.last?.asciiValue {
                switch character {
                case UInt8(ascii: "a")...UInt8(ascii: "z"): keys.append(character - UInt8(ascii: "a") + 1)
                case UInt8(ascii: "@"): keys.append(0)
                case UInt8(ascii: "["), UInt8(ascii: "\\"), UInt8(ascii: "]"), UInt8(ascii: "^"), UInt8(ascii: "_"):
                    keys.append(character - 64)
                default: throw .invalidArgument("invalid detach keys (\(text)): unknown character '\(character)'")
                }
            } else if part.count == 1, let character = part.first?.asciiValue {
                keys.append(character)
            } else {
                throw .invalidArgument("invalid detach keys (\(text)): use ctrl-<value> or a single character, comma-separated")
            }
        }
        return keys
    }
}
