import Glibc
import NIOConcurrencyHelpers
import SwiftrunCore

/// Requests in flight and when the last one ended, for `--time`: the
/// service ends once it has been idle that long, as podman's does.
final class Activity: Sendable {
    private struct Counts {
        var inFlight = 0
        var lastEnd = Activity.now()
    }

    private let counts = NIOLockedValueBox(Counts())

    func begin() { counts.withLockedValue { $0.inFlight += 1 } }

    func end() {
        counts.withLockedValue {
            $0.inFlight -= 1
            $0.lastEnd = Self.now()
        }
    }

    /// Seconds since the last request ended; 0 while one is in flight.
    func idleSeconds() -> Int {
        counts.withLockedValue { $0.inFlight > 0 ? 0 : Self.now() - $0.lastEnd }
    }

    /// Seconds.
    private static func now() -> Int { MonotonicClock.nanoseconds() / 1_000_000_000 }
}
