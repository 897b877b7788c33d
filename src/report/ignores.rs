//! `kubectl gitops ignores --app NAME`: what an Application's ignoreDifferences rules (its
//! own and argocd-cm's system-level entries) really remove from each of its resources,
//! evaluated with the normaliser Argo CD uses (semantics §4). Only JSON pointers of the
//! removed fields are shown, never their values, so a Secret's data never appears.

use crate::argo::ignore_differences::jq::{JqCompileError, JqOutcome};
use crate::argo::ignore_differences::pointer::PointerOutcome;
use crate::argo::ignore_differences::{
    Entry, IgnoreRule, Normalizer, ObjectId, Outcome, RuleOrigin, compilable_rules,
};
use crate::model::ignores::{app_rules, read_system};
use crate::model::{Model, Repo};
use serde_json::{Value, json};

/// One entry of one rule, as it applies to one resource.
#[derive(Clone, Debug, PartialEq)]
pub struct EntryOut {
    /// Index into [`Preview::rules`].
    pub rule: usize,
    /// `jsonPointers[0]`, `jqPathExpressions[1]`.
    pub entry: String,
    pub text: String,
    /// `removed`, `nothing`, `skipped: …`.
    pub outcome: String,
    /// JSON pointers of the removed (or, for escape-form jq, rewritten) fields.
    pub removed: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ResourceOut {
    pub group: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub file: Option<String>,
    pub line: Option<usize>,
    pub entries: Vec<EntryOut>,
    /// `managedFieldsManagers` that apply to it (they act on the live object only).
    pub managers: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RuleOut {
    /// `spec.ignoreDifferences[0]` or `argocd-cm resource.customizations.ignoreDifferences.all`.
    pub origin: String,
    pub group: String,
    pub kind: String,
    pub name: String,
    pub namespace: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Preview {
    pub namespace: String,
    pub name: String,
    pub rules: Vec<RuleOut>,
    /// jq expressions that do not compile: Argo CD then compares nothing of the
    /// Application (ComparisonError); the preview shows what the rest would do.
    pub broken: Vec<String>,
    pub resources: Vec<ResourceOut>,
    /// Resources no rule selects.
    pub untouched: usize,
    /// Whether some resources are not known offline.
    pub partial: bool,
}

fn origin(rule: &IgnoreRule) -> String {
    match &rule.origin {
        RuleOrigin::Application { index } => format!("spec.ignoreDifferences[{index}]"),
        RuleOrigin::Override {
            key,
            data_key,
            status_from_compare_options,
            ..
        } => match data_key {
            Some(k) if k == "resource.customizations" => {
                format!("argocd-cm resource.customizations['{key}']")
            }
            Some(k) => format!("argocd-cm {k}"),
            None if *status_from_compare_options => {
                "argocd-cm resource.compareoptions (ignoreResourceStatusField)".to_owned()
            }
            None => format!("argocd-cm '{key}'"),
        },
    }
}

/// Builds the preview of Application `app` (index into `model.apps`).
pub fn build(repo: &Repo, model: &Model<'_>, app: usize) -> Option<Preview> {
    let node = model.apps.get(app)?;
    let own = app_rules(repo, node.object);
    let system = read_system(repo, model);
    // Rules as Argo CD combines them; expressions that do not compile are left out (and
    // listed), so the rest can be shown.
    let mut broken = Vec::new();
    let mut note_broken = |r: &IgnoreRule, e: &str, err: &JqCompileError| {
        broken.push(format!("{}: '{}': {}", origin(r), e.trim(), err.message));
    };
    let app_rules = compilable_rules(&own.rules, &mut note_broken);
    let overrides = compilable_rules(&system.set.rules, &mut note_broken);
    let normalizer = Normalizer::new(&app_rules, &overrides).ok()?;
    let lookup = crate::argo::ignore_differences::IgnoreLookup::new(&app_rules, &overrides);
    let rules: Vec<RuleOut> = normalizer
        .rules()
        .iter()
        .map(|r| RuleOut {
            origin: origin(r),
            group: r.group.clone(),
            kind: r.kind.clone(),
            name: r.name.clone(),
            namespace: r.namespace.clone(),
        })
        .collect();
    let dest = node.destination_namespace();
    let mut resources = Vec::new();
    let mut untouched = 0;
    let mut evaluate = || {
        for &i in &node.resources {
            let Some(o) = repo.objects.get(i) else {
                continue;
            };
            let mut obj = o.json().clone();
            if model.namespaced(o.group(), &o.kind) != Some(false)
                && o.namespace.is_none()
                && !dest.is_empty()
                && let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut)
            {
                meta.insert("namespace".into(), Value::String(dest.to_owned()));
            }
            let id = ObjectId::of(&obj);
            let managers = lookup.managers(&id.group, &id.kind, &id.name, &id.namespace);
            let report = normalizer.normalize_report(&mut obj);
            if report.applied.is_empty() && managers.is_empty() {
                untouched += 1;
                continue;
            }
            let entries = report
                .applied
                .iter()
                .map(|a| {
                    let rule = &normalizer.rules()[a.rule];
                    let (entry, text) = match a.entry {
                        Entry::Pointer(k) => (
                            format!("jsonPointers[{k}]"),
                            rule.json_pointers.get(k).cloned().unwrap_or_default(),
                        ),
                        Entry::Jq(k) => (
                            format!("jqPathExpressions[{k}]"),
                            rule.jq_path_expressions
                                .get(k)
                                .map(|e| e.trim().to_owned())
                                .unwrap_or_default(),
                        ),
                    };
                    let outcome = match &a.outcome {
                        Outcome::Pointer(PointerOutcome::Removed(_)) => "removed".to_owned(),
                        Outcome::Pointer(PointerOutcome::Missing) => {
                            "nothing: not in the manifest".to_owned()
                        }
                        Outcome::Pointer(PointerOutcome::Invalid(why)) => {
                            format!("skipped: {why}")
                        }
                        Outcome::Jq(JqOutcome::Applied { removed, changed }) => {
                            if removed.is_empty() && changed.is_empty() {
                                "nothing: matches nothing in the manifest".to_owned()
                            } else {
                                "removed".to_owned()
                            }
                        }
                        Outcome::Jq(JqOutcome::NoOutput) => {
                            "skipped: JQ patch did not return any data".to_owned()
                        }
                        Outcome::Jq(JqOutcome::MultipleOutputs) => {
                            "skipped: JQ patch returned multiple objects".to_owned()
                        }
                        Outcome::Jq(JqOutcome::RuntimeError(e)) => {
                            format!("skipped: JQ patch returned error: {e}")
                        }
                        Outcome::Jq(JqOutcome::TimedOut) => {
                            "skipped: JQ patch execution timed out".to_owned()
                        }
                        Outcome::Jq(JqOutcome::Unsupported(why)) => {
                            format!("not evaluated: {why}")
                        }
                    };
                    let mut removed = a.removed.clone();
                    if let Outcome::Jq(JqOutcome::Applied { changed, .. }) = &a.outcome {
                        removed.extend(changed.iter().cloned());
                    }
                    EntryOut {
                        rule: a.rule,
                        entry,
                        text,
                        outcome,
                        removed,
                    }
                })
                .collect();
            let (file, line) = super::waves::location(repo, o);
            resources.push(ResourceOut {
                group: id.group,
                kind: id.kind,
                namespace: id.namespace,
                name: id.name,
                file,
                line,
                entries,
                managers,
            });
        }
    };
    let needs_jq = normalizer
        .rules()
        .iter()
        .any(|r| !r.jq_path_expressions.is_empty());
    if needs_jq {
        // jq runs on a worker with a large stack; without one, nothing is shown rather
        // than something wrong.
        crate::argo::ignore_differences::jq::with_jq_worker(&mut evaluate).ok()?;
    } else {
        evaluate();
    }
    Some(Preview {
        namespace: node.namespace.clone(),
        name: node.name.clone(),
        rules,
        broken,
        resources,
        untouched,
        partial: !node.gaps.is_empty(),
    })
}

fn resource_title(r: &ResourceOut) -> String {
    let ns = if r.namespace.is_empty() {
        String::new()
    } else {
        format!("{}/", r.namespace)
    };
    let at = match (&r.file, r.line) {
        (Some(f), Some(l)) => format!(" ({f}:{l})"),
        (Some(f), None) => format!(" ({f})"),
        _ => String::new(),
    };
    format!("{} {ns}{}{at}", r.kind, r.name)
}

/// The preview as text.
pub fn text(p: &Preview) -> String {
    let mut out = format!("Application {}/{}\n", p.namespace, p.name);
    if p.rules.is_empty() {
        out.push_str("  no ignoreDifferences rules (its own or argocd-cm's)\n");
        return out;
    }
    out.push_str("rules:\n");
    for (i, r) in p.rules.iter().enumerate() {
        let sel = |label: &str, v: &str| {
            if v.is_empty() {
                String::new()
            } else {
                format!(" {label}={v}")
            }
        };
        out.push_str(&format!(
            "  [{i}] {}: group={}{}{}{}\n",
            r.origin,
            if r.group.is_empty() { "\"\"" } else { &r.group },
            sel("kind", &r.kind),
            sel("name", &r.name),
            sel("namespace", &r.namespace),
        ));
    }
    for b in &p.broken {
        out.push_str(&format!(
            "  does not compile (Argo CD compares nothing of this Application until fixed): {b}\n"
        ));
    }
    for r in &p.resources {
        out.push('\n');
        out.push_str(&resource_title(r));
        out.push('\n');
        for e in &r.entries {
            out.push_str(&format!(
                "  [{}] {} '{}': {}\n",
                e.rule, e.entry, e.text, e.outcome
            ));
            for f in &e.removed {
                out.push_str(&format!("      - {f}\n"));
            }
        }
        if !r.managers.is_empty() {
            out.push_str(&format!(
                "  managedFieldsManagers (fields they own in the live object): {}\n",
                r.managers.join(", ")
            ));
        }
    }
    out.push_str(&format!(
        "\n{} resource(s) selected, {} not selected by any rule",
        p.resources.len(),
        p.untouched
    ));
    if p.partial {
        out.push_str("; some resources are not known offline (see GO005)");
    }
    out.push('\n');
    out
}

/// The preview as JSON.
pub fn json(p: &Preview) -> String {
    let v = json!({
        "application": {"namespace": p.namespace, "name": p.name},
        "rules": p.rules.iter().map(|r| json!({
            "origin": r.origin, "group": r.group, "kind": r.kind,
            "name": r.name, "namespace": r.namespace,
        })).collect::<Vec<_>>(),
        "notCompiling": p.broken,
        "resources": p.resources.iter().map(|r| json!({
            "group": r.group, "kind": r.kind, "namespace": r.namespace, "name": r.name,
            "file": r.file, "line": r.line,
            "entries": r.entries.iter().map(|e| json!({
                "rule": e.rule, "entry": e.entry, "text": e.text,
                "outcome": e.outcome, "removed": e.removed,
            })).collect::<Vec<_>>(),
            "managedFieldsManagers": r.managers,
        })).collect::<Vec<_>>(),
        "notSelected": p.untouched,
        "partial": p.partial,
    });
    let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
    s.push('\n');
    s
}
