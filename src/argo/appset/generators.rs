//! Parameter generation: `Transform`, `GetRelevantGenerators`, `InterpolateGenerator` and
//! the list, Git, cluster, matrix and merge generators (semantics §5.1–§5.5).
//!
//! Parameter sets are JSON objects: flat string maps in fasttemplate mode, nested values
//! in goTemplate mode, as Argo CD builds them. Errors carry Argo CD's message, wrapped the
//! way its callers wrap it, and a JSON pointer to what is at fault.

use crate::argo::appset::golang::{format_v, path_base, path_dir, sanitize_name};
use crate::argo::appset::selector::{self, Flavour};
use crate::argo::appset::template::{self, Tree};
use crate::argo::appset::validate::GENERATOR_KEYS;
use crate::argo::appset::{
    Env, ErrorKind, ExpandError, IssueKind, Item, NotExpanded, ParamRef, ParamSet, ParamSource,
    Part, escape_token, fasttemplate, gitmatch,
};
use crate::model::cluster::{ClusterOrigin, IN_CLUSTER_NAME, IN_CLUSTER_SERVER};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

/// The most parameter sets one matrix may produce (and Applications one set may generate)
/// before the expansion gives up on it: a matrix multiplies, and hostile input must not
/// exhaust memory. Far above any real ApplicationSet.
pub const MAX_PARAM_SETS: usize = 100_000;

/// The expansion context of one ApplicationSet.
pub struct Cx<'a> {
    pub go_template: bool,
    pub options: Vec<String>,
    /// The first `goTemplateOptions` entry Go's `Template.Option` panics on: its index
    /// in the spec and the panic value (goTemplate mode only).
    pub options_panic: Option<(usize, String)>,
    pub env: &'a Env<'a>,
}

/// Why [`Cx::replace`] failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplaceError {
    /// [`ErrorKind::Template`], [`ErrorKind::TemplateOptions`] or
    /// [`ErrorKind::Unsupported`].
    pub kind: ErrorKind,
    pub message: String,
    /// Byte range in the string of what failed.
    pub range: Option<Range<usize>>,
    /// Where the fault is when it is not the string itself (a `goTemplateOptions` entry).
    pub pointer: Option<String>,
}

impl ReplaceError {
    /// The error for the string at `pointer`.
    pub fn at(self, pointer: &str) -> ExpandError {
        let e = ExpandError::new(
            self.kind,
            self.pointer.unwrap_or_else(|| pointer.to_owned()),
            self.message,
        );
        match self.range {
            Some(r) => e.at_range(r),
            None => e,
        }
    }
}

impl<'a> Cx<'a> {
    pub fn new(spec: &Value, env: &'a Env<'a>) -> Cx<'a> {
        let go_template = spec.get("goTemplate").and_then(Value::as_bool) == Some(true);
        let raw = match spec.get("goTemplateOptions") {
            Some(Value::Array(o)) => o.as_slice(),
            _ => &[],
        };
        let options: Vec<String> = raw
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect();
        let options_panic = if go_template {
            env.go.check_options(&options).err().map(|(i, m)| {
                // Index in the spec, whose non-strings were left out of `options`.
                let at = raw
                    .iter()
                    .enumerate()
                    .filter(|(_, v)| v.is_string())
                    .nth(i)
                    .map_or(i, |(j, _)| j);
                (at, m)
            })
        } else {
            None
        };
        Cx {
            go_template,
            options,
            options_panic,
            env,
        }
    }

    /// `Render.Replace` of one string: the text and the parameters it references, or
    /// what failed.
    pub fn replace(&self, s: &str, data: &Value) -> Result<(String, Vec<ParamRef>), ReplaceError> {
        if self.go_template {
            return self.replace_go(s, data);
        }
        let empty = Map::new();
        let params = data.as_object().unwrap_or(&empty);
        match fasttemplate::render(s, params) {
            Ok(r) => {
                let refs = r
                    .tags
                    .into_iter()
                    .map(|(t, resolved)| ParamRef {
                        name: t.name,
                        range: t.range,
                        resolved,
                    })
                    .collect();
                Ok((r.text, refs))
            }
            Err(message) => Err(ReplaceError {
                kind: ErrorKind::Template,
                message,
                range: Some(0..s.len()),
                pointer: None,
            }),
        }
    }

    fn replace_go(&self, s: &str, data: &Value) -> Result<(String, Vec<ParamRef>), ReplaceError> {
        // A string without `{{` has no action: Go returns it unchanged, unless applying
        // the options panics (Argo CD parses and applies them for every string).
        if !s.contains("{{") && self.options_panic.is_none() {
            return Ok((s.to_owned(), Vec::new()));
        }
        let refs = self
            .env
            .go
            .param_refs(s)
            .into_iter()
            .map(|mut r| {
                r.resolved = lookup(data, &r.name).is_some();
                r
            })
            .collect();
        let issue = match self.env.go.render(s, data, &self.options) {
            Ok(text) if self.options_panic.is_none() => return Ok((text, refs)),
            Ok(_) => None,
            Err(issue) => Some(issue),
        };
        let what = match (&issue, &self.options_panic) {
            // `Parse` comes before `Option` in `Render.Replace`.
            (Some(i), _) if i.kind == IssueKind::Parse => "failed to parse template",
            (_, Some((at, m))) => {
                return Err(ReplaceError {
                    kind: ErrorKind::TemplateOptions,
                    message: format!("panic: {m}"),
                    range: None,
                    pointer: Some(format!("/spec/goTemplateOptions/{at}")),
                });
            }
            (Some(i), None) if i.kind == IssueKind::Unsupported => {
                return Err(ReplaceError {
                    kind: ErrorKind::Unsupported,
                    message: i.message.clone(),
                    range: Some(i.range.clone()),
                    pointer: None,
                });
            }
            _ => "failed to execute go template",
        };
        let (message, range) = issue.map_or((String::new(), 0..0), |i| (i.message, i.range));
        Err(ReplaceError {
            kind: ErrorKind::Template,
            message: format!("{what} {s}: {message}"),
            range: Some(range),
            pointer: None,
        })
    }

    /// [`Cx::replace`] for a template string at `pointer`, failing the set.
    pub fn render_string(
        &self,
        s: &str,
        pointer: &str,
        data: &Value,
    ) -> Result<(String, Vec<ParamRef>), ExpandError> {
        self.replace(s, data).map_err(|e| e.at(pointer))
    }
}

/// A dotted field chain in a parameter set (`path.basename`). A map key may itself hold
/// dots (`index .metadata.labels "app.kubernetes.io/name"` is the chain
/// `metadata.labels.app.kubernetes.io/name`): every split is tried, shortest key first.
fn lookup<'v>(data: &'v Value, name: &str) -> Option<&'v Value> {
    let name = name.strip_prefix('.').unwrap_or(name);
    if name.is_empty() {
        return Some(data);
    }
    let segments: Vec<&str> = name.split('.').collect();
    let mut budget = 10_000usize;
    lookup_segments(data, &segments, &mut budget)
}

fn lookup_segments<'v>(
    data: &'v Value,
    segments: &[&str],
    budget: &mut usize,
) -> Option<&'v Value> {
    if segments.is_empty() {
        return Some(data);
    }
    let Value::Object(m) = data else {
        return None;
    };
    for n in 1..=segments.len() {
        *budget = budget.checked_sub(1)?;
        let (key, rest) = segments.split_at(n);
        if let Some(v) = m.get(&key.join("."))
            && let Some(found) = lookup_segments(v, rest, budget)
        {
            return Some(found);
        }
    }
    None
}

/// Why a generator produced no parameter sets here.
#[derive(Debug, Clone, PartialEq)]
pub enum Fail {
    /// Argo CD fails the ApplicationSet.
    Error(ExpandError),
    /// The generator needs the outside world.
    External(Vec<NotExpanded>),
}

impl Fail {
    fn wrap(self, prefix: &str) -> Fail {
        match self {
            Fail::Error(e) => Fail::Error(e.wrap(prefix)),
            other => other,
        }
    }
}

impl From<ExpandError> for Fail {
    fn from(e: ExpandError) -> Self {
        Fail::Error(e)
    }
}

/// One relevant generator of a generator element (`TransformResult`).
#[derive(Debug, Clone)]
pub struct TransformResult {
    /// JSON pointer of the generator (`/spec/generators/0/list`).
    pub generator: String,
    pub params: Vec<ParamSet>,
    /// The generator's `template` merged over `spec.template` (top level only).
    pub template: Option<Tree>,
}

/// What `transform` produced for one generator element.
#[derive(Debug, Clone, Default)]
pub struct Transformed {
    pub results: Vec<TransformResult>,
    /// Generators of the element that could not be expanded.
    pub external: Vec<NotExpanded>,
}

/// `Transform`: the parameter sets of every generator set in the element `elem` (at
/// `ptr`), interpolated with `gen_params` (a matrix's second child gets the first child's
/// parameters), filtered by the element's `selector`, with the merged template when
/// `base` is given. `depth` is 0 for `spec.generators`, 1 for their matrix/merge children
/// and 2 below, where matrix and merge are not available.
pub fn transform(
    cx: &Cx<'_>,
    elem: &Value,
    ptr: &str,
    base: Option<&Tree>,
    gen_params: Option<&ParamSet>,
    depth: usize,
) -> Result<Transformed, ExpandError> {
    let sel = match elem.get("selector") {
        Some(s) if !s.is_null() => Some(selector::parse(s, Flavour::Params).map_err(|e| {
            ExpandError::new(
                ErrorKind::Selector,
                format!("{ptr}/selector"),
                format!("error parsing label selector: {e}"),
            )
        })?),
        _ => None,
    };
    let keys: Vec<&str> = GENERATOR_KEYS
        .into_iter()
        .filter(|k| elem.get(*k).is_some_and(|v| !v.is_null()))
        .filter(|k| depth < 2 || !matches!(*k, "matrix" | "merge"))
        .collect();
    let interpolated;
    let elem = match gen_params {
        Some(p) if !p.values.is_empty() && !keys.is_empty() => {
            let data = Value::Object(p.values.clone());
            interpolated = interpolate(cx, elem, ptr, &data)
                .map_err(|e| e.wrap("failed to replace parameters in generator"))?;
            &interpolated
        }
        _ => elem,
    };
    let mut out = Transformed::default();
    for key in keys {
        let gptr = format!("{ptr}/{key}");
        let body = elem.get(key).unwrap_or(&Value::Null);
        let params = match generate(cx, key, body, &gptr, depth) {
            Ok(p) => p,
            Err(Fail::Error(e)) => return Err(e),
            Err(Fail::External(mut ne)) => {
                out.external.append(&mut ne);
                continue;
            }
        };
        let params = match &sel {
            Some(s) => params
                .into_iter()
                .filter(|p| {
                    let flat: BTreeMap<String, String> =
                        crate::argo::appset::golang::flatten(&p.values, &|k| p.opaque.contains(k))
                            .into_iter()
                            .map(|(k, v)| (k, format_v(&v)))
                            .collect();
                    s.matches(&|k| flat.get(k).cloned())
                })
                .collect(),
            None => params,
        };
        let template = base.map(|b| {
            let own = Tree::from_json(
                body.get("template").unwrap_or(&Value::Null),
                &format!("{gptr}/template"),
                Part::GeneratorTemplate,
            );
            template::merge(&own, b)
        });
        out.results.push(TransformResult {
            generator: gptr,
            params,
            template,
        });
    }
    Ok(out)
}

/// `InterpolateGenerator`: every string and map key of the generator element rendered
/// with the parameters.
fn interpolate(cx: &Cx<'_>, v: &Value, ptr: &str, data: &Value) -> Result<Value, ExpandError> {
    Ok(match v {
        Value::String(s) => Value::String(cx.render_string(s, ptr, data)?.0),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, x)| interpolate(cx, x, &format!("{ptr}/{i}"), data))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(m) => {
            let mut out = Map::new();
            for (k, x) in m {
                if x.is_null() {
                    continue;
                }
                let p = format!("{ptr}/{}", escape_token(k));
                let value = interpolate(cx, x, &p, data)?;
                let key = if k.contains("{{") {
                    cx.render_string(k, &p, data)?.0
                } else {
                    k.clone()
                };
                out.insert(key, value);
            }
            Value::Object(out)
        }
        other => other.clone(),
    })
}

fn generate(
    cx: &Cx<'_>,
    key: &str,
    body: &Value,
    gptr: &str,
    depth: usize,
) -> Result<Vec<ParamSet>, Fail> {
    match key {
        "list" => Ok(list(cx, body, gptr)?),
        "clusters" => Ok(clusters(cx, body, gptr)?),
        "git" => git(cx, body, gptr),
        "matrix" => matrix(cx, body, gptr, depth),
        "merge" => merge(cx, body, gptr, depth),
        other => Err(Fail::External(vec![NotExpanded {
            generator: gptr.to_owned(),
            kind: other.to_owned(),
            reason: external_reason(other).to_owned(),
        }])),
    }
}

fn external_reason(kind: &str) -> &'static str {
    match kind {
        "scmProvider" => "it lists repositories through an SCM provider's API",
        "pullRequest" => "it lists pull requests through an SCM provider's API",
        "clusterDecisionResource" => "it reads a decision resource from the cluster",
        "plugin" => "it calls a plugin service",
        _ => "it needs data from outside the repository",
    }
}

fn set(values: Map<String, Value>, generator: &str, item: Item) -> ParamSet {
    ParamSet {
        values,
        opaque: BTreeSet::new(),
        sources: vec![ParamSource {
            generator: generator.to_owned(),
            item,
        }],
    }
}

fn go_type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

// ---------------------------------------------------------------------------------------
// list

/// The list generator (§5.2): `elements`, then `elementsYaml`.
fn list(cx: &Cx<'_>, body: &Value, gptr: &str) -> Result<Vec<ParamSet>, ExpandError> {
    let mut out = Vec::new();
    let elements = match body.get("elements") {
        Some(Value::Array(e)) => e.as_slice(),
        _ => &[],
    };
    for (i, el) in elements.iter().enumerate() {
        let eptr = format!("{gptr}/elements/{i}");
        let element = match el {
            Value::Object(m) => m.clone(),
            Value::Null => Map::new(),
            other => {
                return Err(ExpandError::new(
                    ErrorKind::ListDecode,
                    eptr,
                    format!(
                        "error unmarshling list element json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
                        go_type_name(other)
                    ),
                ));
            }
        };
        let values = if cx.go_template {
            element
        } else {
            flat_list_element(&element, &eptr)?
        };
        out.push(set(values, gptr, Item::Element { pointer: eptr }));
    }
    if let Some(text) = body
        .get("elementsYaml")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
    {
        let yptr = format!("{gptr}/elementsYaml");
        let decode = |message: String| {
            ExpandError::new(
                ErrorKind::ListDecode,
                yptr.clone(),
                format!("error unmarshling decoded ElementsYaml {message}"),
            )
        };
        let items = match yaml_first_document(text).map_err(decode)? {
            Value::Null => Vec::new(),
            Value::Array(items) => items,
            other => {
                return Err(decode(format!(
                    "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type []map[string]interface {{}}",
                    go_type_name(&other)
                )));
            }
        };
        for (index, item) in items.into_iter().enumerate() {
            // Appended as decoded, in both modes: fasttemplate does not flatten or check
            // these (list.go appends `yamlElements` as they are).
            let values = match item {
                Value::Object(m) => m,
                Value::Null => Map::new(),
                other => {
                    return Err(decode(format!(
                        "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
                        go_type_name(&other)
                    )));
                }
            };
            out.push(set(values, gptr, Item::ElementYaml { index }));
        }
    }
    Ok(out)
}

/// A list element in fasttemplate mode: every value must be a string, except `values`,
/// a map of strings that becomes `values.<key>`.
fn flat_list_element(
    element: &Map<String, Value>,
    eptr: &str,
) -> Result<Map<String, Value>, ExpandError> {
    let not_string = |at: String| {
        let mut e = ExpandError::new(ErrorKind::ListValue, at, "error parsing value as string");
        // Argo CD wraps a nil error here, which Go prints as `%!w(<nil>)`.
        e.message = "error parsing value as string %!w(<nil>)".to_owned();
        e
    };
    let mut out = Map::new();
    for (k, v) in element {
        let at = format!("{eptr}/{}", escape_token(k));
        if k == "values" {
            let Value::Object(values) = v else {
                return Err(ExpandError::new(
                    ErrorKind::ListValue,
                    at,
                    "error parsing values map",
                ));
            };
            for (vk, vv) in values {
                let Value::String(s) = vv else {
                    return Err(not_string(format!("{at}/{}", escape_token(vk))));
                };
                out.insert(format!("values.{vk}"), Value::String(s.clone()));
            }
        } else {
            let Value::String(s) = v else {
                return Err(not_string(at));
            };
            out.insert(k.clone(), Value::String(s.clone()));
        }
    }
    Ok(out)
}

/// The first YAML document of `text` as `sigs.k8s.io/yaml` decodes it (`null` for none).
fn yaml_first_document(text: &str) -> Result<Value, String> {
    let parsed = crate::load::yaml::parse(text);
    if let Some(crate::load::yaml::Problem::Syntax { message, .. }) = parsed
        .problems
        .iter()
        .find(|p| matches!(p, crate::load::yaml::Problem::Syntax { .. }))
    {
        return Err(format!("error converting YAML to JSON: yaml: {message}"));
    }
    Ok(parsed
        .documents
        .first()
        .map_or(Value::Null, |d| d.root.to_json()))
}

// ---------------------------------------------------------------------------------------
// values

/// `appendTemplatedValues`: the generator's `values`, each rendered with the parameters
/// produced so far, added as `values.<key>` (fasttemplate) or a `values` map (goTemplate).
fn append_values(
    cx: &Cx<'_>,
    values: &[(String, String)],
    p: &mut ParamSet,
    gptr: &str,
) -> Result<(), ExpandError> {
    if values.is_empty() {
        return Ok(());
    }
    let data = Value::Object(p.values.clone());
    let mut rendered = Vec::with_capacity(values.len());
    for (k, v) in values {
        let at = format!("{gptr}/values/{}", escape_token(k));
        let (text, _) = cx.replace(v, &data).map_err(|e| {
            e.at(&at)
                .wrap("failed to replace templated string with rendered values")
                .wrap("failed to replace templated string")
        })?;
        rendered.push((k.clone(), text));
    }
    if cx.go_template {
        let map: Map<String, Value> = rendered
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect();
        p.values.insert("values".to_owned(), Value::Object(map));
        p.opaque.insert("values".to_owned());
    } else {
        for (k, v) in rendered {
            p.values.insert(format!("values.{k}"), Value::String(v));
        }
    }
    Ok(())
}

fn string_map(v: Option<&Value>) -> Vec<(String, String)> {
    match v {
        Some(Value::Object(m)) => m
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| {
                let s = match v {
                    Value::String(s) => s.clone(),
                    other => format_v(other),
                };
                (k.clone(), s)
            })
            .collect(),
        _ => Vec::new(),
    }
}

// ---------------------------------------------------------------------------------------
// git

/// The Git generator (§5.5) on this repository.
fn git(cx: &Cx<'_>, body: &Value, gptr: &str) -> Result<Vec<ParamSet>, Fail> {
    let repo_url = body.get("repoURL").and_then(Value::as_str).unwrap_or("");
    if !(cx.env.is_this_repo)(repo_url) {
        let reason = if repo_url.is_empty() {
            "it names no repoURL".to_owned()
        } else {
            format!("it reads {repo_url}, which is not this repository")
        };
        return Err(Fail::External(vec![NotExpanded {
            generator: gptr.to_owned(),
            kind: "git".to_owned(),
            reason,
        }]));
    }
    let items = |key: &str| -> Vec<(String, bool)> {
        match body.get(key) {
            Some(Value::Array(items)) => items
                .iter()
                .map(|i| {
                    (
                        i.get("path")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_owned(),
                        i.get("exclude").and_then(Value::as_bool).unwrap_or(false),
                    )
                })
                .collect(),
            _ => Vec::new(),
        }
    };
    let prefix = body
        .get("pathParamPrefix")
        .and_then(Value::as_str)
        .unwrap_or("");
    let values = string_map(body.get("values"));
    let dirs = items("directories");
    let files = items("files");
    let res = if !dirs.is_empty() {
        git_directories(cx, &dirs, prefix, &values, gptr)
            .map_err(|e| e.wrap("error generating params from apps"))
    } else if !files.is_empty() {
        git_files(cx, &files, prefix, &values, gptr)
    } else {
        return Err(Fail::Error(ExpandError::new(
            ErrorKind::EmptyGenerator,
            gptr,
            "ApplicationSet is empty",
        )));
    };
    res.map_err(|e| Fail::Error(e.wrap("error generating params from git")))
}

fn git_directories(
    cx: &Cx<'_>,
    items: &[(String, bool)],
    prefix: &str,
    values: &[(String, String)],
    gptr: &str,
) -> Result<Vec<ParamSet>, ExpandError> {
    let mut out = Vec::new();
    for dir in cx.env.tree.directories() {
        let (mut include, mut exclude) = (false, false);
        for (pattern, excluded) in items {
            // A malformed pattern is logged and skipped by Argo CD.
            if crate::argo::path_match::filepath_match(pattern, dir) == Ok(true) {
                if *excluded {
                    exclude = true;
                } else {
                    include = true;
                }
            }
        }
        if !include || exclude {
            continue;
        }
        let mut p = set(Map::new(), gptr, Item::Directory { path: dir.clone() });
        path_params(cx, &mut p, prefix, dir, None);
        append_values(cx, values, &mut p, gptr)
            .map_err(|e| e.wrap("failed to append templated values"))?;
        out.push(p);
    }
    Ok(out)
}

fn git_files(
    cx: &Cx<'_>,
    items: &[(String, bool)],
    prefix: &str,
    values: &[(String, String)],
    gptr: &str,
) -> Result<Vec<ParamSet>, ExpandError> {
    let all = cx.env.tree.files();
    let mut chosen: BTreeSet<&String> = BTreeSet::new();
    for (pattern, excluded) in items {
        if !excluded {
            chosen.extend(all.iter().filter(|f| gitmatch::pathspec_match(pattern, f)));
        }
    }
    for (pattern, excluded) in items {
        if *excluded {
            chosen.retain(|f| !gitmatch::pathspec_match(pattern, f));
        }
    }
    let mut out = Vec::new();
    // `sort.Strings`: byte order, which BTreeSet<String> iterates in.
    for file in chosen {
        let unable = |e: ExpandError| e.wrap(&format!("unable to process file '{file}'"));
        let text = cx
            .env
            .tree
            .read(file)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        let objects = param_file_objects(&text).map_err(|m| {
            unable(ExpandError::new(
                ErrorKind::GitFile,
                gptr,
                format!("unable to parse file: {m}"),
            ))
        })?;
        for (index, obj) in objects.into_iter().enumerate() {
            let mut p = set(
                Map::new(),
                gptr,
                Item::File {
                    path: file.clone(),
                    index,
                },
            );
            if cx.go_template {
                p.values = obj;
            } else {
                for (k, v) in crate::argo::appset::golang::flatten(&obj, &|_| false) {
                    p.values.insert(k, Value::String(format_v(&v)));
                }
            }
            path_params(cx, &mut p, prefix, &path_dir(file), Some(file));
            append_values(cx, values, &mut p, gptr)
                .map_err(|e| unable(e.wrap("failed to append templated values")))?;
            out.push(p);
        }
    }
    Ok(out)
}

/// A parameter file: one object, or a list of objects (§5.5). An empty file is one empty
/// object.
pub fn param_file_objects(text: &str) -> Result<Vec<Map<String, Value>>, String> {
    let cannot = |what: &Value, into: &str| {
        format!(
            "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type {into}",
            go_type_name(what)
        )
    };
    match yaml_first_document(text)? {
        Value::Object(m) => Ok(vec![m]),
        Value::Null => Ok(vec![Map::new()]),
        Value::Array(items) => items
            .into_iter()
            .map(|i| match i {
                Value::Object(m) => Ok(m),
                Value::Null => Ok(Map::new()),
                other => Err(cannot(&other, "map[string]interface {}")),
            })
            .collect(),
        other => Err(cannot(&other, "[]map[string]interface {}")),
    }
}

/// The `path` parameters of a directory (`file` is `None`) or of a file in it.
fn path_params(cx: &Cx<'_>, p: &mut ParamSet, prefix: &str, dir: &str, file: Option<&str>) {
    let base = path_base(dir);
    let segments: Vec<&str> = dir.split('/').collect();
    if cx.go_template {
        let mut path = Map::new();
        path.insert("path".to_owned(), Value::String(dir.to_owned()));
        path.insert("basename".to_owned(), Value::String(base.clone()));
        if let Some(f) = file {
            path.insert("filename".to_owned(), Value::String(path_base(f)));
        }
        path.insert(
            "basenameNormalized".to_owned(),
            Value::String(sanitize_name(&base)),
        );
        if let Some(f) = file {
            path.insert(
                "filenameNormalized".to_owned(),
                Value::String(sanitize_name(&path_base(f))),
            );
        }
        path.insert(
            "segments".to_owned(),
            Value::Array(
                segments
                    .iter()
                    .map(|s| Value::String((*s).to_owned()))
                    .collect(),
            ),
        );
        if prefix.is_empty() {
            p.values.insert("path".to_owned(), Value::Object(path));
            p.opaque.insert("path.segments".to_owned());
        } else {
            let mut outer = Map::new();
            outer.insert("path".to_owned(), Value::Object(path));
            p.values.insert(prefix.to_owned(), Value::Object(outer));
            p.opaque.insert(format!("{prefix}.path.segments"));
        }
        return;
    }
    let name = if prefix.is_empty() {
        "path".to_owned()
    } else {
        format!("{prefix}.path")
    };
    let mut put = |k: String, v: String| {
        p.values.insert(k, Value::String(v));
    };
    put(name.clone(), dir.to_owned());
    put(format!("{name}.basename"), base.clone());
    if let Some(f) = file {
        put(format!("{name}.filename"), path_base(f));
    }
    put(format!("{name}.basenameNormalized"), sanitize_name(&base));
    if let Some(f) = file {
        put(
            format!("{name}.filenameNormalized"),
            sanitize_name(&path_base(f)),
        );
    }
    for (i, s) in segments.iter().enumerate() {
        if !s.is_empty() {
            put(format!("{name}[{i}]"), (*s).to_owned());
        }
    }
}

// ---------------------------------------------------------------------------------------
// clusters

/// The cluster generator (§5.4).
fn clusters(cx: &Cx<'_>, body: &Value, gptr: &str) -> Result<Vec<ParamSet>, ExpandError> {
    let empty = Value::Object(Map::new());
    let sel_value = body
        .get("selector")
        .filter(|s| !s.is_null())
        .unwrap_or(&empty);
    let non_empty = |k: &str| match sel_value.get(k) {
        Some(Value::Object(m)) => !m.is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        _ => false,
    };
    let ignore_local = non_empty("matchLabels") || non_empty("matchExpressions");
    let sel = selector::parse(sel_value, Flavour::Labels).map_err(|e| {
        ExpandError::new(
            ErrorKind::Selector,
            format!("{gptr}/selector"),
            format!("error converting label selector: {e}"),
        )
        .wrap("error getting cluster secrets")
    })?;
    // Keyed by name: Secrets with the same name collapse to the last one.
    let mut by_name: BTreeMap<&str, &crate::argo::appset::ClusterEntry> = BTreeMap::new();
    for c in cx.env.clusters {
        let labels = |k: &str| {
            c.labels
                .iter()
                .rev()
                .find(|(lk, _)| lk == k)
                .map(|(_, v)| v.clone())
        };
        if sel.matches(&labels) {
            by_name.insert(c.name.as_str(), c);
        }
    }
    let values = string_map(body.get("values"));
    let mut sets = Vec::new();
    let has_in_cluster = by_name.values().any(|c| c.server == IN_CLUSTER_SERVER);
    if !ignore_local && !has_in_cluster {
        let mut m = Map::new();
        for (k, v) in [
            ("name", IN_CLUSTER_NAME),
            ("nameNormalized", IN_CLUSTER_NAME),
            ("server", IN_CLUSTER_SERVER),
            ("project", ""),
        ] {
            m.insert(k.to_owned(), Value::String(v.to_owned()));
        }
        let mut p = set(
            m,
            gptr,
            Item::Cluster {
                name: IN_CLUSTER_NAME.to_owned(),
                origin: ClusterOrigin::InCluster,
            },
        );
        append_values(cx, &values, &mut p, gptr)
            .map_err(|e| e.wrap("error appending templated values for local cluster"))?;
        sets.push(p);
    }
    for c in by_name.values() {
        let mut m = Map::new();
        m.insert("name".to_owned(), Value::String(c.name.clone()));
        m.insert(
            "nameNormalized".to_owned(),
            Value::String(sanitize_name(&c.name)),
        );
        m.insert("server".to_owned(), Value::String(c.server.clone()));
        m.insert(
            "project".to_owned(),
            Value::String(c.project.clone().unwrap_or_default()),
        );
        let mut opaque = BTreeSet::new();
        let as_map = |pairs: &[(String, String)]| -> Map<String, Value> {
            pairs
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect()
        };
        if cx.go_template {
            let mut meta = Map::new();
            if !c.annotations.is_empty() {
                meta.insert(
                    "annotations".to_owned(),
                    Value::Object(as_map(&c.annotations)),
                );
                opaque.insert("metadata.annotations".to_owned());
            }
            if !c.labels.is_empty() {
                meta.insert("labels".to_owned(), Value::Object(as_map(&c.labels)));
                opaque.insert("metadata.labels".to_owned());
            }
            m.insert("metadata".to_owned(), Value::Object(meta));
        } else {
            for (k, v) in &c.annotations {
                m.insert(
                    format!("metadata.annotations.{k}"),
                    Value::String(v.clone()),
                );
            }
            for (k, v) in &c.labels {
                m.insert(format!("metadata.labels.{k}"), Value::String(v.clone()));
            }
        }
        let mut p = set(
            m,
            gptr,
            Item::Cluster {
                name: c.name.clone(),
                origin: c.origin,
            },
        );
        p.opaque = opaque;
        append_values(cx, &values, &mut p, gptr)
            .map_err(|e| e.wrap("error appending templated values for cluster"))?;
        sets.push(p);
    }
    if body.get("flatList").and_then(Value::as_bool) == Some(true) {
        let list: Vec<Value> = sets.into_iter().map(|p| Value::Object(p.values)).collect();
        let mut m = Map::new();
        m.insert("clusters".to_owned(), Value::Array(list));
        let mut p = set(m, gptr, Item::ClusterList);
        // `[]map[string]any`: not descended into by flatten.
        p.opaque.insert("clusters".to_owned());
        return Ok(vec![p]);
    }
    Ok(sets)
}

// ---------------------------------------------------------------------------------------
// matrix and merge

fn children(body: &Value) -> &[Value] {
    match body.get("generators") {
        Some(Value::Array(c)) => c.as_slice(),
        _ => &[],
    }
}

/// `getParams` of a matrix or merge child: the child must hold exactly one generator.
fn child_params(
    cx: &Cx<'_>,
    child: &Value,
    ptr: &str,
    params: Option<&ParamSet>,
    depth: usize,
) -> Result<Vec<ParamSet>, Fail> {
    let t = transform(cx, child, ptr, None, params, depth)
        .map_err(|e| e.wrap("child generator returned an error on parameter generation"))?;
    // Argo CD counts the child's generators before it looks at any parameter, so these
    // errors do not depend on what an unexpanded generator would produce.
    match t.results.len() + t.external.len() {
        0 => Err(Fail::Error(ExpandError::new(
            ErrorKind::ChildWithoutGenerator,
            ptr,
            "child generator generated no parameters",
        ))),
        1 => match t.results.into_iter().next() {
            Some(one) => Ok(one.params),
            None => Err(Fail::External(t.external)),
        },
        _ => Err(Fail::Error(ExpandError::new(
            ErrorKind::ChildWithSeveralGenerators,
            ptr,
            "found more than one generator in matrix.Generators",
        ))),
    }
}

/// The matrix generator (§5.2): exactly two children; the second is interpolated with
/// each parameter set of the first.
fn matrix(cx: &Cx<'_>, body: &Value, gptr: &str, depth: usize) -> Result<Vec<ParamSet>, Fail> {
    let kids = children(body);
    if kids.len() < 2 {
        return Err(Fail::Error(ExpandError::new(
            ErrorKind::MatrixChildren,
            gptr,
            "found less than two generators, Matrix support only two",
        )));
    }
    if kids.len() > 2 {
        return Err(Fail::Error(ExpandError::new(
            ErrorKind::MatrixChildren,
            gptr,
            "found more than two generators, Matrix support only two",
        )));
    }
    let ptr0 = format!("{gptr}/generators/0");
    let ptr1 = format!("{gptr}/generators/1");
    let g0 = child_params(cx, &kids[0], &ptr0, None, depth + 1).map_err(|f| {
        f.wrap("error failed to get params for first generator in matrix generator")
    })?;
    let mut out = Vec::new();
    for a in &g0 {
        let g1 = child_params(cx, &kids[1], &ptr1, Some(a), depth + 1).map_err(|f| {
            f.wrap("failed to get params for second generator in the matrix generator")
        })?;
        if out.len().saturating_add(g1.len()) > MAX_PARAM_SETS {
            return Err(Fail::External(vec![NotExpanded {
                generator: gptr.to_owned(),
                kind: "matrix".to_owned(),
                reason: format!("it produces more than {MAX_PARAM_SETS} parameter sets"),
            }]));
        }
        for b in g1 {
            out.push(combine(cx, a, b, gptr)?);
        }
    }
    Ok(out)
}

fn combine(cx: &Cx<'_>, a: &ParamSet, b: ParamSet, gptr: &str) -> Result<ParamSet, ExpandError> {
    let mut sources = a.sources.clone();
    sources.extend(b.sources);
    if cx.go_template {
        // mergo: the second's values, then the first's over them, maps deep-merged.
        let mut values = b.values;
        merge_override(&mut values, &a.values);
        let mut opaque = b.opaque;
        opaque.extend(a.opaque.iter().cloned());
        return Ok(ParamSet {
            values,
            opaque,
            sources,
        });
    }
    // `CombineStringMaps`: both stringified with %v; a key in both must agree.
    let mut values: Map<String, Value> = a
        .values
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(format_v(v))))
        .collect();
    for (k, v) in &b.values {
        let v = format_v(v);
        if let Some(current) = values.get(k).and_then(Value::as_str)
            && current != v
        {
            let reason =
                format!("found duplicate key {k} with different value, a: {current} ,b: {v}");
            return Err(
                ExpandError::new(ErrorKind::MatrixDuplicateKey, gptr, reason).wrap(
                    "failed to combine string maps with merging params for the matrix generator",
                ),
            );
        }
        values.insert(k.clone(), Value::String(v));
    }
    Ok(ParamSet {
        values,
        opaque: BTreeSet::new(),
        sources,
    })
}

/// `mergo.Merge(&dst, src, mergo.WithOverride)` on parameter maps: `src` wins, nested
/// maps are merged.
fn merge_override(dst: &mut Map<String, Value>, src: &Map<String, Value>) {
    for (k, v) in src {
        match (dst.get_mut(k), v) {
            (Some(Value::Object(d)), Value::Object(s)) => merge_override(d, s),
            _ => {
                dst.insert(k.clone(), v.clone());
            }
        }
    }
}

/// The merge generator (§5.2).
fn merge(cx: &Cx<'_>, body: &Value, gptr: &str, depth: usize) -> Result<Vec<ParamSet>, Fail> {
    let kids = children(body);
    if kids.len() < 2 {
        return Err(Fail::Error(ExpandError::new(
            ErrorKind::MergeChildren,
            gptr,
            "found less than two generators, Merge requires two or more",
        )));
    }
    let mut all = Vec::with_capacity(kids.len());
    for (i, child) in kids.iter().enumerate() {
        let ptr = format!("{gptr}/generators/{i}");
        let sets = child_params(cx, child, &ptr, None, depth + 1).map_err(|f| {
            f.wrap(&format!(
                "error getting params from generator {} of {}",
                i + 1,
                kids.len()
            ))
            .wrap("error getting param sets from generators")
        })?;
        all.push(sets);
    }
    let merge_keys: Vec<String> = match body.get("mergeKeys") {
        Some(Value::Array(k)) => k
            .iter()
            .map(|v| match v {
                Value::String(s) => s.clone(),
                other => format_v(other),
            })
            .collect(),
        _ => Vec::new(),
    };
    let by_key = |i: usize, sets: Vec<ParamSet>| {
        by_merge_key(&merge_keys, sets, gptr, i)
            .map_err(|e| Fail::Error(e.wrap("error getting param sets by merge key")))
    };
    let mut rest = all.into_iter();
    let mut base = by_key(0, rest.next().unwrap_or_default())?;
    for (i, sets) in rest.enumerate() {
        let overrides = by_key(i + 1, sets)?;
        for (key, base_set) in &mut base {
            let Some((_, o)) = overrides.iter().find(|(k, _)| k == key) else {
                continue;
            };
            if cx.go_template {
                merge_override(&mut base_set.values, &o.values);
                base_set.opaque.extend(o.opaque.iter().cloned());
            } else {
                for (k, v) in &o.values {
                    base_set.values.insert(k.clone(), v.clone());
                }
            }
            base_set.sources.extend(o.sources.iter().cloned());
        }
    }
    Ok(base.into_iter().map(|(_, s)| s).collect())
}

/// `getParamSetsByMergeKey`: each set keyed by the JSON of its merge-key values; two sets
/// with the same key fail.
fn by_merge_key(
    keys: &[String],
    sets: Vec<ParamSet>,
    gptr: &str,
    child: usize,
) -> Result<Vec<(String, ParamSet)>, ExpandError> {
    if keys.is_empty() {
        return Err(ExpandError::new(
            ErrorKind::NoMergeKeys,
            gptr,
            "no merge keys were specified, Merge requires at least one",
        ));
    }
    let unique: BTreeSet<&String> = keys.iter().collect();
    let mut out: Vec<(String, ParamSet)> = Vec::with_capacity(sets.len());
    for s in sets {
        let key_map: BTreeMap<&str, Value> = unique
            .iter()
            .map(|k| (k.as_str(), s.values.get(*k).cloned().unwrap_or(Value::Null)))
            .collect();
        let key = go_json(&serde_json::to_string(&key_map).unwrap_or_default());
        if out.iter().any(|(k, _)| *k == key) {
            let mut e = ExpandError::new(
                ErrorKind::NonUniqueMergeKeys,
                format!("{gptr}/generators/{child}"),
                "the parameters from a generator were not unique by the given mergeKeys, Merge requires all param sets to be unique",
            );
            e.message = format!("{}. Duplicate key was {key}", e.reason);
            return Err(e);
        }
        out.push((key, s));
    }
    Ok(out)
}

/// Go's `encoding/json` escapes `<`, `>`, `&`, U+2028 and U+2029 in strings.
fn go_json(s: &str) -> String {
    s.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}
