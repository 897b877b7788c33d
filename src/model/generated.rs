//! The generate stage, between rendering and the model: expands every ApplicationSet of
//! the repository ([`crate::argo::appset`]), rendered ones included, and adds each
//! generated Application to the repository as an object of its own virtual file (the
//! YAML `appset generate` prints for it), marked with [`GeneratedFrom`]. The model then
//! treats them as Applications written by hand, and every rule checks them.
//!
//! Findings about a generated Application are moved back to the ApplicationSet
//! ([`remap`]): a string field to the template string it was rendered from (for
//! `templatePatch`, the characters inside the patch), any other field to the same field
//! of the template, else to its nearest templated ancestor, else to the ApplicationSet's
//! `spec.template` key. [`finish`] then names the generated Applications and their
//! parameters in the message, drops findings the ApplicationSet rules already report at
//! the same place, and merges the copies of one finding that several generated
//! Applications produce.
//!
//! Cost: nothing when the repository has no ApplicationSet.

use crate::argo::appset::inputs::{self, ClusterEntry, DiskTree, RepoExpansion};
use crate::argo::appset::{self, GeneratedApp, GoTemplates, Item, Origin, ParamRef, Part};
use crate::config::Config;
use crate::diagnostic::Diagnostic;
use crate::load::yaml::Node;
use crate::model::application_set::ApplicationSet;
use crate::model::cluster::{Clusters, IN_CLUSTER_NAME, IN_CLUSTER_SERVER};
use crate::model::identity::RepoIdentity;
use crate::model::rendered::{Step, path_to};
use crate::model::repo::ARGO_GROUP;
use crate::model::{GeneratedFrom, Object, Repo};
use crate::source::{FileId, Span};
use serde_json::Value;
use std::collections::HashMap;

/// The Go `text/template` engine `goTemplate: true` ApplicationSets are expanded with,
/// for `lint` and `appset generate` alike (one per run: it caches parsed templates).
pub fn go_engine() -> Box<dyn GoTemplates> {
    Box::new(appset::GoEngine::new())
}

/// What the generate stage produced.
#[derive(Debug, Default)]
pub struct Generated {
    /// Every ApplicationSet of the repository, expanded, in repository order.
    pub sets: Vec<RepoExpansion>,
    /// The checkout as the Git generator sees it (`None` without ApplicationSets), read
    /// on first use: only Git generators on this repository need it.
    pub tree: Option<LazyTree>,
    /// The clusters the cluster generator saw.
    pub clusters: Vec<ClusterEntry>,
    /// The virtual file of each generated Application → its object index.
    by_file: HashMap<FileId, usize>,
}

impl Generated {
    /// The expansion of the ApplicationSet at `set_object` (index into `Repo::objects`).
    pub fn of(&self, set_object: usize) -> Option<&RepoExpansion> {
        self.sets.iter().find(|s| s.object == set_object)
    }

    /// The generated Application an object stands for.
    pub fn app(&self, from: &GeneratedFrom) -> Option<&GeneratedApp> {
        self.sets.get(from.set)?.expansion.apps.get(from.app)
    }

    /// Whether any Application was generated.
    pub fn is_empty(&self) -> bool {
        self.by_file.is_empty()
    }
}

/// The most generated Applications checked in one run: each becomes an object with its
/// own file, and a matrix can multiply them far beyond any real repository.
pub const MAX_CHECKED: usize = 10_000;

/// Expands the repository's ApplicationSets and adds the generated Applications to
/// `repo` (indexed). Applications without a name are not added: Argo CD cannot create
/// them (SET008 reports the template).
pub fn generate_all(
    repo: &mut Repo,
    config: &Config,
    identity: &RepoIdentity,
    go: &dyn GoTemplates,
) -> Generated {
    // A rendered copy of an ApplicationSet of the repository is that ApplicationSet.
    let set_objects: Vec<usize> = repo
        .indices_of_kind(ARGO_GROUP, "ApplicationSet")
        .iter()
        .copied()
        .filter(|&i| {
            !repo.objects[i]
                .rendered
                .as_ref()
                .is_some_and(|r| matches!(r.trace, crate::model::Trace::Object(_)))
        })
        .collect();
    if set_objects.is_empty() {
        return Generated::default();
    }
    let control_plane = config.control_plane_namespace();
    let clusters = Clusters::build(repo, config);
    let entries = inputs::cluster_entries(repo, control_plane, &clusters);
    let tree = LazyTree::new(identity.root.clone());
    let is_this_repo = |u: &str| identity.is_this_repo(u);
    let env = appset::Env {
        tree: &tree,
        is_this_repo: &is_this_repo,
        clusters: &entries,
        go,
    };
    let mut sets = inputs::expand_sets(repo, &set_objects, control_plane, &env);
    let mut pending = Vec::new();
    let mut capped = Vec::new();
    for (si, s) in sets.iter().enumerate() {
        let Some(set_obj) = repo.objects.get(s.object) else {
            continue;
        };
        let file = repo.db.get(set_obj.file);
        // Parsed `elementsYaml` per generator, for the parameter descriptions.
        let mut parsed_yaml = HashMap::new();
        for (ai, app) in s.expansion.apps.iter().enumerate() {
            if app.name.is_empty() {
                continue;
            }
            if pending.len() >= MAX_CHECKED {
                capped.push(si);
                break;
            }
            let label = format!(
                "{} (Application {}/{} generated by ApplicationSet {})",
                file.rel_path, app.namespace, app.name, s.name
            );
            let from = GeneratedFrom {
                set_object: s.object,
                set: si,
                app: ai,
                params: describe_params(set_obj.json(), app, &entries, &mut parsed_yaml),
            };
            let text = crate::load::emit::yaml(&[&app.app]);
            pending.push((label, file.abs_path.clone(), text, from));
        }
    }
    for si in capped {
        if let Some(s) = sets.get_mut(si) {
            s.expansion.not_expanded.push(appset::NotExpanded {
                generator: "/spec/generators".to_owned(),
                kind: "applications".to_owned(),
                reason: format!(
                    "the repository's ApplicationSets generate more than {MAX_CHECKED} Applications, and only the first {MAX_CHECKED} are checked"
                ),
            });
        }
    }
    let mut by_file = HashMap::new();
    for (label, abs, text, from) in pending {
        for i in repo.add_generated(label, abs, text, from) {
            if let Some(o) = repo.objects.get(i) {
                by_file.insert(o.file, i);
            }
        }
    }
    repo.reindex();
    Generated {
        sets,
        tree: Some(tree),
        clusters: entries,
        by_file,
    }
}

/// The checkout, scanned when first asked for.
#[derive(Debug)]
pub struct LazyTree {
    root: std::path::PathBuf,
    tree: std::sync::OnceLock<DiskTree>,
}

impl LazyTree {
    pub fn new(root: std::path::PathBuf) -> LazyTree {
        LazyTree {
            root,
            tree: std::sync::OnceLock::new(),
        }
    }

    fn get(&self) -> &DiskTree {
        self.tree.get_or_init(|| DiskTree::scan(&self.root))
    }
}

impl appset::RepoTree for LazyTree {
    fn directories(&self) -> &[String] {
        self.get().directories()
    }

    fn files(&self) -> &[String] {
        self.get().files()
    }

    fn read(&self, path: &str) -> Option<Vec<u8>> {
        self.get().read(path)
    }
}

// ---------------------------------------------------------------------------------------
// Parameters, for messages

/// `from list element {env: prod, server: https://…}`: the parameters that produced a
/// generated Application, by the items of its leaf generators. Cluster Secrets are named
/// by name and server only.
fn describe_params(
    set: &Value,
    app: &GeneratedApp,
    clusters: &[ClusterEntry],
    parsed_yaml: &mut HashMap<String, Value>,
) -> String {
    let items: Vec<String> = app
        .params
        .sources
        .iter()
        .map(|s| describe_item(set, &s.generator, &s.item, clusters, parsed_yaml))
        .collect();
    let top = last_token(&app.generator);
    match (top.as_str(), items.as_slice()) {
        (_, []) => format!("from the {top} generator"),
        ("matrix" | "merge", _) => format!("from the {top} generator: {}", items.join(" and ")),
        (_, [one]) => format!("from {one}"),
        (_, _) => format!("from {}", items.join(" and ")),
    }
}

fn last_token(pointer: &str) -> String {
    pointer
        .rsplit('/')
        .next()
        .map(crate::load::yaml::unescape_token)
        .unwrap_or_default()
}

/// `parsed_yaml` keeps each generator's parsed `elementsYaml`, so that describing many
/// Applications parses it once.
fn describe_item(
    set: &Value,
    generator: &str,
    item: &Item,
    clusters: &[ClusterEntry],
    parsed_yaml: &mut HashMap<String, Value>,
) -> String {
    match item {
        Item::Element { pointer } => format!(
            "list element {}",
            brief(set.pointer(pointer).unwrap_or(&Value::Null))
        ),
        Item::ElementYaml { index } => {
            let items = parsed_yaml.entry(generator.to_owned()).or_insert_with(|| {
                let text = set
                    .pointer(&format!("{generator}/elementsYaml"))
                    .and_then(Value::as_str)
                    .unwrap_or("");
                crate::load::yaml::parse(text)
                    .documents
                    .first()
                    .map(|d| d.root.to_json())
                    .unwrap_or(Value::Null)
            });
            let value = items.get(*index).cloned().unwrap_or(Value::Null);
            format!("list elementsYaml item {} {}", index + 1, brief(&value))
        }
        Item::Directory { path } => format!("git directory {path}"),
        Item::File { path, index } if *index > 0 => {
            format!("git file {path} (item {})", index + 1)
        }
        Item::File { path, .. } => format!("git file {path}"),
        Item::Cluster { name, .. } => {
            let server = if name == IN_CLUSTER_NAME {
                Some(IN_CLUSTER_SERVER)
            } else {
                clusters
                    .iter()
                    .rev()
                    .find(|c| c.name == *name)
                    .map(|c| c.server.as_str())
            };
            match server {
                Some(s) if !s.is_empty() => format!("cluster '{name}' ({s})"),
                _ => format!("cluster '{name}'"),
            }
        }
        Item::ClusterList => "the list of all clusters (flatList)".to_owned(),
    }
}

/// A short flow-style rendering of a list element: `{env: prod, replicas: "3"}`.
fn brief(v: &Value) -> String {
    const KEYS: usize = 6;
    const CHARS: usize = 60;
    let short = |s: String| -> String {
        if s.chars().count() > CHARS {
            let cut: String = s.chars().take(CHARS).collect();
            format!("{cut}…")
        } else {
            s
        }
    };
    match v {
        Value::Object(m) => {
            let mut parts: Vec<String> = m
                .iter()
                .take(KEYS)
                .map(|(k, x)| {
                    let text = match x {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    format!("{k}: {}", short(text))
                })
                .collect();
            if m.len() > KEYS {
                parts.push("…".to_owned());
            }
            format!("{{{}}}", parts.join(", "))
        }
        Value::String(s) => short(s.clone()),
        other => short(other.to_string()),
    }
}

// ---------------------------------------------------------------------------------------
// Remapping findings

/// A finding about a generated Application, after [`remap`].
#[derive(Debug, Clone, Copy)]
pub struct Attribution {
    /// The generated Application (index into `Repo::objects`).
    pub object: usize,
    /// The finding is about a string that holds a parameter no generator produced:
    /// SET003 reports the template instead.
    pub unresolved: bool,
}

/// Where a span inside a generated Application's file belongs in the ApplicationSet,
/// and which Application it is about; `None` for spans elsewhere.
pub fn remap(repo: &Repo, generated: &Generated, span: Span) -> Option<(Span, Attribution)> {
    if generated.by_file.is_empty() || !repo.is_virtual(span.file) {
        return None;
    }
    let &index = generated.by_file.get(&span.file)?;
    let o = repo.objects.get(index)?;
    let from = o.generated.as_deref()?;
    let set = repo.objects.get(from.set_object)?;
    let Some(app) = generated.app(from) else {
        return Some((fallback(set), attribution(index, false)));
    };
    let steps = path_to(&o.node, span.start, span.end);
    let is_key = matches!(steps.last(), Some(Step::Key(_)));
    let tokens: Vec<String> = steps
        .iter()
        .map(|s| match s {
            Step::Value(k) | Step::Key(k) => k.clone(),
            Step::Item(i) => i.to_string(),
        })
        .collect();
    let pointer = pointer_of(&tokens);
    let exact = if is_key {
        app.keys.get(&pointer)
    } else {
        app.fields.get(&pointer)
    };
    if let Some(origin) = exact {
        let target = follow(&o.node, &steps);
        let sub = target.and_then(|t| within(repo, o, t, span));
        if let Some(mapped) = origin_span(repo, set, origin, is_key, sub) {
            let go = ApplicationSet::new(set).is_some_and(|s| s.go_template());
            let value = if is_key {
                tokens.last().map(String::as_str)
            } else {
                app.app.pointer(&pointer).and_then(Value::as_str)
            };
            let unresolved = !unresolved_refs(origin, value.unwrap_or(""), go).is_empty();
            return Some((mapped, attribution(index, unresolved)));
        }
    }
    let mapped = patch_span(repo, set, &tokens, is_key)
        .or_else(|| derived_span(set, app, &tokens, is_key))
        .unwrap_or_else(|| fallback(set));
    Some((mapped, attribution(index, false)))
}

fn attribution(object: usize, unresolved: bool) -> Attribution {
    Attribution { object, unresolved }
}

/// The parameters of a template string that did not resolve in the generated value:
/// fasttemplate leaves the tag verbatim; Go templates without `missingkey=error` print
/// `<no value>` (a reference under `default` or similar renders something else, and is
/// not counted).
pub fn unresolved_refs<'o>(origin: &'o Origin, value: &str, go: bool) -> Vec<&'o ParamRef> {
    let Origin::Template { params, .. } = origin else {
        return Vec::new();
    };
    if go && !value.contains("<no value>") {
        return Vec::new();
    }
    params.iter().filter(|p| !p.resolved).collect()
}

fn pointer_of(tokens: &[String]) -> String {
    tokens
        .iter()
        .map(|t| format!("/{}", appset::escape_token(t)))
        .collect()
}

fn follow<'n>(node: &'n Node, steps: &[Step]) -> Option<&'n Node> {
    steps.iter().try_fold(node, |cur, s| match s {
        Step::Value(k) => cur.get(k),
        Step::Key(k) => cur.entry(k).map(|e| &e.key),
        Step::Item(i) => cur.items().get(*i),
    })
}

/// For a span strictly inside the string `node` of a generated Application: the byte
/// range of the string's value it covers, with the value.
fn within<'n>(
    repo: &Repo,
    o: &Object,
    node: &'n Node,
    span: Span,
) -> Option<(usize, usize, &'n str)> {
    if span.start == node.start && span.end == node.end {
        return None;
    }
    let scalar = node.scalar()?;
    let raw = repo.db.snippet(o.span(node));
    let map = crate::load::yaml::value_offsets(raw, scalar.style, &scalar.text)?;
    let rel = |at: u32| at.saturating_sub(node.start) as usize;
    let (s, e) = (rel(span.start), rel(span.end));
    let start = map.iter().position(|&r| r >= s)?;
    let end = map.iter().position(|&r| r >= e).unwrap_or(map.len() - 1);
    Some((start, end.max(start), &scalar.text))
}

/// The span of what `origin` names in the ApplicationSet `set`: the template string, its
/// key (`is_key`), the characters of a patch node, or part of the string when the
/// finding covers part of a value that is written the same way in the template.
fn origin_span(
    repo: &Repo,
    set: &Object,
    origin: &Origin,
    is_key: bool,
    sub: Option<(usize, usize, &str)>,
) -> Option<Span> {
    match origin {
        Origin::Template {
            pointer,
            part: Part::TemplatePatch,
            span,
            ..
        } => {
            let node = set.node.pointer(pointer)?;
            Some(match span {
                Some(r) => text_span(repo, set, node, r.start, r.end),
                None => set.span(node),
            })
        }
        Origin::Template { pointer, .. } => {
            if is_key {
                let (parent, last) = pointer.rsplit_once('/')?;
                let key = crate::load::yaml::unescape_token(last);
                let entry = set.node.pointer(parent)?.entry(&key)?;
                return Some(set.span(&entry.key));
            }
            let node = set.node.pointer(pointer)?;
            match sub {
                Some((s, e, value)) if node.scalar().is_some_and(|x| x.text == value) => {
                    Some(text_span(repo, set, node, s, e))
                }
                _ => Some(set.span(node)),
            }
        }
        Origin::Namespace { pointer } => {
            let meta = set.metadata();
            let node = pointer
                .as_deref()
                .and_then(|p| set.node.pointer(p))
                .or_else(|| meta.and_then(|m| m.get("name")))?;
            Some(set.span(node))
        }
        Origin::Finalizer => None,
    }
}

/// The span of bytes `start..end` of the string `node`'s value (the whole node when its
/// writing cannot be followed).
pub fn text_span(repo: &Repo, set: &Object, node: &Node, start: usize, end: usize) -> Span {
    let Some(scalar) = node.scalar() else {
        return set.span(node);
    };
    let raw = repo.db.snippet(set.span(node));
    crate::rules::sub_span(set, node, &scalar.text, start, end, raw)
}

/// A `templatePatch` node at the generated Application's path, found in the unrendered
/// patch text: the patch wrote that field.
fn patch_span(repo: &Repo, set: &Object, tokens: &[String], is_key: bool) -> Option<Span> {
    if tokens.is_empty() {
        return None;
    }
    let node = set.node.pointer("/spec/templatePatch")?;
    let text = node.as_str()?;
    let parsed = crate::load::yaml::parse(text);
    let root = parsed.documents.into_iter().next()?.root;
    let (parent, last) = tokens.split_at(tokens.len() - 1);
    let parent_node = parent.iter().try_fold(&root, |n, k| step(n, k))?;
    let target = if is_key {
        &parent_node.entry(&last[0])?.key
    } else {
        step(parent_node, &last[0])?
    };
    Some(text_span(
        repo,
        set,
        node,
        target.start as usize,
        target.end as usize,
    ))
}

fn step<'n>(n: &'n Node, token: &str) -> Option<&'n Node> {
    if n.is_seq() {
        token.parse::<usize>().ok().and_then(|i| n.items().get(i))
    } else {
        n.get(token)
    }
}

/// The same field in the template: the nearest ancestor with a string under it whose
/// template pointer is known gives the template node the ancestor was written as; the
/// rest of the path is followed from there as far as it exists.
fn derived_span(set: &Object, app: &GeneratedApp, tokens: &[String], is_key: bool) -> Option<Span> {
    for k in (0..=tokens.len()).rev() {
        let prefix = pointer_of(&tokens[..k]);
        let mut bases: Vec<&str> = Vec::new();
        for (field, origin) in app.fields.range(prefix.clone()..) {
            if !field.starts_with(&prefix) {
                break;
            }
            let suffix = &field[prefix.len()..];
            if !suffix.is_empty() && !suffix.starts_with('/') {
                continue;
            }
            let Origin::Template { pointer, part, .. } = origin else {
                continue;
            };
            if *part == Part::TemplatePatch {
                continue;
            }
            if let Some(base) = pointer.strip_suffix(suffix)
                && !bases.contains(&base)
            {
                bases.push(base);
                if bases.len() > 8 {
                    break;
                }
            }
        }
        let mut best: Option<(usize, Span)> = None;
        let rest = &tokens[k..];
        for base in bases {
            let Some(start) = set.node.pointer(base) else {
                continue;
            };
            // The key of the node reached (a mapping member's key), for a target that is
            // a key or that the template does not have: a mapping is shown by its key.
            let mut key = base.rsplit_once('/').and_then(|(parent, last)| {
                let parent = set.node.pointer(parent)?;
                if parent.is_seq() {
                    return None;
                }
                parent
                    .entry(&crate::load::yaml::unescape_token(last))
                    .map(|e| &e.key)
            });
            let mut cur = start;
            let mut depth = 0;
            for t in rest {
                // An item of a list keeps the list's key.
                let entry_key = if cur.is_seq() {
                    key
                } else {
                    cur.entry(t).map(|e| &e.key)
                };
                match step(cur, t) {
                    Some(n) => {
                        key = entry_key;
                        cur = n;
                        depth += 1;
                    }
                    None => break,
                }
            }
            let exact = depth == rest.len();
            let node = if !is_key && (exact || cur.scalar().is_some()) {
                cur
            } else {
                key.unwrap_or(cur)
            };
            let span = set.span(node);
            if best.is_none_or(|(d, _)| depth > d) {
                best = Some((depth, span));
            }
        }
        if let Some((_, span)) = best {
            return Some(span);
        }
    }
    None
}

/// Where findings go when nothing closer is known: the `spec.template` key.
fn fallback(set: &Object) -> Span {
    set.spec()
        .and_then(|s| s.entry("template"))
        .map_or_else(|| set.head_span(), |e| set.span(&e.key))
}

// ---------------------------------------------------------------------------------------
// Findings

/// Moves a finding's spans out of rendered output and generated Applications' files
/// (rendered first, since a rendered object's fallback can be a generated
/// Application's `source.path`, and again after, since the ApplicationSet itself can be
/// rendered). Returns who the primary span is about when it was in a generated
/// Application.
pub fn remap_diagnostic(
    repo: &Repo,
    generated: &Generated,
    d: &mut Diagnostic,
) -> Option<Attribution> {
    let moved = |span: Span| -> (Span, Option<Attribution>) {
        let s = crate::model::rendered::remap(repo, span);
        match remap(repo, generated, s) {
            Some((m, a)) => (crate::model::rendered::remap(repo, m), Some(a)),
            None => (s, None),
        }
    };
    let (primary, attribution) = moved(d.primary.span);
    d.primary.span = primary;
    for r in &mut d.related {
        r.span = moved(r.span).0;
    }
    attribution
}

/// The findings about generated Applications, finished: those on strings with a
/// parameter no generator produced are dropped (SET003 reports the template), so are
/// those the same rule reports at the same place of the ApplicationSet itself; copies of
/// one finding that several generated Applications produce become one, and the message
/// names the Applications and their parameters.
pub fn finish<T: crate::diagnostic::Reported>(
    repo: &Repo,
    generated: &Generated,
    found: Vec<(T, Option<Attribution>)>,
) -> Vec<T> {
    let mut out = Vec::with_capacity(found.len());
    let mut about_generated = Vec::new();
    for (d, a) in found {
        match a {
            Some(a) => about_generated.push((d, a)),
            None => out.push(d),
        }
    }
    if about_generated.is_empty() {
        return out;
    }
    let mut direct: HashMap<&str, Vec<Span>> = HashMap::new();
    for d in &out {
        let d = d.diagnostic();
        direct
            .entry(d.code.as_str())
            .or_default()
            .push(d.primary.span);
    }
    type Key = (String, Span, String, Vec<(Span, Option<String>)>);
    let mut groups: Vec<(T, Vec<usize>)> = Vec::new();
    let mut index: HashMap<Key, usize> = HashMap::new();
    for (found, a) in about_generated {
        let d = found.diagnostic();
        if a.unresolved {
            continue;
        }
        let overlaps = |s: &Span| {
            s.file == d.primary.span.file
                && (*s == d.primary.span
                    || (s.start < d.primary.span.end && d.primary.span.start < s.end))
        };
        if direct
            .get(d.code.as_str())
            .is_some_and(|spans| spans.iter().any(overlaps))
        {
            continue;
        }
        let key: Key = (
            d.code.clone(),
            d.primary.span,
            d.message.clone(),
            d.related
                .iter()
                .map(|l| (l.span, l.message.clone()))
                .collect(),
        );
        match index.get(&key) {
            Some(&g) => {
                if !groups[g].1.contains(&a.object) {
                    groups[g].1.push(a.object);
                }
            }
            None => {
                index.insert(key, groups.len());
                groups.push((found, vec![a.object]));
            }
        }
    }
    for (mut found, objects) in groups {
        // Findings about no object (an unknown rule in a suppression) name no Application.
        let d = found.diagnostic_mut();
        if d.object.is_some() {
            d.message.push_str(&suffix(repo, generated, &objects));
        }
        out.push(found);
    }
    out
}

/// ` (Application 'x' generated by ApplicationSet 'y' from list element {…})`, or for
/// several Applications the first three with their parameters and the names of the rest.
fn suffix(repo: &Repo, generated: &Generated, objects: &[usize]) -> String {
    const DETAILED: usize = 3;
    const NAMED: usize = 10;
    let infos: Vec<(String, &str, &str)> = objects
        .iter()
        .filter_map(|&i| {
            let o = repo.objects.get(i)?;
            let f = o.generated.as_deref()?;
            let set = generated.sets.get(f.set)?;
            Some((
                o.name.clone().unwrap_or_default(),
                set.name.as_str(),
                f.params.as_str(),
            ))
        })
        .collect();
    match infos.as_slice() {
        [] => String::new(),
        [(name, set, params)] => {
            format!(" (Application '{name}' generated by ApplicationSet '{set}' {params})")
        }
        [(_, set, _), ..] => {
            let shown: Vec<String> = infos
                .iter()
                .take(DETAILED)
                .map(|(n, _, p)| format!("'{n}' {p}"))
                .collect();
            let named: Vec<String> = infos
                .iter()
                .skip(DETAILED)
                .take(NAMED)
                .map(|(n, ..)| format!("'{n}'"))
                .collect();
            let others = infos.len().saturating_sub(DETAILED + NAMED);
            let mut rest = String::new();
            if !named.is_empty() {
                rest = format!("; and {}", named.join(", "));
            }
            if others > 0 {
                rest.push_str(&format!(" and {others} more"));
            }
            format!(
                " ({} Applications generated by ApplicationSet '{set}': {}{rest})",
                infos.len(),
                shown.join("; ")
            )
        }
    }
}

/// Where a generated Application is shown (its `metadata.name` in the template), for
/// `tree`; `None` for other objects.
pub fn home(repo: &Repo, generated: &Generated, o: &Object) -> Option<Span> {
    o.generated.as_ref()?;
    let name = o.metadata().and_then(|m| m.get("name")).unwrap_or(&o.node);
    remap(repo, generated, o.span(name)).map(|(s, _)| crate::model::rendered::remap(repo, s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;
    use crate::walk::WalkItem;

    const SET: &str = "apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: pay
spec:
  generators:
    - list:
        elements:
          - env: dev
            owner: team-a
  template:
    metadata:
      name: 'pay-{{env}}'
      labels:
        '{{owner}}': 'yes'
    spec:
      project: default
      source:
        repoURL: https://github.com/acme/gitops.git
        path: apps/pay
        directory:
          recurse: true
      destination:
        server: https://kubernetes.default.svc
        namespace: 'pay-{{missing}}'
      syncPolicy:
        syncOptions:
          - CreateNamespace=true,Validate=false
  templatePatch: |
    spec:
      syncPolicy:
        automated:
          prune: true
";

    /// The repository of `SET`, generated, and the generated Application's object index.
    fn generated() -> (Repo, Generated, usize) {
        let mut repo = Repo::default();
        let item = WalkItem {
            rel_path: "set.yaml".to_owned(),
            abs_path: "/r/set.yaml".into(),
            error: None,
        };
        let lf = crate::load::load_bytes(FileId(0), &item, SET.as_bytes().to_vec());
        repo.db.add(lf.source);
        repo.objects.extend(lf.objects);
        repo.reindex();
        let identity = RepoIdentity::new("/nonexistent".into(), &[]);
        let g = generate_all(
            &mut repo,
            &Config::default(),
            &identity,
            &appset::NoGoEngine,
        );
        let index = repo
            .objects
            .iter()
            .position(|o| o.generated.is_some())
            .unwrap_or(usize::MAX);
        (repo, g, index)
    }

    /// Where a finding on the node at `steps` of the generated Application goes (text of
    /// the set file), and whether it was attributed as unresolved.
    fn mapped(steps: &[&str], key: bool) -> (String, bool) {
        let (repo, g, index) = generated();
        let o = &repo.objects[index];
        let mut node = &o.node;
        let mut key_node = None;
        for s in steps {
            key_node = node.entry(s).map(|e| &e.key);
            node = match s.parse::<usize>() {
                Ok(i) => &node.items()[i],
                Err(_) => node.get(s).unwrap_or(node),
            };
        }
        let target = if key { key_node.unwrap_or(node) } else { node };
        let (span, a) =
            remap(&repo, &g, o.span(target)).unwrap_or((o.span(target), attribution(0, false)));
        (repo.db.snippet(span).to_owned(), a.unresolved)
    }

    #[test]
    fn strings_map_to_the_template_string_they_were_rendered_from() {
        assert_eq!(
            mapped(&["metadata", "name"], false),
            ("'pay-{{env}}'".to_owned(), false)
        );
        assert_eq!(
            mapped(&["spec", "source", "repoURL"], false),
            ("https://github.com/acme/gitops.git".to_owned(), false)
        );
        // A templated key maps to the key as written.
        assert_eq!(
            mapped(&["metadata", "labels", "team-a"], true),
            ("'{{owner}}'".to_owned(), false)
        );
        // Unresolved parameters are SET003's: the finding is marked.
        assert_eq!(
            mapped(&["spec", "destination", "namespace"], false),
            ("'pay-{{missing}}'".to_owned(), true)
        );
    }

    #[test]
    fn part_of_a_string_maps_to_the_same_characters_when_written_alike() {
        let (repo, g, index) = generated();
        let o = &repo.objects[index];
        let item = o
            .node
            .pointer("/spec/syncPolicy/syncOptions/0")
            .unwrap_or(&o.node);
        // `Validate=false`, the second item of the value.
        let text = repo.db.snippet(o.span(item));
        let at = text.find("Validate").unwrap_or(0);
        let span = Span::new(
            o.file,
            item.start as usize + at,
            item.start as usize + at + "Validate=false".len(),
        );
        let (mapped, _) = remap(&repo, &g, span).unwrap_or((span, attribution(0, false)));
        assert_eq!(repo.db.snippet(mapped), "Validate=false");
        assert_eq!(repo.db.get(mapped.file).rel_path, "set.yaml");
    }

    #[test]
    fn other_fields_map_to_the_same_field_or_the_nearest_templated_ancestor() {
        // A boolean of the template.
        assert_eq!(
            mapped(&["spec", "source", "directory", "recurse"], false),
            ("true".to_owned(), false)
        );
        // A key of the template.
        assert_eq!(
            mapped(&["spec", "destination"], true),
            ("destination".to_owned(), false)
        );
        // A field the patch wrote: inside the patch text.
        assert_eq!(
            mapped(&["spec", "syncPolicy", "automated", "prune"], false),
            ("true".to_owned(), false)
        );
        assert_eq!(
            mapped(&["spec", "syncPolicy", "automated"], true),
            ("automated".to_owned(), false)
        );
        // What Argo CD adds: the forced namespace (the set names none, so its name), the
        // finalizer (the template's metadata), the constant kind (the template key).
        assert_eq!(
            mapped(&["metadata", "namespace"], false),
            ("pay".to_owned(), false)
        );
        assert_eq!(
            mapped(&["metadata", "finalizers", "0"], false),
            ("metadata".to_owned(), false)
        );
        assert_eq!(mapped(&["kind"], false), ("template".to_owned(), false));
    }

    #[test]
    fn parameters_are_summarised_without_secret_values() {
        let (repo, _, index) = generated();
        let from = repo.objects[index].generated.as_deref();
        assert_eq!(
            from.map(|f| f.params.as_str()),
            Some("from list element {env: dev, owner: team-a}")
        );
        let clusters = [ClusterEntry {
            name: "prod".to_owned(),
            server: "https://prod.example.com".to_owned(),
            project: None,
            labels: vec![("token".to_owned(), "s3cr3t".to_owned())],
            annotations: Vec::new(),
            origin: crate::model::cluster::ClusterOrigin::Secret(0),
        }];
        let item = Item::Cluster {
            name: "prod".to_owned(),
            origin: crate::model::cluster::ClusterOrigin::Secret(0),
        };
        let text = describe_item(
            &Value::Null,
            "/spec/generators/0/clusters",
            &item,
            &clusters,
            &mut HashMap::new(),
        );
        assert_eq!(text, "cluster 'prod' (https://prod.example.com)");
        assert!(!text.contains("s3cr3t"));
        assert_eq!(
            brief(&serde_json::json!({"a": "x".repeat(70), "b": 1, "c": {"d": true}})),
            format!("{{a: {}…, b: 1, c: {{\"d\":true}}}}", "x".repeat(60))
        );
    }
}
