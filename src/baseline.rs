//! Fingerprints of findings, and baselines built from them: `--write-baseline FILE`
//! records the current findings, `--baseline FILE` reports only the findings that are not
//! in it, so a pull request fails on what it introduced and not on what was already there.
//!
//! A fingerprint must survive edits that do not touch the finding (lines inserted above
//! it, the file reindented, other objects reordered) and change when the finding itself
//! changes. It is FNV-1a 64 over, in order:
//!
//! 1. the scheme name [`SCHEME`] (a new scheme is a new name, never a silent change);
//! 2. the rule code;
//! 3. the file, relative to the repository root (the git work tree; the linted directory
//!    outside git), with `/` separators;
//! 4. the object: `kind/namespace/name` of the object the finding is about (empty for
//!    findings about no object, such as YAML syntax errors);
//! 5. the text of the offending node with every run of whitespace collapsed to one space,
//!    cut at 200 characters; left out (empty) for Secrets and for findings about no
//!    object, so that no hash of a Secret value is ever written;
//! 6. the occurrence index: how many earlier findings (in report order) share 1–5.
//!
//! Line and column numbers are deliberately not part of it, nor the message (its
//! wording may improve between releases). docs/baselines.md describes the scheme for
//! users. SARIF output carries the same fingerprint in `partialFingerprints`.

use crate::diagnostic::Diagnostic;
use crate::source::SourceDb;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// The fingerprint scheme, also the SARIF `partialFingerprints` key.
pub const SCHEME: &str = "kubectlGitops/v1";

/// Characters of the offending node's normalised text that go into a fingerprint.
const SNIPPET_CHARS: usize = 200;

/// FNV-1a 64 over the parts, each followed by a NUL: stable across platforms and
/// releases, unlike std's hasher.
pub fn hash(parts: &[&str]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes().chain([0u8]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

/// The object a finding is about as `kind/namespace/name`, or `""`.
pub fn object_key(d: &Diagnostic) -> String {
    d.object
        .as_ref()
        .map(|o| {
            format!(
                "{}/{}/{}",
                o.kind,
                o.namespace.as_deref().unwrap_or(""),
                o.name
            )
        })
        .unwrap_or_default()
}

/// Whitespace runs collapsed to one space, trimmed, cut at [`SNIPPET_CHARS`] characters.
fn normalise(text: &str) -> String {
    let mut out = String::new();
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    match out.char_indices().nth(SNIPPET_CHARS) {
        Some((i, _)) => out[..i].to_owned(),
        None => out,
    }
}

/// The fingerprint of each diagnostic, in order. `diags` must be in report order (the
/// engine sorts them) and complete: the occurrence index counts every finding, so
/// fingerprints must be taken before `--files` or a baseline removes any.
/// `root_prefix` joins a report path to the repository root (`""` or `deploy/`).
pub fn fingerprints(diags: &[Diagnostic], db: &SourceDb, root_prefix: &str) -> Vec<String> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    diags
        .iter()
        .map(|d| {
            let file = format!("{root_prefix}{}", db.get(d.primary.span.file).rel_path);
            let object = object_key(d);
            let private = d.object.as_ref().is_none_or(|o| o.kind == "Secret");
            let snippet = if private {
                String::new()
            } else {
                normalise(db.snippet(d.primary.span))
            };
            let key = hash(&[SCHEME, &d.code, &file, &object, &snippet]);
            let n = seen.entry(key.clone()).or_insert(0);
            let index = n.to_string();
            *n += 1;
            hash(&[&key, &index])
        })
        .collect()
}

/// Reading or writing a baseline file failed.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("cannot read baseline {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("baseline {path} is not a kubectl-gitops baseline: {message}")]
    Parse { path: PathBuf, message: String },
    #[error(
        "baseline {path} uses fingerprint scheme '{found}', this version writes '{SCHEME}': write it again with --write-baseline"
    )]
    Scheme { path: PathBuf, found: String },
    #[error("cannot write baseline {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The baseline file: version 1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineFile {
    pub version: u32,
    pub scheme: String,
    /// Sorted by file, code, fingerprint.
    pub findings: Vec<Entry>,
}

/// One recorded finding. Only `fingerprint` is matched; the rest is for the people who
/// review a baseline change.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub file: String,
    pub code: String,
    pub fingerprint: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub object: String,
    #[serde(default)]
    pub message: String,
}

impl BaselineFile {
    /// The baseline of these findings (`fingerprints` parallel to `diags`).
    pub fn from_findings(
        diags: &[Diagnostic],
        fingerprints: &[String],
        db: &SourceDb,
        root_prefix: &str,
    ) -> BaselineFile {
        let mut findings: Vec<Entry> = diags
            .iter()
            .zip(fingerprints)
            .map(|(d, fp)| Entry {
                file: format!("{root_prefix}{}", db.get(d.primary.span.file).rel_path),
                code: d.code.clone(),
                fingerprint: fp.clone(),
                object: object_key(d),
                message: d.message.clone(),
            })
            .collect();
        findings.sort();
        BaselineFile {
            version: 1,
            scheme: SCHEME.to_owned(),
            findings,
        }
    }

    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    pub fn parse(path: &Path, text: &str) -> Result<BaselineFile, BaselineError> {
        let file: BaselineFile = serde_json::from_str(text).map_err(|e| BaselineError::Parse {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        if file.version != 1 {
            return Err(BaselineError::Parse {
                path: path.to_owned(),
                message: format!("unknown version {} (expected 1)", file.version),
            });
        }
        if file.scheme != SCHEME {
            return Err(BaselineError::Scheme {
                path: path.to_owned(),
                found: file.scheme,
            });
        }
        Ok(file)
    }

    pub fn read(path: &Path) -> Result<BaselineFile, BaselineError> {
        let text = std::fs::read_to_string(path).map_err(|source| BaselineError::Read {
            path: path.to_owned(),
            source,
        })?;
        BaselineFile::parse(path, &text)
    }

    pub fn write(&self, path: &Path) -> Result<(), BaselineError> {
        std::fs::write(path, self.to_json()).map_err(|source| BaselineError::Write {
            path: path.to_owned(),
            source,
        })
    }

    /// For each fingerprint, whether the baseline holds it. A fingerprint recorded `n`
    /// times matches at most `n` findings, so a second copy of a known finding is new.
    pub fn known(&self, fingerprints: &[String]) -> Vec<bool> {
        let mut left: BTreeMap<&str, usize> = BTreeMap::new();
        for e in &self.findings {
            *left.entry(e.fingerprint.as_str()).or_insert(0) += 1;
        }
        fingerprints
            .iter()
            .map(|fp| match left.get_mut(fp.as_str()) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    true
                }
                _ => false,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::ObjectRef;
    use crate::source::{FileId, SourceFile, Span};
    use std::sync::Arc;

    fn db(text: &str) -> SourceDb {
        let mut db = SourceDb::default();
        db.add(SourceFile::new(
            "apps/a.yaml".into(),
            "/r/apps/a.yaml".into(),
            Arc::from(text),
        ));
        db
    }

    fn object(kind: &str, name: &str) -> Option<ObjectRef> {
        Some(ObjectRef {
            api_version: "v1".into(),
            kind: kind.into(),
            namespace: Some("ns".into()),
            name: name.into(),
        })
    }

    /// A diagnostic on the first occurrence of `needle` at or after byte `from`.
    fn at(text: &str, needle: &str, from: usize, kind: &str, name: &str) -> Diagnostic {
        let start = from + text[from..].find(needle).expect("needle");
        Diagnostic::new(
            "SYN001",
            Span::new(FileId(0), start, start + needle.len()),
            "m",
        )
        .with_object(object(kind, name))
    }

    #[test]
    fn stable_across_line_moves_and_sensitive_to_the_node() {
        let a = "x: 1\nwave: \"1.5\"\n";
        let b = "# a comment\n\n\nx: 1\nwave:   \"1.5\"\n";
        let fa = fingerprints(&[at(a, "\"1.5\"", 0, "ConfigMap", "c")], &db(a), "");
        let fb = fingerprints(&[at(b, "\"1.5\"", 0, "ConfigMap", "c")], &db(b), "");
        assert_eq!(fa, fb);
        let c = "x: 1\nwave: \"2.5\"\n";
        let fc = fingerprints(&[at(c, "\"2.5\"", 0, "ConfigMap", "c")], &db(c), "");
        assert_ne!(fa, fc);
        let other = fingerprints(&[at(a, "\"1.5\"", 0, "ConfigMap", "d")], &db(a), "");
        assert_ne!(fa, other);
        let prefixed = fingerprints(&[at(a, "\"1.5\"", 0, "ConfigMap", "c")], &db(a), "deploy/");
        assert_ne!(fa, prefixed);
        assert_eq!(fa[0].len(), 16);
    }

    #[test]
    fn equal_findings_differ_by_occurrence() {
        let t = "a: x\nb: x\n";
        let d = [
            at(t, "x", 0, "ConfigMap", "c"),
            at(t, "x", 4, "ConfigMap", "c"),
        ];
        let f = fingerprints(&d, &db(t), "");
        assert_ne!(f[0], f[1]);
    }

    #[test]
    fn secrets_leave_their_text_out() {
        let a = "password: hunter2\n";
        let b = "password: swordfish\n";
        let fa = fingerprints(&[at(a, "hunter2", 0, "Secret", "s")], &db(a), "");
        let fb = fingerprints(&[at(b, "swordfish", 0, "Secret", "s")], &db(b), "");
        assert_eq!(
            fa, fb,
            "the value must not influence a Secret's fingerprint"
        );
    }

    #[test]
    fn normalise_collapses_and_cuts() {
        assert_eq!(normalise("  a \n\t b  "), "a b");
        assert_eq!(normalise(&"é".repeat(300)).chars().count(), SNIPPET_CHARS);
    }

    #[test]
    fn known_counts_multiplicity() {
        let t = "a: x\n";
        let d = [at(t, "x", 0, "ConfigMap", "c")];
        let file = BaselineFile::from_findings(&d, &["f1".into()], &db(t), "");
        assert_eq!(
            file.known(&["f1".into(), "f1".into(), "f2".into()]),
            [true, false, false]
        );
    }

    #[test]
    fn round_trips_and_rejects_other_schemes() {
        let t = "a: x\n";
        let d = [at(t, "x", 0, "ConfigMap", "c")];
        let file = BaselineFile::from_findings(&d, &["f1".into()], &db(t), "");
        let json = file.to_json();
        let back = BaselineFile::parse(Path::new("b.json"), &json).expect("parses");
        assert_eq!(back, file);
        let other = json.replace(SCHEME, "other/v9");
        assert!(matches!(
            BaselineFile::parse(Path::new("b.json"), &other),
            Err(BaselineError::Scheme { .. })
        ));
        assert!(matches!(
            BaselineFile::parse(Path::new("b.json"), "[1]"),
            Err(BaselineError::Parse { .. })
        ));
    }
}
