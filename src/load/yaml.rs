//! YAML text → span tree.
//!
//! Builds a tree of [`Node`]s from `saphyr-parser` events, with the exact byte span of
//! every key and value, Kubernetes' YAML 1.1 scalar typing (as `sigs.k8s.io/yaml`, which
//! wraps go-yaml v2), merge keys, duplicate-key detection, and hard bounds on alias
//! expansion and nesting so hostile input cannot exhaust memory or stack.
//!
//! It owns nothing but the tree: no files, no diagnostics catalogue, no Kubernetes.

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError};
use serde_json::{Map as JsonMap, Number, Value as Json};
use std::borrow::Cow;

/// The most nodes that alias expansion may add to one file. Billion-laughs style input
/// stops here with a syntax diagnostic instead of consuming the machine.
pub const MAX_ALIAS_NODES: usize = 100_000;
/// The most nodes that anchors may copy in one file. An anchored node is copied when it
/// is defined so that aliases can refer to it; without a bound, anchors nested inside
/// anchors (`&a [&b [&c [...]]]`) copy the innermost nodes once per level, and a small
/// file with no alias at all takes gigabytes.
pub const MAX_ANCHOR_NODES: usize = 1_000_000;
/// The deepest nesting accepted. Real manifests stay far below this.
pub const MAX_DEPTH: usize = 1_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
    Folded,
}

/// How Kubernetes (go-yaml v2 via sigs.k8s.io/yaml) types a scalar.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Typed {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    Str,
}

#[derive(Clone, Debug)]
pub struct Scalar {
    /// The scalar's value after YAML unescaping and folding.
    pub text: String,
    pub style: Style,
    pub typed: Typed,
}

#[derive(Clone, Debug)]
pub struct Entry {
    pub key: Node,
    pub value: Node,
    /// True for entries copied in by a `<<` merge key.
    pub merged: bool,
}

#[derive(Clone, Debug)]
pub enum Value {
    Scalar(Scalar),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

/// A YAML node with its byte span `[start, end)` in the file.
#[derive(Clone, Debug)]
pub struct Node {
    pub start: u32,
    pub end: u32,
    pub value: Value,
}

/// A problem found while building the tree.
#[derive(Clone, Debug, PartialEq)]
pub enum Problem {
    /// The file is not valid YAML from this point on (GO001).
    Syntax {
        start: u32,
        end: u32,
        message: String,
    },
    /// A mapping repeats a key (GO002): one problem per repetition; `first` is the span
    /// of the key's first occurrence, `last` tells whether this is the value that wins.
    DuplicateKey {
        key: String,
        start: u32,
        end: u32,
        first_start: u32,
        first_end: u32,
        last: bool,
    },
}

/// One YAML document of a stream.
#[derive(Clone, Debug)]
pub struct Document {
    /// Position of the document in its file, from 0.
    pub index: usize,
    pub root: Node,
}

#[derive(Debug, Default)]
pub struct Parsed {
    pub documents: Vec<Document>,
    pub problems: Vec<Problem>,
}

impl Node {
    pub fn scalar(&self) -> Option<&Scalar> {
        match &self.value {
            Value::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// The value as a string, only when Kubernetes reads it as a string.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(s) if s.typed == Typed::Str => Some(&s.text),
            _ => None,
        }
    }

    /// The scalar's text whatever its type (`5`, `true`, `name`).
    pub fn scalar_text(&self) -> Option<&str> {
        self.scalar().map(|s| s.text.as_str())
    }

    pub fn as_bool(&self) -> Option<bool> {
        match &self.value {
            Value::Scalar(Scalar {
                typed: Typed::Bool(b),
                ..
            }) => Some(*b),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match &self.value {
            Value::Scalar(Scalar {
                typed: Typed::Int(i),
                ..
            }) => Some(*i),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(
            &self.value,
            Value::Scalar(Scalar {
                typed: Typed::Null,
                ..
            })
        )
    }

    pub fn is_map(&self) -> bool {
        matches!(self.value, Value::Map(_))
    }

    pub fn is_seq(&self) -> bool {
        matches!(self.value, Value::Seq(_))
    }

    pub fn entries(&self) -> &[Entry] {
        match &self.value {
            Value::Map(e) => e,
            _ => &[],
        }
    }

    pub fn items(&self) -> &[Node] {
        match &self.value {
            Value::Seq(i) => i,
            _ => &[],
        }
    }

    /// The entry for `key` as Kubernetes sees it: the last one wins.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        // Compared without building each key's string: this is the hottest lookup of
        // every rule.
        self.entries()
            .iter()
            .rev()
            .find(|e| e.key.key_cow().as_deref() == Some(key))
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    /// Follows a path of mapping keys.
    pub fn path(&self, keys: &[&str]) -> Option<&Node> {
        keys.iter().try_fold(self, |n, k| n.get(k))
    }

    /// Resolves an RFC 6901 JSON pointer (`/spec/sources/0/repoURL`).
    pub fn pointer(&self, pointer: &str) -> Option<&Node> {
        if pointer.is_empty() {
            return Some(self);
        }
        let rest = pointer.strip_prefix('/')?;
        rest.split('/').try_fold(self, |n, raw| {
            let tok = unescape_token(raw);
            match &n.value {
                Value::Map(_) => n.get(&tok),
                Value::Seq(items) => tok.parse::<usize>().ok().and_then(|i| items.get(i)),
                Value::Scalar(_) => None,
            }
        })
    }

    /// The key as the JSON object key sigs.k8s.io/yaml would produce.
    pub fn key_string(&self) -> Option<String> {
        self.key_cow().map(Cow::into_owned)
    }

    /// [`Node::key_string`], borrowed for string keys (nearly all of them).
    fn key_cow(&self) -> Option<Cow<'_, str>> {
        let s = self.scalar()?;
        Some(match s.typed {
            Typed::Str => Cow::Borrowed(s.text.as_str()),
            Typed::Null => Cow::Borrowed("null"),
            Typed::Bool(b) => Cow::Borrowed(if b { "true" } else { "false" }),
            Typed::Int(i) => Cow::Owned(i.to_string()),
            Typed::Uint(u) => Cow::Owned(u.to_string()),
            Typed::Float(f) => Cow::Owned(f.to_string()),
        })
    }

    /// Converts to JSON the way Kubernetes does (last duplicate key wins).
    pub fn to_json(&self) -> Json {
        match &self.value {
            Value::Scalar(s) => scalar_json(s),
            Value::Seq(items) => Json::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => {
                let mut m = JsonMap::new();
                for e in entries {
                    if let Some(k) = e.key.key_string() {
                        m.insert(k, e.value.to_json());
                    }
                }
                Json::Object(m)
            }
        }
    }

    fn count(&self) -> usize {
        1 + match &self.value {
            Value::Scalar(_) => 0,
            Value::Seq(i) => i.iter().map(Node::count).sum(),
            Value::Map(e) => e.iter().map(|e| e.key.count() + e.value.count()).sum(),
        }
    }

    fn depth(&self) -> usize {
        1 + match &self.value {
            Value::Scalar(_) => 0,
            Value::Seq(i) => i.iter().map(Node::depth).max().unwrap_or(0),
            Value::Map(e) => e.iter().map(|e| e.value.depth()).max().unwrap_or(0),
        }
    }
}

fn scalar_json(s: &Scalar) -> Json {
    match s.typed {
        Typed::Null => Json::Null,
        Typed::Bool(b) => Json::Bool(b),
        Typed::Int(i) => Json::Number(i.into()),
        Typed::Uint(u) => Json::Number(u.into()),
        Typed::Float(f) => {
            Number::from_f64(f).map_or_else(|| Json::String(s.text.clone()), Json::Number)
        }
        Typed::Str => Json::String(s.text.clone()),
    }
}

/// Resolves a plain scalar the way go-yaml v2 does (YAML 1.1 as Kubernetes reads it).
pub fn resolve_plain(text: &str) -> Typed {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Typed::Null,
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "true" | "True" | "TRUE" => {
            return Typed::Bool(true);
        }
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "false" | "False" | "FALSE" => {
            return Typed::Bool(false);
        }
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Typed::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Typed::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Typed::Float(f64::NAN),
        _ => {}
    }
    let first = text.as_bytes()[0];
    if !(first.is_ascii_digit() || first == b'-' || first == b'+' || first == b'.') {
        return Typed::Str;
    }
    let plain: String = text.chars().filter(|&c| c != '_').collect();
    if let Some(i) = go_parse_int(&plain) {
        return i;
    }
    if is_yaml_float(&plain)
        && let Ok(f) = plain.parse::<f64>()
    {
        return Typed::Float(f);
    }
    Typed::Str
}

/// Go's `strconv.ParseInt(s, 0, 64)`, falling back to `ParseUint` for large positives.
fn go_parse_int(s: &str) -> Option<Typed> {
    let (neg, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let (radix, digits) =
        if let Some(r) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
            (16, r)
        } else if let Some(r) = body.strip_prefix("0b").or_else(|| body.strip_prefix("0B")) {
            (2, r)
        } else if let Some(r) = body.strip_prefix("0o").or_else(|| body.strip_prefix("0O")) {
            (8, r)
        } else if body.len() > 1 && body.starts_with('0') {
            (8, &body[1..])
        } else {
            (10, body)
        };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let mag = u128::from_str_radix(digits, radix).ok()?;
    if neg {
        if mag <= i64::MAX as u128 + 1 {
            return Some(Typed::Int((-(mag as i128)) as i64));
        }
        return None;
    }
    if mag <= i64::MAX as u128 {
        Some(Typed::Int(mag as i64))
    } else if mag <= u64::MAX as u128 {
        Some(Typed::Uint(mag as u64))
    } else {
        None
    }
}

/// go-yaml v2's float pattern: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn is_yaml_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'-' | b'+')) {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let s = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - s
    };
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'-' | b'+')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// Converts saphyr's character indices to byte offsets without a table per character.
struct CharIndex<'a> {
    text: &'a str,
    base: usize,
    ascii: bool,
    /// Byte offset of every 256th character.
    checkpoints: Vec<u32>,
}

impl<'a> CharIndex<'a> {
    fn new(text: &'a str, base: usize) -> Self {
        let ascii = text.is_ascii();
        let mut checkpoints = Vec::new();
        if !ascii {
            for (n, (b, _)) in text.char_indices().enumerate() {
                if n % 256 == 0 {
                    checkpoints.push(u32::try_from(b).unwrap_or(u32::MAX));
                }
            }
        }
        CharIndex {
            text,
            base,
            ascii,
            checkpoints,
        }
    }

    fn byte(&self, char_index: usize) -> u32 {
        let local = if self.ascii {
            char_index.min(self.text.len())
        } else {
            let cp = char_index / 256;
            match self.checkpoints.get(cp) {
                None => self.text.len(),
                Some(&start) => {
                    let start = start as usize;
                    let rest = char_index - cp * 256;
                    self.text
                        .get(start..)
                        .and_then(|t| t.char_indices().nth(rest).map(|(b, _)| start + b))
                        .unwrap_or(self.text.len())
                }
            }
        };
        u32::try_from(local + self.base).unwrap_or(u32::MAX)
    }
}

enum Frame {
    Seq {
        start: u32,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        start: u32,
        anchor: usize,
        entries: Vec<Entry>,
        key: Option<Node>,
    },
}

struct Anchor {
    node: Node,
    count: usize,
    depth: usize,
}

/// Parses a YAML stream. Never panics; everything wrong is a [`Problem`].
pub fn parse(text: &str) -> Parsed {
    let (body, base) = match text.strip_prefix('\u{feff}') {
        Some(rest) => (rest, 3),
        None => (text, 0),
    };
    let idx = CharIndex::new(body, base);
    let mut out = Parsed::default();
    let mut parser = Parser::new_from_str(body);
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: std::collections::HashMap<usize, Anchor> = std::collections::HashMap::new();
    let mut expanded = 0usize;
    let mut anchored = 0usize;
    let mut root: Option<Node> = None;
    let mut doc_index = 0usize;

    let syntax = |start: u32, end: u32, message: String| Problem::Syntax {
        start,
        end,
        message,
    };

    while let Some(ev) = parser.next_event() {
        let (event, span) = match ev {
            Ok(e) => e,
            Err(e) => {
                out.problems.push(scan_problem(&e, &idx));
                return out;
            }
        };
        let s = idx.byte(span.start.index());
        let e = idx.byte(span.end.index()).max(s);
        let done: Option<(Node, usize)> = match event {
            Event::StreamStart | Event::StreamEnd | Event::Nothing => None,
            Event::DocumentStart(_) => {
                anchors.clear();
                root = None;
                None
            }
            Event::DocumentEnd => {
                if let Some(r) = root.take() {
                    let empty = r.is_null() && r.scalar().is_some_and(|s| s.style == Style::Plain);
                    if !empty {
                        out.documents.push(Document {
                            index: doc_index,
                            root: r,
                        });
                    }
                }
                doc_index += 1;
                None
            }
            Event::Alias(id) => match anchors.get(&id) {
                None => {
                    out.problems
                        .push(syntax(s, e, "alias refers to an unknown anchor".into()));
                    return out;
                }
                Some(a) => {
                    expanded += a.count;
                    if expanded > MAX_ALIAS_NODES {
                        out.problems.push(syntax(
                            s,
                            e,
                            format!(
                                "alias expansion exceeds {MAX_ALIAS_NODES} nodes (an alias bomb?); the rest of the file is not loaded"
                            ),
                        ));
                        return out;
                    }
                    if stack.len() + a.depth > MAX_DEPTH {
                        out.problems.push(syntax(
                            s,
                            e,
                            format!("nesting deeper than {MAX_DEPTH} levels; the rest of the file is not loaded"),
                        ));
                        return out;
                    }
                    Some((a.node.clone(), 0))
                }
            },
            Event::Scalar(value, style, anchor, tag) => {
                let style = match style {
                    ScalarStyle::Plain => Style::Plain,
                    ScalarStyle::SingleQuoted => Style::SingleQuoted,
                    ScalarStyle::DoubleQuoted => Style::DoubleQuoted,
                    ScalarStyle::Literal => Style::Literal,
                    ScalarStyle::Folded => Style::Folded,
                };
                let tag_suffix = tag.as_ref().map(|t| {
                    if t.handle == "!!" || t.handle == "tag:yaml.org,2002:" {
                        format!("!!{}", t.suffix)
                    } else {
                        format!("{}{}", t.handle, t.suffix)
                    }
                });
                let typed = match tag_suffix.as_deref() {
                    Some("!!str") | Some("!!binary") | Some("!!timestamp") => Typed::Str,
                    Some("!!null") => Typed::Null,
                    Some("!!bool") | Some("!!int") | Some("!!float") => resolve_plain(&value),
                    Some(_) => Typed::Str,
                    None if style == Style::Plain => resolve_plain(&value),
                    None => Typed::Str,
                };
                let e = scalar_end(text, s, e, style, &value);
                Some((
                    Node {
                        start: s,
                        end: e,
                        value: Value::Scalar(Scalar {
                            text: value.into_owned(),
                            style,
                            typed,
                        }),
                    },
                    anchor,
                ))
            }
            Event::SequenceStart(anchor, _) => {
                if stack.len() >= MAX_DEPTH {
                    out.problems.push(syntax(
                        s,
                        e,
                        format!("nesting deeper than {MAX_DEPTH} levels; the rest of the file is not loaded"),
                    ));
                    return out;
                }
                stack.push(Frame::Seq {
                    start: s,
                    anchor,
                    items: Vec::new(),
                });
                None
            }
            Event::MappingStart(anchor, _) => {
                if stack.len() >= MAX_DEPTH {
                    out.problems.push(syntax(
                        s,
                        e,
                        format!("nesting deeper than {MAX_DEPTH} levels; the rest of the file is not loaded"),
                    ));
                    return out;
                }
                stack.push(Frame::Map {
                    start: s,
                    anchor,
                    entries: Vec::new(),
                    key: None,
                });
                None
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Frame::Seq {
                    start,
                    anchor,
                    items,
                }) => {
                    let last = items.last().map(|n| n.end.max(start));
                    let end = collection_end(text, start, last, e, b']');
                    Some((
                        Node {
                            start,
                            end: end.max(start),
                            value: Value::Seq(items),
                        },
                        anchor,
                    ))
                }
                _ => {
                    out.problems
                        .push(syntax(s, e, "unbalanced sequence end".into()));
                    return out;
                }
            },
            Event::MappingEnd => match stack.pop() {
                Some(Frame::Map {
                    start,
                    anchor,
                    entries,
                    ..
                }) => {
                    let last = entries.last().map(|en| en.value.end.max(en.key.end));
                    let end = collection_end(text, start, last, e, b'}');
                    let entries = finish_mapping(entries, &mut out.problems);
                    Some((
                        Node {
                            start,
                            end: end.max(start),
                            value: Value::Map(entries),
                        },
                        anchor,
                    ))
                }
                _ => {
                    out.problems
                        .push(syntax(s, e, "unbalanced mapping end".into()));
                    return out;
                }
            },
        };
        let Some((node, anchor)) = done else { continue };
        if anchor != 0 {
            let count = node.count();
            anchored += count;
            if anchored > MAX_ANCHOR_NODES {
                let at = node.start;
                let end = text
                    .get(at as usize..)
                    .and_then(|t| t.chars().next())
                    .map_or(at, |c| at + c.len_utf8() as u32);
                out.problems.push(syntax(
                    at,
                    end,
                    format!(
                        "anchored nodes (&) in this file hold more than {MAX_ANCHOR_NODES} nodes in total (anchors nested in anchors?); the rest of the file is not loaded"
                    ),
                ));
                return out;
            }
            let depth = node.depth();
            anchors.insert(
                anchor,
                Anchor {
                    node: node.clone(),
                    count,
                    depth,
                },
            );
        }
        match stack.last_mut() {
            None => root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, key, .. }) => match key.take() {
                None => *key = Some(node),
                Some(k) => entries.push(Entry {
                    key: k,
                    value: node,
                    merged: false,
                }),
            },
        }
    }
    out
}

/// The exact end of a scalar. saphyr's end marker can run past the scalar (over
/// trailing spaces and a comment), so quoted scalars are scanned to their closing quote
/// and single-line plain scalars end where their text ends.
fn scalar_end(text: &str, start: u32, end: u32, style: Style, value: &str) -> u32 {
    let b = text.as_bytes();
    let s = start as usize;
    let limit = (end as usize).min(b.len());
    match style {
        Style::DoubleQuoted => {
            let mut i = s + 1;
            while i < b.len() {
                match b[i] {
                    b'\\' => i += 2,
                    b'"' => return (i + 1) as u32,
                    _ => i += 1,
                }
            }
            end
        }
        Style::SingleQuoted => {
            let mut i = s + 1;
            while i < b.len() {
                if b[i] == b'\'' {
                    if b.get(i + 1) == Some(&b'\'') {
                        i += 2;
                        continue;
                    }
                    return (i + 1) as u32;
                }
                i += 1;
            }
            end
        }
        Style::Plain => {
            if text.get(s..).is_some_and(|t| t.starts_with(value)) {
                return (s + value.len()) as u32;
            }
            // A multi-line plain scalar: drop trailing blanks and comment lines.
            let mut e = limit.max(s);
            while e > s && matches!(b[e - 1], b' ' | b'\t' | b'\n' | b'\r') {
                e -= 1;
            }
            e as u32
        }
        Style::Literal | Style::Folded => {
            let mut e = limit.max(s);
            while e > s && matches!(b[e - 1], b' ' | b'\t' | b'\n' | b'\r') {
                e -= 1;
            }
            e as u32
        }
    }
}

/// The end of a collection. A block collection ends with its last child; a flow
/// collection (`{...}`, `[...]`) at its closing bracket, found by skipping the
/// separators, blanks and comments after the last child (saphyr's end marker for the
/// closing event can run past the bracket).
fn collection_end(text: &str, start: u32, last: Option<u32>, fallback: u32, close: u8) -> u32 {
    let b = text.as_bytes();
    let open = if close == b'}' { b'{' } else { b'[' };
    if b.get(start as usize) != Some(&open) {
        return last.unwrap_or(fallback).max(start);
    }
    let mut i = last.map_or(start as usize + 1, |l| l as usize);
    while i < b.len() {
        match b[i] {
            c if c == close => return (i + 1) as u32,
            b'#' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
    fallback.max(start)
}

fn scan_problem(e: &ScanError, idx: &CharIndex<'_>) -> Problem {
    let at = idx.byte(e.marker().index());
    let end = idx
        .text
        .get((at as usize).saturating_sub(idx.base)..)
        .and_then(|t| t.chars().next())
        .map_or(at, |c| at + c.len_utf8() as u32);
    let end = if end > at && idx.text.as_bytes().get(at as usize - idx.base) == Some(&b'\n') {
        at
    } else {
        end
    };
    // saphyr counts flow nesting in a u8 and gives up past 255 levels with a message that
    // does not say what is nested; say it the way the tree builder's own bound does.
    let message = if e.info() == "recursion limit exceeded" {
        "nesting of flow collections ([...] or {...}) deeper than 255 levels; the rest of the file is not loaded".to_owned()
    } else {
        e.info().to_owned()
    };
    Problem::Syntax {
        start: at,
        end,
        message,
    }
}

/// Whether any key repeats. Most mappings are small, where comparing every pair beats
/// hashing and allocates nothing.
fn has_duplicates(keys: &[Option<Cow<'_, str>>]) -> bool {
    let present = || keys.iter().flatten();
    if keys.len() < 16 {
        return present()
            .enumerate()
            .any(|(i, k)| present().skip(i + 1).any(|o| o == k));
    }
    let mut set = std::collections::HashSet::with_capacity(keys.len());
    present().any(|k| !set.insert(k))
}

/// One diagnostic per repetition, each related to the key's first occurrence; only the
/// last repetition is the value Kubernetes keeps.
fn report_duplicates(
    entries: &[Entry],
    keys: &[Option<Cow<'_, str>>],
    problems: &mut Vec<Problem>,
) {
    let mut seen: std::collections::HashMap<&str, Vec<(u32, u32)>> =
        std::collections::HashMap::new();
    let mut order: Vec<&str> = Vec::new();
    for (en, k) in entries.iter().zip(keys) {
        let Some(k) = k.as_deref() else { continue };
        let spans = seen.entry(k).or_default();
        if spans.is_empty() {
            order.push(k);
        }
        spans.push((en.key.start, en.key.end));
    }
    for k in order {
        let Some(spans) = seen.get(k) else { continue };
        let Some(&(first_start, first_end)) = spans.first() else {
            continue;
        };
        let n = spans.len();
        for (i, &(start, end)) in spans.iter().enumerate().skip(1) {
            problems.push(Problem::DuplicateKey {
                key: k.to_owned(),
                start,
                end,
                first_start,
                first_end,
                last: i + 1 == n,
            });
        }
    }
}

/// Reports duplicate keys, then expands `<<` merge keys in place with go-yaml v2's
/// in-order semantics (later keys win over merged ones, merged ones over earlier keys).
fn finish_mapping(entries: Vec<Entry>, problems: &mut Vec<Problem>) -> Vec<Entry> {
    let has_merge = entries.iter().any(|en| is_merge_key(&en.key));
    let keys: Vec<Option<Cow<'_, str>>> = entries
        .iter()
        .map(|en| {
            if is_merge_key(&en.key) {
                None
            } else {
                en.key.key_cow()
            }
        })
        .collect();
    if has_duplicates(&keys) {
        report_duplicates(&entries, &keys, problems);
    }
    if !has_merge {
        return entries;
    }
    let mut out = Vec::with_capacity(entries.len());
    for en in entries {
        if !is_merge_key(&en.key) {
            out.push(en);
            continue;
        }
        let sources: Vec<&Node> = match &en.value.value {
            Value::Map(_) => vec![&en.value],
            Value::Seq(items) => items.iter().rev().collect(),
            Value::Scalar(_) => {
                out.push(en.clone());
                continue;
            }
        };
        for src in sources {
            for m in src.entries() {
                out.push(Entry {
                    key: m.key.clone(),
                    value: m.value.clone(),
                    merged: true,
                });
            }
        }
    }
    out
}

fn is_merge_key(n: &Node) -> bool {
    matches!(&n.value, Value::Scalar(s) if s.style == Style::Plain && s.text == "<<")
}

/// For each byte of `value` (and one past its end), the offset in `raw` (the scalar as
/// written, from its first character) of the character that produces it. `None` when
/// the scalar is written in a way this does not follow (multi-line flow scalars,
/// explicit indentation indicators) or does not produce `value`.
pub fn value_offsets(raw: &str, style: Style, value: &str) -> Option<Vec<usize>> {
    let mut map: Vec<usize> = Vec::with_capacity(value.len() + 1);
    match style {
        Style::Plain => {
            if raw.contains('\n') || !raw.starts_with(value) {
                return None;
            }
            map.extend(0..=value.len());
        }
        Style::SingleQuoted => {
            let body = raw.strip_prefix('\'')?;
            if body.contains('\n') {
                return None;
            }
            let bytes = body.as_bytes();
            let mut i = 0;
            while i < bytes.len() {
                match bytes[i] {
                    b'\'' if bytes.get(i + 1) == Some(&b'\'') => {
                        map.push(1 + i);
                        i += 2;
                    }
                    b'\'' => break,
                    _ => {
                        map.push(1 + i);
                        i += 1;
                    }
                }
            }
            map.push(1 + i);
        }
        Style::DoubleQuoted => {
            let body = raw.strip_prefix('"')?;
            if body.contains('\n') {
                return None;
            }
            let bytes = body.as_bytes();
            let mut i = 0;
            while i < bytes.len() {
                match bytes[i] {
                    b'"' => break,
                    b'\\' => {
                        let esc = *bytes.get(i + 1)?;
                        let len = match esc {
                            b'x' => 4,
                            b'u' => 6,
                            b'U' => 10,
                            _ => 2,
                        };
                        let produced = match esc {
                            b'x' | b'u' | b'U' => {
                                let hex = body.get(i + 2..i + len)?;
                                let c = char::from_u32(u32::from_str_radix(hex, 16).ok()?)?;
                                c.len_utf8()
                            }
                            b'N' | b'_' => 2,
                            b'L' | b'P' => 3,
                            _ => 1,
                        };
                        map.extend(std::iter::repeat_n(1 + i, produced));
                        i += len;
                    }
                    _ => {
                        map.push(1 + i);
                        i += 1;
                    }
                }
            }
            map.push(1 + i);
        }
        Style::Literal | Style::Folded => {
            // The span of a block scalar starts at its first content character (the
            // header and the first line's indentation come before it); a span that
            // starts at the header (`|`, `>-`...) is accepted too.
            let (body_start, first_indented) = match raw.as_bytes().first() {
                Some(b'|' | b'>') => {
                    let header_end = raw.find('\n')?;
                    if raw[..header_end].chars().any(|c| c.is_ascii_digit()) {
                        return None;
                    }
                    (header_end + 1, true)
                }
                _ => (0, false),
            };
            let mut lines: Vec<(usize, &str)> = Vec::new();
            let mut at = body_start;
            for line in raw[body_start..].split('\n') {
                lines.push((at, line));
                at += line.len() + 1;
            }
            // The block's indentation: read from the first non-empty line when the span
            // includes it, else from how much longer a later line is than the value's.
            let indent = if first_indented {
                lines
                    .iter()
                    .find(|(_, l)| !l.trim().is_empty())
                    .map(|(_, l)| l.len() - l.trim_start_matches(' ').len())?
            } else if style == Style::Literal {
                let value_lines: Vec<&str> = value.split('\n').collect();
                lines
                    .iter()
                    .enumerate()
                    .skip(1)
                    .find(|(_, (_, l))| !l.trim().is_empty())
                    .map_or(Some(0), |(i, (_, l))| {
                        value_lines
                            .get(i)
                            .and_then(|v| l.len().checked_sub(v.len()))
                    })?
            } else if lines.len() == 1 {
                0
            } else {
                return None;
            };
            for (k, (off, line)) in lines.iter().enumerate() {
                let skip = if k == 0 && !first_indented {
                    0
                } else {
                    indent.min(line.len())
                };
                let content = line.get(skip..).unwrap_or("");
                let first = off + skip;
                map.extend((0..content.len()).map(|k| first + k));
                // The line break (or the space that folds it).
                map.push(first + content.len());
            }
            map.truncate(value.len());
            map.push(map.last().map_or(0, |l| l + 1));
        }
    }
    // The map must describe exactly the value: same length and the same characters
    // where they are written literally.
    if map.len() != value.len() + 1 {
        return None;
    }
    Some(map)
}

/// One JSON pointer token, unescaped (RFC 6901: `~1` is `/`, then `~0` is `~`).
pub fn unescape_token(raw: &str) -> String {
    raw.replace("~1", "/").replace("~0", "~")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Node {
        let p = parse(text);
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        p.documents
            .into_iter()
            .next()
            .map(|d| d.root)
            .expect("a document")
    }

    #[test]
    fn kubernetes_scalar_typing() {
        let cases: &[(&str, Typed)] = &[
            ("yes", Typed::Bool(true)),
            ("On", Typed::Bool(true)),
            ("y", Typed::Bool(true)),
            ("OFF", Typed::Bool(false)),
            ("0755", Typed::Int(493)),
            ("1_000", Typed::Int(1000)),
            ("0x1F", Typed::Int(31)),
            ("0b101", Typed::Int(5)),
            ("-12", Typed::Int(-12)),
            ("+7", Typed::Int(7)),
            ("08", Typed::Float(8.0)),
            ("1.5", Typed::Float(1.5)),
            ("1e3", Typed::Float(1000.0)),
            ("~", Typed::Null),
            ("", Typed::Null),
            ("2001-12-14", Typed::Str),
            ("1.2.3", Typed::Str),
            ("yess", Typed::Str),
            ("18446744073709551615", Typed::Uint(u64::MAX)),
            ("99999999999999999999", Typed::Float(1e20)),
        ];
        for (text, want) in cases {
            assert_eq!(resolve_plain(text), *want, "{text}");
        }
        assert!(matches!(resolve_plain(".nan"), Typed::Float(f) if f.is_nan()));
    }

    #[test]
    fn spans_are_exact_bytes() {
        let text = "a: 1\nbé: \"x y\"\nc:\n  - one\n  - two\n";
        let n = one(text);
        let b = n.get("bé").expect("b");
        assert_eq!(&text[b.start as usize..b.end as usize], "\"x y\"");
        assert_eq!(b.as_str(), Some("x y"));
        let items = n.get("c").expect("c").items();
        assert_eq!(&text[items[1].start as usize..items[1].end as usize], "two");
        let key = &n.entries()[1].key;
        assert_eq!(&text[key.start as usize..key.end as usize], "bé");
    }

    #[test]
    fn scalar_spans_stop_before_comments() {
        let text = "a: \"1.5\" # c\nb: 'it''s' # d\nc: plain   # e\nd: x\n";
        let n = one(text);
        let at = |k: &str| {
            let v = n.get(k).expect(k);
            &text[v.start as usize..v.end as usize]
        };
        assert_eq!(at("a"), "\"1.5\"");
        assert_eq!(at("b"), "'it''s'");
        assert_eq!(at("c"), "plain");
        assert_eq!(at("d"), "x");
    }

    #[test]
    fn flow_collection_spans_end_at_their_bracket() {
        let text = "a: {} # c\nb: [] # d\nc: { x: 1 , } # e\nd: [1, [2] ] # f\ne:\n  - 1\n";
        let n = one(text);
        let at = |k: &str| {
            let v = n.get(k).expect(k);
            &text[v.start as usize..v.end as usize]
        };
        assert_eq!(at("a"), "{}");
        assert_eq!(at("b"), "[]");
        assert_eq!(at("c"), "{ x: 1 , }");
        assert_eq!(at("d"), "[1, [2] ]");
        assert_eq!(at("e"), "- 1");
    }

    #[test]
    fn quoted_scalars_stay_strings() {
        let n = one("a: \"yes\"\nb: '5'\nc: !!str 7\nd: |\n  on\n");
        for k in ["a", "b", "c", "d"] {
            assert!(n.get(k).and_then(Node::as_str).is_some(), "{k}");
        }
    }

    #[test]
    fn duplicate_keys_reported_last_wins() {
        let p = parse("a: 1\nb: 2\na: 3\n");
        assert_eq!(p.problems.len(), 1);
        assert!(
            matches!(&p.problems[0], Problem::DuplicateKey { key, start: 10, .. } if key == "a")
        );
        let root = &p.documents[0].root;
        assert_eq!(root.get("a").and_then(Node::as_i64), Some(3));
        assert_eq!(root.to_json(), serde_json::json!({"a": 3, "b": 2}));
    }

    #[test]
    fn every_repetition_is_reported_against_the_first() {
        let p = parse("a: 1\na: 2\nb: 0\na: 3\n");
        let got: Vec<(u32, u32, bool)> = p
            .problems
            .iter()
            .filter_map(|q| match q {
                Problem::DuplicateKey {
                    start,
                    first_start,
                    last,
                    ..
                } => Some((*start, *first_start, *last)),
                Problem::Syntax { .. } => None,
            })
            .collect();
        assert_eq!(got, [(5, 0, false), (15, 0, true)]);
        // "1" and 1 are the same JSON key.
        assert_eq!(parse("1: a\n\"1\": b\n").problems.len(), 1);
    }

    #[test]
    fn duplicate_keys_in_large_mappings_point_at_the_previous_occurrence() {
        let mut text = String::new();
        for i in 0..20 {
            text.push_str(&format!("k{i}: {i}\n"));
        }
        // Bytes of each repeat: "k3" again after 20 keys, then a third "k3", then "k19".
        let second = text.len() as u32;
        text.push_str("k3: a\n");
        let third = text.len() as u32;
        text.push_str("k3: b\nk19: c\ny: 1\ntrue: 2\n");
        let p = parse(&text);
        let dups: Vec<(String, u32, u32)> = p
            .problems
            .iter()
            .filter_map(|pr| match pr {
                Problem::DuplicateKey {
                    key,
                    start,
                    first_start,
                    ..
                } => Some((key.clone(), *start, *first_start)),
                Problem::Syntax { .. } => None,
            })
            .collect();
        assert_eq!(dups.len(), 4, "{dups:?}");
        assert_eq!(dups[0], ("k3".to_owned(), second, 18));
        // Every repetition relates to the first occurrence.
        assert_eq!(dups[1], ("k3".to_owned(), third, 18));
        assert_eq!(dups[2].0, "k19");
        // `y` and `true` are the same key to go-yaml v2: both are the boolean true.
        assert_eq!(dups[3].0, "true");
        let root = &p.documents[0].root;
        assert_eq!(root.get("k3").and_then(Node::as_str), Some("b"));
        assert_eq!(root.get("true").and_then(Node::as_i64), Some(2));
    }

    #[test]
    fn merge_keys_follow_go_yaml_v2() {
        let n = one("base: &b {p: 1, q: 2}\nm:\n  <<: *b\n  q: 3\n");
        assert_eq!(
            n.get("m").map(Node::to_json),
            Some(serde_json::json!({"p": 1, "q": 3}))
        );
        // go-yaml v2 reads a bare `y` key as the boolean true, which becomes the JSON key "true".
        assert_eq!(one("y: 1\n").to_json(), serde_json::json!({"true": 1}));
    }

    #[test]
    fn multi_document_and_empty_documents() {
        let p = parse("---\n---\na: 1\n---\n# only a comment\n---\nb: 2\n");
        assert!(p.problems.is_empty());
        assert_eq!(p.documents.len(), 2);
        assert_eq!(p.documents[0].index, 1);
        assert_eq!(p.documents[1].index, 3);
    }

    #[test]
    fn syntax_error_has_position() {
        let p = parse("a: 1\nb: [1, 2\n");
        assert!(matches!(p.problems.first(), Some(Problem::Syntax { .. })));
    }

    #[test]
    fn alias_bomb_is_bounded() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let p = parse(&text);
        assert!(
            matches!(&p.problems[..], [Problem::Syntax { message, .. }] if message.contains("alias"))
        );
    }

    #[test]
    fn nested_anchors_are_bounded() {
        let (levels, width) = (200, 20_000);
        let mut text = String::from("a: ");
        for i in 0..levels {
            text.push_str(&format!("&a{i} ["));
        }
        text.push_str(&vec!["x"; width].join(", "));
        text.push_str(&"]".repeat(levels));
        text.push('\n');
        let p = parse(&text);
        let [Problem::Syntax { start, message, .. }] = &p.problems[..] else {
            panic!("{:?}", p.problems);
        };
        assert!(message.contains("anchored"), "{message}");
        // Reported at one of the anchored sequences, not at the end of the file.
        assert!(text[*start as usize..].starts_with("&a"), "{start}");
        // Anchors that copy little stay accepted.
        let small = "base: &b {x: 1}\nm: &m [*b, *b]\nn: *m\n";
        assert!(parse(small).problems.is_empty());
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let text = format!("{}1{}", "[".repeat(5000), "]".repeat(5000));
        let p = parse(&text);
        assert_eq!(p.problems.len(), 1);
        let mut block = String::new();
        for i in 0..3000 {
            block.push_str(&" ".repeat(i));
            block.push_str("k:\n");
        }
        let p = parse(&block);
        assert!(
            matches!(&p.problems[..], [Problem::Syntax { message, .. }] if message.contains("nesting"))
        );
    }

    #[test]
    fn bom_is_skipped_and_offsets_kept() {
        let text = "\u{feff}a: b\n";
        let n = one(text);
        let v = n.get("a").expect("a");
        assert_eq!(&text[v.start as usize..v.end as usize], "b");
    }
}
