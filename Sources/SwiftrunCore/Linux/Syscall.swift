import Glibc

/// The one place raw return codes become Swift errors.
/// Each wrapper retries on EINTR and names the call in the error it throws.
package enum Syscall {
    /// Runs `body` until it stops failing with EINTR; throws for -1.
    @discardableResult
    package static func check<T: BinaryInteger>(_ call: @autoclosure () -> String, _ body: () -> T) throws(SwiftrunError) -> T {
        while true {
            let result = body()
            if result != -1 { return result }
            if errno == EINTR { continue }
            throw .system(call(), errno: errno)
        }
    }

    /// Like `check`, but returns nil for the errno values the caller expects.
    @discardableResult
    static func attempt<T: BinaryInteger>(_ call: @autoclosure () -> String, allowing allowed: Set<Int32>, _ body: () -> T) throws(SwiftrunError) -> T? {
        while true {
            let result = body()
            if result != -1 { return result }
            if errno == EINTR { continue }
            if allowed.contains(errno) { return nil }
            throw .system(call(), errno: errno)
        }
    }
}
