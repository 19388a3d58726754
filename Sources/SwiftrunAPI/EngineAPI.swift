import CShims
import Glibc
import SwiftrunCore

/// The Docker Engine API (v1.41) over swiftrun's store: what docker-py,
/// testcontainers and the docker CLI call, answered with the same code the
/// CLI runs. This type knows routes and Docker's documents, not HTTP:
/// `swiftrun-api` (Sources/swiftrun-api) carries requests to `handle` and
/// its answers back.
///
/// Nothing here outlives a request. Containers live in the store and are
/// supervised by their monitors, so the service can stop, or be killed,
/// and every container runs on; a new service sees them all.
public struct EngineAPI: Sendable {
    let layout: StoreLayout
    /// The swiftrun binary, for the steps that fork a monitor: a process
    /// with the server's threads must not fork and go on in Swift, so
    /// `start` runs as `swiftrun start` in a process of its own.
    let swiftrun: String
    /// Attaches made before their container's start (EngineAPI+Attach.swift).
    let pendingAttaches = PendingAttaches()

    public init(layout: StoreLayout, swiftrun: String) {
        self.layout = layout
        self.swiftrun = swiftrun
    }

    /// An unnamed temp file in the store for a request body too big for
    /// memory (-1 if it cannot be made): gone with its last fd.
    public func spoolFile() -> Int32 {
        try? layout.prepare()
        return open(layout.temp, Int32(SR_O_TMPFILE) | O_RDWR | O_CLOEXEC, 0o600)
    }

    /// Answers one request; never throws: every failure is Docker's error body.
    public func handle(_ request: APIRequest) -> APIResponse {
        do throws(APIError) {
            _ = try? ContainerStore(layout: layout).recover()
            return try route(request)
        } catch {
            return .error(error)
        }
    }

    private func route(_ request: APIRequest) throws(APIError) -> APIResponse {
        let parts = request.path.split(separator: "/").map(String.init)
        switch (request.method, parts.first ?? "") {
        case ("GET", "_ping"), ("HEAD", "_ping"): return .text("OK")
        case ("GET", "version"): return try answer { () throws(SwiftrunError) in try .json(SystemDocuments.version()) }
        case ("GET", "info"): return try answer { () throws(SwiftrunError) in try .json(SystemDocuments.info(layout)) }
        case (_, "containers"): return try containers(request, Array(parts.dropFirst()))
        case (_, "images"): return try images(request, Array(parts.dropFirst()))
        case ("POST", "build"): return try build(request)
        case (_, "exec"): return try exec(request, Array(parts.dropFirst()))
        case (_, "networks"): return try networks(request, Array(parts.dropFirst()))
        case (_, "volumes"): return try volumes(request, Array(parts.dropFirst()))
        case ("GET", "events"): return try events(request)
        default: throw .notFound("page not found")
        }
    }

    /// Runs `body`, turning swiftrun's errors into Docker's.
    func answer<T>(_ body: () throws(SwiftrunError) -> T) throws(APIError) -> T {
        do {
            return try body()
        } catch {
            throw APIError(error)
        }
    }
}
