//! APP011 duplicate-application: two Applications with the same namespace and name.
//! Kubernetes keeps one object per namespace and name, so whichever is applied last
//! replaces the other. An Application without `metadata.namespace` lives in the
//! control-plane namespace (`argocd` unless configured).
//!
//! The check works on a list of (identity, name node) candidates so that generated
//! Applications (ApplicationSets) can be fed in later.

use crate::diagnostic::Diagnostic;
use crate::engine::Ctx;
use crate::load::yaml::Node;
use crate::model::Object;

pub const CODE: &str = "APP011";

/// One Application to compare: the object it comes from and the node holding its name.
pub struct Candidate<'a> {
    pub object: &'a Object,
    pub name_node: &'a Node,
    /// Namespace the Application ends up in.
    pub namespace: String,
    pub name: String,
}

/// The Applications written in the repository, in repository order.
pub fn written_applications<'a>(cx: &Ctx<'a>) -> Vec<Candidate<'a>> {
    cx.repo
        .applications()
        .filter_map(|o| {
            let name_node = o.metadata()?.get("name")?;
            let name = name_node.as_str()?;
            if name.is_empty() {
                return None;
            }
            Some(Candidate {
                object: o,
                name_node,
                namespace: o
                    .namespace
                    .clone()
                    .unwrap_or_else(|| cx.config.control_plane_namespace().to_owned()),
                name: name.to_owned(),
            })
        })
        .collect()
}

pub fn check(cx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
    report(&written_applications(cx), out);
}

/// Reports every candidate whose (namespace, name) an earlier candidate already has.
pub fn report(candidates: &[Candidate<'_>], out: &mut Vec<Diagnostic>) {
    let mut first: std::collections::HashMap<(&str, &str), &Candidate<'_>> =
        std::collections::HashMap::new();
    for c in candidates {
        let key = (c.namespace.as_str(), c.name.as_str());
        let Some(earlier) = first.get(&key) else {
            first.insert(key, c);
            continue;
        };
        let o = c.object;
        let where_ = if c.object.namespace.is_none() {
            format!(
                "namespace \"{}\" (no metadata.namespace: the control-plane namespace)",
                c.namespace
            )
        } else {
            format!("namespace \"{}\"", c.namespace)
        };
        out.push(
            Diagnostic::new(
                CODE,
                o.span(c.name_node),
                format!(
                    "Application \"{}\" in {where_} is defined more than once; Kubernetes keeps one object \
                     per namespace and name, so whichever is applied last replaces the other",
                    c.name
                ),
            )
            .with_label("duplicate Application")
            .with_related(
                earlier.object.span(earlier.name_node),
                "first defined here",
            )
            .with_help("Rename one of the Applications, or remove the copy.")
            .with_object(Some(o.object_ref())),
        );
    }
}
