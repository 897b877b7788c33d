//! What happens to hooks between syncs: SYN007 (a fixed-name Job or Pod hook that is not
//! deleted before it is created again), SYN008 (a `generateName` hook nothing deletes),
//! SYN010 (Helm hooks Argo CD drops or runs on every sync) and SEC003 (a hook or Job whose
//! image tag can change under it). Semantics notes §3.3 and §3.4.

use crate::argo::annotations::{
    HELM_HOOK, HELM_HOOK_DELETE_POLICY, HOOK, HOOK_DELETE_POLICY, csv_items,
};
use crate::argo::hooks::{self, DeletePolicy, Hook, HookType};
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
    hooks::delete_policies(
        o.annotation(HOOK_DELETE_POLICY),
        o.annotation(HELM_HOOK_DELETE_POLICY),
    )
}

fn policy_names(p: &[DeletePolicy]) -> String {
    p.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(", ")
}

/// Whether a valid delete policy is written (else Argo CD uses its default,
/// BeforeHookCreation, whatever the annotations hold).
fn policies_written(o: &Object) -> bool {
    let valid = |key: &str, parse: fn(&str) -> Option<DeletePolicy>| {
        o.annotation(key)
            .is_some_and(|v| csv_items(v).iter().any(|i| parse(i.text).is_some()))
    };
    valid(HOOK_DELETE_POLICY, hooks::argo_delete_policy)
        || valid(HELM_HOOK_DELETE_POLICY, hooks::helm_delete_policy)
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
/// BeforeHookCreation. HookSucceeded deletes the hook when the sync operation succeeds,
/// HookFailed when it fails; with only one of them the hook of the other outcome stays,
/// and the next sync applies the same name to the finished object: Kubernetes rejects a
/// changed Job template or Pod spec ("field is immutable"), and an unchanged one is not
/// run again, Argo CD reads the old object's result (semantics §3.3, §3.4).
pub fn check_immutable_hook(_cx: &Ctx<'_>, o: &Object, out: &mut Vec<Diagnostic>) {
    if !(o.is("batch", "Job") || o.is("", "Pod")) {
        return;
    }
    let Some(h) = sync_hook(o) else { return };
    // gitops-engine generates a name only when metadata.name is empty.
    let name = meta_value(o, "name").and_then(Node::as_str).unwrap_or("");
    if name.is_empty() {
        return;
    }
    let p = policies(o);
    let succeeded = p.contains(&DeletePolicy::HookSucceeded);
    let failed = p.contains(&DeletePolicy::HookFailed);
    // Without any valid policy the default is BeforeHookCreation, so one of the three is
    // always there.
    if p.contains(&DeletePolicy::BeforeHookCreation) {
        return;
    }
    let (kept, note) = match (only_on_failure(&h), succeeded, failed) {
        (true, _, true) | (false, true, true) => return,
        (true, _, false) => (
            "every run",
            " (a SyncFail hook runs only in failed syncs, and HookSucceeded deletes only after a successful one)",
        ),
        (false, true, false) => ("a failed sync", ""),
        (false, false, _) => ("a successful sync", ""),
    };
    let Some(at) = policy_node(o).or_else(|| meta_value(o, "name")) else {
        return;
    };
    let kind = &o.kind;
    let what = if kind == "Pod" {
        "Pod spec"
    } else {
        "Job template"
    };
    out.push(
        Diagnostic::new(
            "SYN007",
            o.span(at),
            format!(
                "{kind} hook '{name}' ({}) has a fixed name and delete policy {} without BeforeHookCreation: after {kept} the {kind} stays{note}, and the next sync applies the same name to it; Kubernetes rejects a changed {what} (field is immutable), and an unchanged one does not run again (Argo CD reads the old {kind}'s result)",
                phase_names(&h),
                policy_names(&p),
            ),
        )
        .with_label("no BeforeHookCreation")
        .with_help(
            "Add BeforeHookCreation to argocd.argoproj.io/hook-delete-policy (for example \"BeforeHookCreation,HookSucceeded\") or before-hook-creation to helm.sh/hook-delete-policy, or use metadata.generateName with HookSucceeded.",
        )
        .with_object(Some(o.object_ref())),
    );
}

/// A hook whose only phase is SyncFail: it runs only when a sync fails, so only HookFailed
/// (or BeforeHookCreation) ever deletes it.
fn only_on_failure(h: &Hook) -> bool {
    h.phases() == [HookType::SyncFail]
}

/// `spec.ttlSecondsAfterFinished` of a Job: Kubernetes deletes the finished Job (Argo CD
/// removes its hook finalizer when the hook completes), so it does not pile up.
fn job_ttl(o: &Object) -> bool {
    o.is("batch", "Job")
        && o.spec()
            .and_then(|s| s.get("ttlSecondsAfterFinished"))
            .and_then(Node::as_i64)
            .is_some_and(|t| t >= 0)
}

/// SYN008: a `generateName` hook whose policies never delete a successful run: each sync
/// creates a new object (gitops-engine names it `<generateName><revision>-<phase>-<time>`),
/// and BeforeHookCreation only deletes a live object of the name being created, which a
/// generated name never has. Only HookSucceeded (after a successful sync) or a Job's TTL
/// removes them; for a SyncFail-only hook, which runs only in failed syncs, HookFailed.
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
    let on_failure = only_on_failure(&h);
    let deleting = if on_failure {
        DeletePolicy::HookFailed
    } else {
        DeletePolicy::HookSucceeded
    };
    if p.contains(&deleting) || job_ttl(o) {
        return;
    }
    let kind = &o.kind;
    let written = if policies_written(o) {
        format!("delete policy {}", policy_names(&p))
    } else {
        "no valid delete policy (Argo CD defaults to BeforeHookCreation)".to_owned()
    };
    let (every, piles) = if on_failure {
        (
            "every failed sync",
            "every one stays in the namespace (only HookFailed deletes a SyncFail hook)",
        )
    } else if p.contains(&DeletePolicy::HookFailed) {
        (
            "every sync",
            "the hook of every successful sync stays in the namespace",
        )
    } else {
        ("every sync", "every run stays in the namespace")
    };
    let mut d = Diagnostic::new(
        "SYN008",
        o.span(generate),
        format!(
            "{kind} hook ({}) uses generateName with {written}: {every} creates a new {kind}{} named {}{}, and BeforeHookCreation only deletes an object of the name being created, so {piles}",
            phase_names(&h),
            if h.phases().len() > 1 { " per phase" } else { "" },
            generate.as_str().unwrap_or(""),
            generated_suffix(&h),
        ),
    )
    .with_label("never deleted")
    .with_help(if on_failure {
        "Add HookFailed to argocd.argoproj.io/hook-delete-policy, or hook-failed to helm.sh/hook-delete-policy."
    } else {
        "Add HookSucceeded to argocd.argoproj.io/hook-delete-policy (\"HookSucceeded\", or \"HookSucceeded,HookFailed\" if failed runs need not be kept), or hook-succeeded to helm.sh/hook-delete-policy."
    })
    .with_object(Some(o.object_ref()));
    if let Some(n) = policy_node(o) {
        d = d.with_related(o.span(n), "delete policy");
    }
    out.push(d);
}

/// The part gitops-engine appends to `generateName`:
/// `<first 7 characters of the revision>-<phase>-<unix start time>`, lower-cased.
fn generated_suffix(h: &Hook) -> String {
    match h.phases().as_slice() {
        [one] => format!("<revision>-{}-<time>", one.as_str().to_lowercase()),
        _ => "<revision>-<phase>-<time>".to_owned(),
    }
}

/// What Argo CD does with an object after ignoring one `helm.sh/hook` item.
fn helm_fate(h: &Hook) -> String {
    let phases = h.phases();
    if !phases.is_empty() {
        let names: Vec<&str> = phases.iter().map(|t| t.as_str()).collect();
        return format!(
            "the object still runs as a {} hook because of the other items",
            names.join(" and ")
        );
    }
    if h.pre_delete || h.post_delete {
        return "the object runs only when the Application is deleted".to_owned();
    }
    "Argo CD drops the object from the sync and never applies it".to_owned()
}

/// SYN010: `helm.sh/hook` values whose meaning Argo CD changes. Argo CD renders charts
/// with `helm template` and maps hooks to sync phases (semantics §3.3): test and rollback
/// hooks are never run, and install and upgrade hooks both run on every sync. A valid
/// `argocd.argoproj.io/hook` type makes Argo CD ignore `helm.sh/hook` entirely.
pub fn check_helm_hooks(cx: &Ctx<'_>, o: &Object, out: &mut Vec<Diagnostic>) {
    let Some(node) = o.annotations().and_then(|a| a.get(HELM_HOOK)) else {
        return;
    };
    let Some(value) = node.as_str() else { return };
    let h = hook_of(o);
    if !h.from_helm && !h.types.is_empty() {
        // The Argo CD annotation decides; helm.sh/hook is not read for the sync.
        return;
    }
    let raw = cx.repo.db.snippet(o.span(node));
    let items = csv_items(value);
    let has = |want: &str| items.iter().any(|i| i.text == want);
    for item in &items {
        let (message, label, help) = match item.text {
            t @ ("test" | "test-success" | "test-failure") => (
                format!(
                    "helm.sh/hook '{t}' is a Helm test hook, which Argo CD does not run: {}",
                    helm_fate(&h)
                ),
                "not run by Argo CD",
                "Run chart tests outside Argo CD (helm test), turn the test templates off in the chart values, or make the test a PostSync hook with argocd.argoproj.io/hook.",
            ),
            t @ ("pre-rollback" | "post-rollback") => (
                format!(
                    "helm.sh/hook '{t}' is a rollback hook, and Argo CD never performs a Helm rollback: {}",
                    helm_fate(&h)
                ),
                "not run by Argo CD",
                "Remove the rollback hook: an Argo CD rollback syncs an earlier revision, which runs the PreSync and PostSync hooks of that revision.",
            ),
            "pre-upgrade" if !has("pre-install") => (
                "helm.sh/hook 'pre-upgrade' makes the object a PreSync hook, and Argo CD runs PreSync hooks on every sync, the first one included: an upgrade-only step also runs on the initial install".to_owned(),
                "runs on every sync",
                "Make the hook safe for a first install and write \"pre-install,pre-upgrade\", or say when it runs with argocd.argoproj.io/hook.",
            ),
            "post-upgrade" if !has("post-install") => (
                "helm.sh/hook 'post-upgrade' makes the object a PostSync hook, and Argo CD runs PostSync hooks on every sync, the first one included: an upgrade-only step also runs after the initial install".to_owned(),
                "runs on every sync",
                "Make the hook safe for a first install and write \"post-install,post-upgrade\", or say when it runs with argocd.argoproj.io/hook.",
            ),
            "pre-install" if !has("pre-upgrade") => (
                "helm.sh/hook 'pre-install' makes the object a PreSync hook, and Argo CD runs PreSync hooks on every sync, not only on the first install".to_owned(),
                "runs on every sync",
                "Make the hook safe to repeat and write \"pre-install,pre-upgrade\", or say when it runs with argocd.argoproj.io/hook.",
            ),
            "post-install" if !has("post-upgrade") => (
                "helm.sh/hook 'post-install' makes the object a PostSync hook, and Argo CD runs PostSync hooks on every sync, not only after the first install".to_owned(),
                "runs on every sync",
                "Make the hook safe to repeat and write \"post-install,post-upgrade\", or say when it runs with argocd.argoproj.io/hook.",
            ),
            _ => continue,
        };
        out.push(
            Diagnostic::new(
                "SYN010",
                sub_span(o, node, value, item.start, item.end, raw),
                message,
            )
            .with_label(label)
            .with_help(help)
            .with_object(Some(o.object_ref())),
        );
    }
}

/// The Pod spec of a workload.
fn pod_spec(o: &Object) -> Option<&Node> {
    let spec = o.spec()?;
    match o.kind.as_str() {
        "Pod" => Some(spec),
        "CronJob" => spec.path(&["jobTemplate", "spec", "template", "spec"]),
        _ => spec.path(&["template", "spec"]),
    }
}

/// A reference whose image can change under it: no tag (the runtime pulls `latest`) or
/// the `latest` tag. A digest pins the image whatever the tag. A `:` before the last `/`
/// belongs to a registry port, not a tag.
fn mutable_tag(image: &str) -> Option<&'static str> {
    if image.is_empty() || image.contains('@') {
        return None;
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.split_once(':') {
        None => Some("no tag, so the container runtime pulls latest"),
        Some((_, "latest")) => Some("the latest tag"),
        Some(_) => None,
    }
}

/// SEC003: a hook, Job or CronJob whose container image is not pinned: the same manifest
/// runs different code from one run to the next, and a database migration can change
/// without a commit.
pub fn check_mutable_image(_cx: &Ctx<'_>, o: &Object, out: &mut Vec<Diagnostic>) {
    let h = hook_of(o);
    if h.skip || h.never_applied() {
        // Argo CD never creates it.
        return;
    }
    let phases = h.phases();
    let kind = &o.kind;
    let what = if !phases.is_empty() {
        let names: Vec<&str> = phases.iter().map(|t| t.as_str()).collect();
        format!("{} hook {kind}", names.join(" and "))
    } else if o.is("batch", "Job") || o.is("batch", "CronJob") {
        kind.clone()
    } else if h.pre_delete || h.post_delete {
        let at = match (h.pre_delete, h.post_delete) {
            (true, true) => "PreDelete and PostDelete",
            (true, false) => "PreDelete",
            _ => "PostDelete",
        };
        format!("{at} hook {kind}")
    } else {
        return;
    };
    let name = o.name.as_deref().unwrap_or("<unnamed>");
    let who = match &o.namespace {
        Some(ns) => format!("{ns}/{name}"),
        None => name.to_owned(),
    };
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
            out.push(
                Diagnostic::new(
                    "SEC003",
                    o.span(image_node),
                    format!(
                        "image '{image}' of {what} {who} has {why}: a run may pull different code than the previous one, with no change in the repository"
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
    fn generated_names_follow_gitops_engine() {
        let h = hooks::classify(Some("PostSync"), None);
        assert_eq!(generated_suffix(&h), "<revision>-postsync-<time>");
        let h = hooks::classify(None, Some("pre-install,post-upgrade"));
        assert_eq!(generated_suffix(&h), "<revision>-<phase>-<time>");
    }

    #[test]
    fn sync_fail_only_hooks() {
        assert!(only_on_failure(&hooks::classify(Some("SyncFail"), None)));
        assert!(!only_on_failure(&hooks::classify(
            Some("SyncFail,PostSync"),
            None
        )));
        assert!(!only_on_failure(&hooks::classify(Some("PreSync"), None)));
    }

    #[test]
    fn helm_fate_describes_the_object() {
        let fate = |helm: &str| helm_fate(&hooks::classify(None, Some(helm)));
        assert!(fate("test").contains("never applies"));
        assert!(fate("test,pre-install").contains("PreSync hook"));
        assert!(fate("test,pre-delete").contains("deleted"));
    }

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
            ("localhost:5000/migrate", true),
            ("localhost:5000/migrate:2", false),
            ("", false),
        ] {
            assert_eq!(mutable_tag(image).is_some(), mutable, "{image}");
        }
    }
}
