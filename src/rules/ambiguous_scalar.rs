//! GO006 ambiguous-yaml11-scalar: an unquoted scalar that Kubernetes' YAML 1.1 reading
//! (go-yaml v2 under sigs.k8s.io/yaml) turns into a boolean or a number where Kubernetes
//! expects a string, so the manifest is rejected.
//!
//! Checked: label values anywhere (`metadata.labels` at any depth, `matchLabels`,
//! `matchExpressions[].values`, `nodeSelector`, a Service's or ReplicationController's
//! `spec.selector`), annotation values of nested templates (`spec.template.metadata`,
//! `jobTemplate`, `volumeClaimTemplates`, …), ConfigMap `data` values and container
//! `env[].value`. The object's own `metadata.annotations` are SYN013's: a non-string
//! there also makes Argo CD ignore every annotation of the object, which is the worse
//! problem and is reported with its own code.

use crate::diagnostic::Diagnostic;
use crate::engine::Ctx;
use crate::load::yaml::{Entry, Node, Style, Typed};
use crate::model::Object;

pub const CODE: &str = "GO006";

/// Subtrees that hold free-form data or schemas, not Kubernetes object fields.
const SKIP: [&str; 3] = ["valuesObject", "openAPIV3Schema", "status"];
const CONTAINER_LISTS: [&str; 3] = ["containers", "initContainers", "ephemeralContainers"];

/// How a plain scalar that is not a string reads.
#[derive(Debug, PartialEq)]
pub enum Reading {
    /// A boolean or number the way most YAML readers see it (`true`, `8080`, `1.5`).
    Plain(String),
    /// A YAML 1.1 reading that YAML 1.2 readers and most people do not expect
    /// (`yes` → true, `0755` → 493, `1_000` → 1000, `0x1F` → 31).
    Yaml11(String),
}

fn is_decimal_int(t: &str) -> bool {
    let d = t.strip_prefix(['-', '+']).unwrap_or(t);
    !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()) && (d == "0" || !d.starts_with('0'))
}

fn is_plain_float(t: &str) -> bool {
    let d = t.strip_prefix(['-', '+']).unwrap_or(t);
    if matches!(d, ".inf" | ".Inf" | ".INF" | ".nan" | ".NaN" | ".NAN") {
        return true;
    }
    let (mant, exp) = match d.find(['e', 'E']) {
        Some(i) => (&d[..i], Some(&d[i + 1..])),
        None => (d, None),
    };
    let exp_ok = exp.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit())
    });
    let (int, frac) = match mant.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (mant, None),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    // A float needs a '.' or an exponent; "08" and "1_0" are YAML 1.1 oddities.
    (frac.is_some() || exp.is_some())
        && digits(int)
        && frac.is_none_or(digits)
        && !(int.is_empty() && frac.is_none_or(str::is_empty))
        && exp_ok
}

/// How Kubernetes reads a scalar, when it is a plain (unquoted) boolean or number.
pub fn reading(n: &Node) -> Option<Reading> {
    let s = n.scalar()?;
    if s.style != Style::Plain {
        return None;
    }
    let t = s.text.as_str();
    Some(match s.typed {
        Typed::Str | Typed::Null => return None,
        Typed::Bool(b) => {
            if matches!(t, "true" | "True" | "TRUE" | "false" | "False" | "FALSE") {
                Reading::Plain(format!("the boolean {b}"))
            } else {
                Reading::Yaml11(format!(
                    "the boolean {b} (YAML 1.1 reads yes/no, on/off and y/n as booleans)"
                ))
            }
        }
        Typed::Int(_) | Typed::Uint(_) => {
            let v = match s.typed {
                Typed::Int(i) => i.to_string(),
                Typed::Uint(u) => u.to_string(),
                _ => String::new(),
            };
            let body = t.trim_start_matches(['-', '+']);
            if is_decimal_int(t) {
                Reading::Plain(format!("the integer {v}"))
            } else if t.contains('_') {
                Reading::Yaml11(format!(
                    "the integer {v} (YAML 1.1 drops the underscores in numbers)"
                ))
            } else if body.starts_with("0x") || body.starts_with("0X") {
                Reading::Yaml11(format!("the integer {v} (hexadecimal)"))
            } else if body.starts_with("0b") || body.starts_with("0B") {
                Reading::Yaml11(format!("the integer {v} (binary)"))
            } else {
                Reading::Yaml11(format!(
                    "the integer {v} (YAML 1.1 reads a leading 0 as octal)"
                ))
            }
        }
        Typed::Float(f) => {
            if is_plain_float(t) {
                Reading::Plain(format!("the number {f}"))
            } else {
                Reading::Yaml11(format!(
                    "the number {f} (YAML 1.1 reads a number with a leading 0 but digits that are not octal as a float)"
                ))
            }
        }
    })
}

/// The mapping's entries as Kubernetes sees them: for a repeated key, only the last.
fn effective(node: &Node) -> impl Iterator<Item = &Entry> {
    node.entries().iter().filter(move |e| {
        e.key
            .key_string()
            .and_then(|k| node.entry(&k))
            .is_some_and(|last| std::ptr::eq(last, *e))
    })
}

struct Walker<'a, 'o> {
    o: &'o Object,
    out: &'a mut Vec<Diagnostic>,
}

impl Walker<'_, '_> {
    fn report(&mut self, what: &str, key: &str, n: &Node) {
        let Some(r) = reading(n) else { return };
        let text = n.scalar_text().unwrap_or_default();
        let (reads, label) = match &r {
            Reading::Plain(s) => (s.clone(), "not a string"),
            Reading::Yaml11(s) => (s.clone(), "YAML 1.1 reads this as a non-string"),
        };
        self.out.push(
            Diagnostic::new(
                CODE,
                self.o.span(n),
                format!(
                    "the value of {what} {key} is {reads}, not the string \"{text}\"; Kubernetes requires a string here and rejects the manifest"
                ),
            )
            .with_label(label)
            .with_help(format!("Quote the value so YAML reads it as a string: \"{text}\"."))
            .with_object(Some(self.o.object_ref())),
        );
    }

    fn string_map(&mut self, what: &str, map: &Node) {
        for e in effective(map) {
            let key = e.key.key_string().unwrap_or_default();
            self.report(what, &key, &e.value);
        }
    }

    fn match_expressions(&mut self, list: &Node) {
        for expr in list.items() {
            let key = expr.get("key").and_then(Node::as_str).unwrap_or("");
            if let Some(values) = expr.get("values") {
                for v in values.items() {
                    self.report("matchExpressions key", key, v);
                }
            }
        }
    }

    fn containers(&mut self, list: &Node) {
        for c in list.items() {
            let Some(env) = c.get("env") else { continue };
            for var in env.items() {
                let name = var.get("name").and_then(Node::as_str).unwrap_or("");
                if let Some(v) = var.get("value") {
                    self.report("environment variable", name, v);
                }
            }
        }
    }

    fn walk(&mut self, node: &Node, root: bool) {
        if node.is_seq() {
            for it in node.items() {
                self.walk(it, false);
            }
            return;
        }
        for e in effective(node) {
            let Some(k) = e.key.key_string() else {
                continue;
            };
            let v = &e.value;
            match k.as_str() {
                "metadata" if v.is_map() => {
                    if let Some(l) = v.get("labels") {
                        self.string_map("label", l);
                    }
                    // The object's own annotations are SYN013's.
                    if !root && let Some(a) = v.get("annotations") {
                        self.string_map("annotation", a);
                    }
                }
                "matchLabels" => self.string_map("matchLabels", v),
                "nodeSelector" => self.string_map("nodeSelector", v),
                "matchExpressions" => self.match_expressions(v),
                k if CONTAINER_LISTS.contains(&k) => {
                    self.containers(v);
                    self.walk(v, false);
                }
                k if SKIP.contains(&k) => {}
                _ => self.walk(v, false),
            }
        }
    }
}

pub fn check(_cx: &Ctx<'_>, o: &Object, out: &mut Vec<Diagnostic>) {
    let mut w = Walker { o, out };
    if o.is("", "ConfigMap")
        && let Some(data) = o.node.get("data")
    {
        w.string_map("ConfigMap data key", data);
    }
    if (o.is("", "Service") || o.is("", "ReplicationController"))
        && let Some(sel) = o.spec().and_then(|s| s.get("selector"))
        && sel.get("matchLabels").is_none()
    {
        w.string_map("selector", sel);
    }
    w.walk(&o.node, true);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::yaml::parse;

    fn read(text: &str) -> Option<Reading> {
        let p = parse(&format!("v: {text}\n"));
        let root = &p.documents.first().expect("a document").root;
        reading(root.get("v").expect("v"))
    }

    fn codes_at_lines(text: &str) -> Vec<usize> {
        let root = parse(text).documents.remove(0).root;
        let o = Object::new(crate::source::FileId(0), 0, None, root).expect("an object");
        let repo = crate::model::Repo::default();
        let config = crate::config::Config::default();
        let model = crate::model::Model::build(&repo, &config, Default::default());
        let cx = Ctx::new(&repo, &config, &model);
        let mut out = Vec::new();
        check(&cx, &o, &mut out);
        out.iter()
            .map(|d| text[..d.primary.span.start as usize].lines().count())
            .collect()
    }

    #[test]
    fn free_form_subtrees_are_skipped() {
        // Inline Helm values and CRD schemas are data, not Kubernetes fields.
        let app = "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web\nspec:\n  source:\n    helm:\n      valuesObject:\n        metadata:\n          labels:\n            enabled: yes\n  template:\n    metadata:\n      labels:\n        enabled: yes\n";
        assert_eq!(codes_at_lines(app), [15]);
    }

    #[test]
    fn own_annotations_are_left_to_syn013() {
        let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  annotations:\n    x: yes\n  labels:\n    y: no\n";
        assert_eq!(codes_at_lines(cm), [8]);
    }

    #[test]
    fn readings() {
        let yaml11 = [
            "yes", "No", "on", "OFF", "y", "n", "0755", "1_000", "0x1F", "0b101", "08", "007",
        ];
        for t in yaml11 {
            assert!(matches!(read(t), Some(Reading::Yaml11(_))), "{t}");
        }
        let plain = [
            "true", "False", "8080", "-1", "0", "1.5", "1e3", ".5", "+7", ".inf",
        ];
        for t in plain {
            assert!(matches!(read(t), Some(Reading::Plain(_))), "{t}");
        }
        for t in ["\"yes\"", "'0755'", "text", "", "~", "null", "1.2.3", "v1"] {
            assert_eq!(read(t), None, "{t}");
        }
        assert_eq!(
            read("0755"),
            Some(Reading::Yaml11(
                "the integer 493 (YAML 1.1 reads a leading 0 as octal)".into()
            ))
        );
    }
}
