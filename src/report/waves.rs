//! `waves`: the sync plan of one Application. [`build`] turns the model into a small
//! serialisable [`Waves`] (the steps of [`crate::argo::sync_order::plan`] with their
//! objects and files); the renderers ([`table`], [`json`], [`mermaid`]) are pure
//! functions of it.
//!
//! The plan is that of a full sync (hooks included) into a cluster where nothing exists
//! yet, which is when ordering mistakes show. Objects that take no part in a sync
//! (`Skip`, hooks without a recognised phase, PreDelete/PostDelete hooks) are listed
//! after the steps in the table; the JSON keeps to its contract (product.md §4.1) and
//! lists steps only.

use crate::argo::annotations::{
    HELM_HOOK, HELM_HOOK_DELETE_POLICY, HELM_HOOK_WEIGHT, HOOK, HOOK_DELETE_POLICY, SYNC_WAVE,
};
use crate::argo::sync_order::{
    self, Annotations, CreateNamespace, Excluded, Moved, Phase, Resource, Step,
};
use crate::load::yaml::Node;
use crate::model::apps::{AppNode, Gap, Location};
use crate::model::{Model, Object, Repo, Trace};
use crate::source::Span;
use anstyle::{AnsiColor, Style};
use serde::Serialize;
use std::fmt::Write as _;

/// The plan of one Application (`{"version": 1, "application": …, "steps": […]}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Waves {
    pub version: u32,
    pub application: AppId,
    pub steps: Vec<StepOut>,
    /// Some of the Application's resources are unknown: the plan shows the known ones.
    #[serde(skip_serializing_if = "is_false")]
    pub incomplete: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing_sources: Vec<MissingSource>,
    /// Objects of the manifests that take no part in a sync.
    #[serde(skip)]
    pub excluded: Vec<ExcludedOut>,
    /// Dependency edges between steps (indices into `steps`): consumer → dependency.
    /// `None` when no dependency information is available.
    #[serde(skip)]
    pub edges: Option<Vec<(usize, usize)>>,
    #[serde(skip)]
    pub destination_namespace: String,
}

fn is_false(b: &bool) -> bool {
    !*b
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppId {
    pub namespace: String,
    pub name: String,
}

/// One sync task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepOut {
    pub phase: &'static str,
    pub wave: i64,
    pub kind: String,
    pub group: String,
    /// The namespace the object is applied in; `null` for cluster-scoped kinds.
    pub namespace: Option<String>,
    /// `metadata.name`, or a hook's `metadata.generateName` (Argo CD completes it at
    /// sync time).
    pub name: String,
    /// The file to open: the manifest, the kustomize base or overlay it was built from,
    /// the Helm template, or the Application (its source `path`) when the object cannot be
    /// traced further. `null` for the Namespace `CreateNamespace=true` adds.
    pub file: Option<String>,
    pub line: Option<usize>,
    pub hook_types: Vec<&'static str>,
    pub delete_policies: Vec<&'static str>,
    pub moved: Option<&'static str>,
    #[serde(skip)]
    pub extra: StepExtra,
}

/// What the table says about a step beyond the JSON fields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StepExtra {
    /// The name is a `generateName` prefix.
    pub generated_name: bool,
    /// The Namespace `CreateNamespace=true` adds.
    pub created_namespace: bool,
    /// With `managedNamespaceMetadata` (for the created Namespace).
    pub managed_metadata: bool,
    /// `kind namespace/name` of the step it moved in front of.
    pub moved_before: Option<String>,
    pub own_phase: &'static str,
    pub own_wave: i64,
    /// Applied on its own before the dry run when it does not exist yet.
    pub before_dry_run: bool,
}

/// An object of the manifests without a sync task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExcludedOut {
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
    pub file: Option<String>,
    pub line: Option<usize>,
    pub why: Excluded,
}

/// A source whose resources are not in the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MissingSource {
    /// `source`, `sources[N]` or `sourceHydrator.drySource`.
    pub source: String,
    #[serde(rename = "repoURL")]
    pub repo_url: Option<String>,
    pub path: Option<String>,
    pub chart: Option<String>,
    /// `external`, `not-rendered`, `render-failed` or `not-linted`.
    pub reason: &'static str,
    pub message: String,
}

// ---------------------------------------------------------------------------------------
// Finding the Application

/// How `--app` matched.
pub enum Lookup {
    Found(usize),
    /// No Application has that name: the message lists those found.
    Unknown(String),
    /// Several Applications have that name in different namespaces.
    Ambiguous(String),
}

/// Finds `--app NAME` or `--app NAMESPACE/NAME` among the model's Applications.
pub fn find_app(model: &Model<'_>, wanted: &str) -> Lookup {
    let qualified = |a: &AppNode<'_>| format!("{}/{}", a.namespace, a.name);
    let matches: Vec<usize> = match wanted.split_once('/') {
        Some((ns, name)) => (0..model.apps.len())
            .filter(|&i| model.apps[i].namespace == ns && model.apps[i].name == name)
            .collect(),
        None => (0..model.apps.len())
            .filter(|&i| model.apps[i].name == wanted)
            .collect(),
    };
    match matches.as_slice() {
        [one] => Lookup::Found(*one),
        [] => {
            let mut all: Vec<String> = model.apps.iter().map(qualified).collect();
            all.sort();
            all.dedup();
            if all.is_empty() {
                return Lookup::Unknown(format!(
                    "no Application named '{wanted}': the repository has no Applications"
                ));
            }
            let mut candidates: Vec<&str> = all.iter().map(String::as_str).collect();
            candidates.extend(model.apps.iter().map(|a| a.name.as_str()));
            // `other-namespace/name`: the same name elsewhere is the likely meaning.
            let same_name = wanted.split_once('/').and_then(|(_, name)| {
                let found: Vec<&str> = all
                    .iter()
                    .map(String::as_str)
                    .filter(|q| q.split_once('/').is_some_and(|(_, n)| n == name))
                    .collect();
                (found.len() == 1).then(|| found[0])
            });
            let hint = same_name
                .or_else(|| suggest(wanted, &candidates))
                .map(|s| format!(" (did you mean '{s}'?)"))
                .unwrap_or_default();
            Lookup::Unknown(format!(
                "no Application named '{wanted}'{hint}; Applications found: {}",
                all.join(", ")
            ))
        }
        many => {
            let mut names: Vec<String> = many.iter().map(|&i| qualified(&model.apps[i])).collect();
            names.sort();
            names.dedup();
            if names.len() == 1 {
                // The same Application written twice (APP011): the first one.
                return Lookup::Found(many[0]);
            }
            Lookup::Ambiguous(format!(
                "several Applications are named '{wanted}': {}; use --app NAMESPACE/NAME",
                names.join(", ")
            ))
        }
    }
}

/// The closest candidate: equal ignoring case, or within a third of the length in edits.
pub(crate) fn suggest<'a>(input: &str, candidates: &[&'a str]) -> Option<&'a str> {
    if let Some(c) = candidates.iter().find(|c| c.eq_ignore_ascii_case(input)) {
        return Some(c);
    }
    let limit = (input.chars().count() / 3).max(1);
    let lower = input.to_lowercase();
    candidates
        .iter()
        .map(|c| (levenshtein(&lower, &c.to_lowercase()), *c))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, c)| c)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

// ---------------------------------------------------------------------------------------
// Building the plan

/// The annotations Argo CD reads: none at all when any value is not a string (§3.1,
/// `NestedStringMap` fails and its error is discarded).
pub fn argo_annotations(o: &Object) -> Annotations<'_> {
    let Some(ann) = o.annotations().filter(|a| !a.is_null()) else {
        return Annotations::default();
    };
    if !ann.is_map() || ann.entries().iter().any(|e| e.value.as_str().is_none()) {
        return Annotations::default();
    }
    let get = |k: &str| ann.get(k).and_then(Node::as_str);
    Annotations {
        sync_wave: get(SYNC_WAVE),
        hook: get(HOOK),
        hook_delete_policy: get(HOOK_DELETE_POLICY),
        helm_hook: get(HELM_HOOK),
        helm_hook_weight: get(HELM_HOOK_WEIGHT),
        helm_hook_delete_policy: get(HELM_HOOK_DELETE_POLICY),
    }
}

/// An object as the sync sees it.
pub fn resource_of(o: &Object) -> Resource<'_> {
    let meta = o.metadata();
    let generate_name = meta
        .and_then(|m| m.get("generateName"))
        .and_then(Node::as_str)
        .filter(|g| !g.is_empty());
    let defines = if o.is("apiextensions.k8s.io", "CustomResourceDefinition") {
        let spec = o.spec();
        let group = spec.and_then(|s| s.get("group")).and_then(Node::as_str);
        let kind = spec
            .and_then(|s| s.path(&["names", "kind"]))
            .and_then(Node::as_str);
        group.zip(kind)
    } else {
        None
    };
    Resource {
        group: o.group(),
        kind: &o.kind,
        namespace: o.namespace.as_deref(),
        name: o.name.as_deref().unwrap_or(""),
        generate_name,
        annotations: argo_annotations(o),
        defines,
    }
}

/// `CreateNamespace=true` of an Application, with its `managedNamespaceMetadata`.
pub fn create_namespace_of<'a>(app: &'a AppNode<'_>) -> Option<CreateNamespace<'a>> {
    let a = app.app();
    if !a.has_sync_option("CreateNamespace=true") {
        return None;
    }
    let managed = app
        .object
        .spec()
        .and_then(|s| s.path(&["syncPolicy", "managedNamespaceMetadata"]))
        .filter(|m| !m.is_null());
    let annotation = |k: &str| {
        managed
            .and_then(|m| m.get("annotations"))
            .and_then(|a| a.get(k))
            .and_then(Node::as_str)
    };
    Some(CreateNamespace {
        managed_metadata: managed.is_some(),
        sync_wave: annotation(SYNC_WAVE),
        helm_hook_weight: annotation(HELM_HOOK_WEIGHT),
    })
}

/// The file and 1-based line of a span.
fn place(repo: &Repo, span: Span) -> (Option<String>, Option<usize>) {
    let f = repo.db.get(span.file);
    (Some(f.rel_path.clone()), Some(f.line_col(span.start).line))
}

/// Where to read an object: its own file, or for a rendered object the file it was
/// traced to (the first line of the base object, the Helm template's `kind:` line), else
/// the Application's source `path`.
pub fn location(repo: &Repo, o: &Object) -> (Option<String>, Option<usize>) {
    let start = |o: &Object| o.span(&o.node);
    let Some(from) = &o.rendered else {
        return place(repo, start(o));
    };
    match from.trace {
        Trace::Object(j) => match repo.objects.get(j) {
            Some(orig) if orig.rendered.is_none() => place(repo, start(orig)),
            _ => place(repo, from.fallback),
        },
        Trace::Span(s) => place(repo, s),
        Trace::None => place(repo, from.fallback),
    }
}

/// The namespace an object is applied in, for display: none for cluster-scoped kinds,
/// else its own or the destination namespace.
fn display_namespace(model: &Model<'_>, o: &Object, destination: &str) -> Option<String> {
    if model.namespaced(o.group(), &o.kind) == Some(false) {
        return None;
    }
    o.namespace
        .clone()
        .or_else(|| (!destination.is_empty()).then(|| destination.to_owned()))
}

/// `Kind namespace/name` of an object, for "moved in front of …".
fn describe(kind: &str, namespace: Option<&str>, name: &str) -> String {
    match namespace {
        Some(ns) => format!("{kind} {ns}/{name}"),
        None => format!("{kind} {name}"),
    }
}

/// The plan of `model.apps[app]`.
pub fn build(model: &Model<'_>, repo: &Repo, app: usize) -> Waves {
    let node = &model.apps[app];
    let destination = node.destination_namespace().to_owned();
    let objects: Vec<&Object> = node
        .resources
        .iter()
        .filter_map(|&i| repo.objects.get(i))
        .collect();
    let resources: Vec<Resource<'_>> = objects.iter().map(|o| resource_of(o)).collect();
    let create = create_namespace_of(node);
    let steps = sync_order::plan(&resources, &destination, create.as_ref());
    let name_of = |i: usize, hook: bool| -> (String, bool) {
        let r = &resources[i];
        match r.generate_name {
            Some(g) if hook && r.name.is_empty() => (g.to_owned(), true),
            _ => (r.name.to_owned(), false),
        }
    };
    let describe_resource = |i: usize| -> String {
        let o = objects[i];
        let (name, generated) = name_of(i, true);
        let name = if generated { format!("{name}*") } else { name };
        describe(
            &o.kind,
            display_namespace(model, o, &destination).as_deref(),
            &name,
        )
    };
    let out_steps: Vec<StepOut> = steps
        .iter()
        .map(|s| {
            step_out(
                s,
                model,
                repo,
                &objects,
                &destination,
                create.as_ref(),
                &name_of,
                &describe_resource,
            )
        })
        .collect();
    let excluded = sync_order::excluded(&resources)
        .into_iter()
        .map(|(i, why)| {
            let o = objects[i];
            let (file, line) = location(repo, o);
            ExcludedOut {
                kind: o.kind.clone(),
                namespace: display_namespace(model, o, &destination),
                name: name_of(i, true).0,
                file,
                line,
                why,
            }
        })
        .collect();
    let missing_sources: Vec<MissingSource> =
        node.gaps.iter().map(|g| missing_source(node, g)).collect();
    Waves {
        version: 1,
        application: AppId {
            namespace: node.namespace.clone(),
            name: node.name.clone(),
        },
        steps: out_steps,
        incomplete: !missing_sources.is_empty(),
        missing_sources,
        excluded,
        edges: None,
        destination_namespace: destination,
    }
}

#[allow(clippy::too_many_arguments)]
fn step_out(
    s: &Step,
    model: &Model<'_>,
    repo: &Repo,
    objects: &[&Object],
    destination: &str,
    create: Option<&CreateNamespace<'_>>,
    name_of: &dyn Fn(usize, bool) -> (String, bool),
    describe_resource: &dyn Fn(usize) -> String,
) -> StepOut {
    let extra = StepExtra {
        generated_name: false,
        created_namespace: s.resource.is_none(),
        managed_metadata: s.resource.is_none() && create.is_some_and(|c| c.managed_metadata),
        moved_before: s.moved.and(s.moved_before).map(describe_resource),
        own_phase: s.own_phase.as_str(),
        own_wave: s.own_wave,
        before_dry_run: s.before_dry_run,
    };
    let common = |kind: String, group: String, namespace, name, file, line, extra| StepOut {
        phase: s.phase.as_str(),
        wave: s.wave,
        kind,
        group,
        namespace,
        name,
        file,
        line,
        hook_types: s.hook_types.iter().map(|t| t.as_str()).collect(),
        delete_policies: s.delete_policies.iter().map(|p| p.as_str()).collect(),
        moved: s.moved.map(Moved::as_str),
        extra,
    };
    match s.resource {
        Some(i) => {
            let o = objects[i];
            let (file, line) = location(repo, o);
            let (name, generated) = name_of(i, s.hook);
            common(
                o.kind.clone(),
                o.group().to_owned(),
                display_namespace(model, o, destination),
                name,
                file,
                line,
                StepExtra {
                    generated_name: generated,
                    ..extra
                },
            )
        }
        None => common(
            "Namespace".to_owned(),
            String::new(),
            None,
            destination.to_owned(),
            None,
            None,
            extra,
        ),
    }
}

fn missing_source(app: &AppNode<'_>, g: &Gap) -> MissingSource {
    let src = app.sources.get(g.source());
    let text = |k: &str| {
        src.and_then(|s| s.node.get(k))
            .and_then(Node::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let field = src.map_or_else(|| "source".to_owned(), |s| s.field());
    let dir = || match src.map(|s| &s.location) {
        Some(Location::Local { dir, .. }) if !dir.is_empty() => dir.clone(),
        _ => ".".to_owned(),
    };
    let (reason, message) = match g {
        Gap::External { .. } => (
            "external",
            match text("chart") {
                Some(chart) => format!(
                    "{field} is chart '{chart}' from {}, which is not fetched",
                    text("repoURL").unwrap_or_default()
                ),
                None => format!(
                    "{field} is in another repository ({}), which is not fetched",
                    text("repoURL").unwrap_or_default()
                ),
            },
        ),
        Gap::NotRendered { kind, reason, .. } => (
            "not-rendered",
            match (*kind, reason) {
                ("plugin", _) => format!(
                    "{field} ({}) is rendered by a config management plugin, which kubectl-gitops cannot run",
                    dir()
                ),
                (k, Some(why)) => {
                    format!(
                        "{field} ({}) is a {k} source and was not rendered: {why}",
                        dir()
                    )
                }
                (k, None) => format!(
                    "{field} ({}) is a {k} source and rendering is switched off",
                    dir()
                ),
            },
        ),
        Gap::RenderFailed { .. } => (
            "render-failed",
            format!(
                "{field} ({}) failed to render (see GO004 in `kubectl gitops lint`)",
                dir()
            ),
        ),
        Gap::NotLinted { dir, .. } => (
            "not-linted",
            format!(
                "{field} ({}) is outside the linted paths",
                if dir.is_empty() { "." } else { dir }
            ),
        ),
    };
    MissingSource {
        source: field,
        repo_url: text("repoURL"),
        path: text("path"),
        chart: text("chart"),
        reason,
        message,
    }
}

/// What a resource needs, for the picture: another resource of the Application (index
/// into `Repo::objects`) or the Namespace `CreateNamespace=true` adds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Needs {
    Object(usize),
    CreatedNamespace,
}

/// Edges between steps (consumer step → dependency step, indices into `steps`) for
/// `(consumer object, what it needs)` pairs: every step of the consumer points at the
/// first step of the dependency. `objects[i]` is the `Repo::objects` index of resource
/// `i` of the plan. Objects without steps draw nothing; each edge appears once.
pub fn step_edges(
    steps: &[Step],
    objects: &[usize],
    needs: &[(usize, Needs)],
) -> Vec<(usize, usize)> {
    let steps_of = |object: usize| -> Vec<usize> {
        (0..steps.len())
            .filter(|&k| steps[k].resource.and_then(|r| objects.get(r)) == Some(&object))
            .collect()
    };
    let mut out: Vec<(usize, usize)> = Vec::new();
    for &(from, to) in needs {
        let target = match to {
            Needs::Object(o) => steps_of(o).first().copied(),
            Needs::CreatedNamespace => steps.iter().position(|s| s.resource.is_none()),
        };
        let Some(target) = target else { continue };
        for k in steps_of(from) {
            if k != target && !out.contains(&(k, target)) {
                out.push((k, target));
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// Table

struct Styled<'a> {
    out: &'a mut String,
    color: bool,
}

impl Styled<'_> {
    fn put(&mut self, style: Style, s: &str) {
        if self.color && !s.is_empty() {
            let _ = write!(self.out, "{}{s}{}", style.render(), style.render_reset());
        } else {
            self.out.push_str(s);
        }
    }
}

fn qualified(namespace: Option<&str>, name: &str, generated: bool) -> String {
    let star = if generated { "*" } else { "" };
    match namespace {
        Some(ns) => format!("{ns}/{name}{star}"),
        None => format!("{name}{star}"),
    }
}

fn step_location(s: &StepOut) -> String {
    match (&s.file, s.line) {
        (Some(f), Some(l)) => format!("{f}:{l}"),
        (Some(f), None) => f.clone(),
        _ if s.extra.created_namespace => "(CreateNamespace=true)".to_owned(),
        _ => "-".to_owned(),
    }
}

/// The notes column of a step: hook types, delete policies, moves, dry run.
fn notes(s: &StepOut) -> Vec<(bool, String)> {
    let mut out: Vec<(bool, String)> = Vec::new();
    if !s.hook_types.is_empty() {
        out.push((false, format!("hook {}", s.hook_types.join(","))));
    }
    if !s.delete_policies.is_empty() {
        out.push((
            false,
            format!("delete policy {}", s.delete_policies.join(",")),
        ));
    }
    if let Some(m) = s.moved {
        let before = s
            .extra
            .moved_before
            .as_deref()
            .map(|b| format!(" in front of {b}"))
            .unwrap_or_default();
        out.push((
            true,
            format!(
                "{m}: moved{before} (own phase {}, wave {})",
                s.extra.own_phase, s.extra.own_wave
            ),
        ));
    }
    if s.extra.created_namespace {
        out.push((
            false,
            if s.extra.managed_metadata {
                "created by CreateNamespace=true; labels and annotations from managedNamespaceMetadata".to_owned()
            } else {
                "created by CreateNamespace=true".to_owned()
            },
        ));
    }
    if s.extra.before_dry_run {
        out.push((
            false,
            "applied first, before the dry run, when it does not exist yet".to_owned(),
        ));
    }
    out
}

fn excluded_text(why: Excluded) -> &'static str {
    match why {
        Excluded::Skip => "Skip: never applied",
        Excluded::NoHookType => "hook without a recognised sync phase: never applied",
        Excluded::Deletion {
            pre: true,
            post: true,
        } => "PreDelete and PostDelete hook: runs only when the Application is deleted",
        Excluded::Deletion { pre: true, .. } => {
            "PreDelete hook: runs before the Application's resources are deleted"
        }
        Excluded::Deletion { .. } => {
            "PostDelete hook: runs after the Application's resources are deleted"
        }
    }
}

/// Steps grouped by phase and wave, one line each: position, kind, namespace/name,
/// file:line, hook types, delete policies and why it moved.
pub fn table(w: &Waves, color: bool) -> String {
    let mut out = String::new();
    let mut t = Styled {
        out: &mut out,
        color,
    };
    let bold = Style::new().bold();
    let dim = Style::new().dimmed();
    let warn = Style::new().fg_color(Some(AnsiColor::Yellow.into()));
    let steps = w.steps.len();
    t.put(
        bold,
        &format!("{}/{}", w.application.namespace, w.application.name),
    );
    let dest = if w.destination_namespace.is_empty() {
        String::new()
    } else {
        format!(" → namespace {}", w.destination_namespace)
    };
    let _ = writeln!(
        t.out,
        "{dest}: {steps} sync step{}",
        if steps == 1 { "" } else { "s" }
    );
    let rows: Vec<[String; 4]> = w
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| {
            [
                format!("{}", i + 1),
                s.kind.clone(),
                qualified(s.namespace.as_deref(), &s.name, s.extra.generated_name),
                step_location(s),
            ]
        })
        .collect();
    let width = |c: usize| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0);
    let widths = [width(0), width(1), width(2), width(3)];
    let mut group: Option<(&str, i64)> = None;
    for (s, row) in w.steps.iter().zip(&rows) {
        if group != Some((s.phase, s.wave)) {
            group = Some((s.phase, s.wave));
            t.out.push('\n');
            t.put(bold, &format!("{} · wave {}", s.phase, s.wave));
            if s.phase == Phase::SyncFail.as_str() {
                t.put(dim, "  (only when the sync fails)");
            }
            t.out.push('\n');
        }
        let _ = write!(
            t.out,
            "  {:>w0$}  {:<w1$}  {:<w2$}  ",
            row[0],
            row[1],
            row[2],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2]
        );
        let n = notes(s);
        if n.is_empty() {
            let _ = write!(t.out, "{}", row[3]);
        } else {
            let _ = write!(t.out, "{:<w3$}  ", row[3], w3 = widths[3]);
            for (k, (highlight, note)) in n.iter().enumerate() {
                if k > 0 {
                    t.put(dim, "; ");
                }
                t.put(if *highlight { warn } else { dim }, note);
            }
        }
        t.out.push('\n');
    }
    if w.steps.is_empty() {
        t.out.push_str("\nno sync steps\n");
    }
    if !w.excluded.is_empty() {
        t.out.push('\n');
        t.put(bold, "Not part of a sync");
        t.out.push('\n');
        let rows: Vec<[String; 3]> = w
            .excluded
            .iter()
            .map(|e| {
                let at = match (&e.file, e.line) {
                    (Some(f), Some(l)) => format!("{f}:{l}"),
                    _ => "-".to_owned(),
                };
                [
                    e.kind.clone(),
                    qualified(e.namespace.as_deref(), &e.name, false),
                    at,
                ]
            })
            .collect();
        let width = |c: usize| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0);
        let widths = [width(0), width(1), width(2)];
        for (e, row) in w.excluded.iter().zip(&rows) {
            let _ = write!(
                t.out,
                "  {:<w0$}  {:<w1$}  {:<w2$}  ",
                row[0],
                row[1],
                row[2],
                w0 = widths[0],
                w1 = widths[1],
                w2 = widths[2]
            );
            t.put(dim, excluded_text(e.why));
            t.out.push('\n');
        }
    }
    if w.incomplete {
        t.out.push('\n');
        t.put(warn, "incomplete:");
        t.out.push_str(
            " the plan shows the known resources only; these sources are missing from it:\n",
        );
        for m in &w.missing_sources {
            let _ = writeln!(t.out, "  - {}", m.message);
        }
    }
    if w.steps.iter().any(|s| s.extra.generated_name) {
        t.out.push('\n');
        t.put(
            dim,
            "* generateName: Argo CD appends the revision, the phase and the time at sync time",
        );
        t.out.push('\n');
    }
    out
}

// ---------------------------------------------------------------------------------------
// JSON

pub fn json(w: &Waves) -> String {
    let mut s =
        serde_json::to_string_pretty(w).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}

// ---------------------------------------------------------------------------------------
// Mermaid

use super::tree::mermaid_escape;

/// A `flowchart LR` of phases (subgraphs, in order) holding their waves (subgraphs, in
/// order) holding the steps; dependency edges, when known, go from the consumer to what
/// it needs (dotted).
pub fn mermaid(w: &Waves) -> String {
    let mut out = String::from("flowchart LR\n");
    let mut phase_ids: Vec<String> = Vec::new();
    let mut i = 0;
    while i < w.steps.len() {
        let phase = w.steps[i].phase;
        let pid = format!("phase_{phase}");
        let _ = writeln!(out, "    subgraph {pid}[\"{phase}\"]");
        out.push_str("        direction LR\n");
        let mut wave_ids: Vec<String> = Vec::new();
        while i < w.steps.len() && w.steps[i].phase == phase {
            let wave = w.steps[i].wave;
            let wid = format!(
                "{pid}_wave_{}{}",
                if wave < 0 { "m" } else { "" },
                wave.unsigned_abs()
            );
            let _ = writeln!(out, "        subgraph {wid}[\"wave {wave}\"]");
            out.push_str("            direction TB\n");
            while i < w.steps.len() && w.steps[i].phase == phase && w.steps[i].wave == wave {
                let s = &w.steps[i];
                let mut label = format!(
                    "{} {}",
                    s.kind,
                    qualified(s.namespace.as_deref(), &s.name, s.extra.generated_name)
                );
                if let Some(m) = s.moved {
                    let _ = write!(label, " ({m})");
                }
                if s.extra.created_namespace {
                    label.push_str(" (CreateNamespace)");
                }
                let _ = writeln!(
                    out,
                    "            s{}[\"{}\"]",
                    i + 1,
                    mermaid_escape(&label)
                );
                i += 1;
            }
            out.push_str("        end\n");
            wave_ids.push(wid);
        }
        for pair in wave_ids.windows(2) {
            let _ = writeln!(out, "        {} --> {}", pair[0], pair[1]);
        }
        out.push_str("    end\n");
        phase_ids.push(pid);
    }
    for pair in phase_ids.windows(2) {
        let _ = writeln!(out, "    {} ==> {}", pair[0], pair[1]);
    }
    match &w.edges {
        Some(edges) => {
            for (from, to) in edges {
                let _ = writeln!(out, "    s{} -.-> s{}", from + 1, to + 1);
            }
        }
        None => out.push_str("    %% dependency edges: not available\n"),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;

    fn object(yaml: &str) -> Object {
        let parsed = crate::load::yaml::parse(yaml);
        let root = parsed
            .documents
            .into_iter()
            .next()
            .map(|d| d.root)
            .expect("a document");
        Object::new(FileId(0), 0, None, root).expect("an object")
    }

    /// §3.1: one non-string annotation value hides every annotation from Argo CD.
    #[test]
    fn annotations_are_all_or_nothing() {
        let o = object(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  annotations:\n    argocd.argoproj.io/sync-wave: \"5\"\n    argocd.argoproj.io/hook: PreSync\n",
        );
        let a = argo_annotations(&o);
        assert_eq!((a.sync_wave, a.hook), (Some("5"), Some("PreSync")));
        for bad in ["other: 3", "other: true", "other: ~", "other: [x]"] {
            let o = object(&format!(
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  annotations:\n    argocd.argoproj.io/sync-wave: \"5\"\n    {bad}\n"
            ));
            assert_eq!(argo_annotations(&o), Annotations::default(), "{bad}");
        }
        let o = object("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  annotations: x\n");
        assert_eq!(argo_annotations(&o), Annotations::default());
    }

    #[test]
    fn resources_of_objects() {
        let crd = object(
            "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: ws.example.com\nspec:\n  group: example.com\n  names: {kind: W}\n",
        );
        assert_eq!(resource_of(&crd).defines, Some(("example.com", "W")));
        let broken = object(
            "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: x\nspec:\n  group: 5\n  names: {kind: W}\n",
        );
        assert_eq!(resource_of(&broken).defines, None);
        let job = object(
            "apiVersion: batch/v1\nkind: Job\nmetadata:\n  generateName: m-\n  namespace: prod\n",
        );
        let r = resource_of(&job);
        assert_eq!(
            (r.group, r.kind, r.namespace, r.name, r.generate_name),
            ("batch", "Job", Some("prod"), "", Some("m-"))
        );
    }

    #[test]
    fn suggestions() {
        assert_eq!(suggest("shp", &["shop", "billing"]), Some("shop"));
        assert_eq!(suggest("SHOP", &["shop"]), Some("shop"));
        assert_eq!(suggest("zzz", &["shop"]), None);
        assert_eq!(levenshtein("kitten", "sitting"), 3);
    }

    fn step(phase: &'static str, wave: i64, kind: &str, name: &str) -> StepOut {
        StepOut {
            phase,
            wave,
            kind: kind.to_owned(),
            group: String::new(),
            namespace: Some("a\"b".to_owned()),
            name: name.to_owned(),
            file: Some("x.yaml".to_owned()),
            line: Some(1),
            hook_types: Vec::new(),
            delete_policies: Vec::new(),
            moved: None,
            extra: StepExtra::default(),
        }
    }

    fn plan(steps: Vec<StepOut>, edges: Option<Vec<(usize, usize)>>) -> Waves {
        Waves {
            version: 1,
            application: AppId {
                namespace: "argocd".to_owned(),
                name: "x".to_owned(),
            },
            steps,
            incomplete: false,
            missing_sources: Vec::new(),
            excluded: Vec::new(),
            edges,
            destination_namespace: String::new(),
        }
    }

    #[test]
    fn mermaid_draws_phases_waves_and_edges() {
        let w = plan(
            vec![
                step("Sync", -2, "Secret", "s<1>"),
                step("Sync", 0, "Deployment", "d"),
            ],
            Some(vec![(1, 0)]),
        );
        let m = mermaid(&w);
        assert_eq!(
            m,
            "flowchart LR
    subgraph phase_Sync[\"Sync\"]
        direction LR
        subgraph phase_Sync_wave_m2[\"wave -2\"]
            direction TB
            s1[\"Secret a#quot;b/s#lt;1#gt;\"]
        end
        subgraph phase_Sync_wave_0[\"wave 0\"]
            direction TB
            s2[\"Deployment a#quot;b/d\"]
        end
        phase_Sync_wave_m2 --> phase_Sync_wave_0
    end
    s2 -.-> s1
"
        );
        let m = mermaid(&plan(Vec::new(), None));
        assert_eq!(m, "flowchart LR\n    %% dependency edges: not available\n");
    }

    /// Consumer steps point at the dependency's first step; the created Namespace is a
    /// target; objects without steps and duplicates draw nothing.
    #[test]
    fn step_edges_join_consumers_to_dependencies() {
        use crate::argo::sync_order::{CreateNamespace, plan};
        let r = |kind: &'static str, name: &'static str| Resource {
            kind,
            name,
            ..Resource::default()
        };
        let mut hook = r("Job", "twice");
        hook.annotations.hook = Some("PreSync,PostSync");
        let mut skipped = r("ConfigMap", "skipped");
        skipped.annotations.hook = Some("Skip");
        let resources = [r("Secret", "s"), hook, skipped];
        let steps = plan(&resources, "prod", Some(&CreateNamespace::default()));
        // Steps: 0 created Namespace, 1 Job (PreSync), 2 Secret, 3 Job (PostSync).
        let objects = [10, 11, 12];
        let needs = [
            (11, Needs::Object(10)),
            (11, Needs::Object(10)),
            (10, Needs::CreatedNamespace),
            (12, Needs::Object(10)),
            (11, Needs::Object(12)),
        ];
        assert_eq!(
            step_edges(&steps, &objects, &needs),
            [(1, 2), (3, 2), (2, 0)]
        );
    }

    #[test]
    fn empty_plan_table() {
        let t = table(&plan(Vec::new(), None), false);
        assert_eq!(t, "argocd/x: 0 sync steps\n\nno sync steps\n");
    }
}
