import CShims
import Foundation
import Testing

@testable import SwiftrunCore

/// Our SHA-256 (CShims/sha256.c): the standard's vectors, the SHA-extension
/// code and the portable code held to the same digests for every length
/// and every way of cutting the input, and coreutils' sha256sum agreeing.
@Suite struct DigestTests {
    @Test func theStandardsVectors() {
        let abc448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
        #expect(Digest.of([]).hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(Digest.of(Array("abc".utf8)).hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Digest.of(Array(abc448.utf8)).hex == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(Digest.of([UInt8](repeating: 0x61, count: 1_000_000)).hex == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Every length up to 300 (each padding case: 55, 56, 63, 64 bytes past
    /// a block) and longer ones, fed whole to one code and in random pieces
    /// to the other.
    @Test func bothCodesAgreeHoweverTheInputIsCut() {
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        func random(_ bound: Int) -> Int {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return Int(state % UInt64(bound))
        }
        let bytes = (0..<300_000).map { _ in UInt8(random(256)) }
        let lengths = Array(0...300) + (0..<40).map { _ in random(bytes.count) }
        for length in lengths {
            var whole = sr_sha256(), pieces = Self.portable()
            sr_sha256_init(&whole)
            bytes.withUnsafeBytes { sr_sha256_update(&whole, $0.baseAddress, length) }
            var offset = 0
            while offset < length {
                let piece = min(length - offset, random(2) == 0 ? random(130) : random(70_000))
                bytes.withUnsafeBytes { sr_sha256_update(&pieces, $0.baseAddress! + offset, piece) }
                offset += piece
            }
            #expect(Self.final(&whole) == Self.final(&pieces), "length \(length)")
        }
    }

    @Test func coreutilsAgrees() throws {
        let directory = try FileManager.default.url(
            for: .itemReplacementDirectory, in: .userDomainMask, appropriateFor: URL(fileURLWithPath: "/tmp"), create: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for length in [0, 64, 1_000_003] {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) }
            let file = directory.appendingPathComponent("\(length)")
            try Data(bytes).write(to: file)
            let theirs = try tool(["sha256sum", file.path]).prefix(64)
            #expect(Digest.of(bytes).hex == theirs, "length \(length)")
        }
    }

    /// The SHA extensions are used exactly where the kernel says the CPU has them.
    @Test func theExtensionsAreUsedWhereTheCPUHasThem() throws {
        let cpuinfo = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let flags = cpuinfo.split(separator: "\n").first { $0.hasPrefix("flags") }?.split(separator: " ") ?? []
        #expect((sr_sha256_uses_sha_ni() != 0) == (flags.contains("sha_ni") && flags.contains("sse4_1") && flags.contains("ssse3")))
    }

    /// A context on the portable code, whatever this CPU has.
    private static func portable() -> sr_sha256 {
        var context = sr_sha256()
        sr_sha256_init_portable(&context)
        return context
    }

    private static func final(_ context: inout sr_sha256) -> [UInt8] {
        var sum = [UInt8](repeating: 0, count: 32)
        sr_sha256_final(&context, &sum)
        return sum
    }
}
