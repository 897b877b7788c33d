//! The render stage, between loading and the model: finds the kustomize and Helm sources
//! of this repository's Applications, renders them (in parallel, through a
//! [`Renderer`]), adds the output to the repository as virtual files, and traces every
//! rendered object back to the file that defines it: the base or overlay manifest for
//! kustomize, the chart template for Helm, else the source's `path`.

use crate::config::Config;
use crate::load::yaml::Node;
use crate::model::application::Application;
use crate::model::apps::{Location, SourceKind, locate};
use crate::model::identity::RepoIdentity;
use crate::model::repo::ARGO_GROUP;
use crate::model::{RenderedFrom, Repo, Trace};
use crate::render::{RenderError, RenderRequest, Renderer, SourceType};
use crate::source::Span;
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The default per-render deadline (config `renderTimeoutSeconds`).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// What rendering produced, per (Application object index, source index).
#[derive(Debug, Default)]
pub struct Renders {
    pub by_source: HashMap<(usize, usize), Result<Vec<usize>, RenderError>>,
    /// Wall time of the render stage (all renders, in parallel).
    pub elapsed: Duration,
}

impl Renders {
    pub fn get(&self, app: usize, source: usize) -> Option<&Result<Vec<usize>, RenderError>> {
        self.by_source.get(&(app, source))
    }
}

struct Job {
    app: usize,
    source: usize,
    request: RenderRequest,
    fallback: Span,
    label: String,
}

/// Plans every render: each kustomize or Helm source of an Application that lives in this
/// checkout. The order is deterministic (repository order of Applications and sources).
fn plan(
    repo: &Repo,
    config: &Config,
    identity: &RepoIdentity,
    select: &dyn Fn(&crate::model::Object) -> bool,
) -> Vec<Job> {
    let timeout = config
        .render_timeout_seconds
        .map_or(DEFAULT_TIMEOUT, Duration::from_secs);
    let control_plane = config.control_plane_namespace();
    let mut jobs = Vec::new();
    for (i, o) in repo.objects.iter().enumerate() {
        if !o.is(ARGO_GROUP, "Application") || !select(o) {
            continue;
        }
        let app = Application { object: o };
        let multi = app.is_multi_source();
        let sources = app.sources();
        // `ref` sources of this repository, for `$ref/` value files.
        let mut refs = BTreeMap::new();
        if multi {
            for s in &sources {
                let url = s.get("repoURL").and_then(Node::as_str);
                if let (Some(r), Some(url)) = (s.get("ref").and_then(Node::as_str), url)
                    && !r.is_empty()
                    && identity.is_this_repo(url)
                {
                    refs.insert(r.to_owned(), identity.root.clone());
                }
            }
        }
        for (s, node) in sources.iter().enumerate() {
            let url = node.get("repoURL").and_then(Node::as_str);
            let Location::Local { dir, kind, .. } = locate(node, url, identity, multi) else {
                continue;
            };
            let kind = match kind {
                SourceKind::Kustomize => SourceType::Kustomize,
                SourceKind::Helm => SourceType::Helm,
                _ => continue,
            };
            let dest_ns = app
                .destination()
                .and_then(|d| d.get("namespace"))
                .and_then(Node::as_str)
                .unwrap_or("");
            let at = node.get("path").unwrap_or(node);
            jobs.push(Job {
                app: i,
                source: s,
                request: RenderRequest {
                    kind,
                    repo_root: identity.root.clone(),
                    source_dir: identity.root.join(&dir),
                    source: node.to_json(),
                    app_name: o.name.clone().unwrap_or_default(),
                    project: app.project().to_owned(),
                    app_namespace: o
                        .namespace
                        .clone()
                        .unwrap_or_else(|| control_plane.to_owned()),
                    dest_namespace: dest_ns.to_owned(),
                    refs: refs.clone(),
                    timeout,
                },
                fallback: o.span(at),
                label: format!(
                    "{} ({} of Application {})",
                    if dir.is_empty() { "." } else { dir.as_str() },
                    kind.label(),
                    o.name.as_deref().unwrap_or("")
                ),
            });
        }
    }
    jobs
}

/// Renders every kustomize and Helm source of the repository's Applications and adds the
/// objects to `repo`. Rendering runs on the current rayon pool.
pub fn render_all(
    repo: &mut Repo,
    config: &Config,
    identity: &RepoIdentity,
    renderer: &dyn Renderer,
) -> Renders {
    let mut renders = Renders::default();
    render_selected(repo, config, identity, renderer, &|_| true, &mut renders);
    renders
}

/// Renders the kustomize and Helm sources of the Applications ApplicationSets generated
/// (the generate stage runs after [`render_all`], so that rendered ApplicationSets are
/// expanded too), adding to `renders`.
pub fn render_generated(
    repo: &mut Repo,
    config: &Config,
    identity: &RepoIdentity,
    renderer: &dyn Renderer,
    renders: &mut Renders,
) {
    render_selected(
        repo,
        config,
        identity,
        renderer,
        &|o| o.generated.is_some(),
        renders,
    );
}

fn render_selected(
    repo: &mut Repo,
    config: &Config,
    identity: &RepoIdentity,
    renderer: &dyn Renderer,
    select: &dyn Fn(&crate::model::Object) -> bool,
    renders: &mut Renders,
) {
    let started = std::time::Instant::now();
    let jobs = plan(repo, config, identity, select);
    if jobs.is_empty() {
        return;
    }
    let results: Vec<Result<String, RenderError>> = jobs
        .par_iter()
        .map(|j| renderer.render(&j.request).map(|r| r.yaml))
        .collect();
    for (job, result) in jobs.into_iter().zip(results) {
        let from = RenderedFrom {
            app: job.app,
            source: job.source,
            trace: Trace::None,
            fallback: job.fallback,
        };
        let outcome = result.map(|yaml| {
            let abs = job.request.source_dir.clone();
            let objs = repo.add_rendered(job.label.clone(), abs, yaml, &from);
            trace_objects(repo, &objs, &job.request, identity);
            objs
        });
        renders.by_source.insert((job.app, job.source), outcome);
    }
    repo.reindex();
    renders.elapsed += started.elapsed();
}

/// Traces rendered objects to the repository's files.
fn trace_objects(repo: &mut Repo, objs: &[usize], req: &RenderRequest, identity: &RepoIdentity) {
    match req.kind {
        SourceType::Kustomize => {
            let dirs = kustomize_closure(&req.source_dir, &identity.root);
            let traces: Vec<Trace> = objs
                .iter()
                .map(|&i| trace_kustomize(repo, i, &dirs, identity))
                .collect();
            for (&i, t) in objs.iter().zip(traces) {
                set_trace(repo, i, t);
            }
        }
        SourceType::Helm => {
            for &i in objs {
                let t = trace_helm(repo, i, &req.source_dir, identity);
                set_trace(repo, i, t);
            }
        }
    }
}

fn set_trace(repo: &mut Repo, i: usize, t: Trace) {
    if let Some(r) = repo.objects.get_mut(i).and_then(|o| o.rendered.as_mut()) {
        r.trace = t;
    }
}

/// The directories a kustomization builds from, relative to the checkout root: the
/// source directory and, recursively, the local directories its kustomization files name
/// in `resources`, `bases` and `components`. Remote and missing entries are skipped.
fn kustomize_closure(source_dir: &Path, root: &Path) -> Vec<String> {
    let mut out: Vec<PathBuf> = Vec::new();
    let mut todo = vec![source_dir.to_path_buf()];
    while let Some(dir) = todo.pop() {
        let Ok(dir) = std::fs::canonicalize(&dir) else {
            continue;
        };
        if out.contains(&dir) || !dir.starts_with(root) || out.len() > 1000 {
            continue;
        }
        out.push(dir.clone());
        let Some(text) = ["kustomization.yaml", "kustomization.yml", "Kustomization"]
            .iter()
            .find_map(|n| std::fs::read_to_string(dir.join(n)).ok())
        else {
            continue;
        };
        let parsed = crate::load::yaml::parse(&text);
        let Some(doc) = parsed.documents.first() else {
            continue;
        };
        for key in ["resources", "bases", "components"] {
            for item in doc.root.get(key).map(Node::items).unwrap_or_default() {
                let Some(p) = item.as_str() else { continue };
                if p.contains("://") || p.starts_with("github.com/") || p.starts_with("git@") {
                    continue;
                }
                let target = dir.join(p);
                if target.is_dir() {
                    todo.push(target);
                }
            }
        }
    }
    let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let mut rel: Vec<String> = out
        .iter()
        .filter_map(|d| d.strip_prefix(&root).ok())
        .map(|p| {
            p.components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/")
        })
        .collect();
    rel.sort();
    rel.dedup();
    rel
}

/// The repository object a kustomize output object was built from: same group and kind,
/// in a directory of the kustomization's closure, whose name is the output's name or is
/// contained in it (name prefixes and suffixes); the longest such name wins.
fn trace_kustomize(repo: &Repo, i: usize, dirs: &[String], identity: &RepoIdentity) -> Trace {
    let Some(out) = repo.objects.get(i) else {
        return Trace::None;
    };
    let Some(name) = out.name.as_deref() else {
        return Trace::None;
    };
    let mut best: Option<(usize, usize)> = None;
    for &j in repo.indices_of_kind(out.group(), &out.kind) {
        let Some(cand) = repo.objects.get(j) else {
            continue;
        };
        if cand.rendered.is_some() {
            continue;
        }
        let Some(cname) = cand.name.as_deref() else {
            continue;
        };
        if cname.is_empty() || !name.contains(cname) {
            continue;
        }
        let rel = identity.to_root_relative(&repo.db.get(cand.file).rel_path);
        let dir = rel.rsplit_once('/').map_or("", |(d, _)| d);
        if !dirs.iter().any(|d| d == dir) {
            continue;
        }
        let score = if cname == name {
            usize::MAX
        } else {
            cname.len()
        };
        if best.is_none_or(|(s, _)| score > s) {
            best = Some((score, j));
        }
    }
    best.map_or(Trace::None, |(_, j)| Trace::Object(j))
}

/// The chart template a Helm output object came from: the `# Source: <chart>/<path>`
/// comment `helm template` writes before each document, resolved in the chart directory;
/// the template is added to the repository as a text file and the finding goes to its
/// `kind:` line (else its first line).
fn trace_helm(repo: &mut Repo, i: usize, chart_dir: &Path, identity: &RepoIdentity) -> Trace {
    let Some(o) = repo.objects.get(i) else {
        return Trace::None;
    };
    let text = repo.db.get(o.file).text.clone();
    let kind = o.kind.clone();
    // The comment is in the lines just before the document.
    let before = text.get(..o.node.start as usize).unwrap_or("");
    let doc_start = before.rfind("\n---").map_or(0, |p| p + 4);
    let header = before.get(doc_start..).unwrap_or("");
    let Some(source) = header
        .lines()
        .filter_map(|l| l.trim().strip_prefix("# Source: "))
        .next_back()
    else {
        return Trace::None;
    };
    // `<chart name>/templates/x.yaml`: drop the chart name; subcharts keep `charts/<sub>/`.
    let Some((_, within)) = source.trim().split_once('/') else {
        return Trace::None;
    };
    let path = chart_dir.join(within);
    let Ok(template) = std::fs::read_to_string(&path) else {
        return Trace::None;
    };
    let Ok(root) = std::fs::canonicalize(&identity.root) else {
        return Trace::None;
    };
    let Some(rel) = std::fs::canonicalize(&path)
        .ok()
        .and_then(|p| p.strip_prefix(&root).ok().map(Path::to_path_buf))
    else {
        return Trace::None;
    };
    let rel = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/");
    // Reports show paths relative to the linted directory.
    let shown = match identity.walk_prefix.as_str() {
        "" => rel,
        p => match rel.strip_prefix(p).and_then(|r| r.strip_prefix('/')) {
            Some(r) => r.to_owned(),
            None => rel,
        },
    };
    let (start, end) = kind_line(&template, &kind);
    let id = repo.add_text_file(shown, path, template);
    Trace::Span(Span::new(id, start, end))
}

/// Byte range of the `kind: <Kind>` value in a template, else of its first line.
fn kind_line(template: &str, kind: &str) -> (usize, usize) {
    let mut offset = 0;
    for line in template.split_inclusive('\n') {
        let t = line.trim_start();
        if let Some(rest) = t.strip_prefix("kind:")
            && rest.trim() == kind
        {
            let value_start =
                offset + (line.len() - t.len()) + 5 + (rest.len() - rest.trim_start().len());
            return (value_start, value_start + kind.len());
        }
        offset += line.len();
    }
    let first = template.find('\n').unwrap_or(template.len());
    (0, first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_line_finds_the_kind_value() {
        let t = "{{- if .Values.rbac }}\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n";
        let (s, e) = kind_line(t, "ServiceAccount");
        assert_eq!(&t[s..e], "ServiceAccount");
        let (s, e) = kind_line(t, "Role");
        assert_eq!(&t[s..e], "{{- if .Values.rbac }}");
    }
}

/// One step from a node to a child.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    /// The value of a mapping key.
    Value(String),
    /// The key node itself.
    Key(String),
    Item(usize),
}

/// The steps from `node` to the node whose span is exactly `[start, end)`, or to the
/// deepest node containing it.
pub(crate) fn path_to(node: &Node, start: u32, end: u32) -> Vec<Step> {
    let mut out = Vec::new();
    let mut cur = node;
    'descend: loop {
        if cur.start == start && cur.end == end {
            break;
        }
        for e in cur.entries() {
            let Some(k) = e.key.key_string() else {
                continue;
            };
            if e.key.start <= start && end <= e.key.end {
                out.push(Step::Key(k));
                break 'descend;
            }
            if e.value.start <= start && end <= e.value.end {
                out.push(Step::Value(k));
                cur = &e.value;
                continue 'descend;
            }
        }
        for (i, item) in cur.items().iter().enumerate() {
            if item.start <= start && end <= item.end {
                out.push(Step::Item(i));
                cur = item;
                continue 'descend;
            }
        }
        break;
    }
    out
}

/// The node `steps` lead to in `node`, or the deepest one that exists.
fn follow<'n>(node: &'n Node, steps: &[Step]) -> &'n Node {
    let mut cur = node;
    for s in steps {
        let next = match s {
            Step::Value(k) => cur.get(k),
            Step::Key(k) => cur.entry(k).map(|e| &e.key),
            Step::Item(i) => cur.items().get(*i),
        };
        match next {
            Some(n) => cur = n,
            None => break,
        }
    }
    cur
}

/// Where a finding inside a rendered object belongs: the same field of the object it was
/// traced to (or that object's `kind` when the field is not there), the template, or the
/// source's `path`. Spans outside rendered output are returned unchanged.
pub fn remap(repo: &Repo, span: Span) -> Span {
    if !repo.is_virtual(span.file) {
        return span;
    }
    let found = repo
        .objects
        .iter()
        .find(|o| o.file == span.file && o.node.start <= span.start && span.end <= o.node.end);
    let Some(o) = found else {
        // The whole output (a file-level finding): the first object's source path.
        return repo
            .objects
            .iter()
            .find(|o| o.file == span.file)
            .and_then(|o| o.rendered.as_ref())
            .map_or(span, |r| r.fallback);
    };
    let Some(from) = o.rendered.as_ref() else {
        return span;
    };
    match from.trace {
        Trace::Object(j) => match repo.objects.get(j) {
            Some(orig) => {
                let steps = path_to(&o.node, span.start, span.end);
                let target = follow(&orig.node, &steps);
                if std::ptr::eq(target, &orig.node) {
                    orig.head_span()
                } else {
                    orig.span(target)
                }
            }
            None => from.fallback,
        },
        Trace::Span(s) => s,
        Trace::None => from.fallback,
    }
}
