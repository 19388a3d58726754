import CShims
import Foundation
import Testing

@testable import SwiftrunCore

/// runc's command line over a bundle (swiftrun as an engine's runtime),
/// driven the way conmon and containerd drive it: create, state, start,
/// exec, kill, delete, each a separate process. The container's stdio is
/// create's, so a test reads what the container printed from create's
/// pipes once the container has ended.
@Suite struct OCIRuntimeTests {
    /// A bundle in the sandbox: busybox unpacked as rootfs/, and the config
    /// `swiftrun spec` writes, changed by `edit`.
    private func makeBundle(_ sandbox: Sandbox, _ name: String, edit: (inout [String: Any]) -> Void) throws -> String {
        let bundle = sandbox.root + "/bundles/" + name
        try FileManager.default.createDirectory(atPath: bundle + "/rootfs", withIntermediateDirectories: true)
        try tool(["tar", "-xf", Sandbox.sample, "-C", bundle + "/rootfs"])
        let spec = sandbox.run(["spec", "--bundle", bundle])
        try #require(spec.code == 0, "spec failed: \(spec.stderr)")
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: bundle + "/config.json"))) as! [String: Any]
        var process = config["process"] as! [String: Any]
        process["terminal"] = false
        config["process"] = process
        config["hostname"] = "oci-" + name
        edit(&config)
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: bundle + "/config.json"))
        return bundle
    }

    private static func setArgs(_ args: [String]) -> (inout [String: Any]) -> Void {
        { config in
            var process = config["process"] as! [String: Any]
            process["args"] = args
            config["process"] = process
        }
    }

    /// `create`, as an engine's shim starts it: the container keeps
    /// create's stdio, so its stdout is a pipe the test reads (`output`).
    private func create(_ sandbox: Sandbox, _ arguments: [String]) throws -> Spawned {
        try Spawned.run([Sandbox.binary, "--root", sandbox.root] + arguments, directory: sandbox.root)
    }

    private func state(_ sandbox: Sandbox, _ id: String) throws -> [String: Any] {
        let result = sandbox.run(["state", id])
        try #require(result.code == 0, "state failed: \(result.stderr)")
        return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
    }

    /// create, state, start, exec, update, kill, delete: runc's states in
    /// order, the pid file, exec inside the container's namespaces, new
    /// limits in its cgroups, and nothing left.
    @Test func aBundleGoesThroughRuncsLifecycle() throws {
        let sandbox = try Sandbox(importBusybox: false)
        let bundle = try makeBundle(sandbox, "life", edit: Self.setArgs(["sh", "-c", "echo started; exec sleep 1000"]))
        let id = "life-\(getpid())"
        let create = try self.create(sandbox, ["create", "--bundle", bundle, "--pid-file", bundle + "/pid", id])
        try #require(create.status == 0, "create failed: \(create.stderr)")

        var state = try self.state(sandbox, id)
        #expect(state["status"] as? String == "created")
        #expect(state["bundle"] as? String == bundle)
        #expect(state["ociVersion"] as? String == RuntimeSpec.specVersion)
        let pid = try #require(state["pid"] as? Int)
        #expect(try String(contentsOfFile: bundle + "/pid", encoding: .utf8) == String(pid))
        #expect(sandbox.run(["list", "-q"]).stdout.split(separator: "\n").contains(Substring(id)))
        #expect(sandbox.run(["delete", "nonexistent-\(id)"]).code == 1)

        #expect(sandbox.run(["start", id]).code == 0)
        #expect(String(decoding: create.output.readData(ofLength: 8), as: UTF8.self) == "started\n")
        state = try self.state(sandbox, id)
        #expect(state["status"] as? String == "running")
        let again = sandbox.run(["start", id])
        #expect(again.code == 1 && again.stderr.contains("already running"))

        let exec = sandbox.run(["exec", id, "sh", "-c", "hostname; cat /proc/1/comm; exit 5"])
        #expect(exec.code == 5)
        #expect(exec.stdout == "oci-life\nsleep\n")

        let events = sandbox.run(["events", "--stats", id])
        #expect(events.code == 0, "\(events.stderr)")
        let event = try JSONSerialization.jsonObject(with: Data(events.stdout.utf8)) as? [String: Any]
        #expect(event?["type"] as? String == "stats" && event?["id"] as? String == id)
        #expect(((event?["data"] as? [String: Any])?["pids"] as? [String: Any])?["current"] as? Int ?? 0 >= 1)
        // Without --stats: a stream, one event per interval, until pid 1 exits.
        let stream = sandbox.start(["events", "--interval", "50ms", id])
        let streamed = try JSONSerialization.jsonObject(with: Data((stream.readLine() ?? "").utf8)) as? [String: Any]
        #expect(streamed?["type"] as? String == "stats" && streamed?["id"] as? String == id)

        // update: flags, then linux.resources on stdin, as containerd sends it.
        let mode = CgroupMode.host
        func limit(_ controller: String, _ v2: String, _ v1: String) -> String? {
            let mount = mode.isPureV2 ? mode.unified : mode.v1[controller]
            return mount.flatMap { try? String(contentsOfFile: "\($0)/\(ContainerCgroup.path(of: id))/\(mode.isPureV2 ? v2 : v1)", encoding: .utf8) }
        }
        #expect(sandbox.run(["update", "--memory", "64m", "--pids-limit", "50", id]).code == 0)
        #expect(limit("memory", "memory.max", "memory.limit_in_bytes") == "67108864\n")
        #expect(limit("pids", "pids.max", "pids.max") == "50\n")
        #expect(sandbox.run(["update", "--resources", "-", id], stdin: #"{"pids": {"limit": 60}}"#).code == 0)
        #expect(limit("pids", "pids.max", "pids.max") == "60\n")

        let refused = sandbox.run(["delete", id])
        #expect(refused.code == 1)
        #expect(refused.stderr.contains("cannot delete container \(id) that is not stopped: running"))
        #expect(sandbox.run(["kill", id, "KILL"]).code == 0)
        #expect(waitForExit(of: pid_t(pid)))
        let ended = stream.finish()
        #expect(ended.code == 0 && ended.stdout.split(separator: "\n").allSatisfy { $0.hasPrefix(#"{"data":"#) }, "\(ended)")
        state = try self.state(sandbox, id)
        #expect(state["status"] as? String == "stopped")
        #expect(state["pid"] as? Int == 0)
        let late = sandbox.run(["kill", id, "9"])
        #expect(late.code == 1 && late.stderr.contains("container not running"))

        #expect(sandbox.run(["delete", id]).code == 0)
        #expect(sandbox.run(["state", id]).code == 1)
        #expect(!FileManager.default.fileExists(atPath: sandbox.root + "/" + id))
        #expect(!Sandbox.cgroupExists(id))
        #expect(create.output.readDataToEndOfFile().isEmpty)  // the container's stdout closed with it
    }

    /// `run` in the foreground: the container's output and exit code, and
    /// its state gone afterwards; with a terminal, the pty relayed. `delete
    /// --force` of a missing id succeeds.
    @Test func runWaitsAndReturnsTheExitCode() throws {
        let sandbox = try Sandbox(importBusybox: false)
        let bundle = try makeBundle(sandbox, "fg", edit: Self.setArgs(["sh", "-c", "echo out; echo err >&2; exit 3"]))
        let result = sandbox.run(["run", "--bundle", bundle, "fg"])
        #expect(result.code == 3)
        #expect(result.stdout == "out\n")
        #expect(result.stderr == "err\n")
        #expect(sandbox.run(["list", "-q"]).stdout == "")
        #expect(sandbox.run(["delete", "--force", "fg"]).code == 0)
        #expect(!Sandbox.cgroupExists("fg"))

        // With process.terminal and no --console-socket, run relays a pty.
        let tty = try makeBundle(sandbox, "tty") { config in
            Self.setArgs(["sh", "-c", "tty; exit 6"])(&config)
            var process = config["process"] as! [String: Any]
            process["terminal"] = true
            config["process"] = process
        }
        let onTerminal = sandbox.run(["run", "--bundle", tty, "tty"])
        #expect(onTerminal.code == 6)
        #expect(onTerminal.stdout.hasPrefix("/dev/pts/0"), "\(onTerminal.stdout)\(onTerminal.stderr)")
    }

    /// A command that is not in the rootfs fails `create`, as runc's does,
    /// with the reason in the engine's JSON log; nothing is left behind.
    @Test func createErrorsGoToTheJSONLog() throws {
        let sandbox = try Sandbox(importBusybox: false)
        let bundle = try makeBundle(sandbox, "bad", edit: Self.setArgs(["no-such-command"]))
        let log = bundle + "/log.json"
        let result = sandbox.run(["--log", log, "--log-format", "json", "create", "--bundle", bundle, "bad"])
        #expect(result.code == 1)
        #expect(result.stderr.contains("executable file not found in $PATH"))
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
        let last = try JSONSerialization.jsonObject(with: Data(try #require(lines.last).utf8)) as! [String: Any]
        #expect(last["level"] as? String == "error")
        #expect((last["msg"] as? String)?.contains("\"no-such-command\": executable file not found") == true)
        #expect(last["time"] is String)
        #expect(sandbox.run(["state", "bad"]).code == 1)
        #expect(!FileManager.default.fileExists(atPath: sandbox.root + "/bad"))
        #expect(!Sandbox.cgroupExists("bad"))

        let badVersion = try makeBundle(sandbox, "v2") { $0["ociVersion"] = "2.0.0" }
        let refused = sandbox.run(["create", "--bundle", badVersion, "v2"])
        #expect(refused.code == 1 && refused.stderr.contains("ociVersion 2.0.0 is not supported"))
        let notify = try makeBundle(sandbox, "notify") { config in
            var linux = config["linux"] as! [String: Any]
            linux["seccomp"] = ["defaultAction": "SCMP_ACT_NOTIFY", "architectures": ["SCMP_ARCH_X86_64"]]
            config["linux"] = linux
        }
        let notified = sandbox.run(["create", "--bundle", notify, "notify"])
        #expect(notified.code == 1 && notified.stderr.contains("SCMP_ACT_NOTIFY is not supported"))
        let rdt = try makeBundle(sandbox, "rdt") { config in
            var linux = config["linux"] as! [String: Any]
            linux["intelRdt"] = ["closID": "guaranteed", "l3CacheSchema": "L3:0=7f"]
            config["linux"] = linux
        }
        let rdtRefused = sandbox.run(["create", "--bundle", rdt, "rdt"])
        #expect(rdtRefused.code == 1 && rdtRefused.stderr.contains("linux.intelRdt: Intel RDT is not supported"), "\(rdtRefused.stderr)")
        #expect(sandbox.run(["state", "rdt"]).code == 1)
    }

    /// The config's own mounts with their options, a namespace joined by
    /// path, sysctls, the user, a read-only root, rlimits, the seccomp
    /// profile in OCI form, and the masked paths.
    @Test func theConfigIsHonouredField() throws {
        let sandbox = try Sandbox(importBusybox: false)
        let shared = sandbox.root + "/shared"
        try FileManager.default.createDirectory(atPath: shared, withIntermediateDirectories: true)
        try "host file\n".write(toFile: shared + "/note", atomically: true, encoding: .utf8)
        // A network namespace someone else made (as CNI does for a pod).
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        holder.arguments = ["unshare", "--net", "sleep", "1000"]
        try start(holder) {}
        defer {
            kill(holder.processIdentifier, SIGKILL)  // SIGTERM is blocked in the test's children
            holder.waitUntilExit()
        }
        let netns = "/proc/\(holder.processIdentifier)/ns/net"
        // unshare's child replaces it in place: wait until the namespace differs from ours.
        while (try? FileManager.default.destinationOfSymbolicLink(atPath: netns))
            == (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/net"))
        {
            sched_yield()
        }
        let expectedNetns = try FileManager.default.destinationOfSymbolicLink(atPath: netns)

        let script = """
            readlink /proc/self/ns/net; id -u; id -g; ulimit -n
            grep ' /scratch ' /proc/self/mounts | cut -d' ' -f3,4
            cat /data/note; touch /data/x 2>/dev/null && echo data-writable
            touch /x 2>/dev/null && echo root-writable
            cat /proc/sys/net/ipv4/ip_unprivileged_port_start
            wc -c < /proc/timer_list
            mkdir /scratch/d 2>&1 | grep -c 'not permitted'
            """
        let bundle = try makeBundle(sandbox, "fields") { config in
            var process = config["process"] as! [String: Any]
            process["args"] = ["sh", "-c", script]
            process["user"] = ["uid": 1000, "gid": 1000]
            process["rlimits"] = [["type": "RLIMIT_NOFILE", "hard": 321, "soft": 123]]
            config["process"] = process
            var mounts = config["mounts"] as! [[String: Any]]
            mounts.append(["destination": "/scratch", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "size=1m", "mode=1777"]])
            mounts.append(["destination": "/data", "type": "bind", "source": shared, "options": ["rbind", "ro", "rprivate"]])
            config["mounts"] = mounts
            var linux = config["linux"] as! [String: Any]
            var namespaces = linux["namespaces"] as! [[String: Any]]
            namespaces = namespaces.map { $0["type"] as? String == "network" ? ["type": "network", "path": netns] : $0 }
            linux["namespaces"] = namespaces
            linux["sysctl"] = ["net.ipv4.ip_unprivileged_port_start": "99"]
            linux["seccomp"] = [
                "defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
                "syscalls": [["names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1]]
            ]
            config["linux"] = linux
        }
        let result = sandbox.run(["run", "--bundle", bundle, "fields"])
        #expect(result.code == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.count >= 10, "\(result.stdout)\(result.stderr)")
        guard lines.count >= 10 else { return }
        #expect(lines[0] == expectedNetns)
        #expect(lines[1] == "1000" && lines[2] == "1000")
        #expect(lines[3] == "123")
        #expect(lines[4].hasPrefix("tmpfs rw,nosuid,"))
        #expect(lines[4].contains("size=1024k"))
        #expect(lines[5] == "host file")
        #expect(lines[6] == "99")  // the read-only root and /data printed nothing
        #expect(lines[7] == "0")
        #expect(lines[8] == "1")
        #expect(!FileManager.default.fileExists(atPath: shared + "/x"))
    }

    /// Walls a bundle cannot cross: a mount target behind a symlink in the
    /// rootfs that points at a host dir never reaches that dir, a cgroup
    /// mount without a cgroup namespace shows only the container's own
    /// cgroup, and a sysctl outside the container's namespaces is refused
    /// before anything is made.
    @Test func aBundleCannotReachTheHost() throws {
        let sandbox = try Sandbox(importBusybox: false)
        let host = sandbox.root + "/host-dir"
        try FileManager.default.createDirectory(atPath: host, withIntermediateDirectories: true)
        let bundle = try makeBundle(sandbox, "escape") { config in
            Self.setArgs(["sh", "-c", "touch /link/planted; grep -c ' /link ' /proc/self/mounts"])(&config)
            var root = config["root"] as! [String: Any]
            root["readonly"] = false
            config["root"] = root
            var mounts = config["mounts"] as! [[String: Any]]
            mounts.append(["destination": "/link", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]])
            config["mounts"] = mounts
        }
        try FileManager.default.createSymbolicLink(atPath: bundle + "/rootfs/link", withDestinationPath: host)
        // Resolved in the rootfs, the link names <rootfs><host-dir>, which is
        // not there: the mount is refused, and the host's dir never sees it.
        let result = sandbox.run(["run", "--bundle", bundle, "escape"])
        #expect(result.code == 1)
        #expect(result.stderr.contains("mount tmpfs /link: No such file or directory"), "\(result.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: host).isEmpty)
        #expect(!(try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)).contains(" \(host) "))

        // runc's default spec makes no cgroup namespace: /sys/fs/cgroup is
        // still the container's own cgroup, read-only, not the host's tree.
        let hostCgroupns = try makeBundle(sandbox, "host-cgroupns") { config in
            Self.setArgs(["sh", "-c", "mkdir /sys/fs/cgroup/sub 2>/dev/null && echo rw || echo ro; exec wc -l /sys/fs/cgroup/cgroup.procs"])(&config)
            var linux = config["linux"] as! [String: Any]
            linux["namespaces"] = (linux["namespaces"] as! [[String: Any]]).filter { $0["type"] as? String != "cgroup" }
            config["linux"] = linux
        }
        let own = sandbox.run(["run", "--bundle", hostCgroupns, "host-cgroupns"])
        #expect(own.code == 0 && own.stdout == "ro\n1 /sys/fs/cgroup/cgroup.procs\n", "\(own.stdout) \(own.stderr)")

        let sysctl = try makeBundle(sandbox, "sysctl") { config in
            var linux = config["linux"] as! [String: Any]
            linux["sysctl"] = ["kernel.core_pattern": "|/tmp/x"]
            config["linux"] = linux
        }
        let refused = sandbox.run(["create", "--bundle", sysctl, "sysctl"])
        #expect(refused.code == 1 && refused.stderr.contains("linux.sysctl kernel.core_pattern: not namespaced"))
        #expect(sandbox.run(["state", "sysctl"]).code == 1)
    }

    /// prestart and createRuntime hooks get the state on stdin at create,
    /// poststop at delete; a failing prestart hook fails create.
    @Test func hooksRunWithTheStateOnStdin() throws {
        let sandbox = try Sandbox(importBusybox: false)
        let out = sandbox.root + "/hooks"
        func hook(_ name: String) -> [String: Any] { ["path": "/bin/sh", "args": ["sh", "-c", "cat > \(out).\(name)"], "env": [ContainerDefaults.path]] }
        let bundle = try makeBundle(sandbox, "hooked") { config in
            Self.setArgs(["sleep", "1000"])(&config)
            config["hooks"] = ["prestart": [hook("prestart")], "createRuntime": [hook("createRuntime")], "poststop": [hook("poststop")]]
            config["annotations"] = ["org.example.owner": "test"]
        }
        let create = try self.create(sandbox, ["create", "--bundle", bundle, "hooked"])
        try #require(create.status == 0, "create failed: \(create.stderr)")
        for stage in ["prestart", "createRuntime"] {
            let state = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "." + stage))) as! [String: Any]
            #expect(state["id"] as? String == "hooked")
            #expect(state["status"] as? String == "creating")
            #expect((state["annotations"] as? [String: String])?["org.example.owner"] == "test")
        }
        #expect(sandbox.run(["delete", "--force", "hooked"]).code == 0)
        let stopped = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + ".poststop"))) as! [String: Any]
        #expect(stopped["status"] as? String == "stopped")
        #expect(create.output.readDataToEndOfFile().isEmpty)

        let failing = try makeBundle(sandbox, "failing") { config in
            Self.setArgs(["sleep", "1000"])(&config)
            config["hooks"] = ["prestart": [["path": "/bin/false"]]]
        }
        let result = sandbox.run(["create", "--bundle", failing, "failing"])
        #expect(result.code == 1 && result.stderr.contains("prestart hook /bin/false exited with status 1"))
        #expect(sandbox.run(["state", "failing"]).code == 1)
    }

    /// createContainer hooks run in the container's namespaces before
    /// pivot_root, with the runtime's paths; startContainer hooks after
    /// start, inside the container's root, before its process. Both read
    /// the state with pid 1, as runc gives it. A failing or slow one fails
    /// its stage with its status.
    @Test func containerHooksRunInsideTheContainer() throws {
        let sandbox = try Sandbox(importBusybox: false)
        let out = sandbox.root + "/hooks"
        let bundle = try makeBundle(sandbox, "inside") { config in
            Self.setArgs(["cat", "/started-state"])(&config)
            config["root"] = ["path": "rootfs", "readonly": false]
            config["hooks"] = [
                "prestart": [["path": "/bin/sh", "args": ["sh", "-c", "readlink /proc/self/ns/mnt > \(out).prestart-mnt"]]],
                // The first also tries to rewrite the state the second reads.
                "createContainer": [
                    [
                        "path": "/bin/sh",
                        "args": [
                            "sh", "-c",
                            "cat > \(out).created; readlink /proc/self/ns/mnt > \(out).created-mnt; { echo '{}' > /proc/self/fd/0; } 2>/dev/null; true"
                        ]
                    ],
                    ["path": "/bin/sh", "args": ["sh", "-c", "cat > \(out).second"]]
                ],
                "startContainer": [["path": "/bin/sh", "args": ["sh", "-c", "cat > /started-state"]]]
            ]
        }
        let create = try self.create(sandbox, ["create", "--bundle", bundle, "inside"])
        try #require(create.status == 0, "create failed: \(create.stderr)")
        let pid = try #require(try self.state(sandbox, "inside")["pid"] as? Int)
        let created = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + ".created"))) as! [String: Any]
        #expect(created["status"] as? String == "creating" && created["pid"] as? Int == 1 && created["id"] as? String == "inside")
        #expect(try Data(contentsOf: URL(fileURLWithPath: out + ".second")) == Data(contentsOf: URL(fileURLWithPath: out + ".created")))
        let containerMounts = try String(contentsOfFile: out + ".created-mnt", encoding: .utf8)
        #expect(containerMounts == (try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/mnt")) + "\n")
        #expect(try String(contentsOfFile: out + ".prestart-mnt", encoding: .utf8) != containerMounts)
        #expect(!FileManager.default.fileExists(atPath: bundle + "/rootfs/started-state"))

        #expect(sandbox.run(["start", "inside"]).code == 0)
        let started = try JSONSerialization.jsonObject(with: create.output.readDataToEndOfFile()) as? [String: Any]
        #expect(started?["status"] as? String == "created" && started?["pid"] as? Int == 1)
        #expect(waitForExit(of: pid_t(pid)))
        #expect(sandbox.run(["delete", "inside"]).code == 0)

        for (stage, script, timeout, status) in [("createContainer", "exit 3", 0, 3), ("createContainer", "sleep 100", 1, 137)] {
            let failing = try makeBundle(sandbox, "failing-\(status)") { config in
                config["hooks"] = [stage: [["path": "/bin/sh", "args": ["sh", "-c", script], "timeout": timeout]]]
            }
            let result = sandbox.run(["create", "--bundle", failing, "failing-\(status)"])
            #expect(result.code == 1 && result.stderr == "swiftrun: \(stage) hook /bin/sh exited with status \(status)\n", "\(result.stderr)")
            #expect(sandbox.run(["state", "failing-\(status)"]).code == 1)
            #expect(!Sandbox.cgroupExists("failing-\(status)"))
        }
        // After start, create has returned: the container says it on stderr.
        let late = try makeBundle(sandbox, "late") { config in
            config["hooks"] = ["startContainer": [["path": "/bin/sh", "args": ["sh", "-c", "exit 4"]]]]
        }
        let lateCreate = try self.create(sandbox, ["create", "--bundle", late, "late"])
        try #require(lateCreate.status == 0, "create failed: \(lateCreate.stderr)")
        let latePid = try #require(try self.state(sandbox, "late")["pid"] as? Int)
        #expect(sandbox.run(["start", "late"]).code == 0)
        #expect(waitForExit(of: pid_t(latePid)))
        #expect(sandbox.run(["delete", "late"]).code == 0)
        #expect(lateCreate.output.readDataToEndOfFile().isEmpty)
    }

    /// A new user namespace: root inside is an unprivileged uid of the
    /// host, the standard devices are the host's nodes bound in, exec joins
    /// the same namespace, and a network namespace of the host's joined by
    /// path still works (joined before clone3; /sys bound, not mounted).
    @Test func aUserNamespaceMapsRootToAnUnprivilegedUid() throws {
        let sandbox = try Sandbox(importBusybox: false)
        let script =
            "id -u; cat /proc/self/uid_map; echo x > /dev/null && echo null-ok; readlink /proc/self/ns/net; ls /sys/class/net | grep -c lo; "
            + "wc -l < /sys/fs/cgroup/cgroup.procs; exec sleep 1000"
        func mapped(_ name: String, network: String?) throws -> String {
            try makeBundle(sandbox, name) { config in
                Self.setArgs(["sh", "-c", script])(&config)
                var linux = config["linux"] as! [String: Any]
                var namespaces = (linux["namespaces"] as! [[String: Any]]).filter { $0["type"] as? String != "network" }
                namespaces.append(network.map { ["type": "network", "path": $0] } ?? ["type": "network"])
                namespaces.append(["type": "user"])
                linux["namespaces"] = namespaces
                linux["uidMappings"] = [["containerID": 0, "hostID": 200000, "size": 65536]]
                linux["gidMappings"] = [["containerID": 0, "hostID": 200000, "size": 65536]]
                config["linux"] = linux
            }
        }
        let hostNet = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/net")
        // The namespace's root is uid 200000 on the host: it must be able
        // to reach its bundle (mkdtemp made the sandbox 0700), as with runc.
        #expect(chmod(sandbox.root, 0o711) == 0)
        for (id, network) in [("userns", nil), ("userns-hostnet", "/proc/\(getpid())/ns/net")] {
            let bundle = try mapped(id, network: network)
            let create = try self.create(sandbox, ["create", "--bundle", bundle, id])
            try #require(create.status == 0, "create failed: \(create.stderr)")
            let pid = try #require(try self.state(sandbox, id)["pid"] as? Int)
            let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
            #expect(status.contains("\nUid:\t200000\t200000\t200000\t200000\n"), "\(status)")
            #expect(sandbox.run(["start", id]).code == 0)
            var output = Data()
            while output.filter({ $0 == UInt8(ascii: "\n") }).count < 6 {
                let chunk = create.output.availableData
                if chunk.isEmpty { break }
                output.append(chunk)
            }
            let lines = String(decoding: output, as: UTF8.self).split(separator: "\n").map(String.init)
            #expect(lines.count == 6 && lines[0] == "0" && lines[2] == "null-ok" && lines[4] == "1", "\(lines)")
            #expect(lines.count > 1 && lines[1].split(separator: " ", omittingEmptySubsequences: true) == ["0", "200000", "65536"])
            #expect(lines.count > 3 && (lines[3] == hostNet) == (network != nil))
            // /sys/fs/cgroup is the container's own cgroup (mounted, or
            // bound where the kernel refuses the mount), never the host's tree.
            #expect(lines.count > 5 && (Int(lines[5]) ?? 99) <= 3, "cgroup.procs lists \(lines.count > 5 ? lines[5] : "?") processes")
            let exec = sandbox.run(["exec", id, "sh", "-c", "id -u; cat /proc/self/uid_map"])
            #expect(exec.code == 0 && exec.stdout.hasPrefix("0\n") && exec.stdout.contains("200000"), "\(exec.stderr)")
            #expect(sandbox.run(["delete", "--force", id]).code == 0)
            #expect(waitForExit(of: pid_t(pid)))
            #expect(!Sandbox.cgroupExists(id))
        }
        let joined = try makeBundle(sandbox, "userns-joined") { config in
            var linux = config["linux"] as! [String: Any]
            linux["namespaces"] = (linux["namespaces"] as! [[String: Any]]) + [["type": "user", "path": "/proc/1/ns/user"]]
            config["linux"] = linux
        }
        let refused = sandbox.run(["create", "--bundle", joined, "userns-joined"])
        #expect(refused.code == 1 && refused.stderr.contains("joining a user namespace by path is not supported"))

        // A device is the host's node bound in: one whose numbers are not
        // the node's at that path (/dev/mem's at /dev/kmsg) is refused.
        let swapped = try makeBundle(sandbox, "userns-device") { config in
            var linux = config["linux"] as! [String: Any]
            linux["namespaces"] = (linux["namespaces"] as! [[String: Any]]) + [["type": "user"]]
            linux["uidMappings"] = [["containerID": 0, "hostID": 200000, "size": 65536]]
            linux["gidMappings"] = [["containerID": 0, "hostID": 200000, "size": 65536]]
            linux["devices"] = [["path": "/dev/kmsg", "type": "c", "major": 1, "minor": 1]]
            config["linux"] = linux
            Self.setArgs(["true"])(&config)
        }
        let device = try self.create(sandbox, ["create", "--bundle", swapped, "userns-device"])
        #expect(device.status == 1 && device.stderr.contains("/dev/kmsg: No such device"), "\(device.stderr)")
        if device.status == 0 { _ = sandbox.run(["delete", "--force", "userns-device"]) }
        #expect(sandbox.run(["state", "userns-device"]).code == 1)
    }

    /// --systemd-cgroup where systemd is init (`make vm-test` boots it for
    /// this test): a transient scope unit in the bundle's slice holds pid 1,
    /// the limits are written in its cgroup, and `delete` stops the unit.
    @Test(.enabled(if: SystemdScope.isRunning)) func aSystemdScopeHoldsTheContainer() throws {
        let sandbox = try Sandbox(importBusybox: false)
        let name = "scoped\(getpid())"
        let unit = "swiftrun-test-" + name + ".scope"
        let bundle = try makeBundle(sandbox, name) { config in
            Self.setArgs(["sleep", "1000"])(&config)
            var linux = config["linux"] as! [String: Any]
            linux["cgroupsPath"] = "swiftrun-test.slice:swiftrun-test:" + name
            linux["resources"] = ["pids": ["limit": 42]]
            config["linux"] = linux
        }
        let create = try self.create(sandbox, ["--systemd-cgroup", "create", "--bundle", bundle, name])
        try #require(create.status == 0, "create failed: \(create.stderr)")
        let pid = try #require(try self.state(sandbox, name)["pid"] as? Int)
        let cgroup = try String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8)
        // systemd nests "swiftrun-test.slice" in "swiftrun.slice".
        let path = "swiftrun.slice/swiftrun-test.slice/" + unit
        #expect(cgroup.contains("0::/\(path)\n"), "\(cgroup)")
        #expect(FileManager.default.fileExists(atPath: "/run/systemd/transient/" + unit))
        let mode = CgroupMode.host
        let dir = (mode.unified ?? "") + "/" + path
        #expect(try String(contentsOfFile: (mode.isPureV2 ? dir : mode.v1["pids"]! + "/" + path) + "/pids.max", encoding: .utf8) == "42\n")
        #expect(sandbox.run(["start", name]).code == 0)
        #expect(sandbox.run(["delete", "--force", name]).code == 0)
        #expect(waitForExit(of: pid_t(pid)))
        #expect(!FileManager.default.fileExists(atPath: dir))
        #expect(!FileManager.default.fileExists(atPath: "/run/systemd/transient/" + unit))

        let bad = try makeBundle(sandbox, "badslice") { config in
            var linux = config["linux"] as! [String: Any]
            linux["cgroupsPath"] = "/not/a/slice"
            config["linux"] = linux
        }
        let refused = sandbox.run(["--systemd-cgroup", "create", "--bundle", bad, "badslice"])
        #expect(refused.code == 1 && refused.stderr.contains("--systemd-cgroup takes slice:prefix:name"), "\(refused.stderr)")
    }

    /// Without systemd, --systemd-cgroup says so and names the way out.
    @Test(.enabled(if: !SystemdScope.isRunning)) func systemdCgroupNeedsSystemd() throws {
        let sandbox = try Sandbox(importBusybox: false)
        let bundle = try makeBundle(sandbox, "nosystemd", edit: Self.setArgs(["true"]))
        let refused = sandbox.run(["--systemd-cgroup", "create", "--bundle", bundle, "nosystemd"])
        #expect(refused.code == 1 && refused.stderr.contains("systemd is not running on this host"), "\(refused.stderr)")
        #expect(sandbox.run(["state", "nosystemd"]).code == 1)
    }

    /// runc's command line is told from Docker's by what comes before the
    /// container's command only: a command whose own flags are runc's
    /// (`-b`, `--process`) still runs as Docker's, and `oci` forces runc's.
    @Test func dockersCommandLineIsNotMistakenForRuncs() throws {
        let sandbox = try Sandbox()
        let run = sandbox.run(["run", "--rm", "busybox", "echo", "-b", "--bundle", "x"])
        #expect(run.code == 0 && run.stdout == "-b --bundle x\n", "\(run.stderr)")
        #expect(sandbox.run(["run", "-d", "--name", "quiet", "busybox", "sleep", "1000"]).code == 0)
        let exec = sandbox.run(["exec", "quiet", "echo", "--process", "p"])
        #expect(exec.code == 0 && exec.stdout == "--process p\n", "\(exec.stderr)")
        let list = sandbox.run(["oci", "list", "-q"])
        #expect(list.code == 0 && list.stdout == "")
    }

    /// A kill -9 of `create` while it runs a hook (the child waits for it
    /// before pivot_root) takes the child with it, and leaves a state that
    /// `delete --force` finishes: its cgroups and its state go.
    @Test func deleteFinishesACreateKilledMidway() throws {
        let sandbox = try Sandbox(importBusybox: false)
        let signal = sandbox.root + "/hook.fifo"
        let release = sandbox.root + "/release.fifo"
        #expect(mkfifo(signal, 0o600) == 0 && mkfifo(release, 0o600) == 0)
        let bundle = try makeBundle(sandbox, "killed") { config in
            Self.setArgs(["sleep", "1000"])(&config)
            let script = "cat > \(signal).state; echo in-hook > \(signal); read x < \(release)"
            config["hooks"] = ["createRuntime": [["path": "/bin/sh", "args": ["sh", "-c", script], "env": [ContainerDefaults.path]]]]
        }
        let create = sandbox.start(["create", "--bundle", bundle, "killed"])
        let hook = try #require(FileHandle(forReadingAtPath: signal))
        #expect(String(decoding: hook.readDataToEndOfFile(), as: UTF8.self) == "in-hook\n")
        let hookState = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: signal + ".state"))) as! [String: Any]
        #expect(hookState["status"] as? String == "creating")
        let pid = try #require(hookState["pid"] as? Int)
        #expect(try self.state(sandbox, "killed")["status"] as? String == "creating")
        create.signal(SIGKILL)
        #expect(waitForExit(of: pid_t(pid)))
        #expect(try self.state(sandbox, "killed")["status"] as? String == "stopped")
        #expect(sandbox.run(["delete", "--force", "killed"]).code == 0)
        #expect(sandbox.run(["state", "killed"]).code == 1)
        #expect(!Sandbox.cgroupExists("killed"))
        try Data("done\n".utf8).write(to: URL(fileURLWithPath: release))  // the orphaned hook ends
        #expect(create.waitForSwiftrun() == 137)
    }

    /// `spec` refuses to overwrite; `features` is JSON that names what
    /// this runtime does.
    @Test func specAndFeatures() throws {
        let sandbox = try Sandbox(importBusybox: false)
        let bundle = try makeBundle(sandbox, "spec") { _ in }
        let again = sandbox.run(["spec", "--bundle", bundle])
        #expect(again.code == 1 && again.stderr.contains("exists"))
        let features = sandbox.run(["features"])
        #expect(features.code == 0)
        let document = try JSONSerialization.jsonObject(with: Data(features.stdout.utf8)) as! [String: Any]
        #expect(document["ociVersionMax"] as? String == RuntimeSpec.specVersion)
        let linux = try #require(document["linux"] as? [String: Any])
        #expect((linux["namespaces"] as? [String])?.contains("network") == true)
        #expect(((linux["seccomp"] as? [String: Any])?["actions"] as? [String])?.contains("SCMP_ACT_ERRNO") == true)
    }
}

/// Real engines with swiftrun as their OCI runtime, as a user registers it.
@Suite struct EngineTests {
    /// podman 4.3 through conmon: `run` (exit codes, a missing command),
    /// `run -d`, `exec`, `-t` (the pty over --console-socket), `stop` and
    /// `rm`. podman's state, swiftrun's state root and the cgroup parent
    /// are the test's own, and its network is none: nothing of the host's
    /// is touched.
    @Test func podmanRunsContainersThroughSwiftrun() throws {
        let sandbox = try Sandbox(importBusybox: false)
        let work = sandbox.root
        let parent = "swiftrun-podman-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { ContainerCgroup.remove(path: parent) }
        try """
        [containers]
        default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
        [engine]
        cgroup_manager = "cgroupfs"
        events_logger = "none"
        runtime = "swiftrun"
        runtime_supports_json = ["swiftrun"]
        [engine.runtimes]
        swiftrun = ["\(Sandbox.binary)"]
        """.write(toFile: work + "/containers.conf", atomically: true, encoding: .utf8)
        let environment = ["CONTAINERS_CONF": work + "/containers.conf"]
        func podman(_ arguments: [String]) throws -> Spawned {
            try Spawned.run(
                ["/usr/bin/podman", "--root", work + "/storage", "--runroot", work + "/run", "--storage-driver", "vfs"] + arguments,
                directory: work, environment: environment)
        }
        func output(_ arguments: [String]) throws -> String {
            let result = try podman(arguments)
            try #require(result.status == 0, "podman \(arguments.joined(separator: " ")) failed: \(result.stderr)")
            return String(decoding: result.output.readDataToEndOfFile(), as: UTF8.self)
        }
        // swiftrun's default state root: podman's cleanup process (conmon's
        // exit command) does not pass --runtime-flag on, so a root given
        // that way would miss its `delete`. Engines' ids are unique.
        let run = ["run", "--network", "none", "--cgroup-parent", "/" + parent]
        _ = try output(["import", "-q", Sandbox.sample, "localhost/busybox"])

        #expect(try output(run + ["--rm", "localhost/busybox", "echo", "hello"]) == "hello\n")
        #expect(try podman(run + ["--rm", "localhost/busybox", "sh", "-c", "exit 7"]).status == 7)
        let missing = try podman(run + ["--rm", "localhost/busybox", "no-such-command"])
        #expect(missing.status == 127)
        #expect(missing.stderr.contains("executable file not found"))
        #expect(try output(run + ["--rm", "-t", "localhost/busybox", "tty"]).hasPrefix("/dev/pts/0"))
        // --uidmap: a user namespace, root inside is uid 300000 outside
        // (who must reach the storage under the 0700 sandbox).
        #expect(chmod(work, 0o711) == 0)
        let mapped = try output(run + ["--rm", "--uidmap", "0:300000:65536", "--gidmap", "0:300000:65536", "localhost/busybox", "cat", "/proc/self/uid_map"])
        #expect(
            mapped.split(separator: " ", omittingEmptySubsequences: true).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } == ["0", "300000", "65536"]
        )

        let name = "svc-\(getpid())"
        let id = try output(run + ["-d", "--name", name, "localhost/busybox", "sleep", "1000"]).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(FileManager.default.fileExists(atPath: RuntimeStateRoot.defaultPath + "/" + id + "/state.json"))
        #expect(try output(["exec", name, "cat", "/proc/1/comm"]) == "sleep\n")
        #expect(try podman(["exec", name, "sh", "-c", "exit 4"]).status == 4)
        #expect(try output(["ps", "--format", "{{.Names}} {{.Status}}"]).hasPrefix(name + " Up"))
        _ = try output(["rm", "-f", "-t", "0", name])
        #expect(try output(["ps", "-a", "-q"]) == "")
        #expect(!FileManager.default.fileExists(atPath: RuntimeStateRoot.defaultPath + "/" + id))
    }
}

extension EngineTests {
    /// containerd 1.6 with its runc shim (containerd-shim-runc-v2), told
    /// to use swiftrun as the runc binary: the path Kubernetes takes through
    /// a RuntimeClass. The shim sends runc's global flags (--root, --log,
    /// --log-format json) and reads errors from the JSON log.
    @Test func containerdRunsTasksThroughSwiftrun() throws {
        let sandbox = try Sandbox()
        let work = sandbox.root
        #expect(sandbox.run(["save", "-o", work + "/busybox.tar", "busybox"]).code == 0)
        try """
        version = 2
        root = "\(work)/containerd"
        state = "\(work)/containerd-state"
        disabled_plugins = ["io.containerd.grpc.v1.cri"]
        [grpc]
          address = "\(work)/containerd.sock"
        [ttrpc]
          address = "\(work)/containerd.sock.ttrpc"
        """.write(toFile: work + "/containerd.toml", atomically: true, encoding: .utf8)
        let daemon = try EngineDaemon(
            ["/usr/bin/containerd", "--config", work + "/containerd.toml"], log: work + "/containerd.log", readyWhen: "containerd successfully booted")
        defer { daemon.stop() }
        // The shim keeps runc's state under /run/containerd/runc/<namespace>,
        // and puts the namespace's containers under the cgroup /<namespace>.
        let namespace = "swiftrun-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer {
            rmdir("/run/containerd/runc/" + namespace)
            ContainerCgroup.remove(path: namespace)
        }
        func ctr(_ arguments: [String]) throws -> Spawned {
            try Spawned.run(["/usr/bin/ctr", "-a", work + "/containerd.sock", "-n", namespace] + arguments, directory: work)
        }
        func output(_ arguments: [String]) throws -> String {
            let result = try ctr(arguments)
            try #require(result.status == 0, "ctr \(arguments.joined(separator: " ")) failed: \(result.stderr)")
            return String(decoding: result.output.readDataToEndOfFile(), as: UTF8.self)
        }
        _ = try output(["image", "import", work + "/busybox.tar"])
        let image = "docker.io/library/busybox:latest"
        let run = ["run", "--runc-binary", Sandbox.binary]

        let once = try ctr(run + ["--rm", image, "once", "sh", "-c", "echo hello; exit 3"])
        #expect(once.status == 3)
        #expect(String(decoding: once.output.readDataToEndOfFile(), as: UTF8.self) == "hello\n")
        let missing = try ctr(run + ["--rm", image, "missing", "no-such-command"])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("executable file not found"), "\(missing.stderr)")

        _ = try output(run + ["-d", image, "svc", "sleep", "1000"])
        #expect(try output(["task", "ls"]).contains("RUNNING"))
        let exec = try ctr(["task", "exec", "--exec-id", "probe", "svc", "sh", "-c", "cat /proc/1/comm; exit 2"])
        #expect(exec.status == 2)
        #expect(String(decoding: exec.output.readDataToEndOfFile(), as: UTF8.self) == "sleep\n")
        _ = try output(["task", "rm", "-f", "svc"])
        _ = try output(["container", "rm", "svc"])
        #expect(try output(["task", "ls", "-q"]) == "")
        let left = (try? FileManager.default.contentsOfDirectory(atPath: "/run/containerd/runc/" + namespace)) ?? []
        #expect(left.isEmpty, "swiftrun state left: \(left)")
    }

    /// dockerd 20.10 with swiftrun added as a runtime (`--add-runtime`):
    /// run, exit codes, a missing command, -d, exec, pause and rm. Docker
    /// runs privately: its own data root, exec root and socket, no bridge
    /// and no iptables rules.
    @Test func dockerdRunsContainersThroughSwiftrun() throws {
        let sandbox = try Sandbox()
        let work = sandbox.root
        #expect(sandbox.run(["save", "-o", work + "/busybox.tar", "busybox"]).code == 0)
        let socket = work + "/docker.sock"
        // Docker's containers go under this cgroup parent, not the host's /docker.
        let parent = "swiftrun-docker-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { ContainerCgroup.remove(path: parent) }
        let daemon = try EngineDaemon(
            [
                "/usr/sbin/dockerd", "--data-root", work + "/docker", "--exec-root", work + "/exec", "--pidfile", work + "/docker.pid",
                "-H", "unix://" + socket, "--storage-driver", "vfs", "--iptables=false", "--bridge=none", "--cgroup-parent", "/" + parent,
                "--add-runtime", "swiftrun=" + Sandbox.binary
            ], log: work + "/dockerd.log", readyWhen: "API listen on")
        defer { daemon.stop() }
        func docker(_ arguments: [String]) throws -> Spawned {
            try Spawned.run(["/usr/bin/docker", "-H", "unix://" + socket] + arguments, directory: work)
        }
        func output(_ arguments: [String]) throws -> String {
            let result = try docker(arguments)
            try #require(result.status == 0, "docker \(arguments.joined(separator: " ")) failed: \(result.stderr)")
            return String(decoding: result.output.readDataToEndOfFile(), as: UTF8.self)
        }
        _ = try output(["load", "-i", work + "/busybox.tar"])
        let run = ["run", "--runtime", "swiftrun", "--network", "none"]

        let once = try docker(run + ["--rm", "busybox", "sh", "-c", "echo hello; exit 3"])
        #expect(once.status == 3)
        #expect(String(decoding: once.output.readDataToEndOfFile(), as: UTF8.self) == "hello\n")
        let missing = try docker(run + ["--rm", "busybox", "no-such-command"])
        #expect(missing.status == 127)
        #expect(missing.stderr.contains("executable file not found"), "\(missing.stderr)")

        _ = try output(run + ["-d", "--name", "svc", "busybox", "sleep", "1000"])
        #expect(try output(["exec", "svc", "cat", "/proc/1/comm"]) == "sleep\n")
        #expect(try docker(["exec", "svc", "sh", "-c", "exit 5"]).status == 5)
        _ = try output(["pause", "svc"])
        #expect(try output(["ps", "--format", "{{.Status}}"]).contains("(Paused)"))
        _ = try output(["unpause", "svc"])
        #expect(try output(["exec", "svc", "echo", "thawed"]) == "thawed\n")
        _ = try output(["rm", "-f", "svc"])
        #expect(try output(["ps", "-a", "-q"]) == "")
        #expect(ContainerCgroup.processes(path: parent).isEmpty)
    }
}
