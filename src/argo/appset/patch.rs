//! `spec.templatePatch` (`applicationset/controllers/template/patch.go`): rendered with
//! the same engine and parameters, read as YAML (or as JSON when it starts with `{`),
//! checked to decode as an Application, then strategic-merge-patched onto the rendered
//! Application; `spec.project` is put back afterwards (semantics §5.1 step 4, §5.6).
//!
//! The Application type carries no patch strategies except `metadata.finalizers`
//! (`merge`: the lists are united), so the patch otherwise merges like a JSON merge patch:
//! objects member by member, lists replaced, `null` deletes. The directives
//! `$patch: replace` and `$patch: delete` are honoured.

use crate::argo::appset::generators::Cx;
use crate::argo::appset::golang::quote;
use crate::argo::appset::template::{TV, Tree};
use crate::argo::appset::{ErrorKind, ExpandError, Origin, ParamRef, ParamSet, Part};
use serde_json::Value;

const POINTER: &str = "/spec/templatePatch";

/// Applies the template patch `text` to the rendered Application `app`.
pub fn apply(cx: &Cx<'_>, app: Tree, text: &str, params: &ParamSet) -> Result<Tree, ExpandError> {
    let data = Value::Object(params.values.clone());
    let (rendered, refs) = cx.replace(text, &data).map_err(|e| {
        e.at(POINTER)
            .wrap("error replacing values in templatePatch")
    })?;
    let patch = to_json(&rendered)?;
    check_application_shape(&patch).map_err(|m| {
        ExpandError::new(
            ErrorKind::TemplatePatch,
            POINTER,
            format!(
                "invalid templatePatch {}: {m}",
                quote(&serde_json::to_string(&patch).unwrap_or_default())
            ),
        )
    })?;
    let source = Source::new(text, refs);
    let project = app.get("spec").and_then(|s| s.get("project")).cloned();
    let mut out = match &patch {
        Value::Object(_) => strategic_merge(&app, &patch, &source, &mut Vec::new()),
        _ => app,
    };
    // `finalApp.Spec.Project = app.Spec.Project`, also when the patch removed `spec`.
    if out.get("spec").is_none() && project.is_some() {
        out.set("spec", Tree::new(TV::Obj(Vec::new()), None));
    }
    if let Some(spec) = out.get_mut("spec") {
        match project {
            Some(p) => spec.set("project", p),
            None => {
                spec.remove("project");
            }
        }
    }
    Ok(out)
}

/// `utils.ConvertYAMLToJSON`: text starting with `{` is taken as JSON as it is.
fn to_json(text: &str) -> Result<Value, ExpandError> {
    let fail = |m: String| {
        ExpandError::new(
            ErrorKind::TemplatePatch,
            POINTER,
            format!(
                "error while converting template to json {}: {m}",
                quote(text)
            ),
        )
    };
    if text.trim_start().starts_with('{') {
        return serde_json::from_str(text).map_err(|e| {
            ExpandError::new(
                ErrorKind::TemplatePatch,
                POINTER,
                format!("invalid templatePatch {}: {e}", quote(text)),
            )
        });
    }
    let parsed = crate::load::yaml::parse(text);
    if let Some(crate::load::yaml::Problem::Syntax { message, .. }) = parsed
        .problems
        .iter()
        .find(|p| matches!(p, crate::load::yaml::Problem::Syntax { .. }))
    {
        return Err(fail(format!(
            "error converting YAML to JSON: yaml: {message}"
        )));
    }
    Ok(parsed
        .documents
        .first()
        .map_or(Value::Null, |d| d.root.to_json()))
}

/// The decoding errors `json.Unmarshal(patch, &Application{})` would report for the shape
/// of the top levels.
fn check_application_shape(patch: &Value) -> Result<(), String> {
    let kind = |v: &Value| match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    match patch {
        Value::Null => Ok(()),
        Value::Object(m) => {
            for (key, ty) in [
                ("metadata", "v1.ObjectMeta"),
                ("spec", "v1alpha1.ApplicationSpec"),
            ] {
                if let Some(v) = m.get(key)
                    && !matches!(v, Value::Object(_) | Value::Null)
                {
                    return Err(format!(
                        "json: cannot unmarshal {} into Go struct field Application.{key} of type {ty}",
                        kind(v)
                    ));
                }
            }
            Ok(())
        }
        other => Err(format!(
            "json: cannot unmarshal {} into Go value of type v1alpha1.Application",
            kind(other)
        )),
    }
}

/// The unrendered patch text, to find where in it a patched value was written.
struct Source {
    root: Option<crate::load::yaml::Node>,
    refs: Vec<ParamRef>,
}

impl Source {
    fn new(text: &str, refs: Vec<ParamRef>) -> Source {
        let parsed = crate::load::yaml::parse(text);
        Source {
            root: parsed.documents.into_iter().next().map(|d| d.root),
            refs,
        }
    }

    /// The origin of the patch value at `path`: the span of the node with that path in
    /// the unrendered patch and the parameters referenced there, or the whole patch's.
    fn origin(&self, path: &[String]) -> Origin {
        let node = self.root.as_ref().and_then(|r| {
            path.iter().try_fold(r, |n, k| match &n.value {
                crate::load::yaml::Value::Seq(items) => {
                    k.parse::<usize>().ok().and_then(|i| items.get(i))
                }
                _ => n.get(k),
            })
        });
        let span = node.map(|n| n.start as usize..n.end as usize);
        let params = match &span {
            Some(r) => self
                .refs
                .iter()
                .filter(|p| p.range.start >= r.start && p.range.end <= r.end)
                .cloned()
                .collect(),
            None => self.refs.clone(),
        };
        Origin::Template {
            pointer: POINTER.to_owned(),
            part: Part::TemplatePatch,
            span,
            params,
        }
    }
}

fn from_patch(v: &Value, source: &Source, path: &mut Vec<String>) -> Tree {
    let v2 = match v {
        Value::Null => TV::Null,
        Value::Bool(b) => TV::Bool(*b),
        Value::Number(n) => TV::Num(n.clone()),
        Value::String(s) => TV::Str(s.clone()),
        Value::Array(items) => TV::Arr(
            items
                .iter()
                .enumerate()
                .map(|(i, x)| {
                    path.push(i.to_string());
                    let t = from_patch(x, source, path);
                    path.pop();
                    t
                })
                .collect(),
        ),
        Value::Object(m) => TV::Obj(
            m.iter()
                .filter(|(k, _)| !k.starts_with('$'))
                .map(|(k, x)| {
                    path.push(k.clone());
                    let t = from_patch(x, source, path);
                    path.pop();
                    (k.clone(), t)
                })
                .collect(),
        ),
    };
    Tree::new(v2, Some(source.origin(path)))
}

/// Strategic merge of the patch object `patch` onto `orig` (at `path`).
fn strategic_merge(orig: &Tree, patch: &Value, source: &Source, path: &mut Vec<String>) -> Tree {
    let Value::Object(pm) = patch else {
        return from_patch(patch, source, path);
    };
    match pm.get("$patch").and_then(Value::as_str) {
        Some("replace") => return from_patch(patch, source, path),
        Some("delete") => return Tree::new(TV::Null, Some(source.origin(path))),
        _ => {}
    }
    let mut out = match &orig.v {
        TV::Obj(_) => orig.clone(),
        _ => Tree::new(TV::Obj(Vec::new()), Some(source.origin(path))),
    };
    for (k, pv) in pm {
        if k.starts_with('$') {
            continue;
        }
        path.push(k.clone());
        let current = out.get(k).cloned();
        match (pv, current) {
            (Value::Null, _) => {
                out.remove(k);
            }
            (Value::Object(po), Some(cur)) if matches!(cur.v, TV::Obj(_)) => {
                let merged = strategic_merge(&cur, pv, source, path);
                if po.get("$patch").and_then(Value::as_str) == Some("delete") {
                    out.remove(k);
                } else {
                    out.set(k, merged);
                }
            }
            (Value::Object(po), _)
                if po.get("$patch").and_then(Value::as_str) == Some("delete") =>
            {
                out.remove(k);
            }
            (Value::Array(items), Some(cur)) if is_finalizers(path) => {
                let mut list = match cur.v {
                    TV::Arr(l) => l,
                    _ => Vec::new(),
                };
                for (i, item) in items.iter().enumerate() {
                    if !list.iter().any(|x| x.to_json() == *item) {
                        path.push(i.to_string());
                        list.push(from_patch(item, source, path));
                        path.pop();
                    }
                }
                out.set(k, Tree::new(TV::Arr(list), cur.origin.clone()));
            }
            (_, _) => out.set(k, strategic_value(pv, source, path)),
        }
        path.pop();
    }
    out
}

/// A patch value set where the original has none: directives are applied to nothing.
fn strategic_value(pv: &Value, source: &Source, path: &mut Vec<String>) -> Tree {
    match pv {
        Value::Object(_) => {
            strategic_merge(&Tree::new(TV::Obj(Vec::new()), None), pv, source, path)
        }
        other => from_patch(other, source, path),
    }
}

fn is_finalizers(path: &[String]) -> bool {
    matches!(path, [m, f] if m == "metadata" && f == "finalizers")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn merge(orig: Value, patch: Value) -> Value {
        let t = Tree::from_json(&orig, "/spec/template", Part::Template);
        let source = Source::new("", Vec::new());
        strategic_merge(&t, &patch, &source, &mut Vec::new()).to_json()
    }

    #[test]
    fn merges_like_a_json_merge_patch_except_finalizers() {
        let orig = json!({
            "metadata": {"name": "a", "finalizers": ["x"], "labels": {"k": "v"}},
            "spec": {"project": "p", "source": {"path": "a", "helm": {"valueFiles": ["1", "2"]}}}
        });
        let patch = json!({
            "metadata": {"finalizers": ["y", "x"], "labels": {"k": null, "n": "m"}},
            "spec": {"source": {"helm": {"valueFiles": ["3"]}}, "syncPolicy": {"automated": {}}}
        });
        assert_eq!(
            merge(orig, patch),
            json!({
                "metadata": {"name": "a", "finalizers": ["x", "y"], "labels": {"n": "m"}},
                "spec": {
                    "project": "p",
                    "source": {"path": "a", "helm": {"valueFiles": ["3"]}},
                    "syncPolicy": {"automated": {}}
                }
            })
        );
    }

    #[test]
    fn patch_directives() {
        let orig = json!({"spec": {"source": {"path": "a", "repoURL": "r"}, "info": {"a": 1}}});
        let patch = json!({"spec": {"source": {"$patch": "replace", "path": "b"}, "info": {"$patch": "delete"}}});
        assert_eq!(
            merge(orig, patch),
            json!({"spec": {"source": {"path": "b"}}})
        );
    }

    #[test]
    fn an_empty_spec_in_the_patch_clears_it() {
        // §5.1: `spec:` with no value is null, which deletes the field (#17040).
        let orig = json!({"metadata": {"name": "a"}, "spec": {"project": "p", "source": {}}});
        assert_eq!(
            merge(orig, json!({"spec": null})),
            json!({"metadata": {"name": "a"}})
        );
    }

    #[test]
    fn the_patch_must_decode_as_an_application() {
        assert!(check_application_shape(&json!({"spec": {}})).is_ok());
        assert!(check_application_shape(&Value::Null).is_ok());
        assert_eq!(
            check_application_shape(&json!(["x"])),
            Err(
                "json: cannot unmarshal array into Go value of type v1alpha1.Application"
                    .to_owned()
            )
        );
        assert!(check_application_shape(&json!({"spec": "x"})).is_err());
    }
}
