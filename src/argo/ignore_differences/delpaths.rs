//! gojq's `delpaths` on `serde_json` values, the deletion behind `del(E)` in
//! `jqPathExpressions` (semantics notes §4.4).
//!
//! gojq differs from jaq here (checked against gojq): a path through `null` or to a
//! missing key or index is a silent no-op, indices are truncated (`1.7` is 1), negative
//! indices count from the end, and every index refers to the array *as it was* before
//! the call: gojq marks deleted elements and drops the marks at the end, so
//! `del(.a[0], .a[2])` on `[1,2,3,4]` gives `[2,4]`. Paths are sorted (jq order) and
//! applied from the last, which only matters for object keys.

use super::pointer::escape_token;
use serde_json::Value;
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

/// One resolved step of a path in the original document.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Step {
    Key(String),
    Index(usize),
}

/// Deletes `paths` (each a JSON array of keys, indices and `{start, end}` slices) from
/// `doc`. Returns the JSON pointers, into `doc` as it was, of what was deleted; on error
/// (gojq's message) `doc` is unchanged.
pub fn delete_paths(doc: &mut Value, paths: &[Value]) -> Result<Vec<String>, String> {
    let mut sorted: Vec<&[Value]> = Vec::with_capacity(paths.len());
    for p in paths {
        match p {
            Value::Array(items) => sorted.push(items),
            other => return Err(format!("delpaths cannot be applied to: {}", preview(other))),
        }
    }
    sorted.sort_by(|a, b| cmp_arrays(a, b));
    sorted.dedup();
    let mut work = doc.clone();
    let mut marks: BTreeMap<Vec<Step>, BTreeSet<usize>> = BTreeMap::new();
    let mut removed: Vec<Vec<Step>> = Vec::new();
    for path in sorted.iter().rev() {
        if path.is_empty() {
            work = Value::Null;
            removed.push(Vec::new());
            marks.clear();
            continue;
        }
        delete_one(&mut work, path, &mut marks, &mut removed)?;
    }
    // Drop marked array elements, deepest arrays first so outer indices stay valid.
    for (at, indices) in marks.iter().rev() {
        if let Some(Value::Array(items)) = step_mut(&mut work, at) {
            for i in indices.iter().rev() {
                if *i < items.len() {
                    items.remove(*i);
                }
            }
        }
    }
    *doc = work;
    removed.sort();
    removed.dedup();
    Ok(removed.iter().map(|p| pointer_of(p)).collect())
}

fn pointer_of(steps: &[Step]) -> String {
    steps.iter().fold(String::new(), |mut out, s| {
        out.push('/');
        match s {
            Step::Key(k) => out.push_str(&escape_token(k)),
            Step::Index(i) => out.push_str(&i.to_string()),
        }
        out
    })
}

fn step_mut<'a>(doc: &'a mut Value, steps: &[Step]) -> Option<&'a mut Value> {
    steps.iter().try_fold(doc, |v, s| match (v, s) {
        (Value::Object(m), Step::Key(k)) => m.get_mut(k.as_str()),
        (Value::Array(a), Step::Index(i)) => a.get_mut(*i),
        _ => None,
    })
}

/// An index key as gojq reads it: truncated toward zero, negative from the end.
fn resolve_index(n: f64, len: usize) -> Option<usize> {
    let t = n.trunc();
    let len_f = len as f64;
    let i = if t < 0.0 { t + len_f } else { t };
    if i < 0.0 || i >= len_f {
        return None;
    }
    // In range of `len`, so the conversion is exact.
    Some(i as usize)
}

/// A `{start, end}` slice over `len` elements, clamped; missing or non-number bounds are
/// the array's ends.
fn resolve_slice(slice: &serde_json::Map<String, Value>, len: usize) -> (usize, usize) {
    let bound = |key: &str, default: usize| -> usize {
        match slice.get(key).and_then(Value::as_f64) {
            Some(n) => {
                let t = n.floor();
                let len_f = len as f64;
                let i = if t < 0.0 {
                    (t + len_f).max(0.0)
                } else {
                    t.min(len_f)
                };
                i as usize
            }
            None => default,
        }
    };
    let start = bound("start", 0);
    let end = bound("end", len);
    (start, end.max(start))
}

fn is_slice(v: &Value) -> Option<&serde_json::Map<String, Value>> {
    match v {
        Value::Object(m) if m.contains_key("start") || m.contains_key("end") => Some(m),
        _ => None,
    }
}

enum Action {
    Done,
    RemoveKey(String),
    Mark(Vec<usize>),
    DescendKey(String),
    DescendIndex(usize),
    View(usize, usize),
}

/// What one step does to the current value (read-only, so the borrow stays simple).
fn decide(
    cur: &Value,
    key: &Value,
    view: Option<(usize, usize)>,
    final_step: bool,
) -> Result<Action, String> {
    match cur {
        Value::Null => Ok(Action::Done),
        Value::Object(map) => match key {
            Value::String(k) if final_step => Ok(Action::RemoveKey(k.clone())),
            Value::String(k) => Ok(Action::DescendKey(k.clone())),
            Value::Number(_) | Value::Object(_) => Err(format!(
                "expected an array but got: {}",
                preview(&Value::Object(map.clone()))
            )),
            other => Err(format!(
                "expected a string for object key but got: {}",
                preview(other)
            )),
        },
        Value::Array(items) => {
            let (base, len) = match view {
                Some((s, e)) => (s, e - s),
                None => (0, items.len()),
            };
            match key {
                Value::Number(num) => match num.as_f64().and_then(|f| resolve_index(f, len)) {
                    None => Ok(Action::Done),
                    Some(i) if final_step => Ok(Action::Mark(vec![base + i])),
                    Some(i) => Ok(Action::DescendIndex(base + i)),
                },
                Value::Object(_) => {
                    let Some(slice) = is_slice(key) else {
                        return Err(format!(
                            "expected \"start\" and \"end\" for slicing but got: {}",
                            preview(key)
                        ));
                    };
                    let (s, e) = resolve_slice(slice, len);
                    let (s, e) = (base + s, base + e);
                    if final_step {
                        Ok(Action::Mark((s..e).collect()))
                    } else {
                        Ok(Action::View(s, e))
                    }
                }
                Value::String(_) => Err(format!("expected an object but got: {}", preview(cur))),
                other => Err(format!(
                    "expected a number for indexing an array but got: {}",
                    preview(other)
                )),
            }
        }
        scalar => Err(match key {
            Value::String(_) => format!("expected an object but got: {}", preview(scalar)),
            _ => format!("expected an array but got: {}", preview(scalar)),
        }),
    }
}

fn delete_one(
    doc: &mut Value,
    path: &[Value],
    marks: &mut BTreeMap<Vec<Step>, BTreeSet<usize>>,
    removed: &mut Vec<Vec<Step>>,
) -> Result<(), String> {
    let mut at: Vec<Step> = Vec::new();
    let mut cur: &mut Value = doc;
    // A slice restricts the current array to `[start, end)` for the next step.
    let mut view: Option<(usize, usize)> = None;
    let last = path.len().saturating_sub(1);
    for (n, key) in path.iter().enumerate() {
        match decide(cur, key, view, n == last)? {
            Action::Done => return Ok(()),
            Action::RemoveKey(k) => {
                if let Value::Object(map) = cur
                    && map.shift_remove(k.as_str()).is_some()
                {
                    let mut p = at.clone();
                    p.push(Step::Key(k));
                    removed.push(p);
                }
                return Ok(());
            }
            Action::Mark(indices) => {
                let set = marks.entry(at.clone()).or_default();
                for i in indices {
                    if set.insert(i) {
                        let mut p = at.clone();
                        p.push(Step::Index(i));
                        removed.push(p);
                    }
                }
                return Ok(());
            }
            Action::View(s, e) => view = Some((s, e)),
            Action::DescendKey(k) => {
                view = None;
                let next = match cur {
                    Value::Object(map) => map.get_mut(k.as_str()),
                    _ => None,
                };
                let Some(next) = next else {
                    return Ok(());
                };
                at.push(Step::Key(k));
                cur = next;
            }
            Action::DescendIndex(i) => {
                view = None;
                let next = match cur {
                    Value::Array(items) => items.get_mut(i),
                    _ => None,
                };
                let Some(next) = next else {
                    return Ok(());
                };
                at.push(Step::Index(i));
                cur = next;
            }
        }
    }
    Ok(())
}

/// `type (json)` with the JSON shortened, as gojq words values in errors.
pub fn preview(v: &Value) -> String {
    let kind = match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    if v.is_null() {
        return "null".into();
    }
    let text = v.to_string();
    let short = if text.len() > 30 {
        format!("{} ...", &text[..text.floor_char_boundary(27)])
    } else {
        text
    };
    format!("{kind} ({short})")
}

/// jq's total order: null < false < true < numbers < strings < arrays < objects.
pub fn jq_cmp(a: &Value, b: &Value) -> Ordering {
    fn rank(v: &Value) -> u8 {
        match v {
            Value::Null => 0,
            Value::Bool(false) => 1,
            Value::Bool(true) => 2,
            Value::Number(_) => 3,
            Value::String(_) => 4,
            Value::Array(_) => 5,
            Value::Object(_) => 6,
        }
    }
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap_or(0.0), y.as_f64().unwrap_or(0.0));
            x.partial_cmp(&y).unwrap_or(Ordering::Equal)
        }
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (Value::Array(x), Value::Array(y)) => cmp_arrays(x, y),
        (Value::Object(x), Value::Object(y)) => {
            let mut kx: Vec<&String> = x.keys().collect();
            let mut ky: Vec<&String> = y.keys().collect();
            kx.sort();
            ky.sort();
            kx.cmp(&ky).then_with(|| {
                kx.iter()
                    .map(|k| jq_cmp(&x[k.as_str()], &y[k.as_str()]))
                    .find(|o| *o != Ordering::Equal)
                    .unwrap_or(Ordering::Equal)
            })
        }
        _ => rank(a).cmp(&rank(b)),
    }
}

fn cmp_arrays(x: &[Value], y: &[Value]) -> Ordering {
    x.iter()
        .zip(y)
        .map(|(a, b)| jq_cmp(a, b))
        .find(|o| *o != Ordering::Equal)
        .unwrap_or_else(|| x.len().cmp(&y.len()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn del(doc: Value, paths: Value) -> Result<(Value, Vec<String>), String> {
        let mut d = doc;
        let list = match paths {
            Value::Array(a) => a,
            other => vec![other],
        };
        delete_paths(&mut d, &list).map(|r| (d, r))
    }

    /// §4.4, every row checked against gojq's `delpaths`.
    #[test]
    fn gojq_delpaths_table() {
        let a3 = json!({"a": [1, 2, 3]});
        let ok = |doc: Value, paths: Value, want: Value| {
            let got = del(doc, paths.clone()).map(|(d, _)| d);
            assert_eq!(got, Ok(want), "paths {paths}");
        };
        ok(
            json!({"a": [1, 2]}),
            json!([["a", -5]]),
            json!({"a": [1, 2]}),
        );
        ok(json!({"a": [1, 2]}), json!([["a", -1]]), json!({"a": [1]}));
        ok(
            json!({"a": [1, 2]}),
            json!([["a", 5]]),
            json!({"a": [1, 2]}),
        );
        ok(
            a3.clone(),
            json!([["a", {"start": 0, "end": 1}]]),
            json!({"a": [2, 3]}),
        );
        ok(
            a3.clone(),
            json!([["a", {"start": 1, "end": null}]]),
            json!({"a": [1]}),
        );
        ok(
            a3.clone(),
            json!([["a", {"start": -2, "end": null}]]),
            json!({"a": [1]}),
        );
        ok(
            a3.clone(),
            json!([["a", {"start": null, "end": 2}]]),
            json!({"a": [3]}),
        );
        ok(
            a3.clone(),
            json!([["a", {"start": 0.5, "end": 1.5}]]),
            json!({"a": [2, 3]}),
        );
        ok(
            a3.clone(),
            json!([["a", {"start": 2, "end": 1}]]),
            a3.clone(),
        );
        ok(a3.clone(), json!([["a", 1.7]]), json!({"a": [1, 3]}));
        ok(a3.clone(), json!([["a", -1.5]]), json!({"a": [1, 2]}));
        ok(json!({"a": 1}), json!([[]]), Value::Null);
        ok(
            json!({"a": null}),
            json!([["a", "b", "c"]]),
            json!({"a": null}),
        );
        ok(json!({"a": []}), json!([["a", 0, "b"]]), json!({"a": []}));
        ok(
            json!({"a": {"b": 1}}),
            json!([["a"], ["a", "b"]]),
            json!({}),
        );
        // indices refer to the original array (gojq marks, then compacts)
        ok(
            json!({"a": [1, 2, 3, 4]}),
            json!([["a", {"start": 0, "end": 1}], ["a", 2]]),
            json!({"a": [2, 4]}),
        );
        ok(
            json!({"a": [1, 2, 3, 4]}),
            json!([["a", {"start": 1, "end": 3}], ["a", 2]]),
            json!({"a": [1, 4]}),
        );
        ok(
            a3.clone(),
            json!([["a", 1], ["a", 1]]),
            json!({"a": [1, 3]}),
        );
        ok(
            a3.clone(),
            json!([["a", -1], ["a", 2]]),
            json!({"a": [1, 2]}),
        );
        ok(a3.clone(), json!([["a", 0], ["a", -1]]), json!({"a": [2]}));
        ok(
            json!({"a": [1, 2, 3], "b": 1}),
            json!([["b"], ["a", 1], ["a", 0]]),
            json!({"a": [3]}),
        );
        // a slice then an index inside it
        ok(
            a3.clone(),
            json!([["a", {"start": 1, "end": null}, 0]]),
            json!({"a": [1, 3]}),
        );
        ok(
            json!({"a": [1, 2, 3, 4]}),
            json!([["a", {"start": 1, "end": null}, {"start": 0, "end": 1}]]),
            json!({"a": [1, 3, 4]}),
        );
        ok(
            json!({"a": [1, 2, 3, 4]}),
            json!([["a", {"start": 2, "end": null}], ["a", 1]]),
            json!({"a": [1]}),
        );
        // errors
        let err = |doc: Value, paths: Value, msg: &str| {
            let got = del(doc, paths.clone());
            assert!(
                got.as_ref().is_err_and(|e| e.starts_with(msg)),
                "paths {paths}: {got:?}"
            );
        };
        err(
            json!({"a": "str"}),
            json!([["a", "b"]]),
            "expected an object but got: string (\"str\")",
        );
        err(
            json!({"a": {"b": 1}}),
            json!([["a", 0]]),
            "expected an array but got: object",
        );
        err(
            json!({"a": [1, 2]}),
            json!([["a", "x"]]),
            "expected an object but got: array ([1,2])",
        );
        err(
            json!({"a": [1]}),
            json!([["a", null]]),
            "expected a number for indexing an array but got: null",
        );
        err(
            json!({"a": {"b": 5}}),
            json!([["a", "b", "c"]]),
            "expected an object but got: number (5)",
        );
        err(
            json!({"a": 1}),
            json!([[0]]),
            "expected an array but got: object",
        );
        err(
            json!({"a": {"b": 1}}),
            json!([["a", true]]),
            "expected a string for object key but got: boolean (true)",
        );
        err(
            json!({"a": 1}),
            json!(5),
            "delpaths cannot be applied to: number (5)",
        );
    }

    #[test]
    fn reports_original_pointers() {
        let got = del(
            json!({"a": [1, 2, 3], "b/c": {"d": 1}}),
            json!([["a", 0], ["a", 2], ["b/c", "d"], ["x"]]),
        );
        assert_eq!(
            got,
            Ok((
                json!({"a": [2], "b/c": {}}),
                vec!["/a/0".into(), "/a/2".into(), "/b~1c/d".into()]
            ))
        );
        let got = del(json!({"a": 1}), json!([[]]));
        assert_eq!(got, Ok((Value::Null, vec![String::new()])));
    }

    #[test]
    fn jq_order() {
        let mut v = vec![
            json!({"a": 1}),
            json!([1]),
            json!("b"),
            json!(2),
            json!(true),
            json!(false),
            Value::Null,
            json!("a"),
            json!(-1),
        ];
        v.sort_by(jq_cmp);
        assert_eq!(
            v,
            vec![
                Value::Null,
                json!(false),
                json!(true),
                json!(-1),
                json!(2),
                json!("a"),
                json!("b"),
                json!([1]),
                json!({"a": 1})
            ]
        );
        assert_eq!(
            cmp_arrays(&[json!("a")], &[json!("a"), json!(0)]),
            Ordering::Less
        );
    }
}
