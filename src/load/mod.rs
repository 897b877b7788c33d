//! Reads files into span trees and Kubernetes objects.
//!
//! Every problem with a file (unreadable, too large, not UTF-8, binary, not YAML,
//! duplicate keys) becomes a diagnostic on that file; nothing here fails the run.

pub mod classify;
pub mod emit;
pub mod yaml;

use crate::diagnostic::Diagnostic;
use crate::model::Object;
use crate::source::{FileId, SourceFile, Span};
use crate::walk::WalkItem;
use std::io::Read;
use std::sync::Arc;

/// Files larger than this are not parsed. Kubernetes objects are limited to about
/// 1.5 MiB by etcd, so nothing this large is a manifest Argo CD could apply.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

pub const CODE_SYNTAX: &str = "GO001";
pub const CODE_DUPLICATE_KEY: &str = "GO002";
pub const CODE_UNREADABLE: &str = "GO007";

#[derive(Debug)]
pub struct LoadedFile {
    pub source: SourceFile,
    pub objects: Vec<Object>,
    pub diagnostics: Vec<Diagnostic>,
    pub documents: usize,
    /// False for paths that could not be read as a file at all.
    pub read: bool,
}

/// Loads one walked path as file `id`.
pub fn load(id: FileId, item: &WalkItem) -> LoadedFile {
    let empty = |msg: String| LoadedFile {
        source: SourceFile::new(item.rel_path.clone(), item.abs_path.clone(), Arc::from("")),
        objects: Vec::new(),
        diagnostics: vec![Diagnostic::new(CODE_UNREADABLE, Span::file_start(id), msg)],
        documents: 0,
        read: false,
    };
    if let Some(err) = &item.error {
        return empty(unreadable_message(item, err));
    }
    let bytes = match read_bounded(&item.abs_path) {
        Ok(b) => b,
        Err(ReadError::TooLarge(n)) => {
            return empty(format!(
                "{} is {:.1} MiB, over the {} MiB limit for a manifest file; it was not linted",
                item.rel_path,
                n as f64 / (1024.0 * 1024.0),
                MAX_FILE_BYTES / (1024 * 1024)
            ));
        }
        Err(ReadError::Io(e)) => {
            let why = match e.kind() {
                std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
                _ => e.to_string(),
            };
            return empty(unreadable_message(item, &why));
        }
    };
    load_bytes(id, item, bytes)
}

/// Says why a path could not be read; a dangling symbolic link is named as such, since
/// the operating system's "No such file or directory" about a path that is listed is
/// confusing.
fn unreadable_message(item: &WalkItem, err: &str) -> String {
    // The walk words some problems in full, starting with the path.
    if err.starts_with(&item.rel_path) {
        return err.to_owned();
    }
    if let Ok(target) = std::fs::read_link(&item.abs_path)
        && std::fs::metadata(&item.abs_path)
            .is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound)
    {
        return format!(
            "{} is a symbolic link to '{}', which does not exist; it was not linted",
            item.rel_path,
            target.display()
        );
    }
    format!(
        "{} could not be read: {err}; it was not linted",
        item.rel_path
    )
}

pub(crate) enum ReadError {
    TooLarge(u64),
    Io(std::io::Error),
}

fn read_bounded(path: &std::path::Path) -> Result<Vec<u8>, ReadError> {
    read_bounded_to(path, MAX_FILE_BYTES)
}

/// Reads a regular file of at most `cap` bytes (the caller makes sure it is not a named
/// pipe, which would block the open).
pub(crate) fn read_bounded_to(path: &std::path::Path, cap: u64) -> Result<Vec<u8>, ReadError> {
    // The walk hands over regular files only (opening a named pipe would block until a
    // writer appears), so no second `stat` by path here: one per file is measurable on a
    // repository of ten thousand files.
    let f = std::fs::File::open(path).map_err(ReadError::Io)?;
    let meta = f.metadata().map_err(ReadError::Io)?;
    if !meta.is_file() {
        return Err(ReadError::Io(std::io::Error::other(
            "not a regular file (a directory, named pipe, socket or device)",
        )));
    }
    if meta.len() > cap {
        return Err(ReadError::TooLarge(meta.len()));
    }
    let mut buf = Vec::with_capacity(meta.len() as usize);
    f.take(cap + 1)
        .read_to_end(&mut buf)
        .map_err(ReadError::Io)?;
    if buf.len() as u64 > cap {
        return Err(ReadError::TooLarge(buf.len() as u64));
    }
    Ok(buf)
}

/// Loads file contents already in memory (also the fuzz entry point).
pub fn load_bytes(id: FileId, item: &WalkItem, bytes: Vec<u8>) -> LoadedFile {
    let is_json = item.rel_path.to_ascii_lowercase().ends_with(".json");
    // Argo CD opens manifests with utfutil, which decodes UTF-16 text that starts with a
    // byte-order mark (what Windows PowerShell writes by default).
    let bytes = decode_utf16_with_bom(&bytes).map_or(bytes, String::into_bytes);
    // (text, Some((offset, message)) when the file is not UTF-8 text).
    let (text, problem) = match String::from_utf8(bytes) {
        Ok(t) => {
            let problem = not_text(t.as_bytes(), t.len());
            (t, problem)
        }
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let bytes = e.into_bytes();
            let problem = not_text(&bytes, valid).map(|(at, msg)| {
                // Offsets are into the lossy text, where every invalid sequence before
                // `at` became a 3-byte U+FFFD.
                (String::from_utf8_lossy(&bytes[..at]).len(), msg)
            });
            (String::from_utf8_lossy(&bytes).into_owned(), problem)
        }
    };
    let text: Arc<str> = Arc::from(text);
    let source = SourceFile::new(
        item.rel_path.clone(),
        item.abs_path.clone(),
        Arc::clone(&text),
    );
    if let Some((at, msg)) = problem {
        // Binary and non-UTF-8 JSON files that do not look like manifests are not ours.
        let quiet = is_json && !text.contains("\"apiVersion\"");
        let diagnostics = if quiet {
            Vec::new()
        } else {
            let end = text
                .get(at..)
                .and_then(|t| t.chars().next())
                .map_or(at, |c| at + c.len_utf8());
            let help = if msg.starts_with("file is binary") {
                "Argo CD cannot read binary files as manifests. Decrypt them in a config management plugin, or move them out of the Application's path or exclude them in .kubectl-gitops.yaml."
            } else {
                "Save the file as UTF-8: Argo CD reads manifests as UTF-8 text."
            };
            vec![Diagnostic::new(CODE_SYNTAX, Span::new(id, at, end), msg).with_help(help)]
        };
        return LoadedFile {
            source,
            objects: Vec::new(),
            diagnostics,
            documents: 0,
            read: true,
        };
    }
    let parsed = yaml::parse(&text);
    let mut diagnostics = Vec::new();
    for p in parsed.problems {
        match p {
            yaml::Problem::Syntax {
                start,
                end,
                message,
            } => {
                if is_json && !text.contains("\"apiVersion\"") {
                    continue;
                }
                let what = if is_json { "JSON" } else { "YAML" };
                let (start, end) = at_content_end(&text, start as usize, end as usize);
                diagnostics.push(
                    Diagnostic::new(
                        CODE_SYNTAX,
                        Span::new(id, start, end),
                        format!("invalid {what}: {message}"),
                    )
                    .with_help(
                        "Argo CD cannot parse this file, so none of its documents are applied. Fix the syntax at the marked position.",
                    ),
                );
            }
            yaml::Problem::DuplicateKey {
                key,
                start,
                end,
                first_start,
                first_end,
                last,
            } => {
                let message = if last {
                    format!(
                        "key '{key}' is repeated in this mapping; Kubernetes silently keeps only this last value"
                    )
                } else {
                    format!(
                        "key '{key}' is repeated in this mapping; this value is discarded too, because a later '{key}' wins"
                    )
                };
                diagnostics.push(
                    Diagnostic::new(
                        CODE_DUPLICATE_KEY,
                        Span::new(id, start as usize, end as usize),
                        message,
                    )
                    .with_label("repeated key")
                    .with_related(
                        Span::new(id, first_start as usize, first_end as usize),
                        format!("first '{key}', whose value is discarded"),
                    ),
                );
            }
        }
    }
    // Argo CD decodes `.json` files with Go's encoding/json (one strict JSON value), not
    // with the YAML reader, so JSON that only YAML accepts (trailing commas, comments,
    // single quotes, several objects) fails there.
    let yaml_failed = diagnostics.iter().any(|d| d.code == CODE_SYNTAX);
    if is_json
        && !yaml_failed
        && text.contains("\"apiVersion\"")
        && let Some(d) = strict_json_problem(id, &text)
    {
        diagnostics.push(d);
    }
    let documents = parsed.documents.len();
    let mut objects = Vec::new();
    for doc in parsed.documents {
        match classify::classify(&doc.root) {
            classify::Kind::Object => {
                objects.extend(Object::new(id, doc.index, None, doc.root));
            }
            classify::Kind::List => {
                if let Some(items) = doc.root.get("items") {
                    for (i, it) in items.items().iter().enumerate() {
                        if classify::classify(it) == classify::Kind::Object {
                            objects.extend(Object::new(id, doc.index, Some(i), it.clone()));
                        }
                    }
                }
            }
            classify::Kind::KustomizeConfig | classify::Kind::Other => {}
        }
    }
    LoadedFile {
        source,
        objects,
        diagnostics,
        documents,
        read: true,
    }
}

/// UTF-16 text with a byte-order mark, decoded (invalid sequences become U+FFFD).
pub(crate) fn decode_utf16_with_bom(bytes: &[u8]) -> Option<String> {
    let big_endian = match bytes {
        [0xFF, 0xFE, ..] => false,
        [0xFE, 0xFF, ..] => true,
        _ => return None,
    };
    let units = bytes[2..].chunks(2).map(|c| match (c, big_endian) {
        ([a, b], false) => u16::from_le_bytes([*a, *b]),
        ([a, b], true) => u16::from_be_bytes([*a, *b]),
        // An odd trailing byte.
        _ => 0xFFFD,
    });
    Some(
        char::decode_utf16(units)
            .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect(),
    )
}

/// An error the parser reports at the very end of the file (an unclosed bracket or
/// quote) is shown right after the last character instead of on an empty last line.
fn at_content_end(text: &str, start: usize, end: usize) -> (usize, usize) {
    if start < text.len() || end != start {
        return (start, end);
    }
    let trimmed = text.trim_end().len();
    (trimmed, trimmed)
}

/// Why a file is not UTF-8 text, and the byte offset to point at: the first NUL byte
/// of a binary file, or `first_invalid`, the first byte that is not UTF-8 (equal to the
/// length for valid UTF-8). UTF-16 with a byte-order mark was decoded before this.
fn not_text(bytes: &[u8], first_invalid: usize) -> Option<(usize, String)> {
    // `contains` on bytes is a vectorised memchr; `position` is a plain loop, so it runs
    // only on the rare file that has a NUL.
    if bytes.contains(&0)
        && let Some(nul) = bytes.iter().position(|&b| b == 0)
    {
        return Some((
            nul,
            "file is binary (it contains NUL bytes), not YAML; if it is encrypted (git-crypt, sops binary mode), Argo CD cannot read it without a decrypting plugin".to_owned(),
        ));
    }
    (first_invalid < bytes.len()).then(|| {
        (
            first_invalid,
            "file is not valid UTF-8; Kubernetes manifests must be UTF-8 text".to_owned(),
        )
    })
}

/// A GO001 diagnostic when `text` is not exactly one JSON value, the way Argo CD's
/// `json.Decoder` reads a `.json` manifest (after dropping a UTF-8 byte-order mark).
fn strict_json_problem(id: FileId, text: &str) -> Option<Diagnostic> {
    let (body, base) = match text.strip_prefix('\u{feff}') {
        Some(rest) => (rest, 3),
        None => (text, 0),
    };
    let err = serde_json::from_str::<serde::de::IgnoredAny>(body).err()?;
    // serde_json counts lines from 1 and columns in bytes from 1 (0 at a line start).
    let line_start: usize = body
        .split_inclusive('\n')
        .take(err.line().saturating_sub(1))
        .map(str::len)
        .sum();
    let mut at = (line_start + err.column().saturating_sub(1)).min(body.len());
    while !body.is_char_boundary(at) {
        at -= 1;
    }
    let end = body[at..].chars().next().map_or(at, |c| at + c.len_utf8());
    let message = err.to_string();
    let message = message
        .rsplit_once(" at line ")
        .map_or(message.as_str(), |(m, _)| m);
    Some(
        Diagnostic::new(
            CODE_SYNTAX,
            Span::new(id, base + at, base + end),
            format!("invalid JSON: {message}"),
        )
        .with_help(
            "Argo CD reads .json manifests with a strict JSON decoder: one object, no trailing commas, comments or single quotes. Fix the syntax at the marked position, or rename the file to .yaml.",
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_text(name: &str, bytes: &[u8]) -> LoadedFile {
        let item = WalkItem {
            rel_path: name.to_owned(),
            abs_path: std::path::PathBuf::from(name),
            error: None,
        };
        load_bytes(FileId(0), &item, bytes.to_vec())
    }

    fn codes(lf: &LoadedFile) -> Vec<(String, usize)> {
        lf.diagnostics
            .iter()
            .map(|d| (d.code.clone(), d.primary.span.start as usize))
            .collect()
    }

    #[test]
    fn utf16_with_bom_is_decoded() {
        let text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ü\n";
        for big_endian in [false, true] {
            let mut bytes = if big_endian {
                vec![0xFE, 0xFF]
            } else {
                vec![0xFF, 0xFE]
            };
            for u in text.encode_utf16() {
                bytes.extend(if big_endian {
                    u.to_be_bytes()
                } else {
                    u.to_le_bytes()
                });
            }
            let lf = load_text("cm.yaml", &bytes);
            assert!(lf.diagnostics.is_empty(), "{:?}", lf.diagnostics);
            assert_eq!(lf.objects.len(), 1);
            assert_eq!(lf.objects[0].name.as_deref(), Some("ü"));
        }
        // Without a byte-order mark NUL bytes still mean binary.
        let lf = load_text("x.yaml", b"a\0b");
        assert_eq!(codes(&lf), [(CODE_SYNTAX.to_owned(), 1)]);
    }

    #[test]
    fn json_manifests_are_strict() {
        let text = "{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"data\": {\"a\": \"b\",}}";
        let lf = load_text("cm.json", text.as_bytes());
        let at = text.find(",}").map(|i| i + 1);
        assert_eq!(codes(&lf), [(CODE_SYNTAX.to_owned(), at.unwrap_or(0))]);
        // Two objects in one .json file: Argo CD accepts only one.
        let two = "{\"apiVersion\": \"v1\", \"kind\": \"A\"}\n{\"apiVersion\": \"v1\", \"kind\": \"B\"}\n";
        assert_eq!(load_text("two.json", two.as_bytes()).diagnostics.len(), 1);
        // The same text in a .yaml file is read by the YAML reader.
        assert!(load_text("cm.yaml", text.as_bytes()).diagnostics.is_empty());
        // JSON that is not a manifest is not ours.
        assert!(
            load_text("tsconfig.json", b"{\"a\": 1,}")
                .diagnostics
                .is_empty()
        );
    }

    #[test]
    fn errors_at_the_end_point_after_the_last_character() {
        let text = "a: [1, 2\n\n";
        let lf = load_text("x.yaml", text.as_bytes());
        assert_eq!(codes(&lf), [(CODE_SYNTAX.to_owned(), 8)]);
    }

    #[test]
    fn duplicate_keys_name_the_winner() {
        let lf = load_text("x.yaml", b"a: 1\na: 2\na: 3\n");
        let msgs: Vec<&str> = lf.diagnostics.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(msgs.len(), 2);
        assert!(msgs[0].contains("discarded too"), "{}", msgs[0]);
        assert!(msgs[1].contains("only this last value"), "{}", msgs[1]);
        assert!(
            lf.diagnostics
                .iter()
                .all(|d| d.related.first().is_some_and(|r| r.span.start == 0))
        );
    }
}
