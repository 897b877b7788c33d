//! `ignoreDifferences` checked against the manifests (IGN001–IGN009). The pointers and jq
//! expressions of every Application and of argocd-cm's system-level entries are evaluated
//! with the one normaliser (`argo::ignore_differences`) against the resources they select
//! (written and rendered), exactly as Argo CD evaluates them (semantics §4).
//!
//! One analysis per run produces the findings of all nine rules (`Ctx::ignore_findings`);
//! each rule's check takes its own code from it.

use crate::argo::ignore_differences::jq::{self, JqExpr, JqLimits, JqOutcome};
use crate::argo::ignore_differences::pointer::{self, PointerErrorKind, PointerOutcome};
use crate::argo::ignore_differences::{
    IgnoreLookup, IgnoreRule, Normalizer, ObjectId, replicas_ignored,
};
use crate::argo::kinds::well_known_groups;
use crate::diagnostic::Diagnostic;
use crate::engine::Ctx;
use crate::model::Object;
use crate::model::apps::AppNode;
use crate::model::ignores::{RuleSet, System, app_rules};
use crate::rules::util::did_you_mean;
use crate::source::Span;
use rayon::prelude::*;
use serde_json::Value;

/// How many resource names a message lists before "and N more".
const NAMES_SHOWN: usize = 3;

/// One resource of an Application as the normaliser sees it: its identity with the
/// namespace Argo CD gives it (the destination namespace for a namespaced kind without
/// one). Its JSON is built only for the resources some rule selects.
struct Res<'a> {
    object: &'a Object,
    id: ObjectId,
    json: std::sync::OnceLock<Value>,
}

impl Res<'_> {
    fn describe(&self) -> String {
        if self.id.namespace.is_empty() {
            format!("{} '{}'", self.id.kind, self.id.name)
        } else {
            format!("{} '{}/{}'", self.id.kind, self.id.namespace, self.id.name)
        }
    }

    /// The object's JSON with the namespace Argo CD gives it.
    fn json(&self) -> &Value {
        self.json.get_or_init(|| {
            let mut json = self.object.json().clone();
            if self.object.namespace.is_none()
                && !self.id.namespace.is_empty()
                && let Some(meta) = json.get_mut("metadata").and_then(Value::as_object_mut)
            {
                meta.insert("namespace".into(), Value::String(self.id.namespace.clone()));
            }
            json
        })
    }
}

fn resources<'a>(cx: &Ctx<'a>, app: &AppNode<'a>) -> Vec<Res<'a>> {
    let dest = app.destination_namespace();
    app.resources
        .iter()
        .filter_map(|&i| cx.repo.objects.get(i))
        .map(|o| {
            let namespaced = cx.model.namespaced(o.group(), &o.kind) != Some(false);
            let namespace = match (&o.namespace, namespaced) {
                (Some(ns), _) => ns.clone(),
                (None, true) => dest.to_owned(),
                (None, false) => String::new(),
            };
            Res {
                object: o,
                id: ObjectId {
                    group: o.group().to_owned(),
                    kind: o.kind.clone(),
                    name: o.name.clone().unwrap_or_default(),
                    namespace,
                },
                json: std::sync::OnceLock::new(),
            }
        })
        .collect()
}

fn names(rs: &[&Res<'_>]) -> String {
    list(&rs.iter().map(|r| r.describe()).collect::<Vec<_>>())
}

// ---------------------------------------------------------------------------------------
// Evidence that a pointer is wrong rather than aimed at a field only the cluster sets

/// Keys under which the cluster or controllers add entries that manifests do not have.
fn live_only_context(tokens: &[String], at: usize) -> bool {
    tokens[..at].iter().any(|t| {
        matches!(
            t.as_str(),
            "annotations" | "labels" | "status" | "managedFields" | "finalizers"
        )
    }) || tokens
        .get(at)
        .is_some_and(|t| t == "caBundle" || t == "status")
}

/// Why `tokens` cannot name a field of this object or of its live counterpart, when the
/// manifest shows it: a near namesake of a missing key, a list addressed by a word, or a
/// path that goes on below a string, number or boolean. `None` when the pointer exists or
/// may well exist in the cluster only.
fn pointer_evidence(obj: &Value, tokens: &[String]) -> Option<String> {
    let mut cur = obj;
    for (i, t) in tokens.iter().enumerate() {
        let here = pointer::pointer_from_tokens(&tokens[..i]);
        let here = if here.is_empty() {
            "/".to_owned()
        } else {
            here
        };
        match cur {
            Value::Object(m) => match m.get(t) {
                Some(v) => cur = v,
                None => {
                    if live_only_context(tokens, i) {
                        return None;
                    }
                    let keys: Vec<&str> = m.keys().map(String::as_str).collect();
                    let near = did_you_mean(t, &keys).filter(|k| *k != t)?;
                    let mut fixed = tokens.to_vec();
                    fixed[i] = near.to_owned();
                    return Some(format!(
                        "'{here}' has no key '{t}' (did you mean '{}'?)",
                        pointer::pointer_from_tokens(&fixed)
                    ));
                }
            },
            Value::Array(a) => {
                if t == "-" {
                    return Some(format!(
                        "'-' names the position after the last item of '{here}', which a remove cannot take"
                    ));
                }
                match pointer::go_atoi(t) {
                    Some(n) => {
                        let len = i64::try_from(a.len()).unwrap_or(i64::MAX);
                        let idx = if n < 0 { len + n } else { n };
                        match usize::try_from(idx).ok().and_then(|k| a.get(k)) {
                            Some(v) => cur = v,
                            // Another item may exist in the cluster (an injected sidecar).
                            None => return None,
                        }
                    }
                    None => {
                        let named = a.iter().position(|v| {
                            v.get("name").and_then(Value::as_str) == Some(t.as_str())
                        });
                        let hint = match named {
                            Some(k) => format!(
                                "; the item named '{t}' is '{}'",
                                pointer::pointer_from_tokens(
                                    &tokens[..i]
                                        .iter()
                                        .cloned()
                                        .chain([k.to_string()])
                                        .chain(tokens[i + 1..].iter().cloned())
                                        .collect::<Vec<_>>()
                                )
                            ),
                            None => String::new(),
                        };
                        return Some(format!(
                            "'{here}' is a list, and '{t}' is not an index: a JSON pointer cannot select a list item by name (a jq expression with select can){hint}"
                        ));
                    }
                }
            }
            Value::Null => return None,
            Value::String(_) | Value::Number(_) | Value::Bool(_) => {
                let what = match cur {
                    Value::String(_) => "a string",
                    Value::Number(_) => "a number",
                    _ => "a boolean",
                };
                return Some(format!("'{here}' is {what}, so nothing lies below it"));
            }
        }
    }
    None
}

/// A jq expression that is a plain path (`.a.b`, `.a["b"]`, `.a[0]`), as pointer tokens.
fn simple_path(expr: &str) -> Option<Vec<String>> {
    let s = expr.trim();
    let b = s.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    if b.first() != Some(&b'.') {
        return None;
    }
    while i < b.len() {
        match b[i] {
            b'.' if b.get(i + 1) == Some(&b'[') => i += 1,
            b'.' => {
                let start = i + 1;
                let mut j = start;
                while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                    j += 1;
                }
                if j == start {
                    return None;
                }
                tokens.push(s[start..j].to_owned());
                i = j;
            }
            b'[' => {
                let close = s[i..].find(']')? + i;
                let inner = s[i + 1..close].trim();
                if let Some(q) = inner.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
                    if q.contains(['\\', '"']) {
                        return None;
                    }
                    tokens.push(q.to_owned());
                } else if !inner.is_empty() && inner.bytes().all(|c| c.is_ascii_digit()) {
                    tokens.push(inner.to_owned());
                } else {
                    return None;
                }
                i = close + 1;
            }
            _ => return None,
        }
    }
    Some(tokens)
}

/// The top-level `|` segments of a jq expression (outside brackets and strings).
fn pipe_segments(expr: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let (mut depth, mut start, mut in_str, mut esc) = (0i32, 0usize, false, false);
    for (i, c) in expr.char_indices() {
        if in_str {
            match (esc, c) {
                (true, _) => esc = false,
                (false, '\\') => esc = true,
                (false, '"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_str = true,
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            '|' if depth == 0 && !expr[i..].starts_with("|=") && !expr[..i].ends_with('/') => {
                out.push((start, &expr[start..i]));
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push((start, &expr[start..]));
    out
}

/// Evidence for a jq expression that removed nothing: a `select` that rejected every
/// element of a list that exists, or a plain path with a near namesake.
fn jq_evidence(expr: &str, obj: &Value, limits: &JqLimits) -> Option<String> {
    if let Some(tokens) = simple_path(expr) {
        return pointer_evidence(obj, &tokens);
    }
    let segments = pipe_segments(expr);
    let at = segments
        .iter()
        .position(|(_, s)| s.trim_start().starts_with("select("))?;
    if at == 0 {
        return None;
    }
    let prefix: String = segments[..at]
        .iter()
        .map(|(_, s)| *s)
        .collect::<Vec<_>>()
        .join("|");
    let select = segments[at].1.trim();
    let select_end = matching_paren(select, "select".len())?;
    let select = &select[..=select_end];
    let paths = |e: &str| -> Option<Vec<String>> {
        let compiled = jq::compile(e).ok()?;
        let mut copy = obj.clone();
        match compiled.apply(&mut copy, limits) {
            JqOutcome::Applied { removed, .. } => Some(removed),
            _ => None,
        }
    };
    // The list exists, and the select keeps none of its items (rather than keeping some
    // and a later step finding nothing below them).
    let removed = paths(&prefix)?;
    if removed.is_empty() || !paths(&format!("{prefix} | {select}"))?.is_empty() {
        return None;
    }
    let labels: Vec<String> = removed
        .iter()
        .filter_map(|p| obj.pointer(p))
        .map(|v| match v.get("name").and_then(Value::as_str) {
            Some(n) => format!("'{n}'"),
            None => "an item without a name".to_owned(),
        })
        .collect();
    Some(format!(
        "{select} rejected every item of '{}' ({})",
        prefix.trim(),
        labels.join(", ")
    ))
}

/// The index of the `)` closing the `(` at `open`.
fn matching_paren(s: &str, open: usize) -> Option<usize> {
    let mut depth = 0i32;
    let mut in_str = false;
    let mut esc = false;
    for (i, c) in s.char_indices().skip_while(|(i, _)| *i < open) {
        if in_str {
            match (esc, c) {
                (true, _) => esc = false,
                (false, '\\') => esc = true,
                (false, '"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_str = true,
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// An expression aimed at what controllers add in the cluster.
fn live_only_expression(expr: &str) -> bool {
    [
        "annotations",
        "labels",
        "caBundle",
        ".status",
        "managedFields",
        "finalizers",
    ]
    .iter()
    .any(|w| expr.contains(w))
}

// ---------------------------------------------------------------------------------------
// Pointers written with a `/` inside a key (IGN009)

/// The index of the first token after a map whose values are strings (annotations,
/// labels, matchLabels) when the pointer goes two or more levels below it.
fn split_key(tokens: &[String]) -> Option<usize> {
    (0..tokens.len()).find_map(|i| {
        let t = tokens[i].as_str();
        let string_map = match t {
            "annotations" | "labels" => i > 0 && tokens[i - 1] == "metadata",
            "matchLabels" | "nodeSelector" => true,
            _ => false,
        };
        (string_map && tokens.len() > i + 2).then_some(i + 1)
    })
}

/// Byte offset in `pointer` where token `n` starts (after its `/`).
fn token_offset(pointer: &str, n: usize) -> usize {
    pointer
        .match_indices('/')
        .nth(n)
        .map_or(pointer.len(), |(i, _)| i + 1)
}

// ---------------------------------------------------------------------------------------
// The analysis

/// Which rules are being evaluated: the Application's own, or argocd-cm's.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Scope {
    App,
    System,
}

/// Findings about the way the strings are written, independent of resources: IGN001,
/// IGN002, IGN008, IGN009. Returns per rule and entry whether the entry can be
/// evaluated (a valid pointer, a compiled expression).
fn written_checks(
    set: &RuleSet,
    scope: Scope,
    owner: &str,
    out: &mut Vec<Diagnostic>,
) -> Vec<(Vec<bool>, Vec<Option<JqExpr>>)> {
    let mut usable = Vec::new();
    for (rule, w) in set.rules.iter().zip(&set.written) {
        if w.empty && scope == Scope::App {
            out.push(Diagnostic::new(
                "IGN008",
                w.head,
                format!(
                    "this ignoreDifferences rule of {owner} names no jsonPointers, jqPathExpressions or managedFieldsManagers, so it ignores nothing: Argo CD still compares every field of the {} it selects",
                    if rule.kind.is_empty() { "resources" } else { rule.kind.as_str() }
                ),
            ).with_label("nothing to ignore"));
        }
        let mut ok_pointers = Vec::new();
        for (i, p) in rule.json_pointers.iter().enumerate() {
            let loc = w.pointers.get(i);
            match pointer::parse_pointer(p) {
                Err(e) => {
                    if let Some(loc) = loc {
                        let label = match e.kind {
                            PointerErrorKind::WholeDocument => "the whole object",
                            PointerErrorKind::MissingLeadingSlash => "no leading '/'",
                            PointerErrorKind::BadEscape => "not an escape",
                        };
                        let head = if e.message.starts_with("JSON pointer") {
                            e.message.clone()
                        } else {
                            format!("JSON pointer '{p}' is not RFC 6901: {}", e.message)
                        };
                        let outcome = if e.kind.argo_cd_applies(p) {
                            "; the field it was meant to ignore is still compared"
                        } else {
                            ""
                        };
                        out.push(
                            Diagnostic::new(
                                "IGN001",
                                loc.sub(e.range.clone()),
                                format!("{head}{outcome}"),
                            )
                            .with_label(label),
                        );
                    }
                    ok_pointers.push(false);
                }
                Ok(tokens) => {
                    if let Some(at) = split_key(&tokens) {
                        if let Some(loc) = loc {
                            let key = tokens[at..].join("/");
                            let fixed = pointer::pointer_from_tokens(
                                &tokens[..at]
                                    .iter()
                                    .cloned()
                                    .chain([key.clone()])
                                    .collect::<Vec<_>>(),
                            );
                            let parent = &tokens[at - 1];
                            out.push(
                                Diagnostic::new(
                                    "IGN009",
                                    loc.sub(token_offset(p, at)..p.len()),
                                    format!(
                                        "JSON pointer '{p}' goes below the {parent} entry '{}', but {parent} values are strings: it names nothing, and Argo CD skips it; the key '{key}' is written '{fixed}'",
                                        tokens[at]
                                    ),
                                )
                                .with_label(format!("one key '{key}'"))
                                .with_help(format!("Write the '/' inside the key as '~1': '{fixed}'.")),
                            );
                        }
                        ok_pointers.push(false);
                    } else {
                        ok_pointers.push(true);
                    }
                }
            }
        }
        let mut compiled = Vec::new();
        for (i, e) in rule.jq_path_expressions.iter().enumerate() {
            match jq::compile(e) {
                Ok(c) => compiled.push(Some(c)),
                Err(err) => {
                    if let Some(loc) = w.jq.get(i) {
                        let breaks = match scope {
                            Scope::App => format!(
                                "Argo CD cannot build the diff normaliser of {owner}, so comparing any of its resources fails (ComparisonError)"
                            ),
                            Scope::System => "Argo CD cannot build the diff normaliser of any Application, so comparing their resources fails (ComparisonError)".to_owned(),
                        };
                        out.push(
                            Diagnostic::new(
                                "IGN002",
                                loc.sub(err.range.clone()),
                                format!(
                                    "jq expression '{}' does not compile: {}; {breaks}",
                                    e.trim(),
                                    err.message
                                ),
                            )
                            .with_label(err.message.clone()),
                        );
                    }
                    compiled.push(None);
                }
            }
        }
        usable.push((ok_pointers, compiled));
    }
    usable
}

/// What one entry removed from the resources it selects.
struct EntryResult<'r, 'a> {
    tried: Vec<&'r Res<'a>>,
    removed_from: Vec<&'r Res<'a>>,
    evidence: Option<String>,
}

fn eval_pointer<'r, 'a>(p: &str, selected: &[&'r Res<'a>]) -> EntryResult<'r, 'a> {
    let mut r = EntryResult {
        tried: selected.to_vec(),
        removed_from: Vec::new(),
        evidence: None,
    };
    let tokens = pointer::argo_cd_tokens(p).unwrap_or_default();
    for res in selected {
        let mut copy = res.json().clone();
        if matches!(
            pointer::remove_pointer(&mut copy, p),
            PointerOutcome::Removed(_)
        ) {
            r.removed_from.push(res);
        } else if r.evidence.is_none() {
            r.evidence =
                pointer_evidence(res.json(), &tokens).map(|e| format!("{e} in {}", res.describe()));
        }
    }
    r
}

fn eval_jq<'r, 'a>(e: &JqExpr, selected: &[&'r Res<'a>], limits: &JqLimits) -> EntryResult<'r, 'a> {
    let mut r = EntryResult {
        tried: selected.to_vec(),
        removed_from: Vec::new(),
        evidence: None,
    };
    let mut undecided = false;
    for res in selected {
        let mut copy = res.json().clone();
        match e.apply(&mut copy, limits) {
            JqOutcome::Applied { removed, changed }
                if !removed.is_empty() || !changed.is_empty() =>
            {
                r.removed_from.push(res);
            }
            JqOutcome::Unsupported(_) | JqOutcome::TimedOut => undecided = true,
            _ => {
                if r.evidence.is_none() && !live_only_expression(e.source()) {
                    r.evidence = jq_evidence(e.source(), res.json(), limits)
                        .map(|x| format!("{x} in {}", res.describe()));
                }
            }
        }
    }
    if undecided {
        r.evidence = None;
    }
    r
}

/// IGN003, IGN004 and IGN007 for one set of rules over one Application's resources.
#[allow(clippy::too_many_arguments)]
fn evaluate(
    set: &RuleSet,
    usable: &[(Vec<bool>, Vec<Option<JqExpr>>)],
    res: &[Res<'_>],
    owner: &str,
    automated_without_respect: bool,
    limits: &JqLimits,
    out: &mut Vec<Diagnostic>,
) {
    for (ri, (rule, w)) in set.rules.iter().zip(&set.written).enumerate() {
        let selected: Vec<&Res<'_>> = res
            .iter()
            .filter(|r| rule.selects(&r.id.group, &r.id.kind, &r.id.name, &r.id.namespace))
            .collect();
        if selected.is_empty() {
            continue;
        }
        let Some((ok_pointers, compiled)) = usable.get(ri) else {
            continue;
        };
        let mut first_removing: Option<(Span, String, Vec<String>)> = None;
        for (i, p) in rule.json_pointers.iter().enumerate() {
            if !ok_pointers.get(i).copied().unwrap_or(false) {
                continue;
            }
            let Some(loc) = w.pointers.get(i) else {
                continue;
            };
            let r = eval_pointer(p, &selected);
            if !r.removed_from.is_empty() {
                if first_removing.is_none() {
                    first_removing = Some((
                        loc.span(),
                        format!("'{p}'"),
                        r.removed_from.iter().map(|x| x.describe()).collect(),
                    ));
                }
            } else if let Some(why) = r.evidence {
                out.push(
                    Diagnostic::new(
                        "IGN003",
                        loc.span(),
                        format!(
                            "JSON pointer '{p}' of {owner} removes nothing from the resources its rule selects ({}): {why}; Argo CD skips it silently, so the field it was meant to ignore is still compared",
                            names(&r.tried)
                        ),
                    )
                    .with_label("matches nothing"),
                );
            }
        }
        for (i, c) in compiled.iter().enumerate() {
            let (Some(c), Some(loc)) = (c, w.jq.get(i)) else {
                continue;
            };
            let r = eval_jq(c, &selected, limits);
            if !r.removed_from.is_empty() {
                if first_removing.is_none() {
                    first_removing = Some((
                        loc.span(),
                        format!("'{}'", c.source().trim()),
                        r.removed_from.iter().map(|x| x.describe()).collect(),
                    ));
                }
            } else if let Some(why) = r.evidence {
                out.push(
                    Diagnostic::new(
                        "IGN004",
                        loc.span(),
                        format!(
                            "jq expression '{}' of {owner} removes nothing from the resources its rule selects ({}): {why}; Argo CD skips it silently, so the field it was meant to ignore is still compared",
                            c.source().trim(),
                            names(&r.tried)
                        ),
                    )
                    .with_label("matches nothing"),
                );
            }
        }
        if automated_without_respect && let Some((span, what, from)) = first_removing {
            out.push(
                Diagnostic::new(
                    "IGN007",
                    span,
                    format!(
                        "{owner} syncs automatically and ignores {what} of {} in the diff, but without the RespectIgnoreDifferences=true sync option every sync still applies the value from Git",
                        list(&from)
                    ),
                )
                .with_label("still applied on sync"),
            );
        }
    }
}

fn list(items: &[String]) -> String {
    let mut v: Vec<String> = items.iter().take(NAMES_SHOWN).cloned().collect();
    if items.len() > NAMES_SHOWN {
        v.push(format!("{} more", items.len() - NAMES_SHOWN));
    }
    match v.len() {
        0 => String::new(),
        1 => v.remove(0),
        n => {
            let last = v.remove(n - 1);
            format!("{} and {last}", v.join(", "))
        }
    }
}

fn is_glob(s: &str) -> bool {
    s.contains(['*', '?', '[', '{', '\\'])
}

/// IGN005 for the Application's own rules.
fn selection_checks(
    set: &RuleSet,
    res: &[Res<'_>],
    known: bool,
    owner: &str,
    out: &mut Vec<Diagnostic>,
) {
    for (rule, w) in set.rules.iter().zip(&set.written) {
        // Without a kind the API server rejects the Application (APP001).
        if rule.kind.is_empty() {
            continue;
        }
        // A group that contradicts a well-known kind, resources known or not.
        let groups = if is_glob(&rule.kind) {
            Vec::new()
        } else {
            well_known_groups(&rule.kind)
        };
        let contradicts =
            !groups.is_empty() && !is_glob(&rule.group) && !groups.contains(&rule.group.as_str());
        let selects_any = res
            .iter()
            .any(|r| rule.selects(&r.id.group, &r.id.kind, &r.id.name, &r.id.namespace));
        if selects_any || (!known && !contradicts) {
            continue;
        }
        let show = |g: &str| {
            if g.is_empty() {
                "\"\" (core)".to_owned()
            } else {
                format!("'{g}'")
            }
        };
        if contradicts {
            let right: Vec<String> = groups.iter().map(|g| show(g)).collect();
            out.push(
                Diagnostic::new(
                    "IGN005",
                    w.group.or(w.kind).unwrap_or(w.head),
                    format!(
                        "this ignoreDifferences rule of {owner} selects group {} and kind '{}', but {} is served by the API group {}: the rule matches no resource, and Argo CD applies it to nothing",
                        show(&rule.group),
                        rule.kind,
                        rule.kind,
                        right.join(" or ")
                    ),
                )
                .with_label(format!("{} is in {}", rule.kind, right.join(" or ")))
                .with_help(format!(
                    "Set group: {} (the part of apiVersion before the '/'; empty for core kinds).",
                    groups.first().map_or("\"\"", |g| if g.is_empty() { "\"\"" } else { g })
                )),
            );
            continue;
        }
        // Which field keeps the rule from selecting: name or namespace when group and
        // kind match something, else the group when the kind matches, else the kind.
        let gk: Vec<&Res<'_>> = res
            .iter()
            .filter(|r| {
                rule.selects(&r.id.group, &r.id.kind, "", "") || {
                    let loose = IgnoreRule {
                        name: String::new(),
                        namespace: String::new(),
                        ..rule.clone()
                    };
                    loose.selects(&r.id.group, &r.id.kind, &r.id.name, &r.id.namespace)
                }
            })
            .collect();
        let (span, why) = if !gk.is_empty() {
            if !rule.name.is_empty() && !gk.iter().any(|r| r.id.name == rule.name) {
                let names: Vec<&str> = gk.iter().map(|r| r.id.name.as_str()).collect();
                let near = did_you_mean(&rule.name, &names)
                    .map(|n| format!(" (did you mean '{n}'?)"))
                    .unwrap_or_default();
                (
                    w.name.unwrap_or(w.head),
                    format!("no {} is named '{}'{near}", rule.kind, rule.name),
                )
            } else {
                let nss: Vec<&str> = gk.iter().map(|r| r.id.namespace.as_str()).collect();
                (
                    w.namespace.unwrap_or(w.head),
                    format!(
                        "no {} '{}' is in namespace '{}' (they are in {})",
                        rule.kind,
                        rule.name,
                        rule.namespace,
                        nss.iter()
                            .map(|n| if n.is_empty() {
                                "no namespace".to_owned()
                            } else {
                                format!("'{n}'")
                            })
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            }
        } else {
            let by_kind: Vec<&Res<'_>> = res
                .iter()
                .filter(|r| crate::argo::glob::matches(&rule.kind, &r.id.kind, &[]))
                .collect();
            if let Some(r) = by_kind.first() {
                (
                    w.group.or(w.kind).unwrap_or(w.head),
                    format!(
                        "the {} resources of the Application are in group {}",
                        r.id.kind,
                        show(&r.id.group)
                    ),
                )
            } else {
                let kinds: Vec<&str> = res.iter().map(|r| r.id.kind.as_str()).collect();
                let near = did_you_mean(&rule.kind, &kinds)
                    .map(|k| format!(" (did you mean '{k}'?)"))
                    .unwrap_or_default();
                (
                    w.kind.unwrap_or(w.head),
                    if res.is_empty() {
                        "the Application has no resources".to_owned()
                    } else {
                        format!("it has no resource of kind '{}'{near}", rule.kind)
                    },
                )
            }
        };
        out.push(
            Diagnostic::new(
                "IGN005",
                span,
                format!(
                    "this ignoreDifferences rule of {owner} selects none of its resources: {why}; Argo CD applies it to nothing"
                ),
            )
            .with_label("selects no resource"),
        );
    }
}

/// IGN006: workloads whose replicas an autoscaler of the same Application manages.
fn replicas_checks(
    cx: &Ctx<'_>,
    res: &[Res<'_>],
    normalizer: Option<&Normalizer>,
    lookup: &IgnoreLookup,
    owner: &str,
    out: &mut Vec<Diagnostic>,
) {
    for scaler in res {
        let hpa = scaler.id.group == "autoscaling" && scaler.id.kind == "HorizontalPodAutoscaler";
        let keda = scaler.id.group == "keda.sh" && scaler.id.kind == "ScaledObject";
        if !hpa && !keda {
            continue;
        }
        let Some(target) = scaler.object.spec().and_then(|s| s.get("scaleTargetRef")) else {
            continue;
        };
        let t_name = target.get("name").and_then(|n| n.as_str()).unwrap_or("");
        // KEDA defaults the kind to Deployment.
        let t_kind = target
            .get("kind")
            .and_then(|n| n.as_str())
            .unwrap_or(if keda { "Deployment" } else { "" });
        let t_group = target
            .get("apiVersion")
            .and_then(|n| n.as_str())
            .map(|v| v.split_once('/').map_or("", |(g, _)| g));
        for w in res {
            let workload = matches!(
                (w.id.group.as_str(), w.id.kind.as_str()),
                ("apps", "Deployment" | "StatefulSet") | ("argoproj.io", "Rollout")
            );
            if !workload
                || w.id.kind != t_kind
                || w.id.name != t_name
                || w.id.namespace != scaler.id.namespace
                || t_group.is_some_and(|g| g != w.id.group)
            {
                continue;
            }
            let Some(replicas) = w.object.spec().and_then(|s| s.get("replicas")) else {
                continue;
            };
            // A normaliser that cannot be built (IGN002) breaks the whole diff anyway.
            let Some(normalizer) = normalizer else {
                continue;
            };
            if replicas_ignored(normalizer, lookup, w.json()).is_some() {
                continue;
            }
            let scaler_what = if hpa {
                format!("HorizontalPodAutoscaler '{}'", scaler.id.name)
            } else {
                format!("KEDA ScaledObject '{}'", scaler.id.name)
            };
            out.push(
                Diagnostic::new(
                    "IGN006",
                    w.object.span(replicas),
                    format!(
                        "{} sets spec.replicas while {scaler_what} of {owner} scales it, and no ignoreDifferences rule removes /spec/replicas: Argo CD reports the autoscaled replica count as OutOfSync, and every sync resets it to the value from Git",
                        w.describe()
                    ),
                )
                .with_label("managed by the autoscaler")
                .with_related(
                    scaler.object.span(target),
                    format!("{scaler_what} scales {}", w.describe()),
                )
                .with_object(Some(w.object.object_ref())),
            );
        }
    }
    let _ = cx;
}

/// Every IGN finding of the run.
pub fn analyze(cx: &Ctx<'_>) -> Vec<Diagnostic> {
    let system: &System = cx.ignore_system();
    let limits = JqLimits::default();
    let mut out = Vec::new();
    // The system-level entries, once: how they are written (IGN001, IGN002, IGN008,
    // IGN009).
    let sys_usable = written_checks(&system.set, Scope::System, "argocd-cm", &mut out);
    for (key, span) in &system.empty {
        out.push(
            Diagnostic::new(
                "IGN008",
                *span,
                format!(
                    "argocd-cm entry '{key}' names no jsonPointers, jqPathExpressions or managedFieldsManagers, so it ignores nothing"
                ),
            )
            .with_label("nothing to ignore"),
        );
    }
    let per_app: Vec<Vec<Diagnostic>> = cx
        .model
        .apps
        .par_iter()
        .map(|app| {
            let mut out = Vec::new();
            let set = app_rules(cx.repo, app.object);
            let has_scaler = app
                .resources
                .iter()
                .filter_map(|&i| cx.repo.objects.get(i))
                .any(|o| {
                    (o.group() == "autoscaling" && o.kind == "HorizontalPodAutoscaler")
                        || (o.group() == "keda.sh" && o.kind == "ScaledObject")
                });
            // Most Applications have neither rules nor autoscalers: nothing to copy.
            if set.rules.is_empty() && !has_scaler && system.set.rules.is_empty() {
                return out;
            }
            let res = resources(cx, app);
            // A generated Application is named by the finding's suffix, with its
            // parameters; a neutral owner lets the copies from one template line merge.
            let owner = if app.object.generated.is_some() {
                "the generated Application".to_owned()
            } else {
                format!("Application '{}'", app.name)
            };
            let usable = written_checks(&set, Scope::App, &owner, &mut out);
            let known = app.gaps.is_empty();
            selection_checks(&set, &res, known, &owner, &mut out);
            let a = app.app();
            let automated_without_respect =
                a.is_automated() && !a.has_sync_option("RespectIgnoreDifferences=true");
            let normalizer = Normalizer::new(&set.rules, &system.set.rules).ok();
            let lookup = IgnoreLookup::new(&set.rules, &system.set.rules);
            let needs_jq = set.rules.iter().any(|r| !r.jq_path_expressions.is_empty())
                || system
                    .set
                    .rules
                    .iter()
                    .any(|r| !r.jq_path_expressions.is_empty());
            let work = |out: &mut Vec<Diagnostic>| {
                evaluate(
                    &set,
                    &usable,
                    &res,
                    &owner,
                    automated_without_respect,
                    &limits,
                    out,
                );
                replicas_checks(cx, &res, normalizer.as_ref(), &lookup, &owner, out);
            };
            if needs_jq {
                let mut local = Vec::new();
                // Without a worker thread (none could be started) the jq findings of
                // this Application are missing, never wrong.
                if jq::with_jq_worker(|| work(&mut local)).is_ok() {
                    out.append(&mut local);
                }
            } else {
                work(&mut out);
            }
            // A finding about the Application's rules is about the Application (which
            // names a generated one and its parameters); the autoscaler findings already
            // name the workload.
            for d in &mut out {
                if d.object.is_none() {
                    d.object = Some(app.object.object_ref());
                }
            }
            out
        })
        .collect();
    out.extend(per_app.into_iter().flatten());
    // System-level entries, once, against the resources of every Application whose
    // resources are all known (each resource once, with its Application's namespace).
    if !system.set.rules.is_empty() {
        let mut seen = vec![false; cx.repo.objects.len()];
        let mut all: Vec<Res<'_>> = Vec::new();
        for app in cx.model.apps.iter().filter(|a| a.gaps.is_empty()) {
            for (r, &i) in resources(cx, app).into_iter().zip(&app.resources) {
                if let Some(s) = seen.get_mut(i)
                    && !*s
                {
                    *s = true;
                    all.push(r);
                }
            }
        }
        let needs_jq = system
            .set
            .rules
            .iter()
            .any(|r| !r.jq_path_expressions.is_empty());
        let work = |out: &mut Vec<Diagnostic>| {
            evaluate(
                &system.set,
                &sys_usable,
                &all,
                "argocd-cm",
                false,
                &limits,
                out,
            );
        };
        if needs_jq {
            let mut local = Vec::new();
            if jq::with_jq_worker(|| work(&mut local)).is_ok() {
                out.append(&mut local);
            }
        } else {
            work(&mut out);
        }
    }
    out
}

fn take(cx: &Ctx<'_>, code: &str, out: &mut Vec<Diagnostic>) {
    out.extend(
        cx.ignore_findings(analyze)
            .iter()
            .filter(|d| d.code == code)
            .cloned(),
    );
}

/// The check of each IGN rule: its code's findings from the one analysis.
macro_rules! checks {
    ($($name:ident => $code:literal),* $(,)?) => {
        $(
            pub fn $name(cx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
                take(cx, $code, out);
            }
        )*
    };
}

checks! {
    check_ign001 => "IGN001",
    check_ign002 => "IGN002",
    check_ign003 => "IGN003",
    check_ign004 => "IGN004",
    check_ign005 => "IGN005",
    check_ign006 => "IGN006",
    check_ign007 => "IGN007",
    check_ign008 => "IGN008",
    check_ign009 => "IGN009",
}
