//! `managedFieldsManagers` (semantics notes §4.1, §4.2; Argo CD
//! `util/argo/managedfields/managed_fields.go` `Normalize`, called from
//! `util/argo/diff/diff.go` `preDiffNormalize` before the ignore normalizer, and only when
//! both the live and the desired object exist).
//!
//! Argo CD compares live with desired as structured-merge-diff typed values; for every
//! `metadata.managedFields` entry of the live object whose `manager` is trusted (exact
//! name; operation `Update` and `Apply` alike, any subresource), it intersects the
//! entry's `fieldsV1` set with the *modified* set of the comparison (atomic values present
//! on both sides with different values) and removes those items from both objects.
//!
//! We have no OpenAPI schema, so the schema's shape is read from `fieldsV1` itself, which
//! the API server wrote with that schema: `k:{...}` steps are associative lists matched by
//! their key fields, `v:` set items by value, `i:` by position, and an entry written as
//! `{}` (a leaf) is a value the manager owns atomically. A leaf whose live value is an
//! empty map or list is treated as granular (only added keys, never "modified").

use super::pointer::escape_token;
use serde_json::Value;
use std::fmt;

/// One step of a `fieldsV1` path.
#[derive(Clone, Debug, PartialEq)]
pub enum PathElement {
    /// `f:name`
    Field(String),
    /// `k:{"name":"app"}`: the list item whose key fields have these values.
    Key(serde_json::Map<String, Value>),
    /// `v:"x"`: the set item equal to this value.
    Value(Value),
    /// `i:3`
    Index(i64),
}

impl fmt::Display for PathElement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathElement::Field(n) => write!(f, ".{n}"),
            PathElement::Key(k) => {
                let parts: Vec<String> = k.iter().map(|(n, v)| format!("{n}={v}")).collect();
                write!(f, "[{}]", parts.join(","))
            }
            PathElement::Value(v) => write!(f, "[={v}]"),
            PathElement::Index(i) => write!(f, "[{i}]"),
        }
    }
}

/// A `fieldsV1` set as a tree.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FieldSet {
    /// Children; the flag is true when the child path is itself a member (`{}` leaf or
    /// `".": {}` inside it).
    pub children: Vec<(PathElement, bool, FieldSet)>,
}

/// Parses a `fieldsV1` object.
pub fn parse_fields_v1(v: &Value) -> Result<FieldSet, String> {
    let Value::Object(map) = v else {
        return Err("fieldsV1 is not an object".into());
    };
    let mut set = FieldSet::default();
    for (key, child) in map {
        if key == "." {
            continue;
        }
        let pe = parse_element(key)?;
        let Value::Object(inner) = child else {
            return Err(format!("fieldsV1 entry `{key}` is not an object"));
        };
        let member = inner.is_empty() || inner.contains_key(".");
        let sub = parse_fields_v1(child)?;
        set.children.push((pe, member, sub));
    }
    Ok(set)
}

fn parse_element(key: &str) -> Result<PathElement, String> {
    let bad = || format!("unknown fieldsV1 key `{key}`");
    let (kind, rest) = key.split_once(':').ok_or_else(bad)?;
    match kind {
        "f" => Ok(PathElement::Field(rest.to_string())),
        "k" => match serde_json::from_str::<Value>(rest) {
            Ok(Value::Object(m)) => Ok(PathElement::Key(m)),
            _ => Err(bad()),
        },
        "v" => serde_json::from_str(rest)
            .map(PathElement::Value)
            .map_err(|_| bad()),
        "i" => rest.parse().map(PathElement::Index).map_err(|_| bad()),
        _ => Err(bad()),
    }
}

/// Every leaf the set owns, as paths.
fn leaves(set: &FieldSet, prefix: &mut Vec<PathElement>, out: &mut Vec<Vec<PathElement>>) {
    for (pe, _member, sub) in &set.children {
        prefix.push(pe.clone());
        if sub.children.is_empty() {
            out.push(prefix.clone());
        } else {
            leaves(sub, prefix, out);
        }
        prefix.pop();
    }
}

/// Resolves a path in `doc` to JSON pointer tokens.
fn resolve(doc: &Value, path: &[PathElement]) -> Option<Vec<String>> {
    let mut cur = doc;
    let mut tokens = Vec::with_capacity(path.len());
    for pe in path {
        match (pe, cur) {
            (PathElement::Field(n), Value::Object(m)) => {
                cur = m.get(n.as_str())?;
                tokens.push(n.clone());
            }
            (PathElement::Key(keys), Value::Array(items)) => {
                let i = items.iter().position(|item| {
                    keys.iter()
                        .all(|(k, v)| item.get(k.as_str()).is_some_and(|x| json_eq(x, v)))
                })?;
                cur = &items[i];
                tokens.push(i.to_string());
            }
            (PathElement::Value(v), Value::Array(items)) => {
                let i = items.iter().position(|x| json_eq(x, v))?;
                cur = &items[i];
                tokens.push(i.to_string());
            }
            (PathElement::Index(i), Value::Array(items)) => {
                let i = usize::try_from(*i).ok()?;
                cur = items.get(i)?;
                tokens.push(i.to_string());
            }
            _ => return None,
        }
    }
    Some(tokens)
}

fn get<'a>(doc: &'a Value, tokens: &[String]) -> Option<&'a Value> {
    tokens.iter().try_fold(doc, |v, t| match v {
        Value::Object(m) => m.get(t.as_str()),
        Value::Array(a) => t.parse::<usize>().ok().and_then(|i| a.get(i)),
        _ => None,
    })
}

fn remove(doc: &mut Value, tokens: &[String]) -> bool {
    let Some((last, parents)) = tokens.split_last() else {
        return false;
    };
    let parent = parents.iter().try_fold(doc, |v, t| match v {
        Value::Object(m) => m.get_mut(t.as_str()),
        Value::Array(a) => t.parse::<usize>().ok().and_then(|i| a.get_mut(i)),
        _ => None,
    });
    match parent {
        Some(Value::Object(m)) => m.shift_remove(last.as_str()).is_some(),
        Some(Value::Array(a)) => match last.parse::<usize>() {
            Ok(i) if i < a.len() => {
                a.remove(i);
                true
            }
            _ => false,
        },
        _ => false,
    }
}

fn pointer(tokens: &[String]) -> String {
    tokens.iter().fold(String::new(), |mut s, t| {
        s.push('/');
        s.push_str(&escape_token(t));
        s
    })
}

/// Equality as structured-merge-diff compares values: numbers by value (`1` == `1.0`).
pub fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(i), Some(j)) => i == j,
            _ => x.as_f64() == y.as_f64(),
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k.as_str()).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

/// The `metadata.managedFields` entries of `live` whose manager is one of `managers`.
fn trusted_entries<'a>(
    live: &'a Value,
    managers: &'a [String],
) -> impl Iterator<Item = (&'a str, &'a Value)> {
    live.pointer("/metadata/managedFields")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(move |entry| {
            let manager = entry.get("manager")?.as_str()?;
            if !managers.iter().any(|m| m == manager) {
                return None;
            }
            Some((manager, entry.get("fieldsV1")?))
        })
}

/// JSON pointers into `live` of the fields the named managers own (leaves of their
/// `fieldsV1`, operation `Update` and `Apply` alike), in managedFields order.
pub fn managed_fields_paths(live: &Value, managers: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for (_, fields) in trusted_entries(live, managers) {
        let Ok(set) = parse_fields_v1(fields) else {
            continue;
        };
        let mut paths = Vec::new();
        leaves(&set, &mut Vec::new(), &mut paths);
        for p in paths {
            if let Some(tokens) = resolve(live, &p) {
                let ptr = pointer(&tokens);
                if !out.contains(&ptr) {
                    out.push(ptr);
                }
            }
        }
    }
    out
}

/// One field removed from both objects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManagedRemoval {
    /// The manager that owns it.
    pub manager: String,
    /// The field, written like structured-merge-diff paths
    /// (`.spec.template.spec.containers[name="app"].image`).
    pub path: String,
    /// Where it was in the live object.
    pub live_pointer: String,
    /// Where it was in the desired object.
    pub config_pointer: String,
}

/// Argo CD's `managedfields.Normalize`: removes from `live` and `config` every field a
/// trusted manager owns whose value differs between them. A `fieldsV1` entry that does not
/// parse makes Argo CD fail the whole diff; it is returned as the error.
pub fn normalize_managed_fields(
    live: &mut Value,
    config: &mut Value,
    managers: &[String],
) -> Result<Vec<ManagedRemoval>, String> {
    if managers.is_empty() {
        return Ok(Vec::new());
    }
    // The comparison is taken once, before anything is removed.
    // (manager, path, live tokens, config tokens)
    type Hit = (String, Vec<PathElement>, Vec<String>, Vec<String>);
    let mut modified: Vec<Hit> = Vec::new();
    for (manager, fields) in trusted_entries(live, managers) {
        let set = parse_fields_v1(fields)
            .map_err(|e| format!("error normalizing manager {manager}: {e}"))?;
        let mut paths = Vec::new();
        leaves(&set, &mut Vec::new(), &mut paths);
        for p in paths {
            let (Some(lt), Some(ct)) = (resolve(live, &p), resolve(config, &p)) else {
                continue;
            };
            let (Some(lv), Some(cv)) = (get(live, &lt), get(config, &ct)) else {
                continue;
            };
            let granular_empty = match lv {
                Value::Object(m) => m.is_empty(),
                Value::Array(a) => a.is_empty(),
                _ => false,
            };
            if granular_empty || json_eq(lv, cv) {
                continue;
            }
            modified.push((manager.to_string(), p, lt, ct));
        }
    }
    let mut out = Vec::new();
    // Remove deepest and last first so earlier pointers stay valid.
    modified.sort_by(|a, b| b.2.len().cmp(&a.2.len()).then_with(|| b.2.cmp(&a.2)));
    for (manager, path, lt, ct) in modified {
        let in_live = remove(live, &lt);
        let in_config = remove(config, &ct);
        if in_live || in_config {
            out.push(ManagedRemoval {
                manager,
                path: path.iter().map(ToString::to_string).collect(),
                live_pointer: pointer(&lt),
                config_pointer: pointer(&ct),
            });
        }
    }
    out.reverse();
    Ok(out)
}

/// The field manager under which the HorizontalPodAutoscaler controller writes
/// `spec.replicas` through the `scale` subresource.
pub const HPA_MANAGER: &str = "kube-controller-manager";

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn live() -> Value {
        json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {
                "name": "web",
                "managedFields": [
                    {"manager": "argocd-controller", "operation": "Apply", "fieldsV1": {
                        "f:spec": {"f:template": {"f:spec": {"f:containers": {
                            "k:{\"name\":\"app\"}": {".": {}, "f:name": {}, "f:image": {}}
                        }}}}
                    }},
                    {"manager": "kube-controller-manager", "operation": "Update", "subresource": "scale",
                     "fieldsV1": {"f:spec": {"f:replicas": {}}}},
                    {"manager": "injector", "operation": "Update", "fieldsV1": {
                        "f:metadata": {"f:annotations": {".": {}, "f:sidecar/status": {}}},
                        "f:spec": {"f:template": {"f:spec": {"f:containers": {
                            "k:{\"name\":\"app\"}": {"f:resources": {"f:limits": {"f:cpu": {}}}},
                            "k:{\"name\":\"proxy\"}": {".": {}, "f:image": {}, "f:name": {}}
                        }}}}
                    }}
                ]
            },
            "spec": {
                "replicas": 5,
                "template": {"spec": {"containers": [
                    {"name": "proxy", "image": "proxy:2"},
                    {"name": "app", "image": "app:1", "resources": {"limits": {"cpu": "2"}}}
                ]}}
            }
        })
    }

    #[test]
    fn parses_fields_v1() {
        let set = parse_fields_v1(
            &json!({"f:a": {".": {}, "f:b": {}}, "k:{\"port\":80}": {}, "v:\"x\"": {}, "i:2": {}}),
        );
        let set = set.unwrap_or_default();
        assert_eq!(set.children.len(), 4);
        assert_eq!(set.children[0].0, PathElement::Field("a".into()));
        assert!(set.children[0].1);
        assert_eq!(
            set.children[1].0,
            PathElement::Key(json!({"port": 80}).as_object().cloned().unwrap_or_default())
        );
        assert_eq!(set.children[2].0, PathElement::Value(json!("x")));
        assert_eq!(set.children[3].0, PathElement::Index(2));
        assert!(parse_fields_v1(&json!({"x:a": {}})).is_err());
        assert!(parse_fields_v1(&json!({"k:notjson": {}})).is_err());
        assert!(parse_fields_v1(&json!([])).is_err());
    }

    #[test]
    fn owned_paths_resolve_keyed_items() {
        let l = live();
        assert_eq!(
            managed_fields_paths(&l, &["kube-controller-manager".into()]),
            vec!["/spec/replicas"]
        );
        assert_eq!(
            managed_fields_paths(&l, &["injector".into()]),
            vec![
                "/spec/template/spec/containers/1/resources/limits/cpu",
                "/spec/template/spec/containers/0/image",
                "/spec/template/spec/containers/0/name",
            ]
        );
        // the annotation is not in live: not listed
        assert!(managed_fields_paths(&l, &["nobody".into()]).is_empty());
    }

    #[test]
    fn normalize_removes_only_modified_owned_fields() {
        let mut l = live();
        let mut c = json!({
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"replicas": 2, "template": {"spec": {"containers": [
                {"name": "app", "image": "app:1", "resources": {"limits": {"cpu": "1"}}},
                {"name": "proxy", "image": "proxy:2"}
            ]}}}
        });
        let removed = normalize_managed_fields(
            &mut l,
            &mut c,
            &["kube-controller-manager".into(), "injector".into()],
        );
        let removed = removed.unwrap_or_default();
        let paths: Vec<&str> = removed.iter().map(|r| r.path.as_str()).collect();
        assert_eq!(
            paths,
            vec![
                ".spec.replicas",
                ".spec.template.spec.containers[name=\"app\"].resources.limits.cpu"
            ]
        );
        assert_eq!(
            removed[1].live_pointer,
            "/spec/template/spec/containers/1/resources/limits/cpu"
        );
        assert_eq!(
            removed[1].config_pointer,
            "/spec/template/spec/containers/0/resources/limits/cpu"
        );
        assert_eq!(l.pointer("/spec/replicas"), None);
        assert_eq!(c.pointer("/spec/replicas"), None);
        assert_eq!(
            c.pointer("/spec/template/spec/containers/0/resources/limits"),
            Some(&json!({}))
        );
        // equal values (proxy image) stay
        assert_eq!(
            c.pointer("/spec/template/spec/containers/1/image"),
            Some(&json!("proxy:2"))
        );
    }

    #[test]
    fn equal_numbers_are_not_modified() {
        let mut l = live();
        let mut c = json!({"spec": {"replicas": 5.0}});
        let removed = normalize_managed_fields(&mut l, &mut c, &[HPA_MANAGER.into()]);
        assert_eq!(removed, Ok(Vec::new()));
        assert_eq!(c.pointer("/spec/replicas"), Some(&json!(5.0)));
    }

    #[test]
    fn missing_on_one_side_is_not_modified() {
        let mut l = live();
        let mut c = json!({"spec": {}});
        assert_eq!(
            normalize_managed_fields(&mut l, &mut c, &[HPA_MANAGER.into()]),
            Ok(Vec::new())
        );
        assert_eq!(l.pointer("/spec/replicas"), Some(&json!(5)));
    }

    #[test]
    fn bad_fields_v1_fails() {
        let mut l =
            json!({"metadata": {"managedFields": [{"manager": "m", "fieldsV1": {"q:x": {}}}]}});
        let mut c = json!({});
        assert!(normalize_managed_fields(&mut l, &mut c, &["m".into()]).is_err());
    }
}
