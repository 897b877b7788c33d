//! Templates with provenance: the ApplicationSet template as a tree whose every value
//! remembers where in the ApplicationSet it was written, the mergo merge of a
//! generator's `template` over `spec.template`, and `deeplyReplace` (every string and map
//! key rendered with a parameter set).

use crate::argo::appset::generators::Cx;
use crate::argo::appset::{
    ExpandError, GeneratedApp, Origin, ParamSet, Part, RESOURCES_FINALIZER, escape_token,
};
use serde_json::{Map, Number, Value};
use std::collections::BTreeMap;

/// A JSON value with the origin of every node.
#[derive(Debug, Clone, PartialEq)]
pub struct Tree {
    pub v: TV,
    pub origin: Option<Origin>,
    /// For an object member whose key was templated: where the key came from.
    pub key_origin: Option<Origin>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TV {
    Null,
    Bool(bool),
    Num(Number),
    Str(String),
    Arr(Vec<Tree>),
    Obj(Vec<(String, Tree)>),
}

impl Tree {
    pub fn new(v: TV, origin: Option<Origin>) -> Tree {
        Tree {
            v,
            origin,
            key_origin: None,
        }
    }

    /// A tree of `v` written at `pointer` in the ApplicationSet.
    pub fn from_json(v: &Value, pointer: &str, part: Part) -> Tree {
        let origin = Some(Origin::Template {
            pointer: pointer.to_owned(),
            part,
            span: None,
            params: Vec::new(),
        });
        let v = match v {
            Value::Null => TV::Null,
            Value::Bool(b) => TV::Bool(*b),
            Value::Number(n) => TV::Num(n.clone()),
            Value::String(s) => TV::Str(s.clone()),
            Value::Array(items) => TV::Arr(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, x)| Tree::from_json(x, &format!("{pointer}/{i}"), part))
                    .collect(),
            ),
            Value::Object(m) => TV::Obj(
                m.iter()
                    .map(|(k, x)| {
                        let p = format!("{pointer}/{}", escape_token(k));
                        (k.clone(), Tree::from_json(x, &p, part))
                    })
                    .collect(),
            ),
        };
        Tree::new(v, origin)
    }

    pub fn get(&self, key: &str) -> Option<&Tree> {
        match &self.v {
            TV::Obj(m) => m.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Tree> {
        match &mut self.v {
            TV::Obj(m) => m.iter_mut().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Sets `key`, keeping its position when present.
    pub fn set(&mut self, key: &str, value: Tree) {
        if let TV::Obj(m) = &mut self.v {
            if let Some(slot) = m.iter_mut().find(|(k, _)| k == key) {
                slot.1 = value;
            } else {
                m.push((key.to_owned(), value));
            }
        }
    }

    pub fn remove(&mut self, key: &str) -> Option<Tree> {
        match &mut self.v {
            TV::Obj(m) => {
                let i = m.iter().position(|(k, _)| k == key)?;
                Some(m.remove(i).1)
            }
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.v {
            TV::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn to_json(&self) -> Value {
        match &self.v {
            TV::Null => Value::Null,
            TV::Bool(b) => Value::Bool(*b),
            TV::Num(n) => Value::Number(n.clone()),
            TV::Str(s) => Value::String(s.clone()),
            TV::Arr(items) => Value::Array(items.iter().map(Tree::to_json).collect()),
            TV::Obj(m) => {
                let mut out = Map::new();
                for (k, v) in m {
                    out.insert(k.clone(), v.to_json());
                }
                Value::Object(out)
            }
        }
    }

    /// Go's zero value test as mergo applies it (`isEmptyValue`).
    fn is_empty(&self) -> bool {
        match &self.v {
            TV::Null => true,
            TV::Bool(b) => !b,
            TV::Num(n) => n.as_f64() == Some(0.0),
            TV::Str(s) => s.is_empty(),
            TV::Arr(items) => items.is_empty(),
            TV::Obj(_) => false,
        }
    }
}

/// Fields Go holds behind a pointer (`*bool`, `*int64`): present means set, even at the
/// zero value.
fn is_pointer_scalar(path: &[&str]) -> bool {
    matches!(
        path,
        [.., "automated", "enabled"] | [.., "revisionHistoryLimit"]
    )
}

/// Fields Go holds as raw JSON (`runtime.RawExtension`): merged whole, never field by
/// field.
fn is_raw(path: &[&str]) -> bool {
    matches!(path, [.., "helm", "valuesObject"])
}

/// `mergo.Merge(dst, src)` without override: non-empty `dst` fields win, empty ones are
/// filled from `src`, objects are merged member by member, lists are kept whole.
pub fn merge(dst: &Tree, src: &Tree) -> Tree {
    merge_at(dst, src, &mut Vec::new())
}

fn merge_at<'p>(dst: &Tree, src: &'p Tree, path: &mut Vec<&'p str>) -> Tree {
    if is_pointer_scalar(path) && !matches!(dst.v, TV::Null) {
        return dst.clone();
    }
    match (&dst.v, &src.v) {
        (TV::Obj(d), TV::Obj(s)) if !is_raw(path) => {
            let mut out = d.clone();
            for (k, sv) in s {
                path.push(k.as_str());
                match out.iter_mut().find(|(dk, _)| dk == k) {
                    Some(slot) => {
                        let merged = merge_at(&slot.1, sv, path);
                        slot.1 = merged;
                    }
                    None => out.push((k.clone(), sv.clone())),
                }
                path.pop();
            }
            Tree::new(TV::Obj(out), dst.origin.clone())
        }
        (TV::Obj(d), _) if is_raw(path) && d.is_empty() => src.clone(),
        _ if dst.is_empty() => src.clone(),
        _ => dst.clone(),
    }
}

/// `GetTempApplication`: an Application with the template's `metadata.name`, `namespace`,
/// `labels`, `annotations`, `finalizers` and its `spec`.
pub fn temp_application(tmpl: &Tree) -> Tree {
    let mut meta = Vec::new();
    if let Some(m) = tmpl.get("metadata") {
        for key in ["name", "namespace", "labels", "annotations", "finalizers"] {
            if let Some(v) = m.get(key).filter(|v| !matches!(v.v, TV::Null)) {
                meta.push((key.to_owned(), v.clone()));
            }
        }
    }
    let spec = tmpl
        .get("spec")
        .filter(|s| !matches!(s.v, TV::Null))
        .cloned()
        .unwrap_or_else(|| Tree::new(TV::Obj(Vec::new()), None));
    let constant = |s: &str| Tree::new(TV::Str(s.to_owned()), None);
    Tree::new(
        TV::Obj(vec![
            ("apiVersion".to_owned(), constant("argoproj.io/v1alpha1")),
            ("kind".to_owned(), constant("Application")),
            ("metadata".to_owned(), Tree::new(TV::Obj(meta), None)),
            ("spec".to_owned(), spec),
        ]),
        None,
    )
}

/// `RenderTemplateParams`: renders every string and map key of the Application with the
/// parameter set, then adds the resources finalizer when the result has no finalizers and
/// `preserveResourcesOnDeletion` is not set. An empty parameter set leaves the template
/// as it is, finalizer included (Argo CD returns the template unrendered then).
pub fn render_app(
    cx: &Cx<'_>,
    app: &Tree,
    params: &ParamSet,
    preserve: bool,
) -> Result<Tree, ExpandError> {
    if params.values.is_empty() {
        return Ok(app.clone());
    }
    let data = Value::Object(params.values.clone());
    let mut out = render_tree(cx, app, &data)?;
    let has_finalizers = out
        .get("metadata")
        .and_then(|m| m.get("finalizers"))
        .is_some_and(|f| matches!(&f.v, TV::Arr(items) if !items.is_empty()));
    if !preserve && !has_finalizers {
        let fin = Tree::new(
            TV::Arr(vec![Tree::new(
                TV::Str(RESOURCES_FINALIZER.to_owned()),
                Some(Origin::Finalizer),
            )]),
            Some(Origin::Finalizer),
        );
        if let Some(meta) = out.get_mut("metadata") {
            meta.set("finalizers", fin);
        }
    }
    Ok(out)
}

/// `deeplyReplace`: strings are rendered, object keys too; members whose value is null
/// disappear (a nil pointer or nil map entry).
pub fn render_tree(cx: &Cx<'_>, t: &Tree, data: &Value) -> Result<Tree, ExpandError> {
    match &t.v {
        TV::Str(s) => {
            let pointer = template_pointer(t);
            let (text, refs) = cx.render_string(s, &pointer, data)?;
            Ok(Tree {
                v: TV::Str(text),
                origin: with_params(t.origin.clone(), refs),
                key_origin: t.key_origin.clone(),
            })
        }
        TV::Arr(items) => {
            let items = items
                .iter()
                .map(|x| render_tree(cx, x, data))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Tree {
                v: TV::Arr(items),
                origin: t.origin.clone(),
                key_origin: t.key_origin.clone(),
            })
        }
        TV::Obj(members) => {
            let mut out: Vec<(String, Tree)> = Vec::with_capacity(members.len());
            for (k, v) in members {
                if matches!(v.v, TV::Null) {
                    continue;
                }
                let mut value = render_tree(cx, v, data)?;
                let key = if k.contains("{{") {
                    let pointer = template_pointer(v);
                    let (text, refs) = cx.render_string(k, &pointer, data)?;
                    value.key_origin = with_params(v.origin.clone(), refs);
                    text
                } else {
                    k.clone()
                };
                // Two keys that render alike: one map entry, the last one written.
                match out.iter_mut().find(|(ok, _)| *ok == key) {
                    Some(slot) => slot.1 = value,
                    None => out.push((key, value)),
                }
            }
            Ok(Tree {
                v: TV::Obj(out),
                origin: t.origin.clone(),
                key_origin: t.key_origin.clone(),
            })
        }
        _ => Ok(t.clone()),
    }
}

fn template_pointer(t: &Tree) -> String {
    match &t.origin {
        Some(Origin::Template { pointer, .. }) => pointer.clone(),
        _ => String::new(),
    }
}

fn with_params(origin: Option<Origin>, refs: Vec<crate::argo::appset::ParamRef>) -> Option<Origin> {
    match origin {
        Some(Origin::Template {
            pointer,
            part,
            span,
            ..
        }) => Some(Origin::Template {
            pointer,
            part,
            span,
            params: refs,
        }),
        other => other,
    }
}

/// Forces `metadata.namespace` to the ApplicationSet's namespace.
pub fn force_namespace(mut app: Tree, namespace: &str, pointer: Option<String>) -> Tree {
    let ns = Tree::new(
        TV::Str(namespace.to_owned()),
        Some(Origin::Namespace { pointer }),
    );
    if app.get("metadata").is_none() {
        app.set("metadata", Tree::new(TV::Obj(Vec::new()), None));
    }
    if let Some(meta) = app.get_mut("metadata") {
        if meta.get("namespace").is_some() {
            meta.set("namespace", ns);
        } else if let TV::Obj(m) = &mut meta.v {
            let at = usize::from(m.first().is_some_and(|(k, _)| k == "name"));
            m.insert(at, ("namespace".to_owned(), ns));
        }
    }
    app
}

/// The generated Application as JSON with the origin of every string.
pub fn finish(app: Tree, generator: String, params: ParamSet) -> GeneratedApp {
    let mut fields = BTreeMap::new();
    let mut keys = BTreeMap::new();
    collect(&app, String::new(), &mut fields, &mut keys);
    let json = app.to_json();
    let meta = |k: &str| {
        json.pointer(&format!("/metadata/{k}"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    GeneratedApp {
        namespace: meta("namespace"),
        name: meta("name"),
        app: json,
        generator,
        params,
        fields,
        keys,
    }
}

fn collect(
    t: &Tree,
    at: String,
    fields: &mut BTreeMap<String, Origin>,
    keys: &mut BTreeMap<String, Origin>,
) {
    if let Some(o) = &t.key_origin {
        keys.insert(at.clone(), o.clone());
    }
    match &t.v {
        TV::Str(_) => {
            if let Some(o) = &t.origin {
                fields.insert(at, o.clone());
            }
        }
        TV::Arr(items) => {
            for (i, x) in items.iter().enumerate() {
                collect(x, format!("{at}/{i}"), fields, keys);
            }
        }
        TV::Obj(m) => {
            for (k, x) in m {
                collect(x, format!("{at}/{}", escape_token(k)), fields, keys);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tree(v: Value, at: &str) -> Tree {
        Tree::from_json(&v, at, Part::Template)
    }

    #[test]
    fn mergo_keeps_non_empty_generator_fields() {
        // §5.1 step 1: non-empty generator-template fields win, empty ones are filled.
        let generator = tree(
            json!({
                "metadata": {"name": "gen-{{x}}", "labels": {"a": "", "b": "g"}},
                "spec": {
                    "project": "",
                    "source": {"path": "gen"},
                    "syncPolicy": {"automated": {"prune": false, "enabled": false}},
                    "ignoreDifferences": [{"kind": "A"}]
                }
            }),
            "/g",
        );
        let base = tree(
            json!({
                "metadata": {"name": "base", "labels": {"a": "t", "c": "t"}},
                "spec": {
                    "project": "default",
                    "source": {"repoURL": "r", "path": "base"},
                    "syncPolicy": {"automated": {"prune": true, "enabled": true}},
                    "ignoreDifferences": [{"kind": "B"}, {"kind": "C"}],
                    "destination": {"namespace": "ns"}
                }
            }),
            "/t",
        );
        let merged = merge(&generator, &base);
        assert_eq!(
            merged.to_json(),
            json!({
                "metadata": {"name": "gen-{{x}}", "labels": {"a": "t", "b": "g", "c": "t"}},
                "spec": {
                    "project": "default",
                    "source": {"path": "gen", "repoURL": "r"},
                    "syncPolicy": {"automated": {"prune": true, "enabled": false}},
                    "ignoreDifferences": [{"kind": "A"}],
                    "destination": {"namespace": "ns"}
                }
            })
        );
        // Provenance follows the value that won.
        let origin = |t: &Tree| match &t.origin {
            Some(Origin::Template { pointer, .. }) => pointer.clone(),
            _ => String::new(),
        };
        let spec = merged.get("spec").unwrap_or(&merged);
        assert_eq!(
            origin(spec.get("project").unwrap_or(spec)),
            "/t/spec/project"
        );
        let src = spec.get("source").unwrap_or(spec);
        assert_eq!(
            origin(src.get("path").unwrap_or(src)),
            "/g/spec/source/path"
        );
    }

    #[test]
    fn raw_values_objects_are_not_merged_field_by_field() {
        let g = tree(json!({"helm": {"valuesObject": {"a": 1}}}), "/g");
        let b = tree(json!({"helm": {"valuesObject": {"b": 2}}}), "/t");
        assert_eq!(
            merge(&g, &b).to_json(),
            json!({"helm": {"valuesObject": {"a": 1}}})
        );
        let g = tree(json!({"helm": {"valuesObject": {}}}), "/g");
        assert_eq!(
            merge(&g, &b).to_json(),
            json!({"helm": {"valuesObject": {"b": 2}}})
        );
    }

    #[test]
    fn temp_application_keeps_the_template_meta_fields() {
        let t = tree(
            json!({
                "metadata": {"name": "n", "generateName": "x-", "labels": {"a": "b"}, "namespace": null},
                "spec": {"project": "p"}
            }),
            "/spec/template",
        );
        assert_eq!(
            temp_application(&t).to_json(),
            json!({
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "Application",
                "metadata": {"name": "n", "labels": {"a": "b"}},
                "spec": {"project": "p"}
            })
        );
    }

    #[test]
    fn namespace_is_forced_after_the_name() {
        let t = tree(json!({"metadata": {"name": "n"}, "spec": {}}), "/t");
        let app = force_namespace(t, "argocd", None);
        let keys: Vec<String> = match &app.get("metadata").map(|m| m.v.clone()) {
            Some(TV::Obj(m)) => m.iter().map(|(k, _)| k.clone()).collect(),
            _ => Vec::new(),
        };
        assert_eq!(keys, ["name", "namespace"]);
    }
}
