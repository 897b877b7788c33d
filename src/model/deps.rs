//! Dependencies between an Application's resources: what each resource needs (from
//! [`crate::argo::dependencies::extract`]), resolved to the object of the same Application
//! that provides it, the Namespace Argo CD creates for `CreateNamespace=true`, the Secret an
//! ExternalSecret, SealedSecret or Certificate of the Application will create, an object of
//! another Application, or nothing known.
//!
//! Resolution (semantics §3.6): same API group, kind and name; namespaces compared after
//! giving every object without `metadata.namespace` the Application's destination
//! namespace, on both ends, as `getSyncTasks` does. Namespaces are ignored for kinds that
//! are cluster-scoped (a CRD of the repository or Kubernetes' own table says so, or the
//! reference itself is to a cluster-scoped kind). CRDs are matched by `spec.group` and
//! `spec.names.kind`.
//!
//! Every [`Edge`] means "`from` needs `to`" (or, when `informational`, "`from` selects
//! `to`"). The `ProducesSecret` references are not edges: they make the Secrets that
//! consumers resolve to [`Target::Produced`].
//!
//! A reference resolves, in this order, to: a resource of the same Application; a Secret
//! one of its resources creates; the Namespace `CreateNamespace=true` creates; an object of
//! another Application (the first in model order); else [`Target::Unresolved`]. A Secret
//! created by a resource of another Application, and objects that no Application
//! syncs, are unresolved.
//!
//! Cost: one extraction per distinct resource, read from the span tree (no JSON
//! conversion), in parallel; one index over all Applications' resources by (group, kind,
//! name); then per Application, in parallel, lookups in that index and its own produced
//! Secrets; selectors are matched against the Pod templates of the same Application only.
//! Edges share their resource's extracted dependencies (`Arc`), nothing is copied. On the
//! benchmark repository (500 Applications × 20 resources, 17,500 edges) [`Deps::build`]
//! takes about 7 % of a lint.

use crate::argo::dependencies::{self, DepKind, Dependency, Key, Ns, Ref};
use crate::load::yaml::Node;
use crate::model::{Model, Repo};
use rayon::prelude::*;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

/// What a reference resolves to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// A resource (index into `Repo::objects`) of the same Application.
    Resource(usize),
    /// The Namespace Argo CD creates in PreSync for `CreateNamespace=true` (semantics
    /// §3.6), when the Application's manifests contain none of that name.
    CreatedNamespace,
    /// A Secret that exists only because this resource of the same Application (an
    /// ExternalSecret, SealedSecret or Certificate) creates it.
    Produced { by: usize },
    /// An object of another Application (`app` indexes `Model::apps`, `object`
    /// `Repo::objects`): useful for CRDs installed by another Application.
    OtherApplication { app: usize, object: usize },
    /// Not found in the repository: likely created elsewhere. Rules stay silent on these.
    Unresolved,
}

/// One resolved dependency of a resource.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edge {
    /// The resource that makes the reference (index into `Repo::objects`).
    pub from: usize,
    pub kind: DepKind,
    /// Kubernetes tolerates the target's absence.
    pub optional: bool,
    /// A selector: drawn, never a reason to order.
    pub informational: bool,
    pub to: Target,
    /// The dependencies extracted from `from` (shared by its edges, not copied) and the
    /// position of this one among them.
    deps: Arc<[Dependency]>,
    at: usize,
}

impl Edge {
    /// The reference as extracted from `from`.
    pub fn dependency(&self) -> &Dependency {
        &self.deps[self.at]
    }

    /// JSON pointer of the referencing field in `from` (`""`: the object as a whole).
    pub fn pointer(&self) -> &str {
        &self.dependency().pointer
    }

    /// What was referenced, as written (for messages).
    pub fn target(&self) -> &Ref {
        &self.dependency().target
    }
}

/// Every Application's edges, computed once.
#[derive(Debug, Default)]
pub struct Deps {
    per_app: Vec<Vec<Edge>>,
}

impl Deps {
    /// Resolves the dependencies of every Application of the model, in parallel.
    pub fn build(repo: &Repo, model: &Model<'_>) -> Deps {
        let all: Vec<usize> = (0..model.apps.len()).collect();
        let index = Index::build(repo, model, &all);
        let per_app = all
            .par_iter()
            .map(|&a| index.resolve_app(repo, model, a))
            .collect();
        Deps { per_app }
    }

    /// The edges of one Application (index into `Model::apps`), in resource order, then
    /// field order; empty for an index out of range.
    pub fn of_app(&self, app: usize) -> &[Edge] {
        self.per_app.get(app).map_or(&[], Vec::as_slice)
    }

    /// The edges from one resource within one Application.
    pub fn from(&self, app: usize, object: usize) -> impl Iterator<Item = &Edge> {
        self.of_app(app).iter().filter(move |e| e.from == object)
    }
}

/// The edges of one Application (index into `Model::apps`). Builds the repository-wide
/// index each call: use [`Deps::build`] for many Applications.
pub fn edges(repo: &Repo, model: &Model<'_>, app: usize) -> Vec<Edge> {
    if app >= model.apps.len() {
        return Vec::new();
    }
    Index::build(repo, model, &[app]).resolve_app(repo, model, app)
}

/// FxHash (rustc's hasher): the keys here are short strings and small integers from the
/// repository, hashed tens of thousands of times per lint; SipHash's DoS resistance buys
/// nothing for them.
#[derive(Default)]
struct Fx(u64);

impl Hasher for Fx {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

impl Fx {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<Fx>>;

/// `(group, kind, name)` of an object.
type NameKey<'a> = (&'a str, &'a str, &'a str);

/// An object of some Application, with the namespace it gets there (`None` when its kind
/// is cluster-scoped).
#[derive(Clone, Copy)]
struct Placed<'a> {
    app: usize,
    object: usize,
    namespace: Option<&'a str>,
}

struct Index<'a> {
    /// Dependencies of each resource of the Applications being resolved, by object.
    extracted: Vec<Option<Arc<[Dependency]>>>,
    /// Whether each object's kind is cluster-scoped (a repository CRD or Kubernetes' table
    /// says so), for the resources of every Application.
    cluster: Vec<bool>,
    /// Every Application's resources by group, kind and name.
    by_name: FxMap<NameKey<'a>, Vec<Placed<'a>>>,
    /// CRDs of every Application by `spec.group` and `spec.names.kind`.
    crds: FxMap<(&'a str, &'a str), Vec<(usize, usize)>>,
}

impl<'a> Index<'a> {
    fn build(repo: &'a Repo, model: &'a Model<'_>, resolve: &[usize]) -> Index<'a> {
        let mut scopes: FxMap<(&str, &str), Option<bool>> = FxMap::default();
        let total: usize = model.apps.iter().map(|n| n.resources.len()).sum();
        let mut by_name: FxMap<NameKey<'a>, Vec<Placed<'a>>> =
            FxMap::with_capacity_and_hasher(total, BuildHasherDefault::default());
        let mut crds: FxMap<(&str, &str), Vec<(usize, usize)>> = FxMap::default();
        let mut cluster = vec![false; repo.objects.len()];
        for (a, node) in model.apps.iter().enumerate() {
            let dest = node.destination_namespace();
            for &r in &node.resources {
                let Some(o) = repo.objects.get(r) else {
                    continue;
                };
                let gk = (o.group(), o.kind.as_str());
                let scope = *scopes
                    .entry(gk)
                    .or_insert_with(|| model.namespaced(gk.0, gk.1));
                cluster[r] = scope == Some(false);
                if let Some(name) = o.name.as_deref() {
                    let namespace =
                        (scope != Some(false)).then(|| o.namespace.as_deref().unwrap_or(dest));
                    by_name.entry((gk.0, gk.1, name)).or_default().push(Placed {
                        app: a,
                        object: r,
                        namespace,
                    });
                }
                if gk == ("apiextensions.k8s.io", "CustomResourceDefinition")
                    && let Some(spec) = o.spec()
                    && let (Some(g), Some(k)) = (
                        spec.get("group").and_then(Node::as_str),
                        spec.path(&["names", "kind"]).and_then(Node::as_str),
                    )
                {
                    crds.entry((g, k)).or_default().push((a, r));
                }
            }
        }
        let mut wanted: Vec<usize> = resolve
            .iter()
            .filter_map(|&a| model.apps.get(a))
            .flat_map(|n| n.resources.iter().copied())
            .filter(|&r| r < repo.objects.len())
            .collect();
        wanted.sort_unstable();
        wanted.dedup();
        let found: Vec<(usize, Arc<[Dependency]>)> = wanted
            .par_iter()
            .map(|&r| {
                let o = &repo.objects[r];
                let head = dependencies::Head {
                    group: o.group(),
                    kind: &o.kind,
                    namespace: o.namespace.as_deref(),
                    name: o.name.as_deref(),
                };
                let deps = dependencies::extract_with(&o.node, &head);
                (r, Arc::from(deps))
            })
            .collect();
        let mut extracted = vec![None; repo.objects.len()];
        for (r, deps) in found {
            extracted[r] = Some(deps);
        }
        Index {
            extracted,
            cluster,
            by_name,
            crds,
        }
    }

    fn deps_of(&self, r: usize) -> &[Dependency] {
        self.extracted
            .get(r)
            .and_then(Option::as_deref)
            .unwrap_or(&[])
    }

    fn resolve_app(&self, repo: &Repo, model: &Model<'_>, a: usize) -> Vec<Edge> {
        let Some(node) = model.apps.get(a) else {
            return Vec::new();
        };
        let dest = node.destination_namespace();
        let app = Local {
            index: self,
            repo,
            a,
            dest,
            creates_namespace: !dest.is_empty()
                && node.app().has_sync_option("CreateNamespace=true"),
            produced: self.produced(&node.resources, dest),
            resources: &node.resources,
        };
        let mut out = Vec::new();
        for &r in &node.resources {
            let Some(Some(deps)) = self.extracted.get(r) else {
                continue;
            };
            for (at, d) in deps.iter().enumerate() {
                match d.kind {
                    DepKind::ProducesSecret => continue,
                    // A kind the repository's CRD declares cluster-scoped lives in no
                    // Namespace.
                    DepKind::Namespace if self.cluster[r] => continue,
                    _ => {}
                }
                let edge = |to| Edge {
                    from: r,
                    kind: d.kind,
                    optional: d.optional,
                    informational: d.informational,
                    to,
                    deps: Arc::clone(deps),
                    at,
                };
                match &d.target {
                    Ref::Selector(sel) => {
                        let want = app.namespace_of(&sel.namespace);
                        let mut any = false;
                        for &c in app.resources {
                            let co = &repo.objects[c];
                            if c == r || dependencies::pod_template(co.group(), &co.kind).is_none()
                            {
                                continue;
                            }
                            if !app.in_namespace(c, want) {
                                continue;
                            }
                            if sel.matches_doc(dependencies::pod_labels(&co.node)) {
                                out.push(edge(Target::Resource(c)));
                                any = true;
                            }
                        }
                        if !any {
                            out.push(edge(Target::Unresolved));
                        }
                    }
                    target => out.push(edge(app.resolve(target))),
                }
            }
        }
        out
    }

    /// Secrets the given resources create: (namespace, name) → producer.
    fn produced<'r>(
        &'r self,
        resources: &[usize],
        dest: &'r str,
    ) -> FxMap<(&'r str, &'r str), usize> {
        let mut out = FxMap::default();
        for &r in resources {
            for d in self.deps_of(r) {
                if d.kind != DepKind::ProducesSecret {
                    continue;
                }
                if let Ref::Object(k) = &d.target {
                    let ns = match &k.namespace {
                        Ns::Named(n) => n.as_str(),
                        Ns::Default | Ns::Cluster => dest,
                    };
                    out.entry((ns, k.name.as_str())).or_insert(r);
                }
            }
        }
        out
    }
}

/// Resolution inside one Application.
struct Local<'x> {
    index: &'x Index<'x>,
    repo: &'x Repo,
    a: usize,
    dest: &'x str,
    creates_namespace: bool,
    produced: FxMap<(&'x str, &'x str), usize>,
    resources: &'x [usize],
}

impl Local<'_> {
    /// The namespace a reference looks in (`None`: cluster-scoped).
    fn namespace_of<'n>(&'n self, ns: &'n Ns) -> Option<&'n str> {
        match ns {
            Ns::Cluster => None,
            Ns::Named(n) => Some(n),
            Ns::Default => Some(self.dest),
        }
    }

    /// Whether resource `r` of this Application lives in `want` (always, for a
    /// cluster-scoped kind or a cluster-scoped reference).
    fn in_namespace(&self, r: usize, want: Option<&str>) -> bool {
        match want {
            None => true,
            Some(w) => {
                self.index.cluster[r]
                    || self.repo.objects[r]
                        .namespace
                        .as_deref()
                        .unwrap_or(self.dest)
                        == w
            }
        }
    }

    fn resolve(&self, target: &Ref) -> Target {
        match target {
            Ref::Object(k) => self.resolve_key(k),
            Ref::DefaultNamespace if self.dest.is_empty() => Target::Unresolved,
            Ref::DefaultNamespace => self.resolve_named("", "Namespace", None, self.dest),
            Ref::Crd { group, kind } => {
                let found = self
                    .index
                    .crds
                    .get(&(group.as_str(), kind.as_str()))
                    .map_or(&[][..], Vec::as_slice);
                if let Some(&(_, object)) = found.iter().find(|(app, _)| *app == self.a) {
                    return Target::Resource(object);
                }
                match found.first() {
                    Some(&(app, object)) => Target::OtherApplication { app, object },
                    None => Target::Unresolved,
                }
            }
            // Selectors are resolved by the caller (several targets).
            Ref::Selector(_) => Target::Unresolved,
        }
    }

    fn resolve_key(&self, k: &Key) -> Target {
        let want = self.namespace_of(&k.namespace);
        self.resolve_named(&k.group, &k.kind, want, &k.name)
    }

    /// In order: a resource of this Application; a Secret one of its resources creates; the
    /// Namespace `CreateNamespace=true` creates; an object of another Application.
    fn resolve_named(&self, group: &str, kind: &str, want: Option<&str>, name: &str) -> Target {
        let candidates = self
            .index
            .by_name
            .get(&(group, kind, name))
            .map_or(&[][..], Vec::as_slice);
        let fits = |p: &Placed<'_>| match (want, p.namespace) {
            (None, _) | (_, None) => true,
            (Some(w), Some(n)) => w == n,
        };
        if let Some(p) = candidates.iter().find(|p| p.app == self.a && fits(p)) {
            return Target::Resource(p.object);
        }
        if group.is_empty() {
            if kind == "Secret"
                && let Some(w) = want
                && let Some(&by) = self.produced.get(&(w, name))
            {
                return Target::Produced { by };
            }
            if kind == "Namespace" && self.creates_namespace && name == self.dest {
                return Target::CreatedNamespace;
            }
        }
        match candidates.iter().find(|p| p.app != self.a && fits(p)) {
            Some(p) => Target::OtherApplication {
                app: p.app,
                object: p.object,
            },
            None => Target::Unresolved,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::model::identity::RepoIdentity;

    const URL: &str = "https://git.example.com/org/gitops.git";

    fn write(dir: &std::path::Path, rel: &str, text: &str) {
        let p = dir.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(p, text).expect("write");
    }

    fn app(name: &str, path: &str, dest_ns: &str, extra: &str) -> String {
        format!(
            "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: {name}\n  namespace: argocd\nspec:\n  project: default\n  source:\n    repoURL: {URL}\n    path: {path}\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: {dest_ns}\n{extra}"
        )
    }

    /// Loads a repository written from `files` and runs `check` on its model.
    fn with_model<T>(files: &[(&str, &str)], check: impl FnOnce(&Repo, &Model<'_>) -> T) -> T {
        let dir = tempfile::tempdir().expect("tempdir");
        for (rel, text) in files {
            write(dir.path(), rel, text);
        }
        let root = dir.path().to_path_buf();
        let exclude = crate::walk::exclude_matcher(&root, &[]).expect("matcher");
        let items = crate::walk::walk(&root, std::slice::from_ref(&root), &exclude, 1);
        let (repo, _) = Repo::load(root.clone(), &items);
        let model = Model::build(&repo, &Config::default(), RepoIdentity::new(root, &[URL]));
        check(&repo, &model)
    }

    fn app_index(model: &Model<'_>, name: &str) -> usize {
        model
            .apps
            .iter()
            .position(|a| a.name == name)
            .expect("the Application")
    }

    fn named(repo: &Repo, kind: &str, name: &str) -> usize {
        repo.objects
            .iter()
            .position(|o| o.kind == kind && o.name.as_deref() == Some(name))
            .expect("the object")
    }

    /// `from-kind/from-name kind -> target` lines of an Application's edges.
    fn show(repo: &Repo, model: &Model<'_>, edges: &[Edge]) -> Vec<String> {
        let obj = |i: usize| {
            let o = &repo.objects[i];
            format!("{}/{}", o.kind, o.name.as_deref().unwrap_or(""))
        };
        edges
            .iter()
            .map(|e| {
                let to = match e.to {
                    Target::Resource(i) => obj(i),
                    Target::CreatedNamespace => "created-namespace".to_owned(),
                    Target::Produced { by } => format!("produced-by {}", obj(by)),
                    Target::OtherApplication { app, object } => {
                        format!("{} in app {}", obj(object), model.apps[app].name)
                    }
                    Target::Unresolved => "unresolved".to_owned(),
                };
                format!("{} {:?} -> {to}", obj(e.from), e.kind)
            })
            .collect()
    }

    fn app_edges(files: &[(&str, &str)], name: &str) -> Vec<String> {
        with_model(files, |repo, model| {
            let a = app_index(model, name);
            let deps = Deps::build(repo, model);
            let single = edges(repo, model, a);
            assert_eq!(deps.of_app(a), single.as_slice(), "build and edges agree");
            show(repo, model, &single)
        })
    }

    const DEPLOY: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      serviceAccountName: web\n      containers:\n      - name: web\n        image: web:1\n        env:\n        - name: A\n          valueFrom:\n            configMapKeyRef: {name: settings, key: a}\n        - name: B\n          valueFrom:\n            secretKeyRef: {name: elsewhere, key: b}\n";

    #[test]
    fn resolves_within_the_application() {
        let a = app("web", "web", "team", "");
        let more = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: team\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: web\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: team\n";
        let files = [
            ("apps/web.yaml", a.as_str()),
            ("web/deploy.yaml", DEPLOY),
            ("web/more.yaml", more),
        ];
        assert_eq!(
            app_edges(&files, "web"),
            [
                "Deployment/web Namespace -> Namespace/team",
                "Deployment/web EnvValueFrom -> ConfigMap/settings",
                "Deployment/web EnvValueFrom -> unresolved",
                "Deployment/web ServiceAccount -> ServiceAccount/web",
                "ConfigMap/settings Namespace -> Namespace/team",
                "ServiceAccount/web Namespace -> Namespace/team",
            ]
        );
    }

    #[test]
    fn namespaces_are_compared_after_defaulting_both_ends() {
        // The Deployment names `team` and the ConfigMap leaves it to the destination
        // `team`: they match. A ConfigMap in another namespace does not.
        let deploy = DEPLOY.replace(
            "  name: web\nspec:",
            "  name: web\n  namespace: team\nspec:",
        );
        let cms = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: web\n  namespace: other\n";
        let a = app("web", "web", "team", "");
        let files = [
            ("apps/web.yaml", a.as_str()),
            ("web/d.yaml", deploy.as_str()),
            ("web/c.yaml", cms),
        ];
        let got = app_edges(&files, "web");
        assert!(
            got.contains(&"Deployment/web EnvValueFrom -> ConfigMap/settings".to_owned()),
            "{got:?}"
        );
        assert!(
            got.contains(&"Deployment/web ServiceAccount -> unresolved".to_owned()),
            "{got:?}"
        );
        // With destination `prod`, the unqualified ConfigMap lands in `prod`.
        let a = app("web", "web", "prod", "");
        let files = [
            ("apps/web.yaml", a.as_str()),
            ("web/d.yaml", deploy.as_str()),
            ("web/c.yaml", cms),
        ];
        let got = app_edges(&files, "web");
        assert!(
            got.contains(&"Deployment/web EnvValueFrom -> unresolved".to_owned()),
            "{got:?}"
        );
    }

    #[test]
    fn create_namespace_counts_as_a_resource() {
        let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n";
        let with = app(
            "web",
            "web",
            "team",
            "  syncPolicy:\n    syncOptions: [CreateNamespace=true]\n",
        );
        let files = [("apps/web.yaml", with.as_str()), ("web/cm.yaml", cm)];
        assert_eq!(
            app_edges(&files, "web"),
            ["ConfigMap/a Namespace -> created-namespace"]
        );
        // A Namespace manifest of that name wins over the created one.
        let ns = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team\n";
        let files = [
            ("apps/web.yaml", with.as_str()),
            ("web/cm.yaml", cm),
            ("web/ns.yaml", ns),
        ];
        assert_eq!(
            app_edges(&files, "web"),
            ["ConfigMap/a Namespace -> Namespace/team"]
        );
        // Argo CD compares the option exactly: no creation without it.
        let without = app(
            "web",
            "web",
            "team",
            "  syncPolicy:\n    syncOptions: [' CreateNamespace=true']\n",
        );
        let files = [("apps/web.yaml", without.as_str()), ("web/cm.yaml", cm)];
        assert_eq!(
            app_edges(&files, "web"),
            ["ConfigMap/a Namespace -> unresolved"]
        );
        // Another namespace than the destination is not created.
        let other = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: other\n";
        let files = [("apps/web.yaml", with.as_str()), ("web/cm.yaml", other)];
        assert_eq!(
            app_edges(&files, "web"),
            ["ConfigMap/a Namespace -> unresolved"]
        );
    }

    #[test]
    fn secrets_produced_by_the_application() {
        let job = "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n  annotations:\n    argocd.argoproj.io/hook: PreSync\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: m\n        image: m:1\n        envFrom:\n        - secretRef: {name: db-creds}\n        - secretRef: {name: sealed}\n        - secretRef: {name: merged}\n";
        let producers = "apiVersion: external-secrets.io/v1beta1\nkind: ExternalSecret\nmetadata:\n  name: db\n  annotations:\n    argocd.argoproj.io/sync-wave: \"-2\"\nspec:\n  secretStoreRef: {name: vault, kind: ClusterSecretStore}\n  target: {name: db-creds}\n---\napiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: sealed\nspec:\n  encryptedData: {a: AgB}\n---\napiVersion: external-secrets.io/v1beta1\nkind: ExternalSecret\nmetadata:\n  name: merged\nspec:\n  secretStoreRef: {name: vault, kind: ClusterSecretStore}\n  target: {creationPolicy: Merge}\n";
        let a = app("db", "db", "data", "");
        let files = [
            ("apps/db.yaml", a.as_str()),
            ("db/job.yaml", job),
            ("db/es.yaml", producers),
        ];
        let got: Vec<String> = app_edges(&files, "db")
            .into_iter()
            .filter(|e| e.starts_with("Job/"))
            .collect();
        assert_eq!(
            got,
            [
                "Job/migrate Namespace -> unresolved",
                "Job/migrate EnvFrom -> produced-by ExternalSecret/db",
                "Job/migrate EnvFrom -> produced-by SealedSecret/sealed",
                "Job/migrate EnvFrom -> unresolved",
            ]
        );
    }

    #[test]
    fn crds_in_this_or_another_application() {
        let crd = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\nspec:\n  group: example.com\n  scope: Cluster\n  names: {kind: Widget, plural: widgets}\n  versions: [{name: v1, served: true, storage: true}]\n";
        let widget = "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n";
        let gadget = "apiVersion: other.example.com/v1\nkind: Gadget\nmetadata:\n  name: g\n";
        let crds_app = app("crds", "crds", "", "");
        let use_app = app("use", "use", "team", "");
        let files = [
            ("apps/crds.yaml", crds_app.as_str()),
            ("apps/use.yaml", use_app.as_str()),
            ("crds/crd.yaml", crd),
            ("use/w.yaml", widget),
            ("use/g.yaml", gadget),
        ];
        // The CRD declares Widget cluster-scoped: no Namespace dependency.
        assert_eq!(
            app_edges(&files, "use"),
            [
                "Gadget/g Namespace -> unresolved",
                "Gadget/g Crd -> unresolved",
                "Widget/w Crd -> CustomResourceDefinition/widgets.example.com in app crds",
            ]
        );
        let both = [
            ("apps/use.yaml", use_app.as_str()),
            ("use/crd.yaml", crd),
            ("use/w.yaml", widget),
        ];
        assert_eq!(
            app_edges(&both, "use"),
            ["Widget/w Crd -> CustomResourceDefinition/widgets.example.com"]
        );
    }

    #[test]
    fn selectors_rbac_ingress_and_scaling() {
        let objs = "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  selector: {app: web}\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: lonely\nspec:\n  selector: {app: none}\n---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: web\nspec:\n  minAvailable: 1\n  selector:\n    matchExpressions: [{key: app, operator: In, values: [web, api]}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: web\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}\nsubjects:\n- {kind: ServiceAccount, name: web}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: view\n  namespace: ignored\nrules: []\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: web\n---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\nspec:\n  rules:\n  - http:\n      paths:\n      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}\n---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: web\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n  maxReplicas: 3\n";
        let deploy = DEPLOY.replace("        env:\n        - name: A\n          valueFrom:\n            configMapKeyRef: {name: settings, key: a}\n        - name: B\n          valueFrom:\n            secretKeyRef: {name: elsewhere, key: b}\n", "");
        let a = app(
            "web",
            "web",
            "team",
            "  syncPolicy:\n    syncOptions: [CreateNamespace=true]\n",
        );
        let files = [
            ("apps/web.yaml", a.as_str()),
            ("web/a.yaml", deploy.as_str()),
            ("web/b.yaml", objs),
        ];
        let got: Vec<String> = app_edges(&files, "web")
            .into_iter()
            .filter(|e| !e.contains(" Namespace -> "))
            .collect();
        assert_eq!(
            got,
            [
                "Deployment/web ServiceAccount -> ServiceAccount/web",
                "Service/web Selector -> Deployment/web",
                "Service/lonely Selector -> unresolved",
                "PodDisruptionBudget/web Selector -> Deployment/web",
                "RoleBinding/web RoleRef -> ClusterRole/view",
                "RoleBinding/web Subject -> ServiceAccount/web",
                "Ingress/web IngressBackend -> Service/web",
                "HorizontalPodAutoscaler/web ScaleTarget -> Deployment/web",
            ]
        );
        with_model(&files, |repo, model| {
            let deps = Deps::build(repo, model);
            let svc = named(repo, "Service", "web");
            let sel: Vec<&Edge> = deps
                .from(0, svc)
                .filter(|e| e.kind == DepKind::Selector)
                .collect();
            assert_eq!(sel.len(), 1);
            assert!(sel[0].informational);
            assert_eq!(sel[0].pointer(), "/spec/selector");
            // The pointer finds the referencing field in the object.
            let d = named(repo, "Deployment", "web");
            let e = deps
                .from(0, d)
                .find(|e| e.kind == DepKind::ServiceAccount)
                .expect("edge");
            let n = repo.objects[d].node.pointer(e.pointer()).expect("field");
            assert_eq!(n.as_str(), Some("web"));
        });
    }

    #[test]
    fn a_shared_object_resolves_per_application() {
        // Two Applications sync the same directory into different namespaces; a
        // ConfigMap of a third directory only one of them also syncs.
        let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: i\n    envFrom:\n    - configMapRef: {name: cfg}\n";
        let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n  namespace: a\n";
        let app_a = app("a", "shared", "a", "");
        let app_b = app("b", "shared", "b", "");
        let app_c = app("c", "cfg", "a", "");
        let files = [
            ("apps/a.yaml", app_a.as_str()),
            ("apps/b.yaml", app_b.as_str()),
            ("apps/c.yaml", app_c.as_str()),
            ("shared/pod.yaml", pod),
            ("cfg/cm.yaml", cm),
        ];
        let a: Vec<String> = app_edges(&files, "a")
            .into_iter()
            .filter(|e| e.contains("EnvFrom"))
            .collect();
        assert_eq!(a, ["Pod/p EnvFrom -> ConfigMap/cfg in app c"]);
        let b: Vec<String> = app_edges(&files, "b")
            .into_iter()
            .filter(|e| e.contains("EnvFrom"))
            .collect();
        assert_eq!(b, ["Pod/p EnvFrom -> unresolved"]);
    }

    #[test]
    fn what_stays_unresolved() {
        // A Secret created by another Application's ExternalSecret, and a CRD no
        // Application syncs, are unresolved.
        let es = "apiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata:\n  name: shared\n  namespace: team\nspec:\n  secretStoreRef: {name: s, kind: ClusterSecretStore}\n";
        let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: i\n    envFrom:\n    - secretRef: {name: shared}\n";
        let crd = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: externalsecrets.external-secrets.io\nspec:\n  group: external-secrets.io\n  scope: Namespaced\n  names: {kind: ExternalSecret, plural: externalsecrets}\n";
        let a = app("secrets", "secrets", "team", "");
        let b = app("use", "use", "team", "");
        let files = [
            ("apps/a.yaml", a.as_str()),
            ("apps/b.yaml", b.as_str()),
            ("secrets/es.yaml", es),
            ("use/pod.yaml", pod),
            ("unsynced/crd.yaml", crd),
        ];
        let got: Vec<String> = app_edges(&files, "use")
            .into_iter()
            .filter(|e| e.contains("EnvFrom"))
            .collect();
        assert_eq!(got, ["Pod/p EnvFrom -> unresolved"]);
        let got: Vec<String> = app_edges(&files, "secrets")
            .into_iter()
            .filter(|e| e.contains("Crd"))
            .collect();
        assert_eq!(got, ["ExternalSecret/shared Crd -> unresolved"]);
        with_model(&files, |repo, model| {
            let deps = Deps::build(repo, model);
            let a = app_index(model, "use");
            let e = deps
                .of_app(a)
                .iter()
                .find(|e| e.kind == DepKind::EnvFrom)
                .expect("edge");
            assert_eq!(e.dependency().kind, DepKind::EnvFrom);
            assert!(
                matches!(e.target(), Ref::Object(k) if k.name == "shared" && k.kind == "Secret")
            );
        });
    }

    #[test]
    fn out_of_range_and_empty() {
        with_model(&[], |repo, model| {
            assert!(edges(repo, model, 3).is_empty());
            let deps = Deps::build(repo, model);
            assert!(deps.of_app(0).is_empty());
        });
    }

    /// End to end through the CLI's lint: the realistic case of issue 5 (a PreSync
    /// migration Job reading a Secret an ExternalSecret creates in the Sync phase).
    #[test]
    fn through_lint_then() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        write(
            root,
            "apps/db.yaml",
            &app(
                "db",
                "db",
                "data",
                "  syncPolicy:\n    syncOptions: [CreateNamespace=true]\n",
            ),
        );
        write(
            root,
            "db/job.yaml",
            "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n  annotations:\n    argocd.argoproj.io/hook: PreSync\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: m\n        image: m:1\n        env:\n        - name: PASSWORD\n          valueFrom:\n            secretKeyRef: {name: db-creds, key: password}\n",
        );
        write(
            root,
            "db/es.yaml",
            "apiVersion: external-secrets.io/v1beta1\nkind: ExternalSecret\nmetadata:\n  name: db-creds\n  annotations:\n    argocd.argoproj.io/sync-wave: \"-2\"\nspec:\n  secretStoreRef: {name: vault, kind: ClusterSecretStore}\n",
        );
        let mut args = crate::cli::LintArgs::new(vec![root.to_path_buf()]);
        args.repo.repo_urls = vec![URL.to_owned()];
        args.repo.render = Some(crate::cli::RenderFlag::Never);
        let (_, (lines, job_pointer)) = crate::cli::lint_then(&args, |repo, model, _| {
            let deps = Deps::build(repo, model);
            let a = app_index(model, "db");
            let job = named(repo, "Job", "migrate");
            let secret = deps
                .from(a, job)
                .find(|e| e.kind == DepKind::EnvValueFrom)
                .map(|e| e.pointer().to_owned());
            (show(repo, model, deps.of_app(a)), secret)
        })
        .expect("lint runs");
        assert_eq!(
            lines,
            [
                "ExternalSecret/db-creds Namespace -> created-namespace",
                "ExternalSecret/db-creds Crd -> unresolved",
                "ExternalSecret/db-creds SecretStore -> unresolved",
                "Job/migrate Namespace -> created-namespace",
                "Job/migrate EnvValueFrom -> produced-by ExternalSecret/db-creds",
            ]
        );
        assert_eq!(
            job_pointer.as_deref(),
            Some("/spec/template/spec/containers/0/env/0/valueFrom/secretKeyRef/name")
        );
    }
}
