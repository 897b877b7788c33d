//! `--files FILE...` and `--changed-since REV`: the whole repository is indexed, only the
//! findings located in the given or changed files (primary or related location) are
//! reported, and the exit code follows what is reported.

mod common;

use common::*;
use serde_json::Value;
use std::path::Path;

fn json_findings(dir: &Path, args: &[&str]) -> (Vec<(String, u64, String)>, i32) {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    let out = lint_in(dir, &all);
    let code = out.status.code().expect("exit code");
    assert!(code == 0 || code == 1, "exit {code}: {}", stderr(&out));
    (findings(&stdout(&out)), code)
}

fn files_of(f: &[(String, u64, String)]) -> Vec<&str> {
    f.iter().map(|x| x.0.as_str()).collect()
}

#[test]
fn files_limits_the_report_and_the_exit_code() {
    let dir = fixture(&[
        ("a.yaml", &configmap("a", "1.5")),
        ("apps/b.yaml", &configmap("b", "x")),
        ("c.yaml", &configmap("c", "1")),
    ]);
    let (all, code) = json_findings(dir.path(), &["."]);
    assert_eq!(files_of(&all), ["a.yaml", "apps/b.yaml"]);
    assert_eq!(code, 1);
    let (some, code) = json_findings(dir.path(), &[".", "--files", "apps/b.yaml", "c.yaml"]);
    assert_eq!(files_of(&some), ["apps/b.yaml"]);
    assert_eq!(code, 1);
    // `./` prefixes, `..` and absolute paths name the same files.
    let abs = dir.path().join("a.yaml");
    let (same, _) = json_findings(
        dir.path(),
        &[".", "--files", "./apps/../a.yaml", &abs.to_string_lossy()],
    );
    assert_eq!(files_of(&same), ["a.yaml"]);
    let (none, code) = json_findings(dir.path(), &[".", "--files", "c.yaml"]);
    assert!(none.is_empty());
    assert_eq!(code, 0, "nothing reported, nothing fails");
    // A directory stands for the files under it.
    let (dir_scope, _) = json_findings(dir.path(), &[".", "--files", "apps"]);
    assert_eq!(files_of(&dir_scope), ["apps/b.yaml"]);
    // A file that does not exist (deleted) matches nothing.
    let (gone, code) = json_findings(dir.path(), &[".", "--files", "gone.yaml"]);
    assert!(gone.is_empty() && code == 0);
}

#[test]
fn files_relative_to_the_current_directory_with_another_lint_root() {
    let dir = fixture(&[
        ("deploy/a.yaml", &configmap("a", "1.5")),
        ("deploy/b.yaml", &configmap("b", "x")),
    ]);
    let (f, _) = json_findings(dir.path(), &["deploy", "--files", "deploy/b.yaml"]);
    assert_eq!(
        files_of(&f),
        ["b.yaml"],
        "report paths stay relative to PATH"
    );
}

/// The findings of the full report that `--files file` must keep: primary or related
/// location in that file.
fn expected_for(report: &Value, file: &str) -> Vec<(String, u64, String)> {
    report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| {
            d["file"] == file
                || d["related"]
                    .as_array()
                    .is_some_and(|r| r.iter().any(|r| r["file"] == file))
        })
        .map(|d| {
            (
                d["file"].as_str().expect("file").to_owned(),
                d["line"].as_u64().expect("line"),
                d["code"].as_str().expect("code").to_owned(),
            )
        })
        .collect()
}

#[test]
fn cross_file_findings_follow_their_related_files() {
    let root = Path::new("testdata/repos/app-of-apps");
    let cwd = std::env::current_dir().expect("cwd");
    let full: Value = serde_json::from_slice(
        &lint_in(&cwd, &[&root.to_string_lossy(), "--format", "json"]).stdout,
    )
    .expect("json");
    for file in [
        "bootstrap/projects.yaml",
        "teams/payments/api.yaml",
        "payments/api/quota.yaml",
    ] {
        let want = expected_for(&full, file);
        let (got, _) = json_findings(root, &[".", "--files", file]);
        assert_eq!(got, want, "--files {file}");
    }
    // The project file is only a related location: changing it reports the findings
    // of the Applications and resources it no longer permits, in their own files.
    let projects = expected_for(&full, "bootstrap/projects.yaml");
    assert!(
        projects.iter().any(|f| f.0 != "bootstrap/projects.yaml"),
        "{projects:?}"
    );
}

const APPSET_RULE: &str = r#"code: ACME002
name: appset-without-sync-policy
category: acme
severity: error
summary: ApplicationSets set a sync policy
help: Add spec.syncPolicy.
check:
  kinds: [argoproj.io/ApplicationSet]
  select: $.spec.template.metadata
  when: 'has("labels") | not'
message: "the template has no labels"
"#;

const APPSET: &str = r#"apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: guestbook
  namespace: argocd
spec:
  goTemplate: true
  goTemplateOptions: ["missingkey=error"]
  generators:
    - list:
        elements:
          - env: staging
  template:
    metadata:
      name: "guestbook-{{.env}}"
    spec:
      project: default
      source:
        repoURL: https://github.com/acme/gitops.git
        path: guestbook
        targetRevision: HEAD
      destination:
        server: https://kubernetes.default.svc
        namespace: "guestbook-{{.env}}"
"#;

#[test]
fn findings_in_an_applicationset_file_follow_that_file() {
    let dir = fixture(&[
        ("appsets/guestbook.yaml", APPSET),
        ("other.yaml", &configmap("o", "x")),
    ]);
    let rules = fixture(&[("acme.yaml", APPSET_RULE)]);
    let rules_dir = rules.path().to_string_lossy().into_owned();
    let (all, _) = json_findings(dir.path(), &[".", "--rules", &rules_dir]);
    assert!(
        all.iter()
            .any(|f| f.0 == "appsets/guestbook.yaml" && f.2 == "ACME002"),
        "{all:?}"
    );
    let (changed, code) = json_findings(
        dir.path(),
        &[
            ".",
            "--rules",
            &rules_dir,
            "--files",
            "appsets/guestbook.yaml",
        ],
    );
    assert!(!changed.is_empty());
    assert!(
        changed.iter().all(|f| f.0 == "appsets/guestbook.yaml"),
        "{changed:?}"
    );
    assert_eq!(code, 1);
    let (other, _) = json_findings(
        dir.path(),
        &[".", "--rules", &rules_dir, "--files", "other.yaml"],
    );
    assert!(other.iter().all(|f| f.0 == "other.yaml"), "{other:?}");
}

#[test]
fn files_and_changed_since_exclude_each_other() {
    let dir = fixture(&[("a.yaml", &configmap("a", "1"))]);
    let out = lint_in(
        dir.path(),
        &[".", "--files", "a.yaml", "--changed-since", "HEAD"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot be used with"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn changed_since_reports_exactly_the_new_findings() {
    if !git_available() {
        return;
    }
    let repo = git_repo();
    let dir = repo.path();
    write_files(
        dir,
        &[
            ("old.yaml", &configmap("old", "1.5")),
            ("edited.yaml", &configmap("edited", "1")),
            ("deploy/keep.yaml", &configmap("keep", "x")),
        ],
    );
    commit_all(dir, "base");
    write_files(
        dir,
        &[
            ("new.yaml", &configmap("new", "2.5")),
            ("edited.yaml", &configmap("edited", "one")),
        ],
    );
    commit_all(dir, "change");
    let (all, _) = json_findings(dir, &["."]);
    assert_eq!(
        files_of(&all),
        ["deploy/keep.yaml", "edited.yaml", "new.yaml", "old.yaml"]
    );
    let (f, code) = json_findings(dir, &[".", "--changed-since", "HEAD~1"]);
    assert_eq!(files_of(&f), ["edited.yaml", "new.yaml"]);
    assert_eq!(code, 1);
    let (none, code) = json_findings(dir, &[".", "--changed-since", "HEAD"]);
    assert!(none.is_empty(), "{none:?}");
    assert_eq!(code, 0);

    // Uncommitted work counts: a staged file, an unstaged edit and an untracked file.
    write_files(dir, &[("staged.yaml", &configmap("s", "s"))]);
    git(dir, &["add", "staged.yaml"]);
    write_files(
        dir,
        &[
            (
                "old.yaml",
                &format!("# edited\n{}", configmap("old", "1.5")),
            ),
            ("untracked.yaml", &configmap("u", "u")),
        ],
    );
    let (f, _) = json_findings(dir, &[".", "--changed-since", "HEAD"]);
    assert_eq!(files_of(&f), ["old.yaml", "staged.yaml", "untracked.yaml"]);

    // From a subdirectory: git's paths are relative to the work tree's top.
    let (sub, _) = json_findings(&dir.join("deploy"), &[".", "--changed-since", "HEAD~1"]);
    assert!(sub.is_empty(), "{sub:?}");
    write_files(dir, &[("deploy/keep.yaml", &configmap("keep", "y"))]);
    let (sub, _) = json_findings(&dir.join("deploy"), &[".", "--changed-since", "HEAD"]);
    assert_eq!(files_of(&sub), ["keep.yaml"]);
}

#[test]
fn changed_since_uses_the_merge_base() {
    if !git_available() {
        return;
    }
    let repo = git_repo();
    let dir = repo.path();
    write_files(dir, &[("legacy.yaml", &configmap("legacy", "1.5"))]);
    commit_all(dir, "base");
    git(dir, &["checkout", "-q", "-b", "feature"]);
    write_files(dir, &[("feature.yaml", &configmap("feature", "x"))]);
    commit_all(dir, "feature work");
    // main moves on and touches the old file; the feature branch does not have that.
    git(dir, &["checkout", "-q", "main"]);
    write_files(
        dir,
        &[(
            "legacy.yaml",
            &format!("# moved\n{}", configmap("legacy", "1.5")),
        )],
    );
    commit_all(dir, "main work");
    git(dir, &["checkout", "-q", "feature"]);
    let (f, _) = json_findings(dir, &[".", "--changed-since", "main"]);
    assert_eq!(
        files_of(&f),
        ["feature.yaml"],
        "only what the branch changed"
    );
}

#[test]
fn changed_since_errors_are_exit_2() {
    if !git_available() {
        return;
    }
    let repo = git_repo();
    write_files(repo.path(), &[("a.yaml", &configmap("a", "1"))]);
    commit_all(repo.path(), "one");
    let out = lint_in(repo.path(), &[".", "--changed-since", "no-such-branch"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no-such-branch"), "{}", stderr(&out));

    let plain = fixture(&[("a.yaml", &configmap("a", "1"))]);
    let out = lint_in(plain.path(), &[".", "--changed-since", "HEAD~1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("git"), "{}", stderr(&out));
}
