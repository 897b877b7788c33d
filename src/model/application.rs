//! Typed view of an Argo CD `Application` over its span tree.

use crate::load::yaml::Node;
use crate::model::Object;

/// A view of an `argoproj.io/Application`; every accessor returns span-carrying nodes.
#[derive(Clone, Copy, Debug)]
pub struct Application<'a> {
    pub object: &'a Object,
}

impl<'a> Application<'a> {
    pub fn new(object: &'a Object) -> Option<Self> {
        object
            .is(crate::model::repo::ARGO_GROUP, "Application")
            .then_some(Application { object })
    }

    pub fn spec(&self) -> Option<&'a Node> {
        self.object.spec()
    }

    /// `spec.project`; the empty string means `default`.
    pub fn project(&self) -> &'a str {
        match self
            .spec()
            .and_then(|s| s.get("project"))
            .and_then(Node::as_str)
        {
            Some("") | None => "default",
            Some(p) => p,
        }
    }

    pub fn destination(&self) -> Option<&'a Node> {
        self.spec()?.get("destination")
    }

    pub fn sync_policy(&self) -> Option<&'a Node> {
        self.spec()?.get("syncPolicy")
    }

    /// The sources Argo CD uses: with a `sourceHydrator`, its `drySource` (the hydrator
    /// generates the manifests from it the way a source is generated, and `source` and
    /// `sources` are ignored); else `spec.sources` when non-empty (then `source` is
    /// ignored), otherwise `spec.source`.
    pub fn sources(&self) -> Vec<&'a Node> {
        let Some(spec) = self.spec() else {
            return Vec::new();
        };
        if let Some(dry) = spec
            .get("sourceHydrator")
            .filter(|h| !h.is_null())
            .and_then(|h| h.get("drySource"))
        {
            return vec![dry];
        }
        match spec.get("sources") {
            Some(s) if !s.items().is_empty() => s.items().iter().collect(),
            _ => spec.get("source").into_iter().collect(),
        }
    }

    /// `HasMultipleSources`: `spec.sources` is non-empty and there is no hydrator.
    pub fn is_multi_source(&self) -> bool {
        self.spec().is_some_and(|s| {
            s.get("sourceHydrator").is_none_or(Node::is_null)
                && s.get("sources").is_some_and(|s| !s.items().is_empty())
        })
    }

    /// App-level sync options, exactly as written (Argo CD does not trim them).
    pub fn sync_options(&self) -> Vec<&'a Node> {
        self.sync_policy()
            .and_then(|p| p.get("syncOptions"))
            .map(|o| o.items().iter().collect())
            .unwrap_or_default()
    }

    pub fn has_sync_option(&self, option: &str) -> bool {
        self.sync_options()
            .iter()
            .any(|n| n.as_str() == Some(option))
    }

    pub fn is_automated(&self) -> bool {
        let Some(a) = self.sync_policy().and_then(|p| p.get("automated")) else {
            return false;
        };
        if a.is_null() {
            return false;
        }
        // `enabled: false` turns automation off explicitly.
        a.get("enabled").and_then(Node::as_bool) != Some(false)
    }
}
