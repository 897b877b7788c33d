//! End-to-end tests of `kubectl-gitops waves` on repositories written to temporary
//! directories: the order of a mixed Application (semantics §3: phases, waves, kind order,
//! names, Namespace-first and CRD-first moves, CreateNamespace=true), the JSON contract
//! (product.md §4.1), `--app` lookups and their exit codes, incomplete plans, a kustomize
//! source rendered with the real `kubectl kustomize`, the table (snapshot) and Mermaid.

mod common;

use assert_cmd::Command;

/// The binary with a neutral environment (`common::kg`), with assert_cmd's assertions.
fn kg() -> Command {
    Command::from_std(common::kg())
}
use serde_json::Value;
use std::path::Path;

const REPO: &str = "https://github.com/acme/gitops.git";

fn write(root: &Path, files: &[(&str, String)]) {
    for (path, text) in files {
        let p = root.join(path);
        if let Some(dir) = p.parent() {
            std::fs::create_dir_all(dir).expect("test fixture I/O");
        }
        std::fs::write(&p, text).expect("test fixture I/O");
    }
}

fn config() -> (&'static str, String) {
    (
        ".kubectl-gitops.yaml",
        format!("controlPlaneNamespace: argocd\nrepoURLs:\n  - {REPO}\n"),
    )
}

/// An Application of this repository deploying `path` into `namespace`.
fn app(name: &str, namespace: &str, path: &str, extra: &str) -> String {
    format!(
        "apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: {name}
  namespace: argocd
spec:
  project: default
  destination:
    server: https://kubernetes.default.svc
    namespace: {namespace}
  source:
    repoURL: {REPO}
    targetRevision: main
    path: {path}
{extra}"
    )
}

/// `shop` deploys `shop/` into `shop` with CreateNamespace=true:
///
/// - hooks.yaml: a PreSync Job (generateName, wave -1), a Secret that is a Helm
///   pre-install hook with hook-weight -1, a PostSync+SyncFail Job (HookSucceeded), a
///   PreDelete Job, a Helm test Pod (never applied) and a Skip'ed ConfigMap;
/// - ops.yaml: Namespace `ops` in wave 3 and a PreSync custom resource in it, whose CRD
///   (crd.yaml) is a plain Sync resource;
/// - app.yaml: a ConfigMap, a Deployment in wave 1, a Service whose invalid sync-wave
///   falls back to helm.sh/hook-weight 2, a ClusterRole and two custom kinds.
fn mixed() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let files = vec![
        config(),
        (
            "apps/shop.yaml",
            app(
                "shop",
                "shop",
                "shop",
                "  syncPolicy:\n    syncOptions:\n      - CreateNamespace=true\n",
            ),
        ),
        ("apps/other.yaml", app("billing", "billing", "billing", "")),
        (
            "shop/hooks.yaml",
            r#"apiVersion: batch/v1
kind: Job
metadata:
  generateName: db-migrate-
  annotations:
    argocd.argoproj.io/hook: PreSync
    argocd.argoproj.io/sync-wave: "-1"
---
apiVersion: v1
kind: Secret
metadata:
  name: db
  annotations:
    helm.sh/hook: pre-install
    helm.sh/hook-weight: "-1"
---
apiVersion: batch/v1
kind: Job
metadata:
  name: smoke
  annotations:
    argocd.argoproj.io/hook: PostSync,SyncFail
    argocd.argoproj.io/hook-delete-policy: HookSucceeded
---
apiVersion: batch/v1
kind: Job
metadata:
  name: cleanup
  annotations:
    argocd.argoproj.io/hook: PreDelete
---
apiVersion: v1
kind: Pod
metadata:
  name: chart-test
  annotations:
    helm.sh/hook: test
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: skipped
  annotations:
    argocd.argoproj.io/hook: Skip
"#
            .to_owned(),
        ),
        (
            "shop/ops.yaml",
            r#"apiVersion: v1
kind: Namespace
metadata:
  name: ops
  annotations:
    argocd.argoproj.io/sync-wave: "3"
---
apiVersion: example.com/v1
kind: Widget
metadata:
  name: w
  namespace: ops
  annotations:
    argocd.argoproj.io/hook: PreSync
"#
            .to_owned(),
        ),
        (
            "shop/crd.yaml",
            r#"apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names:
    kind: Widget
    plural: widgets
"#
            .to_owned(),
        ),
        (
            "shop/app.yaml",
            r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations:
    argocd.argoproj.io/sync-wave: "1"
---
apiVersion: v1
kind: Service
metadata:
  name: web
  annotations:
    argocd.argoproj.io/sync-wave: "two"
    helm.sh/hook-weight: "2"
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: b-monitor
---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: a-cert
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: reader
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: web
"#
            .to_owned(),
        ),
        (
            "billing/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: rates\n".to_owned(),
        ),
    ];
    write(dir.path(), &files);
    dir
}

fn run_json(dir: &Path, app: &str) -> Value {
    let out = kg()
        .args(["waves", "--app", app, "--format", "json"])
        .arg(dir)
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON output")
}

/// `phase/wave kind namespace/name [moved]` of every step.
fn order(v: &Value) -> Vec<String> {
    v["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| {
            let name = match s["namespace"].as_str() {
                Some(ns) => format!("{ns}/{}", s["name"].as_str().unwrap_or("")),
                None => s["name"].as_str().unwrap_or("").to_owned(),
            };
            let moved = s["moved"]
                .as_str()
                .map(|m| format!(" [{m}]"))
                .unwrap_or_default();
            format!(
                "{}/{} {} {name}{moved}",
                s["phase"].as_str().unwrap_or("?"),
                s["wave"],
                s["kind"].as_str().unwrap_or("?")
            )
        })
        .collect()
}

/// The order semantics §3.6 gives for `mixed()`:
/// - PreSync, wave -1: the Secret (Secret before Job in the kind order) is the first task
///   in `shop`, so the Namespace CreateNamespace=true adds (PreSync, wave 0) moves in
///   front of it and takes wave -1;
/// - PreSync, wave 0: `ops` (Sync, wave 3) moves in front of the PreSync Widget in it, and
///   the Widget's CRD (Sync, wave 0) follows it there;
/// - Sync, wave 0: ConfigMap, ClusterRole (kind order), then the custom kinds by name;
/// - the Service's unparsable sync-wave falls back to its hook-weight (wave 2);
/// - the PostSync,SyncFail hook runs once in each phase.
#[test]
fn mixed_application_runs_in_argo_cd_order() {
    let dir = mixed();
    let v = run_json(dir.path(), "shop");
    assert_eq!(
        order(&v),
        [
            "PreSync/-1 Namespace shop [namespace-first]",
            "PreSync/-1 Secret shop/db",
            "PreSync/-1 Job shop/db-migrate-",
            "PreSync/0 Namespace ops [namespace-first]",
            "PreSync/0 CustomResourceDefinition widgets.example.com [crd-first]",
            "PreSync/0 Widget ops/w",
            "Sync/0 ConfigMap shop/web",
            "Sync/0 ClusterRole reader",
            "Sync/0 Certificate shop/a-cert",
            "Sync/0 ServiceMonitor shop/b-monitor",
            "Sync/1 Deployment shop/web",
            "Sync/2 Service shop/web",
            "PostSync/0 Job shop/smoke",
            "SyncFail/0 Job shop/smoke",
        ]
    );
    let steps = v["steps"].as_array().expect("steps");
    // Files and lines: the created Namespace has none.
    let at = |i: usize| (steps[i]["file"].clone(), steps[i]["line"].clone());
    assert_eq!(at(0), (Value::Null, Value::Null));
    assert_eq!(at(1), ("shop/hooks.yaml".into(), 9.into()));
    assert_eq!(at(2), ("shop/hooks.yaml".into(), 1.into()));
    assert_eq!(at(3), ("shop/ops.yaml".into(), 1.into()));
    assert_eq!(at(5), ("shop/ops.yaml".into(), 8.into()));
    assert_eq!(at(11), ("shop/app.yaml".into(), 8.into()));
    // Hook types and delete policies.
    assert_eq!(steps[1]["hook_types"], serde_json::json!(["PreSync"]));
    assert_eq!(
        steps[1]["delete_policies"],
        serde_json::json!(["BeforeHookCreation"])
    );
    assert_eq!(
        steps[12]["hook_types"],
        serde_json::json!(["PostSync", "SyncFail"])
    );
    assert_eq!(
        steps[13]["delete_policies"],
        serde_json::json!(["HookSucceeded"])
    );
    assert_eq!(steps[6]["hook_types"], serde_json::json!([]));
    assert_eq!(steps[6]["delete_policies"], serde_json::json!([]));
    assert_eq!(steps[4]["group"], "apiextensions.k8s.io");
}

#[test]
fn json_follows_the_contract() {
    let dir = mixed();
    let v = run_json(dir.path(), "argocd/shop");
    let keys = |v: &Value| -> Vec<String> {
        v.as_object()
            .expect("object")
            .keys()
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(keys(&v), ["version", "application", "steps"]);
    assert_eq!(v["version"], 1);
    assert_eq!(
        v["application"],
        serde_json::json!({"namespace": "argocd", "name": "shop"})
    );
    for s in v["steps"].as_array().expect("steps") {
        assert_eq!(
            keys(s),
            [
                "phase",
                "wave",
                "kind",
                "group",
                "namespace",
                "name",
                "file",
                "line",
                "hook_types",
                "delete_policies",
                "moved"
            ]
        );
        assert!(
            ["PreSync", "Sync", "PostSync", "SyncFail"]
                .contains(&s["phase"].as_str().unwrap_or(""))
        );
        assert!(s["wave"].is_i64());
        assert!(
            s["moved"].is_null()
                || ["namespace-first", "crd-first"].contains(&s["moved"].as_str().unwrap_or(""))
        );
    }
    // Objects that are not part of a sync are not steps.
    let names: Vec<&str> = v["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    for absent in ["cleanup", "chart-test", "skipped"] {
        assert!(!names.contains(&absent), "{absent}");
    }
}

#[test]
fn unknown_app_exits_2_with_the_applications_found() {
    let dir = mixed();
    let out = kg()
        .args(["waves", "--app", "shp"])
        .arg(dir.path())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no Application named 'shp'"), "{err}");
    assert!(err.contains("did you mean 'shop'?"), "{err}");
    assert!(err.contains("argocd/billing, argocd/shop"), "{err}");
    // A wrong namespace is unknown too.
    let out = kg()
        .args(["waves", "--app", "team-a/shop"])
        .arg(dir.path())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("did you mean 'argocd/shop'?"), "{err}");
    // --app is required.
    kg().args(["waves"]).arg(dir.path()).assert().code(2);
}

#[test]
fn the_same_name_in_two_namespaces_needs_the_namespace() {
    let dir = tempfile::tempdir().expect("temp dir");
    let other = app("web", "web", "web", "").replace("namespace: argocd", "namespace: team-a");
    write(
        dir.path(),
        &[
            config(),
            ("apps/web.yaml", app("web", "web", "web", "")),
            ("apps/web-team-a.yaml", other),
            (
                "web/cm.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n".to_owned(),
            ),
        ],
    );
    let out = kg()
        .args(["waves", "--app", "web"])
        .arg(dir.path())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("argocd/web, team-a/web"), "{err}");
    assert!(err.contains("--app NAMESPACE/NAME"), "{err}");
    let v = run_json(dir.path(), "team-a/web");
    assert_eq!(v["application"]["namespace"], "team-a");
    assert_eq!(order(&v), ["Sync/0 ConfigMap web/c"]);
}

#[test]
fn missing_sources_make_the_plan_incomplete() {
    let dir = tempfile::tempdir().expect("temp dir");
    let multi = format!(
        "apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: mixed
  namespace: argocd
spec:
  project: default
  destination:
    server: https://kubernetes.default.svc
    namespace: mixed
  sources:
    - repoURL: {REPO}
      targetRevision: main
      path: local
    - repoURL: https://charts.example.com
      chart: redis
      targetRevision: 1.0.0
"
    );
    write(
        dir.path(),
        &[
            config(),
            ("apps/mixed.yaml", multi),
            (
                "local/cm.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n".to_owned(),
            ),
        ],
    );
    let v = run_json(dir.path(), "mixed");
    assert_eq!(v["incomplete"], true);
    assert_eq!(order(&v), ["Sync/0 ConfigMap mixed/c"]);
    let missing = &v["missing_sources"][0];
    assert_eq!(missing["source"], "sources[1]");
    assert_eq!(missing["reason"], "external");
    assert_eq!(missing["chart"], "redis");
    assert!(
        missing["message"]
            .as_str()
            .is_some_and(|m| m.contains("chart 'redis' from https://charts.example.com")),
        "{missing}"
    );
    let out = kg()
        .args(["waves", "--app", "mixed"])
        .arg(dir.path())
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("incomplete: the plan shows the known resources only"),
        "{text}"
    );
    assert!(text.contains("sources[1] is chart 'redis'"), "{text}");
    // A complete plan has neither key.
    let v = run_json(mixed().path(), "billing");
    assert!(v.get("incomplete").is_none() && v.get("missing_sources").is_none());
}

#[test]
fn table_groups_steps_by_phase_and_wave() {
    let dir = mixed();
    let out = kg()
        .args(["waves", "--app", "shop", "--color", "never"])
        .arg(dir.path())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    insta::assert_snapshot!("mixed_table", text);
}

#[test]
fn colour_output_file_and_mermaid() {
    let dir = mixed();
    let out = kg()
        .args(["waves", "--app", "shop", "--color", "always"])
        .arg(dir.path())
        .output()
        .expect("run");
    assert!(String::from_utf8_lossy(&out.stdout).contains("\u{1b}["));
    let file = dir.path().join("plan.mmd");
    kg().args(["waves", "--app", "shop", "--format", "mermaid", "-o"])
        .arg(&file)
        .arg(dir.path())
        .assert()
        .success()
        .stdout("");
    let m = std::fs::read_to_string(&file).expect("written");
    assert!(m.starts_with("flowchart LR\n"), "{m}");
    for part in [
        "subgraph phase_PreSync[\"PreSync\"]",
        "subgraph phase_PreSync_wave_m1[\"wave -1\"]",
        "s1[\"Namespace shop (namespace-first) (CreateNamespace)\"]",
        "s3[\"Job shop/db-migrate-*\"]",
        "phase_Sync_wave_0 --> phase_Sync_wave_1",
        "phase_PostSync ==> phase_SyncFail",
    ] {
        assert!(m.contains(part), "missing {part:?} in\n{m}");
    }
    // Colour is never written to a file with --color auto.
    let file = dir.path().join("plan.txt");
    kg().args(["waves", "--app", "shop", "-o"])
        .arg(&file)
        .arg(dir.path())
        .assert()
        .success();
    assert!(
        !std::fs::read_to_string(&file)
            .expect("written")
            .contains('\u{1b}')
    );
}

/// A kustomize overlay rendered by the real `kubectl kustomize`: steps carry the
/// rendered names and point at the base files they came from.
#[test]
fn kustomize_source_is_rendered_and_traced() {
    let on_path = |tool: &str| {
        std::env::var_os("PATH")
            .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()))
    };
    if !on_path("kubectl") && !on_path("kustomize") {
        eprintln!("skipping: neither kubectl nor kustomize is on PATH");
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    write(
        dir.path(),
        &[
            config(),
            ("apps/kz.yaml", app("kz", "prod", "kz/overlays/prod", "")),
            (
                "kz/base/kustomization.yaml",
                "resources:\n  - deploy.yaml\n  - migrate.yaml\n".to_owned(),
            ),
            (
                "kz/base/deploy.yaml",
                "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations:
    argocd.argoproj.io/sync-wave: \"1\"
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx
"
                .to_owned(),
            ),
            (
                "kz/base/migrate.yaml",
                "# the schema migration
apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
  annotations:
    argocd.argoproj.io/hook: PreSync
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: m
          image: busybox
"
                .to_owned(),
            ),
            (
                "kz/overlays/prod/kustomization.yaml",
                "resources:\n  - ../../base\n  - cm.yaml\nnamePrefix: prod-\n".to_owned(),
            ),
            (
                "kz/overlays/prod/cm.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n".to_owned(),
            ),
        ],
    );
    let v = run_json(dir.path(), "kz");
    assert_eq!(
        order(&v),
        [
            "PreSync/0 Job prod/prod-migrate",
            "Sync/0 ConfigMap prod/prod-settings",
            "Sync/1 Deployment prod/prod-web",
        ]
    );
    let steps = v["steps"].as_array().expect("steps");
    let at = |i: usize| (steps[i]["file"].clone(), steps[i]["line"].clone());
    assert_eq!(at(0), ("kz/base/migrate.yaml".into(), 2.into()));
    assert_eq!(at(1), ("kz/overlays/prod/cm.yaml".into(), 1.into()));
    assert_eq!(at(2), ("kz/base/deploy.yaml".into(), 1.into()));
}

/// A Helm source (through the real pipeline with canned `helm template` output, so no
/// helm is needed): steps point at the chart template (its `kind:` line) named in the
/// `# Source:` comment, and an object without one at the Application's source path.
#[test]
fn helm_steps_point_at_their_templates() {
    use kubectl_gitops::cli::{LintArgs, lint_with};
    use kubectl_gitops::render::fixture::FixtureRenderer;
    use kubectl_gitops::report::waves::{self, Lookup};

    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    write(
        root,
        &[
            config(),
            ("apps/chart.yaml", app("chart", "web", "charts/web", "")),
            (
                "charts/web/Chart.yaml",
                "apiVersion: v2\nname: web\nversion: 1.0.0\n".to_owned(),
            ),
            (
                "charts/web/templates/migrate.yaml",
                "{{- if .Values.migrate }}\napiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {{ .Release.Name }}-migrate\n  annotations:\n    helm.sh/hook: pre-upgrade\n{{- end }}\n".to_owned(),
            ),
        ],
    );
    let rendered = "---\n# Source: web/templates/migrate.yaml\napiVersion: batch/v1\nkind: Job\nmetadata:\n  name: chart-migrate\n  annotations:\n    helm.sh/hook: pre-upgrade\n    helm.sh/hook-weight: \"-5\"\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: untraced\n";
    let renderer = FixtureRenderer::new().with(root.join("charts/web"), Ok(rendered.to_owned()));
    let args = LintArgs::new(vec![root.to_path_buf()]);
    let (_, plan) = lint_with(
        &args,
        Some(&renderer),
        |repo, model, _| match waves::find_app(model, "chart") {
            Lookup::Found(a) => Some(waves::build(model, repo, a)),
            _ => None,
        },
    )
    .expect("lints");
    let plan = plan.expect("the Application is found");
    type Row<'a> = (&'a str, i64, &'a str, Option<&'a str>, Option<usize>);
    let got: Vec<Row<'_>> = plan
        .steps
        .iter()
        .map(|s| (s.phase, s.wave, s.name.as_str(), s.file.as_deref(), s.line))
        .collect();
    assert_eq!(
        got,
        [
            (
                "PreSync",
                -5,
                "chart-migrate",
                Some("charts/web/templates/migrate.yaml"),
                Some(3)
            ),
            ("Sync", 0, "untraced", Some("apps/chart.yaml"), Some(14)),
        ]
    );
    assert!(!plan.incomplete);
}
