//! Go's `encoding/json` output (sprig's `toJson`, `toPrettyJson`, `toRawJson`) and the
//! YAML `sigs.k8s.io/yaml.Marshal` produces (Argo CD's `toYaml`): JSON first, then
//! go-yaml v2's emitter, whose choices (plain, single- or double-quoted, literal block;
//! folding of long lines at 80 columns; sequences not indented under their key) this
//! reproduces.

use super::gofmt::{MAX_PRINT_DEPTH, format_float};
use super::value::Val;

#[derive(Debug, PartialEq, Eq)]
pub enum EncodeError {
    /// `json: unsupported value: NaN` and the like.
    Unsupported(String),
    TooDeep,
}

impl std::fmt::Display for EncodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EncodeError::Unsupported(v) => write!(f, "json: unsupported value: {v}"),
            EncodeError::TooDeep => f.write_str("value nested too deeply"),
        }
    }
}

/// A float as `encoding/json` writes it.
pub fn json_float(v: f64) -> Result<String, EncodeError> {
    if v.is_nan() || v.is_infinite() {
        return Err(EncodeError::Unsupported(format_float(v, 'g', -1)));
    }
    let abs = v.abs();
    let fmt = if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        'e'
    } else {
        'f'
    };
    let mut s = format_float(v, fmt, -1);
    if fmt == 'e' {
        // e-09 → e-9
        let b = s.as_bytes();
        let n = b.len();
        if n >= 4 && b[n - 4] == b'e' && b[n - 3] == b'-' && b[n - 2] == b'0' {
            let last = s.pop();
            s.pop();
            if let Some(c) = last {
                s.push(c);
            }
        }
    }
    Ok(s)
}

fn json_string(out: &mut String, s: &str, escape_html: bool) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' if escape_html => out.push_str(&format!("\\u{:04x}", c as u32)),
            '\u{2028}' | '\u{2029}' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `json.Marshal` (`indent` None) or `json.MarshalIndent(v, "", indent)`.
pub fn to_json(v: &Val, escape_html: bool, indent: Option<&str>) -> Result<String, EncodeError> {
    let mut out = String::new();
    write_json(&mut out, v, escape_html, indent, 0)?;
    Ok(out)
}

fn newline(out: &mut String, indent: Option<&str>, depth: usize) {
    if let Some(ind) = indent {
        out.push('\n');
        for _ in 0..depth {
            out.push_str(ind);
        }
    }
}

fn write_json(
    out: &mut String,
    v: &Val,
    html: bool,
    indent: Option<&str>,
    depth: usize,
) -> Result<(), EncodeError> {
    if depth > MAX_PRINT_DEPTH {
        return Err(EncodeError::TooDeep);
    }
    match v {
        Val::Invalid => out.push_str("null"),
        Val::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Val::Int(i) | Val::Int64(i) => out.push_str(&i.to_string()),
        Val::Float(f) => out.push_str(&json_float(*f)?),
        Val::Str(s) => json_string(out, s, html),
        Val::List(l) => {
            if l.items.is_empty() {
                out.push_str("[]");
                return Ok(());
            }
            out.push('[');
            for (i, item) in l.items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, indent, depth + 1);
                write_json(out, item, html, indent, depth + 1)?;
            }
            newline(out, indent, depth);
            out.push(']');
        }
        Val::Map(m) => {
            let m = m.try_borrow().map_err(|_| EncodeError::TooDeep)?;
            if m.entries.is_empty() {
                out.push_str("{}");
                return Ok(());
            }
            out.push('{');
            for (i, (k, item)) in m.entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, indent, depth + 1);
                json_string(out, k, html);
                out.push(':');
                if indent.is_some() {
                    out.push(' ');
                }
                write_json(out, item, html, indent, depth + 1)?;
            }
            newline(out, indent, depth);
            out.push('}');
        }
    }
    Ok(())
}

// ---- YAML ------------------------------------------------------------------------------

const BEST_WIDTH: usize = 80;
const BEST_INDENT: usize = 2;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

fn is_yaml_printable(c: char) -> bool {
    let u = c as u32;
    u == 0x0A
        || (0x20..=0x7E).contains(&u)
        || u == 0x85
        || ((0xA0..=0xD7FF).contains(&u))
        || ((0xE000..=0xFFFD).contains(&u) && u != 0xFEFF)
        || (0x10000..=0x10FFFF).contains(&u)
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

struct Analysis {
    block_plain_allowed: bool,
    single_quoted_allowed: bool,
    block_allowed: bool,
}

/// go-yaml's `yaml_emitter_analyze_scalar`.
fn analyze(value: &str) -> Analysis {
    if value.is_empty() {
        return Analysis {
            block_plain_allowed: true,
            single_quoted_allowed: true,
            block_allowed: false,
        };
    }
    let chars: Vec<char> = value.chars().collect();
    let mut block_indicators = false;
    let mut line_breaks = false;
    let mut special = false;
    let mut leading_space = false;
    let mut leading_break = false;
    let mut trailing_space = false;
    let mut trailing_break = false;
    let mut break_space = false;
    let mut space_break = false;
    let mut previous_space = false;
    let mut previous_break = false;
    if value.starts_with("---") || value.starts_with("...") {
        block_indicators = true;
    }
    let mut preceded_by_ws = true;
    let n = chars.len();
    for (i, &c) in chars.iter().enumerate() {
        let followed_by_ws =
            i + 1 >= n || matches!(chars[i + 1], ' ' | '\t') || is_break(chars[i + 1]);
        if i == 0 {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"'
                | '%' | '@' | '`' => block_indicators = true,
                '?' | ':' if followed_by_ws => {
                    block_indicators = true;
                }
                '-' if followed_by_ws => {
                    block_indicators = true;
                }
                _ => {}
            }
        } else {
            match c {
                ':' if followed_by_ws => {
                    block_indicators = true;
                }
                '#' if preceded_by_ws => {
                    block_indicators = true;
                }
                _ => {}
            }
        }
        if !is_yaml_printable(c) {
            special = true;
        }
        if c == ' ' {
            if i == 0 {
                leading_space = true;
            }
            if i + 1 == n {
                trailing_space = true;
            }
            if previous_break {
                break_space = true;
            }
            previous_space = true;
            previous_break = false;
        } else if is_break(c) {
            line_breaks = true;
            if i == 0 {
                leading_break = true;
            }
            if i + 1 == n {
                trailing_break = true;
            }
            if previous_space {
                space_break = true;
            }
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_ws = matches!(c, ' ' | '\t') || is_break(c);
    }
    let mut a = Analysis {
        block_plain_allowed: true,
        single_quoted_allowed: true,
        block_allowed: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.block_plain_allowed = false;
    }
    if trailing_space {
        a.block_allowed = false;
    }
    if break_space {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
    }
    if space_break || special {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
        a.block_allowed = false;
    }
    if line_breaks || block_indicators {
        a.block_plain_allowed = false;
    }
    a
}

/// Whether go-yaml v2 would read `s`, unquoted, as something other than a string.
fn resolves_to_non_string(s: &str) -> bool {
    use crate::load::yaml::{Typed, resolve_plain};
    if !matches!(resolve_plain(s), Typed::Str) {
        return true;
    }
    if s == "<<" {
        return true;
    }
    // Timestamps (go-yaml v2.4 resolves plain dates) and base-60 floats ("1:20").
    is_timestamp(s) || is_base60_float(s)
}

fn is_base60_float(s: &str) -> bool {
    // ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$
    let b = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (main, frac) = match b.split_once('.') {
        Some((m, f)) => (m, Some(f)),
        None => (b, None),
    };
    if let Some(f) = frac
        && !f.bytes().all(|c| c.is_ascii_digit() || c == b'_')
    {
        return false;
    }
    let mut parts = main.split(':');
    let Some(first) = parts.next() else {
        return false;
    };
    let fb = first.as_bytes();
    if fb.is_empty()
        || !fb[0].is_ascii_digit()
        || !fb.iter().all(|c| c.is_ascii_digit() || *c == b'_')
    {
        return false;
    }
    let mut n = 0;
    for p in parts {
        n += 1;
        let pb = p.as_bytes();
        let ok = match pb.len() {
            1 => pb[0].is_ascii_digit(),
            2 => (b'0'..=b'5').contains(&pb[0]) && pb[1].is_ascii_digit(),
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    n > 0
}

fn is_timestamp(s: &str) -> bool {
    // The forms go-yaml v2 tries: 2006-1-2T15:4:5.999999999Z07:00, 2006-1-2t15:4:5…,
    // "2006-1-2 15:4:5.999999999", "2006-1-2". A leading YYYY-M-D is required.
    let b = s.as_bytes();
    if b.len() < 8 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return false;
    }
    let rest = &s[5..];
    let mut it = rest.splitn(2, '-');
    let (Some(m), Some(tail)) = (it.next(), it.next()) else {
        return false;
    };
    if m.is_empty() || m.len() > 2 || !m.bytes().all(|c| c.is_ascii_digit()) {
        return false;
    }
    let day_len = tail.bytes().take_while(u8::is_ascii_digit).count();
    if day_len == 0 || day_len > 2 {
        return false;
    }
    let after = &tail[day_len..];
    if after.is_empty() {
        return true;
    }
    let Some(time) = after
        .strip_prefix('T')
        .or_else(|| after.strip_prefix('t'))
        .or_else(|| after.strip_prefix(' '))
    else {
        return false;
    };
    // h:m:s required.
    let mut parts = time.splitn(3, ':');
    let (Some(h), Some(mi), Some(sec)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let digits = |x: &str| !x.is_empty() && x.len() <= 2 && x.bytes().all(|c| c.is_ascii_digit());
    if !digits(h) || !digits(mi) {
        return false;
    }
    let sec_len = sec.bytes().take_while(u8::is_ascii_digit).count();
    sec_len > 0 && sec_len <= 2
}

/// go-yaml v2's key order (`keyList.Less`): non-letters before letters, runs of digits
/// compared as numbers ("a2" before "a10"), otherwise by code point.
fn yaml_key_order(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let ar: Vec<char> = a.chars().collect();
    let br: Vec<char> = b.chars().collect();
    let digit = |c: char| c.is_ascii_digit();
    let mut i = 0;
    while i < ar.len() && i < br.len() {
        if ar[i] == br[i] {
            i += 1;
            continue;
        }
        let al = ar[i].is_alphabetic();
        let bl = br[i].is_alphabetic();
        if al && bl {
            return ar[i].cmp(&br[i]);
        }
        if al || bl {
            return if bl {
                Ordering::Less
            } else {
                Ordering::Greater
            };
        }
        let (mut an, mut bn) = (0i128, 0i128);
        if ar[i] == '0' || br[i] == '0' {
            let mut j = i;
            while j > 0 && digit(ar[j - 1]) {
                j -= 1;
                if ar[j] != '0' {
                    an = 1;
                    bn = 1;
                    break;
                }
            }
        }
        let mut ai = i;
        while ai < ar.len() && digit(ar[ai]) {
            an = an
                .saturating_mul(10)
                .saturating_add(ar[ai] as i128 - '0' as i128);
            ai += 1;
        }
        let mut bi = i;
        while bi < br.len() && digit(br[bi]) {
            bn = bn
                .saturating_mul(10)
                .saturating_add(br[bi] as i128 - '0' as i128);
            bi += 1;
        }
        if an != bn {
            return an.cmp(&bn);
        }
        if ai != bi {
            return ai.cmp(&bi);
        }
        return ar[i].cmp(&br[i]);
    }
    ar.len().cmp(&br.len())
}

struct Emitter {
    out: String,
    column: usize,
}

impl Emitter {
    fn put(&mut self, s: &str) {
        for c in s.chars() {
            if c == '\n' {
                self.column = 0;
            } else {
                self.column += 1;
            }
        }
        self.out.push_str(s);
    }

    fn put_char(&mut self, c: char) {
        if c == '\n' {
            self.column = 0;
        } else {
            self.column += 1;
        }
        self.out.push(c);
    }

    fn write_indent(&mut self, indent: usize) {
        self.put_char('\n');
        for _ in 0..indent {
            self.put_char(' ');
        }
    }

    fn style_for(&self, s: &str, key: bool) -> Style {
        let a = analyze(s);
        let mut style = if s.contains('\n') {
            Style::Literal
        } else if resolves_to_non_string(s) || s.is_empty() {
            Style::Double
        } else {
            Style::Plain
        };
        if style == Style::Plain && !a.block_plain_allowed {
            style = Style::Single;
        }
        if style == Style::Single && !a.single_quoted_allowed {
            style = Style::Double;
        }
        if style == Style::Literal && (!a.block_allowed || key) {
            style = Style::Double;
        }
        style
    }

    /// Writes a string scalar that starts at the current column; `indent` is the
    /// indentation of continuation lines.
    fn scalar(&mut self, s: &str, indent: usize, key: bool) {
        let allow_breaks = !key;
        match self.style_for(s, key) {
            Style::Plain => {
                let chars: Vec<char> = s.chars().collect();
                let mut spaces = false;
                for (i, &c) in chars.iter().enumerate() {
                    if c == ' ' {
                        let next_space = chars.get(i + 1) == Some(&' ');
                        if allow_breaks && !spaces && self.column > BEST_WIDTH && !next_space {
                            self.write_indent(indent);
                        } else {
                            self.put_char(c);
                        }
                        spaces = true;
                    } else {
                        self.put_char(c);
                        spaces = false;
                    }
                }
            }
            Style::Single => {
                self.put_char('\'');
                let chars: Vec<char> = s.chars().collect();
                let n = chars.len();
                let mut spaces = false;
                for (i, &c) in chars.iter().enumerate() {
                    if c == ' ' {
                        let next_space = chars.get(i + 1) == Some(&' ');
                        if allow_breaks
                            && !spaces
                            && self.column > BEST_WIDTH
                            && i != 0
                            && i != n - 1
                            && !next_space
                        {
                            self.write_indent(indent);
                        } else {
                            self.put_char(c);
                        }
                        spaces = true;
                    } else {
                        if c == '\'' {
                            self.put_char('\'');
                        }
                        self.put_char(c);
                        spaces = false;
                    }
                }
                self.put_char('\'');
            }
            Style::Double => {
                self.put_char('"');
                let chars: Vec<char> = s.chars().collect();
                let n = chars.len();
                let mut spaces = false;
                for (i, &c) in chars.iter().enumerate() {
                    let needs_escape = !is_yaml_printable(c)
                        || c == '\u{FEFF}'
                        || is_break(c)
                        || c == '"'
                        || c == '\\';
                    if needs_escape {
                        self.put_char('\\');
                        let u = c as u32;
                        match c {
                            '\0' => self.put_char('0'),
                            '\u{7}' => self.put_char('a'),
                            '\u{8}' => self.put_char('b'),
                            '\t' => self.put_char('t'),
                            '\n' => self.put_char('n'),
                            '\u{b}' => self.put_char('v'),
                            '\u{c}' => self.put_char('f'),
                            '\r' => self.put_char('r'),
                            '\u{1b}' => self.put_char('e'),
                            '"' => self.put_char('"'),
                            '\\' => self.put_char('\\'),
                            '\u{85}' => self.put_char('N'),
                            '\u{a0}' => self.put_char('_'),
                            '\u{2028}' => self.put_char('L'),
                            '\u{2029}' => self.put_char('P'),
                            _ if u <= 0xFF => self.put(&format!("x{u:02X}")),
                            _ if u <= 0xFFFF => self.put(&format!("u{u:04X}")),
                            _ => self.put(&format!("U{u:08X}")),
                        }
                        spaces = false;
                    } else if c == ' ' {
                        if allow_breaks
                            && !spaces
                            && self.column > BEST_WIDTH
                            && i != 0
                            && i != n - 1
                        {
                            self.write_indent(indent);
                            if chars.get(i + 1) == Some(&' ') {
                                self.put_char('\\');
                            }
                        } else {
                            self.put_char(c);
                        }
                        spaces = true;
                    } else {
                        self.put_char(c);
                        spaces = false;
                    }
                }
                self.put_char('"');
            }
            Style::Literal => {
                self.put_char('|');
                if s.starts_with(' ') || s.starts_with('\n') {
                    self.put(&BEST_INDENT.to_string());
                }
                let last_break = s.ends_with('\n');
                if !last_break {
                    self.put_char('-');
                } else {
                    let trimmed = &s[..s.len() - 1];
                    if trimmed.is_empty() || trimmed.ends_with('\n') {
                        self.put_char('+');
                    }
                }
                // Content lines: each line on its own, indented; empty lines bare.
                let body = s.strip_suffix('\n').unwrap_or(s);
                for line in body.split('\n') {
                    self.put_char('\n');
                    if !line.is_empty() {
                        for _ in 0..indent {
                            self.put_char(' ');
                        }
                        self.put(line);
                    }
                }
            }
        }
    }

    fn number(&mut self, v: &Val) -> Result<(), EncodeError> {
        match v {
            Val::Int(i) | Val::Int64(i) => self.put(&i.to_string()),
            Val::Float(f) => {
                // JSON text first, then go-yaml's resolution of that text: an integer if
                // it parses as one, a float printed with %g otherwise.
                let j = json_float(*f)?;
                if j.contains(['.', 'e', 'E']) {
                    self.put(&format_float(*f, 'g', -1));
                } else if let Ok(i) = j.parse::<i64>() {
                    self.put(&i.to_string());
                } else if let Ok(u) = j.parse::<u64>() {
                    self.put(&u.to_string());
                } else {
                    self.put(&format_float(*f, 'g', -1));
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn is_block_collection(v: &Val) -> bool {
        match v {
            Val::List(l) => !l.items.is_empty(),
            Val::Map(m) => m.try_borrow().is_ok_and(|m| !m.entries.is_empty()),
            _ => false,
        }
    }

    /// Writes a scalar or an empty collection at the current position.
    fn flow_value(&mut self, v: &Val, indent: usize) -> Result<(), EncodeError> {
        match v {
            Val::Invalid => self.put("null"),
            Val::Bool(b) => self.put(if *b { "true" } else { "false" }),
            Val::Int(_) | Val::Int64(_) | Val::Float(_) => self.number(v)?,
            Val::Str(s) => self.scalar(s, indent, false),
            Val::List(_) => self.put("[]"),
            Val::Map(_) => self.put("{}"),
        }
        Ok(())
    }

    /// A block mapping whose first key goes at the current position and the others at
    /// `indent`.
    fn mapping(&mut self, v: &Val, indent: usize, depth: usize) -> Result<(), EncodeError> {
        let Val::Map(m) = v else { return Ok(()) };
        let mut entries: Vec<(String, Val)> = {
            let m = m.try_borrow().map_err(|_| EncodeError::TooDeep)?;
            m.entries
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        };
        entries.sort_by(|a, b| yaml_key_order(&a.0, &b.0));
        for (i, (k, item)) in entries.iter().enumerate() {
            if i > 0 {
                self.write_indent(indent);
            }
            self.scalar(k, indent + BEST_INDENT, true);
            self.put_char(':');
            self.node_after_key(item, indent, depth + 1)?;
        }
        Ok(())
    }

    fn node_after_key(&mut self, v: &Val, indent: usize, depth: usize) -> Result<(), EncodeError> {
        if depth > MAX_PRINT_DEPTH {
            return Err(EncodeError::TooDeep);
        }
        if Self::is_block_collection(v) {
            match v {
                Val::Map(_) => {
                    self.write_indent(indent + BEST_INDENT);
                    self.mapping(v, indent + BEST_INDENT, depth)
                }
                _ => {
                    // go-yaml v2 does not indent a sequence under its key.
                    self.write_indent(indent);
                    self.sequence(v, indent, depth)
                }
            }
        } else {
            self.put_char(' ');
            self.flow_value(v, indent + BEST_INDENT)
        }
    }

    /// A block sequence whose first `- ` goes at the current position, the others at
    /// `indent`.
    fn sequence(&mut self, v: &Val, indent: usize, depth: usize) -> Result<(), EncodeError> {
        let Val::List(l) = v else { return Ok(()) };
        for (i, item) in l.items.iter().enumerate() {
            if i > 0 {
                self.write_indent(indent);
            }
            self.put("- ");
            self.node_in_sequence(item, indent + BEST_INDENT, depth + 1)?;
        }
        Ok(())
    }

    fn node_in_sequence(
        &mut self,
        v: &Val,
        indent: usize,
        depth: usize,
    ) -> Result<(), EncodeError> {
        if depth > MAX_PRINT_DEPTH {
            return Err(EncodeError::TooDeep);
        }
        match v {
            Val::Map(_) if Self::is_block_collection(v) => self.mapping(v, indent, depth),
            Val::List(_) if Self::is_block_collection(v) => self.sequence(v, indent, depth),
            _ => self.flow_value(v, indent),
        }
    }
}

/// `sigs.k8s.io/yaml.Marshal(v)` without the final newline (Argo CD's `toYaml` trims it).
pub fn to_yaml(v: &Val) -> Result<String, EncodeError> {
    // Marshal goes through JSON first: reject what JSON rejects.
    to_json(v, false, None)?;
    let mut e = Emitter {
        out: String::new(),
        column: 0,
    };
    match v {
        Val::Map(_) if Emitter::is_block_collection(v) => e.mapping(v, 0, 0)?,
        Val::List(_) if Emitter::is_block_collection(v) => e.sequence(v, 0, 0)?,
        other => e.flow_value(other, BEST_INDENT)?,
    }
    Ok(e.out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::argo::gotemplate::value::{Heap, Ty};

    fn val(j: serde_json::Value) -> Val {
        let mut h = Heap::default();
        h.load_json(&j)
    }

    #[test]
    fn json_matches_encoding_json() {
        let v = val(serde_json::json!({"b": [1, 1.5, "x<y"], "a": null, "c": 1e21}));
        assert_eq!(
            to_json(&v, true, None).ok().as_deref(),
            Some(r#"{"a":null,"b":[1,1.5,"x\u003cy"],"c":1e+21}"#)
        );
        assert_eq!(
            to_json(&v, false, None).ok().as_deref(),
            Some(r#"{"a":null,"b":[1,1.5,"x<y"],"c":1e+21}"#)
        );
        let pretty = to_json(
            &val(serde_json::json!({"a": [1], "b": {}})),
            true,
            Some("  "),
        );
        assert_eq!(
            pretty.ok().as_deref(),
            Some("{\n  \"a\": [\n    1\n  ],\n  \"b\": {}\n}")
        );
        assert_eq!(json_float(1e-7).ok().as_deref(), Some("1e-7"));
        assert_eq!(json_float(0.000001).ok().as_deref(), Some("0.000001"));
        assert!(to_json(&Val::Float(f64::NAN), true, None).is_err());
    }

    #[test]
    fn yaml_matches_sigs_k8s_yaml() {
        let v = val(serde_json::json!({
            "name": "guestbook",
            "replicas": 3,
            "ratio": 1.5,
            "on": "yes",
            "empty": "",
            "labels": {"app": "x", "tier": "web"},
            "ports": [80, 443],
            "items": [{"a": 1, "b": 2}],
            "nested": [[1, 2]],
            "none": {},
            "nil": null,
            "text": "line1\nline2",
            "colon": "a: b",
            "hash": "#x",
            "date": "2024-01-02",
            "num": "123",
        }));
        let want = "\
colon: 'a: b'
date: \"2024-01-02\"
empty: \"\"
hash: '#x'
items:
- a: 1
  b: 2
labels:
  app: x
  tier: web
name: guestbook
nested:
- - 1
  - 2
nil: null
none: {}
num: \"123\"
\"on\": \"yes\"
ports:
- 80
- 443
ratio: 1.5
replicas: 3
text: |-
  line1
  line2";
        assert_eq!(to_yaml(&v).ok().as_deref(), Some(want));
    }

    #[test]
    fn yaml_keys_use_go_yaml_order() {
        let v = val(serde_json::json!({"a10": 1, "a2": 2, "Z": 3, "_x": 4, "b": 5}));
        assert_eq!(
            to_yaml(&v).ok().as_deref(),
            Some("_x: 4\nZ: 3\na2: 2\na10: 1\nb: 5")
        );
    }

    #[test]
    fn yaml_scalars_at_root() {
        assert_eq!(to_yaml(&Val::str("abc")).ok().as_deref(), Some("abc"));
        assert_eq!(to_yaml(&Val::Invalid).ok().as_deref(), Some("null"));
        assert_eq!(to_yaml(&Val::Float(1e6)).ok().as_deref(), Some("1000000"));
        assert_eq!(to_yaml(&Val::Float(1e21)).ok().as_deref(), Some("1e+21"));
        assert_eq!(
            to_yaml(&Val::str("a\tb")).ok().as_deref(),
            Some("\"a\\tb\"")
        );
        assert_eq!(
            to_yaml(&Val::list(Ty::Any, vec![])).ok().as_deref(),
            Some("[]")
        );
        assert_eq!(to_yaml(&Val::str("a\n")).ok().as_deref(), Some("|\n  a"));
    }

    #[test]
    fn long_plain_strings_fold_at_80_columns() {
        let words = vec!["word"; 30].join(" ");
        let v = val(serde_json::json!({ "description": words }));
        let got = to_yaml(&v).unwrap_or_default();
        let lines: Vec<&str> = got.lines().collect();
        assert!(lines.len() > 1, "{got}");
        assert!(lines[1].starts_with("  word"), "{got}");
        // Folding happens at the first space after column 80.
        assert!(lines[0].len() > 80 && lines[0].len() <= 85, "{got}");
    }
}
