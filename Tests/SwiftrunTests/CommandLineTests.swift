import Foundation
import Testing

/// How swiftrun reads a command line (Sources/swiftrun/Parsing): Docker's
/// spellings of flags and values, where options stop, and one line for
/// each mistake, naming the option, with Docker's exit code.
@Suite struct CommandLineTests {
    let sandbox: Sandbox

    init() throws { sandbox = try Sandbox() }

    @Test func valuesAreReadInEveryWayDockersCLIReadsThem() {
        // -eVALUE, -e=VALUE, -e VALUE, --env=VALUE; -it=false as a cluster.
        let result = sandbox.run([
            "run", "--rm", "-it=false", "--network=none", "-eA=1", "-e=B=2", "-e", "C=3", "--env=D=4", "busybox", "sh", "-c", "echo $A$B$C$D"
        ])
        #expect(result.code == 0, "\(result.stderr)")
        #expect(result.stdout == "1234\n")
        // The next argument is the value even when it starts with a dash.
        let dashed = sandbox.run(["run", "--rm", "--network", "none", "--hostname", "-x", "busybox", "hostname"])
        #expect(dashed.stdout == "-x\n", "\(dashed.stderr)")
    }

    @Test func runReadsNoOptionAfterTheImage() {
        let result = sandbox.run(["run", "--rm", "--network", "none", "busybox", "echo", "--rm", "-d", "--explain", "--", "-h"])
        #expect(result.code == 0, "\(result.stderr)")
        #expect(result.stdout == "--rm -d --explain -- -h\n")
        // -h before the image is --hostname, as in Docker.
        #expect(sandbox.run(["run", "--rm", "--network", "none", "-h", "box", "busybox", "hostname"]).stdout == "box\n")
    }

    @Test func aBareExplainNeverTakesTheImageAsItsValue() {
        let result = sandbox.run(["run", "--rm", "--network", "none", "--explain", "busybox", "true"])
        #expect(result.code == 0, "\(result.stderr)")
        #expect(result.stderr.hasPrefix("explain: "), "\(result.stderr)")
        let json = sandbox.run(["run", "--rm", "--network", "none", "--explain=json", "busybox", "true"])
        #expect(json.stderr.hasPrefix("{"), "\(json.stderr)")
    }

    @Test func otherCommandsTakeOptionsAfterTheirArguments() {
        #expect(sandbox.run(["run", "--name", "late", "busybox", "true"]).code == 0)
        let removed = sandbox.run(["rm", "late", "-f"])
        #expect(removed.code == 0, "\(removed.stderr)")
        #expect(removed.stdout == "late\n")
        let quiet = sandbox.run(["images", "busybox", "-q"])
        #expect(quiet.stdout.count == 13, "one short id: \(quiet.stdout)")
        // `--` ends the options: what follows is an argument, dash or not.
        let dashed = sandbox.run(["rm", "--", "-f"])
        #expect(dashed.stderr == "swiftrun: no such container: -f\n", "\(dashed.stderr)")
    }

    @Test func aBooleanFlagTakesAnExplicitValue() {
        #expect(sandbox.run(["run", "--name", "kept", "--rm=false", "busybox", "true"]).code == 0)
        #expect(sandbox.run(["ps", "-a", "-q", "--no-trunc"]).stdout.split(separator: "\n").count == 1, "--rm=false kept it")
        let refused = sandbox.run(["run", "--rm=maybe", "busybox", "true"])
        #expect(refused.code == 125)
        #expect(refused.stderr == "swiftrun: The value 'maybe' is invalid for '--rm'; see 'swiftrun run --help'\n")
    }

    /// Docker's exit codes: 125 for a flag it cannot take, 1 for the wrong
    /// number of arguments or an unknown command.
    @Test(
        arguments: [
            (["run", "--name"], 125, "swiftrun: Missing value for '--name <name>'; see 'swiftrun run --help'"),
            (
                ["run", "--stop-timeout", "soon", "busybox"], 125,
                "swiftrun: The value 'soon' is invalid for '--stop-timeout <stop-timeout>'; see 'swiftrun run --help'"
            ),
            (["run", "-Z", "busybox"], 125, "swiftrun: Unknown option '-Z'; see 'swiftrun run --help'"),
            (["images", "--format"], 125, "swiftrun: Missing value for '--format <format>'; see 'swiftrun images --help'"),
            (["explain", "render", "records.json"], 125, "swiftrun: Missing expected argument '--output <output>'; see 'swiftrun explain render --help'"),
            (["run"], 1, "swiftrun: Missing expected argument '<image>'; see 'swiftrun run --help'"),
            (["stop"], 1, "swiftrun: Missing expected argument '<containers> ...'; see 'swiftrun stop --help'"),
            (["tag", "a", "b", "c"], 1, "swiftrun: Unexpected argument 'c'; see 'swiftrun tag --help'"),
            (["image", "bogus"], 1, "swiftrun: Unknown command 'bogus'; see 'swiftrun image --help'")
        ] as [([String], Int32, String)])
    func mistakesAreOneLineNamingTheOption(arguments: [String], code: Int32, message: String) {
        let result = sandbox.run(arguments)
        #expect(result.code == code)
        #expect(result.stderr == message + "\n")
        #expect(result.stdout.isEmpty)
    }

    @Test func helpIsTheSameHoweverItIsAsked() {
        let asked = sandbox.run(["network", "ls", "--help"])
        #expect(asked.code == 0)
        #expect(asked.stdout.hasPrefix("OVERVIEW: List networks.\n\nUSAGE: swiftrun network ls [<options>]\n"), "\(asked.stdout)")
        #expect(asked.stdout.contains("\n  -q, --quiet             Only the IDs.\n"), "\(asked.stdout)")
        #expect(sandbox.run(["help", "network", "ls"]).stdout == asked.stdout)
        #expect(sandbox.run(["network", "ls", "-h"]).stdout == asked.stdout)
        // An alias is shown as it was typed; hidden flags are not shown.
        #expect(sandbox.run(["image", "list", "--help"]).stdout.contains("USAGE: swiftrun image list [<options>] [<filter>]"))
        let run = sandbox.run(["run", "--help"]).stdout
        #expect(run.contains("USAGE: swiftrun run [<options>] <image> [<command> ...]"), "\(run)")
        #expect(run.contains("\n  --explain[=<explain>]   Narrate every isolation step"), "its value is optional: \(run)")
        #expect(!run.contains("\n  -rm "), "\(run)")
        #expect(run.hasSuffix("\n  --help                  Show help information.\n"), "-h is --hostname: \(run)")
        // A group alone lists its commands, but not swiftrun's own helpers.
        let root = sandbox.run([])
        #expect(root.code == 0)
        #expect(root.stdout.contains("\n  run                     Run a command in a new container.\n"), "\(root.stdout)")
        #expect(!root.stdout.contains("__monitor-exited"))
    }
}
