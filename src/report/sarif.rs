//! SARIF 2.1.0 for GitHub code scanning and other SARIF consumers.
//!
//! One run; the driver lists every rule of the catalogue (so `ruleIndex` is stable for
//! a given catalogue) with its short and full description, help text and markdown, help
//! URI, default level and category tag. Each result has one physical location whose
//! `artifactLocation.uri` is relative to the root of the git work tree (`%SRCROOT%`),
//! percent-encoded, and a region with start and end line and column (columns count
//! Unicode code points, `columnKind: unicodeCodePoints`; ends are exclusive, as SARIF
//! wants). Related locations carry their messages. `partialFingerprints` holds the
//! line-independent fingerprint of [`crate::baseline`].
//!
//! CI validates this output with Microsoft's SARIF Multitool, including GitHub's
//! ingestion rules (tests/sarif.rs).

use super::{Input, region_range};
use crate::baseline::SCHEME;
use crate::diagnostic::{Diagnostic, Severity};
use crate::engine::catalogue::RuleMeta;
use crate::source::Span;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// Related locations per result that GitHub accepts.
pub const MAX_RELATED_LOCATIONS: usize = 1000;

/// The URI base every artifact location is relative to.
pub const SRCROOT: &str = "%SRCROOT%";

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// The text of a documentation section, without its heading, trimmed.
fn doc_section<'a>(docs: &'a str, heading: &str) -> Option<&'a str> {
    let start = docs.find(heading)? + heading.len();
    let rest = &docs[start..];
    let end = rest.find("\n## ").unwrap_or(rest.len());
    let text = rest[..end].trim();
    (!text.is_empty()).then_some(text)
}

/// Percent-encodes a relative path for a URI: everything but unreserved characters and
/// `/` (RFC 3986), byte by byte, so spaces, `%`, `#` and non-ASCII names survive.
pub fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn rule(r: &RuleMeta) -> Value {
    let full = doc_section(&r.docs, "## What it does").unwrap_or(&r.summary);
    let mut tags = vec![r.category.clone()];
    if r.category == "security" {
        tags.push("security".to_owned());
    }
    tags.dedup();
    json!({
        "id": r.code,
        "name": r.name,
        "shortDescription": {"text": r.summary},
        "fullDescription": {"text": full},
        "help": {"text": r.help, "markdown": r.docs},
        "helpUri": r.help_uri(),
        "defaultConfiguration": {"level": level(r.severity)},
        "properties": {"tags": tags},
    })
}

/// An artifact location for a report path: relative to `%SRCROOT%`, or an absolute
/// `file://` URI for a file outside the linted directory.
fn artifact(input: &Input<'_>, span: Span) -> Value {
    let rel = &input.db.get(span.file).rel_path;
    if rel.starts_with('/') {
        json!({"uri": format!("file://{}", encode_path(rel))})
    } else {
        json!({"uri": encode_path(&format!("{}{rel}", input.root_prefix)), "uriBaseId": SRCROOT})
    }
}

fn location(input: &Input<'_>, span: Span, message: Option<&str>) -> Value {
    let (s, e) = region_range(input.db, span);
    let mut v = json!({
        "physicalLocation": {
            "artifactLocation": artifact(input, span),
            "region": {
                "startLine": s.line,
                "startColumn": s.column,
                "endLine": e.line,
                "endColumn": e.column,
            },
        }
    });
    if let Some(m) = message {
        v["message"] = json!({"text": m});
    }
    v
}

fn result(
    input: &Input<'_>,
    d: &Diagnostic,
    fingerprint: Option<&String>,
    rules: &BTreeMap<&str, (usize, &RuleMeta)>,
) -> Value {
    let rule = rules.get(d.code.as_str());
    // The rule's help is in the driver; a finding-specific one ("Did you mean …?") goes
    // with the message.
    let mut text = d.message.clone();
    if let Some(h) = &d.help
        && rule.is_none_or(|(_, r)| &r.help != h)
    {
        text.push_str("\n\n");
        text.push_str(h);
    }
    let mut r = json!({
        "ruleId": d.code,
        "level": level(d.severity),
        "message": {"text": text},
        "locations": [location(input, d.primary.span, d.primary.message.as_deref())],
    });
    if let Some((i, _)) = rule {
        r["ruleIndex"] = json!(i);
    }
    if let Some(fp) = fingerprint {
        r["partialFingerprints"] = json!({ SCHEME: fp });
    }
    if let Some(o) = &d.object {
        r["properties"] = json!({"object": o});
    }
    if !d.related.is_empty() {
        r["relatedLocations"] = Value::Array(
            d.related
                .iter()
                .take(MAX_RELATED_LOCATIONS)
                .enumerate()
                .map(|(i, l)| {
                    let mut v = location(
                        input,
                        l.span,
                        Some(l.message.as_deref().unwrap_or("related location")),
                    );
                    v["id"] = json!(i + 1);
                    v
                })
                .collect(),
        );
    }
    r
}

pub fn render(input: &Input<'_>) -> String {
    let catalogue = input.catalogue.rules();
    let rules: BTreeMap<&str, (usize, &RuleMeta)> = catalogue
        .iter()
        .enumerate()
        .map(|(i, r)| (r.code.as_str(), (i, *r)))
        .collect();
    let results: Vec<Value> = input
        .diagnostics
        .iter()
        .enumerate()
        .map(|(i, d)| result(input, d, input.fingerprints.get(i), &rules))
        .collect();
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "kubectl-gitops",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/kubectl-gitops/kubectl-gitops",
                "rules": catalogue.iter().map(|r| rule(r)).collect::<Vec<_>>(),
            }},
            "originalUriBaseIds": {
                SRCROOT: {"description": {"text": "The root of the repository's git work tree"}}
            },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_percent_encoded() {
        assert_eq!(
            encode_path("apps/a b/ç#1%.yaml"),
            "apps/a%20b/%C3%A7%231%25.yaml"
        );
        assert_eq!(encode_path("apps/x-y_z~1.yaml"), "apps/x-y_z~1.yaml");
    }

    #[test]
    fn doc_sections() {
        let docs = "## What it does\nChecks a.\n\n## Why is this bad?\nB.\n";
        assert_eq!(doc_section(docs, "## What it does"), Some("Checks a."));
        assert_eq!(doc_section(docs, "## Why is this bad?"), Some("B."));
        assert_eq!(doc_section(docs, "## Example"), None);
    }
}
