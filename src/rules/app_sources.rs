//! Where an Application's manifests come from: GO005 (resources not checked), APP010
//! (source path missing), APP014 (manifest-generate-paths entries that name nothing) and
//! APP015 (directory options Argo CD does not apply as written). All read the model's
//! [`Location`] of each source; semantics notes §6.1–§6.4.

use crate::diagnostic::Diagnostic;
use crate::engine::Ctx;
use crate::load::yaml::Node;
use crate::model::Object;
use crate::model::apps::{
    AppNode, Gap, Location, SourceInfo, SourceKind, clean_path, explicit_kind,
};
use crate::render::RenderError;
use crate::rules::util::{did_you_mean, sub_span};
use std::path::Path;

pub const MANIFEST_GENERATE_PATHS: &str = "argocd.argoproj.io/manifest-generate-paths";

fn node_of<'a>(cx: &'a Ctx<'_>, o: &Object) -> Option<&'a AppNode<'a>> {
    cx.model.app_of(o)
}

fn source_field(src: &SourceInfo<'_>, key: &str) -> String {
    format!("{}.{key}", src.field())
}

/// GO005: one info per Application whose resources are partly unknown, and per
/// ApplicationSet whose generators were not all expanded.
pub fn check_skipped(cx: &Ctx<'_>, o: &Object, out: &mut Vec<Diagnostic>) {
    if o.is(crate::model::repo::ARGO_GROUP, "ApplicationSet") {
        crate::rules::appset::check_not_expanded(cx, o, out);
        return;
    }
    let Some(app) = node_of(cx, o) else { return };
    // Failed renders are GO004's findings.
    let gaps: Vec<&Gap> = app
        .gaps
        .iter()
        .filter(|g| !matches!(g, Gap::RenderFailed { .. }))
        .collect();
    let Some(&first) = gaps.first() else {
        return;
    };
    let prefix = cx.model.identity.walk_prefix.as_str();
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
            Gap::NotRendered { kind, reason, .. } => {
                let dir = match &src.location {
                    Location::Local { dir, .. } => display_dir(dir),
                    _ => String::new(),
                };
                let what = match (*kind, reason) {
                    ("plugin", _) => format!(
                        "{} ({dir}) is rendered by a config management plugin, which kubectl-gitops cannot run",
                        src.field()
                    ),
                    (k, Some(why)) => format!(
                        "{} ({dir}) is a {k} source and was not rendered: {why}",
                        src.field()
                    ),
                    (k, None) => format!(
                        "{} ({dir}) is a {k} source and rendering is switched off",
                        src.field()
                    ),
                };
                (what, src.path_node().unwrap_or(src.node))
            }
            Gap::RenderFailed { .. } => (String::new(), src.node),
            Gap::NotLinted { dir, .. } => (
                format!(
                    "{} ({}) {} the linted paths",
                    src.field(),
                    display_dir(dir),
                    if dir.is_empty() || prefix.starts_with(&format!("{dir}/")) {
                        "holds files outside"
                    } else {
                        "lies outside"
                    }
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
    for g in &gaps[1..] {
        let (m, n) = describe(g);
        d = d.with_related(o.span(n), m);
    }
    let help = match first {
        Gap::External { source } if is_chart(&app.sources[*source]) => {
            "Charts from Helm repositories and OCI registries are not fetched. To check what the chart deploys, lint the output of helm template."
        }
        Gap::External { .. } => {
            "If this source is this repository, tell kubectl-gitops its URL: --repo-url, repoURLs in .kubectl-gitops.yaml, or a git remote. Other repositories are not fetched."
        }
        Gap::NotRendered { kind: "plugin", .. } => {
            "Config management plugins run inside Argo CD only. To check what the plugin deploys, lint its output."
        }
        Gap::NotRendered { reason: None, .. } => {
            "Rendering is switched off (--render never or render: in .kubectl-gitops.yaml)."
        }
        Gap::NotRendered { .. } => {
            "Install kustomize (or kubectl) for kustomize sources and helm for Helm sources; vendor chart dependencies (helm dependency build) so they render offline."
        }
        Gap::NotLinted { .. } => "Lint the repository root to have these resources checked.",
        Gap::RenderFailed { .. } => return,
    };
    out.push(d.with_help(help));
}

/// GO004: a kustomize or Helm source whose render failed, with the tool's own error text.
pub fn check_render_failed(cx: &Ctx<'_>, o: &Object, out: &mut Vec<Diagnostic>) {
    let Some(app) = node_of(cx, o) else { return };
    for g in &app.gaps {
        let Gap::RenderFailed { source, error } = g else {
            continue;
        };
        let Some(src) = app.sources.get(*source) else {
            continue;
        };
        let at = src.path_node().unwrap_or(src.node);
        // Tools print absolute paths; reports never do.
        let root = cx.model.identity.root.display().to_string();
        let relative = |text: &str| text.replace(&format!("{root}/"), "").replace(&root, ".");
        let message = match error {
            RenderError::Failed { tool, message } => format!(
                "{} of Application '{}' does not render: {tool} fails with: {}; Argo CD reports the same error (ComparisonError) and syncs nothing",
                src.field(),
                app.name,
                relative(message)
            ),
            RenderError::TimedOut { tool, after } => format!(
                "{} of Application '{}' did not render within {}s ({tool}); Argo CD's repo server has its own timeout and fails such renders",
                src.field(),
                app.name,
                after.as_secs()
            ),
            other => format!(
                "{} of Application '{}' does not render: {}; Argo CD refuses it the same way",
                src.field(),
                app.name,
                relative(&other.to_string())
            ),
        };
        out.push(
            Diagnostic::new("GO004", o.span(at), message)
                .with_label("render failed")
                .with_object(Some(o.object_ref())),
        );
    }
}

/// A source with a `chart`: a Helm repository or OCI chart, never a Git path.
fn is_chart(s: &SourceInfo<'_>) -> bool {
    s.node
        .get("chart")
        .and_then(Node::as_str)
        .is_some_and(|c| !c.is_empty())
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

/// APP010: a source in this repository whose path Argo CD cannot use
/// (`util/app/path.Path`: absolute, outside the root, missing, or not a directory).
pub fn check_path_not_found(cx: &Ctx<'_>, o: &Object, out: &mut Vec<Diagnostic>) {
    let Some(app) = node_of(cx, o) else { return };
    let root = &cx.model.identity.root;
    for src in &app.sources {
        let Some(path_node) = src.path_node() else {
            continue;
        };
        let raw = path_node.as_str().unwrap_or("");
        let field = source_field(src, "path");
        let (label, message, help) = match &src.location {
            Location::NotFound { dir, is_file: true } => (
                "not a directory",
                format!(
                    "{field} '{raw}' is a file in this repository, not a directory; Argo CD reports \"{raw}: app path is not a directory\" and generates no manifests"
                ),
                match dir.rsplit_once('/') {
                    Some((parent, name)) => format!(
                        "Point the path at the directory '{parent}'; to deploy only this file, add directory.include: '{name}'."
                    ),
                    None => format!(
                        "Point the path at the repository root ('.'); to deploy only this file, add directory.include: '{dir}'."
                    ),
                },
            ),
            Location::NotFound { dir, .. } => (
                "no such directory",
                format!(
                    "{field} '{raw}' does not exist in this repository; Argo CD reports \"{raw}: app path does not exist\" and generates no manifests"
                ),
                match suggest(root, dir) {
                    Some(s) => format!("Did you mean '{s}'?"),
                    None => {
                        "Point the path at a directory of this repository, relative to its root."
                            .to_owned()
                    }
                },
            ),
            Location::OutsideRepo => (
                "outside the repository",
                format!(
                    "{field} '{raw}' climbs above the repository root; Argo CD reports \"{raw}: app path outside root\" and generates no manifests"
                ),
                "Use a path inside the repository, relative to its root.".to_owned(),
            ),
            Location::Absolute => {
                let relative = clean_path(raw).filter(|r| !r.is_empty() && root.join(r).is_dir());
                (
                    "absolute path",
                    format!(
                        "{field} '{raw}' is absolute; Argo CD reports \"{raw}: app path is absolute\" instead of reading it from the repository root, and generates no manifests"
                    ),
                    match relative {
                        Some(r) => format!("Write it relative to the repository root: '{r}'."),
                        None => {
                            "Write the path relative to the repository root, without a leading '/'."
                                .to_owned()
                        }
                    },
                )
            }
            _ => continue,
        };
        out.push(
            Diagnostic::new("APP010", o.span(path_node), message)
                .with_label(label)
                .with_help(help)
                .with_object(Some(o.object_ref())),
        );
    }
}

/// A `/`-separated path cleaned the way Go's `filepath.Clean` cleans a rooted path: `.`
/// and empty segments removed, `..` applied, and `..` at the root dropped. Argo CD compares
/// refresh paths as rooted paths, so an entry that climbs above the root stops there.
fn clean_rooted(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            s => out.push(s),
        }
    }
    out.join("/")
}

/// The directory before the first wildcard of a `filepath.Match` pattern (`None` for a
/// plain path). Braces are not wildcards there.
fn pattern_dir(rel: &str) -> Option<&str> {
    let at = rel.find(['*', '?', '[', '\\'])?;
    Some(rel[..at].rsplit_once('/').map_or("", |(d, _)| d))
}

/// Whether a refresh path (relative to the checkout root) can match a changed file: the
/// path exists (a changed file is it or lies below it), or, for a `filepath.Match` pattern,
/// the directory before its first wildcard exists (the pattern itself is not evaluated).
fn refresh_path_exists(root: &Path, rel: &str) -> bool {
    match pattern_dir(rel) {
        None => root.join(rel).exists(),
        Some(dir) => root.join(dir).is_dir(),
    }
}

/// APP014: `manifest-generate-paths` entries that name nothing in this repository.
/// Argo CD splits the value on `;`, takes an entry starting with `/` from the repository
/// root and joins any other entry to the path of every source
/// (`util/app/path.GetAppRefreshPaths`), then compares the results with the files a
/// webhook reports as changed (`AppFilesHaveChanged`). Entries are trimmed here: older
/// releases keep surrounding spaces, newer ones trim them.
pub fn check_generate_paths(cx: &Ctx<'_>, o: &Object, out: &mut Vec<Diagnostic>) {
    let Some(app) = node_of(cx, o) else { return };
    let Some(node) = o.annotations().and_then(|a| a.get(MANIFEST_GENERATE_PATHS)) else {
        return;
    };
    let Some(value) = node.as_str() else { return };
    let raw = cx.repo.db.snippet(o.span(node));
    let root = &cx.model.identity.root;
    // An entry may name a path of another Git repository the Application uses: it is
    // compared with that repository's changes too, and that repository is not here.
    if app
        .sources
        .iter()
        .any(|s| s.location == Location::External && !is_chart(s))
    {
        return;
    }
    // Only pushes to a Git repository the Application uses refresh it.
    if app.sources.iter().all(|s| s.location == Location::External) {
        return;
    }
    // A source path that is itself wrong is APP010's finding; entries relative to it are
    // not judged until it is fixed.
    let broken = app.sources.iter().any(|s| {
        matches!(
            s.location,
            Location::NotFound { .. } | Location::OutsideRepo | Location::Absolute
        )
    });
    let bases: Vec<&str> = app
        .sources
        .iter()
        .map(|s| s.path_node().and_then(Node::as_str).unwrap_or(""))
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
            vec![clean_rooted(abs)]
        } else {
            if broken {
                continue;
            }
            let mut v: Vec<String> = bases
                .iter()
                .map(|b| clean_rooted(&format!("{b}/{item}")))
                .collect();
            v.dedup();
            v
        };
        if resolved.iter().any(|r| refresh_path_exists(root, r)) {
            continue;
        }
        let quoted: Vec<String> = resolved
            .iter()
            .map(|r| format!("'{}'", display_dir(r)))
            .collect();
        let what = match (quoted.as_slice(), pattern_dir(item)) {
            ([one], Some(_)) => format!(
                "resolves to the pattern {one}, and '{}' (its directory before the first wildcard) does not exist in this repository",
                pattern_dir(resolved.first().map_or("", String::as_str))
                    .map_or(".".to_owned(), display_dir)
            ),
            (many, Some(_)) => format!(
                "resolves to the patterns {} (one per source), and their directories before the first wildcard do not exist in this repository",
                many.join(" and ")
            ),
            ([one], None) => format!("resolves to {one}, which does not exist in this repository"),
            (many, None) => format!(
                "resolves to {} (one per source), none of which exists in this repository",
                many.join(" and ")
            ),
        };
        let mut help = "Relative entries are resolved from each source's path ('.' is the source path itself); entries starting with '/' from the repository root.".to_owned();
        if item.contains(['{', '}']) {
            help.push_str(
                " Entries are matched with Go's filepath.Match, where braces are not alternatives: list each path as its own entry.",
            );
        } else if item.contains(',') {
            help.push_str(" Entries are separated by ';', not ','.");
        } else if let [one] = resolved.as_slice()
            && pattern_dir(one).is_none()
            && let Some(close) = suggest(root, one)
        {
            help = format!("Did you mean the directory '{close}'? {help}");
        }
        out.push(
            Diagnostic::new(
                "APP014",
                sub_span(o, node, value, start + lead, start + lead + item.len(), raw),
                format!(
                    "manifest-generate-paths entry '{item}' {what}; on a webhook Argo CD refreshes this Application only for commits that change an entry's path, and reuses its cached manifests for other commits"
                ),
            )
            .with_label("names no path")
            .with_help(help)
            .with_object(Some(o.object_ref())),
        );
    }
}

/// APP015: a `directory` block that Argo CD does not apply the way it is written.
///
/// `ExplicitType` decides the source type before discovery: a `directory` block that
/// survives `NormalizeSource` makes the path plain YAML, so kustomize or helm is not run
/// on a kustomize or Helm path (or chart). `NormalizeSource` drops a zero-valued block of
/// a single source (no `recurse`, `jsonnet`, `include` or `exclude`): it is then ignored.
/// Argo CD normalises the sources of a multi-source Application in copies (a Go
/// range-loop quirk), so there even `directory: {}` counts. A `directory` block next to
/// a `helm`, `kustomize` or `plugin` block that also counts is refused.
pub fn check_directory_options(cx: &Ctx<'_>, o: &Object, out: &mut Vec<Diagnostic>) {
    let Some(app) = node_of(cx, o) else { return };
    for src in &app.sources {
        let Some(entry) = src.node.entry("directory") else {
            continue;
        };
        if entry.value.is_null() {
            continue;
        }
        let field = source_field(src, "directory");
        let multi = src.position.is_some();
        let explicit = explicit_kind(src.node, multi);
        let kept = match &explicit {
            Some(SourceKind::Directory { .. }) => true,
            Some(SourceKind::Conflicting(types)) if types.contains(&"Directory") => {
                let others: Vec<&str> = types
                    .iter()
                    .copied()
                    .filter(|t| *t != "Directory")
                    .map(type_name)
                    .collect();
                out.push(
                    Diagnostic::new(
                        "APP015",
                        o.span(&entry.key),
                        format!(
                            "{field} is set together with {}{}; Argo CD refuses the source with \"multiple application sources defined: {}\" and generates no manifests",
                            others.join(" and "),
                            if multi && explicit_kind(src.node, false) != explicit {
                                " (in a multi-source Application Argo CD keeps even empty blocks)"
                            } else {
                                ""
                            },
                            types.join(",")
                        ),
                    )
                    .with_label("second source type")
                    .with_help(
                        "Keep the block of the source type you mean: directory for plain YAML files, kustomize or helm to render the path.",
                    )
                    .with_object(Some(o.object_ref())),
                );
                continue;
            }
            // The directory block was dropped; a conflict between the others is not about it.
            _ => false,
        };
        // In a multi-source Application an all-zero block still counts.
        let quirk = if kept
            && multi
            && !matches!(
                explicit_kind(src.node, false),
                Some(SourceKind::Directory { .. })
            ) {
            " (in a multi-source Application Argo CD keeps even an empty directory block)"
        } else {
            ""
        };
        let chart = src
            .node
            .get("chart")
            .and_then(Node::as_str)
            .filter(|c| !c.is_empty());
        let (label, message, help) = if let Some(chart) = chart {
            if kept {
                (
                    "chart read as plain YAML",
                    format!(
                        "{field} makes Argo CD read Helm chart '{chart}' as plain YAML files{quirk}: helm template is not run, and the chart's templates are not manifests"
                    ),
                    "Remove the directory block from the chart source.".to_owned(),
                )
            } else {
                (
                    "ignored",
                    format!(
                        "{field} holds only zero values, which Argo CD drops; Helm chart '{chart}' is rendered with helm template and the block is ignored"
                    ),
                    "Remove the directory block: it has no effect on a chart source.".to_owned(),
                )
            }
        } else {
            let Location::Local {
                kind,
                discovered,
                dir,
                ..
            } = &src.location
            else {
                continue;
            };
            let tool = |k: &SourceKind| match k {
                SourceKind::Helm => "helm template",
                SourceKind::Plugin => "the config management plugin",
                _ => "kustomize build",
            };
            match kind {
                SourceKind::Directory { .. }
                    if kept && matches!(discovered, SourceKind::Kustomize | SourceKind::Helm) =>
                {
                    (
                        "plain YAML",
                        format!(
                            "{field} makes Argo CD read {} as plain YAML files, although it is a {} source{quirk}: {} is not run and the directory's YAML files are read as manifests",
                            display_dir(dir),
                            discovered.label(),
                            tool(discovered)
                        ),
                        format!(
                            "Remove the directory block to have Argo CD run {}; choose what is deployed with {} instead.",
                            tool(discovered),
                            if matches!(discovered, SourceKind::Helm) {
                                "Helm values"
                            } else {
                                "the kustomization's resources"
                            }
                        ),
                    )
                }
                SourceKind::Kustomize | SourceKind::Helm | SourceKind::Plugin if !kept => (
                    "ignored",
                    format!(
                        "{field} holds only zero values, which Argo CD drops; {} is rendered with {} and the block is ignored",
                        display_dir(dir),
                        tool(kind)
                    ),
                    format!(
                        "Remove the directory block: it has no effect on a {} source.",
                        kind.label()
                    ),
                ),
                _ => continue,
            }
        };
        out.push(
            Diagnostic::new("APP015", o.span(&entry.key), message)
                .with_label(label)
                .with_help(help)
                .with_object(Some(o.object_ref())),
        );
    }
}

/// How a source type reads in a message.
fn type_name(t: &str) -> &'static str {
    match t {
        "Kustomize" => "a kustomize block",
        "Helm" => "a helm block",
        "Plugin" => "a plugin block",
        _ => "another source type",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `filepath.Clean` of a rooted path, as `AppFilesHaveChanged` compares refresh paths.
    #[test]
    fn refresh_paths_stop_at_the_root() {
        assert_eq!(clean_rooted("apps/x/."), "apps/x");
        assert_eq!(clean_rooted("apps/x/../shared"), "apps/shared");
        assert_eq!(clean_rooted("apps/../../x"), "x");
        assert_eq!(clean_rooted("../.."), "");
        assert_eq!(clean_rooted("/"), "");
        assert_eq!(clean_rooted(".//a//b/"), "a/b");
    }

    /// `filepath.Match` wildcards are `*`, `?`, `[` and `\\`; braces are literal.
    #[test]
    fn pattern_directories() {
        assert_eq!(pattern_dir("apps/x"), None);
        assert_eq!(pattern_dir("apps/{a,b}"), None);
        assert_eq!(pattern_dir("apps/*/values.yaml"), Some("apps"));
        assert_eq!(pattern_dir("apps/team/x-?.yaml"), Some("apps/team"));
        assert_eq!(pattern_dir("*.yaml"), Some(""));
        assert_eq!(pattern_dir("apps/[ab]"), Some("apps"));
    }
}
