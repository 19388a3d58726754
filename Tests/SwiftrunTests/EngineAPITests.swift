import Foundation
import Testing

/// The Docker Engine API (issue 17), driven by real clients from PyPI:
/// docker-py and testcontainers, in the venv `make test` builds beside the
/// binaries (.build/api-venv), each test against a service of its own on
/// its sandbox's socket.
@Suite struct EngineAPITests {
    static let python =
        ProcessInfo.processInfo.environment["SWIFTRUN_API_PYTHON"]
        ?? URL(fileURLWithPath: Sandbox.binary).deletingLastPathComponent().appendingPathComponent("../api-venv/bin/python3").standardized.path
    static let clients = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../api/clients.py").standardized.path

    let sandbox: Sandbox
    var socket: String { sandbox.root + "/api.sock" }

    init() throws { sandbox = try Sandbox() }

    /// Starts `swiftrun system service` on the sandbox's socket; returns once
    /// it listens (it closes its stdout then).
    func serve() -> RunningCommand {
        let service = sandbox.start(["system", "service", "--time", "0", "unix://" + socket])
        while service.readLine() != nil {}
        return service
    }

    func stop(_ service: RunningCommand) -> CommandResult {
        service.signal(SIGTERM)
        return service.finish()
    }

    /// Runs one scenario of Tests/api/clients.py; it prints "ok NAME" when
    /// every assertion in it held.
    @discardableResult
    func client(_ scenario: String) throws -> String {
        let output = try tool(
            [Self.python, Self.clients, scenario],
            environment: ["DOCKER_HOST": "unix://" + socket, "TC_HOST": "127.0.0.1", "TESTCONTAINERS_RYUK_DISABLED": "true"])
        #expect(output.hasSuffix("ok \(scenario)\n"), "\(output)")
        return output
    }

    @Test func dockerPyPingsListsAndRuns() throws {
        let service = serve()
        defer { _ = stop(service) }
        try client("basics")
        try client("run")
        // What the API made, the CLI sees: nothing, since run removed it.
        #expect(sandbox.run(["ps", "-a", "-q"]).stdout.isEmpty)
    }

    @Test func dockerPyDrivesADetachedContainer() throws {
        let service = serve()
        defer { _ = stop(service) }
        try client("lifecycle")
    }

    @Test func badRequestsGetDockersErrorsAndTheServiceServesOn() throws {
        let service = serve()
        defer { _ = stop(service) }
        try client("errors")
    }

    @Test func aPublishedPortIsReachableFromTheHost() throws {
        let service = serve()
        defer { _ = stop(service) }
        try client("ports")
        try client("testcontainers")
    }

    @Test func fiftyConcurrentRunsAllSucceedAndLeaveNothing() throws {
        let service = serve()
        defer { _ = stop(service) }
        try client("concurrent")
        #expect(sandbox.run(["ps", "-a", "-q"]).stdout.isEmpty)
    }

    /// The service is a client of the store and the monitors: killed, it
    /// takes no container with it, and a new one sees them all.
    @Test func killingTheServiceStopsNoContainer() throws {
        let first = serve()
        let detached = Result { try client("detached") }
        first.signal(SIGKILL)
        first.waitForSwiftrun()
        let id = try detached.get().split(separator: "\n").first.map(String.init) ?? ""
        #expect(sandbox.run(["ps", "-q", "--no-trunc"]).stdout == id + "\n")
        let second = serve()
        defer { _ = stop(second) }
        try client("survivor")
    }

    @Test func theSocketIsRootsAndASecondServiceIsRefused() throws {
        let service = serve()
        var info = stat()
        #expect(lstat(socket, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o660 && info.st_uid == 0)
        let second = sandbox.run(["system", "service", "--time", "0", "unix://" + socket])
        #expect(second.code == 1 && second.stderr == "swiftrun: another service is already serving \(socket)\n", "\(second.stderr)")
        let stopped = stop(service)
        #expect(stopped.code == 128 + SIGTERM)
    }

    /// `--time N`: the service ends by itself once idle that long.
    @Test func anIdleServiceExits() throws {
        let service = sandbox.start(["system", "service", "--time", "1", "unix://" + socket])
        while service.readLine() != nil {}
        let result = service.finish()
        #expect(result.code == 0, "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: socket))
    }
}
