import Glibc
import SwiftrunCore

/// `POST /build`: the body is the context, a tar (plain, gzip or zstd),
/// and the query holds the CLI's flags. It runs as `swiftrun build -` with
/// the body on stdin, so there is one builder, and its output comes back
/// as Docker's JSON lines: `{"stream": LINE}`, and an `error` object last
/// if the build failed (docker-py raises BuildError on it, and finds the
/// image in "Successfully built ID").
extension EngineAPI {
    func build(_ request: APIRequest) throws(APIError) -> APIResponse {
        let arguments = try Self.buildArguments(request.query)
        let body = try request.bodyAsFile(layout)
        let api = self
        return APIResponse(
            status: 200, contentType: "application/json",
            body: .stream { send in
                defer { if body.owned { close(body.fd) } }
                api.streamLines(arguments, stdin: body.fd, failed: "the build failed", send: send) { line, _ in ["stream": line + "\n"] }
            })
    }

    /// Docker's query parameters as `swiftrun build`'s flags. What the
    /// builder cannot honour is refused by name.
    static func buildArguments(_ query: [String: String]) throws(APIError) -> [String] {
        for refused in ["remote", "labels", "extrahosts", "cpusetcpus", "memory", "memswap", "cpushares", "cpuquota", "cpuperiod"] {
            guard let value = query[refused], !value.isEmpty, value != "0", value != "{}", value != "[]" else { continue }
            throw .badRequest("build's \(refused) is not supported by swiftrun")
        }
        var arguments = ["build"]
        if let tag = query["t"], !tag.isEmpty { arguments += ["-t", tag] }
        if let file = query["dockerfile"], !file.isEmpty { arguments += ["-f", file] }
        if let target = query["target"], !target.isEmpty { arguments += ["--target", target] }
        if let network = query["networkmode"], !network.isEmpty { arguments += ["--network", network] }
        if let platform = query["platform"], !platform.isEmpty { arguments += ["--platform", platform] }
        let truthy: (String) -> Bool = { ["1", "true", "True"].contains(query[$0] ?? "") }
        if truthy("nocache") { arguments.append("--no-cache") }
        if truthy("pull") { arguments += ["--pull", "always"] }
        if truthy("q") { arguments.append("-q") }
        if let text = query["buildargs"], !text.isEmpty {
            guard let object = (try? JSON.decode(JSONValue.self, from: Array(text.utf8), path: "buildargs"))?.objectValue else {
                throw .badRequest("invalid buildargs: \(text)")
            }
            for (key, value) in object.sorted(by: { $0.key < $1.key }) {
                guard let value = value.stringValue else { continue }  // null: take it from the builder's environment, which has none
                arguments += ["--build-arg", "\(key)=\(value)"]
            }
        }
        return arguments + ["-"]
    }
}
