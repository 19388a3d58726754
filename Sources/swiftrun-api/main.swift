import Glibc
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import SwiftrunAPI
import SwiftrunCore

/// swiftrun-api --root DIR --socket PATH --time SECS --swiftrun BIN
///
/// The Docker Engine API on a unix socket, started by `swiftrun system
/// service` (Sources/swiftrun/ServiceCommand.swift), which checks the
/// arguments. Exits after SECS with no request in flight (0: never).
/// Closes its stdout once the socket listens: a caller that reads it to
/// EOF knows the service is ready, without polling the socket. Started by
/// systemd's swiftrun.socket (scripts/), it serves the socket systemd
/// passes instead, and leaves that socket to systemd when it exits.
func fail(_ message: String) -> Never {
    var line = "swiftrun: " + message + "\n"
    line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
    exit(1)
}

var options: [String: String] = [:]
var arguments = CommandLine.arguments.dropFirst()
while let name = arguments.popFirst() {
    guard name.hasPrefix("--"), let value = arguments.popFirst() else { fail("swiftrun-api: unexpected argument \(name)") }
    options[String(name.dropFirst(2))] = value
}
guard let root = options["root"], let socketPath = options["socket"], let swiftrun = options["swiftrun"],
    let idle = options["time"].flatMap(Int.init), idle >= 0
else { fail("usage: swiftrun-api --root DIR --socket PATH --time SECS --swiftrun BIN") }

// Whatever mask the caller left (a test runner's threads block most
// signals) would outlive exec and make SIGTERM wait forever; cleared
// before any thread starts, so every thread has none.
var unblocked = sigset_t()
sigemptyset(&unblocked)
sigprocmask(SIG_SETMASK, &unblocked, nil)
// A client that hangs up mid-answer is a failed write, not a signal.
signal(SIGPIPE, SIG_IGN)
let activity = Activity()
let api = EngineAPI(layout: StoreLayout(root: root), swiftrun: swiftrun)
let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let bootstrap = ServerBootstrap(group: group)
    .serverChannelOption(ChannelOptions.backlog, value: 256)
    // The docker CLI half-closes a hijacked connection once it has no
    // more input, and still reads the container's output from it.
    .childChannelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
    .childChannelInitializer { channel in HTTPPipeline.configure(channel, api: api, activity: activity) }

let server: any Channel
let activated = ServiceSocket.activated()
do {
    if let socket = activated {
        server = try bootstrap.withBoundSocket(socket).wait()
    } else {
        try ServiceSocket.prepare(socketPath)
        server = try bootstrap.bind(unixDomainSocketPath: socketPath).wait()
        try ServiceSocket.restrict(socketPath)
    }
    dup2(open("/dev/null", O_WRONLY | O_CLOEXEC), 1)
} catch let error as SwiftrunError {
    fail(error.description)
} catch {
    fail("serve on \(socketPath): \(error)")
}

if idle > 0 {
    // Checked each second: no request in flight, none for `idle` seconds.
    group.next().scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { _ in
        if activity.idleSeconds() >= idle { server.close(promise: nil) }
    }
}
try? server.closeFuture.wait()
if activated == nil { unlink(socketPath) }
exit(0)
