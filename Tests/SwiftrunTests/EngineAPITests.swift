import Foundation
import Testing

@testable import SwiftrunCore

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
    func client(_ scenario: String, _ arguments: String...) throws -> String {
        let output = try tool(
            [Self.python, Self.clients, scenario] + arguments,
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
        // A host file the container's symlink names: the archive routes must not reach it.
        let hostDirectory = sandbox.root + "/host-only"
        try FileManager.default.createDirectory(atPath: hostDirectory, withIntermediateDirectories: true)
        try Data("host\n".utf8).write(to: URL(fileURLWithPath: hostDirectory + "/secret"))
        try client("lifecycle", hostDirectory)
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

    /// The image routes, with a registry on 127.0.0.1 that skopeo filled.
    @Test func dockerPyTagsSavesLoadsAndPullsImages() throws {
        let registry = try RegistryServer(in: sandbox.root + "/registry")
        defer { registry.stop() }
        let archive = sandbox.root + "/busybox.tar"
        #expect(sandbox.run(["save", "-o", archive, "busybox"]).code == 0)
        try registry.push("docker-archive:" + archive, as: "test/busybox:v1")
        let service = serve()
        defer { _ = stop(service) }
        try client("images", registry.host)
    }

    @Test func eventsFollowAContainersLife() throws {
        let service = serve()
        defer { _ = stop(service) }
        try client("events")
    }

    /// Networks are the host's, shared by every store: the name is this test's own.
    @Test func aUserNetworkResolvesContainersByName() throws {
        let service = serve()
        defer { _ = stop(service) }
        let name = "api\(getpid())"
        defer { sandbox.removeNetworks([name]) }
        try client("networks", name)
    }

    @Test func dockerPyMakesMountsAndRemovesVolumes() throws {
        let service = serve()
        defer { _ = stop(service) }
        try client("volumes")
        #expect(sandbox.run(["volume", "ls", "-q"]).stdout.isEmpty)
    }

    @Test func dockerPyBuildsFromAContextTar() throws {
        let service = serve()
        defer { _ = stop(service) }
        try client("build")
        // The unpacked contexts are gone.
        #expect(try FileManager.default.contentsOfDirectory(atPath: sandbox.root + "/tmp").isEmpty)
    }

    @Test func execTakesTheClientsInputWithAndWithoutATerminal() throws {
        let service = serve()
        defer { _ = stop(service) }
        try client("exec_input")
    }

    @Test func attachGivesTheClientsInputToTheContainer() throws {
        let service = serve()
        defer { _ = stop(service) }
        try client("attach_input")
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

    /// `--time N`: the service ends by itself once idle that long, an
    /// event stream its client hung up on included.
    /// The client is this test itself, on a raw socket: a python one starts
    /// slower than the idle time under the VM's emulation.
    @Test func anIdleServiceExits() throws {
        let service = sandbox.start(["system", "service", "--time", "3", "unix://" + socket])
        while service.readLine() != nil {}
        let stream = try UnixSocket.connect(path: socket, describe: "the service")
        let request = Array("GET /v1.41/events HTTP/1.1\r\nHost: swiftrun\r\n\r\n".utf8)
        #expect(write(stream, request, request.count) == request.count)
        // The head arrives once the stream is open: then hang up without reading.
        var head: [UInt8] = []
        var byte: UInt8 = 0
        while head.suffix(4) != Array("\r\n\r\n".utf8)[...] && read(stream, &byte, 1) == 1 { head.append(byte) }
        #expect(String(decoding: head, as: UTF8.self).hasPrefix("HTTP/1.1 200"))
        close(stream)
        #expect(waitForExit(of: service.pid, timeout: 20_000), "the service still runs")
        if processExists(service.pid) { service.signal(SIGKILL) }
        let result = service.finish()
        #expect(result.code == 0, "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: socket))
    }

    /// The docker CLI 20.10 (Debian's docker.io) pointed at the socket. Its
    /// `run` attaches and asks for the exit code (wait?condition=removed)
    /// before it starts the container, so a short command's output and the
    /// exit code of a --rm container both have to be kept for it.
    @Test func theDockerCLIRunsListsExecsAndReadsLogs() throws {
        let service = serve()
        defer { _ = stop(service) }
        func docker(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
            let result = try Spawned.run(["/usr/bin/docker", "-H", "unix://" + socket] + arguments, directory: sandbox.root)
            return (result.status, String(decoding: result.output.readDataToEndOfFile(), as: UTF8.self), result.stderr)
        }
        let run = try docker(["run", "--rm", "busybox", "sh", "-c", "echo hi; echo err >&2; exit 3"])
        #expect(run.status == 3 && run.stdout == "hi\n" && run.stderr == "err\n", "\(run)")
        #expect(try docker(["run", "-d", "--name", "web", "busybox", "sh", "-c", "echo started; exec sleep 300"]).status == 0)
        let listed = try docker(["ps", "-a", "--format", "{{.Names}} {{.Status}}"]).stdout
        #expect(listed.hasPrefix("web Up "), "\(listed)")
        #expect(try docker(["images", "--format", "{{.Repository}}:{{.Tag}}"]).stdout == "busybox:latest\n")
        let exec = try docker(["exec", "web", "sh", "-c", "echo in-exec; exit 5"])
        #expect(exec.status == 5 && exec.stdout == "in-exec\n", "\(exec)")
        #expect(try docker(["logs", "web"]).stdout == "started\n")
        #expect(try docker(["rm", "-f", "web"]).status == 0)
        #expect(try docker(["ps", "-a", "-q"]).stdout.isEmpty)
        // build (20.10's classic builder: POST /build with the context's tar) and volumes.
        let context = sandbox.root + "/cli-context"
        try FileManager.default.createDirectory(atPath: context, withIntermediateDirectories: true)
        try Data("FROM busybox\nRUN echo built > /built\nVOLUME /data\n".utf8).write(to: URL(fileURLWithPath: context + "/Dockerfile"))
        let built = try docker(["build", "-t", "cli-built", context])
        #expect(built.status == 0 && built.stdout.contains("Successfully tagged cli-built:latest"), "\(built)")
        #expect(try docker(["volume", "create", "cli-volume"]).stdout == "cli-volume\n")
        let mounted = try docker(["run", "--rm", "-v", "cli-volume:/v", "cli-built", "sh", "-c", "cat /built > /v/f; cat /v/f"])
        #expect(mounted.status == 0 && mounted.stdout == "built\n", "\(mounted)")
        #expect(try docker(["volume", "ls", "-q"]).stdout == "cli-volume\n")
        #expect(try docker(["volume", "rm", "cli-volume"]).status == 0)
        // Nothing waits any more: no exit code is left behind in the store.
        #expect(try FileManager.default.contentsOfDirectory(atPath: sandbox.root + "/exits").isEmpty)
    }
}
