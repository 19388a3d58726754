import Glibc
import SwiftrunCore

/// The image routes that change the store or stream an archive: pull
/// (`POST /images/create`), tag, remove, prune, load and get. Each runs the
/// CLI's own command in a process of its own (`swiftrun pull`, `tag`,
/// `rmi`, `image prune`, `load`, `save`), so there is one implementation of
/// each, and its lock and crash safety are the CLI's.
extension EngineAPI {
    func imageVerb(_ request: APIRequest, _ parts: [String]) throws(APIError) -> APIResponse? {
        switch (request.method, parts.last ?? "") {
        case ("POST", "create") where parts.count == 1: return try pull(request)
        case ("POST", "prune") where parts.count == 1: return try pruneImages()
        case ("POST", "load") where parts.count == 1: return try load(request)
        case ("GET", "get") where parts.count == 1:
            return save(request.query["names"].map { [$0] } ?? [])
        case ("GET", "get"): return save([parts.dropLast().joined(separator: "/")])
        case ("POST", "tag") where parts.count > 1:
            let name = parts.dropLast().joined(separator: "/")
            guard let repository = request.query["repo"], !repository.isEmpty else { throw .badRequest("repo is required") }
            let target = repository + (request.query["tag"].flatMap { $0.isEmpty ? nil : ":" + $0 } ?? "")
            try runChecked(["tag", name, target], image: name)
            return APIResponse(status: 201, contentType: "text/plain", body: .bytes([]))
        case ("DELETE", _) where !parts.isEmpty:
            let name = parts.joined(separator: "/")
            let output = try runChecked(["rmi"] + (request.flag("force") ? ["-f"] : []) + [name], image: name)
            // "Untagged: NAME" and "Deleted: ID" lines, as Docker's list of objects.
            let items: [[String: String]] = output.split(separator: "\n").compactMap { (line: Substring) in
                let pair = line.split(separator: " ", maxSplits: 1)
                return pair.count == 2 && pair[0].hasSuffix(":") ? [String(pair[0].dropLast()): String(pair[1])] : nil
            }
            return try answer { () throws(SwiftrunError) in try .json(items) }
        default: return nil
        }
    }

    /// `fromImage` and `tag`, as `swiftrun pull` in a process of its own:
    /// its lines are Docker's progress already ("ID: Pull complete",
    /// "Digest: ...", "Status: ..."), sent as Docker's JSON lines, each
    /// layer's with its id; the reference it prints last is the CLI's own
    /// and is not sent. A failure ends the stream with Docker's error
    /// object, which docker-py raises.
    private func pull(_ request: APIRequest) throws(APIError) -> APIResponse {
        guard let image = request.query["fromImage"], !image.isEmpty else {
            throw .badRequest("fromImage is required (importing from a source is not supported by swiftrun)")
        }
        let tag = request.query["tag"].flatMap { $0.isEmpty ? nil : $0 }
        let reference = tag.map { $0.hasPrefix("sha256:") ? "\(image)@\($0)" : "\(image):\($0)" } ?? image
        let command = command(["pull", reference])
        return APIResponse(
            status: 200, contentType: "application/json",
            body: .stream { send in
                var lines = LineSplitter()
                var held: String?
                var failure = ""
                var listening = true
                let status = try? HostCommand.stream(command) { isStderr, bytes in
                    for line in lines.add(bytes, stream: isStderr ? 1 : 0) {
                        if isStderr {
                            if line.hasPrefix("swiftrun: ") { failure = String(line.dropFirst(10)) }
                            continue
                        }
                        if let previous = held, listening { listening = send(APIResponse.jsonLine(Self.pullStatus(previous))) }
                        held = line
                    }
                    return true
                }
                guard listening else { return }
                if status == 0 { return }  // `held` is the reference
                if let held { _ = send(APIResponse.jsonLine(Self.pullStatus(held))) }
                _ = send(APIResponse.jsonLine(StreamedError(message: failure.isEmpty ? "pull \(reference) failed" : failure)))
            })
    }

    /// "ID: STATUS" as Docker's {"status", "id"}; "Digest: ..." and
    /// "Status: ..." are statuses whole.
    private static func pullStatus(_ line: String) -> [String: String] {
        let parts = line.split(separator: ": ", maxSplits: 1)
        guard parts.count == 2, !parts[0].contains(" "), parts[0] != "Digest", parts[0] != "Status" else { return ["status": line] }
        return ["status": String(parts[1]), "id": String(parts[0])]
    }

    private struct ImagesPruned: Encodable {
        var ImagesDeleted: [[String: String]]
        var SpaceReclaimed: Int64
    }

    private func pruneImages() throws(APIError) -> APIResponse {
        let output = try runChecked(["image", "prune", "-f"])
        let deleted: [[String: String]] = output.split(separator: "\n").compactMap { line in
            line.hasPrefix("deleted: ")
                ? ["Deleted": String(line.dropFirst(9))]
                : line.hasPrefix("untagged: ") ? ["Untagged": String(line.dropFirst(10))] : nil
        }
        return try answer { () throws(SwiftrunError) in try .json(ImagesPruned(ImagesDeleted: deleted, SpaceReclaimed: 0)) }
    }

    /// The body is a `docker save` archive, or an OCI layout's tar.
    private func load(_ request: APIRequest) throws(APIError) -> APIResponse {
        let body = try request.bodyAsFile(layout)
        defer { if body.owned { close(body.fd) } }
        let output = try runChecked(["load"], stdin: body.fd)
        let lines = output.split(separator: "\n").map { APIResponse.jsonLine(["stream": String($0) + "\n"]) }
        return APIResponse(status: 200, contentType: "application/json", body: .bytes(lines.flatMap { $0 }))
    }

    private func save(_ names: [String]) -> APIResponse {
        let api = self
        return APIResponse(status: 200, contentType: "application/x-tar", body: .stream { send in api.streamOutput(["save"] + names, to: send) })
    }
}
