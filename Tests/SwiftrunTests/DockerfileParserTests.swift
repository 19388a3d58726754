import Testing

@testable import SwiftrunCore

/// The Dockerfile parser and Docker's variable expansion, without a build.
@Suite struct DockerfileParserTests {
    func parse(_ text: String) throws -> Dockerfile {
        try DockerfileParser.parse(text, path: "Dockerfile")
    }

    @Test func everyInstructionParsesWithItsLineFlagsAndForm() throws {
        let file = try parse(
            """
            # a comment
            ARG BASE=busybox
            FROM $BASE AS build
            run echo hi
            COPY --from=build --chown=1:2 a b /dst/
            CMD ["sh", "-c", "echo"]
            ENTRYPOINT echo shell form
            ENV A=1 B="two words"
            LABEL x=y
            EXPOSE 80
            VOLUME ["/data"]
            USER nobody
            WORKDIR /srv
            SHELL ["/bin/ash", "-c"]
            STOPSIGNAL SIGTERM
            HEALTHCHECK --interval=5s CMD true
            ADD archive.tar /opt/
            ONBUILD RUN true
            MAINTAINER someone
            """)
        #expect(
            file.instructions.map(\.keyword) == [
                "ARG", "FROM", "RUN", "COPY", "CMD", "ENTRYPOINT", "ENV", "LABEL", "EXPOSE", "VOLUME",
                "USER", "WORKDIR", "SHELL", "STOPSIGNAL", "HEALTHCHECK", "ADD", "ONBUILD", "MAINTAINER"
            ])
        #expect(file.instructions[1].line == 3)
        #expect(file.instructions[2].arguments == .shell("echo hi"), "keywords are case-insensitive")
        #expect(file.instructions[3].flags == ["from": "build", "chown": "1:2"])
        #expect(file.instructions[3].arguments == .shell("a b /dst/"))
        #expect(file.instructions[4].arguments == .exec(["sh", "-c", "echo"]))
        #expect(file.instructions[5].arguments == .shell("echo shell form"))
        #expect(file.instructions[14].flags == ["interval": "5s"])
    }

    @Test func continuationsJoinAndSkipCommentsInside() throws {
        let file = try parse("FROM busybox\nRUN echo a \\\n# inside\n    && echo b \\\n\n    && echo c\nCMD x")
        #expect(file.instructions[1].arguments == .shell("echo a && echo b && echo c"))
        #expect(file.instructions[1].line == 2)
        #expect(file.instructions[2].line == 7)
    }

    @Test func theEscapeDirectiveChangesTheContinuationCharacter() throws {
        let file = try parse("# escape=`\nFROM busybox\nRUN echo a `\n    b\\c")
        #expect(file.escape == "`")
        #expect(file.instructions[1].arguments == .shell("echo a b\\c"))
        // A directive after an instruction is only a comment.
        #expect(try parse("FROM busybox\n# escape=`\nRUN a \\\n b").instructions[1].arguments == .shell("a b"))
    }

    @Test func heredocsCarryTheirBodies() throws {
        let file = try parse("FROM busybox\nRUN <<EOF\necho one\necho two\nEOF\nCOPY <<-'END' /x\n\tliteral $HOME\n\tEND\nCMD done")
        #expect(file.instructions[1].heredocs == [.init(name: "EOF", body: "echo one\necho two\n", expands: true)])
        #expect(file.instructions[2].heredocs == [.init(name: "END", body: "literal $HOME\n", expands: false)])
        #expect(file.instructions[3].keyword == "CMD")
        #expect(ImageBuilder.runCommand(file.instructions[1], shell: ["/bin/sh", "-c"]) == ["/bin/sh", "-c", "echo one\necho two\n"])
    }

    @Test(arguments: [
        ("FROM busybox\nFROB x", "Dockerfile:2: unknown instruction: FROB"),
        ("RUN echo", "Dockerfile:1: RUN before FROM: only ARG may come before the first FROM"),
        ("# just a comment\n", "Dockerfile:1: no instructions: a Dockerfile starts with FROM"),
        ("FROM busybox\nRUN <<EOF\necho", "Dockerfile:2: heredoc <<EOF has no terminating \"EOF\" line"),
        ("FROM busybox\nCOPY", "Dockerfile:2: COPY requires at least one argument"),
        ("# escape=x\nFROM busybox", "Dockerfile:1: invalid escape directive \"x\": use \\ or `")
    ])
    func errorsNameTheFileAndLine(text: String, message: String) {
        #expect(throws: SwiftrunError.invalidArgument(message)) { try parse(text) }
    }

    @Test func variablesExpandAsDockerDoes() throws {
        let words = ShellWords(variables: ["NAME": "app", "EMPTY": "", "PATHS": "a b"], escape: "\\")
        #expect(try words.words("$NAME ${NAME}/bin") == ["app", "app/bin"])
        #expect(try words.words("${MISSING:-fallback} ${EMPTY:-empty} ${EMPTY-unset}") == ["fallback", "empty"])
        #expect(try words.words("${NAME:+set} ${MISSING:+never}x") == ["set", "x"])
        #expect(try words.words("'$NAME' \"$NAME two\" \\$NAME") == ["$NAME", "app two", "$NAME"])
        #expect(try words.words("A=$PATHS") == ["A=a b"], "an expanded value stays one word, as in ENV")
        #expect(try words.line("/srv/${NAME}") == "/srv/app")
        #expect(try words.expandingVariables("echo \"$NAME\"  '\\$HOME'") == "echo \"app\"  '$HOME'", "a heredoc body keeps its quotes")
    }

    @Test func ignoreRulesAndGlobsMatchDockersPatterns() {
        let rules = IgnoreRules(patterns: ["# comment", "*.key", "build/", "**/*.log", "!keep.log", "docs/*.md"])
        #expect(rules.excludes("id.key"))
        #expect(rules.excludes("build/out/x.o"), "a directory pattern excludes what is under it")
        #expect(rules.excludes("a/b/c.log"))
        #expect(!rules.excludes("keep.log"), "! re-includes")
        #expect(rules.excludes("docs/readme.md") && !rules.excludes("docs/sub/readme.md"))
        #expect(!rules.excludes("src/main.c"))
        #expect(Glob.matches("src/*.c", "src/main.c") && !Glob.matches("src/*.c", "src/sub/x.c"))
    }
}
