import CShims
import Foundation
import Testing

/// `swiftrun system service` started by socket activation (issue 17), as
/// systemd's swiftrun.socket starts it: systemd-socket-activate (from
/// Debian's systemd) listens, and execs the service on the first
/// connection with the socket as fd 3 (sd_listen_fds(3)).
@Suite struct SocketActivationTests {
    let sandbox: Sandbox
    var socket: String { sandbox.root + "/api.sock" }

    init() throws { sandbox = try Sandbox() }

    func links(_ pid: pid_t) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []).compactMap {
            try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\($0)")
        }
    }

    @Test func theFirstConnectionStartsTheServiceOnSystemdsSocket() throws {
        // Spawned by hand, not with Foundation's Process: it execs into the
        // service, and Process loses track of a child that does.
        var errors: [Int32] = [-1, -1]
        try #require(sr_pipe_cloexec(&errors) == 0)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, errors[1], 2)
        let arguments = [
            "/usr/bin/systemd-socket-activate", "-l", socket, Sandbox.binary, "--root", sandbox.root, "system", "service", "--time", "0"
        ]
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, arguments[0], &actions, nil, argv, environ)
        close(errors[1])
        defer { close(errors[0]) }
        try #require(spawned == 0)
        var ended = false
        defer {
            if !ended {
                kill(pid, SIGKILL)
                waitpid(pid, nil, 0)
            }
        }
        // Ready once it says it listens; nothing of swiftrun's runs yet.
        var said = ""
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !said.contains("Listening on") {
            let count = read(errors[0], &buffer, buffer.count)
            try #require(count > 0, "systemd-socket-activate ended: \(said)")
            said += String(decoding: buffer[0..<count], as: UTF8.self)
        }
        #expect(try String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8) == "systemd-socket-\n")

        let ping = try Spawned.run(["/usr/bin/curl", "-s", "--max-time", "30", "--unix-socket", socket, "http://swiftrun/_ping"], directory: sandbox.root)
        #expect(String(decoding: ping.output.readDataToEndOfFile(), as: UTF8.self) == "OK")
        // The same process, now the service, on the socket it was given.
        #expect(try String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8) == "swiftrun-api\n")
        let listening = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/3")
        #expect(listening.hasPrefix("socket:"))
        // Close-on-exec, so no command the service runs inherits it.
        let fdinfo = try String(contentsOfFile: "/proc/\(pid)/fdinfo/3", encoding: .utf8)
        let flags = fdinfo.split(separator: "\n").first { $0.hasPrefix("flags:") }.flatMap {
            Int($0.dropFirst(6).trimmingPrefix(while: \.isWhitespace), radix: 8)
        }
        #expect((try #require(flags)) & Int(O_CLOEXEC) != 0, "\(fdinfo)")

        let started = try Spawned.run(
            ["/usr/bin/docker", "-H", "unix://" + socket, "run", "-d", "--name", "activated", "busybox", "sleep", "300"], directory: sandbox.root)
        #expect(started.status == 0, "\(started.stderr)")
        let inspected = sandbox.run(["inspect", "activated"]).stdout
        let state = try #require(
            (try JSONSerialization.jsonObject(with: Data(inspected.utf8)) as? [[String: Any]])?.first?["State"] as? [String: Any])
        let containerPid = try #require(state["Pid"] as? Int)
        let monitor = try #require(
            try String(contentsOfFile: "/proc/\(containerPid)/stat", encoding: .utf8).split(separator: ")").last?.split(separator: " ")
                .dropFirst(1).first.flatMap { pid_t($0) })
        // Neither systemd's socket nor its variables reach what the service starts.
        #expect(!links(monitor).contains(listening), "\(links(monitor))")
        #expect(!links(pid_t(containerPid)).contains(listening))
        let environment = try String(contentsOfFile: "/proc/\(monitor)/environ", encoding: .utf8)
        #expect(!environment.contains("LISTEN_"), "\(environment)")

        // Stopping the service stops no container, and leaves systemd's socket file.
        kill(pid, SIGTERM)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        ended = true
        #expect(status == SIGTERM, "ended by SIGTERM's default action (systemd counts that a clean stop)")
        #expect(FileManager.default.fileExists(atPath: socket))
        #expect(sandbox.run(["ps", "-q"]).stdout == String(inspected.split(separator: "\"Id\":\"").last?.prefix(12) ?? "") + "\n")
    }
}
