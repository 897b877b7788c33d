//! Offline ApplicationSet expansion: Argo CD's `GenerateApplications` (semantics §5) on
//! the repository's own files.
//!
//! [`expand`] turns one ApplicationSet into the Applications the controller would
//! generate, each with its provenance (which generator and parameters produced it, and for
//! every string field the ApplicationSet string it was rendered from). Generators that
//! need the outside world (SCM providers, pull requests, cluster decision resources,
//! plugins, Git generators on another repository) are not expanded: the result names
//! them instead ([`NotExpanded`]).
//!
//! The pipeline (`applicationset/controllers/template/template.go` and friends):
//! 1. every top-level generator is transformed ([`generators`]): its parameter sets are
//!    computed, matrix and merge children included, then filtered by its `selector`, and
//!    its own `template` is merged over `spec.template` (mergo: non-empty fields win);
//! 2. every parameter set is rendered into every string (and map key) of the template
//!    ([`template`]), with fasttemplate ([`fasttemplate`]) or Go templates
//!    ([`GoTemplates`], supplied by the caller);
//! 3. the resources finalizer is added unless the template has finalizers or
//!    `preserveResourcesOnDeletion` is set; `templatePatch` is applied ([`patch`]);
//!    `metadata.namespace` is forced to the ApplicationSet's namespace.
//!
//! Any error stops the whole set (§5.1 step 7): [`Expansion::error`] is set and no
//! Application is returned, as Argo CD creates, updates and deletes nothing then.
//!
//! This module knows nothing of diagnostics; [`inputs`] is the one part that reads the
//! disk (the repository tree) and the model (cluster Secrets).

pub mod fasttemplate;
pub mod generators;
pub mod gitmatch;
pub mod go;
pub mod golang;
pub mod inputs;
pub mod patch;
pub mod selector;
pub mod syntax;
pub mod template;
pub mod validate;

use crate::model::cluster::ClusterOrigin;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

pub use go::GoEngine;
pub use inputs::{ClusterEntry, DiskTree, MemoryTree, RepoTree};

/// The finalizer Argo CD adds to generated Applications (§5.1 step 6).
pub const RESOURCES_FINALIZER: &str = "resources-finalizer.argocd.argoproj.io";

/// A problem the Go template engine reports for one template string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateIssue {
    /// Byte range in the template source that the problem is about.
    pub range: Range<usize>,
    /// Go's message (`template: :1:6: executing "" at <.x>: map has no entry for key "x"`);
    /// for [`IssueKind::Unsupported`], why the engine cannot tell, as a sentence fragment.
    pub message: String,
    /// Whether parsing or executing failed (Argo CD words the two differently).
    pub kind: IssueKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssueKind {
    Parse,
    Execute,
    /// The engine cannot evaluate the template offline (a function whose result is not
    /// predictable, one it does not implement, or one of its resource limits): Argo CD
    /// may well succeed. The set is reported as not expanded, not as failing.
    Unsupported,
}

/// A parameter reference in a template string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamRef {
    /// The parameter: `path.basename` (fasttemplate), or the dotted field chain of a Go
    /// template (`.path.basename` is `path.basename`).
    pub name: String,
    /// Byte range of the reference (the whole `{{…}}` tag for fasttemplate) in the string.
    pub range: Range<usize>,
    /// Whether the parameter set had a value for it (for fasttemplate: a string value, the
    /// only kind that is substituted).
    pub resolved: bool,
}

/// The Go `text/template` engine with sprig and Argo CD's functions
/// (`goTemplate: true`). Implemented outside this module.
pub trait GoTemplates: Sync {
    /// Parses and executes `src` with `data` as dot and `options` as
    /// `template.Option(…)`s (`missingkey=error`).
    fn render(&self, src: &str, data: &Value, options: &[String]) -> Result<String, TemplateIssue>;

    /// The parameters `src` reads (field chains on dot), for provenance. The default knows
    /// none.
    fn param_refs(&self, _src: &str) -> Vec<ParamRef> {
        Vec::new()
    }

    /// Applies `options` the way Go's `Template.Option` does, in order. Go panics on an
    /// option it does not know; the index of that option and the panic value
    /// (`unrecognized option: missingKey=error`) are returned. The default accepts all.
    fn check_options(&self, _options: &[String]) -> Result<(), (usize, String)> {
        Ok(())
    }

    /// Whether this is a real engine. When it is not, goTemplate ApplicationSets are
    /// reported as not expanded instead of failing.
    fn available(&self) -> bool {
        true
    }
}

/// A stand-in for builds and tests without the Go template engine ([`GoEngine`] is the
/// real one): goTemplate ApplicationSets are not expanded ([`expand`] names them in
/// [`Expansion::not_expanded`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoGoEngine;

impl GoTemplates for NoGoEngine {
    fn render(&self, src: &str, _: &Value, _: &[String]) -> Result<String, TemplateIssue> {
        Err(TemplateIssue {
            range: 0..src.len(),
            message: GO_ENGINE_MISSING.to_owned(),
            kind: IssueKind::Execute,
        })
    }

    fn available(&self) -> bool {
        false
    }
}

const GO_ENGINE_MISSING: &str = "the Go template engine is not available";

/// What the expansion needs besides the ApplicationSet.
pub struct Env<'a> {
    /// This repository's files and directories, as the repo-server would list them.
    pub tree: &'a dyn RepoTree,
    /// Whether a `repoURL` names this repository (`RepoIdentity::is_this_repo`).
    pub is_this_repo: &'a (dyn Fn(&str) -> bool + Sync),
    /// The clusters the cluster generator sees: cluster Secrets of the control-plane
    /// namespace and the configuration's `clusters`.
    pub clusters: &'a [ClusterEntry],
    pub go: &'a dyn GoTemplates,
}

/// Where a parameter set (or the part of it one leaf generator produced) came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamSource {
    /// The leaf generator, as a JSON pointer into the ApplicationSet
    /// (`/spec/generators/0/matrix/generators/1/git`).
    pub generator: String,
    pub item: Item,
}

/// The item of a leaf generator that produced parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// `elements[N]` of a list generator (pointer into the ApplicationSet).
    Element { pointer: String },
    /// Item N of a list generator's `elementsYaml`.
    ElementYaml { index: usize },
    /// A directory matched by a Git directory generator (relative to the repository root).
    Directory { path: String },
    /// Object N of a file matched by a Git file generator.
    File { path: String, index: usize },
    /// A cluster of the cluster generator.
    Cluster { name: String, origin: ClusterOrigin },
    /// The single `{clusters: […]}` set of a cluster generator with `flatList: true`.
    ClusterList,
}

/// One parameter set.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ParamSet {
    /// Flat `map[string]string` in fasttemplate mode, nested values in goTemplate mode.
    pub values: Map<String, Value>,
    /// Flattened keys whose value Go holds as a typed map or slice (`map[string]string`,
    /// `[]string`): selectors see them printed with `%v`, not descended into.
    pub opaque: BTreeSet<String>,
    pub sources: Vec<ParamSource>,
}

/// Where a string of a generated Application came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A string written in the ApplicationSet, rendered with the parameter set.
    Template {
        /// JSON pointer of the source string in the ApplicationSet
        /// (`/spec/template/spec/source/path`, `/spec/generators/0/list/template/…`,
        /// `/spec/templatePatch`).
        pointer: String,
        part: Part,
        /// For `templatePatch`: the byte range, in the patch text, of the node this value
        /// came from (found by its path in the unrendered patch; `None` when the path
        /// itself was templated). `None` for other parts, whose pointer is exact.
        span: Option<Range<usize>>,
        /// The parameters the source string (or the patch node) references.
        params: Vec<ParamRef>,
    },
    /// `metadata.namespace`, forced to the ApplicationSet's namespace; the pointer is the
    /// ApplicationSet's own `/metadata/namespace` when it sets one.
    Namespace { pointer: Option<String> },
    /// The resources finalizer Argo CD adds.
    Finalizer,
}

/// Which part of the ApplicationSet a template string belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// `spec.template`.
    Template,
    /// A generator's own `template`.
    GeneratorTemplate,
    /// `spec.templatePatch` (see `span`).
    TemplatePatch,
}

/// One generated Application with its provenance.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratedApp {
    /// The Application (`apiVersion`, `kind`, `metadata`, `spec`).
    pub app: Value,
    pub namespace: String,
    pub name: String,
    /// The top-level generator, as a JSON pointer (`/spec/generators/0/matrix`).
    pub generator: String,
    pub params: ParamSet,
    /// Every string of `app`: its JSON pointer in `app` → where it came from.
    pub fields: BTreeMap<String, Origin>,
    /// Object members whose key was templated: their JSON pointer in `app` → where the key
    /// came from.
    pub keys: BTreeMap<String, Origin>,
}

/// A generator this offline expansion cannot run, or (`kind` `goTemplate`) a Go template
/// it cannot evaluate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotExpanded {
    /// JSON pointer of the generator (`/spec/generators/1/scmProvider`); for `goTemplate`,
    /// of the template string (`/spec/template/metadata/name`) or `/spec/goTemplate`.
    pub generator: String,
    /// The generator key (`scmProvider`, `git`, …).
    pub kind: String,
    /// Why, as a sentence fragment (`it lists the repositories of an SCM provider`).
    pub reason: String,
}

/// What kind of failure Argo CD reports; the message has the details.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// `found less than two generators…` / `found more than two generators…`.
    MatrixChildren,
    /// `found less than two generators, Merge requires two or more`.
    MergeChildren,
    /// `no merge keys were specified, Merge requires at least one`.
    NoMergeKeys,
    /// `the parameters from a generator were not unique by the given mergeKeys…`.
    NonUniqueMergeKeys,
    /// `found duplicate key … with different value` (fasttemplate matrix).
    MatrixDuplicateKey,
    /// `found more than one generator in matrix.Generators`.
    ChildWithSeveralGenerators,
    /// `child generator generated no parameters` (a child with no generator).
    ChildWithoutGenerator,
    /// A list element value that is not a string (fasttemplate), or a bad `values` map.
    ListValue,
    /// `elements` / `elementsYaml` that do not decode.
    ListDecode,
    /// A Git generator with neither `directories` nor `files` (`ApplicationSet is empty`).
    EmptyGenerator,
    /// A Git file that is not a YAML/JSON object or list of objects.
    GitFile,
    /// A label selector that does not parse.
    Selector,
    /// A template string that does not render (fasttemplate end tag, Go template error).
    Template,
    /// A `goTemplateOptions` entry Go's `Template.Option` does not know: it panics
    /// (`panic: unrecognized option: …`) at the first string rendered, so the reconcile
    /// fails without writing a condition. A panic is never wrapped.
    TemplateOptions,
    /// A Go template the engine cannot evaluate offline ([`IssueKind::Unsupported`]).
    /// Never in [`Expansion::error`]: [`expand`] reports it in
    /// [`Expansion::not_expanded`] instead.
    Unsupported,
    /// A `templatePatch` that does not apply.
    TemplatePatch,
}

/// Argo CD's `firstError`: the set generates nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpandError {
    pub kind: ErrorKind,
    /// JSON pointer into the ApplicationSet of what is at fault (the generator, the
    /// element, the template string).
    pub pointer: String,
    /// Byte range in the string at `pointer`, for template errors.
    pub range: Option<Range<usize>>,
    /// The innermost message (`found less than two generators, Matrix support only two`).
    pub reason: String,
    /// The whole message as Argo CD's `ErrorOccurred` condition shows it, wrapping
    /// included.
    pub message: String,
}

impl ExpandError {
    pub(crate) fn new(
        kind: ErrorKind,
        pointer: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        let reason = reason.into();
        ExpandError {
            kind,
            pointer: pointer.into(),
            range: None,
            message: reason.clone(),
            reason,
        }
    }

    /// Wraps the message the way a Go caller does with `fmt.Errorf("…: %w", err)`; a
    /// panic unwinds past every caller unwrapped.
    pub(crate) fn wrap(mut self, prefix: &str) -> Self {
        if self.kind != ErrorKind::TemplateOptions {
            self.message = format!("{prefix}: {}", self.message);
        }
        self
    }

    pub(crate) fn at_range(mut self, range: Range<usize>) -> Self {
        self.range = Some(range);
        self
    }
}

/// The result of expanding one ApplicationSet.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Expansion {
    /// The generated Applications, in generation order. Empty when `error` is set.
    pub apps: Vec<GeneratedApp>,
    /// Generators that were not expanded: `apps` lacks what they would add.
    pub not_expanded: Vec<NotExpanded>,
    pub error: Option<ExpandError>,
}

impl Expansion {
    /// Whether `apps` is everything Argo CD would generate.
    pub fn complete(&self) -> bool {
        self.error.is_none() && self.not_expanded.is_empty()
    }
}

/// Expands one ApplicationSet.
///
/// `set` is the ApplicationSet as JSON (`Object::json`); `namespace` is its namespace (the
/// control-plane namespace when it names none).
pub fn expand(set: &Value, namespace: &str, env: &Env<'_>) -> Expansion {
    let spec = set.get("spec").cloned().unwrap_or(Value::Null);
    let cx = generators::Cx::new(&spec, env);
    if cx.go_template && !env.go.available() {
        return Expansion {
            not_expanded: vec![NotExpanded {
                generator: "/spec/goTemplate".to_owned(),
                kind: "goTemplate".to_owned(),
                reason: GO_ENGINE_MISSING.to_owned(),
            }],
            ..Expansion::default()
        };
    }
    let base = template::Tree::from_json(
        spec.get("template").unwrap_or(&Value::Null),
        "/spec/template",
        Part::Template,
    );
    let preserve = spec
        .pointer("/syncPolicy/preserveResourcesOnDeletion")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let ns_pointer = set
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(|_| "/metadata/namespace".to_owned());
    let patch = spec.get("templatePatch").and_then(Value::as_str);
    let mut out = Expansion::default();
    let items = match spec.get("generators") {
        Some(Value::Array(items)) => items.as_slice(),
        _ => &[],
    };
    for (i, g) in items.iter().enumerate() {
        let ptr = format!("/spec/generators/{i}");
        let mut t = match generators::transform(&cx, g, &ptr, Some(&base), None, 0) {
            Ok(t) => t,
            Err(e) => return failed(e, out.not_expanded),
        };
        out.not_expanded.append(&mut t.external);
        for r in t.results {
            let Some(tmpl) = r.template else { continue };
            if out.apps.len().saturating_add(r.params.len()) > generators::MAX_PARAM_SETS {
                out.not_expanded.push(NotExpanded {
                    generator: r.generator,
                    kind: "applications".to_owned(),
                    reason: format!(
                        "the set would generate more than {} Applications",
                        generators::MAX_PARAM_SETS
                    ),
                });
                continue;
            }
            let temp_app = template::temp_application(&tmpl);
            for p in r.params {
                let rendered = match template::render_app(&cx, &temp_app, &p, preserve) {
                    Ok(t) => t,
                    Err(e) => return failed(e, out.not_expanded),
                };
                let patched = match patch {
                    Some(text) => match patch::apply(&cx, rendered, text, &p) {
                        Ok(t) => t,
                        Err(e) => return failed(e, out.not_expanded),
                    },
                    None => rendered,
                };
                let forced = template::force_namespace(patched, namespace, ns_pointer.clone());
                out.apps
                    .push(template::finish(forced, r.generator.clone(), p));
            }
        }
    }
    out
}

fn failed(e: ExpandError, mut not_expanded: Vec<NotExpanded>) -> Expansion {
    if e.kind == ErrorKind::Unsupported {
        // Argo CD may well render it: what the set generates is unknown, not an error.
        not_expanded.push(NotExpanded {
            generator: e.pointer,
            kind: "goTemplate".to_owned(),
            reason: e.reason,
        });
        return Expansion {
            apps: Vec::new(),
            not_expanded,
            error: None,
        };
    }
    Expansion {
        apps: Vec::new(),
        not_expanded,
        error: Some(e),
    }
}

/// Escapes one JSON pointer token (RFC 6901).
pub fn escape_token(t: &str) -> String {
    t.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests;
