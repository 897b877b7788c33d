//! Ordering mistakes between an Application's resources and their dependencies:
//! SYN005 (a dependency applied in a later wave or phase than the resource that needs
//! it), SYN006 (a PreSync hook that needs something only the Sync phase creates) and
//! SYN009 (a custom resource whose CRD another Application defines, with nothing ordering
//! that Application first). Dependencies come from `model::deps`; phases and waves from
//! the hook and wave annotations (semantics §3.2–§3.6). Namespaces and CRDs of the same
//! Application are never findings: Argo CD moves them in front of their first user.

use crate::argo::annotations::{HELM_HOOK, HELM_HOOK_WEIGHT, HOOK, SYNC_OPTIONS, SYNC_WAVE};
use crate::argo::dependencies::{DepKind, Ref};
use crate::argo::hooks::{self, HookType};
use crate::argo::sync_order::wave;
use crate::diagnostic::Diagnostic;
use crate::engine::Ctx;
use crate::model::Object;
use crate::model::deps::{Edge, Target};
use crate::source::Span;
use rayon::prelude::*;
use std::collections::HashMap;

/// A place in the sync: phase rank (PreSync -1, Sync 0, PostSync 1, SyncFail 2) and wave.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Slot {
    phase: i8,
    wave: i64,
}

impl Slot {
    fn phase_name(self) -> &'static str {
        match self.phase {
            -1 => "PreSync",
            0 => "Sync",
            1 => "PostSync",
            _ => "SyncFail",
        }
    }

    fn describe(self) -> String {
        format!("{} phase, wave {}", self.phase_name(), self.wave)
    }
}

/// Where the sync applies an object: one slot per phase for a hook, the Sync phase for
/// anything else, none for objects the sync never applies (Skip, dropped hooks,
/// deletion-only hooks).
fn slots(o: &Object) -> Vec<Slot> {
    let h = hooks::classify(o.annotation(HOOK), o.annotation(HELM_HOOK));
    let w = wave(o.annotation(SYNC_WAVE), o.annotation(HELM_HOOK_WEIGHT)).0;
    if h.skip {
        return Vec::new();
    }
    if !h.is_hook {
        return vec![Slot { phase: 0, wave: w }];
    }
    h.phases()
        .into_iter()
        .filter_map(|t| match t {
            HookType::PreSync => Some(-1),
            HookType::Sync => Some(0),
            HookType::PostSync => Some(1),
            HookType::SyncFail => Some(2),
            _ => None,
        })
        .map(|phase| Slot { phase, wave: w })
        .collect()
}

fn is_hook(o: &Object) -> bool {
    hooks::classify(o.annotation(HOOK), o.annotation(HELM_HOOK)).is_hook
}

/// References that keep the consumer from becoming healthy while the target is missing:
/// Pods are not admitted without their ServiceAccount, PriorityClass or RuntimeClass, and
/// do not start without their ConfigMaps, Secrets, claims and image pull Secrets; a claim
/// stays Pending without its StorageClass; an ExternalSecret or Certificate never becomes
/// Ready without its store or issuer. RBAC references, Ingress backends, scale targets and
/// selectors do not hold up health, so they are not findings.
fn blocking(kind: DepKind) -> bool {
    matches!(
        kind,
        DepKind::EnvFrom
            | DepKind::EnvValueFrom
            | DepKind::Volume
            | DepKind::ProjectedVolume
            | DepKind::VolumeSecret
            | DepKind::SecretProviderClass
            | DepKind::ImagePullSecret
            | DepKind::ServiceAccount
            | DepKind::Pvc
            | DepKind::PriorityClass
            | DepKind::RuntimeClass
            | DepKind::StorageClass
            | DepKind::SecretStore
            | DepKind::Issuer
    )
}

/// What a reference names, for messages.
fn target_text(r: &Ref) -> String {
    match r {
        Ref::Object(k) => format!("{} '{}'", k.kind, k.name),
        Ref::DefaultNamespace => "its Namespace".to_owned(),
        Ref::Selector(_) => "the Pods its selector picks".to_owned(),
        Ref::Crd { group, kind } => format!("the CustomResourceDefinition of {kind}.{group}"),
    }
}

fn target_kind(r: &Ref) -> &str {
    match r {
        Ref::Object(k) => k.kind.as_str(),
        _ => "",
    }
}

/// The consumer's span: the referencing field, else its kind.
fn consumer_span(o: &Object, pointer: &str) -> Span {
    match o.node.pointer(pointer) {
        Some(n) if !pointer.is_empty() => o.span(n),
        _ => o.head_span(),
    }
}

/// The object that must be applied for a dependency to exist, and how it is described.
fn provider<'a>(cx: &'a Ctx<'_>, e: &Edge) -> Option<(&'a Object, Option<&'a Object>)> {
    match e.to {
        Target::Resource(j) => cx.repo.objects.get(j).map(|o| (o, None)),
        Target::Produced { by } => {
            let producer = cx.repo.objects.get(by)?;
            Some((producer, Some(producer)))
        }
        _ => None,
    }
}

/// SYN005 and SYN006 over one Application's edges.
fn check_order(cx: &Ctx<'_>, code: &str, out: &mut Vec<Diagnostic>) {
    let deps = cx.deps();
    let found: Vec<Vec<Diagnostic>> = cx
        .model
        .apps
        .par_iter()
        .enumerate()
        .map(|(a, app)| {
            let mut out = Vec::new();
            check_app_order(cx, code, deps.of_app(a), app, &mut out);
            out
        })
        .collect();
    out.extend(found.into_iter().flatten());
}

/// SYN005 or SYN006 over the edges of one Application.
fn check_app_order(
    cx: &Ctx<'_>,
    code: &str,
    edges: &[Edge],
    app: &crate::model::apps::AppNode<'_>,
    out: &mut Vec<Diagnostic>,
) {
    // Slots per object, computed once per Application (a workload has many references).
    let mut cache: HashMap<usize, Vec<Slot>> = HashMap::new();
    let mut slots_of = |i: usize, o: &Object| cache.entry(i).or_insert_with(|| slots(o)).clone();
    {
        for e in edges {
            if e.optional || e.informational || !blocking(e.kind) {
                continue;
            }
            let Some(consumer) = cx.repo.objects.get(e.from) else {
                continue;
            };
            let Some((dep, produced_by)) = provider(cx, e) else {
                continue;
            };
            let used = slots_of(e.from, consumer);
            let provided = slots_of(provider_index(e), dep);
            if used.is_empty() || provided.is_empty() {
                continue;
            }
            // The earliest use that no provision precedes (or shares).
            let Some(&late_use) = used.iter().find(|u| !provided.iter().any(|p| p <= *u)) else {
                continue;
            };
            let Some(&first_provision) = provided.iter().min() else {
                continue;
            };
            let hook_on_sync = late_use.phase == -1
                && first_provision.phase >= 0
                && matches!(
                    target_kind(e.target()),
                    "Secret" | "ConfigMap" | "ServiceAccount" | "PersistentVolumeClaim"
                );
            let rule = if hook_on_sync { "SYN006" } else { "SYN005" };
            if rule != code {
                continue;
            }
            let what = target_text(e.target());
            let how = match produced_by {
                Some(p) => format!(
                    "which {} '{}' creates in the {}",
                    p.kind,
                    p.name.as_deref().unwrap_or(""),
                    first_provision.describe()
                ),
                None => format!("applied in the {}", first_provision.describe()),
            };
            let consumer_name = match (
                &consumer.name,
                consumer
                    .metadata()
                    .and_then(|m| m.get("generateName"))
                    .and_then(|n| n.as_str()),
            ) {
                (Some(n), _) => format!("{} '{n}'", consumer.kind),
                (None, Some(g)) => format!("{} (generateName '{g}')", consumer.kind),
                (None, None) => consumer.kind.clone(),
            };
            let message = if rule == "SYN006" {
                format!(
                    "{consumer_name} is a PreSync hook (wave {}) that needs {what}, {how}: the PreSync phase must finish before any Sync wave starts, so on a first sync into an empty cluster the hook waits for it forever (Application '{}')",
                    late_use.wave, app.name
                )
            } else {
                format!(
                    "{consumer_name} ({}) needs {what}, {how}: Argo CD applies a wave only once everything before it is healthy, and {} without it, so a first sync into an empty cluster never gets that far (Application '{}')",
                    late_use.describe(),
                    if is_hook(consumer) {
                        "the hook cannot finish".to_owned()
                    } else {
                        format!("the {} cannot become healthy", consumer.kind)
                    },
                    app.name
                )
            };
            let label = format!("needs {what}");
            out.push(
                Diagnostic::new(rule, consumer_span(consumer, e.pointer()), message)
                    .with_label(label)
                    .with_related(
                        dep.head_span(),
                        format!(
                            "{} '{}' ({})",
                            dep.kind,
                            dep.name.as_deref().unwrap_or(""),
                            first_provision.describe()
                        ),
                    )
                    .with_object(Some(consumer.object_ref())),
            );
        }
    }
}

/// The index of the object that provides an edge's target (for the slot cache).
fn provider_index(e: &Edge) -> usize {
    match e.to {
        Target::Resource(j) => j,
        Target::Produced { by } => by,
        _ => usize::MAX,
    }
}

pub fn check_dependency_order(cx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
    check_order(cx, "SYN005", out);
}

pub fn check_hook_dependencies(cx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
    check_order(cx, "SYN006", out);
}

fn skips_dry_run(o: &Object) -> bool {
    o.annotation(SYNC_OPTIONS).is_some_and(|v| {
        v.split(',')
            .any(|i| i.trim() == "SkipDryRunOnMissingResource=true")
    })
}

/// SYN009: a custom resource whose CRD is a resource of another Application.
pub fn check_crd_elsewhere(cx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
    let deps = cx.deps();
    let health = crate::rules::app_sync::application_health_check(cx);
    for (a, app) in cx.model.apps.iter().enumerate() {
        let app_skips = app
            .app()
            .has_sync_option("SkipDryRunOnMissingResource=true");
        if app_skips {
            continue;
        }
        for e in deps.of_app(a) {
            if e.kind != DepKind::Crd {
                continue;
            }
            let Target::OtherApplication {
                app: b,
                object: crd,
            } = e.to
            else {
                continue;
            };
            let (Some(cr), Some(crd_obj), Some(other)) = (
                cx.repo.objects.get(e.from),
                cx.repo.objects.get(crd),
                cx.model.apps.get(b),
            ) else {
                continue;
            };
            if skips_dry_run(cr) {
                continue;
            }
            // An ancestor that deploys the CRD applies it with (kind order: before) the
            // Application it also deploys.
            if ancestors(cx, a).contains(&b) {
                continue;
            }
            // Siblings under one parent, the CRD's Application in an earlier wave, and a
            // health check that makes the parent wait for it.
            let siblings = app.parents.iter().any(|p| other.parents.contains(p));
            let ordered = health
                && siblings
                && wave(other.object.annotation(SYNC_WAVE), None).0
                    < wave(app.object.annotation(SYNC_WAVE), None).0;
            if ordered {
                continue;
            }
            out.push(
                Diagnostic::new(
                    "SYN009",
                    cr.head_span(),
                    format!(
                        "{} '{}' of Application '{}' needs CustomResourceDefinition '{}', which Application '{}' deploys, and nothing makes Argo CD sync '{}' first{}: until the CRD exists, the dry-run of this resource fails with \"the server could not find the requested resource\" and the sync of '{}' fails",
                        cr.kind,
                        cr.name.as_deref().unwrap_or(""),
                        app.name,
                        crd_obj.name.as_deref().unwrap_or(""),
                        other.name,
                        other.name,
                        if siblings && !health {
                            " (their parent's sync waves do not wait for Applications without an Application health check)"
                        } else {
                            ""
                        },
                        app.name
                    ),
                )
                .with_label("CRD in another Application")
                .with_related(
                    crd_obj.head_span(),
                    format!(
                        "CustomResourceDefinition of Application '{}' (Application sync wave {}; '{}' is in wave {})",
                        other.name,
                        wave(other.object.annotation(SYNC_WAVE), None).0,
                        app.name,
                        wave(app.object.annotation(SYNC_WAVE), None).0
                    ),
                )
                .with_object(Some(cr.object_ref())),
            );
        }
    }
}

/// Every Application above `a` in the app-of-apps graph.
fn ancestors(cx: &Ctx<'_>, a: usize) -> Vec<usize> {
    let mut seen: Vec<usize> = Vec::new();
    let mut todo = cx
        .model
        .apps
        .get(a)
        .map(|n| n.parents.clone())
        .unwrap_or_default();
    while let Some(p) = todo.pop() {
        if seen.contains(&p) || p == a {
            continue;
        }
        seen.push(p);
        if let Some(n) = cx.model.apps.get(p) {
            todo.extend(n.parents.iter().copied());
        }
    }
    seen
}
