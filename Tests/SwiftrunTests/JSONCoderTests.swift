import Foundation
import Testing

@testable import SwiftrunCore

/// swiftrun's own JSON coder (Sources/SwiftrunCore/JSON), which replaced
/// Foundation's: the same bytes out, so digests of what swiftrun writes do
/// not move, and strict reading of untrusted input.
@Suite struct JSONCoderTests {
    struct Inner: Codable, Equatable {
        var x: [Int] = []
        var y: [String: String] = [:]
        var z: Double?
    }

    struct Sample: Codable, Equatable {
        var b: [Double]
        var a: String
        var e: Inner
        var n: Int?
        var u: UInt64
        var i: Int64
    }

    let sample = Sample(
        b: [1.0, 0.5, 1e20, 1.5e-7, -0.0, 123456789.123, 0.1, 1e16, 1e15], a: "q\"\\/\n\t\r\u{8}\u{c}\u{1}\u{1f}é\u{7f}<>&",
        e: Inner(), n: nil, u: UInt64.max, i: Int64.min)

    /// Foundation's JSONEncoder (sortedKeys, withoutEscapingSlashes) wrote exactly these bytes.
    @Test func writesWhatFoundationWrote() throws {
        let compact = String(decoding: try JSON.encode(sample), as: UTF8.self)
        #expect(
            compact
                == #"{"a":"q\"\\/\n\t\r\b\f\u0001\u001fé"# + "\u{7f}" + #"<>&","b":[1,0.5,1e+20,1.5e-07,-0,123456789.123,0.1,1e+16,1000000000000000],"#
                + #""e":{"x":[],"y":{}},"i":-9223372036854775808,"u":18446744073709551615}"#)
        let pretty = try JSON.encodePretty(Inner(x: [1], y: ["B": "1", "a": "2"], z: 2.5))
        #expect(pretty == "{\n  \"x\" : [\n    1\n  ],\n  \"y\" : {\n    \"B\" : \"1\",\n    \"a\" : \"2\"\n  },\n  \"z\" : 2.5\n}")
        #expect(try JSON.encodePretty(Inner()) == "{\n  \"x\" : [\n\n  ],\n  \"y\" : {\n\n  }\n}")
    }

    @Test func readsBackWhatItWrites() throws {
        let bytes = try JSON.encode(sample)
        var expected = sample
        expected.b[4] = 0  // -0 reads back as 0; it compares equal anyway
        #expect(try JSON.decode(Sample.self, from: bytes, path: "x") == expected)
        let value = try JSON.decode(JSONValue.self, from: Array(#"{"a":[1,2.5,"s",true,null,{}]}"#.utf8), path: "x")
        #expect(value == .object(["a": .array([.integer(1), .number(2.5), .string("s"), .bool(true), .null, .object([:])])]))
    }

    @Test func readsNumbersAsFoundationDid() throws {
        struct Count: Codable { var i: Int }
        for (text, expected) in [(#"{"i":1.0}"#, 1), (#"{"i":1e2}"#, 100), (#" {"i" : -0} "#, 0), (#"{"i":1,"i":2}"#, 1)] {
            #expect(try JSON.decode(Count.self, from: Array(text.utf8), path: "x").i == expected, "\(text)")
        }
        for text in [#"{"i":"1"}"#, #"{"i":1.5}"#, #"{"i":1e400}"#, #"{}"#, #"{"i":null}"#] {
            #expect(throws: SwiftrunError.self, "\(text)") { try JSON.decode(Count.self, from: Array(text.utf8), path: "x") }
        }
    }

    @Test(arguments: [
        "", " ", "{", "[1,]", "{\"a\":1,}", "{a:1}", "01", "1.", "-", "1e", "\"\\x\"", "\"\u{1}\"", "\"\\ud800\"", "\"\\udc00\"",
        "tru", "nul", "[1] 2", "\"unterminated", "{\"a\" 1}", "NaN"
    ])
    func refusesWhatIsNotJSON(text: String) {
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(Array(text.utf8)) }
    }

    @Test func refusesBadUTF8AndDeepNesting() throws {
        // A broken sequence, a lone continuation byte, an overlong "/", one after an escape.
        for bytes: [UInt8] in [[0x22, 0xC3, 0x28, 0x22], [0x22, 0x80, 0x22], [0x22, 0xC0, 0xAF, 0x22], [0x22, 0x5C, 0x6E, 0xFF, 0x22]] {
            #expect(throws: JSONParser.Failure.self, "\(bytes)") { try JSONParser.parse(bytes) }
        }
        // U+FFFD itself, what decoding puts in place of bad bytes, is text like any other.
        guard case let .string(replacement) = try JSONParser.parse([0x22, 0x61, 0xEF, 0xBF, 0xBD, 0x5C, 0x74, 0x22]) else {
            throw JSONParser.Failure(reason: "", offset: 0)
        }
        #expect(replacement == "a\u{FFFD}\t")
        let deep = Array(repeating: UInt8(ascii: "["), count: 100_000) + Array(repeating: UInt8(ascii: "]"), count: 100_000)
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(deep) }
        let allowed = Array(repeating: UInt8(ascii: "["), count: 500) + Array(repeating: UInt8(ascii: "]"), count: 500)
        #expect(throws: Never.self) { try JSONParser.parse(allowed) }
        // A surrogate pair is one scalar.
        guard case let .string(emoji) = try JSONParser.parse(Array(#""\ud83d\ude00\u00e9""#.utf8)) else { throw JSONParser.Failure(reason: "", offset: 0) }
        #expect(emoji == "😀é")
    }

    /// The deepest document the parser accepts, decoded as the API decodes a
    /// request body (JSONValue), fits the API's request threads (1 MiB stacks,
    /// RequestThread.swift): a hostile body is refused, never a crash. In a
    /// debug build it needs more than 256 KiB.
    @Test func theDeepestDocumentFitsARequestThreadsStack() throws {
        final class DeepDecode: @unchecked Sendable {
            let bytes: [UInt8]
            var decoded = false
            init(depth: Int) {
                bytes = Array(repeating: UInt8(ascii: "["), count: depth) + Array(repeating: UInt8(ascii: "]"), count: depth)
            }
        }
        let job = DeepDecode(depth: JSONParser.maximumDepth - 1)
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        pthread_attr_setstacksize(&attributes, 1 << 20)
        var thread = pthread_t()
        let started = pthread_create(
            &thread, &attributes,
            { argument in
                let job = Unmanaged<DeepDecode>.fromOpaque(argument!).takeUnretainedValue()
                job.decoded = (try? JSON.decode(JSONValue.self, from: job.bytes, path: "deep")) != nil
                return nil
            }, Unmanaged.passUnretained(job).toOpaque())
        try #require(started == 0)
        pthread_join(thread, nil)
        #expect(job.decoded)
    }

    @Test func base64AsRFC4648() {
        for (plain, encoded) in [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("user:pässword", "dXNlcjpww6Rzc3dvcmQ=")] {
            #expect(Base64.encode(Array(plain.utf8)) == encoded)
            #expect(Base64.decode(encoded) == Array(plain.utf8))
        }
        for bad in ["Zg=", "Z===", "Zg==Zg==", "Zm9*", "Zm9v\n"] { #expect(Base64.decode(bad) == nil, "\(bad)") }
    }

    @Test func rfc3339TimesAsSecondsSince1970() throws {
        #expect(JSON.seconds(from: "1970-01-01T00:00:00Z") == 0)
        #expect(JSON.seconds(from: "2026-11-28T18:00:00Z") == 1_795_888_800)
        #expect(JSON.seconds(from: "2026-11-28T19:00:00+01:00") == 1_795_888_800)
        let nanoseconds = try #require(JSON.seconds(from: "2026-11-28T18:00:00.123456789Z"))
        #expect(abs(nanoseconds - 1_795_888_800.123456789) < 1e-6)
        #expect(JSON.seconds(from: JSON.timestamp()).map { abs($0 - JSON.now()) < 5 } == true)
        for bad in ["", "2026-11-28", "2026-11-28T18:00:00", "2026-11-28T18:00:00.Z", "2026-11-28 18:00:00Z", "2026-11-28T18:00:00+0100"] {
            #expect(JSON.seconds(from: bad) == nil, "\(bad)")
        }
    }

    @Test func textHelpersFindBytesNotCharacters() {
        #expect("sha256:abc".replacingEvery("sha256:", with: "") == "abc")
        #expect("a\\b\"c".replacingEvery("\\", with: "\\\\") == "a\\\\b\"c")
        #expect("aaa".replacingEvery("aa", with: "b") == "ba")
        #expect("wrong version number".contains(text: "version"))
        #expect(!"abc".contains(text: "abd"))
        #expect("abc".contains(text: ""))
    }

    /// A RuntimeSpec with every field set, the optional ones too.
    static let everyField: RuntimeSpec = {
        let hook = RuntimeSpec.Hook(path: "/bin/hook", args: ["hook", "a"], env: ["A=1"], timeout: 5)
        let rule = SeccompProfile.Rule(
            names: ["clone"], name: "clone3", action: "SCMP_ACT_ALLOW", errnoRet: 1,
            args: [SeccompProfile.Argument(index: 0, value: 2, valueTwo: 3, op: "SCMP_CMP_MASKED_EQ")],
            includes: SeccompProfile.Condition(caps: ["CAP_SYS_ADMIN"], arches: ["amd64"], minKernel: "4.8"),
            excludes: SeccompProfile.Condition(caps: ["CAP_BPF"], arches: ["arm64"], minKernel: "6.0"))
        return RuntimeSpec(
            process: RuntimeSpec.Process(
                terminal: true, user: RuntimeSpec.User(uid: 1, gid: 2, additionalGids: [3], umask: 0o22), args: ["sh"], env: ["A=b"], cwd: "/w",
                capabilities: RuntimeSpec.CapabilitySets(
                    bounding: ["CAP_KILL"], effective: ["CAP_KILL"], permitted: ["CAP_KILL"], inheritable: ["CAP_KILL"], ambient: ["CAP_KILL"]),
                rlimits: [RuntimeSpec.Rlimit(type: "RLIMIT_NOFILE", hard: UInt64.max, soft: 1024)], noNewPrivileges: true,
                consoleSize: RuntimeSpec.ConsoleSize(height: 24, width: 80), oomScoreAdj: -500, apparmorProfile: "unconfined", selinuxLabel: "l"),
            root: RuntimeSpec.Root(path: "/r", readonly: true), hostname: "h",
            mounts: [RuntimeSpec.Mount(destination: "/d", type: "bind", source: "/s", options: ["rbind", "ro"])],
            linux: RuntimeSpec.Linux(
                namespaces: [RuntimeSpec.Namespace(type: "network", path: "/proc/1/ns/net")], maskedPaths: ["/proc/kcore"], readonlyPaths: ["/proc/sys"],
                devices: [RuntimeSpec.Device(path: "/dev/fuse", type: "c", major: 10, minor: 229, fileMode: 0o666, uid: 0, gid: 0)],
                resources: RuntimeSpec.Resources(
                    devices: [RuntimeSpec.DeviceRule(allow: true, type: "c", major: 10, minor: 229, access: "rwm")],
                    memory: RuntimeSpec.Memory(limit: 1 << 30, reservation: 1 << 29, swap: -1),
                    cpu: RuntimeSpec.CPU(shares: 512, quota: 50000, period: 100_000, cpus: "0-1"), pids: RuntimeSpec.Pids(limit: 100)),
                cgroupsPath: "/c", sysctl: ["net.ipv4.ip_forward": "1"],
                seccomp: SeccompProfile(
                    defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: 1,
                    archMap: [SeccompProfile.ArchMap(architecture: "SCMP_ARCH_X86_64", subArchitectures: ["SCMP_ARCH_X86"])],
                    architectures: ["SCMP_ARCH_X86_64"], syscalls: [rule]),
                rootfsPropagation: "rslave", uidMappings: [RuntimeSpec.IDMapping(containerID: 0, hostID: 100_000, size: 65536)],
                gidMappings: [RuntimeSpec.IDMapping(containerID: 0, hostID: 100_000, size: 65536)], intelRdt: RuntimeSpec.IntelRdt()),
            annotations: ["a": "b"],
            hooks: RuntimeSpec.Hooks(
                prestart: [hook], createRuntime: [hook], createContainer: [hook], startContainer: [hook], poststart: [hook], poststop: [hook]))
    }()

    /// config.json is written from each type's own field list
    /// (RuntimeSpec+Encoding.swift), not a synthesized Encodable: every
    /// stored field, found by reflection, has its key, and the bytes read
    /// back to the same spec.
    @Test func aRuntimeSpecWritesEveryField() throws {
        let bytes = JSON.encodeTree(Self.everyField)
        let tree = try JSONParser.parse(bytes)
        expectEveryField(of: Self.everyField, in: tree, at: "spec")
        let decoded = try JSON.decode(RuntimeSpec.self, from: bytes, path: "config.json")
        #expect(JSON.encodeTree(decoded) == bytes)
        #expect(String(decoding: bytes, as: UTF8.self).contains(#""hard":18446744073709551615,"soft":1024"#))
        #expect(String(decoding: bytes, as: UTF8.self).contains(#""intelRdt":{}"#))
    }

    private func expectEveryField(of value: Any, in tree: JSONTree, at path: String) {
        let mirror = Mirror(reflecting: value)
        switch (mirror.displayStyle, tree) {
        case let (.struct, .object(fields)):
            for child in mirror.children {
                guard let label = child.label else { continue }
                let field = Mirror(reflecting: child.value)
                let present = field.displayStyle != .optional || !field.children.isEmpty
                guard let item = fields[label] else {
                    #expect(!present, "\(path).\(label) is set but not written")
                    continue
                }
                let unwrapped = field.displayStyle == .optional ? field.children.first!.value : child.value
                expectEveryField(of: unwrapped, in: item, at: path + "." + label)
            }
        case let (.collection, .array(items)):
            for (index, element) in mirror.children.enumerated() where index < items.count {
                expectEveryField(of: element.value, in: items[index], at: path + "[\(index)]")
            }
        case (.struct, _), (.collection, _):
            Issue.record("\(path) is written as \(tree.kind)")
        default:
            break
        }
    }

    /// The image documents `run` reads are read from each type's own field
    /// list (OCIImage+Decoding.swift): a document with every field set
    /// leaves no optional nil, nested or not, and a missing one is named.
    @Test func imageDocumentsReadEveryField() throws {
        let digest = "sha256:" + String(repeating: "ab", count: 32)
        let health = #"{"Test":["CMD","true"],"Interval":1,"Timeout":2,"StartPeriod":3,"Retries":4}"#
        let config = """
            {"created":"2026-12-01T00:00:00Z","architecture":"amd64","os":"linux",
             "config":{"Hostname":"h","User":"u","Env":["A=1"],"Entrypoint":["e"],"Cmd":["c"],"WorkingDir":"/w","StopSignal":"SIGINT",
                       "Healthcheck":\(health),"ExposedPorts":{"80/tcp":{}},"Labels":{"a":"b"},"Volumes":{"/v":{}}},
             "rootfs":{"type":"layers","diff_ids":["\(digest)"]},
             "history":[{"created":"2026-12-01T00:00:00Z","created_by":"RUN true","comment":"c"}]}
            """
        let manifest = """
            {"schemaVersion":2,"mediaType":"m","config":{"mediaType":"c","digest":"\(digest)","size":1,"annotations":{"a":"b"},
             "platform":{"architecture":"amd64","os":"linux","variant":"v1"}},"layers":[]}
            """
        let image = try JSON.decode(ImageConfiguration.self, from: Array(config.utf8), path: "config")
        expectNoNil(image, at: "config")
        #expect(image.config?.Healthcheck?.Retries == 4)
        #expect(image.rootfs.diff_ids.map(\.description) == [digest])
        expectNoNil(try JSON.decode(ImageManifest.self, from: Array(manifest.utf8), path: "manifest"), at: "manifest")
        // Held by a synthesized Codable type, through init(from:): the same reading.
        let index = try JSON.decode(
            ImageIndex.self,
            from: Array("{\"schemaVersion\":2,\"manifests\":[\(manifest.split(separator: "config\":")[1].split(separator: ",\"layers")[0])]}".utf8),
            path: "index")
        #expect(index.manifests.first?.platform?.variant == "v1")
    }

    @Test func aMissingImageFieldIsNamed() {
        #expect {
            try JSON.decode(ImageConfiguration.self, from: Array(#"{"architecture":"amd64","rootfs":{"type":"layers","diff_ids":[]}}"#.utf8), path: "c")
        } throws: { error in
            "\(error)".contains("no \"os\"")
        }
        // A bad digest inside a Codable type is refused by the same reading.
        #expect(throws: SwiftrunError.self) {
            try JSON.decode(ImageIndex.self, from: Array(#"{"schemaVersion":2,"manifests":[{"mediaType":"m","digest":"sha256:x","size":1}]}"#.utf8), path: "i")
        }
    }

    private func expectNoNil(_ value: Any, at path: String) {
        for child in Mirror(reflecting: value).children {
            let label = path + "." + (child.label ?? "?")
            let field = Mirror(reflecting: child.value)
            if field.displayStyle == .optional {
                guard let wrapped = field.children.first else {
                    Issue.record("\(label) was not read")
                    continue
                }
                expectNoNil(wrapped.value, at: label)
            } else if field.displayStyle == .struct || field.displayStyle == .collection {
                expectNoNil(child.value, at: label)
            }
        }
    }
}
