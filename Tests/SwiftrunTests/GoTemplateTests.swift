import Testing

@testable import SwiftrunCore

/// Docker's --format language over a JSON document: what Go's
/// text/template prints for each construct format strings use.
@Suite struct GoTemplateTests {
    let document = """
        {"Name": "/web", "State": {"Status": "running", "Running": true, "Pid": 42, "ExitCode": 0},
         "Config": {"Cmd": ["sh", "-c", "a<b && c"], "Env": [], "Labels": {"b": "2", "a": "1"}},
         "Mounts": null}
        """

    func render(_ template: String) throws -> String {
        try GoTemplate(template).render(json: Array(document.utf8), as: .container)
    }

    @Test func fieldsPrintAsGoPrintsThem() throws {
        #expect(try render("{{.Name}} {{.State.Status}} {{.State.Pid}} {{.State.Running}}") == "/web running 42 true")
        // As docker inspect's struct prints them: a nil slice as [], a field its JSON omits when
        // empty as its zero value, a Go map's missing key as <no value>, index's of a map of strings as "".
        #expect(try render("{{.Mounts}} {{json .Mounts}} {{.Config.ExposedPorts}} {{.State.Health}}") == "[] null map[] <nil>")
        #expect(try render(#"{{.Config.Labels.nope}}|{{index .Config.Labels "nope"}}"#) == "<no value>|")
        #expect(try render("{{.Config.Labels}} {{.Config.Cmd}} {{.Config.Env}}") == "map[a:1 b:2] [sh -c a<b && c] []")
        #expect(try render("{{$.Name}}{{with .State}}:{{.Status}}{{end}}") == "/web:running")
    }

    @Test func functionsAndPipes() throws {
        #expect(try render("{{json .Config.Cmd}}") == #"["sh","-c","a\u003cb \u0026\u0026 c"]"#)
        #expect(try render("{{json .Config.Labels}} {{json .Mounts}}") == #"{"a":"1","b":"2"} null"#)
        #expect(try render(#"{{index .Config.Labels "b"}} {{index .Config.Cmd 1}} {{(index .Config.Cmd 0) | upper}}"#) == "2 -c SH")
        #expect(try render(#"{{join .Config.Cmd "+"}} {{len .Config.Cmd}} {{.State.Status | printf "%s!"}}"#) == "sh+-c+a<b && c 3 running!")
        #expect(try render(#"{{printf "%q=%d%%" .Name .State.Pid}}"#) == #""/web"=42%"#)
        #expect(try render(#"{{split "a,b" ","}} {{lower "AB"}} {{title "ab cd"}} {{not .State.Running}}"#) == "[a b] ab Ab Cd false")
        #expect(try render(#"{{if eq .State.Status "exited" "running"}}yes{{end}} {{and .State.Pid .Name}} {{or .Config.Env "x"}}"#) == "yes /web x")
        #expect(throws: SwiftrunError.self) { try render("{{index .Config.Cmd 5}}") }
        #expect(throws: SwiftrunError.self) { try render("{{.Name.First}}") }
    }

    @Test func conditionalsAndRanges() throws {
        #expect(try render("{{if .State.ExitCode}}bad{{else if .State.Running}}up{{else}}down{{end}}") == "up")
        #expect(try render("{{range .Config.Cmd}}[{{.}}]{{end}}") == "[sh][-c][a<b && c]")
        #expect(try render("{{range $k, $v := .Config.Labels}}{{$k}}={{$v}};{{end}}") == "a=1;b=2;")
        #expect(try render("{{range $i, $c := .Config.Cmd}}{{$i}}{{end}}") == "012")
        #expect(try render("{{range .Config.Env}}x{{else}}empty{{end}} {{range .Mounts}}x{{end}}.") == "empty .")
        #expect(try render("a  {{- .Name -}}  b\n{{- .State.Pid}}") == "a/webb42")
    }

    /// A list reads a costly field (ps's .Mounts) only where the template
    /// names it: in a branch, a pipe or parentheses, or through `$`; not
    /// a field that only begins with its name.
    @Test func aTemplateSaysWhichFieldsItNames() throws {
        for named in ["{{.Mounts}}", "{{if .ID}}{{upper .Mounts}}{{end}}", "{{(.Mounts)}}", "{{range .Names}}{{$.Mounts}}{{end}}", "{{json .}}", "{{$}}"] {
            #expect(try GoTemplate(named).names("Mounts"), "\(named)")
        }
        for other in ["{{.MountsX}}", "{{.ID}} Mounts", "{{\".Mounts\"}}"] {
            #expect(try !GoTemplate(other).names("Mounts"), "\(other)")
        }
    }

    /// A key the struct does not have either fails as docker inspect's
    /// second pass fails, over maps with missingkey=error: Go's words, at
    /// the field's line:column (a chain's second field), naming the operand.
    @Test func aKeyTheDocumentLacksFailsAsDockerInspectDoes() {
        for (template, failure) in [
            ("{{.Nope}}", #":1:2: executing "" at <.Nope>: map has no entry for key "Nope""#),
            ("{{.State.Nope.X}}", #":1:8: executing "" at <.State.Nope.X>: map has no entry for key "Nope""#),
            ("{{$.Nope}}", #":1:3: executing "" at <$.Nope>: map has no entry for key "Nope""#),
            ("{{with .State}}{{.Nope}}{{end}}", #":1:17: executing "" at <.Nope>: map has no entry for key "Nope""#),
            ("{{.State.Health.Status}}", #":1:8: executing "" at <.State.Health.Status>: map has no entry for key "Health""#),
            ("{{.Name.X}}", #":1:7: executing "" at <.Name.X>: can't evaluate field X in type interface {}"#),
            ("{{.Mounts.X}}", #":1:9: executing "" at <.Mounts.X>: nil pointer evaluating interface {}.X"#),
            // The struct's pass fails on .Nope, so the maps' pass runs, where the omitted field is missing too.
            ("{{if .Config.ExposedPorts}}x{{end}}{{.Nope}}", #":1:12: executing "" at <.Config.ExposedPorts>: map has no entry for key "ExposedPorts""#)
        ] {
            let error = #expect(throws: SwiftrunError.self) { try render(template) }
            #expect(error.map { "\($0)" } == "template: " + failure, "\(template)")
        }
    }

    @Test func aMalformedTemplateFailsBeforeItRuns() {
        for (template, reason) in [
            ("{{.Name", "unclosed action"), ("{{nope .Name}}", "function \"nope\" not defined"), ("{{end}}", "unexpected {{end}}"),
            ("{{if .Name}}x", "unexpected EOF"), ("{{\"open}}", "unterminated quoted string")
        ] {
            let error = #expect(throws: SwiftrunError.self) { try GoTemplate(template) }
            #expect(error.map { "\($0)" } == "template parsing error: template: :1: \(reason)", "\(template)")
        }
    }
}
