//! A Kubernetes object found in the repository, with its span tree.

use crate::diagnostic::ObjectRef;
use crate::load::yaml::Node;
use crate::source::{FileId, Span};
use serde_json::Value as Json;
use std::sync::OnceLock;

#[derive(Debug)]
pub struct Object {
    pub file: FileId,
    /// Position of the YAML document in its file.
    pub doc_index: usize,
    /// Position inside a `kind: List` document, if it came from one.
    pub item_index: Option<usize>,
    pub node: Node,
    pub api_version: String,
    pub kind: String,
    pub name: Option<String>,
    pub namespace: Option<String>,
    /// Set for an object that came out of a kustomize or Helm render, not from a file.
    pub rendered: Option<Box<RenderedFrom>>,
    /// Set for an Application an ApplicationSet generates (`crate::model::generated`).
    pub generated: Option<Box<GeneratedFrom>>,
    json: OnceLock<Json>,
}

/// Where a generated Application came from, so findings about it point at the
/// ApplicationSet strings that produced it and name the parameters.
#[derive(Debug, Clone)]
pub struct GeneratedFrom {
    /// The ApplicationSet (index into `Repo::objects`).
    pub set_object: usize,
    /// Its expansion (index into `Generated::sets`) and the Application's position in it.
    pub set: usize,
    pub app: usize,
    /// `from list element {env: prod}`: the parameters that produced the Application,
    /// for messages. Never holds a Secret's values (clusters are named by name and server
    /// only).
    pub params: String,
}

/// Where a rendered object came from, so findings about it point at a file of the
/// repository instead of the tool's output.
#[derive(Debug, Clone)]
pub struct RenderedFrom {
    /// The Application (index into `Repo::objects`) and the index of its source.
    pub app: usize,
    pub source: usize,
    pub trace: Trace,
    /// Where findings go when nothing better is known: the source's `path`.
    pub fallback: Span,
}

/// The file location a rendered object was traced to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trace {
    /// The object of the repository it was built from (a kustomize resource): findings
    /// map to the same field there when it exists.
    Object(usize),
    /// A place in a file that is not parsed as YAML (a Helm template).
    Span(Span),
    /// Not traced: findings go to the fallback.
    None,
}

impl Object {
    pub fn new(
        file: FileId,
        doc_index: usize,
        item_index: Option<usize>,
        node: Node,
    ) -> Option<Self> {
        let api_version = node.get("apiVersion")?.as_str()?.to_owned();
        let kind = node.get("kind")?.as_str()?.to_owned();
        if api_version.is_empty() || kind.is_empty() {
            return None;
        }
        let meta = node.get("metadata");
        let name = meta
            .and_then(|m| m.get("name"))
            .and_then(Node::as_str)
            .map(str::to_owned);
        let namespace = meta
            .and_then(|m| m.get("namespace"))
            .and_then(Node::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        Some(Object {
            file,
            doc_index,
            item_index,
            node,
            api_version,
            kind,
            name,
            namespace,
            rendered: None,
            generated: None,
            json: OnceLock::new(),
        })
    }

    /// The API group (`""` for the core group).
    pub fn group(&self) -> &str {
        match self.api_version.split_once('/') {
            Some((g, _)) => g,
            None => "",
        }
    }

    pub fn is(&self, group: &str, kind: &str) -> bool {
        self.kind == kind && self.group() == group
    }

    pub fn span(&self, node: &Node) -> Span {
        Span::new(self.file, node.start as usize, node.end as usize)
    }

    /// Where a finding about the whole object goes: its `kind` value.
    pub fn head_span(&self) -> Span {
        let n = self.node.get("kind").unwrap_or(&self.node);
        self.span(n)
    }

    pub fn metadata(&self) -> Option<&Node> {
        self.node.get("metadata")
    }

    pub fn annotations(&self) -> Option<&Node> {
        self.metadata().and_then(|m| m.get("annotations"))
    }

    pub fn labels(&self) -> Option<&Node> {
        self.metadata().and_then(|m| m.get("labels"))
    }

    /// An annotation's value when it is a string, the way Kubernetes reads it.
    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.annotations()?.get(key)?.as_str()
    }

    pub fn spec(&self) -> Option<&Node> {
        self.node.get("spec")
    }

    pub fn display_name(&self) -> String {
        let name = self.name.as_deref().unwrap_or("<unnamed>");
        match &self.namespace {
            Some(ns) => format!("{}/{}/{}", self.kind, ns, name),
            None => format!("{}/{}", self.kind, name),
        }
    }

    pub fn object_ref(&self) -> ObjectRef {
        ObjectRef {
            api_version: self.api_version.clone(),
            kind: self.kind.clone(),
            namespace: self.namespace.clone(),
            name: self.name.clone().unwrap_or_default(),
        }
    }

    /// The object as Kubernetes sees it in JSON, computed once.
    pub fn json(&self) -> &Json {
        self.json.get_or_init(|| self.node.to_json())
    }
}
