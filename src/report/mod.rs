//! Renders diagnostics. Every format is deterministic: sorted input, relative paths,
//! no timestamps.

pub mod appset;
pub mod concise;
pub mod drift;
pub mod github;
pub mod human;
pub mod ignores;
pub mod json;
pub mod sarif;
pub mod tree;
pub mod waves;

use crate::diagnostic::{Diagnostic, Severity};
use crate::engine::catalogue::Catalogue;
use crate::source::{LineCol, SourceDb, Span};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    pub files: usize,
    pub documents: usize,
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    pub suppressed: usize,
}

impl Summary {
    pub fn count(&mut self, diags: &[Diagnostic]) {
        for d in diags {
            match d.severity {
                Severity::Error => self.errors += 1,
                Severity::Warning => self.warnings += 1,
                Severity::Info => self.infos += 1,
            }
        }
    }

    /// The one-line summary of human and concise output.
    pub fn line(&self) -> String {
        let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
        let mut s = format!(
            "{}, {}, {} in {}, {}",
            plural(self.errors, "error"),
            plural(self.warnings, "warning"),
            plural(self.infos, "info"),
            plural(self.files, "file"),
            plural(self.documents, "document"),
        );
        if self.suppressed > 0 {
            s.push_str(&format!(" ({} suppressed)", self.suppressed));
        }
        s
    }
}

/// Everything a report needs.
pub struct Input<'a> {
    pub diagnostics: &'a [Diagnostic],
    pub db: &'a SourceDb,
    pub catalogue: &'a Catalogue,
    pub summary: Summary,
    pub quiet: bool,
    pub color: bool,
    /// Joins a report path (relative to the linted directory) to the root of the git
    /// work tree, for formats that code hosts read (SARIF, GitHub): `""` or `deploy/`.
    pub root_prefix: &'a str,
    /// The fingerprint of each diagnostic (see [`crate::baseline`]); empty when not
    /// computed.
    pub fingerprints: &'a [String],
}

/// Start and (exclusive) end positions of a span.
pub fn range(db: &SourceDb, span: Span) -> (LineCol, LineCol) {
    let f = db.get(span.file);
    (f.line_col(span.start), f.line_col(span.end))
}

/// [`range`] for code hosts' regions (SARIF, GitHub annotations): trailing whitespace
/// and line breaks are left out, so a node that ends with its line ends on that line
/// instead of at column 1 of the next one.
pub fn region_range(db: &SourceDb, span: Span) -> (LineCol, LineCol) {
    let text = db.snippet(span);
    let trimmed = text.trim_end();
    let span = if trimmed.is_empty() {
        span
    } else {
        let cut = u32::try_from(text.len() - trimmed.len()).unwrap_or(0);
        Span {
            end: span.end.saturating_sub(cut).max(span.start),
            ..span
        }
    };
    range(db, span)
}
pub mod rules;
