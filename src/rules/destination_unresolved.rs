//! APP003 destination-unresolved: an Application destination that names no cluster.
//! Argo CD resolves `destination.server` or `destination.name` to a cluster; with
//! neither (Go reads an empty string as unset) it reports "Destination server missing
//! from app spec" and never syncs. Semantics notes §1.3.
//!
//! A `name` must also resolve: to the in-cluster entry (`in-cluster`), a cluster Secret in
//! the repository or a cluster of the configuration. Argo CD reports "there are no clusters
//! with this name" or "there are N clusters with the same name". A `server` that no known
//! cluster has is not reported: clusters are often registered outside the repository. The
//! in-cluster URL with `cluster.inClusterEnabled: "false"` in argocd-cm is reported.

use crate::diagnostic::Diagnostic;
use crate::engine::Ctx;
use crate::load::yaml::Node;
use crate::model::Object;
use crate::model::application::Application;
use crate::model::cluster::Resolution;
use crate::rules::util::did_you_mean;

pub const CODE: &str = "APP003";

/// Argo CD's `ErrDestinationMissing`.
const DESTINATION_MISSING: &str = "Destination server missing from app spec";

/// Whether Go would read the field as set: present, not null, not `""`. A non-string
/// value is a schema error for the API server, not an unset field.
fn is_set(dest: &Node, key: &str) -> bool {
    match dest.get(key) {
        None => false,
        Some(v) if v.is_null() => false,
        Some(v) => v.as_str() != Some(""),
    }
}

pub fn check(cx: &Ctx<'_>, o: &Object, out: &mut Vec<Diagnostic>) {
    let Some(app) = Application::new(o) else {
        return;
    };
    let Some(spec) = app.spec() else { return };
    // A missing or null destination is APP001's finding.
    let Some(entry) = spec.entry("destination") else {
        return;
    };
    let dest = &entry.value;
    if !dest.is_map() {
        return;
    }
    if is_set(dest, "server") || is_set(dest, "name") {
        check_known(cx, o, dest, out);
        return;
    }
    // Point at an empty value when there is one, else at the destination key.
    let empty = ["server", "name"]
        .iter()
        .find_map(|k| dest.get(k).filter(|v| v.as_str() == Some("")));
    let (node, label, detail) = match empty {
        Some(v) => (v, "empty", " (an empty string counts as unset)"),
        None => (&entry.key, "no server or name", ""),
    };
    out.push(
        Diagnostic::new(
            CODE,
            o.span(node),
            format!(
                "destination sets neither server nor name{detail}; Argo CD cannot resolve the cluster and reports \"{DESTINATION_MISSING}\""
            ),
        )
        .with_label(label)
        .with_help(
            "Set destination.server (such as https://kubernetes.default.svc) or destination.name (the name of a cluster Secret), not both.",
        )
        .with_object(Some(o.object_ref())),
    );
}

/// A destination that is written but names no cluster Argo CD knows.
fn check_known(cx: &Ctx<'_>, o: &Object, dest: &Node, out: &mut Vec<Diagnostic>) {
    // Both set is APP002's finding.
    if is_set(dest, "server") && is_set(dest, "name") {
        return;
    }
    let server = dest.get("server").and_then(Node::as_str);
    let name = dest.get("name").and_then(Node::as_str);
    let clusters = &cx.model.clusters;
    let (node, label, message, help) = match clusters.resolve(server, name) {
        Resolution::UnknownName => {
            let Some(n) = dest.get("name") else { return };
            let value = name.unwrap_or("");
            let known: Vec<&str> = clusters.names().collect();
            let help = match did_you_mean(value, &known) {
                Some(s) => format!("Did you mean '{s}'?"),
                None => format!(
                    "Known clusters: {}. Declare clusters registered outside this repository under `clusters:` in .kubectl-gitops.yaml.",
                    if known.is_empty() {
                        "none".to_owned()
                    } else {
                        known.join(", ")
                    }
                ),
            };
            (
                n,
                "unknown cluster",
                format!(
                    "destination.name '{value}' names no known cluster; Argo CD reports \"there are no clusters with this name: {value}\" and never syncs"
                ),
                help,
            )
        }
        Resolution::AmbiguousName(count) => {
            let Some(n) = dest.get("name") else { return };
            let value = name.unwrap_or("");
            (
                n,
                "ambiguous cluster name",
                format!(
                    "destination.name '{value}' names {count} clusters; Argo CD reports \"there are {count} clusters with the same name\" and never syncs"
                ),
                "Give each cluster Secret a unique name, or use destination.server.".to_owned(),
            )
        }
        Resolution::InClusterDisabled => {
            let Some(n) = dest.get("server") else { return };
            (
                n,
                "disabled cluster",
                format!(
                    "destination.server '{}' is the in-cluster URL, which argocd-cm disables (cluster.inClusterEnabled: \"false\"); Argo CD reports the cluster as disabled",
                    server.unwrap_or("")
                ),
                "Register the cluster with a cluster Secret, or enable the in-cluster destination."
                    .to_owned(),
            )
        }
        Resolution::Found(_) | Resolution::UnknownServer | Resolution::Invalid => return,
    };
    out.push(
        Diagnostic::new(CODE, o.span(node), message)
            .with_label(label)
            .with_help(help)
            .with_object(Some(o.object_ref())),
    );
}
