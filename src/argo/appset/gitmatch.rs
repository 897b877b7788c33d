//! Which files a Git file generator's `path` selects: the repo-server runs
//! `git ls-files --full-name -z -- <path>` (the default, "greedy" globbing; semantics
//! §5.5), so the path is a Git pathspec without magic:
//!
//! - a path equal to the pattern, or under it when the pattern names a directory
//!   (`apps` and `apps/` select every file below `apps/`);
//! - otherwise, when the pattern has a wildcard, `wildmatch` **without** `WM_PATHNAME`:
//!   `*` (and `**`) match any run of characters including `/`, `?` any one character
//!   including `/`, `[…]` a class (`!` or `^` negates), `\` escapes.
//!
//! So `cluster-charts/*/values.yaml` also selects `cluster-charts/a/b/values.yaml`.
//! The strict, per-segment globbing of `--enable-new-git-file-globbing` is not modelled.

/// Whether `git ls-files -- <pattern>` lists `path` (both relative to the repository root).
pub fn pathspec_match(pattern: &str, path: &str) -> bool {
    let mut pat = pattern;
    while let Some(rest) = pat.strip_prefix("./") {
        pat = rest;
    }
    if pat == "." {
        return true;
    }
    // Git refuses an empty pathspec; the generator then matches nothing.
    if pat.is_empty() {
        return false;
    }
    if path == pat {
        return true;
    }
    if let Some(rest) = path.strip_prefix(pat)
        && (pat.ends_with('/') || rest.starts_with('/'))
    {
        return true;
    }
    pat.contains(['*', '?', '[', '\\']) && wildmatch(pat.as_bytes(), path.as_bytes())
}

/// Git's `wildmatch` with no flags.
pub fn wildmatch(p: &[u8], t: &[u8]) -> bool {
    let (mut pi, mut ti) = (0usize, 0usize);
    // Where to resume after the last `*`: (pattern after the stars, text position).
    let mut star: Option<(usize, usize)> = None;
    loop {
        if pi < p.len() {
            match p[pi] {
                b'*' => {
                    while pi < p.len() && p[pi] == b'*' {
                        pi += 1;
                    }
                    if pi == p.len() {
                        return true;
                    }
                    star = Some((pi, ti));
                    continue;
                }
                _ if ti < t.len() => {
                    if let Some(next) = match_one(p, pi, t[ti]) {
                        match next {
                            Step::Next(n) => {
                                pi = n;
                                ti += 1;
                                continue;
                            }
                            Step::Abort => return false,
                        }
                    }
                }
                _ => {}
            }
        } else if ti == t.len() {
            return true;
        }
        // Mismatch: let the last star take one more character.
        match star {
            Some((sp, st)) if st < t.len() => {
                star = Some((sp, st + 1));
                pi = sp;
                ti = st + 1;
            }
            _ => return false,
        }
    }
}

enum Step {
    /// Matched; the pattern continues at this index.
    Next(usize),
    /// A malformed class: wildmatch gives up on the whole match.
    Abort,
}

/// Matches one text byte against the pattern element at `pi` (not a `*`). `None` when it
/// does not match.
fn match_one(p: &[u8], pi: usize, c: u8) -> Option<Step> {
    match p[pi] {
        b'?' => Some(Step::Next(pi + 1)),
        b'\\' => {
            let lit = *p.get(pi + 1)?;
            (lit == c).then_some(Step::Next(pi + 2))
        }
        b'[' => match_class(p, pi, c),
        lit => (lit == c).then_some(Step::Next(pi + 1)),
    }
}

fn match_class(p: &[u8], pi: usize, c: u8) -> Option<Step> {
    let mut i = pi + 1;
    let negated = matches!(p.get(i), Some(b'!' | b'^'));
    if negated {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    loop {
        let Some(&pc) = p.get(i) else {
            return Some(Step::Abort);
        };
        if pc == b']' && !first {
            break;
        }
        first = false;
        if pc == b'['
            && p.get(i + 1) == Some(&b':')
            && let Some(end) = p[i + 2..].windows(2).position(|w| w == b":]")
        {
            let name = &p[i + 2..i + 2 + end];
            if class_has(name, c) {
                matched = true;
            }
            i += 2 + end + 2;
            continue;
        }
        let (lo, after) = if pc == b'\\' {
            match p.get(i + 1) {
                Some(&e) => (e, i + 2),
                None => return Some(Step::Abort),
            }
        } else {
            (pc, i + 1)
        };
        if p.get(after) == Some(&b'-') && p.get(after + 1).is_some_and(|&h| h != b']') {
            let (hi, next) = match p.get(after + 1) {
                Some(&b'\\') => match p.get(after + 2) {
                    Some(&e) => (e, after + 3),
                    None => return Some(Step::Abort),
                },
                Some(&h) => (h, after + 2),
                None => return Some(Step::Abort),
            };
            if lo <= c && c <= hi {
                matched = true;
            }
            i = next;
        } else {
            if lo == c {
                matched = true;
            }
            i = after;
        }
    }
    (matched != negated).then_some(Step::Next(i + 1))
}

fn class_has(name: &[u8], c: u8) -> bool {
    match name {
        b"alnum" => c.is_ascii_alphanumeric(),
        b"alpha" => c.is_ascii_alphabetic(),
        b"blank" => c == b' ' || c == b'\t',
        b"cntrl" => c.is_ascii_control(),
        b"digit" => c.is_ascii_digit(),
        b"graph" => c.is_ascii_graphic(),
        b"lower" => c.is_ascii_lowercase(),
        b"print" => c.is_ascii_graphic() || c == b' ',
        b"punct" => c.is_ascii_punctuation(),
        b"space" => c.is_ascii_whitespace() || c == 0x0b,
        b"upper" => c.is_ascii_uppercase(),
        b"xdigit" => c.is_ascii_hexdigit(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greedy_default_globbing() {
        // semantics §5.5: `*` crosses `/`, so one star behaves like `**`.
        let cases = [
            (
                "cluster-charts/*/values.yaml",
                "cluster-charts/a/values.yaml",
                true,
            ),
            (
                "cluster-charts/*/values.yaml",
                "cluster-charts/a/b/values.yaml",
                true,
            ),
            (
                "cluster-charts/*/*/values.yaml",
                "cluster-charts/a/values.yaml",
                false,
            ),
            (
                "cluster-charts/*/*/values.yaml",
                "cluster-charts/a/b/c/values.yaml",
                true,
            ),
            ("apps/**/config.json", "apps/x/config.json", true),
            ("apps/*.json", "apps/deep/x.json", true),
            ("*.json", "a/b/c.json", true),
            ("apps/?/c.json", "apps/x/c.json", true),
            ("apps?x", "apps/x", true),
            ("apps/[a-c]*/x.yaml", "apps/b1/x.yaml", true),
            ("apps/[!a-c]*/x.yaml", "apps/b1/x.yaml", false),
            ("apps/[^a-c]*/x.yaml", "apps/d/x.yaml", true),
            ("apps/[[:digit:]]/x", "apps/7/x", true),
            ("apps/\\*/x", "apps/*/x", true),
            ("apps/\\*/x", "apps/a/x", false),
            ("apps/[a", "apps/a", false),
        ];
        for (pat, path, want) in cases {
            assert_eq!(pathspec_match(pat, path), want, "{pat} vs {path}");
        }
    }

    #[test]
    fn literal_pathspecs_match_files_and_directories() {
        assert!(pathspec_match("config/prod.json", "config/prod.json"));
        assert!(pathspec_match("config", "config/prod.json"));
        assert!(pathspec_match("config/", "config/a/b.yaml"));
        assert!(!pathspec_match("conf", "config/prod.json"));
        assert!(pathspec_match("./config/prod.json", "config/prod.json"));
        assert!(pathspec_match(".", "anything/at/all"));
        assert!(!pathspec_match("", "x"));
    }
}
