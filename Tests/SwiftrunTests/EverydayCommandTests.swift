import Foundation
import Testing

/// The commands a Docker user types every day beyond run: version, the
/// prunes and system df, each in Docker's words and shapes (issue 16).
@Suite struct EverydayCommandTests {
    let sandbox: Sandbox

    init() throws { sandbox = try Sandbox() }

    @Test func versionNamesTheBinaryTheAPIAndTheSpec() {
        let short = sandbox.run(["--version"])
        #expect(short.code == 0)
        #expect(short.stdout.hasPrefix("swiftrun version 0.") && short.stdout.hasSuffix(", runtime-spec 1.2.0\n"), "\(short.stdout)")
        let long = sandbox.run(["version"])
        #expect(long.code == 0)
        for line in ["Client: swiftrun", " API version:       1.41", " OCI runtime spec:  1.2.0", " OS/Arch:           linux/"] {
            #expect(long.stdout.contains(line), "\(long.stdout)")
        }
        #expect(long.stdout.contains(" libseccomp:        2."), "\(long.stdout)")
    }

    /// docker inspect -f: the template over each object, a line each; a
    /// bad template is one line on stderr and exit 1, before any lookup.
    @Test func inspectFormatsEachObjectWithAGoTemplate() {
        #expect(sandbox.run(["create", "--name", "c1", "--label", "tier=web", "busybox", "true"]).code == 0)
        let both = sandbox.run(["inspect", "-f", "{{.Name}} {{.State.Status}} {{index .Config.Labels \"tier\"}} {{json .Config.Cmd}}", "c1", "c1"])
        #expect(both.code == 0 && both.stdout == "/c1 created web [\"true\"]\n/c1 created web [\"true\"]\n", "\(both.stdout)\(both.stderr)")
        let image = sandbox.run(["image", "inspect", "--format", "{{.Os}}/{{.Architecture}}", "busybox"])
        #expect(image.stdout == "linux/amd64\n", "\(image.stderr)")
        #expect(sandbox.run(["volume", "create", "v1"]).code == 0)
        #expect(sandbox.run(["volume", "inspect", "-f", "{{.Name}} {{.Driver}}", "v1"]).stdout == "v1 local\n")
        let bad = sandbox.run(["inspect", "-f", "{{.Name", "nosuch"])
        #expect(bad.code == 1 && bad.stdout.isEmpty)
        #expect(bad.stderr == "swiftrun: template parsing error: template: :1: unclosed action\n")
        // A key no document has: an error line for each, exit 1, and the empty line Docker's CLI flushes.
        let missing = sandbox.run(["inspect", "-f", "{{.Nope}}", "c1", "busybox"])
        let line = "swiftrun: template parsing error: template: :1:2: executing \"\" at <.Nope>: map has no entry for key \"Nope\"\n"
        #expect(missing.code == 1 && missing.stdout == "\n" && missing.stderr == line + line, "\(missing.stdout)\(missing.stderr)")
        // A field Docker's struct has and its JSON omits when empty is its zero value.
        #expect(sandbox.run(["inspect", "-f", "{{.Config.ExposedPorts}}|{{.State.Health}}", "c1"]).stdout == "map[]|<nil>\n")
    }

    /// docker inspect of several objects, some missing: the ones found are
    /// shown, each missing one is an error line, and the exit code is 1.
    @Test func inspectShowsWhatItFindsAndNamesWhatItDoesNot() {
        #expect(sandbox.run(["create", "--name", "c1", "busybox", "true"]).code == 0)
        let some = sandbox.run(["inspect", "-f", "{{.Name}}", "nosuch", "c1", "gone"])
        #expect(some.code == 1)
        #expect(some.stdout == "/c1\n", "\(some.stdout)")
        #expect(some.stderr == "swiftrun: no such object: nosuch\nswiftrun: no such object: gone\n", "\(some.stderr)")
        let none = sandbox.run(["inspect", "nosuch"])
        #expect(none.code == 1 && none.stdout == "[]\n", "\(none.stdout)")
    }

    /// Every field of Docker 20.10's inspect documents is there (the key
    /// lists are what its `docker inspect` printed), so a template or a
    /// client that reads one finds it; the HostConfig ones say what the
    /// flags asked for, read back from the container's spec.
    @Test func inspectHasEveryFieldOfDockersDocuments() throws {
        #expect(sandbox.run(["volume", "create", "v1"]).code == 0)
        let flags = [
            "-m", "64m", "--cpus", "1.5", "--pids-limit", "50", "--cap-add", "NET_ADMIN", "--cap-drop", "CHOWN", "--read-only",
            "--cpu-shares", "512", "--memory-reservation", "32m", "-v", "v1:/data", "-v", "/tmp:/host:ro", "--ulimit", "nofile=100:200",
            "--init", "--security-opt", "no-new-privileges"
        ]
        #expect(sandbox.run(["create", "--name", "limited"] + flags + ["busybox", "true"]).code == 0)
        #expect(sandbox.run(["create", "--name", "privileged", "--privileged", "busybox", "true"]).code == 0)
        func document(_ arguments: [String]) throws -> [String: Any] {
            let result = sandbox.run(arguments)
            let list = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]]
            return try #require(list?.first, "\(result.stderr)")
        }
        func keys(_ object: Any?) -> Set<String> { Set((object as? [String: Any])?.keys.map { $0 } ?? []) }
        let limited = try document(["inspect", "limited"])
        let docker: [(String, Set<String>, Set<String>)] = [
            (
                "container", keys(limited),
                [
                    "AppArmorProfile", "Args", "Config", "Created", "Driver", "ExecIDs", "GraphDriver", "HostConfig", "HostnamePath",
                    "HostsPath", "Id", "Image", "LogPath", "MountLabel", "Mounts", "Name", "NetworkSettings", "Path", "Platform",
                    "ProcessLabel", "ResolvConfPath", "RestartCount", "State"
                ]
            ),
            (
                "State", keys(limited["State"]),
                ["Dead", "Error", "ExitCode", "FinishedAt", "OOMKilled", "Paused", "Pid", "Restarting", "Running", "StartedAt", "Status"]
            ),
            (
                "HostConfig", keys(limited["HostConfig"]),
                [
                    "AutoRemove", "Binds", "BlkioDeviceReadBps", "BlkioDeviceReadIOps", "BlkioDeviceWriteBps", "BlkioDeviceWriteIOps",
                    "BlkioWeight", "BlkioWeightDevice", "CapAdd", "CapDrop", "Cgroup", "CgroupParent", "CgroupnsMode", "ConsoleSize",
                    "ContainerIDFile", "CpuCount", "CpuPercent", "CpuPeriod", "CpuQuota", "CpuRealtimePeriod", "CpuRealtimeRuntime",
                    "CpuShares", "CpusetCpus", "CpusetMems", "DeviceCgroupRules", "DeviceRequests", "Devices", "Dns", "DnsOptions",
                    "DnsSearch", "ExtraHosts", "GroupAdd", "IOMaximumBandwidth", "IOMaximumIOps", "IpcMode", "Isolation", "KernelMemory",
                    "KernelMemoryTCP", "Links", "LogConfig", "MaskedPaths", "Memory", "MemoryReservation", "MemorySwap",
                    "MemorySwappiness", "NanoCpus", "NetworkMode", "OomKillDisable", "OomScoreAdj", "PidMode", "PidsLimit",
                    "PortBindings", "Privileged", "PublishAllPorts", "ReadonlyPaths", "ReadonlyRootfs", "RestartPolicy", "Runtime",
                    "SecurityOpt", "ShmSize", "UTSMode", "Ulimits", "UsernsMode", "VolumeDriver", "VolumesFrom"
                ]
            ),
            (
                "NetworkSettings", keys(limited["NetworkSettings"]),
                [
                    "Bridge", "EndpointID", "Gateway", "GlobalIPv6Address", "GlobalIPv6PrefixLen", "HairpinMode", "IPAddress",
                    "IPPrefixLen", "IPv6Gateway", "LinkLocalIPv6Address", "LinkLocalIPv6PrefixLen", "MacAddress", "Networks", "Ports",
                    "SandboxID", "SandboxKey", "SecondaryIPAddresses", "SecondaryIPv6Addresses"
                ]
            ),
            (
                "Config", keys(limited["Config"]),
                [
                    "AttachStderr", "AttachStdin", "AttachStdout", "Cmd", "Domainname", "Entrypoint", "Env", "Hostname", "Image",
                    "Labels", "OnBuild", "OpenStdin", "StdinOnce", "Tty", "User", "Volumes", "WorkingDir"
                ]
            ),
            (
                "image", keys(try document(["image", "inspect", "busybox"])),
                [
                    "Architecture", "Author", "Comment", "Config", "Container", "ContainerConfig", "Created", "DockerVersion",
                    "GraphDriver", "Id", "Metadata", "Os", "Parent", "RepoDigests", "RepoTags", "RootFS", "Size", "VirtualSize"
                ]
            ),
            (
                "network", keys(try document(["network", "inspect", "none"])),
                [
                    "Attachable", "ConfigFrom", "ConfigOnly", "Containers", "Created", "Driver", "EnableIPv6", "IPAM", "Id", "Ingress",
                    "Internal", "Labels", "Name", "Options", "Scope"
                ]
            )
        ]
        for (what, ours, theirs) in docker {
            #expect(theirs.subtracting(ours).isEmpty, "\(what) lacks \(theirs.subtracting(ours).sorted())")
        }
        let endpoint = ((limited["NetworkSettings"] as? [String: Any])?["Networks"] as? [String: Any])?["bridge"]
        #expect(keys(endpoint).isSuperset(of: ["Aliases", "DriverOpts", "EndpointID", "IPAMConfig", "Links", "NetworkID"]), "\(limited)")
        // Each value as docker 20.10 showed it for the same flags: MemorySwap is twice --memory, the default.
        let host = try #require(limited["HostConfig"] as? [String: Any])
        #expect(host["Memory"] as? Int == 64 << 20 && host["MemoryReservation"] as? Int == 32 << 20 && host["MemorySwap"] as? Int == 128 << 20)
        #expect(host["NanoCpus"] as? Int == 1_500_000_000 && host["CpuShares"] as? Int == 512 && host["PidsLimit"] as? Int == 50)
        #expect(host["CapAdd"] as? [String] == ["NET_ADMIN"] && host["CapDrop"] as? [String] == ["CHOWN"])
        #expect(host["ReadonlyRootfs"] as? Bool == true && host["Privileged"] as? Bool == false && host["Init"] as? Bool == true)
        #expect(host["Binds"] as? [String] == ["v1:/data", "/tmp:/host:ro"] && host["SecurityOpt"] as? [String] == ["no-new-privileges"])
        #expect((host["Ulimits"] as? [[String: Any]])?.first?["Name"] as? String == "nofile")
        #expect((host["MaskedPaths"] as? [String])?.contains("/proc/kcore") == true && host["ExtraHosts"] is NSNull)
        let privileged = try #require(try document(["inspect", "privileged"])["HostConfig"] as? [String: Any])
        #expect(privileged["Privileged"] as? Bool == true && privileged["MaskedPaths"] is NSNull && privileged["CapAdd"] is NSNull)
        #expect(privileged["SecurityOpt"] as? [String] == ["label=disable"] && privileged["PidsLimit"] is NSNull)
        // A template reads them as Docker's reads its own: a nil slice prints as [].
        let fields = sandbox.run(["inspect", "-f", "{{.HostConfig.Memory}} {{.HostConfig.Privileged}} {{.State.Error}}|{{.ExecIDs}}", "limited"])
        #expect(fields.stdout == "67108864 false |[]\n", "\(fields.stdout)\(fields.stderr)")
        // --size adds the sizes, which are left out (Go's nil) without it.
        let sizes = sandbox.run(["inspect", "--size", "-f", "{{.SizeRw}} {{.SizeRootFs}}", "limited"]).stdout.split(separator: " ")
        #expect(sizes.first == "0" && (Int(sizes.last?.dropLast() ?? "") ?? 0) > 1_000_000, "\(sizes)")
        #expect(sandbox.run(["inspect", "-f", "{{.SizeRw}}", "limited"]).stdout == "<nil>\n")
    }

    /// The lists' --format as Docker's formatter reads it: a bare template
    /// a line per object, "table TEMPLATE" a header and columns aligned by
    /// tabwriter's rules (at least 10 wide, 3 apart), as is the default
    /// table. Each expected text is what docker 20.10 printed.
    @Test func listsTakeDockersTemplatesAndTables() {
        #expect(sandbox.run(["create", "--name", "c1", "busybox", "true"]).code == 0)
        #expect(sandbox.run(["volume", "create", "v1"]).code == 0)
        #expect(sandbox.run(["images", "--format", "{{.Repository}}:{{.Tag}}"]).stdout == "busybox:latest\n")
        #expect(sandbox.run(["images", "--format", "table {{.Repository}}\\t{{.Tag}}"]).stdout == "REPOSITORY   TAG\nbusybox      latest\n")
        #expect(sandbox.run(["images"]).stdout.hasPrefix("REPOSITORY   TAG       IMAGE ID       CREATED"))
        #expect(sandbox.run(["ps", "-a", "--format", "table {{.Names}}\\t{{.Status}}"]).stdout == "NAMES     STATUS\nc1        Created\n")
        // Go's time.String(), as Docker's CLI prints .CreatedAt.
        let created = sandbox.run(["ps", "-a", "--format", "{{.CreatedAt}}"]).stdout
        #expect(created.count == 30 && created.hasSuffix(" +0000 UTC\n") && created.dropFirst(10).hasPrefix(" "), "\(created)")
        // A template that shows .Size measures it, -s or not, as Docker's CLI does; {{json .}} shows it too.
        let sized = sandbox.run(["ps", "-a", "--format", "{{.Names}} {{.Size}}"]).stdout
        #expect(sized.hasPrefix("c1 0B (virtual ") && sized.hasSuffix("MB)\n"), "\(sized)")
        let whole = sandbox.run(["ps", "-a", "--format", "{{json .}}"]).stdout
        #expect(whole.contains("\"Size\":\"0B (virtual ") && whole.contains("\"LocalVolumes\":\"0\""), "\(whole)")
        #expect(sandbox.run(["ps", "-a", "-s"]).stdout.hasPrefix("CONTAINER ID   IMAGE     COMMAND   CREATED"))
        #expect(sandbox.run(["volume", "ls"]).stdout == "DRIVER    VOLUME NAME\nlocal     v1\n")
        #expect(sandbox.run(["volume", "ls", "--format", "{{.Name}} {{.Driver}}"]).stdout == "v1 local\n")
        let networks = sandbox.run(["network", "ls", "--format", "table {{.Name}}\\t{{.Driver}}"]).stdout
        #expect(networks.hasPrefix("NAME      DRIVER\n") && networks.contains("\nhost      host\n") && networks.hasSuffix("\nnone      null\n"), "\(networks)")
        let bad = sandbox.run(["images", "--format", "{{.Repository"])
        #expect(bad.code == 1 && bad.stdout.isEmpty)
        #expect(bad.stderr == "swiftrun: template parsing error: template: :1: unclosed action\n", "\(bad.stderr)")
    }

    /// A list's rows stand for Docker's Go structs: a field none of them
    /// has fails, in Docker's words, at its line:column in the format as
    /// written ("table " and "\t" counted), with exit 1; ps fails with no
    /// row at all, as Docker's does, a list of no volume does not. The
    /// fields Docker's structs have are all there. Each expected text is
    /// what docker 20.10 printed.
    @Test func aFieldTheRowsLackFailsAsDockersDoes() {
        func failure(_ arguments: [String]) -> String {
            let result = sandbox.run(arguments)
            #expect(result.code == 1 && result.stdout.isEmpty, "\(arguments): \(result.stdout)")
            return result.stderr
        }
        let ps = "swiftrun: failed to execute template: template: :%@: executing \"\" at <%@>: can't evaluate field Nope in type *formatter.ContainerContext\n"
        #expect(failure(["ps", "-a", "--format", "table {{.ID}}\\t{{.Nope}}"]) == String(format: ps, "1:17", ".Nope"))
        #expect(failure(["ps", "-a", "--format", "{{.Names}} {{upper .Nope.X}}"]) == String(format: ps, "1:24", ".Nope.X"))
        #expect(failure(["ps", "-a", "--format", "{{.Names}}\n{{.Nope}}"]) == String(format: ps, "2:2", ".Nope"))
        // Go places a chain of three or more at its second field.
        #expect(failure(["ps", "-a", "--format", "{{.Nope.Foo.Bar}}"]) == String(format: ps, "1:7", ".Nope.Foo.Bar"))
        #expect(
            failure(["ps", "-a", "--format", "{{.Names.Foo.Bar}}"])
                == "swiftrun: failed to execute template: template: :1:8: executing \"\" at <.Names.Foo.Bar>: can't evaluate field Foo in type string\n")
        #expect(sandbox.run(["volume", "ls", "--format", "{{.Nope}}"]).code == 0)
        #expect(sandbox.run(["volume", "create", "v1"]).code == 0)
        #expect(
            failure(["volume", "ls", "--format", "{{.Nope}}"])
                == "swiftrun: template parsing error: template: :1:2: executing \"\" at <.Nope>: can't evaluate field Nope in type *formatter.volumeContext\n")
        #expect(failure(["images", "--format", "{{.ID}} {{.Nope}}"]).hasSuffix("at <.Nope>: can't evaluate field Nope in type *formatter.imageContext\n"))
        #expect(failure(["network", "ls", "--format", "{{.Nope}}"]).hasSuffix("in type *network.networkContext\n"))
        #expect(sandbox.run(["images", "--format", "{{.Containers}}|{{.SharedSize}}|{{.UniqueSize}}"]).stdout == "N/A|N/A|N/A\n")
        #expect(sandbox.run(["volume", "ls", "--format", "{{.Links}}|{{.Size}}|{{.Scope}}"]).stdout == "N/A|N/A|local\n")
        #expect(sandbox.run(["create", "--name", "c1", "-v", "v1:/data", "busybox", "true"]).code == 0)
        #expect(sandbox.run(["ps", "-a", "--format", "{{.LocalVolumes}}|{{.Mounts}}"]).stdout == "1|v1\n")
    }

    /// images --filter as Docker's: dangling, label, reference (a pattern
    /// per path component), before and since; keys all, values any.
    /// --no-trunc shows whole IDs, --digests a DIGEST column.
    @Test func imagesFilterAsDockersDo() {
        let labeled = sandbox.run(["build", "-t", "labeled:v1", "-"], stdin: "FROM busybox\nLABEL tier=web\nRUN true\n")
        #expect(labeled.code == 0, "\(labeled.stderr)")
        #expect(sandbox.run(["tag", "busybox", "other/box:v2"]).code == 0)
        #expect(sandbox.run(["create", "--name", "c1", "busybox", "true"]).code == 0)
        let dangling = sandbox.run(["commit", "c1"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let names = { (filters: [String]) in
            self.sandbox.run(["images", "--format", "{{.Repository}}:{{.Tag}}"] + filters.flatMap { ["--filter", $0] }).stdout
        }
        #expect(names([]) == "<none>:<none>\nbusybox:latest\nlabeled:v1\nother/box:v2\n")
        #expect(names(["dangling=false"]) == "busybox:latest\nlabeled:v1\nother/box:v2\n")
        #expect(names(["dangling=1"]) == "<none>:<none>\n", "Docker reads 1 and 0 as true and false")
        #expect(sandbox.run(["images", "-q", "--no-trunc", "-f", "dangling=true"]).stdout == dangling + "\n")
        #expect(names(["label=tier=web"]) == "labeled:v1\n")
        #expect(names(["label=tier", "dangling=true"]).isEmpty)
        #expect(names(["reference=busy*", "reference=other/*"]) == "busybox:latest\nother/box:v2\n")
        #expect(names(["reference=*"]) == "busybox:latest\nlabeled:v1\n", "a * stays within one path component")
        #expect(names(["reference=other/box:v*"]) == "other/box:v2\n")
        #expect(names(["since=busybox", "dangling=false"]) == "labeled:v1\n")
        #expect(names(["before=labeled:v1"]) == "busybox:latest\nother/box:v2\n")
        let digests = sandbox.run(["images", "--digests", "busybox"]).stdout
        #expect(digests.hasPrefix("REPOSITORY   TAG       DIGEST") && digests.contains("   sha256:"), "\(digests)")
        let bad = sandbox.run(["images", "-f", "color=red"])
        #expect(bad.code == 1 && bad.stdout.isEmpty, "\(bad.stdout)")
        #expect(bad.stderr == "swiftrun: invalid filter 'color': dangling=, label=, reference=, before= or since=\n", "\(bad.stderr)")
    }

    @Test func prunesRemoveWhatNothingUsesAndSayHowMuch() throws {
        // An exited container holding 300 kB, and its commit: a dangling image.
        #expect(sandbox.run(["run", "--name", "c1", "busybox", "dd", "if=/dev/zero", "of=/big", "bs=1k", "count=300"]).code == 0)
        let dangling = sandbox.run(["commit", "c1"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let df = sandbox.run(["system", "df"]).stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true) }
        #expect(df.first == ["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"])
        #expect(df.dropFirst().first?.prefix(3) == ["Images", "2", "1"], "\(df)")
        #expect(df.dropFirst(2).first?.prefix(3) == ["Containers", "1", "0"], "\(df)")
        #expect(sandbox.run(["system", "df", "-v"]).stdout.contains("Containers space usage:"))

        // No answer, nothing removed.
        let declined = sandbox.run(["image", "prune"], stdin: "n\n")
        #expect(declined.stdout == "WARNING! This will remove all dangling images.\nAre you sure you want to continue? [y/N] ")
        #expect(sandbox.run(["images", "-q"]).stdout.split(separator: "\n").count == 2)

        let images = sandbox.run(["image", "prune", "-f"])
        #expect(images.stdout.hasPrefix("Deleted Images:\ndeleted: \(dangling)\n\nTotal reclaimed space: "), "\(images.stdout)")
        #expect(!images.stdout.hasSuffix(" 0B\n"), "the dangling layer's bytes are reclaimed")

        let containers = sandbox.run(["container", "prune", "-f"])
        #expect(containers.stdout.hasPrefix("Deleted Containers:\n"), "\(containers.stdout)")
        #expect(containers.stdout.hasSuffix("kB\n"), "\(containers.stdout)")
        #expect(sandbox.run(["ps", "-aq"]).stdout.isEmpty)
        #expect(sandbox.run(["image", "prune", "-f"]).stdout == "Total reclaimed space: 0B\n")

        // busybox is unused now: -a takes it, and the store holds no layer.
        let all = sandbox.run(["system", "prune", "-a", "-f"])
        #expect(all.stdout.contains("Deleted Images:\nuntagged: busybox:latest\n"), "\(all.stdout)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: sandbox.root + "/layers").isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: sandbox.root + "/init").isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: sandbox.root + "/blobs/sha256").isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: sandbox.root + "/recipes").isEmpty)
    }

    @Test func aPruneKeepsWhatAContainerUses() {
        #expect(sandbox.run(["run", "--name", "keeper", "busybox", "true"]).code == 0)
        let pruned = sandbox.run(["image", "prune", "-a", "-f"])
        #expect(pruned.stdout == "Total reclaimed space: 0B\n", "\(pruned.stdout)")
        #expect(sandbox.run(["run", "--rm", "busybox", "true"]).code == 0)
    }

    /// Every command and subcommand answers --help.
    @Test(arguments: [
        "run", "ps", "rm", "commit", "stats", "images", "rmi", "tag", "history", "import", "load", "save", "pull",
        "build", "login", "logout", "inspect", "info", "version", "image prune", "image ls", "container prune",
        "container ls", "system df", "system prune"
    ])
    func everyCommandHasHelp(command: String) {
        let result = sandbox.run(command.split(separator: " ").map(String.init) + ["--help"])
        #expect(result.code == 0)
        #expect(result.stdout.contains("USAGE: swiftrun \(command.split(separator: " ")[0])"), "\(result.stdout)")
    }
}
