//! Kustomize sources, rendered as Argo CD's repo server renders them
//! (`util/kustomize/kustomize.go`, `Build`).
//!
//! Argo CD applies `source.kustomize` by running `kustomize edit` in its own checkout and
//! then `kustomize build <path>` from the repository root. The edits, in Argo CD's order:
//!
//! | option | Argo CD step (`buildContext.apply*`) |
//! |---|---|
//! | `namePrefix` | `kustomize edit set nameprefix -- <p>` |
//! | `nameSuffix` | `kustomize edit set namesuffix -- <s>` |
//! | `images` | `kustomize edit set image <img>…` (each image env-substituted) |
//! | `replicas` | `kustomize edit set replicas <name>=<count>…` |
//! | `commonLabels` | `kustomize edit add label [--force] [--without-selector] [--include-templates] k:v…` (values env-substituted) |
//! | `commonAnnotations` | `kustomize edit add annotation [--force] k:v…` (values env-substituted only with `commonAnnotationsEnvsubst`) |
//! | `namespace` | `kustomize edit set namespace -- <ns>` |
//! | `patches` | appended to the kustomization's `patches` by Argo CD itself |
//! | `components` | `kustomize edit add component <c>…`, after dropping missing local ones when `ignoreMissingComponents` |
//!
//! We never touch the user's files: the source directory is mirrored into a temporary
//! directory (the directory itself copied, everything around it linked to the original),
//! the same edits are replayed on the mirror's kustomization
//! (`kubectl kustomize` has no `edit` command, so the edit semantics of kustomize v5 are
//! reproduced here), and the mirror is built. Without options the source directory is built
//! in place. `kubeVersion`/`apiVersions` only reach kustomize through
//! `kustomize.buildOptions` containing `--enable-helm` (argocd-cm), which a repository
//! cannot set, so they are not passed.

use super::env::ArgoEnv;
use super::fsutil::{self, clean, is_local_relative_path, path_str};
use super::tool::{self, Invocation, Tool, ToolRenderer};
use super::{RenderError, RenderRequest, Rendered};
use crate::load::yaml;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The file names kustomize recognises, in its order of preference.
pub const KUSTOMIZATION_FILES: [&str; 3] =
    ["kustomization.yaml", "kustomization.yml", "Kustomization"];

pub(crate) fn render(r: &ToolRenderer, req: &RenderRequest) -> Result<Rendered, RenderError> {
    if r.kustomize_disabled() {
        return Err(RenderError::Disabled { tool: "kustomize" });
    }
    check_source_dir(req)?;
    let source = super::apply_source_overrides(&req.source, &req.source_dir, &req.app_name)?;
    let env = ArgoEnv::new(req, &source);
    let edits = plan(source.get("kustomize"), &env, req)?;
    let tool = r.kustomize_tool()?;
    let mut vars: Vec<(String, std::ffi::OsString)> = env
        .vars()
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.into()))
        .collect();
    if r.offline() {
        vars.extend(tool::offline_env());
    }
    let run = |dir: &Path, cwd: &Path| {
        let mut args: Vec<std::ffi::OsString> = tool.prefix.iter().map(Into::into).collect();
        args.push(dir.as_os_str().to_owned());
        let outcome = tool::run(&Invocation {
            program: &tool.program,
            args,
            cwd,
            env: vars.clone(),
            timeout: req.timeout,
            cap: r.cap(),
        });
        tool::finish(tool, outcome, req.timeout)
    };
    if edits.is_empty() {
        return run(&req.source_dir, &req.repo_root)
            .map(|yaml| rendered(yaml, tool))
            .map_err(|e| classify(e, std::slice::from_ref(&req.repo_root)));
    }
    // kustomize resolves a symlinked root before reading relative references, so the
    // mirror is made of the real paths.
    let (root, dir) = match (
        std::fs::canonicalize(&req.repo_root),
        std::fs::canonicalize(&req.source_dir),
    ) {
        (Ok(root), Ok(dir)) if dir.starts_with(&root) => (root, dir),
        _ => (req.repo_root.clone(), req.source_dir.clone()),
    };
    let mirror = fsutil::mirror(&root, &dir).map_err(|e| RenderError::Failed {
        tool: tool.label.clone(),
        message: format!(
            "could not prepare a private copy of the source to apply the Application's kustomize options: {e}"
        ),
    })?;
    let roots = [mirror.root.clone(), req.repo_root.clone()];
    apply(&mirror.source, &edits).map_err(|e| classify(e, &roots))?;
    run(&mirror.source, &mirror.root)
        .map(|yaml| rendered(yaml, tool))
        .map_err(|e| classify(e, &roots))
}

fn rendered(yaml: String, tool: &Tool) -> Rendered {
    Rendered {
        yaml,
        tool: tool.label.clone(),
    }
}

/// Argo CD's `argopath.Path` checks on the source directory.
pub(crate) fn check_source_dir(req: &RenderRequest) -> Result<(), RenderError> {
    let shown = req
        .source
        .get("path")
        .and_then(Value::as_str)
        .map_or_else(|| path_str(&req.source_dir), str::to_owned);
    if !req.source_dir.starts_with(&req.repo_root) {
        return Err(RenderError::Invalid {
            message: format!("{shown}: app path outside root"),
        });
    }
    match std::fs::metadata(&req.source_dir) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(RenderError::Invalid {
            message: format!("{shown}: app path is not a directory"),
        }),
        Err(_) => Err(RenderError::Invalid {
            message: format!("{shown}: app path does not exist"),
        }),
    }
}

/// One `kustomize edit` (or Argo CD's own patch step) to replay on the kustomization.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Edit {
    NamePrefix(String),
    NameSuffix(String),
    SetImage(Vec<String>),
    SetReplicas(Vec<String>),
    AddLabel {
        args: Vec<String>,
        force: bool,
        without_selector: bool,
        include_templates: bool,
    },
    AddAnnotation {
        args: Vec<String>,
        force: bool,
    },
    Namespace(String),
    Patches(Vec<Value>),
    AddComponent(Vec<String>),
}

/// A scalar option as the string Argo CD's typed source would hold.
fn text(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        _ => String::new(),
    }
}

fn flag(opts: &Value, key: &str) -> bool {
    opts.get(key).and_then(Value::as_bool).unwrap_or(false)
}

fn string_map(v: Option<&Value>) -> BTreeMap<String, String> {
    v.and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), text(Some(v))))
                .collect()
        })
        .unwrap_or_default()
}

fn string_list(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().map(|x| text(Some(x))).collect())
        .unwrap_or_default()
}

/// The edits Argo CD would run for `source.kustomize`, in its order, with its own checks
/// (replica counts) done.
pub(crate) fn plan(
    opts: Option<&Value>,
    env: &ArgoEnv,
    req: &RenderRequest,
) -> Result<Vec<Edit>, RenderError> {
    let Some(opts) = opts.filter(|o| o.is_object()) else {
        return Ok(Vec::new());
    };
    let mut edits = Vec::new();
    let prefix = text(opts.get("namePrefix"));
    if !prefix.is_empty() {
        edits.push(Edit::NamePrefix(prefix));
    }
    let suffix = text(opts.get("nameSuffix"));
    if !suffix.is_empty() {
        edits.push(Edit::NameSuffix(suffix));
    }
    let images = string_list(opts.get("images"));
    if !images.is_empty() {
        edits.push(Edit::SetImage(
            images.iter().map(|i| env.envsubst(i)).collect(),
        ));
    }
    if let Some(reps) = opts
        .get("replicas")
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty())
    {
        let mut args = Vec::new();
        for rep in reps {
            let name = text(rep.get("name"));
            let count = replica_count(rep.get("count"))?;
            args.push(format!("{name}={count}"));
        }
        edits.push(Edit::SetReplicas(args));
    }
    let labels = string_map(opts.get("commonLabels"));
    if !labels.is_empty() {
        edits.push(Edit::AddLabel {
            args: labels
                .iter()
                .map(|(k, v)| format!("{k}:{}", env.envsubst(v)))
                .collect(),
            force: flag(opts, "forceCommonLabels"),
            without_selector: flag(opts, "labelWithoutSelector"),
            include_templates: flag(opts, "labelIncludeTemplates"),
        });
    }
    let annotations = string_map(opts.get("commonAnnotations"));
    if !annotations.is_empty() {
        let subst = flag(opts, "commonAnnotationsEnvsubst");
        edits.push(Edit::AddAnnotation {
            args: annotations
                .iter()
                .map(|(k, v)| {
                    if subst {
                        format!("{k}:{}", env.envsubst(v))
                    } else {
                        format!("{k}:{v}")
                    }
                })
                .collect(),
            force: flag(opts, "forceCommonAnnotations"),
        });
    }
    let namespace = text(opts.get("namespace"));
    if !namespace.is_empty() {
        edits.push(Edit::Namespace(namespace));
    }
    if let Some(patches) = opts
        .get("patches")
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty())
    {
        edits.push(Edit::Patches(patches.iter().map(typed_patch).collect()));
    }
    let components = string_list(opts.get("components"));
    if !components.is_empty() {
        let found: Vec<String> = if flag(opts, "ignoreMissingComponents") {
            components
                .into_iter()
                .filter(|c| !is_local_relative_path(c) || component_exists(req, c))
                .collect()
        } else {
            components
        };
        if !found.is_empty() {
            edits.push(Edit::AddComponent(found));
        }
    }
    Ok(edits)
}

/// `KustomizeReplica.GetIntCount`: an integer, or a string holding one.
fn replica_count(v: Option<&Value>) -> Result<i64, RenderError> {
    let bad = |shown: String| RenderError::Invalid {
        message: format!("expected integer value for count. Received: {shown}"),
    };
    match v {
        Some(Value::Number(n)) => n
            .as_i64()
            .or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 9e15)
                    .map(|f| f as i64)
            })
            .ok_or_else(|| bad(n.to_string())),
        Some(Value::String(s)) => s.parse::<i64>().map_err(|_| bad(s.clone())),
        None | Some(Value::Null) => Ok(0),
        Some(other) => Err(bad(other.to_string())),
    }
}

/// A `KustomizePatch` as Argo CD serialises it into the kustomization: only the known
/// fields, empty ones left out.
fn typed_patch(p: &Value) -> Value {
    let mut out = Map::new();
    for key in ["path", "patch"] {
        let v = text(p.get(key));
        if !v.is_empty() {
            out.insert(key.to_owned(), Value::String(v));
        }
    }
    if let Some(t) = p.get("target").and_then(Value::as_object) {
        let mut target = Map::new();
        for key in [
            "group",
            "version",
            "kind",
            "name",
            "namespace",
            "annotationSelector",
            "labelSelector",
        ] {
            let v = text(t.get(key));
            if !v.is_empty() {
                target.insert(key.to_owned(), Value::String(v));
            }
        }
        out.insert("target".to_owned(), Value::Object(target));
    }
    if let Some(o) = p.get("options").and_then(Value::as_object) {
        let options: Map<String, Value> = o
            .iter()
            .filter_map(|(k, v)| v.as_bool().map(|b| (k.clone(), Value::Bool(b))))
            .collect();
        if !options.is_empty() {
            out.insert("options".to_owned(), Value::Object(options));
        }
    }
    Value::Object(out)
}

/// Whether a local component exists, resolved from the source directory inside the
/// repository (`..` cannot climb above the repository root), as Argo CD checks it for
/// `ignoreMissingComponents`.
fn component_exists(req: &RenderRequest, component: &str) -> bool {
    let rel = req
        .source_dir
        .strip_prefix(&req.repo_root)
        .map(path_str)
        .unwrap_or_default();
    let joined = clean(&format!("/{rel}/{component}"));
    req.repo_root.join(joined.trim_start_matches('/')).exists()
}

const INVALID_IMAGE: &str = "invalid format of image, use one of the following options:
- <image>=<newimage>:<newtag>
- <image>=<newimage>@<digest>
- <image>=<newimage>:<newtag>@<digest>
- <image>=<newimage>
- <image>:<newtag>
- <image>:<newtag>@<digest>
- <image>@<digest>";

const INVALID_REPLICA: &str = "invalid format of replica, use the following format: <name>=<count>";

/// kustomize's `image.Split`: name, tag and digest of an image reference.
pub(crate) fn split_image(image: &str) -> (String, String, String) {
    let (slash, search) = match image.find('/') {
        Some(i) if i > 0 => (i, &image[i..]),
        _ => (0, image),
    };
    let id = search.find('@');
    let ic = search.find(':');
    match (ic, id) {
        (None, None) => (image.to_owned(), String::new(), String::new()),
        (None, Some(id)) => {
            let id = id + slash;
            (
                image[..id].to_owned(),
                String::new(),
                image[id + 1..].to_owned(),
            )
        }
        (Some(ic), Some(id)) if id < ic => {
            let id = id + slash;
            (
                image[..id].to_owned(),
                String::new(),
                image[id + 1..].to_owned(),
            )
        }
        (Some(ic), Some(id)) => {
            let (ic, id) = (ic + slash, id + slash);
            (
                image[..ic].to_owned(),
                image[ic + 1..id].to_owned(),
                image[id + 1..].to_owned(),
            )
        }
        (Some(ic), None) => {
            let ic = ic + slash;
            (
                image[..ic].to_owned(),
                image[ic + 1..].to_owned(),
                String::new(),
            )
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Image {
    name: String,
    new_name: String,
    new_tag: String,
    digest: String,
}

impl Image {
    fn to_json(&self) -> Value {
        let mut m = Map::new();
        for (k, v) in [
            ("name", &self.name),
            ("newName", &self.new_name),
            ("newTag", &self.new_tag),
            ("digest", &self.digest),
        ] {
            if !v.is_empty() {
                m.insert(k.to_owned(), Value::String(v.clone()));
            }
        }
        Value::Object(m)
    }
}

/// `kustomize edit set image`'s argument parser (kustomize v5).
fn parse_image_arg(arg: &str) -> Result<Image, String> {
    let (key, value) = arg.split_once('=').unwrap_or(("", arg));
    let (name, tag, digest) = split_image(value);
    if name == arg {
        return Err(INVALID_IMAGE.to_owned());
    }
    let mut img = Image {
        new_tag: tag,
        digest,
        ..Image::default()
    };
    if key.is_empty() {
        img.name = name;
    } else {
        img.name = key.to_owned();
        img.new_name = name;
    }
    Ok(img)
}

enum Entry {
    New(Image),
    Kept(Value),
}

fn name_of(v: &Value) -> String {
    text(v.get("name"))
}

fn set_image(kz: &mut Map<String, Value>, args: &[String]) -> Result<(), String> {
    let mut map: BTreeMap<String, Entry> = BTreeMap::new();
    for arg in args {
        let img = parse_image_arg(arg)?;
        map.insert(img.name.clone(), Entry::New(img));
    }
    for existing in list(kz, "images")? {
        let name = name_of(&existing);
        match map.get_mut(&name) {
            Some(Entry::New(arg)) => {
                let keep = |field: &str| text(existing.get(field));
                if arg.new_name == "*" {
                    arg.new_name = keep("newName");
                }
                if arg.new_tag == "*" {
                    arg.new_tag = keep("newTag");
                }
                if arg.digest == "*" {
                    arg.digest = keep("digest");
                }
            }
            _ => {
                map.insert(name, Entry::Kept(existing));
            }
        }
    }
    let images = map
        .into_values()
        .map(|e| match e {
            Entry::New(mut img) => {
                for f in [&mut img.new_name, &mut img.new_tag, &mut img.digest] {
                    if f == "*" {
                        f.clear();
                    }
                }
                img.to_json()
            }
            Entry::Kept(v) => v,
        })
        .collect();
    kz.insert("images".to_owned(), Value::Array(images));
    Ok(())
}

fn set_replicas(kz: &mut Map<String, Value>, args: &[String]) -> Result<(), String> {
    let mut map: BTreeMap<String, Value> = BTreeMap::new();
    for arg in args {
        let parts: Vec<&str> = arg.split('=').collect();
        let [name, count] = parts.as_slice() else {
            return Err(INVALID_REPLICA.to_owned());
        };
        let count: i64 = count.parse().map_err(|_| INVALID_REPLICA.to_owned())?;
        map.insert(
            (*name).to_owned(),
            serde_json::json!({"name": name, "count": count}),
        );
    }
    for existing in list(kz, "replicas")? {
        map.entry(name_of(&existing)).or_insert(existing);
    }
    kz.insert(
        "replicas".to_owned(),
        Value::Array(map.into_values().collect()),
    );
    Ok(())
}

/// kustomize's `ConvertSliceToMap`: `key:value`, the value's surrounding double quotes
/// dropped, a bare `key` meaning an empty value.
fn metadata_args(args: &[String], kind: &str) -> Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    for input in args {
        match input.find(':') {
            Some(0) => {
                return Err(format!(
                    "invalid {kind}: '{input}' (need k:v pair where v may be quoted)"
                ));
            }
            None => {
                out.insert(input.clone(), String::new());
            }
            Some(c) => {
                let v = &input[c + 1..];
                let v = if v.len() >= 2 && v.starts_with('"') && v.ends_with('"') {
                    &v[1..v.len() - 1]
                } else {
                    v
                };
                out.insert(input[..c].to_owned(), v.to_owned());
            }
        }
    }
    Ok(out)
}

fn add_to_map(
    kz: &mut Map<String, Value>,
    field: &str,
    kind: &str,
    pairs: BTreeMap<String, String>,
    force: bool,
) -> Result<(), String> {
    let slot = kz.entry(field.to_owned()).or_insert(Value::Null);
    if slot.is_null() {
        *slot = Value::Object(Map::new());
    }
    let Value::Object(m) = slot else {
        return Err(format!("'{field}' in the kustomization is not a mapping"));
    };
    for (k, v) in pairs {
        if m.contains_key(&k) && !force {
            return Err(format!("{kind} {k} already in kustomization file"));
        }
        m.insert(k, Value::String(v));
    }
    Ok(())
}

fn add_label(
    kz: &mut Map<String, Value>,
    args: &[String],
    force: bool,
    without_selector: bool,
    include_templates: bool,
) -> Result<(), String> {
    if include_templates && !without_selector {
        return Err(
            "--without-selector flag must be specified for --include-templates to work".to_owned(),
        );
    }
    let pairs = metadata_args(args, "label")?;
    if !without_selector {
        return add_to_map(kz, "commonLabels", "label", pairs, force);
    }
    let mut label = Map::new();
    label.insert(
        "pairs".to_owned(),
        Value::Object(
            pairs
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect(),
        ),
    );
    if include_templates {
        label.insert("includeTemplates".to_owned(), Value::Bool(true));
    }
    let mut labels = list(kz, "labels")?;
    labels.push(Value::Object(label));
    kz.insert("labels".to_owned(), Value::Array(labels));
    Ok(())
}

fn add_components(
    kz: &mut Map<String, Value>,
    dir: &Path,
    file: &str,
    args: &[String],
) -> Result<(), String> {
    let mut found = Vec::new();
    for pattern in args {
        let matches =
            fsutil::go_glob(dir, pattern).map_err(|_| "syntax error in pattern".to_owned())?;
        if !matches.is_empty() {
            found.extend(matches);
        } else if is_local_relative_path(pattern) {
            let abs = fsutil::join(&path_str(dir), pattern);
            return Err(format!(
                "{pattern} has no match: must build at directory: not a valid directory: evalsymlink failure on '{abs}' : lstat {abs}: no such file or directory"
            ));
        } else {
            found.push(pattern.clone());
        }
    }
    let mut components = list(kz, "components")?;
    for c in found {
        if c == file || components.iter().any(|x| x.as_str() == Some(c.as_str())) {
            continue;
        }
        components.push(Value::String(c));
    }
    kz.insert("components".to_owned(), Value::Array(components));
    Ok(())
}

fn add_patches(kz: &mut Map<String, Value>, patches: &[Value]) -> Result<(), RenderError> {
    let mut list = match kz.get("patches") {
        None => Vec::new(),
        Some(Value::Array(a)) => a.clone(),
        Some(other) => {
            return Err(RenderError::Invalid {
                message: format!(
                    "expected 'patches' field in kustomization.yaml to be []any, but got {}",
                    go_type(other)
                ),
            });
        }
    };
    list.extend(patches.iter().cloned());
    kz.insert("patches".to_owned(), Value::Array(list));
    Ok(())
}

fn go_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "<nil>",
        Value::Bool(_) => "bool",
        Value::Number(_) => "float64",
        Value::String(_) => "string",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
    }
}

/// The list under `key`, empty when absent or null.
fn list(kz: &Map<String, Value>, key: &str) -> Result<Vec<Value>, String> {
    match kz.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(a)) => Ok(a.clone()),
        Some(_) => Err(format!("'{key}' in the kustomization is not a list")),
    }
}

/// The kustomization of `dir`: its file name and content (`None` for an empty file).
struct Kustomization {
    file: String,
    content: Option<Map<String, Value>>,
}

fn read_kustomization(dir: &Path, file: &str) -> Result<Kustomization, String> {
    let text = std::fs::read_to_string(dir.join(file)).map_err(|e| format!("{file}: {e}"))?;
    let parsed = yaml::parse(&text);
    if let Some(yaml::Problem::Syntax { message, .. }) = parsed
        .problems
        .iter()
        .find(|p| matches!(p, yaml::Problem::Syntax { .. }))
    {
        return Err(format!("{file}: {message}"));
    }
    let content = match parsed.documents.first().map(|d| d.root.to_json()) {
        None | Some(Value::Null) => None,
        Some(Value::Object(m)) => Some(m),
        Some(_) => return Err(format!("{file}: the kustomization is not a mapping")),
    };
    Ok(Kustomization {
        file: file.to_owned(),
        content,
    })
}

const EDIT: &str = "kustomize edit";

fn edit_failed(message: String) -> RenderError {
    RenderError::Failed {
        tool: EDIT.to_owned(),
        message,
    }
}

/// Replays the edits on the kustomization in `dir` (a mirror, never the user's files).
pub(crate) fn apply(dir: &Path, edits: &[Edit]) -> Result<(), RenderError> {
    let present: Vec<&str> = KUSTOMIZATION_FILES
        .iter()
        .copied()
        .filter(|f| dir.join(f).is_file())
        .collect();
    let mut k: Option<Kustomization> = None;
    for edit in edits {
        if let Edit::Patches(patches) = edit {
            // Argo CD's own step: the first kustomization file found, which must hold a
            // mapping.
            let Some(&file) = present.first() else {
                return Err(RenderError::Invalid {
                    message: "kustomization file not found in the path".to_owned(),
                });
            };
            if k.is_none() {
                k = Some(
                    read_kustomization(dir, file).map_err(|m| RenderError::Invalid {
                        message: format!("failed to unmarshal kustomization.yaml: {m}"),
                    })?,
                );
            }
            let Some(Kustomization {
                content: Some(kz), ..
            }) = k.as_mut()
            else {
                return Err(RenderError::Invalid {
                    message: "expected kustomization.yaml to be type map[string]any, but got <nil>"
                        .to_owned(),
                });
            };
            add_patches(kz, patches)?;
            continue;
        }
        let file = match present.as_slice() {
            [] => {
                return Err(edit_failed(
                    "missing kustomization file 'kustomization.yaml'".to_owned(),
                ));
            }
            [one] => *one,
            many => {
                return Err(edit_failed(format!(
                    "found multiple kustomization file: [{}]",
                    many.join(" ")
                )));
            }
        };
        if k.is_none() {
            k = Some(read_kustomization(dir, file).map_err(edit_failed)?);
        }
        let Some(kust) = k.as_mut() else {
            continue;
        };
        let kz = kust.content.get_or_insert_with(Map::new);
        let result = match edit {
            Edit::NamePrefix(p) => {
                kz.insert("namePrefix".to_owned(), Value::String(p.clone()));
                Ok(())
            }
            Edit::NameSuffix(s) => {
                kz.insert("nameSuffix".to_owned(), Value::String(s.clone()));
                Ok(())
            }
            Edit::Namespace(ns) => {
                kz.insert("namespace".to_owned(), Value::String(ns.clone()));
                Ok(())
            }
            Edit::SetImage(args) => set_image(kz, args),
            Edit::SetReplicas(args) => set_replicas(kz, args),
            Edit::AddLabel {
                args,
                force,
                without_selector,
                include_templates,
            } => add_label(kz, args, *force, *without_selector, *include_templates),
            Edit::AddAnnotation { args, force } => metadata_args(args, "annotation")
                .and_then(|pairs| add_to_map(kz, "commonAnnotations", "annotation", pairs, *force)),
            Edit::AddComponent(args) => add_components(kz, dir, &kust.file, args),
            Edit::Patches(_) => Ok(()),
        };
        result.map_err(edit_failed)?;
    }
    if let Some(Kustomization {
        file,
        content: Some(kz),
    }) = k
    {
        let path = dir.join(&file);
        let text = serde_json::to_string_pretty(&Value::Object(kz))
            .map_err(|e| edit_failed(e.to_string()))?;
        // Replace rather than rewrite in place: the mirror's files may be hard links.
        let write = std::fs::remove_file(&path).and_then(|()| std::fs::write(&path, text + "\n"));
        write.map_err(|e| edit_failed(format!("could not write the edited {file}: {e}")))?;
    }
    Ok(())
}

/// Rewrites absolute paths of the checkout (or its mirror) to repository-relative ones
/// and tells network failures (remote bases) apart from real failures.
fn classify(err: RenderError, roots: &[PathBuf]) -> RenderError {
    let RenderError::Failed { tool, message } = err else {
        return err;
    };
    let message = relativize(&message, roots);
    if needs_network(&message) {
        let reason = match remote_reference(&message) {
            Some(url) => format!(
                "the kustomization uses the remote resource '{url}', which needs the network"
            ),
            None => format!("kustomize needs the network: {message}"),
        };
        return RenderError::NeedsNetwork { tool, reason };
    }
    RenderError::Failed { tool, message }
}

pub(crate) fn relativize(message: &str, roots: &[PathBuf]) -> String {
    let mut prefixes: Vec<String> = Vec::new();
    for root in roots {
        prefixes.push(format!("{}/", path_str(root)));
        if let Ok(c) = std::fs::canonicalize(root) {
            prefixes.push(format!("{}/", path_str(&c)));
        }
    }
    prefixes.sort_by_key(|p| std::cmp::Reverse(p.len()));
    prefixes.dedup();
    let mut out = message.to_owned();
    for p in prefixes {
        out = out.replace(&p, "");
    }
    out
}

fn needs_network(message: &str) -> bool {
    const SIGNS: [&str; 8] = [
        "git fetch",
        "git clone",
        "proxyconnect tcp",
        "Could not resolve host",
        "no such host",
        "dial tcp",
        "network is unreachable",
        "Failed to connect to",
    ];
    SIGNS.iter().any(|s| message.contains(s))
        || (message.contains("transport '") && message.contains("' not allowed"))
}

/// The first remote reference quoted as `from '<ref>'` in a kustomize error.
fn remote_reference(message: &str) -> Option<String> {
    let mut rest = message;
    while let Some(i) = rest.find("from '") {
        let tail = &rest[i + 6..];
        let end = tail.find('\'')?;
        let candidate = &tail[..end];
        if !is_local_relative_path(candidate) {
            return Some(candidate.to_owned());
        }
        rest = &tail[end..];
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::time::Duration;

    fn req(root: &Path, dir: &Path, source: Value) -> RenderRequest {
        RenderRequest {
            kind: super::super::SourceType::Kustomize,
            repo_root: root.to_path_buf(),
            source_dir: dir.to_path_buf(),
            source,
            app_name: "guestbook".into(),
            project: String::new(),
            app_namespace: "argocd".into(),
            dest_namespace: "prod".into(),
            refs: BTreeMap::new(),
            timeout: Duration::from_secs(5),
        }
    }

    fn plan_of(opts: Value) -> Result<Vec<Edit>, RenderError> {
        let r = req(
            Path::new("/nonexistent"),
            Path::new("/nonexistent/app"),
            json!({"kustomize": opts.clone()}),
        );
        let env = ArgoEnv::new(&r, &r.source);
        plan(Some(&opts), &env, &r)
    }

    #[test]
    fn split_image_follows_kustomize() {
        let cases = [
            ("nginx", ("nginx", "", "")),
            ("nginx:1.2", ("nginx", "1.2", "")),
            ("nginx@sha256:abc", ("nginx", "", "sha256:abc")),
            ("nginx:1.2@sha256:abc", ("nginx", "1.2", "sha256:abc")),
            ("localhost:5000/app:v1", ("localhost:5000/app", "v1", "")),
            ("localhost:5000/app", ("localhost:5000/app", "", "")),
            (
                "reg.io/team/app@sha256:ff",
                ("reg.io/team/app", "", "sha256:ff"),
            ),
        ];
        for (input, (n, t, d)) in cases {
            assert_eq!(
                split_image(input),
                (n.into(), t.into(), d.into()),
                "{input}"
            );
        }
    }

    #[test]
    fn plan_follows_argo_order_and_substitution() {
        let edits = plan_of(json!({
            "components": ["../c"],
            "namespace": "ns1",
            "commonAnnotations": {"b": "${ARGOCD_APP_NAME}", "a": "x"},
            "commonLabels": {"team": "${ARGOCD_APP_NAME}"},
            "replicas": [{"name": "web", "count": "3"}, {"name": "db", "count": 1}],
            "images": ["nginx:${ARGOCD_APP_NAMESPACE}"],
            "nameSuffix": "-s",
            "namePrefix": "p-",
            "patches": [{"patch": "x", "target": {"kind": "Deployment", "name": ""}, "extra": 1}],
        }))
        .unwrap();
        assert_eq!(
            edits,
            vec![
                Edit::NamePrefix("p-".into()),
                Edit::NameSuffix("-s".into()),
                Edit::SetImage(vec!["nginx:prod".into()]),
                Edit::SetReplicas(vec!["web=3".into(), "db=1".into()]),
                Edit::AddLabel {
                    args: vec!["team:guestbook".into()],
                    force: false,
                    without_selector: false,
                    include_templates: false
                },
                Edit::AddAnnotation {
                    args: vec!["a:x".into(), "b:${ARGOCD_APP_NAME}".into()],
                    force: false
                },
                Edit::Namespace("ns1".into()),
                Edit::Patches(vec![
                    json!({"patch": "x", "target": {"kind": "Deployment"}})
                ]),
                Edit::AddComponent(vec!["../c".into()]),
            ]
        );
        let subst = plan_of(json!({"commonAnnotations": {"b": "${ARGOCD_APP_NAME}"}, "commonAnnotationsEnvsubst": true})).unwrap();
        assert_eq!(
            subst,
            vec![Edit::AddAnnotation {
                args: vec!["b:guestbook".into()],
                force: false
            }]
        );
        assert!(plan_of(json!({"namePrefix": ""})).unwrap().is_empty());
    }

    #[test]
    fn replica_counts_must_be_integers() {
        let err = plan_of(json!({"replicas": [{"name": "web", "count": "garbage"}]})).unwrap_err();
        assert_eq!(
            err,
            RenderError::Invalid {
                message: "expected integer value for count. Received: garbage".into()
            }
        );
    }

    #[test]
    fn ignore_missing_components_resolves_from_the_repository() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("components/a")).unwrap();
        std::fs::create_dir_all(root.join("apps/web")).unwrap();
        let r = req(root, &root.join("apps/web"), json!({}));
        let env = ArgoEnv::new(&r, &r.source);
        let opts = json!({"components": ["../../components/a", "../../components/missing", "https://example.com/c", "../../../../components/a"], "ignoreMissingComponents": true});
        assert_eq!(
            plan(Some(&opts), &env, &r).unwrap(),
            vec![Edit::AddComponent(vec![
                "../../components/a".into(),
                "https://example.com/c".into(),
                "../../../../components/a".into()
            ])]
        );
        let none = json!({"components": ["missing"], "ignoreMissingComponents": true});
        assert!(plan(Some(&none), &env, &r).unwrap().is_empty());
    }

    fn kz_dir(content: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("kustomization.yaml"), content).unwrap();
        dir
    }

    fn read_back(dir: &Path) -> Value {
        let text = std::fs::read_to_string(dir.join("kustomization.yaml")).unwrap();
        serde_json::from_str(&text).unwrap()
    }

    #[test]
    fn set_image_merges_like_kustomize_edit() {
        let dir = kz_dir(
            "images:\n- name: nginx\n  newName: other/nginx\n  newTag: '1.0'\n- name: redis\n  newTag: '6'\n  tagSuffix: -alpine\n",
        );
        apply(
            dir.path(),
            &[Edit::SetImage(vec![
                "nginx=*:2.0".into(),
                "postgres=eu.gcr.io/pg@sha256:abc".into(),
                "busybox:1.36@sha256:def".into(),
            ])],
        )
        .unwrap();
        assert_eq!(
            read_back(dir.path())["images"],
            json!([
                {"name": "busybox", "newTag": "1.36", "digest": "sha256:def"},
                {"name": "nginx", "newName": "other/nginx", "newTag": "2.0"},
                {"name": "postgres", "newName": "eu.gcr.io/pg", "digest": "sha256:abc"},
                {"name": "redis", "newTag": "6", "tagSuffix": "-alpine"},
            ])
        );
        // Without `*` the existing entry is replaced whole, as kustomize does.
        apply(dir.path(), &[Edit::SetImage(vec!["nginx:3".into()])]).unwrap();
        assert_eq!(
            read_back(dir.path())["images"][1],
            json!({"name": "nginx", "newTag": "3"})
        );
        let err = apply(dir.path(), &[Edit::SetImage(vec!["nginx".into()])]).unwrap_err();
        assert!(
            matches!(err, RenderError::Failed { message, .. } if message.starts_with("invalid format of image"))
        );
    }

    #[test]
    fn replicas_merge_and_sort() {
        let dir = kz_dir("replicas:\n- name: web\n  count: 1\n- name: api\n  count: 2\n");
        apply(
            dir.path(),
            &[Edit::SetReplicas(vec!["web=5".into(), "db=0".into()])],
        )
        .unwrap();
        assert_eq!(
            read_back(dir.path())["replicas"],
            json!([{"name": "api", "count": 2}, {"name": "db", "count": 0}, {"name": "web", "count": 5}])
        );
        let err = apply(dir.path(), &[Edit::SetReplicas(vec!["a=b=1".into()])]).unwrap_err();
        assert_eq!(err, edit_failed(INVALID_REPLICA.into()));
    }

    #[test]
    fn labels_and_annotations_follow_add_metadata() {
        let dir = kz_dir("commonLabels:\n  app: web\nlabels:\n- pairs:\n    tier: fe\n");
        let add = |args: &[&str], force, without_selector, include_templates| Edit::AddLabel {
            args: args.iter().map(|s| (*s).to_owned()).collect(),
            force,
            without_selector,
            include_templates,
        };
        let err = apply(dir.path(), &[add(&["app:other"], false, false, false)]).unwrap_err();
        assert_eq!(
            err,
            edit_failed("label app already in kustomization file".into())
        );
        apply(
            dir.path(),
            &[add(
                &["app:other", "team:\"a:b\"", "bare"],
                true,
                false,
                false,
            )],
        )
        .unwrap();
        assert_eq!(
            read_back(dir.path())["commonLabels"],
            json!({"app": "other", "bare": "", "team": "a:b"})
        );
        apply(dir.path(), &[add(&["tier:x", "new:y"], false, true, true)]).unwrap();
        assert_eq!(
            read_back(dir.path())["labels"],
            json!([{"pairs": {"tier": "fe"}}, {"pairs": {"new": "y", "tier": "x"}, "includeTemplates": true}])
        );
        let err = apply(dir.path(), &[add(&["x:y"], false, false, true)]).unwrap_err();
        assert_eq!(
            err,
            edit_failed(
                "--without-selector flag must be specified for --include-templates to work".into()
            )
        );
        let err = apply(dir.path(), &[add(&[":v"], false, false, false)]).unwrap_err();
        assert_eq!(
            err,
            edit_failed("invalid label: ':v' (need k:v pair where v may be quoted)".into())
        );
        apply(
            dir.path(),
            &[Edit::AddAnnotation {
                args: vec!["note:hello".into()],
                force: false,
            }],
        )
        .unwrap();
        assert_eq!(
            read_back(dir.path())["commonAnnotations"],
            json!({"note": "hello"})
        );
    }

    #[test]
    fn patches_components_prefix_and_namespace() {
        let dir = kz_dir("resources: [a.yaml]\npatches:\n- path: p.yaml\ncomponents: [./c1]\n");
        std::fs::create_dir_all(dir.path().join("c1")).unwrap();
        std::fs::create_dir_all(dir.path().join("c2")).unwrap();
        apply(
            dir.path(),
            &[
                Edit::NamePrefix("-p-".into()),
                Edit::Namespace("ns".into()),
                Edit::Patches(vec![json!({"patch": "x"})]),
                Edit::AddComponent(vec![
                    "./c1".into(),
                    "./c2".into(),
                    "kustomization.yaml".into(),
                ]),
            ],
        )
        .unwrap();
        let got = read_back(dir.path());
        assert_eq!(got["namePrefix"], "-p-");
        assert_eq!(got["namespace"], "ns");
        assert_eq!(got["patches"], json!([{"path": "p.yaml"}, {"patch": "x"}]));
        assert_eq!(got["components"], json!(["./c1", "./c2"]));
        assert_eq!(got["resources"], json!(["a.yaml"]));
        let err = apply(dir.path(), &[Edit::AddComponent(vec!["./nope".into()])]).unwrap_err();
        assert!(
            matches!(err, RenderError::Failed { message, .. } if message.starts_with("./nope has no match"))
        );
    }

    #[test]
    fn missing_kustomization_file() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            apply(dir.path(), &[Edit::Patches(vec![json!({"patch": "x"})])]).unwrap_err(),
            RenderError::Invalid {
                message: "kustomization file not found in the path".into()
            }
        );
        assert_eq!(
            apply(dir.path(), &[Edit::Namespace("x".into())]).unwrap_err(),
            edit_failed("missing kustomization file 'kustomization.yaml'".into())
        );
    }

    #[test]
    fn network_failures_are_recognised() {
        let msg = "accumulating resources: accumulation err='accumulating resources from 'https://github.com/foo/bar//base?ref=v1': Get \"https://github.com/foo/bar//base?ref=v1\": proxyconnect tcp: dial tcp 127.0.0.1:9: connect: connection refused': failed to run '/usr/local/bin/git fetch --depth=1 https://github.com/foo/bar v1': fatal: transport 'https' not allowed";
        assert_eq!(
            classify(
                RenderError::Failed {
                    tool: "kubectl kustomize".into(),
                    message: msg.into()
                },
                &[]
            ),
            RenderError::NeedsNetwork {
                tool: "kubectl kustomize".into(),
                reason: "the kustomization uses the remote resource 'https://github.com/foo/bar//base?ref=v1', which needs the network".into()
            }
        );
        let local = RenderError::Failed {
            tool: "kubectl kustomize".into(),
            message: "accumulating resources from 'missing.yaml': /repo/apps/x/missing.yaml: no such file".into(),
        };
        assert_eq!(
            classify(local, &[PathBuf::from("/repo")]),
            RenderError::Failed {
                tool: "kubectl kustomize".into(),
                message:
                    "accumulating resources from 'missing.yaml': apps/x/missing.yaml: no such file"
                        .into()
            }
        );
    }
}
