//! End-to-end tests of the `kubectl-gitops` binary: the demo repository, the JSON v1
//! contract, exit codes, output options, colour, the other commands, suppressions,
//! rule selection, severity overrides and user rules.

mod common;

use assert_cmd::Command;

/// The binary with a neutral environment (`common::kg`), with assert_cmd's assertions.
fn kg() -> Command {
    Command::from_std(common::kg())
}
use kubectl_gitops::engine::catalogue::Catalogue;
use predicates::prelude::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::io::{BufRead as _, BufReader, Read as _};
use std::path::{Path, PathBuf};
use std::process::Stdio;

const DEMO: &str = "testdata/repos/demo";
const BIN: &str = env!("CARGO_BIN_EXE_kubectl-gitops");

/// A temporary directory holding `files` (relative path, content).
fn fixture(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (rel, text) in files {
        let p = dir.path().join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&p, text).expect("write fixture");
    }
    dir
}

fn path_str(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// Runs `lint <args> --format json` and returns the parsed report and the exit code.
fn lint_json(args: &[&str]) -> (Value, i32) {
    let out = kg()
        .arg("lint")
        .args(args)
        .args(["--format", "json"])
        .output()
        .expect("runs");
    let code = out.status.code().expect("exit code");
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    let v: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}):\n{stdout}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (v, code)
}

fn diagnostics(report: &Value) -> &Vec<Value> {
    report["diagnostics"].as_array().expect("diagnostics array")
}

fn codes(report: &Value) -> Vec<String> {
    diagnostics(report)
        .iter()
        .map(|d| d["code"].as_str().expect("code").to_owned())
        .collect()
}

fn keys(v: &Value) -> BTreeSet<&str> {
    v.as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect()
}

fn set(items: &[&'static str]) -> BTreeSet<&'static str> {
    items.iter().copied().collect()
}

/// The text of a file from a 1-based line and a 1-based character column on.
fn text_at(file: &Path, line: usize, column: usize) -> String {
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let l = text
        .lines()
        .nth(line - 1)
        .unwrap_or_else(|| panic!("{}: no line {line}", file.display()));
    l.chars().skip(column - 1).collect()
}

// ---------------------------------------------------------------------------------------
// The demo repository

/// One deliberate mistake of the demo. Each candidate is a whole line of the file with a
/// `|` where the diagnostic must start; several candidates are allowed where the rule
/// could reasonably point at the key or at the value.
struct Mistake {
    code: &'static str,
    file: &'static str,
    at: &'static [&'static str],
}

const MISTAKES: &[Mistake] = &[
    Mistake {
        code: "SYN001",
        file: "payments/api/configmap.yaml",
        at: &[r#"    argocd.argoproj.io/sync-wave: |"1.5""#],
    },
    Mistake {
        code: "SYN002",
        file: "payments/api/db-backup-job.yaml",
        at: &["    argocd.argoproj.io/hook: |Presync"],
    },
    Mistake {
        code: "SYN003",
        file: "payments/api/smoke-test-job.yaml",
        at: &["    argocd.argoproj.io/hook-delete-policy: |HookSucceed"],
    },
    Mistake {
        code: "APP004",
        file: "apps/children/payments-api.yaml",
        at: &["      - |Retry=true"],
    },
    Mistake {
        code: "APP005",
        file: "apps/children/payments-api.yaml",
        at: &[r#"        maxDuration: |"3d""#],
    },
    Mistake {
        code: "SEC001",
        file: "payments/api/smtp-secret.yaml",
        at: &[
            "|stringData:",
            "  |password: not-a-real-password-demo-only",
            "  password: |not-a-real-password-demo-only",
            "kind: |Secret",
        ],
    },
    Mistake {
        code: "SYN013",
        file: "payments/api/worker.yaml",
        at: &["    argocd.argoproj.io/sync-wave: |5"],
    },
    Mistake {
        code: "GO006",
        file: "payments/api/deployment.yaml",
        at: &["        metrics.acme.example/enabled: |yes"],
    },
    Mistake {
        code: "APP008",
        file: "apps/children/catalog.yaml",
        at: &["      |selfheal: true"],
    },
];

/// (line, column, text from there) of a `|`-marked candidate line in a demo file.
fn locate(file: &str, marked: &str) -> (usize, usize, String) {
    let (before, after) = marked.split_once('|').expect("candidate has a | marker");
    let whole = format!("{before}{after}");
    let text = std::fs::read_to_string(Path::new(DEMO).join(file)).expect("demo file");
    let hits: Vec<usize> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| *l == whole)
        .map(|(i, _)| i + 1)
        .collect();
    assert_eq!(
        hits.len(),
        1,
        "{file}: the line {whole:?} must occur exactly once"
    );
    (hits[0], before.chars().count() + 1, after.to_owned())
}

#[test]
fn demo_mistakes_are_each_on_one_unique_line() {
    for m in MISTAKES {
        for c in m.at {
            let (line, column, rest) = locate(m.file, c);
            assert!(text_at(&Path::new(DEMO).join(m.file), line, column).starts_with(&rest));
        }
    }
    let mut seen = BTreeSet::new();
    for m in MISTAKES {
        assert!(seen.insert(m.code), "{} listed twice", m.code);
    }
}

#[test]
fn demo_json_is_the_v1_contract() {
    let (report, code) = lint_json(&[DEMO]);
    assert_eq!(code, 1, "the demo has errors");
    assert_eq!(
        keys(&report),
        set(&["version", "tool", "diagnostics", "summary"])
    );
    assert_eq!(report["version"], 1);
    assert_eq!(report["tool"]["name"], "kubectl-gitops");
    assert_eq!(report["tool"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(keys(&report["tool"]), set(&["name", "version"]));

    let diags = diagnostics(&report);
    assert!(!diags.is_empty());
    let (mut errors, mut warnings, mut infos) = (0, 0, 0);
    let mut previous: Option<(String, u64, u64, String)> = None;
    for d in diags {
        assert_eq!(
            keys(d),
            set(&[
                "code",
                "name",
                "severity",
                "message",
                "help",
                "file",
                "line",
                "column",
                "end_line",
                "end_column",
                "object",
                "related"
            ]),
            "{d}"
        );
        let code = d["code"].as_str().expect("code");
        let prefix = code.trim_end_matches(|c: char| c.is_ascii_digit());
        assert!(
            !prefix.is_empty()
                && code.len() - prefix.len() == 3
                && prefix.chars().all(|c| c.is_ascii_uppercase()),
            "code {code}"
        );
        let name = d["name"].as_str().expect("name");
        assert!(
            name.split('-').all(|w| !w.is_empty()
                && w.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())),
            "name {name}"
        );
        match d["severity"].as_str().expect("severity") {
            "error" => errors += 1,
            "warning" => warnings += 1,
            "info" => infos += 1,
            other => panic!("severity {other}"),
        }
        assert!(!d["message"].as_str().expect("message").is_empty());
        assert!(d["help"].is_string() || d["help"].is_null());
        let file = d["file"].as_str().expect("file");
        assert!(
            !file.starts_with('/') && !file.contains('\\') && !file.split('/').any(|c| c == ".."),
            "file {file} must be relative with / separators"
        );
        let path = Path::new(DEMO).join(file);
        assert!(path.is_file(), "{file} exists");
        let num = |k: &str| d[k].as_u64().unwrap_or_else(|| panic!("{k} in {d}"));
        let (line, column) = (num("line"), num("column"));
        let (end_line, end_column) = (num("end_line"), num("end_column"));
        assert!(line >= 1 && column >= 1, "{d}");
        assert!((end_line, end_column) >= (line, column), "{d}");
        // The position is real text of the file (not past the end of its line).
        let text = std::fs::read_to_string(&path).expect("read");
        let l = text.lines().nth(line as usize - 1).expect("line exists");
        assert!(column as usize <= l.chars().count() + 1, "{d}");
        if (end_line, end_column) > (line, column) {
            assert!(
                !text_at(&path, line as usize, column as usize).is_empty(),
                "{d}"
            );
        }
        match &d["object"] {
            Value::Null => {}
            o => {
                assert_eq!(
                    keys(o),
                    set(&["apiVersion", "kind", "namespace", "name"]),
                    "{o}"
                );
                assert!(
                    o["apiVersion"].is_string() && o["kind"].is_string() && o["name"].is_string()
                );
                assert!(o["namespace"].is_string() || o["namespace"].is_null());
            }
        }
        for r in d["related"].as_array().expect("related") {
            assert_eq!(keys(r), set(&["file", "line", "column", "message"]), "{r}");
            assert!(
                Path::new(DEMO)
                    .join(r["file"].as_str().expect("file"))
                    .is_file()
            );
            assert!(
                r["line"].as_u64().expect("line") >= 1
                    && r["column"].as_u64().expect("column") >= 1
            );
        }
        let key = (file.to_owned(), line, column, code.to_owned());
        if let Some(p) = &previous {
            assert!(*p <= key, "not sorted: {p:?} before {key:?}");
        }
        previous = Some(key);
    }

    let summary = &report["summary"];
    assert_eq!(
        keys(summary),
        set(&[
            "files",
            "documents",
            "errors",
            "warnings",
            "infos",
            "suppressed"
        ])
    );
    assert_eq!(summary["errors"], errors);
    assert_eq!(summary["warnings"], warnings);
    assert_eq!(summary["infos"], infos);
    assert_eq!(summary["suppressed"], 0);
    assert!(
        summary["documents"].as_u64().expect("documents")
            >= summary["files"].as_u64().expect("files")
    );
}

#[test]
fn demo_reports_exactly_its_deliberate_mistakes() {
    let cat = Catalogue::builtin().expect("catalogue");
    let (report, _) = lint_json(&[DEMO]);
    let diags = diagnostics(&report);
    let mut failures = Vec::new();
    for m in MISTAKES {
        // Rules of the catalogue only: the demo is ahead of rules still being written.
        if cat.get(m.code).is_none() {
            continue;
        }
        let found: Vec<&Value> = diags.iter().filter(|d| d["code"] == m.code).collect();
        if found.len() != 1 {
            failures.push(format!("{}: expected once, found {}", m.code, found.len()));
            continue;
        }
        let d = found[0];
        let at = (
            d["file"].as_str().unwrap_or_default(),
            d["line"].as_u64().unwrap_or_default() as usize,
            d["column"].as_u64().unwrap_or_default() as usize,
        );
        let wanted: Vec<(usize, usize, String)> = m.at.iter().map(|c| locate(m.file, c)).collect();
        let ok = at.0 == m.file
            && wanted.iter().any(|(line, column, rest)| {
                (*line, *column) == (at.1, at.2)
                    && text_at(&Path::new(DEMO).join(m.file), at.1, at.2).starts_with(rest.as_str())
            });
        if !ok {
            failures.push(format!(
                "{}: at {}:{}:{}, expected {}:{:?}",
                m.code, at.0, at.1, at.2, m.file, wanted
            ));
        }
    }
    // Nothing else: the rest of the demo is meant to be clean. Infos may only say that a
    // source was not rendered (no helm or kustomize on this machine).
    let deliberate: BTreeSet<&str> = MISTAKES.iter().map(|m| m.code).collect();
    for d in diags {
        let code = d["code"].as_str().unwrap_or_default();
        let allowed = deliberate.contains(code) || (code == "GO005" && d["severity"] == "info");
        if !allowed {
            failures.push(format!(
                "unexpected {code} at {}:{}:{}: {}",
                d["file"], d["line"], d["column"], d["message"]
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The YAML files of the demo the linter should read: no hidden files, no Helm templates.
fn demo_manifest_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).expect("read_dir").flatten() {
            let p = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            if p.is_dir() {
                if name == "templates" && dir.join("Chart.yaml").is_file() {
                    continue;
                }
                walk(&p, out);
            } else if name.ends_with(".yaml") || name.ends_with(".yml") || name.ends_with(".json") {
                out.push(p);
            }
        }
    }
    let mut v = Vec::new();
    walk(Path::new(DEMO), &mut v);
    v
}

#[test]
fn demo_helm_templates_and_kustomizations_are_not_reported() {
    let (report, _) = lint_json(&[DEMO]);
    assert!(
        Path::new(DEMO)
            .join("charts/catalog/templates/deployment.yaml")
            .is_file(),
        "the demo has a Helm chart"
    );
    // Templates are not even read: the file count is the non-template YAML files.
    assert_eq!(report["summary"]["files"], demo_manifest_files().len());
    for d in diagnostics(&report) {
        let file = d["file"].as_str().unwrap_or_default();
        assert!(!file.contains("/templates/"), "template reported: {d}");
        assert!(
            !file.ends_with("kustomization.yaml"),
            "kustomization reported: {d}"
        );
        assert!(
            !file.ends_with("Chart.yaml") && !file.contains("values"),
            "chart file reported: {d}"
        );
    }
}

#[test]
fn demo_concise_snapshot() {
    // No tools on PATH (kustomize, helm, git), so the output is the same on every machine.
    let empty = tempfile::tempdir().expect("tempdir");
    let out = kg()
        .env("PATH", empty.path())
        .args(["lint", DEMO, "--format", "concise"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    insta::assert_snapshot!("demo_concise", stdout);
}

#[test]
fn concise_lines_match_json_positions() {
    let (report, _) = lint_json(&[DEMO]);
    let out = kg()
        .args(["lint", DEMO, "--format", "concise", "-q"])
        .output()
        .expect("runs");
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    let want: Vec<String> = diagnostics(&report)
        .iter()
        .map(|d| {
            format!(
                "{}:{}:{}: {}[{}] {}",
                d["file"].as_str().unwrap_or_default(),
                d["line"],
                d["column"],
                d["severity"].as_str().unwrap_or_default(),
                d["code"].as_str().unwrap_or_default(),
                d["message"].as_str().unwrap_or_default().replace('\n', " ")
            )
        })
        .collect();
    assert_eq!(stdout.lines().collect::<Vec<_>>(), want);
}

// ---------------------------------------------------------------------------------------
// Small fixtures

const CLEAN: &str = "apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: shop
  annotations:
    argocd.argoproj.io/sync-wave: \"-1\"
data:
  mode: fast
";

/// One SYN001 (line 7) and one SYN013 (line 17).
const TWO_ERRORS: &str = "apiVersion: v1
kind: ConfigMap
metadata:
  name: waves
  namespace: shop
  annotations:
    argocd.argoproj.io/sync-wave: \"1.5\"
data:
  mode: fast
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: unquoted
  namespace: shop
  annotations:
    argocd.argoproj.io/sync-wave: 5
data:
  mode: slow
";

fn lines_with(report: &Value) -> Vec<(String, u64)> {
    diagnostics(report)
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap_or_default().to_owned(),
                d["line"].as_u64().unwrap_or_default(),
            )
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Exit codes

#[test]
fn exit_0_for_a_clean_repository() {
    let dir = fixture(&[("cm.yaml", CLEAN)]);
    kg().args(["lint", &path_str(dir.path()), "--format", "concise"])
        .assert()
        .code(0)
        .stdout("0 errors, 0 warnings, 0 infos in 1 file, 1 document\n")
        .stderr("");
}

#[test]
fn exit_1_for_the_demo() {
    kg().args(["lint", DEMO]).assert().code(1).stderr("");
}

#[test]
fn exit_2_for_a_missing_path_naming_it() {
    kg().args(["lint", "testdata/repos/no-such-repo"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("testdata/repos/no-such-repo"));
}

#[test]
fn exit_2_for_an_invalid_config_with_its_position() {
    let dir = fixture(&[
        ("cm.yaml", CLEAN),
        (".kubectl-gitops.yaml", "select: [ALL]\nbogus: 1\n"),
    ]);
    kg().args(["lint", &path_str(dir.path())])
        .assert()
        .code(2)
        .stdout("")
        .stderr(
            predicate::str::contains(".kubectl-gitops.yaml:2:1")
                .and(predicate::str::contains("bogus")),
        );
    // An explicit --config is checked the same way.
    let cfg = fixture(&[("other.yaml", "severity:\n  SYN001: fatal\n")]);
    let cfg_path = cfg.path().join("other.yaml");
    kg().args([
        "lint",
        &path_str(dir.path()),
        "--config",
        &path_str(&cfg_path),
    ])
    .assert()
    .code(2)
    .stderr(predicate::str::contains("other.yaml:2:11"));
}

#[test]
fn exit_2_for_an_unknown_rule_selector() {
    kg().args(["lint", DEMO, "--select", "NOPE999"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("NOPE999"));
    kg().args(["lint", DEMO, "--ignore", "no-such-rule"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no-such-rule"));
}

#[test]
fn exit_2_for_a_bad_flag() {
    kg().args(["lint", "--bogus"]).assert().code(2).stderr(
        predicate::str::contains("--bogus")
            .and(predicate::str::contains("Usage: kubectl-gitops lint")),
    );
    kg().args(["lint", DEMO, "--format", "xml"])
        .assert()
        .code(2);
    kg().args(["lint", DEMO, "--fail-on", "fatal"])
        .assert()
        .code(2);
    kg().arg("frobnicate").assert().code(2);
}

// ---------------------------------------------------------------------------------------
// --fail-on

#[test]
fn fail_on_sets_the_threshold() {
    let dir = fixture(&[("cm.yaml", TWO_ERRORS)]);
    let p = path_str(dir.path());
    for (level, want) in [("error", 1), ("warning", 1), ("info", 1), ("none", 0)] {
        kg().args(["lint", &p, "--fail-on", level])
            .assert()
            .code(want);
    }
    // With both findings downgraded to warnings, only warning and info fail.
    let cfg = fixture(&[(
        "c.yaml",
        "severity:\n  SYN001: warning\n  non-string-annotation: warning\n",
    )]);
    let c = path_str(&cfg.path().join("c.yaml"));
    for (level, want) in [("error", 0), ("warning", 1), ("info", 1), ("none", 0)] {
        kg().args(["lint", &p, "--config", &c, "--fail-on", level])
            .assert()
            .code(want);
    }
    // As infos, only info fails.
    std::fs::write(
        cfg.path().join("c.yaml"),
        "severity:\n  SYN001: info\n  SYN013: info\n",
    )
    .expect("write");
    for (level, want) in [("error", 0), ("warning", 0), ("info", 1), ("none", 0)] {
        kg().args(["lint", &p, "--config", &c, "--fail-on", level])
            .assert()
            .code(want);
    }
}

// ---------------------------------------------------------------------------------------
// Output options

#[test]
fn output_file_gets_the_report_and_stdout_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    for format in ["human", "concise", "json", "sarif", "github"] {
        let file = dir.path().join(format!("report.{format}"));
        kg().args(["lint", DEMO, "--format", format, "-o", &path_str(&file)])
            .assert()
            .code(1)
            .stdout("");
        let direct = kg()
            .args(["lint", DEMO, "--format", format])
            .output()
            .expect("runs");
        let written = std::fs::read(&file).expect("report written");
        assert!(!written.is_empty(), "{format}");
        assert_eq!(
            written, direct.stdout,
            "{format}: -o writes what stdout would show"
        );
    }
    kg().args([
        "lint",
        DEMO,
        "--output",
        &path_str(&dir.path().join("long.json")),
        "--format",
        "json",
    ])
    .assert()
    .stdout("");
    let long: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("long.json")).expect("read"))
            .expect("JSON");
    assert_eq!(long["version"], 1);
}

#[test]
fn output_to_an_unwritable_place_is_exit_2() {
    kg().args(["lint", DEMO, "-o", "/nonexistent-dir/report.txt"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("/nonexistent-dir/report.txt"));
}

#[test]
fn quiet_drops_the_summary() {
    let dir = fixture(&[("cm.yaml", TWO_ERRORS)]);
    let p = path_str(dir.path());
    let summary = "2 errors, 0 warnings, 0 infos in 1 file, 2 documents";
    let loud = kg()
        .args(["lint", &p, "--format", "concise"])
        .output()
        .expect("runs");
    let loud = String::from_utf8(loud.stdout).expect("utf-8");
    assert_eq!(loud.lines().last(), Some(summary));
    assert_eq!(loud.lines().count(), 3);
    for format in ["concise", "human"] {
        let quiet = kg()
            .args(["lint", &p, "--format", format, "-q"])
            .output()
            .expect("runs");
        assert_eq!(quiet.status.code(), Some(1));
        let quiet = String::from_utf8(quiet.stdout).expect("utf-8");
        assert!(!quiet.contains(summary), "{format}: {quiet}");
        assert!(quiet.contains("SYN001"), "{format}: the findings remain");
    }
    let quiet = kg()
        .args(["lint", &p, "--format", "concise", "--quiet"])
        .output()
        .expect("runs");
    assert_eq!(
        String::from_utf8(quiet.stdout)
            .expect("utf-8")
            .lines()
            .count(),
        2
    );
}

#[test]
fn human_output_has_frames_and_a_summary() {
    let dir = fixture(&[("cm.yaml", TWO_ERRORS)]);
    let out = kg()
        .args(["lint", &path_str(dir.path())])
        .output()
        .expect("runs");
    let s = String::from_utf8(out.stdout).expect("utf-8");
    assert!(s.contains("SYN001(invalid-sync-wave)"), "{s}");
    assert!(s.contains("╭─[cm.yaml:7:35]"), "{s}");
    assert!(s.contains("╭─[cm.yaml:17:35]"), "{s}");
    assert!(
        s.ends_with("2 errors, 0 warnings, 0 infos in 1 file, 2 documents\n"),
        "{s}"
    );
}

// ---------------------------------------------------------------------------------------
// Colour

fn has_ansi(b: &[u8]) -> bool {
    b.windows(2).any(|w| w == b"\x1b[")
}

fn human(color: Option<&str>, env: &[(&str, &str)]) -> Vec<u8> {
    let dir = fixture(&[("cm.yaml", TWO_ERRORS)]);
    let mut c = kg();
    c.args(["lint", &path_str(dir.path())]);
    if let Some(choice) = color {
        c.args(["--color", choice]);
    }
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().expect("runs");
    assert_eq!(out.status.code(), Some(1));
    out.stdout
}

#[test]
fn color_always_and_never() {
    assert!(has_ansi(&human(Some("always"), &[])));
    assert!(
        has_ansi(&human(Some("always"), &[("NO_COLOR", "1")])),
        "the flag wins"
    );
    assert!(!has_ansi(&human(Some("never"), &[])));
    assert!(
        !has_ansi(&human(Some("never"), &[("CLICOLOR_FORCE", "1")])),
        "the flag wins"
    );
}

#[test]
fn color_auto_honours_the_environment() {
    // Piped: no colour by default.
    assert!(!has_ansi(&human(None, &[])));
    assert!(!has_ansi(&human(Some("auto"), &[("NO_COLOR", "1")])));
    assert!(
        has_ansi(&human(Some("auto"), &[("CLICOLOR_FORCE", "1")])),
        "forced even when piped"
    );
    assert!(has_ansi(&human(None, &[("CLICOLOR_FORCE", "1")])));
    assert!(
        !has_ansi(&human(None, &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")])),
        "NO_COLOR wins"
    );
}

#[test]
fn machine_formats_never_have_colour() {
    for format in ["concise", "json", "sarif", "github"] {
        let out = kg()
            .args(["lint", DEMO, "--format", format, "--color", "always"])
            .output()
            .expect("runs");
        assert!(!has_ansi(&out.stdout), "{format}");
    }
}

#[test]
fn auto_colour_is_never_written_to_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("r.txt");
    kg().args(["lint", DEMO, "-o", &path_str(&file)])
        .env("CLICOLOR_FORCE", "1")
        .assert()
        .code(1);
    assert!(
        !has_ansi(&std::fs::read(&file).expect("read")),
        "auto means no colour in a file"
    );
}

// ---------------------------------------------------------------------------------------
// rules, explain, init, completions, version

#[test]
fn rules_in_every_format() {
    let table = kg().arg("rules").output().expect("runs");
    assert_eq!(table.status.code(), Some(0));
    let table = String::from_utf8(table.stdout).expect("utf-8");
    assert!(table.starts_with("CODE"), "{table}");
    assert!(
        table.lines().any(|l| l.starts_with("SYN001")
            && l.contains("invalid-sync-wave")
            && l.contains("error")),
        "{table}"
    );

    let json = kg()
        .args(["rules", "--format", "json"])
        .output()
        .expect("runs");
    let v: Value = serde_json::from_slice(&json.stdout).expect("JSON");
    let rules = v.as_array().expect("array");
    let cat = Catalogue::builtin().expect("catalogue");
    assert_eq!(rules.len(), cat.len());
    let syn001 = rules
        .iter()
        .find(|r| r["code"] == "SYN001")
        .expect("SYN001 listed");
    assert_eq!(syn001["name"], "invalid-sync-wave");
    assert_eq!(syn001["severity"], "error");
    assert_eq!(syn001["category"], "sync");
    for r in rules {
        for k in [
            "code",
            "name",
            "category",
            "severity",
            "summary",
            "help",
            "declarative",
        ] {
            assert!(r.get(k).is_some(), "{k} in {r}");
        }
    }

    let md = kg()
        .args(["rules", "--format", "markdown"])
        .output()
        .expect("runs");
    let md = String::from_utf8(md.stdout).expect("utf-8");
    assert!(md.starts_with("# Rule catalogue\n"), "{md}");
    assert!(
        md.contains("| [SYN001](sync/SYN001-invalid-sync-wave.yaml) | invalid-sync-wave | error |"),
        "{md}"
    );
    assert_eq!(md, kubectl_gitops::report::rules::markdown(&cat));
}

#[test]
fn explain_by_code_and_by_name() {
    let by_code = kg().args(["explain", "SYN001"]).output().expect("runs");
    assert_eq!(by_code.status.code(), Some(0));
    let text = String::from_utf8(by_code.stdout.clone()).expect("utf-8");
    assert!(text.starts_with("# SYN001 invalid-sync-wave\n"), "{text}");
    for h in [
        "## What it does",
        "## Why is this bad?",
        "## Example",
        "## Use instead",
        "## References",
    ] {
        assert!(text.contains(h), "{h}");
    }
    let by_name = kg()
        .args(["explain", "invalid-sync-wave"])
        .output()
        .expect("runs");
    assert_eq!(by_name.stdout, by_code.stdout);
    let lower = kg().args(["explain", "syn001"]).output().expect("runs");
    assert_eq!(lower.stdout, by_code.stdout);
}

#[test]
fn explain_unknown_rule_is_exit_2() {
    kg().args(["explain", "NOPE"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("NOPE"));
}

#[test]
fn init_writes_a_config_that_lints_clean() {
    let dir = fixture(&[("cm.yaml", CLEAN)]);
    let p = path_str(dir.path());
    let cfg = dir.path().join(".kubectl-gitops.yaml");
    kg().args(["init", &p]).assert().code(0).stdout("");
    let written = std::fs::read_to_string(&cfg).expect("config written");
    assert_eq!(written, kubectl_gitops::config::TEMPLATE);
    // The config is valid (not exit 2) and the repository is clean.
    kg().args(["lint", &p, "--format", "concise"])
        .assert()
        .code(0)
        .stdout(predicate::str::starts_with("0 errors, 0 warnings, 0 infos"));

    // No overwrite without --force.
    std::fs::write(&cfg, "# mine\n").expect("edit");
    kg().args(["init", &p]).assert().code(2).stderr(
        predicate::str::contains("already exists").and(predicate::str::contains("--force")),
    );
    assert_eq!(std::fs::read_to_string(&cfg).expect("read"), "# mine\n");
    kg().args(["init", &p, "--force"]).assert().code(0);
    assert_eq!(
        std::fs::read_to_string(&cfg).expect("read"),
        kubectl_gitops::config::TEMPLATE
    );
}

#[test]
fn init_defaults_to_the_current_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    kg().current_dir(dir.path()).arg("init").assert().code(0);
    assert!(dir.path().join(".kubectl-gitops.yaml").is_file());
}

#[test]
fn completions_for_each_shell() {
    for (shell, marker) in [
        ("bash", "-o default kubectl-gitops"),
        ("zsh", "#compdef kubectl-gitops"),
        ("fish", "complete -c kubectl-gitops"),
    ] {
        let out = kg().args(["completions", shell]).output().expect("runs");
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let s = String::from_utf8(out.stdout).expect("utf-8");
        assert!(s.contains(marker), "{shell}: {marker}");
        assert!(s.contains("lint") && s.contains("fail-on"), "{shell}");
    }
    kg().args(["completions", "tcsh"]).assert().code(2);
}

#[test]
fn version_is_the_crate_version() {
    let want = format!("kubectl-gitops {}\n", env!("CARGO_PKG_VERSION"));
    kg().arg("version").assert().code(0).stdout(want.clone());
    kg().arg("--version").assert().code(0).stdout(want);
}

// ---------------------------------------------------------------------------------------
// Suppressions

#[test]
fn suppressions_end_to_end() {
    let text = "apiVersion: v1
kind: ConfigMap
metadata:
  name: same-line
  namespace: shop
  annotations:
    argocd.argoproj.io/sync-wave: \"1.5\" # kubectl-gitops: ignore SYN001 -- moving to waves 1 and 2
data:
  mode: a
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: line-above
  namespace: shop
  annotations:
    # kubectl-gitops: ignore invalid-sync-wave -- generated by a legacy chart
    argocd.argoproj.io/sync-wave: \"2.5\"
data:
  mode: b
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: annotated
  namespace: shop
  annotations:
    kubectl-gitops.io/ignore: \"SYN001\"
    argocd.argoproj.io/sync-wave: \"3.5\"
data:
  mode: c
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: other-rule
  namespace: shop
  annotations:
    argocd.argoproj.io/sync-wave: 4 # kubectl-gitops: ignore SYN001
data:
  mode: d
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: reported
  namespace: shop
  annotations:
    argocd.argoproj.io/sync-wave: \"5.5\"
data:
  mode: e
";
    let dir = fixture(&[("cm.yaml", text)]);
    let p = path_str(dir.path());
    let (report, code) = lint_json(&[&p, "--select", "SYN001", "--select", "SYN013"]);
    assert_eq!(code, 1);
    // A suppression names its rules: SYN013 on `other-rule` is still reported.
    assert_eq!(
        lines_with(&report),
        [("SYN013".to_owned(), 39), ("SYN001".to_owned(), 49)]
    );
    assert_eq!(report["summary"]["suppressed"], 3);
    let concise = kg()
        .args(["lint", &p, "--format", "concise"])
        .output()
        .expect("runs");
    let s = String::from_utf8(concise.stdout).expect("utf-8");
    assert!(s.trim_end().ends_with("(3 suppressed)"), "{s}");
}

// ---------------------------------------------------------------------------------------
// Selection and severity

#[test]
fn most_specific_selector_wins() {
    let dir = fixture(&[("cm.yaml", TWO_ERRORS)]);
    let p = path_str(dir.path());
    let run = |args: &[&str]| -> Vec<String> {
        let mut all = vec![p.as_str()];
        all.extend_from_slice(args);
        codes(&lint_json(&all).0)
    };
    assert_eq!(run(&["--select", "SYN", "--ignore", "SYN001"]), ["SYN013"]);
    assert_eq!(run(&["--ignore", "SYN", "--select", "SYN001"]), ["SYN001"]);
    assert_eq!(run(&["--select", "SYN001"]), ["SYN001"]);
    assert_eq!(
        run(&["--select", "SYN", "--ignore", "invalid-sync-wave"]),
        ["SYN013"]
    );
    assert_eq!(
        run(&["--select", "SYN", "--ignore", "SYN"]),
        Vec::<String>::new(),
        "a tie goes to ignore"
    );
    assert_eq!(
        run(&["--select", "SYN001", "--select", "SYN013"]),
        ["SYN001", "SYN013"]
    );
    assert_eq!(run(&["--ignore", "ALL"]), Vec::<String>::new());
}

#[test]
fn cli_select_replaces_config_select_and_ignore_adds_up() {
    let dir = fixture(&[
        ("cm.yaml", TWO_ERRORS),
        (".kubectl-gitops.yaml", "select: [SYN013]\n"),
    ]);
    let p = path_str(dir.path());
    assert_eq!(codes(&lint_json(&[&p]).0), ["SYN013"]);
    assert_eq!(codes(&lint_json(&[&p, "--select", "SYN001"]).0), ["SYN001"]);
    std::fs::write(
        dir.path().join(".kubectl-gitops.yaml"),
        "ignore: [SYN013]\n",
    )
    .expect("write");
    assert_eq!(codes(&lint_json(&[&p]).0), ["SYN001"]);
    assert_eq!(
        codes(&lint_json(&[&p, "--ignore", "SYN001"]).0),
        Vec::<String>::new()
    );
}

#[test]
fn config_severity_override_changes_json_severity() {
    let dir = fixture(&[
        ("cm.yaml", TWO_ERRORS),
        (
            ".kubectl-gitops.yaml",
            "severity:\n  SYN001: warning\n  non-string-annotation: info\n",
        ),
    ]);
    let (report, code) = lint_json(&[&path_str(dir.path())]);
    assert_eq!(code, 0, "no error left");
    let sev: Vec<(&str, &str)> = diagnostics(&report)
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap_or_default(),
                d["severity"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(sev, [("SYN001", "warning"), ("SYN013", "info")]);
    assert_eq!(report["summary"]["errors"], 0);
    assert_eq!(report["summary"]["warnings"], 1);
    assert_eq!(report["summary"]["infos"], 1);
}

#[test]
fn severity_override_for_an_unknown_rule_is_exit_2() {
    let dir = fixture(&[
        ("cm.yaml", CLEAN),
        (".kubectl-gitops.yaml", "severity:\n  NOPE001: warning\n"),
    ]);
    kg().args(["lint", &path_str(dir.path())])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("NOPE001"));
}

// ---------------------------------------------------------------------------------------
// User rules

const USER_RULE: &str = r#"code: ACME001
name: no-latest-image
category: acme
severity: warning
summary: Deployments pin their image tags
help: Use an immutable tag such as 1.4.2.
check:
  kinds: [apps/Deployment]
  select: $.spec.template.spec.containers[*].image
  when: 'endswith(":latest")'
message: "image {value} uses the latest tag"
"#;

const LATEST: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web
          image: registry.acme.example/web:latest
        - name: sidecar
          image: registry.acme.example/proxy:1.2.3
";

fn assert_user_rule_fired(report: &Value) {
    let d = diagnostics(report)
        .iter()
        .find(|d| d["code"] == "ACME001")
        .unwrap_or_else(|| panic!("ACME001 fired: {report}"));
    assert_eq!(d["name"], "no-latest-image");
    assert_eq!(d["severity"], "warning");
    assert_eq!(
        d["message"],
        "image registry.acme.example/web:latest uses the latest tag"
    );
    assert_eq!(d["help"], "Use an immutable tag such as 1.4.2.");
    assert_eq!(
        (d["file"].as_str(), d["line"].as_u64(), d["column"].as_u64()),
        (Some("deploy.yaml"), Some(17), Some(18))
    );
    assert_eq!(d["object"]["kind"], "Deployment");
    assert_eq!(d["object"]["name"], "web");
    assert_eq!(
        diagnostics(report)
            .iter()
            .filter(|d| d["code"] == "ACME001")
            .count(),
        1,
        "the pinned image is fine"
    );
}

#[test]
fn user_rules_from_the_command_line() {
    let repo = fixture(&[("deploy.yaml", LATEST)]);
    let rules = fixture(&[("acme/no-latest.yaml", USER_RULE)]);
    let (report, code) = lint_json(&[
        &path_str(repo.path()),
        "--rules",
        &path_str(rules.path()),
        "--select",
        "ACME001",
    ]);
    assert_eq!(code, 0, "a warning does not fail by default");
    assert_user_rule_fired(&report);
    kg().args([
        "lint",
        &path_str(repo.path()),
        "--rules",
        &path_str(rules.path()),
        "--fail-on",
        "warning",
    ])
    .assert()
    .code(1);
    // Without the rule directory the code is unknown.
    kg().args(["lint", &path_str(repo.path()), "--select", "ACME001"])
        .assert()
        .code(2);
}

#[test]
fn user_rules_from_the_config() {
    let repo = fixture(&[
        ("deploy.yaml", LATEST),
        (".kubectl-gitops.yaml", "rules: [.rules]\nselect: [ACME]\n"),
        (".rules/no-latest.yaml", USER_RULE),
    ]);
    let (report, _) = lint_json(&[&path_str(repo.path())]);
    assert_user_rule_fired(&report);
    assert_eq!(codes(&report), ["ACME001"]);
}

#[test]
fn malformed_user_rule_is_exit_2_with_its_position() {
    let repo = fixture(&[("deploy.yaml", LATEST)]);
    let rules = fixture(&[(
        "bad.yaml",
        "code: ACME002\nname: bad-rule\ncategory: acme\nseverity: fatal\nsummary: s\nhelp: h\n",
    )]);
    kg().args([
        "lint",
        &path_str(repo.path()),
        "--rules",
        &path_str(rules.path()),
    ])
    .assert()
    .code(2)
    .stdout("")
    .stderr(predicate::str::contains("bad.yaml:4:11").and(predicate::str::contains("fatal")));
    let broken_jq = USER_RULE.replace("endswith(\":latest\")", "endswith(");
    std::fs::write(rules.path().join("bad.yaml"), broken_jq).expect("write");
    kg().args([
        "lint",
        &path_str(repo.path()),
        "--rules",
        &path_str(rules.path()),
    ])
    .assert()
    .code(2)
    .stderr(predicate::str::contains("bad.yaml:10:9"));
    kg().args([
        "lint",
        &path_str(repo.path()),
        "--rules",
        "testdata/no-such-rules",
    ])
    .assert()
    .code(2)
    .stderr(predicate::str::contains("testdata/no-such-rules"));
}

// ---------------------------------------------------------------------------------------
// Broken pipe

/// A repository whose human report is far larger than a pipe buffer.
fn large_fixture() -> tempfile::TempDir {
    let mut text = String::new();
    for i in 0..1500 {
        text.push_str(&format!(
            "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i}\n  namespace: shop\n  annotations:\n    argocd.argoproj.io/sync-wave: \"{i}.5\"\ndata:\n  k: v\n"
        ));
    }
    fixture(&[("many.yaml", &text)])
}

#[test]
fn closed_pipe_is_not_an_error() {
    let dir = large_fixture();
    for format in ["human", "concise", "json"] {
        let mut child = std::process::Command::new(BIN)
            .args(["lint", &path_str(dir.path()), "--format", format])
            .env_remove("CLICOLOR_FORCE")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        let stdout = child.stdout.take().expect("stdout");
        let mut first = String::new();
        BufReader::new(stdout)
            .read_line(&mut first)
            .expect("first line");
        assert!(!first.is_empty());
        // The reader is gone; the rest of the report meets a closed pipe.
        let mut stderr = String::new();
        child
            .stderr
            .take()
            .expect("stderr")
            .read_to_string(&mut stderr)
            .expect("stderr");
        let status = child.wait().expect("wait");
        assert_eq!(stderr, "", "{format}");
        assert_eq!(
            status.code(),
            Some(1),
            "{format}: the findings decide the exit code"
        );
    }
}

#[test]
fn piped_into_head() {
    let dir = large_fixture();
    let script = format!(
        "{BIN:?} lint {:?} --format concise | head -1",
        path_str(dir.path())
    );
    let out = std::process::Command::new("sh")
        .args(["-c", &script])
        .output()
        .expect("sh");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    assert_eq!(stdout.lines().count(), 1);
    assert!(
        stdout.starts_with("many.yaml:8:35: error[SYN001]"),
        "{stdout}"
    );
}

// ---------------------------------------------------------------------------------------
// README

#[test]
fn readme_starts_with_the_two_setup_commands() {
    let readme = std::fs::read_to_string("README.md").expect("README.md");
    let block: Vec<&str> = readme
        .lines()
        .skip_while(|l| !l.starts_with("```"))
        .skip(1)
        .take_while(|l| !l.starts_with("```"))
        .collect();
    assert_eq!(
        block,
        [
            "cargo run --release -- lint testdata/repos/demo",
            "cargo test --all-features"
        ]
    );
    let before_block = readme.lines().take_while(|l| !l.starts_with("```")).count();
    assert!(before_block <= 4, "the commands come first");
}

// ---------------------------------------------------------------------------------------
// Secrets

#[test]
fn human_frames_never_show_secret_values() {
    let secret = "apiVersion: v1
kind: Secret
metadata:
  name: smtp
  namespace: shop
  annotations:
    argocd.argoproj.io/sync-wave: \"1.5\"
stringData: {password: hunter2-demo}
";
    let dir = fixture(&[("secret.yaml", secret)]);
    let out = kg()
        .args(["lint", &path_str(dir.path()), "--select", "SYN001"])
        .output()
        .expect("runs");
    let s = String::from_utf8(out.stdout).expect("utf-8");
    assert!(s.contains("SYN001"), "{s}");
    assert!(!s.contains("hunter2"), "{s}");
    assert!(
        s.contains("stringData: {password: ************}"),
        "the context line is masked: {s}"
    );

    for format in ["human", "concise", "json", "sarif", "github"] {
        let out = kg()
            .args(["lint", DEMO, "--format", format])
            .output()
            .expect("runs");
        let s = String::from_utf8_lossy(&out.stdout);
        assert!(
            !s.contains("not-a-real-password-demo-only"),
            "{format} prints the demo's password"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Determinism and documentation

#[test]
fn output_does_not_depend_on_the_number_of_threads() {
    let one = kg()
        .args(["lint", DEMO, "--format", "json", "-j", "1"])
        .output()
        .expect("runs");
    for jobs in ["2", "8"] {
        let many = kg()
            .args(["lint", DEMO, "--format", "json", "-j", jobs])
            .output()
            .expect("runs");
        assert_eq!(one.stdout, many.stdout, "-j {jobs}");
    }
}

/// The fenced blocks of a Markdown file with the given info string.
fn fenced(markdown: &str, info: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match &mut current {
            None if line == format!("```{info}") => current = Some(String::new()),
            Some(block) if line == "```" => {
                out.push(std::mem::take(block));
                current = None;
            }
            Some(block) => {
                block.push_str(line);
                block.push('\n');
            }
            None => {}
        }
    }
    out
}

#[test]
fn readme_configuration_example_is_valid() {
    let readme = std::fs::read_to_string("README.md").expect("README.md");
    let block = fenced(&readme, "yaml")
        .into_iter()
        .find(|b| b.starts_with("repoURLs:"))
        .expect("the configuration example");
    let c = kubectl_gitops::config::parse("README.md", &block).expect("valid configuration");
    assert_eq!(c.control_plane_namespace(), "argocd");
    assert_eq!(c.clusters.len(), 1);
}

#[test]
fn contributing_worked_example_reports_what_it_says() {
    let doc = std::fs::read_to_string("CONTRIBUTING.md").expect("CONTRIBUTING.md");
    let yaml = fenced(&doc, "yaml");
    let find = |start: &str| {
        yaml.iter()
            .find(|b| b.starts_with(start))
            .unwrap_or_else(|| panic!("a block starting with {start}"))
            .clone()
    };
    let repo = fixture(&[
        (
            ".kubectl-gitops/rules/ACME001-foreign-registry.yaml",
            &find("# .kubectl-gitops/rules/ACME001"),
        ),
        (
            ".kubectl-gitops/rules/ACME002-deployment-without-team.yaml",
            &find("code: ACME002"),
        ),
        ("apps/web.yaml", &find("apiVersion: apps/v1")),
        (
            ".kubectl-gitops.yaml",
            "rules: [.kubectl-gitops/rules]\nselect: [ACME]\n",
        ),
    ]);
    let out = kg()
        .args(["lint", &path_str(repo.path()), "--format", "concise", "-q"])
        .output()
        .expect("runs");
    let got = String::from_utf8(out.stdout).expect("utf-8");
    for line in got.lines() {
        assert!(doc.contains(line), "CONTRIBUTING.md does not show: {line}");
    }
    assert_eq!(got.lines().count(), 2, "{got}");
}
