import Glibc
import Testing

@testable import SwiftrunCore

/// What pull prints on a terminal and in a log.
@Suite struct PullProgressTests {
    func output(_ style: PullProgress.Style, _ body: (PullProgress) -> Void) -> String {
        var ends: [Int32] = [0, 0]
        _ = pipe(&ends)
        body(PullProgress(style: style, fd: ends[1]))
        close(ends[1])
        var bytes = [UInt8](repeating: 0, count: 1 << 16)
        let n = read(ends[0], &bytes, bytes.count)
        close(ends[0])
        return String(decoding: bytes[0..<max(n, 0)], as: UTF8.self)
    }

    @Test func aTerminalRedrawsLayerLinesInPlaceAndClosesThemBeforeTheSummary() {
        let text = output(.terminal) { progress in
            progress.line("v1: Pulling from app")
            progress.layer("aaaa", "Pulling fs layer")
            progress.layer("aaaa", "Downloading", total: 2_000_000)
            progress.advance("aaaa", to: 1_000_000)
            progress.layer("aaaa", "Pull complete")
            progress.line("Digest: sha256:x")
            progress.line("Status: Downloaded newer image for app:v1")
        }
        #expect(text.contains("\u{1B}[1A\u{1B}[2Kaaaa: Pull complete\n"), "the layer's line is rewritten, one line up")
        let summary = text.components(separatedBy: "Digest:")[1]
        #expect(!summary.contains("aaaa"), "no layer line is drawn again after the summary starts: \(text)")
        #expect(PullProgress.bar(1_000_000, 2_000_000) == "[" + String(repeating: "=", count: 25) + ">" + String(repeating: " ", count: 24) + "] 1.0MB/2.0MB")
    }

    @Test func aLogGetsEachStatusOnceAndQuietNothing() {
        let lines = output(.lines) { progress in
            progress.layer("aaaa", "Pulling fs layer")
            progress.advance("aaaa", to: 10)
            progress.layer("aaaa", "Pull complete")
        }
        #expect(lines == "aaaa: Pulling fs layer\naaaa: Pull complete\n")
        #expect(
            output(.quiet) {
                $0.line("Digest: x"); $0.layer("aaaa", "Pull complete")
            }.isEmpty)
    }
}
