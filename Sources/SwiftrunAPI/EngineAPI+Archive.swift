import Glibc
import SwiftrunCore

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
        let header = try answer { () throws(SwiftrunError) in
            Data(try JSON.encode(try ContainerCopy(layout: layout).pathStat(state.id, path: path))).base64EncodedString()
        }
        let api = self
        var response = APIResponse(
            status: 200, contentType: "application/x-tar",
            body: request.method == "HEAD"
                ? .bytes([])
                : .stream { send in api.streamOutput(["cp", "\(state.id):\(path)", "-"], to: send) })
        response.headers["X-Docker-Container-Path-Stat"] = header
        return response
    }

    /// The body is a tar; it reaches `swiftrun cp - ID:PATH` as a file.
    private func putArchive(_ state: ContainerState, path: String, _ request: APIRequest) throws(APIError) -> APIResponse {
        let body = try request.bodyAsFile(layout)
        defer { if body.owned { close(body.fd) } }
        try runChecked(["cp", "-", "\(state.id):\(path)"], stdin: body.fd)
        return APIResponse(status: 200, contentType: "text/plain", body: .bytes([]))
    }
}
