//! Helpers shared by integration tests (sarif, github, scope, baseline, precommit,
//! ignores).
#![allow(dead_code, reason = "each test crate uses a different part")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const BIN: &str = env!("CARGO_BIN_EXE_kubectl-gitops");
pub const DEMO: &str = "testdata/repos/demo";

/// Set by .ci/run: a test whose external tool is missing fails instead of skipping.
pub const REQUIRE_TOOLS: &str = "KUBECTL_GITOPS_REQUIRE_TOOLS";

/// Whether a test that needs `tool` may run. When the tool is missing it prints why the
/// test is skipped and returns false, or fails when CI requires every tool.
pub fn tool_available(tool: &str, found: bool, how_to_install: &str) -> bool {
    if found {
        return true;
    }
    let required = std::env::var_os(REQUIRE_TOOLS).is_some_and(|v| !v.is_empty() && v != "0");
    assert!(
        !required,
        "{tool} is required ({REQUIRE_TOOLS} is set) but was not found; {how_to_install}"
    );
    eprintln!("skipping: {tool} is not available; {how_to_install}");
    false
}

/// The first executable called `name` on PATH.
pub fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// The binary with a neutral environment: no colour variables, no plugin markers.
pub fn kg() -> Command {
    let mut c = Command::new(BIN);
    for var in [
        "NO_COLOR",
        "CLICOLOR",
        "CLICOLOR_FORCE",
        "KUBECTL_PLUGINS_CALLER",
        "_",
    ] {
        c.env_remove(var);
    }
    c
}

/// Runs `kubectl-gitops lint ARGS` in `dir`.
pub fn lint_in(dir: &Path, args: &[&str]) -> Output {
    kg().current_dir(dir)
        .arg("lint")
        .args(args)
        .output()
        .expect("kubectl-gitops runs")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Writes `files` (relative path, content) under `dir`.
pub fn write_files(dir: &Path, files: &[(&str, &str)]) {
    for (rel, text) in files {
        let p = dir.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&p, text).expect("write fixture");
    }
}

/// A temporary directory holding `files`.
pub fn fixture(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    write_files(dir.path(), files);
    dir
}

/// A ConfigMap in namespace `shop` named `name` with the given sync-wave.
pub fn configmap(name: &str, wave: &str) -> String {
    format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: shop\n  annotations:\n    argocd.argoproj.io/sync-wave: \"{wave}\"\ndata:\n  k: \"v\"\n"
    )
}

pub fn git_available() -> bool {
    tool_available(
        "git",
        Command::new("git")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success()),
        "install git",
    )
}

/// Runs git in `dir` with a fixed identity and no user or system configuration.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A new git repository in a temporary directory, on branch `main`.
pub fn git_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    git(dir.path(), &["init", "-q", "-b", "main"]);
    dir
}

/// Stages everything and commits.
pub fn commit_all(dir: &Path, message: &str) {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", message]);
}

/// `(file, line, code)` of each diagnostic of a JSON report.
pub fn findings(json: &str) -> Vec<(String, u64, String)> {
    let v: serde_json::Value =
        serde_json::from_str(json).unwrap_or_else(|e| panic!("not JSON ({e}):\n{json}"));
    v["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| {
            (
                d["file"].as_str().expect("file").to_owned(),
                d["line"].as_u64().expect("line"),
                d["code"].as_str().expect("code").to_owned(),
            )
        })
        .collect()
}
