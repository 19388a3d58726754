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
    /// layer's with its id. The reference it prints last (no ": " in it)
    /// is the CLI's own and is not sent.
    private func pull(_ request: APIRequest) throws(APIError) -> APIResponse {
        guard let image = request.query["fromImage"], !image.isEmpty else {
            throw .badRequest("fromImage is required (importing from a source is not supported by swiftrun)")
        }
        let tag = request.query["tag"].flatMap { $0.isEmpty ? nil : $0 }
        let reference = tag.map { $0.hasPrefix("sha256:") ? "\(image)@\($0)" : "\(image):\($0)" } ?? image
        let api = self
        return APIResponse(
            status: 200, contentType: "application/json",
            body: .stream { send in
                api.streamLines(["pull", reference], failed: "pull \(reference) failed", send: send) { line, isStderr in
                    isStderr ? nil : Self.pullStatus(line)
                }
            })
    }

    /// "ID: STATUS" as Docker's {"status", "id"}; "Digest: ..." and
    /// "Status: ..." are statuses whole; a line without ": " is none.
    private static func pullStatus(_ line: String) -> [String: String]? {
        let parts = line.split(separator: ": ", maxSplits: 1)
        guard parts.count == 2 else { return nil }
        guard !parts[0].contains(" "), parts[0] != "Digest", parts[0] != "Status" else { return ["status": line] }
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
