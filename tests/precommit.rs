//! The real `pre-commit` tool running this repository's hooks (.pre-commit-hooks.yaml,
//! taken from the commit at HEAD) in a temporary git repository: a commit that stages a
//! bad file fails and names it, a commit of a good file passes even though the
//! repository already holds an older finding, and the hooks see the whole repository.
//!
//! Needs git and pre-commit (`PRE_COMMIT` or `pre-commit` on PATH). .ci/run installs
//! pre-commit from PyPI into a virtual environment and sets `KUBECTL_GITOPS_REQUIRE_TOOLS`,
//! which turns a missing tool into a failure. The `language: rust` hook compiles the
//! crate in release mode with `cargo install` (minutes on two cores), so it runs only
//! when CI requires the tools or `KUBECTL_GITOPS_TEST_RUST_HOOK=1` asks for it; its
//! build directory is kept in `target/precommit-hook` for the next run.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

const MANIFEST_DIR: &str = env!("CARGO_MANIFEST_DIR");

fn pre_commit() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("PRE_COMMIT").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    on_path("pre-commit")
}

/// The hook repository (this checkout) and the commit pre-commit takes the hooks from.
fn hook_repository() -> Option<(String, String)> {
    let head = Command::new("git")
        .args(["-C", MANIFEST_DIR, "rev-parse", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    let listed = head.as_ref().is_some_and(|head| {
        Command::new("git")
            .args(["-C", MANIFEST_DIR, "cat-file", "-e"])
            .arg(format!("{head}:.pre-commit-hooks.yaml"))
            .status()
            .is_ok_and(|s| s.success())
    });
    // Not a tool, but the same rule: CI must not pass by skipping.
    if !tool_available(
        "a git checkout with .pre-commit-hooks.yaml committed at HEAD",
        listed,
        "commit .pre-commit-hooks.yaml first",
    ) {
        return None;
    }
    Some((MANIFEST_DIR.to_owned(), head?))
}

struct Setup {
    tool: PathBuf,
    repo: tempfile::TempDir,
    home: tempfile::TempDir,
    /// Holds the built binary as `kubectl-gitops`, first on PATH for the system hook.
    bin: tempfile::TempDir,
}

/// A git repository using hook `id` of this repository, with `pre-commit install` done
/// and a first commit that holds an old finding (made before the hook was installed).
fn setup(id: &str) -> Option<Setup> {
    let tool = pre_commit();
    let found = tool.as_ref().is_some_and(|t| {
        Command::new(t)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    });
    if !git_available()
        || !tool_available(
            "pre-commit",
            found,
            "set PRE_COMMIT or run .ci/run, which installs it from PyPI into a virtual environment",
        )
    {
        return None;
    }
    let tool = tool?;
    let (hook_repo, rev) = hook_repository()?;
    let repo = git_repo();
    let home = tempfile::tempdir().expect("tempdir");
    let bin = tempfile::tempdir().expect("tempdir");
    std::fs::copy(BIN, bin.path().join("kubectl-gitops")).expect("copy the binary");
    write_files(
        repo.path(),
        &[
            (
                ".pre-commit-config.yaml",
                &format!(
                    "repos:\n  - repo: {hook_repo}\n    rev: {rev}\n    hooks:\n      - id: {id}\n"
                ),
            ),
            ("legacy.yaml", &configmap("legacy", "1.5")),
            ("README.md", "# apps\n"),
        ],
    );
    commit_all(repo.path(), "start");
    let s = Setup {
        tool,
        repo,
        home,
        bin,
    };
    let out = s.run(&[&s.tool.to_string_lossy(), "install"]);
    assert!(out.status.success(), "pre-commit install: {}", stderr(&out));
    Some(s)
}

impl Setup {
    /// Runs a command in the repository with the test's git identity, pre-commit's
    /// cache in a temporary home, and the built binary first on PATH.
    fn run(&self, argv: &[&str]) -> Output {
        self.run_with(argv, &[])
    }

    fn run_with(&self, argv: &[&str], env: &[(&str, &str)]) -> Output {
        let (program, args) = argv.split_first().expect("a command");
        let mut dirs = vec![self.bin.path().to_path_buf()];
        if let Some(parent) = self.tool.parent() {
            dirs.push(parent.to_path_buf());
        }
        dirs.extend(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        ));
        Command::new(program)
            .args(args)
            .current_dir(self.repo.path())
            .env("PATH", std::env::join_paths(dirs).expect("PATH"))
            .env("PRE_COMMIT_HOME", self.home.path())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_AUTHOR_NAME", "Test")
            .env("GIT_AUTHOR_EMAIL", "test@example.com")
            .env("GIT_COMMITTER_NAME", "Test")
            .env("GIT_COMMITTER_EMAIL", "test@example.com")
            .env(
                "CARGO_TARGET_DIR",
                Path::new(MANIFEST_DIR).join("target/precommit-hook"),
            )
            .env_remove("NO_COLOR")
            .env_remove("CLICOLOR_FORCE")
            .envs(env.iter().copied())
            .stdin(std::process::Stdio::null())
            .output()
            .expect("command runs")
    }

    fn commit(&self, files: &[(&str, &str)], message: &str) -> Output {
        write_files(self.repo.path(), files);
        for (name, _) in files {
            let out = self.run(&["git", "add", name]);
            assert!(out.status.success(), "git add: {}", stderr(&out));
        }
        self.run(&["git", "commit", "-q", "-m", message])
    }
}

fn both(o: &Output) -> String {
    format!("{}{}", stdout(o), stderr(o))
}

/// The checks both hook variants must pass.
fn check_hook(s: &Setup) {
    // A good file: the hook passes although legacy.yaml (not staged) has a finding.
    let good = s.commit(&[("apps/good.yaml", &configmap("good", "2"))], "good");
    assert!(
        good.status.success(),
        "good commit failed:\n{}",
        both(&good)
    );
    assert!(both(&good).contains("Passed"), "{}", both(&good));

    // A bad file: the commit is refused and the finding is named.
    let bad = s.commit(&[("apps/bad.yaml", &configmap("bad", "2.5"))], "bad");
    let text = both(&bad);
    assert!(!bad.status.success(), "bad commit passed:\n{text}");
    assert!(text.contains("Failed"), "{text}");
    assert!(
        text.contains("SYN001") && text.contains("apps/bad.yaml"),
        "{text}"
    );
    assert!(
        !text.contains("legacy.yaml"),
        "only staged files are reported:\n{text}"
    );
    let log = s.run(&["git", "log", "--format=%s"]);
    assert_eq!(
        stdout(&log).lines().next(),
        Some("good"),
        "nothing committed"
    );

    // A cross-file finding: an Application that names a project defined nowhere is
    // reported; once the project exists (in another, unstaged file) it is not.
    let app = "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: shop\n  namespace: argocd\nspec:\n  project: shop\n  source:\n    repoURL: https://github.com/acme/other.git\n    path: shop\n    targetRevision: HEAD\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: shop\n";
    let project = "apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata:\n  name: shop\n  namespace: argocd\nspec:\n  sourceRepos: [\"*\"]\n  destinations:\n    - server: https://kubernetes.default.svc\n      namespace: shop\n";
    s.run(&["git", "reset", "-q"]);
    std::fs::remove_file(s.repo.path().join("apps/bad.yaml")).expect("rm");
    let orphan = s.commit(&[("apps/shop.yaml", app)], "app");
    assert!(!orphan.status.success(), "{}", both(&orphan));
    assert!(both(&orphan).contains("PRJ001"), "{}", both(&orphan));
    write_files(s.repo.path(), &[("projects/shop.yaml", project)]);
    let with_project = s.run(&["git", "commit", "-q", "-m", "app"]);
    assert!(
        with_project.status.success(),
        "the project in the work tree counts:\n{}",
        both(&with_project)
    );
}

#[test]
fn system_hook_checks_staged_files() {
    let Some(s) = setup("kubectl-gitops-lint-system") else {
        return;
    };
    let started = Instant::now();
    check_hook(&s);
    eprintln!("system hook: {:.1?}", started.elapsed());
}

#[test]
fn rust_hook_builds_and_checks_staged_files() {
    let wanted = std::env::var_os(REQUIRE_TOOLS).is_some_and(|v| !v.is_empty() && v != "0")
        || std::env::var_os("KUBECTL_GITOPS_TEST_RUST_HOOK").is_some_and(|v| v == "1");
    if !wanted {
        eprintln!(
            "skipping: the language: rust hook compiles the crate in release mode; set KUBECTL_GITOPS_TEST_RUST_HOOK=1 to run it"
        );
        return;
    }
    let Some(s) = setup("kubectl-gitops-lint") else {
        return;
    };
    // The built binary must not be what runs: the hook's own build must.
    std::fs::remove_file(s.bin.path().join("kubectl-gitops")).expect("rm");
    let started = Instant::now();
    // What is tested is the hook (pre-commit's `cargo install` of this repository and
    // running what it built), not the optimiser: an unoptimised build takes a third of
    // the time of the real release profile (thin LTO).
    let out = s.run_with(
        &[&s.tool.to_string_lossy(), "install-hooks"],
        &[
            ("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0"),
            ("CARGO_PROFILE_RELEASE_LTO", "off"),
            ("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "256"),
            ("CARGO_PROFILE_RELEASE_DEBUG", "0"),
        ],
    );
    assert!(out.status.success(), "install-hooks:\n{}", both(&out));
    eprintln!("rust hook: cargo install took {:.1?}", started.elapsed());
    check_hook(&s);
}
