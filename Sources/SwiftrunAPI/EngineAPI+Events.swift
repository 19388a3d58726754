import Glibc
import SwiftrunCore

/// `GET /events`: container create, start, die and destroy, as they
/// happen, one JSON object a line. No daemon sees them pass, so they are
/// read off the store: inotify on containers/ for dirs made and removed
/// (renamed into the trash, Trash.swift),
/// and on each container's dir for its state.json being replaced, whose
/// new status says start or die. `until` (Unix seconds) ends the stream;
/// what happened before the request is not kept, so `since` gives nothing
/// older than the request itself.
extension EngineAPI {
    struct Event: Encodable {
        struct Actor: Encodable {
            var ID: String
            var Attributes: [String: String]
        }
        var status: String
        var id: String
        var from: String
        var `Type` = "container"
        var Action: String
        var Actor: Actor
        var scope = "local"
        var time: Int64
        var timeNano: Int64
    }

    func events(_ request: APIRequest) throws(APIError) -> APIResponse {
        let filters = try Self.filters(request.query["filters"])
        let until = try request.query["until"].flatMap { (text) throws(APIError) -> Double? in
            guard !text.isEmpty else { return nil }
            guard let seconds = Double(text) else { throw .badRequest("invalid until: \(text) (Unix seconds)") }
            return seconds
        }
        // Watching before the response's head goes: a client that acts once
        // it has the head (docker-py's events() returns then) sees it all.
        let watch: EventWatch
        do { watch = try EventWatch(layout: layout) } catch { throw APIError(error) }
        return APIResponse(
            status: 200, contentType: "application/json",
            body: .stream { send in
                watch.run(until: until) { event in
                    let wanted =
                        (filters["type"].map { $0.contains("container") } ?? true)
                        && (filters["event"].map { $0.contains(event.Action) } ?? true)
                        && (filters["container"].map { $0.contains(event.id) || $0.contains(event.Actor.Attributes["name"] ?? "") } ?? true)
                    return !wanted || send(APIResponse.jsonLine(event))
                } idle: {
                    send([])
                }
            })
    }
}

/// The inotify watches behind /events, and what each container last was,
/// so that a replaced state.json turns into the right event. Made by the
/// request's thread, then used only by its stream's.
private final class EventWatch: @unchecked Sendable {
    private let layout: StoreLayout
    private let inotify: Int32
    private let containersWatch: Int32
    /// Watch descriptor -> container id, and id -> (status, started, image, name).
    private var watched: [Int32: String] = [:]
    private var known: [String: ContainerState] = [:]

    init(layout: StoreLayout) throws(SwiftrunError) {
        self.layout = layout
        inotify = try Syscall.check("inotify_init1") { inotify_init1(Int32(IN_CLOEXEC)) }
        try? layout.prepare()
        containersWatch = inotify_add_watch(inotify, layout.containers, UInt32(IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_ONLYDIR))
        guard containersWatch >= 0 else {
            let error = SwiftrunError.system("watch \(layout.containers) for events", errno: errno)
            close(inotify)
            throw error
        }
        for id in (try? FileSystem.listDirectory(layout.containers)) ?? [] where ContainerID.isValid(id) {
            _ = watch(id, announce: false)
        }
    }

    deinit { close(inotify) }

    /// Watches a container's dir for its state.json. A container that was
    /// there before the request is only remembered; a new one (`announce`)
    /// may have written its state, even its running one, before the watch
    /// was added, and that state's events are due now: nothing else will
    /// report them.
    private func watch(_ id: String, announce: Bool) -> [EngineAPI.Event] {
        let descriptor = inotify_add_watch(inotify, layout.container(id), UInt32(IN_MOVED_TO | IN_ONLYDIR))
        if descriptor >= 0 { watched[descriptor] = id }
        guard let state = try? ContainerStore(layout: layout).state(id) else { return [] }
        guard announce else {
            known[id] = state
            return []
        }
        return changed(id, to: state)
    }

    /// Until `emit` returns false, or `idle` (asked each second without an
    /// event) says the client has gone: a stream nobody reads must not
    /// hold its thread, nor keep `--time` from ending the service. Or
    /// until the time `until` (Unix seconds), when given.
    func run(until: Double?, _ emit: (EngineAPI.Event) -> Bool, idle: () -> Bool) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            var timeout: Int32 = 1000
            if let until {
                var now = timespec()
                clock_gettime(CLOCK_REALTIME, &now)
                let left = until - (Double(now.tv_sec) + Double(now.tv_nsec) / 1e9)
                guard left > 0 else { return }
                timeout = Int32(min(1000, left * 1000 + 1))
            }
            var poller = pollfd(fd: inotify, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, timeout)
            if ready < 0 && errno == EINTR { continue }
            if ready == 0 {
                guard idle() else { return }
                continue
            }
            let count = read(inotify, &buffer, buffer.count)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return }
            var offset = 0
            while offset + MemoryLayout<inotify_event>.size <= count {
                let (descriptor, mask, length, name) = buffer.withUnsafeBytes { raw in
                    let event = raw.loadUnaligned(fromByteOffset: offset, as: inotify_event.self)
                    let start = offset + MemoryLayout<inotify_event>.size
                    let bytes = raw[start..<(start + Int(event.len))].prefix { $0 != 0 }
                    return (event.wd, event.mask, Int(event.len), String(decoding: bytes, as: UTF8.self))
                }
                offset += MemoryLayout<inotify_event>.size + length
                for event in events(descriptor: descriptor, mask: mask, name: name) {
                    guard emit(event) else { return }
                }
            }
        }
    }

    private func events(descriptor: Int32, mask: UInt32, name: String) -> [EngineAPI.Event] {
        if descriptor == containersWatch {
            guard ContainerID.isValid(name) else { return [] }
            if mask & UInt32(IN_CREATE) != 0 { return watch(name, announce: true) }
            guard mask & UInt32(IN_DELETE | IN_MOVED_FROM) != 0, let last = known.removeValue(forKey: name) else { return [] }
            // A --rm container goes without an exited state: its die comes with its destroy.
            return (last.status == .running ? [event("die", last)] : []) + [event("destroy", last)]
        }
        guard name == "state.json", let id = watched[descriptor], let state = try? ContainerStore(layout: layout).state(id) else { return [] }
        return changed(id, to: state)
    }

    /// The events between what a container last was and `state`: "create"
    /// when it is new to this stream, "start" for a new start time, "die" for
    /// a new finish time. Times, not the status: a short container may have
    /// started and exited before its dir or its state.json is read.
    private func changed(_ id: String, to state: ContainerState) -> [EngineAPI.Event] {
        let previous = known[id]
        known[id] = state
        var events: [EngineAPI.Event] = []
        if previous == nil { events.append(event("create", state)) }
        if state.started != nil && state.started != previous?.started {
            events.append(event("start", state))
        }
        if state.status == .exited || state.status == .restarting, state.finished != nil, state.finished != previous?.finished {
            events.append(event("die", state, ["exitCode": String(state.exitCode ?? 0)]))
        }
        return events
    }

    private func event(_ action: String, _ state: ContainerState, _ attributes: [String: String] = [:]) -> EngineAPI.Event {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let nanoseconds = Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
        return EngineAPI.Event(
            status: action, id: state.id, from: state.image, Action: action,
            Actor: .init(ID: state.id, Attributes: attributes.merging(["image": state.image, "name": state.name]) { first, _ in first }),
            time: Int64(now.tv_sec), timeNano: nanoseconds)
    }
}
