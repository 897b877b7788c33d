//! A [`Renderer`] that returns canned output, for tests that must not depend on the tools
//! installed on the machine. Tests that use it say so; tests of the real tools live in
//! `tests/render.rs`.

use super::{RenderError, RenderRequest, Rendered, Renderer, SourceType};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;

/// Output by source directory; directories it does not know are "tool missing".
#[derive(Debug, Default)]
pub struct FixtureRenderer {
    outputs: HashMap<PathBuf, Result<String, RenderError>>,
    /// Every request, in the order received.
    pub requests: Mutex<Vec<RenderRequest>>,
}

impl FixtureRenderer {
    pub fn new() -> Self {
        FixtureRenderer::default()
    }

    /// Renders `source_dir` (compared after canonicalising) as `result`.
    pub fn with(
        mut self,
        source_dir: impl Into<PathBuf>,
        result: Result<String, RenderError>,
    ) -> Self {
        let dir: PathBuf = source_dir.into();
        let dir = std::fs::canonicalize(&dir).unwrap_or(dir);
        self.outputs.insert(dir, result);
        self
    }
}

impl Renderer for FixtureRenderer {
    fn render(&self, req: &RenderRequest) -> Result<Rendered, RenderError> {
        if let Ok(mut r) = self.requests.lock() {
            r.push(req.clone());
        }
        let dir = std::fs::canonicalize(&req.source_dir).unwrap_or_else(|_| req.source_dir.clone());
        let tool = match req.kind {
            SourceType::Kustomize => "kustomize",
            SourceType::Helm => "helm",
        };
        match self.outputs.get(&dir) {
            Some(Ok(yaml)) => Ok(Rendered {
                yaml: yaml.clone(),
                tool: tool.to_owned(),
            }),
            Some(Err(e)) => Err(e.clone()),
            None => Err(RenderError::ToolMissing { tool }),
        }
    }
}
