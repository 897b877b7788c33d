//! `appset generate`: the Applications the repository's ApplicationSets generate, as a
//! JSON array or a YAML stream sorted by namespace and name (product.md §4.1), plus the
//! notes for sets that failed or were only partly expanded.

use crate::argo::appset::inputs::RepoExpansion;
use serde_json::Value;

/// Selects the ApplicationSets `wanted` names (`NAME` or `NAMESPACE/NAME`); all when
/// `None`. The error says what exists.
pub fn select<'a>(
    sets: &'a [RepoExpansion],
    wanted: Option<&str>,
) -> Result<Vec<&'a RepoExpansion>, String> {
    let Some(wanted) = wanted else {
        return Ok(sets.iter().collect());
    };
    let found: Vec<&RepoExpansion> = match wanted.split_once('/') {
        Some((ns, name)) => sets
            .iter()
            .filter(|s| s.namespace == ns && s.name == name)
            .collect(),
        None => sets.iter().filter(|s| s.name == wanted).collect(),
    };
    if !found.is_empty() {
        return Ok(found);
    }
    let mut all: Vec<String> = sets
        .iter()
        .map(|s| format!("{}/{}", s.namespace, s.name))
        .collect();
    all.sort();
    all.dedup();
    if all.is_empty() {
        return Err(format!(
            "no ApplicationSet named '{wanted}': the repository has no ApplicationSets"
        ));
    }
    let mut names: Vec<&str> = all.iter().map(String::as_str).collect();
    names.extend(sets.iter().map(|s| s.name.as_str()));
    let hint = crate::rules::did_you_mean(wanted, &names)
        .map(|s| format!(" (did you mean '{s}'?)"))
        .unwrap_or_default();
    Err(format!(
        "no ApplicationSet named '{wanted}'{hint}; ApplicationSets found: {}",
        all.join(", ")
    ))
}

/// The generated Applications of the selected sets, sorted by namespace and name (stable,
/// so duplicates keep generation order).
pub fn applications<'a>(sets: &[&'a RepoExpansion]) -> Vec<&'a Value> {
    let mut apps: Vec<(&str, &str, &Value)> = sets
        .iter()
        .flat_map(|s| s.expansion.apps.iter())
        .map(|a| (a.namespace.as_str(), a.name.as_str(), &a.app))
        .collect();
    apps.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    apps.into_iter().map(|(_, _, v)| v).collect()
}

/// Messages for standard error: sets that failed, generators not expanded.
pub fn notes(sets: &[&RepoExpansion]) -> Vec<String> {
    let mut out = Vec::new();
    for s in sets {
        let id = format!("{}/{}", s.namespace, s.name);
        if let Some(e) = &s.expansion.error {
            out.push(format!(
                "error: ApplicationSet {id} generates no Applications: {} (at {})",
                e.message, e.pointer
            ));
        }
        for n in &s.expansion.not_expanded {
            out.push(if n.kind == "goTemplate" {
                format!(
                    "note: ApplicationSet {id} was not expanded: {} (at {})",
                    n.reason, n.generator
                )
            } else {
                format!(
                    "note: ApplicationSet {id}: generator {} was not expanded: {}",
                    n.generator, n.reason
                )
            });
        }
    }
    out
}

pub fn json(apps: &[&Value]) -> String {
    let mut s = serde_json::to_string_pretty(apps).unwrap_or_else(|_| "[]".to_owned());
    s.push('\n');
    s
}

/// A YAML stream, one document per Application.
pub fn yaml(apps: &[&Value]) -> String {
    crate::load::emit::yaml(apps)
}
