//! `--write-baseline FILE` and `--baseline FILE`: recorded findings stay quiet after
//! lines move, new ones (including a second copy of a known one) fail, and a bad
//! baseline is exit 2.

mod common;

use common::*;
use serde_json::Value;
use std::path::Path;

fn json(dir: &Path, args: &[&str]) -> (Value, i32) {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    let out = lint_in(dir, &all);
    let code = out.status.code().expect("exit code");
    let v = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", stdout(&out), stderr(&out)));
    (v, code)
}

fn files(v: &Value) -> Vec<String> {
    v["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| format!("{}:{}", d["file"].as_str().expect("file"), d["line"]))
        .collect()
}

#[test]
fn a_baseline_reports_only_new_findings_after_lines_move() {
    let dir = fixture(&[
        ("a.yaml", &configmap("a", "1.5")),
        ("b.yaml", &configmap("b", "x")),
    ]);
    let base = dir.path().join("baseline.json");
    let base_arg = base.to_string_lossy().into_owned();
    // Recording accepts what it records: exit 0, and the report is still printed.
    let (v, code) = json(dir.path(), &[".", "--write-baseline", &base_arg]);
    assert_eq!(code, 0);
    assert_eq!(files(&v), ["a.yaml:7", "b.yaml:7"]);
    let recorded: Value =
        serde_json::from_str(&std::fs::read_to_string(&base).expect("baseline")).expect("json");
    assert_eq!(recorded["version"], 1);
    assert_eq!(recorded["scheme"], "kubectlGitops/v1");
    let entries = recorded["findings"].as_array().expect("findings");
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["file"], "a.yaml");
    assert_eq!(entries[0]["code"], "SYN001");
    assert_eq!(entries[0]["object"], "ConfigMap/shop/a");

    let (v, code) = json(dir.path(), &[".", "--baseline", &base_arg]);
    assert!(files(&v).is_empty());
    assert_eq!(code, 0);
    assert_eq!(v["summary"]["suppressed"], 2);

    // Lines inserted above the finding, and a new document before it.
    std::fs::write(
        dir.path().join("a.yaml"),
        format!(
            "# moved down\n\n{}---\n{}",
            configmap("z", "1"),
            configmap("a", "1.5")
        ),
    )
    .expect("write");
    let (v, code) = json(dir.path(), &[".", "--baseline", &base_arg]);
    assert!(files(&v).is_empty(), "{:?}", files(&v));
    assert_eq!(code, 0);

    // A new finding in a known file, and a changed value of a known finding.
    std::fs::write(
        dir.path().join("a.yaml"),
        format!("{}---\n{}", configmap("a", "1.5"), configmap("c", "nope")),
    )
    .expect("write");
    std::fs::write(dir.path().join("b.yaml"), configmap("b", "y")).expect("write");
    let (v, code) = json(dir.path(), &[".", "--baseline", &base_arg]);
    assert_eq!(files(&v), ["a.yaml:17", "b.yaml:7"]);
    assert_eq!(code, 1);
    assert_eq!(v["summary"]["suppressed"], 1);
    assert_eq!(v["summary"]["errors"], 2);
}

#[test]
fn a_second_copy_of_a_known_finding_is_new() {
    // Two identical objects in two documents of one file: same code, file, object and
    // text, told apart by their occurrence index.
    let dir = fixture(&[("a.yaml", &configmap("a", "1.5"))]);
    let base = dir.path().join("b.json");
    let base_arg = base.to_string_lossy().into_owned();
    json(dir.path(), &[".", "--write-baseline", &base_arg]);
    std::fs::write(
        dir.path().join("a.yaml"),
        format!("{}---\n{}", configmap("a", "1.5"), configmap("a", "1.5")),
    )
    .expect("write");
    let (v, code) = json(dir.path(), &[".", "--baseline", &base_arg]);
    assert_eq!(files(&v).len(), 1, "{:?}", files(&v));
    assert_eq!(code, 1);
}

#[test]
fn writing_and_reading_in_one_run_refreshes_the_baseline() {
    let dir = fixture(&[("a.yaml", &configmap("a", "1.5"))]);
    let base = dir.path().join("b.json");
    let base_arg = base.to_string_lossy().into_owned();
    json(dir.path(), &[".", "--write-baseline", &base_arg]);
    let first = std::fs::read_to_string(&base).expect("baseline");
    std::fs::write(dir.path().join("n.yaml"), configmap("n", "x")).expect("write");
    let (v, code) = json(
        dir.path(),
        &[".", "--baseline", &base_arg, "--write-baseline", &base_arg],
    );
    assert_eq!(files(&v), ["n.yaml:7"], "the report shows what is new");
    assert_eq!(code, 0);
    let second = std::fs::read_to_string(&base).expect("baseline");
    assert_ne!(first, second);
    let (v, code) = json(dir.path(), &[".", "--baseline", &base_arg]);
    assert!(files(&v).is_empty() && code == 0);
    // Deterministic: the same findings write the same file.
    json(dir.path(), &[".", "--write-baseline", &base_arg]);
    assert_eq!(std::fs::read_to_string(&base).expect("baseline"), second);
}

#[test]
fn baseline_and_files_combine() {
    let dir = fixture(&[
        ("a.yaml", &configmap("a", "1.5")),
        ("b.yaml", &configmap("b", "x")),
    ]);
    let base = dir.path().join("b.json");
    let base_arg = base.to_string_lossy().into_owned();
    json(
        dir.path(),
        &[".", "--files", "a.yaml", "--write-baseline", &base_arg],
    );
    let recorded = std::fs::read_to_string(&base).expect("baseline");
    assert!(recorded.contains("a.yaml") && !recorded.contains("b.yaml"));
    let (v, _) = json(dir.path(), &[".", "--baseline", &base_arg]);
    assert_eq!(files(&v), ["b.yaml:7"]);
}

#[test]
fn bad_baselines_are_exit_2() {
    let dir = fixture(&[
        ("a.yaml", &configmap("a", "1")),
        ("bad.json", "{\"version\": 1, \"findings\": \"no\"}"),
        (
            "other.json",
            "{\"version\": 1, \"scheme\": \"other/v2\", \"findings\": []}",
        ),
    ]);
    for (file, says) in [
        ("missing.json", "cannot read baseline"),
        ("bad.json", "is not a kubectl-gitops baseline"),
        ("other.json", "fingerprint scheme 'other/v2'"),
    ] {
        let out = lint_in(dir.path(), &[".", "--baseline", file]);
        assert_eq!(out.status.code(), Some(2), "{file}");
        assert!(stderr(&out).contains(says), "{file}: {}", stderr(&out));
        assert!(stdout(&out).is_empty());
    }
    let out = lint_in(dir.path(), &[".", "--write-baseline", "no/such/dir/b.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot write baseline"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn baselines_never_hold_secret_values() {
    let secret = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: shop\nstringData:\n  password: hunter2-very-secret\n";
    let dir = fixture(&[("s.yaml", secret)]);
    let base = dir.path().join("b.json");
    let base_arg = base.to_string_lossy().into_owned();
    let (v, _) = json(dir.path(), &[".", "--write-baseline", &base_arg]);
    assert!(!files(&v).is_empty(), "SEC001 fires");
    let text = std::fs::read_to_string(&base).expect("baseline");
    assert!(text.contains("SEC001"));
    assert!(!text.contains("hunter2"), "{text}");
}
