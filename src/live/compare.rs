//! The comparison of one desired object with its live counterpart, after the
//! normalisation every diff needs (semantics notes §4 for `ignoreDifferences`, applied by
//! the caller before [`compare`]).
//!
//! What counts as drift, the way a client-side `kubectl diff` / Argo CD's three-way diff
//! sees it:
//!
//! - Only fields the desired manifest sets are compared: fields that exist only live were
//!   defaulted by the API server, a webhook or a controller.
//! - A field the manifest no longer sets but the last applied configuration
//!   (`kubectl.kubernetes.io/last-applied-configuration`) still has, and the live object
//!   still has, is drift: `kubectl apply` (and Argo CD) would remove it.
//! - A desired zero value (`null`, `false`, `0`, `""`, `{}`, `[]`) equals an absent live
//!   field: Kubernetes drops omitted-empty fields when it stores built-in objects.
//! - Numbers compare by value (`1` = `1.0`); resource quantities compare canonically
//!   (`0.5` = `500m`, `1024Mi` = `1Gi`) under `limits`, `requests`, `hard`, `capacity` and
//!   similar maps, as Argo CD's re-marshalling of built-in types does.
//! - Lists of mappings that all have a `name` are matched by name (containers, env,
//!   volumes, ports); elements that exist only live were injected and are ignored unless
//!   the last applied configuration had them. Other lists compare element by element and
//!   must have the same length.
//!
//! Secrets never show their values: [`redact_diff`] (each field difference) and
//! [`redact_secret_pair`] (the desired and live objects of the human diff) replace them
//! before anything is printed.

use serde_json::{Map, Value};

/// Annotations that are never compared: the last applied configuration (compared
/// through its own logic, and a copy of Secret values) and Argo CD's tracking id.
pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";
pub const TRACKING_ID: &str = "argocd.argoproj.io/tracking-id";
/// The label Argo CD's label tracking (`application.resourceTrackingMethod: label`) sets.
pub const INSTANCE_LABEL: &str = "app.kubernetes.io/instance";

/// What a redacted Secret value prints as.
pub const REDACTED: &str = "(redacted)";
/// A redacted live Secret value that differs from the desired one, in object diffs.
pub const REDACTED_DIFFERS: &str = "(redacted, differs)";

/// One field that differs.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldDiff {
    /// RFC 6901 pointer, into the desired object (into the live one for a field only the
    /// live object and the last applied configuration have).
    pub pointer: String,
    /// `None`: the repository does not set it.
    pub desired: Option<Value>,
    /// `None`: the live object does not have it.
    pub live: Option<Value>,
}

/// The result of [`compare`].
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    pub diffs: Vec<FieldDiff>,
    /// The live object restricted to the fields compared, with the desired value
    /// wherever the two are equal, so that a text diff of the desired object and this
    /// shows exactly the drift.
    pub live_view: Value,
}

/// Removes what is never compared: `status`, the server-set metadata, the last applied
/// configuration and the tracking annotation. Returns the parsed last applied
/// configuration when the object had one (live objects only).
pub fn strip(obj: &mut Value) -> Option<Value> {
    let map = obj.as_object_mut()?;
    map.remove("status");
    let mut last_applied = None;
    if let Some(meta) = map.get_mut("metadata").and_then(Value::as_object_mut) {
        for k in [
            "managedFields",
            "resourceVersion",
            "uid",
            "generation",
            "creationTimestamp",
            "selfLink",
        ] {
            meta.remove(k);
        }
        if let Some(ann) = meta.get_mut("annotations").and_then(Value::as_object_mut) {
            if let Some(Value::String(text)) = ann.remove(LAST_APPLIED) {
                last_applied = serde_json::from_str::<Value>(&text)
                    .ok()
                    .filter(Value::is_object);
            }
            ann.remove(TRACKING_ID);
            if ann.is_empty() {
                meta.remove("annotations");
            }
        }
    }
    if let Some(orig) = &mut last_applied {
        strip(orig);
    }
    last_applied
}

/// Argo CD's label tracking overwrites `app.kubernetes.io/instance` with the
/// Application's name: when the live label is exactly that, the desired value does not
/// matter.
pub fn drop_tracking_label(
    desired: &mut Value,
    live: &mut Value,
    last_applied: Option<&mut Value>,
    app_name: &str,
) {
    let live_is_app = live
        .pointer("/metadata/labels")
        .and_then(|l| l.get(INSTANCE_LABEL))
        .and_then(Value::as_str)
        .is_some_and(|v| v == app_name || v.ends_with(&format!("_{app_name}")));
    if !live_is_app {
        return;
    }
    for obj in [Some(desired), Some(live), last_applied]
        .into_iter()
        .flatten()
    {
        if let Some(labels) = obj
            .pointer_mut("/metadata/labels")
            .and_then(Value::as_object_mut)
        {
            labels.remove(INSTANCE_LABEL);
            if labels.is_empty()
                && let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut)
            {
                meta.remove("labels");
            }
        }
    }
}

/// A desired Secret as the API server stores it: `stringData` merged into `data`,
/// base64-encoded (gitops-engine's `NormalizeSecret`).
pub fn normalize_secret(obj: &mut Value) {
    use base64::Engine as _;
    if !is_secret(obj) {
        return;
    }
    let Some(map) = obj.as_object_mut() else {
        return;
    };
    let Some(Value::Object(string_data)) = map.remove("stringData") else {
        return;
    };
    let data = map
        .entry("data")
        .or_insert_with(|| Value::Object(Map::new()));
    if !data.is_object() {
        *data = Value::Object(Map::new());
    }
    if let Some(data) = data.as_object_mut() {
        for (k, v) in string_data {
            let text = match v {
                Value::String(s) => s,
                Value::Null => String::new(),
                other => other.to_string(),
            };
            data.insert(
                k,
                Value::String(base64::engine::general_purpose::STANDARD.encode(text)),
            );
        }
    }
}

/// Whether a JSON object is a core Secret.
pub fn is_secret(obj: &Value) -> bool {
    obj.get("kind").and_then(Value::as_str) == Some("Secret")
        && obj.get("apiVersion").and_then(Value::as_str) == Some("v1")
}

/// Compares a normalised desired object with its normalised live counterpart.
/// `last_applied` is the live object's parsed (and normalised) last applied
/// configuration.
pub fn compare(desired: &Value, live: &Value, last_applied: Option<&Value>) -> Comparison {
    let mut diffs = Vec::new();
    let mut path = Vec::new();
    let live_view = walk(desired, Some(live), last_applied, &mut path, &mut diffs)
        .unwrap_or(Value::Object(Map::new()));
    Comparison { diffs, live_view }
}

fn pointer(path: &[String]) -> String {
    crate::argo::ignore_differences::pointer::pointer_from_tokens(path)
}

/// Compares `d` (desired) with `l` (live) at `path`, records differences, and returns
/// the live view of this position (`None`: nothing to show).
fn walk(
    d: &Value,
    l: Option<&Value>,
    orig: Option<&Value>,
    path: &mut Vec<String>,
    diffs: &mut Vec<FieldDiff>,
) -> Option<Value> {
    if d.is_null() {
        // Not set: nothing to compare.
        return None;
    }
    let Some(l) = l else {
        if is_zero(d) {
            return Some(d.clone());
        }
        diffs.push(FieldDiff {
            pointer: pointer(path),
            desired: Some(d.clone()),
            live: None,
        });
        return None;
    };
    match (d, l) {
        (Value::Object(dm), Value::Object(lm)) => {
            let om = orig.and_then(Value::as_object);
            let mut view = Map::new();
            for (k, dv) in dm {
                path.push(k.clone());
                let v = walk(dv, lm.get(k), om.and_then(|o| o.get(k)), path, diffs);
                path.pop();
                if let Some(v) = v {
                    view.insert(k.clone(), v);
                }
            }
            // Removed from the repository since the last apply, still live.
            if let Some(om) = om {
                for (k, _) in om.iter().filter(|(k, _)| !dm.contains_key(*k)) {
                    if let Some(lv) = lm.get(k) {
                        path.push(k.clone());
                        diffs.push(FieldDiff {
                            pointer: pointer(path),
                            desired: None,
                            live: Some(lv.clone()),
                        });
                        path.pop();
                        view.insert(k.clone(), lv.clone());
                    }
                }
            }
            Some(Value::Object(view))
        }
        (Value::Array(da), Value::Array(la)) => {
            let oa = orig.and_then(Value::as_array);
            if let (Some(dn), Some(ln)) = (names(da), names(la)) {
                return Some(walk_named(da, &dn, la, &ln, oa, path, diffs));
            }
            if da.len() != la.len() {
                diffs.push(FieldDiff {
                    pointer: pointer(path),
                    desired: Some(d.clone()),
                    live: Some(l.clone()),
                });
                return Some(l.clone());
            }
            let mut view = Vec::with_capacity(da.len());
            for (i, (dv, lv)) in da.iter().zip(la).enumerate() {
                path.push(i.to_string());
                let o = oa.filter(|o| o.len() == da.len()).and_then(|o| o.get(i));
                let v = walk(dv, Some(lv), o, path, diffs);
                path.pop();
                view.push(v.unwrap_or(Value::Null));
            }
            Some(Value::Array(view))
        }
        _ => {
            if scalar_eq(d, l, path) {
                Some(d.clone())
            } else {
                diffs.push(FieldDiff {
                    pointer: pointer(path),
                    desired: Some(d.clone()),
                    live: Some(l.clone()),
                });
                Some(l.clone())
            }
        }
    }
}

/// The `name` of every element when all are mappings with a distinct string `name`.
fn names(items: &[Value]) -> Option<Vec<&str>> {
    let mut out: Vec<&str> = Vec::with_capacity(items.len());
    for i in items {
        let n = i.get("name").and_then(Value::as_str)?;
        if out.contains(&n) {
            return None;
        }
        out.push(n);
    }
    Some(out)
}

fn walk_named(
    da: &[Value],
    dn: &[&str],
    la: &[Value],
    ln: &[&str],
    oa: Option<&Vec<Value>>,
    path: &mut Vec<String>,
    diffs: &mut Vec<FieldDiff>,
) -> Value {
    let on: Option<Vec<&str>> = oa.and_then(|o| names(o));
    let orig_named = |name: &str| -> Option<&Value> {
        let (oa, on) = (oa?, on.as_ref()?);
        on.iter().position(|n| *n == name).and_then(|i| oa.get(i))
    };
    let mut view = Vec::new();
    for (i, (dv, name)) in da.iter().zip(dn).enumerate() {
        path.push(i.to_string());
        match ln.iter().position(|n| n == name) {
            Some(j) => {
                let v = walk(dv, la.get(j), orig_named(name), path, diffs);
                view.push(v.unwrap_or(Value::Null));
            }
            None => diffs.push(FieldDiff {
                pointer: pointer(path),
                desired: Some(dv.clone()),
                live: None,
            }),
        }
        path.pop();
    }
    for (j, name) in ln.iter().enumerate() {
        if dn.contains(name) || orig_named(name).is_none() {
            continue;
        }
        let Some(lv) = la.get(j) else { continue };
        path.push(j.to_string());
        diffs.push(FieldDiff {
            pointer: pointer(path),
            desired: None,
            live: Some(lv.clone()),
        });
        path.pop();
        view.push(lv.clone());
    }
    Value::Array(view)
}

/// The values Kubernetes drops when it stores an object (`omitempty`).
fn is_zero(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(m) => m.is_empty(),
    }
}

/// Map keys under which values are resource quantities.
const QUANTITY_PARENTS: [&str; 10] = [
    "limits",
    "requests",
    "hard",
    "capacity",
    "allocatable",
    "overhead",
    "default",
    "defaultRequest",
    "max",
    "min",
];

fn scalar_eq(d: &Value, l: &Value, path: &[String]) -> bool {
    if d == l {
        return true;
    }
    if let (Value::Number(a), Value::Number(b)) = (d, l) {
        return a.as_f64().is_some_and(|a| b.as_f64() == Some(a));
    }
    let quantity_field = path.len() >= 2
        && (QUANTITY_PARENTS.contains(&path[path.len() - 2].as_str())
            || path
                .last()
                .is_some_and(|k| k == "sizeLimit" || k == "storage"));
    if quantity_field {
        let text = |v: &Value| match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        };
        if let (Some(a), Some(b)) = (text(d), text(l))
            && let (Some(a), Some(b)) = (parse_quantity(&a), parse_quantity(&b))
        {
            return a == b || ((a - b).abs() <= f64::EPSILON * a.abs().max(b.abs()) * 4.0);
        }
    }
    false
}

/// A Kubernetes resource quantity (`500m`, `1.5Gi`, `2e3`) as a number, `None` when the
/// text is not one.
pub fn parse_quantity(s: &str) -> Option<f64> {
    let s = s.trim();
    let split = s
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_digit() || *c == '.' || *c == '+' || *c == '-'))
        .map_or(s.len(), |(i, _)| i);
    let (num, suffix) = s.split_at(split);
    if num.is_empty() || num == "+" || num == "-" || num.matches('.').count() > 1 {
        return None;
    }
    if num[1..].contains(['+', '-']) {
        return None;
    }
    let n: f64 = num.parse().ok()?;
    let factor = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024.0,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        e if e.starts_with(['e', 'E']) => {
            let exp: i32 = e[1..].parse().ok()?;
            10f64.powi(exp)
        }
        _ => return None,
    };
    Some(n * factor)
}

/// Replaces every value under a Secret's `data` and `stringData` of a desired/live pair
/// with [`REDACTED`] (keys stay), marking live values that differ, so an object diff
/// shows which keys changed and nothing else. Objects that are not Secrets are left
/// alone.
pub fn redact_secret_pair(desired: &mut Value, live: &mut Value) {
    if !is_secret(desired) && !is_secret(live) {
        return;
    }
    for key in ["data", "stringData"] {
        let d = desired.get(key).and_then(Value::as_object).cloned();
        if let Some(Value::Object(lm)) = live.get_mut(key) {
            for (k, v) in lm.iter_mut() {
                let same = d.as_ref().and_then(|d| d.get(k)) == Some(v);
                *v = Value::String(if same { REDACTED } else { REDACTED_DIFFERS }.to_owned());
            }
        } else if let Some(v) = live.get_mut(key) {
            redact_value(v);
        }
        if let Some(v) = desired.get_mut(key) {
            redact_value(v);
        }
    }
}

fn redact_value(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for x in m.values_mut() {
                *x = Value::String(REDACTED.to_owned());
            }
        }
        Value::Null => {}
        other => *other = Value::String(REDACTED.to_owned()),
    }
}

/// A field difference with Secret values redacted (for any pointer under `data` or
/// `stringData` of a Secret).
pub fn redact_diff(diff: &mut FieldDiff, secret: bool) {
    if !secret {
        return;
    }
    let under = |p: &str, k: &str| p == format!("/{k}") || p.starts_with(&format!("/{k}/"));
    let whole = diff.pointer.is_empty();
    if !whole && !under(&diff.pointer, "data") && !under(&diff.pointer, "stringData") {
        return;
    }
    for v in [&mut diff.desired, &mut diff.live].into_iter().flatten() {
        if whole {
            for key in ["data", "stringData"] {
                if let Some(x) = v.get_mut(key) {
                    redact_value(x);
                }
            }
        } else {
            redact_value(v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn diff(d: Value, l: Value) -> Vec<FieldDiff> {
        compare(&d, &l, None).diffs
    }

    #[test]
    fn only_fields_the_manifest_sets_are_compared() {
        let d = json!({"spec": {"replicas": 2, "template": {"spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}}});
        let l = json!({"spec": {"replicas": 2, "progressDeadlineSeconds": 600, "template": {"spec": {"dnsPolicy": "ClusterFirst", "containers": [{"name": "web", "image": "nginx:1.27", "imagePullPolicy": "IfNotPresent"}]}}}});
        assert_eq!(diff(d, l), []);
    }

    #[test]
    fn a_changed_value_is_reported_with_its_pointer_and_both_values() {
        let d = json!({"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}}});
        let l = json!({"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "nginx:1.26"}]}}}});
        assert_eq!(
            diff(d, l),
            [FieldDiff {
                pointer: "/spec/template/spec/containers/0/image".into(),
                desired: Some(json!("nginx:1.27")),
                live: Some(json!("nginx:1.26")),
            }]
        );
    }

    #[test]
    fn named_lists_match_by_name_and_ignore_injected_elements() {
        let d = json!({"c": [{"name": "a", "image": "x"}, {"name": "b", "image": "y"}]});
        let l = json!({"c": [{"name": "istio-proxy", "image": "p"}, {"name": "b", "image": "y"}, {"name": "a", "image": "x"}]});
        assert_eq!(diff(d.clone(), l.clone()), []);
        // ... unless the last apply had them: then they were removed from the repository.
        let orig = json!({"c": [{"name": "a"}, {"name": "b"}, {"name": "istio-proxy"}]});
        let got = compare(&d, &l, Some(&orig)).diffs;
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].pointer, "/c/0");
        assert_eq!(got[0].desired, None);
        // A missing named element.
        let l = json!({"c": [{"name": "a", "image": "x"}]});
        let got = diff(d, l);
        assert_eq!(got[0].pointer, "/c/1");
        assert_eq!(got[0].live, None);
    }

    #[test]
    fn plain_lists_compare_whole_when_lengths_differ() {
        let got = diff(json!({"args": ["a", "b"]}), json!({"args": ["a"]}));
        assert_eq!(got[0].pointer, "/args");
        assert_eq!(got[0].live, Some(json!(["a"])));
        assert_eq!(
            diff(json!({"args": ["a", "b"]}), json!({"args": ["a", "c"]}))[0].pointer,
            "/args/1"
        );
    }

    #[test]
    fn zero_values_equal_absent_fields() {
        let d = json!({"spec": {"hostNetwork": false, "replicas": 0, "x": "", "m": {}, "l": [], "n": null}});
        assert_eq!(diff(d, json!({"spec": {}})), []);
        // but a non-zero desired value is missing live
        assert_eq!(
            diff(json!({"spec": {"paused": true}}), json!({"spec": {}}))[0].live,
            None
        );
    }

    #[test]
    fn numbers_and_quantities_compare_by_value() {
        assert_eq!(diff(json!({"a": 1}), json!({"a": 1.0})), []);
        let d = json!({"resources": {"limits": {"cpu": 0.5, "memory": "1024Mi"}, "requests": {"cpu": "1", "memory": "1e3"}}});
        let l = json!({"resources": {"limits": {"cpu": "500m", "memory": "1Gi"}, "requests": {"cpu": "1000m", "memory": "1k"}}});
        assert_eq!(diff(d, l), []);
        let got = diff(
            json!({"resources": {"limits": {"cpu": "1"}}}),
            json!({"resources": {"limits": {"cpu": "500m"}}}),
        );
        assert_eq!(got.len(), 1);
        // Quantities only where Kubernetes parses them.
        assert_eq!(
            diff(
                json!({"labels": {"v": "1k"}}),
                json!({"labels": {"v": "1000"}})
            )
            .len(),
            1
        );
    }

    #[test]
    fn quantities_parse() {
        assert_eq!(parse_quantity("500m"), Some(0.5));
        assert_eq!(parse_quantity("1Gi"), Some(1_073_741_824.0));
        assert_eq!(parse_quantity("-2k"), Some(-2000.0));
        assert_eq!(parse_quantity("1.5"), Some(1.5));
        assert_eq!(parse_quantity("12E"), Some(12e18));
        assert_eq!(parse_quantity("abc"), None);
        assert_eq!(parse_quantity("1x"), None);
        assert_eq!(parse_quantity("1-2"), None);
        assert_eq!(parse_quantity(""), None);
    }

    #[test]
    fn removed_fields_still_live_are_drift() {
        let d = json!({"metadata": {"labels": {"a": "1"}}});
        let l = json!({"metadata": {"labels": {"a": "1", "b": "2", "c": "3"}}});
        let orig = json!({"metadata": {"labels": {"a": "1", "b": "2"}}});
        let got = compare(&d, &l, Some(&orig)).diffs;
        assert_eq!(
            got,
            [FieldDiff {
                pointer: "/metadata/labels/b".into(),
                desired: None,
                live: Some(json!("2"))
            }]
        );
    }

    #[test]
    fn the_live_view_shows_only_the_drift() {
        let d = json!({"spec": {"replicas": 2, "paused": false, "image": "a"}});
        let l = json!({"spec": {"replicas": 2.0, "image": "b", "extra": 1}});
        let c = compare(&d, &l, None);
        assert_eq!(
            c.live_view,
            json!({"spec": {"replicas": 2, "paused": false, "image": "b"}})
        );
    }

    #[test]
    fn strip_removes_server_fields_and_returns_the_last_apply() {
        let mut o = json!({"metadata": {"name": "x", "uid": "u", "resourceVersion": "1", "generation": 3,
            "creationTimestamp": "t", "managedFields": [], "annotations": {
                LAST_APPLIED: "{\"metadata\":{\"name\":\"x\",\"annotations\":{\"argocd.argoproj.io/tracking-id\":\"t\"}},\"status\":{}}",
                TRACKING_ID: "app:apps/Deployment:ns/x"}}, "status": {"ready": 1}});
        let orig = strip(&mut o);
        assert_eq!(o, json!({"metadata": {"name": "x"}}));
        assert_eq!(orig, Some(json!({"metadata": {"name": "x"}})));
    }

    #[test]
    fn secrets_merge_string_data_and_never_show_values() {
        let mut d = json!({"apiVersion": "v1", "kind": "Secret", "stringData": {"password": "hunter2"}, "data": {"user": "YWRtaW4="}});
        normalize_secret(&mut d);
        assert_eq!(d["data"]["password"], json!("aHVudGVyMg=="));
        assert!(d.get("stringData").is_none());
        let mut l = json!({"apiVersion": "v1", "kind": "Secret", "data": {"password": "b2xk", "user": "YWRtaW4="}});
        let c = compare(&d, &l, None);
        assert_eq!(c.diffs.len(), 1);
        let mut fd = c.diffs[0].clone();
        redact_diff(&mut fd, true);
        assert_eq!(fd.pointer, "/data/password");
        assert_eq!(fd.desired, Some(json!(REDACTED)));
        assert_eq!(fd.live, Some(json!(REDACTED)));
        redact_secret_pair(&mut d, &mut l);
        let text = format!("{d}{l}");
        assert!(
            !text.contains("aHVudGVy") && !text.contains("b2xk") && !text.contains("YWRtaW4"),
            "{text}"
        );
        assert_eq!(l["data"]["password"], json!(REDACTED_DIFFERS));
        assert_eq!(l["data"]["user"], json!(REDACTED));
        // A whole data map missing live.
        let mut whole = FieldDiff {
            pointer: "/data".into(),
            desired: Some(json!({"k": "c2VjcmV0"})),
            live: None,
        };
        redact_diff(&mut whole, true);
        assert_eq!(whole.desired, Some(json!({"k": REDACTED})));
    }

    #[test]
    fn label_tracking_is_not_drift() {
        let mut d = json!({"metadata": {"labels": {INSTANCE_LABEL: "my-release"}}});
        let mut l = json!({"metadata": {"labels": {INSTANCE_LABEL: "web"}}});
        drop_tracking_label(&mut d, &mut l, None, "web");
        assert_eq!(diff(d, l), []);
        let mut d = json!({"metadata": {"labels": {INSTANCE_LABEL: "my-release"}}});
        let mut l = json!({"metadata": {"labels": {INSTANCE_LABEL: "other"}}});
        drop_tracking_label(&mut d, &mut l, None, "web");
        assert_eq!(diff(d, l).len(), 1);
    }
}
