import SwiftrunCore

/// `/images/...`: list and inspect. An image's name may hold slashes
/// (`/images/registry:5000/team/app:v1/json`), so the verb is the last part.
extension EngineAPI {
    func images(_ request: APIRequest, _ parts: [String]) throws(APIError) -> APIResponse {
        if let response = try imageVerb(request, parts) { return response }
        switch (request.method, parts.last ?? "") {
        case ("GET", "json") where parts.count == 1: return try list(request)
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

    /// `filters` as `images --filter` reads them (ImageFilter).
    private func list(_ request: APIRequest) throws(APIError) -> APIResponse {
        let filters = try Self.filters(request.query["filters"]).flatMap { key, values in values.map { "\(key)=\($0)" } }
        return try answer { () throws(SwiftrunError) in
            let store = ImageStore(layout: layout)
            let filter = try ImageFilter(filters, store: store)
            var order: [Digest] = []
            var byID: [Digest: Summary] = [:]
            for image in try store.list() where filter.matches(image) {
                let tag = image.isDangling ? nil : "\(image.repository):\(image.tag)"
                let digest = image.isDangling ? nil : "\(image.repository)@\(image.manifestDigest)"
                if var known = byID[image.id] {
                    known.RepoTags += tag.map { [$0] } ?? []
                    if let digest, !known.RepoDigests.contains(digest) { known.RepoDigests.append(digest) }
                    byID[image.id] = known
                    continue
                }
                order.append(image.id)
                byID[image.id] = Summary(
                    Id: image.id.description, RepoTags: tag.map { [$0] } ?? [], RepoDigests: digest.map { [$0] } ?? [],
                    Created: Int64(image.created.flatMap(JSON.seconds) ?? 0), Size: image.size, VirtualSize: image.size,
                    Labels: image.labels)
            }
            return try .json(order.compactMap { byID[$0] })
        }
    }
}
