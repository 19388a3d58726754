import SwiftrunCore

/// `swiftrun explain render`: draws a saved `run --explain=json` stream,
/// as `run --explain=svg:FILE` draws its own run.
struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain", abstract: "Draw what --explain recorded.", subcommands: [ExplainRenderCommand.self])
}

struct ExplainRenderCommand: StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "render", abstract: "Draw a saved --explain=json stream as one SVG: the host beside the container.")

    @Argument("records", help: "The records: the stderr of `run --explain=json`.")
    var records: String

    @Option("-o", "--output", help: "The SVG file to write.")
    var output: String

    func run(in layout: StoreLayout) throws(SwiftrunError) -> Int32 {
        try IsolationDrawing.write(IsolationDrawing.render(recordsAt: records), to: output)
        return 0
    }
}
