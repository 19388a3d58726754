import Glibc
import Synchronization

/// What `pull` prints, in Docker's words. On a terminal each layer has a
/// line redrawn in place with a bar; otherwise each layer's status changes
/// are printed once, as plain lines a log can keep.
public final class PullProgress: Sendable {
    public enum Style: Sendable { case terminal, lines, quiet }

    private let style: Style
    private let fd: Int32
    private let state = Mutex(State())

    private struct State {
        var order: [String] = []
        var layers: [String: Layer] = [:]
        var drawnLines = 0
        var lastDraw: Double = 0
    }

    struct Layer {
        var status: String
        var done: Int64 = 0
        var total: Int64 = 0
    }

    public init(style: Style, fd: Int32) {
        self.style = style
        self.fd = fd
    }

    /// The style for `fd`: bars on a terminal, lines otherwise.
    public static func style(for fd: Int32, quiet: Bool) -> Style {
        quiet ? .quiet : (isatty(fd) == 1 ? .terminal : .lines)
    }

    /// A line of its own. On a terminal it closes the block of layer lines
    /// drawn so far: they stay as they are, and later layers start below.
    public func line(_ text: String) {
        guard style != .quiet else { return }
        state.withLock { state in
            if style == .terminal && !state.order.isEmpty {
                redraw(&state, force: true)
                state = State()
            }
            write(text + "\n")
        }
    }

    func layer(_ id: String, _ status: String, total: Int64 = 0) {
        guard style != .quiet else { return }
        state.withLock { state in
            if state.layers[id] == nil { state.order.append(id) }
            state.layers[id] = Layer(status: status, total: total)
            if style == .lines { write("\(id): \(status)\n") } else { redraw(&state, force: true) }
        }
    }

    func advance(_ id: String, to done: Int64) {
        guard style == .terminal else { return }
        state.withLock { state in
            state.layers[id]?.done = done
            redraw(&state, force: false)
        }
    }

    /// Moves the cursor up over the layer lines and writes them again, at
    /// most ten times a second unless a status changed.
    private func redraw(_ state: inout State, force: Bool) {
        let seconds = Double(MonotonicClock.nanoseconds()) / 1e9
        guard force || seconds - state.lastDraw >= 0.1 else { return }
        state.lastDraw = seconds
        var text = state.drawnLines > 0 ? "\u{1B}[\(state.drawnLines)A" : ""
        for id in state.order {
            guard let layer = state.layers[id] else { continue }
            text += "\u{1B}[2K\(id): \(layer.status)"
            if layer.status == "Downloading", layer.total > 0 { text += " " + Self.bar(layer.done, layer.total) }
            text += "\n"
        }
        state.drawnLines = state.order.count
        write(text)
    }

    /// Docker's bar: [=====>        ] 12.3MB/45.6MB
    static func bar(_ done: Int64, _ total: Int64) -> String {
        let width = 50
        let filled = Int(min(done, total) * Int64(width) / max(total, 1))
        let arrow = filled < width ? ">" + String(repeating: " ", count: width - filled - 1) : ""
        return "[" + String(repeating: "=", count: filled) + arrow + "] " + size(done) + "/" + size(total)
    }

    static func size(_ bytes: Int64) -> String {
        let units = ["B", "kB", "MB", "GB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1000, unit < units.count - 1 { value /= 1000; unit += 1 }
        return unit == 0 ? "\(bytes)B" : String(Int(value * 10) / 10) + "." + String(Int(value * 10) % 10) + units[unit]
    }

    private func write(_ text: String) {
        _ = try? FileSystem.writeAll(fd, Array(text.utf8), path: "progress")
    }
}
