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

// ---------------------------------------------------------------------------------------
// Generated Applications are linted (issue 7, part 2)

/// `lint DIR --format json ARGS`: the report.
fn lint_json(dir: &std::path::Path, args: &[&str]) -> Value {
    let out = kg()
        .arg("lint")
        .arg(dir)
        .args(["--format", "json"])
        .args(args)
        .output()
        .expect("runs");
    serde_json::from_slice(&out.stdout).unwrap_or(Value::Null)
}

fn diagnostics(report: &Value) -> Vec<&Value> {
    report["diagnostics"]
        .as_array()
        .map(|d| d.iter().collect())
        .unwrap_or_default()
}

const PAYMENTS_PROJECT: &str = "apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata:
  name: payments
  namespace: argocd
spec:
  sourceRepos:
    - https://github.com/acme/payments.git
  destinations:
    - server: https://kubernetes.default.svc
      namespace: '*'
";

const CONFIGMAP: &str =
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: guestbook\ndata:\n  greeting: hello\n";

/// A set whose template uses `repo_line` as the `repoURL` line (line 20) of two list
/// elements in project `payments`.
fn payments_set(repo_line: &str, above: &str) -> String {
    format!(
        "apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: guestbook
  namespace: argocd
spec:
  syncPolicy:
    preserveResourcesOnDeletion: true
  generators:
    - list:
        elements:
          - env: dev
          - env: prod
  template:
    metadata:
      name: 'guestbook-{{{{env}}}}'
    spec:
      project: payments
      source:
{above}{repo_line}
        targetRevision: main
        path: apps/guestbook
      destination:
        server: https://kubernetes.default.svc
        namespace: 'guestbook-{{{{env}}}}'
"
    )
}

#[test]
fn a_generated_application_gets_prj002_at_the_template_repo_url() {
    let dir = tempfile::tempdir().expect("temp dir");
    let repo_line = "        repoURL: https://github.com/acme/gitops.git";
    write(
        dir.path(),
        &[
            (".kubectl-gitops.yaml", CONFIG),
            ("projects/payments.yaml", PAYMENTS_PROJECT),
            ("apps/guestbook/configmap.yaml", CONFIGMAP),
            ("appsets/guestbook.yaml", &payments_set(repo_line, "")),
        ],
    );
    let report = lint_json(dir.path(), &[]);
    let found = diagnostics(&report);
    // One finding for the template line, naming both generated Applications.
    assert_eq!(found.len(), 1, "{report}");
    let d = found[0];
    assert_eq!(d["code"], "PRJ002");
    assert_eq!(d["file"], "appsets/guestbook.yaml");
    assert_eq!(d["line"], 20);
    // The repoURL value: `https://github.com/acme/gitops.git`.
    assert_eq!(d["column"], 18);
    assert_eq!(
        d["end_column"],
        18 + "https://github.com/acme/gitops.git".len()
    );
    assert_eq!(d["object"]["kind"], "Application");
    assert_eq!(d["object"]["name"], "guestbook-dev");
    let message = d["message"].as_str().unwrap_or("");
    assert!(
        message.ends_with(
            "(2 Applications generated by ApplicationSet 'guestbook': 'guestbook-dev' from list element {env: dev}; 'guestbook-prod' from list element {env: prod})"
        ),
        "{message}"
    );
    assert_eq!(d["related"][0]["file"], "projects/payments.yaml");
}

#[test]
fn a_suppression_on_the_template_line_covers_generated_findings() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, line, above) in [
        (
            "end-of-line",
            "        repoURL: https://github.com/acme/gitops.git # kubectl-gitops: ignore PRJ002 -- migrating",
            "",
        ),
        (
            "line-above",
            "        repoURL: https://github.com/acme/gitops.git",
            "        # kubectl-gitops: ignore source-not-permitted\n",
        ),
    ] {
        let root = dir.path().join(name);
        write(
            &root,
            &[
                (".kubectl-gitops.yaml", CONFIG),
                ("projects/payments.yaml", PAYMENTS_PROJECT),
                ("apps/guestbook/configmap.yaml", CONFIGMAP),
                ("appsets/guestbook.yaml", &payments_set(line, above)),
            ],
        );
        let report = lint_json(&root, &[]);
        assert_eq!(
            diagnostics(&report),
            Vec::<&Value>::new(),
            "{name}: {report}"
        );
        // Both generated Applications' findings were suppressed.
        assert_eq!(report["summary"]["suppressed"], 2, "{name}");
    }
}

#[test]
fn an_ignore_annotation_in_the_template_covers_its_applications() {
    let dir = tempfile::tempdir().expect("temp dir");
    let set = payments_set("        repoURL: https://github.com/acme/gitops.git", "").replace(
        "      name: 'guestbook-{{env}}'\n",
        "      name: 'guestbook-{{env}}'\n      annotations:\n        kubectl-gitops.io/ignore: PRJ002 -- moving to the payments repository\n",
    );
    write(
        dir.path(),
        &[
            (".kubectl-gitops.yaml", CONFIG),
            ("projects/payments.yaml", PAYMENTS_PROJECT),
            ("apps/guestbook/configmap.yaml", CONFIGMAP),
            ("appsets/guestbook.yaml", &set),
        ],
    );
    let report = lint_json(dir.path(), &[]);
    assert_eq!(diagnostics(&report), Vec::<&Value>::new(), "{report}");
    assert_eq!(report["summary"]["suppressed"], 2);
}

#[test]
fn a_finding_on_a_field_of_the_template_patch_points_inside_the_patch() {
    let dir = tempfile::tempdir().expect("temp dir");
    let set = "apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: pay
  namespace: argocd
spec:
  syncPolicy:
    preserveResourcesOnDeletion: true
  generators:
    - list:
        elements:
          - env: dev
  template:
    metadata:
      name: 'pay-{{env}}'
    spec:
      project: default
      source:
        repoURL: https://github.com/acme/gitops.git
        targetRevision: main
        path: apps/guestbook
      destination:
        server: https://kubernetes.default.svc
        namespace: 'pay-{{env}}'
  templatePatch: |
    spec:
      syncPolicy:
        retry:
          backoff:
            duration: 3d
";
    write(
        dir.path(),
        &[
            (".kubectl-gitops.yaml", CONFIG),
            ("apps/guestbook/configmap.yaml", CONFIGMAP),
            ("set.yaml", set),
        ],
    );
    let report = lint_json(dir.path(), &[]);
    let found = diagnostics(&report);
    assert_eq!(found.len(), 1, "{report}");
    assert_eq!(found[0]["code"], "APP005");
    // `3d` inside the block scalar, line 30.
    assert_eq!(
        (
            &found[0]["line"],
            &found[0]["column"],
            &found[0]["end_column"]
        ),
        (&json!(30), &json!(23), &json!(25))
    );
}

#[test]
fn duplicate_applications_across_written_and_generated_name_both_origins() {
    let dir = tempfile::tempdir().expect("temp dir");
    let written = "apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: guestbook-prod
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://github.com/acme/gitops.git
    targetRevision: main
    path: apps/guestbook
  destination:
    server: https://kubernetes.default.svc
    namespace: guestbook
";
    let set = payments_set("        repoURL: https://github.com/acme/gitops.git", "")
        .replace("project: payments", "project: default");
    write(
        dir.path(),
        &[
            (".kubectl-gitops.yaml", CONFIG),
            ("apps/guestbook/configmap.yaml", CONFIGMAP),
            ("apps/written.yaml", written),
            ("appsets/guestbook.yaml", &set),
        ],
    );
    let report = lint_json(dir.path(), &[]);
    let found = diagnostics(&report);
    assert_eq!(found.len(), 1, "{report}");
    let d = found[0];
    assert_eq!(d["code"], "APP011");
    // At the template's name, with the written one related.
    assert_eq!(
        (&d["file"], &d["line"]),
        (&json!("appsets/guestbook.yaml"), &json!(16))
    );
    assert_eq!(d["object"]["name"], "guestbook-prod");
    let message = d["message"].as_str().unwrap_or("");
    assert!(
        message
            .contains("written in apps/written.yaml and generated by ApplicationSet 'guestbook'"),
        "{message}"
    );
    assert!(
        message.ends_with("from list element {env: prod})"),
        "{message}"
    );
    assert_eq!(d["related"][0]["file"], "apps/written.yaml");
    assert_eq!(d["related"][0]["line"], 4);
    assert_eq!(d["related"][0]["message"], "also written here");
}

#[test]
fn an_scm_provider_set_is_go005_once_and_still_checked_statically() {
    let dir = tempfile::tempdir().expect("temp dir");
    let set = "apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: repos
  namespace: argocd
spec:
  generators:
    - scmProvider:
        github:
          organization: acme
    - pullRequest:
        github:
          owner: acme
          repo: shop
  template:
    metadata:
      name: '{{repository}}'
    spec:
      project: '{{organization}}'
      source:
        repoURL: '{{url}}'
        targetRevision: '{{branch}}'
        path: deploy
      destination:
        server: https://kubernetes.default.svc
        namespace: '{{repository}}'
";
    write(
        dir.path(),
        &[(".kubectl-gitops.yaml", CONFIG), ("set.yaml", set)],
    );
    let report = lint_json(dir.path(), &["--fail-on", "none"]);
    let found: Vec<(&str, u64)> = diagnostics(&report)
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap_or(""),
                d["line"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    // GO005 once, on the first generator not expanded; the static rules still run.
    assert_eq!(found, [("GO005", 8), ("SET006", 15), ("SET001", 19)]);
    let go005 = diagnostics(&report)[0];
    let message = go005["message"].as_str().unwrap_or("");
    assert!(
        message.contains("spec.generators[0].scmProvider")
            && message.contains("spec.generators[1].pullRequest"),
        "{message}"
    );
    assert_eq!(go005["related"][0]["line"], 11);
}

#[test]
fn generated_applications_hang_below_the_application_that_deploys_their_set() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = "apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: root
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://github.com/acme/gitops.git
    targetRevision: main
    path: appsets
  destination:
    server: https://kubernetes.default.svc
    namespace: argocd
";
    let set = payments_set("        repoURL: https://github.com/acme/gitops.git", "")
        .replace("project: payments", "project: default");
    write(
        dir.path(),
        &[
            (".kubectl-gitops.yaml", CONFIG),
            ("apps/guestbook/configmap.yaml", CONFIGMAP),
            ("root.yaml", root),
            ("appsets/guestbook.yaml", &set),
        ],
    );
    let out = kg()
        .args(["tree", "--format", "json"])
        .arg(dir.path())
        .output()
        .expect("runs");
    let tree: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    let roots = tree["roots"].as_array().cloned().unwrap_or_default();
    assert_eq!(roots.len(), 1, "{tree}");
    assert_eq!(roots[0]["name"], "root");
    let children: Vec<(&Value, &Value, &Value, &Value)> = roots[0]["children"]
        .as_array()
        .map(|c| {
            c.iter()
                .map(|n| (&n["name"], &n["file"], &n["line"], &n["resources"]))
                .collect()
        })
        .unwrap_or_default();
    // Shown where the template names them, with the directory's resources.
    assert_eq!(
        children,
        [
            (
                &json!("guestbook-dev"),
                &json!("appsets/guestbook.yaml"),
                &json!(16),
                &json!(1)
            ),
            (
                &json!("guestbook-prod"),
                &json!("appsets/guestbook.yaml"),
                &json!(16),
                &json!(1)
            ),
        ]
    );
}

#[test]
#[ignore = "needs the Go template engine (crate::argo::gotemplate) wired into model::generated::go_engine"]
fn go_template_missing_key_is_set003_at_the_parameter() {
    // testdata/rules/SET003-unresolved-template-parameter/go-engine: with missingkey=error
    // the typo fails the set; without it, it renders as <no value>.
    let dir = "testdata/rules/SET003-unresolved-template-parameter/go-engine";
    let report = lint_json(std::path::Path::new(dir), &["--ignore", "GO005"]);
    let found: Vec<(&str, &str, u64, u64, u64)> = diagnostics(&report)
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap_or(""),
                d["file"].as_str().unwrap_or(""),
                d["line"].as_u64().unwrap_or(0),
                d["column"].as_u64().unwrap_or(0),
                d["end_column"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    // `.path.basenme` inside `'strict-{{.path.basenme}}'` (columns 23..36) and inside
    // `'team-{{.path.basenme}}'` (columns 24..37).
    assert_eq!(
        found,
        [
            ("SET009", "appsets/lenient.yaml", 8, 15, 19),
            ("SET003", "appsets/lenient.yaml", 21, 24, 37),
            ("SET003", "appsets/strict.yaml", 20, 23, 36),
        ]
    );
}
