//! sprig v3.3 functions and Argo CD's own template functions, with the Go behaviour
//! of each (conversions through `spf13/cast`, byte-based string slicing, `mergo`
//! merging, errors raised as panics turned into `error calling X: …`).

use super::digest;
use super::encode;
use super::exec::State;
use super::funcs::{FnError, arg_int, arg_str, arg_val, is_function};
use super::gofmt;
use super::parse;
use super::value::{Slot, Ty, Val};
use super::{ErrorKind, TemplateError};
use base64::Engine as _;
use std::collections::BTreeMap;

type Res = Result<Val, FnError>;

fn go(msg: impl Into<String>) -> FnError {
    FnError::Go(msg.into())
}

fn too_deep() -> FnError {
    FnError::Limit("value nested too deeply".into())
}

const NIL_DEREF: &str = "runtime error: invalid memory address or nil pointer dereference";

// ---- unsupported --------------------------------------------------------------------

pub fn unsupported(_: &mut State<'_>, _: &[Slot]) -> Res {
    Err(FnError::Unsupported(
        "not implemented by this engine".into(),
    ))
}

pub fn unsupported_time(_: &mut State<'_>, _: &[Slot]) -> Res {
    Err(FnError::Unsupported(
        "depends on the current time; the result is not predictable".into(),
    ))
}

pub fn unsupported_random(_: &mut State<'_>, _: &[Slot]) -> Res {
    Err(FnError::Unsupported(
        "produces random output; the result is not predictable".into(),
    ))
}

pub fn hello(_: &mut State<'_>, _: &[Slot]) -> Res {
    Ok(Val::str("Hello!"))
}

pub fn fail(_: &mut State<'_>, a: &[Slot]) -> Res {
    Err(go(arg_str(a, 0)))
}

// ---- conversions (spf13/cast) -----------------------------------------------------------

/// `strval`: strings as is, everything else `fmt.Sprintf("%v")`.
pub fn strval(v: &Val) -> Result<String, FnError> {
    match v {
        Val::Str(s) => Ok(s.to_string()),
        other => gofmt::sprint_one(other).map_err(|_| too_deep()),
    }
}

fn trim_zero_decimal(s: &str) -> &str {
    let b = s.as_bytes();
    let mut found_zero = false;
    let mut i = b.len();
    while i > 0 {
        match b[i - 1] {
            b'.' => {
                if found_zero {
                    return &s[..i - 1];
                }
            }
            b'0' => found_zero = true,
            _ => return s,
        }
        i -= 1;
    }
    s
}

/// `strconv.ParseInt(s, 0, 64)`.
fn parse_int_base0(s: &str) -> Option<i64> {
    let n = parse::parse_number(s, super::lex::ItemType::Number).ok()?;
    if n.is_int && !s.contains(['.', 'e', 'E', 'p', 'P']) && !s.starts_with('\'') {
        Some(n.int64)
    } else {
        None
    }
}

/// Go's float64 → int64 conversion (saturating here; Go's is platform-defined).
fn f2i(f: f64) -> i64 {
    if f.is_nan() { i64::MIN } else { f as i64 }
}

/// `cast.ToInt64` (errors become 0).
pub fn to_int64(v: &Val) -> i64 {
    match v {
        Val::Int(i) | Val::Int64(i) => *i,
        Val::Float(f) => f2i(*f),
        Val::Bool(b) => i64::from(*b),
        Val::Str(s) => parse_int_base0(trim_zero_decimal(s)).unwrap_or(0),
        _ => 0,
    }
}

/// `cast.ToFloat64` (errors become 0).
pub fn to_float64(v: &Val) -> f64 {
    match v {
        Val::Int(i) | Val::Int64(i) => *i as f64,
        Val::Float(f) => *f,
        Val::Bool(b) => f64::from(u8::from(*b)),
        Val::Str(s) => s.parse::<f64>().unwrap_or(0.0),
        _ => 0.0,
    }
}

pub fn to_string(_: &mut State<'_>, a: &[Slot]) -> Res {
    Ok(Val::string(strval(&arg_val(a, 0))?))
}

pub fn atoi(_: &mut State<'_>, a: &[Slot]) -> Res {
    let s = arg_str(a, 0);
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let ok = !body.is_empty() && body.bytes().all(|b| b.is_ascii_digit());
    Ok(Val::Int(if ok { s.parse::<i64>().unwrap_or(0) } else { 0 }))
}

pub fn int64(_: &mut State<'_>, a: &[Slot]) -> Res {
    Ok(Val::Int64(to_int64(&arg_val(a, 0))))
}

pub fn int(_: &mut State<'_>, a: &[Slot]) -> Res {
    Ok(Val::Int(to_int64(&arg_val(a, 0))))
}

pub fn float64(_: &mut State<'_>, a: &[Slot]) -> Res {
    Ok(Val::Float(to_float64(&arg_val(a, 0))))
}

pub fn to_decimal(_: &mut State<'_>, a: &[Slot]) -> Res {
    let s = strval(&arg_val(a, 0))?;
    let (neg, body) = match s.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, s.strip_prefix('+').unwrap_or(&s)),
    };
    let v = i64::from_str_radix(body, 8)
        .ok()
        .filter(|_| !body.is_empty() && !body.starts_with(['+', '-']));
    Ok(Val::Int64(match v {
        Some(v) if neg => -v,
        Some(v) => v,
        None => 0,
    }))
}

// ---- strings ----------------------------------------------------------------------------

fn bytes_str(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

pub fn trim(_: &mut State<'_>, a: &[Slot]) -> Res {
    Ok(Val::str(arg_str(a, 0).trim()))
}

pub fn upper(_: &mut State<'_>, a: &[Slot]) -> Res {
    Ok(Val::string(arg_str(a, 0).to_uppercase()))
}

pub fn lower(_: &mut State<'_>, a: &[Slot]) -> Res {
    Ok(Val::string(arg_str(a, 0).to_lowercase()))
}

/// Go's `strings.Title` separator rule.
fn is_title_separator(c: char) -> bool {
    if c.is_ascii() {
        return !(c.is_ascii_alphanumeric() || c == '_');
    }
    if c.is_alphabetic() || c.is_numeric() {
        return false;
    }
    c.is_whitespace()
}

pub fn title(_: &mut State<'_>, a: &[Slot]) -> Res {
    let mut prev = ' ';
    let mut out = String::new();
    for c in arg_str(a, 0).chars() {
        if is_title_separator(prev) {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        prev = c;
    }
    Ok(Val::string(out))
}

pub fn untitle(_: &mut State<'_>, a: &[Slot]) -> Res {
    let mut next = true;
    let mut out = String::new();
    for c in arg_str(a, 0).chars() {
        if c.is_whitespace() {
            next = true;
            out.push(c);
        } else if next {
            out.extend(c.to_lowercase());
            next = false;
        } else {
            out.push(c);
        }
    }
    Ok(Val::string(out))
}

pub fn initials(_: &mut State<'_>, a: &[Slot]) -> Res {
    let mut next = true;
    let mut out = String::new();
    for c in arg_str(a, 0).chars() {
        if c.is_whitespace() {
            next = true;
        } else if next {
            out.push(c);
            next = false;
        }
    }
    Ok(Val::string(out))
}

pub fn swapcase(_: &mut State<'_>, a: &[Slot]) -> Res {
    let mut out = String::new();
    for c in arg_str(a, 0).chars() {
        if c.is_uppercase() {
            out.extend(c.to_lowercase());
        } else if c.is_lowercase() {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
    }
    Ok(Val::string(out))
}

pub fn nospace(_: &mut State<'_>, a: &[Slot]) -> Res {
    Ok(Val::string(
        arg_str(a, 0)
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect(),
    ))
}

pub fn trunc(_: &mut State<'_>, a: &[Slot]) -> Res {
    let c = arg_int(a, 0);
    let s = arg_str(a, 1).as_bytes();
    let len = s.len() as i64;
    if c < 0 && len + c > 0 {
        return Ok(Val::string(bytes_str(&s[(len + c) as usize..])));
    }
    if c >= 0 && len > c {
        return Ok(Val::string(bytes_str(&s[..c as usize])));
    }
    Ok(Val::string(bytes_str(s)))
}

fn slice_err(lo: Option<i64>, hi: Option<i64>, len: usize) -> FnError {
    go(match (lo, hi) {
        (None, Some(h)) if h >= 0 => {
            format!("runtime error: slice bounds out of range [:{h}] with length {len}")
        }
        (None, Some(h)) => format!("runtime error: slice bounds out of range [:{h}]"),
        (Some(l), None) => format!("runtime error: slice bounds out of range [{l}:{len}]"),
        (Some(_), Some(h)) if h as u64 > len as u64 => {
            format!("runtime error: slice bounds out of range [:{h}] with length {len}")
        }
        (Some(l), Some(h)) => format!("runtime error: slice bounds out of range [{l}:{h}]"),
        _ => "runtime error: slice bounds out of range".to_string(),
    })
}

pub fn substr(_: &mut State<'_>, a: &[Slot]) -> Res {
    let (start, end) = (arg_int(a, 0), arg_int(a, 1));
    let s = arg_str(a, 2).as_bytes();
    let len = s.len() as i64;
    if start < 0 {
        if end < 0 || end > len {
            return Err(slice_err(None, Some(end), s.len()));
        }
        return Ok(Val::string(bytes_str(&s[..end as usize])));
    }
    if end < 0 || end > len {
        if start > len {
            return Err(slice_err(Some(start), None, s.len()));
        }
        return Ok(Val::string(bytes_str(&s[start as usize..])));
    }
    if start > end {
        return Err(slice_err(Some(start), Some(end), s.len()));
    }
    Ok(Val::string(bytes_str(&s[start as usize..end as usize])))
}

/// goutils `AbbreviateFull`.
fn abbreviate_full(s: &str, offset: i64, max: i64) -> String {
    let b = s.as_bytes();
    let len = b.len() as i64;
    if s.is_empty() || max < 4 {
        return s.to_string();
    }
    if len <= max {
        return s.to_string();
    }
    let mut offset = offset.min(len);
    if len - offset < max - 3 {
        offset = len - (max - 3);
    }
    if offset <= 4 {
        return format!("{}...", bytes_str(&b[..(max - 3) as usize]));
    }
    if max < 7 {
        return String::new();
    }
    if offset + max - 3 < len {
        let inner = abbreviate_full(&bytes_str(&b[offset as usize..]), 0, max - 3);
        return format!("...{inner}");
    }
    format!("...{}", bytes_str(&b[(len - (max - 3)) as usize..]))
}

pub fn abbrev(_: &mut State<'_>, a: &[Slot]) -> Res {
    let w = arg_int(a, 0);
    let s = arg_str(a, 1);
    if w < 4 {
        return Ok(Val::str(s));
    }
    Ok(Val::string(abbreviate_full(s, 0, w)))
}

pub fn abbrevboth(_: &mut State<'_>, a: &[Slot]) -> Res {
    let (l, r) = (arg_int(a, 0), arg_int(a, 1));
    let s = arg_str(a, 2);
    if r < 4 || l > 0 && r < 7 {
        return Ok(Val::str(s));
    }
    Ok(Val::string(abbreviate_full(s, l, r)))
}

fn check_len(st: &State<'_>, n: u128) -> Result<(), FnError> {
    if n > st.opts.limits.max_value_len as u128 {
        return Err(FnError::Limit(format!(
            "result would exceed {} bytes or elements",
            st.opts.limits.max_value_len
        )));
    }
    Ok(())
}

pub fn repeat(st: &mut State<'_>, a: &[Slot]) -> Res {
    let n = arg_int(a, 0);
    let s = arg_str(a, 1);
    if n < 0 {
        return Err(go("strings: negative Repeat count"));
    }
    check_len(st, n as u128 * s.len() as u128)?;
    Ok(Val::string(s.repeat(n as usize)))
}

/// Go's `strings.Trim(s, cutset)`.
pub fn trim_all(_: &mut State<'_>, a: &[Slot]) -> Res {
    let cut: Vec<char> = arg_str(a, 0).chars().collect();
    Ok(Val::str(arg_str(a, 1).trim_matches(|c| cut.contains(&c))))
}

pub fn trim_suffix(_: &mut State<'_>, a: &[Slot]) -> Res {
    let s = arg_str(a, 1);
    Ok(Val::str(s.strip_suffix(arg_str(a, 0)).unwrap_or(s)))
}

pub fn trim_prefix(_: &mut State<'_>, a: &[Slot]) -> Res {
    let s = arg_str(a, 1);
    Ok(Val::str(s.strip_prefix(arg_str(a, 0)).unwrap_or(s)))
}

pub fn contains(_: &mut State<'_>, a: &[Slot]) -> Res {
    Ok(Val::Bool(arg_str(a, 1).contains(arg_str(a, 0))))
}

pub fn has_prefix(_: &mut State<'_>, a: &[Slot]) -> Res {
    Ok(Val::Bool(arg_str(a, 1).starts_with(arg_str(a, 0))))
}

pub fn has_suffix(_: &mut State<'_>, a: &[Slot]) -> Res {
    Ok(Val::Bool(arg_str(a, 1).ends_with(arg_str(a, 0))))
}

pub fn quote(_: &mut State<'_>, a: &[Slot]) -> Res {
    let mut out = Vec::new();
    for s in a {
        if s.val.is_valid() {
            out.push(gofmt::quote(&strval(&s.val)?));
        }
    }
    Ok(Val::string(out.join(" ")))
}

pub fn squote(_: &mut State<'_>, a: &[Slot]) -> Res {
    let mut out = Vec::new();
    for s in a {
        if s.val.is_valid() {
            out.push(format!(
                "'{}'",
                gofmt::sprint_one(&s.val).map_err(|_| too_deep())?
            ));
        }
    }
    Ok(Val::string(out.join(" ")))
}

pub fn cat(_: &mut State<'_>, a: &[Slot]) -> Res {
    let mut out = Vec::new();
    for s in a {
        if s.val.is_valid() {
            out.push(gofmt::sprint_one(&s.val).map_err(|_| too_deep())?);
        }
    }
    Ok(Val::string(out.join(" ")))
}

fn indent_str(st: &State<'_>, n: i64, s: &str) -> Result<String, FnError> {
    let n = n.max(0) as usize;
    let lines = s.matches('\n').count() + 1;
    check_len(st, (n as u128) * lines as u128 + s.len() as u128)?;
    let pad = " ".repeat(n);
    Ok(format!("{pad}{}", s.replace('\n', &format!("\n{pad}"))))
}

pub fn indent(st: &mut State<'_>, a: &[Slot]) -> Res {
    Ok(Val::string(indent_str(st, arg_int(a, 0), arg_str(a, 1))?))
}

pub fn nindent(st: &mut State<'_>, a: &[Slot]) -> Res {
    Ok(Val::string(format!(
        "\n{}",
        indent_str(st, arg_int(a, 0), arg_str(a, 1))?
    )))
}

pub fn replace(st: &mut State<'_>, a: &[Slot]) -> Res {
    let (old, new, src) = (arg_str(a, 0), arg_str(a, 1), arg_str(a, 2));
    let count = if old.is_empty() {
        src.chars().count() + 1
    } else {
        src.matches(old).count()
    };
    check_len(st, src.len() as u128 + count as u128 * new.len() as u128)?;
    if old.is_empty() {
        // Go inserts `new` before every rune and at the end.
        let mut out = String::new();
        for c in src.chars() {
            out.push_str(new);
            out.push(c);
        }
        out.push_str(new);
        return Ok(Val::string(out));
    }
    Ok(Val::string(src.replace(old, new)))
}

pub fn plural(_: &mut State<'_>, a: &[Slot]) -> Res {
    Ok(Val::str(if arg_int(a, 2) == 1 {
        arg_str(a, 0)
    } else {
        arg_str(a, 1)
    }))
}

pub fn sha1sum(_: &mut State<'_>, a: &[Slot]) -> Res {
    Ok(Val::string(digest::sha1_hex(arg_str(a, 0).as_bytes())))
}

pub fn sha256sum(_: &mut State<'_>, a: &[Slot]) -> Res {
    Ok(Val::string(digest::sha256_hex(arg_str(a, 0).as_bytes())))
}

pub fn sha512sum(_: &mut State<'_>, a: &[Slot]) -> Res {
    Ok(Val::string(digest::sha512_hex(arg_str(a, 0).as_bytes())))
}

pub fn adler32sum(_: &mut State<'_>, a: &[Slot]) -> Res {
    Ok(Val::string(
        digest::adler32(arg_str(a, 0).as_bytes()).to_string(),
    ))
}

pub fn b64enc(_: &mut State<'_>, a: &[Slot]) -> Res {
    Ok(Val::string(
        base64::engine::general_purpose::STANDARD.encode(arg_str(a, 0)),
    ))
}

pub fn b64dec(_: &mut State<'_>, a: &[Slot]) -> Res {
    let s = arg_str(a, 0);
    // Go ignores \r and \n in base64 input.
    let clean: String = s.chars().filter(|c| *c != '\r' && *c != '\n').collect();
    match base64::engine::general_purpose::STANDARD.decode(&clean) {
        Ok(b) => Ok(Val::string(bytes_str(&b))),
        Err(e) => {
            let at = match e {
                base64::DecodeError::InvalidByte(i, _) => i,
                base64::DecodeError::InvalidLastSymbol { offset, .. } => offset,
                _ => clean.len() / 4 * 4,
            };
            Ok(Val::string(format!(
                "illegal base64 data at input byte {at}"
            )))
        }
    }
}

pub fn b32enc(_: &mut State<'_>, a: &[Slot]) -> Res {
    Ok(Val::string(digest::base32_encode(arg_str(a, 0).as_bytes())))
}

pub fn b32dec(_: &mut State<'_>, a: &[Slot]) -> Res {
    Ok(Val::string(match digest::base32_decode(arg_str(a, 0)) {
        Ok(b) => bytes_str(&b),
        Err(e) => e,
    }))
}

// ---- xstrings case conversions ------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum CharClass {
    Upper,
    Lower,
    Digit,
    Sep,
    Other,
}

fn class(c: char) -> CharClass {
    if c.is_uppercase() {
        CharClass::Upper
    } else if c.is_lowercase() {
        CharClass::Lower
    } else if c.is_numeric() {
        CharClass::Digit
    } else if c == '_' || c == '-' || c.is_whitespace() {
        CharClass::Sep
    } else {
        CharClass::Other
    }
}

/// Splits a camelCase / snake / kebab / spaced string into lower-case words the way
/// huandu/xstrings does for its documented examples: upper-case runs are one word
/// ("HTTPServer" → http, server), digits start a new word after letters unless the
/// digits are followed by lower-case letters that continue them ("http2xx" → http, 2xx;
/// "Bld4Floor3rd" → bld4, floor, 3rd).
fn words(s: &str) -> Vec<String> {
    let chars: Vec<char> = s.chars().collect();
    let mut words: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut prev: Option<CharClass> = None;
    let n = chars.len();
    for (i, &c) in chars.iter().enumerate() {
        let k = class(c);
        if k == CharClass::Sep {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            prev = None;
            continue;
        }
        if let Some(pk) = prev {
            let next = chars.get(i + 1).copied().map(class);
            let boundary = match (pk, k) {
                (CharClass::Lower, CharClass::Upper) => true,
                (CharClass::Digit, CharClass::Upper) => true,
                (CharClass::Upper, CharClass::Upper) => next == Some(CharClass::Lower),
                (CharClass::Lower | CharClass::Upper, CharClass::Digit) => {
                    // A number glued to a word stays with it unless lower-case letters
                    // follow the number ("http2xx" → "http_2xx", "bld4" stays).
                    let mut j = i;
                    while j < n && class(chars[j]) == CharClass::Digit {
                        j += 1;
                    }
                    j < n && class(chars[j]) == CharClass::Lower
                }
                _ => false,
            };
            if boundary && !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
        }
        cur.extend(c.to_lowercase());
        prev = Some(k);
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
}

pub fn snakecase(_: &mut State<'_>, a: &[Slot]) -> Res {
    Ok(Val::string(words(arg_str(a, 0)).join("_")))
}

pub fn kebabcase(_: &mut State<'_>, a: &[Slot]) -> Res {
    Ok(Val::string(words(arg_str(a, 0)).join("-")))
}

/// xstrings `ToCamelCase`: connectors (`_`, `-`, space) removed and the next letter
/// upper-cased, the first letter upper-cased, a connector run kept minus one
/// connector, leading and trailing connectors kept.
pub fn camelcase(_: &mut State<'_>, a: &[Slot]) -> Res {
    let is_conn = |c: char| c == '_' || c == '-' || c.is_whitespace();
    let s = arg_str(a, 0);
    let mut out = String::new();
    let mut chars = s.chars();
    // Leading connectors are kept.
    let mut r0 = None;
    for c in chars.by_ref() {
        if !is_conn(c) {
            r0 = Some(c.to_uppercase().next().unwrap_or(c));
            break;
        }
        out.push(c);
    }
    let Some(mut r0) = r0 else {
        return Ok(Val::string(out));
    };
    for c in chars {
        let r1 = r0;
        r0 = c;
        if is_conn(r0) && is_conn(r1) {
            out.push(r1);
            continue;
        }
        if is_conn(r1) {
            r0 = r0.to_uppercase().next().unwrap_or(r0);
        } else {
            out.push(r1);
        }
    }
    out.push(r0);
    Ok(Val::string(out))
}

// ---- split / join -------------------------------------------------------------------------

/// Go's `strings.SplitN` (`n < 0`: all).
fn go_split(s: &str, sep: &str, n: i64) -> Vec<String> {
    if n == 0 {
        return vec![];
    }
    if sep.is_empty() {
        let chars: Vec<char> = s.chars().collect();
        let limit = if n < 0 || n as usize > chars.len() {
            chars.len()
        } else {
            n as usize
        };
        let mut out: Vec<String> = chars
            .iter()
            .take(limit.saturating_sub(1))
            .map(|c| c.to_string())
            .collect();
        if limit > 0 {
            out.push(chars[limit - 1..].iter().collect());
        }
        return out;
    }
    if n < 0 {
        s.split(sep).map(str::to_string).collect()
    } else {
        s.splitn(n as usize, sep).map(str::to_string).collect()
    }
}

fn indexed_map(st: &mut State<'_>, parts: Vec<String>) -> Val {
    let entries: BTreeMap<String, Val> = parts
        .into_iter()
        .enumerate()
        .map(|(i, p)| (format!("_{i}"), Val::string(p)))
        .collect();
    st.heap.new_map(Ty::Str, entries)
}

pub fn split(st: &mut State<'_>, a: &[Slot]) -> Res {
    let parts = go_split(arg_str(a, 1), arg_str(a, 0), -1);
    Ok(indexed_map(st, parts))
}

pub fn splitn(st: &mut State<'_>, a: &[Slot]) -> Res {
    let parts = go_split(arg_str(a, 2), arg_str(a, 0), arg_int(a, 1));
    Ok(indexed_map(st, parts))
}

pub fn split_list(_: &mut State<'_>, a: &[Slot]) -> Res {
    let parts = go_split(arg_str(a, 1), arg_str(a, 0), -1);
    Ok(Val::list(
        Ty::Str,
        parts.into_iter().map(Val::string).collect(),
    ))
}

/// sprig `strslice`.
fn strslice(v: &Val) -> Result<Vec<String>, FnError> {
    match v {
        Val::List(l) => {
            let mut out = Vec::with_capacity(l.items.len());
            for item in &l.items {
                if item.is_valid() {
                    out.push(strval(item)?);
                }
            }
            Ok(out)
        }
        Val::Invalid => Ok(vec![]),
        other => Ok(vec![strval(other)?]),
    }
}

pub fn to_strings(_: &mut State<'_>, a: &[Slot]) -> Res {
    let v = strslice(&arg_val(a, 0))?;
    Ok(Val::list(Ty::Str, v.into_iter().map(Val::string).collect()))
}

pub fn join(st: &mut State<'_>, a: &[Slot]) -> Res {
    let parts = strslice(&arg_val(a, 1))?;
    let sep = arg_str(a, 0);
    let total: usize = parts.iter().map(String::len).sum::<usize>() + sep.len() * parts.len();
    check_len(st, total as u128)?;
    Ok(Val::string(parts.join(sep)))
}

pub fn sort_alpha(_: &mut State<'_>, a: &[Slot]) -> Res {
    let v = arg_val(a, 0);
    let mut parts = match &v {
        Val::List(_) => strslice(&v)?,
        other => vec![strval(other)?],
    };
    parts.sort();
    Ok(Val::list(
        Ty::Str,
        parts.into_iter().map(Val::string).collect(),
    ))
}

// ---- numbers ----------------------------------------------------------------------------

fn until_step_vec(st: &State<'_>, start: i64, stop: i64, step: i64) -> Result<Vec<Val>, FnError> {
    let count: u128 = if stop < start {
        if step >= 0 {
            0
        } else {
            ((start as i128 - stop as i128 + (-step as i128) - 1) / (-step as i128)) as u128
        }
    } else if step <= 0 {
        0
    } else {
        ((stop as i128 - start as i128 + step as i128 - 1) / step as i128) as u128
    };
    check_len(st, count)?;
    let mut v = Vec::with_capacity(count as usize);
    let mut i = start;
    for _ in 0..count {
        v.push(Val::Int(i));
        i = i.wrapping_add(step);
    }
    Ok(v)
}

pub fn until(st: &mut State<'_>, a: &[Slot]) -> Res {
    let n = arg_int(a, 0);
    let step = if n < 0 { -1 } else { 1 };
    Ok(Val::list(Ty::Int, until_step_vec(st, 0, n, step)?))
}

pub fn until_step(st: &mut State<'_>, a: &[Slot]) -> Res {
    Ok(Val::list(
        Ty::Int,
        until_step_vec(st, arg_int(a, 0), arg_int(a, 1), arg_int(a, 2))?,
    ))
}

pub fn seq(st: &mut State<'_>, a: &[Slot]) -> Res {
    let p: Vec<i64> = (0..a.len()).map(|i| arg_int(a, i)).collect();
    let nums = match p.as_slice() {
        [end] => {
            let (start, end) = (1, *end);
            let inc = if end < start { -1 } else { 1 };
            until_step_vec(st, start, end + inc, inc)?
        }
        [start, end] => {
            let step = if end < start { -1 } else { 1 };
            until_step_vec(st, *start, end + step, step)?
        }
        [start, step, end] => {
            let mut inc = 1;
            if end < start {
                inc = -1;
                if *step > 0 {
                    return Ok(Val::str(""));
                }
            }
            until_step_vec(st, *start, end + inc, *step)?
        }
        _ => return Ok(Val::str("")),
    };
    let s: Vec<String> = nums
        .iter()
        .map(|v| match v {
            Val::Int(i) => i.to_string(),
            _ => String::new(),
        })
        .collect();
    Ok(Val::string(s.join(" ")))
}

pub fn add1(_: &mut State<'_>, a: &[Slot]) -> Res {
    Ok(Val::Int64(to_int64(&arg_val(a, 0)).wrapping_add(1)))
}

pub fn add(_: &mut State<'_>, a: &[Slot]) -> Res {
    Ok(Val::Int64(
        a.iter()
            .fold(0i64, |acc, s| acc.wrapping_add(to_int64(&s.val))),
    ))
}

pub fn sub(_: &mut State<'_>, a: &[Slot]) -> Res {
    Ok(Val::Int64(
        to_int64(&arg_val(a, 0)).wrapping_sub(to_int64(&arg_val(a, 1))),
    ))
}

pub fn div(_: &mut State<'_>, a: &[Slot]) -> Res {
    let (x, y) = (to_int64(&arg_val(a, 0)), to_int64(&arg_val(a, 1)));
    if y == 0 {
        return Err(go("runtime error: integer divide by zero"));
    }
    Ok(Val::Int64(x.wrapping_div(y)))
}

pub fn modulo(_: &mut State<'_>, a: &[Slot]) -> Res {
    let (x, y) = (to_int64(&arg_val(a, 0)), to_int64(&arg_val(a, 1)));
    if y == 0 {
        return Err(go("runtime error: integer divide by zero"));
    }
    Ok(Val::Int64(x.wrapping_rem(y)))
}

pub fn mul(_: &mut State<'_>, a: &[Slot]) -> Res {
    let mut v = to_int64(&arg_val(a, 0));
    for s in &a[1..] {
        v = v.wrapping_mul(to_int64(&s.val));
    }
    Ok(Val::Int64(v))
}

pub fn max(_: &mut State<'_>, a: &[Slot]) -> Res {
    let v = a.iter().map(|s| to_int64(&s.val)).max().unwrap_or(0);
    Ok(Val::Int64(v))
}

pub fn min(_: &mut State<'_>, a: &[Slot]) -> Res {
    let v = a.iter().map(|s| to_int64(&s.val)).min().unwrap_or(0);
    Ok(Val::Int64(v))
}

pub fn maxf(_: &mut State<'_>, a: &[Slot]) -> Res {
    let mut v = to_float64(&arg_val(a, 0));
    for s in &a[1..] {
        let b = to_float64(&s.val);
        v = if v.is_nan() || b.is_nan() {
            f64::NAN
        } else {
            v.max(b)
        };
    }
    Ok(Val::Float(v))
}

pub fn minf(_: &mut State<'_>, a: &[Slot]) -> Res {
    let mut v = to_float64(&arg_val(a, 0));
    for s in &a[1..] {
        let b = to_float64(&s.val);
        v = if v.is_nan() || b.is_nan() {
            f64::NAN
        } else {
            v.min(b)
        };
    }
    Ok(Val::Float(v))
}

pub fn ceil(_: &mut State<'_>, a: &[Slot]) -> Res {
    Ok(Val::Float(to_float64(&arg_val(a, 0)).ceil()))
}

pub fn floor(_: &mut State<'_>, a: &[Slot]) -> Res {
    Ok(Val::Float(to_float64(&arg_val(a, 0)).floor()))
}

pub fn round(_: &mut State<'_>, a: &[Slot]) -> Res {
    let val = to_float64(&arg_val(a, 0));
    let places = arg_int(a, 1) as f64;
    let round_on = match a.get(2).map(|s| &s.val) {
        Some(Val::Float(f)) => *f,
        _ => 0.5,
    };
    let pow = 10f64.powf(places);
    let digit = pow * val;
    let div = digit.fract();
    let r = if div >= round_on {
        digit.ceil()
    } else {
        digit.floor()
    };
    Ok(Val::Float(r / pow))
}

/// A decimal number: `mant × 10^exp`, as shopspring/decimal holds one.
#[derive(Clone, Copy)]
struct Dec {
    mant: i128,
    exp: i32,
}

impl Dec {
    /// `decimal.NewFromFloat`: the shortest decimal that round-trips.
    fn from_f64(f: f64) -> Option<Dec> {
        if !f.is_finite() {
            return None;
        }
        let s = format!("{:e}", f);
        let (m, e) = s.split_once('e')?;
        let e: i32 = e.parse().ok()?;
        let neg = m.starts_with('-');
        let m = m.trim_start_matches('-');
        let (ip, fp) = m.split_once('.').unwrap_or((m, ""));
        let digits = format!("{ip}{fp}");
        let mut mant: i128 = digits.parse().ok()?;
        if neg {
            mant = -mant;
        }
        Some(Dec {
            mant,
            exp: e - fp.len() as i32,
        })
    }

    fn align(a: Dec, b: Dec) -> Option<(i128, i128, i32)> {
        let exp = a.exp.min(b.exp);
        let sa = 10i128.checked_pow(u32::try_from(a.exp - exp).ok()?)?;
        let sb = 10i128.checked_pow(u32::try_from(b.exp - exp).ok()?)?;
        Some((a.mant.checked_mul(sa)?, b.mant.checked_mul(sb)?, exp))
    }

    fn to_f64(self) -> f64 {
        format!("{}e{}", self.mant, self.exp).parse().unwrap_or(0.0)
    }
}

#[derive(Clone, Copy)]
enum DecOp {
    Add,
    Sub,
    Mul,
    Div,
}

fn dec_op(x: f64, y: f64, op: DecOp) -> f64 {
    let exact = (|| {
        let (a, b) = (Dec::from_f64(x)?, Dec::from_f64(y)?);
        match op {
            DecOp::Add | DecOp::Sub => {
                let (ma, mb, exp) = Dec::align(a, b)?;
                let mant = if matches!(op, DecOp::Add) {
                    ma.checked_add(mb)?
                } else {
                    ma.checked_sub(mb)?
                };
                Some(Dec { mant, exp }.to_f64())
            }
            DecOp::Mul => Some(
                Dec {
                    mant: a.mant.checked_mul(b.mant)?,
                    exp: a.exp.checked_add(b.exp)?,
                }
                .to_f64(),
            ),
            DecOp::Div => {
                if b.mant == 0 {
                    return None;
                }
                // DivRound to 16 decimal places, half away from zero.
                let shift = a.exp - b.exp + 17;
                let num = if shift >= 0 {
                    a.mant.checked_mul(10i128.checked_pow(shift as u32)?)?
                } else {
                    a.mant / 10i128.checked_pow((-shift) as u32)?
                };
                let q = num / b.mant;
                let r = if q >= 0 { (q + 5) / 10 } else { (q - 5) / 10 };
                Some(Dec { mant: r, exp: -16 }.to_f64())
            }
        }
    })();
    exact.unwrap_or(match op {
        DecOp::Add => x + y,
        DecOp::Sub => x - y,
        DecOp::Mul => x * y,
        DecOp::Div => x / y,
    })
}

fn dec_fold(first: f64, rest: &[Slot], op: DecOp) -> f64 {
    rest.iter()
        .fold(first, |acc, s| dec_op(acc, to_float64(&s.val), op))
}

pub fn add1f(_: &mut State<'_>, a: &[Slot]) -> Res {
    Ok(Val::Float(dec_op(
        to_float64(&arg_val(a, 0)),
        1.0,
        DecOp::Add,
    )))
}

pub fn addf(_: &mut State<'_>, a: &[Slot]) -> Res {
    Ok(Val::Float(dec_fold(0.0, a, DecOp::Add)))
}

pub fn subf(_: &mut State<'_>, a: &[Slot]) -> Res {
    Ok(Val::Float(dec_fold(
        to_float64(&arg_val(a, 0)),
        &a[1..],
        DecOp::Sub,
    )))
}

pub fn mulf(_: &mut State<'_>, a: &[Slot]) -> Res {
    Ok(Val::Float(dec_fold(
        to_float64(&arg_val(a, 0)),
        &a[1..],
        DecOp::Mul,
    )))
}

pub fn divf(_: &mut State<'_>, a: &[Slot]) -> Res {
    let first = to_float64(&arg_val(a, 0));
    for s in &a[1..] {
        if to_float64(&s.val) == 0.0 {
            return Err(go("decimal division by 0"));
        }
    }
    Ok(Val::Float(dec_fold(first, &a[1..], DecOp::Div)))
}

// ---- defaults -----------------------------------------------------------------------------

/// sprig `empty`.
pub fn is_empty(v: &Val) -> bool {
    !v.truth()
}

pub fn default(_: &mut State<'_>, a: &[Slot]) -> Res {
    let d = arg_val(a, 0);
    match a.get(1) {
        Some(g) if !is_empty(&g.val) => Ok(g.val.clone()),
        _ => Ok(d),
    }
}

pub fn empty(_: &mut State<'_>, a: &[Slot]) -> Res {
    Ok(Val::Bool(is_empty(&arg_val(a, 0))))
}

pub fn coalesce(_: &mut State<'_>, a: &[Slot]) -> Res {
    Ok(a.iter()
        .find(|s| !is_empty(&s.val))
        .map(|s| s.val.clone())
        .unwrap_or_default())
}

pub fn all(_: &mut State<'_>, a: &[Slot]) -> Res {
    Ok(Val::Bool(a.iter().all(|s| !is_empty(&s.val))))
}

pub fn any(_: &mut State<'_>, a: &[Slot]) -> Res {
    Ok(Val::Bool(a.iter().any(|s| !is_empty(&s.val))))
}

pub fn ternary(_: &mut State<'_>, a: &[Slot]) -> Res {
    let v = matches!(a.get(2).map(|s| &s.val), Some(Val::Bool(true)));
    Ok(if v { arg_val(a, 0) } else { arg_val(a, 1) })
}

// ---- JSON ---------------------------------------------------------------------------------

fn parse_json(st: &mut State<'_>, s: &str) -> Result<Val, String> {
    match serde_json::from_str::<serde_json::Value>(s) {
        Ok(j) => Ok(st.heap.load_json(&j)),
        Err(e) => Err(if s.trim().is_empty() {
            "unexpected end of JSON input".to_string()
        } else {
            e.to_string()
        }),
    }
}

pub fn from_json(st: &mut State<'_>, a: &[Slot]) -> Res {
    Ok(parse_json(st, arg_str(a, 0)).unwrap_or_default())
}

pub fn must_from_json(st: &mut State<'_>, a: &[Slot]) -> Res {
    parse_json(st, arg_str(a, 0)).map_err(go)
}

fn json_res(r: Result<String, encode::EncodeError>, must: bool) -> Res {
    match r {
        Ok(s) => Ok(Val::string(s)),
        Err(encode::EncodeError::TooDeep) => Err(too_deep()),
        Err(e) if must => Err(go(e.to_string())),
        Err(_) => Ok(Val::str("")),
    }
}

pub fn to_json(_: &mut State<'_>, a: &[Slot]) -> Res {
    json_res(encode::to_json(&arg_val(a, 0), true, None), false)
}

pub fn to_pretty_json(_: &mut State<'_>, a: &[Slot]) -> Res {
    json_res(encode::to_json(&arg_val(a, 0), true, Some("  ")), false)
}

pub fn to_raw_json(_: &mut State<'_>, a: &[Slot]) -> Res {
    json_res(encode::to_json(&arg_val(a, 0), false, None), false)
}

pub fn must_to_json(_: &mut State<'_>, a: &[Slot]) -> Res {
    json_res(encode::to_json(&arg_val(a, 0), true, None), true)
}

pub fn must_to_pretty_json(_: &mut State<'_>, a: &[Slot]) -> Res {
    json_res(encode::to_json(&arg_val(a, 0), true, Some("  ")), true)
}

pub fn must_to_raw_json(_: &mut State<'_>, a: &[Slot]) -> Res {
    json_res(encode::to_json(&arg_val(a, 0), false, None), true)
}

// ---- reflection ---------------------------------------------------------------------------

pub fn type_of(_: &mut State<'_>, a: &[Slot]) -> Res {
    Ok(Val::string(arg_val(a, 0).type_name()))
}

pub fn type_is(_: &mut State<'_>, a: &[Slot]) -> Res {
    Ok(Val::Bool(arg_str(a, 0) == arg_val(a, 1).type_name()))
}

pub fn type_is_like(_: &mut State<'_>, a: &[Slot]) -> Res {
    let t = arg_val(a, 1).type_name();
    let target = arg_str(a, 0);
    Ok(Val::Bool(target == t || target == format!("*{t}")))
}

pub fn kind_of(_: &mut State<'_>, a: &[Slot]) -> Res {
    Ok(Val::str(arg_val(a, 0).kind_name()))
}

pub fn kind_is(_: &mut State<'_>, a: &[Slot]) -> Res {
    Ok(Val::Bool(arg_str(a, 0) == arg_val(a, 1).kind_name()))
}

/// `reflect.DeepEqual` on template values (types must match exactly).
pub fn deep_eq(x: &Val, y: &Val, depth: usize) -> bool {
    if depth > gofmt::MAX_PRINT_DEPTH {
        return false;
    }
    match (x, y) {
        (Val::Invalid, Val::Invalid) => true,
        (Val::Bool(a), Val::Bool(b)) => a == b,
        (Val::Int(a), Val::Int(b)) | (Val::Int64(a), Val::Int64(b)) => a == b,
        (Val::Float(a), Val::Float(b)) => a == b,
        (Val::Str(a), Val::Str(b)) => a == b,
        (Val::List(a), Val::List(b)) => {
            a.elem == b.elem
                && a.items.len() == b.items.len()
                && a.items
                    .iter()
                    .zip(&b.items)
                    .all(|(p, q)| deep_eq(p, q, depth + 1))
        }
        (Val::Map(a), Val::Map(b)) => {
            if std::rc::Rc::ptr_eq(a, b) {
                return true;
            }
            let (Ok(a), Ok(b)) = (a.try_borrow(), b.try_borrow()) else {
                return false;
            };
            a.elem == b.elem
                && a.entries.len() == b.entries.len()
                && a.entries
                    .iter()
                    .all(|(k, v)| b.entries.get(k).is_some_and(|w| deep_eq(v, w, depth + 1)))
        }
        _ => false,
    }
}

pub fn deep_equal(_: &mut State<'_>, a: &[Slot]) -> Res {
    Ok(Val::Bool(deep_eq(&arg_val(a, 0), &arg_val(a, 1), 0)))
}

fn deep_copy_val(st: &mut State<'_>, v: &Val, depth: usize) -> Result<Val, FnError> {
    if depth > gofmt::MAX_PRINT_DEPTH {
        return Err(too_deep());
    }
    Ok(match v {
        Val::List(l) => {
            let mut items = Vec::with_capacity(l.items.len());
            for i in &l.items {
                items.push(deep_copy_val(st, i, depth + 1)?);
            }
            Val::list(l.elem.clone(), items)
        }
        Val::Map(m) => {
            let (elem, entries): (Ty, Vec<(String, Val)>) = {
                let m = m.try_borrow().map_err(|_| too_deep())?;
                (
                    m.elem.clone(),
                    m.entries
                        .iter()
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect(),
                )
            };
            let mut out = BTreeMap::new();
            for (k, v) in entries {
                out.insert(k, deep_copy_val(st, &v, depth + 1)?);
            }
            st.heap.new_map(elem, out)
        }
        other => other.clone(),
    })
}

pub fn deep_copy(st: &mut State<'_>, a: &[Slot]) -> Res {
    let v = arg_val(a, 0);
    if !v.is_valid() {
        return Err(go("deepCopy error: mustDeepCopy cannot be called with nil"));
    }
    deep_copy_val(st, &v, 0)
}

// ---- paths (Go's path package) ------------------------------------------------------------

/// Go's `path.Clean`.
pub fn clean_path(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            s => parts.push(s),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

pub fn path_clean(_: &mut State<'_>, a: &[Slot]) -> Res {
    Ok(Val::string(clean_path(arg_str(a, 0))))
}

/// Go's `path.Base`.
pub fn base_path(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let t = p.trim_end_matches('/');
    if t.is_empty() {
        return "/".into();
    }
    t.rsplit('/').next().unwrap_or(t).to_owned()
}

/// Go's `path.Dir`.
pub fn dir_path(p: &str) -> String {
    let dir = match p.rfind('/') {
        Some(i) => &p[..=i],
        None => "",
    };
    clean_path(dir)
}

pub fn path_base(_: &mut State<'_>, a: &[Slot]) -> Res {
    Ok(Val::string(base_path(arg_str(a, 0))))
}

pub fn path_dir(_: &mut State<'_>, a: &[Slot]) -> Res {
    Ok(Val::string(dir_path(arg_str(a, 0))))
}

pub fn path_ext(_: &mut State<'_>, a: &[Slot]) -> Res {
    let p = arg_str(a, 0);
    for (i, c) in p.char_indices().rev() {
        if c == '/' {
            break;
        }
        if c == '.' {
            return Ok(Val::str(&p[i..]));
        }
    }
    Ok(Val::str(""))
}

pub fn path_is_abs(_: &mut State<'_>, a: &[Slot]) -> Res {
    Ok(Val::Bool(arg_str(a, 0).starts_with('/')))
}

// ---- lists --------------------------------------------------------------------------------

/// The items of a slice argument, or sprig's "Cannot X on type K" error.
fn list_items(v: &Val, what: &str) -> Result<std::rc::Rc<super::value::GoList>, FnError> {
    match v {
        Val::List(l) => Ok(l.clone()),
        Val::Invalid => Err(go(NIL_DEREF)),
        other => Err(go(format!("Cannot {what} on type {}", other.kind_name()))),
    }
}

pub fn list(_: &mut State<'_>, a: &[Slot]) -> Res {
    Ok(Val::list(
        Ty::Any,
        a.iter().map(|s| s.val.clone()).collect(),
    ))
}

pub fn push(st: &mut State<'_>, a: &[Slot]) -> Res {
    let l = list_items(&arg_val(a, 0), "push")?;
    check_len(st, l.items.len() as u128 + 1)?;
    let mut items = l.items.clone();
    items.push(arg_val(a, 1));
    Ok(Val::list(Ty::Any, items))
}

pub fn prepend(st: &mut State<'_>, a: &[Slot]) -> Res {
    let l = list_items(&arg_val(a, 0), "prepend")?;
    check_len(st, l.items.len() as u128 + 1)?;
    let mut items = vec![arg_val(a, 1)];
    items.extend(l.items.iter().cloned());
    Ok(Val::list(Ty::Any, items))
}

pub fn first(_: &mut State<'_>, a: &[Slot]) -> Res {
    let l = list_items(&arg_val(a, 0), "find first")?;
    Ok(l.items.first().cloned().unwrap_or_default())
}

pub fn last(_: &mut State<'_>, a: &[Slot]) -> Res {
    let l = list_items(&arg_val(a, 0), "find last")?;
    Ok(l.items.last().cloned().unwrap_or_default())
}

pub fn rest(_: &mut State<'_>, a: &[Slot]) -> Res {
    let l = list_items(&arg_val(a, 0), "find rest")?;
    Ok(Val::list(
        Ty::Any,
        l.items.iter().skip(1).cloned().collect(),
    ))
}

pub fn initial(_: &mut State<'_>, a: &[Slot]) -> Res {
    let l = list_items(&arg_val(a, 0), "find initial")?;
    let n = l.items.len().saturating_sub(1);
    Ok(Val::list(Ty::Any, l.items[..n].to_vec()))
}

pub fn reverse(_: &mut State<'_>, a: &[Slot]) -> Res {
    let l = list_items(&arg_val(a, 0), "find reverse")?;
    Ok(Val::list(Ty::Any, l.items.iter().rev().cloned().collect()))
}

pub fn compact(_: &mut State<'_>, a: &[Slot]) -> Res {
    let l = list_items(&arg_val(a, 0), "compact")?;
    Ok(Val::list(
        Ty::Any,
        l.items.iter().filter(|v| !is_empty(v)).cloned().collect(),
    ))
}

pub fn uniq(_: &mut State<'_>, a: &[Slot]) -> Res {
    let l = list_items(&arg_val(a, 0), "find uniq")?;
    let mut out: Vec<Val> = Vec::new();
    for item in &l.items {
        if !out.iter().any(|o| deep_eq(o, item, 0)) {
            out.push(item.clone());
        }
    }
    Ok(Val::list(Ty::Any, out))
}

pub fn without(_: &mut State<'_>, a: &[Slot]) -> Res {
    let l = list_items(&arg_val(a, 0), "find without")?;
    let omit: Vec<Val> = a[1..].iter().map(|s| s.val.clone()).collect();
    Ok(Val::list(
        Ty::Any,
        l.items
            .iter()
            .filter(|i| !omit.iter().any(|o| deep_eq(o, i, 0)))
            .cloned()
            .collect(),
    ))
}

pub fn has(_: &mut State<'_>, a: &[Slot]) -> Res {
    let hay = arg_val(a, 1);
    if !hay.is_valid() {
        return Ok(Val::Bool(false));
    }
    let l = list_items(&hay, "find has")?;
    let needle = arg_val(a, 0);
    Ok(Val::Bool(l.items.iter().any(|i| deep_eq(&needle, i, 0))))
}

pub fn slice(_: &mut State<'_>, a: &[Slot]) -> Res {
    let v = arg_val(a, 0);
    let l = match &v {
        Val::List(l) => l.clone(),
        Val::Invalid => return Err(go(NIL_DEREF)),
        other => {
            return Err(go(format!(
                "list should be type of slice or array but {}",
                other.kind_name()
            )));
        }
    };
    let len = l.items.len() as i64;
    if len == 0 {
        return Ok(Val::Invalid);
    }
    let start = a.get(1).map_or(0, |s| to_int64(&s.val));
    let end = if a.len() < 3 {
        len
    } else {
        to_int64(&a[2].val)
    };
    if start < 0 || end < start || end > len {
        return Err(go("reflect.Value.Slice: slice index out of bounds"));
    }
    Ok(Val::list(
        l.elem.clone(),
        l.items[start as usize..end as usize].to_vec(),
    ))
}

pub fn concat(st: &mut State<'_>, a: &[Slot]) -> Res {
    let mut out = Vec::new();
    for s in a {
        match &s.val {
            Val::List(l) => {
                check_len(st, (out.len() + l.items.len()) as u128)?;
                out.extend(l.items.iter().cloned());
            }
            Val::Invalid => return Err(go(NIL_DEREF)),
            other => {
                return Err(go(format!(
                    "Cannot concat type {} as list",
                    other.kind_name()
                )));
            }
        }
    }
    Ok(Val::list(Ty::Any, out))
}

pub fn chunk(st: &mut State<'_>, a: &[Slot]) -> Res {
    let size = arg_int(a, 0);
    let l = list_items(&arg_val(a, 1), "chunk")?;
    if l.items.is_empty() {
        return Ok(Val::list(Ty::slice_of(Ty::Any), vec![]));
    }
    if size <= 0 {
        return Err(go("runtime error: makeslice: len out of range"));
    }
    check_len(st, l.items.len() as u128)?;
    let chunks = l
        .items
        .chunks(size as usize)
        .map(|c| Val::list(Ty::Any, c.to_vec()))
        .collect();
    Ok(Val::list(Ty::slice_of(Ty::Any), chunks))
}

// ---- dicts --------------------------------------------------------------------------------

fn map_of(v: &Val) -> Option<super::value::MapRef> {
    match v {
        Val::Map(m) => Some(m.clone()),
        _ => None,
    }
}

pub fn dict(st: &mut State<'_>, a: &[Slot]) -> Res {
    let mut m = BTreeMap::new();
    let mut i = 0;
    while i < a.len() {
        let key = strval(&a[i].val)?;
        let v = a.get(i + 1).map_or_else(|| Val::str(""), |s| s.val.clone());
        m.insert(key, v);
        i += 2;
    }
    Ok(st.heap.new_map(Ty::Any, m))
}

pub fn get(_: &mut State<'_>, a: &[Slot]) -> Res {
    let Some(m) = map_of(&arg_val(a, 0)) else {
        return Ok(Val::str(""));
    };
    let m = m.borrow();
    Ok(m.entries
        .get(arg_str(a, 1))
        .cloned()
        .unwrap_or_else(|| Val::str("")))
}

pub fn set(_: &mut State<'_>, a: &[Slot]) -> Res {
    let d = arg_val(a, 0);
    if let Some(m) = map_of(&d) {
        let mut m = m.try_borrow_mut().map_err(|_| too_deep())?;
        m.entries.insert(arg_str(a, 1).to_string(), arg_val(a, 2));
    }
    Ok(d)
}

pub fn unset(_: &mut State<'_>, a: &[Slot]) -> Res {
    let d = arg_val(a, 0);
    if let Some(m) = map_of(&d) {
        let mut m = m.try_borrow_mut().map_err(|_| too_deep())?;
        m.entries.remove(arg_str(a, 1));
    }
    Ok(d)
}

pub fn has_key(_: &mut State<'_>, a: &[Slot]) -> Res {
    Ok(Val::Bool(map_of(&arg_val(a, 0)).is_some_and(|m| {
        m.borrow().entries.contains_key(arg_str(a, 1))
    })))
}

pub fn pluck(_: &mut State<'_>, a: &[Slot]) -> Res {
    let key = arg_str(a, 0);
    let mut out = Vec::new();
    for s in &a[1..] {
        if let Some(m) = map_of(&s.val)
            && let Some(v) = m.borrow().entries.get(key)
        {
            out.push(v.clone());
        }
    }
    Ok(Val::list(Ty::Any, out))
}

/// Keys of each dict, sorted per dict (Go's map order is random; sorted here).
pub fn keys(_: &mut State<'_>, a: &[Slot]) -> Res {
    let mut out = Vec::new();
    for s in a {
        if let Some(m) = map_of(&s.val) {
            out.extend(m.borrow().entries.keys().map(|k| Val::str(k)));
        }
    }
    Ok(Val::list(Ty::Str, out))
}

/// Values in key order (Go's map order is random).
pub fn values(_: &mut State<'_>, a: &[Slot]) -> Res {
    let out = map_of(&arg_val(a, 0))
        .map(|m| m.borrow().entries.values().cloned().collect())
        .unwrap_or_default();
    Ok(Val::list(Ty::Any, out))
}

pub fn pick(st: &mut State<'_>, a: &[Slot]) -> Res {
    let mut out = BTreeMap::new();
    if let Some(m) = map_of(&arg_val(a, 0)) {
        let m = m.borrow();
        for k in &a[1..] {
            let k = k.val.as_str().unwrap_or("");
            if let Some(v) = m.entries.get(k) {
                out.insert(k.to_string(), v.clone());
            }
        }
    }
    Ok(st.heap.new_map(Ty::Any, out))
}

pub fn omit(st: &mut State<'_>, a: &[Slot]) -> Res {
    let mut out = BTreeMap::new();
    if let Some(m) = map_of(&arg_val(a, 0)) {
        let omit: Vec<&str> = a[1..].iter().filter_map(|s| s.val.as_str()).collect();
        for (k, v) in &m.borrow().entries {
            if !omit.contains(&k.as_str()) {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    Ok(st.heap.new_map(Ty::Any, out))
}

/// `mergo.Merge` (with `WithOverride` when `overwrite`) of `src` into `dst`, in place.
fn mergo(
    dst: &super::value::MapRef,
    src: &super::value::MapRef,
    overwrite: bool,
    depth: usize,
) -> Result<(), FnError> {
    if depth > gofmt::MAX_PRINT_DEPTH {
        return Err(too_deep());
    }
    if std::rc::Rc::ptr_eq(dst, src) {
        return Ok(());
    }
    let src_entries: Vec<(String, Val)> = src
        .try_borrow()
        .map_err(|_| too_deep())?
        .entries
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for (k, sv) in src_entries {
        let dv = dst
            .try_borrow()
            .map_err(|_| too_deep())?
            .entries
            .get(&k)
            .cloned();
        if !sv.is_valid() {
            if overwrite {
                dst.try_borrow_mut()
                    .map_err(|_| too_deep())?
                    .entries
                    .insert(k, sv);
            }
            continue;
        }
        if let (Val::Map(sm), Some(Val::Map(dm))) = (&sv, &dv) {
            mergo(dm, sm, overwrite, depth + 1)?;
            if !is_empty(&Val::Map(dm.clone())) {
                continue;
            }
        }
        let dst_empty = dv.as_ref().is_none_or(is_empty);
        if let (Val::List(_), Some(d)) = (&sv, &dv)
            && !is_empty(d)
            && !overwrite
        {
            continue;
        }
        if overwrite || dst_empty {
            dst.try_borrow_mut()
                .map_err(|_| too_deep())?
                .entries
                .insert(k, sv);
        }
    }
    Ok(())
}

fn merge_impl(a: &[Slot], overwrite: bool) -> Res {
    let d = arg_val(a, 0);
    let Some(dst) = map_of(&d) else {
        return Ok(d);
    };
    for s in &a[1..] {
        if let Some(src) = map_of(&s.val) {
            mergo(&dst, &src, overwrite, 0)?;
        }
    }
    Ok(d)
}

pub fn merge(_: &mut State<'_>, a: &[Slot]) -> Res {
    merge_impl(a, false)
}

pub fn merge_overwrite(_: &mut State<'_>, a: &[Slot]) -> Res {
    merge_impl(a, true)
}

pub fn dig(_: &mut State<'_>, a: &[Slot]) -> Res {
    if a.len() < 3 {
        return Err(go("dig needs at least three arguments"));
    }
    let dict = &a[a.len() - 1].val;
    let def = a[a.len() - 2].val.clone();
    let conv = |v: &Val, want: &str| -> FnError {
        let got = if v.is_valid() {
            v.type_name()
        } else {
            "nil".into()
        };
        go(format!(
            "interface conversion: interface {{}} is {got}, not {want}"
        ))
    };
    let mut keys = Vec::new();
    for s in &a[..a.len() - 2] {
        match &s.val {
            Val::Str(k) => keys.push(k.clone()),
            other => return Err(conv(other, "string")),
        }
    }
    let mut cur = match dict {
        Val::Map(m) if m.borrow().elem == Ty::Any => m.clone(),
        other => return Err(conv(other, "map[string]interface {}")),
    };
    for (i, k) in keys.iter().enumerate() {
        let step = cur.borrow().entries.get(&**k).cloned();
        let Some(step) = step else {
            return Ok(def);
        };
        if i + 1 == keys.len() {
            return Ok(step);
        }
        cur = match &step {
            Val::Map(m) if m.borrow().elem == Ty::Any => m.clone(),
            other => return Err(conv(other, "map[string]interface {}")),
        };
    }
    Ok(def)
}

// ---- regular expressions -------------------------------------------------------------------

/// Rewrites Go RE2 classes whose meaning differs in the `regex` crate: Go's `\d`, `\w`,
/// `\s` (and `\b`) are ASCII-only.
fn go_regex_to_rust(expr: &str) -> String {
    let mut out = String::with_capacity(expr.len() + 8);
    let mut chars = expr.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(n) = chars.next() else {
                    out.push('\\');
                    break;
                };
                let rep = match (n, in_class) {
                    ('d', false) => Some("[0-9]"),
                    ('d', true) => Some("0-9"),
                    ('D', false) => Some("[^0-9]"),
                    ('w', false) => Some("[0-9A-Za-z_]"),
                    ('w', true) => Some("0-9A-Za-z_"),
                    ('W', false) => Some("[^0-9A-Za-z_]"),
                    ('s', false) => Some("[\\t\\n\\f\\r ]"),
                    ('s', true) => Some("\\t\\n\\f\\r "),
                    ('S', false) => Some("[^\\t\\n\\f\\r ]"),
                    ('b', false) => Some("(?-u:\\b)"),
                    ('B', false) => Some("(?-u:\\B)"),
                    _ => None,
                };
                match rep {
                    Some(r) => out.push_str(r),
                    None => {
                        out.push('\\');
                        out.push(n);
                    }
                }
            }
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                // A leading ']' or '^]' is literal.
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
                if chars.peek() == Some(&']') {
                    out.push_str("\\]");
                    chars.next();
                }
            }
            '[' if in_class => {
                // POSIX classes like [:alpha:] stay as they are.
                if chars.peek() == Some(&':') {
                    out.push('[');
                    for d in chars.by_ref() {
                        out.push(d);
                        if d == ']' {
                            break;
                        }
                    }
                } else {
                    out.push_str("\\[");
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            _ => out.push(c),
        }
    }
    out
}

fn go_regex_quote(s: &str) -> String {
    if s.chars()
        .all(|c| c != '`' && (c == '\t' || !c.is_control()))
    {
        format!("`{s}`")
    } else {
        gofmt::quote(s)
    }
}

/// Compiles with a per-execution cache (a template may call a regex function in a loop).
fn compile(st: &mut State<'_>, expr: &str) -> Result<regex::Regex, String> {
    if let Some(r) = st.regexes.get(expr) {
        return r.clone();
    }
    let r = compile_uncached(expr);
    if st.regexes.len() < 256 {
        st.regexes.insert(expr.to_string(), r.clone());
    }
    r
}

fn compile_uncached(expr: &str) -> Result<regex::Regex, String> {
    regex::RegexBuilder::new(&go_regex_to_rust(expr))
        .size_limit(1 << 22)
        .build()
        .map_err(|e| {
            let msg = e.to_string();
            let last = msg.lines().last().unwrap_or("invalid pattern").trim();
            let last = last.strip_prefix("error: ").unwrap_or(last);
            format!("error parsing regexp: {last}: {}", go_regex_quote(expr))
        })
}

/// `regexp.MustCompile`: a panic whose text names the pattern.
fn must_compile(st: &mut State<'_>, expr: &str) -> Result<regex::Regex, FnError> {
    compile(st, expr).map_err(|e| go(format!("regexp: Compile({}): {e}", go_regex_quote(expr))))
}

pub fn regex_match(st: &mut State<'_>, a: &[Slot]) -> Res {
    Ok(Val::Bool(
        compile(st, arg_str(a, 0)).is_ok_and(|r| r.is_match(arg_str(a, 1))),
    ))
}

pub fn must_regex_match(st: &mut State<'_>, a: &[Slot]) -> Res {
    let r = compile(st, arg_str(a, 0)).map_err(go)?;
    Ok(Val::Bool(r.is_match(arg_str(a, 1))))
}

/// Go's `FindAllString`/`FindAllStringIndex`: empty matches right after a match are
/// skipped.
fn find_all(r: &regex::Regex, s: &str, n: i64) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    if n == 0 {
        return out;
    }
    let mut prev_end: Option<usize> = None;
    for m in r.find_iter(s) {
        if m.start() == m.end() && prev_end == Some(m.start()) {
            continue;
        }
        out.push((m.start(), m.end()));
        prev_end = Some(m.end());
        if n > 0 && out.len() as i64 >= n {
            break;
        }
    }
    out
}

fn find_all_val(r: &regex::Regex, s: &str, n: i64) -> Val {
    Val::list(
        Ty::Str,
        find_all(r, s, n)
            .into_iter()
            .map(|(a, b)| Val::str(&s[a..b]))
            .collect(),
    )
}

pub fn regex_find_all(st: &mut State<'_>, a: &[Slot]) -> Res {
    let r = must_compile(st, arg_str(a, 0))?;
    Ok(find_all_val(&r, arg_str(a, 1), arg_int(a, 2)))
}

pub fn must_regex_find_all(st: &mut State<'_>, a: &[Slot]) -> Res {
    let r = compile(st, arg_str(a, 0)).map_err(go)?;
    Ok(find_all_val(&r, arg_str(a, 1), arg_int(a, 2)))
}

pub fn regex_find(st: &mut State<'_>, a: &[Slot]) -> Res {
    let r = must_compile(st, arg_str(a, 0))?;
    Ok(Val::str(r.find(arg_str(a, 1)).map_or("", |m| m.as_str())))
}

pub fn must_regex_find(st: &mut State<'_>, a: &[Slot]) -> Res {
    let r = compile(st, arg_str(a, 0)).map_err(go)?;
    Ok(Val::str(r.find(arg_str(a, 1)).map_or("", |m| m.as_str())))
}

/// Go's `Regexp.Expand` template syntax: `$1`, `${1}`, `$name`, `${name}`, `$$`.
fn expand(template: &str, caps: &regex::Captures<'_>, r: &regex::Regex, out: &mut String) {
    let mut rest = template;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        rest = &rest[i + 1..];
        if let Some(r2) = rest.strip_prefix('$') {
            out.push('$');
            rest = r2;
            continue;
        }
        let (name, tail) = if let Some(inner) = rest.strip_prefix('{') {
            match inner.find('}') {
                Some(j) if j > 0 && inner[..j].chars().all(|c| c == '_' || c.is_alphanumeric()) => {
                    (&inner[..j], &inner[j + 1..])
                }
                _ => {
                    out.push('$');
                    continue;
                }
            }
        } else {
            let j = rest
                .char_indices()
                .find(|(_, c)| !(*c == '_' || c.is_alphanumeric()))
                .map_or(rest.len(), |(j, _)| j);
            if j == 0 {
                out.push('$');
                continue;
            }
            (&rest[..j], &rest[j..])
        };
        rest = tail;
        if name.bytes().all(|b| b.is_ascii_digit()) {
            if let Ok(n) = name.parse::<usize>()
                && let Some(m) = caps.get(n)
            {
                out.push_str(m.as_str());
            }
        } else if r.capture_names().any(|c| c == Some(name))
            && let Some(m) = caps.name(name)
        {
            out.push_str(m.as_str());
        }
    }
    out.push_str(rest);
}

fn replace_all(
    st: &State<'_>,
    r: &regex::Regex,
    s: &str,
    repl: &str,
    literal: bool,
) -> Result<String, FnError> {
    let mut out = String::new();
    let mut last = 0;
    let mut prev_end: Option<usize> = None;
    for caps in r.captures_iter(s) {
        let Some(m) = caps.get(0) else { continue };
        if m.start() == m.end() && prev_end == Some(m.start()) {
            continue;
        }
        out.push_str(&s[last..m.start()]);
        if literal {
            out.push_str(repl);
        } else {
            expand(repl, &caps, r, &mut out);
        }
        check_len(st, out.len() as u128)?;
        last = m.end();
        prev_end = Some(m.end());
    }
    out.push_str(&s[last..]);
    Ok(out)
}

pub fn regex_replace_all(st: &mut State<'_>, a: &[Slot]) -> Res {
    let r = must_compile(st, arg_str(a, 0))?;
    Ok(Val::string(replace_all(
        st,
        &r,
        arg_str(a, 1),
        arg_str(a, 2),
        false,
    )?))
}

pub fn must_regex_replace_all(st: &mut State<'_>, a: &[Slot]) -> Res {
    let r = compile(st, arg_str(a, 0)).map_err(go)?;
    Ok(Val::string(replace_all(
        st,
        &r,
        arg_str(a, 1),
        arg_str(a, 2),
        false,
    )?))
}

pub fn regex_replace_all_literal(st: &mut State<'_>, a: &[Slot]) -> Res {
    let r = must_compile(st, arg_str(a, 0))?;
    Ok(Val::string(replace_all(
        st,
        &r,
        arg_str(a, 1),
        arg_str(a, 2),
        true,
    )?))
}

pub fn must_regex_replace_all_literal(st: &mut State<'_>, a: &[Slot]) -> Res {
    let r = compile(st, arg_str(a, 0)).map_err(go)?;
    Ok(Val::string(replace_all(
        st,
        &r,
        arg_str(a, 1),
        arg_str(a, 2),
        true,
    )?))
}

/// Go's `Regexp.Split`.
fn split_re(r: &regex::Regex, expr: &str, s: &str, n: i64) -> Val {
    if n == 0 {
        return Val::list(Ty::Str, vec![]);
    }
    if !expr.is_empty() && s.is_empty() {
        return Val::list(Ty::Str, vec![Val::str("")]);
    }
    let matches = find_all(r, s, n);
    let mut out: Vec<Val> = Vec::new();
    let (mut beg, mut end) = (0, 0);
    for (a, b) in matches {
        if n > 0 && out.len() as i64 == n - 1 {
            break;
        }
        end = a;
        if b != 0 {
            out.push(Val::str(&s[beg..end]));
        }
        beg = b;
    }
    if end != s.len() {
        out.push(Val::str(&s[beg..]));
    }
    Val::list(Ty::Str, out)
}

pub fn regex_split(st: &mut State<'_>, a: &[Slot]) -> Res {
    let expr = arg_str(a, 0);
    let r = must_compile(st, expr)?;
    Ok(split_re(&r, expr, arg_str(a, 1), arg_int(a, 2)))
}

pub fn must_regex_split(st: &mut State<'_>, a: &[Slot]) -> Res {
    let expr = arg_str(a, 0);
    let r = compile(st, expr).map_err(go)?;
    Ok(split_re(&r, expr, arg_str(a, 1), arg_int(a, 2)))
}

pub fn regex_quote_meta(_: &mut State<'_>, a: &[Slot]) -> Res {
    let mut out = String::new();
    for c in arg_str(a, 0).chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    Ok(Val::string(out))
}

// ---- Argo CD --------------------------------------------------------------------------------

/// Argo CD's `SanitizeName` (`normalize`): lower-case, every character outside
/// `[-a-z0-9.]` becomes `-`, at most 253 bytes, `-` and `.` trimmed at both ends.
pub fn sanitize_name(name: &str) -> String {
    let lower = name.to_lowercase();
    let mut s: String = lower
        .chars()
        .map(|c| {
            if c == '-' || c == '.' || c.is_ascii_lowercase() || c.is_ascii_digit() {
                c
            } else {
                '-'
            }
        })
        .collect();
    if s.len() > 253 {
        // Only ASCII remains, so any byte index is a char boundary.
        s.truncate(253);
    }
    s.trim_matches(['-', '.']).to_string()
}

pub fn normalize(_: &mut State<'_>, a: &[Slot]) -> Res {
    Ok(Val::string(sanitize_name(arg_str(a, 0))))
}

/// gosimple/slug `Make` on an already sanitized name, with Argo CD's settings.
pub fn slug_make(sanitized: &str, max_len: i64, smart: bool) -> String {
    let mut slug = sanitized.trim().to_string();
    if !smart && max_len >= 0 && slug.len() as i64 >= max_len {
        let mut n = max_len as usize;
        while !slug.is_char_boundary(n) {
            n -= 1;
        }
        slug.truncate(n);
    }
    // [^a-zA-Z0-9-_] → "-", then runs of "-" collapse, then trim "-_".
    let replaced: String = slug
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let mut collapsed = String::with_capacity(replaced.len());
    for c in replaced.chars() {
        if c == '-' && collapsed.ends_with('-') {
            continue;
        }
        collapsed.push(c);
    }
    let mut slug = collapsed.trim_matches(['-', '_']).to_string();
    if max_len > 0 && smart {
        slug = smart_truncate(&slug, max_len as usize);
    }
    slug
}

/// gosimple/slug's `smartTruncate`: cut at the last `-` at or before `max`, or at `max`
/// when there is none.
fn smart_truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let b = text.as_bytes();
    for i in (0..=max).rev() {
        if b[i] == b'-' {
            return text[..i].to_string();
        }
    }
    text[..max].to_string()
}

pub fn slugify(_: &mut State<'_>, a: &[Slot]) -> Res {
    let mut max_size: i64 = 50;
    let mut smart = true;
    let mut name = String::new();
    let conv = |v: &Val, want: &str| -> FnError {
        let got = if v.is_valid() {
            v.type_name()
        } else {
            "nil".into()
        };
        go(format!(
            "interface conversion: interface {{}} is {got}, not {want}"
        ))
    };
    for (idx, s) in a.iter().enumerate() {
        if idx == a.len() - 1 {
            match &s.val {
                Val::Str(x) => name = x.to_string(),
                other => return Err(conv(other, "string")),
            }
        } else if idx == 0 {
            match &s.val {
                Val::Int(i) => max_size = *i,
                other => return Err(conv(other, "int")),
            }
        } else if idx == 1 {
            match &s.val {
                Val::Bool(b) => smart = *b,
                other => return Err(conv(other, "bool")),
            }
        }
        // Further arguments are logged and ignored by Argo CD.
    }
    Ok(Val::string(slug_make(
        &sanitize_name(&name),
        max_size,
        smart,
    )))
}

pub fn to_yaml(_: &mut State<'_>, a: &[Slot]) -> Res {
    match encode::to_yaml(&arg_val(a, 0)) {
        Ok(s) => Ok(Val::string(s)),
        Err(encode::EncodeError::TooDeep) => Err(too_deep()),
        Err(e) => Err(go(format!("error marshaling into JSON: {e}"))),
    }
}

/// `sigs.k8s.io/yaml.Unmarshal` of `text` into a generic value (numbers as float64).
fn yaml_to_val(st: &mut State<'_>, text: &str) -> Result<Val, String> {
    let parsed = crate::load::yaml::parse(text);
    for p in &parsed.problems {
        if let crate::load::yaml::Problem::Syntax { message, .. } = p {
            return Err(format!("error converting YAML to JSON: yaml: {message}"));
        }
    }
    let Some(doc) = parsed.documents.first() else {
        return Ok(Val::Invalid);
    };
    Ok(st.heap.load_json(&doc.root.to_json()))
}

pub fn from_yaml(st: &mut State<'_>, a: &[Slot]) -> Res {
    match yaml_to_val(st, arg_str(a, 0)).map_err(go)? {
        Val::Invalid => Ok(st.heap.new_map(Ty::Any, BTreeMap::new())),
        v @ Val::Map(_) => Ok(v),
        other => Err(go(format!(
            "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
            json_kind(&other)
        ))),
    }
}

pub fn from_yaml_array(st: &mut State<'_>, a: &[Slot]) -> Res {
    match yaml_to_val(st, arg_str(a, 0)).map_err(go)? {
        Val::Invalid => Ok(Val::list(Ty::Any, vec![])),
        v @ Val::List(_) => Ok(v),
        other => Err(go(format!(
            "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type []interface {{}}",
            json_kind(&other)
        ))),
    }
}

fn json_kind(v: &Val) -> &'static str {
    match v {
        Val::Map(_) => "object",
        Val::List(_) => "array",
        Val::Str(_) => "string",
        Val::Bool(_) => "bool",
        _ => "number",
    }
}

/// Argo CD's `tpl`: parses the string with the same functions and options, executes
/// it on `vals` with the calling template's `{{define}}`s visible, and removes
/// `<no value>` from the output.
pub fn tpl(st: &mut State<'_>, a: &[Slot]) -> Res {
    let text = arg_str(a, 0).to_string();
    let vals = arg_val(a, 1);
    let set = match parse::parse(&text, &is_function) {
        Ok(s) => s,
        Err(e) => {
            let err = TemplateError {
                kind: ErrorKind::Parse,
                range: e.start..e.end.max(e.start),
                message: e.message,
                line: e.line,
                col: 0,
                context: None,
                action_line: e.action_line,
            };
            if e.limit {
                return Err(FnError::Nested(Box::new(TemplateError {
                    kind: ErrorKind::Limit,
                    ..err
                })));
            }
            return Err(go(format!(
                "cannot parse template {}: {}",
                gofmt::quote(&text),
                err.go_message("")
            )));
        }
    };
    let mut merged = st.set.clone();
    for (name, tree) in set.trees {
        let keep_old = merged.trees.contains_key(&name)
            && !name.is_empty()
            && tree
                .nodes
                .iter()
                .all(|n| matches!(n, parse::Node::Text { text, .. } if text.trim().is_empty()));
        if !keep_old {
            merged.trees.insert(name, tree);
        }
    }
    let heap = std::mem::take(&mut st.heap);
    let mut sub = State::new(&text, &merged, st.opts, heap);
    sub.steps = st.steps;
    sub.alloc = st.alloc;
    sub.nesting = st.nesting + 1;
    let r = sub.run(Slot::plain(vals));
    st.steps = sub.steps;
    st.alloc = sub.alloc;
    st.heap = std::mem::take(&mut sub.heap);
    match r {
        Ok(out) => Ok(Val::string(out.replace("<no value>", ""))),
        Err(e) if matches!(e.kind, ErrorKind::Exec | ErrorKind::Parse) => Err(go(format!(
            "error during tpl function execution for {}: {}",
            gofmt::quote(&text),
            e.go_message("")
        ))),
        Err(e) => Err(FnError::Nested(Box::new(e))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_and_slug_follow_argo_cd() {
        assert_eq!(sanitize_name("My_App.Prod!"), "my-app.prod");
        assert_eq!(sanitize_name("--a--"), "a");
        assert_eq!(
            slug_make(&sanitize_name("Hello World.Example"), 50, true),
            "hello-world-example"
        );
        assert_eq!(slug_make("aaa-bbb-ccc", 9, true), "aaa-bbb");
        assert_eq!(slug_make("aaa-bbb-ccc", 9, false), "aaa-bbb-c");
        assert_eq!(slug_make("abcdefghij", 5, true), "abcde");
        assert_eq!(slug_make("aaa-bbb-ccc", 5, true), "aaa");
        assert_eq!(slug_make("aaa-bbb", 7, true), "aaa-bbb");
    }

    #[test]
    fn xstrings_documented_examples() {
        let cases = [
            ("FirstName", "first_name"),
            ("HTTPServer", "http_server"),
            ("NoHTTPS", "no_https"),
            ("GO_PATH", "go_path"),
            ("GO PATH", "go_path"),
            ("GO-PATH", "go_path"),
            ("http2xx", "http_2xx"),
            ("HTTP20xOK", "http_20x_ok"),
            ("Bld4Floor3rd", "bld4_floor_3rd"),
        ];
        for (i, want) in cases {
            assert_eq!(words(i).join("_"), want, "{i}");
        }
    }

    #[test]
    fn decimal_float_ops_are_exact() {
        assert_eq!(dec_op(0.1, 0.2, DecOp::Add), 0.3);
        assert_eq!(dec_op(1.1, 3.0, DecOp::Mul), 3.3);
        assert_eq!(dec_op(10.0, 3.0, DecOp::Div), 3.3333333333333335);
    }

    #[test]
    fn clean_path_matches_go() {
        for (i, o) in [
            ("", "."),
            ("a/b/../c", "a/c"),
            ("/../a", "/a"),
            ("../../a", "../../a"),
            ("a//b/./", "a/b"),
        ] {
            assert_eq!(clean_path(i), o, "{i}");
        }
    }

    #[test]
    fn go_regex_classes_are_ascii() {
        assert_eq!(go_regex_to_rust(r"\d+[\w.]"), "[0-9]+[0-9A-Za-z_.]");
        assert!(compile_uncached(r"^\d+$").is_ok_and(|r| !r.is_match("١٢")));
    }
}
