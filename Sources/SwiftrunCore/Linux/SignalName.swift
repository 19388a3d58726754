/// Signal names and numbers as `kill`, `stop --signal` and STOPSIGNAL
/// take them: "SIGTERM", "TERM", "term" or "15", and "SIGRTMIN+3".
public enum SignalName {
    static let numbers: [String: Int32] = [
        "HUP": 1, "INT": 2, "QUIT": 3, "ILL": 4, "TRAP": 5, "ABRT": 6, "IOT": 6, "BUS": 7, "FPE": 8, "KILL": 9,
        "USR1": 10, "SEGV": 11, "USR2": 12, "PIPE": 13, "ALRM": 14, "TERM": 15, "STKFLT": 16, "CHLD": 17,
        "CONT": 18, "STOP": 19, "TSTP": 20, "TTIN": 21, "TTOU": 22, "URG": 23, "XCPU": 24, "XFSZ": 25,
        "VTALRM": 26, "PROF": 27, "WINCH": 28, "IO": 29, "POLL": 29, "PWR": 30, "SYS": 31
    ]

    /// The number `text` names; throws for anything else.
    public static func parse(_ text: String) throws(SwiftrunError) -> Int32 {
        if let number = Int32(text), (1...64).contains(number) { return number }
        var name = text.uppercased()
        if name.hasPrefix("SIG") { name.removeFirst(3) }
        if let number = numbers[name] { return number }
        if name == "RTMIN" { return 34 }
        if name.hasPrefix("RTMIN+"), let offset = Int32(name.dropFirst(6)), (0...30).contains(offset) { return 34 + offset }
        throw .invalidArgument("invalid signal: \(text)")
    }

    /// "SIGTERM" for 15; "signal 40" where there is no name.
    public static func name(_ signal: Int32) -> String {
        numbers.filter { $0.value == signal && $0.key != "IOT" && $0.key != "POLL" }.first.map { "SIG" + $0.key } ?? "signal \(signal)"
    }
}
