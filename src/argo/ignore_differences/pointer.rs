//! `jsonPointers` as Argo CD applies them: each pointer becomes a one-operation JSON
//! patch `[{"op":"remove","path":P}]` applied with `github.com/evanphx/json-patch`
//! (root package, v4 API, negative indices on). Semantics notes §4.3.
//!
//! evanphx differs from RFC 6901 in ways that matter here, checked against the library:
//!
//! - the text before the first `/` is dropped, so `spec/replicas` removes the top-level
//!   key `replicas`, and a pointer without `/` (or `""`, the whole document) fails;
//! - `~1` and `~0` are decoded in one pass; any other `~` stays as it is (`/a~2` is the
//!   key `a~2`), so a bad escape is not an error;
//! - array indices are Go `strconv.Atoi`: an optional sign, leading zeros accepted
//!   (`01` is 1), negative indices count from the end (`-1` is the last element);
//!   `-`, `1e0` or ` 1` are errors; an index out of range is an error;
//! - an intermediate step through a missing key, `null`, a scalar, or an array with a
//!   bad index means "doc is missing path".
//!
//! Failures never change the document; Argo CD skips them, and does not even log the
//! "missing" kind ([`PointerOutcome::Missing`]).

use serde_json::Value;
use std::fmt;
use std::ops::Range;

/// Why a pointer string is not a valid RFC 6901 pointer, with the byte range of the
/// offending part inside the pointer string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PointerError {
    pub range: Range<usize>,
    pub message: String,
    pub kind: PointerErrorKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PointerErrorKind {
    /// `""`: RFC 6901's whole document. evanphx cannot remove it; Argo CD skips it.
    WholeDocument,
    /// No leading `/`. Without any `/` Argo CD skips the pointer; with one, it drops the
    /// text before the first `/` and applies the rest.
    MissingLeadingSlash,
    /// `~` not followed by `0` or `1`. evanphx keeps it literally (`/a~2` is the key `a~2`).
    BadEscape,
}

impl PointerErrorKind {
    /// Whether Argo CD still applies the pointer despite this problem (reading it the
    /// lenient way of [`argo_cd_tokens`]).
    pub fn argo_cd_applies(self, pointer: &str) -> bool {
        match self {
            PointerErrorKind::WholeDocument => false,
            PointerErrorKind::MissingLeadingSlash => pointer.contains('/'),
            PointerErrorKind::BadEscape => true,
        }
    }
}

impl fmt::Display for PointerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for PointerError {}

/// Parses `pointer` strictly as RFC 6901 and returns its decoded reference tokens.
/// Errors carry the byte range to underline. For the tokens Argo CD actually uses, see
/// [`argo_cd_tokens`].
pub fn parse_pointer(pointer: &str) -> Result<Vec<String>, PointerError> {
    if pointer.is_empty() {
        return Err(PointerError {
            range: 0..0,
            message: "the empty pointer refers to the whole document, which Argo CD cannot \
                      remove; it skips this pointer"
                .into(),
            kind: PointerErrorKind::WholeDocument,
        });
    }
    if !pointer.starts_with('/') {
        let (end, message) = match pointer.find('/') {
            Some(slash) => (
                slash,
                format!(
                    "JSON pointer `{pointer}` does not start with `/`; Argo CD drops the text \
                     before the first `/` and removes `{}` instead",
                    &pointer[slash..]
                ),
            ),
            None => (
                pointer.len(),
                format!(
                    "JSON pointer `{pointer}` does not start with `/`; Argo CD cannot apply it \
                     and skips it"
                ),
            ),
        };
        let first = pointer.chars().next().map_or(0, char::len_utf8);
        return Err(PointerError {
            range: 0..end.max(first),
            message,
            kind: PointerErrorKind::MissingLeadingSlash,
        });
    }
    let bytes = pointer.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'~' && !matches!(bytes.get(i + 1), Some(b'0' | b'1')) {
            let next = pointer[i + 1..].chars().next();
            let end = i + 1 + next.map_or(0, char::len_utf8);
            let message = match next {
                Some(c) => format!(
                    "`~{c}` is not a JSON pointer escape (only `~0` for `~` and `~1` for `/`); \
                     Argo CD keeps it as the literal text `~{c}`"
                ),
                None => "a JSON pointer cannot end with `~` (only `~0` for `~` and `~1` for `/` \
                         are escapes); Argo CD keeps it as a literal `~`"
                    .to_string(),
            };
            return Err(PointerError {
                range: i..end,
                message,
                kind: PointerErrorKind::BadEscape,
            });
        }
    }
    Ok(argo_cd_tokens(pointer).unwrap_or_default())
}

/// The reference tokens evanphx uses: split on `/`, the part before the first `/`
/// dropped, each token decoded (`~1` → `/`, `~0` → `~`, one pass, other `~` kept).
/// `None` when the pointer has no `/` at all (evanphx: "doc is missing path").
pub fn argo_cd_tokens(pointer: &str) -> Option<Vec<String>> {
    let (_, rest) = pointer.split_once('/')?;
    Some(rest.split('/').map(decode_token).collect())
}

/// `strings.NewReplacer("~1", "/", "~0", "~")`: leftmost, single pass.
fn decode_token(token: &str) -> String {
    let mut out = String::with_capacity(token.len());
    let mut rest = token;
    while let Some(pos) = rest.find('~') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        if let Some(r) = after.strip_prefix('1') {
            out.push('/');
            rest = r;
        } else if let Some(r) = after.strip_prefix('0') {
            out.push('~');
            rest = r;
        } else {
            out.push('~');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// Encodes one key as a pointer token (`~` → `~0`, `/` → `~1`).
pub fn escape_token(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// A pointer from decoded tokens.
pub fn pointer_from_tokens<S: AsRef<str>>(tokens: &[S]) -> String {
    tokens.iter().fold(String::new(), |mut out, t| {
        out.push('/');
        out.push_str(&escape_token(t.as_ref()));
        out
    })
}

/// Go `strconv.Atoi` for a 64-bit `int`: optional sign, ASCII digits, no overflow.
pub fn go_atoi(s: &str) -> Option<i64> {
    let (negative, digits) = match s.as_bytes().first() {
        Some(b'+') => (false, &s[1..]),
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut value: i64 = 0;
    for b in digits.bytes() {
        let d = i64::from(b - b'0');
        value = value.checked_mul(10)?;
        value = if negative {
            value.checked_sub(d)?
        } else {
            value.checked_add(d)?
        };
    }
    Some(value)
}

/// What one pointer did to a document.
#[derive(Clone, Debug, PartialEq)]
pub enum PointerOutcome {
    /// The value that was removed.
    Removed(Value),
    /// evanphx failed with an error Argo CD does not even log ("Unable to remove
    /// nonexistent key", "doc is missing path"): the pointer names nothing here.
    Missing,
    /// Any other evanphx failure (debug-logged, skipped), with the reason.
    Invalid(String),
}

/// Applies `[{"op":"remove","path":pointer}]` the way evanphx does. On failure the
/// document is unchanged.
pub fn remove_pointer(doc: &mut Value, pointer: &str) -> PointerOutcome {
    let Some(tokens) = argo_cd_tokens(pointer) else {
        return PointerOutcome::Missing;
    };
    let Some((last, parents)) = tokens.split_last() else {
        return PointerOutcome::Missing;
    };
    if !matches!(doc, Value::Object(_) | Value::Array(_)) {
        return PointerOutcome::Invalid("the document is not a JSON object or array".into());
    }
    let mut container = doc;
    for token in parents {
        let next = match container {
            Value::Object(map) => map.get_mut(token.as_str()),
            Value::Array(items) => match resolve_index(token, items.len()) {
                Ok(i) => items.get_mut(i),
                Err(_) => None,
            },
            _ => None,
        };
        match next {
            Some(v @ (Value::Object(_) | Value::Array(_))) => container = v,
            _ => return PointerOutcome::Missing,
        }
    }
    match container {
        Value::Object(map) => match map.shift_remove(last.as_str()) {
            Some(v) => PointerOutcome::Removed(v),
            None => PointerOutcome::Missing,
        },
        Value::Array(items) => match resolve_index(last, items.len()) {
            Ok(i) => PointerOutcome::Removed(items.remove(i)),
            Err(reason) => PointerOutcome::Invalid(reason),
        },
        _ => PointerOutcome::Missing,
    }
}

/// An array index as evanphx reads it, with the reason when it cannot be used.
fn resolve_index(token: &str, len: usize) -> Result<usize, String> {
    let Some(i) = go_atoi(token) else {
        return Err(if token == "-" {
            "`-` (the end of the array) cannot be removed".to_string()
        } else {
            format!("`{token}` is not an array index")
        });
    };
    let len_i = i64::try_from(len).unwrap_or(i64::MAX);
    let resolved = if i < 0 { i + len_i } else { i };
    if i >= len_i || resolved < 0 {
        return Err(format!(
            "index {i} is out of range for an array of {len} element{}",
            if len == 1 { "" } else { "s" }
        ));
    }
    usize::try_from(resolved).map_err(|_| format!("index {i} is out of range"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn removed(doc: Value, p: &str) -> (Value, PointerOutcome) {
        let mut d = doc;
        let out = remove_pointer(&mut d, p);
        (d, out)
    }

    /// §4.3, each row checked against evanphx/json-patch.
    #[test]
    fn remove_table() {
        let arr = json!({"a": [0, 1, 2]});
        let cases: Vec<(Value, &str, Value, &str)> = vec![
            // escaping: ~1 is `/`, the key `a/b` not the path a → b
            (
                json!({"a/b": 1, "a": {"b": 2}}),
                "/a~1b",
                json!({"a": {"b": 2}}),
                "removed",
            ),
            (json!({"a": {"/": 1}}), "/a/~1", json!({"a": {}}), "removed"),
            // single pass: ~01 is `~1`, not `/`
            (
                json!({"a": {"~1": 1}}),
                "/a/~01",
                json!({"a": {}}),
                "removed",
            ),
            // other `~` stay literal
            (json!({"a~2": 1}), "/a~2", json!({}), "removed"),
            (json!({"a~": 1}), "/a~", json!({}), "removed"),
            // leading zeros and signs (strconv.Atoi)
            (arr.clone(), "/a/01", json!({"a": [0, 2]}), "removed"),
            (arr.clone(), "/a/+1", json!({"a": [0, 2]}), "removed"),
            // negative indices from the end
            (arr.clone(), "/a/-1", json!({"a": [0, 1]}), "removed"),
            (arr.clone(), "/a/-3", json!({"a": [1, 2]}), "removed"),
            (arr.clone(), "/a/-0", json!({"a": [1, 2]}), "removed"),
            (arr.clone(), "/a/-4", arr.clone(), "invalid"),
            (arr.clone(), "/a/3", arr.clone(), "invalid"),
            (arr.clone(), "/a/-", arr.clone(), "invalid"),
            (arr.clone(), "/a/x", arr.clone(), "invalid"),
            (arr.clone(), "/a/ 1", arr.clone(), "invalid"),
            (arr.clone(), "/a/1e0", arr.clone(), "invalid"),
            (
                arr.clone(),
                "/a/99999999999999999999",
                arr.clone(),
                "invalid",
            ),
            // missing paths are silent
            (
                json!({"a": 1}),
                "/missing/deeper",
                json!({"a": 1}),
                "missing",
            ),
            (
                json!({"a": {"c": 1}}),
                "/a/b",
                json!({"a": {"c": 1}}),
                "missing",
            ),
            (json!({"a": "s"}), "/a/b", json!({"a": "s"}), "missing"),
            (json!({"a": null}), "/a/b", json!({"a": null}), "missing"),
            (
                json!({"a": {"b": 5}}),
                "/a/b/c",
                json!({"a": {"b": 5}}),
                "missing",
            ),
            // intermediate array steps: bad or out-of-range index is "missing path"
            (
                json!({"a": [{"b": 1}, {"b": 2}]}),
                "/a/5/b",
                json!({"a": [{"b": 1}, {"b": 2}]}),
                "missing",
            ),
            (
                json!({"a": [{"b": 1}, {"b": 2}]}),
                "/a/x/b",
                json!({"a": [{"b": 1}, {"b": 2}]}),
                "missing",
            ),
            (
                json!({"a": [{"b": 1}, {"b": 2}]}),
                "/a/01/b",
                json!({"a": [{"b": 1}, {}]}),
                "removed",
            ),
            (
                json!({"a": [{"b": 1}, {"b": 2}]}),
                "/a/-1/b",
                json!({"a": [{"b": 1}, {}]}),
                "removed",
            ),
            // the whole document and pointers without `/`
            (json!({"a": 1}), "", json!({"a": 1}), "missing"),
            (json!({"a": 1}), "a", json!({"a": 1}), "missing"),
            // text before the first `/` is dropped
            (
                json!({"a": 1, "x": {"a": 2}}),
                "x/a",
                json!({"x": {"a": 2}}),
                "removed",
            ),
            (
                json!({"spec": {"replicas": 1}}),
                "spec/replicas",
                json!({"spec": {"replicas": 1}}),
                "missing",
            ),
            // `/` is the key ""
            (json!({"": 1, "a": 1}), "/", json!({"a": 1}), "removed"),
            (json!({"a": 1}), "/", json!({"a": 1}), "missing"),
            (
                json!({"a": {"": {"": 1}}}),
                "/a//",
                json!({"a": {"": {}}}),
                "removed",
            ),
        ];
        for (doc, p, want, kind) in cases {
            let (got, out) = removed(doc, p);
            assert_eq!(got, want, "pointer {p:?}");
            let k = match out {
                PointerOutcome::Removed(_) => "removed",
                PointerOutcome::Missing => "missing",
                PointerOutcome::Invalid(_) => "invalid",
            };
            assert_eq!(k, kind, "pointer {p:?}");
        }
    }

    #[test]
    fn removed_value_is_returned_and_order_kept() {
        let mut d = json!({"a": 1, "b": {"x": [1, 2]}, "c": 3});
        assert_eq!(
            remove_pointer(&mut d, "/b"),
            PointerOutcome::Removed(json!({"x": [1, 2]}))
        );
        assert_eq!(
            serde_json::to_string(&d).ok().as_deref(),
            Some(r#"{"a":1,"c":3}"#)
        );
    }

    #[test]
    fn strict_parse() {
        assert_eq!(
            parse_pointer("/a~1b/c~0d").ok(),
            Some(vec!["a/b".to_string(), "c~d".to_string()])
        );
        assert_eq!(parse_pointer("/").ok(), Some(vec![String::new()]));
        let e = parse_pointer("").err();
        assert_eq!(
            e.as_ref().map(|e| e.kind),
            Some(PointerErrorKind::WholeDocument)
        );
        let e = parse_pointer("spec/replicas").err();
        assert_eq!(
            e.as_ref().map(|e| (e.kind, e.range.clone())),
            Some((PointerErrorKind::MissingLeadingSlash, 0..4))
        );
        assert!(e.is_some_and(|e| e.message.contains("`/replicas`")));
        let e = parse_pointer("replicas").err();
        assert_eq!(e.as_ref().map(|e| e.range.clone()), Some(0..8));
        assert!(e.is_some_and(|e| e.message.contains("skips")));
        let e = parse_pointer("/a~2b").err();
        assert_eq!(
            e.as_ref().map(|e| (e.kind, e.range.clone())),
            Some((PointerErrorKind::BadEscape, 2..4))
        );
        let e = parse_pointer("/ab~").err();
        assert_eq!(e.as_ref().map(|e| e.range.clone()), Some(3..4));
        let e = parse_pointer("/a~é").err();
        assert_eq!(e.as_ref().map(|e| e.range.clone()), Some(2..5));
        assert!(PointerErrorKind::BadEscape.argo_cd_applies("/a~2"));
        assert!(PointerErrorKind::MissingLeadingSlash.argo_cd_applies("x/a"));
        assert!(!PointerErrorKind::MissingLeadingSlash.argo_cd_applies("a"));
        assert!(!PointerErrorKind::WholeDocument.argo_cd_applies(""));
    }

    #[test]
    fn tokens_and_atoi() {
        assert_eq!(
            argo_cd_tokens("x/a/b~1c"),
            Some(vec!["a".into(), "b/c".into()])
        );
        assert_eq!(argo_cd_tokens("abc"), None);
        assert_eq!(pointer_from_tokens(&["a/b", "c~d"]), "/a~1b/c~0d");
        assert_eq!(go_atoi("-0"), Some(0));
        assert_eq!(go_atoi("007"), Some(7));
        assert_eq!(go_atoi("-9223372036854775808"), Some(i64::MIN));
        assert_eq!(go_atoi("9223372036854775808"), None);
        assert_eq!(go_atoi("+"), None);
        assert_eq!(go_atoi(""), None);
        assert_eq!(go_atoi("١"), None);
    }
}
