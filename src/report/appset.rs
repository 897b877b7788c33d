//! `appset generate`: the Applications the repository's ApplicationSets generate, as a
//! JSON array or a YAML stream sorted by namespace and name (product.md §4.1), plus the
//! notes for sets that failed or were only partly expanded.

use crate::argo::appset::inputs::RepoExpansion;
use crate::load::yaml::{Typed, resolve_plain};
use serde_json::Value;
use std::fmt::Write as _;

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
    let mut out = String::new();
    for (i, app) in apps.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        write_block(app, 0, &mut out);
    }
    out
}

/// Writes a mapping or sequence in block style at `indent`, or a scalar line.
fn write_block(v: &Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, x) in m {
                let _ = write!(out, "{pad}{}:", key_string(k));
                write_member(x, indent, out);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for x in items {
                let _ = write!(out, "{pad}-");
                match x {
                    Value::Object(m) if !m.is_empty() => {
                        // The first member shares the dash's line.
                        let mut inner = String::new();
                        write_block(x, indent + 2, &mut inner);
                        out.push(' ');
                        out.push_str(inner.trim_start());
                    }
                    Value::Array(a) if !a.is_empty() => {
                        let mut inner = String::new();
                        write_block(x, indent + 2, &mut inner);
                        out.push(' ');
                        out.push_str(inner.trim_start());
                    }
                    _ => {
                        out.push(' ');
                        out.push_str(&scalar(x, indent + 2));
                        out.push('\n');
                    }
                }
            }
        }
        other => {
            out.push_str(&pad);
            out.push_str(&scalar(other, indent));
            out.push('\n');
        }
    }
}

/// The value of a mapping member whose `key:` is written.
fn write_member(x: &Value, indent: usize, out: &mut String) {
    match x {
        Value::Object(m) if !m.is_empty() => {
            out.push('\n');
            write_block(x, indent + 2, out);
        }
        // go-yaml style: a sequence under a key is not indented further.
        Value::Array(a) if !a.is_empty() => {
            out.push('\n');
            write_block(x, indent, out);
        }
        _ => {
            out.push(' ');
            out.push_str(&scalar(x, indent + 2));
            out.push('\n');
        }
    }
}

fn scalar(v: &Value, indent: usize) -> String {
    match v {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => scalar_string(s, indent),
        Value::Array(_) => "[]".to_owned(),
        Value::Object(_) => "{}".to_owned(),
    }
}

/// A string as a plain scalar when YAML reads it back as the same string, a literal block
/// for multi-line text, double-quoted otherwise.
fn scalar_string(s: &str, indent: usize) -> String {
    if is_plain_safe(s) {
        return s.to_owned();
    }
    if s.contains('\n') && literal_safe(s) {
        let body = s.strip_suffix('\n').unwrap_or(s);
        let chomp = if !s.ends_with('\n') {
            "-"
        } else if body.ends_with('\n') {
            "+"
        } else {
            ""
        };
        let pad = " ".repeat(indent);
        let mut out = format!("|{chomp}");
        for line in body.split('\n') {
            out.push('\n');
            if !line.is_empty() {
                out.push_str(&pad);
                out.push_str(line);
            }
        }
        return out;
    }
    serde_json::to_string(s).unwrap_or_default()
}

/// A mapping key: plain or double-quoted, never a block.
fn key_string(s: &str) -> String {
    if is_plain_safe(s) {
        s.to_owned()
    } else {
        serde_json::to_string(s).unwrap_or_default()
    }
}

fn is_plain_safe(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if resolve_plain(s) != Typed::Str || s == "=" || s == "<<" {
        return false;
    }
    if "-?:,[]{}#&*!|>'\"%@`".contains(first) || first.is_whitespace() {
        return false;
    }
    if s.ends_with(':') || s.ends_with(char::is_whitespace) {
        return false;
    }
    if s.contains(": ") || s.contains(" #") || s.contains('\t') {
        return false;
    }
    !s.chars()
        .any(|c| c.is_control() || c == '\u{feff}' || c == '\u{2028}' || c == '\u{2029}')
}

/// Text a literal block can carry: printable, no carriage return, first line not
/// indented (it would need an indentation indicator).
fn literal_safe(s: &str) -> bool {
    !s.starts_with([' ', '\t'])
        && !s.starts_with('\n')
        && s.chars().all(|c| c == '\n' || !c.is_control())
        && !s.contains('\u{feff}')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn round_trip(v: &Value) -> Value {
        let text = yaml(&[v]);
        let parsed = crate::load::yaml::parse(&text);
        assert!(parsed.problems.is_empty(), "{text}\n{:?}", parsed.problems);
        parsed
            .documents
            .first()
            .map(|d| d.root.to_json())
            .unwrap_or(Value::Null)
    }

    #[test]
    fn yaml_reads_back_as_the_same_json() {
        let v = json!({
            "apiVersion": "argoproj.io/v1alpha1",
            "metadata": {
                "name": "a",
                "labels": {"yes": "no", "on": "1", "num": "0755", "x": "{{cluster}}", "e": ""},
                "finalizers": ["resources-finalizer.argocd.argoproj.io"],
                "annotations": {"a: b": "c #d", "t": "tab\there", "k": "- dash", "n": "null"}
            },
            "spec": {
                "empty": {},
                "none": [],
                "nil": null,
                "flag": true,
                "n": 3,
                "f": 1.5,
                "nested": [[1, 2], [], {"a": [{"b": "c"}]}],
                "helm": {"values": "replicas: 2\nimage:\n  tag: v1\n", "trailing": "a\nb", "kept": "a\n\n\n", "lead": "  x\ny"},
                "multi": [{"name": "x", "value": "y"}, {"name": "z"}],
                "quote": "it's \"quoted\"",
                "unicode": "héllo ✓",
                "colon": "a:b",
                "url": "https://kubernetes.default.svc"
            }
        });
        assert_eq!(round_trip(&v), v);
    }

    #[test]
    fn yaml_style() {
        let v = json!({"metadata": {"name": "a", "finalizers": ["f"]}, "spec": {"list": [{"a": 1, "b": 2}]}});
        assert_eq!(
            yaml(&[&v, &v]).split("---\n").next().unwrap_or(""),
            "metadata:\n  name: a\n  finalizers:\n  - f\nspec:\n  list:\n  - a: 1\n    b: 2\n"
        );
    }
}
