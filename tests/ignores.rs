//! End-to-end tests of `kubectl-gitops ignores --app NAME` (what an Application's
//! ignoreDifferences rules remove from each resource, semantics §4) and of the IGN rules
//! on repositories written to temporary directories: application and argocd-cm rules
//! together, pointer and jq outcomes, Secrets never printed, lookups and exit codes. The
//! jq engine is the real one (jaq, with gojq's deletion semantics).

mod common;

use common::{kg, write_files};
use serde_json::Value;
use std::path::Path;

const CONFIG: &str = "repoURLs:\n  - https://github.com/acme/gitops.git\n";

const APP: &str = r#"apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: web
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://github.com/acme/gitops.git
    path: web
  destination:
    server: https://kubernetes.default.svc
    namespace: web
  ignoreDifferences:
    - group: apps
      kind: Deployment
      jsonPointers:
        - /spec/replicas
        - /spec/strategy
      jqPathExpressions:
        - .spec.template.spec.containers[] | select(.name == "sidecar").image
        - .spec.missing.deeper, .spec.template.spec.containers[0].env
    - kind: Secret
      jsonPointers:
        - /data/password
"#;

const DEPLOYMENT: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: registry.acme.test/web:1.0.0
          env:
            - name: MODE
              value: fast
        - name: sidecar
          image: registry.acme.test/proxy:2.0.0
"#;

const SECRET: &str = r#"apiVersion: v1
kind: Secret
metadata:
  name: web-db
type: Opaque
data:
  password: c3VwZXItc2VjcmV0LXZhbHVl
"#;

const ARGOCD_CM: &str = r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: argocd-cm
  namespace: argocd
data:
  resource.customizations.ignoreDifferences.all: |
    jsonPointers:
      - /metadata/labels/acme.test~1audited
"#;

fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temporary directory");
    write_files(
        dir.path(),
        &[
            (".kubectl-gitops.yaml", CONFIG),
            ("apps/web.yaml", APP),
            ("web/deployment.yaml", DEPLOYMENT),
            ("web/secret.yaml", SECRET),
            ("bootstrap/argocd-cm.yaml", ARGOCD_CM),
        ],
    );
    dir
}

fn preview(dir: &Path) -> Value {
    let out = kg()
        .current_dir(dir)
        .args(["ignores", ".", "--app", "web", "--format", "json"])
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON preview")
}

fn entry<'a>(resource: &'a Value, name: &str) -> &'a Value {
    resource["entries"]
        .as_array()
        .and_then(|es| es.iter().find(|e| e["entry"] == name))
        .unwrap_or_else(|| panic!("no entry {name} in {resource}"))
}

#[test]
fn the_preview_shows_what_each_entry_removes() {
    let dir = repo();
    let v = preview(dir.path());
    // Application rules first, then argocd-cm's.
    let origins: Vec<&str> = v["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .filter_map(|r| r["origin"].as_str())
        .collect();
    assert_eq!(
        origins,
        [
            "spec.ignoreDifferences[0]",
            "spec.ignoreDifferences[1]",
            "argocd-cm resource.customizations.ignoreDifferences.all"
        ]
    );
    let resources = v["resources"].as_array().expect("resources");
    let deployment = resources
        .iter()
        .find(|r| r["kind"] == "Deployment")
        .expect("the Deployment is selected");
    // The namespace comes from the destination, as Argo CD sets it before normalising.
    assert_eq!(deployment["namespace"], "web");
    assert_eq!(
        entry(deployment, "jsonPointers[0]")["removed"][0],
        "/spec/replicas"
    );
    assert!(
        entry(deployment, "jsonPointers[1]")["outcome"]
            .as_str()
            .unwrap_or("")
            .starts_with("nothing")
    );
    assert_eq!(
        entry(deployment, "jqPathExpressions[0]")["removed"][0],
        "/spec/template/spec/containers/1/image"
    );
    // gojq semantics: a missing path in del(A, B) does not stop the other path.
    assert_eq!(
        entry(deployment, "jqPathExpressions[1]")["removed"],
        serde_json::json!(["/spec/template/spec/containers/0/env"])
    );
    assert_eq!(v["notSelected"], 0);
}

#[test]
fn secret_values_never_appear() {
    let dir = repo();
    for format in ["text", "json"] {
        let out = kg()
            .current_dir(dir.path())
            .args(["ignores", ".", "--app", "web", "--format", format])
            .output()
            .expect("runs");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("/data/password"), "{text}");
        assert!(!text.contains("c3VwZXItc2VjcmV0LXZhbHVl"), "{text}");
        assert!(!text.contains("super-secret-value"), "{text}");
    }
}

#[test]
fn an_unknown_application_is_exit_2_with_a_suggestion() {
    let dir = repo();
    let out = kg()
        .current_dir(dir.path())
        .args(["ignores", ".", "--app", "wbe"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("web"), "{err}");
}

/// The lint agrees with the preview: the pointer that removes nothing without evidence of
/// a mistake (`/spec/strategy`, which the cluster defaults) is not reported, the select
/// on an existing container name is not reported, and argocd-cm's label pointer is not
/// reported either (labels are added in the cluster).
#[test]
fn the_lint_reports_no_ignore_findings_for_this_repository() {
    let dir = repo();
    let out = kg()
        .current_dir(dir.path())
        .args(["lint", ".", "--format", "json", "--select", "IGN"])
        .output()
        .expect("runs");
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    let codes: Vec<&str> = v["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter_map(|d| d["code"].as_str())
        .collect();
    assert_eq!(codes, Vec::<&str>::new(), "{v}");
}
