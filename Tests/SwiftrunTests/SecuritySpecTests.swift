import Testing

@testable import SwiftrunCore

/// The spec side of the walls: flags and image files become the right
/// capabilities, users, mounts and limits before any kernel call.
@Suite struct SecuritySpecTests {
    let image = ImageConfiguration(architecture: "amd64", os: "linux", config: .init(Cmd: ["sh"]), rootfs: .init(diff_ids: []))
    let id = String(repeating: "cd", count: 32)

    func spec(
        _ configure: (inout RunOptions) -> Void = { _ in }, deviceCgroup: Bool = true,
        files: [String: String] = [:]
    ) throws -> RuntimeSpec {
        var options = RunOptions(image: "x")
        configure(&options)
        return try RuntimeSpec(
            image: image, options: options, id: id, rootfs: "/r",
            imageFile: { files[$0].map { Array($0.utf8) } }, deviceCgroup: deviceCgroup,
            hostDevices: { [] })
    }

    @Test func defaultsAreDockers() throws {
        let made = try spec()
        #expect(made.process.capabilities.bounding == Capabilities.dockerDefault)
        #expect(made.process.capabilities.inheritable.isEmpty)
        #expect(made.process.capabilities.ambient.isEmpty)
        #expect(made.linux.maskedPaths == ContainerDefaults.maskedPaths)
        #expect(made.linux.readonlyPaths == ContainerDefaults.readonlyPaths)
        #expect(made.seccompPolicy == .defaultProfile)
        #expect(!made.process.noNewPrivileges)
    }

    @Test func capAddAndDropFollowDockersOrder() throws {
        #expect(
            try spec {
                $0.capDrop = ["ALL"]; $0.capAdd = ["net_admin"]
            }.process.capabilities.bounding == ["CAP_NET_ADMIN"])
        #expect(try !spec { $0.capDrop = ["CHOWN"] }.process.capabilities.bounding.contains("CAP_CHOWN"))
        #expect(throws: SwiftrunError.self) { try spec { $0.capAdd = ["NOT_A_CAP"] } }
    }

    @Test func withoutADeviceCgroupMknodIsWithheld() throws {
        #expect(try !spec(deviceCgroup: false).process.capabilities.bounding.contains("CAP_MKNOD"))
        #expect(try spec(deviceCgroup: true).process.capabilities.bounding.contains("CAP_MKNOD"))
    }

    @Test func privilegedDropsTheWalls() throws {
        let made = try spec { $0.privileged = true }
        #expect(made.linux.maskedPaths.isEmpty && made.linux.readonlyPaths.isEmpty)
        #expect(made.seccompPolicy == .unconfined)
        #expect(made.linux.resources.devices == [.init(allow: true, type: "a", access: "rwm")])
    }

    @Test func securityOptions() throws {
        #expect(try spec { $0.securityOptions = ["seccomp=unconfined"] }.seccompPolicy == .unconfined)
        #expect(try spec { $0.securityOptions = ["seccomp:/etc/profile.json"] }.seccompPolicy == .file("/etc/profile.json"))
        #expect(try spec { $0.securityOptions = ["no-new-privileges"] }.process.noNewPrivileges)
        #expect(try spec { $0.securityOptions = ["no-new-privileges=true"] }.process.noNewPrivileges)
        #expect(throws: SwiftrunError.self) { try spec { $0.securityOptions = ["apparmor=x"] } }
    }

    @Test func usersResolveThroughTheImagesFiles() throws {
        let files = [
            "/etc/passwd": "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:App:/home/app:/bin/sh\n",
            "/etc/group": "root:x:0:\napp:x:1000:\nstaff:x:50:app,other\naudio:x:29:app\n"
        ]
        let app = try spec({ $0.user = "app" }, files: files)
        #expect(app.process.user == .init(uid: 1000, gid: 1000, additionalGids: [50, 29]))
        #expect(app.process.env.contains("HOME=/home/app"))
        #expect(try spec({ $0.user = "app:staff" }, files: files).process.user.gid == 50)
        #expect(try spec({ $0.user = "4242:7" }, files: files).process.user == .init(uid: 4242, gid: 7, additionalGids: []))
        #expect(try spec({ $0.user = "4242" }, files: files).process.env.contains("HOME=/"))
        #expect(throws: SwiftrunError.self) { try spec({ $0.user = "ghost" }, files: files) }
        #expect(throws: SwiftrunError.self) { try spec({ $0.user = "app:nogroup" }, files: files) }
    }

    @Test func volumeAndTmpfsSyntax() throws {
        #expect(try RunOptions.parseVolume("/src:/dst:ro") == .init(destination: "/dst", type: "bind", source: "/src", options: ["rbind", "ro"]))
        #expect(try RunOptions.parseVolume("/src:/dst").options == ["rbind", "rw"])
        for bad in ["relative:/dst", "/src:relative", "/src", "/a:/b:xz", "/a:/b:ro:extra"] {
            #expect(throws: SwiftrunError.self) { try RunOptions.parseVolume(bad) }
        }
        #expect(try RunOptions.parseTmpfs("/run").options == ["noexec", "nosuid", "nodev"])
        #expect(try RunOptions.parseTmpfs("/run:exec,size=1m").options == ["nosuid", "nodev", "exec", "size=1m"])
        #expect(throws: SwiftrunError.self) { try RunOptions.parseTmpfs("run") }
    }

    @Test func ulimitSyntax() throws {
        #expect(try RunOptions.parseUlimit("nofile=64:128") == .init(type: "RLIMIT_NOFILE", hard: 128, soft: 64))
        #expect(try RunOptions.parseUlimit("core=0") == .init(type: "RLIMIT_CORE", hard: 0, soft: 0))
        for bad in ["nofile", "bogus=1", "nofile=x", "nofile=10:5", "nofile=1:2:3"] {
            #expect(throws: SwiftrunError.self) { try RunOptions.parseUlimit(bad) }
        }
    }

    @Test func theDefaultProfileCompilesAndDependsOnCapabilities() throws {
        let profile = try JSON.decode(SeccompProfile.self, from: Array(DefaultSeccompProfile.json.utf8), path: "default")
        let kernel = SeccompPolicy.kernelVersion("6.1.0-18-amd64")
        #expect(kernel == (6, 1))
        let plain = try SeccompCompiler(capabilities: Set(Capabilities.dockerDefault), kernel: kernel).compile(profile, source: "default")
        let admin = try SeccompCompiler(capabilities: Set(Capabilities.dockerDefault + ["CAP_SYS_ADMIN"]), kernel: kernel).compile(profile, source: "default")
        #expect(plain.count % 8 == 0 && plain.count > 8 * 100, "a BPF program of struct sock_filter")
        #expect(plain != admin, "CAP_SYS_ADMIN allows mount and friends")
    }
}
