import SwiftrunCore

/// `/images/...`: list and inspect. An image's name may hold slashes
/// (`/images/registry:5000/team/app:v1/json`), so the verb is the last part.
extension EngineAPI {
    func images(_ request: APIRequest, _ parts: [String]) throws(APIError) -> APIResponse {
        if let response = try imageVerb(request, parts) { return response }
        switch (request.method, parts.last ?? "") {
        case ("GET", "json") where parts.count == 1: return try list()
        case ("GET", "json"):
            let name = parts.dropLast().joined(separator: "/")
            return try answer { () throws(SwiftrunError) in
                let images = ImageStore(layout: layout)
                return try .json(try ImageInspection(store: images, image: try images.image(name)))
            }
        default: throw .notFound("page not found")
        }
    }

    /// One image of `GET /images/json`: each image once, with all its names.
    private struct Summary: Encodable {
        var Id: String
        var ParentId = ""
        var RepoTags: [String]
        var RepoDigests: [String] = []
        var Created: Int64
        var Size: Int64
        var SharedSize = -1
        var VirtualSize: Int64
        var Labels: [String: String] = [:]
        var Containers = -1
    }

    private func list() throws(APIError) -> APIResponse {
        try answer { () throws(SwiftrunError) in
            let listed = try ImageStore(layout: layout).list()
            var order: [Digest] = []
            var byID: [Digest: Summary] = [:]
            for image in listed {
                let tag = image.repository == "<none>" ? nil : "\(image.repository):\(image.tag)"
                if var known = byID[image.id] {
                    known.RepoTags += tag.map { [$0] } ?? []
                    byID[image.id] = known
                    continue
                }
                order.append(image.id)
                byID[image.id] = Summary(
                    Id: image.id.description, RepoTags: tag.map { [$0] } ?? [],
                    Created: Int64(image.created.flatMap(JSON.seconds) ?? 0), Size: image.size, VirtualSize: image.size)
            }
            return try .json(order.compactMap { byID[$0] })
        }
    }
}
