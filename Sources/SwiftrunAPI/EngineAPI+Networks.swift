import SwiftrunCore

/// `/networks/...`: list (filters by name, id, label), inspect, create,
/// remove, connect, disconnect and prune, over the host's NetworkStore
/// that `swiftrun network` uses, in Docker's NetworkResource shape.
extension EngineAPI {
    func networks(_ request: APIRequest, _ parts: [String]) throws(APIError) -> APIResponse {
        let store = NetworkStore()
        switch (request.method, parts.count, parts.last ?? "") {
        case ("GET", 0, _): return try listNetworks(request, store)
        case ("POST", 1, "create"): return try createNetwork(request, store)
        case ("POST", 1, "prune"):
            return try answer { () throws(SwiftrunError) in try .json(["NetworksDeleted": try store.prune()]) }
        case ("GET", 1, _):
            return try answer { () throws(SwiftrunError) in
                APIResponse(status: 200, contentType: "application/json", body: .bytes(Array(try store.inspect(parts[0]).utf8)))
            }
        case ("DELETE", 1, _):
            _ = try answer { () throws(SwiftrunError) in try store.remove(parts[0]) }
            return .noContent
        case ("POST", 2, "connect"), ("POST", 2, "disconnect"):
            return try connect(request, network: parts[0], connecting: parts[1] == "connect")
        default: throw .notFound("page not found")
        }
    }

    private func listNetworks(_ request: APIRequest, _ store: NetworkStore) throws(APIError) -> APIResponse {
        let filters = try Self.filters(request.query["filters"])
        return try answer { () throws(SwiftrunError) in
            _ = try store.find(NetworkDefinition.defaultName)  // defined on first use, as docker0 always is
            let documents =
                try store.all().map { NetworkDocument($0, containers: [:]) } + ModeNetwork.all.map { NetworkDocument($0) }
            let wanted = documents.filter { document in
                filters.allSatisfy { key, values in
                    values.contains { value in
                        switch key {
                        case "name": document.Name.contains(value)
                        case "id": document.Id.hasPrefix(value)
                        case "driver": document.Driver == value
                        case "label": ContainerFilter.hasLabel(document.Labels, value)
                        default: false
                        }
                    }
                }
            }
            return try .json(wanted.sorted { $0.Name < $1.Name })
        }
    }

    private struct NetworkCreated: Encodable {
        var Id: String
        var Warning = ""
    }

    private func createNetwork(_ request: APIRequest, _ store: NetworkStore) throws(APIError) -> APIResponse {
        guard let body = (try? JSON.decode(JSONValue.self, from: request.body, path: "body"))?.objectValue,
            let name = body["Name"]?.stringValue, !name.isEmpty
        else { throw .badRequest("a network needs a Name") }
        if let driver = body["Driver"]?.stringValue, !driver.isEmpty, driver != "bridge" {
            throw .badRequest("swiftrun makes bridge networks only, not \"\(driver)\"")
        }
        let config = body["IPAM"]?["Config"]?.arrayValue?.first
        let subnet = try config?["Subnet"]?.stringValue.map { (text) throws(APIError) in
            guard let parsed = IPv4Subnet(text) else { throw .badRequest("invalid subnet \(text)") }
            return parsed
        }
        let gateway = try config?["Gateway"]?.stringValue.map { (text) throws(APIError) in
            guard let parsed = IPv4Address(text) else { throw .badRequest("invalid gateway \(text)") }
            return parsed
        }
        let labels = body["Labels"]?.objectValue?.compactMapValues(\.stringValue) ?? [:]
        do {
            let network = try store.create(
                name: name, subnet: subnet, gateway: gateway, isInternal: body["Internal"]?.boolValue ?? false, labels: labels)
            return try .json(NetworkCreated(Id: network.id), status: 201)
        } catch .invalidArgument(let message) where message.hasSuffix("already exists") {
            throw .conflict(message)
        } catch {
            throw APIError(error)
        }
    }

    private func connect(_ request: APIRequest, network: String, connecting: Bool) throws(APIError) -> APIResponse {
        guard let body = (try? JSON.decode(JSONValue.self, from: request.body, path: "body"))?.objectValue,
            let container = body["Container"]?.stringValue
        else { throw .badRequest("Container is required") }
        let connection = ContainerStore(layout: layout)
        let endpoint = body["EndpointConfig"]
        let address = try endpoint?["IPAMConfig"]?["IPv4Address"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }.map {
            (text) throws(APIError) in
            guard let parsed = IPv4Address(text) else { throw .badRequest("invalid IPv4 address: \(text)") }
            return parsed
        }
        try answer { () throws(SwiftrunError) in
            if connecting {
                try connection.connect(container, to: network, ipAddress: address, aliases: endpoint?["Aliases"]?.stringsValue ?? [])
            } else {
                try connection.disconnect(container, from: network)
            }
        }
        return APIResponse(status: 200, contentType: "text/plain", body: .bytes([]))
    }

    /// A `filters` query as key -> values (lists, or objects of values set to true).
    static func filters(_ text: String?) throws(APIError) -> [String: [String]] {
        guard let text, !text.isEmpty else { return [:] }
        guard let object = (try? JSON.decode(JSONValue.self, from: Array(text.utf8), path: "filters"))?.objectValue else {
            throw .badRequest("invalid filters: \(text)")
        }
        return object.mapValues { $0.stringsValue ?? $0.objectValue.map { Array($0.keys) } ?? [] }
    }
}
