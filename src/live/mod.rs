//! Live drift (`kubectl gitops drift`): what the cluster runs against what the repository
//! says. Strictly read-only: discovery, list and get.
//!
//! The cluster sits behind [`ClusterSource`]: [`kube::KubeSource`] (feature `live`) talks
//! to an API server through the `kube` crate, [`snapshot::SnapshotSource`] reads
//! `kubectl get -o yaml` dumps. [`check`] does the rest, the same for both:
//!
//! 1. the Applications to check (`--app`, else all) and, for each, whether its
//!    destination is the selected cluster ([`Target`]);
//! 2. discovery of the API versions the desired resources use, to find each kind's
//!    resource name and scope;
//! 3. one list per resource type and namespace (Applications first: a live Application
//!    shows that this cluster runs Argo CD, which is what the `in-cluster` destination
//!    means);
//! 4. per desired resource: Argo CD's normalisation ([`crate::argo::ignore_differences`],
//!    the Application's rules and argocd-cm's), then [`compare::compare`].
//!
//! Findings: LIVE001 (a resource differs), LIVE002 (a resource is missing), LIVE003 (a
//! live Application's spec differs from the repository's), LIVE004 (Argo CD reports the
//! Application OutOfSync, Degraded or in error).

pub mod compare;
#[cfg(feature = "live")]
pub mod kube;
pub mod snapshot;

use crate::argo::ignore_differences::{IgnoreLookup, IgnoreRule, Normalizer, compilable_rules};
use crate::diagnostic::{Diagnostic, ObjectRef};
use crate::load::yaml::Node;
use crate::model::cluster::{IN_CLUSTER_SERVER, Resolution};
use crate::model::ignores::{app_rules, read_system};
pub(crate) use crate::model::repo::ARGO_GROUP;
use crate::model::{Model, Object, Repo};
use crate::source::Span;
use compare::FieldDiff;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The API version of Argo CD's Application.
pub const APPLICATION_API_VERSION: &str = "argoproj.io/v1alpha1";

/// A resource type as discovery describes it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ResourceType {
    pub group: String,
    pub version: String,
    pub kind: String,
    /// The plural resource name (`deployments`).
    pub plural: String,
    pub namespaced: bool,
}

impl ResourceType {
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// `deployments.apps`, `configmaps`: how kubectl and RBAC name it.
    pub fn resource(&self) -> String {
        if self.group.is_empty() {
            self.plural.clone()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }
}

/// One list: a resource type in one namespace (`None`: cluster-scoped).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ListRequest {
    pub ty: ResourceType,
    pub namespace: Option<String>,
}

/// A kind served under an API version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiKind {
    pub kind: String,
    pub plural: String,
    pub namespaced: bool,
}

/// What discovery found for the API versions asked about.
#[derive(Clone, Debug, Default)]
pub struct Discovery {
    /// API version → its kinds; `None` when the cluster does not serve that version.
    pub versions: BTreeMap<String, Option<Vec<ApiKind>>>,
    /// Whether a kind missing here is really not served (a cluster), or only not seen (a
    /// snapshot, which holds only what was dumped).
    pub complete: bool,
}

/// How a desired apiVersion/kind resolves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolved {
    Type(ResourceType),
    /// The cluster does not serve the kind under this API version.
    NotServed,
}

impl Discovery {
    /// Resolves a kind; `namespaced` guesses the scope when a snapshot has never seen it.
    pub fn resolve(&self, api_version: &str, kind: &str, namespaced: bool) -> Resolved {
        let (group, version) = split_api_version(api_version);
        let found = self
            .versions
            .get(api_version)
            .and_then(Option::as_ref)
            .and_then(|kinds| kinds.iter().find(|k| k.kind == kind));
        match found {
            Some(k) => Resolved::Type(ResourceType {
                group: group.to_owned(),
                version: version.to_owned(),
                kind: kind.to_owned(),
                plural: k.plural.clone(),
                namespaced: k.namespaced,
            }),
            None if !self.complete => Resolved::Type(ResourceType {
                group: group.to_owned(),
                version: version.to_owned(),
                kind: kind.to_owned(),
                plural: guess_plural(kind),
                namespaced,
            }),
            None => Resolved::NotServed,
        }
    }
}

/// `apps/v1` → (`apps`, `v1`); `v1` → (``, `v1`).
pub fn split_api_version(api_version: &str) -> (&str, &str) {
    api_version.split_once('/').unwrap_or(("", api_version))
}

/// A DNS-1123 label (what Kubernetes accepts as a namespace name): lowercase letters,
/// digits and `-`, starting and ending with a letter or digit, at most 63 characters.
/// Namespaces, resource names and versions go into request paths only when they are
/// one, so that nothing from the repository can change what a request reads.
pub fn is_dns_label(s: &str) -> bool {
    let b = s.as_bytes();
    let edge = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    !b.is_empty()
        && b.len() <= 63
        && b.first().is_some_and(edge)
        && b.last().is_some_and(edge)
        && b.iter().all(|c| edge(c) || *c == b'-')
}

/// A DNS-1123 subdomain (an API group): dot-separated labels, at most 253 characters.
pub fn is_dns_subdomain(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(is_dns_label)
}

/// Whether an API version can go into a request path: an optional group (a DNS-1123
/// subdomain) and a version (a DNS-1123 label).
pub fn is_valid_api_version(api_version: &str) -> bool {
    let (group, version) = split_api_version(api_version);
    (group.is_empty() || is_dns_subdomain(group)) && is_dns_label(version)
}

/// The resource name guessed from a kind when nothing says it (`Deployment` →
/// `deployments`): a snapshot has no discovery.
pub fn guess_plural(kind: &str) -> String {
    format!("{}s", kind.to_ascii_lowercase())
}

/// Why a list request could not be built safely, if it cannot: the namespace, resource
/// name, group and version all go into the path.
pub fn invalid_request(r: &ListRequest) -> Option<String> {
    if let Some(ns) = &r.namespace
        && r.ty.namespaced
        && !is_dns_label(ns)
    {
        return Some(format!("namespace '{ns}' is not a valid namespace name"));
    }
    if !is_dns_label(&r.ty.plural) {
        return Some(format!(
            "resource name '{}' of kind {} is not a valid resource name",
            r.ty.plural, r.ty.kind
        ));
    }
    if !is_valid_api_version(&r.ty.api_version()) {
        return Some(format!(
            "'{}' is not a valid API version",
            r.ty.api_version()
        ));
    }
    None
}

/// Which cluster the source stands for, to match Application destinations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A snapshot without Applications: every selected Application is compared with it.
    Any,
    /// A cluster reached at `server` (without trailing `/`), known by these names (the
    /// kubeconfig context and cluster entry). Either way, `in-cluster` destinations match
    /// when the Application is found live here (this is the cluster Argo CD runs in).
    Cluster { server: String, names: Vec<String> },
}

/// Why the live state could not be read: every one of these is exit 2.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    #[error("cannot reach the cluster at {server}: {detail}")]
    Unreachable { server: String, detail: String },
    #[error("the cluster at {server} did not answer {what} within {seconds}s (--request-timeout)")]
    Timeout {
        server: String,
        what: String,
        seconds: u64,
    },
    #[error(
        "the cluster at {server} refused the credentials of context '{context}' (401 Unauthorized): they may have expired; log in again (any kubectl command refreshes credentials that a plugin provides)"
    )]
    Unauthorized { server: String, context: String },
    #[error("cannot get credentials for context '{context}': {detail}")]
    Credentials { context: String, detail: String },
    #[error(
        "the cluster at {server} refused to {verb} {resource}{scope} (403 Forbidden){detail}; drift needs get and list access to the resources it compares"
    )]
    Forbidden {
        server: String,
        verb: String,
        resource: String,
        /// ` in namespace prod` or ``.
        scope: String,
        /// `: message` or ``.
        detail: String,
    },
    #[error("{0}")]
    Config(String),
    #[error("{0}")]
    Snapshot(String),
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Other(String),
}

/// Where the live state comes from.
pub trait ClusterSource {
    /// For messages: `context kind-dev (https://127.0.0.1:6443)`, `snapshot dump.yaml`.
    fn describe(&self) -> String;
    fn target(&self) -> Target;
    /// Discovery of these API versions.
    fn discover(&self, api_versions: &BTreeSet<String>) -> Result<Discovery, LiveError>;
    /// Lists every request (bounded concurrency): one result per request, in order;
    /// `tick` once per request done.
    fn list(
        &self,
        requests: &[ListRequest],
        tick: &(dyn Fn() + Sync),
    ) -> Vec<Result<Vec<Value>, LiveError>>;
}

/// What `drift` was asked for.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// `--app`: NAME or NAMESPACE/NAME; empty for every Application.
    pub apps: Vec<String>,
    /// `-n`: only objects in this namespace.
    pub namespace: Option<String>,
}

/// One finding with its field differences.
#[derive(Clone, Debug)]
pub struct Finding {
    pub diagnostic: Diagnostic,
    /// LIVE001/LIVE003: the differing fields (Secret values redacted).
    pub fields: Vec<FieldDiff>,
    /// LIVE001/LIVE003: the desired object and the live view of it as YAML, for the
    /// human output's diff (Secret values redacted).
    pub texts: Option<(String, String)>,
}

/// What [`check`] found.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    pub findings: Vec<Finding>,
    /// Things the user should know that are not findings (skipped Applications).
    pub notes: Vec<String>,
    /// Applications whose resources were compared.
    pub applications: usize,
    /// Desired resources compared (present or missing).
    pub resources: usize,
    /// List requests made.
    pub lists: usize,
}

/// A desired object to look up live.
struct Unit<'a> {
    object: &'a Object,
    /// The Application whose ignore rules apply (index into `model.apps`), if any.
    owner: Option<usize>,
    ty: ResourceType,
    namespace: Option<String>,
    /// An Application object: compare its spec (LIVE003) instead of LIVE001.
    application: bool,
    /// Report it missing (LIVE002) when not found.
    missing_is_finding: bool,
}

/// The object identity used to match desired and live objects.
type Key = (String, String, String, String);

fn key_of(group: &str, kind: &str, ns: Option<&str>, name: &str) -> Key {
    (
        group.to_owned(),
        kind.to_owned(),
        ns.unwrap_or("").to_owned(),
        name.to_owned(),
    )
}

fn live_key(v: &Value) -> Key {
    let s = |p: &str| v.pointer(p).and_then(Value::as_str).unwrap_or("");
    let (group, _) = split_api_version(s("/apiVersion"));
    key_of(
        group,
        s("/kind"),
        Some(s("/metadata/namespace")),
        s("/metadata/name"),
    )
}

/// Compares the repository with the live state.
pub fn check(
    repo: &Repo,
    model: &Model<'_>,
    source: &dyn ClusterSource,
    opts: &Options,
    progress: &crate::progress::Progress,
) -> Result<Outcome, LiveError> {
    let mut out = Outcome::default();
    let selected = select_apps(model, &opts.apps)?;
    let in_ns = |ns: Option<&str>| match &opts.namespace {
        Some(want) => ns == Some(want.as_str()),
        None => true,
    };

    // Round 1: the live Applications.
    progress.stage("discovering the Application API");
    let mut discovery = source.discover(&BTreeSet::from([APPLICATION_API_VERSION.to_owned()]))?;
    let app_type = match discovery.resolve(APPLICATION_API_VERSION, "Application", true) {
        Resolved::Type(t) => Some(t),
        Resolved::NotServed => None,
    };
    let mut lists = Lists::default();
    if let Some(ty) = &app_type {
        // All of their namespaces, whatever `-n` says: a live Application is how an
        // `in-cluster` destination is recognised. Not being allowed to read them only
        // means LIVE003/LIVE004 cannot be checked.
        let mut requests: Vec<ListRequest> = selected
            .iter()
            .map(|&a| model.apps[a].namespace.clone())
            .collect::<BTreeSet<String>>()
            .into_iter()
            .map(|ns| ListRequest {
                ty: ty.clone(),
                namespace: Some(ns),
            })
            .collect();
        requests.retain(|r| match invalid_request(r) {
            Some(why) => {
                out.notes.push(format!(
                    "Applications in namespace '{}' were not compared: {why}",
                    r.namespace.as_deref().unwrap_or("")
                ));
                false
            }
            None => true,
        });
        let failed = run_lists(source, &requests, &mut lists, progress, false)?;
        for e in failed {
            out.notes.push(format!(
                "{e}: Applications there were not compared (LIVE003, LIVE004), and their in-cluster destinations cannot be recognised"
            ));
        }
    }
    let app_live = |a: usize| -> Option<&Value> {
        let n = &model.apps[a];
        let ty = app_type.as_ref()?;
        lists.get(
            &ListRequest {
                ty: ty.clone(),
                namespace: Some(n.namespace.clone()),
            },
            &key_of(ARGO_GROUP, "Application", Some(&n.namespace), &n.name),
        )
    };

    // Which Applications deploy to this cluster.
    let target = source.target();
    let mut here: Vec<usize> = Vec::new();
    for &a in &selected {
        match destination_matches(model, a, &target, app_live(a).is_some()) {
            Ok(()) => here.push(a),
            Err(why) => out.notes.push(why),
        }
    }
    let any_live = selected.iter().any(|&a| app_live(a).is_some());
    if here.is_empty() && !any_live {
        return Err(LiveError::Usage(format!(
            "no selected Application deploys to {}{}",
            source.describe(),
            if out.notes.is_empty() {
                String::new()
            } else {
                format!(":\n  {}", out.notes.join("\n  "))
            }
        )));
    }
    out.applications = here.len();

    // Round 2: discovery for the desired resources, then their lists.
    let mut candidates: Vec<(usize, usize)> = Vec::new(); // (app, object index)
    for &a in &here {
        for &r in &model.apps[a].resources {
            let Some(o) = repo.objects.get(r) else {
                continue;
            };
            if !compared(o) {
                continue;
            }
            if !is_valid_api_version(&o.api_version) {
                out.notes.push(format!(
                    "{} of Application '{}': '{}' is not a valid API version, so it was not compared",
                    o.display_name(),
                    model.apps[a].name,
                    o.api_version
                ));
                continue;
            }
            candidates.push((a, r));
        }
    }
    let versions: BTreeSet<String> = candidates
        .iter()
        .filter_map(|&(_, r)| repo.objects.get(r))
        .map(|o| o.api_version.clone())
        .filter(|v| !discovery.versions.contains_key(v))
        .collect();
    if !versions.is_empty() {
        progress.stage(format!("discovering {} API versions", versions.len()));
        let more = source.discover(&versions)?;
        discovery.versions.extend(more.versions);
    }
    let mut units: Vec<Unit<'_>> = Vec::new();
    let mut seen_units: BTreeSet<Key> = BTreeSet::new();
    for &(a, r) in &candidates {
        let app = &model.apps[a];
        let Some(o) = repo.objects.get(r) else {
            continue;
        };
        let name = o.name.clone().unwrap_or_default();
        let guess = model
            .namespaced(o.group(), &o.kind)
            .unwrap_or(o.namespace.is_some());
        let ty = match discovery.resolve(&o.api_version, &o.kind, guess) {
            Resolved::Type(t) => t,
            Resolved::NotServed => {
                let ns = o
                    .namespace
                    .clone()
                    .or_else(|| Some(app.destination_namespace().to_owned()))
                    .filter(|s| !s.is_empty());
                if !in_ns(ns.as_deref()) {
                    continue;
                }
                out.resources += 1;
                out.findings.push(not_served(o, ns.as_deref(), source));
                continue;
            }
        };
        let namespace = if ty.namespaced {
            let ns = o
                .namespace
                .clone()
                .unwrap_or_else(|| app.destination_namespace().to_owned());
            if ns.is_empty() {
                out.notes.push(format!(
                    "{} of Application '{}' has no namespace and the Application's destination sets none: Argo CD refuses it, so it was not compared",
                    o.display_name(),
                    app.name
                ));
                continue;
            }
            Some(ns)
        } else {
            None
        };
        if !in_ns(namespace.as_deref()) {
            continue;
        }
        if let Some(why) = invalid_request(&ListRequest {
            ty: ty.clone(),
            namespace: namespace.clone(),
        }) {
            out.notes.push(format!(
                "{} of Application '{}' was not compared: {why}",
                o.display_name(),
                app.name
            ));
            continue;
        }
        let key = key_of(o.group(), &o.kind, namespace.as_deref(), &name);
        if !seen_units.insert(key) {
            continue;
        }
        let application = o.is(ARGO_GROUP, "Application");
        units.push(Unit {
            object: o,
            owner: Some(a),
            ty,
            namespace,
            application,
            missing_is_finding: true,
        });
    }
    // Selected Applications themselves (their live objects: LIVE003, LIVE004).
    if let Some(ty) = &app_type {
        for &a in &selected {
            let n = &model.apps[a];
            if !in_ns(Some(&n.namespace)) || !is_dns_label(&n.namespace) {
                continue;
            }
            let key = key_of(ARGO_GROUP, "Application", Some(&n.namespace), &n.name);
            if !seen_units.insert(key) {
                continue;
            }
            units.push(Unit {
                object: n.object,
                owner: n.parents.first().copied(),
                ty: ty.clone(),
                namespace: Some(n.namespace.clone()),
                application: true,
                missing_is_finding: false,
            });
        }
    }
    let requests: Vec<ListRequest> = units
        .iter()
        .map(|u| ListRequest {
            ty: u.ty.clone(),
            namespace: u.namespace.clone(),
        })
        .collect::<BTreeSet<ListRequest>>()
        .into_iter()
        .filter(|r| !lists.listed.contains_key(r) && !lists.failed.contains(r))
        .collect();
    run_lists(source, &requests, &mut lists, progress, true)?;
    // Lists that were answered; refused ones are in the notes.
    out.lists = lists.listed.len();

    // Compare.
    progress.stage(format!("comparing {} objects", units.len()));
    let system = read_system(repo, model);
    let mut normalizers: HashMap<Option<usize>, (Option<Normalizer>, IgnoreLookup)> =
        HashMap::new();
    for u in &units {
        if let std::collections::hash_map::Entry::Vacant(e) = normalizers.entry(u.owner) {
            let (n, l, broken) = normalizer_for(repo, model, u.owner, &system.set.rules);
            if let Some(note) = broken {
                out.notes.push(note);
            }
            e.insert((n, l));
        }
    }
    for u in &units {
        let name = u.object.name.clone().unwrap_or_default();
        let key = key_of(
            u.object.group(),
            &u.object.kind,
            u.namespace.as_deref(),
            &name,
        );
        let request = ListRequest {
            ty: u.ty.clone(),
            namespace: u.namespace.clone(),
        };
        if lists.failed.contains(&request) {
            // Not known either way; the refused list is in the notes.
            continue;
        }
        // Looked up in the list that was made for it: a cluster answers each API version
        // of a kind with its own representation of the same objects.
        let found = lists.get(&request, &key);
        if u.missing_is_finding {
            out.resources += 1;
        }
        let Some(found) = found else {
            if u.missing_is_finding {
                out.findings.push(missing(u, source));
            }
            continue;
        };
        let Some((normalizer, lookup)) = normalizers.get(&u.owner) else {
            continue;
        };
        let app_name = u.owner.map_or("", |a| model.apps[a].name.as_str());
        match compare_unit(u, found, normalizer.as_ref(), lookup, app_name) {
            Ok(Some(f)) => out.findings.push(f),
            Ok(None) => {}
            Err(note) => out.notes.push(note),
        }
        if u.application
            && let Some(f) = unhealthy(u.object, found)
        {
            out.findings.push(f);
        }
    }
    Ok(out)
}

impl crate::diagnostic::Reported for Finding {
    fn diagnostic(&self) -> &Diagnostic {
        &self.diagnostic
    }
    fn diagnostic_mut(&mut self) -> &mut Diagnostic {
        &mut self.diagnostic
    }
}

/// Turns raw findings into reported ones exactly as lint findings are
/// ([`crate::engine::finish`]): rendered and generated spans moved, suppressions
/// (`kubectl-gitops.io/ignore`, `# kubectl-gitops: ignore`) and the selection applied,
/// names and severities from the catalogue, sorted. Returns the findings and how many
/// were suppressed. Problems with the suppressions themselves are lint's to report.
pub fn finish(
    findings: Vec<Finding>,
    repo: &Repo,
    model: &Model<'_>,
    cat: &crate::engine::catalogue::Catalogue,
    selection: &crate::engine::select::Selection,
) -> (Vec<Finding>, usize) {
    let mut ignored = Vec::new();
    let sup = crate::engine::suppress::Suppressions::collect(repo, cat, &mut ignored);
    crate::engine::finish(repo, model, cat, selection, &sup, findings)
}

/// Whether Argo CD compares a desired object: hooks and `Skip` are not part of the sync
/// status, and objects without a name cannot be looked up.
fn compared(o: &Object) -> bool {
    let hook = crate::argo::hooks::classify(
        o.annotation("argocd.argoproj.io/hook"),
        o.annotation("helm.sh/hook"),
    );
    !(hook.is_hook || hook.skip) && o.name.as_deref().is_some_and(|n| !n.is_empty())
}

/// The answered lists, each indexed by object, and the refused ones.
#[derive(Default)]
struct Lists {
    listed: HashMap<ListRequest, HashMap<Key, Value>>,
    failed: BTreeSet<ListRequest>,
}

impl Lists {
    fn get(&self, request: &ListRequest, key: &Key) -> Option<&Value> {
        self.listed.get(request)?.get(key)
    }
}

/// Runs lists and indexes what they return. With `fatal`, the first failure is the
/// error; otherwise a refused (403) list is returned for a note, recorded as failed (so
/// nothing it would have held is reported missing) and the rest go on.
fn run_lists(
    source: &dyn ClusterSource,
    requests: &[ListRequest],
    lists: &mut Lists,
    progress: &crate::progress::Progress,
    fatal: bool,
) -> Result<Vec<LiveError>, LiveError> {
    let mut failed = Vec::new();
    if requests.is_empty() {
        return Ok(failed);
    }
    let stage = format!("listing {} resource types and namespaces", requests.len());
    progress.stage(stage.clone());
    let tick = || progress.tick(&stage);
    let results = source.list(requests, &tick);
    for (req, result) in requests.iter().zip(results) {
        let items = match result {
            Ok(items) => items,
            Err(e @ LiveError::Forbidden { .. }) if !fatal => {
                lists.failed.insert(req.clone());
                failed.push(e);
                continue;
            }
            Err(e) => return Err(e),
        };
        let live = lists.listed.entry(req.clone()).or_default();
        for mut item in items {
            // Only what was asked for: an object of another namespace or kind (a server
            // that answered another path) is not this list's.
            let ns = item.pointer("/metadata/namespace").and_then(Value::as_str);
            if let Some(want) = &req.namespace
                && req.ty.namespaced
                && ns != Some(want.as_str())
            {
                continue;
            }
            if item
                .get("kind")
                .and_then(Value::as_str)
                .is_some_and(|k| k != req.ty.kind)
            {
                continue;
            }
            // List items do not always carry their type.
            if let Some(m) = item.as_object_mut() {
                m.entry("apiVersion")
                    .or_insert_with(|| Value::String(req.ty.api_version()));
                m.entry("kind")
                    .or_insert_with(|| Value::String(req.ty.kind.clone()));
            }
            let mut k = live_key(&item);
            if !req.ty.namespaced {
                k.2 = String::new();
            }
            live.insert(k, item);
        }
    }
    Ok(failed)
}

/// The selected Applications (indices into `model.apps`).
fn select_apps(model: &Model<'_>, wanted: &[String]) -> Result<Vec<usize>, LiveError> {
    use crate::report::waves::{Lookup, find_app};
    if wanted.is_empty() {
        return Ok((0..model.apps.len()).collect());
    }
    let mut out = Vec::new();
    for w in wanted {
        match find_app(model, w) {
            Lookup::Found(a) => {
                if !out.contains(&a) {
                    out.push(a);
                }
            }
            Lookup::Unknown(m) | Lookup::Ambiguous(m) => return Err(LiveError::Usage(m)),
        }
    }
    Ok(out)
}

/// Whether Application `a` deploys to the target cluster; `Err` says why not.
fn destination_matches(
    model: &Model<'_>,
    a: usize,
    target: &Target,
    app_is_live_here: bool,
) -> Result<(), String> {
    let node = &model.apps[a];
    let (server, names) = match target {
        Target::Any => return Ok(()),
        Target::Cluster { server, names } => (server.as_str(), names),
    };
    let dest_server = node.destination_server().map(|s| s.trim_end_matches('/'));
    let dest_name = node.destination_name();
    let shown = dest_server
        .map(str::to_owned)
        .or_else(|| dest_name.map(|n| format!("cluster '{n}'")))
        .unwrap_or_else(|| "no destination".to_owned());
    let is_here = |srv: &str, name: Option<&str>| {
        (!server.is_empty() && srv == server)
            || name.is_some_and(|n| names.iter().any(|k| k == n))
            || (srv == IN_CLUSTER_SERVER && (server == IN_CLUSTER_SERVER || app_is_live_here))
    };
    let ok = match model.resolve_destination(node) {
        Resolution::Found(c) => is_here(&c.server, Some(c.name.as_str()).filter(|n| !n.is_empty())),
        Resolution::UnknownServer => dest_server.is_some_and(|s| is_here(s, None)),
        Resolution::UnknownName => dest_name.is_some_and(|n| names.iter().any(|k| k == n)),
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        let why = if dest_server == Some(IN_CLUSTER_SERVER) || dest_name == Some("in-cluster") {
            " (in-cluster means the cluster Argo CD runs in, and this Application is not found in this one)"
        } else {
            ""
        };
        Err(format!(
            "Application '{}/{}' deploys to {shown}, not to the selected cluster{why}: its resources were not compared",
            node.namespace, node.name
        ))
    }
}

/// The normaliser of an Application (or of none), with broken jq expressions left out
/// (and named in the note): Argo CD would not compare that Application at all.
fn normalizer_for(
    repo: &Repo,
    model: &Model<'_>,
    owner: Option<usize>,
    overrides: &[IgnoreRule],
) -> (Option<Normalizer>, IgnoreLookup, Option<String>) {
    let own = owner
        .and_then(|a| model.apps.get(a))
        .map(|n| app_rules(repo, n.object).rules)
        .unwrap_or_default();
    let mut broken = Vec::new();
    let mut note_broken = |_: &IgnoreRule, e: &str, _: &_| broken.push(e.trim().to_owned());
    let app_rules = compilable_rules(&own, &mut note_broken);
    let overrides = compilable_rules(overrides, &mut note_broken);
    let lookup = IgnoreLookup::new(&app_rules, &overrides);
    // Cannot fail: the expressions that do not compile were left out.
    let normalizer = Normalizer::new(&app_rules, &overrides).ok();
    let note = (!broken.is_empty()).then(|| {
        let who = owner
            .and_then(|a| model.apps.get(a))
            .map_or_else(|| "argocd-cm".to_owned(), |n| format!("Application '{}'", n.name));
        format!(
            "{who}: jq expressions that do not compile were left out ({}); Argo CD cannot compare this Application at all until they are fixed (IGN002)",
            broken.join(", ")
        )
    });
    (normalizer, lookup, note)
}

/// The desired object as Argo CD diffs it: the namespace it is applied to.
fn desired_json(u: &Unit<'_>) -> Value {
    let mut d = u.object.json().clone();
    if let Some(meta) = d.get_mut("metadata").and_then(Value::as_object_mut) {
        match &u.namespace {
            Some(ns) => {
                meta.insert("namespace".into(), Value::String(ns.clone()));
            }
            None => {
                meta.remove("namespace");
            }
        }
    }
    d
}

/// Compares one unit with its live object: `Ok(None)` when equal.
fn compare_unit(
    u: &Unit<'_>,
    found: &Value,
    normalizer: Option<&Normalizer>,
    lookup: &IgnoreLookup,
    app_name: &str,
) -> Result<Option<Finding>, String> {
    let mut desired = desired_json(u);
    let mut live = found.clone();
    // Objects are matched by group and kind: a cluster serves the version asked for, and
    // a snapshot may hold another version of the same object.
    if let (Some(v), Some(m)) = (desired.get("apiVersion").cloned(), live.as_object_mut()) {
        m.insert("apiVersion".into(), v);
    }
    compare::normalize_secret(&mut desired);
    if let Some(normalizer) = normalizer {
        let report = normalizer.normalize_pair(lookup, &mut live, &mut desired);
        if let Err(e) = &report.managed {
            return Err(format!(
                "{}: the managedFieldsManagers of its ignoreDifferences cannot be applied ({e}); Argo CD fails this comparison",
                u.object.display_name()
            ));
        }
    }
    let mut orig = compare::strip(&mut live);
    compare::strip(&mut desired);
    if let Some(o) = &mut orig {
        compare::normalize_secret(o);
        if let Some(normalizer) = normalizer {
            normalizer.normalize(o);
        }
    }
    if !app_name.is_empty() {
        compare::drop_tracking_label(&mut desired, &mut live, orig.as_mut(), app_name);
    }
    if u.application {
        // The Application's spec only.
        let pick = |v: &Value| {
            let mut m = serde_json::Map::new();
            if let Some(s) = v.get("spec") {
                m.insert("spec".into(), s.clone());
            }
            Value::Object(m)
        };
        desired = pick(&desired);
        live = pick(&live);
        orig = orig.as_ref().map(pick);
    }
    let c = compare::compare(&desired, &live, orig.as_ref());
    if c.diffs.is_empty() {
        return Ok(None);
    }
    let secret = compare::is_secret(&desired);
    let mut fields = c.diffs;
    for f in &mut fields {
        compare::redact_diff(f, secret);
    }
    let mut view = c.live_view;
    if secret {
        compare::redact_secret_pair(&mut desired, &mut view);
    }
    let texts = (
        crate::report::appset::yaml(&[&desired]),
        crate::report::appset::yaml(&[&view]),
    );
    let code = if u.application { "LIVE003" } else { "LIVE001" };
    Ok(Some(Finding {
        diagnostic: drifted(code, u, &fields),
        fields,
        texts: Some(texts),
    }))
}

/// A value for a message: compact JSON, shortened.
pub fn show(v: Option<&Value>) -> String {
    let Some(v) = v else {
        return "not set".to_owned();
    };
    let text = match v {
        Value::String(s) => format!("\"{s}\""),
        other => other.to_string(),
    };
    if text.chars().count() > 60 {
        let cut: String = text.chars().take(57).collect();
        format!("{cut}...")
    } else {
        text
    }
}

/// The YAML node of `pointer` in the desired object, or its nearest ancestor that is
/// written (a Secret's `data` key may be written under `stringData`).
fn node_at<'o>(o: &'o Object, pointer: &str) -> &'o Node {
    if let Some(rest) = pointer.strip_prefix("/data/")
        && o.is("", "Secret")
        && let Some(n) = o.node.pointer(&format!("/stringData/{rest}"))
    {
        return n;
    }
    let mut p = pointer;
    loop {
        if let Some(n) = o.node.pointer(p) {
            if std::ptr::eq(n, &o.node) {
                return o.node.get("kind").unwrap_or(&o.node);
            }
            return n;
        }
        match p.rfind('/') {
            Some(i) => p = &p[..i],
            None => return o.node.get("kind").unwrap_or(&o.node),
        }
    }
}

fn object_ref(u: &Unit<'_>) -> ObjectRef {
    ObjectRef {
        api_version: u.object.api_version.clone(),
        kind: u.object.kind.clone(),
        namespace: u.namespace.clone(),
        name: u.object.name.clone().unwrap_or_default(),
    }
}

fn display(u: &Unit<'_>) -> String {
    let name = u.object.name.as_deref().unwrap_or("");
    match &u.namespace {
        Some(ns) => format!("{} {ns}/{name}", u.object.kind),
        None => format!("{} {name}", u.object.kind),
    }
}

/// Whether a value is a redacted Secret value (or a map of them).
fn redacted(v: &Value) -> bool {
    match v {
        Value::String(s) => s == compare::REDACTED,
        Value::Object(m) => !m.is_empty() && m.values().all(redacted),
        _ => false,
    }
}

fn describe_field(f: &FieldDiff) -> String {
    let hidden = f.desired.iter().chain(&f.live).any(redacted);
    if hidden {
        return match (&f.desired, &f.live) {
            (Some(_), Some(_)) => format!("{} differs (Secret values are not shown)", f.pointer),
            (Some(_), None) => format!("{} is set in the repository and not live", f.pointer),
            _ => format!(
                "{} was removed from the repository but is still live",
                f.pointer
            ),
        };
    }
    match (&f.desired, &f.live) {
        (Some(d), Some(l)) => format!(
            "{} is {} in the repository and {} live",
            f.pointer,
            show(Some(d)),
            show(Some(l))
        ),
        (Some(d), None) => format!(
            "{} is {} in the repository and not set live",
            f.pointer,
            show(Some(d))
        ),
        (None, Some(l)) => format!(
            "{} was removed from the repository but is still {} live",
            f.pointer,
            show(Some(l))
        ),
        (None, None) => f.pointer.clone(),
    }
}

/// The LIVE001/LIVE003 finding for a unit whose `fields` differ (never empty).
fn drifted(code: &str, u: &Unit<'_>, fields: &[FieldDiff]) -> Diagnostic {
    let o = u.object;
    let none = FieldDiff {
        pointer: String::new(),
        desired: None,
        live: None,
    };
    let first = fields.first().unwrap_or(&none);
    let n = fields.len();
    let mut msg = if code == "LIVE003" {
        format!(
            "the live {} differs from the repository in {n} field{}: ",
            display(u),
            if n == 1 { "" } else { "s" }
        )
    } else {
        format!(
            "{} differs from the cluster in {n} field{}: ",
            display(u),
            if n == 1 { "" } else { "s" }
        )
    };
    let shown: Vec<String> = fields.iter().take(3).map(describe_field).collect();
    msg.push_str(&shown.join("; "));
    if n > 3 {
        msg.push_str(&format!("; and {} more", n - 3));
    }
    let label = match &first.live {
        Some(l) if redacted(l) => "differs live".to_owned(),
        Some(l) => format!("live: {}", show(Some(l))),
        None if first.desired.is_some() => "not set live".to_owned(),
        None => "removed here, still live".to_owned(),
    };
    let mut d = Diagnostic::new(code, o.span(node_at(o, &first.pointer)), msg)
        .with_label(label)
        .with_object(Some(object_ref(u)));
    let mut seen: Vec<Span> = vec![d.primary.span];
    for f in fields.iter().skip(1) {
        let span = o.span(node_at(o, &f.pointer));
        if seen.contains(&span) {
            continue;
        }
        seen.push(span);
        let text = match &f.live {
            Some(l) if redacted(l) => "differs live".to_owned(),
            Some(l) => format!("live: {}", show(Some(l))),
            None if f.desired.is_some() => "not set live".to_owned(),
            None => format!("{} removed here, still live", f.pointer),
        };
        d = d.with_related(span, text);
    }
    if code == "LIVE003" {
        d.with_help(
            "Sync the parent Application (or apply this Application) so the cluster holds the repository's spec, or change the repository to match what was changed by hand.",
        )
    } else {
        d.with_help(
            "Sync the Application to apply the repository's version, or change the repository to match the cluster; fields that controllers or webhooks set belong in ignoreDifferences.",
        )
    }
}

fn name_span(o: &Object) -> Span {
    o.span(
        o.node
            .path(&["metadata", "name"])
            .or_else(|| o.node.get("kind"))
            .unwrap_or(&o.node),
    )
}

fn missing(u: &Unit<'_>, source: &dyn ClusterSource) -> Finding {
    let msg = format!("{} is not in {}", display(u), source.describe());
    let d = Diagnostic::new("LIVE002", name_span(u.object), msg)
        .with_label("not found live")
        .with_object(Some(object_ref(u)))
        .with_help("Sync the Application to create it; if it was deleted on purpose, remove it from the repository.");
    Finding {
        diagnostic: d,
        fields: Vec::new(),
        texts: None,
    }
}

fn not_served(o: &Object, ns: Option<&str>, source: &dyn ClusterSource) -> Finding {
    let name = o.name.as_deref().unwrap_or("");
    let shown = match ns {
        Some(ns) => format!("{} {ns}/{name}", o.kind),
        None => format!("{} {name}", o.kind),
    };
    let msg = format!(
        "{shown} cannot exist in {}: it does not serve kind {} in API version {}",
        source.describe(),
        o.kind,
        o.api_version
    );
    let span = o.span(o.node.get("apiVersion").unwrap_or(&o.node));
    let d = Diagnostic::new("LIVE002", span, msg)
        .with_label("not served by the cluster")
        .with_object(Some(ObjectRef {
            namespace: ns.map(str::to_owned),
            ..o.object_ref()
        }))
        .with_help("Install the CRD that defines the kind, or use an API version the cluster serves (`kubectl api-resources`).");
    Finding {
        diagnostic: d,
        fields: Vec::new(),
        texts: None,
    }
}

/// LIVE004: Argo CD's own view of a live Application.
fn unhealthy(o: &Object, live: &Value) -> Option<Finding> {
    let s = |p: &str| live.pointer(p).and_then(Value::as_str).unwrap_or("");
    let sync = s("/status/sync/status");
    let health = s("/status/health/status");
    let phase = s("/status/operationState/phase");
    let mut states: Vec<&str> = Vec::new();
    if sync == "OutOfSync" {
        states.push("OutOfSync");
    }
    if health == "Degraded" {
        states.push("Degraded");
    }
    let mut errors: Vec<String> = Vec::new();
    if phase == "Failed" || phase == "Error" {
        let m = s("/status/operationState/message");
        errors.push(if m.is_empty() {
            format!("its last sync {}", phase.to_ascii_lowercase())
        } else {
            format!("its last sync {}: {}", phase.to_ascii_lowercase(), short(m))
        });
    }
    for c in live
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let t = c.get("type").and_then(Value::as_str).unwrap_or("");
        if t.ends_with("Error") {
            let m = c.get("message").and_then(Value::as_str).unwrap_or("");
            errors.push(format!("{t}: {}", short(m)));
        }
    }
    if states.is_empty() && errors.is_empty() {
        return None;
    }
    let ns = live
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or("");
    let name = o.name.as_deref().unwrap_or("");
    let mut msg = if states.is_empty() {
        format!("Argo CD reports an error for Application {ns}/{name}")
    } else {
        format!(
            "Argo CD reports Application {ns}/{name} {}",
            states.join(" and ")
        )
    };
    if !errors.is_empty() {
        msg.push_str(": ");
        msg.push_str(&errors.join("; "));
    }
    let d = Diagnostic::new("LIVE004", name_span(o), msg)
        .with_label(format!(
            "sync {}, health {}",
            if sync.is_empty() { "unknown" } else { sync },
            if health.is_empty() { "unknown" } else { health }
        ))
        .with_object(Some(ObjectRef {
            namespace: Some(ns.to_owned()),
            ..o.object_ref()
        }))
        .with_help(
            "Open the Application in Argo CD (`argocd app get` or the UI) to see which resources are out of sync or unhealthy and why.",
        );
    Some(Finding {
        diagnostic: d,
        fields: Vec::new(),
        texts: None,
    })
}

fn short(s: &str) -> String {
    let one_line = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() > 200 {
        let cut: String = one_line.chars().take(197).collect();
        format!("{cut}...")
    } else {
        one_line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_types_name_themselves_like_kubectl() {
        let t = ResourceType {
            group: "apps".into(),
            version: "v1".into(),
            kind: "Deployment".into(),
            plural: "deployments".into(),
            namespaced: true,
        };
        assert_eq!(t.resource(), "deployments.apps");
        assert_eq!(t.api_version(), "apps/v1");
        let core = ResourceType {
            group: String::new(),
            version: "v1".into(),
            plural: "configmaps".into(),
            kind: "ConfigMap".into(),
            namespaced: true,
        };
        assert_eq!(
            (core.resource(), core.api_version()),
            ("configmaps".into(), "v1".into())
        );
    }

    #[test]
    fn discovery_resolves_served_kinds_only_when_complete() {
        let mut d = Discovery {
            versions: BTreeMap::from([
                (
                    "apps/v1".to_owned(),
                    Some(vec![ApiKind {
                        kind: "Deployment".into(),
                        plural: "deployments".into(),
                        namespaced: true,
                    }]),
                ),
                ("apps/v1beta1".to_owned(), None),
            ]),
            complete: true,
        };
        assert!(
            matches!(d.resolve("apps/v1", "Deployment", false), Resolved::Type(t) if t.namespaced)
        );
        assert_eq!(
            d.resolve("apps/v1", "StatefulSet", true),
            Resolved::NotServed
        );
        assert_eq!(
            d.resolve("apps/v1beta1", "Deployment", true),
            Resolved::NotServed
        );
        d.complete = false;
        assert!(
            matches!(d.resolve("apps/v1", "StatefulSet", true), Resolved::Type(t) if t.namespaced)
        );
    }

    #[test]
    fn values_in_messages_are_short() {
        assert_eq!(show(None), "not set");
        assert_eq!(show(Some(&Value::from("x"))), "\"x\"");
        let long = Value::from("y".repeat(100));
        assert!(show(Some(&long)).ends_with("...") && show(Some(&long)).chars().count() == 60);
    }

    #[test]
    fn plurals_are_guessed_in_one_place() {
        assert_eq!(guess_plural("ConfigMap"), "configmaps");
        let d = Discovery::default();
        assert!(
            matches!(d.resolve("v1", "Widget", true), Resolved::Type(t) if t.plural == guess_plural("Widget"))
        );
    }

    #[test]
    fn only_names_go_into_paths() {
        assert!(is_dns_label("prod") && is_dns_label("a-1") && is_dns_label(&"a".repeat(63)));
        for bad in [
            "",
            "Prod",
            "-a",
            "a-",
            "prod/secrets?",
            "a.b",
            &"a".repeat(64),
        ] {
            assert!(!is_dns_label(bad), "{bad}");
        }
        assert!(is_valid_api_version("apps/v1") && is_valid_api_version("v1"));
        assert!(!is_valid_api_version("apps/v1/../x") && !is_valid_api_version("a?b/v1"));
        let ty = ResourceType {
            group: String::new(),
            version: "v1".into(),
            kind: "ConfigMap".into(),
            plural: "configmaps".into(),
            namespaced: true,
        };
        let req = |ns: &str, plural: &str| ListRequest {
            ty: ResourceType {
                plural: plural.into(),
                ..ty.clone()
            },
            namespace: Some(ns.into()),
        };
        assert_eq!(invalid_request(&req("prod", "configmaps")), None);
        assert!(invalid_request(&req("prod/secrets?", "configmaps")).is_some());
        assert!(invalid_request(&req("prod", "secrets/x")).is_some());
    }

    /// Answers every list with the same items.
    struct Fixed(Vec<Value>);

    impl ClusterSource for Fixed {
        fn describe(&self) -> String {
            "fixed".into()
        }
        fn target(&self) -> Target {
            Target::Any
        }
        fn discover(&self, _: &BTreeSet<String>) -> Result<Discovery, LiveError> {
            Ok(Discovery::default())
        }
        fn list(
            &self,
            requests: &[ListRequest],
            _: &(dyn Fn() + Sync),
        ) -> Vec<Result<Vec<Value>, LiveError>> {
            requests.iter().map(|_| Ok(self.0.clone())).collect()
        }
    }

    #[test]
    fn lists_keep_only_the_namespace_and_kind_asked_for() {
        let src = Fixed(vec![
            serde_json::json!({"metadata": {"name": "a", "namespace": "prod"}}),
            serde_json::json!({"kind": "Secret", "metadata": {"name": "b", "namespace": "prod"}}),
            serde_json::json!({"metadata": {"name": "c", "namespace": "dev"}}),
        ]);
        let req = ListRequest {
            ty: ResourceType {
                group: String::new(),
                version: "v1".into(),
                kind: "ConfigMap".into(),
                plural: "configmaps".into(),
                namespaced: true,
            },
            namespace: Some("prod".into()),
        };
        let mut lists = Lists::default();
        let failed = run_lists(
            &src,
            std::slice::from_ref(&req),
            &mut lists,
            &crate::progress::Progress::hidden(),
            true,
        );
        assert!(failed.is_ok_and(|f| f.is_empty()));
        let names: BTreeSet<String> = lists.listed[&req].keys().map(|k| k.3.clone()).collect();
        assert_eq!(names, BTreeSet::from(["a".to_owned()]));
    }
}
