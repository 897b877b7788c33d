//! Table tests for §4.4. Expected documents were checked against gojq.

use super::*;
use serde_json::json;

fn limits() -> JqLimits {
    JqLimits {
        timeout: Duration::from_secs(20),
        max_steps: 20_000,
    }
}

fn run(expr: &str, doc: Value) -> (Value, JqOutcome) {
    let mut d = doc;
    let compiled = compile(expr);
    let out = match compiled {
        Ok(e) => {
            with_jq_worker(|| e.apply(&mut d, &limits())).unwrap_or_else(JqOutcome::RuntimeError)
        }
        Err(e) => JqOutcome::RuntimeError(format!("did not compile: {e}")),
    };
    (d, out)
}

fn applied(removed: &[&str]) -> JqOutcome {
    JqOutcome::Applied {
        removed: removed.iter().map(|s| s.to_string()).collect(),
        changed: Vec::new(),
    }
}

#[test]
fn path_expressions_delete_like_gojq() {
    let a3 = json!({"a": [1, 2, 3]});
    let cases: Vec<(&str, Value, Value, JqOutcome)> = vec![
        // a missing path is a silent no-op, so the other path still goes (jaq's own del fails here)
        (
            ".spec.missing.deeper, .spec.replicas",
            json!({"spec": {"replicas": 3, "x": 1}}),
            json!({"spec": {"x": 1}}),
            applied(&["/spec/replicas"]),
        ),
        (
            ".spec.missing.deeper",
            json!({"spec": {"replicas": 3}}),
            json!({"spec": {"replicas": 3}}),
            applied(&[]),
        ),
        (
            ".x[5]",
            json!({"x": [1, 2]}),
            json!({"x": [1, 2]}),
            applied(&[]),
        ),
        (
            ".x[-1]",
            json!({"x": [1, 2, 3]}),
            json!({"x": [1, 2]}),
            applied(&["/x/2"]),
        ),
        (
            ".x[-5]",
            json!({"x": [1, 2, 3]}),
            json!({"x": [1, 2, 3]}),
            applied(&[]),
        ),
        // both indices refer to the array before deletion (re-indexing as gojq)
        (
            ".x[0], .x[2]",
            json!({"x": [1, 2, 3]}),
            json!({"x": [2]}),
            applied(&["/x/0", "/x/2"]),
        ),
        (
            ".x[2], .x[0]",
            json!({"x": [1, 2, 3]}),
            json!({"x": [2]}),
            applied(&["/x/0", "/x/2"]),
        ),
        (
            ".a[0], .a[0]",
            a3.clone(),
            json!({"a": [2, 3]}),
            applied(&["/a/0"]),
        ),
        (
            ".a[0], .a[1:]",
            a3.clone(),
            json!({"a": []}),
            applied(&["/a/0", "/a/1", "/a/2"]),
        ),
        (
            ".a[1:2]",
            a3.clone(),
            json!({"a": [1, 3]}),
            applied(&["/a/1"]),
        ),
        (
            ".x[] | select(. > 1)",
            json!({"x": [1, 2, 3]}),
            json!({"x": [1]}),
            applied(&["/x/1", "/x/2"]),
        ),
        // select matching nothing is a no-op
        (
            ".x[] | select(. > 5)",
            json!({"x": [1, 2, 3]}),
            json!({"x": [1, 2, 3]}),
            applied(&[]),
        ),
        (".a.b", json!({"a": null}), json!({"a": null}), applied(&[])),
        (
            ".a, .a.b",
            json!({"a": {"b": 1}}),
            json!({}),
            applied(&["/a", "/a/b"]),
        ),
        (
            ".a.b, .a",
            json!({"a": {"b": 1}}),
            json!({}),
            applied(&["/a", "/a/b"]),
        ),
        (
            ".metadata.annotations[\"a/b\"]",
            json!({"metadata": {"annotations": {"a/b": "x", "c": "d"}}}),
            json!({"metadata": {"annotations": {"c": "d"}}}),
            applied(&["/metadata/annotations/a~1b"]),
        ),
        (
            "getpath([\"a\",\"b\"])",
            json!({"a": {"b": 1, "c": 2}}),
            json!({"a": {"c": 2}}),
            applied(&["/a/b"]),
        ),
        (
            "first(.a[])",
            json!({"a": [1, 2]}),
            json!({"a": [2]}),
            applied(&["/a/0"]),
        ),
        (
            "limit(1; .a[])",
            json!({"a": [1, 2]}),
            json!({"a": [2]}),
            applied(&["/a/0"]),
        ),
        (
            ".a[] | select(.n == \"x\") | .img",
            json!({"a": [{"n": "x", "img": 1}, {"n": "y", "img": 2}]}),
            json!({"a": [{"n": "x"}, {"n": "y", "img": 2}]}),
            applied(&["/a/0/img"]),
        ),
        (
            ".spec.template.spec.initContainers[] | select(.name == \"init-container-0\")",
            json!({"spec": {"template": {"spec": {"initContainers": [{"name": "init-container-0"}, {"name": "init-container-1"}]}}}}),
            json!({"spec": {"template": {"spec": {"initContainers": [{"name": "init-container-1"}]}}}}),
            applied(&["/spec/template/spec/initContainers/0"]),
        ),
        (".a // .b", json!({"b": 1}), json!({}), applied(&["/b"])),
        (
            "if .a then .a else .b end",
            json!({"b": 1}),
            json!({}),
            applied(&["/b"]),
        ),
        (
            ".[]",
            json!({"a": 1, "b": 2}),
            json!({}),
            applied(&["/a", "/b"]),
        ),
        (
            ".a[\"b\",\"c\"]",
            json!({"a": {"b": 1, "c": 2, "d": 3}}),
            json!({"a": {"d": 3}}),
            applied(&["/a/b", "/a/c"]),
        ),
        ("empty", json!({"a": 1}), json!({"a": 1}), applied(&[])),
        (".a[]?", json!({"a": 5}), json!({"a": 5}), applied(&[])),
        (
            "def f: .a; f",
            json!({"a": 1, "b": 2}),
            json!({"b": 2}),
            applied(&["/a"]),
        ),
        (".", json!({"a": 1}), Value::Null, applied(&[""])),
    ];
    for (expr, doc, want, outcome) in cases {
        let (got, out) = run(expr, doc);
        assert_eq!(out, outcome, "{expr}");
        assert_eq!(got, want, "{expr}");
    }
}

#[test]
fn runtime_errors_skip_the_patch() {
    let cases: Vec<(&str, Value)> = vec![
        (".a[]", json!({"b": 1})),
        (".x | to_entries", json!({"x": {"a": 1}})),
        (".a.b", json!({"a": "str"})),
        (".a[0]", json!({"a": {"b": 1}})),
        (".a?.b", json!({"a": 5})),
        ("error(\"x\")", json!({"a": 1})),
        (".spec.fakeField.foo[]", json!({"spec": {}})),
        // `paths(f)` yields paths as values, not path expressions
        ("paths(type == \"number\")", json!({"a": 1, "b": "x"})),
    ];
    for (expr, doc) in cases {
        let (got, out) = run(expr, doc.clone());
        assert!(matches!(out, JqOutcome::RuntimeError(_)), "{expr}: {out:?}");
        assert_eq!(got, doc, "{expr}");
    }
}

#[test]
fn escape_form_runs_as_text() {
    let expr = r#".nothing) | .data["config.yaml"] |= (fromjson | del(.auth) | tojson"#;
    let compiled = compile(expr);
    assert!(
        compiled.as_ref().is_ok_and(|c| !c.is_standalone()),
        "{compiled:?}"
    );
    let (got, out) = run(
        expr,
        json!({"data": {"config.yaml": "{\"auth\":1,\"b\":2}"}, "nothing": 1}),
    );
    assert_eq!(got, json!({"data": {"config.yaml": "{\"b\":2}"}}));
    assert_eq!(
        out,
        JqOutcome::Applied {
            removed: vec!["/nothing".into()],
            changed: vec!["/data/config.yaml".into()]
        }
    );
    // the upstream test: `fromjson` on a missing key is a runtime error, the patch is skipped
    let (got, out) = run(expr, json!({"data": {}}));
    assert!(
        matches!(&out, JqOutcome::RuntimeError(e) if e.contains("null")),
        "{out:?}"
    );
    assert_eq!(got, json!({"data": {}}));
    // gojq's del inside the escape form: missing paths are fine there too
    let (got, out) = run(
        ".x) | del(.spec.missing.deeper, .spec.replicas",
        json!({"spec": {"replicas": 1}}),
    );
    assert_eq!(got, json!({"spec": {}}));
    assert_eq!(
        out,
        JqOutcome::Applied {
            removed: vec!["/spec/replicas".into()],
            changed: vec![]
        }
    );
}

#[test]
fn exactly_one_output() {
    assert_eq!(
        run(".a) , (.b", json!({"a": 1, "b": 2})).1,
        JqOutcome::MultipleOutputs
    );
    assert_eq!(
        run(".a) | empty | (.b", json!({"a": 1})).1,
        JqOutcome::NoOutput
    );
}

#[test]
fn infinite_programs_time_out() {
    for expr in [
        "def f: f; f",
        "repeat(.)",
        ".a) | until(true==false; [.] + [1]",
        ".a) | last(range(1e9)",
        ".a) | reduce range(1e12) as $x (0; .+$x) | (.",
        ".a) | [.[]?] | until(false; .) | (.",
        ".a) | (def f: 1 + f; f",
        ".a) | (def f: [f]; f",
        ".a) | try (def f: f; f) catch (1",
        ".a) | [limit(100000000; repeat(1))][0] | (.",
    ] {
        let (got, out) = run(expr, json!({"a": 1}));
        assert_eq!(out, JqOutcome::TimedOut, "{expr}");
        assert_eq!(got, json!({"a": 1}), "{expr}");
    }
}

/// The upstream test expression. gojq times out; jaq sees at once that `[.] + [1]` is
/// not a path (a documented difference): the patch is skipped either way.
#[test]
fn upstream_timeout_expression_is_skipped() {
    let (got, out) = run("until(true==false; [.] + [1])", json!({"a": 1}));
    assert!(
        matches!(out, JqOutcome::TimedOut | JqOutcome::RuntimeError(_)),
        "{out:?}"
    );
    assert_eq!(got, json!({"a": 1}));
}

#[test]
fn wall_clock_deadline() {
    let e = compile("def f: f; f").ok();
    let mut d = json!({});
    let lim = JqLimits {
        timeout: Duration::from_millis(50),
        max_steps: u64::MAX,
    };
    let start = Instant::now();
    let out = e.and_then(|e| with_jq_worker(|| e.apply(&mut d, &lim)).ok());
    assert_eq!(out, Some(JqOutcome::TimedOut));
    assert!(start.elapsed() < Duration::from_secs(10));
}

/// Non-tail recursion ends on the stack guard, not in a stack overflow.
#[test]
fn deep_recursion_stops_on_the_stack_guard() {
    let lim = JqLimits {
        timeout: Duration::from_secs(120),
        max_steps: u64::MAX,
    };
    for expr in [".a) | (def f: 1 + f; f", ".a) | (def f: [f]; f"] {
        let c = compile(expr).ok();
        let mut d = json!({"a": 1});
        let out = c.and_then(|c| with_jq_worker(|| c.apply(&mut d, &lim)).ok());
        assert_eq!(out, Some(JqOutcome::TimedOut), "{expr}");
        assert_eq!(d, json!({"a": 1}));
    }
}

#[test]
fn finite_loops_still_run() {
    let (got, out) = run(".a) | .b = ([range(5)] | length", json!({"a": 1}));
    assert_eq!(got, json!({"b": 5}));
    assert!(out.applied());
    let (got, _) = run(".a) | .b = [limit(3; repeat(1))] | (.", json!({"a": 1}));
    assert_eq!(got, json!({"b": [1, 1, 1]}));
    let (got, _) = run(".a) | .b = (1 | until(. > 4; . + 1)) | (.", json!({"a": 1}));
    assert_eq!(got, json!({"b": 5}));
    let (got, _) = run(".a) | .b = [1 | while(. < 4; . + 1)] | (.", json!({"a": 1}));
    assert_eq!(got, json!({"b": [1, 2, 3]}));
    let (got, _) = run(".a) | .b = [range(0; 1; 0)] | (.", json!({"a": 1}));
    assert_eq!(got, json!({"b": []}));
    let (got, _) = run(
        ".a) | .b = [limit(4; 1 | recurse(. + 1; . < 3))] | (.",
        json!({"a": 1}),
    );
    assert_eq!(got, json!({"b": [1, 2]}));
    let (got, _) = run(
        ".a) | .b = [limit(3; 1 | repeat(. * 2))] | (.",
        json!({"a": 1}),
    );
    assert_eq!(got, json!({"b": [2, 2, 2]}));
}

/// Compile errors point inside E, as typed in the manifest.
#[test]
fn compile_error_positions() {
    let cases: Vec<(&str, Range<usize>, &str)> = vec![
        (".a | (", 5..6, "`(` at character 6 is never closed"),
        (".a[", 2..3, "`[` at character 3 is never closed"),
        ("{a", 0..1, "`{` at character 1 is never closed"),
        (
            ".a )",
            3..4,
            "unexpected `)` at character 4: it closes the `del(`",
        ),
        (
            ".a ]",
            3..4,
            "unexpected `]` at character 4: nothing opened it",
        ),
        (
            "selec(.a)",
            0..5,
            "undefined function `selec/1` at character 1",
        ),
        (
            ".a | select(.b) | selec(.c)",
            18..23,
            "undefined function `selec/1` at character 19",
        ),
        ("$x", 0..2, "undefined variable `$x`"),
        (
            ".a # comment",
            3..12,
            "the comment at character 4 runs to the end",
        ),
        (
            ".a |",
            4..4,
            "the expression ends too early; expected a term",
        ),
        ("", 0..0, "the expression ends too early"),
        ("if .a then .b", 13..13, "expected `elif`, `else` or `end`"),
        (
            "..a",
            2..3,
            "unexpected `a` at character 3; expected an operator",
        ),
        (
            ".[] | select(.name == \"x)",
            22..25,
            "the string starting at character 23 is never closed",
        ),
        (".a?//.b", 2..5, "unexpected `?//` at character 3"),
        ("input", 0..5, "`input` is not allowed"),
        (
            ".a | keys_unsorted",
            5..18,
            "undefined function `keys_unsorted/0`",
        ),
        (".a | isarray", 5..12, "undefined function `isarray/0`"),
        ("__kg_tick", 0..9, "undefined function `__kg_tick/0`"),
        (
            "\"éé\" | selec",
            9..14,
            "undefined function `selec/0` at character 8",
        ),
        (".a | é", 5..7, "unexpected character `é` at character 6"),
    ];
    for (expr, range, msg) in cases {
        let err = compile(expr).err();
        assert_eq!(
            err.as_ref().map(|e| e.range.clone()),
            Some(range),
            "{expr}: {err:?}"
        );
        assert!(
            err.as_ref().is_some_and(|e| e.message.contains(msg)),
            "{expr}: {err:?}"
        );
    }
}

#[test]
fn valid_gojq_is_accepted() {
    for expr in [
        ".a.[0]",
        ".a as [$x, $y] | .b",
        ". as {a: $x} | .b",
        "reduce .[] as $x (0; . + $x)",
        "label $out | .a",
        "try .a catch .b",
        "{isarray: 1} | .isarray",
        ".isarray",
        "def keys_unsorted: .a; keys_unsorted",
        ".webhooks[]?.clientConfig.caBundle",
        ".spec.template.spec.containers[] | select(.image | endswith(\":latest\"))",
        "select(.metadata.labels.controlledByLeader == \"true\").spec.suspend",
        ".a? // .b",
    ] {
        let c = compile(expr);
        assert!(
            c.as_ref().is_ok_and(|c| c.unsupported().is_none()),
            "{expr}: {c:?}"
        );
    }
}

#[test]
fn gojq_names_jaq_lacks_are_unsupported_not_errors() {
    for expr in [
        "$__loc__",
        "@base32d",
        ".a | tostream",
        "$ENV.HOME",
        ".a as [$x] ?// $x | .b",
    ] {
        let c = compile(expr);
        assert!(
            c.as_ref().is_ok_and(|c| c.unsupported().is_some()),
            "{expr}: {c:?}"
        );
        let mut d = json!({"a": 1});
        let out = c.map(|c| c.apply(&mut d, &limits()));
        assert!(matches!(out, Ok(JqOutcome::Unsupported(_))), "{expr}");
    }
}

#[test]
fn instrumentation_inserts_ticks_after_def_colons() {
    assert_eq!(instrument("def f: f; f"), "def f: __kg_tick | f; f");
    assert_eq!(instrument("def f:f; f"), "def f: __kg_tick |f; f");
    assert_eq!(
        instrument("def f(g; $x): g; f(.; 1)"),
        "def f(g; $x): __kg_tick | g; f(.; 1)"
    );
    assert_eq!(
        instrument("(def f: 1; f) | \"\\(def g: 2; g)\""),
        "(def f: __kg_tick | 1; f) | \"\\(def g: __kg_tick | 2; g)\""
    );
    assert_eq!(instrument(".a | {def: 1}"), ".a | {def: 1}");
}
