//! Invariants of the rule registry: unique codes and names, documentation headings,
//! fixtures for every rule, `NATIVE` one-to-one with the non-declarative declarations,
//! the docs' examples behave as documented, and rules/README.md is up to date.

use kubectl_gitops::cli::{DriftArgs, LintArgs, RulesFormat, drift_with, lint_paths};
use kubectl_gitops::engine::catalogue::{Catalogue, DOC_HEADINGS};
use kubectl_gitops::live::snapshot::SnapshotSource;
use kubectl_gitops::progress::Progress;
use kubectl_gitops::rules::NATIVE;
use std::collections::BTreeSet;

fn catalogue() -> Catalogue {
    Catalogue::builtin().expect("built-in rules parse")
}

#[test]
fn native_list_matches_declarations() {
    let cat = catalogue();
    let native: BTreeSet<&str> = NATIVE.iter().map(|n| n.code).collect();
    assert_eq!(native.len(), NATIVE.len(), "a code appears twice in NATIVE");
    let declared_native: BTreeSet<&str> = cat
        .rules()
        .into_iter()
        .filter(|r| r.check.is_none())
        .map(|r| r.code.as_str())
        .collect();
    assert_eq!(native, declared_native);
}

#[test]
fn docs_have_every_heading_in_order() {
    for r in catalogue().rules() {
        let mut at = 0;
        for h in DOC_HEADINGS {
            let pos = r.docs[at..].find(h).map(|p| p + at);
            assert!(
                pos.is_some(),
                "{}: missing or misplaced heading '{h}'",
                r.code
            );
            at = pos.unwrap_or(at);
        }
        assert!(
            r.origin.ends_with(&format!("/{}-{}.yaml", r.code, r.name)),
            "{}: file name",
            r.origin
        );
    }
}

/// Rules that need a cluster (`requires: cluster`, the LIVE rules) also have the
/// cluster's side of each fixture: `cluster/invalid.yaml` and `cluster/valid.yaml`.
#[test]
fn every_rule_has_fixtures() {
    for r in catalogue().rules() {
        let dir = format!("testdata/rules/{}-{}", r.code, r.name);
        for kind in ["invalid", "valid"] {
            let ok = std::path::Path::new(&format!("{dir}/{kind}.yaml")).exists()
                || std::path::Path::new(&format!("{dir}/{kind}")).is_dir();
            assert!(ok, "{dir}: no {kind} fixture");
            if r.requires.is_some() {
                let cluster = format!("{dir}/cluster/{kind}.yaml");
                assert!(
                    std::path::Path::new(&cluster).is_file(),
                    "{dir}: no {cluster} for a rule that needs a cluster"
                );
            }
        }
    }
}

/// The files of a documentation example. An example is one file, `example.yaml`, unless
/// it holds `# file: <path>` lines: each starts a file of that path (relative to the
/// repository root), so an example can show a repository: a `.kubectl-gitops.yaml` with
/// its `repoURLs`, Applications and the directories their sources point at. Lines before
/// the first marker go to `example.yaml`. For rules that need a cluster, files under
/// `cluster/` are what the cluster returns: they become the `--live-snapshot` of a
/// `drift` run instead of files of the repository.
fn example_files(text: &str) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = vec![("example.yaml".to_owned(), String::new())];
    for line in text.lines() {
        if let Some(path) = line.strip_prefix("# file: ") {
            files.push((path.trim().to_owned(), String::new()));
            continue;
        }
        if let Some((_, body)) = files.last_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    files
        .into_iter()
        .filter(|(p, body)| p != "example.yaml" || !body.trim().is_empty())
        .collect()
}

/// Runs `drift` over an example: its `cluster/` files are the live snapshot.
fn drift_text(code: &str, text: &str) -> Vec<String> {
    let dir = tempfile::tempdir().expect("tempdir");
    let live = tempfile::tempdir().expect("tempdir");
    for (rel, body) in example_files(text) {
        let (root, rel) = match rel.strip_prefix("cluster/") {
            Some(r) => (live.path(), r.to_owned()),
            None => (dir.path(), rel),
        };
        let path = root.join(&rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create example directory");
        }
        std::fs::write(&path, body).expect("write example");
    }
    let mut args = DriftArgs::new(dir.path().to_path_buf());
    args.repo.select = vec![code.to_owned()];
    args.repo.repo_urls = vec!["https://github.com/acme/gitops.git".to_owned()];
    let source = SnapshotSource::read(live.path()).expect("snapshot");
    let result = drift_with(&args, &source, &Progress::hidden()).expect("drift example");
    result.diagnostics.iter().map(|d| d.code.clone()).collect()
}

fn lint_text(code: &str, text: &str) -> Vec<String> {
    let dir = tempfile::tempdir().expect("tempdir");
    for (rel, body) in example_files(text) {
        assert!(
            !rel.starts_with('/') && !rel.split('/').any(|s| s == ".."),
            "{code}: example file {rel} leaves the example"
        );
        let path = dir.path().join(&rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create example directory");
        }
        std::fs::write(&path, body).expect("write example");
    }
    let mut args = LintArgs::new(vec![dir.path().to_path_buf()]);
    args.repo.select = vec![code.to_owned()];
    // Examples without a configuration live in the repository Argo CD knows by this URL.
    args.repo.repo_urls = vec!["https://github.com/acme/gitops.git".to_owned()];
    let result = lint_paths(&args).expect("lint example");
    result
        .outcome
        .diagnostics
        .iter()
        .map(|d| d.code.clone())
        .collect()
}

#[test]
fn examples_split_into_files() {
    assert_eq!(
        example_files("kind: A\n"),
        [("example.yaml".to_owned(), "kind: A\n".to_owned())]
    );
    assert_eq!(
        example_files(
            "# file: .kubectl-gitops.yaml\nrepoURLs: [x]\n# file: apps/a.yaml\nkind: A\n"
        ),
        [
            (
                ".kubectl-gitops.yaml".to_owned(),
                "repoURLs: [x]\n".to_owned()
            ),
            ("apps/a.yaml".to_owned(), "kind: A\n".to_owned()),
        ]
    );
}

#[test]
fn doc_examples_fire_and_fixes_do_not() {
    for r in catalogue().rules() {
        // Rules about files rather than YAML content document their examples in prose.
        let Some(example) = r.doc_example("## Example") else {
            assert!(
                ["GO007"].contains(&r.code.as_str()),
                "{}: no ```yaml example",
                r.code
            );
            continue;
        };
        let run = if r.requires.is_some() {
            drift_text
        } else {
            lint_text
        };
        let fired = run(&r.code, &example);
        assert!(
            fired.contains(&r.code),
            "{}: its Example does not fire: {fired:?}",
            r.code
        );
        let fix = r.doc_example("## Use instead").unwrap_or_default();
        let fired = run(&r.code, &fix);
        assert!(
            !fired.contains(&r.code),
            "{}: its Use instead fires",
            r.code
        );
    }
}

#[test]
fn rules_readme_is_current() {
    let want = kubectl_gitops::report::rules::render(&catalogue(), RulesFormat::Markdown);
    let have = std::fs::read_to_string("rules/README.md").unwrap_or_default();
    if std::env::var_os("UPDATE_RULES_README").is_some() {
        std::fs::write("rules/README.md", &want).expect("write rules/README.md");
        return;
    }
    assert_eq!(
        have, want,
        "rules/README.md is stale: run `UPDATE_RULES_README=1 cargo test --test catalogue`"
    );
}

#[test]
fn user_rule_files_load_through_the_same_loader() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("X001.yaml"),
        "code: ACME001\nname: no-latest\ncategory: acme\nseverity: warning\nsummary: s\nhelp: h\n\
         check:\n  kinds: [apps/Deployment]\n  select: $.spec.template.spec.containers[*].image\n  when: 'endswith(\":latest\")'\n\
         message: 'image {value} uses latest'\n",
    )
    .expect("write rule");
    let mut cat = catalogue();
    assert_eq!(cat.load_dir(dir.path()).expect("loads"), 1);
    assert!(cat.get("ACME001").is_some() && cat.get("no-latest").is_some());

    std::fs::write(
        dir.path().join("X002.yaml"),
        "code: ACME002\nname: x\ncategory: a\nseverity: fatal\nsummary: s\nhelp: h\n",
    )
    .expect("write bad rule");
    let err = catalogue().load_dir(dir.path()).expect_err("bad severity");
    assert!(err.to_string().contains("X002.yaml:4:11"), "{err}");
    let _ = lint_paths;
}
