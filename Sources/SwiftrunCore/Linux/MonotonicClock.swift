import Glibc

/// CLOCK_MONOTONIC, for deadlines and elapsed times, which a wall clock set
/// back would break. Not the standard library's ContinuousClock: that lives
/// in _Concurrency, which the CLI does not load (Package.swift).
public enum MonotonicClock {
    /// Nanoseconds since a fixed point (the boot).
    public static func nanoseconds() -> Int {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return now.tv_sec * 1_000_000_000 + now.tv_nsec
    }
}
