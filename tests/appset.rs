//! End-to-end tests of `kubectl-gitops appset generate` on `testdata/repos/appsets` and on
//! repositories written to temporary directories. Every expected value is derived by
//! hand from Argo CD's ApplicationSet semantics (semantics §5): names, sources,
//! destinations, the resources finalizer, the forced namespace, the order (product.md
//! §4.1: sorted by namespace and name).

mod common;

use assert_cmd::Command;

/// The binary with a neutral environment (`common::kg`), with assert_cmd's assertions.
fn kg() -> Command {
    Command::from_std(common::kg())
}
use serde_json::{Value, json};

const REPO: &str = "testdata/repos/appsets";
const FINALIZER: &str = "resources-finalizer.argocd.argoproj.io";

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
fn go_template_missing_key_is_set003_at_the_parameter() {
    // The goTemplate sets of SET003's fixture: with missingkey=error the typo fails the
    // set; without it, it renders as <no value>.
    let dir = "testdata/rules/SET003-unresolved-template-parameter/invalid";
    let report = lint_json(std::path::Path::new(dir), &["--ignore", "GO005"]);
    let found: Vec<(&str, &str, u64, u64, u64)> = diagnostics(&report)
        .iter()
        .filter(|d| {
            d["file"]
                .as_str()
                .is_some_and(|f| f.starts_with("appsets/"))
        })
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
    // `.path.basenme` inside `'team-{{.path.basenme}}'` (columns 24..37) and inside
    // `'strict-{{.path.basenme}}'` (columns 23..36); `.nope` in the value of the label
    // `git` (columns 19..24), not its key.
    assert_eq!(
        found,
        [
            ("SET003", "appsets/labelled.yaml", 21, 19, 24),
            ("SET009", "appsets/lenient.yaml", 8, 15, 19),
            ("SET003", "appsets/lenient.yaml", 21, 24, 37),
            ("SET003", "appsets/strict.yaml", 20, 23, 36),
        ]
    );
    let strict = diagnostics(&report)
        .into_iter()
        .find(|d| d["file"] == "appsets/strict.yaml")
        .map(|d| d["message"].as_str().unwrap_or("").to_owned())
        .unwrap_or_default();
    assert_eq!(
        strict,
        "template parameter 'path.basenme' does not resolve, and with missingkey=error Argo CD fails ApplicationSet 'strict' (\"map has no entry for key \"basenme\"\") and generates nothing"
    );
}

#[test]
fn ignore_differences_findings_on_generated_applications_name_them() {
    let dir = tempfile::tempdir().expect("temp dir");
    let set = payments_set("        repoURL: https://github.com/acme/payments.git", "").replace(
        "      destination:",
        "      ignoreDifferences:
        - kind: ConfigMap
          jqPathExpressions:
            - '.data | select(.greeting == \"x\"'
      destination:",
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
    let report = lint_json(dir.path(), &["--select", "IGN002"]);
    let found = diagnostics(&report);
    // One finding for the template's expression, naming both generated Applications.
    assert_eq!(found.len(), 1, "{report}");
    let d = found[0];
    assert_eq!(d["code"], "IGN002");
    assert_eq!(d["file"], "appsets/guestbook.yaml");
    assert_eq!(d["line"], 26);
    // The unclosed `(` of `select(`.
    assert_eq!(d["column"], 30);
    assert_eq!(d["object"]["kind"], "Application");
    let message = d["message"].as_str().unwrap_or("");
    assert!(
        message.ends_with(
            "(2 Applications generated by ApplicationSet 'guestbook': 'guestbook-dev' from list element {env: dev}; 'guestbook-prod' from list element {env: prod})"
        ),
        "{message}"
    );
}
