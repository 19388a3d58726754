import Testing

@testable import SwiftrunCore

/// The shorter filter decides every syscall as libseccomp's does: both are
/// run, by BPFProgram's interpreter, over every syscall number of every
/// arch the profile names (and of two it does not), with argument values
/// around each constant the profiles compare with.
@Suite struct SeccompRelayoutTests {
    static let x86_64: UInt32 = 0xC000_003E, i386: UInt32 = 0x4000_0003, x32Bit: UInt32 = 0x4000_0000
    let kernel = SeccompPolicy.kernelVersion("6.1.0-18-amd64")

    func libseccomp(_ profile: SeccompProfile, capabilities: [String]) throws -> BPFProgram {
        let bytes = try SeccompCompiler(capabilities: Set(capabilities), kernel: kernel).compile(profile, source: "test")
        return try #require(BPFProgram(bytes: bytes))
    }

    /// Every number below 1100 (the syscall tables end near 470) natively
    /// and as x32, a few far ones, for each arch; each with zero arguments
    /// and, below `argumentsBelow`, with each of `values` as the first three.
    func expectSameDecisions(_ old: BPFProgram, _ new: BPFProgram, values: [UInt64], argumentsBelow: UInt32 = 470) {
        var mismatches: [String] = []
        for arch in [Self.x86_64, Self.i386, 0, .max, Self.x86_64 - 1, Self.i386 + 1] {
            for nr in Array(0..<1100) + Array(Self.x32Bit..<Self.x32Bit + 1100) + [0x7FFF_FFFF, 0x8000_0000, .max] {
                var argumentSets: [[UInt64]] = [[0, 0, 0]]
                if nr % Self.x32Bit < argumentsBelow && arch != 0 {
                    argumentSets += values.map { [$0, 0, 0] } + values.map { [0, $0, 0] } + values.map { [$0, $0, $0] }
                }
                for arguments in argumentSets {
                    let syscall = BPFProgram.SeccompData(nr: UInt32(nr), arch: arch, args: arguments + [0, 0, 0])
                    let (expected, got) = (old.run(syscall), new.run(syscall))
                    if expected == nil || expected != got {
                        mismatches.append("arch \(arch) nr \(nr) args \(arguments): \(String(describing: expected)) vs \(String(describing: got))")
                    }
                }
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(5))")
    }

    @Test(arguments: [
        Capabilities.dockerDefault, Capabilities.dockerDefault + ["CAP_SYS_ADMIN"], Capabilities.all()
    ])
    func dockersProfileKeepsEveryDecisionInUnderHalfTheInstructions(capabilities: [String]) throws {
        let profile = try JSON.decode(SeccompProfile.self, from: Array(DefaultSeccompProfile.json.utf8), path: "default")
        let old = try libseccomp(profile, capabilities: capabilities)
        let new = try #require(SeccompRelayout.shorten(old))
        #expect(new.instructions.count * 2 < old.instructions.count, "\(old.instructions.count) -> \(new.instructions.count)")
        // personality's personas, clone's namespace flags, socket's AF_VSOCK,
        // each with its neighbours and with bits above 32.
        let values: [UInt64] = [
            1, 2, 8, 9, 40, 41, 0x20000, 0x20008, 0xFFFF_FFFF, 0x7E02_0000, 0x1000_0000, 1 << 32 | 40, .max, 1 << 33 | 0x20000
        ]
        expectSameDecisions(old, new, values: values)
    }

    @Test func everyComparisonAndActionOfAProfileSurvives() throws {
        let json = """
            {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38,
             "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]}],
             "syscalls": [
              {"names": ["read", "write", "close", "exit_group", "futex"], "action": "SCMP_ACT_ALLOW"},
              {"names": ["getpid"], "action": "SCMP_ACT_KILL_PROCESS"},
              {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
              {"names": ["kill"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 1, "value": 9, "op": "SCMP_CMP_NE"}]},
              {"names": ["lseek"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 2, "value": 2, "op": "SCMP_CMP_LT"}]},
              {"names": ["mmap"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 2, "value": 4294967296, "op": "SCMP_CMP_LE"}]},
              {"names": ["dup3"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 2, "value": 524288, "op": "SCMP_CMP_EQ"}]},
              {"names": ["dup3"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 2, "value": 0, "op": "SCMP_CMP_EQ"}]},
              {"names": ["pipe2"], "action": "SCMP_ACT_TRAP", "args": [{"index": 1, "value": 2048, "op": "SCMP_CMP_GE"}]},
              {"names": ["openat"], "action": "SCMP_ACT_ALLOW",
               "args": [{"index": 2, "value": 3, "valueTwo": 1, "op": "SCMP_CMP_MASKED_EQ"}, {"index": 0, "value": 100, "op": "SCMP_CMP_GT"}]}
             ]}
            """
        let profile = try JSON.decode(SeccompProfile.self, from: Array(json.utf8), path: "test")
        let old = try libseccomp(profile, capabilities: Capabilities.dockerDefault)
        let new = try #require(SeccompRelayout.relaid(old))
        let values: [UInt64] = [1, 2, 3, 9, 10, 99, 100, 101, 2047, 2048, 2049, 524_288, 1 << 32, 1 << 32 | 1, .max]
        expectSameDecisions(old, new, values: values)
    }

    /// Hundreds of ranges with different outcomes: the search spans more
    /// than a conditional jump reaches, so some of its jumps go through a JA.
    @Test func farTargetsGoThroughAJump() throws {
        typealias Instruction = BPFProgram.Instruction
        let load = Instruction(code: BPFProgram.loadWordAbsolute, jt: 0, jf: 0, k: 0)
        let tests = (0..<600).flatMap { index in
            [
                Instruction(code: BPFProgram.jump | BPFProgram.jumpEqual, jt: 0, jf: 1, k: UInt32(2 * index)),
                Instruction(code: BPFProgram.ret, jt: 0, jf: 0, k: UInt32(index % 7))
            ]
        }
        let old = BPFProgram([load] + tests + [Instruction(code: BPFProgram.ret, jt: 0, jf: 0, k: 99)])
        let new = try #require(SeccompRelayout.relaid(old))
        #expect(SeccompRelayout.shorten(old) == nil, "1200 ranges are no shorter than 600 tests")
        #expect(new.instructions.contains { $0.code == BPFProgram.jump && $0.k > 0 }, "a JA to a far target")
        for nr in UInt32(0)..<1300 {
            let syscall = BPFProgram.SeccompData(nr: nr, arch: Self.x86_64)
            #expect(old.run(syscall) == new.run(syscall), "nr \(nr)")
        }
    }

    /// What the reader does not model leaves libseccomp's program alone.
    @Test func programsBeyondTheReaderAreKept() {
        typealias Instruction = BPFProgram.Instruction
        let usesX = BPFProgram([
            Instruction(code: 0x01, jt: 0, jf: 0, k: 5), Instruction(code: 0x87, jt: 0, jf: 0, k: 0),
            Instruction(code: 0x16, jt: 0, jf: 0, k: 0)
        ])
        #expect(SeccompRelayout.relaid(usesX) == nil)
        let bitTestOfNumber = BPFProgram([
            Instruction(code: BPFProgram.loadWordAbsolute, jt: 0, jf: 0, k: 0),
            Instruction(code: BPFProgram.jump | BPFProgram.jumpSet, jt: 0, jf: 1, k: 1),
            Instruction(code: BPFProgram.ret, jt: 0, jf: 0, k: 0),
            Instruction(code: BPFProgram.ret, jt: 0, jf: 0, k: 0x7FFF_0000)
        ])
        #expect(SeccompRelayout.relaid(bitTestOfNumber) == nil)
        let fallsOffTheEnd = BPFProgram([Instruction(code: BPFProgram.loadWordAbsolute, jt: 0, jf: 0, k: 0)])
        #expect(SeccompRelayout.relaid(fallsOffTheEnd) == nil)
    }
}
