//! End-to-end tests of how the linter reads a repository as Argo CD does: this
//! repository's URLs from `--repo-url`, the configuration and real `git remote`s, in every
//! URL form; Applications' resources from their directories; the app-of-apps example.

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

const BIN: &str = env!("CARGO_BIN_EXE_kubectl-gitops");
const APP_OF_APPS: &str = "testdata/repos/app-of-apps";

fn kg() -> Command {
    let mut c = Command::new(BIN);
    for var in ["NO_COLOR", "CLICOLOR", "CLICOLOR_FORCE", "_"] {
        c.env_remove(var);
    }
    c
}

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(p, text).expect("write");
}

/// (file, line, code) of every diagnostic of `lint ARGS --format json`.
fn findings(dir: &Path, args: &[&str]) -> Vec<(String, u64, String)> {
    let out = kg()
        .current_dir(dir)
        .arg("lint")
        .args(args)
        .args(["--format", "json"])
        .output()
        .expect("runs");
    let v: Value = serde_json::from_slice(&out.stdout).expect("json report");
    v["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| {
            (
                d["file"].as_str().unwrap_or("").to_owned(),
                d["line"].as_u64().unwrap_or(0),
                d["code"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

fn codes(found: &[(String, u64, String)]) -> Vec<&str> {
    found.iter().map(|(_, _, c)| c.as_str()).collect()
}

/// An Application per URL form, each syncing a directory with a ClusterRole that its
/// project does not permit: PRJ004 fires exactly when the source resolves to this checkout.
fn url_forms_repo(dir: &Path, forms: &[&str]) {
    write(
        dir,
        "projects.yaml",
        "apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata:\n  name: team\n  namespace: argocd\nspec:\n  sourceRepos: [\"*\"]\n  destinations: [{server: \"*\", namespace: \"*\"}]\n",
    );
    for (i, url) in forms.iter().enumerate() {
        write(
            dir,
            &format!("apps/app{i}.yaml"),
            &format!(
                "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: app{i}\n  namespace: argocd\nspec:\n  project: team\n  source:\n    repoURL: {url}\n    path: manifests/app{i}\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: team\n"
            ),
        );
        write(
            dir,
            &format!("manifests/app{i}/role.yaml"),
            &format!(
                "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: app{i}\nrules: []\n"
            ),
        );
    }
}

const FORMS: &[&str] = &[
    "https://github.com/acme/gitops.git",
    "https://github.com/acme/gitops",
    "HTTPS://GitHub.com/ACME/GitOps.GIT",
    "git@github.com:acme/gitops.git",
    "ssh://git@github.com/acme/gitops",
    "https://github.com/acme/gitops/",
];

#[test]
fn every_url_form_of_this_repository_is_read_from_the_checkout() {
    let dir = tempfile::tempdir().expect("tempdir");
    url_forms_repo(dir.path(), FORMS);
    let found = findings(
        dir.path(),
        &[".", "--repo-url", "git@github.com:acme/gitops.git"],
    );
    for (i, form) in FORMS.iter().enumerate() {
        assert!(
            found
                .iter()
                .any(|(f, l, c)| f == &format!("manifests/app{i}/role.yaml")
                    && *l == 2
                    && c == "PRJ004"),
            "{form} not resolved: {found:?}"
        );
    }
    assert!(!codes(&found).contains(&"GO005"), "{found:?}");
}

#[test]
fn without_a_known_url_sources_are_external_and_reported_once_each() {
    let dir = tempfile::tempdir().expect("tempdir");
    url_forms_repo(dir.path(), FORMS);
    let found = findings(dir.path(), &["."]);
    assert!(!codes(&found).contains(&"PRJ004"), "{found:?}");
    let skipped: Vec<_> = found.iter().filter(|(_, _, c)| c == "GO005").collect();
    assert_eq!(skipped.len(), FORMS.len(), "{found:?}");
    // Another repository of the same host is not this one.
    let found = findings(
        dir.path(),
        &[".", "--repo-url", "https://github.com/acme/gitops-staging"],
    );
    assert!(!codes(&found).contains(&"PRJ004"), "{found:?}");
}

#[test]
fn git_remotes_and_the_config_name_the_repository() {
    let has_git = std::process::Command::new("git")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_git {
        eprintln!("skipped: git is not on PATH");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    url_forms_repo(dir.path(), &["https://github.com/Acme/GitOps"]);
    let git = |args: &[&str]| {
        let ok = std::process::Command::new("git")
            .current_dir(dir.path())
            .args(args)
            .output()
            .expect("git runs")
            .status
            .success();
        assert!(ok, "git {args:?}");
    };
    git(&["init", "-q"]);
    // An scp-style remote names the https source's repository.
    git(&["remote", "add", "origin", "git@github.com:acme/gitops.git"]);
    let found = findings(dir.path(), &["."]);
    assert!(codes(&found).contains(&"PRJ004"), "{found:?}");
    // Linting a subdirectory: paths stay relative to the work tree's root.
    let found = findings(&dir.path().join("apps"), &["."]);
    assert!(
        !codes(&found).contains(&"APP010"),
        "source paths resolve from the work tree root: {found:?}"
    );

    // Without remotes, the configuration names it; the config's directory is the root.
    let dir = tempfile::tempdir().expect("tempdir");
    url_forms_repo(dir.path(), &["ssh://git@github.com/acme/gitops.git"]);
    write(
        dir.path(),
        ".kubectl-gitops.yaml",
        "repoURLs:\n  - https://github.com/acme/gitops\n",
    );
    let found = findings(dir.path(), &["."]);
    assert!(codes(&found).contains(&"PRJ004"), "{found:?}");
}

#[test]
fn the_app_of_apps_example_reports_exactly_its_mistakes() {
    let found = findings(Path::new(APP_OF_APPS), &["."]);
    let got: Vec<(String, u64, String)> =
        found.into_iter().filter(|(_, _, c)| c != "GO005").collect();
    let want: Vec<(String, u64, String)> = [
        ("payments/api/dashboard.yaml", 6, "PRJ005"),
        ("payments/api/quota.yaml", 3, "PRJ004"),
        ("teams/payments/api.yaml", 11, "PRJ002"),
        ("teams/payments/worker.yaml", 8, "APP014"),
        ("teams/payments/worker.yaml", 17, "APP003"),
    ]
    .iter()
    .map(|(f, l, c)| ((*f).to_owned(), *l, (*c).to_owned()))
    .collect();
    assert_eq!(got, want);
}

#[test]
fn the_app_of_apps_tree() {
    let out = kg()
        .args(["tree", APP_OF_APPS, "--format", "json"])
        .output()
        .expect("runs");
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    let roots = v["roots"].as_array().expect("roots");
    assert_eq!(roots.len(), 1, "one root: {v}");
    let root = &roots[0];
    assert_eq!(root["name"], "root");
    let names = |n: &Value| -> Vec<String> {
        n["children"]
            .as_array()
            .map(|c| {
                c.iter()
                    .map(|x| x["name"].as_str().unwrap_or("").to_owned())
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(names(root), ["team-platform", "team-payments"]);
    let platform = &root["children"][0];
    assert_eq!(names(platform), ["ingress", "monitoring"]);
    // monitoring: recurse with an exclude glob; the excluded test file is not a resource.
    assert_eq!(platform["children"][1]["resources"], 4);
    let payments = &root["children"][1];
    assert_eq!(names(payments), ["payments-api", "payments-worker"]);
    assert_eq!(payments["children"][0]["project"], "payments");
}

/// A kustomize overlay rendered by a fixture renderer (canned output, not the real tool;
/// tests/render.rs runs the real one): findings on rendered objects point at the base
/// file that declares them, and a failed render is GO004 at the source path.
#[test]
fn rendered_resources_are_checked_and_traced_to_their_files() {
    use kubectl_gitops::cli::{LintArgs, lint_with};
    use kubectl_gitops::render::RenderError;
    use kubectl_gitops::render::fixture::FixtureRenderer;

    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    write(
        root,
        ".kubectl-gitops.yaml",
        "repoURLs: [https://github.com/acme/gitops.git]\n",
    );
    write(
        root,
        "apps/apps.yaml",
        "apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata:\n  name: team\n  namespace: argocd\nspec:\n  sourceRepos: [\"*\"]\n  destinations: [{server: \"*\", namespace: \"*\"}]\n---\napiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web\n  namespace: argocd\nspec:\n  project: team\n  source:\n    repoURL: https://github.com/acme/gitops.git\n    path: web/overlays/prod\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: web\n---\napiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: broken\n  namespace: argocd\nspec:\n  project: team\n  source:\n    repoURL: https://github.com/acme/gitops.git\n    path: broken\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: web\n",
    );
    write(
        root,
        "web/base/kustomization.yaml",
        "resources: [rbac.yaml, cm.yaml]\n",
    );
    write(
        root,
        "web/base/rbac.yaml",
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: reader\nrules: []\n",
    );
    write(
        root,
        "web/base/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  mode: live\n",
    );
    write(
        root,
        "web/overlays/prod/kustomization.yaml",
        "resources: [../../base]\nnamePrefix: prod-\nnamespace: web\n",
    );
    write(
        root,
        "broken/kustomization.yaml",
        "resources: [missing.yaml]\n",
    );
    let rendered = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: prod-settings\n  namespace: web\ndata:\n  mode: live\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: prod-reader\nrules: []\n";
    let renderer = FixtureRenderer::new()
        .with(root.join("web/overlays/prod"), Ok(rendered.to_owned()))
        .with(
            root.join("broken"),
            Err(RenderError::Failed {
                tool: "kustomize".into(),
                message: "accumulating resources: missing.yaml: no such file".into(),
            }),
        );
    let args = LintArgs::new(vec![root.to_path_buf()]);
    let (result, ()) = lint_with(&args, Some(&renderer), |_, _, _| ()).expect("lints");
    let got: Vec<(String, usize, String, String)> = result
        .outcome
        .diagnostics
        .iter()
        .map(|d| {
            let f = result.repo.db.get(d.primary.span.file);
            (
                f.rel_path.clone(),
                f.line_col(d.primary.span.start).line,
                d.code.clone(),
                d.object
                    .as_ref()
                    .map(|o| o.name.clone())
                    .unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "apps/apps.yaml".to_owned(),
                33,
                "GO004".to_owned(),
                "broken".to_owned()
            ),
            // The ClusterRole only the render deploys (as prod-reader) is reported at the
            // base file's `kind`, naming the rendered object.
            (
                "web/base/rbac.yaml".to_owned(),
                2,
                "PRJ004".to_owned(),
                "prod-reader".to_owned()
            ),
        ]
    );
    let requests = renderer.requests.lock().expect("lock");
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].app_name, "web");
    assert_eq!(requests[0].dest_namespace, "web");
}

/// A Helm source through the real pipeline with a fake `helm` (a shell script written by
/// this test that prints what `helm template` prints, `# Source:` comments included; no
/// real helm runs): the chart's objects are the Application's resources, and a finding
/// about one points at the template it came from, not at the rendered output.
#[test]
fn helm_resources_are_traced_to_their_templates() {
    use kubectl_gitops::cli::{LintArgs, lint_with};
    use kubectl_gitops::config::RenderMode;
    use kubectl_gitops::render::tool::{ToolPaths, ToolRenderer};
    use std::os::unix::fs::PermissionsExt as _;

    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    write(
        root,
        ".kubectl-gitops.yaml",
        "repoURLs: [https://github.com/acme/gitops.git]\n",
    );
    write(
        root,
        "apps/cache.yaml",
        "apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata:\n  name: team\n  namespace: argocd\nspec:\n  sourceRepos: [\"*\"]\n  destinations: [{server: \"*\", namespace: \"*\"}]\n---\napiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: cache\n  namespace: argocd\nspec:\n  project: team\n  source:\n    repoURL: https://github.com/acme/gitops.git\n    path: charts/cache\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: cache\n",
    );
    write(
        root,
        "charts/cache/Chart.yaml",
        "apiVersion: v2\nname: cache\nversion: 0.1.0\n",
    );
    write(
        root,
        "charts/cache/templates/rbac.yaml",
        "{{- if .Values.rbac }}\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: {{ .Release.Name }}-reader\nrules: []\n{{- end }}\n",
    );
    write(
        root,
        "charts/cache/templates/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  mode: live\n",
    );
    let helm = root.join("bin/helm");
    write(
        root,
        "bin/helm",
        "#!/bin/sh\ncat <<'OUT'\n---\n# Source: cache/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cache\ndata:\n  mode: live\n---\n# Source: cache/templates/rbac.yaml\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: cache-reader\nrules: []\nOUT\n",
    );
    std::fs::set_permissions(&helm, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let renderer = ToolRenderer::with_paths(
        ToolPaths {
            helm: Some(helm),
            ..ToolPaths::default()
        },
        RenderMode::Auto,
        RenderMode::Auto,
    );
    let args = LintArgs::new(vec![root.to_path_buf()]);
    let (result, resources) = lint_with(&args, Some(&renderer), |_, model, _| {
        model
            .apps
            .iter()
            .map(|a| a.resources.len())
            .collect::<Vec<_>>()
    })
    .expect("lints");
    assert_eq!(
        resources,
        [2],
        "the chart's two objects are the Application's resources"
    );
    let got: Vec<(String, usize, String, String)> = result
        .outcome
        .diagnostics
        .iter()
        .map(|d| {
            let f = result.repo.db.get(d.primary.span.file);
            (
                f.rel_path.clone(),
                f.line_col(d.primary.span.start).line,
                d.code.clone(),
                result.repo.db.snippet(d.primary.span).to_owned(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [(
            "charts/cache/templates/rbac.yaml".to_owned(),
            3,
            "PRJ004".to_owned(),
            "ClusterRole".to_owned()
        )]
    );
}

/// The rendering example with the real `kubectl kustomize` (skipped without it): the
/// ClusterRole only the overlays deploy is reported at the base file, once per overlay.
#[test]
fn the_rendered_example_reports_the_base_file() {
    let tools = kubectl_gitops::render::tool::ToolPaths::from_path();
    if tools.kustomize.is_none() && tools.kubectl.is_none() {
        eprintln!("skipped: neither kustomize nor kubectl is on PATH");
        return;
    }
    let found = findings(Path::new("testdata/repos/rendered"), &["."]);
    let prj: Vec<_> = found.iter().filter(|(_, _, c)| c == "PRJ004").collect();
    assert_eq!(
        prj,
        [
            &(
                "web/base/clusterrole.yaml".to_owned(),
                5,
                "PRJ004".to_owned()
            ),
            &(
                "web/base/clusterrole.yaml".to_owned(),
                5,
                "PRJ004".to_owned()
            ),
        ],
        "{found:?}"
    );
    // The Helm chart: rendered when helm is on PATH, otherwise one GO005 info.
    let helm = tools.helm.is_some();
    let skipped = found.iter().filter(|(_, _, c)| c == "GO005").count();
    assert_eq!(skipped, usize::from(!helm), "{found:?}");
    // Without rendering, the overlays are reported as not checked instead.
    let found = findings(
        Path::new("testdata/repos/rendered"),
        &[".", "--render", "never"],
    );
    assert!(!found.iter().any(|(_, _, c)| c == "PRJ004"), "{found:?}");
    assert_eq!(
        found.iter().filter(|(_, _, c)| c == "GO005").count(),
        3,
        "{found:?}"
    );
}

/// A multi-source Application: each source is rendered on its own (fixture renderer,
/// canned output) and their resources are concatenated; a `$ref` source of this
/// repository is passed to the renderer as a ref root.
#[test]
fn multi_source_renders_each_source() {
    use kubectl_gitops::cli::{LintArgs, lint_with};
    use kubectl_gitops::render::fixture::FixtureRenderer;

    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    write(
        root,
        ".kubectl-gitops.yaml",
        "repoURLs: [https://github.com/acme/gitops.git]\n",
    );
    write(
        root,
        "apps/app.yaml",
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: shop\n  namespace: argocd\nspec:\n  project: default\n  sources:\n    - repoURL: https://github.com/acme/gitops.git\n      path: charts/shop\n      helm:\n        valueFiles: [$values/env/prod.yaml]\n    - repoURL: https://github.com/acme/gitops.git\n      path: overlays/prod\n    - repoURL: https://github.com/acme/gitops.git\n      ref: values\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: shop\n",
    );
    write(
        root,
        "charts/shop/Chart.yaml",
        "apiVersion: v2\nname: shop\nversion: 1.0.0\n",
    );
    write(root, "overlays/prod/kustomization.yaml", "resources: []\n");
    write(root, "env/prod.yaml", "replicas: 3\n");
    let renderer = FixtureRenderer::new()
        .with(
            root.join("charts/shop"),
            Ok("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-chart\n".into()),
        )
        .with(
            root.join("overlays/prod"),
            Ok("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-overlay\n".into()),
        );
    let args = LintArgs::new(vec![root.to_path_buf()]);
    let (_, names) = lint_with(&args, Some(&renderer), |repo, model, _| {
        let app = &model.apps[0];
        app.resources
            .iter()
            .filter_map(|&r| repo.objects[r].name.clone())
            .collect::<Vec<_>>()
    })
    .expect("lints");
    assert_eq!(names, ["from-chart", "from-overlay"]);
    let requests = renderer.requests.lock().expect("lock");
    assert_eq!(requests.len(), 2, "the ref-only source renders nothing");
    let root_canon = std::fs::canonicalize(root).expect("canonical");
    assert_eq!(
        requests[0]
            .refs
            .get("values")
            .map(|p| std::fs::canonicalize(p).expect("ref")),
        Some(root_canon)
    );
}

/// The sync-order example: the PreSync migration of `orders` reads a Secret that an
/// ExternalSecret of the Sync phase creates (SYN006, pointing at the reference and naming
/// the ExternalSecret); `billing`, its corrected form, is silent.
#[test]
fn the_migrations_example_reports_the_presync_hook_only() {
    let dir = Path::new("testdata/repos/migrations");
    let found = findings(dir, &["."]);
    assert_eq!(
        found,
        vec![(
            "services/orders/migrate.yaml".to_owned(),
            20,
            "SYN006".to_owned()
        )]
    );
    let out = kg()
        .current_dir(dir)
        .args(["lint", ".", "--format", "json"])
        .output()
        .expect("runs");
    let v: Value = serde_json::from_slice(&out.stdout).expect("json report");
    let d = &v["diagnostics"][0];
    let message = d["message"].as_str().unwrap_or("");
    assert!(message.contains("PreSync hook"), "{message}");
    assert!(
        message.contains("ExternalSecret 'orders-db' creates in the Sync phase, wave -2"),
        "{message}"
    );
    let related = d["related"].as_array().expect("related");
    assert_eq!(related.len(), 1);
    assert_eq!(related[0]["file"], "services/orders/externalsecret.yaml");
    assert!(
        related[0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("Sync phase, wave -2")
    );
}

/// An ApplicationSet deployed by a kustomize app of apps (canned render output): the
/// rendered copy stands for the written ApplicationSet (expanded once, no duplicates),
/// its Applications are children of the Application that renders it, and their own
/// kustomize sources are rendered in turn, so that their resources are checked and a
/// finding on one names the generated Application.
#[test]
fn a_rendered_application_set_generates_once_and_its_applications_are_rendered() {
    use kubectl_gitops::cli::{LintArgs, lint_with};
    use kubectl_gitops::render::fixture::FixtureRenderer;

    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    write(
        root,
        ".kubectl-gitops.yaml",
        "repoURLs: [https://github.com/acme/gitops.git]\n",
    );
    write(
        root,
        "root.yaml",
        "apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata:\n  name: team\n  namespace: argocd\nspec:\n  sourceRepos: [\"*\"]\n  destinations: [{server: \"*\", namespace: \"*\"}]\n---\napiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: root\n  namespace: argocd\nspec:\n  project: default\n  source:\n    repoURL: https://github.com/acme/gitops.git\n    path: appsets\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: argocd\n",
    );
    let set = "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: web\n  namespace: argocd\nspec:\n  syncPolicy:\n    preserveResourcesOnDeletion: true\n  generators:\n    - list:\n        elements:\n          - env: prod\n  template:\n    metadata:\n      name: 'web-{{env}}'\n    spec:\n      project: team\n      source:\n        repoURL: https://github.com/acme/gitops.git\n        path: 'web/{{env}}'\n      destination:\n        server: https://kubernetes.default.svc\n        namespace: web\n";
    write(root, "appsets/web.yaml", set);
    write(
        root,
        "appsets/kustomization.yaml",
        "resources: [web.yaml]\n",
    );
    write(
        root,
        "web/prod/kustomization.yaml",
        "resources: [role.yaml]\n",
    );
    write(
        root,
        "web/prod/role.yaml",
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: reader\nrules: []\n",
    );
    let role = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: reader\nrules: []\n";
    let renderer = FixtureRenderer::new()
        .with(root.join("appsets"), Ok(set.to_owned()))
        .with(root.join("web/prod"), Ok(role.to_owned()));
    let args = LintArgs::new(vec![root.to_path_buf()]);
    let (result, tree) = lint_with(&args, Some(&renderer), |_, model, _| {
        model
            .apps
            .iter()
            .map(|a| {
                let children: Vec<String> = a
                    .children
                    .iter()
                    .map(|&c| model.apps[c].name.clone())
                    .collect();
                (a.name.clone(), children, a.resources.len())
            })
            .collect::<Vec<_>>()
    })
    .expect("lints");
    // One generated Application (not one per copy of the set), below `root`, with the
    // rendered ClusterRole as its resource.
    assert_eq!(
        tree,
        [
            ("root".to_owned(), vec!["web-prod".to_owned()], 1),
            ("web-prod".to_owned(), Vec::new(), 1)
        ]
    );
    let got: Vec<(String, usize, String, String)> = result
        .outcome
        .diagnostics
        .iter()
        .map(|d| {
            let f = result.repo.db.get(d.primary.span.file);
            (
                f.rel_path.clone(),
                f.line_col(d.primary.span.start).line,
                d.code.clone(),
                d.message.clone(),
            )
        })
        .collect();
    // The ClusterRole the project does not permit: at its file, naming the generated
    // Application.
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(
        (got[0].0.as_str(), got[0].1, got[0].2.as_str()),
        ("web/prod/role.yaml", 2, "PRJ004")
    );
    assert!(got[0].3.contains("'web-prod'"), "{}", got[0].3);
    let requests = renderer.requests.lock().expect("lock");
    let apps: Vec<&str> = requests.iter().map(|r| r.app_name.as_str()).collect();
    assert_eq!(apps, ["root", "web-prod"]);
}
