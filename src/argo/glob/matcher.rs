//! gobwas v0.2.3's matchers (`match/*.go`), re-implemented over bytes with Go's string
//! semantics, because they decide the result: gobwas compiles a pattern into a tree of
//! specialised matchers whose byte/rune arithmetic has bugs that Argo CD inherits, e.g.
//!
//! - `?` (and a negated class) alone matches the empty string: `Single.Match("")` decodes
//!   Go's `RuneError` from nothing and accepts it;
//! - a `Row` of fixed-length parts measures each part in runes but slices it in bytes, so
//!   `?a` does not match `éa`;
//! - a run of identical negated classes becomes "does not contain this *substring*", so
//!   `[!ab][!ab]` matches `ba`;
//! - `a*a` becomes prefix `a` and suffix `a`, which overlap: it matches `a`;
//! - some patterns with an unclosed `{` make Go panic at match time (slice out of range).
//!
//! Every Go slice expression is checked: where Go would panic, matching returns
//! [`Panic`]. A `BTree` (split around a fixed part) is memoised on the text range it is
//! asked about, so nested `*`s cost polynomial, not exponential, time.

use std::collections::HashMap;

/// Go panicked (slice bounds out of range) while matching.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Panic;

pub(super) type R<T> = Result<T, Panic>;

const RUNE_ERROR: u32 = 0xFFFD;

/// Go `utf8.DecodeRuneInString`: `(RuneError, 0)` for an empty input, `(RuneError, 1)` for
/// an invalid or truncated sequence.
pub(super) fn decode(s: &[u8]) -> (u32, usize) {
    let Some(&b0) = s.first() else {
        return (RUNE_ERROR, 0);
    };
    let width = match b0 {
        0x00..=0x7F => return (u32::from(b0), 1),
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => return (RUNE_ERROR, 1),
    };
    match s.get(..width).and_then(|b| std::str::from_utf8(b).ok()) {
        Some(text) => match text.chars().next() {
            Some(c) => (u32::from(c), width),
            None => (RUNE_ERROR, 1),
        },
        None => (RUNE_ERROR, 1),
    }
}

/// Go `for i, r := range s`.
pub(super) fn runes(s: &[u8]) -> impl Iterator<Item = (usize, u32)> + '_ {
    let mut i = 0;
    std::iter::from_fn(move || {
        let rest = s.get(i..)?;
        if rest.is_empty() {
            return None;
        }
        let (r, w) = decode(rest);
        let at = i;
        i += w.max(1);
        Some((at, r))
    })
}

/// Go `utf8.RuneCountInString`.
pub(super) fn rune_count(s: &[u8]) -> usize {
    runes(s).count()
}

/// Go `utf8.RuneLen` for the runes `range` can produce (never a surrogate).
fn rune_len(r: u32) -> usize {
    match r {
        0..=0x7F => 1,
        0x80..=0x7FF => 2,
        0x800..=0xFFFF => 3,
        _ => 4,
    }
}

/// A Go slice expression `s[a:b]`, `Err(Panic)` where Go would panic.
fn sl(s: &[u8], a: usize, b: usize) -> R<&[u8]> {
    if a <= b && b <= s.len() {
        Ok(&s[a..b])
    } else {
        Err(Panic)
    }
}

fn from(s: &[u8], a: usize) -> R<&[u8]> {
    sl(s, a, s.len())
}

/// Go `strings.Index`.
fn index(s: &[u8], sub: &[u8]) -> Option<usize> {
    if sub.is_empty() {
        return Some(0);
    }
    s.windows(sub.len()).position(|w| w == sub)
}

/// Go `strings.LastIndex`.
fn last_index(s: &[u8], sub: &[u8]) -> Option<usize> {
    if sub.is_empty() {
        return Some(s.len());
    }
    s.windows(sub.len()).rposition(|w| w == sub)
}

fn encode(r: u32) -> Vec<u8> {
    char::from_u32(r)
        .map(|c| c.to_string().into_bytes())
        .unwrap_or_else(|| "\u{FFFD}".as_bytes().to_vec())
}

/// Go `strings.IndexRune`.
fn index_rune(s: &[u8], r: u32) -> Option<usize> {
    if r < 0x80 {
        return s.iter().position(|&b| u32::from(b) == r);
    }
    if r == RUNE_ERROR {
        return runes(s).find(|&(_, c)| c == RUNE_ERROR).map(|(i, _)| i);
    }
    index(s, &encode(r))
}

/// gobwas `strings.IndexAnyRunes`: the index of the first separator *in separator order*
/// that occurs, not the earliest position.
fn index_any_runes(s: &[u8], rs: &[u32]) -> Option<usize> {
    rs.iter().find_map(|&r| index_rune(s, r))
}

/// gobwas `strings.LastIndexAnyRunes` (its non-ASCII branch searches from the start).
fn last_index_any_runes(s: &[u8], rs: &[u32]) -> R<Option<usize>> {
    for &r in rs {
        let mut i = None;
        if r < 0x80 {
            i = s.iter().rposition(|&b| u32::from(b) == r);
        } else {
            let mut sub = s;
            while !sub.is_empty() {
                let Some(j) = index_rune(s, r) else {
                    break;
                };
                i = Some(j);
                sub = from(sub, j + 1)?;
            }
        }
        if i.is_some() {
            return Ok(i);
        }
    }
    Ok(None)
}

fn encode_all(rs: &[u32]) -> Vec<u8> {
    rs.iter().flat_map(|&r| encode(r)).collect()
}

/// The result of a matcher's `Index`: where the first match starts and the possible
/// lengths (bytes) of the match there; `None` for Go's -1.
pub(super) type Found = Option<(usize, Vec<usize>)>;

/// A gobwas matcher.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum M {
    Nothing,
    Super,
    Any(Vec<u32>),
    Single(Vec<u32>),
    List { list: Vec<u32>, not: bool },
    Range { lo: u32, hi: u32, not: bool },
    Text { text: Vec<u8>, runes: usize },
    Contains { needle: Vec<u8>, not: bool },
    Min(usize),
    Max(usize),
    Prefix(Vec<u8>),
    Suffix(Vec<u8>),
    PrefixSuffix(Vec<u8>, Vec<u8>),
    PrefixAny(Vec<u8>, Vec<u32>),
    SuffixAny(Vec<u8>, Vec<u32>),
    AnyOf(Vec<M>),
    EveryOf(Vec<M>),
    Row { matchers: Vec<M>, runes: usize },
    BTree(Box<BTree>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct BTree {
    pub value: M,
    pub left: Option<M>,
    pub right: Option<M>,
    pub left_len: isize,
    pub right_len: isize,
    pub len: isize,
    /// Key for the memo; set once the matcher tree is final.
    pub id: usize,
}

impl BTree {
    /// gobwas `NewBTree`: lengths are computed here and not updated by later optimisation.
    pub fn new(value: M, left: Option<M>, right: Option<M>) -> BTree {
        let value_len = value.len();
        let mut ok = value_len != -1;
        let left_len = left.as_ref().map_or(0, M::len);
        let right_len = right.as_ref().map_or(0, M::len);
        if left.is_some() && left_len == -1 {
            ok = false;
        }
        if right.is_some() && right_len == -1 {
            ok = false;
        }
        BTree {
            value,
            left,
            right,
            left_len,
            right_len,
            len: if ok {
                left_len + value_len + right_len
            } else {
                -1
            },
            id: 0,
        }
    }
}

impl M {
    pub fn text(s: &str) -> M {
        M::Text {
            text: s.as_bytes().to_vec(),
            runes: s.chars().count(),
        }
    }

    /// gobwas `Len()`: the fixed length in runes, or -1.
    pub fn len(&self) -> isize {
        match self {
            M::Nothing => 0,
            M::Single(_) | M::List { .. } | M::Range { .. } => 1,
            M::Text { runes, .. } => *runes as isize,
            M::Row { runes, .. } => *runes as isize,
            M::BTree(t) => t.len,
            M::AnyOf(ms) => {
                let mut l = -1;
                for m in ms {
                    let ml = m.len();
                    if l == -1 {
                        l = ml;
                    } else if ml == -1 || l != ml {
                        return -1;
                    }
                }
                l
            }
            // gobwas's EveryOf.Len returns -1 unless it has no matchers.
            M::EveryOf(ms) if ms.is_empty() => 0,
            _ => -1,
        }
    }

    /// Numbers the `BTree`s for the memo.
    pub fn number(&mut self, next: &mut usize) {
        match self {
            M::AnyOf(ms) | M::EveryOf(ms) => ms.iter_mut().for_each(|m| m.number(next)),
            M::Row { matchers, .. } => matchers.iter_mut().for_each(|m| m.number(next)),
            M::BTree(t) => {
                t.id = *next;
                *next += 1;
                t.value.number(next);
                if let Some(l) = &mut t.left {
                    l.number(next);
                }
                if let Some(r) = &mut t.right {
                    r.number(next);
                }
            }
            _ => {}
        }
    }
}

/// Per-match state: the text's address (to key the memo by text range) and the memo.
pub(super) struct Cx {
    base: usize,
    memo: HashMap<(usize, usize, usize), bool>,
}

impl Cx {
    pub fn new(text: &[u8]) -> Cx {
        Cx {
            base: text.as_ptr() as usize,
            memo: HashMap::new(),
        }
    }
}

impl M {
    /// gobwas `Match`.
    pub fn matches(&self, s: &[u8], cx: &mut Cx) -> R<bool> {
        Ok(match self {
            M::Nothing => s.is_empty(),
            M::Super => true,
            M::Any(seps) => index_any_runes(s, seps).is_none(),
            M::Single(seps) => {
                let (r, w) = decode(s);
                s.len() <= w && !seps.contains(&r)
            }
            M::List { list, not } => {
                let (r, w) = decode(s);
                s.len() <= w && list.contains(&r) != *not
            }
            M::Range { lo, hi, not } => {
                let (r, w) = decode(s);
                s.len() <= w && (*lo <= r && r <= *hi) != *not
            }
            M::Text { text, .. } => s == text.as_slice(),
            M::Contains { needle, not } => index(s, needle).is_some() != *not,
            M::Min(limit) => {
                let mut l = 0;
                let mut ok = false;
                for _ in runes(s) {
                    l += 1;
                    if l >= *limit {
                        ok = true;
                        break;
                    }
                }
                ok
            }
            M::Max(limit) => rune_count(s) <= *limit,
            M::Prefix(p) => s.starts_with(p),
            M::Suffix(x) => s.ends_with(x),
            M::PrefixSuffix(p, x) => s.starts_with(p) && s.ends_with(x),
            M::PrefixAny(p, seps) => {
                s.starts_with(p) && index_any_runes(from(s, p.len())?, seps).is_none()
            }
            M::SuffixAny(x, seps) => {
                s.ends_with(x) && index_any_runes(sl(s, 0, s.len() - x.len())?, seps).is_none()
            }
            M::AnyOf(ms) => {
                for m in ms {
                    if m.matches(s, cx)? {
                        return Ok(true);
                    }
                }
                false
            }
            M::EveryOf(ms) => {
                for m in ms {
                    if !m.matches(s, cx)? {
                        return Ok(false);
                    }
                }
                true
            }
            M::Row { matchers, runes: n } => {
                let mut count = 0;
                let mut len_ok = true;
                for _ in runes(s) {
                    count += 1;
                    if count > *n {
                        len_ok = false;
                        break;
                    }
                }
                len_ok && count == *n && row_match_all(matchers, s, cx)?
            }
            M::BTree(t) => {
                let key = (t.id, (s.as_ptr() as usize).wrapping_sub(cx.base), s.len());
                if let Some(&known) = cx.memo.get(&key) {
                    return Ok(known);
                }
                let result = btree_match(t, s, cx)?;
                cx.memo.insert(key, result);
                result
            }
        })
    }

    /// gobwas `Index`.
    pub fn index(&self, s: &[u8], cx: &mut Cx) -> R<Found> {
        Ok(match self {
            M::Nothing => Some((0, vec![0])),
            M::Super => Some((0, boundaries(s, 0))),
            M::Any(seps) => match index_any_runes(s, seps) {
                Some(0) => Some((0, vec![0])),
                Some(found) => Some((0, boundaries(sl(s, 0, found)?, 0))),
                None => Some((0, boundaries(s, 0))),
            },
            M::Single(seps) => runes(s)
                .find(|(_, r)| !seps.contains(r))
                .map(|(i, r)| (i, vec![rune_len(r)])),
            M::List { list, not } => runes(s)
                .find(|(_, r)| list.contains(r) != *not)
                .map(|(i, r)| (i, vec![rune_len(r)])),
            M::Range { lo, hi, not } => runes(s)
                .find(|(_, r)| (*lo <= *r && *r <= *hi) != *not)
                .map(|(i, r)| (i, vec![rune_len(r)])),
            M::Text { text, .. } => index(s, text).map(|i| (i, vec![text.len()])),
            M::Contains { needle, not } => {
                let found = index(s, needle);
                let mut offset = 0;
                let mut rest = s;
                if !*not {
                    let Some(i) = found else {
                        return Ok(None);
                    };
                    offset = i + needle.len();
                    if s.len() <= offset {
                        return Ok(Some((0, vec![offset])));
                    }
                    rest = from(s, offset)?;
                } else if let Some(i) = found {
                    rest = sl(s, 0, i)?;
                }
                Some((0, boundaries(rest, offset)))
            }
            M::Min(limit) => {
                if s.len() < *limit {
                    // c := len(s) - limit + 1 <= 0
                    return Ok(None);
                }
                let mut count = 0;
                let mut segments = Vec::new();
                for (i, r) in runes(s) {
                    count += 1;
                    if count >= *limit {
                        segments.push(i + rune_len(r));
                    }
                }
                if segments.is_empty() {
                    None
                } else {
                    Some((0, segments))
                }
            }
            M::Max(limit) => {
                let mut segments = vec![0];
                for (count, (i, r)) in runes(s).enumerate() {
                    if count + 1 > *limit {
                        break;
                    }
                    segments.push(i + rune_len(r));
                }
                Some((0, segments))
            }
            M::Prefix(p) => match index(s, p) {
                None => None,
                Some(idx) => {
                    let length = p.len();
                    let sub = if s.len() > idx + length {
                        from(s, idx + length)?
                    } else {
                        &[][..]
                    };
                    let mut segments = vec![length];
                    segments.extend(runes(sub).map(|(i, r)| length + i + rune_len(r)));
                    Some((idx, segments))
                }
            },
            M::PrefixAny(p, seps) => match index(s, p) {
                None => None,
                Some(idx) => {
                    let n = p.len();
                    let mut sub = from(s, idx + n)?;
                    if let Some(i) = index_any_runes(sub, seps) {
                        sub = sl(sub, 0, i)?;
                    }
                    let mut segments = vec![n];
                    segments.extend(runes(sub).map(|(i, r)| n + i + rune_len(r)));
                    Some((idx, segments))
                }
            },
            M::Suffix(x) => index(s, x).map(|idx| (0, vec![idx + x.len()])),
            M::SuffixAny(x, seps) => match index(s, x) {
                None => None,
                Some(idx) => {
                    let i = last_index_any_runes(sl(s, 0, idx)?, seps)?.map_or(0, |i| i + 1);
                    // Go computes idx + len(suffix) - i as an int; it is never negative here.
                    Some((i, vec![(idx + x.len()).saturating_sub(i)]))
                }
            },
            M::PrefixSuffix(p, x) => match index(s, p) {
                None => None,
                Some(prefix_idx) => {
                    if x.is_empty() {
                        return Ok(Some((prefix_idx, vec![s.len() - prefix_idx])));
                    }
                    if s.len() <= prefix_idx {
                        return Ok(None);
                    }
                    let mut segments = Vec::new();
                    let mut sub = from(s, prefix_idx)?;
                    while let Some(suffix_idx) = last_index(sub, x) {
                        segments.push(suffix_idx + x.len());
                        sub = sl(sub, 0, suffix_idx)?;
                    }
                    if segments.is_empty() {
                        None
                    } else {
                        segments.reverse();
                        Some((prefix_idx, segments))
                    }
                }
            },
            M::AnyOf(ms) => {
                let mut best: Option<usize> = None;
                let mut segments: Vec<usize> = Vec::new();
                for m in ms {
                    let Some((idx, seg)) = m.index(s, cx)? else {
                        continue;
                    };
                    match best {
                        Some(b) if idx > b => {}
                        Some(b) if idx == b => segments = append_merge(&segments, &seg),
                        _ => {
                            best = Some(idx);
                            segments = seg;
                        }
                    }
                }
                best.map(|b| (b, segments))
            }
            M::EveryOf(ms) => {
                let mut index_at = 0usize;
                let mut offset = 0usize;
                let mut current: Vec<usize> = Vec::new();
                let mut sub = s;
                for (i, m) in ms.iter().enumerate() {
                    let Some((idx, seg)) = m.index(sub, cx)? else {
                        return Ok(None);
                    };
                    if i == 0 {
                        current = seg;
                    } else {
                        // delta := index - (idx + offset), in Go's ints.
                        let delta = index_at as isize - (idx + offset) as isize;
                        let mut next = Vec::new();
                        for &ex in &current {
                            for &n in &seg {
                                if ex as isize + delta == n as isize {
                                    next.push(n);
                                }
                            }
                        }
                        if next.is_empty() {
                            return Ok(None);
                        }
                        current = next;
                    }
                    index_at = idx + offset;
                    sub = from(s, index_at)?;
                    offset += idx;
                }
                Some((index_at, current))
            }
            M::Row { matchers, runes: n } => {
                for (i, _) in runes(s) {
                    let rest = from(s, i)?;
                    if rest.len() < *n {
                        break;
                    }
                    if row_match_all(matchers, rest, cx)? {
                        return Ok(Some((i, vec![*n])));
                    }
                }
                None
            }
            M::BTree(_) => None,
        })
    }
}

/// The start of every rune of `s` and its end, shifted by `offset`.
fn boundaries(s: &[u8], offset: usize) -> Vec<usize> {
    let mut segments: Vec<usize> = runes(s).map(|(i, _)| offset + i).collect();
    segments.push(offset + s.len());
    segments
}

/// gobwas `appendMerge`: merge two sorted lists, keeping one of equal values.
fn append_merge(target: &[usize], sub: &[usize]) -> Vec<usize> {
    let mut out = Vec::with_capacity(target.len() + sub.len());
    let (mut x, mut y) = (0, 0);
    while x < target.len() || y < sub.len() {
        if x >= target.len() {
            out.extend_from_slice(&sub[y..]);
            break;
        }
        if y >= sub.len() {
            out.extend_from_slice(&target[x..]);
            break;
        }
        let (a, b) = (target[x], sub[y]);
        if a == b {
            out.push(a);
            x += 1;
            y += 1;
        } else if a < b {
            out.push(a);
            x += 1;
        } else {
            out.push(b);
            y += 1;
        }
    }
    out
}

/// gobwas v0.2.3 `Row.matchAll`: each part gets the bytes up to the *first byte* of its
/// last rune (`s[idx:idx+next+1]`), which is right only for ASCII.
fn row_match_all(matchers: &[M], s: &[u8], cx: &mut Cx) -> R<bool> {
    let mut idx = 0usize;
    for m in matchers {
        let length = m.len();
        let rest = from(s, idx)?;
        let mut next = 0usize;
        let mut i: isize = 0;
        for (at, _) in runes(rest) {
            next = at;
            i += 1;
            if i == length {
                break;
            }
        }
        if i < length {
            return Ok(false);
        }
        if !m.matches(sl(s, idx, idx + next + 1)?, cx)? {
            return Ok(false);
        }
        idx += next + 1;
    }
    Ok(true)
}

/// gobwas `BTree.Match`.
fn btree_match(t: &BTree, s: &[u8], cx: &mut Cx) -> R<bool> {
    let input_len = s.len() as isize;
    let (mut offset, limit): (isize, isize) = if t.len != -1 && t.len > input_len {
        (0, 0)
    } else {
        (
            t.left_len.max(0),
            if t.right_len >= 0 {
                input_len - t.right_len
            } else {
                input_len
            },
        )
    };
    while offset < limit {
        let window = sl(s, offset as usize, limit as usize)?;
        let Some((index, segments)) = t.value.index(window, cx)? else {
            return Ok(false);
        };
        let at = offset as usize + index;
        let l = sl(s, 0, at)?;
        let left = match &t.left {
            Some(m) => m.matches(l, cx)?,
            None => l.is_empty(),
        };
        if left {
            for &length in segments.iter().rev() {
                let r = if s.len() <= at + length {
                    &[][..]
                } else {
                    from(s, at + length)?
                };
                let right = match &t.right {
                    Some(m) => m.matches(r, cx)?,
                    None => r.is_empty(),
                };
                if right {
                    return Ok(true);
                }
            }
        }
        let (_, step) = decode(from(s, at)?);
        if index + step == 0 {
            // Go would loop forever here; no pattern is known to get here.
            return Ok(false);
        }
        offset += (index + step) as isize;
    }
    Ok(false)
}

pub(super) fn runes_of(chars: &[char]) -> Vec<u32> {
    chars.iter().map(|&c| u32::from(c)).collect()
}

pub(super) fn string_of(rs: &[u32]) -> Vec<u8> {
    encode_all(rs)
}
