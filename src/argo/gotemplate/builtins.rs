//! Go's `text/template` builtins (`funcs.go`), with Go's error texts.

use super::exec::State;
use super::funcs::{FnError, arg_str};
use super::gofmt;
use super::value::{Slot, Val};

type Res = Result<Val, FnError>;

fn too_deep() -> FnError {
    FnError::Limit("value nested too deeply to print".into())
}

/// `indirectInterface`: a nil interface is no value, anything else its content.
fn concrete(s: &Slot) -> &Val {
    &s.val
}

/// `and`/`or` are evaluated lazily by the executor; this is never reached.
pub fn and_or(_: &mut State<'_>, a: &[Slot]) -> Res {
    Ok(a.last().map(|s| s.val.clone()).unwrap_or_default())
}

/// `call` is handled by the executor (no function values exist in Argo CD's data).
pub fn call(_: &mut State<'_>, a: &[Slot]) -> Res {
    match a.first().map(concrete) {
        None | Some(Val::Invalid) => Err(FnError::Go("call of nil".into())),
        Some(v) => Err(FnError::Go(format!(
            "non-function of type {}",
            v.type_name()
        ))),
    }
}

/// `evalArgs`: one string argument as is, otherwise `fmt.Sprint` of the printable
/// values (no value prints as `<no value>`).
fn eval_args(a: &[Slot]) -> Result<String, FnError> {
    if let [one] = a
        && let Val::Str(s) = &one.val
    {
        return Ok(s.to_string());
    }
    let vals: Vec<Val> = a
        .iter()
        .map(|s| match &s.val {
            Val::Invalid => Val::str("<no value>"),
            v => v.clone(),
        })
        .collect();
    gofmt::sprint(&vals).map_err(|_| too_deep())
}

pub fn html(_: &mut State<'_>, a: &[Slot]) -> Res {
    let s = eval_args(a)?;
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\0' => out.push('\u{FFFD}'),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    Ok(Val::string(out))
}

pub fn js(_: &mut State<'_>, a: &[Slot]) -> Res {
    let s = eval_args(a)?;
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003D"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04X}", c as u32)),
            c if !c.is_ascii() && !gofmt::is_print(c) => {
                out.push_str(&format!("\\u{:04X}", c as u32));
            }
            c => out.push(c),
        }
    }
    Ok(Val::string(out))
}

/// Go's `url.QueryEscape`.
pub fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char);
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

pub fn urlquery(_: &mut State<'_>, a: &[Slot]) -> Res {
    Ok(Val::string(query_escape(&eval_args(a)?)))
}

pub fn print(_: &mut State<'_>, a: &[Slot]) -> Res {
    let vals: Vec<Val> = a.iter().map(|s| s.val.clone()).collect();
    gofmt::sprint(&vals)
        .map(Val::string)
        .map_err(|_| too_deep())
}

pub fn println(_: &mut State<'_>, a: &[Slot]) -> Res {
    let vals: Vec<Val> = a.iter().map(|s| s.val.clone()).collect();
    gofmt::sprintln(&vals)
        .map(Val::string)
        .map_err(|_| too_deep())
}

pub fn printf(_: &mut State<'_>, a: &[Slot]) -> Res {
    let format = arg_str(a, 0).to_string();
    let vals: Vec<Val> = a.iter().skip(1).map(|s| s.val.clone()).collect();
    gofmt::sprintf(&format, &vals)
        .map(Val::string)
        .map_err(|_| too_deep())
}

pub fn len(_: &mut State<'_>, a: &[Slot]) -> Res {
    let Some(item) = a.first() else {
        return Err(FnError::Go("len of nil pointer".into()));
    };
    if item.is_nil_iface() {
        return Err(FnError::Go("len of nil pointer".into()));
    }
    match &item.val {
        Val::Invalid => Err(FnError::Go(
            "reflect: call of reflect.Value.Type on zero Value".into(),
        )),
        v => match v.len() {
            Some(n) => Ok(Val::Int(n as i64)),
            None => Err(FnError::Go(format!("len of type {}", v.type_name()))),
        },
    }
}

pub fn not(_: &mut State<'_>, a: &[Slot]) -> Res {
    Ok(Val::Bool(!a.first().is_some_and(|s| s.val.truth())))
}

/// `indexArg`.
fn index_arg(index: &Val, cap: usize) -> Result<usize, FnError> {
    let x = match index {
        Val::Int(i) | Val::Int64(i) => *i,
        Val::Invalid => return Err(FnError::Go("cannot index slice/array with nil".into())),
        other => {
            return Err(FnError::Go(format!(
                "cannot index slice/array with type {}",
                other.type_name()
            )));
        }
    };
    if x < 0 || x as u64 > cap as u64 {
        return Err(FnError::Go(format!("index out of range: {x}")));
    }
    Ok(x as usize)
}

pub fn index(_: &mut State<'_>, a: &[Slot]) -> Res {
    let Some(first) = a.first() else {
        return Err(FnError::Go("index of untyped nil".into()));
    };
    if !first.val.is_valid() {
        return Err(FnError::Go("index of untyped nil".into()));
    }
    let mut item = Slot::plain(first.val.clone());
    for idx in &a[1..] {
        if item.is_nil_iface() {
            return Err(FnError::Go("index of nil pointer".into()));
        }
        let index = &idx.val;
        item = match &item.val {
            Val::List(l) => {
                let x = index_arg(index, l.items.len())?;
                match l.items.get(x) {
                    Some(v) => Slot::elem(v.clone(), &l.elem),
                    None => return Err(FnError::Go("reflect: slice index out of range".into())),
                }
            }
            Val::Str(s) => {
                let x = index_arg(index, s.len())?;
                match s.as_bytes().get(x) {
                    Some(b) => Slot::plain(Val::Int(*b as i64)),
                    None => return Err(FnError::Go("reflect: string index out of range".into())),
                }
            }
            Val::Map(m) => {
                let key = match index {
                    Val::Str(k) => k.clone(),
                    Val::Invalid => {
                        return Err(FnError::Go("value is nil; should be of type string".into()));
                    }
                    other => {
                        return Err(FnError::Go(format!(
                            "value has type {}; should be string",
                            other.type_name()
                        )));
                    }
                };
                let m = m.borrow();
                match m.entries.get(&*key) {
                    Some(v) => Slot::elem(v.clone(), &m.elem),
                    None => zero_of(&m.elem),
                }
            }
            other => {
                return Err(FnError::Go(format!(
                    "can't index item of type {}",
                    other.type_name()
                )));
            }
        };
    }
    // The executor unwraps interfaces at the end of the pipeline; keep the slot's view.
    Ok(item.val)
}

fn zero_of(elem: &super::value::Ty) -> Slot {
    use super::value::Ty;
    match elem {
        Ty::Any => Slot {
            val: Val::Invalid,
            iface: true,
        },
        Ty::Str => Slot::plain(Val::str("")),
        Ty::Int => Slot::plain(Val::Int(0)),
        Ty::Int64 => Slot::plain(Val::Int64(0)),
        Ty::Float64 => Slot::plain(Val::Float(0.0)),
        Ty::Bool => Slot::plain(Val::Bool(false)),
        _ => Slot::default(),
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Invalid,
    Bool,
    Int,
    Float,
    Str,
}

fn basic_kind(v: &Val) -> Kind {
    match v {
        Val::Bool(_) => Kind::Bool,
        Val::Int(_) | Val::Int64(_) => Kind::Int,
        Val::Float(_) => Kind::Float,
        Val::Str(_) => Kind::Str,
        _ => Kind::Invalid,
    }
}

fn pct_s(v: &Val) -> String {
    gofmt::sprintf("%s", std::slice::from_ref(v)).unwrap_or_default()
}

fn eq_vals(a1: &Val, args: &[&Val]) -> Result<bool, FnError> {
    if args.is_empty() {
        return Err(FnError::Go("missing argument for comparison".into()));
    }
    let k1 = basic_kind(a1);
    for arg in args {
        let k2 = basic_kind(arg);
        let truth = if k1 != k2 {
            if a1.is_valid() && arg.is_valid() {
                return Err(FnError::Go(format!(
                    "incompatible types for comparison: {} and {}",
                    a1.type_name(),
                    arg.type_name()
                )));
            }
            false
        } else {
            match (a1, arg) {
                (Val::Bool(x), Val::Bool(y)) => x == y,
                (Val::Int(x) | Val::Int64(x), Val::Int(y) | Val::Int64(y)) => x == y,
                (Val::Float(x), Val::Float(y)) => x == y,
                (Val::Str(x), Val::Str(y)) => x == y,
                _ => {
                    // Non-basic kinds: nil compares with nil; maps and slices are not
                    // comparable.
                    let same_kind = std::mem::discriminant(a1) == std::mem::discriminant(*arg);
                    if !same_kind && a1.is_valid() && arg.is_valid() {
                        return Err(FnError::Go(format!(
                            "non-comparable types {}: {}, {}: {}",
                            pct_s(a1),
                            a1.type_name(),
                            arg.type_name(),
                            gofmt::sprint_one(arg).unwrap_or_default()
                        )));
                    }
                    if !a1.is_valid() || !arg.is_valid() {
                        a1.is_valid() == arg.is_valid()
                    } else {
                        return Err(FnError::Go(format!(
                            "non-comparable type {}: {}",
                            pct_s(arg),
                            arg.type_name()
                        )));
                    }
                }
            }
        };
        if truth {
            return Ok(true);
        }
    }
    Ok(false)
}

fn lt_vals(a1: &Val, a2: &Val) -> Result<bool, FnError> {
    let bad = || FnError::Go("invalid type for comparison".into());
    let k1 = basic_kind(a1);
    if k1 == Kind::Invalid {
        return Err(bad());
    }
    let k2 = basic_kind(a2);
    if k2 == Kind::Invalid {
        return Err(bad());
    }
    if k1 != k2 {
        return Err(FnError::Go(format!(
            "incompatible types for comparison: {} and {}",
            a1.type_name(),
            a2.type_name()
        )));
    }
    Ok(match (a1, a2) {
        (Val::Int(x) | Val::Int64(x), Val::Int(y) | Val::Int64(y)) => x < y,
        (Val::Float(x), Val::Float(y)) => x < y,
        (Val::Str(x), Val::Str(y)) => x.as_bytes() < y.as_bytes(),
        _ => return Err(bad()),
    })
}

fn two(a: &[Slot]) -> (Val, Val) {
    (
        a.first().map(|s| s.val.clone()).unwrap_or_default(),
        a.get(1).map(|s| s.val.clone()).unwrap_or_default(),
    )
}

pub fn eq(_: &mut State<'_>, a: &[Slot]) -> Res {
    let a1 = a.first().map(|s| s.val.clone()).unwrap_or_default();
    let rest: Vec<&Val> = a.iter().skip(1).map(|s| &s.val).collect();
    eq_vals(&a1, &rest).map(Val::Bool)
}

pub fn ne(_: &mut State<'_>, a: &[Slot]) -> Res {
    let (x, y) = two(a);
    eq_vals(&x, &[&y]).map(|b| Val::Bool(!b))
}

pub fn lt(_: &mut State<'_>, a: &[Slot]) -> Res {
    let (x, y) = two(a);
    lt_vals(&x, &y).map(Val::Bool)
}

fn le_vals(x: &Val, y: &Val) -> Result<bool, FnError> {
    if lt_vals(x, y)? {
        return Ok(true);
    }
    eq_vals(x, &[y])
}

pub fn le(_: &mut State<'_>, a: &[Slot]) -> Res {
    let (x, y) = two(a);
    le_vals(&x, &y).map(Val::Bool)
}

pub fn gt(_: &mut State<'_>, a: &[Slot]) -> Res {
    let (x, y) = two(a);
    le_vals(&x, &y).map(|b| Val::Bool(!b))
}

pub fn ge(_: &mut State<'_>, a: &[Slot]) -> Res {
    let (x, y) = two(a);
    lt_vals(&x, &y).map(|b| Val::Bool(!b))
}
