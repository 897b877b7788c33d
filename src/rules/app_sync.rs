//! Sync behaviour of an Application over its resources: SEC002 (automated prune can delete
//! a Namespace, PersistentVolumeClaim or CRD that nothing protects from pruning) and
//! SYN012 (sync waves around child Applications that do not wait, for lack of an
//! Application health check).

use crate::argo::annotations::{
    HELM_HOOK, HELM_HOOK_WEIGHT, HOOK, SYNC_OPTIONS, SYNC_WAVE, csv_items,
};
use crate::argo::glob;
use crate::argo::hooks::{self, HookType};
use crate::argo::sync_order::{WaveSource, wave};
use crate::diagnostic::Diagnostic;
use crate::engine::Ctx;
use crate::load::yaml::Node;
use crate::model::Object;
use crate::model::repo::ARGO_GROUP;
use crate::source::Span;

/// Kinds whose deletion loses data or takes other resources with it.
const CRITICAL: [(&str, &str); 3] = [
    ("", "Namespace"),
    ("", "PersistentVolumeClaim"),
    ("apiextensions.k8s.io", "CustomResourceDefinition"),
];

/// The value of the first `Prune=` item of a resource's sync-options annotation
/// (`GetAnnotationOptionValue`: items trimmed, generic prefix).
fn resource_option<'a>(o: &'a Object, key: &str) -> Option<&'a str> {
    let prefix = format!("{key}=");
    csv_items(o.annotation(SYNC_OPTIONS)?)
        .into_iter()
        .find_map(|i| i.text.strip_prefix(prefix.as_str()))
}

/// Whether automated prune leaves the resource alone (semantics §3.7): its own `Prune=`
/// value, else the Application's (`SyncOptions.GetOptionValue`, an untrimmed prefix
/// test), is `false` (never pruned) or `confirm` (pruned only after a manual
/// confirmation). `Delete=false` and `helm.sh/resource-policy: keep` only apply when
/// the Application is deleted.
fn prune_protected(o: &Object, app_prune: Option<&str>) -> bool {
    matches!(
        resource_option(o, "Prune").or(app_prune),
        Some("false" | "confirm")
    )
}

/// SEC002: with `syncPolicy.automated.prune`, removing a critical resource from Git
/// deletes it from the cluster: a Namespace with everything in it, a volume's data, a CRD
/// with every custom resource of its kind.
pub fn check_prune_critical(cx: &Ctx<'_>, o: &Object, out: &mut Vec<Diagnostic>) {
    let Some(app) = cx.model.app_of(o) else {
        return;
    };
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
    let app_prune = a
        .sync_options()
        .iter()
        .find_map(|n| n.as_str().and_then(|s| s.strip_prefix("Prune=")));
    for &r in &app.resources {
        let Some(res) = cx.repo.objects.get(r) else {
            continue;
        };
        if std::ptr::eq(res, o) {
            continue;
        }
        let Some(&(_, kind)) = CRITICAL.iter().find(|(g, k)| res.is(g, k)) else {
            continue;
        };
        // Hooks are not pruned; Skip resources and dropped hooks are never applied.
        let h = hooks::classify(res.annotation(HOOK), res.annotation(HELM_HOOK));
        if h.is_hook || h.skip || prune_protected(res, app_prune) {
            continue;
        }
        let what = match kind {
            "Namespace" => "and everything in it",
            "PersistentVolumeClaim" => {
                "and, with the usual Delete reclaim policy, its volume's data"
            }
            _ => "and every custom resource of its kind in the cluster",
        };
        let delete_only = if resource_option(res, "Delete") == Some("false") {
            " (its Delete=false applies only when the Application is deleted, not to pruning)"
        } else {
            ""
        };
        out.push(
            Diagnostic::new(
                "SEC002",
                res.head_span(),
                format!(
                    "{kind} '{}' is a resource of Application '{}', which prunes automatically: if it leaves the repository (a moved file, a refactored overlay), Argo CD deletes it {what}{delete_only}",
                    res.name.as_deref().unwrap_or(""),
                    app.name
                ),
            )
            .with_label("prunable")
            .with_related(o.span(prune), format!("automated prune of '{}'", app.name))
            .with_help(format!(
                "Annotate the {kind} with argocd.argoproj.io/sync-options: Prune=false (or Prune=confirm). Delete=false and helm.sh/resource-policy: keep protect it only when the Application is deleted."
            ))
            .with_object(Some(res.object_ref())),
        );
    }
}

/// The key Argo CD looks health checks up by (`lua.GetConfigMapKey`).
const APPLICATION_KEY: &str = "argoproj.io/Application";

/// Whether a `resource.customizations` key (`group/kind`, `kind`, globs allowed) selects
/// Applications: an exact key, or a wildcard entry matched with `glob.Match`.
fn selects_application(key: &str) -> bool {
    key == APPLICATION_KEY || glob::matches(key, APPLICATION_KEY, &[])
}

/// `resource.customizations.health.<group_kind>` → the override key
/// (`convertToOverrideKey`: `group_kind` → `group/kind`, `all` → `*/*`).
fn split_key_override(group_kind: &str) -> Option<String> {
    let parts: Vec<&str> = group_kind.split('_').collect();
    match parts.as_slice() {
        [g, k] => Some(format!("{g}/{k}")),
        ["all"] => Some("*/*".to_owned()),
        [k] if !k.is_empty() => Some((*k).to_owned()),
        _ => None,
    }
}

/// Whether an argocd-cm of the repository defines a health check that applies to
/// Applications: a non-empty `resource.customizations.health.<group_kind>` key, or an
/// entry of the `resource.customizations` block with a non-empty `health.lua`.
pub(crate) fn application_health_check(cx: &Ctx<'_>) -> bool {
    cx.repo
        .of_kind("", "ConfigMap")
        .filter(|c| c.name.as_deref() == Some("argocd-cm"))
        .filter_map(|c| c.node.get("data"))
        .any(|data| {
            data.entries().iter().any(|e| {
                let Some(key) = e.key.as_str() else {
                    return false;
                };
                let lua = e.value.as_str().is_some_and(|v| !v.trim().is_empty());
                if let Some(group_kind) = key.strip_prefix("resource.customizations.health.") {
                    return lua
                        && split_key_override(group_kind).is_some_and(|k| selects_application(&k));
                }
                key == "resource.customizations" && block_has_application_health(&e.value)
            })
        })
}

/// The `resource.customizations` block: YAML text mapping `group/kind` to settings.
fn block_has_application_health(value: &Node) -> bool {
    let Some(text) = value.as_str() else {
        return false;
    };
    crate::load::yaml::parse(text).documents.iter().any(|d| {
        d.root.entries().iter().any(|e| {
            e.key.as_str().is_some_and(selects_application)
                && e.value
                    .get("health.lua")
                    .and_then(Node::as_str)
                    .is_some_and(|l| !l.trim().is_empty())
        })
    })
}

/// `syncPhaseOrder`, for the phases that run in a successful sync.
fn phase_order(t: HookType) -> Option<i8> {
    match t {
        HookType::PreSync => Some(-1),
        HookType::Sync => Some(0),
        HookType::PostSync => Some(1),
        HookType::SyncFail | HookType::Skip => None,
    }
}

/// The annotation node that decided an object's wave, if one did.
fn wave_node(o: &Object, source: WaveSource) -> Option<&Node> {
    let key = match source {
        WaveSource::SyncWave => SYNC_WAVE,
        WaveSource::HelmHookWeight => HELM_HOOK_WEIGHT,
        WaveSource::Default => return None,
    };
    o.annotations()?.get(key)
}

/// Where an object sits in a successful sync: one (phase, wave) per task, with the node
/// that set the wave. Nothing for objects a sync never applies.
struct Placed<'a> {
    object: &'a Object,
    tasks: Vec<(HookType, i64)>,
    wave_at: Option<&'a Node>,
}

fn place(o: &Object) -> Placed<'_> {
    let (w, source) = wave(o.annotation(SYNC_WAVE), o.annotation(HELM_HOOK_WEIGHT));
    let h = hooks::classify(o.annotation(HOOK), o.annotation(HELM_HOOK));
    let phases: Vec<HookType> = if h.skip || h.ignored() {
        Vec::new()
    } else if h.is_hook {
        h.phases()
    } else {
        vec![HookType::Sync]
    };
    Placed {
        object: o,
        tasks: phases
            .into_iter()
            .filter(|p| phase_order(*p).is_some())
            .map(|p| (p, w))
            .collect(),
        wave_at: wave_node(o, source),
    }
}

fn key(t: (HookType, i64)) -> (i8, i64) {
    (phase_order(t.0).unwrap_or(i8::MAX), t.1)
}

fn describe_step(t: (HookType, i64)) -> String {
    match t.0 {
        HookType::Sync => format!("wave {}", t.1),
        p => format!("the {} phase", p.as_str()),
    }
}

/// Where an object's place in the sync is written: for a step of a hook phase its hook
/// annotation, else the annotation that set its wave, else its kind.
fn step_span(p: &Placed<'_>, step: HookType) -> Span {
    let o = p.object;
    let hook_at = || {
        let ann = o.annotations()?;
        ann.get(HOOK).or_else(|| ann.get(HELM_HOOK))
    };
    let at = if step == HookType::Sync {
        p.wave_at
    } else {
        hook_at().or(p.wave_at)
    };
    at.map_or_else(|| o.head_span(), |n| o.span(n))
}

/// SYN012: a child Application that something of its parent is ordered after (a later
/// sync wave, or the PostSync phase). Since Argo CD 1.8 an Application has no built-in
/// health check: gitops-engine counts a resource without health as done once it is
/// applied, so the parent moves on without waiting for the child to sync (semantics §7,
/// row 27). Reported only when no argocd-cm of the repository restores the check.
pub fn check_child_waves(cx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
    if application_health_check(cx) {
        return;
    }
    for parent in &cx.model.apps {
        let placed: Vec<Placed<'_>> = parent
            .resources
            .iter()
            .filter(|&&r| r != parent.object_index)
            .filter_map(|&r| cx.repo.objects.get(r))
            .map(place)
            .collect();
        for &c in &parent.children {
            let Some(child) = cx.model.apps.get(c) else {
                continue;
            };
            if !child.object.is(ARGO_GROUP, "Application") {
                continue;
            }
            let Some(me) = placed.iter().find(|p| std::ptr::eq(p.object, child.object)) else {
                continue;
            };
            let Some(&last) = me.tasks.iter().max_by_key(|t| key(**t)) else {
                continue;
            };
            // The first step of the parent's sync that comes after the child.
            let next = placed
                .iter()
                .filter(|p| !std::ptr::eq(p.object, child.object))
                .flat_map(|p| p.tasks.iter().map(move |t| (p, *t)))
                .filter(|(_, t)| key(*t) > key(last))
                .min_by_key(|(p, t)| (key(*t), p.object.name.clone()));
            let Some((after, step)) = next else {
                continue;
            };
            let child_name = &child.name;
            let after_name = after.object.name.as_deref().unwrap_or("");
            let where_ = match last.0 {
                HookType::Sync => format!("sync wave {}", last.1),
                p => format!("the {} phase", p.as_str()),
            };
            let step_text = describe_step(step);
            out.push(
                Diagnostic::new(
                    "SYN012",
                    step_span(me, last.0),
                    format!(
                        "Application '{child_name}' is in {where_} of Application '{}', and {} '{after_name}' follows in {step_text}, but Argo CD has no built-in health check for Applications: '{}' counts '{child_name}' as done once it is applied and starts {step_text} without waiting for '{child_name}' to sync",
                        parent.name, after.object.kind, parent.name
                    ),
                )
                .with_label("does not wait")
                .with_related(
                    step_span(after, step.0),
                    format!("{} '{after_name}' in {step_text}", after.object.kind),
                )
                .with_help(
                    "Restore the Application health check in argocd-cm (resource.customizations.health.argoproj.io_Application), as the Argo CD documentation on resource health describes for app of apps with sync waves.",
                )
                .with_object(Some(child.object.object_ref())),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::yaml::parse;
    use crate::source::FileId;

    fn object(text: &str) -> Object {
        let root = parse(text).documents.remove(0).root;
        Object::new(FileId(0), 0, None, root).expect("an object")
    }

    fn pvc(options: Option<&str>) -> Object {
        let ann = options.map_or(String::new(), |o| {
            format!("  annotations:\n    argocd.argoproj.io/sync-options: \"{o}\"\n")
        });
        object(&format!(
            "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: data\n{ann}"
        ))
    }

    /// Semantics §3.7: the resource's own `Prune=` value wins, else the Application's;
    /// `false` and `confirm` protect, `Delete=` does not.
    #[test]
    fn prune_protection() {
        let rows: &[(Option<&str>, Option<&str>, bool)] = &[
            (None, None, false),
            (Some("Prune=false"), None, true),
            (Some("Prune=confirm"), None, true),
            (Some(" Validate=false , Prune=false "), None, true),
            (Some("Delete=false"), None, false),
            (Some("Delete=confirm"), None, false),
            (Some("Prune=False"), None, false),
            (Some("prune=false"), None, false),
            (None, Some("false"), true),
            (None, Some("confirm"), true),
            (None, Some("true"), false),
            (Some("Prune=true"), Some("false"), false),
            (Some("Delete=false"), Some("false"), true),
            (Some("Prune=confirm,Prune=true"), None, true),
        ];
        for &(resource, app, protected) in rows {
            let o = pvc(resource);
            assert_eq!(
                prune_protected(&o, app),
                protected,
                "{resource:?} / app {app:?}"
            );
        }
    }

    #[test]
    fn placement_follows_hooks_and_waves() {
        let p = |text: &str| place(&object(text)).tasks;
        let head = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  annotations:\n";
        assert_eq!(
            p(&format!("{head}    argocd.argoproj.io/sync-wave: \"-1\"\n")),
            [(HookType::Sync, -1)]
        );
        assert_eq!(
            p(&format!("{head}    helm.sh/hook-weight: \"4\"\n")),
            [(HookType::Sync, 4)]
        );
        assert_eq!(
            p(&format!(
                "{head}    argocd.argoproj.io/hook: PreSync,PostSync\n    argocd.argoproj.io/sync-wave: \"2\"\n"
            )),
            [(HookType::PreSync, 2), (HookType::PostSync, 2)]
        );
        // SyncFail runs only when the sync fails; Skip and dropped hooks never run.
        assert!(p(&format!("{head}    argocd.argoproj.io/hook: SyncFail\n")).is_empty());
        assert!(p(&format!("{head}    argocd.argoproj.io/hook: Skip\n")).is_empty());
        assert!(p(&format!("{head}    helm.sh/hook: test\n")).is_empty());
    }

    #[test]
    fn resource_customizations_block() {
        let cm = |block: &str| {
            let o = object(&format!(
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: argocd-cm\ndata:\n  resource.customizations: |\n{block}"
            ));
            o.node
                .path(&["data", "resource.customizations"])
                .is_some_and(block_has_application_health)
        };
        assert!(cm(
            "    argoproj.io/Application:\n      health.lua: |\n        return {}\n"
        ));
        assert!(cm(
            "    argoproj.io/*:\n      health.lua: |\n        return {}\n"
        ));
        assert!(!cm(
            "    argoproj.io/Application:\n      actions: |\n        x\n"
        ));
        assert!(!cm(
            "    argoproj.io/Application:\n      health.lua: \"\"\n"
        ));
        assert!(!cm(
            "    cert-manager.io/Certificate:\n      health.lua: |\n        return {}\n"
        ));
    }

    #[test]
    fn health_keys_select_applications() {
        // convertToOverrideKey, then an exact key or glob.Match.
        for (group_kind, selects) in [
            ("argoproj.io_Application", true),
            ("argoproj.io_*", true),
            ("*_Application", true),
            ("all", true),
            ("argoproj.io_ApplicationSet", false),
            ("Application", false),
            ("cert-manager.io_Certificate", false),
            ("a_b_c", false),
        ] {
            let got = split_key_override(group_kind).is_some_and(|k| selects_application(&k));
            assert_eq!(got, selects, "{group_kind}");
        }
    }

    #[test]
    fn phase_order_matches_gitops_engine() {
        assert!(phase_order(HookType::PreSync) < phase_order(HookType::Sync));
        assert!(phase_order(HookType::Sync) < phase_order(HookType::PostSync));
        assert_eq!(phase_order(HookType::SyncFail), None);
    }
}
