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
use crate::model::cluster::{
    Cluster, ClusterOrigin, IN_CLUSTER_NAME, IN_CLUSTER_SERVER, Resolution, secret_field,
};
use crate::rules::util::did_you_mean;
use crate::source::Span;

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
    let control_plane = cx.model.control_plane.as_str();
    let mut related: Vec<(Span, String)> = Vec::new();
    let (node, label, message, help) = match clusters.resolve(server, name) {
        Resolution::UnknownName => {
            let Some(n) = dest.get("name") else { return };
            let value = name.unwrap_or("");
            let mut known: Vec<&str> = Vec::new();
            for n in clusters.names() {
                if !known.contains(&n) {
                    known.push(n);
                }
            }
            // A cluster Secret of that name that Argo CD does not read.
            let elsewhere = cx.repo.cluster_secrets().find(|s| {
                s.namespace.as_deref().is_some_and(|ns| ns != control_plane)
                    && secret_field(s, "name").is_some_and(|(v, _)| v == value)
            });
            let help = if value == IN_CLUSTER_NAME && !clusters.in_cluster_enabled {
                "argocd-cm sets cluster.inClusterEnabled: \"false\", which removes the in-cluster destination. Register the cluster with a cluster Secret, or enable it.".to_owned()
            } else if let Some(s) = elsewhere {
                let at = s
                    .metadata()
                    .and_then(|m| m.get("namespace"))
                    .map_or_else(|| s.head_span(), |n| s.span(n));
                related.push((
                    at,
                    format!(
                        "a cluster Secret with this name in namespace '{}'",
                        s.namespace.as_deref().unwrap_or("")
                    ),
                ));
                format!(
                    "Argo CD reads cluster Secrets only from its own namespace ('{control_plane}'); move the Secret there."
                )
            } else {
                match did_you_mean(value, &known) {
                    Some(s) => format!("Did you mean '{s}'?"),
                    None => format!(
                        "Known clusters: {}. Declare clusters registered outside this repository under `clusters:` in .kubectl-gitops.yaml.",
                        if known.is_empty() {
                            "none".to_owned()
                        } else {
                            known.join(", ")
                        }
                    ),
                }
            };
            (
                n,
                "unknown cluster",
                format!(
                    "destination.name '{value}' names no known cluster; Argo CD reports \"there are no clusters with this name: {value}\" and does not sync the Application"
                ),
                help,
            )
        }
        Resolution::AmbiguousName(count) => {
            let Some(n) = dest.get("name") else { return };
            let value = name.unwrap_or("");
            // Which clusters, without their Secrets' data (the server URLs).
            let usable =
                |c: &&Cluster| clusters.in_cluster_enabled || c.server != IN_CLUSTER_SERVER;
            let mut which = Vec::new();
            for c in clusters
                .list
                .iter()
                .filter(|c| c.name == value)
                .filter(usable)
            {
                match c.origin {
                    ClusterOrigin::Secret(i) => {
                        let Some(s) = cx.repo.objects.get(i) else {
                            continue;
                        };
                        let secret = s.name.as_deref().unwrap_or("");
                        which.push(format!("cluster Secret '{secret}'"));
                        let at = s
                            .metadata()
                            .and_then(|m| m.get("name"))
                            .map_or_else(|| s.head_span(), |n| s.span(n));
                        related.push((at, "a cluster Secret with this name".to_owned()));
                    }
                    ClusterOrigin::Config(_) => {
                        which.push("an entry of clusters in .kubectl-gitops.yaml".to_owned());
                    }
                    ClusterOrigin::InCluster => which.push("the in-cluster entry".to_owned()),
                }
            }
            (
                n,
                "ambiguous cluster name",
                format!(
                    "destination.name '{value}' names {count} clusters ({}); Argo CD reports \"there are {count} clusters with the same name\" and does not sync the Application",
                    which.join(", ")
                ),
                "Give each cluster a unique name (the name field of its cluster Secret, or clusters in .kubectl-gitops.yaml), or use destination.server.".to_owned(),
            )
        }
        Resolution::InClusterDisabled => {
            let Some(n) = dest.get("server") else { return };
            (
                n,
                "disabled cluster",
                format!(
                    "destination.server '{}' is the in-cluster URL, which argocd-cm disables (cluster.inClusterEnabled: \"false\"); Argo CD reports the cluster as disabled and does not sync the Application",
                    server.unwrap_or("")
                ),
                "Deploy to a cluster registered with a cluster Secret, or enable the in-cluster destination in argocd-cm."
                    .to_owned(),
            )
        }
        Resolution::Found(_) | Resolution::UnknownServer | Resolution::Invalid => return,
    };
    let mut d = Diagnostic::new(CODE, o.span(node), message)
        .with_label(label)
        .with_help(help)
        .with_object(Some(o.object_ref()));
    for (span, m) in related {
        d = d.with_related(span, m);
    }
    out.push(d);
}
