//! The executor: Go's `text/template/exec.go` walk and eval functions, with the same
//! error texts and the same "current node" bookkeeping (the `<context>` of an error is
//! the node Go last marked with `s.at`).

use super::funcs::{self, FnError, Func, P};
use super::gofmt;
use super::parse::{
    ActionNode, Arg, ArgKind, Branch, Command, ListNode, Node, Number, Pipe, TemplateNode, TreeSet,
};
use super::value::{Heap, Slot, Ty, Val};
use super::{ErrorKind, MissingKey, Options, TemplateError};

/// The node execution is at, for error messages.
#[derive(Clone, Copy)]
enum At<'t> {
    None,
    Action(&'t ActionNode),
    Branch(&'t Branch, &'static str),
    Pipe(&'t Pipe),
    Cmd(&'t Command),
    Arg(&'t Arg),
    Template(&'t TemplateNode),
    Node(&'t Node),
}

impl At<'_> {
    /// (Go position, start, end, context text)
    fn info(&self) -> Option<(usize, usize, usize, String)> {
        Some(match self {
            At::None => return None,
            At::Action(a) => (a.pos, a.pos, a.pipe.end, a.to_string()),
            At::Branch(b, kind) => {
                let n = match *kind {
                    "if" => Node::If((*b).clone()),
                    "range" => Node::Range((*b).clone()),
                    _ => Node::With((*b).clone()),
                };
                (b.pos, b.pipe.pos, b.pipe.end, n.to_string())
            }
            At::Pipe(p) => (p.pos, p.pos, p.end, p.to_string()),
            At::Cmd(c) => (c.pos, c.pos, c.end, c.to_string()),
            At::Arg(a) => {
                let ctx = match &a.kind {
                    ArgKind::Pipe(p) => p.to_string(),
                    _ => a.to_string(),
                };
                (a.pos, a.start, a.end, ctx)
            }
            At::Template(t) => (t.pos, t.pos, t.end, t.to_string()),
            At::Node(n) => match n {
                Node::Text { pos, text } => (*pos, *pos, pos + text.len(), n.to_string()),
                Node::Break { pos, end } | Node::Continue { pos, end } => {
                    (*pos, *pos, *end, n.to_string())
                }
                _ => (0, 0, 0, n.to_string()),
            },
        })
    }
}

/// Why evaluation stopped early.
pub(super) enum Stop {
    Err(Box<TemplateError>),
    Break,
    Continue,
}

type R<T> = Result<T, Stop>;

/// Line (1-based) and byte column (0-based) of `pos`, as Go's `ErrorContext` computes.
fn line_col(src: &str, pos: usize) -> (usize, usize) {
    let pos = pos.min(src.len());
    let before = src.as_bytes().get(..pos).unwrap_or(&[]);
    let line = 1 + before.iter().filter(|b| **b == b'\n').count();
    let col = match before.iter().rposition(|b| *b == b'\n') {
        Some(i) => pos - (i + 1),
        None => pos,
    };
    (line, col)
}

pub(super) struct State<'t> {
    pub src: &'t str,
    pub set: &'t TreeSet,
    pub opts: Options,
    pub out: String,
    vars: Vec<(String, Slot)>,
    tmpl_depth: usize,
    pub nesting: usize,
    node: At<'t>,
    pub heap: Heap,
    pub steps: u64,
    /// Values (elements, bytes, entries) produced by function calls so far.
    pub alloc: u64,
    pub regexes: std::collections::HashMap<String, Result<regex::Regex, String>>,
}

pub(super) fn execute(
    src: &str,
    set: &TreeSet,
    data: &serde_json::Value,
    opts: &Options,
) -> Result<String, TemplateError> {
    let mut heap = Heap::default();
    let dot = Slot::plain(heap.load_json(data));
    let mut st = State::new(src, set, *opts, heap);
    let r = st.run(dot);
    st.heap.clear();
    r
}

/// Executes on prepared data whose heap outlives the execution (so maps stored into
/// the data with `set` stay visible to later executions, as in Argo CD).
pub(super) fn execute_on(
    src: &str,
    set: &TreeSet,
    root: &Val,
    heap: &mut Heap,
    opts: &Options,
) -> Result<String, TemplateError> {
    let mut st = State::new(src, set, *opts, std::mem::take(heap));
    let r = st.run(Slot::plain(root.clone()));
    *heap = std::mem::take(&mut st.heap);
    r
}

impl<'t> State<'t> {
    pub fn new(src: &'t str, set: &'t TreeSet, opts: Options, heap: Heap) -> State<'t> {
        State {
            src,
            set,
            opts,
            out: String::new(),
            vars: Vec::new(),
            tmpl_depth: 0,
            nesting: 0,
            node: At::None,
            heap,
            steps: 0,
            alloc: 0,
            regexes: std::collections::HashMap::new(),
        }
    }

    /// Executes the top-level template with `dot` as data.
    pub fn run(&mut self, dot: Slot) -> Result<String, TemplateError> {
        self.vars = vec![("$".into(), dot.clone())];
        let Some(root) = self.set.trees.get("") else {
            return Err(self.error(
                ErrorKind::Exec,
                "\"\" is an incomplete or empty template".into(),
            ));
        };
        match self.walk_list(&dot, root) {
            Ok(()) => Ok(std::mem::take(&mut self.out)),
            Err(Stop::Err(e)) => Err(*e),
            Err(_) => Ok(std::mem::take(&mut self.out)),
        }
    }

    fn at(&mut self, at: At<'t>) {
        self.node = at;
    }

    fn error(&self, kind: ErrorKind, message: String) -> TemplateError {
        match self.node.info() {
            Some((pos, start, end, ctx)) => {
                let (line, col) = line_col(self.src, pos);
                TemplateError {
                    kind,
                    range: start..end.max(start),
                    message,
                    line,
                    col,
                    context: Some(ctx),
                    action_line: None,
                }
            }
            None => TemplateError {
                kind,
                range: 0..0,
                message,
                line: 1,
                col: 0,
                context: None,
                action_line: None,
            },
        }
    }

    fn errorf<T>(&self, message: String) -> R<T> {
        Err(Stop::Err(Box::new(self.error(ErrorKind::Exec, message))))
    }

    fn limit<T>(&self, message: String) -> R<T> {
        Err(Stop::Err(Box::new(self.error(ErrorKind::Limit, message))))
    }

    fn step(&mut self) -> R<()> {
        self.steps += 1;
        if self.steps > self.opts.limits.max_steps {
            return self.limit(format!(
                "execution exceeded {} steps",
                self.opts.limits.max_steps
            ));
        }
        Ok(())
    }

    fn enter(&mut self) -> R<()> {
        self.nesting += 1;
        if self.nesting > self.opts.limits.max_nesting {
            return self.limit(format!(
                "evaluation nested deeper than {} levels",
                self.opts.limits.max_nesting
            ));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.nesting = self.nesting.saturating_sub(1);
    }

    pub fn write(&mut self, s: &str) -> R<()> {
        if self.out.len() + s.len() > self.opts.limits.max_output {
            return self.limit(format!(
                "output exceeded {} bytes",
                self.opts.limits.max_output
            ));
        }
        self.out.push_str(s);
        Ok(())
    }

    // ---- variables ------------------------------------------------------------------

    fn push(&mut self, name: &str, v: Slot) {
        self.vars.push((name.to_string(), v));
    }

    fn set_var(&mut self, name: &str, v: Slot) -> R<()> {
        for (n, val) in self.vars.iter_mut().rev() {
            if n == name {
                *val = v;
                return Ok(());
            }
        }
        self.errorf(format!("undefined variable: {name}"))
    }

    fn set_top_var(&mut self, n: usize, v: Slot) {
        let len = self.vars.len();
        if let Some(slot) = len.checked_sub(n).and_then(|i| self.vars.get_mut(i)) {
            slot.1 = v;
        }
    }

    fn var_value(&self, name: &str) -> R<Slot> {
        for (n, val) in self.vars.iter().rev() {
            if n == name {
                return Ok(val.clone());
            }
        }
        self.errorf(format!("undefined variable: {name}"))
    }

    // ---- walk -----------------------------------------------------------------------

    fn walk_list(&mut self, dot: &Slot, list: &'t ListNode) -> R<()> {
        for n in &list.nodes {
            self.walk(dot, n)?;
        }
        Ok(())
    }

    fn walk(&mut self, dot: &Slot, node: &'t Node) -> R<()> {
        self.step()?;
        self.at(At::Node(node));
        match node {
            Node::Action(a) => {
                self.at(At::Action(a));
                let v = self.eval_pipeline(dot, &a.pipe)?;
                if a.pipe.decl.is_empty() {
                    self.print_value(At::Action(a), &v)?;
                }
                Ok(())
            }
            Node::Break { .. } => Err(Stop::Break),
            Node::Continue { .. } => Err(Stop::Continue),
            Node::If(b) => self.walk_if_or_with(false, dot, b),
            Node::With(b) => self.walk_if_or_with(true, dot, b),
            Node::Range(b) => self.walk_range(dot, b),
            Node::Template(t) => self.walk_template(dot, t),
            Node::Text { text, .. } => self.write(text),
        }
    }

    fn walk_if_or_with(&mut self, with: bool, dot: &Slot, b: &'t Branch) -> R<()> {
        self.enter()?;
        let mark = self.vars.len();
        let r = (|| {
            let val = self.eval_pipeline(dot, &b.pipe)?;
            if val.val.truth() {
                if with {
                    self.walk_list(&val, &b.list)
                } else {
                    self.walk_list(dot, &b.list)
                }
            } else if let Some(e) = &b.else_list {
                self.walk_list(dot, e)
            } else {
                Ok(())
            }
        })();
        self.vars.truncate(mark);
        self.leave();
        r
    }

    fn walk_range(&mut self, dot: &Slot, r: &'t Branch) -> R<()> {
        self.enter()?;
        self.at(At::Branch(r, "range"));
        let mark0 = self.vars.len();
        let res = self.walk_range_inner(dot, r);
        self.vars.truncate(mark0);
        self.leave();
        match res {
            Err(Stop::Break) => Ok(()),
            other => other,
        }
    }

    fn one_iteration(&mut self, r: &'t Branch, mark: usize, index: Slot, elem: Slot) -> R<()> {
        self.step()?;
        let decl = &r.pipe.decl;
        if !decl.is_empty() {
            if r.pipe.is_assign {
                if decl.len() > 1 {
                    self.set_var(&decl[0].ident[0], index.clone())?;
                } else {
                    self.set_var(&decl[0].ident[0], elem.clone())?;
                }
            } else {
                self.set_top_var(1, elem.clone());
            }
        }
        if decl.len() > 1 {
            if r.pipe.is_assign {
                self.set_var(&decl[1].ident[0], elem.clone())?;
            } else {
                self.set_top_var(2, index);
            }
        }
        let res = self.walk_list(&elem, &r.list);
        self.vars.truncate(mark);
        match res {
            Err(Stop::Continue) => Ok(()),
            other => other,
        }
    }

    fn walk_range_inner(&mut self, dot: &Slot, r: &'t Branch) -> R<()> {
        let val = self.eval_pipeline(dot, &r.pipe)?;
        let mark = self.vars.len();
        match &val.val {
            Val::List(l) => {
                if !l.items.is_empty() {
                    let l = l.clone();
                    for (i, item) in l.items.iter().enumerate() {
                        let idx = Slot::plain(Val::Int(i as i64));
                        self.one_iteration(r, mark, idx, Slot::elem(item.clone(), &l.elem))?;
                    }
                    return Ok(());
                }
            }
            Val::Map(m) => {
                let (elem, entries): (Ty, Vec<(String, Val)>) = {
                    let m = m.borrow();
                    (
                        m.elem.clone(),
                        m.entries
                            .iter()
                            .map(|(k, v)| (k.clone(), v.clone()))
                            .collect(),
                    )
                };
                if !entries.is_empty() {
                    for (k, v) in entries {
                        self.one_iteration(
                            r,
                            mark,
                            Slot::plain(Val::string(k)),
                            Slot::elem(v, &elem),
                        )?;
                    }
                    return Ok(());
                }
            }
            Val::Int(n) | Val::Int64(n) => {
                if r.pipe.decl.len() > 1 {
                    let shown = gofmt::sprint_one(&val.val).unwrap_or_default();
                    return self.errorf(format!(
                        "can't use {shown} to iterate over more than one variable"
                    ));
                }
                if *n > 0 {
                    let is64 = matches!(val.val, Val::Int64(_));
                    for i in 0..*n {
                        let e = if is64 { Val::Int64(i) } else { Val::Int(i) };
                        self.one_iteration(r, mark, Slot::default(), Slot::plain(e))?;
                    }
                    return Ok(());
                }
            }
            Val::Invalid => {}
            other => {
                let shown = gofmt::sprint_one(other).unwrap_or_default();
                return self.errorf(format!("range can't iterate over {shown}"));
            }
        }
        if let Some(e) = &r.else_list {
            self.walk_list(dot, e)?;
        }
        Ok(())
    }

    fn walk_template(&mut self, dot: &Slot, t: &'t TemplateNode) -> R<()> {
        self.at(At::Template(t));
        let set = self.set;
        let Some(tree) = set.trees.get(&t.name) else {
            return self.errorf(format!("template {} not defined", gofmt::quote(&t.name)));
        };
        if self.tmpl_depth >= self.opts.limits.max_template_depth {
            return self.limit(format!(
                "exceeded maximum template depth ({})",
                self.opts.limits.max_template_depth
            ));
        }
        let new_dot = match &t.pipe {
            Some(p) => self.eval_pipeline(dot, p)?,
            None => Slot::default(),
        };
        self.enter()?;
        self.tmpl_depth += 1;
        let saved = std::mem::replace(&mut self.vars, vec![("$".into(), new_dot.clone())]);
        let r = self.walk_list(&new_dot, tree);
        self.vars = saved;
        self.tmpl_depth -= 1;
        self.leave();
        r
    }

    fn print_value(&mut self, at: At<'t>, v: &Slot) -> R<()> {
        self.at(at);
        let s = match &v.val {
            Val::Invalid => "<no value>".to_string(),
            other => match gofmt::sprint_one(other) {
                Ok(s) => s,
                Err(_) => return self.limit("value nested too deeply to print".into()),
            },
        };
        self.write(&s)
    }

    // ---- eval -----------------------------------------------------------------------

    pub(super) fn eval_pipeline(&mut self, dot: &Slot, pipe: &'t Pipe) -> R<Slot> {
        self.enter()?;
        let r = self.eval_pipeline_inner(dot, pipe);
        self.leave();
        r
    }

    fn eval_pipeline_inner(&mut self, dot: &Slot, pipe: &'t Pipe) -> R<Slot> {
        self.at(At::Pipe(pipe));
        let mut value: Option<Slot> = None;
        for cmd in &pipe.cmds {
            let v = self.eval_command(dot, cmd, value.as_ref())?;
            // interface{} values are unwrapped to what they hold.
            value = Some(Slot::plain(v.val));
        }
        let value = value.unwrap_or_default();
        for var in &pipe.decl {
            if pipe.is_assign {
                self.set_var(&var.ident[0], value.clone())?;
            } else {
                self.push(&var.ident[0], value.clone());
            }
        }
        Ok(value)
    }

    fn not_a_function(&mut self, args: &'t [Arg], fin: Option<&Slot>) -> R<()> {
        if (args.len() > 1 || fin.is_some())
            && let Some(a) = args.first()
        {
            return self.errorf(format!("can't give argument to non-function {a}"));
        }
        Ok(())
    }

    fn eval_command(&mut self, dot: &Slot, cmd: &'t Command, fin: Option<&Slot>) -> R<Slot> {
        self.step()?;
        let Some(first) = cmd.args.first() else {
            return self.errorf("empty command".into());
        };
        match &first.kind {
            ArgKind::Field(ident) => {
                self.at(At::Arg(first));
                self.eval_field_chain(dot, dot.clone(), first, ident, &cmd.args, fin)
            }
            ArgKind::Chain(..) => self.eval_chain_node(dot, first, &cmd.args, fin),
            ArgKind::Identifier(name) => {
                self.eval_function(dot, first, name, At::Cmd(cmd), &cmd.args, fin)
            }
            ArgKind::Pipe(p) => {
                self.not_a_function(&cmd.args, fin)?;
                self.eval_pipeline(dot, p)
            }
            ArgKind::Variable(_) => self.eval_variable_node(dot, first, &cmd.args, fin),
            other => {
                self.at(At::Arg(first));
                self.not_a_function(&cmd.args, fin)?;
                match other {
                    ArgKind::Bool(b) => Ok(Slot::plain(Val::Bool(*b))),
                    ArgKind::Dot => Ok(dot.clone()),
                    ArgKind::Nil => self.errorf("nil is not a command".into()),
                    ArgKind::Number(n) => self.ideal_constant(first, n),
                    ArgKind::String { text, .. } => Ok(Slot::plain(Val::str(text))),
                    _ => self.errorf(format!(
                        "can't evaluate command {}",
                        gofmt::quote(&first.to_string())
                    )),
                }
            }
        }
    }

    fn ideal_constant(&mut self, at: &'t Arg, n: &Number) -> R<Slot> {
        self.at(At::Arg(at));
        if n.is_complex {
            return Err(Stop::Err(Box::new(self.error(
                ErrorKind::Unsupported,
                "complex constants are not supported".into(),
            ))));
        }
        let is_hex_int = n.text.len() > 2
            && n.text.starts_with('0')
            && matches!(n.text.as_bytes()[1], b'x' | b'X')
            && !n.text.contains(['p', 'P']);
        let is_rune = n.text.starts_with('\'');
        if n.is_float && !is_hex_int && !is_rune && n.text.contains(['.', 'e', 'E', 'p', 'P']) {
            return Ok(Slot::plain(Val::Float(n.float64)));
        }
        if n.is_int {
            return Ok(Slot::plain(Val::Int(n.int64)));
        }
        if n.is_uint {
            return self.errorf(format!("{} overflows int", n.text));
        }
        Ok(Slot::default())
    }

    fn eval_chain_node(
        &mut self,
        dot: &Slot,
        chain: &'t Arg,
        args: &'t [Arg],
        fin: Option<&Slot>,
    ) -> R<Slot> {
        self.at(At::Arg(chain));
        let ArgKind::Chain(node, fields) = &chain.kind else {
            return self.errorf("internal error: no fields in evalChainNode".into());
        };
        if matches!(node.kind, ArgKind::Nil) {
            return self.errorf(format!("indirection through explicit nil in {chain}"));
        }
        let pipe = self.eval_arg(dot, None, node)?;
        self.eval_field_chain(dot, pipe, chain, fields, args, fin)
    }

    fn eval_variable_node(
        &mut self,
        dot: &Slot,
        var: &'t Arg,
        args: &'t [Arg],
        fin: Option<&Slot>,
    ) -> R<Slot> {
        self.at(At::Arg(var));
        let ArgKind::Variable(ident) = &var.kind else {
            return self.errorf("internal error: not a variable".into());
        };
        let value = self.var_value(&ident[0])?;
        if ident.len() == 1 {
            self.not_a_function(args, fin)?;
            return Ok(value);
        }
        self.eval_field_chain(dot, value, var, &ident[1..], args, fin)
    }

    fn eval_field_chain(
        &mut self,
        dot: &Slot,
        mut receiver: Slot,
        node: &'t Arg,
        ident: &[String],
        args: &'t [Arg],
        fin: Option<&Slot>,
    ) -> R<Slot> {
        let n = ident.len();
        for name in ident.iter().take(n.saturating_sub(1)) {
            receiver = self.eval_field(dot, name, node, &[], None, receiver)?;
        }
        match ident.last() {
            Some(last) => self.eval_field(dot, last, node, args, fin, receiver),
            None => Ok(receiver),
        }
    }

    fn eval_field(
        &mut self,
        _dot: &Slot,
        name: &str,
        _node: &'t Arg,
        args: &'t [Arg],
        fin: Option<&Slot>,
        receiver: Slot,
    ) -> R<Slot> {
        if !receiver.val.is_valid() && !receiver.iface {
            if self.opts.missing_key == MissingKey::Error {
                return self.errorf(format!("nil data; no entry for key {}", gofmt::quote(name)));
            }
            return Ok(Slot::default());
        }
        let typ = receiver.type_name();
        if receiver.is_nil_iface() {
            return self.errorf(format!("nil pointer evaluating {typ}.{name}"));
        }
        let has_args = args.len() > 1 || fin.is_some();
        match &receiver.val {
            Val::Map(m) => {
                if has_args {
                    return self.errorf(format!("{name} is not a method but has arguments"));
                }
                let m = m.borrow();
                if let Some(v) = m.entries.get(name) {
                    return Ok(Slot::elem(v.clone(), &m.elem));
                }
                match self.opts.missing_key {
                    MissingKey::Default => Ok(Slot::default()),
                    MissingKey::Zero => Ok(zero_slot(&m.elem)),
                    MissingKey::Error => {
                        drop(m);
                        self.errorf(format!("map has no entry for key {}", gofmt::quote(name)))
                    }
                }
            }
            _ => self.errorf(format!("can't evaluate field {name} in type {typ}")),
        }
    }

    fn eval_function(
        &mut self,
        dot: &Slot,
        ident: &'t Arg,
        name: &str,
        node: At<'t>,
        args: &'t [Arg],
        fin: Option<&Slot>,
    ) -> R<Slot> {
        self.at(At::Arg(ident));
        let Some(f) = funcs::lookup(name) else {
            return self.errorf(format!("{} is not a defined function", gofmt::quote(name)));
        };
        self.eval_call(dot, f, node, name, args, fin)
    }

    fn eval_call(
        &mut self,
        dot: &Slot,
        f: &'static Func,
        node: At<'t>,
        name: &str,
        args: &'t [Arg],
        fin: Option<&Slot>,
    ) -> R<Slot> {
        let args = args.get(1..).unwrap_or(&[]);
        let num_in = args.len() + usize::from(fin.is_some());
        let mut num_fixed = args.len();
        if f.variadic.is_some() {
            num_fixed = f.params.len();
            if num_in < num_fixed {
                return self.errorf(format!(
                    "wrong number of args for {name}: want at least {} got {}",
                    f.params.len(),
                    args.len()
                ));
            }
        } else if num_in != f.params.len() {
            return self.errorf(format!(
                "wrong number of args for {name}: want {} got {num_in}",
                f.params.len()
            ));
        }

        if f.builtin && (name == "and" || name == "or") {
            let want = name == "or";
            let mut v = Slot::default();
            for a in args {
                v = self.eval_arg(dot, Some(P::Rv), a)?;
                if v.val.truth() == want {
                    return Ok(v);
                }
            }
            if let Some(fin) = fin {
                v = self.validate_type(fin.clone(), Some(P::Rv))?;
            }
            return Ok(v);
        }

        let mut argv: Vec<Slot> = Vec::with_capacity(num_in);
        let mut i = 0;
        while i < num_fixed && i < args.len() {
            argv.push(self.eval_arg(dot, Some(f.params[i]), &args[i])?);
            i += 1;
        }
        if let Some(vt) = f.variadic {
            while i < args.len() {
                argv.push(self.eval_arg(dot, Some(vt), &args[i])?);
                i += 1;
            }
        }
        if let Some(fin) = fin {
            let t = match f.variadic {
                Some(vt) => {
                    if num_in - 1 < num_fixed {
                        f.params[num_in - 1]
                    } else {
                        vt
                    }
                }
                None => f.params[f.params.len() - 1],
            };
            argv.push(self.validate_type(fin.clone(), Some(t))?);
        }
        let result = if f.builtin && name == "call" {
            // Argo CD's data holds no functions: `call` always fails, as in Go.
            let callee = args.first().map(|a| a.to_string()).unwrap_or_default();
            match argv.first() {
                Some(v) if v.val.is_valid() => Err(FnError::Go(format!(
                    "non-function {callee} of type {}",
                    v.val.type_name()
                ))),
                _ => Err(FnError::Go("call of nil".into())),
            }
        } else {
            (f.imp)(self, &argv)
        };
        self.at(node);
        match result {
            Ok(v) => {
                let size = match &v {
                    Val::Str(s) => s.len(),
                    Val::List(l) => l.items.len(),
                    Val::Map(m) => m.try_borrow().map_or(0, |m| m.entries.len()),
                    _ => 0,
                };
                self.alloc = self.alloc.saturating_add(size.max(1) as u64);
                if self.alloc > self.opts.limits.max_alloc {
                    return self.limit(format!(
                        "function results exceeded {} values in total",
                        self.opts.limits.max_alloc
                    ));
                }
                if size > self.opts.limits.max_value_len {
                    return self.limit(format!(
                        "{name} produced a value larger than {} bytes or elements",
                        self.opts.limits.max_value_len
                    ));
                }
                Ok(Slot::plain(v))
            }
            Err(FnError::Go(msg)) => self.errorf(format!("error calling {name}: {msg}")),
            Err(FnError::Unsupported(msg)) => Err(Stop::Err(Box::new(
                self.error(ErrorKind::Unsupported, format!("{name}: {msg}")),
            ))),
            Err(FnError::Limit(msg)) => self.limit(format!("{name}: {msg}")),
            Err(FnError::Nested(e)) => Err(Stop::Err(e)),
        }
    }

    fn validate_type(&mut self, v: Slot, typ: Option<P>) -> R<Slot> {
        let Some(typ) = typ else {
            return Ok(v);
        };
        if !v.val.is_valid() && !v.iface {
            return match typ {
                P::Any | P::Rv => Ok(Slot::default()),
                P::MapAny => Ok(Slot::plain(self.heap.new_map(Ty::Any, Default::default()))),
                _ => self.errorf(format!("invalid value; expected {}", typ.go_name())),
            };
        }
        match typ {
            P::Rv => Ok(v),
            P::Any => Ok(Slot::plain(v.val)),
            _ => {
                if v.is_nil_iface() {
                    return self.errorf(format!(
                        "wrong type for value; expected {}; got interface {{}}",
                        typ.go_name()
                    ));
                }
                if typ.accepts(&v.val) {
                    Ok(Slot::plain(v.val))
                } else {
                    self.errorf(format!(
                        "wrong type for value; expected {}; got {}",
                        typ.go_name(),
                        v.val.type_name()
                    ))
                }
            }
        }
    }

    fn eval_arg(&mut self, dot: &Slot, typ: Option<P>, n: &'t Arg) -> R<Slot> {
        self.at(At::Arg(n));
        match &n.kind {
            ArgKind::Dot => return self.validate_type(dot.clone(), typ),
            ArgKind::Nil => {
                return match typ {
                    None | Some(P::Any) => Ok(Slot {
                        val: Val::Invalid,
                        iface: true,
                    }),
                    Some(P::Rv) => Ok(Slot::default()),
                    Some(P::MapAny) => {
                        Ok(Slot::plain(self.heap.new_map(Ty::Any, Default::default())))
                    }
                    Some(t) => self.errorf(format!("cannot assign nil to {}", t.go_name())),
                };
            }
            ArgKind::Field(ident) => {
                let v = self.eval_field_chain(
                    dot,
                    dot.clone(),
                    n,
                    ident,
                    std::slice::from_ref(n),
                    None,
                )?;
                return self.validate_type(v, typ);
            }
            ArgKind::Variable(_) => {
                let v = self.eval_variable_node(dot, n, &[], None)?;
                return self.validate_type(v, typ);
            }
            ArgKind::Pipe(p) => {
                let v = self.eval_pipeline(dot, p)?;
                return self.validate_type(v, typ);
            }
            ArgKind::Identifier(name) => {
                let v =
                    self.eval_function(dot, n, name, At::Arg(n), std::slice::from_ref(n), None)?;
                return self.validate_type(v, typ);
            }
            ArgKind::Chain(..) => {
                let v = self.eval_chain_node(dot, n, &[], None)?;
                return self.validate_type(v, typ);
            }
            _ => {}
        }
        let Some(typ) = typ else {
            return self.eval_empty_interface(dot, n);
        };
        match typ {
            P::Bool => match &n.kind {
                ArgKind::Bool(b) => Ok(Slot::plain(Val::Bool(*b))),
                _ => self.errorf(format!("expected bool; found {n}")),
            },
            P::Float => match &n.kind {
                ArgKind::Number(num) if num.is_float => Ok(Slot::plain(Val::Float(num.float64))),
                _ => self.errorf(format!("expected float; found {n}")),
            },
            P::Int => match &n.kind {
                ArgKind::Number(num) if num.is_int => Ok(Slot::plain(Val::Int(num.int64))),
                _ => self.errorf(format!("expected integer; found {n}")),
            },
            P::Str => match &n.kind {
                ArgKind::String { text, .. } => Ok(Slot::plain(Val::str(text))),
                _ => self.errorf(format!("expected string; found {n}")),
            },
            P::Any | P::Rv => self.eval_empty_interface(dot, n),
            P::MapAny => self.errorf(format!(
                "can't handle {n} for arg of type {}",
                typ.go_name()
            )),
        }
    }

    fn eval_empty_interface(&mut self, dot: &Slot, n: &'t Arg) -> R<Slot> {
        self.at(At::Arg(n));
        match &n.kind {
            ArgKind::Bool(b) => Ok(Slot::plain(Val::Bool(*b))),
            ArgKind::Dot => Ok(dot.clone()),
            ArgKind::Number(num) => self.ideal_constant(n, num),
            ArgKind::String { text, .. } => Ok(Slot::plain(Val::str(text))),
            _ => self.errorf(format!(
                "can't handle assignment of {n} to empty interface argument"
            )),
        }
    }
}

/// The zero value of a map's element type (missingkey=zero).
fn zero_slot(elem: &Ty) -> Slot {
    match elem {
        Ty::Any => Slot {
            val: Val::Invalid,
            iface: true,
        },
        Ty::Bool => Slot::plain(Val::Bool(false)),
        Ty::Int => Slot::plain(Val::Int(0)),
        Ty::Int64 => Slot::plain(Val::Int64(0)),
        Ty::Float64 => Slot::plain(Val::Float(0.0)),
        Ty::Str => Slot::plain(Val::str("")),
        Ty::Slice(e) => Slot::plain(Val::list((**e).clone(), vec![])),
        Ty::Map(_) => Slot::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_is_go_error_context() {
        assert_eq!(line_col("ab\ncd{{.x}}", 7), (2, 4));
        assert_eq!(line_col("{{.x}}", 2), (1, 2));
    }
}
