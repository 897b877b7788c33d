//! scripts/krew-manifest.sh: the release manifest written from plugin.yaml and built
//! archives parses, names the release version, and carries each archive's sha256.
//! (tests/plugin.rs checks plugin.yaml itself against the crate version.)

mod common;

use common::*;
use kubectl_gitops::load::yaml::{self, Node};
use std::path::Path;
use std::process::{Command, Output};

const TARGETS: [(&str, &str, &str); 4] = [
    ("linux", "amd64", "x86_64-unknown-linux-musl"),
    ("linux", "arm64", "aarch64-unknown-linux-musl"),
    ("darwin", "amd64", "x86_64-apple-darwin"),
    ("darwin", "arm64", "aarch64-apple-darwin"),
];

/// Archives for `version` (without its `v`), each holding a different `kubectl-gitops`.
fn dist(version: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (_, _, target) in TARGETS {
        let stage = dir.path().join(format!("stage-{target}"));
        std::fs::create_dir_all(&stage).expect("mkdir");
        std::fs::write(
            stage.join("kubectl-gitops"),
            format!("binary for {target}\n"),
        )
        .expect("write");
        std::fs::write(stage.join("LICENSE"), "Apache-2.0\n").expect("write");
        let archive = dir
            .path()
            .join(format!("kubectl-gitops-v{version}-{target}.tar.gz"));
        let ok = Command::new("tar")
            .arg("-czf")
            .arg(&archive)
            .arg("-C")
            .arg(&stage)
            .args(["kubectl-gitops", "LICENSE"])
            .status()
            .expect("tar runs");
        assert!(ok.success());
    }
    dir
}

fn script(dist: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new("bash")
        .arg("scripts/krew-manifest.sh")
        .arg(dist)
        .args(args)
        .env_remove("KREW_BASE_URL")
        .envs(env.iter().copied())
        .output()
        .expect("bash runs")
}

fn sha256(path: &Path) -> String {
    let out = Command::new("sha256sum")
        .arg(path)
        .output()
        .expect("sha256sum");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .expect("a sum")
        .to_owned()
}

fn s(n: &Node, path: &[&str]) -> String {
    n.path(path)
        .and_then(Node::as_str)
        .unwrap_or_else(|| panic!("{} is a string", path.join(".")))
        .to_owned()
}

/// Checks a written manifest against the archives of `version` in `dist`.
fn check(text: &str, dist: &Path, version: &str, base: &str) {
    let parsed = yaml::parse(text);
    assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
    let [doc] = parsed.documents.as_slice() else {
        panic!("one document");
    };
    let root = &doc.root;
    assert_eq!(s(root, &["kind"]), "Plugin");
    assert_eq!(s(root, &["metadata", "name"]), "gitops");
    assert_eq!(s(root, &["spec", "version"]), format!("v{version}"));
    let platforms = root
        .path(&["spec", "platforms"])
        .expect("platforms")
        .items();
    assert_eq!(platforms.len(), TARGETS.len());
    for (os, arch, target) in TARGETS {
        let p = platforms
            .iter()
            .find(|p| {
                s(p, &["selector", "matchLabels", "os"]) == os
                    && s(p, &["selector", "matchLabels", "arch"]) == arch
            })
            .unwrap_or_else(|| panic!("{os}/{arch}"));
        let name = format!("kubectl-gitops-v{version}-{target}.tar.gz");
        assert_eq!(s(p, &["uri"]), format!("{base}/v{version}/{name}"));
        assert_eq!(s(p, &["sha256"]), sha256(&dist.join(&name)), "{name}");
        assert_eq!(s(p, &["bin"]), "kubectl-gitops");
    }
}

const RELEASES: &str = "https://github.com/kubectl-gitops/kubectl-gitops/releases/download";

#[test]
fn fills_in_the_crate_version_and_the_archive_sums() {
    let version = env!("CARGO_PKG_VERSION");
    let d = dist(version);
    let out = script(d.path(), &[], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    check(&stdout(&out), d.path(), version, RELEASES);
    // The description and the rest of the template are kept.
    assert!(stdout(&out).contains("kubectl gitops lint"));
    assert!(!stdout(&out).contains("0000000000000000"));
}

#[test]
fn another_version_and_base_url() {
    let d = dist("0.2.0");
    let out = script(
        d.path(),
        &["v0.2.0"],
        &[("KREW_BASE_URL", "https://mirror.example/kg/")],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    check(
        &stdout(&out),
        d.path(),
        "0.2.0",
        "https://mirror.example/kg",
    );
}

#[test]
fn missing_or_wrong_archives_fail_without_output() {
    let d = dist("0.3.0");
    std::fs::remove_file(
        d.path()
            .join("kubectl-gitops-v0.3.0-aarch64-apple-darwin.tar.gz"),
    )
    .expect("rm");
    let out = script(d.path(), &["0.3.0"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).is_empty());
    assert!(
        stderr(&out).contains("missing archive") && stderr(&out).contains("aarch64-apple-darwin"),
        "{}",
        stderr(&out)
    );

    let d = dist("0.3.0");
    let empty = d.path().join("empty");
    std::fs::create_dir_all(&empty).expect("mkdir");
    std::fs::write(empty.join("README"), "no binary\n").expect("write");
    let archive = d
        .path()
        .join("kubectl-gitops-v0.3.0-x86_64-apple-darwin.tar.gz");
    assert!(
        Command::new("tar")
            .arg("-czf")
            .arg(&archive)
            .arg("-C")
            .arg(&empty)
            .arg("README")
            .status()
            .expect("tar")
            .success()
    );
    let out = script(d.path(), &["0.3.0"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("does not hold kubectl-gitops"),
        "{}",
        stderr(&out)
    );

    let out = script(d.path(), &["not a version"], &[]);
    assert_eq!(out.status.code(), Some(2));
    let out = script(Path::new("no/such/dir"), &[], &[]);
    assert_eq!(out.status.code(), Some(2));
}
