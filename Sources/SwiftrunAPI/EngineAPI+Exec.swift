import Glibc
import SwiftrunCore

/// Exec instances: `POST /containers/{id}/exec` records what to run,
/// `POST /exec/{id}/start` runs it through `swiftrun exec` (a clone3 into
/// the container's namespaces, which this threaded process leaves to a
/// process of its own) and streams its output, `GET /exec/{id}/json` tells
/// whether it runs and how it ended.
///
/// An exec's record lives in its container's dir (`exec-ID.json`), so it
/// goes with the container, and a restarted service still knows it.
struct ExecRecord: Codable {
    var ID: String
    var ContainerID: String
    var Cmd: [String]
    var Env: [String]
    var WorkingDir: String
    var User: String
    var Privileged: Bool
    var Tty: Bool
    /// AttachStdin: the client's input on the hijacked connection is its stdin.
    var OpenStdin = false
    /// An exec starts once; a detached one is not Running to our knowledge
    /// (nobody waits for it), yet started.
    var Started = false
    var Running = false
    /// nil until it has ended (Docker shows 0 meanwhile).
    var ExitCode: Int32?
}

extension EngineAPI {
    func createExec(_ state: ContainerState, _ request: APIRequest) throws(APIError) -> APIResponse {
        guard state.isActive, state.status == .running else { throw .conflict("Container \(state.id) is not running") }
        guard let body = (try? JSON.decode(JSONValue.self, from: request.body, path: "body"))?.objectValue else {
            throw .badRequest("the request body is not a JSON object")
        }
        guard let command = body["Cmd"]?.stringsValue, !command.isEmpty else { throw .badRequest("No exec command specified") }
        let record = ExecRecord(
            ID: ContainerID.generate(), ContainerID: state.id, Cmd: command,
            // KEY alone would pass the service's own variable: only KEY=VALUE.
            Env: (body["Env"]?.stringsValue ?? []).filter { $0.contains("=") },
            WorkingDir: body["WorkingDir"]?.stringValue ?? "", User: body["User"]?.stringValue ?? "",
            Privileged: body["Privileged"]?.boolValue ?? false, Tty: body["Tty"]?.boolValue ?? false,
            OpenStdin: body["AttachStdin"]?.boolValue ?? false)
        try save(record)
        return try answer { () throws(SwiftrunError) in try .json(["Id": record.ID], status: 201) }
    }

    func exec(_ request: APIRequest, _ parts: [String]) throws(APIError) -> APIResponse {
        guard parts.count == 2 else { throw .notFound("page not found") }
        var record = try execRecord(parts[0])
        switch (request.method, parts[1]) {
        case ("GET", "json"): return try answer { () throws(SwiftrunError) in try .json(ExecDocument(record)) }
        case ("POST", "resize"): return APIResponse(status: 200, contentType: "text/plain", body: .bytes([]))
        case ("POST", "start"): break
        default: throw .notFound("page not found")
        }
        guard !record.Started else { throw .conflict("Exec \(record.ID) has already been started") }
        let detach = (try? JSON.decode(JSONValue.self, from: request.body, path: "body"))?["Detach"]?.boolValue ?? false
        var arguments = ["exec"] + (detach ? ["-d"] : [])
        if record.Tty { arguments.append("-t") }
        // The client's input is a stream, not a terminal: --raw-input lets -it take it.
        if record.OpenStdin && !detach { arguments += ["-i", "--raw-input"] }
        arguments += record.Env.flatMap { ["-e", $0] }
        if !record.WorkingDir.isEmpty { arguments += ["-w", record.WorkingDir] }
        if !record.User.isEmpty { arguments += ["-u", record.User] }
        if record.Privileged { arguments.append("--privileged") }
        arguments += [record.ContainerID] + record.Cmd
        record.Started = true
        record.Running = true
        try save(record)
        if detach {
            let code = (try? run(arguments))?.status ?? 126
            // Started, it runs on where nobody sees its end; a failure to start is its end.
            record.Running = false
            record.ExitCode = code == 0 ? nil : code
            try save(record)
            return APIResponse(status: 200, contentType: "application/json", body: .bytes([]))
        }
        let (api, started, command) = (self, record, command(arguments))
        // With a terminal, one stream of raw bytes, as the pty gives them; else Docker's frames.
        return APIResponse(
            status: 101, contentType: record.Tty ? "application/vnd.docker.raw-stream" : "application/vnd.docker.multiplexed-stream",
            body: .hijacked { send, input in
                var ended = started
                let code = try? HostCommand.stream(command, stdin: started.OpenStdin ? input : -1) { isStderr, bytes in
                    send(started.Tty ? bytes : StreamFrame.frame(bytes, stream: isStderr ? 2 : 1))
                }
                ended.Running = false
                ended.ExitCode = code ?? 126
                try? api.save(ended)
            })
    }

    /// Docker's ExecInspect.
    private struct ExecDocument: Encodable {
        struct Process: Encodable {
            var tty: Bool
            var entrypoint: String
            var arguments: [String]
            var privileged: Bool
            var user: String
        }
        var ID: String
        var ContainerID: String
        var Running: Bool
        var ExitCode: Int32
        var OpenStdin: Bool
        var OpenStdout = true
        var OpenStderr = true
        var CanRemove = false
        var Pid = 0
        var ProcessConfig: Process

        init(_ record: ExecRecord) {
            ID = record.ID
            ContainerID = record.ContainerID
            Running = record.Running
            ExitCode = record.ExitCode ?? 0
            OpenStdin = record.OpenStdin
            ProcessConfig = Process(
                tty: record.Tty, entrypoint: record.Cmd[0], arguments: Array(record.Cmd.dropFirst()), privileged: record.Privileged,
                user: record.User)
        }
    }

    private func recordPath(_ record: ExecRecord) -> String {
        layout.container(record.ContainerID) + "/exec-\(record.ID).json"
    }

    fileprivate func save(_ record: ExecRecord) throws(APIError) {
        try answer { () throws(SwiftrunError) in
            try FileSystem.writeAtomically(try JSON.encode(record), to: recordPath(record), durable: false)
        }
    }

    /// The record of exec `id`, in whichever container's dir holds it.
    private func execRecord(_ id: String) throws(APIError) -> ExecRecord {
        guard ContainerID.isValid(id) else { throw .notFound("No such exec instance: \(id)") }
        let containers = (try? FileSystem.listDirectory(layout.containers)) ?? []
        for container in containers where ContainerID.isValid(container) {
            let path = layout.container(container) + "/exec-\(id).json"
            if let bytes = try? FileSystem.readFile(path), let record = try? JSON.decode(ExecRecord.self, from: bytes, path: path) {
                return record
            }
        }
        throw .notFound("No such exec instance: \(id)")
    }
}
