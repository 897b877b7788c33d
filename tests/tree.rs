//! End-to-end tests of `kubectl-gitops tree` on a small app-of-apps written to a temporary
//! directory: the text tree, the JSON structure, DOT and Mermaid, repository URLs from the
//! config and from `--repo-url`, exit codes, `-o` and colour.

mod common;
use common::kg;

use serde_json::Value;
use std::path::Path;

const REPO: &str = "https://github.com/acme/gitops.git";

fn app(name: &str, namespace: Option<&str>, rest: &str) -> String {
    let ns = namespace.map_or(String::new(), |n| format!("  namespace: {n}\n"));
    format!(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: {name}\n{ns}spec:\n  project: default\n{rest}"
    )
}

fn in_cluster_from(repo_url: &str, path: &str) -> String {
    format!(
        "  destination:\n    server: https://kubernetes.default.svc\n    namespace: argocd\n  source:\n    repoURL: {repo_url}\n    targetRevision: main\n    path: {path}\n"
    )
}

/// An app of apps:
///
/// - `root` (bootstrap/) → `apps/`: `monitoring` (namespace `ops`), `platform`, `web`;
/// - `monitoring` and `platform` both → `platform/apps/`: `loop` and `shared`, so both
///   appear under two parents; `loop` is itself in `platform/apps/` (it manages itself);
/// - `shared` is a multi-source Helm chart from another repository;
/// - `web` has no namespace, a destination by cluster name and one APP004 error;
/// - `cycle-a` ↔ `cycle-b` contain each other and are reached from no root.
///
/// `config_urls` decides whether the configuration names the repository's URL.
fn app_of_apps(config_urls: bool) -> tempfile::TempDir {
    let mut config = String::from(
        "controlPlaneNamespace: argocd\nclusters:\n  - {name: prod, server: \"https://prod.example.com\"}\n",
    );
    if config_urls {
        config.push_str(&format!("repoURLs:\n  - {REPO}\n"));
    }
    let files: Vec<(&str, String)> = vec![
        (".kubectl-gitops.yaml", config),
        (
            "bootstrap/root.yaml",
            app("root", Some("argocd"), &in_cluster_from(REPO, "apps")),
        ),
        (
            "apps/monitoring.yaml",
            app("monitoring", Some("ops"), &in_cluster_from(REPO, "platform/apps")),
        ),
        (
            "apps/platform.yaml",
            app(
                "platform",
                Some("argocd"),
                &in_cluster_from("git@github.com:acme/gitops.git", "platform/apps"),
            ),
        ),
        (
            "apps/web.yaml",
            app(
                "web",
                None,
                &format!(
                    "  destination:\n    name: prod\n    namespace: web\n  source:\n    repoURL: {REPO}\n    targetRevision: main\n    path: web\n  syncPolicy:\n    syncOptions:\n      - Retry=true\n"
                ),
            ),
        ),
        (
            "platform/apps/loop.yaml",
            app("loop", Some("argocd"), &in_cluster_from(REPO, "platform/apps")),
        ),
        (
            "platform/apps/shared.yaml",
            app(
                "shared",
                Some("argocd"),
                &format!(
                    "  destination:\n    server: https://prod.example.com\n    namespace: redis\n  sources:\n    - repoURL: https://charts.example.com\n      chart: redis\n      targetRevision: 1.0.0\n      helm:\n        valueFiles:\n          - $values/values/redis.yaml\n    - repoURL: {REPO}\n      targetRevision: main\n      ref: values\n"
                ),
            ),
        ),
        (
            "cycle/a/a.yaml",
            app("cycle-a", Some("argocd"), &in_cluster_from(REPO, "cycle/b")),
        ),
        (
            "cycle/b/b.yaml",
            app("cycle-b", Some("argocd"), &in_cluster_from(REPO, "cycle/a")),
        ),
        (
            "web/web.yaml",
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: web\nspec:\n  ports:\n    - port: 80\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n  namespace: web\ndata:\n  key: value\n"
                .to_owned(),
        ),
    ];
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

/// Runs `tree PATH <args>`; returns stdout, stderr and the exit code.
fn tree(dir: &Path, args: &[&str]) -> (String, String, i32) {
    let out = kg().arg("tree").arg(dir).args(args).output().expect("runs");
    (
        String::from_utf8(out.stdout).expect("utf-8"),
        String::from_utf8(out.stderr).expect("utf-8"),
        out.status.code().expect("exit code"),
    )
}

fn tree_json(dir: &Path, args: &[&str]) -> Value {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    let (stdout, stderr, code) = tree(dir, &all);
    assert_eq!(code, 0, "stderr: {stderr}");
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{stdout}"))
}

#[test]
fn text_tree_of_an_app_of_apps() {
    let dir = app_of_apps(true);
    // Only APP004 is counted, so that the snapshot does not change with every new rule.
    let (stdout, stderr, code) = tree(dir.path(), &["--color", "never", "--select", "APP004"]);
    // The tree is information, not a verdict: web's error does not change the exit code.
    assert_eq!(code, 0, "stderr: {stderr}");
    assert_eq!(stderr, "");
    insta::assert_snapshot!("app_of_apps_text", stdout);
}

#[test]
fn output_is_the_same_bytes_whatever_the_thread_count() {
    let dir = app_of_apps(true);
    for format in ["text", "json", "dot", "mermaid"] {
        let (one, _, _) = tree(dir.path(), &["--format", format, "-j", "1"]);
        let (many, _, _) = tree(dir.path(), &["--format", format, "-j", "8"]);
        let (again, _, _) = tree(dir.path(), &["--format", format, "-j", "8"]);
        assert!(!one.is_empty(), "{format}");
        assert_eq!(one, many, "{format}");
        assert_eq!(many, again, "{format}");
    }
}

fn names(nodes: &Value) -> Vec<&str> {
    nodes
        .as_array()
        .expect("array")
        .iter()
        .map(|n| n["name"].as_str().expect("name"))
        .collect()
}

fn child<'a>(node: &'a Value, name: &str) -> &'a Value {
    node["children"]
        .as_array()
        .expect("children")
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no child {name} in {node}"))
}

#[test]
fn json_has_the_tree_structure() {
    let dir = app_of_apps(true);
    let v = tree_json(dir.path(), &["--select", "APP004"]);
    assert_eq!(v["version"], 1);
    assert_eq!(
        v.as_object().expect("object").keys().collect::<Vec<_>>(),
        ["version", "roots"]
    );
    let roots = &v["roots"];
    assert_eq!(names(roots), ["root", "cycle-a"]);

    let root = &roots[0];
    assert_eq!(root["file"], "bootstrap/root.yaml");
    assert_eq!(root["line"], 1);
    assert_eq!(root["resources"], 3);
    assert_eq!(root["resources_complete"], true);
    assert_eq!(names(&root["children"]), ["monitoring", "platform", "web"]);

    // Under its first parent, an Application is expanded in full ...
    let monitoring = child(root, "monitoring");
    assert_eq!(monitoring["namespace"], "ops");
    assert_eq!(names(&monitoring["children"]), ["loop", "shared"]);
    let lp = child(monitoring, "loop");
    assert_eq!(lp["repeat"], false);
    // ... an Application among its own resources manages itself (Argo CD supports it):
    // it is marked, not shown as its own child ...
    assert_eq!(lp["self_managed"], true);
    assert_eq!(names(&lp["children"]), ["shared"]);
    let shared = child(lp, "shared");
    assert_eq!(shared["repeat"], false);
    assert_eq!(shared["resources"], Value::Null);
    assert_eq!(shared["resources_complete"], false);
    assert_eq!(
        shared["sources"],
        serde_json::json!([
            {"repoURL": "https://charts.example.com", "path": null, "chart": "redis", "in_repository": false},
            {"repoURL": REPO, "path": null, "chart": null, "in_repository": true}
        ])
    );
    assert_eq!(
        shared["destination"],
        serde_json::json!({"server": "https://prod.example.com", "name": "prod", "namespace": "redis"})
    );
    // ... and under a later parent it is a repeat without children.
    assert_eq!(child(monitoring, "shared")["repeat"], true);
    let platform = child(root, "platform");
    for name in ["loop", "shared"] {
        let c = child(platform, name);
        assert_eq!(c["repeat"], true, "{name}");
        assert_eq!(c["cycle"], false, "{name}");
        assert_eq!(c["children"], Value::Array(Vec::new()), "{name}");
    }
    assert_eq!(platform["sources"][0]["in_repository"], true);

    // web has no namespace: it lives in the control-plane namespace, and the APP004
    // finding about it is counted.
    let web = child(root, "web");
    assert_eq!(web["namespace"], "argocd");
    assert_eq!(web["file"], "apps/web.yaml");
    assert_eq!(web["resources"], 2);
    assert_eq!(
        web["diagnostics"],
        serde_json::json!({"error": 1, "warning": 0, "info": 0})
    );
    assert_eq!(
        web["destination"],
        serde_json::json!({"server": "https://prod.example.com", "name": "prod", "namespace": "web"})
    );
    assert_eq!(
        root["diagnostics"],
        serde_json::json!({"error": 0, "warning": 0, "info": 0})
    );

    // cycle-a and cycle-b only contain each other: shown once from the first in file order.
    let a = &roots[1];
    assert_eq!(names(&a["children"]), ["cycle-b"]);
    let back = child(child(a, "cycle-b"), "cycle-a");
    assert_eq!(back["cycle"], true);

    // No absolute paths anywhere.
    let text = v.to_string();
    assert!(
        !text.contains(&dir.path().to_string_lossy().into_owned()),
        "{text}"
    );
}

#[test]
fn rule_selection_decides_what_is_counted() {
    let dir = app_of_apps(true);
    let web = |args: &[&str]| {
        let v = tree_json(dir.path(), args);
        child(&v["roots"][0], "web")["diagnostics"].clone()
    };
    assert_eq!(web(&[])["error"], 1);
    assert_eq!(web(&["--ignore", "APP004"])["error"], 0);
    assert_eq!(web(&["--select", "SYN"])["error"], 0);
}

#[test]
fn repo_url_flag_resolves_children_like_the_config() {
    let dir = app_of_apps(false);
    // Without a URL for this repository, no source is read here: every Application is a
    // root with unknown resources.
    let v = tree_json(dir.path(), &[]);
    assert_eq!(
        names(&v["roots"]),
        [
            "monitoring",
            "platform",
            "web",
            "root",
            "cycle-a",
            "cycle-b",
            "loop",
            "shared"
        ]
    );
    for r in v["roots"].as_array().expect("roots") {
        assert_eq!(r["children"], Value::Array(Vec::new()));
        assert_eq!(r["resources"], Value::Null, "{}", r["name"]);
        assert_eq!(r["sources"][0]["in_repository"], false, "{}", r["name"]);
    }
    let with_flag = tree_json(
        dir.path(),
        &["--repo-url", "https://github.com/acme/gitops"],
    );
    let with_config = tree_json(app_of_apps(true).path(), &[]);
    assert_eq!(with_flag, with_config);
}

#[test]
fn dot_and_mermaid_have_one_node_per_application() {
    let dir = app_of_apps(true);
    let (dot, _, code) = tree(dir.path(), &["--format", "dot"]);
    assert_eq!(code, 0);
    assert!(dot.starts_with("digraph applications {\n"), "{dot}");
    assert!(dot.ends_with("}\n"), "{dot}");
    assert_eq!(dot.matches("[label=\"").count(), 8, "{dot}");
    assert!(
        dot.contains("  app3_root [label=\"root\\nproject: default\\n→ in-cluster/argocd\"];\n"),
        "{dot}"
    );
    assert!(
        dot.contains("  app0_monitoring [label=\"ops/monitoring\\n"),
        "{dot}"
    );
    assert!(dot.contains("  app3_root -> app2_web;\n"), "{dot}");
    assert!(dot.contains("  app1_platform -> app7_shared;\n"), "{dot}");
    assert!(!dot.contains("  app6_loop -> app6_loop"), "{dot}");
    assert!(
        dot.contains("  app5_cycle_b -> app4_cycle_a [style=dashed, label=\"cycle\"];\n"),
        "{dot}"
    );
    // Every parent→child edge once: root→3, monitoring→2, platform→2, loop→1, a→b, b→a.
    assert_eq!(dot.matches(" -> ").count(), 10, "{dot}");

    let (mermaid, _, code) = tree(dir.path(), &["--format", "mermaid"]);
    assert_eq!(code, 0);
    assert!(mermaid.starts_with("flowchart TD\n"), "{mermaid}");
    assert_eq!(mermaid.matches("[\"").count(), 8, "{mermaid}");
    assert!(
        mermaid.contains(
            "    app4_cycle_a[\"cycle-a<br/>project: default<br/>→ in-cluster/argocd\"]\n"
        ),
        "{mermaid}"
    );
    assert!(
        mermaid.contains("    app3_root --> app2_web\n"),
        "{mermaid}"
    );
    assert!(
        mermaid.contains("    app5_cycle_b -.->|cycle| app4_cycle_a\n"),
        "{mermaid}"
    );
    assert_eq!(
        mermaid.matches(" --> ").count() + mermaid.matches(" -.->").count(),
        10
    );
}

#[test]
fn output_file_and_colour() {
    let dir = app_of_apps(true);
    let out_dir = tempfile::tempdir().expect("tempdir");
    let out = out_dir.path().join("tree.txt");
    let (stdout, _, code) = tree(
        dir.path(),
        &["-o", out.to_str().expect("utf-8 path"), "--color", "auto"],
    );
    assert_eq!(code, 0);
    assert_eq!(stdout, "");
    let written = std::fs::read_to_string(&out).expect("written");
    let (plain, _, _) = tree(dir.path(), &["--color", "never"]);
    assert_eq!(written, plain, "auto never colours a file");

    let (coloured, _, _) = tree(dir.path(), &["--color", "always"]);
    assert!(coloured.contains("\x1b["), "{coloured}");
    assert_ne!(coloured, plain);
    let (json, _, _) = tree(dir.path(), &["--format", "json", "--color", "always"]);
    assert!(!json.contains('\x1b'));
    let (auto, _, _) = tree(dir.path(), &[]);
    assert_eq!(auto, plain, "piped output has no colour by default");
}

#[test]
fn tool_errors_exit_2() {
    let dir = app_of_apps(true);
    let (stdout, stderr, code) = tree(&dir.path().join("missing"), &[]);
    assert_eq!(code, 2);
    assert_eq!(stdout, "");
    assert!(stderr.contains("cannot read"), "{stderr}");

    std::fs::write(dir.path().join(".kubectl-gitops.yaml"), "select: 5\n").expect("write");
    let (_, stderr, code) = tree(dir.path(), &[]);
    assert_eq!(code, 2, "{stderr}");
}

#[test]
fn a_repository_without_applications() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("cm.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
    )
    .expect("write");
    let (stdout, _, code) = tree(dir.path(), &[]);
    assert_eq!(code, 0);
    assert_eq!(stdout, "no Applications found\n");
    let v = tree_json(dir.path(), &[]);
    assert_eq!(v, serde_json::json!({"version": 1, "roots": []}));
}
