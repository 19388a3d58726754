import CShims
import Foundation
import Testing

@testable import SwiftrunCore

/// Run after the whole suite, alone: `make host-test` starts it with
/// SWIFTRUN_SUITE_DONE=1, SWIFTRUN_SUITE_STARTED (Unix seconds) and
/// SWIFTRUN_HAD_FIREWALL saying whether swiftrun's nftables table was there
/// before the suite. The tests share the host's
/// default bridge, so none of them can take it down while others run; it
/// goes here, with the table, when the suite made them.
@Suite struct HostLeftAsFoundTests {
    static var environment: [String: String] { ProcessInfo.processInfo.environment }

    @Test(.enabled(if: environment["SWIFTRUN_SUITE_DONE"] == "1"))
    func noAddressBridgeOrFirewallTableIsLeftBehind() throws {
        let store = NetworkStore()
        // Every address this suite's containers took is back: the claim
        // files, read as they are (AddressPool's reader frees those whose
        // store is gone, and each test's store is). A claim older than the
        // suite is not its own: a run that was killed (CI's time limit) can
        // leave one, with its store, and this suite's verdict is not about it.
        let started = Double(Self.environment["SWIFTRUN_SUITE_STARTED"] ?? "") ?? 0
        for network in try store.all() {
            let directory = store.addressDirectory(network)
            let claims = try FileManager.default.contentsOfDirectory(atPath: directory).filter { IPv4Address($0) != nil }
            let leftovers = try claims.filter { claim in
                let path = directory + "/" + claim
                let made = (try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
                guard made >= started else { return false }
                return try String(contentsOfFile: path, encoding: .utf8).hasPrefix("/tmp/swiftrun-test-")
            }
            #expect(leftovers.isEmpty, "\(network.name) still gives \(leftovers) to a test's container")
        }
        guard Self.environment["SWIFTRUN_HAD_FIREWALL"] == "0" else { return }
        try store.removeIdleDefaultBridge()
        #expect(sr_link_index(NetworkDefinition.defaultBridge) < 0, "the default bridge is still in use")
        let tables = try tool(["nft", "list", "tables"])
        #expect(!tables.contains("ip swiftrun"), "a test left a bridge of its own, so the table stayed: \(tables)")
    }
}
