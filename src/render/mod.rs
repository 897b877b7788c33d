//! Rendering kustomize and Helm sources with the real tools, the way Argo CD's repo server
//! does (`kustomize build`, `helm template`), behind the [`Renderer`] trait so tests can
//! use a fixture implementation. This module only runs tools and returns their output;
//! turning the output into objects and tracing them to files is the model's job.
//!
//! - [`ToolRenderer`] runs the tools found on `PATH` (or given explicitly), applying the
//!   Application's options as Argo CD does: [`kustomize`] (Argo CD's `kustomize edit`
//!   steps, replayed on a private mirror of the checkout so the user's files are never
//!   touched) and [`helm`] (the argument list of Argo CD's `helmTemplate`).
//! - [`CachedRenderer`] wraps any renderer with a per-run cache keyed by the source's
//!   content and the options.
//! - [`apply_source_overrides`] merges `.argocd-source.yaml` and
//!   `.argocd-source-<app>.yaml` into a source, as the repo server does before it decides
//!   the source type ([`app_type`]) and renders; the renderers apply it themselves.

pub mod cache;
pub mod detect;
mod env;
mod fsutil;
pub mod helm;
pub mod kustomize;
mod overrides;
pub mod tool;

pub use cache::{CacheStats, CachedRenderer};
pub use detect::{AppType, app_type};
pub use overrides::apply_source_overrides;
pub use tool::{ToolPaths, ToolRenderer};

pub mod fixture;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// Which tool renders a source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SourceType {
    Kustomize,
    Helm,
}

impl SourceType {
    pub fn label(self) -> &'static str {
        match self {
            SourceType::Kustomize => "kustomize",
            SourceType::Helm => "helm",
        }
    }
}

/// One source of one Application to render.
#[derive(Debug, Clone)]
pub struct RenderRequest {
    pub kind: SourceType,
    /// The checkout root (absolute): value files starting with `/` and `$ref/` paths
    /// resolve from here, and nothing may escape it.
    pub repo_root: PathBuf,
    /// The source directory (absolute), `repo_root` joined with `source.path`.
    pub source_dir: PathBuf,
    /// The Application source as JSON (the mapping under `spec.source` or one item of
    /// `spec.sources`): its `kustomize` or `helm` block holds the options.
    pub source: serde_json::Value,
    /// `metadata.name` of the Application (Helm's default release name).
    pub app_name: String,
    /// `spec.project` of the Application (`ARGOCD_APP_PROJECT_NAME`).
    pub project: String,
    /// The Application's own namespace.
    pub app_namespace: String,
    /// `spec.destination.namespace` (`""` when unset).
    pub dest_namespace: String,
    /// `ref` name → absolute root of that source's repository checkout, for `$ref/` value
    /// files. Only refs whose repository is this checkout can be resolved. The name may be
    /// given with or without its `$`. An empty path declares a ref whose repository is not
    /// available here: a value file through it gives [`RenderError::NeedsNetwork`] instead
    /// of being read as an ordinary path.
    pub refs: BTreeMap<String, PathBuf>,
    /// Per-render deadline.
    pub timeout: Duration,
}

/// What a tool printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The rendered multi-document YAML stream.
    pub yaml: String,
    /// The program that ran, as users would type it (`kustomize`, `kubectl kustomize`,
    /// `helm`), for messages.
    pub tool: String,
}

/// Why a source was not rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    /// The tool is not installed: GO005.
    #[error("{}", missing(tool))]
    ToolMissing { tool: &'static str },
    /// Rendering with the tool is switched off (`render: {<tool>: never}`, `--render
    /// never`): GO005.
    #[error("rendering with {tool} is switched off")]
    Disabled { tool: &'static str },
    /// Rendering needs something that only exists online (a chart dependency that is not
    /// vendored, a remote kustomize base): GO005, not a failure of the user's files.
    #[error("{reason}")]
    NeedsNetwork { tool: String, reason: String },
    /// The tool ran and failed; `message` is its own error text: GO004.
    #[error("{tool} failed: {message}")]
    Failed { tool: String, message: String },
    /// The tool did not finish in time: GO004.
    #[error("{tool} did not finish within {}s", after.as_secs())]
    TimedOut { tool: String, after: Duration },
    /// Argo CD itself would refuse the request before running a tool (a value file outside
    /// the repository, a missing value file without `ignoreMissingValueFiles`): GO004.
    #[error("{message}")]
    Invalid { message: String },
}

/// Says which program was looked for on PATH.
fn missing(tool: &str) -> String {
    match tool {
        "kustomize" => "neither kustomize nor kubectl is on PATH".to_owned(),
        other => format!("{other} is not on PATH"),
    }
}

/// Renders sources. Implementations must be usable from several threads at once.
pub trait Renderer: Send + Sync {
    fn render(&self, req: &RenderRequest) -> Result<Rendered, RenderError>;
}

/// The renderer for a lint: the real tools found on PATH (each switched off by
/// `RenderMode::Never`), behind a per-run cache.
pub fn default_renderer(
    kustomize: crate::config::RenderMode,
    helm: crate::config::RenderMode,
) -> cache::CachedRenderer<tool::ToolRenderer> {
    cache::CachedRenderer::new(tool::ToolRenderer::new(kustomize, helm))
}
