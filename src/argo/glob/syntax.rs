//! gobwas v0.2.3's lexer (`syntax/lexer`) and parser (`syntax/ast`), re-implemented with
//! the same control flow, because their quirks decide which patterns are errors and what
//! an odd pattern means.
//!
//! - The lexer reads runes; the rune 0 doubles as its end-of-input marker, so a NUL
//!   character ends the input wherever an item starts (inside a text run it is skipped).
//! - Go's `utf8.DecodeRuneInString` reports U+FFFD for a real U+FFFD too, which gobwas
//!   takes for a decoding error (`could not read rune`).
//! - A trailing `\` is dropped; `]` and `}` outside a class or group are literal, and so
//!   is `,` outside a group.
//! - In a class, `-` makes a range only right after its first character (`[ab-c]` is the
//!   set `a`, `b`, `-`, `c`); `!` negates only first; `^` is an ordinary member.
//! - An unclosed `{` is not an error: the parser stops at the end of the input with the
//!   group still open, and the group is compiled as it stands.

use super::GlobError;
use std::collections::VecDeque;

/// Node kinds of gobwas's AST.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Nothing,
    Pattern,
    List,
    Range,
    Text,
    Any,
    Super,
    Single,
    AnyOf,
}

/// The value of a leaf node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Value {
    None,
    Text(String),
    List { not: bool, chars: Vec<char> },
    Range { not: bool, lo: char, hi: char },
}

/// A node of gobwas's AST. Equality is gobwas's `Node.Equal` (kind, value, children).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Ast {
    pub kind: Kind,
    pub value: Value,
    pub children: Vec<Ast>,
}

impl Ast {
    pub fn new(kind: Kind, value: Value, children: Vec<Ast>) -> Ast {
        Ast {
            kind,
            value,
            children,
        }
    }
}

const EOF: char = '\0';

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Eof,
    Error(String),
    Text(String),
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

impl Token {
    /// gobwas's `Token.String()` type names, for `unexpected token` errors.
    fn type_name(&self) -> &'static str {
        match self {
            Token::Eof => "eof",
            Token::Error(_) => "error",
            Token::Text(_) => "text",
            Token::Any => "any",
            Token::Super => "super",
            Token::Single => "single",
            Token::Not => "not",
            Token::Separator => "separator",
            Token::RangeOpen => "range_open",
            Token::RangeClose => "range_close",
            Token::RangeLo(_) => "range_lo",
            Token::RangeBetween => "range_between",
            Token::RangeHi(_) => "range_hi",
            Token::TermsOpen => "terms_open",
            Token::TermsClose => "terms_close",
        }
    }
}

struct Lexer {
    data: Vec<char>,
    pos: usize,
    /// Width (0 or 1 character) of the last read, for `unread`.
    last_width: usize,
    err: Option<String>,
    tokens: VecDeque<Token>,
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
            tokens: VecDeque::new(),
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
        let mut data = String::new();
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

/// A node under construction: gobwas's parser links nodes to their parents.
struct Building {
    kind: Kind,
    value: Value,
    children: Vec<usize>,
    parent: Option<usize>,
}

struct Tree {
    nodes: Vec<Building>,
}

impl Tree {
    fn insert(&mut self, parent: usize, kind: Kind, value: Value) -> usize {
        let id = self.nodes.len();
        self.nodes.push(Building {
            kind,
            value,
            children: Vec::new(),
            parent: Some(parent),
        });
        if let Some(p) = self.nodes.get_mut(parent) {
            p.children.push(id);
        }
        id
    }

    fn parent(&self, id: usize) -> Option<usize> {
        self.nodes.get(id).and_then(|n| n.parent)
    }

    fn finish(&self, id: usize) -> Ast {
        match self.nodes.get(id) {
            Some(n) => Ast::new(
                n.kind,
                n.value.clone(),
                n.children.iter().map(|&c| self.finish(c)).collect(),
            ),
            None => Ast::new(Kind::Nothing, Value::None, Vec::new()),
        }
    }
}

/// gobwas `syntax.Parse`.
pub(super) fn parse(pattern: &str) -> Result<Ast, GlobError> {
    let mut lexer = Lexer::new(pattern);
    let mut tree = Tree {
        nodes: vec![Building {
            kind: Kind::Pattern,
            value: Value::None,
            children: Vec::new(),
            parent: None,
        }],
    };
    let mut current = 0usize;
    loop {
        let token = lexer.next();
        match token {
            Token::Eof => break,
            Token::Error(message) => return Err(GlobError::new(message)),
            Token::Text(text) => {
                tree.insert(current, Kind::Text, Value::Text(text));
            }
            Token::Any => {
                tree.insert(current, Kind::Any, Value::None);
            }
            Token::Super => {
                tree.insert(current, Kind::Super, Value::None);
            }
            Token::Single => {
                tree.insert(current, Kind::Single, Value::None);
            }
            Token::RangeOpen => {
                let (kind, value) = parse_range(&mut lexer)?;
                tree.insert(current, kind, value);
            }
            Token::TermsOpen => {
                let any_of = tree.insert(current, Kind::AnyOf, Value::None);
                current = tree.insert(any_of, Kind::Pattern, Value::None);
            }
            Token::Separator => {
                // The lexer emits `,` as a separator only inside a group.
                let Some(any_of) = tree.parent(current) else {
                    return Err(GlobError::new("unexpected token: separator"));
                };
                current = tree.insert(any_of, Kind::Pattern, Value::None);
            }
            Token::TermsClose => {
                let Some(up) = tree.parent(current).and_then(|p| tree.parent(p)) else {
                    return Err(GlobError::new("unexpected token: terms_close"));
                };
                current = up;
            }
            other => {
                return Err(GlobError::new(format!(
                    "unexpected token: {}",
                    other.type_name()
                )));
            }
        }
    }
    Ok(tree.finish(0))
}

/// gobwas `parserRange`: the tokens after `[`, up to and including `]`.
fn parse_range(lexer: &mut Lexer) -> Result<(Kind, Value), GlobError> {
    let mut not = false;
    let mut lo = EOF;
    let mut hi = EOF;
    let mut chars: Vec<char> = Vec::new();
    loop {
        match lexer.next() {
            Token::Eof => return Err(GlobError::new("unexpected end")),
            Token::Error(message) => return Err(GlobError::new(message)),
            Token::Not => not = true,
            Token::RangeLo(c) => lo = c,
            Token::RangeBetween => {}
            Token::RangeHi(c) => {
                hi = c;
                if hi < lo {
                    return Err(GlobError::new(format!(
                        "hi character '{hi}' should be greater than lo '{lo}'"
                    )));
                }
            }
            Token::Text(text) => chars = text.chars().collect(),
            Token::RangeClose => {
                let is_range = lo != EOF && hi != EOF;
                let is_chars = !chars.is_empty();
                if is_chars == is_range {
                    return Err(GlobError::new("could not parse range"));
                }
                return Ok(if is_range {
                    (Kind::Range, Value::Range { not, lo, hi })
                } else {
                    (Kind::List, Value::List { not, chars })
                });
            }
            // gobwas's range parser ignores any other token; the lexer produces none here.
            _ => {}
        }
    }
}
