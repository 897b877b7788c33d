//! `jqPathExpressions` (semantics notes §4.4): Argo CD parses `del(` + E + `)` with gojq
//! when it builds the normalizer, and runs it with a 1 s timeout against each selected
//! object, skipping the patch when it yields no output, several outputs, an error, or
//! times out. We run the same text with jaq, made to behave like gojq where they differ:
//!
//! - **Deletion.** jaq's `del` fails on missing paths where gojq does nothing, so `del`
//!   and `delpaths` are replaced by gojq's semantics ([`super::delpaths`]). When E parses
//!   on its own (the usual case, a path expression) we evaluate `path(E)` and delete the
//!   paths ourselves, which also tells exactly which fields went. When E only makes sense
//!   inside `del(...)` (the "escape" form `.x) | .y |= (...`), we run `del(E)` as text and
//!   compare the document before and after.
//! - **Compile errors** are ours, with a byte range inside E (not inside `del(E)`), e.g.
//!   "unexpected `)` at character 14". A name jaq lacks but gojq has (`$__loc__`,
//!   `ltrimstr`-style builtins missing from jaq, `input`…) is not an Argo CD error: the
//!   expression is marked [`JqExpr::unsupported`] and never evaluated.
//! - **Timeout.** jaq has no cancellation hook, so evaluation is made cooperative: every
//!   loop of the language goes through a native `__kg_tick` (user `def`s get it inserted
//!   after their `:`; `repeat`, `recurse`, `while`, `until` and `range` are redefined
//!   around it). A tick fails once the deadline passes, once a step budget is spent, or
//!   when the stack is nearly full (non-tail recursion), so evaluation always ends and
//!   nothing is left running. The step budget (default about what gojq does in 1 s) makes
//!   results independent of machine load; the wall-clock deadline is a safety net.
//!   Evaluation runs on a worker thread with a large stack ([`with_jq_worker`]) so that
//!   deep values built before the budget ran out can still be dropped.
//!
//! - **Names.** `input`/`inputs` are compile errors (Argo CD gives gojq no inputs); jaq's
//!   internal helpers and `keys_unsorted`, which gojq does not define, are reported as
//!   undefined functions; `.a?//.b` is a parse error (gojq reads `?//` as one token).
//!
//! Known differences left (all for expressions Argo CD skips anyway): jaq rejects
//! fractional array indices in paths (`.a[1.5]`, gojq truncates); in a path expression
//! jaq rejects a non-path value at once (`until(false; [.] + [1])` is a runtime error
//! here, gojq runs it until the timeout); error texts differ from gojq's (Argo CD only
//! logs them). gojq names jaq lacks (`$__loc__`, `$ENV`, `tostream`, `@base32d`, …) make
//! the expression [`JqExpr::unsupported`].

use super::delpaths::{delete_paths, preview};
use super::pointer::escape_token;
use jaq_core::box_iter::box_once;
use jaq_core::load::lex::{StrPart, Tok, Token};
use jaq_core::load::{Arena, File, Lexer, Loader, parse::Def};
use jaq_core::{Bind, Compiler, Ctx, Error, Exn, Native, Vars, data, unwrap_valr};
use jaq_json::Val;
use serde_json::Value;
use std::cell::Cell;
use std::ops::Range;
use std::sync::Arc;
use std::time::{Duration, Instant};

type D = data::JustLut<Val>;
type Filter = jaq_core::compile::Filter<Native<D>>;

/// Limits of one evaluation, mirroring Argo CD's `ignore.normalizer.jq.timeout`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JqLimits {
    /// Wall-clock deadline (Argo CD default 1 s).
    pub timeout: Duration,
    /// Loop steps allowed (recursive calls, `range` outputs, paths produced). The default
    /// is roughly what gojq gets through in one second.
    pub max_steps: u64,
}

impl Default for JqLimits {
    fn default() -> Self {
        JqLimits {
            timeout: Duration::from_secs(1),
            max_steps: 2_000_000,
        }
    }
}

impl JqLimits {
    /// Limits for a configured Argo CD timeout: the step budget scales with it.
    pub fn with_timeout(timeout: Duration) -> JqLimits {
        let steps = (timeout.as_secs_f64() * 2_000_000.0).clamp(1.0, 1e12);
        JqLimits {
            timeout,
            max_steps: steps as u64,
        }
    }
}

/// A jq expression that does not compile, with the byte range inside the expression E
/// as the user wrote it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JqCompileError {
    pub range: Range<usize>,
    pub message: String,
}

impl std::fmt::Display for JqCompileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for JqCompileError {}

/// What one `del(E)` did to an object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JqOutcome {
    /// The patch applied. `removed` lists the JSON pointers (into the object as it was
    /// before this patch) of the fields deleted; `changed` lists values the escape form
    /// rewrote rather than deleted. Both empty: the expression matched nothing.
    Applied {
        removed: Vec<String>,
        changed: Vec<String>,
    },
    /// `JQ patch did not return any data` (skipped).
    NoOutput,
    /// `JQ patch returned multiple objects` (skipped).
    MultipleOutputs,
    /// `JQ patch returned error: …` (skipped).
    RuntimeError(String),
    /// `JQ patch execution timed out` (skipped).
    TimedOut,
    /// Valid for Argo CD but uses something our engine lacks; not evaluated.
    Unsupported(String),
}

impl JqOutcome {
    /// Whether the object was changed.
    pub fn applied(&self) -> bool {
        matches!(self, JqOutcome::Applied { .. })
    }
}

/// A compiled `jqPathExpressions` entry.
#[derive(Clone)]
pub struct JqExpr {
    source: String,
    mode: Mode,
}

#[derive(Clone)]
enum Mode {
    /// E is a term on its own: the filter is `path(E)`.
    Paths(Arc<Filter>),
    /// E only parses inside `del(...)`: the filter is `del(E)`.
    Program(Arc<Filter>),
    Unsupported(String),
}

impl std::fmt::Debug for JqExpr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "JqExpr({:?})", self.source)
    }
}

impl JqExpr {
    /// The expression E as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Whether E is a term on its own (not the `.x) | (...` escape form).
    pub fn is_standalone(&self) -> bool {
        matches!(self.mode, Mode::Paths(_))
    }

    /// Why the expression cannot be evaluated here although Argo CD accepts it.
    pub fn unsupported(&self) -> Option<&str> {
        match &self.mode {
            Mode::Unsupported(why) => Some(why),
            _ => None,
        }
    }

    /// Runs `del(E)` on `doc` as Argo CD does; `doc` changes only when the outcome is
    /// [`JqOutcome::Applied`]. Runs on the current thread: call it inside
    /// [`with_jq_worker`] so that deep recursion ends in [`JqOutcome::TimedOut`] and not
    /// in a stack overflow.
    pub fn apply(&self, doc: &mut Value, limits: &JqLimits) -> JqOutcome {
        match &self.mode {
            Mode::Unsupported(why) => JqOutcome::Unsupported(why.clone()),
            Mode::Paths(filter) => apply_paths(filter, doc, limits),
            Mode::Program(filter) => apply_program(filter, doc, limits),
        }
    }
}

// ---------------------------------------------------------------------------------------
// The evaluation guard (deadline, steps, stack).

#[derive(Clone, Copy)]
struct Guard {
    active: bool,
    deadline: Option<Instant>,
    steps: u64,
    max_steps: u64,
    stack_base: usize,
    stack_budget: usize,
    tripped: bool,
}

const IDLE: Guard = Guard {
    active: false,
    deadline: None,
    steps: 0,
    max_steps: 0,
    stack_base: 0,
    stack_budget: 0,
    tripped: false,
};

thread_local! {
    static GUARD: Cell<Guard> = const { Cell::new(IDLE) };
    /// (base address, usable bytes) of the current worker's stack.
    static STACK: Cell<(usize, usize)> = const { Cell::new((0, 0)) };
}

/// Stack of the worker thread: large, because only touched pages cost memory.
const WORKER_STACK: usize = 512 << 20;
/// Stack kept in reserve below the tick limit, for natives and for dropping values.
const STACK_RESERVE: usize = 192 << 20;
/// Stack assumed usable when running on a thread we did not create.
const FOREIGN_STACK_BUDGET: usize = 256 << 10;

fn stack_address() -> usize {
    let marker = 0u8;
    std::hint::black_box(&marker) as *const u8 as usize
}

/// Runs `f` on a worker thread with a large stack, so jq evaluations inside it can
/// recurse deeply and always end in a clean [`JqOutcome::TimedOut`]. Falls back to the
/// current thread (with a small stack budget) when no thread can be started. A panic
/// inside `f` (a bug in the jq engine) is returned as an error, not propagated.
pub fn with_jq_worker<R: Send>(f: impl FnOnce() -> R + Send) -> Result<R, String> {
    let mut f = Some(f);
    let spawned = std::thread::scope(|scope| {
        let job = &mut f;
        let handle = std::thread::Builder::new()
            .name("jq".into())
            .stack_size(WORKER_STACK)
            .spawn_scoped(scope, move || {
                STACK.with(|s| s.set((stack_address(), WORKER_STACK - STACK_RESERVE)));
                job.take().map(|f| f())
            });
        match handle {
            Ok(h) => Some(h.join()),
            Err(_) => None,
        }
    });
    match spawned {
        Some(Ok(Some(r))) => Ok(r),
        Some(Err(panic)) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(format!("the jq engine failed: {what}"))
        }
        // Could not start a thread: run here.
        _ => match f.take() {
            Some(f) => {
                let saved = STACK.with(|s| s.replace((stack_address(), FOREIGN_STACK_BUDGET)));
                let r = f();
                STACK.with(|s| s.set(saved));
                Ok(r)
            }
            None => Err("the jq worker did not run".into()),
        },
    }
}

fn start_guard(limits: &JqLimits) {
    let (base, budget) = STACK.with(Cell::get);
    let (base, budget) = if base == 0 {
        (stack_address(), FOREIGN_STACK_BUDGET)
    } else {
        (base, budget)
    };
    GUARD.with(|g| {
        g.set(Guard {
            active: true,
            deadline: Instant::now().checked_add(limits.timeout),
            steps: 0,
            max_steps: limits.max_steps,
            stack_base: base,
            stack_budget: budget,
            tripped: false,
        })
    });
}

/// Stops the guard; true when the evaluation ran out of time, steps or stack.
fn stop_guard() -> bool {
    GUARD.with(|g| g.replace(IDLE).tripped)
}

/// One step of evaluation: an error once the budget is spent.
fn tick() -> Result<(), &'static str> {
    GUARD.with(|g| {
        let mut s = g.get();
        if !s.active {
            return Ok(());
        }
        if s.tripped {
            return Err(TIMEOUT_MESSAGE);
        }
        s.steps += 1;
        let out_of_time = s.steps % 256 == 0 && s.deadline.is_some_and(|d| Instant::now() >= d);
        let deep = s.stack_base.abs_diff(stack_address()) > s.stack_budget;
        if s.steps > s.max_steps || out_of_time || deep {
            s.tripped = true;
            g.set(s);
            return Err(TIMEOUT_MESSAGE);
        }
        g.set(s);
        Ok(())
    })
}

const TIMEOUT_MESSAGE: &str = "jq evaluation ran out of its time budget";

// ---------------------------------------------------------------------------------------
// The jq environment: jaq's definitions with gojq's deletion and ticking loops.

/// Definitions put first (they use only natives).
const PRELUDE_FIRST: &str = r#"
def range($from; $upto; $by): if $by == 0 then {}[] else __kg_range($from; $upto; $by) | __kg_tick end;
"#;

/// Replacements, each put where jaq's own definition of the same name and arity was.
const REPLACEMENTS: &str = r#"
def del(f): __kg_delpaths([path(f)]);
def delpaths($ps): __kg_delpaths($ps);
def repeat(f): def rec: __kg_tick | (f, rec); rec;
def recurse(f): def rec: __kg_tick | (., (f | rec)); rec;
def recurse(f; cond): recurse(f | select(cond));
def while(cond; update): def rec: __kg_tick | if cond then ., (update | rec) else empty end; rec;
def until(cond; update): def rec: __kg_tick | if cond then . else update | rec end; rec;
"#;

fn defs() -> impl Iterator<Item = Def<&'static str>> {
    let first: Vec<Def<&'static str>> =
        jaq_core::load::parse(PRELUDE_FIRST, |p| p.defs()).unwrap_or_default();
    let mut replacements: Vec<Option<Def<&'static str>>> =
        jaq_core::load::parse(REPLACEMENTS, |p| p.defs())
            .unwrap_or_default()
            .into_iter()
            .map(Some)
            .collect();
    let std = jaq_core::defs()
        .chain(jaq_std::defs())
        .chain(jaq_json::defs())
        .filter_map(move |d| {
            let slot = replacements.iter_mut().find(|r| {
                r.as_ref()
                    .is_some_and(|r| r.name == d.name && r.args.len() == d.args.len())
            });
            match slot {
                Some(r) => r.take(),
                None => Some(d),
            }
        });
    first.into_iter().chain(std)
}

fn funs() -> impl Iterator<Item = jaq_core::native::Fun<D>> {
    let base = jaq_core::funs()
        .chain(jaq_std::funs())
        .chain(jaq_json::funs())
        .map(|(name, args, f)| {
            if name == "range" && args.len() == 3 {
                ("__kg_range", args, f)
            } else {
                (name, args, f)
            }
        });
    let tick = Native::<D>::new(|cv| match tick() {
        Ok(()) => box_once(Ok(cv.1)),
        Err(msg) => box_once(Err(Exn::from(Error::str(msg)))),
    })
    .with_paths(|cv| match tick() {
        Ok(()) => box_once(Ok(cv.1)),
        Err(msg) => box_once(Err(Exn::from(Error::str(msg)))),
    })
    .with_update(|cv, f| match tick() {
        Ok(()) => f(cv.1),
        Err(msg) => box_once(Err(Exn::from(Error::str(msg)))),
    });
    let delpaths = Native::<D>::new(|mut cv| {
        let paths = cv.0.pop_var();
        box_once(native_delpaths(cv.1, paths).map_err(|e| Exn::from(Error::str(e))))
    });
    base.chain([
        ("__kg_tick", Box::from([]), tick),
        ("__kg_delpaths", Box::from([Bind::Var(())]), delpaths),
    ])
}

fn native_delpaths(input: Val, paths: Val) -> Result<Val, String> {
    let mut doc = val_to_json(&input)?;
    let paths = match val_to_json(&paths)? {
        Value::Array(p) => p,
        other => {
            return Err(format!(
                "delpaths cannot be applied to: {}",
                preview(&other)
            ));
        }
    };
    delete_paths(&mut doc, &paths)?;
    json_to_val(&doc)
}

fn val_to_json(v: &Val) -> Result<Value, String> {
    serde_json::from_str(&v.to_string())
        .map_err(|e| format!("cannot convert a jq value to JSON: {e}"))
}

fn json_to_val(v: &Value) -> Result<Val, String> {
    <Val as serde::Deserialize>::deserialize(v).map_err(|e| e.to_string())
}

/// Problems from loading or compiling one program, with byte offsets into its code.
enum BuildError {
    /// (offset, length, message)
    At(usize, usize, String),
    /// An unclosed delimiter (its text) opened at the offset.
    Unclosed(usize, String),
    /// An undefined name at the offset.
    Undefined(usize, String, String),
}

fn offset_in(code: &str, part: &str) -> Option<usize> {
    let start = code.as_ptr() as usize;
    let p = part.as_ptr() as usize;
    (p >= start && p <= start + code.len()).then(|| p - start)
}

fn build(code: &str) -> Result<Filter, Vec<BuildError>> {
    use jaq_core::load::Error as LoadError;
    let loader = Loader::new(defs());
    let arena = Arena::default();
    let modules = loader
        .load(&arena, File { code, path: () })
        .map_err(|errs| {
            let mut out = Vec::new();
            for (_, e) in errs {
                match e {
                    LoadError::Io(items) => {
                        for (path, msg) in items {
                            let at = offset_in(code, path).unwrap_or(0);
                            out.push(BuildError::At(
                                at,
                                path.len(),
                                format!("cannot load module `{path}`: {msg}"),
                            ));
                        }
                    }
                    LoadError::Lex(items) => {
                        for (expect, rest) in items {
                            let at = offset_in(code, rest).unwrap_or(code.len());
                            match expect {
                                jaq_core::load::lex::Expect::Delim(open) => {
                                    let open_at = offset_in(code, open).unwrap_or(0);
                                    out.push(BuildError::Unclosed(open_at, open.to_string()));
                                }
                                other => {
                                    let len = rest.chars().next().map_or(0, char::len_utf8);
                                    out.push(BuildError::At(
                                        at,
                                        len,
                                        format!("expected a {}", other.as_str()),
                                    ));
                                }
                            }
                        }
                    }
                    LoadError::Parse(items) => {
                        for (expect, found) in items {
                            let at = offset_in(code, found).unwrap_or(code.len());
                            out.push(BuildError::At(
                                at,
                                found.len(),
                                format!("expected {}", describe_expect(expect.as_str())),
                            ));
                        }
                    }
                }
            }
            out
        })?;
    Compiler::default()
        .with_funs(funs())
        .compile(modules)
        .map_err(|errs| {
            let mut out = Vec::new();
            for (_, items) in errs {
                for (name, undefined) in items {
                    // A name outside the code would be a bug in our own definitions.
                    let Some(at) = offset_in(code, name) else {
                        continue;
                    };
                    let what = match undefined {
                        jaq_core::compile::Undefined::Filter(arity) => {
                            format!("function `{name}/{arity}`")
                        }
                        jaq_core::compile::Undefined::Var => format!("variable `{name}`"),
                        jaq_core::compile::Undefined::Label => format!("label `{name}`"),
                        _ => format!("module `{name}`"),
                    };
                    out.push(BuildError::Undefined(at, name.to_string(), what));
                }
            }
            out
        })
}

fn describe_expect(e: &str) -> String {
    match e {
        "term" => "a term (a value, path or function call)".into(),
        "nothing" => "nothing more".into(),
        "semicolon or right parenthesis" => "`;` or `)`".into(),
        "comma or right bracket" => "`,` or `]`".into(),
        "comma or right brace" => "`,` or `}`".into(),
        "else or end" => "`elif`, `else` or `end`".into(),
        "key" => "a key".into(),
        s if s.chars().all(|c| !c.is_alphabetic())
            || ["then", "end", "as", "else", "do"].contains(&s) =>
        {
            format!("`{s}`")
        }
        s => format!("a {s}"),
    }
}

// ---------------------------------------------------------------------------------------
// Compilation.

/// Compiles one `jqPathExpressions` entry the way Argo CD does (`del(E)`).
pub fn compile(expr: &str) -> Result<JqExpr, JqCompileError> {
    let wrapped = format!("del({expr})");
    if let Some(found) = question_alternative(expr) {
        return found;
    }
    let checked = build(&wrapped);
    let filter = match checked {
        Ok(f) => f,
        Err(errs) => {
            let err = map_errors(expr, &wrapped, errs);
            if let Some(name) = &err.undefined
                && (name == "input" || name == "inputs")
            {
                return Err(JqCompileError {
                    range: err.error.range,
                    message: format!(
                        "`{name}` is not allowed: Argo CD compiles the expression without inputs"
                    ),
                });
            }
            if let Some(why) = gojq_only(expr, &err) {
                return Ok(JqExpr {
                    source: expr.to_string(),
                    mode: Mode::Unsupported(why),
                });
            }
            return Err(err.error);
        }
    };
    if let Some(err) = jaq_only_name(expr) {
        return Err(err);
    }
    let standalone = {
        let arena = Arena::default();
        Loader::new(defs())
            .load(
                &arena,
                File {
                    code: expr,
                    path: (),
                },
            )
            .is_ok()
    };
    let mode = if standalone {
        match build(&instrument(&format!("path({expr})"))) {
            Ok(f) => Mode::Paths(Arc::new(f)),
            Err(_) => Mode::Program(Arc::new(filter)),
        }
    } else {
        match build(&instrument(&wrapped)) {
            Ok(f) => Mode::Program(Arc::new(f)),
            Err(_) => Mode::Program(Arc::new(filter)),
        }
    };
    Ok(JqExpr {
        source: expr.to_string(),
        mode,
    })
}

struct Mapped {
    error: JqCompileError,
    /// The undefined name, for compile errors.
    undefined: Option<String>,
}

/// Turns errors in `del(E)` into one readable error inside E.
fn map_errors(expr: &str, wrapped: &str, errs: Vec<BuildError>) -> Mapped {
    const PREFIX: usize = 4; // "del("
    let end = wrapped.len() - 1; // our closing `)`
    let to_expr = |at: usize| at.saturating_sub(PREFIX).min(expr.len());
    let scan = scan_delimiters(expr);
    // Our own `del(` left unclosed is a consequence; prefer any other error.
    let wrapper_only = errs
        .iter()
        .all(|e| matches!(e, BuildError::Unclosed(at, _) if *at < PREFIX));
    let first = errs
        .into_iter()
        .filter(|e| wrapper_only || !matches!(e, BuildError::Unclosed(at, _) if *at < PREFIX))
        .min_by_key(|e| match e {
            BuildError::At(at, ..)
            | BuildError::Unclosed(at, _)
            | BuildError::Undefined(at, ..) => *at,
        });
    let error = |range: Range<usize>, message: String| Mapped {
        error: JqCompileError { range, message },
        undefined: None,
    };
    match first {
        None => error(0..expr.len(), "the expression does not compile".into()),
        Some(BuildError::Undefined(at, name, what)) => {
            let s = to_expr(at);
            let range = s..(s + name.len()).min(expr.len());
            Mapped {
                error: JqCompileError {
                    message: format!("undefined {what} at character {}", char_number(expr, s)),
                    range,
                },
                undefined: Some(name),
            }
        }
        Some(BuildError::Unclosed(open_at, open)) => {
            if open_at >= PREFIX && scan.unclosed_string.is_none() {
                let s = to_expr(open_at);
                return error(
                    s..(s + open.len()).min(expr.len()),
                    format!(
                        "`{open}` at character {} is never closed",
                        char_number(expr, s)
                    ),
                );
            }
            // Our own `del(` is unclosed: E closes something it never opened, opens
            // something it never closes, or a comment hid the `)` Argo CD adds.
            if let Some((c, pos)) = scan.stray_closer {
                return error(
                    pos..pos + c.len_utf8(),
                    format!(
                        "unexpected `{c}` at character {}: nothing opened it",
                        char_number(expr, pos)
                    ),
                );
            }
            if let Some(at) = scan.unclosed_string {
                return error(
                    at..expr.len(),
                    format!(
                        "the string starting at character {} is never closed",
                        char_number(expr, at)
                    ),
                );
            }
            if let Some((c, at)) = scan.unclosed {
                return error(
                    at..at + c.len_utf8(),
                    format!(
                        "`{c}` at character {} is never closed",
                        char_number(expr, at)
                    ),
                );
            }
            if let Some(at) = scan.comment {
                return error(
                    at..expr.len(),
                    format!(
                        "the comment at character {} runs to the end and hides the `)` that Argo CD adds when it wraps the expression in `del(...)`",
                        char_number(expr, at)
                    ),
                );
            }
            error(
                expr.len()..expr.len(),
                "the expression is not closed".into(),
            )
        }
        Some(BuildError::At(at, len, expected)) => {
            if at >= end {
                // The problem is at our closing `)` or after it.
                if let Some((c, pos)) = scan.stray_closer {
                    return error(
                        pos..pos + c.len_utf8(),
                        format!(
                            "unexpected `{c}` at character {}: it closes the `del(` that Argo CD wraps around the expression",
                            char_number(expr, pos)
                        ),
                    );
                }
                return error(
                    expr.len()..expr.len(),
                    format!("the expression ends too early; {expected}"),
                );
            }
            let s = to_expr(at);
            let found = &wrapped[at..(at + len).min(end)];
            let shown = shorten(found);
            let range_end = if found.chars().count() > 20 {
                s + found.chars().next().map_or(0, char::len_utf8)
            } else {
                s + found.len()
            };
            let expected = if expected == "expected `;` or `)`" && depth_at(expr, s) == 0 {
                "expected an operator such as `|` or `,` before it".to_string()
            } else {
                expected
            };
            if let Some((c, pos)) = scan.stray_closer
                && pos == s
            {
                return error(
                    pos..pos + c.len_utf8(),
                    format!(
                        "unexpected `{c}` at character {}: nothing opened it",
                        char_number(expr, pos)
                    ),
                );
            }
            let message = if found.is_empty() {
                format!("the expression ends too early; {expected}")
            } else if expected == "expected a token" {
                format!(
                    "unexpected character `{shown}` at character {}",
                    char_number(expr, s)
                )
            } else {
                format!(
                    "unexpected `{shown}` at character {}; {expected}",
                    char_number(expr, s)
                )
            };
            error(s..range_end.max(s).min(expr.len()), message)
        }
    }
}

fn shorten(s: &str) -> String {
    if s.chars().count() > 20 {
        s.chars().next().map(String::from).unwrap_or_default()
    } else {
        s.to_string()
    }
}

/// How many delimiters are open at byte `at` of E (strings and comments skipped).
fn depth_at(expr: &str, at: usize) -> usize {
    let prefix = expr.get(..at).unwrap_or(expr);
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for c in prefix.chars() {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    depth
}

/// 1-based character number of byte offset `at`.
fn char_number(s: &str, at: usize) -> usize {
    s.get(..at).map_or(0, |p| p.chars().count()) + 1
}

/// Delimiters of E: the first closer without an opener, the last opener never closed,
/// and the first comment, skipping strings.
struct Scan {
    stray_closer: Option<(char, usize)>,
    unclosed: Option<(char, usize)>,
    unclosed_string: Option<usize>,
    comment: Option<usize>,
}

fn scan_delimiters(expr: &str) -> Scan {
    // Stack entries: an opener, or `"` for a string, or `\` for an interpolation.
    let mut stack: Vec<(char, usize)> = Vec::new();
    let mut stray = None;
    let mut comment = None;
    let mut chars = expr.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let in_string = matches!(stack.last(), Some(('"', _)));
        if in_string {
            match c {
                '"' => {
                    stack.pop();
                }
                '\\' => {
                    if let Some((_, '(')) = chars.peek() {
                        chars.next();
                        stack.push(('\\', i));
                    } else {
                        chars.next();
                    }
                }
                _ => {}
            }
            continue;
        }
        match c {
            '"' => stack.push(('"', i)),
            '#' => {
                comment.get_or_insert(i);
                for (_, c) in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            '(' | '[' | '{' => stack.push((c, i)),
            ')' | ']' | '}' => {
                let want = match c {
                    ')' => ['(', '\\'],
                    ']' => ['[', '['],
                    _ => ['{', '{'],
                };
                match stack.last() {
                    Some((o, _)) if want.contains(o) => {
                        stack.pop();
                    }
                    _ => {
                        stray.get_or_insert((c, i));
                    }
                }
            }
            _ => {}
        }
    }
    let unclosed = stack
        .iter()
        .rev()
        .find(|(c, _)| matches!(c, '(' | '[' | '{'))
        .copied();
    let unclosed_string = stack
        .iter()
        .rev()
        .find(|(c, _)| *c == '"')
        .map(|(_, at)| *at);
    Scan {
        stray_closer: stray,
        unclosed,
        unclosed_string,
        comment,
    }
}

/// Names gojq (the jq Argo CD uses) knows. When jaq reports one of them undefined, the
/// expression is fine for Argo CD and only our engine cannot run it.
const GOJQ_NAMES: &[&str] = &[
    "IN",
    "INDEX",
    "JOIN",
    "abs",
    "acos",
    "acosh",
    "add",
    "all",
    "any",
    "arrays",
    "ascii",
    "ascii_downcase",
    "ascii_upcase",
    "asin",
    "asinh",
    "atan",
    "atan2",
    "atanh",
    "booleans",
    "bsearch",
    "builtins",
    "capture",
    "cbrt",
    "ceil",
    "combinations",
    "contains",
    "copysign",
    "cos",
    "cosh",
    "date",
    "dateadd",
    "datesub",
    "debug",
    "del",
    "delpaths",
    "drem",
    "empty",
    "endswith",
    "env",
    "error",
    "exp",
    "exp10",
    "exp2",
    "explode",
    "expm1",
    "fabs",
    "fdim",
    "finites",
    "first",
    "flatten",
    "floor",
    "fma",
    "fmax",
    "fmin",
    "fmod",
    "frexp",
    "from_entries",
    "fromdate",
    "fromdateiso8601",
    "fromjson",
    "fromstream",
    "gamma",
    "get_jq_origin",
    "get_prog_origin",
    "get_search_list",
    "getpath",
    "gmtime",
    "group_by",
    "gsub",
    "halt",
    "halt_error",
    "has",
    "have_decnum",
    "have_literal_numbers",
    "hypot",
    "implode",
    "in",
    "index",
    "indices",
    "infinite",
    "input",
    "input_filename",
    "input_line_number",
    "inputs",
    "inside",
    "isempty",
    "isinfinite",
    "isnan",
    "isnormal",
    "isvalid",
    "iterables",
    "j0",
    "j1",
    "join",
    "keys",
    "keys_unsorted",
    "last",
    "ldexp",
    "leaf_paths",
    "length",
    "lgamma",
    "lgamma_r",
    "limit",
    "localtime",
    "log",
    "log10",
    "log1p",
    "log2",
    "logb",
    "ltrimstr",
    "ltrim",
    "map",
    "map_values",
    "match",
    "max",
    "max_by",
    "min",
    "min_by",
    "mktime",
    "modf",
    "nan",
    "nearbyint",
    "nextafter",
    "nexttoward",
    "normals",
    "not",
    "now",
    "nth",
    "nulls",
    "numbers",
    "objects",
    "path",
    "paths",
    "pick",
    "pow",
    "pow10",
    "range",
    "recurse",
    "recurse_down",
    "reduce",
    "repeat",
    "reverse",
    "rindex",
    "rint",
    "round",
    "rtrimstr",
    "rtrim",
    "scalars",
    "scalb",
    "scalbln",
    "scan",
    "select",
    "setpath",
    "significand",
    "sin",
    "sinh",
    "skip",
    "sort",
    "sort_by",
    "split",
    "splits",
    "sqrt",
    "startswith",
    "stderr",
    "strflocaltime",
    "strftime",
    "strings",
    "strptime",
    "sub",
    "tan",
    "tanh",
    "test",
    "tgamma",
    "to_entries",
    "toarray",
    "todate",
    "todateiso8601",
    "tojson",
    "tonumber",
    "tostream",
    "tostring",
    "transpose",
    "trim",
    "trunc",
    "truncate_stream",
    "type",
    "unique",
    "unique_by",
    "until",
    "utf8bytelength",
    "values",
    "walk",
    "while",
    "with_entries",
    "y0",
    "y1",
    "@base32",
    "@base32d",
    "@base64",
    "@base64d",
    "@csv",
    "@html",
    "@json",
    "@sh",
    "@text",
    "@tsv",
    "@uri",
    "@urid",
    "$ENV",
    "$__loc__",
    "$__prog_args",
];

/// Whether a failure comes from something gojq supports but jaq does not.
fn gojq_only(expr: &str, err: &Mapped) -> Option<String> {
    if let Some(name) = &err.undefined
        && GOJQ_NAMES.contains(&name.as_str())
    {
        return Some(format!(
            "`{name}` is a gojq builtin that this tool's jq engine does not provide"
        ));
    }
    if expr.contains("import ") || expr.contains("include ") {
        return Some("jq modules cannot be loaded here".into());
    }
    None
}

/// Names jaq defines that gojq never had (jaq's internal helpers, `keys_unsorted`) and
/// our own natives: gojq reports them as undefined functions.
const JAQ_ONLY: &[&str] = &[
    "keys_unsorted",
    "key_values",
    "path_value",
    "isboolean",
    "isnumber",
    "isstring",
    "isarray",
    "isobject",
    "toboolean",
    "totype",
    "ilogb",
    "escape_sh",
    "escape_html",
    "unescape_html",
    "encode_uri",
    "decode_uri",
    "encode_base64",
    "decode_base64",
    "matches",
    "split_matches",
    "split_",
    "scan_",
    "capture_of_match",
    "min_by_or_empty",
    "max_by_or_empty",
    "debug_empty",
    "stderr_empty",
    "error_empty",
    "tobytes",
    "@htmld",
    "__kg_tick",
    "__kg_delpaths",
    "__kg_range",
];

/// A call of a [`JAQ_ONLY`] name that E does not define itself.
fn jaq_only_name(expr: &str) -> Option<JqCompileError> {
    let tokens = Lexer::new(expr).lex().ok()?;
    let mut defined = Vec::new();
    collect_defined(&tokens, &mut defined);
    find_jaq_only(expr, &tokens, &defined, None)
}

fn collect_defined<'a>(tokens: &[Token<&'a str>], out: &mut Vec<&'a str>) {
    for (i, Token(text, tok)) in tokens.iter().enumerate() {
        match tok {
            Tok::Word if *text == "def" => {
                if let Some(Token(name, Tok::Word)) = tokens.get(i + 1) {
                    out.push(name);
                }
            }
            Tok::Block(inner) => collect_defined(inner, out),
            Tok::Str(parts) => {
                for part in parts {
                    if let StrPart::Term(Token(_, Tok::Block(inner))) = part {
                        collect_defined(inner, out);
                    }
                }
            }
            _ => {}
        }
    }
}

fn find_jaq_only(
    expr: &str,
    tokens: &[Token<&str>],
    defined: &[&str],
    block: Option<&str>,
) -> Option<JqCompileError> {
    for (i, Token(text, tok)) in tokens.iter().enumerate() {
        match tok {
            Tok::Word | Tok::Fmt if JAQ_ONLY.contains(text) && !defined.contains(text) => {
                let prev = i.checked_sub(1).and_then(|p| tokens.get(p)).map(|t| t.0);
                let next = tokens.get(i + 1);
                let next_text = next.map(|t| t.0);
                let field = prev.is_some_and(|p| p.ends_with('.'));
                let key = next_text == Some(":");
                let shorthand = block.is_some_and(|b| b.starts_with('{'))
                    && matches!(prev, None | Some(","))
                    && matches!(next_text, None | Some(",") | Some("}"));
                if field || key || shorthand {
                    continue;
                }
                let arity = match next {
                    Some(Token(b, Tok::Block(inner))) if b.starts_with('(') => {
                        1 + inner
                            .iter()
                            .filter(|t| matches!(t.1, Tok::Sym) && t.0 == ";")
                            .count()
                    }
                    _ => 0,
                };
                let at = offset_in(expr, text)?;
                return Some(JqCompileError {
                    range: at..at + text.len(),
                    message: format!(
                        "undefined function `{text}/{arity}` at character {} (gojq, the jq of Argo CD, does not have it)",
                        char_number(expr, at)
                    ),
                });
            }
            Tok::Block(inner) => {
                if let Some(e) = find_jaq_only(expr, inner, defined, Some(text)) {
                    return Some(e);
                }
            }
            Tok::Str(parts) => {
                for part in parts {
                    if let StrPart::Term(Token(b, Tok::Block(inner))) = part
                        && let Some(e) = find_jaq_only(expr, inner, defined, Some(b))
                    {
                        return Some(e);
                    }
                }
            }
            _ => {}
        }
    }
    None
}

/// gojq (like jq) reads `?//` as one token, the destructuring alternative: `.a?//.b` is a
/// parse error there although jaq reads `.a? // .b`. Inside a destructuring (`as ... ?//`)
/// it is valid gojq that jaq lacks.
fn question_alternative(expr: &str) -> Option<Result<JqExpr, JqCompileError>> {
    let at = find_outside_strings(expr, "?//")?;
    let before = &expr[..at];
    if before.contains(" as ") || before.contains(")as ") {
        return Some(Ok(JqExpr {
            source: expr.to_string(),
            mode: Mode::Unsupported(
                "the `?//` destructuring alternative is not supported by this tool's jq engine"
                    .into(),
            ),
        }));
    }
    Some(Err(JqCompileError {
        range: at..at + 3,
        message: format!(
            "unexpected `?//` at character {}: jq reads `?//` as the destructuring alternative operator; \
             write `? //` with a space for an optional path followed by `//`",
            char_number(expr, at)
        ),
    }))
}

/// Byte offset of `needle` outside strings and comments.
fn find_outside_strings(expr: &str, needle: &str) -> Option<usize> {
    let mut in_string = false;
    let mut escaped = false;
    let mut comment = false;
    for (i, c) in expr.char_indices() {
        if comment {
            if c == '\n' {
                comment = false;
            }
            continue;
        }
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '#' => comment = true,
            _ if expr[i..].starts_with(needle) => return Some(i),
            _ => {}
        }
    }
    None
}

/// Inserts ` __kg_tick |` after the `:` of every `def`, so user recursion ticks.
fn instrument(expr: &str) -> String {
    let Ok(tokens) = Lexer::new(expr).lex() else {
        return expr.to_string();
    };
    let mut points = Vec::new();
    collect_def_colons(expr, &tokens, &mut points);
    if points.is_empty() {
        return expr.to_string();
    }
    points.sort_unstable();
    let mut out = String::with_capacity(expr.len() + points.len() * 12);
    let mut last = 0;
    for p in points {
        out.push_str(&expr[last..p]);
        out.push_str(" __kg_tick |");
        last = p;
    }
    out.push_str(&expr[last..]);
    out
}

fn collect_def_colons(expr: &str, tokens: &[Token<&str>], out: &mut Vec<usize>) {
    for (i, Token(text, tok)) in tokens.iter().enumerate() {
        match tok {
            Tok::Word if *text == "def" => {
                // def NAME [ (args) ] :
                let mut j = i + 2;
                if matches!(tokens.get(j), Some(Token(_, Tok::Block(_)))) {
                    j += 1;
                }
                if let Some(Token(colon, Tok::Sym)) = tokens.get(j)
                    && *colon == ":"
                    && let Some(at) = offset_in(expr, colon)
                {
                    out.push(at + 1);
                }
            }
            Tok::Block(inner) => collect_def_colons(expr, inner, out),
            Tok::Str(parts) => {
                for part in parts {
                    if let StrPart::Term(Token(_, Tok::Block(inner))) = part {
                        collect_def_colons(expr, inner, out);
                    }
                }
            }
            _ => {}
        }
    }
}

// ---------------------------------------------------------------------------------------
// Evaluation.

fn apply_paths(filter: &Filter, doc: &mut Value, limits: &JqLimits) -> JqOutcome {
    let input = match json_to_val(doc) {
        Ok(v) => v,
        Err(e) => return JqOutcome::RuntimeError(e),
    };
    start_guard(limits);
    let mut paths = Vec::new();
    let mut failure = None;
    {
        let ctx = Ctx::<D>::new(&filter.lut, Vars::new([]));
        for out in filter.id.run((ctx, input)).map(unwrap_valr) {
            match out {
                Ok(p) => match val_to_json(&p) {
                    Ok(p) => paths.push(p),
                    Err(e) => {
                        failure = Some(e);
                        break;
                    }
                },
                Err(e) => {
                    failure = Some(error_text(&e));
                    break;
                }
            }
            if tick().is_err() {
                break;
            }
        }
    }
    if stop_guard() {
        return JqOutcome::TimedOut;
    }
    if let Some(e) = failure {
        return JqOutcome::RuntimeError(e);
    }
    match delete_paths(doc, &paths) {
        Ok(removed) => JqOutcome::Applied {
            removed,
            changed: Vec::new(),
        },
        Err(e) => JqOutcome::RuntimeError(e),
    }
}

fn apply_program(filter: &Filter, doc: &mut Value, limits: &JqLimits) -> JqOutcome {
    let input = match json_to_val(doc) {
        Ok(v) => v,
        Err(e) => return JqOutcome::RuntimeError(e),
    };
    start_guard(limits);
    let result = {
        let ctx = Ctx::<D>::new(&filter.lut, Vars::new([]));
        let mut outs = filter.id.run((ctx, input)).map(unwrap_valr);
        match outs.next() {
            None => Err(JqOutcome::NoOutput),
            Some(Err(e)) => Err(JqOutcome::RuntimeError(error_text(&e))),
            Some(Ok(first)) => match outs.next() {
                Some(_) => Err(JqOutcome::MultipleOutputs),
                None => Ok(first),
            },
        }
    };
    if stop_guard() {
        return JqOutcome::TimedOut;
    }
    let out = match result.and_then(|v| val_to_json(&v).map_err(JqOutcome::RuntimeError)) {
        Ok(v) => v,
        Err(outcome) => return outcome,
    };
    let mut removed = Vec::new();
    let mut changed = Vec::new();
    diff(doc, &out, &mut String::new(), &mut removed, &mut changed);
    *doc = out;
    JqOutcome::Applied { removed, changed }
}

fn error_text(e: &Error<Val>) -> String {
    e.to_string()
}

/// Pointers of what disappeared from `old` (removed) and of what else differs (changed).
fn diff(
    old: &Value,
    new: &Value,
    at: &mut String,
    removed: &mut Vec<String>,
    changed: &mut Vec<String>,
) {
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in a {
                let len = at.len();
                at.push('/');
                at.push_str(&escape_token(k));
                match b.get(k) {
                    Some(w) => diff(v, w, at, removed, changed),
                    None => removed.push(at.clone()),
                }
                at.truncate(len);
            }
            for k in b.keys().filter(|k| !a.contains_key(k.as_str())) {
                changed.push(format!("{at}/{}", escape_token(k)));
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (v, w)) in a.iter().zip(b).enumerate() {
                let len = at.len();
                at.push('/');
                at.push_str(&i.to_string());
                diff(v, w, at, removed, changed);
                at.truncate(len);
            }
        }
        (Value::Array(a), Value::Array(b)) if b.len() < a.len() => {
            // Elements deleted: match `b` as a subsequence of `a` where possible.
            let mut j = 0;
            let mut kept = Vec::new();
            for (i, v) in a.iter().enumerate() {
                if j < b.len() && *v == b[j] {
                    kept.push(i);
                    j += 1;
                }
            }
            if j == b.len() {
                for i in (0..a.len()).filter(|i| !kept.contains(i)) {
                    removed.push(format!("{at}/{i}"));
                }
            } else {
                changed.push(at.clone());
            }
        }
        (a, b) if a != b => changed.push(at.clone()),
        _ => {}
    }
}

#[cfg(test)]
mod tests;
