//! Small helpers shared by native rules.

use crate::load::yaml::{Node, Style, value_offsets};
use crate::model::Object;
use crate::source::Span;

/// A span inside a scalar's value: `[start, end)` byte offsets relative to the value
/// text, mapped onto the characters of the file that produce them (plain, single- and
/// double-quoted scalars on one line, literal and folded block scalars); otherwise the
/// whole scalar.
pub fn sub_span(o: &Object, n: &Node, value: &str, start: usize, end: usize, raw: &str) -> Span {
    let style = n.scalar().map_or(Style::Plain, |s| s.style);
    if let Some(map) = value_offsets(raw, style, value)
        && let (Some(&a), Some(&b)) = (map.get(start), map.get(end.max(start)))
        && a <= b
    {
        let base = n.start as usize;
        // An empty range still marks one character.
        let b = if b == a { a + 1 } else { b };
        return Span::new(
            o.file,
            base + a,
            (base + b).min(n.end as usize).max(base + a),
        );
    }
    o.span(n)
}

/// Levenshtein distance, for "did you mean" suggestions.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The closest candidate: a case-insensitive match, or one within a third of the length.
pub fn did_you_mean<'a>(input: &str, candidates: &[&'a str]) -> Option<&'a str> {
    if let Some(c) = candidates.iter().find(|c| c.eq_ignore_ascii_case(input)) {
        return Some(c);
    }
    let limit = (input.chars().count() / 3).max(1);
    candidates
        .iter()
        .map(|c| {
            (
                edit_distance(&input.to_ascii_lowercase(), &c.to_ascii_lowercase()),
                *c,
            )
        })
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, c)| c)
}

/// Describes a non-string scalar the way a user reads it.
pub fn describe_non_string(n: &Node) -> Option<String> {
    use crate::load::yaml::Typed;
    let s = n.scalar()?;
    let what = match s.typed {
        Typed::Str | Typed::Null => return None,
        Typed::Bool(b) => format!("the boolean {b}"),
        Typed::Int(i) => format!("the integer {i}"),
        Typed::Uint(u) => format!("the integer {u}"),
        Typed::Float(f) => format!("the number {f}"),
    };
    Some(what)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The text of `raw` that produces `value[a..b]`.
    fn produced(raw: &str, style: Style, value: &str, a: usize, b: usize) -> Option<String> {
        let map = value_offsets(raw, style, value)?;
        Some(raw[map[a]..map[b]].to_owned())
    }

    #[test]
    fn offsets_of_each_scalar_style() {
        // Plain: one to one.
        assert_eq!(
            produced("a.b[]", Style::Plain, "a.b[]", 1, 3).as_deref(),
            Some(".b")
        );
        // Single-quoted: '' is one quote.
        let v = r#"select(.n == 'x')"#;
        let raw = r#"'select(.n == ''x'')'"#;
        assert_eq!(
            produced(raw, Style::SingleQuoted, v, 13, 14).as_deref(),
            Some("''")
        );
        assert_eq!(
            produced(raw, Style::SingleQuoted, v, 14, 15).as_deref(),
            Some("x")
        );
        // Double-quoted: escapes take their whole text.
        let v = "a\"b\tc";
        let raw = r#""a\"b\tc""#;
        assert_eq!(
            produced(raw, Style::DoubleQuoted, v, 1, 2).as_deref(),
            Some("\\\"")
        );
        assert_eq!(
            produced(raw, Style::DoubleQuoted, v, 4, 5).as_deref(),
            Some("c")
        );
        let v = "é!";
        let raw = r#""\u00e9!""#;
        assert_eq!(
            produced(raw, Style::DoubleQuoted, v, 2, 3).as_deref(),
            Some("!")
        );
        // Literal block: indentation skipped, lines mapped.
        let raw = "|\n  .spec.a,\n  .spec.b\n";
        let v = ".spec.a,\n.spec.b\n";
        assert_eq!(
            produced(raw, Style::Literal, v, 9, 16).as_deref(),
            Some(".spec.b")
        );
        let raw = "|-\n    .x |\n    .y";
        assert_eq!(
            produced(raw, Style::Literal, ".x |\n.y", 5, 7).as_deref(),
            Some(".y")
        );
        // Not described: a value the text does not produce, an explicit indentation.
        assert_eq!(value_offsets("abc", Style::Plain, "abd"), None);
        assert_eq!(value_offsets("|2\n  x\n", Style::Literal, "x\n"), None);
    }

    #[test]
    fn suggestions() {
        assert_eq!(
            did_you_mean("presync", &["PreSync", "Sync"]),
            Some("PreSync")
        );
        assert_eq!(
            did_you_mean("PreSnyc", &["PreSync", "Sync"]),
            Some("PreSync")
        );
        assert_eq!(did_you_mean("Garbage", &["PreSync", "Sync"]), None);
    }
}
