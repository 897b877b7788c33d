//! `--format github`: workflow commands with the Actions toolkit's escaping, `title=CODE
//! name`, GitHub's per-level annotation limits with the overflow in the `::notice`
//! summary, and paths relative to the git work tree.

mod common;

use common::*;

/// Parses `::command props::message` into its parts (props unsplit).
fn parse(line: &str) -> (String, String, String) {
    let rest = line.strip_prefix("::").expect("a workflow command");
    let (head, message) = rest.split_once("::").expect("two ::");
    let (command, props) = head.split_once(' ').unwrap_or((head, ""));
    (command.to_owned(), props.to_owned(), message.to_owned())
}

/// Reverses the toolkit's escaping of a property value.
fn unescape(s: &str) -> String {
    s.replace("%2C", ",")
        .replace("%3A", ":")
        .replace("%0A", "\n")
        .replace("%0D", "\r")
        .replace("%25", "%")
}

fn prop<'a>(props: &'a str, key: &str) -> Option<&'a str> {
    props
        .split(',')
        .find_map(|p| p.strip_prefix(key).and_then(|v| v.strip_prefix('=')))
}

#[test]
fn one_command_per_diagnostic_then_the_summary() {
    let cwd = std::env::current_dir().expect("cwd");
    let out = lint_in(&cwd, &[DEMO, "--format", "github"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 11, "{text}");
    for l in &lines {
        // Every command is one line: no raw newline or carriage return inside.
        assert!(l.starts_with("::"), "{l}");
    }
    let (cmd, props, msg) = parse(lines[4]);
    assert_eq!(cmd, "error");
    let prefix = std::process::Command::new("git")
        .args(["-C", DEMO, "rev-parse", "--show-prefix"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    assert_eq!(
        props,
        format!(
            "file={prefix}payments/api/configmap.yaml,line=22,col=35,endColumn=40,title=SYN001 invalid-sync-wave"
        )
    );
    assert!(msg.starts_with("argocd.argoproj.io/sync-wave \"1.5\" is not an integer"));
    assert!(
        msg.contains("%0A%0AUse a plain integer"),
        "help follows the message: {msg}"
    );
    let (cmd, props, msg) = parse(lines[10]);
    assert_eq!(cmd, "notice");
    assert_eq!(props, "title=kubectl-gitops summary");
    assert_eq!(
        unescape(&msg),
        "kubectl-gitops: 7 errors, 2 warnings, 1 info in 29 files, 37 documents"
    );
    let levels: Vec<String> = lines.iter().map(|l| parse(l).0).collect();
    assert_eq!(levels.iter().filter(|l| *l == "error").count(), 7);
    assert_eq!(levels.iter().filter(|l| *l == "warning").count(), 2);
}

#[test]
fn properties_and_messages_are_escaped() {
    // A file name with `,` and `:`, and a value with `%` that the message quotes.
    let dir = fixture(&[("a,b:c.yaml", &configmap("a", "50%"))]);
    let out = lint_in(dir.path(), &[".", "--format", "github"]);
    let text = stdout(&out);
    let first = text.lines().next().expect("one annotation");
    let (cmd, props, msg) = parse(first);
    assert_eq!(cmd, "error");
    assert_eq!(prop(&props, "file"), Some("a%2Cb%3Ac.yaml"));
    assert_eq!(unescape(prop(&props, "file").expect("file")), "a,b:c.yaml");
    assert_eq!(prop(&props, "title"), Some("SYN001 invalid-sync-wave"));
    assert!(msg.contains("\"50%25\""), "{msg}");
    assert!(!msg.contains('\n') && !msg.contains('\r'));
    // `:` and `,` are not escaped in data.
    assert!(
        unescape(&msg).contains("; Argo CD silently uses wave 0"),
        "{msg}"
    );
    assert!(msg.contains("%0A%0A"), "{msg}");
}

#[test]
fn annotations_beyond_githubs_limits_go_to_the_summary() {
    // 13 errors, 12 warnings (unknown hook delete policies are errors, mutable image tags
    // of Jobs are warnings), in files named so that report order is predictable.
    let mut files: Vec<(String, String)> = Vec::new();
    for i in 0..13 {
        files.push((format!("e{i:02}.yaml"), configmap(&format!("e{i}"), "x")));
    }
    for i in 0..12 {
        files.push((
            format!("w{i:02}.yaml"),
            format!(
                "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: w{i}\n  namespace: shop\n  annotations:\n    argocd.argoproj.io/hook: PreSync\n    argocd.argoproj.io/hook-delete-policy: BeforeHookCreation\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n        - name: w\n          image: registry.acme.example/w:latest\n"
            ),
        ));
    }
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let dir = fixture(&refs);
    let json = stdout(&lint_in(dir.path(), &[".", "--format", "json"]));
    let all = findings(&json);
    let errors = all.iter().filter(|f| f.0.starts_with('e')).count();
    let warnings = all.iter().filter(|f| f.0.starts_with('w')).count();
    assert_eq!((errors, warnings), (13, 12), "{all:?}");

    let text = stdout(&lint_in(dir.path(), &[".", "--format", "github"]));
    let lines: Vec<(String, String, String)> = text.lines().map(parse).collect();
    let count = |c: &str| lines.iter().filter(|l| l.0 == c).count();
    assert_eq!(count("error"), 10);
    assert_eq!(count("warning"), 10);
    assert_eq!(count("notice"), 1, "only the summary");
    let summary = unescape(&lines.last().expect("summary").2);
    assert!(
        summary.starts_with("kubectl-gitops: 13 errors, 12 warnings"),
        "{summary}"
    );
    assert!(
        summary.contains("\n5 more not shown as annotations"),
        "{summary}"
    );
    for hidden in [
        "e10.yaml:7:35: error[SYN001]",
        "e12.yaml",
        "w10.yaml:15",
        "w11.yaml",
    ] {
        assert!(summary.contains(hidden), "{hidden} in {summary}");
    }
    assert!(!summary.contains("e09.yaml"), "shown ones are not repeated");
}

#[test]
fn quiet_drops_the_summary_unless_it_holds_findings() {
    let dir = fixture(&[("a.yaml", &configmap("a", "x"))]);
    let text = stdout(&lint_in(dir.path(), &[".", "--format", "github", "-q"]));
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(text.starts_with("::error "));
}
