//! `--format sarif`: the demo's regions against the JSON report and the source text, the
//! driver's rules, the structure GitHub code scanning needs, fingerprints that survive
//! line moves, URIs relative to the git work tree, and validation by Microsoft's SARIF
//! Multitool with GitHub's ingestion rules (`--rule-kind "Sarif;Gh"`).
//!
//! The Multitool comes from npm (`@microsoft/sarif-multitool`, whose platform package
//! holds a self-contained `Sarif.Multitool` binary). .ci/run installs it and sets
//! `SARIF_MULTITOOL` to the binary; locally the test is skipped without it.

mod common;

use common::*;
use kubectl_gitops::engine::catalogue::Catalogue;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn sarif_of(dir: &Path, args: &[&str]) -> Value {
    let mut all = vec!["--format", "sarif"];
    all.extend_from_slice(args);
    let out = lint_in(dir, &all);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "exit {:?}: {}",
        out.status.code(),
        stderr(&out)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(&out)))
}

fn run(v: &Value) -> &Value {
    &v["runs"][0]
}

fn results(v: &Value) -> &Vec<Value> {
    run(v)["results"].as_array().expect("results array")
}

/// The path from the git work tree's root to `dir` (`testdata/repos/demo/`), or `""`
/// when `dir` is not in a work tree (a source tarball).
fn git_prefix(dir: &str) -> String {
    Command::new("git")
        .args(["-C", dir, "rev-parse", "--show-prefix"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

/// The text of a 1-based, end-exclusive line/column region of `file` (columns count
/// characters).
fn region_text(file: &Path, region: &Value) -> String {
    let text = std::fs::read_to_string(file).expect("read");
    let n = |k: &str| region[k].as_u64().expect(k) as usize;
    let lines: Vec<&str> = text.split('\n').collect();
    let (sl, sc, el, ec) = (
        n("startLine"),
        n("startColumn"),
        n("endLine"),
        n("endColumn"),
    );
    if sl == el {
        return lines[sl - 1].chars().skip(sc - 1).take(ec - sc).collect();
    }
    let mut out: String = lines[sl - 1].chars().skip(sc - 1).collect();
    for l in &lines[sl..el - 1] {
        out.push('\n');
        out.push_str(l);
    }
    out.push('\n');
    out.extend(lines[el - 1].chars().take(ec - 1));
    out
}

/// Checks what GitHub code scanning requires and what the Multitool's schema check lets
/// through (enumerations, minimums, ordering): every result has a known rule, a level,
/// a message, exactly one physical location with a relative URI and a full region, and
/// related locations with ids and messages.
fn assert_well_formed(v: &Value) {
    assert_eq!(v["version"], "2.1.0");
    assert!(
        v["$schema"]
            .as_str()
            .is_some_and(|s| s.contains("sarif-2.1.0"))
    );
    let runs = v["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    let levels = ["none", "note", "warning", "error"];
    for r in results(v) {
        let id = r["ruleId"].as_str().expect("ruleId");
        let index = r["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rules[index]["id"], id, "ruleIndex points at the rule");
        assert!(levels.contains(&r["level"].as_str().expect("level")));
        assert!(!r["message"]["text"].as_str().expect("message").is_empty());
        let fp = r["partialFingerprints"]["kubectlGitops/v1"]
            .as_str()
            .expect("fingerprint");
        assert!(
            fp.len() == 16 && fp.chars().all(|c| c.is_ascii_hexdigit()),
            "{fp}"
        );
        let locations = r["locations"].as_array().expect("locations");
        assert_eq!(locations.len(), 1, "one primary location");
        let mut all: Vec<&Value> = locations.iter().collect();
        let mut ids = BTreeSet::new();
        for rel in r["relatedLocations"].as_array().into_iter().flatten() {
            assert!(ids.insert(rel["id"].as_u64().expect("related id")));
            assert!(
                !rel["message"]["text"]
                    .as_str()
                    .expect("related message")
                    .is_empty()
            );
            all.push(rel);
        }
        for loc in all {
            let phys = &loc["physicalLocation"];
            let art = &phys["artifactLocation"];
            let uri = art["uri"].as_str().expect("uri");
            assert!(
                !uri.starts_with('/') && !uri.contains('\\') && !uri.contains("://"),
                "{uri}"
            );
            assert_eq!(art["uriBaseId"], "%SRCROOT%");
            let reg = &phys["region"];
            let n = |k: &str| {
                reg[k]
                    .as_u64()
                    .unwrap_or_else(|| panic!("region.{k}: {reg}"))
            };
            assert!(n("startLine") >= 1 && n("startColumn") >= 1, "{reg}");
            assert!(
                (n("endLine"), n("endColumn")) >= (n("startLine"), n("startColumn")),
                "{reg}"
            );
        }
    }
}

#[test]
fn demo_regions_match_the_json_report_and_the_source() {
    let cwd = std::env::current_dir().expect("cwd");
    let sarif = sarif_of(&cwd, &[DEMO]);
    assert_well_formed(&sarif);
    let json: Value = serde_json::from_slice(&lint_in(&cwd, &[DEMO, "--format", "json"]).stdout)
        .expect("json report");
    let diags = json["diagnostics"].as_array().expect("diagnostics");
    let res = results(&sarif);
    assert_eq!(res.len(), diags.len());
    assert_eq!(res.len(), 10, "the demo's deliberate mistakes");
    let prefix = git_prefix(DEMO);
    for (r, d) in res.iter().zip(diags) {
        assert_eq!(r["ruleId"], d["code"]);
        let level = match d["severity"].as_str() {
            Some("error") => "error",
            Some("warning") => "warning",
            _ => "note",
        };
        assert_eq!(r["level"], level);
        let phys = &r["locations"][0]["physicalLocation"];
        let file = d["file"].as_str().expect("file");
        assert_eq!(phys["artifactLocation"]["uri"], format!("{prefix}{file}"));
        let reg = &phys["region"];
        assert_eq!(reg["startLine"], d["line"]);
        assert_eq!(reg["startColumn"], d["column"]);
        assert_eq!(reg["endLine"], d["end_line"]);
        assert_eq!(reg["endColumn"], d["end_column"]);
        assert!(
            r["message"]["text"]
                .as_str()
                .expect("message")
                .starts_with(d["message"].as_str().expect("message")),
        );
    }
    // The regions cover exactly the offending nodes.
    let text_of = |code: &str| {
        let r = res.iter().find(|r| r["ruleId"] == code).expect(code);
        let uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .expect("uri");
        let file = Path::new(DEMO).join(uri.strip_prefix(&prefix).expect("prefix"));
        region_text(&file, &r["locations"][0]["physicalLocation"]["region"])
    };
    assert_eq!(text_of("SYN001"), "\"1.5\"");
    assert_eq!(text_of("SYN002"), "Presync");
    assert_eq!(text_of("SYN003"), "HookSucceed");
    assert_eq!(text_of("APP004"), "Retry=true");
    assert_eq!(text_of("APP005"), "\"3d\"");
    assert_eq!(text_of("APP008"), "selfheal");
    assert_eq!(text_of("SYN013"), "5");
    assert_eq!(text_of("GO006"), "yes");
}

#[test]
fn driver_lists_every_rule_with_its_documentation() {
    let sarif = sarif_of(&std::env::current_dir().expect("cwd"), &[DEMO]);
    let driver = &run(&sarif)["tool"]["driver"];
    assert_eq!(driver["name"], "kubectl-gitops");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(driver["semanticVersion"], env!("CARGO_PKG_VERSION"));
    assert!(
        driver["informationUri"]
            .as_str()
            .is_some_and(|u| u.starts_with("https://"))
    );
    let cat = Catalogue::builtin().expect("catalogue");
    let rules = driver["rules"].as_array().expect("rules");
    let ids: Vec<&str> = rules
        .iter()
        .map(|r| r["id"].as_str().expect("id"))
        .collect();
    let want: Vec<&str> = cat.rules().iter().map(|r| r.code.as_str()).collect();
    assert_eq!(ids, want, "every rule, in catalogue order");
    for (r, meta) in rules.iter().zip(cat.rules()) {
        assert_eq!(r["name"], meta.name.as_str());
        assert_eq!(r["shortDescription"]["text"], meta.summary.as_str());
        let full = r["fullDescription"]["text"]
            .as_str()
            .expect("fullDescription");
        assert!(
            full.len() > 20 && !full.starts_with('#'),
            "{}: {full}",
            meta.code
        );
        assert_eq!(r["help"]["text"], meta.help.as_str());
        assert!(
            r["help"]["markdown"]
                .as_str()
                .is_some_and(|m| m.contains("## Why is this bad?"))
        );
        assert!(
            r["helpUri"]
                .as_str()
                .is_some_and(|u| u.starts_with("https://"))
        );
        let level = r["defaultConfiguration"]["level"].as_str().expect("level");
        assert_eq!(
            level,
            match meta.severity.as_str() {
                "error" => "error",
                "warning" => "warning",
                _ => "note",
            }
        );
        assert!(
            r["properties"]["tags"]
                .as_array()
                .is_some_and(|t| t.iter().any(|t| t == meta.category.as_str()))
        );
    }
}

#[test]
fn related_locations_carry_regions_and_messages() {
    let cwd = std::env::current_dir().expect("cwd");
    let sarif = sarif_of(&cwd, &["testdata/repos/app-of-apps"]);
    assert_well_formed(&sarif);
    let with_related: Vec<&Value> = results(&sarif)
        .iter()
        .filter(|r| r["relatedLocations"].is_array())
        .collect();
    assert!(!with_related.is_empty());
    let prefix = git_prefix("testdata/repos/app-of-apps");
    let json: Value = serde_json::from_slice(
        &lint_in(&cwd, &["testdata/repos/app-of-apps", "--format", "json"]).stdout,
    )
    .expect("json");
    for (r, d) in results(&sarif)
        .iter()
        .zip(json["diagnostics"].as_array().expect("diags"))
    {
        let related = d["related"].as_array().expect("related");
        let sarif_related = r["relatedLocations"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(sarif_related.len(), related.len());
        for (s, j) in sarif_related.iter().zip(related) {
            let phys = &s["physicalLocation"];
            assert_eq!(
                phys["artifactLocation"]["uri"],
                format!("{prefix}{}", j["file"].as_str().expect("file"))
            );
            assert_eq!(phys["region"]["startLine"], j["line"]);
            assert_eq!(phys["region"]["startColumn"], j["column"]);
            assert_eq!(s["message"]["text"], j["message"]);
        }
    }
}

#[test]
fn empty_report_still_has_a_results_array() {
    let dir = fixture(&[("a.yaml", &configmap("a", "1"))]);
    let sarif = sarif_of(dir.path(), &["."]);
    assert_eq!(results(&sarif).len(), 0);
    assert_well_formed(&sarif);
}

#[test]
fn output_is_deterministic() {
    let cwd = std::env::current_dir().expect("cwd");
    let a = lint_in(&cwd, &[DEMO, "--format", "sarif", "-j", "1"]);
    let b = lint_in(&cwd, &[DEMO, "--format", "sarif", "-j", "2"]);
    assert_eq!(a.stdout, b.stdout);
    let text = stdout(&a);
    assert!(
        !text.contains(&cwd.to_string_lossy().into_owned()),
        "no absolute paths"
    );
}

#[test]
fn fingerprints_survive_line_moves_and_follow_the_node() {
    let dir = fixture(&[
        ("apps/a.yaml", &configmap("a", "1.5")),
        ("b.yaml", &configmap("b", "x")),
    ]);
    let fps = |v: &Value| -> Vec<(String, u64, String)> {
        results(v)
            .iter()
            .map(|r| {
                (
                    r["ruleId"].as_str().expect("id").to_owned(),
                    r["locations"][0]["physicalLocation"]["region"]["startLine"]
                        .as_u64()
                        .expect("line"),
                    r["partialFingerprints"]["kubectlGitops/v1"]
                        .as_str()
                        .expect("fp")
                        .to_owned(),
                )
            })
            .collect()
    };
    let before = fps(&sarif_of(dir.path(), &["."]));
    assert_eq!(before.len(), 2);
    // Lines inserted above, and the document reindented inside the annotation value.
    let moved = format!("# owner: shop\n\n---\n{}", configmap("a", "1.5"));
    std::fs::write(dir.path().join("apps/a.yaml"), moved).expect("write");
    let after = fps(&sarif_of(dir.path(), &["."]));
    assert_eq!(after.len(), 2);
    assert_ne!(before[0].1, after[0].1, "the line moved");
    assert_eq!(before[0].2, after[0].2, "the fingerprint did not");
    assert_eq!(before[1], after[1], "the other file is untouched");
    // A different offending value is a different finding.
    std::fs::write(dir.path().join("apps/a.yaml"), configmap("a", "2.5")).expect("write");
    let changed = fps(&sarif_of(dir.path(), &["."]));
    assert_ne!(before[0].2, changed[0].2);
}

#[test]
fn uris_are_relative_to_the_git_work_tree() {
    if !git_available() {
        return;
    }
    let repo = git_repo();
    write_files(
        repo.path(),
        &[("deploy/apps/a b.yaml", &configmap("a", "1.5"))],
    );
    let sarif = sarif_of(repo.path(), &["deploy"]);
    let uri = &results(&sarif)[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"];
    assert_eq!(uri, "deploy/apps/a%20b.yaml");
    // Linting from inside the subdirectory gives the same URI.
    let inside = sarif_of(&repo.path().join("deploy"), &["."]);
    assert_eq!(
        results(&inside)[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        *uri
    );
    assert_eq!(
        results(&inside)[0]["partialFingerprints"],
        results(&sarif)[0]["partialFingerprints"],
        "fingerprints use the same root-relative path"
    );
}

// ---------------------------------------------------------------------------------------
// Microsoft's SARIF Multitool

/// The Multitool binary: `SARIF_MULTITOOL`, or `Sarif.Multitool` on PATH.
fn multitool() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("SARIF_MULTITOOL").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    on_path("Sarif.Multitool")
}

/// Problems the Multitool reports at level error or warning in the SARIF files, each as
/// `file: RULE message`.
fn multitool_problems(tool: &Path, files: &[PathBuf]) -> Vec<String> {
    let out_dir = tempfile::tempdir().expect("tempdir");
    let log = out_dir.path().join("validation.sarif");
    let out = Command::new(tool)
        .arg("validate")
        .args(files)
        .args(["--rule-kind", "Sarif;Gh", "--log", "ForceOverwrite", "-o"])
        .arg(&log)
        // The tool is self-contained .NET: no telemetry, no first-run work, no ICU.
        .env("DOTNET_CLI_TELEMETRY_OPTOUT", "1")
        .env("DOTNET_SYSTEM_GLOBALIZATION_INVARIANT", "1")
        .output()
        .expect("Sarif.Multitool runs");
    let console = format!("{}{}", stdout(&out), stderr(&out));
    assert!(out.status.success(), "Sarif.Multitool failed: {console}");
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&log).expect("validation log"))
        .expect("validation log is JSON");
    let run = &v["runs"][0];
    let inv = &run["invocations"][0];
    assert_eq!(inv["executionSuccessful"], true, "{console}");
    let mut problems = Vec::new();
    for n in inv["toolExecutionNotifications"]
        .as_array()
        .into_iter()
        .flatten()
    {
        problems.push(format!("tool notification: {n}"));
    }
    for r in run["results"].as_array().into_iter().flatten() {
        // SARIF's default level is warning.
        let level = r["level"].as_str().unwrap_or("warning");
        if level == "error" || level == "warning" {
            let uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap_or("?");
            problems.push(format!("{uri}: {} {level} {}", r["ruleId"], r["message"]));
        }
    }
    assert!(
        !console.contains(": error ") && !console.contains(": warning ") || !problems.is_empty(),
        "the console shows problems the log does not: {console}"
    );
    problems
}

#[test]
fn multitool_accepts_the_reports_with_githubs_rules() {
    let Some(tool) = multitool().filter(|p| p.is_file()) else {
        tool_available(
            "Sarif.Multitool",
            false,
            "set SARIF_MULTITOOL or run .ci/run, which installs @microsoft/sarif-multitool from npm",
        );
        return;
    };
    let cwd = std::env::current_dir().expect("cwd");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut files = Vec::new();
    let mut inputs: Vec<String> = vec![
        DEMO.into(),
        "testdata/repos/app-of-apps".into(),
        "testdata/repos/rendered".into(),
    ];
    // Every rule's invalid fixture: all the kinds of spans and related locations.
    let mut fixtures: Vec<PathBuf> = std::fs::read_dir("testdata/rules")
        .expect("testdata/rules")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    fixtures.sort();
    for f in fixtures {
        for name in ["invalid.yaml", "invalid"] {
            if f.join(name).exists() {
                inputs.push(f.join(name).to_string_lossy().into_owned());
            }
        }
    }
    for (i, input) in inputs.iter().enumerate() {
        let path = dir.path().join(format!("{i:03}.sarif"));
        let out = lint_in(
            &cwd,
            &[input, "--format", "sarif", "-o", &path.to_string_lossy()],
        );
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{input}: {}",
            stderr(&out)
        );
        let v: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("report")).expect("json");
        assert_well_formed(&v);
        files.push(path);
    }
    let problems = multitool_problems(&tool, &files);
    assert!(
        problems.is_empty(),
        "Sarif.Multitool found problems (files {:?} in order):\n{}",
        inputs,
        problems.join("\n")
    );
}

#[test]
fn multitool_check_catches_a_broken_report() {
    let Some(tool) = multitool().filter(|p| p.is_file()) else {
        tool_available(
            "Sarif.Multitool",
            false,
            "set SARIF_MULTITOOL or run .ci/run, which installs @microsoft/sarif-multitool from npm",
        );
        return;
    };
    // The validation above would pass vacuously if the tool checked nothing: a report
    // without a region and with an absolute URI must be flagged.
    let cwd = std::env::current_dir().expect("cwd");
    let mut v = sarif_of(&cwd, &[DEMO]);
    let loc = &mut v["runs"][0]["results"][0]["locations"][0]["physicalLocation"];
    loc["artifactLocation"]["uri"] = Value::from("/abs/a.yaml");
    if let Some(o) = loc.as_object_mut() {
        o.remove("region");
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("broken.sarif");
    std::fs::write(&path, serde_json::to_string(&v).expect("json")).expect("write");
    let problems = multitool_problems(&tool, &[path]);
    assert!(
        problems.iter().any(|p| p.contains("SARIF1004")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("SARIF2017")),
        "{problems:?}"
    );
}
