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
//! Compile errors are exactly gobwas's: its lexer reads the pattern rune by rune and its
//! parser reports the first error with gobwas's own text (`unexpected end of input` for an
//! unclosed `[`, `could not parse range` for `[]`, and so on). Quirks of v0.2.3 kept here:
//! an unclosed `{` is *not* an error (the group ends with the pattern: `{a,b` is `{a,b}`),
//! a trailing `\` is dropped, a NUL character ends the input, U+FFFD cannot be read, `]`
//! and `}` outside a class or group are literal, `,` is literal outside a group, and a `-`
//! makes a range only right after the first character of a class (`[ab-c]` is the set
//! `a`, `b`, `-`, `c`).
//!
//! Matching runs the pattern as a small automaton over the text's characters (gobwas
//! matches runes, not bytes), so it is linear in the text for a given pattern and never
//! backtracks.

use std::fmt;

/// A compiled gobwas pattern.
#[derive(Clone, Debug)]
pub struct Glob {
    states: Vec<State>,
    start: usize,
    separators: Vec<char>,
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

impl Glob {
    /// gobwas `glob.Compile(pattern, separators...)`.
    pub fn compile(pattern: &str, separators: &[char]) -> Result<Glob, GlobError> {
        let tree = parse(pattern)?;
        Ok(Glob::build(&tree, separators))
    }

    /// Whether the whole `text` matches the pattern.
    pub fn is_match(&self, text: &str) -> bool {
        let n = self.states.len();
        let mut current: Vec<usize> = Vec::with_capacity(n);
        let mut next: Vec<usize> = Vec::with_capacity(n);
        let mut seen = vec![usize::MAX; n];
        let mut stack = Vec::new();
        let mut generation = 0usize;
        self.closure(self.start, generation, &mut seen, &mut current, &mut stack);
        for c in text.chars() {
            generation += 1;
            next.clear();
            for &s in &current {
                if let State::Char { test, next: to } = &self.states[s]
                    && test.accepts(c, &self.separators)
                {
                    self.closure(*to, generation, &mut seen, &mut next, &mut stack);
                }
            }
            std::mem::swap(&mut current, &mut next);
            if current.is_empty() {
                return false;
            }
        }
        current
            .iter()
            .any(|&s| matches!(self.states[s], State::Match))
    }

    /// Adds `from` and every state reachable from it without reading a character.
    fn closure(
        &self,
        from: usize,
        generation: usize,
        seen: &mut [usize],
        out: &mut Vec<usize>,
        stack: &mut Vec<usize>,
    ) {
        stack.push(from);
        while let Some(s) = stack.pop() {
            let Some(mark) = seen.get_mut(s) else {
                continue;
            };
            if *mark == generation {
                continue;
            }
            *mark = generation;
            match &self.states[s] {
                State::Split(targets) => stack.extend(targets.iter().rev().copied()),
                State::Char { .. } | State::Match => out.push(s),
            }
        }
    }

    fn build(tree: &[Node], separators: &[char]) -> Glob {
        let mut glob = Glob {
            states: vec![State::Match],
            start: 0,
            separators: separators.to_vec(),
        };
        glob.start = glob.sequence(tree, 0);
        glob
    }

    fn push(&mut self, state: State) -> usize {
        self.states.push(state);
        self.states.len() - 1
    }

    /// States matching `nodes` and then continuing at `next`; returns the entry state.
    fn sequence(&mut self, nodes: &[Node], next: usize) -> usize {
        nodes
            .iter()
            .rev()
            .fold(next, |next, node| self.node(node, next))
    }

    fn node(&mut self, node: &Node, next: usize) -> usize {
        match node {
            Node::Text(text) => text.iter().rev().fold(next, |next, &c| {
                self.push(State::Char {
                    test: Test::Exact(c),
                    next,
                })
            }),
            Node::Any | Node::Super => {
                let test = if matches!(node, Node::Any) {
                    Test::NotSeparator
                } else {
                    Test::Anything
                };
                // loop: Split(char → loop, next)
                let split = self.push(State::Split(Vec::new()));
                let step = self.push(State::Char { test, next: split });
                self.states[split] = State::Split(vec![step, next]);
                split
            }
            Node::Single => self.push(State::Char {
                test: Test::NotSeparator,
                next,
            }),
            Node::Class(class) => self.push(State::Char {
                test: Test::Class(class.clone()),
                next,
            }),
            Node::AnyOf(alternatives) => {
                let entries = alternatives
                    .iter()
                    .map(|alternative| self.sequence(alternative, next))
                    .collect();
                self.push(State::Split(entries))
            }
        }
    }
}

#[derive(Clone, Debug)]
enum State {
    /// Reads one character that passes `test`.
    Char { test: Test, next: usize },
    /// Continues at every target without reading.
    Split(Vec<usize>),
    /// The whole text matched.
    Match,
}

#[derive(Clone, Debug)]
enum Test {
    Exact(char),
    NotSeparator,
    Anything,
    Class(Class),
}

impl Test {
    fn accepts(&self, c: char, separators: &[char]) -> bool {
        match self {
            Test::Exact(e) => *e == c,
            Test::NotSeparator => !separators.contains(&c),
            Test::Anything => true,
            Test::Class(class) => class.accepts(c),
        }
    }
}

/// A character class. Unlike `?`, a class does not care about separators.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Class {
    List { chars: Vec<char>, not: bool },
    Range { lo: char, hi: char, not: bool },
}

impl Class {
    fn accepts(&self, c: char) -> bool {
        match self {
            Class::List { chars, not } => chars.contains(&c) != *not,
            Class::Range { lo, hi, not } => (*lo <= c && c <= *hi) != *not,
        }
    }
}

/// The parsed pattern (gobwas's AST, with text runs kept whole).
#[derive(Clone, Debug, PartialEq, Eq)]
enum Node {
    Text(Vec<char>),
    Any,
    Super,
    Single,
    Class(Class),
    AnyOf(Vec<Vec<Node>>),
}

// ---------------------------------------------------------------------------------------
// Lexer: a faithful re-implementation of gobwas v0.2.3's `syntax/lexer`, whose quirks
// decide which patterns are errors. It reads runes; the rune 0 doubles as its end-of-input
// marker, so a NUL character ends the input where the lexer reads one.

const EOF: char = '\0';

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Eof,
    Error(String),
    Text(Vec<char>),
    Any,
    Super,
    Single,
    Not,
    Separator,
    RangeOpen,
    RangeClose,
    RangeLo(char),
    RangeBetween,
    RangeHi(char),
    TermsOpen,
    TermsClose,
}

struct Lexer {
    data: Vec<char>,
    pos: usize,
    /// Width (0 or 1 character) of the last read, for `unread`.
    last_width: usize,
    err: Option<String>,
    tokens: std::collections::VecDeque<Token>,
    terms_level: usize,
}

const IN_TEXT_BREAKERS: &[char] = &['?', '*', '[', '{'];
const IN_TERMS_BREAKERS: &[char] = &['?', '*', '[', '{', '}', ','];

impl Lexer {
    fn new(source: &str) -> Lexer {
        Lexer {
            data: source.chars().collect(),
            pos: 0,
            last_width: 0,
            err: None,
            tokens: std::collections::VecDeque::new(),
            terms_level: 0,
        }
    }

    fn next(&mut self) -> Token {
        loop {
            if let Some(err) = &self.err {
                return Token::Error(err.clone());
            }
            if let Some(token) = self.tokens.pop_front() {
                return token;
            }
            self.fetch_item();
        }
    }

    /// The next rune and its width, without consuming it. Go's `utf8.DecodeRuneInString`
    /// reports U+FFFD for a real U+FFFD too, which gobwas takes for a decoding error.
    fn peek(&mut self) -> (char, usize) {
        match self.data.get(self.pos) {
            None => (EOF, 0),
            Some('\u{FFFD}') => {
                self.err = Some("could not read rune".to_string());
                (EOF, 0)
            }
            Some(&c) => (c, 1),
        }
    }

    fn read(&mut self) -> char {
        let (c, width) = self.peek();
        self.pos += width;
        self.last_width = width;
        c
    }

    fn unread(&mut self) {
        self.pos -= self.last_width;
        self.last_width = 0;
    }

    fn fetch_item(&mut self) {
        let r = self.read();
        match r {
            EOF => self.tokens.push_back(Token::Eof),
            '{' => {
                self.terms_level += 1;
                self.tokens.push_back(Token::TermsOpen);
            }
            ',' if self.terms_level > 0 => self.tokens.push_back(Token::Separator),
            '}' if self.terms_level > 0 => {
                self.tokens.push_back(Token::TermsClose);
                self.terms_level -= 1;
            }
            '[' => {
                self.tokens.push_back(Token::RangeOpen);
                self.fetch_range();
            }
            '?' => self.tokens.push_back(Token::Single),
            '*' => {
                if self.read() == '*' {
                    self.tokens.push_back(Token::Super);
                } else {
                    self.unread();
                    self.tokens.push_back(Token::Any);
                }
            }
            _ => {
                self.unread();
                let breakers = if self.terms_level > 0 {
                    IN_TERMS_BREAKERS
                } else {
                    IN_TEXT_BREAKERS
                };
                self.fetch_text(breakers);
            }
        }
    }

    fn fetch_range(&mut self) {
        let mut want_hi = false;
        let mut want_close = false;
        let mut seen_not = false;
        loop {
            let r = self.read();
            if r == EOF {
                self.err = Some("unexpected end of input".to_string());
                return;
            }
            if want_close {
                if r == ']' {
                    self.tokens.push_back(Token::RangeClose);
                } else {
                    self.err = Some("expected close range character".to_string());
                }
                return;
            }
            if want_hi {
                self.tokens.push_back(Token::RangeHi(r));
                want_close = true;
                continue;
            }
            if !seen_not && r == '!' {
                self.tokens.push_back(Token::Not);
                seen_not = true;
                continue;
            }
            let (n, width) = self.peek();
            if n == '-' {
                self.pos += width;
                self.tokens.push_back(Token::RangeLo(r));
                self.tokens.push_back(Token::RangeBetween);
                want_hi = true;
                continue;
            }
            self.unread();
            self.fetch_text(&[']']);
            want_close = true;
        }
    }

    fn fetch_text(&mut self, breakers: &[char]) {
        let mut data = Vec::new();
        let mut escaped = false;
        loop {
            let r = self.read();
            if r == EOF {
                break;
            }
            if !escaped {
                if r == '\\' {
                    escaped = true;
                    continue;
                }
                if breakers.contains(&r) {
                    self.unread();
                    break;
                }
            }
            escaped = false;
            data.push(r);
        }
        if !data.is_empty() {
            self.tokens.push_back(Token::Text(data));
        }
    }
}

// ---------------------------------------------------------------------------------------
// Parser: gobwas v0.2.3's `syntax/ast` parser. Groups still open at the end of the input
// end there, without an error.

fn parse(pattern: &str) -> Result<Vec<Node>, GlobError> {
    let mut lexer = Lexer::new(pattern);
    // The pattern being built, and for each open `{`: the finished alternatives and the
    // pattern the group belongs to.
    let mut current: Vec<Node> = Vec::new();
    let mut open: Vec<(Vec<Vec<Node>>, Vec<Node>)> = Vec::new();
    loop {
        match lexer.next() {
            Token::Eof => break,
            Token::Error(message) => return Err(GlobError::new(message)),
            Token::Text(text) => current.push(Node::Text(text)),
            Token::Any => current.push(Node::Any),
            Token::Super => current.push(Node::Super),
            Token::Single => current.push(Node::Single),
            Token::RangeOpen => current.push(Node::Class(parse_range(&mut lexer)?)),
            Token::TermsOpen => open.push((Vec::new(), std::mem::take(&mut current))),
            Token::Separator => match open.last_mut() {
                Some((alternatives, _)) => alternatives.push(std::mem::take(&mut current)),
                None => return Err(GlobError::new("unexpected token: separator")),
            },
            Token::TermsClose => match open.pop() {
                Some((mut alternatives, parent)) => {
                    alternatives.push(std::mem::replace(&mut current, parent));
                    current.push(Node::AnyOf(alternatives));
                }
                None => return Err(GlobError::new("unexpected token: terms_close")),
            },
            Token::Not
            | Token::RangeClose
            | Token::RangeLo(_)
            | Token::RangeBetween
            | Token::RangeHi(_) => return Err(GlobError::new("unexpected token")),
        }
    }
    while let Some((mut alternatives, parent)) = open.pop() {
        alternatives.push(std::mem::replace(&mut current, parent));
        current.push(Node::AnyOf(alternatives));
    }
    Ok(current)
}

/// The tokens after `[`, up to and including `]`.
fn parse_range(lexer: &mut Lexer) -> Result<Class, GlobError> {
    let mut not = false;
    let mut lo: Option<char> = None;
    let mut hi: Option<char> = None;
    let mut chars: Vec<char> = Vec::new();
    loop {
        match lexer.next() {
            Token::Eof => return Err(GlobError::new("unexpected end")),
            Token::Error(message) => return Err(GlobError::new(message)),
            Token::Not => not = true,
            Token::RangeLo(c) => lo = Some(c),
            Token::RangeBetween => {}
            Token::RangeHi(c) => {
                if let Some(l) = lo
                    && c < l
                {
                    return Err(GlobError::new(format!(
                        "hi character '{c}' should be greater than lo '{l}'"
                    )));
                }
                hi = Some(c);
            }
            Token::Text(text) => chars = text,
            Token::RangeClose => {
                return match (lo, hi) {
                    (Some(lo), Some(hi)) if chars.is_empty() => Ok(Class::Range { lo, hi, not }),
                    (Some(_), Some(_)) => Err(GlobError::new("could not parse range")),
                    _ if chars.is_empty() => Err(GlobError::new("could not parse range")),
                    _ => Ok(Class::List { chars, not }),
                };
            }
            // The lexer produces nothing else inside a class.
            _ => return Err(GlobError::new("could not parse range")),
        }
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
            ("a/**/b", "a/b", slash, false),
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
            ("?", "", slash, false),
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
            ("[!a]", "", none, false),
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
            ("x{a*,b?}", "xaYYY", none, true),
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
            ("x{", "x", none, true),
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
            ("a?c", "a😀c", none, true),
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
