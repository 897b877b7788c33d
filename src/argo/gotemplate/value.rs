//! The values a template works on, modelled on the Go values Argo CD holds.
//!
//! Argo CD hands `text/template` a `map[string]interface{}` decoded from JSON, so every
//! number in the parameters is a `float64`, objects are `map[string]interface{}` and
//! arrays `[]interface{}`. Template literals and sprig functions add `int`, `int64`,
//! `[]string`, `map[string]string` and so on. The Go *type* matters: comparisons
//! (`eq 1 .replicas` fails with "incompatible types" because `1` is an `int` and the
//! parameter a `float64`), argument checks (`upper .count` fails with "wrong type for
//! value; expected string; got float64") and error messages all depend on it, so each
//! value carries it.
//!
//! Maps are shared and mutable, as in Go: sprig's `set`, `unset`, `merge` change the
//! map every alias sees (`{{ $_ := set $d "k" 1 }}` is a common idiom). Lists are
//! immutable (sprig's list functions all copy).

use serde_json::Value as Json;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;

/// A Go type, as far as templates can observe it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ty {
    /// `interface {}`
    Any,
    Bool,
    /// Go's `int`.
    Int,
    Int64,
    Float64,
    Str,
    /// `[]T`
    Slice(Box<Ty>),
    /// `map[string]T`
    Map(Box<Ty>),
}

impl Ty {
    pub fn slice_of(t: Ty) -> Ty {
        Ty::Slice(Box::new(t))
    }

    pub fn map_of(t: Ty) -> Ty {
        Ty::Map(Box::new(t))
    }
}

impl fmt::Display for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ty::Any => f.write_str("interface {}"),
            Ty::Bool => f.write_str("bool"),
            Ty::Int => f.write_str("int"),
            Ty::Int64 => f.write_str("int64"),
            Ty::Float64 => f.write_str("float64"),
            Ty::Str => f.write_str("string"),
            Ty::Slice(e) => write!(f, "[]{e}"),
            Ty::Map(e) => write!(f, "map[string]{e}"),
        }
    }
}

/// A Go map with string keys. Go prints and ranges over maps in sorted key order, so a
/// sorted map loses nothing observable.
#[derive(Debug)]
pub struct GoMap {
    pub elem: Ty,
    pub entries: BTreeMap<String, Val>,
}

/// A Go slice.
#[derive(Debug)]
pub struct GoList {
    pub elem: Ty,
    pub items: Vec<Val>,
}

pub type MapRef = Rc<RefCell<GoMap>>;

/// A value. `Invalid` is Go's zero `reflect.Value`: "no value", what a missing map key or
/// a nil interface turns into.
#[derive(Clone, Debug, Default)]
pub enum Val {
    #[default]
    Invalid,
    Bool(bool),
    /// Go `int`.
    Int(i64),
    Int64(i64),
    Float(f64),
    Str(Rc<str>),
    List(Rc<GoList>),
    Map(MapRef),
}

/// A value together with whether Go sees it through an `interface {}` slot (an element
/// of a `map[string]interface{}` or `[]interface{}`). That changes some error messages
/// (`can't evaluate field x in type interface {}`) and makes a nil element a "nil
/// pointer" rather than a missing value.
#[derive(Clone, Debug, Default)]
pub struct Slot {
    pub val: Val,
    pub iface: bool,
}

impl Slot {
    pub fn plain(val: Val) -> Slot {
        Slot { val, iface: false }
    }

    /// An element read out of a container whose element type is `elem`.
    pub fn elem(val: Val, elem: &Ty) -> Slot {
        Slot {
            val,
            iface: *elem == Ty::Any,
        }
    }

    /// A nil `interface {}` (a JSON `null`, or missingkey=zero on an interface map).
    pub fn is_nil_iface(&self) -> bool {
        self.iface && matches!(self.val, Val::Invalid)
    }

    /// The static type Go reports for this slot.
    pub fn type_name(&self) -> String {
        if self.iface {
            "interface {}".to_string()
        } else {
            self.val.type_name()
        }
    }
}

impl Val {
    pub fn str(s: &str) -> Val {
        Val::Str(Rc::from(s))
    }

    pub fn string(s: String) -> Val {
        Val::Str(Rc::from(s))
    }

    pub fn list(elem: Ty, items: Vec<Val>) -> Val {
        Val::List(Rc::new(GoList { elem, items }))
    }

    pub fn ty(&self) -> Option<Ty> {
        Some(match self {
            Val::Invalid => return None,
            Val::Bool(_) => Ty::Bool,
            Val::Int(_) => Ty::Int,
            Val::Int64(_) => Ty::Int64,
            Val::Float(_) => Ty::Float64,
            Val::Str(_) => Ty::Str,
            Val::List(l) => Ty::slice_of(l.elem.clone()),
            Val::Map(m) => Ty::map_of(m.borrow().elem.clone()),
        })
    }

    /// `%T`: the dynamic type, `<nil>` for no value.
    pub fn type_name(&self) -> String {
        match self.ty() {
            Some(t) => t.to_string(),
            None => "<nil>".to_string(),
        }
    }

    pub fn is_valid(&self) -> bool {
        !matches!(self, Val::Invalid)
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Val::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Go's `reflect.Kind` name, as sprig's `kindOf` reports it.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Val::Invalid => "invalid",
            Val::Bool(_) => "bool",
            Val::Int(_) => "int",
            Val::Int64(_) => "int64",
            Val::Float(_) => "float64",
            Val::Str(_) => "string",
            Val::List(_) => "slice",
            Val::Map(_) => "map",
        }
    }

    /// Length for strings (bytes), lists and maps.
    pub fn len(&self) -> Option<usize> {
        match self {
            Val::Str(s) => Some(s.len()),
            Val::List(l) => Some(l.items.len()),
            Val::Map(m) => Some(m.borrow().entries.len()),
            _ => None,
        }
    }

    /// Go's `template.IsTrue` (and sprig's `!empty`): the zero value of its type is
    /// false, empty strings, maps and slices are false, no value is false.
    pub fn truth(&self) -> bool {
        match self {
            Val::Invalid => false,
            Val::Bool(b) => *b,
            Val::Int(i) | Val::Int64(i) => *i != 0,
            Val::Float(f) => *f != 0.0,
            Val::Str(s) => !s.is_empty(),
            Val::List(l) => !l.items.is_empty(),
            Val::Map(m) => !m.borrow().entries.is_empty(),
        }
    }
}

impl Drop for GoList {
    fn drop(&mut self) {
        drop_iteratively(std::mem::take(&mut self.items));
    }
}

impl Drop for GoMap {
    fn drop(&mut self) {
        let entries = std::mem::take(&mut self.entries);
        drop_iteratively(entries.into_values().collect());
    }
}

/// Drops a tree of values without recursion, so a hostile template that nests a list a
/// million levels deep cannot overflow the stack when the value goes away.
fn drop_iteratively(mut stack: Vec<Val>) {
    while let Some(v) = stack.pop() {
        match v {
            Val::List(rc) => {
                if let Ok(mut list) = Rc::try_unwrap(rc) {
                    stack.append(&mut list.items);
                }
            }
            Val::Map(rc) => {
                if let Ok(cell) = Rc::try_unwrap(rc) {
                    let mut map = cell.into_inner();
                    let entries = std::mem::take(&mut map.entries);
                    stack.extend(entries.into_values());
                }
            }
            _ => {}
        }
    }
}

/// Creates maps and remembers them, so that maps made to contain themselves (`set $d
/// "me" $d`) can be emptied at the end of an execution instead of leaking.
#[derive(Default)]
pub struct Heap {
    maps: Vec<std::rc::Weak<RefCell<GoMap>>>,
}

impl Heap {
    pub fn new_map(&mut self, elem: Ty, entries: BTreeMap<String, Val>) -> Val {
        let rc = Rc::new(RefCell::new(GoMap { elem, entries }));
        self.maps.push(Rc::downgrade(&rc));
        Val::Map(rc)
    }

    /// Converts JSON the way Go's `encoding/json` decodes into `interface{}`: numbers
    /// become `float64`, objects `map[string]interface{}`, arrays `[]interface{}`,
    /// `null` a nil interface.
    pub fn load_json(&mut self, j: &Json) -> Val {
        // Iterative, so deep input cannot overflow the stack.
        enum Work<'a> {
            Visit(&'a Json),
            List(usize),
            Map(Vec<&'a String>),
        }
        let mut work = vec![Work::Visit(j)];
        let mut out: Vec<Val> = Vec::new();
        while let Some(w) = work.pop() {
            match w {
                Work::Visit(j) => match j {
                    Json::Null => out.push(Val::Invalid),
                    Json::Bool(b) => out.push(Val::Bool(*b)),
                    Json::Number(n) => out.push(Val::Float(n.as_f64().unwrap_or(0.0))),
                    Json::String(s) => out.push(Val::str(s)),
                    Json::Array(items) => {
                        work.push(Work::List(items.len()));
                        for item in items.iter().rev() {
                            work.push(Work::Visit(item));
                        }
                    }
                    Json::Object(m) => {
                        work.push(Work::Map(m.keys().collect()));
                        for v in m.values().rev() {
                            work.push(Work::Visit(v));
                        }
                    }
                },
                Work::List(n) => {
                    let items = out.split_off(out.len().saturating_sub(n));
                    out.push(Val::list(Ty::Any, items));
                }
                Work::Map(keys) => {
                    let vals = out.split_off(out.len().saturating_sub(keys.len()));
                    let entries = keys.into_iter().cloned().zip(vals).collect();
                    out.push(self.new_map(Ty::Any, entries));
                }
            }
        }
        out.pop().unwrap_or_default()
    }

    /// Empties every map this heap created, breaking reference cycles.
    pub fn clear(&mut self) {
        for weak in self.maps.drain(..) {
            if let Some(rc) = weak.upgrade() {
                let taken = match rc.try_borrow_mut() {
                    Ok(mut m) => std::mem::take(&mut m.entries),
                    Err(_) => continue,
                };
                drop(rc);
                drop_iteratively(taken.into_values().collect());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_numbers_become_float64_and_null_no_value() {
        let mut heap = Heap::default();
        let v = heap.load_json(&serde_json::json!({"a": 1, "b": [null, "x"], "c": true}));
        assert_eq!(v.type_name(), "map[string]interface {}");
        let Val::Map(m) = &v else { panic!("map") };
        let m = m.borrow();
        assert!(matches!(m.entries.get("a"), Some(Val::Float(f)) if *f == 1.0));
        let Some(Val::List(l)) = m.entries.get("b") else {
            panic!("list")
        };
        assert!(matches!(l.items[0], Val::Invalid));
        assert_eq!(l.items[1].as_str(), Some("x"));
        drop(m);
        heap.clear();
    }

    #[test]
    fn type_names_match_go() {
        assert_eq!(Ty::slice_of(Ty::Any).to_string(), "[]interface {}");
        assert_eq!(Ty::map_of(Ty::Str).to_string(), "map[string]string");
        assert_eq!(Val::Invalid.type_name(), "<nil>");
        assert_eq!(Val::Int64(1).type_name(), "int64");
    }

    #[test]
    fn deep_lists_drop_without_recursion() {
        let mut v = Val::list(Ty::Any, vec![]);
        for _ in 0..200_000 {
            v = Val::list(Ty::Any, vec![v]);
        }
        drop(v);
    }

    #[test]
    fn self_containing_map_is_emptied_by_clear() {
        let mut heap = Heap::default();
        let m = heap.new_map(Ty::Any, BTreeMap::new());
        if let Val::Map(rc) = &m {
            rc.borrow_mut().entries.insert("me".into(), m.clone());
        }
        let weak = match &m {
            Val::Map(rc) => Rc::downgrade(rc),
            _ => panic!("map"),
        };
        drop(m);
        assert!(weak.upgrade().is_some(), "cycle keeps the map alive");
        heap.clear();
        assert!(weak.upgrade().is_none(), "clear breaks the cycle");
    }
}
