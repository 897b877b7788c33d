//! The Argo CD model of the repository: which AppProject and cluster each Application
//! uses, which of its sources live in this checkout, which objects are its resources, and
//! the app-of-apps tree they form. Built once per run, before the rules, and shared by them
//! and by `tree`.
//!
//! Nothing here decides whether something is allowed: permission checks live in
//! `crate::argo::project` and the rules. This module only says what Argo CD would look at.

use crate::argo::glob;
use crate::argo::project::ProjectSpec;
use crate::config::Config;
use crate::load::yaml::Node;
use crate::model::application::Application;
use crate::model::cluster::{Clusters, Resolution, secret_field};
use crate::model::generated::Generated;
use crate::model::identity::RepoIdentity;
use crate::model::rendered::Renders;
use crate::model::repo::ARGO_GROUP;
use crate::model::{Object, Repo};
use crate::render::RenderError;
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap, HashSet};

/// The label that marks Argo CD's repository and cluster Secrets.
const SECRET_TYPE_LABEL: &str = crate::model::cluster::SECRET_TYPE_LABEL;

/// How Argo CD generates manifests for a source in this repository
/// (`GetAppSourceType`: the explicit type, else discovery in the source directory).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceKind {
    Directory {
        recurse: bool,
        include: Option<String>,
        exclude: Option<String>,
    },
    Kustomize,
    Helm,
    Plugin,
    /// Several of `helm`, `kustomize`, `directory`, `plugin` are set: Argo CD refuses the
    /// source ("multiple application sources defined").
    Conflicting(Vec<&'static str>),
}

impl SourceKind {
    pub fn label(&self) -> &'static str {
        match self {
            SourceKind::Directory { .. } => "directory",
            SourceKind::Kustomize => "kustomize",
            SourceKind::Helm => "helm",
            SourceKind::Plugin => "plugin",
            SourceKind::Conflicting(_) => "conflicting",
        }
    }
}

/// Whether the source type was written in the Application or discovered from files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KindOrigin {
    Explicit,
    Discovered,
}

/// Where a source's manifests come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// Another Git repository, a Helm repository or an OCI registry: not fetched.
    External,
    /// A directory of this checkout (relative to its root, `/`-separated, `""` for the
    /// root) that exists.
    Local {
        dir: String,
        kind: SourceKind,
        origin: KindOrigin,
        /// What discovery alone would have chosen (differs from `kind` when an explicit
        /// block overrides it).
        discovered: SourceKind,
    },
    /// This repository, but the path does not exist in the checkout (or is a file).
    NotFound { dir: String, is_file: bool },
    /// The path leaves the repository (`..` above the root).
    OutsideRepo,
    /// The path starts with `/`: Argo CD refuses it ("app path is absolute") instead of
    /// reading it from the repository root.
    Absolute,
    /// This repository, without a `path`: a `ref`-only source of a multi-source
    /// Application, which provides value files and no manifests.
    RefOnly,
    /// This repository without `path` or `ref` (APP001 reports the missing field).
    NoPath,
}

#[derive(Debug, Clone)]
pub struct SourceInfo<'r> {
    /// The source mapping.
    pub node: &'r Node,
    /// Index in `spec.sources`, `None` for `spec.source` or the hydrator's dry source.
    pub position: Option<usize>,
    /// `spec.sourceHydrator.drySource`.
    pub dry: bool,
    pub repo_url: Option<&'r str>,
    pub location: Location,
}

impl SourceInfo<'_> {
    /// `source.path` or `sources[N].path`, for messages.
    pub fn field(&self) -> String {
        match self.position {
            Some(i) => format!("sources[{i}]"),
            None if self.dry => "sourceHydrator.drySource".to_owned(),
            None => "source".to_owned(),
        }
    }

    pub fn path_node(&self) -> Option<&Node> {
        self.node.get("path")
    }
}

/// Why some of an Application's resources are unknown (reported once, as GO005).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gap {
    /// The source lives in another repository.
    External { source: usize },
    /// The source was not rendered: its tool is missing or switched off (`reason`), it
    /// needs the network, or kubectl-gitops cannot run it (plugins).
    NotRendered {
        source: usize,
        kind: &'static str,
        reason: Option<String>,
    },
    /// Rendering failed (GO004 reports it; GO005 does not repeat it).
    RenderFailed { source: usize, error: RenderError },
    /// The source directory is outside the linted paths.
    NotLinted { source: usize, dir: String },
}

impl Gap {
    pub fn source(&self) -> usize {
        match self {
            Gap::External { source }
            | Gap::NotRendered { source, .. }
            | Gap::RenderFailed { source, .. }
            | Gap::NotLinted { source, .. } => *source,
        }
    }
}

/// One Application and everything the rules need to know about it.
#[derive(Debug)]
pub struct AppNode<'r> {
    pub object: &'r Object,
    /// Index of the object in `Repo::objects`.
    pub object_index: usize,
    pub namespace: String,
    pub name: String,
    pub project: String,
    pub sources: Vec<SourceInfo<'r>>,
    /// Indices into `Repo::objects`, in file order, each once.
    pub resources: Vec<usize>,
    /// Sources whose resources are unknown; empty when `resources` is complete.
    pub gaps: Vec<Gap>,
    /// Child Applications (indices into `Model::apps`), in file order. An Application
    /// among its own resources is not its own child (see `self_managed`).
    pub children: Vec<usize>,
    /// The Application is among its own resources. Argo CD supports this
    /// (`isSelfReferencedApp`: no refresh loop, never deleted by its own sync).
    pub self_managed: bool,
    pub parents: Vec<usize>,
    /// Longest chain of parents above this Application (0 for a root).
    pub depth: usize,
}

impl AppNode<'_> {
    pub fn app(&self) -> Application<'_> {
        Application {
            object: self.object,
        }
    }

    pub fn destination_server(&self) -> Option<&str> {
        self.app()
            .destination()
            .and_then(|d| d.get("server"))
            .and_then(Node::as_str)
            .filter(|s| !s.is_empty())
    }

    pub fn destination_name(&self) -> Option<&str> {
        self.app()
            .destination()
            .and_then(|d| d.get("name"))
            .and_then(Node::as_str)
            .filter(|s| !s.is_empty())
    }

    /// `destination.namespace` as written (`""` when absent).
    pub fn destination_namespace(&self) -> &str {
        self.app()
            .destination()
            .and_then(|d| d.get("namespace"))
            .and_then(Node::as_str)
            .unwrap_or("")
    }
}

/// An AppProject as Argo CD finds it by name.
#[derive(Debug)]
pub struct ProjectEntry<'r> {
    pub name: String,
    /// The AppProject object; `None` for the built-in `default` project.
    pub object: Option<&'r Object>,
    /// Repository Secrets scoped to this project: (url, Secret). Argo CD appends their
    /// URLs to `sourceRepos`.
    pub scoped_repos: Vec<(String, &'r Object)>,
    /// The spec Argo CD evaluates: the AppProject's own (or the built-in default), plus
    /// the repositories and clusters scoped to the project (`GetAppProjectByName`).
    /// `Origin::ScopedRepository(i)` indexes `scoped_repos`; `Origin::ScopedCluster(i)`
    /// indexes `Model::clusters.list`.
    pub spec: ProjectSpec,
}

#[derive(Debug, Default)]
pub struct Projects<'r> {
    map: BTreeMap<String, ProjectEntry<'r>>,
    /// AppProjects in a namespace other than the control plane's, which Argo CD never reads.
    elsewhere: BTreeMap<String, Vec<&'r Object>>,
}

impl<'r> Projects<'r> {
    fn build(repo: &'r Repo, control_plane: &str, clusters: &Clusters) -> Projects<'r> {
        let mut p = Projects::default();
        for o in repo.projects() {
            let Some(name) = o.name.clone().filter(|n| !n.is_empty()) else {
                continue;
            };
            if o.namespace.as_deref().is_some_and(|ns| ns != control_plane) {
                p.elsewhere.entry(name).or_default().push(o);
                continue;
            }
            // Kubernetes keeps one object per name: the first one written stands in for it
            // (APP011's sibling for projects is a duplicate-object rule, not this model).
            p.map.entry(name.clone()).or_insert_with(|| ProjectEntry {
                name,
                object: Some(o),
                scoped_repos: Vec::new(),
                spec: ProjectSpec::from_json(
                    o.json().get("spec").unwrap_or(&serde_json::Value::Null),
                ),
            });
        }
        p.map
            .entry("default".to_owned())
            .or_insert_with(|| ProjectEntry {
                name: "default".to_owned(),
                object: None,
                scoped_repos: Vec::new(),
                spec: ProjectSpec::default_project(),
            });
        for o in repo.of_kind("", "Secret") {
            let is_repo = o
                .labels()
                .and_then(|l| l.get(SECRET_TYPE_LABEL))
                .and_then(Node::as_str)
                == Some("repository");
            if !is_repo {
                continue;
            }
            let Some((project, _)) = secret_field(o, "project") else {
                continue;
            };
            let Some((url, _)) = secret_field(o, "url") else {
                continue;
            };
            if let Some(e) = p.map.get_mut(&project) {
                e.spec.add_scoped_repository(&url, e.scoped_repos.len());
                e.scoped_repos.push((url, o));
            }
        }
        for (i, c) in clusters.list.iter().enumerate() {
            if let Some(e) = c.project.as_ref().and_then(|proj| p.map.get_mut(proj)) {
                let ns: Vec<&str> = c.namespaces.iter().map(String::as_str).collect();
                e.spec.add_scoped_cluster(&c.server, &ns, i);
            }
        }
        p
    }

    pub fn get(&self, name: &str) -> Option<&ProjectEntry<'r>> {
        self.map.get(name)
    }

    /// AppProjects with this name outside the control-plane namespace.
    pub fn elsewhere(&self, name: &str) -> &[&'r Object] {
        self.elsewhere.get(name).map_or(&[], Vec::as_slice)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.map.keys().map(String::as_str)
    }
}

/// The Argo CD view of the repository.
#[derive(Debug)]
pub struct Model<'r> {
    pub identity: RepoIdentity,
    pub clusters: Clusters,
    pub projects: Projects<'r>,
    pub control_plane: String,
    /// Every Application of the repository, in file order.
    pub apps: Vec<AppNode<'r>>,
    /// Scopes declared by CRDs in the repository: (group, kind) → namespaced.
    crd_scopes: HashMap<(String, String), bool>,
    /// Cycles of two or more Applications in the app-of-apps graph, each as app indices in
    /// order (APP012).
    pub cycles: Vec<Vec<usize>>,
    /// The repository's ApplicationSets, expanded; their Applications are in `apps`.
    pub generated: Generated,
    by_ptr: HashMap<usize, usize>,
}

impl<'r> Model<'r> {
    /// The model of a repository nothing was rendered for.
    pub fn build(repo: &'r Repo, config: &Config, identity: RepoIdentity) -> Model<'r> {
        Model::build_with(repo, config, identity, &Renders::default())
    }

    /// The model, with the objects rendered for kustomize and Helm sources as their
    /// Applications' resources.
    pub fn build_with(
        repo: &'r Repo,
        config: &Config,
        identity: RepoIdentity,
        renders: &Renders,
    ) -> Model<'r> {
        Model::build_stages(repo, config, identity, renders, Generated::default())
    }

    /// The model after the render and generate stages: rendered objects are their
    /// Applications' resources, and the Applications ApplicationSets generate are
    /// Applications like the others, children of the Applications that deploy their
    /// ApplicationSet.
    pub fn build_stages(
        repo: &'r Repo,
        config: &Config,
        identity: RepoIdentity,
        renders: &Renders,
        generated: Generated,
    ) -> Model<'r> {
        let control_plane = config.control_plane_namespace().to_owned();
        let clusters = Clusters::build(repo, config);
        let projects = Projects::build(repo, &control_plane, &clusters);
        let index = FileIndex::build(repo, &identity);
        let app_objects: Vec<(usize, &Object)> = repo
            .objects
            .iter()
            .enumerate()
            .filter(|(_, o)| o.is(ARGO_GROUP, "Application"))
            .collect();
        let mut apps: Vec<AppNode<'r>> = app_objects
            .par_iter()
            .map(|&(i, o)| resolve_app(i, o, &identity, &index, &control_plane, renders))
            .collect();
        let by_object: HashMap<usize, usize> = apps
            .iter()
            .enumerate()
            .map(|(a, n)| (n.object_index, a))
            .collect();
        // ApplicationSet (object index) → the Applications it generates (app indices).
        let mut by_set: HashMap<usize, Vec<usize>> = HashMap::new();
        for (a, n) in apps.iter().enumerate() {
            if let Some(g) = &n.object.generated {
                by_set.entry(g.set_object).or_default().push(a);
            }
        }
        for a in 0..apps.len() {
            let mut children: Vec<usize> = apps[a]
                .resources
                .iter()
                .filter_map(|r| by_object.get(r).copied())
                .collect();
            if !by_set.is_empty() {
                // A rendered copy of an ApplicationSet stands for the one it was built from.
                let generated: Vec<usize> = apps[a]
                    .resources
                    .iter()
                    .map(
                        |&r| match repo.objects.get(r).and_then(|o| o.rendered.as_ref()) {
                            Some(from) => match from.trace {
                                crate::model::Trace::Object(j) => j,
                                _ => r,
                            },
                            None => r,
                        },
                    )
                    .filter_map(|r| by_set.get(&r))
                    .flatten()
                    .copied()
                    .collect();
                for c in generated {
                    if !children.contains(&c) {
                        children.push(c);
                    }
                }
            }
            if let Some(at) = children.iter().position(|&c| c == a) {
                children.remove(at);
                apps[a].self_managed = true;
            }
            for &c in &children {
                apps[c].parents.push(a);
            }
            apps[a].children = children;
        }
        let (cycles, back_edges) = find_cycles(&apps);
        compute_depths(&mut apps, &back_edges);
        let crd_scopes = crd_scopes(repo);
        let by_ptr = apps
            .iter()
            .enumerate()
            .map(|(a, n)| (std::ptr::from_ref(n.object) as usize, a))
            .collect();
        Model {
            identity,
            clusters,
            projects,
            control_plane,
            apps,
            cycles,
            crd_scopes,
            generated,
            by_ptr,
        }
    }

    /// The model node of an Application object.
    pub fn app_of(&self, o: &Object) -> Option<&AppNode<'r>> {
        let key = std::ptr::from_ref(o) as usize;
        self.by_ptr.get(&key).map(|&a| &self.apps[a])
    }

    /// Applications no other Application contains.
    pub fn roots(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.apps.len()).filter(|&a| self.apps[a].parents.is_empty())
    }

    /// Whether a kind is namespaced: a CRD of the repository, else the built-in table;
    /// `None` when only the cluster's API discovery could tell.
    pub fn namespaced(&self, group: &str, kind: &str) -> Option<bool> {
        self.crd_scopes
            .get(&(group.to_owned(), kind.to_owned()))
            .copied()
            .or_else(|| crate::argo::kinds::builtin_namespaced(group, kind))
    }

    /// How an Application's destination resolves.
    pub fn resolve_destination(&self, app: &AppNode<'_>) -> Resolution<'_> {
        self.clusters
            .resolve(app.destination_server(), app.destination_name())
    }
}

fn crd_scopes(repo: &Repo) -> HashMap<(String, String), bool> {
    let mut out = HashMap::new();
    for o in repo.of_kind("apiextensions.k8s.io", "CustomResourceDefinition") {
        let Some(spec) = o.spec() else { continue };
        let group = spec.get("group").and_then(Node::as_str);
        let kind = spec.path(&["names", "kind"]).and_then(Node::as_str);
        let namespaced = match spec.get("scope").and_then(Node::as_str) {
            Some("Namespaced") => true,
            Some("Cluster") => false,
            _ => continue,
        };
        if let (Some(g), Some(k)) = (group, kind) {
            out.insert((g.to_owned(), k.to_owned()), namespaced);
        }
    }
    out
}

/// Loaded objects by the directory of their file, relative to the checkout root.
struct FileIndex {
    by_dir: BTreeMap<String, Vec<(String, usize)>>,
}

impl FileIndex {
    fn build(repo: &Repo, identity: &RepoIdentity) -> FileIndex {
        let mut by_dir: BTreeMap<String, Vec<(String, usize)>> = BTreeMap::new();
        for (i, o) in repo.objects.iter().enumerate() {
            // Rendered objects belong to the Application that rendered them, not to a
            // directory; generated Applications to their ApplicationSet.
            if o.rendered.is_some() || o.generated.is_some() {
                continue;
            }
            let rel = identity.to_root_relative(&repo.db.get(o.file).rel_path);
            let Some(rel) = clean_path(&rel) else {
                continue;
            };
            let (dir, _) = rel.rsplit_once('/').unwrap_or(("", rel.as_str()));
            by_dir
                .entry(dir.to_owned())
                .or_default()
                .push((rel.clone(), i));
        }
        FileIndex { by_dir }
    }

    /// Objects in `dir` (and below it with `recurse`), with their file path relative to `dir`.
    fn objects_in(&self, dir: &str, recurse: bool) -> Vec<(String, usize)> {
        let strip = |path: &str| -> String {
            if dir.is_empty() {
                path.to_owned()
            } else {
                path.strip_prefix(dir)
                    .and_then(|p| p.strip_prefix('/'))
                    .unwrap_or(path)
                    .to_owned()
            }
        };
        let mut out = Vec::new();
        if let Some(v) = self.by_dir.get(dir) {
            out.extend(v.iter().map(|(p, i)| (strip(p), *i)));
        }
        if recurse {
            let prefix = if dir.is_empty() {
                String::new()
            } else {
                format!("{dir}/")
            };
            for (d, v) in self.by_dir.range(prefix.clone()..) {
                if !d.starts_with(&prefix) {
                    break;
                }
                if d.as_str() == dir {
                    continue;
                }
                out.extend(v.iter().map(|(p, i)| (strip(p), *i)));
            }
        }
        out.sort_by_key(|&(_, i)| i);
        out
    }
}

/// A `/`-separated path with `.` and empty segments removed and `..` applied; `None` when
/// it climbs above its start (Argo CD: "is outside repository").
pub fn clean_path(path: &str) -> Option<String> {
    let mut out: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                out.pop()?;
            }
            s => out.push(s),
        }
    }
    Some(out.join("/"))
}

fn resolve_app<'r>(
    object_index: usize,
    o: &'r Object,
    identity: &RepoIdentity,
    index: &FileIndex,
    control_plane: &str,
    renders: &Renders,
) -> AppNode<'r> {
    let app = Application { object: o };
    let multi = app.is_multi_source();
    let dry = o
        .spec()
        .and_then(|s| s.get("sourceHydrator"))
        .is_some_and(|h| !h.is_null());
    let mut sources = Vec::new();
    for (i, node) in app.sources().into_iter().enumerate() {
        let position = multi.then_some(i);
        let repo_url = node.get("repoURL").and_then(Node::as_str);
        let location = locate(node, repo_url, identity, multi);
        sources.push(SourceInfo {
            node,
            position,
            dry,
            repo_url,
            location,
        });
    }
    let mut resources: Vec<usize> = Vec::new();
    let mut gaps = Vec::new();
    for (s, src) in sources.iter().enumerate() {
        match &src.location {
            Location::External => gaps.push(Gap::External { source: s }),
            Location::Local { dir, kind, .. } => match kind {
                SourceKind::Directory {
                    recurse,
                    include,
                    exclude,
                } => {
                    if !linted(identity, dir) {
                        gaps.push(Gap::NotLinted {
                            source: s,
                            dir: dir.clone(),
                        });
                        continue;
                    }
                    for (rel, i) in index.objects_in(dir, *recurse) {
                        if exclude
                            .as_deref()
                            .is_some_and(|p| !p.is_empty() && glob::matches(p, &rel, &[]))
                        {
                            continue;
                        }
                        if include
                            .as_deref()
                            .is_some_and(|p| !p.is_empty() && !glob::matches(p, &rel, &[]))
                        {
                            continue;
                        }
                        resources.push(i);
                    }
                }
                SourceKind::Conflicting(_) => {}
                other => match renders.get(object_index, s) {
                    Some(Ok(objs)) => resources.extend(objs.iter().copied()),
                    Some(Err(
                        e @ (RenderError::Failed { .. }
                        | RenderError::TimedOut { .. }
                        | RenderError::Invalid { .. }),
                    )) => gaps.push(Gap::RenderFailed {
                        source: s,
                        error: e.clone(),
                    }),
                    Some(Err(RenderError::Disabled { .. })) | None => {
                        gaps.push(Gap::NotRendered {
                            source: s,
                            kind: other.label(),
                            reason: None,
                        });
                    }
                    Some(Err(e)) => gaps.push(Gap::NotRendered {
                        source: s,
                        kind: other.label(),
                        reason: Some(e.to_string()),
                    }),
                },
            },
            Location::NotFound { .. }
            | Location::OutsideRepo
            | Location::Absolute
            | Location::RefOnly
            | Location::NoPath => {}
        }
    }
    resources.sort_unstable();
    resources.dedup();
    let namespace = o
        .namespace
        .clone()
        .unwrap_or_else(|| control_plane.to_owned());
    AppNode {
        object: o,
        object_index,
        namespace,
        name: o.name.clone().unwrap_or_default(),
        project: app.project().to_owned(),
        sources,
        resources,
        gaps,
        children: Vec::new(),
        self_managed: false,
        parents: Vec::new(),
        depth: 0,
    }
}

/// Whether every file Argo CD reads for a directory source was loaded: the directory is
/// the linted directory or lies below it. A source directory above the linted one has
/// files (its own, and with `recurse` its other subdirectories) that were not read.
fn linted(identity: &RepoIdentity, dir: &str) -> bool {
    let prefix = identity.walk_prefix.as_str();
    prefix.is_empty()
        || dir == prefix
        || dir
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('/'))
}

pub(crate) fn locate(
    node: &Node,
    repo_url: Option<&str>,
    identity: &RepoIdentity,
    multi: bool,
) -> Location {
    let Some(url) = repo_url else {
        return Location::NoPath;
    };
    // A `chart` source is a Helm repository (or OCI) chart, never a Git path.
    let has_chart = node
        .get("chart")
        .and_then(Node::as_str)
        .is_some_and(|c| !c.is_empty());
    if has_chart || !identity.is_this_repo(url) {
        return Location::External;
    }
    let path = node.get("path").and_then(Node::as_str).unwrap_or("");
    // `util/app/path.Path` refuses an absolute path before it looks at the checkout.
    if path.starts_with('/') {
        return Location::Absolute;
    }
    if path.is_empty() {
        let has_ref = node
            .get("ref")
            .and_then(Node::as_str)
            .is_some_and(|r| !r.is_empty());
        return if has_ref && multi {
            Location::RefOnly
        } else {
            Location::NoPath
        };
    }
    let Some(dir) = clean_path(path) else {
        return Location::OutsideRepo;
    };
    let abs = identity.root.join(&dir);
    match std::fs::metadata(&abs) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => return Location::NotFound { dir, is_file: true },
        Err(_) => {
            return Location::NotFound {
                dir,
                is_file: false,
            };
        }
    }
    let discovered = discover_kind(&abs);
    let (kind, origin) = match explicit_kind(node, multi) {
        Some(k) => (k, KindOrigin::Explicit),
        None => (discovered.clone(), KindOrigin::Discovered),
    };
    Location::Local {
        dir,
        kind,
        origin,
        discovered,
    }
}

/// `discovery.AppType`: the last file of the directory itself, in name order, that marks a
/// tool decides: a name ending in `Chart.yaml` means Helm, a kustomization file means
/// kustomize; otherwise plain manifests.
fn discover_kind(dir: &std::path::Path) -> SourceKind {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter(|e| e.file_type().is_ok_and(|t| !t.is_dir()))
                .filter_map(|e| e.file_name().into_string().ok())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    let mut kind = SourceKind::Directory {
        recurse: false,
        include: None,
        exclude: None,
    };
    for n in names {
        if n.ends_with("Chart.yaml") {
            kind = SourceKind::Helm;
        }
        if matches!(
            n.as_str(),
            "kustomization.yaml" | "kustomization.yml" | "Kustomization"
        ) {
            kind = SourceKind::Kustomize;
        }
    }
    kind
}

/// Whether a YAML value is Go's zero value for its field (absent, null, `""`, `false`, `0`,
/// or an empty or all-zero mapping or list), the test `IsZero` methods boil down to.
fn is_zero(n: &Node) -> bool {
    if n.is_null() {
        return true;
    }
    if n.is_map() {
        return n.entries().iter().all(|e| is_zero(&e.value));
    }
    if n.is_seq() {
        return n.items().is_empty();
    }
    match n.scalar_text() {
        Some(t) => {
            t.is_empty() || n.as_bool() == Some(false) || n.as_i64() == Some(0) || t == "0.0"
        }
        None => false,
    }
}

/// `ApplicationSource.ExplicitType` after `NormalizeSource`. Argo CD nils zero-valued
/// `helm`/`kustomize`/`directory` blocks of a single source (a `directory` block with only
/// `include`/`exclude` is kept). Its loop over `spec.sources` normalises copies, so in a
/// multi-source Application every block that is written counts, even an empty one.
pub fn explicit_kind(src: &Node, multi: bool) -> Option<SourceKind> {
    let mut found: Vec<(&'static str, SourceKind)> = Vec::new();
    let present = |key: &str| src.get(key).filter(|n| !n.is_null());
    if let Some(k) = present("kustomize")
        && (multi || !is_zero(k))
    {
        found.push(("Kustomize", SourceKind::Kustomize));
    }
    if let Some(h) = present("helm")
        && (multi || !is_zero(h))
    {
        found.push(("Helm", SourceKind::Helm));
    }
    if let Some(d) = present("directory") {
        let text = |k: &str| {
            d.get(k)
                .and_then(Node::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let recurse = d.get("recurse").and_then(Node::as_bool) == Some(true);
        let jsonnet_zero = d.get("jsonnet").is_none_or(is_zero);
        let (include, exclude) = (text("include"), text("exclude"));
        let kept = multi || recurse || !jsonnet_zero || include.is_some() || exclude.is_some();
        if kept {
            found.push((
                "Directory",
                SourceKind::Directory {
                    recurse,
                    include,
                    exclude,
                },
            ));
        }
    }
    if let Some(p) = present("plugin")
        && (multi || !is_zero(p) || p.is_map())
    {
        found.push(("Plugin", SourceKind::Plugin));
    }
    match found.len() {
        0 => None,
        1 => found.pop().map(|(_, k)| k),
        _ => Some(SourceKind::Conflicting(
            found.into_iter().map(|(n, _)| n).collect(),
        )),
    }
}

/// The cycles of the app-of-apps graph, as app indices in parent → child order, and the
/// edges (parent, child) that close them. A depth-first search from the roots (then from
/// any Application left, which only cycles reach) meets each cycle once, at the edge back
/// to an Application still on its path; removing those edges leaves a DAG.
fn find_cycles(apps: &[AppNode<'_>]) -> (Vec<Vec<usize>>, HashSet<(usize, usize)>) {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        OnStack,
        Done,
    }
    let mut mark = vec![Mark::New; apps.len()];
    let mut cycles = Vec::new();
    let mut back = HashSet::new();
    let roots = (0..apps.len()).filter(|&a| apps[a].parents.is_empty());
    let rest = (0..apps.len()).filter(|&a| !apps[a].parents.is_empty());
    for start in roots.chain(rest) {
        if mark[start] != Mark::New {
            continue;
        }
        // Iterative DFS: (node, next child position).
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        mark[start] = Mark::OnStack;
        while let Some(&(node, next)) = stack.last() {
            if let Some(&child) = apps[node].children.get(next) {
                if let Some(top) = stack.last_mut() {
                    top.1 += 1;
                }
                match mark[child] {
                    Mark::New => {
                        mark[child] = Mark::OnStack;
                        stack.push((child, 0));
                    }
                    Mark::OnStack => {
                        let from = stack.iter().position(|&(n, _)| n == child).unwrap_or(0);
                        cycles.push(stack[from..].iter().map(|&(n, _)| n).collect());
                        back.insert((node, child));
                    }
                    Mark::Done => {}
                }
            } else {
                mark[node] = Mark::Done;
                stack.pop();
            }
        }
    }
    (cycles, back)
}

/// Depth = the longest chain of parents above an Application, without the edges that close
/// a cycle (APP012 reports those). Kahn's algorithm over the remaining DAG.
fn compute_depths(apps: &mut [AppNode<'_>], back: &HashSet<(usize, usize)>) {
    let n = apps.len();
    let edges = |p: usize| {
        apps[p]
            .children
            .iter()
            .copied()
            .filter(move |&c| !back.contains(&(p, c)))
    };
    let mut indegree = vec![0usize; n];
    for p in 0..n {
        for c in edges(p) {
            indegree[c] += 1;
        }
    }
    let mut depth = vec![0usize; n];
    let mut queue: std::collections::VecDeque<usize> =
        (0..n).filter(|&a| indegree[a] == 0).collect();
    while let Some(p) = queue.pop_front() {
        let children: Vec<usize> = edges(p).collect();
        for c in children {
            depth[c] = depth[c].max(depth[p] + 1);
            indegree[c] -= 1;
            if indegree[c] == 0 {
                queue.push_back(c);
            }
        }
    }
    for (a, d) in depth.into_iter().enumerate() {
        apps[a].depth = d;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_path_applies_dots_and_refuses_to_climb() {
        assert_eq!(clean_path("apps/x").as_deref(), Some("apps/x"));
        assert_eq!(clean_path("./apps//x/").as_deref(), Some("apps/x"));
        assert_eq!(clean_path("/apps/x").as_deref(), Some("apps/x"));
        assert_eq!(clean_path("apps/../base").as_deref(), Some("base"));
        assert_eq!(clean_path(".").as_deref(), Some(""));
        assert_eq!(clean_path("../other"), None);
        assert_eq!(clean_path("apps/../../x"), None);
    }

    fn source(yaml: &str) -> Node {
        let parsed = crate::load::yaml::parse(yaml);
        parsed
            .documents
            .into_iter()
            .next()
            .map(|d| d.root)
            .expect("a document")
    }

    fn kind(yaml: &str, multi: bool) -> Option<SourceKind> {
        explicit_kind(&source(yaml), multi)
    }

    /// `ExplicitType` after `NormalizeSource` (argo-cd `util/argo/argo.go`,
    /// `ApplicationSourceDirectory.IsZero`); semantics notes §6.1.
    #[test]
    fn explicit_type_after_normalisation() {
        let dir = |recurse, include: Option<&str>, exclude: Option<&str>| {
            Some(SourceKind::Directory {
                recurse,
                include: include.map(str::to_owned),
                exclude: exclude.map(str::to_owned),
            })
        };
        // Single source: zero-valued blocks are dropped.
        assert_eq!(kind("path: x\ndirectory: {}\n", false), None);
        assert_eq!(kind("directory: {recurse: false}\n", false), None);
        assert_eq!(kind("directory: {jsonnet: {extVars: []}}\n", false), None);
        assert_eq!(kind("directory: ~\n", false), None);
        assert_eq!(kind("helm: {}\n", false), None);
        assert_eq!(kind("kustomize: {namePrefix: ''}\n", false), None);
        // include or exclude alone keeps the block.
        assert_eq!(
            kind("directory: {include: '*.yaml'}\n", false),
            dir(false, Some("*.yaml"), None)
        );
        assert_eq!(
            kind("directory: {exclude: 'x'}\n", false),
            dir(false, None, Some("x"))
        );
        assert_eq!(
            kind("directory: {recurse: true}\n", false),
            dir(true, None, None)
        );
        assert_eq!(
            kind(
                "directory: {jsonnet: {tlas: [{name: a, value: b}]}}\n",
                false
            ),
            dir(false, None, None)
        );
        assert_eq!(
            kind("helm: {releaseName: web}\n", false),
            Some(SourceKind::Helm)
        );
        // A plugin block is never dropped.
        assert_eq!(kind("plugin: {}\n", false), Some(SourceKind::Plugin));
        // Multi-source: nothing is dropped (Go normalises copies).
        assert_eq!(kind("directory: {}\n", true), dir(false, None, None));
        assert_eq!(kind("helm: {}\n", true), Some(SourceKind::Helm));
        // Several blocks that count: Go's order, Kustomize, Helm, Directory, Plugin.
        assert_eq!(
            kind(
                "directory: {recurse: true}\nhelm: {releaseName: a}\n",
                false
            ),
            Some(SourceKind::Conflicting(vec!["Helm", "Directory"]))
        );
        assert_eq!(
            kind("directory: {}\nhelm: {releaseName: a}\n", false),
            Some(SourceKind::Helm)
        );
        assert_eq!(
            kind("plugin: {name: p}\nkustomize: {}\ndirectory: {}\n", true),
            Some(SourceKind::Conflicting(vec![
                "Kustomize",
                "Directory",
                "Plugin"
            ]))
        );
    }

    #[test]
    fn a_directory_is_linted_when_it_lies_in_the_linted_directory() {
        let mut id = RepoIdentity::new(std::path::PathBuf::from("/r"), &[]);
        assert!(linted(&id, ""));
        assert!(linted(&id, "apps/x"));
        id.walk_prefix = "apps".to_owned();
        assert!(linted(&id, "apps"));
        assert!(linted(&id, "apps/x"));
        assert!(!linted(&id, "apps2"));
        assert!(!linted(&id, "base"));
        // Above the linted directory: its other files were not read.
        assert!(!linted(&id, ""));
        id.walk_prefix = "apps/team".to_owned();
        assert!(!linted(&id, "apps"));
        assert!(linted(&id, "apps/team/x"));
    }
}
