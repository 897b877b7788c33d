//! ApplicationSet rules SET001–SET009 and the ApplicationSet part of GO005. They read the
//! ApplicationSet as written and its expansion (`Model::generated`, semantics §5):
//! static checks find every problem, the expansion adds what only generating shows
//! (parameters that do not resolve, Argo CD's `firstError`).
//!
//! Where Argo CD's expansion fails (nothing is generated), the failure is reported once,
//! under the rule it belongs to: generators Argo CD rejects are SET005, templates it
//! cannot parse or execute (and `templatePatch`es it cannot apply) SET002, parameters
//! missing under `missingkey=error` SET003.

use crate::argo::appset::inputs::RepoExpansion;
use crate::argo::appset::validate::{self, At, GENERATOR_KEYS};
use crate::argo::appset::{ErrorKind, ExpandError, Origin, RESOURCES_FINALIZER, RepoTree, syntax};
use crate::argo::appset::{escape_token, fasttemplate};
use crate::diagnostic::Diagnostic;
use crate::engine::Ctx;
use crate::load::yaml::Node;
use crate::model::Object;
use crate::model::application_set::ApplicationSet;
use crate::model::generated::{text_span, unresolved_refs};
use crate::source::Span;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// The expansion of the ApplicationSet `o`.
fn expansion<'a>(cx: &'a Ctx<'_>, o: &Object) -> Option<&'a RepoExpansion> {
    cx.model.generated.sets.iter().find(|s| {
        cx.repo
            .objects
            .get(s.object)
            .is_some_and(|x| std::ptr::eq(x, o))
    })
}

/// The node a JSON pointer names, or the key of that member.
fn node_at<'n>(o: &'n Object, pointer: &str, at: At) -> Option<&'n Node> {
    match at {
        At::Value => o.node.pointer(pointer),
        At::Key => {
            let (parent, last) = pointer.rsplit_once('/')?;
            let parent = o.node.pointer(parent)?;
            if parent.is_seq() {
                return parent.items().get(last.parse::<usize>().ok()?);
            }
            parent
                .entry(&crate::load::yaml::unescape_token(last))
                .map(|e| &e.key)
        }
    }
}

/// `spec.generators[1].scmProvider` for `/spec/generators/1/scmProvider`.
pub fn dotted(pointer: &str) -> String {
    let mut out = String::new();
    for t in pointer.split('/').skip(1) {
        if t.parse::<usize>().is_ok() {
            out.push_str(&format!("[{t}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&crate::load::yaml::unescape_token(t));
        }
    }
    out
}

/// Where an expansion error goes: the string at fault (the characters of its range), the
/// generator's key, or the node named.
fn error_span(cx: &Ctx<'_>, o: &Object, e: &ExpandError) -> Span {
    // A generator is `…/generators/N/<kind>`; a template key that happens to be called
    // `git` or `list` (a label, an annotation) is a string like any other.
    let mut tokens = e.pointer.rsplit('/');
    let (last, index, list) = (tokens.next(), tokens.next(), tokens.next());
    let is_generator = last.is_some_and(|l| GENERATOR_KEYS.contains(&l))
        && index.is_some_and(|i| i.parse::<usize>().is_ok())
        && list == Some("generators");
    let at = if is_generator { At::Key } else { At::Value };
    let Some(node) = node_at(o, &e.pointer, at).or_else(|| o.node.pointer(&e.pointer)) else {
        return o.head_span();
    };
    match &e.range {
        Some(r) if node.scalar().is_some() && r.end <= node.scalar_text().map_or(0, str::len) => {
            text_span(cx.repo, o, node, r.start, r.end)
        }
        _ => o.span(node),
    }
}

fn set_name(o: &Object) -> &str {
    o.name.as_deref().unwrap_or("")
}

/// The template strings of an ApplicationSet: `spec.template`, the top-level generators'
/// own templates and `spec.templatePatch`, with their pointers; `keys` adds mapping keys.
fn template_strings(o: &Object, keys: bool) -> Vec<(&Node, String)> {
    let mut out = Vec::new();
    let Some(spec) = o.spec() else { return out };
    if let Some(t) = spec.get("template") {
        walk(t, "/spec/template".to_owned(), keys, &mut out);
    }
    for (i, g) in spec
        .get("generators")
        .map_or(&[][..], Node::items)
        .iter()
        .enumerate()
    {
        for key in GENERATOR_KEYS {
            if let Some(t) = g.get(key).and_then(|b| b.get("template")) {
                walk(
                    t,
                    format!("/spec/generators/{i}/{key}/template"),
                    keys,
                    &mut out,
                );
            }
        }
    }
    if let Some(p) = spec.get("templatePatch") {
        walk(p, "/spec/templatePatch".to_owned(), keys, &mut out);
    }
    out
}

fn walk<'n>(n: &'n Node, at: String, keys: bool, out: &mut Vec<(&'n Node, String)>) {
    if n.as_str().is_some() {
        out.push((n, at));
        return;
    }
    for e in n.entries() {
        let Some(k) = e.key.key_string() else {
            continue;
        };
        let child = format!("{at}/{}", escape_token(&k));
        if keys && k.contains("{{") {
            out.push((&e.key, child.clone()));
        }
        walk(&e.value, child, keys, out);
    }
    for (i, item) in n.items().iter().enumerate() {
        walk(item, format!("{at}/{i}"), keys, out);
    }
}

fn text(n: &Node) -> &str {
    n.scalar_text().unwrap_or("")
}

// ---------------------------------------------------------------------------------------
// SET001

/// The leaf generators of an element (through matrix and merge).
fn leaves<'v>(elem: &'v Value, depth: usize, out: &mut Vec<(&'static str, &'v Value)>) {
    for key in validate::element_generators(elem, depth) {
        let body = elem.get(key).unwrap_or(&Value::Null);
        if matches!(key, "matrix" | "merge") {
            if let Some(Value::Array(children)) = body.get("generators") {
                for c in children {
                    leaves(c, depth + 1, out);
                }
            }
        } else {
            out.push((key, body));
        }
    }
}

fn contains_template(v: &Value) -> bool {
    match v {
        Value::String(s) => s.contains("{{"),
        Value::Array(items) => items.iter().any(contains_template),
        Value::Object(m) => m
            .iter()
            .any(|(k, x)| k.contains("{{") || contains_template(x)),
        _ => false,
    }
}

/// SET001: a templated `spec.project` lets whoever controls the generators' data choose
/// the project (semantics §5.6). Not reported when every generator is a list written in
/// the ApplicationSet itself: then only the ApplicationSet's authors choose.
pub fn check_templated_project(_cx: &Ctx<'_>, o: &Object, out: &mut Vec<Diagnostic>) {
    let Some(set) = ApplicationSet::new(o) else {
        return;
    };
    let go = set.go_template();
    let spec = o.json().get("spec").unwrap_or(&Value::Null);
    let mut all = Vec::new();
    if let Some(Value::Array(items)) = spec.get("generators") {
        for g in items {
            leaves(g, 0, &mut all);
        }
    }
    // A list's own `template` may well be templated: only its elements are data.
    let literal_list = |body: &Value| {
        !["elements", "elementsYaml"]
            .iter()
            .any(|k| body.get(*k).is_some_and(contains_template))
    };
    if all
        .iter()
        .all(|(k, body)| *k == "list" && literal_list(body))
    {
        return;
    }
    let kinds: BTreeSet<&str> = all.iter().map(|(k, _)| *k).collect();
    let sources: Vec<&str> = kinds
        .iter()
        .map(|k| match *k {
            "list" => "list elements",
            "clusters" => "cluster Secrets",
            "git" => "files and directories of the Git repository",
            "scmProvider" => "repositories of the SCM provider",
            "pullRequest" => "pull requests",
            "clusterDecisionResource" => "the decision resource",
            "plugin" => "the plugin's response",
            _ => "generator data",
        })
        .collect();
    // (node, where, whether it is the top-level template's project)
    let mut candidates: Vec<(&Node, String, bool)> = Vec::new();
    if let Some(p) = set.template().and_then(|t| t.path(&["spec", "project"])) {
        candidates.push((p, "spec.template.spec.project".to_owned(), true));
    }
    for (i, g) in set.generators().iter().enumerate() {
        for key in GENERATOR_KEYS {
            if let Some(p) = g
                .get(key)
                .and_then(|b| b.path(&["template", "spec", "project"]))
            {
                candidates.push((
                    p,
                    format!("spec.generators[{i}].{key}.template.spec.project"),
                    false,
                ));
            }
        }
    }
    for (node, path, top_level) in candidates {
        let Some(value) = node.as_str() else { continue };
        let templated = if go {
            value.contains("{{")
        } else {
            fasttemplate::is_templated(value)
        };
        if !templated {
            continue;
        }
        // The Git generator asks `strings.Contains(spec.template.spec.project, "{{")`
        // (`resolveProjectName`): only the top-level template's project makes it fetch
        // without a project.
        let git = if kinds.contains("git") && top_level && value.contains("{{") {
            "; with a Git generator, Argo CD also fetches the repository without a project, so only global repository credentials apply and signature verification is skipped"
        } else {
            ""
        };
        out.push(
            Diagnostic::new(
                "SET001",
                o.span(node),
                format!(
                    "{path} of ApplicationSet '{}' is templated (\"{value}\"): whoever can change the generators' data ({}) chooses the AppProject of the generated Applications, and with it what they may deploy and where{git}",
                    set_name(o),
                    sources.join(", ")
                ),
            )
            .with_label("templated project")
            .with_object(Some(o.object_ref())),
        );
    }
}

// ---------------------------------------------------------------------------------------
// SET002

/// SET002: tags written for the other template engine, and templates Argo CD cannot
/// render (the expansion's template errors).
pub fn check_syntax(cx: &Ctx<'_>, o: &Object, out: &mut Vec<Diagnostic>) {
    let Some(set) = ApplicationSet::new(o) else {
        return;
    };
    let go = set.go_template();
    let exp = expansion(cx, o);
    let params: BTreeSet<&str> = exp
        .map(|e| {
            e.expansion
                .apps
                .iter()
                .flat_map(|a| a.params.values.keys().map(String::as_str))
                .collect()
        })
        .unwrap_or_default();
    let mut flagged: BTreeSet<String> = BTreeSet::new();
    for (node, pointer) in template_strings(o, true) {
        let s = text(node);
        if go {
            for u in syntax::undefined_functions(s) {
                flagged.insert(pointer.clone());
                let action = s.get(u.action.clone()).unwrap_or("");
                out.push(
                    Diagnostic::new(
                        "SET002",
                        text_span(cx.repo, o, node, u.range.start, u.range.end),
                        format!(
                            "'{action}' calls a function '{}' with goTemplate: true, and no such function exists: Argo CD fails with \"function \\\"{}\\\" not defined\" and ApplicationSet '{}' generates nothing",
                            u.name,
                            u.name,
                            set_name(o)
                        ),
                    )
                    .with_label("not a function")
                    .with_help(go_help(s, &u))
                    .with_object(Some(o.object_ref())),
                );
            }
        } else {
            for tag in syntax::go_actions_in_fasttemplate(s) {
                if params.contains(tag.name.as_str()) {
                    continue;
                }
                flagged.insert(pointer.clone());
                let written = s.get(tag.range.clone()).unwrap_or("");
                out.push(
                    Diagnostic::new(
                        "SET002",
                        text_span(cx.repo, o, node, tag.range.start, tag.range.end),
                        format!(
                            "'{written}' is Go template syntax, but ApplicationSet '{}' uses fasttemplate (goTemplate is not true): fasttemplate looks for a parameter named '{}', finds none and leaves '{written}' in the generated Applications",
                            set_name(o),
                            tag.name
                        ),
                    )
                    .with_label("Go template syntax")
                    .with_help(
                        "Set spec.goTemplate: true (with goTemplateOptions: [\"missingkey=error\"]), or write fasttemplate parameters: {{path.basename}}.",
                    )
                    .with_object(Some(o.object_ref())),
                );
            }
        }
    }
    let Some(e) = exp.and_then(|x| x.expansion.error.as_ref()) else {
        return;
    };
    let is_template = matches!(e.kind, ErrorKind::Template | ErrorKind::TemplatePatch);
    if !is_template || is_missing_key(e) || flagged.contains(&e.pointer) {
        return;
    }
    out.push(
        Diagnostic::new(
            "SET002",
            error_span(cx, o, e),
            format!(
                "Argo CD cannot render this template and ApplicationSet '{}' generates nothing: {}",
                set_name(o),
                e.message
            ),
        )
        .with_label("does not render")
        .with_help("Fix the template so that it renders with every parameter set; `kubectl gitops appset generate` shows the result.")
        .with_object(Some(o.object_ref())),
    );
}

/// How to write an undefined function's tag as Go template syntax.
fn go_help(s: &str, u: &syntax::UndefinedFunction) -> String {
    if matches!(u.name.as_str(), "env" | "expandenv" | "getHostByName") {
        return format!(
            "Argo CD removes sprig's env, expandenv and getHostByName from ApplicationSet templates; pass the value as a generator parameter instead of calling {}.",
            u.name
        );
    }
    let rest = s.get(u.range.start..).unwrap_or("");
    let chain: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.'))
        .collect();
    format!(
        "Go templates read parameters as fields of dot: write {{{{.{chain}}}}} instead of {{{{{chain}}}}} ({{{{index .path.segments 0}}}} for path[0])."
    )
}

fn is_missing_key(e: &ExpandError) -> bool {
    e.kind == ErrorKind::Template && e.message.contains("map has no entry for key")
}

// ---------------------------------------------------------------------------------------
// SET003

/// SET003: template parameters that do not resolve for some generated Applications, and
/// missing keys under `missingkey=error` (the expansion fails on the first).
pub fn check_unresolved(cx: &Ctx<'_>, o: &Object, out: &mut Vec<Diagnostic>) {
    let Some(set) = ApplicationSet::new(o) else {
        return;
    };
    let Some(exp) = expansion(cx, o) else { return };
    let go = set.go_template();
    if let Some(e) = &exp.expansion.error
        && is_missing_key(e)
    {
        // Go's error names the field chain: `executing "" at <.path.basenme>: map has
        // no entry for key "basenme"`.
        let chain = e
            .reason
            .split_once("at <")
            .and_then(|(_, rest)| rest.split_once('>'))
            .map(|(chain, _)| chain.trim_start_matches('.').to_owned());
        let go_error = e
            .reason
            .rsplit_once(">: ")
            .map_or(e.reason.as_str(), |(_, tail)| tail);
        let what = match &chain {
            Some(c) => format!("template parameter '{c}' does not resolve"),
            None => "a template parameter does not resolve".to_owned(),
        };
        out.push(
            Diagnostic::new(
                "SET003",
                error_span(cx, o, e),
                format!(
                    "{what}, and with missingkey=error Argo CD fails ApplicationSet '{}' (\"{go_error}\") and generates nothing",
                    set_name(o)
                ),
            )
            .with_label("no such parameter")
            .with_help("Use a parameter the generators produce (`kubectl gitops appset generate` shows them); with missingkey=error not even `default` covers a missing key (issue #20594), so read optional parameters with `dig` or test them with `hasKey`.")
            .with_object(Some(o.object_ref())),
        );
    }
    // (origin pointer, key?, range) → (parameter, apps that miss it); origin pointer →
    // apps that use the string.
    type Site = (String, bool, usize, usize);
    let mut missing: BTreeMap<Site, (String, Vec<&str>)> = BTreeMap::new();
    let mut users: BTreeMap<(String, bool), BTreeSet<&str>> = BTreeMap::new();
    for app in &exp.expansion.apps {
        let entries = app
            .fields
            .iter()
            .map(|(p, origin)| (p, origin, false))
            .chain(app.keys.iter().map(|(p, origin)| (p, origin, true)));
        for (ptr, origin, is_key) in entries {
            let Origin::Template { pointer, .. } = origin else {
                continue;
            };
            users
                .entry((pointer.clone(), is_key))
                .or_default()
                .insert(app.name.as_str());
            let value = if is_key {
                crate::load::yaml::unescape_token(ptr.rsplit('/').next().unwrap_or(""))
            } else {
                app.app
                    .pointer(ptr)
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned()
            };
            for r in unresolved_refs(origin, &value, go) {
                if !go && syntax::looks_like_go(&r.name) {
                    continue;
                }
                let site = (pointer.clone(), is_key, r.range.start, r.range.end);
                let entry = missing
                    .entry(site)
                    .or_insert_with(|| (r.name.clone(), Vec::new()));
                if !entry.1.contains(&app.name.as_str()) {
                    entry.1.push(app.name.as_str());
                }
            }
        }
    }
    for ((pointer, is_key, start, end), (name, apps)) in missing {
        let node = if is_key {
            node_at(o, &pointer, At::Key)
        } else {
            o.node.pointer(&pointer)
        };
        let Some(node) = node else { continue };
        let total = users
            .get(&(pointer.clone(), is_key))
            .map_or(0, BTreeSet::len);
        let written = text(node).get(start..end).unwrap_or("");
        let listed = quoted_names(&apps);
        let which = if apps.len() >= total {
            format!(
                "no generator produces it for any of the {total} Applications this template generates ({listed})"
            )
        } else {
            format!(
                "it is not produced for {} of the {total} Applications this template generates ({listed})",
                apps.len()
            )
        };
        let them = if apps.len() == 1 { "it" } else { "them" };
        let effect = if go {
            "Go templates print '<no value>' there".to_owned()
        } else {
            format!("fasttemplate leaves '{written}' in {them} as it is")
        };
        let which = if total == 1 {
            format!("it is not produced for the Application this template generates ({listed})")
        } else {
            which
        };
        out.push(
            Diagnostic::new(
                "SET003",
                text_span(cx.repo, o, node, start, end),
                format!("template parameter '{name}' does not resolve: {which}; {effect}"),
            )
            .with_label("unresolved parameter")
            .with_help(if go {
                "Use a parameter the generators produce (`kubectl gitops appset generate` shows the result), give a default, and set goTemplateOptions: [\"missingkey=error\"] so that a missing parameter fails instead of rendering '<no value>'."
            } else {
                "Use a parameter the generators produce (`kubectl gitops appset generate` shows the result), or add it to every element."
            })
            .with_object(Some(o.object_ref())),
        );
    }
}

fn quoted_names(names: &[&str]) -> String {
    const SHOWN: usize = 5;
    let mut parts: Vec<String> = names.iter().take(SHOWN).map(|n| format!("'{n}'")).collect();
    if names.len() > SHOWN {
        parts.push(format!("{} more", names.len() - SHOWN));
    }
    parts.join(", ")
}

// ---------------------------------------------------------------------------------------
// SET004

/// SET004: a Git generator on this repository whose paths match nothing in it.
pub fn check_matches_nothing(cx: &Ctx<'_>, o: &Object, out: &mut Vec<Diagnostic>) {
    let Some(set) = ApplicationSet::new(o) else {
        return;
    };
    let Some(tree) = cx.model.generated.tree.as_ref() else {
        return;
    };
    let mut gits = Vec::new();
    for (i, g) in set.generators().iter().enumerate() {
        git_generators(g, format!("/spec/generators/{i}"), 0, &mut gits);
    }
    for (git, gptr) in gits {
        let Some(url) = git.get("repoURL").and_then(Node::as_str) else {
            continue;
        };
        if url.contains("{{") || !cx.model.identity.is_this_repo(url) {
            continue;
        }
        let (key, items) = match (git.get("directories"), git.get("files")) {
            // The first non-empty list, as git.go's switch picks it.
            (Some(d), _) if !d.items().is_empty() => ("directories", d.items()),
            (_, Some(f)) if !f.items().is_empty() => ("files", f.items()),
            _ => continue,
        };
        let dirs = key == "directories";
        let candidates = if dirs {
            tree.directories()
        } else {
            tree.files()
        };
        let matches = |pattern: &str, path: &str| {
            if dirs {
                crate::argo::path_match::filepath_match(pattern, path) == Ok(true)
            } else {
                crate::argo::appset::gitmatch::pathspec_match(pattern, path)
            }
        };
        let mut includes = Vec::new();
        let mut excludes = Vec::new();
        let mut templated = false;
        for item in items {
            let Some(path_node) = item.get("path") else {
                continue;
            };
            let pattern = path_node.as_str().unwrap_or("");
            templated |= pattern.contains("{{");
            if item.get("exclude").and_then(Node::as_bool) == Some(true) {
                excludes.push(pattern);
            } else {
                includes.push((pattern, path_node));
            }
        }
        if templated {
            continue;
        }
        let what = if dirs { "directory" } else { "file" };
        let mut reported = false;
        for (pattern, node) in &includes {
            if candidates.iter().any(|c| matches(pattern, c)) {
                continue;
            }
            reported = true;
            let hint = if pattern.starts_with('/') {
                " (paths are relative to the repository root, without a leading '/')"
            } else if dirs && pattern.contains("**") {
                " (the directory generator matches with Go's path.Match, where '**' is '*' and never crosses '/')"
            } else {
                ""
            };
            out.push(
                Diagnostic::new(
                    "SET004",
                    o.span(node),
                    format!(
                        "git generator path '{pattern}' matches no {what} of this repository{hint}, so it contributes nothing to ApplicationSet '{}'",
                        set_name(o)
                    ),
                )
                .with_label(format!("matches no {what}"))
                .with_help(format!(
                    "Fix the pattern so that it names {} of this repository, or remove it.",
                    if dirs { "directories" } else { "files" }
                ))
                .with_object(Some(o.object_ref())),
            );
        }
        if reported || includes.is_empty() {
            continue;
        }
        let any_left = candidates.iter().any(|c| {
            includes.iter().any(|(p, _)| matches(p, c)) && !excludes.iter().any(|p| matches(p, c))
        });
        if !any_left && let Some(node) = node_at(o, &format!("{gptr}/{key}"), At::Key) {
            out.push(
                Diagnostic::new(
                    "SET004",
                    o.span(node),
                    format!(
                        "every {what} the git generator's paths match is excluded, so it contributes nothing to ApplicationSet '{}' (exclude patterns always win)",
                        set_name(o)
                    ),
                )
                .with_label(format!("no {what} left"))
                .with_help("Narrow the exclude patterns.")
                .with_object(Some(o.object_ref())),
            );
        }
    }
}

/// Git generators in an element and its matrix and merge children, with their pointers.
fn git_generators<'n>(
    elem: &'n Node,
    ptr: String,
    depth: usize,
    out: &mut Vec<(&'n Node, String)>,
) {
    if let Some(g) = elem.get("git").filter(|g| g.is_map()) {
        out.push((g, format!("{ptr}/git")));
    }
    if depth >= 2 {
        return;
    }
    for key in ["matrix", "merge"] {
        if let Some(c) = elem.get(key).and_then(|b| b.get("generators")) {
            for (i, child) in c.items().iter().enumerate() {
                git_generators(child, format!("{ptr}/{key}/generators/{i}"), depth + 1, out);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// SET005

/// SET005: generators Argo CD rejects, statically, plus the expansion's generator error
/// when nothing static explains it.
pub fn check_invalid_generator(cx: &Ctx<'_>, o: &Object, out: &mut Vec<Diagnostic>) {
    if ApplicationSet::new(o).is_none() {
        return;
    }
    let spec = o.json().get("spec").unwrap_or(&Value::Null);
    let problems = validate::generator_problems(spec);
    for p in &problems {
        let Some(node) = node_at(o, &p.pointer, p.at) else {
            continue;
        };
        let label = if p.message.contains("value is") {
            "not a string"
        } else {
            "rejected generator"
        };
        out.push(
            Diagnostic::new("SET005", o.span(node), p.message.clone())
                .with_label(label)
                .with_help(p.help.clone())
                .with_object(Some(o.object_ref())),
        );
    }
    let Some(e) = expansion(cx, o).and_then(|x| x.expansion.error.as_ref()) else {
        return;
    };
    if matches!(e.kind, ErrorKind::Template | ErrorKind::TemplatePatch) {
        return;
    }
    let related = |p: &str| {
        p == e.pointer
            || e.pointer.starts_with(&format!("{p}/"))
            || p.starts_with(&format!("{}/", e.pointer))
    };
    if problems.iter().any(|p| related(&p.pointer)) {
        return;
    }
    out.push(
        Diagnostic::new(
            "SET005",
            error_span(cx, o, e),
            format!(
                "Argo CD fails ApplicationSet '{}' with \"{}\" and generates nothing",
                set_name(o),
                e.message
            ),
        )
        .with_label("generator fails")
        .with_help("Fix the generator or the data it reads; `kubectl gitops appset generate` shows the error.")
        .with_object(Some(o.object_ref())),
    );
}

// ---------------------------------------------------------------------------------------
// SET006

/// SET006: the resources finalizer Argo CD adds to every generated Application.
pub fn check_preserve_resources(_cx: &Ctx<'_>, o: &Object, out: &mut Vec<Diagnostic>) {
    let Some(set) = ApplicationSet::new(o) else {
        return;
    };
    let Some(spec) = set.spec() else { return };
    let policy = spec.get("syncPolicy");
    let preserve = policy.and_then(|p| p.get("preserveResourcesOnDeletion"));
    if preserve.and_then(Node::as_bool) == Some(true) {
        return;
    }
    let has_finalizers = |t: Option<&Node>| {
        t.and_then(|t| t.path(&["metadata", "finalizers"]))
            .is_some_and(|f| !f.items().is_empty())
    };
    if has_finalizers(set.template()) {
        return;
    }
    // A generator's own template with finalizers covers its Applications only.
    let generators = set.generators();
    if !generators.is_empty()
        && generators.iter().all(|g| {
            GENERATOR_KEYS
                .iter()
                .any(|k| has_finalizers(g.get(k).and_then(|b| b.get("template"))))
        })
    {
        return;
    }
    // No `templatePatch` exemption: the patch is a strategic merge applied after the
    // finalizer was added, and `metadata.finalizers` merges, so the finalizer stays.
    let at = preserve
        .or_else(|| spec.entry("syncPolicy").map(|e| &e.key))
        .or_else(|| spec.entry("template").map(|e| &e.key))
        .unwrap_or(&o.node);
    out.push(
        Diagnostic::new(
            "SET006",
            o.span(at),
            format!(
                "the Applications ApplicationSet '{}' generates get the {RESOURCES_FINALIZER} finalizer: when the ApplicationSet is deleted, or stops generating one of them (an element removed, a cluster Secret or a directory gone, a generator that lists nothing), Argo CD deletes that Application and every resource it deployed",
                set_name(o)
            ),
        )
        .with_label("resources cascade-deleted")
        .with_help("Set spec.syncPolicy.preserveResourcesOnDeletion: true to keep the resources when a generated Application goes away (or give the template the finalizers you want).")
        .with_object(Some(o.object_ref())),
    );
}

// ---------------------------------------------------------------------------------------
// SET007

/// SET007: a RollingSync strategy removes `syncPolicy.automated` from the generated
/// Applications (`syncValidApplications`).
pub fn check_rolling_sync(_cx: &Ctx<'_>, o: &Object, out: &mut Vec<Diagnostic>) {
    let Some(set) = ApplicationSet::new(o) else {
        return;
    };
    let Some(strategy) = set.spec().and_then(|s| s.get("strategy")) else {
        return;
    };
    if strategy.get("type").and_then(Node::as_str) != Some("RollingSync")
        || strategy
            .path(&["rollingSync", "steps"])
            .is_none_or(|s| s.items().is_empty())
    {
        return;
    }
    let mut templates: Vec<&Node> = set.template().into_iter().collect();
    for g in set.generators() {
        for k in GENERATOR_KEYS {
            if let Some(t) = g.get(k).and_then(|b| b.get("template")) {
                templates.push(t);
            }
        }
    }
    for t in templates {
        let Some(policy) = t.path(&["spec", "syncPolicy"]) else {
            continue;
        };
        let Some(entry) = policy.entry("automated").filter(|e| !e.value.is_null()) else {
            continue;
        };
        // `automated: {enabled: false}` is no automated sync to lose.
        if entry.value.get("enabled").and_then(Node::as_bool) == Some(false) {
            continue;
        }
        out.push(
            Diagnostic::new(
                "SET007",
                o.span(&entry.key),
                format!(
                    "ApplicationSet '{}' uses the RollingSync strategy: when the ApplicationSet controller runs with progressive syncs enabled (--enable-progressive-syncs), Argo CD removes syncPolicy.automated from every Application it generates and syncs them itself step by step, so the template's automated sync (selfHeal, allowEmpty) does not apply",
                    set_name(o)
                ),
            )
            .with_label("removed by RollingSync")
            .with_help("Remove syncPolicy.automated from the template (RollingSync keeps only its prune setting for the syncs it starts), or drop the RollingSync strategy.")
            .with_object(Some(o.object_ref())),
        );
    }
}

// ---------------------------------------------------------------------------------------
// SET008

/// SET008: a template without `metadata.name` (issue #21138: a name set only in
/// `templatePatch` does not count).
pub fn check_template_name(_cx: &Ctx<'_>, o: &Object, out: &mut Vec<Diagnostic>) {
    let Some(set) = ApplicationSet::new(o) else {
        return;
    };
    let Some(spec) = set.spec() else { return };
    let name_of = |t: Option<&Node>| {
        t.and_then(|t| t.path(&["metadata", "name"]))
            .and_then(Node::as_str)
            .is_some_and(|n| !n.is_empty())
    };
    if name_of(set.template()) {
        return;
    }
    let generators = set.generators();
    let every_generator_names = !generators.is_empty()
        && generators.iter().all(|g| {
            GENERATOR_KEYS
                .iter()
                .any(|k| name_of(g.get(k).and_then(|b| b.get("template"))))
        });
    if every_generator_names {
        return;
    }
    let template = spec.entry("template");
    let at = template
        .and_then(|t| t.value.get("metadata"))
        .and_then(|m| m.get("name"))
        .or_else(|| {
            template
                .and_then(|t| t.value.entry("metadata"))
                .map(|e| &e.key)
        })
        .or_else(|| template.map(|e| &e.key))
        .unwrap_or(&o.node);
    let patch = if spec
        .get("templatePatch")
        .and_then(Node::as_str)
        .is_some_and(|p| p.contains("name"))
    {
        " (a name set only in templatePatch does not count)"
    } else {
        ""
    };
    out.push(
        Diagnostic::new(
            "SET008",
            o.span(at),
            format!(
                "the template of ApplicationSet '{}' has no metadata.name{patch}, so the Applications it generates have an empty name and Argo CD cannot create them",
                set_name(o)
            ),
        )
        .with_label("no name")
        .with_help("Give spec.template.metadata.name a value made unique by a parameter, such as '{{name}}-guestbook'.")
        .with_object(Some(o.object_ref())),
    );
}

// ---------------------------------------------------------------------------------------
// SET009

/// SET009: `goTemplate: true` without `missingkey=error`.
pub fn check_missingkey(_cx: &Ctx<'_>, o: &Object, out: &mut Vec<Diagnostic>) {
    let Some(set) = ApplicationSet::new(o) else {
        return;
    };
    if !set.go_template() {
        return;
    }
    let Some(spec) = set.spec() else { return };
    let options = spec.get("goTemplateOptions");
    if options
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .any(|i| i.as_str() == Some("missingkey=error"))
    {
        return;
    }
    let Some(at) = options.or_else(|| spec.get("goTemplate")) else {
        return;
    };
    out.push(
        Diagnostic::new(
            "SET009",
            o.span(at),
            format!(
                "ApplicationSet '{}' uses Go templates without goTemplateOptions: [\"missingkey=error\"]: a parameter a generator does not produce renders as '<no value>' in the generated Applications instead of failing the ApplicationSet",
                set_name(o)
            ),
        )
        .with_label("missing parameters render as <no value>")
        .with_help("Add goTemplateOptions: [\"missingkey=error\"] to spec.")
        .with_object(Some(o.object_ref())),
    );
}

// ---------------------------------------------------------------------------------------
// GO005

/// GO005 for an ApplicationSet: generators that were not expanded, so the Applications
/// they would generate were not checked. Once per ApplicationSet, on the first of them.
pub fn check_not_expanded(cx: &Ctx<'_>, o: &Object, out: &mut Vec<Diagnostic>) {
    let Some(exp) = expansion(cx, o) else { return };
    let ne = &exp.expansion.not_expanded;
    let Some(first) = ne.first() else { return };
    let at = |pointer: &str| {
        node_at(o, pointer, At::Key)
            .or_else(|| o.node.pointer(pointer))
            .map_or_else(|| o.head_span(), |n| o.span(n))
    };
    let describe = |n: &crate::argo::appset::NotExpanded| {
        if n.kind == "goTemplate" {
            format!("its Go templates ({})", n.reason)
        } else if n.generator == "/spec/generators" {
            n.reason.clone()
        } else {
            format!("generator {} ({})", dotted(&n.generator), n.reason)
        }
    };
    let rest = if exp.expansion.apps.is_empty() {
        "so none of the Applications it generates were checked".to_owned()
    } else {
        let n = exp.expansion.apps.len();
        format!(
            "so the Applications they would generate were not checked (the {n} generated by the other generators {})",
            if n == 1 { "was" } else { "were" }
        )
    };
    let list: Vec<String> = ne.iter().map(describe).collect();
    let mut d = Diagnostic::new(
        "GO005",
        at(&first.generator),
        format!(
            "ApplicationSet '{}' was not fully expanded: {}; {rest}",
            set_name(o),
            list.join("; ")
        ),
    )
    .with_label("not expanded")
    .with_help(
        "Nothing to fix: kubectl-gitops expands list, cluster, matrix, merge and Git generators on this repository only; the rest of the ApplicationSet is still checked.",
    )
    .with_object(Some(o.object_ref()));
    for n in ne.iter().skip(1) {
        d = d.with_related(at(&n.generator), "also not expanded");
    }
    out.push(d);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::argo::appset::{GoTemplates, IssueKind, ParamRef, TemplateIssue};
    use crate::config::Config;
    use crate::engine::catalogue::Catalogue;
    use crate::engine::select::Selection;
    use crate::model::identity::RepoIdentity;
    use crate::model::{Model, Repo};
    use crate::source::FileId;

    /// A stand-in for the Go template engine that knows actions holding one field chain
    /// (`{{.path.basename}}`), enough to drive the contract the real engine fulfils:
    /// `param_refs` names each chain with its byte range, a missing key renders as
    /// `<no value>`, or fails at the chain with `missingkey=error`.
    struct FieldChains;

    fn chains(src: &str) -> Vec<(String, std::ops::Range<usize>)> {
        let mut out = Vec::new();
        let mut pos = 0;
        while let Some(i) = src[pos..].find("{{") {
            let start = pos + i + 2;
            let Some(j) = src[start..].find("}}") else {
                break;
            };
            let body = &src[start..start + j];
            let lead = body.len() - body.trim_start().len();
            let chain = body.trim();
            if let Some(name) = chain.strip_prefix('.') {
                let at = start + lead;
                out.push((name.to_owned(), at..at + chain.len()));
            }
            pos = start + j + 2;
        }
        out
    }

    impl GoTemplates for FieldChains {
        fn render(
            &self,
            src: &str,
            data: &Value,
            options: &[String],
        ) -> Result<String, TemplateIssue> {
            let strict = options.iter().any(|o| o == "missingkey=error");
            let mut out = src.to_owned();
            for (name, range) in chains(src).into_iter().rev() {
                let value = name.split('.').try_fold(data, |v, k| v.get(k));
                let text = match value {
                    Some(Value::String(s)) => s.clone(),
                    Some(other) => other.to_string(),
                    None if strict => {
                        let last = name.rsplit('.').next().unwrap_or("");
                        return Err(TemplateIssue {
                            range,
                            message: format!("map has no entry for key \"{last}\""),
                            kind: IssueKind::Execute,
                        });
                    }
                    None => "<no value>".to_owned(),
                };
                out.replace_range(range.start - 2..range.end + 2, &text);
            }
            Ok(out)
        }

        fn param_refs(&self, src: &str) -> Vec<ParamRef> {
            chains(src)
                .into_iter()
                .map(|(name, range)| ParamRef {
                    name,
                    range,
                    resolved: false,
                })
                .collect()
        }
    }

    /// SET003 findings (line, first and last column) for `yaml`, expanded with
    /// `FieldChains`.
    fn set003_with_go(yaml: &str) -> Vec<(usize, usize, usize)> {
        let mut repo = Repo::default();
        let item = crate::walk::WalkItem {
            rel_path: "set.yaml".to_owned(),
            abs_path: "/r/set.yaml".into(),
            error: None,
        };
        let lf = crate::load::load_bytes(FileId(0), &item, yaml.as_bytes().to_vec());
        repo.db.add(lf.source);
        repo.objects.extend(lf.objects);
        repo.reindex();
        let config = Config::default();
        let identity = RepoIdentity::new("/nonexistent".into(), &[]);
        let generated =
            crate::model::generated::generate_all(&mut repo, &config, &identity, &FieldChains);
        let renders = crate::model::rendered::Renders::default();
        let model = Model::build_stages(&repo, &config, identity, &renders, generated);
        let Ok(cat) = Catalogue::builtin() else {
            return Vec::new();
        };
        let Ok(selection) = Selection::new(&cat, &["SET003".to_owned()], &[], &[]) else {
            return Vec::new();
        };
        let outcome = crate::engine::run(
            &repo,
            &model,
            &config,
            &cat,
            &selection,
            crate::rules::NATIVE,
            Vec::new(),
        );
        outcome
            .diagnostics
            .iter()
            .map(|d| {
                let f = repo.db.get(d.primary.span.file);
                let (s, e) = (
                    f.line_col(d.primary.span.start),
                    f.line_col(d.primary.span.end),
                );
                (s.line, s.column, e.column)
            })
            .collect()
    }

    fn go_set(options: &str, annotation: &str) -> String {
        format!(
            "apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: s
spec:
  goTemplate: true
  goTemplateOptions: [{options}]
  generators:
    - list:
        elements:
          - path: {{basename: web}}
  template:
    metadata:
      name: 'app-{{{{.path.basename}}}}'
      annotations:
        owner: {annotation}
    spec:
      project: default
      source: {{repoURL: https://github.com/acme/apps.git, path: x}}
      destination: {{server: https://kubernetes.default.svc, namespace: x}}
"
        )
    }

    /// Acceptance (issue 7): `{{.path.basenme}}` with `missingkey=error` is SET003 at
    /// exactly the parameter's characters; without it, where it renders `<no value>`.
    #[test]
    fn go_template_parameters_that_do_not_resolve() {
        // `'team-{{.path.basenme}}'` on line 16: `.path.basenme` is columns 24..37.
        let annotation = "'team-{{.path.basenme}}'";
        assert_eq!(
            set003_with_go(&go_set("\"missingkey=error\"", annotation)),
            [(16, 24, 37)]
        );
        assert_eq!(set003_with_go(&go_set("", annotation)), [(16, 24, 37)]);
        // A parameter the generator produces: nothing to report.
        assert_eq!(set003_with_go(&go_set("", "'team-{{.path.basename}}'")), []);
    }

    #[test]
    fn pointers_read_as_dotted_paths() {
        assert_eq!(
            dotted("/spec/generators/1/scmProvider"),
            "spec.generators[1].scmProvider"
        );
        assert_eq!(
            dotted("/spec/template/metadata/a~1b"),
            "spec.template.metadata.a/b"
        );
        assert_eq!(dotted(""), "");
    }
}
