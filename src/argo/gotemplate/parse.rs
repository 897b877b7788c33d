//! The parser of Go's `text/template/parse`: the same grammar, the same checks at
//! parse time (undefined functions and variables, `{{break}}` outside `{{range}}`, …)
//! and the same error texts. Every node keeps its byte span for diagnostics.

use super::lex::{Item, ItemType, lex};
use std::collections::BTreeMap;
use std::fmt;

/// Deepest nesting of parenthesised pipelines. Go allows 10000; recursion in this parser
/// would need more stack than a test thread has, and real templates never come close.
pub const MAX_PAREN_DEPTH: usize = 100;
/// Deepest nesting of `if`/`range`/`with`/`block`. Go has no limit; ours guards the stack.
pub const MAX_CONTROL_DEPTH: usize = 100;

#[derive(Clone, Debug)]
pub struct ListNode {
    pub pos: usize,
    pub nodes: Vec<Node>,
}

#[derive(Clone, Debug)]
pub enum Node {
    Text { pos: usize, text: String },
    Action(ActionNode),
    If(Branch),
    Range(Branch),
    With(Branch),
    Template(TemplateNode),
    Break { pos: usize, end: usize },
    Continue { pos: usize, end: usize },
}

#[derive(Clone, Debug)]
pub struct ActionNode {
    pub pos: usize,
    pub pipe: Pipe,
}

#[derive(Clone, Debug)]
pub struct Branch {
    pub pos: usize,
    pub pipe: Pipe,
    pub list: ListNode,
    pub else_list: Option<ListNode>,
}

#[derive(Clone, Debug)]
pub struct TemplateNode {
    pub pos: usize,
    pub end: usize,
    pub name: String,
    pub pipe: Option<Pipe>,
}

#[derive(Clone, Debug)]
pub struct Pipe {
    pub pos: usize,
    pub end: usize,
    pub is_assign: bool,
    pub decl: Vec<Variable>,
    pub cmds: Vec<Command>,
}

#[derive(Clone, Debug)]
pub struct Variable {
    /// `["$x", "field", …]`
    pub ident: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct Command {
    pub pos: usize,
    pub end: usize,
    pub args: Vec<Arg>,
}

#[derive(Clone, Debug)]
pub struct Number {
    pub text: String,
    pub is_int: bool,
    pub is_uint: bool,
    pub is_float: bool,
    pub is_complex: bool,
    pub int64: i64,
    pub uint64: u64,
    pub float64: f64,
}

#[derive(Clone, Debug)]
pub enum ArgKind {
    /// `.a.b`
    Field(Vec<String>),
    /// `(pipeline).a.b` or `$x`-less chains on other terms.
    Chain(Box<Arg>, Vec<String>),
    /// A function name.
    Identifier(String),
    /// A parenthesised pipeline.
    Pipe(Box<Pipe>),
    Variable(Vec<String>),
    Bool(bool),
    Dot,
    Nil,
    Number(Number),
    String {
        quoted: String,
        text: String,
    },
}

#[derive(Clone, Debug)]
pub struct Arg {
    /// Go's position for the node: for `.a.b` and `$x.a` that of the first chained
    /// field (`.b`, `.a`), as Go's parser records it; error columns use it.
    pub pos: usize,
    /// Start of the node's whole text.
    pub start: usize,
    pub end: usize,
    pub kind: ArgKind,
}

// ---- Go's String() forms, used as the `<context>` of execution errors ----------------

impl fmt::Display for Variable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.ident.join("."))
    }
}

impl fmt::Display for Pipe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.decl.is_empty() {
            for (i, v) in self.decl.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{v}")?;
            }
            f.write_str(if self.is_assign { " = " } else { " := " })?;
        }
        for (i, c) in self.cmds.iter().enumerate() {
            if i > 0 {
                f.write_str(" | ")?;
            }
            write!(f, "{c}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, a) in self.args.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            if let ArgKind::Pipe(p) = &a.kind {
                write!(f, "({p})")?;
            } else {
                write!(f, "{a}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for Arg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ArgKind::Field(ident) => {
                for id in ident {
                    write!(f, ".{id}")?;
                }
                Ok(())
            }
            ArgKind::Chain(node, fields) => {
                if let ArgKind::Pipe(p) = &node.kind {
                    write!(f, "({p})")?;
                } else {
                    write!(f, "{node}")?;
                }
                for id in fields {
                    write!(f, ".{id}")?;
                }
                Ok(())
            }
            ArgKind::Identifier(name) => f.write_str(name),
            ArgKind::Pipe(p) => write!(f, "{p}"),
            ArgKind::Variable(ident) => f.write_str(&ident.join(".")),
            ArgKind::Bool(b) => f.write_str(if *b { "true" } else { "false" }),
            ArgKind::Dot => f.write_str("."),
            ArgKind::Nil => f.write_str("nil"),
            ArgKind::Number(n) => f.write_str(&n.text),
            ArgKind::String { quoted, .. } => f.write_str(quoted),
        }
    }
}

impl fmt::Display for ListNode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for n in &self.nodes {
            write!(f, "{n}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::Text { text, .. } => f.write_str(text),
            Node::Action(a) => write!(f, "{a}"),
            Node::If(b) => write_branch(f, "if", b),
            Node::Range(b) => write_branch(f, "range", b),
            Node::With(b) => write_branch(f, "with", b),
            Node::Template(t) => write!(f, "{t}"),
            Node::Break { .. } => f.write_str("{{break}}"),
            Node::Continue { .. } => f.write_str("{{continue}}"),
        }
    }
}

impl fmt::Display for ActionNode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{{{{}}}}}", self.pipe)
    }
}

impl fmt::Display for TemplateNode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = super::gofmt::quote(&self.name);
        match &self.pipe {
            None => write!(f, "{{{{template {name}}}}}"),
            Some(p) => write!(f, "{{{{template {name} {p}}}}}"),
        }
    }
}

fn write_branch(f: &mut fmt::Formatter<'_>, name: &str, b: &Branch) -> fmt::Result {
    write!(f, "{{{{{name} {}}}}}{}", b.pipe, b.list)?;
    if let Some(e) = &b.else_list {
        write!(f, "{{{{else}}}}{e}")?;
    }
    f.write_str("{{end}}")
}

// ---- Parse errors ----------------------------------------------------------------------

/// A parse error: Go's message (without the `template: NAME:LINE: ` prefix), the line Go
/// reports and the byte span of the token at fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub message: String,
    pub line: usize,
    pub start: usize,
    pub end: usize,
    /// For a lexical error inside an action that began on an earlier line: that line
    /// (Go appends " in action started at NAME:LINE").
    pub action_line: Option<usize>,
    /// A nesting limit of this parser, stricter than Go's, was hit.
    pub limit: bool,
}

/// The templates of one source: the top-level one (named `""`, as Argo CD names it) and
/// every `{{define}}`/`{{block}}`.
#[derive(Clone, Debug, Default)]
pub struct TreeSet {
    pub trees: BTreeMap<String, ListNode>,
}

struct Parser<'a> {
    items: Vec<Item>,
    idx: usize,
    /// Highest token index handed out so far: Go reports the line of the token it read
    /// last (`t.token[0]`).
    hwm: usize,
    input_len: usize,
    vars: Vec<String>,
    range_depth: usize,
    paren_depth: usize,
    control_depth: usize,
    action_line: usize,
    has_function: &'a dyn Fn(&str) -> bool,
    set: TreeSet,
}

type PResult<T> = Result<T, ParseError>;

/// Parses `text` into its templates, checking function names with `has_function`.
pub fn parse(text: &str, has_function: &dyn Fn(&str) -> bool) -> Result<TreeSet, ParseError> {
    let items = lex(text);
    let mut p = Parser {
        items,
        idx: 0,
        hwm: 0,
        input_len: text.len(),
        vars: vec!["$".into()],
        range_depth: 0,
        paren_depth: 0,
        control_depth: 0,
        action_line: 0,
        has_function,
        set: TreeSet::default(),
    };
    let root = p.parse_top()?;
    p.add("", root)?;
    Ok(p.set)
}

/// Go's `parse.IsEmptyTree`: only whitespace text and comments.
fn is_empty_tree(list: &ListNode) -> bool {
    list.nodes.iter().all(|n| match n {
        Node::Text { text, .. } => text.trim_matches(super::lex::is_space).is_empty(),
        _ => false,
    })
}

impl Parser<'_> {
    fn item(&self, i: usize) -> Item {
        self.items.get(i).cloned().unwrap_or(Item {
            typ: ItemType::Eof,
            pos: self.input_len,
            val: String::new(),
            line: self.items.last().map_or(1, |l| l.line),
            end: self.input_len,
        })
    }

    fn next(&mut self) -> Item {
        let it = self.item(self.idx);
        self.hwm = self.hwm.max(self.idx);
        self.idx += 1;
        it
    }

    fn backup(&mut self) {
        self.idx = self.idx.saturating_sub(1);
    }

    fn peek(&mut self) -> Item {
        self.hwm = self.hwm.max(self.idx);
        self.item(self.idx)
    }

    fn next_non_space(&mut self) -> Item {
        loop {
            let t = self.next();
            if t.typ != ItemType::Space {
                return t;
            }
        }
    }

    fn peek_non_space(&mut self) -> Item {
        let t = self.next_non_space();
        self.backup();
        t
    }

    fn err_at<T>(&self, msg: String, start: usize, end: usize) -> PResult<T> {
        Err(ParseError {
            message: msg,
            line: self.item(self.hwm).line,
            start,
            end,
            action_line: None,
            limit: false,
        })
    }

    fn limit_err<T>(&self, msg: &str, t: &Item) -> PResult<T> {
        Err(ParseError {
            message: msg.to_string(),
            line: self.item(self.hwm).line,
            start: t.pos,
            end: t.end,
            action_line: None,
            limit: true,
        })
    }

    fn err_tok<T>(&self, msg: String, t: &Item) -> PResult<T> {
        self.err_at(msg, t.pos, t.end)
    }

    fn unexpected<T>(&self, t: &Item, context: &str) -> PResult<T> {
        if t.typ == ItemType::Error {
            let mut e = ParseError {
                message: t.val.clone(),
                line: self.item(self.hwm).line,
                start: t.pos,
                end: t.end,
                action_line: None,
                limit: false,
            };
            if self.action_line != 0 && self.action_line != t.line {
                e.action_line = Some(self.action_line);
            }
            return Err(e);
        }
        self.err_tok(format!("unexpected {t} in {context}"), t)
    }

    fn expect(&mut self, typ: ItemType, context: &str) -> PResult<Item> {
        let t = self.next_non_space();
        if t.typ != typ {
            return self.unexpected(&t, context);
        }
        Ok(t)
    }

    fn add(&mut self, name: &str, root: ListNode) -> PResult<()> {
        match self.set.trees.get(name) {
            Some(old) if !is_empty_tree(old) => {
                if !is_empty_tree(&root) {
                    let pos = root.pos;
                    return self.err_at(
                        format!(
                            "template: multiple definition of template {}",
                            super::gofmt::quote(name)
                        ),
                        pos,
                        pos,
                    );
                }
            }
            _ => {
                self.set.trees.insert(name.to_string(), root);
            }
        }
        Ok(())
    }

    fn parse_top(&mut self) -> PResult<ListNode> {
        let pos = self.peek().pos;
        let mut root = ListNode { pos, nodes: vec![] };
        while self.peek().typ != ItemType::Eof {
            if self.peek().typ == ItemType::LeftDelim {
                let mark = self.idx;
                self.next();
                if self.next_non_space().typ == ItemType::Define {
                    let saved_vars = std::mem::replace(&mut self.vars, vec!["$".into()]);
                    let saved_range = std::mem::replace(&mut self.range_depth, 0);
                    self.parse_definition()?;
                    self.vars = saved_vars;
                    self.range_depth = saved_range;
                    continue;
                }
                self.idx = mark;
            }
            match self.text_or_action()? {
                Parsed::Node(n) => root.nodes.push(n),
                Parsed::End(t) => return self.err_tok("unexpected {{end}}".into(), &t),
                Parsed::Else(t) => return self.err_tok("unexpected {{else}}".into(), &t),
            }
        }
        Ok(root)
    }

    fn parse_definition(&mut self) -> PResult<()> {
        let context = "define clause";
        let name = self.next_non_space();
        if name.typ != ItemType::String && name.typ != ItemType::RawString {
            return self.unexpected(&name, context);
        }
        let Some(n) = unquote(&name.val) else {
            return self.err_tok("invalid syntax".into(), &name);
        };
        self.expect(ItemType::RightDelim, context)?;
        let (list, end) = self.item_list()?;
        match end {
            Parsed::End(_) => {}
            Parsed::Else(t) => {
                return self.err_tok(format!("unexpected {{{{else}}}} in {context}"), &t);
            }
            Parsed::Node(_) => {}
        }
        self.add(&n, list)
    }

    /// `textOrAction*` up to `{{end}}` or `{{else}}`, returned separately.
    fn item_list(&mut self) -> PResult<(ListNode, Parsed)> {
        let pos = self.peek_non_space().pos;
        let mut list = ListNode { pos, nodes: vec![] };
        while self.peek_non_space().typ != ItemType::Eof {
            match self.text_or_action()? {
                Parsed::Node(n) => list.nodes.push(n),
                other => return Ok((list, other)),
            }
        }
        let t = self.peek();
        self.err_tok("unexpected EOF".into(), &t)
    }

    fn text_or_action(&mut self) -> PResult<Parsed> {
        let t = self.next_non_space();
        match t.typ {
            ItemType::Text => Ok(Parsed::Node(Node::Text {
                pos: t.pos,
                text: t.val,
            })),
            ItemType::LeftDelim => {
                let saved = self.action_line;
                self.action_line = t.line;
                let r = self.action();
                let _ = saved;
                self.action_line = 0;
                r
            }
            _ => self.unexpected(&t, "input"),
        }
    }

    fn action(&mut self) -> PResult<Parsed> {
        let t = self.next_non_space();
        match t.typ {
            ItemType::Block => return self.block_control(&t).map(Parsed::Node),
            ItemType::Break | ItemType::Continue => {
                let what = if t.typ == ItemType::Break {
                    "{{break}}"
                } else {
                    "{{continue}}"
                };
                let close = self.next_non_space();
                if close.typ != ItemType::RightDelim {
                    return self.unexpected(&close, what);
                }
                if self.range_depth == 0 {
                    let kw = &what[2..what.len() - 2];
                    return self.err_tok(format!("{{{{{kw}}}}} outside {{{{range}}}}"), &t);
                }
                return Ok(Parsed::Node(if t.typ == ItemType::Break {
                    Node::Break {
                        pos: t.pos,
                        end: t.end,
                    }
                } else {
                    Node::Continue {
                        pos: t.pos,
                        end: t.end,
                    }
                }));
            }
            ItemType::Else => return self.else_control(&t),
            ItemType::End => {
                self.expect(ItemType::RightDelim, "end")?;
                return Ok(Parsed::End(t));
            }
            ItemType::If => return self.control("if").map(|b| Parsed::Node(Node::If(b))),
            ItemType::Range => {
                return self.control("range").map(|b| Parsed::Node(Node::Range(b)));
            }
            ItemType::Template => return self.template_control().map(Parsed::Node),
            ItemType::With => return self.control("with").map(|b| Parsed::Node(Node::With(b))),
            _ => {}
        }
        self.backup();
        let pos = self.peek().pos;
        let pipe = self.pipeline("command", ItemType::RightDelim)?;
        Ok(Parsed::Node(Node::Action(ActionNode { pos, pipe })))
    }

    fn else_control(&mut self, t: &Item) -> PResult<Parsed> {
        let peek = self.peek_non_space();
        if peek.typ == ItemType::If || peek.typ == ItemType::With {
            // "{{else if …" is "{{else}}{{if …"; the `if` stays pending.
            return Ok(Parsed::Else(Item {
                pos: peek.pos,
                ..t.clone()
            }));
        }
        self.expect(ItemType::RightDelim, "else")?;
        Ok(Parsed::Else(t.clone()))
    }

    fn control(&mut self, context: &str) -> PResult<Branch> {
        if self.control_depth >= MAX_CONTROL_DEPTH {
            let t = self.peek();
            return self.limit_err("max control nesting depth exceeded", &t);
        }
        self.control_depth += 1;
        let nvars = self.vars.len();
        let r = self.control_inner(context);
        self.vars.truncate(nvars);
        self.control_depth -= 1;
        r
    }

    fn control_inner(&mut self, context: &str) -> PResult<Branch> {
        let pipe = self.pipeline(context, ItemType::RightDelim)?;
        if context == "range" {
            self.range_depth += 1;
        }
        let r = self.item_list();
        if context == "range" {
            self.range_depth -= 1;
        }
        let (list, next) = r?;
        let mut else_list = None;
        match next {
            Parsed::End(_) => {}
            Parsed::Else(e) => {
                if context == "if" && self.peek().typ == ItemType::If {
                    self.next();
                    let inner = self.control("if")?;
                    else_list = Some(ListNode {
                        pos: e.pos,
                        nodes: vec![Node::If(inner)],
                    });
                } else if context == "with" && self.peek().typ == ItemType::With {
                    self.next();
                    let inner = self.control("with")?;
                    else_list = Some(ListNode {
                        pos: e.pos,
                        nodes: vec![Node::With(inner)],
                    });
                } else {
                    let (l, next) = self.item_list()?;
                    match next {
                        Parsed::End(_) => {}
                        Parsed::Else(t) => {
                            return self.err_tok("expected end; found {{else}}".into(), &t);
                        }
                        Parsed::Node(_) => {}
                    }
                    else_list = Some(l);
                }
            }
            Parsed::Node(_) => {}
        }
        Ok(Branch {
            pos: pipe.pos,
            pipe,
            list,
            else_list,
        })
    }

    fn block_control(&mut self, _kw: &Item) -> PResult<Node> {
        let context = "block clause";
        let t = self.next_non_space();
        let name = self.template_name(&t, context)?;
        let pipe = self.pipeline(context, ItemType::RightDelim)?;
        if self.control_depth >= MAX_CONTROL_DEPTH {
            return self.limit_err("max control nesting depth exceeded", &t);
        }
        self.control_depth += 1;
        let saved_vars = std::mem::replace(&mut self.vars, vec!["$".into()]);
        let saved_range = std::mem::replace(&mut self.range_depth, 0);
        let r = self.item_list();
        self.vars = saved_vars;
        self.range_depth = saved_range;
        self.control_depth -= 1;
        let (list, end) = r?;
        if let Parsed::Else(e) = end {
            return self.err_tok(format!("unexpected {{{{else}}}} in {context}"), &e);
        }
        self.add(&name, list)?;
        Ok(Node::Template(TemplateNode {
            pos: t.pos,
            end: pipe.end,
            name,
            pipe: Some(pipe),
        }))
    }

    fn template_control(&mut self) -> PResult<Node> {
        let context = "template clause";
        let t = self.next_non_space();
        let name = self.template_name(&t, context)?;
        let mut pipe = None;
        let mut end = t.end;
        if self.next_non_space().typ != ItemType::RightDelim {
            self.backup();
            let p = self.pipeline(context, ItemType::RightDelim)?;
            end = p.end;
            pipe = Some(p);
        }
        Ok(Node::Template(TemplateNode {
            pos: t.pos,
            end,
            name,
            pipe,
        }))
    }

    fn template_name(&self, t: &Item, context: &str) -> PResult<String> {
        match t.typ {
            ItemType::String | ItemType::RawString => match unquote(&t.val) {
                Some(s) => Ok(s),
                None => self.err_tok("invalid syntax".into(), t),
            },
            _ => self.unexpected(t, context),
        }
    }

    fn pipeline(&mut self, context: &str, end: ItemType) -> PResult<Pipe> {
        let start = self.peek_non_space();
        let mut pipe = Pipe {
            pos: start.pos,
            end: start.pos,
            is_assign: false,
            decl: vec![],
            cmds: vec![],
        };
        // Declarations or assignments.
        loop {
            let v = self.peek_non_space();
            if v.typ != ItemType::Variable {
                break;
            }
            let mark = self.idx;
            self.next_non_space();
            let after = self.peek();
            let next = self.peek_non_space();
            match next.typ {
                ItemType::Assign | ItemType::Declare => {
                    pipe.is_assign = next.typ == ItemType::Assign;
                    self.next_non_space();
                    pipe.decl.push(new_variable(&v));
                    self.vars.push(v.val.clone());
                    break;
                }
                ItemType::Char if next.val == "," => {
                    self.next_non_space();
                    pipe.decl.push(new_variable(&v));
                    self.vars.push(v.val.clone());
                    if context == "range" && pipe.decl.len() < 2 {
                        let n = self.peek_non_space();
                        match n.typ {
                            ItemType::Variable | ItemType::RightDelim | ItemType::RightParen => {
                                continue;
                            }
                            _ => {
                                return self
                                    .err_tok("range can only initialize variables".into(), &n);
                            }
                        }
                    }
                    return self.err_tok(format!("too many declarations in {context}"), &next);
                }
                _ => {
                    let _ = after;
                    self.idx = mark;
                    break;
                }
            }
        }
        loop {
            let t = self.next_non_space();
            if t.typ == end {
                pipe.end = pipe.cmds.last().map_or(t.pos, |c| c.end);
                self.check_pipeline(&pipe, context, &t)?;
                return Ok(pipe);
            }
            match t.typ {
                ItemType::Bool
                | ItemType::CharConstant
                | ItemType::Complex
                | ItemType::Dot
                | ItemType::Field
                | ItemType::Identifier
                | ItemType::Number
                | ItemType::Nil
                | ItemType::RawString
                | ItemType::String
                | ItemType::Variable
                | ItemType::LeftParen => {
                    self.backup();
                    let c = self.command()?;
                    pipe.cmds.push(c);
                }
                _ => return self.unexpected(&t, context),
            }
        }
    }

    fn check_pipeline(&self, pipe: &Pipe, context: &str, at: &Item) -> PResult<()> {
        if pipe.cmds.is_empty() {
            return self.err_tok(format!("missing value for {context}"), at);
        }
        for (i, c) in pipe.cmds.iter().enumerate().skip(1) {
            if let Some(a) = c.args.first()
                && matches!(
                    a.kind,
                    ArgKind::Bool(_)
                        | ArgKind::Dot
                        | ArgKind::Nil
                        | ArgKind::Number(_)
                        | ArgKind::String { .. }
                )
            {
                return self.err_at(
                    format!("non executable command in pipeline stage {}", i + 1),
                    c.pos,
                    c.end,
                );
            }
        }
        Ok(())
    }

    fn command(&mut self) -> PResult<Command> {
        let pos = self.peek_non_space().pos;
        let mut cmd = Command {
            pos,
            end: pos,
            args: vec![],
        };
        loop {
            self.peek_non_space();
            if let Some(op) = self.operand()? {
                cmd.end = op.end;
                cmd.args.push(op);
            }
            let t = self.next();
            match t.typ {
                ItemType::Space => continue,
                ItemType::RightDelim | ItemType::RightParen => self.backup(),
                ItemType::Pipe => {}
                _ => return self.unexpected(&t, "operand"),
            }
            break;
        }
        if cmd.args.is_empty() {
            return self.err_at("empty command".into(), cmd.pos, cmd.pos);
        }
        Ok(cmd)
    }

    fn operand(&mut self) -> PResult<Option<Arg>> {
        let Some(node) = self.term()? else {
            return Ok(None);
        };
        if self.peek().typ != ItemType::Field {
            return Ok(Some(node));
        }
        let mut fields = vec![];
        let mut end = node.end;
        let pos = self.peek().pos;
        let start = node.start;
        while self.peek().typ == ItemType::Field {
            let f = self.next();
            end = f.end;
            fields.push(f.val[1..].to_string());
        }
        Ok(Some(match node.kind {
            ArgKind::Field(mut ident) => {
                ident.extend(fields);
                Arg {
                    pos,
                    start,
                    end,
                    kind: ArgKind::Field(ident),
                }
            }
            ArgKind::Variable(mut ident) => {
                ident.extend(fields);
                Arg {
                    pos,
                    start,
                    end,
                    kind: ArgKind::Variable(ident),
                }
            }
            ArgKind::Bool(_)
            | ArgKind::String { .. }
            | ArgKind::Number(_)
            | ArgKind::Nil
            | ArgKind::Dot => {
                return self.err_at(
                    format!(
                        "unexpected . after term {}",
                        super::gofmt::quote(&node.to_string())
                    ),
                    start,
                    end,
                );
            }
            _ => Arg {
                pos,
                start,
                end,
                kind: ArgKind::Chain(Box::new(node), fields),
            },
        }))
    }

    fn term(&mut self) -> PResult<Option<Arg>> {
        let t = self.next_non_space();
        let arg = |kind| {
            Ok(Some(Arg {
                pos: t.pos,
                start: t.pos,
                end: t.end,
                kind,
            }))
        };
        match t.typ {
            ItemType::Identifier => {
                if !(self.has_function)(&t.val) {
                    return self.err_tok(
                        format!("function {} not defined", super::gofmt::quote(&t.val)),
                        &t,
                    );
                }
                arg(ArgKind::Identifier(t.val.clone()))
            }
            ItemType::Dot => arg(ArgKind::Dot),
            ItemType::Nil => arg(ArgKind::Nil),
            ItemType::Variable => {
                if !self.vars.contains(&t.val) {
                    return self.err_tok(
                        format!("undefined variable {}", super::gofmt::quote(&t.val)),
                        &t,
                    );
                }
                arg(ArgKind::Variable(vec![t.val.clone()]))
            }
            ItemType::Field => arg(ArgKind::Field(vec![t.val[1..].to_string()])),
            ItemType::Bool => arg(ArgKind::Bool(t.val == "true")),
            ItemType::CharConstant | ItemType::Complex | ItemType::Number => {
                match parse_number(&t.val, t.typ) {
                    Ok(n) => arg(ArgKind::Number(n)),
                    Err(e) => self.err_tok(e, &t),
                }
            }
            ItemType::LeftParen => {
                if self.paren_depth >= MAX_PAREN_DEPTH {
                    return self.limit_err("max expression depth exceeded", &t);
                }
                self.paren_depth += 1;
                let r = self.pipeline("parenthesized pipeline", ItemType::RightParen);
                self.paren_depth -= 1;
                let p = r?;
                let close = self.item(self.idx.saturating_sub(1));
                Ok(Some(Arg {
                    pos: p.pos,
                    start: t.pos,
                    end: close.end.max(p.end),
                    kind: ArgKind::Pipe(Box::new(p)),
                }))
            }
            ItemType::String | ItemType::RawString => match unquote(&t.val) {
                Some(s) => arg(ArgKind::String {
                    quoted: t.val.clone(),
                    text: s,
                }),
                None => self.err_tok("invalid syntax".into(), &t),
            },
            _ => {
                self.backup();
                Ok(None)
            }
        }
    }
}

enum Parsed {
    Node(Node),
    End(Item),
    Else(Item),
}

fn new_variable(t: &Item) -> Variable {
    Variable {
        ident: t.val.split('.').map(str::to_string).collect(),
    }
}

// ---- strconv: Unquote, UnquoteChar, ParseInt/ParseUint/ParseFloat (Go syntax) -------

/// One character of a quoted literal: (value, is_byte) and the rest.
fn unquote_char(s: &str, quote: char) -> Option<(u32, bool, &str)> {
    let mut chars = s.chars();
    let c = chars.next()?;
    if c == quote && (quote == '\'' || quote == '"') {
        return None;
    }
    if c != '\\' {
        return Some((c as u32, false, chars.as_str()));
    }
    let c = chars.next()?;
    let rest = chars.as_str();
    let simple = match c {
        'a' => Some(7),
        'b' => Some(8),
        'f' => Some(12),
        'n' => Some(10),
        'r' => Some(13),
        't' => Some(9),
        'v' => Some(11),
        '\\' => Some('\\' as u32),
        '\'' | '"' => {
            if c != quote {
                return None;
            }
            Some(c as u32)
        }
        _ => None,
    };
    if let Some(v) = simple {
        return Some((v, false, rest));
    }
    match c {
        'x' | 'u' | 'U' => {
            let n = match c {
                'x' => 2,
                'u' => 4,
                _ => 8,
            };
            let hex = rest.get(..n)?;
            let v = u32::from_str_radix(hex, 16).ok()?;
            if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return None;
            }
            if c == 'x' {
                return Some((v, true, &rest[n..]));
            }
            char::from_u32(v)?;
            Some((v, false, &rest[n..]))
        }
        '0'..='7' => {
            let digits = s.get(1..4)?;
            if !digits.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
                return None;
            }
            let v = u32::from_str_radix(digits, 8).ok()?;
            if v > 255 {
                return None;
            }
            Some((v, true, &s[4..]))
        }
        _ => None,
    }
}

/// Go's `strconv.Unquote` for `"…"` and `` `…` `` literals. Bytes that are not valid
/// UTF-8 (from `\x` or octal escapes) become U+FFFD.
pub fn unquote(s: &str) -> Option<String> {
    if s.len() < 2 {
        return None;
    }
    let quote = s.chars().next()?;
    if !s.ends_with(quote) {
        return None;
    }
    let body = &s[1..s.len() - 1];
    match quote {
        '`' => {
            if body.contains('`') {
                return None;
            }
            Some(body.replace('\r', ""))
        }
        '"' => {
            if body.contains('\n') {
                return None;
            }
            let mut out: Vec<u8> = Vec::with_capacity(body.len());
            let mut rest = body;
            while !rest.is_empty() {
                let (v, is_byte, tail) = unquote_char(rest, '"')?;
                if is_byte {
                    out.push(v as u8);
                } else {
                    let c = char::from_u32(v)?;
                    let mut b = [0u8; 4];
                    out.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
                }
                rest = tail;
            }
            Some(String::from_utf8_lossy(&out).into_owned())
        }
        _ => None,
    }
}

fn underscore_ok(s: &str) -> bool {
    let b = s.as_bytes();
    let mut saw = b'^';
    let mut i = 0;
    let b = if !b.is_empty() && (b[0] == b'-' || b[0] == b'+') {
        &b[1..]
    } else {
        b
    };
    let mut hex = false;
    if b.len() >= 2 && b[0] == b'0' && matches!(b[1] | 0x20, b'b' | b'o' | b'x') {
        i = 2;
        saw = b'0';
        hex = (b[1] | 0x20) == b'x';
    }
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_digit() || (hex && (c | 0x20).is_ascii_hexdigit()) {
            saw = b'0';
        } else if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
        } else {
            if saw == b'_' {
                return false;
            }
            saw = b'!';
        }
        i += 1;
    }
    saw != b'_'
}

/// `strconv.ParseUint(s, 0, 64)`.
fn parse_uint0(s: &str) -> Option<u64> {
    if s.is_empty() || s.starts_with('+') || s.starts_with('-') {
        return None;
    }
    let lower = s.to_ascii_lowercase();
    let (base, digits) = if let Some(r) = lower.strip_prefix("0x") {
        (16, r.to_string())
    } else if let Some(r) = lower.strip_prefix("0o") {
        (8, r.to_string())
    } else if let Some(r) = lower.strip_prefix("0b") {
        (2, r.to_string())
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, lower[1..].to_string())
    } else {
        (10, lower.clone())
    };
    if s.contains('_') && !underscore_ok(s) {
        return None;
    }
    let digits: String = digits.chars().filter(|c| *c != '_').collect();
    if digits.is_empty() {
        return None;
    }
    u64::from_str_radix(&digits, base).ok()
}

/// `strconv.ParseInt(s, 0, 64)`.
fn parse_int0(s: &str) -> Option<i64> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if body.contains('_') && !underscore_ok(s) {
        return None;
    }
    let u = parse_uint0(body)?;
    if neg {
        if u > i64::MAX as u64 + 1 {
            return None;
        }
        Some((u as i64).wrapping_neg())
    } else {
        i64::try_from(u).ok()
    }
}

/// `strconv.ParseFloat(s, 64)` for Go float literal syntax (decimal and hexadecimal).
fn parse_float(s: &str) -> Option<f64> {
    if s.contains('_') && !underscore_ok(s) {
        return None;
    }
    let clean: String = s.chars().filter(|c| *c != '_').collect();
    let (neg, body) = match clean.as_bytes().first() {
        Some(b'-') => (true, &clean[1..]),
        Some(b'+') => (false, &clean[1..]),
        _ => (false, &clean[..]),
    };
    let lower = body.to_ascii_lowercase();
    let v = if let Some(hex) = lower.strip_prefix("0x") {
        let (mant, exp) = hex.split_once('p')?;
        let exp: i32 = exp.parse().ok()?;
        let (ip, fp) = mant.split_once('.').unwrap_or((mant, ""));
        if ip.is_empty() && fp.is_empty() {
            return None;
        }
        let mut v = 0f64;
        for c in ip.chars() {
            v = v * 16.0 + c.to_digit(16)? as f64;
        }
        let mut scale = 1.0 / 16.0;
        for c in fp.chars() {
            v += c.to_digit(16)? as f64 * scale;
            scale /= 16.0;
        }
        v * 2f64.powi(exp)
    } else {
        let ok = !lower.is_empty()
            && lower
                .bytes()
                .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'+' | b'-'))
            && lower.bytes().any(|b| b.is_ascii_digit());
        if !ok {
            return None;
        }
        lower.parse::<f64>().ok()?
    };
    if v.is_infinite() {
        return None;
    }
    Some(if neg { -v } else { v })
}

/// Go's `parse.newNumber`: a literal parsed under every type that can represent it.
pub fn parse_number(text: &str, typ: ItemType) -> Result<Number, String> {
    let mut n = Number {
        text: text.to_string(),
        is_int: false,
        is_uint: false,
        is_float: false,
        is_complex: false,
        int64: 0,
        uint64: 0,
        float64: 0.0,
    };
    if typ == ItemType::CharConstant {
        let inner = &text[1..];
        let Some((v, _, tail)) = unquote_char(inner, '\'') else {
            return Err("invalid syntax".into());
        };
        if tail != "'" {
            return Err(format!("malformed character constant: {text}"));
        }
        n.int64 = v as i64;
        n.uint64 = v as u64;
        n.float64 = v as f64;
        n.is_int = true;
        n.is_uint = true;
        n.is_float = true;
        return Ok(n);
    }
    if typ == ItemType::Complex || text.ends_with('i') {
        // Complex constants: accepted by the parser, not supported by this engine's
        // execution (no Argo CD template uses them).
        let body = text.trim_end_matches('i');
        if typ == ItemType::Complex || parse_float(body).is_some() {
            n.is_complex = true;
            return Ok(n);
        }
    }
    if let Some(u) = parse_uint0(text) {
        n.is_uint = true;
        n.uint64 = u;
    }
    if let Some(i) = parse_int0(text) {
        n.is_int = true;
        n.int64 = i;
        if i == 0 {
            n.is_uint = true;
            n.uint64 = 0;
        }
    }
    if n.is_int {
        n.is_float = true;
        n.float64 = n.int64 as f64;
    } else if n.is_uint {
        n.is_float = true;
        n.float64 = n.uint64 as f64;
    } else if let Some(f) = parse_float(text) {
        if !text.contains(['.', 'e', 'E', 'p', 'P']) {
            return Err(format!("integer overflow: {}", super::gofmt::quote(text)));
        }
        n.is_float = true;
        n.float64 = f;
        if f == f.trunc() && f.abs() < 9.2e18 {
            n.is_int = true;
            n.int64 = f as i64;
        }
        if f == f.trunc() && (0.0..1.8e19).contains(&f) {
            n.is_uint = true;
            n.uint64 = f as u64;
        }
    }
    if !n.is_int && !n.is_uint && !n.is_float {
        return Err(format!(
            "illegal number syntax: {}",
            super::gofmt::quote(text)
        ));
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(_: &str) -> bool {
        true
    }

    fn err(src: &str) -> String {
        match parse(src, &|n| n == "upper" || n == "printf") {
            Ok(_) => "ok".into(),
            Err(e) => e.message,
        }
    }

    #[test]
    fn numbers_follow_go_literal_rules() {
        let n = parse_number("0x1F", ItemType::Number).ok().map(|n| n.int64);
        assert_eq!(n, Some(31));
        let n = parse_number("0o17", ItemType::Number).ok().map(|n| n.int64);
        assert_eq!(n, Some(15));
        let n = parse_number("017", ItemType::Number).ok().map(|n| n.int64);
        assert_eq!(n, Some(15));
        let n = parse_number("1_000", ItemType::Number)
            .ok()
            .map(|n| n.int64);
        assert_eq!(n, Some(1000));
        let n = parse_number("1.5e3", ItemType::Number).ok();
        assert_eq!(n.as_ref().map(|n| n.float64), Some(1500.0));
        assert_eq!(n.map(|n| n.is_int), Some(true));
        let n = parse_number("'a'", ItemType::CharConstant)
            .ok()
            .map(|n| n.int64);
        assert_eq!(n, Some(97));
        let n = parse_number("0x1p-2", ItemType::Number)
            .ok()
            .map(|n| n.float64);
        assert_eq!(n, Some(0.25));
        assert_eq!(
            parse_number("99999999999999999999", ItemType::Number).err(),
            Some("integer overflow: \"99999999999999999999\"".to_string())
        );
    }

    #[test]
    fn unquote_handles_go_escapes() {
        assert_eq!(
            unquote(r#""a\tb\x41\u00e9\101""#).as_deref(),
            Some("a\tbAéA")
        );
        assert_eq!(unquote("`a\\n`").as_deref(), Some("a\\n"));
        assert_eq!(unquote(r#""\q""#), None);
    }

    #[test]
    fn parse_errors_use_go_texts() {
        assert_eq!(err("{{name}}"), "function \"name\" not defined");
        assert_eq!(err("{{$x}}"), "undefined variable \"$x\"");
        assert_eq!(err("{{if .x}}"), "unexpected EOF");
        assert_eq!(err("{{end}}"), "unexpected {{end}}");
        assert_eq!(err("{{else}}"), "unexpected {{else}}");
        assert_eq!(err("{{break}}"), "{{break}} outside {{range}}");
        assert_eq!(err("{{range .x}}{{continue}}{{end}}"), "ok");
        assert_eq!(err("{{}}"), "missing value for command");
        assert_eq!(
            err("{{.x | 3}}"),
            "non executable command in pipeline stage 2"
        );
        assert_eq!(err("{{\"x\".y}}"), "unexpected . after term \"\\\"x\\\"\"");
        assert_eq!(err("{{$a, $b := .x}}"), "too many declarations in command");
        assert_eq!(
            err("{{range $a, $b, $c := .x}}{{end}}"),
            "too many declarations in range"
        );
        assert_eq!(
            err("{{range $a, 3}}{{end}}"),
            "range can only initialize variables"
        );
        assert_eq!(
            err("{{template .x}}"),
            "unexpected \".x\" in template clause"
        );
        assert_eq!(err("{{template .}}"), "unexpected <.> in template clause");
        assert_eq!(err("{{if}}{{end}}"), "missing value for if");
        assert_eq!(err("{{.x ,}}"), "unexpected \",\" in operand");
        assert_eq!(
            err("{{define \"a\"}}x{{end}}{{define \"a\"}}y{{end}}"),
            "template: multiple definition of template \"a\""
        );
        assert_eq!(err("{{with .x}}{{else with .y}}{{end}}"), "ok");
        assert_eq!(
            err("{{if .x}}{{else with .y}}{{end}}"),
            "unexpected <with> in input"
        );
    }

    #[test]
    fn node_strings_match_go() {
        let set = parse(
            "{{$x := .a.b | printf \"%s\" (upper .c).d}}{{if $x}}y{{else}}n{{end}}",
            &all,
        );
        let Ok(set) = set else { panic!("parse") };
        let root = &set.trees[""];
        assert_eq!(
            root.to_string(),
            "{{$x := .a.b | printf \"%s\" (upper .c).d}}{{if $x}}y{{else}}n{{end}}"
        );
    }

    #[test]
    fn spans_cover_the_tokens() {
        let Ok(set) = parse("ab{{ .path.basename }}", &all) else {
            panic!("parse")
        };
        let Node::Action(a) = &set.trees[""].nodes[1] else {
            panic!("action")
        };
        let arg = &a.pipe.cmds[0].args[0];
        // Go positions a chained field at its second element.
        assert_eq!((arg.start, arg.pos, arg.end), (5, 10, 19));
    }

    #[test]
    fn deep_parens_are_rejected_not_overflowing() {
        let src = format!("{{{{{}.x{}}}}}", "(".repeat(500), ")".repeat(500));
        assert_eq!(err(&src), "max expression depth exceeded");
    }
}
