//! GitHub Actions workflow commands: one `::error`/`::warning`/`::notice` per diagnostic,
//! then a `::notice` summary.
//!
//! GitHub shows at most 10 annotations of each level per step (and 50 per job); further
//! commands of a level are silently dropped. So the first [`MAX_ANNOTATIONS_PER_LEVEL`]
//! errors and warnings, and one notice fewer (the summary is a notice too), become
//! annotations, and the summary lists the rest as `file:line:column: severity[CODE]
//! message` lines. Paths are relative to the root of the git work tree, which is where
//! GitHub resolves them.

use super::{Input, region_range};
use crate::diagnostic::Severity;
use std::fmt::Write as _;

/// GitHub shows at most this many annotations of each level per step.
pub const MAX_ANNOTATIONS_PER_LEVEL: usize = 10;

/// Overflow lines listed in the summary; the rest are counted.
pub const MAX_SUMMARY_LINES: usize = 200;

/// Escapes message data as the Actions toolkit does (`%`, `\r`, `\n`).
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value: the data escapes plus `:` and `,`.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

pub fn render(input: &Input<'_>) -> String {
    let mut out = String::new();
    let mut shown = [0usize; 3];
    // The summary is a notice: keep a slot for it.
    let limits = [
        MAX_ANNOTATIONS_PER_LEVEL,
        MAX_ANNOTATIONS_PER_LEVEL,
        MAX_ANNOTATIONS_PER_LEVEL - 1,
    ];
    let mut overflow = Vec::new();
    for d in input.diagnostics {
        let (slot, command) = match d.severity {
            Severity::Error => (0, "error"),
            Severity::Warning => (1, "warning"),
            Severity::Info => (2, "notice"),
        };
        let (s, e) = region_range(input.db, d.primary.span);
        let file = format!(
            "{}{}",
            input.root_prefix,
            input.db.get(d.primary.span.file).rel_path
        );
        if shown[slot] >= limits[slot] {
            overflow.push(format!(
                "{file}:{}:{}: {}[{}] {}",
                s.line,
                s.column,
                d.severity,
                d.code,
                d.message.replace(['\r', '\n'], " ")
            ));
            continue;
        }
        shown[slot] += 1;
        let mut props = format!(
            "file={},line={},col={}",
            escape_property(&file),
            s.line,
            s.column
        );
        if e.line > s.line {
            let _ = write!(props, ",endLine={}", e.line);
        } else if e.column > s.column {
            let _ = write!(props, ",endColumn={}", e.column);
        }
        let _ = write!(
            props,
            ",title={}",
            escape_property(&format!("{} {}", d.code, d.name))
        );
        let mut msg = d.message.clone();
        if let Some(h) = &d.help {
            msg.push_str("\n\n");
            msg.push_str(h);
        }
        let _ = writeln!(out, "::{command} {props}::{}", escape_data(&msg));
    }
    if input.quiet && overflow.is_empty() {
        return out;
    }
    let mut summary = format!("kubectl-gitops: {}", input.summary.line());
    if !overflow.is_empty() {
        let _ = write!(
            summary,
            "\n{} more not shown as annotations (GitHub shows {MAX_ANNOTATIONS_PER_LEVEL} of each level per step):",
            overflow.len()
        );
        for o in overflow.iter().take(MAX_SUMMARY_LINES) {
            summary.push('\n');
            summary.push_str(o);
        }
        if overflow.len() > MAX_SUMMARY_LINES {
            let _ = write!(
                summary,
                "\n… and {} more: run with --format sarif or --format concise for all",
                overflow.len() - MAX_SUMMARY_LINES
            );
        }
    }
    let _ = writeln!(
        out,
        "::notice title={}::{}",
        escape_property("kubectl-gitops summary"),
        escape_data(&summary)
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_as_the_actions_toolkit() {
        assert_eq!(escape_data("100%\r\nx"), "100%25%0D%0Ax");
        assert_eq!(escape_data("a:b,c"), "a:b,c");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
        assert_eq!(escape_property("%\n:,"), "%25%0A%3A%2C");
        // `%` first, so an escape is never escaped twice.
        assert_eq!(escape_property("%3A"), "%253A");
    }
}
