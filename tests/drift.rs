//! `drift` end to end: the real binary and the real kube client against the in-process
//! API server of `tests/apiserver`, through a real kubeconfig file; and the snapshot
//! source. These are the LIVE rules' fixtures (rules with `requires: cluster` have none
//! under testdata/rules/).

mod apiserver;
mod common;

use apiserver::{ApiServer, Behaviour, default_kinds};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_kubectl-gitops");
const REPO: &str = "testdata/repos/drift";
const LIVE: &str = "testdata/drift/live.yaml";

/// Secret values of the fixtures, plain and base64, that must never be printed.
const SECRETS: [&str; 4] = [
    "correct-horse-battery",
    "Y29ycmVjdC1ob3JzZS1iYXR0ZXJ5",
    "old-password-value",
    "b2xkLXBhc3N3b3JkLXZhbHVl",
];

fn live() -> String {
    std::fs::read_to_string(LIVE).expect("live fixture")
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    elapsed: Duration,
}

/// Runs `kubectl-gitops drift REPO --kubeconfig <kubeconfig> ARGS` with no KUBECONFIG
/// and a fresh HOME, so nothing of the machine's own configuration is read.
fn run_with(repo: &Path, kubeconfig: &str, args: &[&str]) -> Run {
    let home = tempfile::tempdir().expect("home");
    let kc = home.path().join("kubeconfig.yaml");
    std::fs::write(&kc, kubeconfig).expect("write kubeconfig");
    let start = Instant::now();
    let out = Command::new(BIN)
        .arg("drift")
        .arg(repo)
        .arg("--kubeconfig")
        .arg(&kc)
        .args(args)
        .env_remove("KUBECONFIG")
        .env("HOME", home.path())
        .env("NO_COLOR", "1")
        .output()
        .expect("run kubectl-gitops");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        elapsed: start.elapsed(),
    }
}

fn run(server: &ApiServer, args: &[&str]) -> Run {
    run_with(Path::new(REPO), &server.kubeconfig("t0ken"), args)
}

fn server(live: &str) -> ApiServer {
    ApiServer::start(default_kinds(), live, Behaviour::default())
}

fn json(r: &Run) -> Value {
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}\n{}", r.stdout, r.stderr))
}

fn diagnostics(v: &Value) -> Vec<Value> {
    v["diagnostics"].as_array().cloned().unwrap_or_default()
}

fn codes(v: &Value) -> Vec<String> {
    diagnostics(v)
        .iter()
        .map(|d| d["code"].as_str().unwrap_or("").to_owned())
        .collect()
}

/// A copy of the drift repository to add files to.
fn repo_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(Path::new(REPO), dir.path());
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read dir").flatten() {
        let p = e.path();
        let dest = to.join(e.file_name());
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).expect("copy");
        }
    }
}

#[test]
fn an_ignored_replica_count_is_no_drift() {
    let s = server(&live());
    let r = run(&s, &["--format", "json"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let v = json(&r);
    assert_eq!(codes(&v), Vec::<String>::new());
    assert_eq!(v["live"]["applications"], 1, "{v}");
    // Deployment, two ConfigMaps, the Secret; the PreSync hook is not compared.
    assert_eq!(v["live"]["resources"], 4, "{v}");
    assert!(
        r.stderr
            .contains("Application 'argocd/remote' deploys to https://remote.example.com"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_changed_image_is_resource_drift_with_its_pointer_and_both_values() {
    let s = server(&live().replace("image: nginx:1.27\n", "image: nginx:1.26\n"));
    let r = run(&s, &["--format", "json"]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let v = json(&r);
    let d = diagnostics(&v);
    assert_eq!(codes(&v), ["LIVE001"], "{v}");
    assert_eq!(d[0]["name"], "resource-drift");
    assert_eq!(d[0]["severity"], "error");
    assert_eq!(d[0]["file"], "web/deployment.yaml");
    assert_eq!(
        (d[0]["line"].as_u64(), d[0]["column"].as_u64()),
        (Some(19), Some(18))
    );
    assert_eq!(
        d[0]["diff"],
        serde_json::json!([{"pointer": "/spec/template/spec/containers/0/image",
                            "desired": "nginx:1.27", "live": "nginx:1.26"}])
    );
    assert_eq!(
        d[0]["object"],
        serde_json::json!({"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "prod", "name": "web"})
    );
    let msg = d[0]["message"].as_str().unwrap_or("");
    assert!(
        msg.contains("\"nginx:1.27\" in the repository and \"nginx:1.26\" live"),
        "{msg}"
    );

    // Human output: the finding and a unified diff of the object.
    let r = run(&s, &["--color", "never"]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains("LIVE001(resource-drift)"), "{}", r.stdout);
    assert!(r.stdout.contains("--- repository"), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("\n    -        image: nginx:1.27\n    +        image: nginx:1.26\n"),
        "{}",
        r.stdout
    );
    // Only the drifted line changes: defaults and the ignored replicas are not in it.
    assert!(!r.stdout.contains("imagePullPolicy"), "{}", r.stdout);
    assert!(!r.stdout.contains("replicas: 5"), "{}", r.stdout);
    assert!(
        r.stdout.contains("1 error, 0 warnings, 0 infos"),
        "{}",
        r.stdout
    );
}

#[test]
fn a_deleted_config_map_is_missing() {
    let text = live().replace(
        "      name: web-config\n      namespace: prod\n",
        "      name: renamed-config\n      namespace: prod\n",
    );
    let s = server(&text);
    let r = run(&s, &["--format", "json"]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let v = json(&r);
    let d = diagnostics(&v);
    assert_eq!(codes(&v), ["LIVE002"], "{v}");
    assert_eq!(d[0]["file"], "web/config.yaml");
    assert_eq!(d[0]["line"], 4);
    assert!(
        d[0]["message"]
            .as_str()
            .is_some_and(|m| m
                .starts_with("ConfigMap prod/web-config is not in the cluster of context 'test'")),
        "{}",
        d[0]["message"]
    );
}

#[test]
fn one_list_per_type_and_namespace_and_only_reads() {
    let behaviour = Behaviour {
        // Three ConfigMaps in prod, one per page: the list follows `continue`.
        page_size: [("configmaps".to_owned(), 1)].into_iter().collect(),
        ..Behaviour::default()
    };
    let s = ApiServer::start(default_kinds(), &live(), behaviour);
    let r = run(&s, &["--format", "json"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let log = s.requests();
    assert!(!log.is_empty());
    assert!(
        log.iter().all(|l| l.method == "GET"),
        "a request that is not a GET: {log:?}"
    );
    assert!(
        log.iter()
            .all(|l| l.authorization.as_deref() == Some("Bearer t0ken")),
        "{log:?}"
    );
    let first_pages: Vec<&str> = log
        .iter()
        .filter(|l| !l.query.contains_key("continue"))
        .map(|l| l.path.as_str())
        .collect();
    let mut sorted = first_pages.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(
        sorted.len(),
        first_pages.len(),
        "a path asked twice: {log:?}"
    );
    assert_eq!(
        sorted,
        [
            "/api/v1",
            "/api/v1/namespaces/prod/configmaps",
            "/api/v1/namespaces/prod/secrets",
            "/apis/apps/v1",
            "/apis/apps/v1/namespaces/prod/deployments",
            "/apis/argoproj.io/v1alpha1",
            "/apis/argoproj.io/v1alpha1/namespaces/argocd/applications",
        ]
    );
    let pages: Vec<&str> = log
        .iter()
        .filter(|l| l.path == "/api/v1/namespaces/prod/configmaps")
        .map(|l| l.query.get("continue").map_or("", String::as_str))
        .collect();
    assert_eq!(pages, ["", "offset:1", "offset:2"]);
    assert!(
        log.iter()
            .all(|l| l.query.get("limit").is_none_or(|v| v == "500"))
    );
}

#[test]
fn an_unreachable_server_exits_2_within_the_timeout_naming_it() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("address").port()
    };
    let server = format!("http://127.0.0.1:{port}");
    let r = run_with(
        Path::new(REPO),
        &apiserver::kubeconfig(&server, "t0ken"),
        &["--request-timeout", "3s"],
    );
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr
            .contains(&format!("cannot reach the cluster at {server}")),
        "{}",
        r.stderr
    );
    assert!(r.elapsed < Duration::from_secs(20), "{:?}", r.elapsed);
}

#[test]
fn a_server_that_does_not_answer_times_out() {
    let s = ApiServer::start(
        default_kinds(),
        &live(),
        Behaviour {
            slow: vec![(
                "/apis/apps/v1/namespaces".to_owned(),
                Duration::from_secs(30),
            )],
            ..Behaviour::default()
        },
    );
    let r = run(&s, &["--request-timeout", "1s"]);
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains(&format!(
            "the cluster at {} did not answer list deployments.apps in namespace prod within 1s",
            s.url
        )),
        "{}",
        r.stderr
    );
    assert!(r.elapsed < Duration::from_secs(20), "{:?}", r.elapsed);
    // A slow answer within the limit is waited for.
    let s = ApiServer::start(
        default_kinds(),
        &live(),
        Behaviour {
            slow: vec![(
                "/apis/apps/v1/namespaces".to_owned(),
                Duration::from_millis(300),
            )],
            ..Behaviour::default()
        },
    );
    let r = run(&s, &["--request-timeout", "5s"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
}

#[test]
fn an_unknown_context_exits_2() {
    let s = server(&live());
    let r = run(&s, &["--context", "tests"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains(
            "context 'tests' is not in the kubeconfig (did you mean 'test'?); contexts: test"
        ),
        "{}",
        r.stderr
    );
    assert!(s.requests().is_empty(), "nothing is sent for a bad context");
}

#[test]
fn refused_credentials_exit_2() {
    let s = ApiServer::start(
        default_kinds(),
        &live(),
        Behaviour {
            token: Some("fresh".to_owned()),
            ..Behaviour::default()
        },
    );
    let r = run_with(Path::new(REPO), &s.kubeconfig("expired"), &[]);
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains(&format!(
            "the cluster at {} refused the credentials of context 'test' (401 Unauthorized)",
            s.url
        )),
        "{}",
        r.stderr
    );
}

#[test]
fn a_forbidden_list_names_the_verb_and_resource() {
    let s = ApiServer::start(
        default_kinds(),
        &live(),
        Behaviour {
            forbidden: vec![("secrets".to_owned(), Some("prod".to_owned()))],
            ..Behaviour::default()
        },
    );
    let r = run(&s, &[]);
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains(&format!(
            "the cluster at {} refused to list secrets in namespace prod (403 Forbidden)",
            s.url
        )),
        "{}",
        r.stderr
    );
    // Applications that cannot be read are only a note.
    let s = ApiServer::start(
        default_kinds(),
        &live(),
        Behaviour {
            forbidden: vec![("applications".to_owned(), None)],
            ..Behaviour::default()
        },
    );
    let r = run(&s, &[]);
    assert_eq!(r.code, 2, "in-cluster cannot be recognised: {}", r.stderr);
    assert!(
        r.stderr
            .contains("refused to list applications.argoproj.io in namespace argocd"),
        "{}",
        r.stderr
    );
}

#[test]
fn secret_drift_is_reported_by_key_without_values() {
    let s = server(&live().replace("Y29ycmVjdC1ob3JzZS1iYXR0ZXJ5", "b2xkLXBhc3N3b3JkLXZhbHVl"));
    let r = run(&s, &["--format", "json"]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let v = json(&r);
    let d = diagnostics(&v);
    assert_eq!(codes(&v), ["LIVE001"]);
    assert_eq!(d[0]["file"], "web/secret.yaml");
    assert_eq!(d[0]["line"], 8, "points at the key under stringData");
    assert_eq!(
        d[0]["diff"],
        serde_json::json!([{"pointer": "/data/password", "desired": "(redacted)", "live": "(redacted)"}])
    );
    assert_eq!(
        d[0]["message"],
        "Secret prod/web-credentials differs from the cluster in 1 field: /data/password differs (Secret values are not shown)"
    );
    for format in ["human", "json", "sarif", "github", "concise"] {
        let r = run(&s, &["--format", format, "--color", "always"]);
        assert_eq!(r.code, 1, "{format}");
        for secret in SECRETS {
            assert!(
                !r.stdout.contains(secret) && !r.stderr.contains(secret),
                "{format} shows a secret value:\n{}{}",
                r.stdout,
                r.stderr
            );
        }
        if format == "human" {
            assert!(
                r.stdout.contains("password: (redacted, differs)"),
                "{}",
                r.stdout
            );
        }
    }
}

#[test]
fn a_kind_the_cluster_does_not_serve_is_missing() {
    let repo = repo_copy();
    std::fs::write(
        repo.path().join("web/monitor.yaml"),
        "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata:\n  name: web\nspec:\n  endpoints:\n    - port: http\n",
    )
    .expect("write");
    let s = server(&live());
    let r = run_with(repo.path(), &s.kubeconfig("t0ken"), &["--format", "json"]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let v = json(&r);
    let d = diagnostics(&v);
    assert_eq!(codes(&v), ["LIVE002"], "{v}");
    assert_eq!(
        (d[0]["file"].as_str(), d[0]["line"].as_u64()),
        (Some("web/monitor.yaml"), Some(1))
    );
    assert!(
        d[0]["message"].as_str().is_some_and(|m| m.contains(
            "does not serve kind ServiceMonitor in API version monitoring.coreos.com/v1"
        )),
        "{}",
        d[0]["message"]
    );
    assert!(
        s.requests()
            .iter()
            .any(|l| l.path == "/apis/monitoring.coreos.com/v1")
    );
}

#[test]
fn the_live_application_spec_and_status() {
    let text = live()
        .replace(
            "        targetRevision: main\n",
            "        targetRevision: hotfix-1234\n",
        )
        .replace("status: Synced", "status: OutOfSync")
        .replace("status: Healthy", "status: Degraded");
    let s = server(&text);
    let r = run(&s, &["--format", "json"]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let v = json(&r);
    let d = diagnostics(&v);
    assert_eq!(codes(&v), ["LIVE004", "LIVE003"], "{v}");
    assert_eq!(
        (d[0]["file"].as_str(), d[0]["line"].as_u64()),
        (Some("apps/web.yaml"), Some(4))
    );
    assert_eq!(d[0]["severity"], "warning");
    assert!(
        d[0]["message"]
            .as_str()
            .is_some_and(|m| m == "Argo CD reports Application argocd/web OutOfSync and Degraded"),
        "{}",
        d[0]["message"]
    );
    assert_eq!(
        (d[1]["file"].as_str(), d[1]["line"].as_u64()),
        (Some("apps/web.yaml"), Some(11))
    );
    assert_eq!(
        d[1]["diff"],
        serde_json::json!([{"pointer": "/spec/source/targetRevision", "desired": "main", "live": "hotfix-1234"}])
    );
    // --fail-on error: warnings alone do not fail.
    let r = run(&s, &["--fail-on", "error", "-q"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
}

#[test]
fn app_and_namespace_filters() {
    let s = server(&live().replace("LOG_LEVEL: info", "LOG_LEVEL: debug"));
    let r = run(&s, &["--app", "web", "-n", "prod", "--format", "json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(codes(&json(&r)), ["LIVE001"]);
    // Another namespace: nothing of prod is read or compared.
    let s = server(&live().replace("LOG_LEVEL: info", "LOG_LEVEL: debug"));
    let r = run(&s, &["-n", "staging", "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        s.requests()
            .iter()
            .all(|l| !l.path.contains("/namespaces/prod/"))
    );
    // An unknown Application is a usage error.
    let r = run(&s, &["--app", "nope"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("no Application named 'nope'"),
        "{}",
        r.stderr
    );
    // A remote destination alone: nothing deploys to this cluster and it is not live.
    let r = run(&s, &["--app", "remote"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("no selected Application deploys to the cluster of context 'test'"),
        "{}",
        r.stderr
    );
}

#[test]
fn kubeconfig_from_the_environment_and_its_current_context() {
    let s = server(&live());
    let home = tempfile::tempdir().expect("home");
    // KUBECONFIG lists two files: the first one to set current-context wins.
    let first = home.path().join("a.yaml");
    let second = home.path().join("b.yaml");
    std::fs::write(
        &first,
        "apiVersion: v1\nkind: Config\ncurrent-context: test\n",
    )
    .expect("write");
    std::fs::write(
        &second,
        s.kubeconfig("t0ken")
            .replace("current-context: test", "current-context: none"),
    )
    .expect("write");
    let joined = std::env::join_paths([&first, &second]).expect("join");
    let out = Command::new(BIN)
        .args(["drift", REPO, "-q"])
        .env("KUBECONFIG", joined)
        .env("HOME", home.path())
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!s.requests().is_empty());
}

// ---- the snapshot source ----

fn snapshot_run(repo: &Path, snapshot: &Path, args: &[&str]) -> Run {
    let start = Instant::now();
    let out = Command::new(BIN)
        .arg("drift")
        .arg(repo)
        .arg("--live-snapshot")
        .arg(snapshot)
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        elapsed: start.elapsed(),
    }
}

#[test]
fn a_snapshot_file_stands_in_for_the_cluster() {
    let r = snapshot_run(Path::new(REPO), Path::new(LIVE), &["--format", "json"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let v = json(&r);
    assert!(
        v["live"]["source"]
            .as_str()
            .is_some_and(|s| s == "snapshot testdata/drift/live.yaml")
    );
    // The snapshot holds the live Application `web`: it is the cluster Argo CD runs in,
    // so `in-cluster` destinations are compared with it and the remote one is not.
    assert_eq!(v["live"]["applications"], 1);
    assert!(
        r.stderr
            .contains("Application 'argocd/remote' deploys to https://remote.example.com"),
        "{}",
        r.stderr
    );
    // Without Applications in it, a snapshot stands for every destination.
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("live.yaml");
    let text = live();
    let cut = text
        .find("  - apiVersion: argoproj.io/v1alpha1")
        .unwrap_or(text.len());
    std::fs::write(&path, &text[..cut]).expect("write");
    let r = snapshot_run(Path::new(REPO), &path, &["--format", "json"]);
    let v = json(&r);
    assert_eq!(v["live"]["applications"], 2, "{v}");
    // ... and `remote`, without web's ignoreDifferences, sees the scaled Deployment.
    assert_eq!(codes(&v), ["LIVE001"]);
}

#[test]
fn a_snapshot_directory_and_its_findings() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = live()
        .replace("image: nginx:1.27\n", "image: nginx:1.26\n")
        .replace("      name: web-extra\n", "      name: gone\n");
    std::fs::create_dir_all(dir.path().join("prod")).expect("mkdir");
    std::fs::write(dir.path().join("prod/all.yaml"), text).expect("write");
    std::fs::write(dir.path().join("notes.txt"), "not read").expect("write");
    let r = snapshot_run(
        Path::new(REPO),
        dir.path(),
        &["--app", "web", "--format", "json"],
    );
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let v = json(&r);
    let mut got: Vec<(String, String, u64)> = diagnostics(&v)
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap_or("").to_owned(),
                d["file"].as_str().unwrap_or("").to_owned(),
                d["line"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            ("LIVE001".to_owned(), "web/deployment.yaml".to_owned(), 19),
            ("LIVE002".to_owned(), "web/config.yaml".to_owned(), 11),
        ]
    );
    // Not a cluster: no kubeconfig is read, and the flags that select one conflict.
    let r = snapshot_run(Path::new(REPO), dir.path(), &["--context", "x"]);
    assert_eq!(r.code, 2);
    let r = snapshot_run(
        Path::new(REPO),
        Path::new("testdata/drift/missing.yaml"),
        &[],
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("cannot read snapshot testdata/drift/missing.yaml"),
        "{}",
        r.stderr
    );
}

#[test]
fn suppressions_and_selection_apply_to_drift() {
    let repo = repo_copy();
    let path = repo.path().join("web/deployment.yaml");
    let text = std::fs::read_to_string(&path).expect("read");
    std::fs::write(
        &path,
        text.replace(
            "          image: nginx:1.27\n",
            "          image: nginx:1.27 # kubectl-gitops: ignore LIVE001 -- canary by hand\n",
        ),
    )
    .expect("write");
    let snapshot = tempfile::tempdir().expect("tempdir");
    let live_path: PathBuf = snapshot.path().join("live.yaml");
    std::fs::write(
        &live_path,
        live().replace("image: nginx:1.27\n", "image: nginx:1.26\n"),
    )
    .expect("write");
    let r = snapshot_run(
        repo.path(),
        &live_path,
        &["--app", "web", "--format", "json"],
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(json(&r)["summary"]["suppressed"], 1);
    // --ignore LIVE002 leaves LIVE001 alone.
    let r = snapshot_run(
        Path::new(REPO),
        &live_path,
        &["--app", "web", "--ignore", "LIVE002", "--format", "json"],
    );
    assert_eq!(codes(&json(&r)), ["LIVE001"]);
}

#[test]
fn managed_fields_managers_trust_the_live_value() {
    // `kubectl set image` (manager kubectl-set) changed the image; the Application trusts
    // that manager, so the field it owns is not compared.
    let text = live()
        .replace("image: nginx:1.27\n", "image: nginx:1.26\n")
        .replace("- manager: argocd-controller", "- manager: kubectl-set");
    let s = server(&text);
    let r = run(&s, &["--format", "json"]);
    assert_eq!(
        codes(&json(&r)),
        ["LIVE001"],
        "without the rule it is drift"
    );
    let repo = repo_copy();
    let app = repo.path().join("apps/web.yaml");
    let body = std::fs::read_to_string(&app).expect("read");
    std::fs::write(
        &app,
        format!("{body}    - group: apps\n      kind: Deployment\n      managedFieldsManagers:\n        - kubectl-set\n"),
    )
    .expect("write");
    // The live Application has the same spec, so LIVE003 stays quiet.
    let live_app = text.replace(
        "            - /spec/replicas\n",
        "            - /spec/replicas\n        - group: apps\n          kind: Deployment\n          managedFieldsManagers:\n            - kubectl-set\n",
    );
    let s = server(&live_app);
    let r = run_with(repo.path(), &s.kubeconfig("t0ken"), &["--format", "json"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(codes(&json(&r)), Vec::<String>::new());
}

#[test]
fn a_field_removed_from_the_repository_but_still_live_is_drift() {
    // The last apply set a label the repository no longer has; it is still live.
    let text = live()
        .replace(
            "\"labels\":{\"app\":\"web\"},\"name\":\"web\"",
            "\"labels\":{\"app\":\"web\",\"tier\":\"front\"},\"name\":\"web\"",
        )
        .replacen(
            "      labels:\n        app: web\n",
            "      labels:\n        app: web\n        tier: front\n",
            1,
        );
    let s = server(&text);
    let r = run(&s, &["--format", "json"]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let v = json(&r);
    let d = diagnostics(&v);
    assert_eq!(codes(&v), ["LIVE001"]);
    assert_eq!(
        d[0]["diff"],
        serde_json::json!([{"pointer": "/metadata/labels/tier", "live": "front"}])
    );
    assert!(
        d[0]["message"].as_str().is_some_and(|m| m.contains(
            "/metadata/labels/tier was removed from the repository but is still \"front\" live"
        )),
        "{}",
        d[0]["message"]
    );
}

#[test]
fn destinations_match_by_server_url_or_cluster_name() {
    // Without live Applications, only a destination naming this cluster is compared.
    let text = live();
    let cut = text
        .find("  - apiVersion: argoproj.io/v1alpha1")
        .unwrap_or(text.len());
    let s = server(&text[..cut].replace("LOG_LEVEL: info", "LOG_LEVEL: debug"));
    let r = run(&s, &[]);
    assert_eq!(r.code, 2, "in-cluster is not recognised here: {}", r.stderr);
    for destination in [
        format!("server: {}/", s.url),
        "name: test-cluster".to_owned(),
        "name: test".to_owned(),
    ] {
        let repo = repo_copy();
        let app = repo.path().join("apps/web.yaml");
        let body = std::fs::read_to_string(&app).expect("read");
        std::fs::write(
            &app,
            body.replace("server: https://kubernetes.default.svc", &destination),
        )
        .expect("write");
        let r = run_with(
            repo.path(),
            &s.kubeconfig("t0ken"),
            &["--app", "web", "--format", "json"],
        );
        assert_eq!(r.code, 1, "{destination}: {}\n{}", r.stdout, r.stderr);
        assert_eq!(codes(&json(&r)), ["LIVE001"], "{destination}");
    }
}

/// Drift of the `web` Application rendered by the real kustomize with `kustomization`,
/// against a snapshot whose Deployment runs nginx:1.26; `None` (after saying so) when
/// neither kubectl nor kustomize is on PATH.
fn kustomized_drift(kustomization: &str) -> Option<(Run, Value)> {
    let found = common::on_path("kubectl").is_some() || common::on_path("kustomize").is_some();
    if !common::tool_available("kubectl or kustomize", found, "install kubectl") {
        return None;
    }
    let repo = repo_copy();
    std::fs::write(repo.path().join("web/kustomization.yaml"), kustomization).expect("write");
    let text = live().replace("image: nginx:1.27\n", "image: nginx:1.26\n");
    let snapshot = tempfile::tempdir().expect("tempdir");
    let path = snapshot.path().join("live.yaml");
    std::fs::write(&path, text).expect("write");
    let r = snapshot_run(repo.path(), &path, &["--app", "web", "--format", "json"]);
    let v = json(&r);
    Some((r, v))
}

#[test]
fn rendered_resources_point_at_the_file_they_came_from() {
    let Some((r, v)) = kustomized_drift(
        "resources:\n  - deployment.yaml\n  - config.yaml\n  - secret.yaml\nimages:\n  - name: nginx\n    newTag: \"1.28\"\n",
    ) else {
        return;
    };
    let d = diagnostics(&v);
    // The Deployment was rendered by kustomize (its image is the rendered one); the
    // finding is on the image line of the file it was built from.
    assert_eq!(codes(&v), ["LIVE001"], "{v}\n{}", r.stderr);
    assert_eq!(d[0]["diff"][0]["desired"], "nginx:1.28", "{v}");
    assert_eq!(
        (d[0]["file"].as_str(), d[0]["line"].as_u64()),
        (Some("web/deployment.yaml"), Some(19)),
        "{v}"
    );
}

#[test]
fn the_progress_line_shows_on_a_terminal() {
    let found = Command::new("script")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !common::tool_available("script (util-linux)", found, "install util-linux") {
        return;
    }
    let out = Command::new("script")
        .args([
            "-qec",
            &format!("'{BIN}' drift {REPO} --live-snapshot {LIVE} --app web"),
            "/dev/null",
        ])
        .env("KUBECTL_GITOPS_PROGRESS_DELAY_MS", "0")
        .env("TERM", "xterm")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("script runs");
    let screen = String::from_utf8_lossy(&out.stdout);
    assert!(screen.contains("listing"), "{screen}");
    assert!(screen.contains("comparing"), "{screen}");
    assert!(screen.contains("0 errors, 0 warnings"), "{screen}");
}

#[test]
fn child_applications_are_compared_with_their_parents_rules() {
    let app = |name: &str, path: &str, extra: &str| {
        format!(
            "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: {name}\n  namespace: argocd\nspec:\n  project: default\n  source:\n    repoURL: https://github.com/acme/drift.git\n    path: {path}\n    targetRevision: main\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: argocd\n{extra}"
        )
    };
    let ignore = "  ignoreDifferences:\n    - group: argoproj.io\n      kind: Application\n      jsonPointers:\n        - /spec/syncPolicy\n";
    let child = app(
        "child",
        "child",
        "  syncPolicy:\n    automated:\n      prune: true\n",
    );
    let live_child = format!(
        "{}  syncPolicy:\n    automated:\n      prune: false\n",
        app("child", "child", "")
    );
    for (rule, want) in [("", vec!["LIVE003"]), (ignore, vec![])] {
        let repo = common::fixture(&[
            (
                ".kubectl-gitops.yaml",
                "repoURLs: [https://github.com/acme/drift.git]\n",
            ),
            ("root.yaml", &app("root", "children", rule)),
            ("children/child.yaml", &child),
            ("child/.keep", ""),
        ]);
        let snap = tempfile::tempdir().expect("tempdir");
        let path = snap.path().join("apps.yaml");
        std::fs::write(
            &path,
            format!("{}---\n{live_child}", app("root", "children", rule)),
        )
        .expect("write");
        let r = snapshot_run(repo.path(), &path, &["--format", "json"]);
        let v = json(&r);
        assert_eq!(codes(&v), want, "{v}\n{}", r.stderr);
        if let Some(d) = diagnostics(&v).first() {
            assert_eq!(d["file"], "children/child.yaml");
            assert_eq!(
                d["diff"],
                serde_json::json!([{"pointer": "/spec/syncPolicy/automated/prune", "desired": true, "live": false}])
            );
        }
    }
}

#[test]
fn requests_in_flight_are_bounded() {
    // Three lists in prod (Deployments, ConfigMaps, Secrets), each answered slowly.
    let slow = || Behaviour {
        slow: vec![("/namespaces/prod/".to_owned(), Duration::from_millis(300))],
        ..Behaviour::default()
    };
    let s = ApiServer::start(default_kinds(), &live(), slow());
    let r = run(&s, &["--max-requests", "1"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(s.max_in_flight(), 1);
    let s = ApiServer::start(default_kinds(), &live(), slow());
    let r = run(&s, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        s.max_in_flight() >= 2,
        "lists run concurrently: {}",
        s.max_in_flight()
    );
}

#[test]
fn a_namespace_that_is_not_a_name_never_reaches_a_path() {
    // `prod/secrets?` pasted into a list path would list prod's Secrets and compare
    // them as this ConfigMap.
    let repo = repo_copy();
    std::fs::write(
        repo.path().join("web/evil.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-credentials\n  namespace: \"prod/secrets?\"\ndata:\n  password: guess\n",
    )
    .expect("write");
    let s = server(&live());
    let r = run_with(repo.path(), &s.kubeconfig("t0ken"), &["--format", "json"]);
    let v = json(&r);
    assert!(
        r.stderr
            .contains("namespace 'prod/secrets?' is not a valid namespace name"),
        "{}",
        r.stderr
    );
    let secret_lists = s
        .requests()
        .iter()
        .filter(|q| q.path == "/api/v1/namespaces/prod/secrets")
        .count();
    assert_eq!(secret_lists, 1, "{:?}", s.requests());
    assert!(
        s.requests()
            .iter()
            .all(|q| !q.path.contains('?') && q.query.keys().all(|k| !k.contains('/'))),
        "{:?}",
        s.requests()
    );
    assert_eq!(codes(&v), Vec::<String>::new(), "{v}");
    for secret in SECRETS {
        assert!(!r.stdout.contains(secret) && !r.stderr.contains(secret));
    }
}

/// Two Applications in `argocd` deploying to the test server by URL: `root` holds
/// `child`'s manifest.
fn app_of_apps(url: &str) -> tempfile::TempDir {
    let app = |name: &str, path: &str| {
        format!(
            "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: {name}\n  namespace: argocd\nspec:\n  project: default\n  source:\n    repoURL: https://github.com/acme/drift.git\n    path: {path}\n    targetRevision: main\n  destination:\n    server: {url}\n    namespace: argocd\n"
        )
    };
    common::fixture(&[
        (
            ".kubectl-gitops.yaml",
            "repoURLs: [https://github.com/acme/drift.git]\n",
        ),
        ("root.yaml", &app("root", "children")),
        ("children/child.yaml", &app("child", "child")),
        ("child/.keep", ""),
    ])
}

#[test]
fn resources_of_a_refused_list_are_not_reported_missing() {
    let s = ApiServer::start(
        default_kinds(),
        "",
        Behaviour {
            forbidden: vec![("applications".to_owned(), None)],
            ..Behaviour::default()
        },
    );
    let repo = app_of_apps(&s.url);
    let r = run_with(repo.path(), &s.kubeconfig("t0ken"), &["--format", "json"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let v = json(&r);
    assert_eq!(codes(&v), Vec::<String>::new(), "{v}");
    assert!(
        r.stderr
            .contains("refused to list applications.argoproj.io in namespace argocd"),
        "{}",
        r.stderr
    );
    // The refused list is neither retried nor counted as made.
    let app_lists = s
        .requests()
        .iter()
        .filter(|q| q.path.ends_with("/applications"))
        .count();
    assert_eq!(app_lists, 1, "{:?}", s.requests());
    assert_eq!(v["live"]["lists"], 0, "{v}");
}

#[test]
fn two_api_versions_of_a_kind_are_each_compared_with_their_own_list() {
    let mut kinds = default_kinds();
    for version in ["v1", "v2"] {
        kinds.push(apiserver::Kind {
            group: "autoscaling",
            version,
            kind: "HorizontalPodAutoscaler",
            plural: "horizontalpodautoscalers",
            namespaced: true,
        });
    }
    let v1 = |name: &str| {
        format!(
            "apiVersion: autoscaling/v1\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: {name}\n  namespace: prod\nspec:\n  scaleTargetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n    name: web\n  minReplicas: 1\n  maxReplicas: 3\n  targetCPUUtilizationPercentage: 80\n"
        )
    };
    let v2 = |name: &str| {
        format!(
            "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: {name}\n  namespace: prod\nspec:\n  scaleTargetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n    name: web\n  minReplicas: 1\n  maxReplicas: 3\n  metrics:\n    - type: Resource\n      resource:\n        name: cpu\n        target:\n          type: Utilization\n          averageUtilization: 80\n"
        )
    };
    // The server holds both objects under both versions, as a real one converts them.
    let live = format!(
        "{}---\n{}---\n{}---\n{}",
        v1("a"),
        v2("a"),
        v1("b"),
        v2("b")
    );
    let s = ApiServer::start(
        kinds,
        &live,
        Behaviour {
            by_version: true,
            ..Behaviour::default()
        },
    );
    let repo = common::fixture(&[
        (
            ".kubectl-gitops.yaml",
            "repoURLs: [https://github.com/acme/drift.git]\n",
        ),
        (
            "app.yaml",
            &format!(
                "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: hpa\n  namespace: argocd\nspec:\n  project: default\n  source:\n    repoURL: https://github.com/acme/drift.git\n    path: hpa\n    targetRevision: main\n  destination:\n    server: {}\n    namespace: prod\n",
                s.url
            ),
        ),
        ("hpa/a.yaml", &v1("a")),
        ("hpa/b.yaml", &v2("b")),
    ]);
    let r = run_with(repo.path(), &s.kubeconfig("t0ken"), &["--format", "json"]);
    let v = json(&r);
    assert_eq!(codes(&v), Vec::<String>::new(), "{v}\n{}", r.stderr);
    assert_eq!(v["live"]["resources"], 2, "{v}");
    assert_eq!(r.code, 0);
}

#[test]
fn a_server_that_repeats_its_continue_token_is_an_error() {
    let s = ApiServer::start(
        default_kinds(),
        &live(),
        Behaviour {
            repeat_continue: true,
            ..Behaviour::default()
        },
    );
    let home = tempfile::tempdir().expect("home");
    let kc = home.path().join("kubeconfig.yaml");
    std::fs::write(&kc, s.kubeconfig("t0ken")).expect("write kubeconfig");
    let mut child = Command::new(BIN)
        .arg("drift")
        .arg(REPO)
        .arg("--kubeconfig")
        .arg(&kc)
        .env_remove("KUBECONFIG")
        .env("HOME", home.path())
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run kubectl-gitops");
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break Some(status);
        }
        if start.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let status = status.expect("the list loops forever on a repeated continue token");
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        use std::io::Read as _;
        e.read_to_string(&mut stderr).expect("stderr");
    }
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("the same continue token"), "{stderr}");
}

#[test]
fn an_ignore_annotation_that_kustomize_adds_suppresses_drift() {
    // Only the rendered Deployment carries the annotation: the suppression is checked
    // before the finding moves to web/deployment.yaml.
    let Some((r, v)) = kustomized_drift(
        "resources:\n  - deployment.yaml\n  - config.yaml\n  - secret.yaml\ncommonAnnotations:\n  kubectl-gitops.io/ignore: \"LIVE001 -- tuned by hand\"\n",
    ) else {
        return;
    };
    assert_eq!(codes(&v), Vec::<String>::new(), "{v}\n{}", r.stderr);
    assert!(v["summary"]["suppressed"].as_u64() >= Some(1), "{v}");
    assert_eq!(r.code, 0);
}

#[test]
fn drift_of_a_generated_application_points_at_its_application_set() {
    let repo = common::fixture(&[
        (
            ".kubectl-gitops.yaml",
            "repoURLs: [https://github.com/acme/drift.git]\n",
        ),
        (
            "apps/set.yaml",
            "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: gens\n  namespace: argocd\nspec:\n  generators:\n    - list:\n        elements:\n          - name: gen\n  template:\n    metadata:\n      name: '{{name}}'\n    spec:\n      project: default\n      source:\n        repoURL: https://github.com/acme/drift.git\n        path: gen\n        targetRevision: main\n      destination:\n        server: https://kubernetes.default.svc\n        namespace: prod\n",
        ),
        ("gen/.keep", ""),
    ]);
    let snap = tempfile::tempdir().expect("tempdir");
    let path = snap.path().join("apps.yaml");
    std::fs::write(
        &path,
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: gen\n  namespace: argocd\nspec:\n  project: default\n  source:\n    repoURL: https://github.com/acme/drift.git\n    path: gen\n    targetRevision: dev\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: prod\n",
    )
    .expect("write");
    let r = snapshot_run(repo.path(), &path, &["--format", "json"]);
    let v = json(&r);
    assert_eq!(codes(&v), ["LIVE003"], "{v}\n{}", r.stderr);
    let d = &diagnostics(&v)[0];
    assert_eq!(d["file"], "apps/set.yaml", "{v}");
    assert_eq!(d["line"], 19, "{v}");
    assert!(
        d["message"]
            .as_str()
            .is_some_and(|m| m.contains("generated by ApplicationSet 'gens'")),
        "{v}"
    );
}

#[test]
fn the_report_goes_to_the_output_file() {
    let out = tempfile::tempdir().expect("tempdir");
    let path = out.path().join("drift.json");
    let path_arg = path.to_string_lossy().into_owned();
    let r = snapshot_run(
        Path::new(REPO),
        Path::new(LIVE),
        &["--format", "json", "--output", &path_arg],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, "");
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("written")).expect("json");
    assert_eq!(written["live"]["resources"], 4, "{written}");
    let missing = out.path().join("no/such/dir/drift.json");
    let r = snapshot_run(
        Path::new(REPO),
        Path::new(LIVE),
        &["--output", &missing.to_string_lossy()],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("cannot write"), "{}", r.stderr);
}
