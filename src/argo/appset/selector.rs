//! Label selectors as the ApplicationSet controller builds them.
//!
//! Two flavours (semantics §5.1 step 2 and §5.4):
//! - a generator's `selector` goes through Argo CD's copy of `LabelSelectorAsSelector`
//!   (`applicationset/utils/selector.go`), which validates keys but **not values**, and
//!   is matched against the flattened parameters;
//! - the cluster generator's `selector` goes through apimachinery's
//!   `metav1.LabelSelectorAsSelector`, which validates values too, and is matched against
//!   cluster Secret labels.
//!
//! `nil` selectors match nothing in Argo CD's copy, but callers only build a selector when
//! the field is set; an empty selector (`{}`) matches everything.

use crate::argo::appset::golang::quote;
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    pub key: String,
    pub op: Op,
    pub values: Vec<String>,
}

/// A parsed selector: every requirement must match.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Selector {
    pub requirements: Vec<Requirement>,
}

impl Selector {
    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    pub fn matches(&self, labels: &dyn Fn(&str) -> Option<String>) -> bool {
        self.requirements.iter().all(|r| {
            let v = labels(&r.key);
            match r.op {
                Op::In => v.is_some_and(|v| r.values.contains(&v)),
                Op::NotIn => v.is_none_or(|v| !r.values.contains(&v)),
                Op::Exists => v.is_some(),
                Op::DoesNotExist => v.is_none(),
            }
        })
    }
}

/// Which validation the selector gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    /// Argo CD's copy: keys validated, values free (generator `selector`).
    Params,
    /// apimachinery: keys and values validated (cluster generator `selector`).
    Labels,
}

/// Parses a `metav1.LabelSelector` (`matchLabels`, `matchExpressions`). The error is the
/// message apimachinery's `field.ErrorList` aggregate prints.
pub fn parse(sel: &Value, flavour: Flavour) -> Result<Selector, String> {
    let mut reqs = Vec::new();
    let mut errs: Vec<String> = Vec::new();
    if let Some(Value::Object(ml)) = sel.get("matchLabels") {
        for (k, v) in ml {
            let value = scalar_text(v);
            validate_key(k, &mut errs);
            if flavour == Flavour::Labels {
                validate_value(&value, &mut errs);
            }
            reqs.push(Requirement {
                key: k.clone(),
                op: Op::In,
                values: vec![value],
            });
        }
    }
    if let Some(Value::Array(exprs)) = sel.get("matchExpressions") {
        for e in exprs {
            let key = e.get("key").map(scalar_text).unwrap_or_default();
            let op_text = e.get("operator").map(scalar_text).unwrap_or_default();
            let values: Vec<String> = match e.get("values") {
                Some(Value::Array(vs)) => vs.iter().map(scalar_text).collect(),
                _ => Vec::new(),
            };
            let op = match op_text.as_str() {
                "In" => Op::In,
                "NotIn" => Op::NotIn,
                "Exists" => Op::Exists,
                "DoesNotExist" => Op::DoesNotExist,
                other => {
                    let what = match flavour {
                        Flavour::Params => "pod",
                        Flavour::Labels => "label",
                    };
                    return Err(format!(
                        "{} is not a valid {what} selector operator",
                        quote(other)
                    ));
                }
            };
            validate_key(&key, &mut errs);
            match op {
                Op::In | Op::NotIn if values.is_empty() => errs.push(
                    "values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty"
                        .to_owned(),
                ),
                Op::Exists | Op::DoesNotExist if !values.is_empty() => errs.push(format!(
                    "values: Invalid value: {}: values set must be empty for exists and does not exist",
                    go_string_slice(&values)
                )),
                _ => {}
            }
            if flavour == Flavour::Labels {
                for v in &values {
                    validate_value(v, &mut errs);
                }
            }
            reqs.push(Requirement { key, op, values });
        }
    }
    match errs.len() {
        0 => {
            reqs.sort_by(|a, b| a.key.cmp(&b.key));
            Ok(Selector { requirements: reqs })
        }
        1 => Err(errs.remove(0)),
        _ => Err(format!("[{}]", errs.join(", "))),
    }
}

fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => crate::argo::appset::golang::format_v(other),
    }
}

fn go_string_slice(v: &[String]) -> String {
    let items: Vec<String> = v.iter().map(|s| quote(s)).collect();
    format!("[]string{{{}}}", items.join(", "))
}

const QUALIFIED_NAME_FMT: &str = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const QUALIFIED_NAME_MSG: &str = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const LABEL_VALUE_FMT: &str = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?";
const DNS1123_SUBDOMAIN_FMT: &str =
    "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";

fn regex_error(msg: &str, fmt: &str, examples: &[&str]) -> String {
    let mut s = format!("{msg} (e.g. ");
    for (i, e) in examples.iter().enumerate() {
        if i > 0 {
            s.push_str(" or ");
        }
        s.push_str(&format!("'{e}', "));
    }
    s.push_str(&format!("regex used for validation is '{fmt}')"));
    s
}

/// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`, anchored.
fn is_qualified_name_part(s: &str) -> bool {
    let b = s.as_bytes();
    match (b.first(), b.last()) {
        (Some(f), Some(l)) => {
            f.is_ascii_alphanumeric()
                && l.is_ascii_alphanumeric()
                && b.iter()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
        }
        _ => false,
    }
}

fn is_dns1123_subdomain(s: &str) -> bool {
    s.split('.').all(|label| {
        let b = label.as_bytes();
        match (b.first(), b.last()) {
            (Some(f), Some(l)) => {
                (f.is_ascii_lowercase() || f.is_ascii_digit())
                    && (l.is_ascii_lowercase() || l.is_ascii_digit())
                    && b.iter()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
            }
            _ => false,
        }
    })
}

/// apimachinery `validation.IsQualifiedName`, as a `field.Invalid` on `key`.
fn validate_key(k: &str, errs: &mut Vec<String>) {
    let mut msgs: Vec<String> = Vec::new();
    let parts: Vec<&str> = k.split('/').collect();
    let name = match parts.as_slice() {
        [name] => *name,
        [prefix, name] => {
            if prefix.is_empty() {
                msgs.push("prefix part must be non-empty".to_owned());
            } else {
                if prefix.len() > 253 {
                    msgs.push("prefix part must be no more than 253 characters".to_owned());
                }
                if !is_dns1123_subdomain(prefix) {
                    msgs.push(format!(
                        "prefix part {}",
                        regex_error(
                            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
                            DNS1123_SUBDOMAIN_FMT,
                            &["example.com"]
                        )
                    ));
                }
            }
            name
        }
        _ => {
            msgs.push(format!(
                "a qualified name {} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
                regex_error(QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, &["MyName", "my.name", "123-abc"])
            ));
            errs.push(format!(
                "key: Invalid value: {}: {}",
                quote(k),
                msgs.join("; ")
            ));
            return;
        }
    };
    if name.is_empty() {
        msgs.push("name part must be non-empty".to_owned());
    } else if name.len() > 63 {
        msgs.push("name part must be no more than 63 characters".to_owned());
    }
    if !is_qualified_name_part(name) {
        msgs.push(format!(
            "name part {}",
            regex_error(
                QUALIFIED_NAME_MSG,
                QUALIFIED_NAME_FMT,
                &["MyName", "my.name", "123-abc"]
            )
        ));
    }
    if !msgs.is_empty() {
        errs.push(format!(
            "key: Invalid value: {}: {}",
            quote(k),
            msgs.join("; ")
        ));
    }
}

/// apimachinery `validation.IsValidLabelValue`.
fn validate_value(v: &str, errs: &mut Vec<String>) {
    let mut msgs = Vec::new();
    if v.len() > 63 {
        msgs.push("must be no more than 63 characters".to_owned());
    }
    if !v.is_empty() && !is_qualified_name_part(v) {
        msgs.push(regex_error(
            "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
            LABEL_VALUE_FMT,
            &["MyValue", "my_value", "12345"],
        ));
    }
    if !msgs.is_empty() {
        errs.push(format!(
            "values[0]: Invalid value: {}: {}",
            quote(v),
            msgs.join("; ")
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn labels<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            pairs
                .iter()
                .find(|(a, _)| *a == k)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn match_labels_and_expressions() {
        let s = parse(
            &json!({
                "matchLabels": {"env": "prod"},
                "matchExpressions": [
                    {"key": "tier", "operator": "In", "values": ["a", "b"]},
                    {"key": "legacy", "operator": "DoesNotExist"},
                    {"key": "zone", "operator": "NotIn", "values": ["x"]}
                ]
            }),
            Flavour::Params,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(s.matches(&labels(&[("env", "prod"), ("tier", "a")])));
        assert!(!s.matches(&labels(&[("env", "prod"), ("tier", "c")])));
        assert!(!s.matches(&labels(&[("env", "prod"), ("tier", "a"), ("legacy", "")])));
        assert!(!s.matches(&labels(&[("env", "prod"), ("tier", "a"), ("zone", "x")])));
        assert!(!s.matches(&labels(&[("tier", "a")])));
        // The empty selector matches everything.
        let empty = parse(&json!({}), Flavour::Params).unwrap_or_default();
        assert!(empty.is_empty() && empty.matches(&labels(&[])));
    }

    #[test]
    fn param_selectors_accept_any_value_but_validate_keys() {
        // §5.1 step 2: no label-value syntax restrictions (URLs are fine).
        let s = parse(
            &json!({"matchLabels": {"server": "https://kubernetes.default.svc"}}),
            Flavour::Params,
        );
        assert!(s.is_ok());
        let strict = parse(
            &json!({"matchLabels": {"server": "https://kubernetes.default.svc"}}),
            Flavour::Labels,
        );
        assert!(
            strict.as_ref().is_err_and(|e| e.starts_with(
                "values[0]: Invalid value: \"https://kubernetes.default.svc\": a valid label must be"
            )),
            "{strict:?}"
        );
        let bad_key = parse(&json!({"matchLabels": {"path[0]": "x"}}), Flavour::Params);
        assert!(
            bad_key.as_ref().is_err_and(|e| e.starts_with(
                "key: Invalid value: \"path[0]\": name part must consist of alphanumeric characters"
            )),
            "{bad_key:?}"
        );
        let prefixed = parse(
            &json!({"matchLabels": {"example.com/env": "x"}}),
            Flavour::Params,
        );
        assert!(prefixed.is_ok());
    }

    #[test]
    fn operator_and_value_count_errors() {
        let e = parse(
            &json!({"matchExpressions": [{"key": "a", "operator": "in", "values": ["x"]}]}),
            Flavour::Params,
        );
        assert_eq!(
            e,
            Err("\"in\" is not a valid pod selector operator".to_owned())
        );
        let e = parse(
            &json!({"matchExpressions": [{"key": "a", "operator": "In"}]}),
            Flavour::Params,
        );
        assert!(e.is_err_and(|m| m.contains("values set can't be empty")));
        let e = parse(
            &json!({"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]}),
            Flavour::Params,
        );
        assert!(e.is_err_and(|m| m.contains("values set must be empty")));
    }
}
