//! System-level ignore rules from the `argocd-cm` ConfigMap (semantics notes §4.2;
//! Argo CD `util/settings/settings.go` `GetResourceOverrides`,
//! `appendResourceOverridesFromSplitKeys`, `convertToOverrideKey`, `addStatusOverrideToGK`,
//! and `ResourceOverride.UnmarshalJSON`).
//!
//! - `resource.customizations` (legacy): a YAML map from override key to a
//!   `ResourceOverride` whose `ignoreDifferences` is a YAML *string* holding
//!   `jsonPointers` / `jqPathExpressions` / `managedFieldsManagers`.
//! - `resource.customizations.<type>.<group_kind>` (split keys): the key is split on `.`
//!   into at most 4 parts; `<group_kind>` is split on `_` (`apps_Deployment` →
//!   `apps/Deployment`, `Service` → `Service`, `all` → `*/*`). An `ignoreDifferences`
//!   split key replaces what the legacy map said for the same override key. An unknown
//!   `<type>`, an empty or many-`_` `<group_kind>`, or any YAML error fails the whole load.
//! - `resource.compareoptions`: `ignoreResourceStatusField` (`all`, the default, adds
//!   `/status` to `*/*`; `crd` to CustomResourceDefinitions; `none`/`off`/`false` nothing;
//!   anything else counts as `all`) and `ignoreAggregatedRoles`.
//!
//! Go decodes these with `sigs.k8s.io/yaml` into structs: field names match without
//! regard to case, unknown fields are ignored, and scalars of another type are turned
//! into strings where a string is expected.

use super::{IgnoreRule, OverrideSource, RuleOrigin};
use crate::load::yaml::{self, Node, Problem, Typed, Value as YValue};
use std::ops::Range;

/// The legacy data key.
pub const LEGACY_KEY: &str = "resource.customizations";
/// The compare options data key.
pub const COMPARE_OPTIONS_KEY: &str = "resource.compareoptions";
/// The override key of CustomResourceDefinitions.
pub const CRD_KEY: &str = "apiextensions.k8s.io/CustomResourceDefinition";

/// Customization types a split key may name.
pub const SPLIT_TYPES: &[&str] = &[
    "health",
    "useOpenLibs",
    "actions",
    "ignoreDifferences",
    "ignoreResourceUpdates",
    "knownTypeFields",
];

/// `ignoreResourceStatusField`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusField {
    /// `/status` ignored for every resource (`all`, empty, or unrecognised).
    All,
    /// Only for CustomResourceDefinitions.
    Crd,
    /// Not ignored (`none`, `off`, `false`).
    None,
}

/// How bad a problem is for Argo CD.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// `GetResourceOverrides` returns an error: Argo CD cannot load the resource
    /// overrides at all.
    LoadError,
    /// Argo CD logs a warning and goes on (the effect is described in the message).
    Warning,
}

/// A problem tied to one `data` key, with a byte range inside the value string when it
/// is known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigProblem {
    pub data_key: String,
    pub range: Option<Range<usize>>,
    pub message: String,
    pub severity: Severity,
}

/// What argocd-cm says about ignoring differences.
#[derive(Clone, Debug, PartialEq)]
pub struct SystemConfig {
    /// One rule per override key that has any `ignoreDifferences` content, with
    /// `origin` = [`RuleOrigin::Override`]. Argo CD's order is random (a Go map); here:
    /// legacy keys in file order, then split keys in data order, then a `*/*` created
    /// only for `/status`.
    pub overrides: Vec<IgnoreRule>,
    pub status_field: StatusField,
    /// `ignoreAggregatedRoles`: the `rules` of Roles/ClusterRoles with an
    /// `aggregationRule` are ignored (see [`super::aggregated_role_ignores_rules`]).
    pub ignore_aggregated_roles: bool,
    pub problems: Vec<ConfigProblem>,
}

impl SystemConfig {
    /// Whether Argo CD fails to load the resource overrides.
    pub fn load_fails(&self) -> bool {
        self.problems
            .iter()
            .any(|p| p.severity == Severity::LoadError)
    }
}

impl Default for SystemConfig {
    /// No argocd-cm data: only `/status` ignored for `*/*`.
    fn default() -> Self {
        parse_argocd_cm::<&str, &str>([])
    }
}

/// Argo CD's `getGroupKindForOverrideKey`: `a/b` → (`a`, `b`), `Kind` → (`""`, `Kind`),
/// more than one `/` → an error (Argo CD warns and uses empty group and kind).
pub fn group_kind_for_override_key(key: &str) -> Result<(String, String), String> {
    let parts: Vec<&str> = key.split('/').collect();
    match parts.as_slice() {
        [kind] => Ok((String::new(), (*kind).to_string())),
        [group, kind] => Ok(((*group).to_string(), (*kind).to_string())),
        _ => Err(format!(
            "override key must be <group>/<kind> or <kind>, got: '{key}'"
        )),
    }
}

/// Argo CD's `convertToOverrideKey` for the `<group_kind>` part of a split key (before
/// `all` is turned into `*/*`).
pub fn convert_to_override_key(group_kind: &str) -> Result<String, String> {
    let parts: Vec<&str> = group_kind.split('_').collect();
    match parts.as_slice() {
        [group, kind] => Ok(format!("{group}/{kind}")),
        [_] if !group_kind.is_empty() => Ok(group_kind.to_string()),
        _ => Err(format!(
            "group kind should be in format `resource.customizations.<type>.<group_kind>` or \
             resource.customizations.<type>.<kind>`, got group kind: '{group_kind}'"
        )),
    }
}

/// The override key a split data key names, with its customization type; `None` when the
/// key is not a split key at all (fewer than 4 `.`-parts, or another prefix).
pub fn split_key(data_key: &str) -> Option<(&str, Result<String, String>)> {
    if !data_key.starts_with(LEGACY_KEY) {
        return None;
    }
    let parts: Vec<&str> = data_key.splitn(4, '.').collect();
    let [_, _, kind, group_kind] = parts.as_slice() else {
        return None;
    };
    let key =
        convert_to_override_key(group_kind).map(|k| if k == "all" { "*/*".to_string() } else { k });
    Some((kind, key))
}

#[derive(Default, Clone)]
struct Ignore {
    json_pointers: Vec<String>,
    jq: Vec<String>,
    managers: Vec<String>,
}

impl Ignore {
    fn is_empty(&self) -> bool {
        self.json_pointers.is_empty() && self.jq.is_empty() && self.managers.is_empty()
    }
}

struct Override {
    key: String,
    ignore: Ignore,
    source: Option<(String, OverrideSource)>,
    status_added: bool,
}

/// Reads the `data` of an argocd-cm ConfigMap (key, value pairs in file order).
pub fn parse_argocd_cm<K: AsRef<str>, V: AsRef<str>>(
    data: impl IntoIterator<Item = (K, V)>,
) -> SystemConfig {
    let data: Vec<(String, String)> = data
        .into_iter()
        .map(|(k, v)| (k.as_ref().to_string(), v.as_ref().to_string()))
        .collect();
    let mut problems = Vec::new();
    let mut overrides: Vec<Override> = Vec::new();

    if let Some((_, value)) = data.iter().rev().find(|(k, _)| k == LEGACY_KEY)
        && !value.is_empty()
    {
        parse_legacy(value, &mut overrides, &mut problems);
    }

    for (key, value) in &data {
        let Some((kind, target)) = split_key(key) else {
            continue;
        };
        let target = match target {
            Ok(t) => t,
            Err(message) => {
                problems.push(load_error(key, None, message));
                continue;
            }
        };
        match kind {
            "ignoreDifferences" => {
                let ignore = parse_ignore_yaml(value, key, 0, &mut problems);
                let slot = slot(&mut overrides, &target);
                slot.ignore = ignore;
                slot.source = Some((key.clone(), OverrideSource::Split));
            }
            "useOpenLibs" => {
                if go_parse_bool(value).is_none() {
                    problems.push(load_error(
                        key,
                        Some(0..value.len()),
                        format!("strconv.ParseBool: parsing \"{value}\": invalid syntax"),
                    ));
                }
                slot(&mut overrides, &target);
            }
            "ignoreResourceUpdates" => {
                parse_ignore_yaml(value, key, 0, &mut problems);
                slot(&mut overrides, &target);
            }
            "knownTypeFields" => {
                check_known_type_fields(value, key, &mut problems);
                slot(&mut overrides, &target);
            }
            "health" | "actions" => {
                slot(&mut overrides, &target);
            }
            other => problems.push(load_error(
                key,
                None,
                format!("resource customization type {other} not supported"),
            )),
        }
    }

    let (status_field, ignore_aggregated_roles) =
        match data.iter().rev().find(|(k, _)| k == COMPARE_OPTIONS_KEY) {
            Some((_, value)) => parse_compare_options(value, &mut problems),
            None => (StatusField::All, false),
        };
    let status_key = match status_field {
        StatusField::All => Some("*/*"),
        StatusField::Crd => Some(CRD_KEY),
        StatusField::None => None,
    };
    if let Some(k) = status_key {
        let slot = slot(&mut overrides, k);
        slot.ignore.json_pointers.push("/status".into());
        slot.status_added = true;
    }

    let overrides = overrides
        .into_iter()
        .filter(|o| !o.ignore.is_empty())
        .map(|o| {
            let (group, kind) = group_kind_for_override_key(&o.key).unwrap_or_default();
            let (data_key, source) = match o.source {
                Some((k, s)) => (Some(k), Some(s)),
                None => (None, None),
            };
            IgnoreRule {
                group,
                kind,
                name: String::new(),
                namespace: String::new(),
                json_pointers: o.ignore.json_pointers,
                jq_path_expressions: o.ignore.jq,
                managed_fields_managers: o.ignore.managers,
                origin: RuleOrigin::Override {
                    key: o.key,
                    data_key,
                    source,
                    status_from_compare_options: o.status_added,
                },
            }
        })
        .collect::<Vec<_>>();
    for r in &overrides {
        if let RuleOrigin::Override { key, data_key, .. } = &r.origin
            && let Err(message) = group_kind_for_override_key(key)
        {
            problems.push(ConfigProblem {
                data_key: data_key.clone().unwrap_or_else(|| LEGACY_KEY.to_string()),
                range: None,
                message: format!("{message}; Argo CD logs this and the rules match nothing"),
                severity: Severity::Warning,
            });
        }
    }
    SystemConfig {
        overrides,
        status_field,
        ignore_aggregated_roles,
        problems,
    }
}

fn slot<'a>(overrides: &'a mut Vec<Override>, key: &str) -> &'a mut Override {
    let i = match overrides.iter().position(|o| o.key == key) {
        Some(i) => i,
        None => {
            overrides.push(Override {
                key: key.to_string(),
                ignore: Ignore::default(),
                source: None,
                status_added: false,
            });
            overrides.len() - 1
        }
    };
    &mut overrides[i]
}

fn load_error(key: &str, range: Option<Range<usize>>, message: String) -> ConfigProblem {
    ConfigProblem {
        data_key: key.to_string(),
        range,
        message,
        severity: Severity::LoadError,
    }
}

/// Go `strconv.ParseBool`.
pub fn go_parse_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// Parses a YAML document; problems become load errors (ranges shifted by `base`).
fn parse_doc(
    text: &str,
    key: &str,
    base: usize,
    problems: &mut Vec<ConfigProblem>,
) -> Option<Node> {
    let parsed = yaml::parse(text);
    let mut ok = true;
    for p in &parsed.problems {
        ok = false;
        match p {
            Problem::Syntax { start, end, message } => problems.push(load_error(
                key,
                Some(base + *start as usize..base + (*end as usize).max(*start as usize)),
                format!("the value is not valid YAML: {message}"),
            )),
            Problem::DuplicateKey { key: k, start, end, .. } => problems.push(load_error(
                key,
                Some(base + *start as usize..base + *end as usize),
                format!("key \"{k}\" is repeated; Argo CD's YAML decoder rejects the value (already set in map)"),
            )),
        }
    }
    if !ok {
        return None;
    }
    if parsed.documents.len() > 1 {
        problems.push(load_error(
            key,
            None,
            "the value holds several YAML documents; Argo CD reads only the first".into(),
        ));
    }
    parsed.documents.into_iter().next().map(|d| d.root)
}

fn span(n: &Node, base: usize) -> Range<usize> {
    base + n.start as usize..base + n.end as usize
}

/// The last entry whose key matches `name` without regard to ASCII case (encoding/json).
fn field<'a>(n: &'a Node, name: &str) -> Option<&'a Node> {
    n.entries()
        .iter()
        .rev()
        .find(|e| {
            e.key
                .key_string()
                .is_some_and(|k| k.eq_ignore_ascii_case(name))
        })
        .map(|e| &e.value)
}

fn type_name(n: &Node) -> &'static str {
    match &n.value {
        YValue::Map(_) => "object",
        YValue::Seq(_) => "array",
        YValue::Scalar(s) => match s.typed {
            Typed::Null => "null",
            Typed::Bool(_) => "bool",
            Typed::Int(_) | Typed::Uint(_) | Typed::Float(_) => "number",
            Typed::Str => "string",
        },
    }
}

/// A scalar read into a Go string field by sigs.k8s.io/yaml (other scalar types become
/// their text; `null` the empty string).
fn go_string(n: &Node) -> Option<String> {
    let s = n.scalar()?;
    Some(match s.typed {
        Typed::Null => String::new(),
        Typed::Bool(b) => b.to_string(),
        _ => s.text.clone(),
    })
}

/// A `[]string` field.
fn string_list(
    n: &Node,
    field_name: &str,
    key: &str,
    base: usize,
    problems: &mut Vec<ConfigProblem>,
) -> Vec<String> {
    if n.is_null() {
        return Vec::new();
    }
    if !n.is_seq() {
        problems.push(load_error(
            key,
            Some(span(n, base)),
            format!(
                "`{field_name}` must be a list of strings, not {}",
                article(type_name(n))
            ),
        ));
        return Vec::new();
    }
    let mut out = Vec::new();
    for item in n.items() {
        match go_string(item) {
            Some(s) => out.push(s),
            None => problems.push(load_error(
                key,
                Some(span(item, base)),
                format!(
                    "items of `{field_name}` must be strings, not {}",
                    article(type_name(item))
                ),
            )),
        }
    }
    out
}

fn article(t: &str) -> String {
    match t {
        "null" => "null".into(),
        "object" | "array" => format!("an {t}"),
        _ => format!("a {t}"),
    }
}

/// An `OverrideIgnoreDiff` YAML document at byte `base` of the data value.
fn parse_ignore_yaml(
    text: &str,
    key: &str,
    base: usize,
    problems: &mut Vec<ConfigProblem>,
) -> Ignore {
    let Some(root) = parse_doc(text, key, base, problems) else {
        return Ignore::default();
    };
    if root.is_null() {
        return Ignore::default();
    }
    if !root.is_map() {
        problems.push(load_error(
            key,
            Some(span(&root, base)),
            format!(
                "the ignoreDifferences value must be a YAML map with jsonPointers, jqPathExpressions \
                 or managedFieldsManagers, not {}",
                article(type_name(&root))
            ),
        ));
        return Ignore::default();
    }
    let mut out = Ignore::default();
    if let Some(n) = field(&root, "jsonPointers") {
        out.json_pointers = string_list(n, "jsonPointers", key, base, problems);
    }
    if let Some(n) = field(&root, "jqPathExpressions") {
        out.jq = string_list(n, "jqPathExpressions", key, base, problems);
    }
    if let Some(n) = field(&root, "managedFieldsManagers") {
        out.managers = string_list(n, "managedFieldsManagers", key, base, problems);
    }
    out
}

fn check_known_type_fields(text: &str, key: &str, problems: &mut Vec<ConfigProblem>) {
    let Some(root) = parse_doc(text, key, 0, problems) else {
        return;
    };
    if !(root.is_null() || root.is_seq()) {
        problems.push(load_error(
            key,
            Some(span(&root, 0)),
            format!(
                "knownTypeFields must be a list, not {}",
                article(type_name(&root))
            ),
        ));
    }
}

fn parse_legacy(text: &str, overrides: &mut Vec<Override>, problems: &mut Vec<ConfigProblem>) {
    let Some(root) = parse_doc(text, LEGACY_KEY, 0, problems) else {
        return;
    };
    if root.is_null() {
        return;
    }
    if !root.is_map() {
        problems.push(load_error(
            LEGACY_KEY,
            Some(span(&root, 0)),
            format!(
                "the value must be a YAML map of override keys, not {}",
                article(type_name(&root))
            ),
        ));
        return;
    }
    for entry in root.entries() {
        let Some(override_key) = entry.key.key_string() else {
            problems.push(load_error(
                LEGACY_KEY,
                Some(span(&entry.key, 0)),
                "override keys must be strings".into(),
            ));
            continue;
        };
        let value = &entry.value;
        if value.is_null() {
            slot(overrides, &override_key);
            continue;
        }
        if !value.is_map() {
            problems.push(load_error(
                LEGACY_KEY,
                Some(span(value, 0)),
                format!(
                    "the override `{override_key}` must be a map, not {}",
                    article(type_name(value))
                ),
            ));
            continue;
        }
        let mut ignore = Ignore::default();
        for (field_name, collect) in [
            ("ignoreDifferences", true),
            ("ignoreResourceUpdates", false),
        ] {
            let Some(n) = field(value, field_name) else {
                continue;
            };
            let Some(inner) = go_string(n) else {
                problems.push(load_error(
                    LEGACY_KEY,
                    Some(span(n, 0)),
                    format!(
                        "`{field_name}` of `{override_key}` must be a YAML string (`{field_name}: |`), not {}",
                        article(type_name(n))
                    ),
                ));
                continue;
            };
            // Errors inside the embedded document are placed on the whole scalar: its
            // text was unescaped and unindented, so inner offsets do not map back simply.
            let mut inner_problems = Vec::new();
            let parsed = parse_ignore_yaml(&inner, LEGACY_KEY, 0, &mut inner_problems);
            for mut p in inner_problems {
                p.range = Some(span(n, 0));
                p.message = format!("in `{field_name}` of `{override_key}`: {}", p.message);
                problems.push(p);
            }
            if collect {
                ignore = parsed;
            }
        }
        if let Some(n) = field(value, "health.lua.useOpenLibs")
            && n.as_bool().is_none()
            && !n.is_null()
        {
            problems.push(load_error(
                LEGACY_KEY,
                Some(span(n, 0)),
                format!("`health.lua.useOpenLibs` of `{override_key}` must be a boolean"),
            ));
        }
        let slot = slot(overrides, &override_key);
        slot.ignore = ignore;
        slot.source = Some((LEGACY_KEY.to_string(), OverrideSource::Legacy));
    }
}

fn parse_compare_options(text: &str, problems: &mut Vec<ConfigProblem>) -> (StatusField, bool) {
    let key = COMPARE_OPTIONS_KEY;
    let Some(root) = parse_doc(text, key, 0, problems) else {
        return (StatusField::All, false);
    };
    if root.is_null() {
        return (StatusField::All, false);
    }
    if !root.is_map() {
        problems.push(load_error(
            key,
            Some(span(&root, 0)),
            format!(
                "the value must be a YAML map, not {}",
                article(type_name(&root))
            ),
        ));
        return (StatusField::All, false);
    }
    let mut aggregated = false;
    if let Some(n) = field(&root, "ignoreAggregatedRoles") {
        match (n.as_bool(), n.is_null()) {
            (Some(b), _) => aggregated = b,
            (None, true) => {}
            (None, false) => problems.push(load_error(
                key,
                Some(span(n, 0)),
                format!(
                    "`ignoreAggregatedRoles` must be a boolean, not {}",
                    article(type_name(n))
                ),
            )),
        }
    }
    if let Some(n) = field(&root, "ignoreDifferencesOnResourceUpdates")
        && n.as_bool().is_none()
        && !n.is_null()
    {
        problems.push(load_error(
            key,
            Some(span(n, 0)),
            format!(
                "`ignoreDifferencesOnResourceUpdates` must be a boolean, not {}",
                article(type_name(n))
            ),
        ));
    }
    let mut status = StatusField::All;
    if let Some(n) = field(&root, "ignoreResourceStatusField") {
        match go_string(n) {
            None => problems.push(load_error(
                key,
                Some(span(n, 0)),
                format!(
                    "`ignoreResourceStatusField` must be a string, not {}",
                    article(type_name(n))
                ),
            )),
            Some(v) => {
                status = match v.as_str() {
                    "" | "all" => StatusField::All,
                    "crd" => StatusField::Crd,
                    "none" | "off" | "false" => StatusField::None,
                    other => {
                        problems.push(ConfigProblem {
                            data_key: key.to_string(),
                            range: Some(span(n, 0)),
                            message: format!(
                                "unrecognized value for ignoreResourceStatusField - {other}; Argo CD ignores \
                                 status for all resources (valid: all, crd, none)"
                            ),
                            severity: Severity::Warning,
                        });
                        StatusField::All
                    }
                };
            }
        }
    }
    (status, aggregated)
}

#[cfg(test)]
mod tests;
