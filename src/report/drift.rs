//! `drift` output: the lint formats, with what only drift has. Human output adds a
//! unified diff of each drifted object (repository `-`, cluster `+`, only the fields
//! compared); JSON adds a `diff` array to each LIVE001/LIVE003 diagnostic (`pointer`,
//! `desired`, `live`; a side that is not set is left out) and a top-level `live` object
//! saying what was compared. SARIF, GitHub and concise output are the lint's.
//!
//! Secret values never reach this module: the findings carry them redacted.

use super::{Input, human, json};
use crate::live::Finding;
use serde_json::{Value, json};
use std::fmt::Write as _;

/// What was compared, for summaries.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Checked {
    /// `the cluster of context 'kind' (https://…)` or `snapshot dump.yaml`.
    pub source: String,
    pub applications: usize,
    pub resources: usize,
    pub lists: usize,
    pub notes: Vec<String>,
}

/// A unified diff of the desired object and the live view of it.
pub fn object_diff(desired: &str, live: &str, color: bool) -> String {
    let diff = similar::TextDiff::from_lines(desired, live);
    let text = diff
        .unified_diff()
        .context_radius(3)
        .header("repository", "cluster")
        .to_string();
    if !color {
        return text;
    }
    let red = anstyle::AnsiColor::Red.on_default();
    let green = anstyle::AnsiColor::Green.on_default();
    let cyan = anstyle::AnsiColor::Cyan.on_default();
    let bold = anstyle::Style::new().bold();
    let mut out = String::new();
    for line in text.lines() {
        let style = if line.starts_with("---") || line.starts_with("+++") {
            bold
        } else if line.starts_with('-') {
            red
        } else if line.starts_with('+') {
            green
        } else if line.starts_with("@@") {
            cyan
        } else {
            anstyle::Style::new()
        };
        let _ = writeln!(out, "{}{line}{}", style.render(), style.render_reset());
    }
    out
}

/// Human output: each finding's frame, then its object diff; notes come first.
pub fn human(input: &Input<'_>, findings: &[Finding], checked: &Checked) -> String {
    let mut out = String::new();
    for (d, f) in input.diagnostics.iter().zip(findings) {
        let one = Input {
            diagnostics: std::slice::from_ref(d),
            quiet: true,
            ..*input
        };
        out.push_str(&human::render(&one));
        if let Some((desired, live)) = &f.texts {
            let diff = object_diff(desired, live, input.color);
            for line in diff.lines() {
                let _ = writeln!(out, "    {line}");
            }
            out.push('\n');
        }
    }
    if !input.quiet {
        let s = &input.summary;
        let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
        let _ = writeln!(
            out,
            "{}, {}, {}: {} of {} compared with {} ({})",
            plural(s.errors, "error"),
            plural(s.warnings, "warning"),
            plural(s.infos, "info"),
            plural(checked.resources, "resource"),
            plural(checked.applications, "Application"),
            checked.source,
            plural(checked.lists, "list request"),
        );
    }
    out
}

/// JSON v1 with `diff` on LIVE001/LIVE003 findings and a top-level `live` object.
pub fn json(input: &Input<'_>, findings: &[Finding], checked: &Checked) -> String {
    let text = json::render(input);
    let Ok(mut v) = serde_json::from_str::<Value>(&text) else {
        return text;
    };
    if let Some(diags) = v.get_mut("diagnostics").and_then(Value::as_array_mut) {
        for (d, f) in diags.iter_mut().zip(findings) {
            if f.fields.is_empty() {
                continue;
            }
            let fields: Vec<Value> = f
                .fields
                .iter()
                .map(|x| {
                    let mut m = serde_json::Map::new();
                    m.insert("pointer".into(), Value::String(x.pointer.clone()));
                    if let Some(d) = &x.desired {
                        m.insert("desired".into(), d.clone());
                    }
                    if let Some(l) = &x.live {
                        m.insert("live".into(), l.clone());
                    }
                    Value::Object(m)
                })
                .collect();
            if let Some(m) = d.as_object_mut() {
                m.insert("diff".into(), Value::Array(fields));
            }
        }
    }
    if let Some(m) = v.as_object_mut() {
        m.insert("live".into(), json!(checked));
    }
    let mut s = serde_json::to_string_pretty(&v).unwrap_or(text);
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_diffs_show_repository_and_cluster_lines() {
        let d = "spec:\n  replicas: 2\n  image: a\n";
        let l = "spec:\n  replicas: 2\n  image: b\n";
        let plain = object_diff(d, l, false);
        assert!(plain.contains("--- repository\n+++ cluster\n"), "{plain}");
        assert!(plain.contains("-  image: a\n+  image: b\n"), "{plain}");
        let colored = object_diff(d, l, true);
        assert!(colored.contains("\u{1b}[31m-  image: a"), "{colored:?}");
        assert!(colored.contains("\u{1b}[32m+  image: b"), "{colored:?}");
        assert_eq!(object_diff(d, d, false), "");
    }
}
