import SwiftrunCore

/// `/volumes/...`: list (filters by name, label, driver, dangling),
/// create, inspect, remove and prune, over the VolumeStore that `swiftrun
/// volume` uses, in Docker's Volume shape.
extension EngineAPI {
    func volumes(_ request: APIRequest, _ parts: [String]) throws(APIError) -> APIResponse {
        let store = VolumeStore(layout: layout)
        switch (request.method, parts.count, parts.last ?? "") {
        case ("GET", 0, _):
            let filters = try Self.filters(request.query["filters"])
            return try answer { () throws(SwiftrunError) in
                try .json(VolumeList(Volumes: try store.list(filters: filters)))
            }
        case ("POST", 1, "create"): return try createVolume(request, store)
        case ("POST", 1, "prune"):
            return try answer { () throws(SwiftrunError) in
                let pruned = try store.prune()
                return try .json(VolumesPruned(VolumesDeleted: pruned.names, SpaceReclaimed: pruned.bytes))
            }
        case ("GET", 1, _): return try answer { () throws(SwiftrunError) in try .json(try store.find(parts[0])) }
        case ("DELETE", 1, _):
            try answer { () throws(SwiftrunError) in
                do throws(SwiftrunError) {
                    try store.remove(parts[0])
                } catch .volumeNotFound where request.flag("force") {}
            }
            return .noContent
        default: throw .notFound("page not found")
        }
    }

    private struct VolumeList: Encodable {
        var Volumes: [VolumeDocument]
        var Warnings: [String] = []
    }

    private struct VolumesPruned: Encodable {
        var VolumesDeleted: [String]
        var SpaceReclaimed: Int64
    }

    private func createVolume(_ request: APIRequest, _ store: VolumeStore) throws(APIError) -> APIResponse {
        guard let body = (try? JSON.decode(JSONValue.self, from: request.body, path: "body"))?.objectValue else {
            throw .badRequest("the request body is not a JSON object")
        }
        if let driver = body["Driver"]?.stringValue, !driver.isEmpty, driver != "local" {
            throw .badRequest("swiftrun has the local volume driver only, not \"\(driver)\"")
        }
        if let options = body["DriverOpts"]?.objectValue, !options.isEmpty {
            throw .badRequest("the local driver's options (\(options.keys.sorted().joined(separator: ", "))) are not supported by swiftrun")
        }
        let name = body["Name"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        let labels = body["Labels"]?.objectValue?.compactMapValues(\.stringValue) ?? [:]
        return try answer { () throws(SwiftrunError) in
            let record = try store.create(name, labels: labels)
            return try .json(try store.find(record.name), status: 201)
        }
    }
}
