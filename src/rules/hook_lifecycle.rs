//! What happens to hooks between syncs: SYN007 (a fixed-name Job or Pod hook that is not
//! deleted before it is created again), SYN008 (a `generateName` hook nothing deletes),
//! SYN010 (Helm hooks Argo CD drops or runs on every sync) and SEC003 (a hook or Job whose
//! image tag can change under it). Semantics notes §3.3 and §3.4.

use crate::argo::annotations::{HELM_HOOK, HELM_HOOK_DELETE_POLICY, HOOK, HOOK_DELETE_POLICY};
use crate::argo::hooks::{self, DeletePolicy, Hook};
use crate::diagnostic::Diagnostic;
use crate::engine::Ctx;
use crate::load::yaml::Node;
use crate::model::Object;
use crate::rules::util::sub_span;

fn hook_of(o: &Object) -> Hook {
    hooks::classify(o.annotation(HOOK), o.annotation(HELM_HOOK))
}

/// A hook that a sync creates: a hook with at least one sync phase.
fn sync_hook(o: &Object) -> Option<Hook> {
    let h = hook_of(o);
    (h.is_hook && !h.phases().is_empty()).then_some(h)
}

fn policies(o: &Object) -> Vec<DeletePolicy> {
    hooks::delete_policies(o.annotation(HOOK_DELETE_POLICY), o.annotation(HELM_HOOK_DELETE_POLICY))
}

fn policy_names(p: &[DeletePolicy]) -> String {
    p.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(", ")
}

/// The delete-policy annotation nodes that are written, for spans.
fn policy_node(o: &Object) -> Option<&Node> {
    let ann = o.annotations()?;
    ann.get(HOOK_DELETE_POLICY)
        .or_else(|| ann.get(HELM_HOOK_DELETE_POLICY))
}

fn meta_value<'a>(o: &'a Object, key: &str) -> Option<&'a Node> {
    o.metadata()?.get(key)
}

fn phase_names(h: &Hook) -> String {
    h.phases()
        .iter()
        .map(|t| t.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// SYN007: a Job or Pod hook with a fixed name whose delete policies do not include
/// BeforeHookCreation. After a run that the policies keep (a failure with only
/// HookSucceeded, a success with only HookFailed), the next sync applies the same name
/// again: a Job's or Pod's template is immutable, so the sync fails with "field is
/// immutable", or Argo CD finds the old finished object and does not run the hook again.
pub fn check_immutable_hook(_cx: &Ctx<'_>, o: &Object, out: &mut Vec<Diagnostic>) {
    if !(o.is("batch", "Job") || o.is("", "Pod")) {
        return;
    }
    let Some(h) = sync_hook(o) else { return };
    let name = meta_value(o, "name").and_then(Node::as_str).unwrap_or("");
    if name.is_empty() {
        return;
    }
    let p = policies(o);
    if p.contains(&DeletePolicy::BeforeHookCreation) {
        return;
    }
    let kept = if p.contains(&DeletePolicy::HookSucceeded) {
        "a failed run"
    } else if p.contains(&DeletePolicy::HookFailed) {
        "a successful run"
    } else {
        "every run"
    };
    let at = policy_node(o).or_else(|| meta_value(o, "name"));
    let Some(at) = at else { return };
    out.push(
        Diagnostic::new(
            "SYN007",
            o.span(at),
            format!(
                "{} hook '{name}' ({}) has a fixed name and delete policy {} without BeforeHookCreation: after {kept} the {} stays, and the next sync applies the same name again, which Kubernetes refuses for a changed {} template (\"field is immutable\")",
                o.kind,
                phase_names(&h),
                policy_names(&p),
                o.kind,
                o.kind
            ),
        )
        .with_label("no BeforeHookCreation")
        .with_help(
            "Add BeforeHookCreation to argocd.argoproj.io/hook-delete-policy (for example \"BeforeHookCreation,HookSucceeded\"), or use metadata.generateName with HookSucceeded.",
        )
        .with_object(Some(o.object_ref())),
    );
}

/// SYN008: a `generateName` hook whose policies never delete it: each sync creates a new
/// object (its name carries the revision, phase and start time), and BeforeHookCreation
/// only deletes an object of the same name.
pub fn check_accumulating_hook(_cx: &Ctx<'_>, o: &Object, out: &mut Vec<Diagnostic>) {
    let Some(h) = sync_hook(o) else { return };
    let named = meta_value(o, "name")
        .and_then(Node::as_str)
        .is_some_and(|n| !n.is_empty());
    let Some(generate) = meta_value(o, "generateName") else {
        return;
    };
    if named || generate.as_str().is_none_or(str::is_empty) {
        return;
    }
    let p = policies(o);
    if p.contains(&DeletePolicy::HookSucceeded) || p.contains(&DeletePolicy::HookFailed) {
        return;
    }
    let mut d = Diagnostic::new(
        "SYN008",
        o.span(generate),
        format!(
            "{} hook ({}) uses generateName with delete policy {}: every sync creates a new {} with a new name, BeforeHookCreation only deletes an object of the same name, so finished hooks pile up in the namespace",
            o.kind,
            phase_names(&h),
            policy_names(&p),
            o.kind
        ),
    )
    .with_label("never deleted")
    .with_help(
        "Add HookSucceeded (and HookFailed, if failed runs need not be kept) to argocd.argoproj.io/hook-delete-policy.",
    )
    .with_object(Some(o.object_ref()));
    if let Some(n) = policy_node(o) {
        d = d.with_related(o.span(n), "delete policy");
    }
    out.push(d);
}

/// SYN010: `helm.sh/hook` values whose meaning Argo CD changes. Argo CD runs charts with
/// `helm template` and maps hooks to sync phases: test and rollback hooks are never
/// applied, install and upgrade hooks both run on every sync, and `crd-install` is not a
/// hook at all.
pub fn check_helm_hooks(_cx: &Ctx<'_>, o: &Object, out: &mut Vec<Diagnostic>) {
    let Some(node) = o.annotations().and_then(|a| a.get(HELM_HOOK)) else {
        return;
    };
    let Some(value) = node.as_str() else { return };
    // A valid Argo CD hook type overrides the Helm annotation entirely.
    let argo = hooks::classify(o.annotation(HOOK), None);
    if !argo.types.is_empty() {
        return;
    }
    let raw = node.scalar_text().unwrap_or(value);
    let items: Vec<(usize, &str)> = {
        let mut at = 0;
        value
            .split(',')
            .map(|part| {
                let start = at + (part.len() - part.trim_start().len());
                at += part.len() + 1;
                (start, part.trim())
            })
            .collect()
    };
    let has = |want: &str| items.iter().any(|(_, i)| *i == want);
    for &(start, item) in &items {
        let message = match item {
            "test" | "test-success" | "test-failure" => format!(
                "helm.sh/hook '{item}' is a Helm test hook; Argo CD never applies it (it is dropped from the sync), so the test does not run"
            ),
            "pre-rollback" | "post-rollback" => format!(
                "helm.sh/hook '{item}' is a rollback hook; Argo CD has no Helm rollback and never applies it"
            ),
            "pre-upgrade" if !has("pre-install") => "helm.sh/hook 'pre-upgrade' becomes a PreSync hook, which Argo CD runs on every sync, the first one included: an upgrade-only job also runs on the initial install".to_owned(),
            "post-upgrade" if !has("post-install") => "helm.sh/hook 'post-upgrade' becomes a PostSync hook, which Argo CD runs on every sync, the first one included: an upgrade-only job also runs on the initial install".to_owned(),
            "pre-install" if !has("pre-upgrade") => "helm.sh/hook 'pre-install' becomes a PreSync hook, which Argo CD runs on every sync, not only on the first install".to_owned(),
            "post-install" if !has("post-upgrade") => "helm.sh/hook 'post-install' becomes a PostSync hook, which Argo CD runs on every sync, not only on the first install".to_owned(),
            "crd-install" => "helm.sh/hook 'crd-install' is not a hook for Argo CD (nor for Helm 3): the object is applied as a normal resource in the Sync phase".to_owned(),
            _ => continue,
        };
        out.push(
            Diagnostic::new(
                "SYN010",
                sub_span(o, node, value, start, start + item.len(), raw),
                message,
            )
            .with_label("Helm hook")
            .with_object(Some(o.object_ref())),
        );
    }
}

/// The containers of the Pod template of a workload, with their list name.
fn pod_spec(o: &Object) -> Option<&Node> {
    let spec = o.spec()?;
    match o.kind.as_str() {
        "Pod" => Some(spec),
        "CronJob" => spec.path(&["jobTemplate", "spec", "template", "spec"]),
        _ => spec.path(&["template", "spec"]),
    }
}

/// A tag that can change under the same reference: none (implicitly `latest`) or
/// `latest`. A digest pins the image whatever the tag.
fn mutable_tag(image: &str) -> Option<&'static str> {
    if image.contains('@') {
        return None;
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.split_once(':') {
        None => Some("no tag (Kubernetes pulls latest)"),
        Some((_, "latest")) => Some("the latest tag"),
        Some(_) => None,
    }
}

/// SEC003: a hook or a Job whose container image is not pinned: the same manifest runs
/// different code from one sync to the next, and a database migration can change without
/// a commit.
pub fn check_mutable_image(_cx: &Ctx<'_>, o: &Object, out: &mut Vec<Diagnostic>) {
    let is_job = o.is("batch", "Job") || o.is("batch", "CronJob");
    let hook = sync_hook(o).is_some();
    if !is_job && !hook {
        return;
    }
    let Some(spec) = pod_spec(o) else { return };
    for list in ["initContainers", "containers"] {
        for c in spec.get(list).map(Node::items).unwrap_or_default() {
            let Some(image_node) = c.get("image") else {
                continue;
            };
            let Some(image) = image_node.as_str() else {
                continue;
            };
            let Some(why) = mutable_tag(image) else {
                continue;
            };
            let what = if hook { "hook" } else { "Job" };
            out.push(
                Diagnostic::new(
                    "SEC003",
                    o.span(image_node),
                    format!(
                        "image '{image}' of {what} {} has {why}: each run may pull different code than the last one, without any change in the repository",
                        o.display_name()
                    ),
                )
                .with_label("mutable tag")
                .with_help("Pin the image to a version tag, or better to a digest (image@sha256:…).")
                .with_object(Some(o.object_ref())),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mutable_tags() {
        for (image, mutable) in [
            ("busybox", true),
            ("busybox:latest", true),
            ("registry.example.com:5000/tools/migrate", true),
            ("registry.example.com:5000/tools/migrate:1.4.2", false),
            ("registry.example.com:5000/tools/migrate:latest", true),
            ("ghcr.io/acme/migrate@sha256:0123abcd", false),
            ("ghcr.io/acme/migrate:latest@sha256:0123abcd", false),
        ] {
            assert_eq!(mutable_tag(image).is_some(), mutable, "{image}");
        }
    }
}
