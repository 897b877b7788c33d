//! A generator of large, realistic synthetic Argo CD GitOps repositories, for benchmarks
//! (`benches/lint.rs`) and for trying the linter on a big tree (`examples/gen_repo.rs`).
//!
//! The layout is the common app-of-apps one:
//!
//! ```text
//! bootstrap/root.yaml                  the root Application, over apps/ (recursive)
//! projects/<team>.yaml                 one AppProject per team
//! apps/<team>/<app>.yaml               one Application per app
//! appsets/<team>-previews.yaml         one list-generator ApplicationSet per team
//! manifests/<team>/<app>/*.yaml        the app's manifests: Deployment, Service,
//!                                      ConfigMaps, a PreSync migration Job, a multi-document
//!                                      RBAC bundle, HPA, PDB, NetworkPolicy, Ingress, …
//! kustomize/<team>/{base,overlays/*}/   with `kustomize_every`: overlays some Applications
//!                                      deploy instead of their directory
//! ```
//!
//! Everything is deterministic for a given [`Spec`] (a fixed-seed generator decides where
//! the deliberate mistakes go), so benchmark runs compare like with like. About 2% of the
//! files carry a mistake that a rule reports (an invalid or unquoted sync-wave, a repeated
//! key, a misspelt hook delete policy or sync option, an unquoted `yes`, an unparsable
//! backoff) and one file in a thousand is not valid YAML. No Secrets are generated.
//!
//! This module is not part of the product: it is compiled into the benchmark and the
//! example only (it lives in `benches/synth/` so cargo does not take it for a benchmark).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// What to generate.
#[derive(Clone, Copy, Debug)]
pub struct Spec {
    /// Number of Applications (one directory of manifests each).
    pub apps: usize,
    /// Manifest files per Application directory.
    pub manifests: usize,
    /// Seed of the generator that places the mistakes.
    pub seed: u64,
    /// Every `n`-th Application (0: none) deploys a kustomize overlay instead of its
    /// directory: `kustomize/<team>/overlays/<env>` over `kustomize/<team>/base`. Three
    /// overlays per team, so several Applications share each one (a render cache hits).
    pub kustomize_every: usize,
}

const ENVS: [&str; 3] = ["dev", "staging", "prod"];

/// The overlay an Application deploys, if it is a kustomize one.
fn kustomize_overlay(spec: &Spec, team: &str, i: usize) -> Option<String> {
    if spec.kustomize_every == 0 || !i.is_multiple_of(spec.kustomize_every) {
        return None;
    }
    // Every team (the `i % teams` of the caller) gets every environment in turn.
    let env = ENVS[(i / spec.kustomize_every / TEAMS.len()) % ENVS.len()];
    Some(format!("kustomize/{team}/overlays/{env}"))
}

/// A team's kustomize base and its three overlays.
fn kustomize_files(team: &str, out: &mut Vec<File>) {
    out.push(File {
        path: format!("kustomize/{team}/base/kustomization.yaml").into(),
        text: "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - deployment.yaml\n  - service.yaml\n  - configmap.yaml\n".to_owned(),
    });
    out.push(File {
        path: format!("kustomize/{team}/base/deployment.yaml").into(),
        text: format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {team}-web\nspec:\n  replicas: 2\n  selector:\n    matchLabels: {{app: {team}-web}}\n  template:\n    metadata:\n      labels: {{app: {team}-web}}\n    spec:\n      containers:\n        - name: web\n          image: registry.example.com/{team}/web:1.0.0\n"
        ),
    });
    out.push(File {
        path: format!("kustomize/{team}/base/service.yaml").into(),
        text: format!(
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: {team}-web\nspec:\n  selector: {{app: {team}-web}}\n  ports:\n    - port: 80\n"
        ),
    });
    out.push(File {
        path: format!("kustomize/{team}/base/configmap.yaml").into(),
        text: format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {team}-web\ndata:\n  mode: live\n"
        ),
    });
    for env in ENVS {
        out.push(File {
            path: format!("kustomize/{team}/overlays/{env}/kustomization.yaml").into(),
            text: format!(
                "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: {team}-{env}\nnamePrefix: {env}-\nresources:\n  - ../../base\n"
            ),
        });
    }
}

/// What was generated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub files: usize,
    pub bytes: u64,
    pub documents: usize,
}

const TEAMS: [&str; 6] = ["payments", "search", "identity", "platform", "data", "web"];
const REPO_URL: &str = "https://git.example.com/acme/gitops.git";

/// splitmix64: small, fast and good enough to scatter mistakes.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// True with probability `per_mille` / 1000.
    fn chance(&mut self, per_mille: u64) -> bool {
        self.next() % 1000 < per_mille
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// The mistakes the generator can plant in an annotated manifest.
#[derive(Clone, Copy)]
enum Mistake {
    None,
    FractionalWave,
    UnquotedWave,
    DuplicateKey,
    HookPolicyTypo,
    UnquotedYes,
    Syntax,
}

fn pick_mistake(rng: &mut Rng) -> Mistake {
    if rng.chance(1) {
        return Mistake::Syntax;
    }
    if !rng.chance(20) {
        return Mistake::None;
    }
    match rng.below(5) {
        0 => Mistake::FractionalWave,
        1 => Mistake::UnquotedWave,
        2 => Mistake::DuplicateKey,
        3 => Mistake::HookPolicyTypo,
        _ => Mistake::UnquotedYes,
    }
}

/// One file to write: a path relative to the repository root and its text.
pub struct File {
    pub path: PathBuf,
    pub text: String,
}

/// The repository's files, in a deterministic order.
pub fn files(spec: &Spec) -> Vec<File> {
    let mut rng = Rng(spec.seed);
    let mut out = Vec::with_capacity(spec.apps * (spec.manifests + 1) + 32);
    let teams = &TEAMS[..TEAMS.len().min(spec.apps.max(1))];
    // The configuration names the repository, so Applications resolve to its directories
    // and every project and resource check runs.
    out.push(File {
        path: ".kubectl-gitops.yaml".into(),
        text: format!("repoURLs:\n  - {REPO_URL}\n"),
    });
    out.push(File {
        path: "bootstrap/root.yaml".into(),
        text: root_application(),
    });
    for team in teams {
        out.push(File {
            path: format!("projects/{team}.yaml").into(),
            text: app_project(team),
        });
        out.push(File {
            path: format!("appsets/{team}-previews.yaml").into(),
            text: application_set(team),
        });
    }
    if spec.kustomize_every > 0 {
        for team in teams {
            kustomize_files(team, &mut out);
        }
    }
    for i in 0..spec.apps {
        let team = teams[i % teams.len()];
        let app = format!("{team}-svc-{i:04}");
        let path =
            kustomize_overlay(spec, team, i).unwrap_or_else(|| format!("manifests/{team}/{app}"));
        out.push(File {
            path: format!("apps/{team}/{app}.yaml").into(),
            text: application(team, &app, &path, i, &mut rng),
        });
        for m in 0..spec.manifests {
            let (name, text) = manifest(team, &app, m, &mut rng);
            out.push(File {
                path: format!("manifests/{team}/{app}/{name}").into(),
                text,
            });
        }
    }
    out
}

/// Writes the repository under `root` (created if needed).
pub fn generate(root: &Path, spec: &Spec) -> std::io::Result<Stats> {
    let mut stats = Stats::default();
    for f in files(spec) {
        let path = root.join(&f.path);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(&path, &f.text)?;
        // The configuration is not a manifest: the linter reads it, but does not lint it.
        if f.path.as_os_str() == ".kubectl-gitops.yaml" {
            continue;
        }
        stats.files += 1;
        stats.bytes += f.text.len() as u64;
        stats.documents += 1 + f.text.matches("\n---\n").count();
    }
    Ok(stats)
}

fn root_application() -> String {
    format!(
        r#"# The root of the app-of-apps tree: every Application under apps/.
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: root
  namespace: argocd
  finalizers:
    - resources-finalizer.argocd.argoproj.io
spec:
  project: default
  source:
    repoURL: {REPO_URL}
    targetRevision: main
    path: apps
    directory:
      recurse: true
  destination:
    server: https://kubernetes.default.svc
    namespace: argocd
  syncPolicy:
    automated:
      prune: true
      selfHeal: true
"#
    )
}

fn app_project(team: &str) -> String {
    format!(
        r#"apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata:
  name: {team}
  namespace: argocd
spec:
  description: Services owned by the {team} team
  sourceRepos:
    - {REPO_URL}
  destinations:
    - server: https://kubernetes.default.svc
      namespace: "{team}-*"
    - name: in-cluster
      namespace: "{team}-*"
  clusterResourceWhitelist:
    - group: ""
      kind: Namespace
  namespaceResourceBlacklist:
    - group: ""
      kind: ResourceQuota
  orphanedResources:
    warn: true
"#
    )
}

fn application_set(team: &str) -> String {
    format!(
        r#"apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: {team}-previews
  namespace: argocd
spec:
  goTemplate: true
  goTemplateOptions: ["missingkey=error"]
  generators:
    - list:
        elements:
          - env: dev
            replicas: "1"
          - env: staging
            replicas: "2"
  template:
    metadata:
      name: "{team}-preview-{{{{.env}}}}"
      labels:
        team: {team}
    spec:
      project: {team}
      source:
        repoURL: {REPO_URL}
        targetRevision: main
        path: "manifests/{team}"
        directory:
          recurse: true
      destination:
        server: https://kubernetes.default.svc
        namespace: "{team}-preview-{{{{.env}}}}"
      syncPolicy:
        syncOptions:
          - CreateNamespace=true
"#
    )
}

fn application(team: &str, app: &str, path: &str, i: usize, rng: &mut Rng) -> String {
    let wave = i % 5;
    let sync_option = if rng.chance(10) {
        "Retry=true"
    } else {
        "ServerSideApply=true"
    };
    let backoff = if rng.chance(10) { "3d" } else { "5s" };
    format!(
        r#"apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: {app}
  namespace: argocd
  labels:
    team: {team}
  annotations:
    argocd.argoproj.io/sync-wave: "{wave}"
    notifications.argoproj.io/subscribe.on-sync-failed.slack: {team}-alerts
  finalizers:
    - resources-finalizer.argocd.argoproj.io
spec:
  project: {team}
  source:
    repoURL: {REPO_URL}
    targetRevision: main
    path: {path}
  destination:
    server: https://kubernetes.default.svc
    namespace: {team}-{i:04}
  syncPolicy:
    automated:
      prune: true
      selfHeal: true
    syncOptions:
      - CreateNamespace=true
      - {sync_option}
    retry:
      limit: 5
      backoff:
        duration: {backoff}
        factor: 2
        maxDuration: 3m
  ignoreDifferences:
    - group: apps
      kind: Deployment
      jsonPointers:
        - /spec/replicas
"#
    )
}

/// Wave annotation lines (indented for `metadata.annotations`) for a mistake.
fn wave_line(wave: i64, mistake: Mistake) -> String {
    match mistake {
        Mistake::FractionalWave => format!("    argocd.argoproj.io/sync-wave: \"{wave}.5\"\n"),
        Mistake::UnquotedWave => format!("    argocd.argoproj.io/sync-wave: {wave}\n"),
        Mistake::DuplicateKey => format!(
            "    argocd.argoproj.io/sync-wave: \"{wave}\"\n    argocd.argoproj.io/sync-wave: \"{}\"\n",
            wave + 1
        ),
        _ => format!("    argocd.argoproj.io/sync-wave: \"{wave}\"\n"),
    }
}

fn manifest(team: &str, app: &str, m: usize, rng: &mut Rng) -> (String, String) {
    let ns = format!("{team}-{}", &app[app.len() - 4..]);
    let mistake = pick_mistake(rng);
    let (name, mut text) = match m {
        0 => ("deployment.yaml".to_owned(), deployment(app, &ns, mistake)),
        1 => ("service.yaml".to_owned(), service(app, &ns, mistake)),
        2 => ("configmap.yaml".to_owned(), configmap(app, &ns, 0, mistake)),
        3 => ("job-migrate.yaml".to_owned(), job(app, &ns, mistake)),
        4 => ("rbac.yaml".to_owned(), rbac_bundle(app, &ns, mistake)),
        5 => ("hpa.yaml".to_owned(), hpa(app, &ns, mistake)),
        6 => ("pdb.yaml".to_owned(), pdb(app, &ns, mistake)),
        7 => (
            "networkpolicy.yaml".to_owned(),
            network_policy(app, &ns, mistake),
        ),
        8 => ("ingress.yaml".to_owned(), ingress(app, &ns, mistake)),
        k => (
            format!("config-{k:02}.yaml"),
            configmap(app, &ns, k, mistake),
        ),
    };
    if let Mistake::Syntax = mistake {
        // An unclosed flow sequence: the file is not YAML.
        text.push_str("extra: [unclosed, list\n");
    }
    (name, text)
}

fn deployment(app: &str, ns: &str, mistake: Mistake) -> String {
    let mut s = String::with_capacity(2048);
    let _ = write!(
        s,
        r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: {app}
  namespace: {ns}
  labels:
    app.kubernetes.io/name: {app}
    app.kubernetes.io/part-of: {ns}
  annotations:
{wave}spec:
  replicas: 3
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      app.kubernetes.io/name: {app}
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 25%
      maxUnavailable: 0
  template:
    metadata:
      labels:
        app.kubernetes.io/name: {app}
      annotations:
        prometheus.io/scrape: "true"
        prometheus.io/port: "9090"
    spec:
      serviceAccountName: {app}
      securityContext:
        runAsNonRoot: true
        seccompProfile:
          type: RuntimeDefault
      containers:
        - name: app
          image: registry.example.com/{app}:1.42.0
          imagePullPolicy: IfNotPresent
          args: ["--port=8080", "--metrics-port=9090", "--log-format=json"]
          ports:
            - name: http
              containerPort: 8080
            - name: metrics
              containerPort: 9090
          env:
            - name: LOG_LEVEL
              value: info
            - name: POD_NAMESPACE
              valueFrom:
                fieldRef:
                  fieldPath: metadata.namespace
          envFrom:
            - configMapRef:
                name: {app}-config
          readinessProbe:
            httpGet:
              path: /healthz
              port: http
            periodSeconds: 10
          resources:
            requests:
              cpu: 100m
              memory: 128Mi
            limits:
              memory: 256Mi
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: ["ALL"]
"#,
        wave = wave_line(1, mistake),
    );
    s
}

fn service(app: &str, ns: &str, mistake: Mistake) -> String {
    format!(
        r#"apiVersion: v1
kind: Service
metadata:
  name: {app}
  namespace: {ns}
  annotations:
{wave}spec:
  type: ClusterIP
  selector:
    app.kubernetes.io/name: {app}
  ports:
    - name: http
      port: 80
      targetPort: http
    - name: metrics
      port: 9090
      targetPort: metrics
"#,
        wave = wave_line(1, mistake),
    )
}

fn configmap(app: &str, ns: &str, k: usize, mistake: Mistake) -> String {
    let feature = if let Mistake::UnquotedYes = mistake {
        "yes"
    } else {
        "\"enabled\""
    };
    let mut s = format!(
        r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: {app}-config-{k:02}
  namespace: {ns}
  annotations:
{wave}data:
  FEATURE_NEW_CHECKOUT: {feature}
  CACHE_TTL: "300"
  application.yaml: |
    server:
      port: 8080
    database:
      host: db.{ns}.svc
      pool: 10
"#,
        wave = wave_line(0, mistake),
    );
    for j in 0..(k % 7) {
        let _ = writeln!(s, "  key_{j:02}: \"value {j} of {app}\"");
    }
    s
}

fn job(app: &str, ns: &str, mistake: Mistake) -> String {
    let policy = if let Mistake::HookPolicyTypo = mistake {
        "BeforeHookCreate"
    } else {
        "BeforeHookCreation"
    };
    format!(
        r#"apiVersion: batch/v1
kind: Job
metadata:
  generateName: {app}-migrate-
  namespace: {ns}
  annotations:
    argocd.argoproj.io/hook: PreSync
    argocd.argoproj.io/hook-delete-policy: {policy}
{wave}spec:
  backoffLimit: 2
  ttlSecondsAfterFinished: 600
  template:
    spec:
      restartPolicy: Never
      serviceAccountName: {app}
      containers:
        - name: migrate
          image: registry.example.com/{app}-migrations:1.42.0
          args: ["migrate", "--to=latest"]
          envFrom:
            - configMapRef:
                name: {app}-config
"#,
        wave = wave_line(-1, mistake),
    )
}

fn rbac_bundle(app: &str, ns: &str, mistake: Mistake) -> String {
    format!(
        r#"apiVersion: v1
kind: ServiceAccount
metadata:
  name: {app}
  namespace: {ns}
  annotations:
{wave}---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: {app}-reader
  namespace: {ns}
rules:
  - apiGroups: [""]
    resources: ["configmaps", "endpoints"]
    verbs: ["get", "list", "watch"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: {app}-reader
  namespace: {ns}
subjects:
  - kind: ServiceAccount
    name: {app}
    namespace: {ns}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: {app}-reader
"#,
        wave = wave_line(-2, mistake),
    )
}

fn hpa(app: &str, ns: &str, mistake: Mistake) -> String {
    format!(
        r#"apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {app}
  namespace: {ns}
  annotations:
{wave}spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {app}
  minReplicas: 3
  maxReplicas: 12
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: 70
"#,
        wave = wave_line(2, mistake),
    )
}

fn pdb(app: &str, ns: &str, mistake: Mistake) -> String {
    format!(
        r#"apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {app}
  namespace: {ns}
  annotations:
{wave}spec:
  maxUnavailable: 1
  selector:
    matchLabels:
      app.kubernetes.io/name: {app}
"#,
        wave = wave_line(2, mistake),
    )
}

fn network_policy(app: &str, ns: &str, mistake: Mistake) -> String {
    format!(
        r#"apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {app}-ingress
  namespace: {ns}
  annotations:
{wave}spec:
  podSelector:
    matchLabels:
      app.kubernetes.io/name: {app}
  policyTypes: [Ingress]
  ingress:
    - from:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: ingress-nginx
      ports:
        - protocol: TCP
          port: 8080
"#,
        wave = wave_line(0, mistake),
    )
}

fn ingress(app: &str, ns: &str, mistake: Mistake) -> String {
    format!(
        r#"apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {app}
  namespace: {ns}
  annotations:
    nginx.ingress.kubernetes.io/proxy-body-size: 8m
{wave}spec:
  ingressClassName: nginx
  tls:
    - hosts: ["{app}.example.com"]
      secretName: {app}-tls
  rules:
    - host: {app}.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: {app}
                port:
                  name: http
"#,
        wave = wave_line(3, mistake),
    )
}
