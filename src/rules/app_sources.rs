//! Where an Application's manifests come from: GO005 (resources not checked), APP010
//! (source path missing), APP014 (manifest-generate-paths entries that name nothing) and
//! APP015 (directory options Argo CD does not apply as written). All read the model's
//! [`Location`] of each source; semantics notes §6.1–§6.4.

use crate::diagnostic::Diagnostic;
use crate::engine::Ctx;
use crate::load::yaml::Node;
use crate::model::Object;
use crate::model::apps::{
    AppNode, Gap, KindOrigin, Location, SourceInfo, SourceKind, clean_path, explicit_kind,
};
use crate::rules::util::{did_you_mean, sub_span};
use std::path::Path;

pub const MANIFEST_GENERATE_PATHS: &str = "argocd.argoproj.io/manifest-generate-paths";

fn node_of<'a>(cx: &'a Ctx<'_>, o: &Object) -> Option<&'a AppNode<'a>> {
    cx.model.app_of(o)
}

fn source_field(src: &SourceInfo<'_>, key: &str) -> String {
    format!("{}.{key}", src.field())
}

/// GO005: one info per Application whose resources are partly unknown.
pub fn check_skipped(cx: &Ctx<'_>, o: &Object, out: &mut Vec<Diagnostic>) {
    let Some(app) = node_of(cx, o) else { return };
    let Some(first) = app.gaps.first() else {
        return;
    };
    let describe = |g: &Gap| -> (String, &Node) {
        let src = &app.sources[g.source()];
        let url = src.repo_url.unwrap_or("");
        match g {
            Gap::External { .. } => {
                let what = match src.node.get("chart").and_then(Node::as_str) {
                    Some(chart) if !chart.is_empty() => {
                        format!("{} is chart '{chart}' from {url}", src.field())
                    }
                    _ => format!("{} is in another repository ({url})", src.field()),
                };
                let at = src.node.get("repoURL").unwrap_or(src.node);
                (what, at)
            }
            Gap::NotRendered { kind, .. } => {
                let dir = match &src.location {
                    Location::Local { dir, .. } => display_dir(dir),
                    _ => String::new(),
                };
                let what = match *kind {
                    "plugin" => format!(
                        "{} ({dir}) is rendered by a config management plugin, which kubectl-gitops cannot run",
                        src.field()
                    ),
                    k => format!(
                        "{} ({dir}) is a {k} source and was not rendered",
                        src.field()
                    ),
                };
                (what, src.path_node().unwrap_or(src.node))
            }
            Gap::NotLinted { dir, .. } => (
                format!(
                    "{} ({}) lies outside the linted paths",
                    src.field(),
                    display_dir(dir)
                ),
                src.path_node().unwrap_or(src.node),
            ),
        }
    };
    let (message, at) = describe(first);
    let mut d = Diagnostic::new(
        "GO005",
        o.span(at),
        format!(
            "the resources of Application '{}' were not checked: {message}",
            app.name
        ),
    )
    .with_label("not checked")
    .with_object(Some(o.object_ref()));
    for g in &app.gaps[1..] {
        let (m, n) = describe(g);
        d = d.with_related(o.span(n), m);
    }
    let help = match first {
        Gap::External { .. } => {
            "If this source is this repository, tell kubectl-gitops its URL: --repo-url, repoURLs in .kubectl-gitops.yaml, or a git remote."
        }
        Gap::NotRendered { .. } => {
            "Install kustomize (or kubectl) and helm to have kustomize and Helm sources rendered and checked."
        }
        Gap::NotLinted { .. } => "Lint the repository root to have these resources checked.",
    };
    out.push(d.with_help(help));
}

fn display_dir(dir: &str) -> String {
    if dir.is_empty() {
        ".".to_owned()
    } else {
        dir.to_owned()
    }
}

/// Subdirectories of `parent` (relative to `root`), for suggestions.
fn subdirs(root: &Path, parent: &str) -> Vec<String> {
    std::fs::read_dir(root.join(parent))
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|n| !n.starts_with('.'))
                .collect()
        })
        .unwrap_or_default()
}

/// The longest existing prefix of `dir` and a suggestion for the next segment.
fn suggest(root: &Path, dir: &str) -> Option<String> {
    let segs: Vec<&str> = dir.split('/').collect();
    let mut existing = String::new();
    for (i, seg) in segs.iter().enumerate() {
        let candidate = if existing.is_empty() {
            (*seg).to_owned()
        } else {
            format!("{existing}/{seg}")
        };
        if root.join(&candidate).is_dir() {
            existing = candidate;
            continue;
        }
        let names = subdirs(root, &existing);
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let fix = did_you_mean(seg, &refs)?;
        let mut fixed: Vec<&str> = segs[..i].to_vec();
        fixed.push(fix);
        fixed.extend_from_slice(&segs[i + 1..]);
        return Some(fixed.join("/"));
    }
    None
}

/// APP010: a source in this repository whose path does not exist in the checkout.
pub fn check_path_not_found(cx: &Ctx<'_>, o: &Object, out: &mut Vec<Diagnostic>) {
    let Some(app) = node_of(cx, o) else { return };
    for src in &app.sources {
        let Some(path_node) = src.path_node() else {
            continue;
        };
        let raw = path_node.as_str().unwrap_or("");
        let (message, help) = match &src.location {
            Location::NotFound { dir, is_file } => {
                let root = &cx.model.identity.root;
                let what = if *is_file {
                    format!(
                        "{} '{raw}' is a file, not a directory, in this repository; Argo CD fails to generate manifests",
                        source_field(src, "path")
                    )
                } else {
                    format!(
                        "{} '{raw}' does not exist in this repository; Argo CD reports \"{}: app path does not exist\" and syncs nothing",
                        source_field(src, "path"),
                        display_dir(dir)
                    )
                };
                let help = match suggest(root, dir) {
                    Some(s) if !*is_file => format!("Did you mean '{s}'?"),
                    _ => "Point the path at a directory of this repository, relative to its root."
                        .to_owned(),
                };
                (what, help)
            }
            Location::OutsideRepo => (
                format!(
                    "{} '{raw}' leaves the repository; Argo CD refuses paths outside the repository root",
                    source_field(src, "path")
                ),
                "Use a path inside the repository, relative to its root.".to_owned(),
            ),
            _ => continue,
        };
        out.push(
            Diagnostic::new("APP010", o.span(path_node), message)
                .with_label("not in this repository")
                .with_help(help)
                .with_object(Some(o.object_ref())),
        );
    }
}

/// Whether a path (relative to the checkout root) names something: a file or directory, or
/// for a glob, an existing directory before its first wildcard.
fn path_exists(root: &Path, rel: &str) -> bool {
    match rel.find(['*', '?', '[', '{']) {
        None => root.join(rel).exists(),
        Some(at) => {
            let fixed = &rel[..at];
            let dir = fixed.rsplit_once('/').map_or("", |(d, _)| d);
            root.join(dir).is_dir()
        }
    }
}

/// APP014: `manifest-generate-paths` entries that resolve to nothing in this repository.
/// Argo CD splits the value on `;`, resolves an absolute entry from the repository root
/// and a relative one from each source's path (`util/app/path.GetAppRefreshPaths`).
pub fn check_generate_paths(cx: &Ctx<'_>, o: &Object, out: &mut Vec<Diagnostic>) {
    let Some(app) = node_of(cx, o) else { return };
    let Some(node) = o.annotations().and_then(|a| a.get(MANIFEST_GENERATE_PATHS)) else {
        return;
    };
    let Some(value) = node.as_str() else { return };
    let raw = node.scalar_text().unwrap_or(value);
    let root = &cx.model.identity.root;
    // Source directories in this repository (existing or not).
    let bases: Vec<&str> = app
        .sources
        .iter()
        .filter_map(|s| match &s.location {
            Location::Local { dir, .. } | Location::NotFound { dir, .. } => Some(dir.as_str()),
            _ => None,
        })
        .collect();
    let mut offset = 0;
    for entry in value.split(';') {
        let start = offset;
        offset += entry.len() + 1;
        let item = entry.trim();
        if item.is_empty() {
            continue;
        }
        let lead = entry.len() - entry.trim_start().len();
        let resolved: Vec<String> = if let Some(abs) = item.strip_prefix('/') {
            clean_path(abs).into_iter().collect()
        } else {
            if bases.is_empty() {
                continue;
            }
            bases
                .iter()
                .filter_map(|b| clean_path(&format!("{b}/{item}")))
                .collect()
        };
        if resolved.iter().any(|r| path_exists(root, r)) {
            continue;
        }
        let shown = resolved
            .iter()
            .map(|r| display_dir(r))
            .collect::<Vec<_>>()
            .join("', '");
        let message = if resolved.is_empty() {
            format!(
                "manifest-generate-paths entry '{item}' leaves the repository, so no change can match it"
            )
        } else {
            format!(
                "manifest-generate-paths entry '{item}' resolves to '{shown}', which does not exist in this repository; commits there never refresh this Application, and changes to files it really uses are skipped by the webhook"
            )
        };
        out.push(
            Diagnostic::new(
                "APP014",
                sub_span(o, node, value, start + lead, start + lead + item.len(), raw),
                message,
            )
            .with_label("names no path")
            .with_help(
                "Relative entries are resolved from the source path ('.' is the source path itself); entries starting with '/' from the repository root.",
            )
            .with_object(Some(o.object_ref())),
        );
    }
}

/// APP015: a `directory` block that Argo CD does not apply the way it is written.
pub fn check_directory_options(cx: &Ctx<'_>, o: &Object, out: &mut Vec<Diagnostic>) {
    let Some(app) = node_of(cx, o) else { return };
    for src in &app.sources {
        let Some(entry) = src.node.entry("directory") else {
            continue;
        };
        if entry.value.is_null() {
            continue;
        }
        let chart = src
            .node
            .get("chart")
            .and_then(Node::as_str)
            .filter(|c| !c.is_empty());
        let explicit = explicit_kind(src.node, src.position.is_some());
        let message = if let Some(SourceKind::Conflicting(types)) = &explicit {
            format!(
                "{} sets directory options together with another source type; Argo CD refuses the source: \"multiple application sources defined: {}\"",
                src.field(),
                types.join(",")
            )
        } else if let Some(chart) = chart {
            format!(
                "{} sets directory options, but it is Helm chart '{chart}': Argo CD runs helm template and ignores them",
                src.field()
            )
        } else {
            let Location::Local {
                kind,
                origin,
                discovered,
                dir,
            } = &src.location
            else {
                continue;
            };
            match (kind, origin) {
                (SourceKind::Directory { .. }, KindOrigin::Explicit)
                    if !matches!(discovered, SourceKind::Directory { .. }) =>
                {
                    format!(
                        "the directory options make Argo CD read {} as plain YAML files, although it is a {} source: {} is not run and its own files are applied as manifests",
                        display_dir(dir),
                        discovered.label(),
                        if matches!(discovered, SourceKind::Helm) {
                            "helm template"
                        } else {
                            "kustomize build"
                        }
                    )
                }
                (SourceKind::Kustomize | SourceKind::Helm, KindOrigin::Discovered) => format!(
                    "{} sets only zero-valued directory options, which Argo CD drops; {} is a {} source and the options are ignored",
                    src.field(),
                    display_dir(dir),
                    kind.label()
                ),
                _ => continue,
            }
        };
        out.push(
            Diagnostic::new("APP015", o.span(&entry.key), message)
                .with_label("directory options")
                .with_help(
                    "Remove the directory block from kustomize and Helm sources; use kustomize resources or Helm values to choose what is deployed.",
                )
                .with_object(Some(o.object_ref())),
        );
    }
}
