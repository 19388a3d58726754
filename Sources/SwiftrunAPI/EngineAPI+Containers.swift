import Glibc
import SwiftrunCore

/// `/containers/...`: create, list, inspect, start, stop, restart, kill,
/// wait, pause, unpause, logs, remove, prune.
extension EngineAPI {
    func containers(_ request: APIRequest, _ parts: [String]) throws(APIError) -> APIResponse {
        switch (request.method, parts.count, parts.last ?? "") {
        case ("POST", 1, "create"): return try create(request)
        case ("GET", 1, "json"): return try list(request)
        case ("POST", 1, "prune"): return try prune()
        case ("DELETE", 1, _): return try remove(parts[0], request)
        case (_, 2, _): return try container(parts[0], parts[1], request)
        default: throw .notFound("page not found")
        }
    }

    private func container(_ key: String, _ verb: String, _ request: APIRequest) throws(APIError) -> APIResponse {
        let state = try answerState(key)
        let control = ContainerControl(layout: layout)
        switch (request.method, verb) {
        case ("GET", "json"):
            return try answer { () throws(SwiftrunError) in try .json(Inspection(layout: layout).container(state, size: request.flag("size"))) }
        case ("GET", "logs"): return try logs(state, request)
        case ("POST", "start"):
            // Docker's 304: already started.
            if state.isActive { return .notModified }
            // An attach made before the start: its socket is the monitor's first client.
            if let attached = pendingAttaches.take(state.id) {
                defer { close(attached) }
                try runChecked(["start", "--attach-fd", "3", state.id], passing: attached)
            } else {
                try runChecked(["start", state.id])
            }
        case ("POST", "stop"):
            if !state.isActive { return .notModified }
            let timeout = try request.query["t"].map { (text) throws(APIError) in try integer(text, "t") }
            try answer { () throws(SwiftrunError) in try control.stop(state.id, timeout: timeout) }
        case ("POST", "restart"):
            let timeout = try request.query["t"].map { (text) throws(APIError) in try integer(text, "t") }
            try answer { () throws(SwiftrunError) in try control.stop(state.id, timeout: timeout) }
            try runChecked(["start", state.id])
        case ("POST", "kill"):
            guard state.isActive, state.status == .running else { throw .conflict("Container \(state.id) is not running") }
            let signal = try answer { () throws(SwiftrunError) in try SignalName.parse(request.query["signal"] ?? "SIGKILL") }
            try answer { () throws(SwiftrunError) in try control.kill(state.id, signal: signal) }
        case ("POST", "pause"), ("POST", "unpause"):
            try answer { () throws(SwiftrunError) in try control.pause(state.id, verb == "pause") }
        case ("POST", "wait"): return try wait(state, condition: request.query["condition"] ?? "not-running")
        case ("POST", "exec"): return try createExec(state, request)
        case ("POST", "attach"): return try attach(state, request)
        case ("GET", "top"): return try top(state, request)
        case ("GET", "stats"): return try stats(state, request)
        case ("GET", "archive"), ("HEAD", "archive"), ("PUT", "archive"): return try archive(state, request)
        default: throw .notFound("page not found")
        }
        return .noContent
    }

    private func answerState(_ key: String) throws(APIError) -> ContainerState {
        try answer { () throws(SwiftrunError) in try ContainerStore(layout: layout).find(key) }
    }

    private func integer(_ text: String, _ name: String) throws(APIError) -> Int {
        guard let value = Int(text) else { throw .badRequest("invalid value for \(name): \(text)") }
        return value
    }

    // MARK: - create, list, remove, prune

    private struct Created: Encodable {
        var Id: String
        var Warnings: [String] = []
    }

    private func create(_ request: APIRequest) throws(APIError) -> APIResponse {
        let options = try ContainerCreateBody(request.body).options(name: request.query["name"])
        return try answer { () throws(SwiftrunError) in
            try .json(Created(Id: try ContainerRunner(layout: layout).createStopped(options)), status: 201)
        }
    }

    /// One container of `GET /containers/json`, in Docker's summary shape.
    private struct Summary: Encodable {
        struct Port: Encodable {
            var IP: String?
            var PrivatePort: UInt16
            var PublicPort: UInt16?
            var `Type`: String
        }
        var Id: String
        var Names: [String]
        var Image: String
        var ImageID: String
        var Command: String
        var Created: Int64
        var Ports: [Port]
        var Labels: [String: String]
        var State: String
        var Status: String
        var HostConfig: [String: String]
        var NetworkSettings: [String: [String: NetworkSettingsDocument.Endpoint]]
    }

    private func list(_ request: APIRequest) throws(APIError) -> APIResponse {
        // `filters`' keys and values as ps's KEY=VALUE filters.
        let lines = try Self.filters(request.query["filters"]).flatMap { key, values in values.map { "\(key)=\($0)" } }
        let filter = try answer { () throws(SwiftrunError) in try ContainerFilter(lines) }
        var listed = try answer { () throws(SwiftrunError) in try ListedContainer.list(layout, all: request.flag("all"), filter: filter) }
        if let limit = request.query["limit"].flatMap(Int.init), limit > 0 { listed = Array(listed.prefix(limit)) }
        var listedPorts = ContainerPorts(layout: layout)
        let summaries = listed.map { entry in
            let state = entry.state
            let attachments = entry.state.isActive ? ContainerNetwork(layout: layout).attachments(state.id) : []
            let ports = listedPorts.of(state, attachments: attachments)
            return Summary(
                Id: state.id, Names: ["/" + state.name], Image: state.image, ImageID: state.imageID.description,
                Command: state.command.joined(separator: " "),
                Created: Int64(JSON.seconds(from: state.created) ?? 0),
                // An exposed port that none publishes has no IP or PublicPort.
                Ports: ports.map {
                    Summary.Port(
                        IP: $0.hostPort == 0 ? nil : $0.hostIP.map(String.init(describing:)) ?? "0.0.0.0", PrivatePort: $0.containerPort,
                        PublicPort: $0.hostPort == 0 ? nil : $0.hostPort, Type: $0.proto)
                },
                Labels: state.labels ?? [:], State: entry.status, Status: DockerWords.status(state, paused: entry.paused, health: entry.health),
                HostConfig: ["NetworkMode": state.network?.mode ?? "none"],
                NetworkSettings: ["Networks": NetworkSettingsDocument(attachments, mode: state.network?.mode ?? "none").Networks])
        }
        return try answer { () throws(SwiftrunError) in try .json(summaries) }
    }

    private func remove(_ key: String, _ request: APIRequest) throws(APIError) -> APIResponse {
        try answer { () throws(SwiftrunError) in try ContainerStore(layout: layout).remove(key, force: request.flag("force"), volumes: request.flag("v")) }
        return .noContent
    }

    private struct Pruned: Encodable {
        var ContainersDeleted: [String]
        var SpaceReclaimed: Int64
    }

    private func prune() throws(APIError) -> APIResponse {
        try answer { () throws(SwiftrunError) in
            let (ids, reclaimed) = try ContainerStore(layout: layout).prune()
            return try .json(Pruned(ContainersDeleted: ids, SpaceReclaimed: reclaimed))
        }
    }

    // MARK: - wait and logs: answers that take as long as the container

    private struct WaitResult: Encodable {
        var StatusCode: Int32
        var Error: [String: String]?
    }

    /// `condition`: not-running (now, if it is not running), next-exit (the
    /// next exit from now, after a start still to come), removed (the exit,
    /// then its removal). The status and headers go at once, as Docker's
    /// do, and the body when the container is done: the docker CLI sends
    /// this before `start`.
    private func wait(_ state: ContainerState, condition: String) throws(APIError) -> APIResponse {
        guard ["not-running", "next-exit", "removed"].contains(condition) else {
            throw .badRequest("invalid condition: \"\(condition)\"")
        }
        let layout = layout
        return APIResponse(
            status: 200, contentType: "application/json",
            body: .stream { send in
                let control = ContainerControl(layout: layout)
                var result = WaitResult(StatusCode: 0)
                do throws(SwiftrunError) {
                    result.StatusCode = try condition == "not-running" ? control.wait(state.id) : control.waitForNextExit(state)
                    if condition == "removed" { try control.waitUntilRemoved(state.id) }
                } catch {
                    result.Error = ["Message": error.description]
                }
                _ = send(APIResponse.jsonLine(result))
            })
    }

    /// Docker's json-file log, framed by stream (8-byte headers) unless the
    /// container has a terminal, when it is one raw stream.
    private func logs(_ state: ContainerState, _ request: APIRequest) throws(APIError) -> APIResponse {
        let (stdout, stderr) = (request.flag("stdout"), request.flag("stderr"))
        guard stdout || stderr else { throw .badRequest("Bad parameters: you must choose at least one stream") }
        var options = ContainerLogs.Options()
        options.follow = request.flag("follow")
        options.timestamps = request.flag("timestamps")
        if let tail = request.query["tail"], tail != "all" { options.tail = try integer(tail, "tail") }
        options.since = request.query["since"].flatMap { $0 == "0" ? nil : $0 }
        options.until = request.query["until"].flatMap { $0 == "0" ? nil : $0 }
        let tty = (try? ContainerStore(layout: layout).spec(state.id))?.process.terminal ?? false
        let (layout, id, chosen) = (layout, state.id, options)
        return APIResponse(
            status: 200, contentType: tty ? "application/vnd.docker.raw-stream" : "application/vnd.docker.multiplexed-stream",
            body: .stream { send in
                _ = try? ContainerLogs(layout: layout).show(id, options: chosen) { isStderr, bytes in
                    guard isStderr ? stderr : stdout else { return true }
                    return send(tty ? bytes : StreamFrame.frame(bytes, stream: isStderr ? 2 : 1))
                }
            })
    }
}

/// Docker's stream framing for logs and attach without a terminal: a
/// header of the stream (1 stdout, 2 stderr), three zeros and the
/// length as a big-endian UInt32, then the bytes.
enum StreamFrame {
    static func frame(_ bytes: [UInt8], stream: UInt8) -> [UInt8] {
        let count = UInt32(bytes.count)
        return [stream, 0, 0, 0, UInt8(count >> 24), UInt8((count >> 16) & 0xff), UInt8((count >> 8) & 0xff), UInt8(count & 0xff)] + bytes
    }
}
