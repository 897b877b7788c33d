//! Fixture harness: every rule has `testdata/rules/<CODE>-<name>/` with an invalid and a
//! valid fixture (a file `invalid.yaml`/`valid.yaml` or a directory `invalid/`/`valid/`).
//! Lines of an invalid fixture that must produce a diagnostic end with
//! `# expect: CODE` (several codes separated by commas). The harness lints each fixture
//! with every rule enabled and checks that the set of (file, line, code) found equals
//! the set marked, and that valid fixtures produce nothing at all. The human output of
//! each invalid fixture is snapshot-tested next to it.
//!
//! Where a marker cannot sit on the reported line (a syntax error, a dangling symbolic
//! link), the rule's fixture directory may hold `expect.txt`: one expectation per line,
//! `relative/path:LINE CODE` or `relative/path:LINE:COLUMN CODE`, the path relative to
//! that directory (`invalid.yaml:3 GO001`, `invalid/broken.yaml:1:1 GO007`); blank lines
//! and `#` comments are skipped. A column, when given, must match too.
//!
//! Rules that need a cluster (the LIVE rules, `requires: cluster`) are checked through
//! `drift`: their fixture directory also holds `cluster/invalid.yaml` and
//! `cluster/valid.yaml`, `kubectl get -o yaml` dumps that stand in for the cluster (the
//! snapshot source, a real component of the product, not a fake).
//!
//! GO005 (render-skipped) is an info that fires for every Application whose resources are
//! partly unknown: fixtures of other rules use external and kustomize/Helm sources freely,
//! so GO005 is not run for them; only GO005's own fixtures check it.

use kubectl_gitops::cli::{DriftArgs, LintArgs, drift_with, lint_paths};
use kubectl_gitops::live::snapshot::SnapshotSource;
use kubectl_gitops::progress::Progress;
use kubectl_gitops::report;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn fixture_dirs() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir("testdata/rules")
        .expect("testdata/rules exists")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    v.sort();
    v
}

fn fixture(dir: &Path, kind: &str) -> Option<PathBuf> {
    [dir.join(format!("{kind}.yaml")), dir.join(kind)]
        .into_iter()
        .find(|p| p.exists())
}

type Found = BTreeSet<(String, usize, String)>;

/// (file relative to the crate, 1-based line, code) for every marker.
fn expectations(path: &Path) -> Found {
    let files: Vec<PathBuf> = if path.is_dir() {
        let mut v: Vec<PathBuf> = walk(path);
        v.sort();
        v
    } else {
        vec![path.to_path_buf()]
    };
    let mut out = BTreeSet::new();
    for f in files {
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        for (i, line) in text.lines().enumerate() {
            if let Some(pos) = line.find("# expect:") {
                for code in line[pos + 9..].split(',') {
                    let code = code.trim();
                    if !code.is_empty() {
                        out.insert((rel(&f), i + 1, code.to_owned()));
                    }
                }
            }
        }
    }
    out
}

/// One line of `expect.txt`.
#[derive(Debug, PartialEq)]
struct Listed {
    file: String,
    line: usize,
    column: Option<usize>,
    code: String,
}

/// Parses `expect.txt` of a rule's fixture directory; paths become crate-relative.
fn listed_expectations(dir: &Path, text: &str) -> Result<Vec<Listed>, String> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = || {
            format!(
                "expect.txt:{}: expected `path:LINE[:COLUMN] CODE`, got {raw:?}",
                i + 1
            )
        };
        let (loc, code) = line.rsplit_once(char::is_whitespace).ok_or_else(bad)?;
        let (rest, last) = loc.trim().rsplit_once(':').ok_or_else(bad)?;
        let last: usize = last.parse().map_err(|_| bad())?;
        let (file, line_no, column) = match rest.rsplit_once(':') {
            Some((file, l)) if l.parse::<usize>().is_ok() => {
                (file, l.parse().map_err(|_| bad())?, Some(last))
            }
            _ => (rest, last, None),
        };
        out.push(Listed {
            file: format!("{}/{}", rel(dir), file),
            line: line_no,
            column,
            code: code.trim().to_owned(),
        });
    }
    Ok(out)
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        // Not following symbolic links: fixtures hold dangling links and link loops.
        if e.file_type().is_ok_and(|t| t.is_dir()) {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn rel(p: &Path) -> String {
    p.to_string_lossy().replace('\\', "/")
}

/// What the linter reports for a fixture: (file, line, code), the columns of each, and
/// the human output.
struct Report {
    found: Found,
    columns: Vec<(String, usize, usize, String)>,
    human: String,
}

/// The rule whose findings are ignored outside its own fixtures.
const IGNORED_ELSEWHERE: &str = "GO005";

/// What a fixture reports: through `drift` when the rule's directory holds the cluster's
/// side of it (`cluster/<kind>.yaml`), else through `lint`.
fn findings(dir: &Path, kind: &str, path: &Path, code: &str) -> Report {
    let cluster = dir.join("cluster").join(format!("{kind}.yaml"));
    if cluster.is_file() {
        drift_findings(path, &cluster)
    } else {
        lint_findings(path, code)
    }
}

/// Locations of `diagnostics` as (file, line, column, code), files relative to the crate.
fn located(
    path: &Path,
    db: &kubectl_gitops::source::SourceDb,
    diagnostics: &[kubectl_gitops::diagnostic::Diagnostic],
) -> Vec<(String, usize, usize, String)> {
    // Paths are reported relative to the fixture directory (or the crate for a file).
    let prefix = if path.is_dir() {
        format!("{}/", rel(path))
    } else {
        String::new()
    };
    diagnostics
        .iter()
        .map(|d| {
            let (s, _) = report::range(db, d.primary.span);
            let file = &db.get(d.primary.span.file).rel_path;
            (format!("{prefix}{file}"), s.line, s.column, d.code.clone())
        })
        .collect()
}

fn found(columns: &[(String, usize, usize, String)]) -> Found {
    columns
        .iter()
        .map(|(f, l, _, c)| (f.clone(), *l, c.clone()))
        .collect()
}

fn drift_findings(path: &Path, cluster: &Path) -> Report {
    let args = DriftArgs::new(path.to_path_buf());
    let source = SnapshotSource::read(cluster).expect("fixture snapshot reads");
    let result = drift_with(&args, &source, &Progress::hidden()).expect("fixture drifts");
    let columns = located(path, &result.lint.repo.db, &result.diagnostics);
    let input = report::Input {
        diagnostics: &result.diagnostics,
        db: &result.lint.repo.db,
        catalogue: &result.lint.catalogue,
        summary: result.summary,
        quiet: false,
        color: false,
        root_prefix: &result.lint.root_prefix,
        fingerprints: &[],
    };
    Report {
        found: found(&columns),
        human: report::drift::human(&input, &result.findings, &result.checked),
        columns,
    }
}

fn lint_findings(path: &Path, code: &str) -> Report {
    let mut args = LintArgs::new(vec![path.to_path_buf()]);
    if code != IGNORED_ELSEWHERE {
        args.repo.ignore = vec![IGNORED_ELSEWHERE.to_owned()];
    }
    let result = lint_paths(&args).expect("fixture lints");
    let columns = located(path, &result.repo.db, &result.outcome.diagnostics);
    let input = result.report_input(false, false);
    Report {
        found: found(&columns),
        columns,
        human: report::human::render(&input),
    }
}

#[test]
fn every_fixture_fires_exactly_where_marked() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for dir in fixture_dirs() {
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let code = name.split('-').next().unwrap_or("").to_owned();
        // GO004's fixtures fail to render with the real kustomize.
        if code == "GO004" {
            let tools = kubectl_gitops::render::tool::ToolPaths::from_path();
            if tools.kustomize.is_none() && tools.kubectl.is_none() {
                eprintln!("{name}: skipped, neither kustomize nor kubectl is on PATH");
                continue;
            }
        }
        let Some(invalid) = fixture(&dir, "invalid") else {
            failures.push(format!("{name}: no invalid fixture"));
            continue;
        };
        let Some(valid) = fixture(&dir, "valid") else {
            failures.push(format!("{name}: no valid fixture"));
            continue;
        };
        let mut want = expectations(&invalid);
        let listed = match std::fs::read_to_string(dir.join("expect.txt")) {
            Ok(text) => match listed_expectations(&dir, &text) {
                Ok(l) => l,
                Err(e) => {
                    failures.push(format!("{name}: {e}"));
                    continue;
                }
            },
            Err(_) => Vec::new(),
        };
        want.extend(
            listed
                .iter()
                .map(|l| (l.file.clone(), l.line, l.code.clone())),
        );
        if !want.iter().any(|(_, _, c)| *c == code) {
            failures.push(format!("{name}: the invalid fixture marks no {code}"));
        }
        let Report {
            found: got,
            columns,
            human,
        } = findings(&dir, "invalid", &invalid, &code);
        if got != want {
            let missing: Vec<_> = want.difference(&got).collect();
            let extra: Vec<_> = got.difference(&want).collect();
            failures.push(format!(
                "{name}: missing {missing:?}, unexpected {extra:?}\n{human}"
            ));
        }
        for l in listed.iter().filter(|l| l.column.is_some()) {
            let hit = columns.iter().any(|(f, line, col, c)| {
                *f == l.file && *line == l.line && Some(*col) == l.column && *c == l.code
            });
            if !hit {
                failures.push(format!(
                    "{name}: no {} at {}:{}:{:?}",
                    l.code, l.file, l.line, l.column
                ));
            }
        }
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(std::fs::canonicalize(&dir).expect("fixture dir"));
        settings.set_prepend_module_to_snapshot(false);
        settings.set_omit_expression(true);
        settings.bind(|| insta::assert_snapshot!("human", human));
        let Report {
            found: got, human, ..
        } = findings(&dir, "valid", &valid, &code);
        if !got.is_empty() {
            failures.push(format!(
                "{name}: the valid fixture produced {got:?}\n{human}"
            ));
        }
        checked += 1;
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} fixtures failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(checked > 0);
}

#[test]
fn expect_txt_lines_parse() {
    let dir = Path::new("testdata/rules/X001-x");
    let text = "# comment\n\ninvalid.yaml:3 GO001\ninvalid/a b.yaml:1:1  GO007\n";
    let got = listed_expectations(dir, text).expect("parses");
    assert_eq!(
        got,
        [
            Listed {
                file: "testdata/rules/X001-x/invalid.yaml".into(),
                line: 3,
                column: None,
                code: "GO001".into()
            },
            Listed {
                file: "testdata/rules/X001-x/invalid/a b.yaml".into(),
                line: 1,
                column: Some(1),
                code: "GO007".into()
            },
        ]
    );
    assert!(listed_expectations(dir, "invalid.yaml GO001").is_err());
    assert!(listed_expectations(dir, "invalid.yaml:x GO001").is_err());
}
