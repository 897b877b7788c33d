//! Glob patterns as Argo CD matches them: `github.com/gobwas/glob` v0.2.3, wrapped by
//! Argo CD's `util/glob` (`Match`, `MatchWithError`, `MatchStringInList`) and by the
//! AppProject helper `globMatch`. Semantics notes §1.1.
//!
//! The syntax (gobwas):
//!
//! | pattern | matches |
//! |---|---|
//! | `*` | any run of characters that are not separators (any characters when there are none) |
//! | `**` | any run of characters, separators included, also glued to text (`a**b`) |
//! | `?` | exactly one character that is not a separator |
//! | `[abc]`, `[a-z]` | one character of the class (a class matches separators too) |
//! | `[!abc]`, `[!a-z]` | one character outside the class (`^` is an ordinary member) |
//! | `{a,b*,c}` | one of the alternatives, each itself a pattern; groups nest |
//! | `\c` | the character `c` literally |
//!
//! The implementation re-does gobwas's own steps (lexer, parser, compiler, matchers, in
//! the submodules) rather than the syntax's plain meaning, because gobwas's optimising
//! compiler gives some patterns a different meaning, and Argo CD inherits it. Checked
//! against gobwas v0.2.3 itself:
//!
//! - compile errors and their texts: `unexpected end of input` for an unclosed `[`,
//!   `could not parse range` for `[]`, `hi character 'a' should be greater than lo 'z'`…;
//!   an unclosed `{` is *not* an error (`{a,b` matches `a`), a trailing `\` is dropped;
//! - `?` or `[!x]` as the whole pattern also matches the empty string;
//! - `a*a` matches `a` (prefix and suffix overlap); `?a` does not match `éa`;
//! - `[!ab][!ab]` matches `ba` (the run becomes "does not contain `ab`");
//! - `*{` matches nothing, and some patterns with an unclosed `{` make gobwas panic when
//!   matching ([`Glob::try_match`] reports it, [`Glob::is_match`] says no match).
//!
//! Matching never backtracks exponentially: the only recursive matcher (gobwas's `BTree`,
//! a split around a fixed-length part) is memoised on the text range it is asked about.

use std::fmt;

mod compiler;
mod matcher;
mod syntax;

/// A compiled gobwas pattern.
#[derive(Clone, Debug)]
pub struct Glob {
    matcher: matcher::M,
}

/// Why gobwas rejects a pattern. `Display` gives gobwas's own error text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlobError {
    message: String,
}

impl GlobError {
    fn new(message: impl Into<String>) -> GlobError {
        GlobError {
            message: message.into(),
        }
    }

    /// gobwas's error text, e.g. `unexpected end of input`.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for GlobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for GlobError {}

/// gobwas panicked while matching (a Go slice index out of range). Argo CD does not
/// recover from it where it matches globs; [`Glob::is_match`] reports no match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MatchPanic;

impl fmt::Display for MatchPanic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("runtime error: slice bounds out of range")
    }
}

impl std::error::Error for MatchPanic {}

impl Glob {
    /// gobwas `glob.Compile(pattern, separators...)`.
    pub fn compile(pattern: &str, separators: &[char]) -> Result<Glob, GlobError> {
        let tree = syntax::parse(pattern)?;
        let mut matcher = compiler::compile(&tree, &matcher::runes_of(separators))?;
        matcher.number(&mut 0);
        Ok(Glob { matcher })
    }

    /// Whether `text` matches (gobwas `Match`); false where gobwas would panic.
    pub fn is_match(&self, text: &str) -> bool {
        self.try_match(text).unwrap_or(false)
    }

    /// gobwas `Match`, telling apart the texts on which gobwas panics.
    pub fn try_match(&self, text: &str) -> Result<bool, MatchPanic> {
        let bytes = text.as_bytes();
        let mut cx = matcher::Cx::new(bytes);
        self.matcher.matches(bytes, &mut cx).map_err(|_| MatchPanic)
    }
}

// ---------------------------------------------------------------------------------------
// Argo CD's wrappers.

/// util/glob.Match: false (never an error) when the pattern does not compile.
pub fn matches(pattern: &str, text: &str, separators: &[char]) -> bool {
    Glob::compile(pattern, separators).is_ok_and(|glob| glob.is_match(text))
}

/// util/glob.MatchWithError.
pub fn match_with_error(pattern: &str, text: &str, separators: &[char]) -> Result<bool, GlobError> {
    Glob::compile(pattern, separators).map(|glob| glob.is_match(text))
}

/// app_project_types.go globMatch: `!` negation when allowed, bare `*` short-circuit.
pub fn glob_match(pattern: &str, value: &str, allow_negation: bool, separators: &[char]) -> bool {
    if allow_negation && let Some(rest) = pattern.strip_prefix('!') {
        return !matches(rest, value, separators);
    }
    if pattern == "*" {
        return true;
    }
    matches(pattern, value, separators)
}

/// The three modes of util/glob.MatchStringInList.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListMatch {
    Exact,
    Glob,
    Regexp,
}

/// util/glob.MatchStringInList: Exact = string equality; Glob = gobwas; Regexp = an entry
/// wrapped in `/…/` is an unanchored regexp (Argo CD uses regexp2, .NET syntax), other entries are globs.
///
/// In Regexp mode an entry wrapped in `/…/` whose regexp does not match is still tried as
/// a glob, as upstream does (a `/x/` glob matches only the text `/x/`).
pub fn match_string_in_list(list: &[&str], item: &str, mode: ListMatch) -> bool {
    list.iter().any(|entry| match mode {
        ListMatch::Exact => *entry == item,
        ListMatch::Glob => matches(entry, item, &[]),
        ListMatch::Regexp => {
            (entry.len() >= 2
                && entry.starts_with('/')
                && entry.ends_with('/')
                && regexp_match(&entry[1..entry.len() - 1], item))
                || matches(entry, item, &[])
        }
    })
}

/// util/regex.Match: regexp2 with default options (.NET syntax, unanchored search, no
/// timeout). A pattern that does not compile, or a match that fails, is "no match".
pub fn regexp_match(pattern: &str, text: &str) -> bool {
    match fancy_regex::Regex::new(pattern) {
        Ok(re) => re.is_match(text).unwrap_or(false),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(pattern: &str) -> Option<String> {
        Glob::compile(pattern, &[]).err().map(|e| e.to_string())
    }

    /// Argo CD util/glob `Test_Match` (no separators).
    #[test]
    fn upstream_test_match() {
        let cases: &[(&str, &str, bool)] = &[
            // (input, pattern, result)
            ("hello", "hello", true),
            ("hello", "hell", false),
            ("hello", "hell*", true),
            ("hello", "h*", true),
            ("hello", "e*", false),
            ("e[[a*", "e[[a*", false),
        ];
        for &(input, pattern, want) in cases {
            assert_eq!(
                matches(pattern, input, &[]),
                want,
                "{pattern:?} vs {input:?}"
            );
        }
    }

    /// Argo CD util/glob `Test_MatchWithError`.
    #[test]
    fn upstream_test_match_with_error() {
        let cases: &[(&str, &str, bool, &str)] = &[
            ("hello", "hello", true, ""),
            ("hello", "hell", false, ""),
            ("hello", "hell*", true, ""),
            ("hello", "h*", true, ""),
            ("hello", "e*", false, ""),
            ("e[[a*", "e[[a*", false, "unexpected end of input"),
        ];
        for &(input, pattern, want, want_err) in cases {
            let got = match_with_error(pattern, input, &[]);
            if want_err.is_empty() {
                assert_eq!(got, Ok(want), "{pattern:?}");
            } else {
                let e = got.expect_err(pattern);
                assert!(e.to_string().contains(want_err), "{pattern:?}: {e}");
            }
        }
    }

    /// Argo CD util/glob `Test_GlobCacheKeyIncludesSeparators` (the matching part).
    #[test]
    fn upstream_separators_change_the_result() {
        assert!(matches("a*b", "a/b", &[]));
        assert!(!matches("a*b", "a/b", &['/']));
        // `test*pattern` from Test_GlobCaching.
        assert!(matches("test*pattern", "testABCpattern", &[]));
        assert!(matches("concurrent*test", "concurrentABCtest", &[]));
    }

    /// Argo CD util/glob `Test_MatchList`.
    #[test]
    fn upstream_test_match_list() {
        use ListMatch::*;
        let cases: &[(&str, &[&str], ListMatch, bool)] = &[
            ("test", &["test"], Exact, true),
            ("test", &["other"], Exact, false),
            ("test", &["some", "other"], Exact, false),
            ("test", &[], Exact, false),
            ("test", &[""], Exact, false),
            ("test", &["*"], Exact, false),
            ("test", &["*"], Glob, true),
            ("test", &["test"], Glob, true),
            ("test", &["other*", "te*"], Glob, true),
            ("disallowed", &["/^((?!disallowed).)*$/"], Regexp, false),
            ("allowed", &["/^((?!disallowed).)*$/"], Regexp, true),
        ];
        for &(input, list, mode, want) in cases {
            assert_eq!(
                match_string_in_list(list, input, mode),
                want,
                "{input:?} in {list:?} ({mode:?})"
            );
        }
    }

    #[test]
    fn match_string_in_list_regexp_mode() {
        use ListMatch::*;
        let cases: &[(&str, &[&str], ListMatch, bool)] = &[
            // Unanchored: a regexp matches anywhere in the text.
            ("team-a-dev", &["/a-d/"], Regexp, true),
            ("team-a-dev", &["/^a-d/"], Regexp, false),
            // Globs still work in Regexp mode.
            ("team-a", &["team-*"], Regexp, true),
            // A `/…/` entry is a glob in Glob mode: it matches only itself.
            ("team-a", &["/team/"], Glob, false),
            ("/team/", &["/team/"], Glob, true),
            // In Regexp mode a failing regexp falls back to the glob of the whole entry.
            ("/te.m/", &["/^x$/"], Regexp, false),
            ("/^x$/", &["/^x$/"], Regexp, true),
            // An invalid regexp matches nothing (but its glob reading still applies).
            ("argocd", &["/(/"], Regexp, false),
            // `/` alone is not a regexp entry: it is a glob matching "/".
            ("/", &["/"], Regexp, true),
            ("x", &["/"], Regexp, false),
            // `//` is the empty regexp, which matches everything.
            ("anything", &["//"], Regexp, true),
            // .NET syntax: lookbehind and backreferences.
            ("ns-prod", &["/(?<=ns-)prod/"], Regexp, true),
            ("abab", &["/^(ab)\\1$/"], Regexp, true),
            // Case-sensitive.
            ("ArgoCD", &["/argocd/"], Regexp, false),
            // Exact mode compares strings only.
            ("a*", &["a*"], Exact, true),
            ("ab", &["a*"], Exact, false),
        ];
        for &(input, list, mode, want) in cases {
            assert_eq!(
                match_string_in_list(list, input, mode),
                want,
                "{input:?} in {list:?} ({mode:?})"
            );
        }
    }

    /// Argo CD `TestGlobMatch` (app_project_types_test.go), semantics notes §1.1.
    #[test]
    fn upstream_test_glob_match() {
        let cases: &[(&str, &str, bool, bool)] = &[
            ("foo", "foo", false, true),
            ("foo*", "foobar", false, true),
            ("foo*", "bar", false, false),
            ("*", "anything", false, true),
            ("!foo", "foo", true, false),
            ("!foo", "bar", true, true),
            ("!foo", "foo", false, false),
            ("!foo", "!foo", false, true),
        ];
        for &(pattern, value, negation, want) in cases {
            assert_eq!(
                glob_match(pattern, value, negation, &[]),
                want,
                "{pattern:?} vs {value:?} (negation {negation})"
            );
        }
    }

    #[test]
    fn glob_match_details() {
        // A bare `*` matches even across separators (short-circuit before gobwas).
        assert!(glob_match("*", "a/b", false, &['/']));
        assert!(glob_match("*", "a/b", true, &['/']));
        // Any other `*` pattern stops at a separator.
        assert!(!glob_match("*/", "a/b/", true, &['/']));
        // `!*` with negation matches nothing; the `*` short-circuit does not apply.
        assert!(!glob_match("!*", "x", true, &[]));
        assert!(!glob_match("!*", "", true, &[]));
        // `!` alone with negation: not("" matches "") → false for "", true otherwise.
        assert!(!glob_match("!", "", true, &[]));
        assert!(glob_match("!", "x", true, &[]));
        // A negated invalid pattern: the inner match is false, so the negation is true.
        assert!(glob_match("![", "anything", true, &[]));
        // Without negation an invalid pattern is false.
        assert!(!glob_match("[", "[", false, &[]));
        // `!!foo`: the first `!` negates, the second is literal.
        assert!(glob_match("!!foo", "foo", true, &[]));
        assert!(!glob_match("!!foo", "!foo", true, &[]));
    }

    /// The gobwas column of the glob-syntax table in semantics notes §1.1, plus the
    /// matcher's own rules.
    #[test]
    fn gobwas_matching() {
        let slash: &[char] = &['/'];
        let none: &[char] = &[];
        let cases: &[(&str, &str, &[char], bool)] = &[
            // `*` matches the empty string.
            ("*", "", none, true),
            ("*", "", slash, true),
            ("a*", "a", slash, true),
            // `*` across `/`: yes without separators, no with `/`.
            ("*", "a/b", none, true),
            ("*", "a/b", slash, false),
            (
                "https://github.com/*",
                "https://github.com/org/repo",
                slash,
                false,
            ),
            (
                "https://github.com/*/*",
                "https://github.com/org/repo",
                slash,
                true,
            ),
            (
                "https://github.com/org/*",
                "https://github.com/org/repo",
                slash,
                true,
            ),
            // `**` crosses separators.
            ("**", "a/b/c", slash, true),
            (
                "https://github.com/**",
                "https://github.com/org/repo",
                slash,
                true,
            ),
            ("a/**/b", "a/x/y/b", slash, true),
            ("a/**/b", "a//b", slash, true),
            // gobwas: prefix `a/` and suffix `/b` may overlap, so this matches `a/b`.
            ("a/**/b", "a/b", slash, true),
            ("a/**/b", "ab", slash, false),
            // `**` glued to text.
            ("a**b", "a/x/b", slash, true),
            ("a**b", "ab", slash, true),
            ("a**", "a/b/c", slash, true),
            ("**b", "x/y/b", slash, true),
            ("x**y**z", "x/1/y/2/z", slash, true),
            ("x**y**z", "x/1/2/z", slash, false),
            // `***` is `**` then `*`.
            ("a***b", "a/x/b", slash, true),
            ("a***", "a/x/", slash, true),
            // `?`: one non-separator character.
            ("?", "a", slash, true),
            // gobwas: `?` as the whole pattern also matches the empty string.
            ("?", "", slash, true),
            ("a?", "a", slash, false),
            ("?", "ab", slash, false),
            ("?", "/", slash, false),
            ("?", "/", none, true),
            ("a?c", "abc", none, true),
            ("a?c", "a/c", slash, false),
            ("??", "ab", none, true),
            ("??", "a", none, false),
            ("?*", "", none, false),
            ("?*", "a", none, true),
            ("*?", "ab/", slash, false),
            ("*?", "ab", slash, true),
            // Classes.
            ("[abc]", "b", none, true),
            ("[abc]", "d", none, false),
            ("[abc]", "ab", none, false),
            ("[a-z]", "m", none, true),
            ("[a-z]", "M", none, false),
            ("[a-a]", "a", none, true),
            ("[!abc]", "d", none, true),
            ("[!abc]", "a", none, false),
            ("[!a-z]", "A", none, true),
            ("[!a-z]", "q", none, false),
            // gobwas: so does a negated class alone.
            ("[!a]", "", none, true),
            ("[a]", "", none, false),
            ("x[!a]", "x", none, false),
            ("[!D]*", "Deployment", none, false),
            ("[!D]*", "Service", none, true),
            // `^` is not a negation in gobwas: it is a class member.
            ("[^abc]", "^", none, true),
            ("[^abc]", "d", none, false),
            ("[^abc]", "a", none, true),
            // A class matches a separator (only `*` and `?` care about separators).
            ("a[/]b", "a/b", slash, true),
            ("a[!x]b", "a/b", slash, true),
            ("a[.-0]b", "a/b", slash, true),
            // `-` forms a range only after the first character of a class.
            ("[ab-c]", "-", none, true),
            ("[ab-c]", "b", none, true),
            ("[ab-c]", "x", none, false),
            ("[-a]", "-", none, true),
            ("[!-a]", "-", none, false),
            ("[!-a]", "b", none, true),
            ("[--a]", "-", none, true),
            ("[--a]", "Z", none, true),
            // `!` is a negation only first in a class.
            ("[a!]", "!", none, true),
            ("[!!]", "!", none, false),
            ("[!!]", "a", none, true),
            // Escapes inside a class.
            ("[\\]]", "]", none, true),
            ("[\\!a]", "!", none, true),
            ("[\\a-z]", "-", none, true),
            ("[\\a-z]", "m", none, false),
            // Alternation.
            ("{kube-system,argocd}", "argocd", none, true),
            ("{kube-system,argocd}", "kube-system", none, true),
            ("{kube-system,argocd}", "default", none, false),
            ("{a,b}c", "bc", none, true),
            // gobwas: `{a*,b?}` reports the fixed length 2 (its Len takes the first
            // fixed length it sees), so `x{a*,b?}` only matches three characters.
            ("x{a*,b?}", "xaYYY", none, false),
            ("x{a*,b?}", "xaY", none, true),
            ("x{a*,b?}", "xbY", none, true),
            ("{a*,b?}", "aYYY", none, true),
            ("x{a*,b?}", "xbYY", none, false),
            ("{a,{b,c}d}", "cd", none, true),
            ("{a,{b,c}d}", "c", none, false),
            ("{}", "", none, true),
            ("{}", "x", none, false),
            ("{,a}", "", none, true),
            ("{,a}", "a", none, true),
            ("a{,b}", "a", none, true),
            ("{a,a*}", "ab", none, true),
            ("{*a,b*}", "xa/", slash, false),
            ("{*a,b*}", "b/", none, true),
            ("{[ab],c}", "b", none, true),
            // `,` and `}` outside a group are literal; `]` outside a class is literal.
            ("a,b", "a,b", none, true),
            ("a}", "a}", none, true),
            ("a]", "a]", none, true),
            ("{a}}", "a}", none, true),
            // An unclosed `{` ends with the pattern (gobwas v0.2.3 reports no error).
            ("{a,b", "a", none, true),
            ("{a,b", "b", none, true),
            ("{a,b", "{a,b", none, false),
            ("{a,{b", "b", none, true),
            // Escapes.
            ("\\*", "*", none, true),
            ("\\*", "a", none, false),
            ("a\\?", "a?", none, true),
            ("\\{a,b\\}", "{a,b}", none, true),
            ("\\\\", "\\", none, true),
            ("\\a", "a", none, true),
            // A trailing backslash is dropped.
            ("a\\", "a", none, true),
            ("a\\", "a\\", none, false),
            ("\\", "", none, true),
            // Empty pattern matches only the empty string.
            ("", "", none, true),
            ("", "a", none, false),
            // Case-sensitive.
            ("namespace", "Namespace", none, false),
            ("*.example.com", "git.example.com", none, true),
            (
                "https://*.example.com/x",
                "https://git.example.com/x",
                slash,
                true,
            ),
            // Many stars: still linear.
            ("*a*a*a*a*b", &"a".repeat(60), none, false),
            ("*a*a*a*a*b", "aaaab", none, true),
            ("**a**a**a**b", "xaxaxaxb", slash, true),
        ];
        for &(pattern, text, seps, want) in cases {
            assert_eq!(
                Glob::compile(pattern, seps).map(|g| g.is_match(text)),
                Ok(want),
                "{pattern:?} vs {text:?} with separators {seps:?}"
            );
        }
    }

    /// gobwas's own `TestGlob` table (glob_test.go, v0.2.3).
    #[test]
    fn upstream_gobwas_test_glob() {
        let none: &[char] = &[];
        let dot: &[char] = &['.'];
        let cases: &[(&str, &str, &[char], bool)] = &[
            ("* ?at * eyes", "my cat has very bright eyes", none, true),
            ("", "", none, true),
            ("", "b", none, false),
            ("*ä", "åä", none, true),
            ("abc", "abc", none, true),
            ("a*c", "abc", none, true),
            ("a*c", "a12345c", none, true),
            ("a?c", "a1c", none, true),
            ("a.b", "a.b", dot, true),
            ("a.*", "a.b", dot, true),
            ("a.**", "a.b.c", dot, true),
            ("a.?.c", "a.b.c", dot, true),
            ("a.?.?", "a.b.c", dot, true),
            ("?at", "cat", none, true),
            ("?at", "fat", none, true),
            ("*", "abc", none, true),
            ("\\*", "*", none, true),
            ("**", "a.b.c", dot, true),
            ("?at", "at", none, false),
            ("?at", "fat", &['f'], false),
            ("a.*", "a.b.c", dot, false),
            ("a.?.c", "a.bb.c", dot, false),
            ("*", "a.b.c", dot, false),
            ("*test", "this is a test", none, true),
            ("this*", "this is a test", none, true),
            ("*is *", "this is a test", none, true),
            ("*is*a*", "this is a test", none, true),
            ("**test**", "this is a test", none, true),
            ("**is**a***test*", "this is a test", none, true),
            ("*is", "this is a test", none, false),
            ("*no*", "this is a test", none, false),
            ("[!a]*", "this is a test3", none, true),
            ("*abc", "abcabc", none, true),
            ("**abc", "abcabc", none, true),
            ("???", "abc", none, true),
            ("?*?", "abc", none, true),
            ("?*?", "ac", none, true),
            ("sta", "stagnation", none, false),
            ("sta*", "stagnation", none, true),
            ("sta?", "stagnation", none, false),
            ("sta?n", "stagnation", none, false),
            ("{abc,def}ghi", "defghi", none, true),
            ("{abc,abcd}a", "abcda", none, true),
            ("{a,ab}{bc,f}", "abc", none, true),
            ("{*,**}{a,b}", "ab", none, true),
            ("{*,**}{a,b}", "ac", none, false),
            ("/{rate,[a-z][a-z][a-z]}*", "/rate", none, true),
            ("/{rate,[0-9][0-9][0-9]}*", "/rate", none, true),
            ("/{rate,[a-z][a-z][a-z]}*", "/usd", none, true),
            ("{*.google.*,*.yandex.*}", "www.google.com", dot, true),
            ("{*.google.*,*.yandex.*}", "www.yandex.com", dot, true),
            ("{*.google.*,*.yandex.*}", "yandex.com", dot, false),
            ("{*.google.*,*.yandex.*}", "google.com", dot, false),
            ("{*.google.*,yandex.*}", "www.google.com", dot, true),
            ("{*.google.*,yandex.*}", "yandex.com", dot, true),
            ("{*.google.*,yandex.*}", "www.yandex.com", dot, false),
            ("{*.google.*,yandex.*}", "google.com", dot, false),
            (
                "[a-z][!a-x]*cat*[h][!b]*eyes*",
                "my cat has very bright eyes",
                none,
                true,
            ),
            (
                "[a-z][!a-x]*cat*[h][!b]*eyes*",
                "my dog has very bright eyes",
                none,
                false,
            ),
            ("google.com", "google.com", none, true),
            ("google.com", "gobwas.com", none, false),
            (
                "https://*.google.*",
                "https://account.google.com",
                none,
                true,
            ),
            ("https://*.google.*", "https://google.com", none, false),
            (
                "{https://*.google.*,*yandex.*,*yahoo.*,*mail.ru}",
                "http://yahoo.com",
                none,
                true,
            ),
            (
                "{https://*.google.*,*yandex.*,*yahoo.*,*mail.ru}",
                "http://google.com",
                none,
                false,
            ),
            (
                "{https://*gobwas.com,http://exclude.gobwas.com}",
                "https://safe.gobwas.com",
                none,
                true,
            ),
            (
                "{https://*gobwas.com,http://exclude.gobwas.com}",
                "http://safe.gobwas.com",
                none,
                false,
            ),
            (
                "{https://*gobwas.com,http://exclude.gobwas.com}",
                "http://exclude.gobwas.com",
                none,
                true,
            ),
            (
                "{abc*[a-c]def,abc?[d-g]def,abc[zte]?def}",
                "abczqdef",
                none,
                true,
            ),
            ("{abc*def,abc?def,abc[zte]def}", "abczdef", none, true),
            ("abc*", "abcdef", none, true),
            ("abc*", "af", none, false),
            ("*def", "abcdef", none, true),
            ("*def", "af", none, false),
            ("ab*ef", "abcdef", none, true),
            ("ab*ef", "af", none, false),
        ];
        for &(pattern, text, seps, want) in cases {
            assert_eq!(
                Glob::compile(pattern, seps).map(|g| g.is_match(text)),
                Ok(want),
                "{pattern:?} vs {text:?} with separators {seps:?}"
            );
        }
    }

    /// Results of gobwas v0.2.3's optimising compiler that differ from the syntax's plain
    /// meaning (each checked against gobwas itself).
    #[test]
    fn gobwas_quirks() {
        let none: &[char] = &[];
        let slash: &[char] = &['/'];
        let cases: &[(&str, &str, &[char], bool)] = &[
            // Prefix and suffix overlap.
            ("a*a", "a", none, true),
            ("ab*ba", "aba", none, true),
            ("ab*ba", "ab", none, false),
            (
                "https://github.com/**/repo",
                "https://github.com/repo",
                slash,
                true,
            ),
            ("org/**/org", "org/org", slash, true),
            ("org/**/org", "org", slash, false),
            ("x/**/x", "x/x", slash, true),
            // A run of identical negated classes: "does not contain the substring".
            ("[!ab][!ab]", "ba", none, true),
            ("[!ab][!ab]", "ab", none, false),
            ("[!ab][!ab]", "cd", none, true),
            ("[!a][!a]", "aa", none, false),
            // An unclosed group that compiles into a matcher of nothing.
            ("*{", "", none, false),
            ("*{", "x", none, false),
            ("{", "", none, true),
            ("{", "x", none, false),
            ("{a,b", "a", none, true),
            ("{a,b", "b", none, true),
            ("{a,b", "{a,b", none, false),
            ("{a,{b", "b", none, true),
            // An alternative group whose first alternative has no fixed length but a later
            // one has: the group counts as fixed-length.
            ("{a*,bc}d", "abcd", none, false),
            ("{a*,bc}d", "axd", none, true),
            ("{a*,bc}d", "bcd", none, true),
        ];
        for &(pattern, text, seps, want) in cases {
            assert_eq!(
                Glob::compile(pattern, seps).map(|g| g.is_match(text)),
                Ok(want),
                "{pattern:?} vs {text:?} with separators {seps:?}"
            );
        }
    }

    /// Patterns on which gobwas panics when matching (Go slice bounds out of range).
    #[test]
    fn gobwas_panics() {
        let cases: &[(&str, &str, &[char])] = &[
            ("x{", "x", &[]),
            ("b{", "b", &['/']),
            ("a{,", "a", &[]),
            ("?b{", "ab", &[]),
        ];
        for &(pattern, text, seps) in cases {
            let glob = Glob::compile(pattern, seps).expect(pattern);
            assert_eq!(
                glob.try_match(text),
                Err(MatchPanic),
                "{pattern:?} vs {text:?}"
            );
            assert!(!glob.is_match(text));
            assert!(!matches(pattern, text, seps));
        }
        // The same patterns do not panic on other texts.
        assert_eq!(
            Glob::compile("x{", &[]).map(|g| g.try_match("y")),
            Ok(Ok(false))
        );
    }

    /// Nested stars cost polynomial time, not exponential.
    #[test]
    fn many_stars_are_fast() {
        let text = "a".repeat(250);
        let start = std::time::Instant::now();
        for pattern in [
            "*a*a*a*a*a*a*a*a*a*a*b",
            "**a**a**a**a**a**a**a**b",
            "*a?*a?*a?*a?*a?*b",
            "{*a,*b}{*a,*b}{*a,*b}{*a,*b}c",
        ] {
            for seps in [&[][..], &['/'][..]] {
                assert_eq!(
                    Glob::compile(pattern, seps).map(|g| g.is_match(&text)),
                    Ok(false),
                    "{pattern}"
                );
            }
        }
        assert!(start.elapsed() < std::time::Duration::from_secs(20));
    }

    /// gobwas matches runes, not bytes.
    #[test]
    fn unicode() {
        let none: &[char] = &[];
        let cases: &[(&str, &str, &[char], bool)] = &[
            ("?", "é", none, true),
            ("?", "日", none, true),
            ("??", "日本", none, true),
            ("?", "日本", none, false),
            ("*", "日本語", none, true),
            ("日*", "日本語", none, true),
            ("*語", "日本語", none, true),
            ("[à-ü]", "é", none, true),
            ("[!é]", "e", none, true),
            ("[!é]", "é", none, false),
            ("{é,ü}", "ü", none, true),
            // gobwas v0.2.3: a row of fixed-length parts slices each part by its first
            // byte only, so a multi-byte character in a row breaks the match.
            ("a?c", "a😀c", none, false),
            ("?a", "éa", none, false),
            ("a?", "aé", none, true),
            ("?", "😀", none, true),
            ("a*c", "a😀c", none, true),
            ("*", "a日/b", &['日'], false),
            ("*/*", "a/日", &['/'], true),
        ];
        for &(pattern, text, seps, want) in cases {
            assert_eq!(
                Glob::compile(pattern, seps).map(|g| g.is_match(text)),
                Ok(want),
                "{pattern:?} vs {text:?}"
            );
        }
    }

    /// Compile errors, with gobwas's messages.
    #[test]
    fn compile_errors() {
        let cases: &[(&str, Option<&str>)] = &[
            ("e[[a*", Some("unexpected end of input")),
            ("[", Some("unexpected end of input")),
            ("[abc", Some("unexpected end of input")),
            ("[a-z", Some("unexpected end of input")),
            ("[a-", Some("unexpected end of input")),
            ("[a-]", Some("unexpected end of input")),
            ("[!", Some("unexpected end of input")),
            ("[\\", Some("unexpected end of input")),
            ("{[}", Some("unexpected end of input")),
            ("[]", Some("could not parse range")),
            ("[!]", Some("could not parse range")),
            ("a[]b", Some("could not parse range")),
            // `]` right after `[` ends the (empty) class.
            ("[]]", Some("could not parse range")),
            ("[]a]", Some("could not parse range")),
            ("[!]]", Some("could not parse range")),
            ("[a-cx]", Some("expected close range character")),
            (
                "[z-a]",
                Some("hi character 'a' should be greater than lo 'z'"),
            ),
            (
                "[a--]",
                Some("hi character '-' should be greater than lo 'a'"),
            ),
            (
                "[a-]]",
                Some("hi character ']' should be greater than lo 'a'"),
            ),
            ("a\u{FFFD}", Some("could not read rune")),
            // Not errors.
            ("{", None),
            ("{a,b", None),
            ("}", None),
            ("]", None),
            ("a\\", None),
            ("**", None),
            ("***", None),
            ("{{{", None),
            ("!", None),
        ];
        for &(pattern, want) in cases {
            assert_eq!(err(pattern).as_deref(), want, "{pattern:?}");
        }
        assert!(!matches("[", "[", &[]));
        assert_eq!(
            match_with_error("[", "[", &['/']).map_err(|e| e.message().to_string()),
            Err("unexpected end of input".to_string())
        );
    }

    /// A NUL character is gobwas's end-of-input marker.
    #[test]
    fn nul_character() {
        // At the start of an item it ends the pattern.
        assert!(matches("\0abc", "", &[]));
        assert!(matches("*\0abc", "anything", &[]));
        // Inside a text run it is dropped and lexing goes on.
        assert!(matches("a\0b", "ab", &[]));
        // Inside a class it is the end of the input.
        assert_eq!(err("[\0]"), Some("unexpected end of input".to_string()));
    }

    #[test]
    fn never_panics() {
        let specials = [
            '*', '?', '[', ']', '{', '}', ',', '!', '-', '\\', 'a', '/', 'é', '\0',
        ];
        // Every pattern of up to 4 characters from the specials.
        let mut patterns = vec![String::new()];
        for _ in 0..4 {
            let mut longer = Vec::new();
            for p in &patterns {
                for c in specials {
                    let mut q = p.clone();
                    q.push(c);
                    longer.push(q);
                }
            }
            patterns.extend(longer);
        }
        for p in &patterns {
            for seps in [&[][..], &['/'][..]] {
                if let Ok(g) = Glob::compile(p, seps) {
                    for text in ["", "a", "a/b", "é", "[", "{a}", "\\"] {
                        let _ = g.is_match(text);
                    }
                }
            }
        }
        assert!(patterns.len() > 1000);
    }
}
