//! Sync behaviour of an Application over its resources: SEC002 (automated prune can delete
//! a Namespace, PersistentVolumeClaim or CRD that nothing protects) and SYN012 (sync waves
//! on child Applications that do not wait, for lack of an Application health check).

use crate::argo::annotations::{SYNC_OPTIONS, SYNC_WAVE};
use crate::argo::sync_order::wave;
use crate::diagnostic::Diagnostic;
use crate::engine::Ctx;
use crate::load::yaml::Node;
use crate::model::Object;
use crate::model::repo::ARGO_GROUP;

/// Kinds whose deletion loses data or takes other resources with it.
const CRITICAL: [(&str, &str); 3] = [
    ("", "Namespace"),
    ("", "PersistentVolumeClaim"),
    ("apiextensions.k8s.io", "CustomResourceDefinition"),
];

/// Resource sync options that keep a resource from being pruned or deleted.
fn protected(o: &Object) -> bool {
    o.annotation(SYNC_OPTIONS).is_some_and(|v| {
        v.split(',').map(str::trim).any(|i| {
            matches!(
                i,
                "Prune=false" | "Prune=confirm" | "Delete=false" | "Delete=confirm"
            )
        })
    })
}

/// SEC002: with `syncPolicy.automated.prune`, removing a critical resource from Git
/// deletes it from the cluster: a Namespace with everything in it, a volume's data, a CRD
/// with every custom resource of its kind.
pub fn check_prune_critical(cx: &Ctx<'_>, o: &Object, out: &mut Vec<Diagnostic>) {
    let Some(app) = cx.model.app_of(o) else { return };
    let a = app.app();
    if !a.is_automated() {
        return;
    }
    let Some(prune) = a
        .sync_policy()
        .and_then(|p| p.path(&["automated", "prune"]))
        .filter(|n| n.as_bool() == Some(true))
    else {
        return;
    };
    // An app-level Prune=false (or confirm) protects every resource.
    if a.sync_options().iter().any(|n| {
        matches!(n.as_str(), Some("Prune=false" | "Prune=confirm"))
    }) {
        return;
    }
    for &r in &app.resources {
        let Some(res) = cx.repo.objects.get(r) else {
            continue;
        };
        let Some(&(_, kind)) = CRITICAL.iter().find(|(g, k)| res.is(g, k)) else {
            continue;
        };
        if protected(res) {
            continue;
        }
        let what = match kind {
            "Namespace" => "and everything in it",
            "PersistentVolumeClaim" => "and, with the usual Delete reclaim policy, its volume's data",
            _ => "and every custom resource of its kind in the cluster",
        };
        out.push(
            Diagnostic::new(
                "SEC002",
                res.head_span(),
                format!(
                    "{} '{}' is deployed by Application '{}' with automated prune: if it leaves the repository (a moved file, a refactored overlay), Argo CD deletes it {what}",
                    kind,
                    res.name.as_deref().unwrap_or(""),
                    app.name
                ),
            )
            .with_label("prunable")
            .with_related(o.span(prune), format!("automated prune of '{}'", app.name))
            .with_help(format!(
                "Annotate the {kind} with argocd.argoproj.io/sync-options: Prune=false (or Prune=confirm), and Delete=false to keep it when the Application is deleted."
            ))
            .with_object(Some(res.object_ref())),
        );
    }
}

/// Whether argocd-cm in the repository defines a health check for Applications
/// (`resource.customizations.health.argoproj.io_Application`, or the
/// `resource.customizations` block with an `argoproj.io/Application` entry and a
/// `health.lua`).
fn application_health_check(cx: &Ctx<'_>) -> bool {
    cx.repo
        .of_kind("", "ConfigMap")
        .filter(|c| c.name.as_deref() == Some("argocd-cm"))
        .any(|c| {
            let Some(data) = c.node.get("data") else {
                return false;
            };
            data.get("resource.customizations.health.argoproj.io_Application")
                .is_some()
                || data
                    .get("resource.customizations")
                    .and_then(Node::as_str)
                    .is_some_and(|t| {
                        t.contains("argoproj.io/Application:") && t.contains("health.lua")
                    })
        })
}

/// SYN012: child Applications in different sync waves of their parent. Since Argo CD 1.8
/// an Application has no built-in health check, so a parent considers a child healthy as
/// soon as it is created, and the next wave starts without waiting for the child's sync.
pub fn check_child_waves(cx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
    if application_health_check(cx) {
        return;
    }
    for parent in &cx.model.apps {
        let children: Vec<&Object> = parent
            .children
            .iter()
            .filter_map(|&c| cx.model.apps.get(c))
            .map(|c| c.object)
            .collect();
        let wave_of = |o: &Object| wave(o.annotation(SYNC_WAVE), None).0;
        let mut waves: Vec<i64> = children.iter().map(|o| wave_of(o)).collect();
        waves.sort_unstable();
        waves.dedup();
        if waves.len() < 2 {
            continue;
        }
        for child in children {
            let Some(node) = child.annotations().and_then(|a| a.get(SYNC_WAVE)) else {
                continue;
            };
            if !child.is(ARGO_GROUP, "Application") {
                continue;
            }
            out.push(
                Diagnostic::new(
                    "SYN012",
                    child.span(node),
                    format!(
                        "Application '{}' is in sync wave {} of Application '{}', but Argo CD has no health check for Applications: the parent treats it as healthy as soon as it exists, so the next wave starts before '{}' has synced",
                        child.name.as_deref().unwrap_or(""),
                        wave_of(child),
                        parent.name,
                        child.name.as_deref().unwrap_or("")
                    ),
                )
                .with_label("does not wait")
                .with_help(
                    "Add the Application health check to argocd-cm (resource.customizations.health.argoproj.io_Application), as the Argo CD documentation on sync waves for app of apps describes.",
                )
                .with_object(Some(child.object_ref())),
            );
        }
    }
}
