//! Rendering with the real tools (issue 4): `kubectl kustomize` on the fixtures under
//! `testdata/render/kz` (skipped, with a message, when kubectl is not installed), `helm`
//! through a fake executable that records its arguments (and the real helm too when it is
//! installed), deadlines, and the render cache.

use kubectl_gitops::config::RenderMode;
use kubectl_gitops::load::yaml;
use kubectl_gitops::render::{
    CacheStats, CachedRenderer, RenderError, RenderRequest, Renderer, SourceType, ToolPaths,
    ToolRenderer,
};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const KZ: &str = "testdata/render/kz";
const HELM: &str = "testdata/render/helm";

fn abs(rel: &str) -> PathBuf {
    std::fs::canonicalize(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).expect("fixture exists")
}

fn request(kind: SourceType, root: &Path, path: &str, source: Value) -> RenderRequest {
    let mut source = source;
    source["repoURL"] = json!("https://git.example.com/gitops.git");
    source["path"] = json!(path);
    RenderRequest {
        kind,
        repo_root: root.to_path_buf(),
        source_dir: root.join(path),
        source,
        app_name: "guestbook".into(),
        project: String::new(),
        app_namespace: "argocd".into(),
        dest_namespace: "prod".into(),
        refs: BTreeMap::new(),
        timeout: Duration::from_secs(60),
    }
}

/// The documents of a rendered stream, as JSON.
fn docs(yaml_text: &str) -> Vec<Value> {
    let parsed = yaml::parse(yaml_text);
    assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
    parsed.documents.iter().map(|d| d.root.to_json()).collect()
}

fn find<'a>(docs: &'a [Value], kind: &str) -> &'a Value {
    docs.iter()
        .find(|d| d["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} in {docs:#?}"))
}

/// Path → content of every file under `dir`, to prove a render changed nothing.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).expect("test fixture I/O") {
            let e = e.expect("test fixture I/O");
            let t = e.file_type().expect("test fixture I/O");
            if t.is_dir() {
                todo.push(e.path());
            } else {
                out.insert(e.path(), std::fs::read(e.path()).expect("test fixture I/O"));
            }
        }
    }
    out
}

fn kubectl() -> Option<ToolRenderer> {
    let paths = ToolPaths::from_path();
    if paths.kubectl.is_none() && paths.kustomize.is_none() {
        eprintln!("skipping: neither kubectl nor kustomize is on PATH");
        return None;
    }
    Some(ToolRenderer::with_paths(
        ToolPaths {
            helm: None,
            ..paths
        },
        RenderMode::Auto,
        RenderMode::Never,
    ))
}

#[test]
fn kustomize_without_options_builds_the_directory_in_place() {
    let Some(r) = kubectl() else { return };
    let root = abs(KZ);
    let before = snapshot(&root);
    let out = r
        .render(&request(
            SourceType::Kustomize,
            &root,
            "overlays/prod",
            json!({}),
        ))
        .unwrap();
    let docs = docs(&out.yaml);
    let deploy = find(&docs, "Deployment");
    assert_eq!(deploy["metadata"]["name"], "overlay-web");
    assert_eq!(deploy["metadata"]["namespace"], "overlay-ns");
    assert_eq!(
        deploy["spec"]["template"]["spec"]["containers"][0]["image"],
        "nginx:1.26"
    );
    assert_eq!(
        find(&docs, "ClusterRole")["metadata"]["name"],
        "overlay-web-reader"
    );
    assert_eq!(snapshot(&root), before);
}

#[test]
fn kustomize_options_are_applied_as_argo_cd_applies_them() {
    let Some(r) = kubectl() else { return };
    let root = abs(KZ);
    let before = snapshot(&root);
    let source = json!({"kustomize": {
        "namePrefix": "app-",
        "namespace": "team-a",
        "images": ["nginx=registry.example.com/nginx:1.27"],
        "commonLabels": {"team": "${ARGOCD_APP_NAME}"},
        "commonAnnotations": {"owner": "${ARGOCD_APP_NAME}"},
        "replicas": [{"name": "web", "count": "3"}],
        "patches": [
            {"target": {"kind": "Deployment", "name": "web"},
             "patch": "- op: add\n  path: /metadata/annotations/patched\n  value: \"yes\"\n"},
            {"path": "replicas-patch.yaml"}
        ],
        "components": ["../../components/monitoring"],
    }});
    let out = r
        .render(&request(
            SourceType::Kustomize,
            &root,
            "overlays/prod",
            source,
        ))
        .unwrap();
    let docs = docs(&out.yaml);
    // `kustomize edit` replaces the overlay's own namePrefix, namespace and image entry;
    // an overlay on top of it would have given `app-overlay-web` in `overlay-ns`.
    assert_eq!(
        find(&docs, "Deployment"),
        &json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {
                "annotations": {"owner": "${ARGOCD_APP_NAME}", "patched": "yes"},
                "labels": {"app": "web", "env": "prod", "team": "guestbook"},
                "name": "app-web",
                "namespace": "team-a"
            },
            "spec": {
                "replicas": 3,
                "selector": {"matchLabels": {"app": "web", "env": "prod", "team": "guestbook"}},
                "template": {
                    "metadata": {
                        "annotations": {"owner": "${ARGOCD_APP_NAME}"},
                        "labels": {"app": "web", "env": "prod", "team": "guestbook"}
                    },
                    "spec": {"containers": [{
                        "image": "registry.example.com/nginx:1.27",
                        "name": "web",
                        "resources": {"limits": {"memory": "256Mi"}}
                    }]}
                }
            }
        })
    );
    let cm = find(&docs, "ConfigMap");
    assert_eq!(cm["metadata"]["name"], "app-monitoring");
    assert_eq!(cm["metadata"]["namespace"], "team-a");
    let role = find(&docs, "ClusterRole");
    assert_eq!(role["metadata"]["name"], "app-web-reader");
    assert!(role["metadata"].get("namespace").is_none());
    assert_eq!(docs.len(), 4);
    assert_eq!(snapshot(&root), before, "the user's files must not change");
}

#[test]
fn kustomize_annotation_substitution_and_label_options() {
    let Some(r) = kubectl() else { return };
    let root = abs(KZ);
    let before = snapshot(&root);
    let source = json!({"kustomize": {
        "commonAnnotations": {"owner": "${ARGOCD_APP_NAME}-${ARGOCD_APP_NAMESPACE}"},
        "commonAnnotationsEnvsubst": true,
        "commonLabels": {"tier": "frontend"},
        "labelWithoutSelector": true,
    }});
    let out = r
        .render(&request(SourceType::Kustomize, &root, "base", source))
        .unwrap();
    let docs = docs(&out.yaml);
    let deploy = find(&docs, "Deployment");
    assert_eq!(deploy["metadata"]["annotations"]["owner"], "guestbook-prod");
    assert_eq!(
        deploy["metadata"]["labels"],
        json!({"app": "web", "tier": "frontend"})
    );
    assert_eq!(
        deploy["spec"]["selector"]["matchLabels"],
        json!({"app": "web"})
    );
    assert_eq!(
        deploy["spec"]["template"]["metadata"]["labels"],
        json!({"app": "web"})
    );
    assert_eq!(snapshot(&root), before);
}

#[test]
fn kustomize_edit_refusals_are_failures() {
    let Some(r) = kubectl() else { return };
    let root = abs(KZ);
    let conflict = json!({"kustomize": {"commonLabels": {"env": "staging"}}});
    let err = r
        .render(&request(
            SourceType::Kustomize,
            &root,
            "overlays/prod",
            conflict,
        ))
        .unwrap_err();
    assert_eq!(
        err,
        RenderError::Failed {
            tool: "kustomize edit".into(),
            message: "label env already in kustomization file".into()
        }
    );
    let forced =
        json!({"kustomize": {"commonLabels": {"env": "staging"}, "forceCommonLabels": true}});
    let out = r
        .render(&request(
            SourceType::Kustomize,
            &root,
            "overlays/prod",
            forced,
        ))
        .unwrap();
    assert_eq!(
        find(&docs(&out.yaml), "Service")["metadata"]["labels"]["env"],
        "staging"
    );
    let bad_count = json!({"kustomize": {"replicas": [{"name": "web", "count": "many"}]}});
    let err = r
        .render(&request(
            SourceType::Kustomize,
            &root,
            "overlays/prod",
            bad_count,
        ))
        .unwrap_err();
    assert_eq!(
        err,
        RenderError::Invalid {
            message: "expected integer value for count. Received: many".into()
        }
    );
}

#[test]
fn failing_kustomization_reports_kustomizes_own_message() {
    let Some(r) = kubectl() else { return };
    let root = abs(KZ);
    let err = r
        .render(&request(SourceType::Kustomize, &root, "broken", json!({})))
        .unwrap_err();
    let RenderError::Failed { tool, message } = &err else {
        panic!("{err:?}");
    };
    assert!(tool == "kubectl kustomize" || tool == "kustomize", "{tool}");
    assert!(message.contains("accumulating resources"), "{message}");
    assert!(message.contains("'missing.yaml'"), "{message}");
    assert!(message.contains("broken/missing.yaml"), "{message}");
    assert!(
        !message.contains(&root.display().to_string()),
        "paths are repository-relative: {message}"
    );
    assert!(
        !message.contains("run.go"),
        "klog framing removed: {message}"
    );
    // The same error through a private mirror (options present) names the same paths.
    let err = r
        .render(&request(
            SourceType::Kustomize,
            &root,
            "broken",
            json!({"kustomize": {"namePrefix": "x-"}}),
        ))
        .unwrap_err();
    let RenderError::Failed { message, .. } = &err else {
        panic!("{err:?}");
    };
    assert!(message.contains("broken/missing.yaml"), "{message}");
    assert!(!message.contains("kubectl-gitops-render-"), "{message}");
}

#[test]
fn remote_bases_need_the_network() {
    let Some(r) = kubectl() else { return };
    let root = abs(KZ);
    let started = Instant::now();
    let err = r
        .render(&request(SourceType::Kustomize, &root, "remote", json!({})))
        .unwrap_err();
    assert!(
        matches!(&err, RenderError::NeedsNetwork { reason, .. }
            if reason.contains("https://github.com/example/gitops-bases//web?ref=v1.0.0")),
        "{err:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "offline renders fail fast"
    );
}

#[test]
fn missing_source_directory_is_invalid() {
    let r = ToolRenderer::with_paths(ToolPaths::default(), RenderMode::Auto, RenderMode::Auto);
    let root = abs(KZ);
    let err = r
        .render(&request(SourceType::Kustomize, &root, "nowhere", json!({})))
        .unwrap_err();
    assert_eq!(
        err,
        RenderError::Invalid {
            message: "nowhere: app path does not exist".into()
        }
    );
    let err = r
        .render(&request(SourceType::Kustomize, &root, "base", json!({})))
        .unwrap_err();
    assert_eq!(err, RenderError::ToolMissing { tool: "kustomize" });
    let off = ToolRenderer::with_paths(ToolPaths::default(), RenderMode::Never, RenderMode::Never);
    assert_eq!(
        off.render(&request(SourceType::Kustomize, &root, "base", json!({})))
            .unwrap_err(),
        RenderError::Disabled { tool: "kustomize" }
    );
}

// ---------------------------------------------------------------------------------------
// Helm

/// A fake `helm` in a temporary directory: records its arguments (one per line), its
/// working directory, the content of every `--values` file and how often it ran, then runs
/// `behaviour` (default: print a ConfigMap).
struct FakeHelm {
    dir: tempfile::TempDir,
}

impl FakeHelm {
    fn new(behaviour: &str) -> FakeHelm {
        let dir = tempfile::tempdir().expect("test fixture I/O");
        let rec = dir.path().display().to_string();
        let script = format!(
            r#"#!/bin/sh
rec='{rec}'
n=$(cat "$rec/count" 2>/dev/null || echo 0)
echo $((n+1)) > "$rec/count"
: > "$rec/args"
for a in "$@"; do printf '%s
' "$a" >> "$rec/args"; done
pwd > "$rec/cwd"
: > "$rec/values"
prev=
for a in "$@"; do
  if [ "$prev" = "--values" ]; then printf '== %s
' "$a" >> "$rec/values"; cat "$a" >> "$rec/values"; printf '
' >> "$rec/values"; fi
  prev=$a
done
{behaviour}
"#
        );
        let program = dir.path().join("helm");
        std::fs::write(&program, script).expect("test fixture I/O");
        make_executable(&program);
        FakeHelm { dir }
    }

    fn ok() -> FakeHelm {
        FakeHelm::new(
            "printf 'apiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: from-fake-helm\\n'",
        )
    }

    fn program(&self) -> PathBuf {
        self.dir.path().join("helm")
    }

    fn renderer(&self) -> ToolRenderer {
        ToolRenderer::with_paths(
            ToolPaths {
                helm: Some(self.program()),
                ..ToolPaths::default()
            },
            RenderMode::Never,
            RenderMode::Auto,
        )
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default()
    }

    fn count(&self) -> usize {
        self.read("count").trim().parse().unwrap_or(0)
    }

    /// The recorded arguments with the fixture roots and the temporary values file
    /// replaced by placeholders.
    fn args(&self) -> Vec<String> {
        self.read("args").lines().map(placeholders).collect()
    }
}

fn placeholders(s: &str) -> String {
    let repo = format!("{}/", abs(&format!("{HELM}/repo")).display());
    let cfg = format!("{}/", abs(&format!("{HELM}/config-repo")).display());
    let mut out = s.replace(&repo, "<repo>/").replace(&cfg, "<cfg>/");
    if out.contains("kubectl-gitops-helm-") && out.ends_with("/values.yaml") {
        out = "<tmp>/values.yaml".into();
    }
    out
}

#[cfg(unix)]
fn make_executable(p: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).expect("test fixture I/O");
}

#[cfg(not(unix))]
fn make_executable(_: &Path) {}

fn helm_request(helm: Value) -> RenderRequest {
    let root = abs(&format!("{HELM}/repo"));
    let mut req = request(SourceType::Helm, &root, "charts/web", json!({"helm": helm}));
    req.refs
        .insert("config".into(), abs(&format!("{HELM}/config-repo")));
    req
}

fn announce_fake() {
    match ToolPaths::from_path().helm {
        Some(p) => eprintln!(
            "helm tests: using fake helm (argument checks); real helm at {} is also run",
            p.display()
        ),
        None => eprintln!("helm tests: using fake helm (no helm on PATH)"),
    }
}

#[cfg(unix)]
#[test]
fn helm_defaults() {
    announce_fake();
    let fake = FakeHelm::ok();
    let before = snapshot(&abs(HELM));
    let out = fake.renderer().render(&helm_request(Value::Null)).unwrap();
    assert_eq!(out.tool, "helm");
    assert_eq!(
        find(&docs(&out.yaml), "ConfigMap")["metadata"]["name"],
        "from-fake-helm"
    );
    assert_eq!(
        fake.args(),
        [
            "template",
            ".",
            "--name-template",
            "guestbook",
            "--namespace",
            "prod",
            "--include-crds"
        ]
    );
    assert_eq!(
        fake.read("cwd").trim(),
        abs(&format!("{HELM}/repo/charts/web"))
            .display()
            .to_string()
    );
    assert_eq!(snapshot(&abs(HELM)), before);
}

#[cfg(unix)]
#[test]
fn helm_value_files_resolve_in_order() {
    announce_fake();
    let fake = FakeHelm::ok();
    let helm = json!({
        "valueFiles": [
            "values-prod.yaml",
            "/shared/common.yaml",
            "$config/teams/a.yaml",
            "env/*.yaml",
            "env/a.yaml",
            "missing.yaml"
        ],
        "ignoreMissingValueFiles": true,
    });
    fake.renderer().render(&helm_request(helm)).unwrap();
    assert_eq!(
        fake.args(),
        [
            "template",
            ".",
            "--name-template",
            "guestbook",
            "--namespace",
            "prod",
            "--values",
            "<repo>/charts/web/values-prod.yaml",
            "--values",
            "<repo>/shared/common.yaml",
            "--values",
            "<cfg>/teams/a.yaml",
            "--values",
            "<repo>/charts/web/env/b.yaml",
            "--values",
            "<repo>/charts/web/env/a.yaml",
            "--include-crds",
        ]
    );
    // Without ignoreMissingValueFiles the missing file is an error, and helm never runs.
    let fake = FakeHelm::ok();
    let err = fake
        .renderer()
        .render(&helm_request(
            json!({"valueFiles": ["values-prod.yaml", "missing.yaml"]}),
        ))
        .unwrap_err();
    assert_eq!(
        err,
        RenderError::Invalid {
            message: "values file 'missing.yaml' does not exist".into()
        }
    );
    assert_eq!(fake.count(), 0);
    let err = fake
        .renderer()
        .render(&helm_request(
            json!({"valueFiles": ["../../../../kz/base/deployment.yaml"]}),
        ))
        .unwrap_err();
    assert!(
        matches!(&err, RenderError::Invalid { message } if message.contains("resolved to outside repository root")),
        "{err:?}"
    );
}

#[cfg(unix)]
#[test]
fn helm_values_and_values_object_go_last() {
    let fake = FakeHelm::ok();
    fake.renderer()
        .render(&helm_request(
            json!({"valueFiles": ["values-prod.yaml"], "values": "replicas: 5
"}),
        ))
        .unwrap();
    let args = fake.args();
    assert_eq!(
        args[args.len() - 5..],
        [
            "--values",
            "<repo>/charts/web/values-prod.yaml",
            "--values",
            "<tmp>/values.yaml",
            "--include-crds"
        ]
    );
    assert!(
        fake.read("values").contains(
            "replicas: 5
"
        ),
        "{}",
        fake.read("values")
    );
    // valuesObject replaces values.
    let fake = FakeHelm::ok();
    fake.renderer()
        .render(&helm_request(json!({"values": "replicas: 5
", "valuesObject": {"replicas": 7, "tier": "obj"}})))
        .unwrap();
    let values = fake.read("values");
    assert!(
        values.contains("\"replicas\": 7") && !values.contains("replicas: 5"),
        "{values}"
    );
    // The temporary file is gone after the render.
    let tmp = fake
        .read("values")
        .lines()
        .next()
        .unwrap()
        .trim_start_matches("== ")
        .to_owned();
    assert!(!Path::new(&tmp).exists(), "{tmp}");
}

#[cfg(unix)]
#[test]
fn helm_parameters_file_parameters_and_flags() {
    let fake = FakeHelm::ok();
    let helm = json!({
        "releaseName": "web-prod",
        "namespace": "web-ns",
        "kubeVersion": "1.29",
        "apiVersions": ["monitoring.coreos.com/v1", "batch/v1"],
        "parameters": [
            {"name": "hosts", "value": "a.example.com,b.example.com"},
            {"name": "list", "value": "{x,y}"},
            {"name": "escaped", "value": "a\\,b"},
            {"name": "tag", "value": "${ARGOCD_APP_NAME}-1", "forceString": true},
            {"name": "port", "value": "8080", "forceString": true}
        ],
        "fileParameters": [{"name": "config", "path": "files/config.txt"}],
        "skipCrds": true,
        "skipSchemaValidation": true,
        "skipTests": true,
    });
    fake.renderer().render(&helm_request(helm)).unwrap();
    assert_eq!(
        fake.args(),
        [
            "template",
            ".",
            "--name-template",
            "web-prod",
            "--namespace",
            "web-ns",
            "--kube-version",
            "1.29",
            "--set",
            "escaped=a\\,b",
            "--set",
            "hosts=a.example.com\\,b.example.com",
            "--set",
            "list={x,y}",
            "--set-string",
            "port=8080",
            "--set-string",
            "tag=guestbook-1",
            "--set-file",
            "config=<repo>/charts/web/files/config.txt",
            "--api-versions",
            "monitoring.coreos.com/v1",
            "--api-versions",
            "batch/v1",
            "--skip-schema-validation",
            "--skip-tests",
        ]
    );
}

#[cfg(unix)]
#[test]
fn helm_failures_and_missing_dependencies() {
    let failing = FakeHelm::new(
        "echo 'Error: template: web/templates/configmap.yaml:5:3: executing \"x\" at <.Values.x>: nil pointer' >&2; exit 1",
    );
    let err = failing
        .renderer()
        .render(&helm_request(Value::Null))
        .unwrap_err();
    assert_eq!(
        err,
        RenderError::Failed {
            tool: "helm".into(),
            message: "template: web/templates/configmap.yaml:5:3: executing \"x\" at <.Values.x>: nil pointer".into()
        }
    );
    let deps = FakeHelm::new(
        "echo 'Error: An error occurred while checking for chart dependencies. You may need to run `helm dependency build` to fetch missing dependencies: found in Chart.yaml, but missing in charts/ directory: redis' >&2; exit 1",
    );
    let err = deps
        .renderer()
        .render(&helm_request(Value::Null))
        .unwrap_err();
    assert!(
        matches!(&err, RenderError::NeedsNetwork { tool, reason } if tool == "helm" && reason.contains("redis")),
        "{err:?}"
    );
}

#[test]
fn helm_missing_or_switched_off() {
    let none = ToolRenderer::with_paths(ToolPaths::default(), RenderMode::Auto, RenderMode::Auto);
    assert_eq!(
        none.render(&helm_request(Value::Null)).unwrap_err(),
        RenderError::ToolMissing { tool: "helm" }
    );
    // Argo CD's own checks still apply when helm is not installed.
    assert_eq!(
        none.render(&helm_request(json!({"valueFiles": ["nope.yaml"]})))
            .unwrap_err(),
        RenderError::Invalid {
            message: "values file 'nope.yaml' does not exist".into()
        }
    );
    let off = ToolRenderer::with_paths(
        ToolPaths {
            helm: Some("/bin/true".into()),
            ..ToolPaths::default()
        },
        RenderMode::Auto,
        RenderMode::Never,
    );
    assert_eq!(
        off.render(&helm_request(Value::Null)).unwrap_err(),
        RenderError::Disabled { tool: "helm" }
    );
}

#[test]
fn real_helm_when_installed() {
    let Some(helm) = ToolPaths::from_path().helm else {
        eprintln!("helm tests: no real helm on PATH, only the fake helm ran");
        return;
    };
    eprintln!("helm tests: using real helm at {}", helm.display());
    let r = ToolRenderer::new(RenderMode::Never, RenderMode::Auto);
    let helm_opts = json!({
        "valueFiles": ["values-prod.yaml", "/shared/common.yaml", "$config/teams/a.yaml"],
        "parameters": [{"name": "replicas", "value": "9", "forceString": true}],
    });
    let out = r.render(&helm_request(helm_opts)).unwrap();
    let docs = docs(&out.yaml);
    let cm = find(&docs, "ConfigMap");
    assert_eq!(cm["metadata"]["name"], "guestbook-config");
    assert_eq!(cm["metadata"]["namespace"], "prod");
    assert_eq!(
        cm["data"],
        json!({"replicas": "9", "tier": "team-a", "greeting": "hi from shared"})
    );
}

// ---------------------------------------------------------------------------------------
// Deadlines and the cache

#[cfg(target_os = "linux")]
#[test]
fn a_tool_past_its_deadline_is_killed() {
    let fake = FakeHelm::new("echo $$ > \"$rec/pid\"; exec sleep 30");
    let mut req = helm_request(Value::Null);
    req.timeout = Duration::from_millis(300);
    let started = Instant::now();
    let err = fake.renderer().render(&req).unwrap_err();
    assert_eq!(
        err,
        RenderError::TimedOut {
            tool: "helm".into(),
            after: Duration::from_millis(300)
        }
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    let pid = fake.read("pid").trim().to_owned();
    assert!(!pid.is_empty());
    assert!(
        !Path::new(&format!("/proc/{pid}")).exists(),
        "process {pid} was killed and reaped"
    );
    // The same for kustomize.
    let kz = ToolRenderer::with_paths(
        ToolPaths {
            kustomize: Some(fake.program()),
            ..ToolPaths::default()
        },
        RenderMode::Auto,
        RenderMode::Never,
    );
    let mut req = request(SourceType::Kustomize, &abs(KZ), "base", json!({}));
    req.timeout = Duration::from_millis(200);
    assert!(matches!(
        kz.render(&req).unwrap_err(),
        RenderError::TimedOut { .. }
    ));
}

#[cfg(unix)]
#[test]
fn output_beyond_the_cap_stops_the_tool() {
    let fake =
        FakeHelm::new("while :; do echo 'data: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'; done");
    let r = fake.renderer().output_cap(200_000);
    let err = r.render(&helm_request(Value::Null)).unwrap_err();
    assert!(
        matches!(&err, RenderError::Failed { message, .. } if message.contains("size limit")),
        "{err:?}"
    );
}

#[cfg(unix)]
#[test]
fn the_cache_renders_each_source_once() {
    let fake = FakeHelm::ok();
    let cache = CachedRenderer::new(fake.renderer());
    let a = helm_request(json!({"valueFiles": ["values-prod.yaml"]}));
    let first = cache.render(&a).unwrap();
    let second = cache.render(&a).unwrap();
    assert_eq!(first, second);
    assert_eq!(fake.count(), 1);
    assert_eq!(cache.stats(), CacheStats { hits: 1, misses: 1 });
    cache
        .render(&helm_request(
            json!({"valueFiles": ["values-prod.yaml"], "releaseName": "other"}),
        ))
        .unwrap();
    assert_eq!(fake.count(), 2);
    // Concurrent identical requests run the tool once.
    let b = helm_request(json!({"skipTests": true}));
    std::thread::scope(|s| {
        for _ in 0..6 {
            s.spawn(|| cache.render(&b).unwrap());
        }
    });
    assert_eq!(fake.count(), 3);
    assert_eq!(cache.stats(), CacheStats { hits: 6, misses: 3 });
}

#[test]
fn the_private_mirror_renders_exactly_like_the_original() {
    let Some(r) = kubectl() else { return };
    let root = abs(KZ);
    let plain = r
        .render(&request(
            SourceType::Kustomize,
            &root,
            "overlays/prod",
            json!({}),
        ))
        .unwrap();
    // Setting the namespace the overlay already sets goes through the mirror and must not
    // change a byte.
    let mirrored = r
        .render(&request(
            SourceType::Kustomize,
            &root,
            "overlays/prod",
            json!({"kustomize": {"namespace": "overlay-ns"}}),
        ))
        .unwrap();
    assert_eq!(plain.yaml, mirrored.yaml);
}

#[test]
fn the_load_restrictor_applies_with_and_without_options() {
    let Some(r) = kubectl() else { return };
    let root = abs(KZ);
    for source in [json!({}), json!({"kustomize": {"namePrefix": "x-"}})] {
        let err = r
            .render(&request(
                SourceType::Kustomize,
                &root,
                "restricted",
                source.clone(),
            ))
            .unwrap_err();
        assert!(
            matches!(&err, RenderError::Failed { message, .. }
                if message.contains("security; file 'base/service.yaml' is not in or below 'restricted'")),
            "{source}: {err:?}"
        );
    }
}

#[cfg(unix)]
#[test]
fn a_symlinked_source_resolves_references_from_its_real_directory() {
    let Some(r) = kubectl() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let write = |rel: &str, text: &str| {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    };
    write("shared/web/kustomization.yaml", "resources: [../base]\n");
    write("shared/base/kustomization.yaml", "resources: [cm.yaml]\n");
    write(
        "shared/base/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: real\n",
    );
    write("base/kustomization.yaml", "resources: [cm.yaml]\n");
    write(
        "base/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: decoy\n",
    );
    std::fs::create_dir_all(root.join("apps")).expect("mkdir");
    std::os::unix::fs::symlink("../shared/web", root.join("apps/web")).expect("symlink");
    for source in [json!({}), json!({"kustomize": {"namePrefix": "p-"}})] {
        let out = r
            .render(&request(
                SourceType::Kustomize,
                &root,
                "apps/web",
                source.clone(),
            ))
            .unwrap();
        let name = find(&docs(&out.yaml), "ConfigMap")["metadata"]["name"].clone();
        assert!(name == "real" || name == "p-real", "{source}: {name}");
    }
}
