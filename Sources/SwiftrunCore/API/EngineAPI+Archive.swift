import Glibc

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// `/containers/{id}/archive?path=`: HEAD and GET report the path in
/// X-Docker-Container-Path-Stat (base64 JSON), GET streams it as a tar,
/// PUT unpacks a tar into the directory `path`. The tar goes through
/// `swiftrun cp`, whose every step resolves inside the container's root.
extension EngineAPI {
    func archive(_ state: ContainerState, _ request: APIRequest) throws(APIError) -> APIResponse {
        guard let path = request.query["path"], !path.isEmpty else { throw .badRequest("path is required") }
        if request.method == "PUT" { return try putArchive(state, path: path, request) }
        let found: ContainerCopy.PathStat
        do {
            found = try ContainerCopy(layout: layout).pathStat(state.id, path: path)
        } catch {
            // Docker's 404 for a path that is not there (docker-py's NotFound).
            throw APIError(status: error.description.hasPrefix("Could not find") ? 404 : APIError(error).status, message: error.description)
        }
        let header = try answer { () throws(SwiftrunError) in Data(try JSON.encode(found)).base64EncodedString() }
        let arguments = [swiftrun, "--root", layout.root, "cp", "\(state.id):\(path)", "-"]
        var response = APIResponse(
            status: 200, contentType: "application/x-tar",
            body: request.method == "HEAD"
                ? .bytes([])
                : .stream { send in
                    _ = try? HostCommand.stream(arguments) { isStderr, bytes in isStderr || send(bytes) }
                })
        response.headers["X-Docker-Container-Path-Stat"] = header
        return response
    }

    /// The body is a tar; it reaches `swiftrun cp - ID:PATH` as a file.
    private func putArchive(_ state: ContainerState, path: String, _ request: APIRequest) throws(APIError) -> APIResponse {
        let body = try request.bodyAsFile(layout)
        defer { if body.owned { close(body.fd) } }
        let result = try answer { () throws(SwiftrunError) in
            try HostCommand.errors([swiftrun, "--root", layout.root, "cp", "-", "\(state.id):\(path)"], stdin: body.fd)
        }
        guard result.status == 0 else {
            let message = result.stderr.split(separator: "\n").last.map { String($0.trimmingPrefix("swiftrun: ")) } ?? "cp failed"
            throw APIError(status: message.hasPrefix("Could not find") ? 404 : 400, message: message)
        }
        return APIResponse(status: 200, contentType: "text/plain", body: .bytes([]))
    }
}
