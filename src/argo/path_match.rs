//! Go's `path/filepath.Match` on Unix, which Argo CD uses for the group, kind and name
//! patterns of AppProject resource allow and deny lists (semantics notes §1.1, §1.4).
//!
//! Unlike gobwas globs: `*` and `?` never match `/`; a class is negated by `^`, not `!`
//! (`[!D]*` matches `Deployment`: `!` is a member); there are no `{a,b}` alternatives
//! (braces are literal); `\` escapes. A malformed pattern is `ErrBadPattern`, also when the
//! match fails before reaching the malformed part (current Go validates the rest of the
//! pattern before answering "no match"). The name is compared byte by byte except where a
//! class or `?` reads one UTF-8 character.

use std::fmt;

/// Go's `filepath.ErrBadPattern`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadPattern;

impl fmt::Display for BadPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("syntax error in pattern")
    }
}

impl std::error::Error for BadPattern {}

const SEPARATOR: u8 = b'/';

/// Go `filepath.Match(pattern, name)` on Unix.
pub fn filepath_match(pattern: &str, name: &str) -> Result<bool, BadPattern> {
    let mut pattern = pattern.as_bytes();
    let mut name = name.as_bytes();
    'pattern: while !pattern.is_empty() {
        let (star, chunk, rest) = scan_chunk(pattern);
        pattern = rest;
        if star && chunk.is_empty() {
            // A trailing `*` matches the rest of the name unless it has a `/`.
            return Ok(!name.contains(&SEPARATOR));
        }
        // Look for a match at the current position.
        let (t, ok) = match_chunk(chunk, name)?;
        // The last chunk must use up the name; otherwise try the star.
        if ok && (t.is_empty() || !pattern.is_empty()) {
            name = t;
            continue;
        }
        if star {
            // Skip i+1 bytes, never past a `/`.
            let mut i = 0;
            while i < name.len() && name[i] != SEPARATOR {
                let (t, ok) = match_chunk(chunk, &name[i + 1..])?;
                if ok {
                    if pattern.is_empty() && !t.is_empty() {
                        i += 1;
                        continue;
                    }
                    name = t;
                    continue 'pattern;
                }
                i += 1;
            }
        }
        // Before answering "no match", check that the rest of the pattern is well formed.
        while !pattern.is_empty() {
            let (_, chunk, rest) = scan_chunk(pattern);
            pattern = rest;
            match_chunk(chunk, b"")?;
        }
        return Ok(false);
    }
    Ok(name.is_empty())
}

/// Go `scanChunk`: the next run of the pattern up to an unbracketed `*`, and whether
/// stars preceded it.
fn scan_chunk(pattern: &[u8]) -> (bool, &[u8], &[u8]) {
    let mut pattern = pattern;
    let mut star = false;
    while let [b'*', rest @ ..] = pattern {
        pattern = rest;
        star = true;
    }
    let mut in_range = false;
    let mut i = 0;
    while i < pattern.len() {
        match pattern[i] {
            b'\\' if i + 1 < pattern.len() => i += 1,
            b'[' => in_range = true,
            b']' => in_range = false,
            b'*' if !in_range => break,
            _ => {}
        }
        i += 1;
    }
    (star, &pattern[..i], &pattern[i..])
}

/// Go `utf8.DecodeRuneInString`.
fn decode(s: &[u8]) -> (u32, usize) {
    let Some(&b0) = s.first() else {
        return (0xFFFD, 0);
    };
    let width = match b0 {
        0x00..=0x7F => return (u32::from(b0), 1),
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => return (0xFFFD, 1),
    };
    match s
        .get(..width)
        .and_then(|b| std::str::from_utf8(b).ok())
        .and_then(|t| t.chars().next())
    {
        Some(c) => (u32::from(c), width),
        None => (0xFFFD, 1),
    }
}

/// Go `matchChunk`: matches `chunk` (no `*`) at the start of `s`; returns the rest of `s`
/// and whether it matched. Once the match has failed it keeps reading the chunk, to report
/// a malformed one.
fn match_chunk<'a>(chunk: &[u8], s: &'a [u8]) -> Result<(&'a [u8], bool), BadPattern> {
    let mut chunk = chunk;
    let mut s = s;
    let mut failed = false;
    while let Some(&c) = chunk.first() {
        if !failed && s.is_empty() {
            failed = true;
        }
        match c {
            b'[' => {
                let mut r = 0u32;
                if !failed {
                    let (rune, n) = decode(s);
                    r = rune;
                    s = &s[n..];
                }
                chunk = &chunk[1..];
                let mut negated = false;
                if let [b'^', rest @ ..] = chunk {
                    negated = true;
                    chunk = rest;
                }
                let mut matched = false;
                let mut nrange = 0;
                loop {
                    if let [b']', rest @ ..] = chunk
                        && nrange > 0
                    {
                        chunk = rest;
                        break;
                    }
                    let (lo, rest) = get_esc(chunk)?;
                    chunk = rest;
                    let mut hi = lo;
                    if let [b'-', rest @ ..] = chunk {
                        let (h, rest) = get_esc(rest)?;
                        hi = h;
                        chunk = rest;
                    }
                    if lo <= r && r <= hi {
                        matched = true;
                    }
                    nrange += 1;
                }
                if matched == negated {
                    failed = true;
                }
            }
            b'?' => {
                if !failed {
                    if s[0] == SEPARATOR {
                        failed = true;
                    }
                    let (_, n) = decode(s);
                    s = &s[n..];
                }
                chunk = &chunk[1..];
            }
            _ => {
                let mut literal = c;
                if c == b'\\' {
                    chunk = &chunk[1..];
                    match chunk.first() {
                        Some(&escaped) => literal = escaped,
                        None => return Err(BadPattern),
                    }
                }
                if !failed {
                    if literal != s[0] {
                        failed = true;
                    }
                    s = &s[1..];
                }
                chunk = &chunk[1..];
            }
        }
    }
    if failed {
        Ok((b"", false))
    } else {
        Ok((s, true))
    }
}

/// Go `getEsc`: one possibly escaped character of a class; the class must go on after it.
fn get_esc(chunk: &[u8]) -> Result<(u32, &[u8]), BadPattern> {
    let mut chunk = chunk;
    match chunk.first() {
        None | Some(b'-') | Some(b']') => return Err(BadPattern),
        Some(b'\\') => {
            chunk = &chunk[1..];
            if chunk.is_empty() {
                return Err(BadPattern);
            }
        }
        _ => {}
    }
    let (r, n) = decode(chunk);
    if r == 0xFFFD && n == 1 {
        return Err(BadPattern);
    }
    let rest = &chunk[n..];
    if rest.is_empty() {
        return Err(BadPattern);
    }
    Ok((r, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BAD: Result<bool, BadPattern> = Err(BadPattern);

    /// Go's own `matchTests` (path/filepath/match_test.go), Unix cases.
    #[test]
    fn go_match_tests() {
        let cases: &[(&str, &str, Result<bool, BadPattern>)] = &[
            ("abc", "abc", Ok(true)),
            ("*", "abc", Ok(true)),
            ("*c", "abc", Ok(true)),
            ("a*", "a", Ok(true)),
            ("a*", "abc", Ok(true)),
            ("a*", "ab/c", Ok(false)),
            ("a*/b", "abc/b", Ok(true)),
            ("a*/b", "a/c/b", Ok(false)),
            ("a*b*c*d*e*/f", "axbxcxdxe/f", Ok(true)),
            ("a*b*c*d*e*/f", "axbxcxdxexxx/f", Ok(true)),
            ("a*b*c*d*e*/f", "axbxcxdxe/xxx/f", Ok(false)),
            ("a*b*c*d*e*/f", "axbxcxdxexxx/fff", Ok(false)),
            ("a*b?c*x", "abxbbxdbxebxczzx", Ok(true)),
            ("a*b?c*x", "abxbbxdbxebxczzy", Ok(false)),
            ("ab[c]", "abc", Ok(true)),
            ("ab[b-d]", "abc", Ok(true)),
            ("ab[e-g]", "abc", Ok(false)),
            ("ab[^c]", "abc", Ok(false)),
            ("ab[^b-d]", "abc", Ok(false)),
            ("ab[^e-g]", "abc", Ok(true)),
            ("a\\*b", "a*b", Ok(true)),
            ("a\\*b", "ab", Ok(false)),
            ("a?b", "a☺b", Ok(true)),
            ("a[^a]b", "a☺b", Ok(true)),
            ("a???b", "a☺b", Ok(false)),
            ("a[^a][^a][^a]b", "a☺b", Ok(false)),
            ("[a-ζ]*", "α", Ok(true)),
            ("*[a-ζ]", "A", Ok(false)),
            ("a?b", "a/b", Ok(false)),
            ("a*b", "a/b", Ok(false)),
            ("[\\]a]", "]", Ok(true)),
            ("[\\-]", "-", Ok(true)),
            ("[x\\-]", "x", Ok(true)),
            ("[x\\-]", "-", Ok(true)),
            ("[x\\-]", "z", Ok(false)),
            ("[\\-x]", "x", Ok(true)),
            ("[\\-x]", "-", Ok(true)),
            ("[\\-x]", "a", Ok(false)),
            ("[]a]", "]", BAD),
            ("[-]", "-", BAD),
            ("[x-]", "x", BAD),
            ("[x-]", "-", BAD),
            ("[x-]", "z", BAD),
            ("[-x]", "x", BAD),
            ("[-x]", "-", BAD),
            ("[-x]", "a", BAD),
            ("\\", "a", BAD),
            ("[a-b-c]", "a", BAD),
            ("[", "a", BAD),
            ("[^", "a", BAD),
            ("[^bc", "a", BAD),
            ("a[", "a", BAD),
            ("a[", "ab", BAD),
            ("a[", "x", BAD),
            ("a/b[", "x", BAD),
            ("*x", "xxx", Ok(true)),
        ];
        for &(pattern, name, want) in cases {
            assert_eq!(
                filepath_match(pattern, name),
                want,
                "{pattern:?} vs {name:?}"
            );
        }
    }

    /// The `filepath.Match` column of semantics notes §1.1, and resource-list patterns.
    #[test]
    fn semantics_table() {
        let cases: &[(&str, &str, Result<bool, BadPattern>)] = &[
            // `*` matches the empty string, not across `/`.
            ("*", "", Ok(true)),
            ("*", "a/b", Ok(false)),
            ("*", "apps", Ok(true)),
            // `**` is the same as `*`.
            ("**", "a/b", Ok(false)),
            ("**", "ab", Ok(true)),
            ("a**b", "axxb", Ok(true)),
            // `?`: one non-`/` character.
            ("?", "a", Ok(true)),
            ("?", "", Ok(false)),
            ("?", "/", Ok(false)),
            ("?", "ab", Ok(false)),
            // Classes; `!` is a member, `^` negates.
            ("[abc]", "b", Ok(true)),
            ("[a-z]", "m", Ok(true)),
            ("[!D]*", "Deployment", Ok(true)),
            ("[!D]*", "Service", Ok(false)),
            ("[!D]*", "!x", Ok(true)),
            ("[^D]*", "Deployment", Ok(false)),
            ("[^D]*", "Service", Ok(true)),
            // No braces: `{…}` is literal.
            ("{Deployment,StatefulSet}", "Deployment", Ok(false)),
            (
                "{Deployment,StatefulSet}",
                "{Deployment,StatefulSet}",
                Ok(true),
            ),
            // Escapes.
            ("\\*", "*", Ok(true)),
            ("\\*", "x", Ok(false)),
            ("\\a", "a", Ok(true)),
            // Malformed patterns.
            ("e[[a*", "e[[a*", BAD),
            ("[", "[", BAD),
            ("[]", "]", BAD),
            ("[^]", "a", BAD),
            ("[z-a]", "m", Ok(false)),
            ("a\\", "a", BAD),
            // The rest of the pattern is checked even after an early mismatch.
            ("x[", "a", BAD),
            ("x*[", "a", BAD),
            ("x*y*[", "xy", BAD),
            ("b*[", "abc", BAD),
            // ...but a trailing `*` answers before the rest is read: nothing follows it.
            // A pattern that matched does not reach a malformed part after a star.
            ("*", "a/b", Ok(false)),
            // Empty pattern matches only the empty string.
            ("", "", Ok(true)),
            ("", "a", Ok(false)),
            // Case-sensitive.
            ("namespace", "Namespace", Ok(false)),
            ("Namespace", "Namespace", Ok(true)),
            // Typical resource lists.
            ("*", "Deployment", Ok(true)),
            ("apps", "apps", Ok(true)),
            ("*.k8s.io", "rbac.authorization.k8s.io", Ok(true)),
            ("*.k8s.io", "k8s.io", Ok(false)),
            ("", "apps", Ok(false)),
            ("Cluster*", "ClusterRoleBinding", Ok(true)),
            ("*Binding", "RoleBinding", Ok(true)),
            ("argoproj.io", "argoproj.io", Ok(true)),
            // Unicode: `?` and classes read one UTF-8 character, literals compare bytes.
            ("?", "é", Ok(true)),
            ("??", "é", Ok(false)),
            ("[é]", "é", Ok(true)),
            ("é*", "école", Ok(true)),
        ];
        for &(pattern, name, want) in cases {
            assert_eq!(
                filepath_match(pattern, name),
                want,
                "{pattern:?} vs {name:?}"
            );
        }
    }

    #[test]
    fn display() {
        assert_eq!(BadPattern.to_string(), "syntax error in pattern");
    }

    #[test]
    fn never_panics() {
        let alphabet = ['*', '?', '[', ']', '^', '-', '\\', 'a', '/', 'é', '!'];
        let mut patterns = vec![String::new()];
        for _ in 0..4 {
            let mut longer = Vec::new();
            for p in &patterns {
                for c in alphabet {
                    longer.push(format!("{p}{c}"));
                }
            }
            patterns.extend(longer);
        }
        let mut bad = 0;
        for p in &patterns {
            for name in ["", "a", "a/b", "é", "[", "-", "\\", "aé/"] {
                if filepath_match(p, name).is_err() {
                    bad += 1;
                }
            }
        }
        assert!(bad > 0);
    }
}
