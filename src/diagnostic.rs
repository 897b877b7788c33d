//! The diagnostic every rule and loader stage produces, and the ordering reports rely on.

use crate::source::{SourceDb, Span};
use serde::Serialize;
use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "error" => Ok(Severity::Error),
            "warning" => Ok(Severity::Warning),
            "info" => Ok(Severity::Info),
            other => Err(format!(
                "unknown severity '{other}' (expected error, warning or info)"
            )),
        }
    }
}

/// A location with an optional message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub message: Option<String>,
}

impl Label {
    pub fn new(span: Span) -> Self {
        Label {
            span,
            message: None,
        }
    }

    pub fn with_message(span: Span, message: impl Into<String>) -> Self {
        Label {
            span,
            message: Some(message.into()),
        }
    }
}

/// The Kubernetes object a finding is about.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ObjectRef {
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    pub code: String,
    /// Filled in by the engine from the catalogue.
    pub name: String,
    /// Filled in by the engine from the catalogue and severity overrides.
    pub severity: Severity,
    pub message: String,
    pub help: Option<String>,
    pub primary: Label,
    pub related: Vec<Label>,
    pub object: Option<ObjectRef>,
}

impl Diagnostic {
    /// A finding for `code`; name and severity come from the catalogue later.
    pub fn new(code: &str, span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            code: code.to_owned(),
            name: String::new(),
            severity: Severity::Error,
            message: message.into(),
            help: None,
            primary: Label::new(span),
            related: Vec::new(),
            object: None,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_related(mut self, span: Span, message: impl Into<String>) -> Self {
        self.related.push(Label::with_message(span, message));
        self
    }

    pub fn with_label(mut self, message: impl Into<String>) -> Self {
        self.primary.message = Some(message.into());
        self
    }

    pub fn with_object(mut self, object: Option<ObjectRef>) -> Self {
        self.object = object;
        self
    }
}

/// Sorts by file path, line, column, code, then message, so output is deterministic.
pub fn sort(diags: &mut [Diagnostic], db: &SourceDb) {
    diags.sort_by(|a, b| compare(a, b, db));
}

/// Something reported through a diagnostic: a lint finding is one, a drift finding
/// carries its field differences with it. The engine finishes both the same way.
pub trait Reported {
    fn diagnostic(&self) -> &Diagnostic;
    fn diagnostic_mut(&mut self) -> &mut Diagnostic;
}

impl Reported for Diagnostic {
    fn diagnostic(&self) -> &Diagnostic {
        self
    }
    fn diagnostic_mut(&mut self) -> &mut Diagnostic {
        self
    }
}

/// The report order: file path, position, code, end, message, object.
pub fn compare(a: &Diagnostic, b: &Diagnostic, db: &SourceDb) -> Ordering {
    let fa = db.get(a.primary.span.file);
    let fb = db.get(b.primary.span.file);
    fa.rel_path
        .cmp(&fb.rel_path)
        .then(a.primary.span.start.cmp(&b.primary.span.start))
        .then(a.code.cmp(&b.code))
        .then(a.primary.span.end.cmp(&b.primary.span.end))
        .then(a.message.cmp(&b.message))
        .then(a.object.cmp(&b.object))
}
