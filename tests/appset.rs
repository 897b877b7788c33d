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
    // Only the pull-request generator is left out; the goTemplate sets are expanded.
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "note: ApplicationSet argocd/previews: generator /spec/generators/0/pullRequest was not expanded: it lists pull requests through an SCM provider's API\n"
    );
    let apps: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap_or_default();
    assert_eq!(
        names(&apps),
        [
            "api-prod",
            "api-staging",
            "billing",
            "edge-router-edge",
            "edge-router-in-cluster",
            "edge-router-prod-eu",
            "edge-router-staging",
            "go-guestbook-dev",
            "go-guestbook-prod",
            "go-monitoring-prod-eu",
            "go-regions-eu-west-1",
            "go-regions-legacy",
            "go-regions-us-east-1",
            "go-regions-us-west-2",
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

// ---- goTemplate: true (testdata/repos/appsets/go) ------------------------------------
// Expected values derived by hand from Go's text/template and sprig (numbers from
// elements are float64 and print like `%v`; `dig` takes the map last; `index` on a map)
// and semantics §5 (finalizer, forced namespace, mergo in the matrix, templatePatch).

#[test]
fn go_list_generator() {
    let apps = generate("go-guestbook");
    // `{{ .replicas }}` prints the float64 1 as `1`; `dig` falls back to its default
    // where the element has no `extra`; the pipeline upper|lower is the identity here.
    let app = |env: &str, replicas: &str, tier: &str| {
        json!({
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Application",
            "metadata": {
                "name": format!("go-guestbook-{env}"),
                "namespace": "argocd",
                "finalizers": [FINALIZER]
            },
            "spec": {
                "project": "default",
                "source": {
                    "repoURL": "https://github.com/acme/gitops.git",
                    "targetRevision": "main",
                    "path": "apps/guestbook",
                    "kustomize": {
                        "commonAnnotations": {"replicas": replicas, "tier": tier}
                    }
                },
                "destination": {
                    "server": "https://kubernetes.default.svc",
                    "namespace": format!("guestbook-{env}")
                }
            }
        })
    };
    assert_eq!(
        apps,
        [app("dev", "1", "standard"), app("prod", "3", "gold")]
    );
}

#[test]
fn go_cluster_generator_yaml_is_exact() {
    // The selector env=prod keeps the Prod_EU Secret of the argocd namespace only (the
    // one in `tools` is not read; the configured `edge` cluster is env=edge) and no
    // in-cluster default. `nameNormalized` is SanitizeName("Prod_EU"); the annotation
    // comes from `index` on the Secret's annotations.
    let want = format!(
        "apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: go-monitoring-prod-eu
  namespace: argocd
  annotations:
    team: payments
  finalizers:
  - {FINALIZER}
spec:
  project: default
  source:
    repoURL: https://github.com/acme/gitops.git
    targetRevision: HEAD
    path: platform/monitoring
  destination:
    server: https://prod-eu.example.com
    namespace: monitoring
"
    );
    kg().args(["appset", "generate", REPO, "--appset", "go-platform"])
        .assert()
        .code(0)
        .stdout(want)
        .stderr("");
}

#[test]
fn go_matrix_of_git_files_and_list_with_template_patch() {
    let apps = generate("go-regions");
    // `config/*/config.json` with greedy globbing: legacy, prod/eu and staging (two
    // objects); sorted by name. The list child is interpolated with the file's params
    // (`tier` = owner.team); `index .path.segments 1` is the second path segment; the
    // patch adds the joined segments; the finalizer is added before the patch.
    assert_eq!(
        names(&apps),
        [
            "go-regions-eu-west-1",
            "go-regions-legacy",
            "go-regions-us-east-1",
            "go-regions-us-west-2"
        ]
    );
    let want = [
        ("payments", "prod", "config,prod,eu"),
        ("nobody", "legacy", "config,legacy"),
        ("web", "staging", "config,staging"),
        ("web", "staging", "config,staging"),
    ];
    for (app, (team, ns, segments)) in apps.iter().zip(want) {
        assert_eq!(
            field(app, "/metadata"),
            &json!({
                "name": field(app, "/metadata/name"),
                "namespace": "argocd",
                "labels": {"team": team},
                "annotations": {"segments": segments},
                "finalizers": [FINALIZER]
            })
        );
        assert_eq!(
            field(app, "/spec"),
            &json!({
                "project": "default",
                "source": {
                    "repoURL": "https://github.com/acme/gitops.git",
                    "targetRevision": "HEAD",
                    "path": "platform/ingress"
                },
                "destination": {
                    "server": "https://kubernetes.default.svc",
                    "namespace": ns
                }
            })
        );
    }
}

/// A goTemplate set over the `apps/*` directories of the example repository whose
/// name is `name_template`, with `options`.
fn go_set(name_template: &str, options: &str) -> String {
    format!(
        "apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: typo
  namespace: team
spec:
  goTemplate: true
  goTemplateOptions: {options}
  generators:
    - git:
        repoURL: https://github.com/acme/gitops.git
        revision: HEAD
        directories:
          - path: 'apps/*'
  template:
    metadata:
      name: '{name_template}'
    spec:
      project: default
      source: {{repoURL: https://github.com/acme/gitops.git, path: x, targetRevision: HEAD}}
      destination: {{server: https://kubernetes.default.svc, namespace: x}}
"
    )
}

/// `appset generate` on a repository holding `set` and one app directory: exit code,
/// stdout apps, stderr.
fn generate_one(set: &str) -> (Option<i32>, Vec<Value>, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    write(
        dir.path(),
        &[
            (".kubectl-gitops.yaml", CONFIG),
            ("set.yaml", set),
            (
                "apps/web/cm.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n",
            ),
        ],
    );
    let out = kg()
        .args(["appset", "generate", "-o", "json"])
        .arg(dir.path())
        .output()
        .expect("runs");
    let apps: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap_or_default();
    (
        out.status.code(),
        apps,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_missing_key_with_missingkey_error_fails_the_set_at_the_chain() {
    use kubectl_gitops::argo::appset::{self, Env, ErrorKind, GoEngine, GoTemplates, MemoryTree};
    let template = "{{.path.basenme}}";
    let text = go_set(template, "[\"missingkey=error\"]");
    // Go: `.basenme` is at byte 7 of the string; Argo CD wraps the error with the
    // template text (Render.Replace).
    let message = "failed to execute go template {{.path.basenme}}: template: :1:7: executing \"\" at <.path.basenme>: map has no entry for key \"basenme\"";
    let (code, apps, stderr) = generate_one(&text);
    assert_eq!(code, Some(1));
    assert!(apps.is_empty());
    assert_eq!(
        stderr,
        format!(
            "error: ApplicationSet team/typo generates no Applications: {message} (at /spec/template/metadata/name)\n"
        )
    );

    // The same set through the library: the range is the chain inside the string.
    let set = yaml_json(&text);
    let tree = MemoryTree::new(&[("apps/web/cm.yaml", "")]);
    let this_repo = |u: &str| u.starts_with("https://github.com/acme/gitops");
    let go = GoEngine::new();
    let env = Env {
        tree: &tree,
        is_this_repo: &this_repo,
        clusters: &[],
        go: &go,
    };
    let e = appset::expand(&set, "team", &env);
    assert!(e.apps.is_empty());
    let err = e.error.unwrap_or_else(|| panic!("no error"));
    assert_eq!(err.kind, ErrorKind::Template);
    assert_eq!(err.pointer, "/spec/template/metadata/name");
    assert_eq!(err.message, message);
    let range = err.range.unwrap_or(0..0);
    assert_eq!(range, 2..15);
    assert_eq!(&template[range.clone()], ".path.basenme");
    // param_refs names the same chain with the same range.
    let refs = go.param_refs(template);
    assert_eq!(refs.len(), 1);
    assert_eq!(refs[0].name, "path.basenme");
    assert_eq!(refs[0].range, range);
}

/// The JSON of the one YAML document of `text`, through the crate's own loader.
fn yaml_json(text: &str) -> Value {
    let parsed = kubectl_gitops::load::yaml::parse(text);
    assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
    parsed
        .documents
        .first()
        .map_or(Value::Null, |d| d.root.to_json())
}

#[test]
fn without_missingkey_error_a_missing_key_prints_no_value() {
    // Go's default: `<no value>`; the set generates (an invalid name, which Argo CD's
    // validation rejects later, not the expansion).
    let (code, apps, stderr) = generate_one(&go_set("{{.path.basenme}}", "[]"));
    assert_eq!((code, stderr.as_str()), (Some(0), ""));
    assert_eq!(names(&apps), ["<no value>"]);
    assert_eq!(field(&apps[0], "/metadata/finalizers"), &json!([FINALIZER]));
}

#[test]
fn go_parse_errors_use_argo_cds_wording() {
    // fasttemplate syntax in a goTemplate set: `name` is parsed as a function (§5.3).
    let (code, apps, stderr) = generate_one(&go_set("{{name}}", "[]"));
    assert_eq!(code, Some(1));
    assert!(apps.is_empty());
    assert_eq!(
        stderr,
        "error: ApplicationSet team/typo generates no Applications: failed to parse template {{name}}: template: :1: function \"name\" not defined (at /spec/template/metadata/name)\n"
    );
}

#[test]
fn an_unknown_go_template_option_panics() {
    // Go's Template.Option panics on `missingKey` (the key is case-sensitive); nothing
    // is generated and the panic is not wrapped.
    let (code, apps, stderr) = generate_one(&go_set(
        "{{.path.basename}}",
        "[\"missingkey=error\", \"missingKey=zero\"]",
    ));
    assert_eq!(code, Some(1));
    assert!(apps.is_empty());
    assert_eq!(
        stderr,
        "error: ApplicationSet team/typo generates no Applications: panic: unrecognized option: missingKey=zero (at /spec/goTemplateOptions/1)\n"
    );
}

#[test]
fn unpredictable_go_functions_are_noted_not_failed() {
    // `now` depends on the clock: Argo CD renders it; this tool cannot say what to.
    let (code, apps, stderr) = generate_one(&go_set(
        "{{.path.basename}}-{{ now | date \"2006\" }}",
        "[]",
    ));
    assert_eq!(code, Some(0));
    assert!(apps.is_empty());
    assert!(
        stderr.starts_with(
            "note: ApplicationSet team/typo was not expanded: the Go template calls a function this offline expansion cannot evaluate (now: "
        ) && stderr.ends_with(" (at /spec/template/metadata/name)\n"),
        "{stderr}"
    );
}
