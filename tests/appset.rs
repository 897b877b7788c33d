//! End-to-end tests of `kubectl-gitops appset generate` on `testdata/repos/appsets` and on
//! repositories written to temporary directories. Every expected value is derived by
//! hand from Argo CD's ApplicationSet semantics (semantics §5): names, sources,
//! destinations, the resources finalizer, the forced namespace, the order (product.md
//! §4.1: sorted by namespace and name).

use assert_cmd::Command;
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_kubectl-gitops");
const REPO: &str = "testdata/repos/appsets";
const FINALIZER: &str = "resources-finalizer.argocd.argoproj.io";

fn kg() -> Command {
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

/// `appset generate REPO --appset NAME -o json`, which must succeed.
fn generate(name: &str) -> Vec<Value> {
    let out = kg()
        .args(["appset", "generate", REPO, "--appset", name, "-o", "json"])
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    match serde_json::from_slice(&out.stdout) {
        Ok(Value::Array(apps)) => apps,
        other => panic!("not a JSON array: {other:?}"),
    }
}

fn names(apps: &[Value]) -> Vec<&str> {
    apps.iter()
        .map(|a| {
            a.pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or("")
        })
        .collect()
}

fn field<'a>(app: &'a Value, pointer: &str) -> &'a Value {
    app.pointer(pointer).unwrap_or(&Value::Null)
}

#[test]
fn list_generator_yaml_is_exact() {
    // Elements, then elementsYaml; `{{values.replicas}}` only resolves where the element
    // has `values.replicas`; every app gets the finalizer and the set's namespace.
    let app = |env: &str, server: &str, replicas: &str| {
        format!(
            "apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: guestbook-{env}
  namespace: argocd
  labels:
    env: {env}
  finalizers:
  - {FINALIZER}
spec:
  project: default
  source:
    repoURL: https://github.com/acme/gitops.git
    targetRevision: main
    path: apps/guestbook
    kustomize:
      commonAnnotations:
        replicas: \"{replicas}\"
  destination:
    server: {server}
    namespace: guestbook-{env}
  syncPolicy:
    syncOptions:
    - CreateNamespace=true
"
        )
    };
    let want = [
        app(
            "dev",
            "https://kubernetes.default.svc",
            "{{values.replicas}}",
        ),
        app("prod", "https://prod-eu.example.com", "3"),
        app(
            "qa",
            "https://kubernetes.default.svc",
            "{{values.replicas}}",
        ),
    ]
    .join("---\n");
    kg().args(["appset", "generate", REPO, "--appset", "guestbook"])
        .assert()
        .code(0)
        .stdout(want)
        .stderr("");
}

#[test]
fn git_directories_generator() {
    let apps = generate("apps");
    // `apps/*` matches three directories; `apps/legacy-*` is excluded.
    assert_eq!(names(&apps), ["billing", "guestbook"]);
    for (app, dir) in apps.iter().zip(["billing", "guestbook"]) {
        assert_eq!(
            field(app, "/spec/source/path"),
            &json!(format!("apps/{dir}"))
        );
        assert_eq!(
            field(app, "/spec/destination"),
            &json!({"name": "in-cluster", "namespace": dir})
        );
        // preserveResourcesOnDeletion: no finalizer.
        assert_eq!(field(app, "/metadata/finalizers"), &Value::Null);
        assert_eq!(field(app, "/metadata/namespace"), "argocd");
    }
}

#[test]
fn git_files_generator() {
    let apps = generate("regions");
    // config/legacy is excluded; `config/*/config.json` also matches config/prod/eu; the
    // staging file holds two objects.
    assert_eq!(
        names(&apps),
        [
            "regions-eu-west-1",
            "regions-us-east-1",
            "regions-us-west-2"
        ]
    );
    let want = [
        ("payments", "config/prod/eu/config.json", "3", "prod"),
        ("web", "config/staging/config.json", "1", "staging"),
        ("web", "config/staging/config.json", "1e+06", "staging"),
    ];
    for (app, (owner, source, replicas, ns)) in apps.iter().zip(want) {
        assert_eq!(
            field(app, "/metadata/annotations"),
            &json!({"owner": owner, "source": source, "replicas": replicas})
        );
        assert_eq!(field(app, "/spec/destination/namespace"), ns);
        assert_eq!(field(app, "/metadata/finalizers"), &json!([FINALIZER]));
    }
}

#[test]
fn cluster_generators_with_and_without_selector() {
    let apps = generate("platform");
    // First generator: the in-cluster default, the two Secrets of the argocd namespace
    // and the configured `edge` cluster. Second: only env=prod, with its own template.
    assert_eq!(
        names(&apps),
        [
            "ingress-prod-eu",
            "monitoring-edge",
            "monitoring-in-cluster",
            "monitoring-prod-eu",
            "monitoring-staging"
        ]
    );
    let by_name = |n: &str| {
        apps.iter()
            .find(|a| field(a, "/metadata/name") == n)
            .unwrap_or(&Value::Null)
    };
    for (name, server) in [
        ("monitoring-edge", "https://edge.example.com"),
        ("monitoring-in-cluster", "https://kubernetes.default.svc"),
        ("monitoring-prod-eu", "https://prod-eu.example.com"),
        ("monitoring-staging", "https://staging.example.com"),
    ] {
        let app = by_name(name);
        assert_eq!(field(app, "/spec/destination/server"), server, "{name}");
        assert_eq!(field(app, "/spec/source/targetRevision"), "main", "{name}");
        assert_eq!(field(app, "/spec/source/path"), "platform/monitoring");
    }
    let ingress = by_name("ingress-prod-eu");
    assert_eq!(
        field(ingress, "/metadata/annotations"),
        &json!({"health": "https://prod-eu.example.com/healthz"})
    );
    assert_eq!(field(ingress, "/spec/source/path"), "platform/ingress");
    assert_eq!(field(ingress, "/spec/destination/namespace"), "ingress");
    // targetRevision comes from the top-level template, whose `values.revision` this
    // generator does not define: left verbatim.
    assert_eq!(
        field(ingress, "/spec/source/targetRevision"),
        "{{values.revision}}"
    );
}

#[test]
fn matrix_generator_interpolates_the_second_child() {
    let apps = generate("team-apps");
    assert_eq!(names(&apps), ["api-prod", "api-staging", "web-prod"]);
    let want = [
        ("envs/prod/api", "https://prod-eu.example.com", "api"),
        ("envs/staging/api", "https://staging.example.com", "api"),
        ("envs/prod/web", "https://prod-eu.example.com", "web"),
    ];
    for (app, (path, server, ns)) in apps.iter().zip(want) {
        assert_eq!(field(app, "/spec/source/path"), path);
        assert_eq!(
            field(app, "/spec/destination"),
            &json!({"server": server, "namespace": ns})
        );
    }
}

#[test]
fn merge_generator_overrides_by_merge_key() {
    let apps = generate("argocd/edge-routers");
    assert_eq!(
        names(&apps),
        [
            "edge-router-edge",
            "edge-router-in-cluster",
            "edge-router-prod-eu",
            "edge-router-staging"
        ]
    );
    let classes: Vec<&Value> = apps
        .iter()
        .map(|a| field(a, "/metadata/annotations/ingress-class"))
        .collect();
    assert_eq!(classes, ["nginx", "nginx", "nginx", "traefik"]);
}

#[test]
fn generators_needing_the_outside_world_are_noted() {
    kg().args(["appset", "generate", REPO, "--appset", "previews", "-o", "json"])
        .assert()
        .code(0)
        .stderr(
            "note: ApplicationSet argocd/previews: generator /spec/generators/0/pullRequest was not expanded: it lists pull requests through an SCM provider's API\n",
        );
    let apps = generate("previews");
    assert_eq!(names(&apps), ["preview-main"]);
}

#[test]
fn the_whole_repository_is_sorted_by_namespace_and_name() {
    let out = kg()
        .args(["appset", "generate", REPO, "-o", "json"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let apps: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap_or_default();
    // goTemplate sets are checked elsewhere.
    let fast: Vec<&str> = names(&apps)
        .into_iter()
        .filter(|n| !n.starts_with("go-"))
        .collect();
    assert_eq!(
        fast,
        [
            "api-prod",
            "api-staging",
            "billing",
            "edge-router-edge",
            "edge-router-in-cluster",
            "edge-router-prod-eu",
            "edge-router-staging",
            "guestbook",
            "guestbook-dev",
            "guestbook-prod",
            "guestbook-qa",
            "ingress-prod-eu",
            "monitoring-edge",
            "monitoring-in-cluster",
            "monitoring-prod-eu",
            "monitoring-staging",
            "preview-main",
            "regions-eu-west-1",
            "regions-us-east-1",
            "regions-us-west-2",
            "web-prod"
        ]
    );
}

#[test]
fn unknown_appset_is_exit_2_with_the_candidates() {
    kg().args(["appset", "generate", REPO, "--appset", "platfrom"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicates::str::contains(
            "no ApplicationSet named 'platfrom' (did you mean 'platform'?); ApplicationSets found: argocd/apps,",
        ));
}

fn write(root: &std::path::Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let p = root.join(path);
        if let Some(dir) = p.parent() {
            std::fs::create_dir_all(dir).expect("test fixture I/O");
        }
        std::fs::write(&p, text).expect("test fixture I/O");
    }
}

const CONFIG: &str =
    "controlPlaneNamespace: argocd\nrepoURLs:\n  - https://github.com/acme/gitops.git\n";

#[test]
fn a_set_argo_cd_cannot_generate_is_exit_1_and_generates_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let broken = "apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: broken
  namespace: team
spec:
  generators:
    - list:
        elements:
          - name: a
    - matrix:
        generators:
          - list:
              elements:
                - name: b
  template:
    metadata:
      name: '{{name}}'
    spec:
      project: default
      source: {repoURL: https://github.com/acme/gitops.git, path: x, targetRevision: HEAD}
      destination: {server: https://kubernetes.default.svc, namespace: x}
";
    let fine = "apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: fine
spec:
  generators:
    - list:
        elements:
          - name: ok
  template:
    metadata:
      name: '{{name}}'
    spec:
      project: default
      source: {repoURL: https://github.com/acme/gitops.git, path: x, targetRevision: HEAD}
      destination: {server: https://kubernetes.default.svc, namespace: x}
";
    write(
        dir.path(),
        &[
            (".kubectl-gitops.yaml", CONFIG),
            ("broken.yaml", broken),
            ("fine.yaml", fine),
        ],
    );
    let out = kg()
        .args(["appset", "generate", "-o", "json"])
        .arg(dir.path())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    // The first generator's app is not generated either (§5.1 step 7); `fine` (no
    // namespace: the control-plane namespace) still is.
    let apps: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap_or_default();
    assert_eq!(names(&apps), ["ok"]);
    assert_eq!(field(&apps[0], "/metadata/namespace"), "argocd");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: ApplicationSet team/broken generates no Applications: found less than two generators, Matrix support only two (at /spec/generators/1/matrix)\n"
    );
}

#[test]
fn generated_namespace_is_the_sets_namespace() {
    let dir = tempfile::tempdir().expect("temp dir");
    let set = "apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: s
  namespace: team-a
spec:
  generators:
    - list:
        elements:
          - name: one
  template:
    metadata:
      name: '{{name}}'
      namespace: argocd
    spec:
      project: default
      source: {repoURL: https://github.com/acme/gitops.git, path: x, targetRevision: HEAD}
      destination: {server: https://kubernetes.default.svc, namespace: x}
";
    write(
        dir.path(),
        &[(".kubectl-gitops.yaml", CONFIG), ("set.yaml", set)],
    );
    let out = kg()
        .args(["appset", "generate", "-o", "json", "--appset", "team-a/s"])
        .arg(dir.path())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let apps: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap_or_default();
    assert_eq!(field(&apps[0], "/metadata/namespace"), "team-a");
}

#[test]
fn help_lists_the_command() {
    kg().args(["appset", "--help"])
        .assert()
        .code(0)
        .stdout(predicates::str::contains("generate"));
    kg().args(["appset", "generate", "--help"])
        .assert()
        .code(0)
        .stdout(predicates::str::contains("--appset"));
}
