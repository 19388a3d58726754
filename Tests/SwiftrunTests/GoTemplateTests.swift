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
        try GoTemplate(template).render(json: Array(document.utf8))
    }

    @Test func fieldsPrintAsGoPrintsThem() throws {
        #expect(try render("{{.Name}} {{.State.Status}} {{.State.Pid}} {{.State.Running}}") == "/web running 42 true")
        // A missing key, and anything below it, is Go's <no value>; null is <nil>.
        #expect(try render("{{.Nope}} {{.Nope.Deeper}} {{.Mounts}}") == "<no value> <no value> <nil>")
        #expect(try render("{{.Config.Labels}} {{.Config.Cmd}} {{.Config.Env}}") == "map[a:1 b:2] [sh -c a<b && c] []")
        #expect(try render("{{$.Name}}{{with .State}}:{{.Status}}{{end}}") == "/web:running")
    }

    @Test func functionsAndPipes() throws {
        #expect(try render("{{json .Config.Cmd}}") == #"["sh","-c","a\u003cb \u0026\u0026 c"]"#)
        #expect(try render("{{json .Config.Labels}} {{json .Nope}}") == #"{"a":"1","b":"2"} null"#)
        #expect(try render(#"{{index .Config.Labels "b"}} {{index .Config.Cmd 1}} {{(index .Config.Cmd 0) | upper}}"#) == "2 -c SH")
        #expect(try render(#"{{join .Config.Cmd "+"}} {{len .Config.Cmd}} {{.State.Status | printf "%s!"}}"#) == "sh+-c+a<b && c 3 running!")
        #expect(try render(#"{{printf "%q=%d%%" .Name .State.Pid}}"#) == #""/web"=42%"#)
        #expect(try render(#"{{split "a,b" ","}} {{lower "AB"}} {{title "ab cd"}} {{not .State.Running}}"#) == "[a b] ab Ab Cd false")
        #expect(try render(#"{{if eq .State.Status "exited" "running"}}yes{{end}} {{and .State.Pid .Name}} {{or .Nope "x"}}"#) == "yes /web x")
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
