//! Table tests. Expected outputs come from Go's `text/template` package documentation
//! (including its "pipelines" examples), the `fmt`/`strconv` documentation, sprig's
//! function documentation and Argo CD's ApplicationSet documentation; error texts
//! from the messages those packages define.

use super::*;
use serde_json::{Value as Json, json};

fn run_with(src: &str, data: &Json, opts: &Options) -> String {
    match render(src, data, opts) {
        Ok(s) => s,
        Err(e) => format!("ERR {}", e.go_message("")),
    }
}

fn data() -> Json {
    json!({
        "name": "guestbook",
        "path": {"path": "apps/guestbook", "basename": "guestbook"},
        "l": ["a", "b", "c"],
        "m": {"b": 2, "a": 1},
        "n": 3,
        "big": 1000000,
        "f": 1.5,
        "t": true,
        "e": "",
        "z": 0,
        "el": [],
        "em": {},
        "nul": null,
        "s": "abc",
        "nested": {"x": [10, 20]},
    })
}

fn check(cases: &[(&str, &str)]) {
    check_opts(cases, &Options::default());
}

fn check_opts(cases: &[(&str, &str)], opts: &Options) {
    let d = data();
    let mut failures = Vec::new();
    for (src, want) in cases {
        let got = run_with(src, &d, opts);
        if got != *want {
            failures.push(format!("{src:?}\n   want {want:?}\n    got {got:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn text_trim_markers_and_comments() {
    check(&[
        // text/template docs: "{{23 -}} < {{- 45}}" produces "23<45".
        ("{{23 -}} < {{- 45}}", "23<45"),
        ("a {{/* a comment */}} b", "a  b"),
        ("a {{- /* a comment */ -}} \n b", "ab"),
        ("x\n  {{- .name}}", "xguestbook"),
        ("{{.name -}}\n\ty", "guestbooky"),
        ("no actions", "no actions"),
        ("", ""),
        ("{{-3}}", "-3"),
    ]);
}

#[test]
fn pipelines_from_the_package_docs() {
    // Every one of these prints "output" in quotes (text/template docs, "Examples").
    let q = "\"output\"";
    check(&[
        ("{{\"\\\"output\\\"\"}}", q),
        ("{{`\"output\"`}}", q),
        ("{{printf \"%q\" \"output\"}}", q),
        ("{{\"output\" | printf \"%q\"}}", q),
        ("{{printf \"%q\" (print \"out\" \"put\")}}", q),
        ("{{\"put\" | printf \"%s%s\" \"out\" | printf \"%q\"}}", q),
        ("{{\"output\" | printf \"%s\" | printf \"%q\"}}", q),
        ("{{with \"output\"}}{{printf \"%q\" .}}{{end}}", q),
        ("{{with $x := \"output\" | printf \"%q\"}}{{$x}}{{end}}", q),
        ("{{with $x := \"output\"}}{{printf \"%q\" $x}}{{end}}", q),
        ("{{with $x := \"output\"}}{{$x | printf \"%q\"}}{{end}}", q),
    ]);
}

#[test]
fn fields_and_value_printing() {
    check(&[
        ("{{.name}}", "guestbook"),
        ("{{ .path.basename }}", "guestbook"),
        ("{{.missing}}", "<no value>"),
        ("{{.missing.deeper}}", "<no value>"),
        ("{{.nul}}", "<no value>"),
        // JSON numbers are float64: %v prints the shortest form, %e from 1e21... and
        // from exponent 6 on for %g.
        ("{{.n}}", "3"),
        ("{{.f}}", "1.5"),
        ("{{.big}}", "1e+06"),
        ("{{.t}}", "true"),
        ("{{.l}}", "[a b c]"),
        ("{{.m}}", "map[a:1 b:2]"),
        ("{{.em}}", "map[]"),
        ("{{.nested}}", "map[x:[10 20]]"),
        ("{{(index .l 0)}}", "a"),
        ("{{(.path).basename}}", "guestbook"),
        ("{{$p := .path}}{{$p.basename}}", "guestbook"),
        ("{{$.name}}", "guestbook"),
    ]);
}

#[test]
fn literals() {
    check(&[
        (
            "{{print 0x1F 0o17 017 1_000 1.5 'a' \"\\t\" `raw`}}",
            "31 15 15 1000 1.5 97\traw",
        ),
        ("{{print true false nil}}", "true false <nil>"),
        ("{{1e3}}", "1000"),
        ("{{0x10}}", "16"),
        ("{{\"\\u00e9\\x41\"}}", "éA"),
        (
            "{{nil}}",
            "ERR template: :1:2: executing \"\" at <nil>: nil is not a command",
        ),
        ("{{'\\n' | printf \"%q\"}}", "'\\n'"),
    ]);
}

#[test]
fn variables() {
    check(&[
        ("{{$x := \"hi\"}}{{$x}}", "hi"),
        ("{{$x := 1}}{{$x = 2}}{{$x}}", "2"),
        ("{{$x := 1}}{{if true}}{{$x = 3}}{{end}}{{$x}}", "3"),
        (
            "{{if true}}{{$x := 1}}{{end}}{{$x}}",
            "ERR template: :1: undefined variable \"$x\"",
        ),
        ("{{with $x := .path}}{{$x.path}}{{end}}", "apps/guestbook"),
        (
            "{{range .l}}{{$.name}}{{end}}",
            "guestbookguestbookguestbook",
        ),
    ]);
}

#[test]
fn if_else_with() {
    check(&[
        ("{{if .name}}yes{{else}}no{{end}}", "yes"),
        ("{{if .e}}yes{{else}}no{{end}}", "no"),
        ("{{if .z}}yes{{else}}no{{end}}", "no"),
        ("{{if .el}}yes{{else}}no{{end}}", "no"),
        ("{{if .em}}yes{{else}}no{{end}}", "no"),
        ("{{if .missing}}yes{{else}}no{{end}}", "no"),
        ("{{if .nul}}yes{{else}}no{{end}}", "no"),
        ("{{if .f}}yes{{else}}no{{end}}", "yes"),
        (
            "{{if .e}}A{{else if .z}}B{{else if .t}}C{{else}}D{{end}}",
            "C",
        ),
        ("{{with .path}}{{.basename}}{{end}}", "guestbook"),
        ("{{with .e}}x{{else}}empty{{end}}", "empty"),
        (
            "{{with .e}}x{{else with .name}}{{.}}{{else}}none{{end}}",
            "guestbook",
        ),
        ("{{with .e}}x{{else with .z}}y{{else}}none{{end}}", "none"),
    ]);
}

#[test]
fn range_forms() {
    check(&[
        ("{{range .l}}{{.}},{{end}}", "a,b,c,"),
        (
            "{{range $i, $e := .l}}{{$i}}={{$e}} {{end}}",
            "0=a 1=b 2=c ",
        ),
        ("{{range $k, $v := .m}}{{$k}}:{{$v}};{{end}}", "a:1;b:2;"),
        ("{{range .el}}x{{else}}empty{{end}}", "empty"),
        ("{{range .missing}}x{{else}}empty{{end}}", "empty"),
        ("{{range 3}}{{.}}{{end}}", "012"),
        ("{{range $i := 2}}{{$i}}{{end}}", "01"),
        (
            "{{range .l}}{{if eq . \"b\"}}{{break}}{{end}}{{.}}{{end}}",
            "a",
        ),
        (
            "{{range .l}}{{if eq . \"b\"}}{{continue}}{{end}}{{.}}{{end}}",
            "ac",
        ),
        ("{{$e := \"\"}}{{range $e = .l}}{{end}}{{$e}}", "c"),
        ("{{range until 3}}{{.}}{{end}}", "012"),
        (
            "{{range .n}}x{{end}}",
            "ERR template: :1:8: executing \"\" at <.n>: range can't iterate over 3",
        ),
        (
            "{{range $i, $e := 3}}{{end}}",
            "ERR template: :1:18: executing \"\" at <3>: can't use 3 to iterate over more than one variable",
        ),
    ]);
}

#[test]
fn define_template_block() {
    check(&[
        (
            "{{define \"t\"}}[{{.}}]{{end}}{{template \"t\" .name}}",
            "[guestbook]",
        ),
        (
            "{{template \"t\" .name}}{{define \"t\"}}<{{.}}>{{end}}",
            "<guestbook>",
        ),
        (
            "{{define \"t\"}}{{.}}{{end}}{{template \"t\"}}",
            "<no value>",
        ),
        (
            "{{block \"b\" .name}}default {{.}}{{end}}",
            "default guestbook",
        ),
        (
            "{{template \"nope\"}}",
            "ERR template: :1:11: executing \"\" at <{{template \"nope\"}}>: template \"nope\" not defined",
        ),
        (
            "{{define \"t\"}}{{$x}}{{end}}",
            "ERR template: :1: undefined variable \"$x\"",
        ),
    ]);
}

#[test]
fn builtin_functions() {
    check(&[
        ("{{and 1 0 2}}", "0"),
        ("{{and 1 2}}", "2"),
        ("{{or 0 \"\" \"x\"}}", "x"),
        ("{{or 0 \"\"}}", ""),
        ("{{and false (index .l 99)}}", "false"),
        ("{{or .name (index .l 99)}}", "guestbook"),
        ("{{not 0}}", "true"),
        ("{{not .name}}", "false"),
        ("{{len .l}}", "3"),
        ("{{len \"héllo\"}}", "6"),
        ("{{len .m}}", "2"),
        ("{{index .l 1}}", "b"),
        ("{{index .m \"a\"}}", "1"),
        ("{{index .nested \"x\" 1}}", "20"),
        ("{{index .m \"zz\"}}", "<no value>"),
        ("{{index .s 0}}", "97"),
        (
            "{{printf \"%05.1f|%-4s|%3d\" 3.14159 \"ab\" 7}}",
            "003.1|ab  |  7",
        ),
        ("{{printf \"%d\" .n}}", "%!d(float64=3)"),
        ("{{printf \"%v %s\" .n}}", "3 %!s(MISSING)"),
        ("{{printf \"%s\" .name .n}}", "guestbook%!(EXTRA float64=3)"),
        ("{{println \"a\" 1}}", "a 1\n"),
        ("{{print \"a\" 1 2 \"b\"}}", "a1 2b"),
        (
            "{{html \"<a href='x'>&</a>\"}}",
            "&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;",
        ),
        ("{{html .missing}}", "&lt;no value&gt;"),
        ("{{js \"a'b\\\"c<d\"}}", "a\\'b\\\"c\\u003Cd"),
        ("{{urlquery \"a b&c=d\"}}", "a+b%26c%3Dd"),
        ("{{slice .l 1}}", "[b c]"),
    ]);
}

#[test]
fn comparisons() {
    check(&[
        ("{{eq .name \"guestbook\"}}", "true"),
        ("{{eq 2 1 2 3}}", "true"),
        ("{{eq .n 3.0}}", "true"),
        ("{{eq .missing \"x\"}}", "false"),
        // nil converts to a zero reflect.Value: both sides are nil.
        ("{{eq .missing nil}}", "true"),
        (
            "{{upper nil}}",
            "ERR template: :1:8: executing \"\" at <nil>: cannot assign nil to string",
        ),
        ("{{ne 1 2}}", "true"),
        ("{{lt 1 2}}", "true"),
        ("{{lt \"a\" \"b\"}}", "true"),
        ("{{le 2 2}}", "true"),
        ("{{gt 3 2}}", "true"),
        ("{{ge 1 2}}", "false"),
        ("{{eq (len .l) 3}}", "true"),
        ("{{eq (add 1 2) 3}}", "true"),
        (
            "{{eq .n 3}}",
            "ERR template: :1:2: executing \"\" at <eq .n 3>: error calling eq: incompatible types for comparison: float64 and int",
        ),
        (
            "{{lt 1 \"a\"}}",
            "ERR template: :1:2: executing \"\" at <lt 1 \"a\">: error calling lt: incompatible types for comparison: int and string",
        ),
        (
            "{{lt true false}}",
            "ERR template: :1:2: executing \"\" at <lt true false>: error calling lt: invalid type for comparison",
        ),
        (
            "{{lt .missing 1}}",
            "ERR template: :1:2: executing \"\" at <lt .missing 1>: error calling lt: invalid type for comparison",
        ),
        (
            "{{eq .l .l}}",
            "ERR template: :1:2: executing \"\" at <eq .l .l>: error calling eq: non-comparable type [a b c]: []interface {}",
        ),
        (
            "{{eq 1}}",
            "ERR template: :1:2: executing \"\" at <eq 1>: error calling eq: missing argument for comparison",
        ),
        (
            "{{eq}}",
            "ERR template: :1:2: executing \"\" at <eq>: wrong number of args for eq: want at least 1 got 0",
        ),
    ]);
}

#[test]
fn execution_errors_are_go_like() {
    check(&[
        (
            "{{upper \"a\" \"b\"}}",
            "ERR template: :1:2: executing \"\" at <upper>: wrong number of args for upper: want 1 got 2",
        ),
        (
            "{{upper .n}}",
            "ERR template: :1:8: executing \"\" at <.n>: wrong type for value; expected string; got float64",
        ),
        (
            "{{upper .missing}}",
            "ERR template: :1:8: executing \"\" at <.missing>: invalid value; expected string",
        ),
        (
            "{{upper .nul}}",
            "ERR template: :1:8: executing \"\" at <.nul>: wrong type for value; expected string; got interface {}",
        ),
        (
            "{{.n | upper}}",
            "ERR template: :1:7: executing \"\" at <upper>: wrong type for value; expected string; got float64",
        ),
        (
            "{{trunc \"5\" .name}}",
            "ERR template: :1:8: executing \"\" at <\"5\">: expected integer; found \"5\"",
        ),
        (
            "{{index .l 5}}",
            "ERR template: :1:2: executing \"\" at <index .l 5>: error calling index: index out of range: 5",
        ),
        (
            "{{index .l \"a\"}}",
            "ERR template: :1:2: executing \"\" at <index .l \"a\">: error calling index: cannot index slice/array with type string",
        ),
        (
            "{{len 3}}",
            "ERR template: :1:2: executing \"\" at <len 3>: error calling len: len of type int",
        ),
        (
            "{{.nul.x}}",
            "ERR template: :1:6: executing \"\" at <.nul.x>: nil pointer evaluating interface {}.x",
        ),
        (
            "{{.name.x}}",
            "ERR template: :1:7: executing \"\" at <.name.x>: can't evaluate field x in type interface {}",
        ),
        (
            "{{$x := .name}}{{$x.y}}",
            "ERR template: :1:19: executing \"\" at <$x.y>: can't evaluate field y in type string",
        ),
        (
            "{{.name 1}}",
            "ERR template: :1:2: executing \"\" at <.name>: name is not a method but has arguments",
        ),
        (
            "{{\"x\" 1}}",
            "ERR template: :1:2: executing \"\" at <\"x\">: can't give argument to non-function \"x\"",
        ),
        (
            "{{call .name}}",
            "ERR template: :1:2: executing \"\" at <call .name>: error calling call: non-function .name of type string",
        ),
        (
            "{{fail \"stop here\"}}",
            "ERR template: :1:2: executing \"\" at <fail \"stop here\">: error calling fail: stop here",
        ),
        (
            "line1\n  {{ index .l 9 }}",
            "ERR template: :2:5: executing \"\" at <index .l 9>: error calling index: index out of range: 9",
        ),
    ]);
}

#[test]
fn missingkey_options() {
    let error = Options::from_go_template_options(&["missingkey=error".into()]).unwrap_or_default();
    check_opts(
        &[
            // The chained field's position is its second element (`.basenme`), as in Go.
            (
                "{{.path.basenme}}",
                "ERR template: :1:7: executing \"\" at <.path.basenme>: map has no entry for key \"basenme\"",
            ),
            (
                "{{.a.b}}",
                "ERR template: :1:4: executing \"\" at <.a.b>: map has no entry for key \"a\"",
            ),
            (
                "{{.url}}",
                "ERR template: :1:2: executing \"\" at <.url>: map has no entry for key \"url\"",
            ),
            // default cannot rescue a missing key under missingkey=error (issue #20594).
            (
                "{{.x | default \"d\"}}",
                "ERR template: :1:2: executing \"\" at <.x>: map has no entry for key \"x\"",
            ),
            ("{{.name}}", "guestbook"),
            ("{{.nul}}", "<no value>"),
        ],
        &error,
    );
    let zero = Options::from_go_template_options(&["missingkey=zero".into()]).unwrap_or_default();
    check_opts(
        &[
            // Go quirk: zero of interface{} prints as <no value> for map[string]interface{}.
            ("{{.missing}}", "<no value>"),
            (
                "{{.missing.x}}",
                "ERR template: :1:10: executing \"\" at <.missing.x>: nil pointer evaluating interface {}.x",
            ),
            ("{{$m := split \",\" \"a\"}}[{{$m._9}}]", "[]"),
        ],
        &zero,
    );
    let invalid =
        Options::from_go_template_options(&["missingkey=invalid".into()]).unwrap_or_default();
    check_opts(&[("{{.missing}}", "<no value>")], &invalid);
}

#[test]
fn option_parsing_follows_template_option() {
    assert_eq!(
        Options::from_go_template_options(&["missingkey=bogus".into()]),
        Err("unrecognized option: missingkey=bogus".into())
    );
    assert_eq!(
        Options::from_go_template_options(&["".into()]),
        Err("empty option string".into())
    );
    assert_eq!(
        Options::from_go_template_options(&["missingkey=default".into()]).map(|o| o.missing_key),
        Ok(MissingKey::Default)
    );
}

#[test]
fn parse_errors() {
    let cases: &[(&str, &str, std::ops::Range<usize>)] = &[
        (
            "{{name}}",
            "template: :1: function \"name\" not defined",
            2..6,
        ),
        (
            "{{ env \"HOME\" }}",
            "template: :1: function \"env\" not defined",
            3..6,
        ),
        (
            "{{ .a | getHostByName }}",
            "template: :1: function \"getHostByName\" not defined",
            8..21,
        ),
        ("{{if .x}}", "template: :1: unexpected EOF", 9..9),
        ("a\n{{end}}", "template: :2: unexpected {{end}}", 4..7),
        ("{{.x}", "template: :1: unexpected \"}\" in operand", 4..5),
        (
            "{{ .a\n",
            "template: :2: unclosed action started at :1",
            6..6,
        ),
        (
            "{{range .l}}{{else}}{{else}}{{end}}",
            "template: :1: expected end; found {{else}}",
            22..26,
        ),
    ];
    for (src, want, range) in cases {
        match Template::parse(src) {
            Ok(_) => panic!("{src:?} parsed"),
            Err(e) => {
                assert_eq!(e.kind, ErrorKind::Parse, "{src:?}");
                assert_eq!(e.go_message(""), *want, "{src:?}");
                assert_eq!(e.range, range.clone(), "{src:?}");
            }
        }
    }
}

#[test]
fn structured_errors_carry_the_node_range() {
    let opts = Options::from_go_template_options(&["missingkey=error".into()]).unwrap_or_default();
    let src = "name: {{ .path.basenme }}";
    let Err(e) = render(src, &data(), &opts) else {
        panic!("must fail")
    };
    assert_eq!(e.kind, ErrorKind::Exec);
    assert_eq!(&src[e.range.clone()], ".path.basenme");
    assert_eq!(e.message, "map has no entry for key \"basenme\"");
    assert_eq!(e.context.as_deref(), Some(".path.basenme"));
    assert_eq!((e.line, e.col), (1, 14));
    assert_eq!(
        e.go_message("x"),
        "template: x:1:14: executing \"x\" at <.path.basenme>: map has no entry for key \"basenme\""
    );
    let Err(e) = render("{{ index .l 5 }}", &data(), &Options::default()) else {
        panic!("must fail")
    };
    assert_eq!(e.range, 3..13);
}

#[test]
fn sprig_strings() {
    check(&[
        ("{{ trim \"   hello    \" }}", "hello"),
        ("{{ trimAll \"$\" \"$5.00\" }}", "5.00"),
        ("{{ trimSuffix \"-\" \"hello-\" }}", "hello"),
        ("{{ trimPrefix \"-\" \"-hello\" }}", "hello"),
        ("{{ upper \"hello\" }}", "HELLO"),
        ("{{ lower \"HELLO\" }}", "hello"),
        ("{{ title \"hello world\" }}", "Hello World"),
        ("{{ untitle \"Hello World\" }}", "hello world"),
        ("{{ repeat 3 \"hello\" }}", "hellohellohello"),
        ("{{ substr 0 5 \"hello world\" }}", "hello"),
        ("{{ substr 6 -1 \"hello world\" }}", "world"),
        ("{{ nospace \"hello w o r l d\" }}", "helloworld"),
        ("{{ trunc 5 \"hello world\" }}", "hello"),
        ("{{ trunc -5 \"hello world\" }}", "world"),
        ("{{ abbrev 5 \"hello world\" }}", "he..."),
        ("{{ abbrevboth 5 10 \"1234 5678 9123\" }}", "...5678..."),
        ("{{ initials \"First Try\" }}", "FT"),
        ("{{ swapcase \"This Is A.Test\" }}", "tHIS iS a.tEST"),
        ("{{ contains \"cat\" \"catch\" }}", "true"),
        ("{{ hasPrefix \"cat\" \"catch\" }}", "true"),
        ("{{ hasSuffix \"cat\" \"catch\" }}", "false"),
        ("{{ quote \"hello\" }}", "\"hello\""),
        ("{{ squote \"hello\" }}", "'hello'"),
        ("{{ quote .n .missing \"x\" }}", "\"3\" \"x\""),
        (
            "{{ cat \"hello\" \"beautiful\" \"world\" }}",
            "hello beautiful world",
        ),
        ("{{ indent 2 \"a\\nb\" }}", "  a\n  b"),
        ("{{ nindent 2 \"a\" }}", "\n  a"),
        (
            "{{ replace \" \" \"-\" \"I Am Henry VIII\" }}",
            "I-Am-Henry-VIII",
        ),
        (
            "{{ plural \"one anchovy\" \"many anchovies\" 2 }}",
            "many anchovies",
        ),
        ("{{ snakecase \"FirstName\" }}", "first_name"),
        ("{{ camelcase \"http_server\" }}", "HttpServer"),
        ("{{ kebabcase \"FirstName\" }}", "first-name"),
        ("{{ toString 1 }}", "1"),
        ("{{ .path.path | base }}", "guestbook"),
        ("{{ dir \"foo/bar/baz\" }}", "foo/bar"),
        ("{{ clean \"foo/bar/../baz\" }}", "foo/baz"),
        ("{{ ext \"foo.bar\" }}", ".bar"),
        ("{{ isAbs \"/x\" }}", "true"),
        ("{{ b64enc \"hello\" }}", "aGVsbG8="),
        ("{{ b64dec \"aGVsbG8=\" }}", "hello"),
        ("{{ b32enc \"hello\" }}", "NBSWY3DP"),
        ("{{ b32dec \"NBSWY3DP\" }}", "hello"),
        (
            "{{ sha256sum \"Hello world!\" }}",
            "c0535e4be2b79ffd93291305436bf889314e4a3faec05ecffcbb7df31ad9e51a",
        ),
        (
            "{{ sha1sum \"abc\" }}",
            "a9993e364706816aba3e25717850c26c9cd0d89d",
        ),
        (
            "{{ substr 5 3 \"hello\" }}",
            "ERR template: :1:3: executing \"\" at <substr 5 3 \"hello\">: error calling substr: runtime error: slice bounds out of range [5:3]",
        ),
    ]);
}

#[test]
fn sprig_conversions_and_math() {
    check(&[
        ("{{ atoi \"42\" }}", "42"),
        ("{{ atoi \"x\" }}", "0"),
        ("{{ int \"42\" }}", "42"),
        ("{{ int64 \"0x10\" }}", "16"),
        ("{{ int .f }}", "1"),
        ("{{ float64 \"1.5\" }}", "1.5"),
        ("{{ typeOf (int64 1) }}", "int64"),
        ("{{ add 1 2 3 }}", "6"),
        ("{{ add .n 1 }}", "4"),
        ("{{ add1 1 }}", "2"),
        ("{{ sub 3 2 }}", "1"),
        ("{{ div 6 3 }}", "2"),
        ("{{ mod 7 3 }}", "1"),
        ("{{ mul 2 3 4 }}", "24"),
        ("{{ max 1 5 3 }}", "5"),
        ("{{ min 4 2 3 }}", "2"),
        ("{{ addf 1.5 2 2 }}", "5.5"),
        ("{{ addf 0.1 0.2 }}", "0.3"),
        ("{{ subf 1.5 2 2 }}", "-2.5"),
        ("{{ mulf 1.5 2 2 }}", "6"),
        ("{{ divf 10 2 4 }}", "1.25"),
        ("{{ maxf 1 2.5 3 }}", "3"),
        ("{{ floor 123.9999 }}", "123"),
        ("{{ ceil 123.001 }}", "124"),
        ("{{ round 123.555555 3 }}", "123.556"),
        ("{{ until 5 }}", "[0 1 2 3 4]"),
        ("{{ untilStep 3 6 2 }}", "[3 5]"),
        ("{{ seq 5 }}", "1 2 3 4 5"),
        ("{{ seq -3 }}", "1 0 -1 -2 -3"),
        ("{{ seq 0 2 }}", "0 1 2"),
        ("{{ seq 2 -2 }}", "2 1 0 -1 -2"),
        ("{{ seq 0 2 10 }}", "0 2 4 6 8 10"),
        ("{{ seq 0 -2 -5 }}", "0 -2 -4"),
        ("{{ toDecimal \"0777\" }}", "511"),
        (
            "{{ div 1 0 }}",
            "ERR template: :1:3: executing \"\" at <div 1 0>: error calling div: runtime error: integer divide by zero",
        ),
    ]);
}

#[test]
fn sprig_defaults_and_json() {
    check(&[
        ("{{ .missing | default \"foo\" }}", "foo"),
        ("{{ default \"foo\" .e }}", "foo"),
        ("{{ default \"foo\" \"bar\" }}", "bar"),
        ("{{ default 9 .z }}", "9"),
        ("{{ empty \"\" }}", "true"),
        ("{{ empty .el }}", "true"),
        ("{{ empty .t }}", "false"),
        ("{{ coalesce 0 \"\" \"x\" }}", "x"),
        ("{{ coalesce 0 \"\" }}", "<no value>"),
        ("{{ all 1 \"a\" }}", "true"),
        ("{{ any 0 \"\" }}", "false"),
        ("{{ ternary \"foo\" \"bar\" true }}", "foo"),
        ("{{ false | ternary \"foo\" \"bar\" }}", "bar"),
        (
            "{{ toJson (dict \"a\" 1 \"b\" (list 1 \"x\")) }}",
            "{\"a\":1,\"b\":[1,\"x\"]}",
        ),
        ("{{ toJson .m }}", "{\"a\":1,\"b\":2}"),
        ("{{ toPrettyJson (dict \"a\" 1) }}", "{\n  \"a\": 1\n}"),
        ("{{ toJson \"<b>\" }}", "\"\\u003cb\\u003e\""),
        ("{{ toRawJson \"<b>\" }}", "\"<b>\""),
        ("{{ (fromJson \"{\\\"a\\\": [1,2]}\").a }}", "[1 2]"),
        ("{{ fromJson \"bad\" }}", "<no value>"),
        ("{{ typeOf (fromJson \"1\") }}", "float64"),
        ("{{ typeOf .n }}", "float64"),
        ("{{ typeOf 1 }}", "int"),
        ("{{ typeOf .l }}", "[]interface {}"),
        ("{{ kindOf .m }}", "map"),
        ("{{ kindIs \"slice\" .l }}", "true"),
        ("{{ typeIs \"string\" .name }}", "true"),
        ("{{ deepEqual (list 1 2) (list 1 2) }}", "true"),
        ("{{ deepEqual .n 3 }}", "false"),
    ]);
}

#[test]
fn sprig_lists() {
    check(&[
        ("{{ list 1 2 3 | join \"-\" }}", "1-2-3"),
        ("{{ join \",\" .l }}", "a,b,c"),
        ("{{ splitList \"$\" \"foo$bar$baz\" }}", "[foo bar baz]"),
        ("{{ $a := split \"$\" \"foo$bar$baz\" }}{{ $a._0 }}", "foo"),
        (
            "{{ $a := splitn \"$\" 2 \"foo$bar$baz\" }}{{ $a._1 }}",
            "bar$baz",
        ),
        ("{{ sortAlpha (list \"c\" \"a\" \"b\") }}", "[a b c]"),
        ("{{ first .l }}", "a"),
        ("{{ last .l }}", "c"),
        ("{{ rest .l }}", "[b c]"),
        ("{{ initial .l }}", "[a b]"),
        ("{{ append .l \"d\" }}", "[a b c d]"),
        ("{{ prepend .l \"z\" }}", "[z a b c]"),
        ("{{ concat (list 1 2) (list 3) .l }}", "[1 2 3 a b c]"),
        ("{{ reverse .l }}", "[c b a]"),
        ("{{ uniq (list 1 1 1 2) }}", "[1 2]"),
        ("{{ without (list 1 2 3 4) 1 3 }}", "[2 4]"),
        ("{{ has \"b\" .l }}", "true"),
        ("{{ has 4 .nil }}", "false"),
        ("{{ compact (list 1 \"\" nil \"x\") }}", "[1 x]"),
        ("{{ slice (list 1 2 3 4 5) 1 3 }}", "[2 3]"),
        ("{{ chunk 3 (list 1 2 3 4 5) }}", "[[1 2 3] [4 5]]"),
        ("{{ first .el }}", "<no value>"),
        (
            "{{ first .name }}",
            "ERR template: :1:3: executing \"\" at <first .name>: error calling first: Cannot find first on type string",
        ),
    ]);
}

#[test]
fn sprig_dicts() {
    check(&[
        (
            "{{ $d := dict \"name1\" \"value1\" \"name2\" \"value2\" }}{{ get $d \"name1\" }}|{{ get $d \"x\" }}|",
            "value1||",
        ),
        (
            "{{ $d := dict \"a\" 1 }}{{ $_ := set $d \"b\" 2 }}{{ $d }}",
            "map[a:1 b:2]",
        ),
        (
            "{{ $d := dict \"a\" 1 \"b\" 2 }}{{ $_ := unset $d \"a\" }}{{ $d }}",
            "map[b:2]",
        ),
        ("{{ hasKey .m \"a\" }}", "true"),
        ("{{ pluck \"a\" .m (dict \"a\" 9) (dict) }}", "[1 9]"),
        ("{{ keys (dict \"b\" 1 \"a\" 2) }}", "[a b]"),
        ("{{ values .m }}", "[1 2]"),
        ("{{ pick .m \"a\" }}", "map[a:1]"),
        ("{{ omit .m \"a\" }}", "map[b:2]"),
        (
            "{{ $d := dict \"user\" (dict \"role\" (dict \"name\" \"admin\")) }}{{ dig \"user\" \"role\" \"name\" \"guest\" $d }} {{ dig \"user\" \"x\" \"guest\" $d }}",
            "admin guest",
        ),
        (
            "{{ $dst := dict \"default\" \"default\" \"overwrite\" \"me\" \"key\" \"true\" }}{{ $src := dict \"overwrite\" \"overwritten\" \"key\" \"false\" }}{{ merge $dst $src }}",
            "map[default:default key:true overwrite:me]",
        ),
        (
            "{{ $dst := dict \"default\" \"default\" \"overwrite\" \"me\" \"key\" \"true\" }}{{ $src := dict \"overwrite\" \"overwritten\" \"key\" \"false\" }}{{ mergeOverwrite $dst $src }}",
            "map[default:default key:false overwrite:overwritten]",
        ),
        (
            "{{ merge (dict \"a\" (dict \"x\" 1)) (dict \"a\" (dict \"y\" 2)) }}",
            "map[a:map[x:1 y:2]]",
        ),
        (
            "{{ $c := deepCopy .m }}{{ $_ := set $c \"z\" 0 }}{{ len .m }}",
            "2",
        ),
        (
            "{{ get .l \"a\" }}",
            "ERR template: :1:7: executing \"\" at <.l>: wrong type for value; expected map[string]interface {}; got []interface {}",
        ),
    ]);
}

#[test]
fn sprig_regex() {
    check(&[
        (
            "{{ regexMatch \"^[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\\\\.[a-zA-Z]{2,}$\" \"test@acme.com\" }}",
            "true",
        ),
        (
            "{{ regexFindAll \"[2,4,6,8]\" \"123456789\" -1 }}",
            "[2 4 6 8]",
        ),
        ("{{ regexFindAll \"[2,4,6,8]\" \"123456789\" 2 }}", "[2 4]"),
        ("{{ regexFind \"[a-zA-Z][1-9]\" \"abcd1234\" }}", "d1"),
        (
            "{{ regexReplaceAll \"a(x*)b\" \"-ab-axxb-\" \"${1}W\" }}",
            "-W-xxW-",
        ),
        // Go's regexp docs: "$1W" names group "1W", which does not exist.
        (
            "{{ regexReplaceAll \"a(x*)b\" \"-ab-axxb-\" \"$1W\" }}",
            "---",
        ),
        (
            "{{ regexReplaceAllLiteral \"a(x*)b\" \"-ab-axxb-\" \"${1}\" }}",
            "-${1}-${1}-",
        ),
        ("{{ regexSplit \"z+\" \"pizza\" -1 }}", "[pi a]"),
        ("{{ regexSplit \"z+\" \"pizza\" 1 }}", "[pizza]"),
        ("{{ regexQuoteMeta \"1.2.3\" }}", "1\\.2\\.3"),
        ("{{ regexMatch \"(\" \"x\" }}", "false"),
        ("{{ regexMatch \"^\\\\d+$\" \"42\" }}", "true"),
    ]);
    let got = run_with("{{ regexFind \"(\" \"x\" }}", &data(), &Options::default());
    assert!(
        got.starts_with("ERR template: :1:3: executing \"\" at <regexFind \"(\" \"x\">: error calling regexFind: regexp: Compile(`(`): error parsing regexp:"),
        "{got}"
    );
}

#[test]
fn argo_cd_functions() {
    check(&[
        ("{{ normalize \"My_App.Prod\" }}", "my-app.prod"),
        ("{{ slugify \"Hello World\" }}", "hello-world"),
        ("{{ slugify 7 \"aaa-bbb-ccc\" }}", "aaa-bbb"),
        ("{{ slugify 9 false \"aaa-bbb-ccc\" }}", "aaa-bbb-c"),
        (
            "{{ slugify .n .name }}",
            "ERR template: :1:3: executing \"\" at <slugify .n .name>: error calling slugify: interface conversion: interface {} is float64, not int",
        ),
        ("{{ toYaml (dict \"a\" (list 1 2)) }}", "a:\n- 1\n- 2"),
        (
            "{{ toYaml .path }}",
            "basename: guestbook\npath: apps/guestbook",
        ),
        ("{{ (fromYaml \"a: 1\\nb: [x]\").b }}", "[x]"),
        ("{{ typeOf (fromYaml \"a: 1\").a }}", "float64"),
        ("{{ index (fromYamlArray \"- a\\n- b\") 1 }}", "b"),
        ("{{ fromYaml \"\" }}", "map[]"),
        (
            "{{ fromYaml \"- a\" }}",
            "ERR template: :1:3: executing \"\" at <fromYaml \"- a\">: error calling fromYaml: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go value of type map[string]interface {}",
        ),
        ("{{ tpl \"{{ .name }}\" . }}", "guestbook"),
        ("{{ tpl \"[{{ .missing }}]\" . }}", "[]"),
        (
            "{{ define \"x\" }}X{{ end }}{{ tpl \"{{ template \\\"x\\\" }}\" . }}",
            "X",
        ),
    ]);
    let got = run_with("{{ tpl \"{{ bogus }}\" . }}", &data(), &Options::default());
    assert_eq!(
        got,
        "ERR template: :1:3: executing \"\" at <tpl \"{{ bogus }}\" .>: error calling tpl: cannot parse template \"{{ bogus }}\": template: :1: function \"bogus\" not defined"
    );
}

#[test]
fn unsupported_functions_are_reported_as_such() {
    for src in [
        "{{ now }}",
        "{{ uuidv4 }}",
        "{{ randAlpha 3 }}",
        "{{ semverCompare \">1\" \"2\" }}",
    ] {
        let Err(e) = render(src, &data(), &Options::default()) else {
            panic!("{src} must not render")
        };
        assert_eq!(e.kind, ErrorKind::Unsupported, "{src}");
    }
}

#[test]
fn resource_limits_stop_hostile_templates() {
    let limit = |src: &str| match render(src, &data(), &Options::default()) {
        Err(e) => e.kind == ErrorKind::Limit,
        Ok(_) => false,
    };
    assert!(limit("{{ range until 1000000000 }}{{ end }}"));
    assert!(limit("{{ repeat 1000000000 \"x\" }}"));
    assert!(limit(
        "{{ range until 100000 }}{{ range until 100000 }}{{ end }}{{ end }}"
    ));
    assert!(limit("{{ range until 200000 }}0123456789{{ end }}"));
    assert!(limit("{{ tpl \"{{ tpl . . }}\" \"{{ tpl . . }}\" }}"));
    // Quadratic growth by repeated append is stopped by the allocation budget.
    assert!(limit(
        "{{ $l := list }}{{ range until 100000 }}{{ $l = append $l . }}{{ end }}{{ len $l }}"
    ));
    assert!(limit(
        "{{ $l := list }}{{ range until 1000 }}{{ $l = append $l (until 1000000) }}{{ end }}"
    ));
    let Err(e) = render(
        "{{define \"r\"}}{{template \"r\" .}}{{end}}{{template \"r\" .}}",
        &data(),
        &Options::default(),
    ) else {
        panic!("recursion must fail")
    };
    assert!(
        e.message.starts_with("exceeded maximum template depth"),
        "{e}"
    );
}

#[test]
fn deep_nesting_fits_a_small_stack() {
    // Tests run on 2 MiB threads; check the nesting limits keep recursion within that.
    let handle = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(|| {
            let deep_parens = format!("{{{{{}1{}}}}}", "(".repeat(99), ")".repeat(99));
            let ok = render(&deep_parens, &json!({}), &Options::default());
            let nested_ifs = format!("{}x{}", "{{if 1}}".repeat(99), "{{end}}".repeat(99));
            let ok2 = render(&nested_ifs, &json!({}), &Options::default());
            let deep_parse = format!("{{{{{}1{}}}}}", "(".repeat(500), ")".repeat(500));
            let e = Template::parse(&deep_parse).err().map(|e| e.message);
            let recursion = render(
                "{{define \"r\"}}{{if .}}{{template \"r\" (print . \"x\")}}{{end}}{{end}}{{template \"r\" \"x\"}}",
                &json!({}),
                &Options::default(),
            );
            (ok.is_ok(), ok2.ok(), e, recursion.is_err())
        });
    let Ok(h) = handle else { panic!("spawn") };
    let Ok((a, b, c, d)) = h.join() else {
        panic!("stack overflow")
    };
    assert!(a);
    assert_eq!(b.as_deref(), Some("x"));
    assert_eq!(c.as_deref(), Some("max expression depth exceeded"));
    assert!(d);
}

#[test]
fn argo_cd_mixing_fasttemplate_syntax_fails_at_parse() {
    // §5.3: `{{name}}` in a goTemplate ApplicationSet is a call of function "name".
    let e = Template::parse("{{cluster}}-guestbook").err();
    assert_eq!(
        e.map(|e| e.go_message("")),
        Some("template: :1: function \"cluster\" not defined".to_string())
    );
}

#[test]
fn function_names_list_everything_and_nothing_removed() {
    let names = function_names();
    assert!(names.len() > 200);
    assert!(names.contains(&"slugify"));
    assert!(!names.contains(&"env"));
    assert!(names.windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn random_templates_never_panic() {
    // A deterministic generator of token soup: every template must parse or fail with
    // an error, and every parsed one must execute or fail with an error.
    let pieces = [
        "{{",
        "}}",
        "{{-",
        " -}}",
        " ",
        ".",
        ".name",
        ".l",
        ".m",
        ".nul",
        ".n",
        "$",
        "$x",
        ":=",
        "=",
        "|",
        "(",
        ")",
        "\"s\"",
        "`r`",
        "'c'",
        "1",
        "-2",
        "1.5",
        "0x1F",
        "nil",
        "true",
        "if",
        "else",
        "end",
        "range",
        "with",
        "define",
        "template",
        "block",
        "break",
        "continue",
        "index",
        "len",
        "eq",
        "lt",
        "and",
        "or",
        "not",
        "printf",
        "print",
        "slice",
        "upper",
        "default",
        "dict",
        "list",
        "set",
        "toYaml",
        "toJson",
        "fromYaml",
        "tpl",
        "substr",
        "trunc",
        "until",
        "repeat",
        "regexFind",
        "slugify",
        "split",
        "\"%d\"",
        "\"(\"",
        "/*",
        "*/",
        "\n",
        ",",
        "é",
    ];
    let mut seed: u64 = 0x9E3779B97F4A7C15;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let d = data();
    let mut parsed = 0;
    for i in 0..40_000 {
        let n = (next() % 8) as usize + 1;
        let mut src = String::new();
        if i % 2 == 0 {
            for _ in 0..n {
                src.push_str(pieces[(next() % pieces.len() as u64) as usize]);
            }
        } else {
            // Well-formed actions with random operands: these mostly parse and so
            // exercise the executor.
            src.push_str("{{ ");
            for k in 0..n {
                if k > 0 {
                    src.push(' ');
                }
                src.push_str(pieces[(next() % pieces.len() as u64) as usize]);
            }
            src.push_str(" }}");
        }
        if let Ok(t) = Template::parse(&src) {
            parsed += 1;
            let _ = t.execute(&d, &Options::default());
        }
    }
    assert!(parsed > 1_000, "only {parsed} random templates parsed");
}

#[test]
fn prepared_data_is_shared_between_fields_like_argo_cd() {
    let d = Data::new(&json!({"name": "a"}));
    let opts = Options::default();
    let first = Template::parse("{{ $_ := set . \"extra\" (dict \"k\" \"v\") }}{{ .name }}");
    let second = Template::parse("{{ .extra.k }}");
    let (Ok(first), Ok(second)) = (first, second) else {
        panic!("parse")
    };
    assert_eq!(first.execute_data(&d, &opts).ok().as_deref(), Some("a"));
    assert_eq!(second.execute_data(&d, &opts).ok().as_deref(), Some("v"));
    // Plain `execute` converts the JSON afresh each time.
    assert_eq!(
        second.execute(&json!({"name": "a"}), &opts).ok().as_deref(),
        Some("<no value>")
    );
}
