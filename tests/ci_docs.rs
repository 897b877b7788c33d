//! The CI integration files say what the code does: every `kubectl-gitops lint` command
//! in docs/ and the example workflows parses with the real argument parser, the GitLab
//! example's jq program turns real SARIF into GitLab code quality JSON, and
//! .pre-commit-hooks.yaml declares both hooks as docs/pre-commit.md describes them.

mod common;

use clap::Parser as _;
use common::*;
use kubectl_gitops::cli::Cli;
use kubectl_gitops::engine::jq::Jq;
use kubectl_gitops::load::yaml::{self, Node};
use serde_json::Value;

const FILES: [&str; 6] = [
    "docs/github-actions.md",
    "docs/pre-commit.md",
    "docs/baselines.md",
    "docs/examples/github-actions.yml",
    "docs/examples/gitlab-ci.yml",
    "README.md",
];

/// Splits a shell command line into words: double and single quotes group, `${{ … }}`
/// and `$VAR` expand to a placeholder.
fn words(line: &str) -> Vec<String> {
    let mut line = line.to_owned();
    while let Some(start) = line.find("${{") {
        let end = line[start..]
            .find("}}")
            .map_or(line.len(), |e| start + e + 2);
        line.replace_range(start..end, "X");
    }
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut any = false;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                any = true;
            }
            (None, c) if c.is_whitespace() => {
                if any || !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            (None, c) => cur.push(c),
        }
    }
    if any || !cur.is_empty() {
        out.push(cur);
    }
    out.into_iter()
        .map(|w| {
            if w.starts_with('$') {
                "X".to_owned()
            } else {
                w
            }
        })
        .collect()
}

/// The places a command can be written: each line of YAML and of Markdown code blocks,
/// and each inline code span of Markdown prose (which may wrap over lines).
fn snippets(file: &str, text: &str) -> Vec<String> {
    if !file.ends_with(".md") {
        return text.lines().map(str::to_owned).collect();
    }
    let mut out = Vec::new();
    let mut prose = String::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            prose.push('\n');
            continue;
        }
        if fenced {
            out.push(line.to_owned());
            prose.push('\n');
        } else {
            prose.push_str(line);
            prose.push('\n');
        }
    }
    // Inline code spans: the text between pairs of single backticks.
    for (i, span) in prose.split('`').enumerate() {
        if i % 2 == 1 {
            out.push(span.replace('\n', " "));
        }
    }
    out
}

#[test]
fn every_documented_lint_command_parses() {
    let mut checked = 0;
    for file in FILES {
        let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{file}: {e}"));
        for line in snippets(file, &text) {
            let Some(at) = line.find("kubectl-gitops lint") else {
                continue;
            };
            // The command up to a shell comment, a pipe, a redirection or a backtick.
            let cmd = &line[at..];
            let cmd = cmd
                .split(['#', '|', '>', '`'])
                .next()
                .unwrap_or(cmd)
                .trim_end();
            let argv = words(cmd);
            if let Err(e) = Cli::try_parse_from(&argv) {
                panic!("{file}: `{cmd}` does not parse:\n{e}");
            }
            checked += 1;
        }
    }
    assert!(checked >= 10, "only {checked} commands found");
}

#[test]
fn words_split_like_a_shell() {
    assert_eq!(
        words(r#"kubectl-gitops lint --changed-since "origin/${{ github.base_ref }}" -o 'a b'"#),
        [
            "kubectl-gitops",
            "lint",
            "--changed-since",
            "origin/X",
            "-o",
            "a b"
        ]
    );
    assert_eq!(words("a $CI_SHA \"\""), ["a", "X", ""]);
}

/// The jq program of the GitLab example.
fn gitlab_jq() -> String {
    let text = std::fs::read_to_string("docs/examples/gitlab-ci.yml").expect("gitlab-ci.yml");
    let start = text.find("jq '").expect("a jq call") + "jq '".len();
    let len = text[start..].find('\'').expect("closing quote");
    text[start..start + len].to_owned()
}

#[test]
fn gitlab_example_turns_sarif_into_code_quality() {
    let cwd = std::env::current_dir().expect("cwd");
    let out = lint_in(&cwd, &[DEMO, "--format", "sarif"]);
    let sarif: Value = serde_json::from_slice(&out.stdout).expect("sarif");
    let jq = Jq::compile(&gitlab_jq()).expect("the example's jq compiles");
    let outputs = jq.run(&sarif).expect("runs");
    let [report] = outputs.as_slice() else {
        panic!("one output: {outputs:?}");
    };
    let items = report.as_array().expect("an array");
    assert_eq!(items.len(), 10);
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    for (item, r) in items.iter().zip(results) {
        let keys: Vec<&str> = item
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "description",
                "check_name",
                "fingerprint",
                "severity",
                "location"
            ]
        );
        assert_eq!(item["check_name"], r["ruleId"]);
        assert_eq!(
            item["fingerprint"],
            r["partialFingerprints"]["kubectlGitops/v1"]
        );
        let severity = item["severity"].as_str().expect("severity");
        assert!(["info", "minor", "major"].contains(&severity), "{severity}");
        assert_eq!(
            severity,
            match r["level"].as_str() {
                Some("error") => "major",
                Some("warning") => "minor",
                _ => "info",
            }
        );
        let loc = &r["locations"][0]["physicalLocation"];
        assert_eq!(item["location"]["path"], loc["artifactLocation"]["uri"]);
        assert_eq!(
            item["location"]["lines"]["begin"],
            loc["region"]["startLine"]
        );
        assert!(
            item["description"]
                .as_str()
                .is_some_and(|d| d.starts_with(r["ruleId"].as_str().expect("id")))
        );
    }
    let fps: std::collections::BTreeSet<&str> = items
        .iter()
        .map(|i| i["fingerprint"].as_str().expect("fp"))
        .collect();
    assert_eq!(fps.len(), items.len(), "GitLab needs unique fingerprints");
}

fn s(n: &Node, key: &str) -> String {
    n.get(key)
        .and_then(Node::scalar_text)
        .unwrap_or_else(|| panic!("{key}"))
        .to_string()
}

#[test]
fn pre_commit_hooks_are_declared_as_documented() {
    let text = std::fs::read_to_string(".pre-commit-hooks.yaml").expect("hooks file");
    let parsed = yaml::parse(&text);
    assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
    let [doc] = parsed.documents.as_slice() else {
        panic!("one document");
    };
    let hooks = doc.root.items();
    let ids: Vec<String> = hooks.iter().map(|h| s(h, "id")).collect();
    assert_eq!(ids, ["kubectl-gitops-lint", "kubectl-gitops-lint-system"]);
    for (hook, language) in hooks.iter().zip(["rust", "system"]) {
        assert_eq!(s(hook, "language"), language);
        assert_eq!(s(hook, "entry"), "kubectl-gitops lint");
        let args: Vec<String> = hook
            .get("args")
            .expect("args")
            .items()
            .iter()
            .map(|a| a.scalar_text().expect("arg").to_string())
            .collect();
        assert_eq!(args, ["--files"], "file names must follow --files");
        assert_eq!(s(hook, "pass_filenames"), "true");
        assert_eq!(s(hook, "require_serial"), "true");
        let types: Vec<String> = hook
            .get("types_or")
            .expect("types_or")
            .items()
            .iter()
            .map(|a| a.scalar_text().expect("type").to_string())
            .collect();
        assert_eq!(types, ["yaml", "json"]);
        // What pre-commit runs parses: entry, args, then file names.
        Cli::try_parse_from(["kubectl-gitops", "lint", "--files", "a.yaml", "b/c.yaml"])
            .expect("parses");
    }
}

#[test]
fn github_example_uploads_sarif_with_the_needed_permission() {
    let text = std::fs::read_to_string("docs/examples/github-actions.yml").expect("workflow");
    let parsed = yaml::parse(&text);
    assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
    let root = &parsed.documents[0].root;
    assert_eq!(
        root.path(&["permissions", "security-events"])
            .and_then(Node::as_str),
        Some("write")
    );
    let steps = root
        .path(&["jobs", "lint", "steps"])
        .expect("steps")
        .items();
    let uses: Vec<String> = steps
        .iter()
        .filter_map(|st| st.get("uses").and_then(Node::as_str).map(str::to_owned))
        .collect();
    assert!(
        uses.iter()
            .any(|u| u.starts_with("github/codeql-action/upload-sarif@"))
    );
    let runs: Vec<String> = steps
        .iter()
        .filter_map(|st| st.get("run").and_then(Node::as_str).map(str::to_owned))
        .collect();
    assert!(runs.iter().any(|r| r.contains("--format sarif")));
    assert!(runs.iter().any(|r| r.contains("--format github")));
}
