//! The data a template reads: every field chain rooted at the data passed to `Execute`,
//! found by walking the parsed template (for provenance: which parameters a string of
//! an ApplicationSet uses).
//!
//! What counts as rooted at the data:
//! - `.a.b` where dot is the data: at the top level, in `if` bodies, in `with` and
//!   `range` `{{else}}` branches, and in a `with` body whose pipeline is itself such a
//!   chain (`{{with .path}}{{.basename}}{{end}}` reads `path.basename`);
//! - `$.a.b` (`$` is the data everywhere in the top-level template);
//! - `$x.a` where `$x` was declared (or last assigned) from such a chain
//!   (`{{$p := .path}}{{$p.basename}}` reads `path` and `path.basename`);
//! - `index X "k1" "k2"` with X such a chain and only string constants as keys is the
//!   chain `X.k1.k2` over the whole command; with other keys (`index .l 1`, `index .m
//!   $k`) only X counts;
//! - `(index X "k").f` and `(.a).b` as a whole.
//!
//! Inside a `range` body dot is an element of the collection, and inside a `with` body
//! whose pipeline is not a plain chain (`{{with .a | default "x"}}`) dot is a computed
//! value: chains on that dot are not reported (`$`-rooted chains and variables bound
//! outside still are). A variable assigned inside a control structure may hold either
//! value after it, so it is no longer followed. `{{template "t" PIPE}}` walks the body
//! of `t` with dot (and `$`) bound to PIPE when PIPE is a chain, and to an unknown value
//! otherwise; templates that are defined but never called read nothing.

use super::parse::{Arg, ArgKind, Branch, Command, ListNode, Node, Pipe, TreeSet};
use std::ops::Range;

/// A field chain on the data, e.g. `.path.basename` → `["path", "basename"]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldRef {
    /// Keys from the data root (map keys of the string constants of `index` included).
    pub path: Vec<String>,
    /// Byte range of the chain (or of the whole `index` command) in the source.
    pub range: Range<usize>,
}

/// Nodes visited before the walk gives up (a template calling templates that call
/// templates can otherwise take exponential time).
const MAX_STEPS: usize = 100_000;
/// Nested `{{template}}` calls followed.
const MAX_CALL_DEPTH: usize = 32;

/// What dot (or a variable) holds: a chain on the data, or something else.
type Binding = Option<Vec<String>>;

/// The field chains on the data in the template `""` of `set` (and in the templates it
/// calls), sorted by position, without duplicates.
pub fn field_refs(set: &TreeSet) -> Vec<FieldRef> {
    let mut w = Walker {
        set,
        vars: vec![("$".to_owned(), Some(Vec::new()))],
        out: Vec::new(),
        calls: Vec::new(),
        steps: 0,
    };
    if let Some(root) = set.trees.get("") {
        w.list(root, &Some(Vec::new()));
    }
    let mut out = w.out;
    out.sort_by(|a, b| {
        (a.range.start, a.range.end, &a.path).cmp(&(b.range.start, b.range.end, &b.path))
    });
    out.dedup();
    out
}

struct Walker<'t> {
    set: &'t TreeSet,
    /// Variables in scope, innermost last: name → what it holds.
    vars: Vec<(String, Binding)>,
    out: Vec<FieldRef>,
    /// Names of the templates being walked (no recursion).
    calls: Vec<&'t str>,
    steps: usize,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Control {
    If,
    With,
    Range,
}

impl<'t> Walker<'t> {
    fn tick(&mut self) -> bool {
        self.steps += 1;
        self.steps <= MAX_STEPS
    }

    fn list(&mut self, l: &'t ListNode, dot: &Binding) {
        for n in &l.nodes {
            self.node(n, dot);
        }
    }

    fn node(&mut self, n: &'t Node, dot: &Binding) {
        if !self.tick() {
            return;
        }
        match n {
            Node::Text { .. } | Node::Break { .. } | Node::Continue { .. } => {}
            Node::Action(a) => {
                self.pipe(&a.pipe, dot, false);
            }
            Node::If(b) => self.branch(b, dot, Control::If),
            Node::With(b) => self.branch(b, dot, Control::With),
            Node::Range(b) => self.branch(b, dot, Control::Range),
            Node::Template(t) => {
                let arg = match &t.pipe {
                    Some(p) => self.pipe(p, dot, false),
                    None => None,
                };
                let Some(body) = self.set.trees.get(&t.name) else {
                    return;
                };
                if self.calls.len() >= MAX_CALL_DEPTH || self.calls.contains(&t.name.as_str()) {
                    return;
                }
                // The called template sees only its own `$`, bound to the argument.
                let saved = std::mem::replace(&mut self.vars, vec![("$".to_owned(), arg.clone())]);
                self.calls.push(&t.name);
                self.list(body, &arg);
                self.calls.pop();
                self.vars = saved;
            }
        }
    }

    fn branch(&mut self, b: &'t Branch, dot: &Binding, kind: Control) {
        let before: Vec<Binding> = self.vars.iter().map(|(_, v)| v.clone()).collect();
        let value = self.pipe(&b.pipe, dot, kind == Control::Range);
        let inner = match kind {
            Control::If => dot.clone(),
            Control::With => value,
            Control::Range => None,
        };
        self.list(&b.list, &inner);
        if let Some(e) = &b.else_list {
            // `{{else}}` runs with the enclosing dot.
            self.list(e, dot);
        }
        // Variables declared in the control structure end with it; outer ones assigned
        // inside it may hold either value now.
        self.vars.truncate(before.len());
        for ((_, now), then) in self.vars.iter_mut().zip(before) {
            if *now != then {
                *now = None;
            }
        }
    }

    /// Walks a pipeline, declares or assigns its variables and returns what it yields.
    fn pipe(&mut self, p: &'t Pipe, dot: &Binding, in_range: bool) -> Binding {
        for c in &p.cmds {
            self.command(c, dot);
        }
        let value = match p.cmds.as_slice() {
            [c] => self.command_path(c, dot),
            _ => None,
        };
        for (i, v) in p.decl.iter().enumerate() {
            let Some(name) = v.ident.first() else {
                continue;
            };
            // `range $i, $e := X`: index and element; `$x := X`: X.
            let bound = if i == 0 && !in_range {
                value.clone()
            } else {
                None
            };
            if p.is_assign {
                if let Some(slot) = self.vars.iter_mut().rev().find(|(n, _)| n == name) {
                    slot.1 = bound;
                }
            } else {
                self.vars.push((name.clone(), bound));
            }
        }
        value
    }

    fn command(&mut self, c: &'t Command, dot: &Binding) {
        if !self.tick() {
            return;
        }
        if let Some(path) = self.index_path(c, dot) {
            self.report(path, c.pos..c.end);
            return;
        }
        for a in &c.args {
            self.arg(a, dot);
        }
    }

    fn arg(&mut self, a: &'t Arg, dot: &Binding) {
        match &a.kind {
            ArgKind::Field(_) | ArgKind::Chain(..) | ArgKind::Variable(_) => {
                let bare_variable = matches!(&a.kind, ArgKind::Variable(ident) if ident.len() < 2);
                if let Some(path) = self.arg_path(a, dot) {
                    if !bare_variable {
                        self.report(path, a.start..a.end);
                    }
                } else if let ArgKind::Chain(node, _) = &a.kind {
                    self.arg(node, dot);
                }
            }
            ArgKind::Pipe(p) => {
                self.pipe(p, dot, false);
            }
            _ => {}
        }
    }

    fn report(&mut self, path: Vec<String>, range: Range<usize>) {
        if !path.is_empty() {
            self.out.push(FieldRef { path, range });
        }
    }

    fn var(&self, name: &str) -> Binding {
        self.vars
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| v.clone())
    }

    /// The chain an operand denotes, if it is one.
    fn arg_path(&self, a: &Arg, dot: &Binding) -> Binding {
        match &a.kind {
            ArgKind::Dot => dot.clone(),
            ArgKind::Field(ident) => dot.clone().map(|d| extend(d, ident)),
            ArgKind::Variable(ident) => {
                let (name, fields) = ident.split_first()?;
                self.var(name).map(|v| extend(v, fields))
            }
            ArgKind::Chain(node, fields) => self.arg_path(node, dot).map(|v| extend(v, fields)),
            ArgKind::Pipe(p) if p.decl.is_empty() => match p.cmds.as_slice() {
                [c] => self.command_path(c, dot),
                _ => None,
            },
            _ => None,
        }
    }

    fn command_path(&self, c: &Command, dot: &Binding) -> Binding {
        match c.args.as_slice() {
            [a] => self.arg_path(a, dot),
            _ => self.index_path(c, dot),
        }
    }

    /// `index X "k" …` with string keys: the chain `X.k…`.
    fn index_path(&self, c: &Command, dot: &Binding) -> Binding {
        let [head, base, keys @ ..] = c.args.as_slice() else {
            return None;
        };
        if !matches!(&head.kind, ArgKind::Identifier(f) if f == "index") {
            return None;
        }
        let mut path = self.arg_path(base, dot)?;
        for k in keys {
            match &k.kind {
                ArgKind::String { text, .. } => path.push(text.clone()),
                _ => return None,
            }
        }
        Some(path)
    }
}

fn extend(mut v: Vec<String>, more: &[String]) -> Vec<String> {
    v.extend(more.iter().cloned());
    v
}

#[cfg(test)]
mod tests {
    use crate::argo::gotemplate::Template;

    /// `(name, text of the range)` of every reference of `src`.
    fn refs(src: &str) -> Vec<(String, String)> {
        let t = match Template::parse(src) {
            Ok(t) => t,
            Err(e) => panic!("{src}: {e}"),
        };
        t.field_refs()
            .into_iter()
            .map(|r| (r.path.join("."), src[r.range].to_owned()))
            .collect()
    }

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect()
    }

    #[test]
    fn chains_on_dot_and_dollar() {
        assert_eq!(
            refs("app-{{ .path.basename }}"),
            pairs(&[("path.basename", ".path.basename")])
        );
        assert_eq!(
            refs("{{ $.cluster.name }}"),
            pairs(&[("cluster.name", "$.cluster.name")])
        );
        // Dot and `$` alone are the whole data, not a parameter.
        assert_eq!(
            refs("{{ toYaml . }}{{ $ }}{{ dig \"a\" \"b\" . }}"),
            pairs(&[])
        );
        // Sorted by position, each once.
        assert_eq!(
            refs("{{.b}}{{.a}}{{.b}}"),
            pairs(&[("b", ".b"), ("a", ".a"), ("b", ".b")])
        );
    }

    #[test]
    fn pipelines_and_parentheses() {
        assert_eq!(
            refs("{{ .a | upper | printf \"%s-%s\" .b }}"),
            pairs(&[("a", ".a"), ("b", ".b")])
        );
        assert_eq!(
            refs("{{ printf \"%s\" (.c.d | lower) }}"),
            pairs(&[("c.d", ".c.d")])
        );
        // A field of a parenthesised chain is one chain.
        assert_eq!(refs("{{ (.a).b }}"), pairs(&[("a.b", "(.a).b")]));
        // A field of a computed value: only the chain inside counts.
        assert_eq!(
            refs("{{ (.a | default .z).b }}"),
            pairs(&[("a", ".a"), ("z", ".z")])
        );
        assert_eq!(
            refs("{{ if and .x (eq .y \"v\") }}{{ end }}"),
            pairs(&[("x", ".x"), ("y", ".y")])
        );
    }

    #[test]
    fn if_keeps_dot() {
        assert_eq!(
            refs("{{if .enabled}}{{.name}}{{else if .other}}{{.x}}{{else}}{{.y}}{{end}}"),
            pairs(&[
                ("enabled", ".enabled"),
                ("name", ".name"),
                ("other", ".other"),
                ("x", ".x"),
                ("y", ".y")
            ])
        );
    }

    #[test]
    fn range_changes_dot() {
        // Inside the body dot is an element: `.name` is not a parameter; `$.cluster` is.
        assert_eq!(
            refs("{{range .items}}{{.name}}{{$.cluster}}{{end}}"),
            pairs(&[("items", ".items"), ("cluster", "$.cluster")])
        );
        // `{{else}}` runs with the enclosing dot.
        assert_eq!(
            refs("{{range .items}}x{{else}}{{.empty}}{{end}}"),
            pairs(&[("items", ".items"), ("empty", ".empty")])
        );
        // Range variables hold indexes and elements.
        assert_eq!(
            refs("{{range $i, $e := .items}}{{$e.name}}{{$i}}{{end}}"),
            pairs(&[("items", ".items")])
        );
        assert_eq!(
            refs("{{range $e := .items}}{{$e.name}}{{end}}"),
            pairs(&[("items", ".items")])
        );
    }

    #[test]
    fn with_binds_dot_to_a_chain() {
        assert_eq!(
            refs("{{with .path}}{{.basename}}{{end}}"),
            pairs(&[("path", ".path"), ("path.basename", ".basename")])
        );
        assert_eq!(
            refs("{{with $p := .path}}{{$p.filename}}{{.basename}}{{end}}"),
            pairs(&[
                ("path", ".path"),
                ("path.filename", "$p.filename"),
                ("path.basename", ".basename")
            ])
        );
        // A computed dot: its fields are not parameters; the else branch keeps dot.
        assert_eq!(
            refs("{{with .a | default \"x\"}}{{.b}}{{else}}{{.c}}{{end}}"),
            pairs(&[("a", ".a"), ("c", ".c")])
        );
        assert_eq!(
            refs("{{with .a}}{{else with .b}}{{.c}}{{end}}"),
            pairs(&[("a", ".a"), ("b", ".b"), ("b.c", ".c")])
        );
        // Nested: `range` inside `with` still hides dot.
        assert_eq!(
            refs("{{with .p}}{{range .l}}{{.x}}{{end}}{{end}}"),
            pairs(&[("p", ".p"), ("p.l", ".l")])
        );
    }

    #[test]
    fn variables_follow_their_chain() {
        assert_eq!(
            refs("{{$p := .path}}{{$p.basename}}{{$p}}"),
            pairs(&[("path", ".path"), ("path.basename", "$p.basename")])
        );
        assert_eq!(refs("{{$x := \"s\"}}{{$x}}{{$x.y}}"), pairs(&[]));
        assert_eq!(
            refs("{{$p := .a}}{{$p = .b}}{{$p.d}}"),
            pairs(&[("a", ".a"), ("b", ".b"), ("b.d", "$p.d")])
        );
        // Assigned in a branch: either value afterwards, so not followed.
        assert_eq!(
            refs("{{$p := .a}}{{if .c}}{{$p = .b}}{{end}}{{$p.d}}"),
            pairs(&[("a", ".a"), ("c", ".c"), ("b", ".b")])
        );
        // Shadowing inside a control structure ends with it.
        assert_eq!(
            refs("{{$p := .a}}{{with .w}}{{$p := .b}}{{$p.x}}{{end}}{{$p.y}}"),
            pairs(&[
                ("a", ".a"),
                ("w", ".w"),
                ("w.b", ".b"),
                ("w.b.x", "$p.x"),
                ("a.y", "$p.y")
            ])
        );
    }

    #[test]
    fn index_with_string_keys_is_one_chain() {
        assert_eq!(
            refs("{{ index .metadata.labels \"env\" }}"),
            pairs(&[("metadata.labels.env", "index .metadata.labels \"env\"")])
        );
        assert_eq!(
            refs("{{ index . \"a\" `b` }}"),
            pairs(&[("a.b", "index . \"a\" `b`")])
        );
        // Other keys: only the collection.
        assert_eq!(
            refs("{{ index .path.segments 1 }}"),
            pairs(&[("path.segments", ".path.segments")])
        );
        assert_eq!(
            refs("{{ $k := \"a\" }}{{ index .m $k }}"),
            pairs(&[("m", ".m")])
        );
        assert_eq!(
            refs("{{ (index .m \"a\").b | upper }}"),
            pairs(&[("m.a.b", "(index .m \"a\").b")])
        );
        assert_eq!(
            refs("{{ $l := index .metadata.labels \"env\" }}{{ $l.x }}"),
            pairs(&[
                ("metadata.labels.env", "index .metadata.labels \"env\""),
                ("metadata.labels.env.x", "$l.x")
            ])
        );
    }

    #[test]
    fn template_calls_walk_the_called_body() {
        assert_eq!(
            refs("{{define \"t\"}}{{.x}}{{$.y}}{{end}}{{template \"t\" .cfg}}"),
            pairs(&[("cfg.x", ".x"), ("cfg.y", "$.y"), ("cfg", ".cfg")])
        );
        // A computed argument: only its own chains.
        assert_eq!(
            refs("{{define \"t\"}}{{.x}}{{end}}{{template \"t\" (.a | upper)}}"),
            pairs(&[("a", ".a")])
        );
        // Defined but never called: nothing read.
        assert_eq!(
            refs("{{define \"t\"}}{{.x}}{{end}}{{.z}}"),
            pairs(&[("z", ".z")])
        );
        // `block` is a definition and a call with dot.
        assert_eq!(
            refs("{{block \"b\" .}}{{.k}}{{end}}"),
            pairs(&[("k", ".k")])
        );
        // Recursion ends.
        assert_eq!(
            refs("{{define \"r\"}}{{.y}}{{template \"r\" .}}{{end}}{{template \"r\" .}}"),
            pairs(&[("y", ".y")])
        );
    }
}
