//! The order in which Argo CD runs a sync (gitops-engine `pkg/sync`): wave parsing
//! (`syncwaves.Wave`), the tasks `getSyncTasks` builds from an Application's manifests,
//! their sort (`syncTasks.Less`, then `Sort` with its two `adjustDeps` passes), the
//! Namespace `CreateNamespace=true` adds (`autoCreateNamespace`), and the order of prunes
//! (mirrored waves, `PruneLast`). Semantics notes §3.2–§3.6.
//!
//! Everything here is a pure function of plain values: callers turn objects into
//! [`Resource`]s. Annotation values are the strings Argo CD reads; an object with any
//! non-string annotation value has no annotations at all for Argo CD (§3.1), so callers
//! pass [`Annotations::default`] for it.
//!
//! Where the code leaves the order open, [`plan`] picks one and says so:
//! - `sort.Sort` is not stable and its input comes from a Go map, so tasks that tie on
//!   phase, wave, kind order and name (the same name in two namespaces, two unknown kinds
//!   with the same name) run in an unspecified order. [`plan`] breaks such ties by
//!   namespace, group, kind and input position. Within a wave, tasks of one kind that
//!   follow each other are applied together anyway (`runTasks` groups consecutive tasks
//!   of the same kind).
//! - A hook with only `generateName` gets the name `<generateName><revision[:7]>-<phase>-
//!   <unix time>` at sync time. It sorts here by its `generateName`, which gives Argo CD's
//!   order except against another name that starts with the same prefix.
//! - `Less` subtracts waves in Go `int`, which overflows for waves more than 2^63 apart
//!   and then makes the comparison inconsistent. [`plan`] compares waves numerically.

use crate::argo::hooks::{DeletePolicy, Hook, HookType, classify, delete_policies};
use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap};

/// Go's `strconv.Atoi` on a 64-bit platform: optional sign, ASCII digits, in range.
pub fn go_atoi(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse::<i64>().ok()
}

/// Where an object's wave came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaveSource {
    SyncWave,
    HelmHookWeight,
    Default,
}

/// The wave Argo CD uses, from the two annotation values (when they are strings).
pub fn wave(sync_wave: Option<&str>, hook_weight: Option<&str>) -> (i64, WaveSource) {
    if let Some(w) = sync_wave.and_then(go_atoi) {
        return (w, WaveSource::SyncWave);
    }
    if let Some(w) = hook_weight.and_then(go_atoi) {
        return (w, WaveSource::HelmHookWeight);
    }
    (0, WaveSource::Default)
}

/// The kind order of `syncTasks.Less` (Helm's install order), exactly as gitops-engine
/// lists it. A listed kind ranks `position - 35` (-35 for Namespace, -1 for APIService);
/// every other kind ranks 0, after all of them. Only `kind` counts, never the group.
pub const KIND_ORDER: [&str; 35] = [
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodSecurityPolicy",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "SecretList",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleList",
    "ClusterRoleBinding",
    "ClusterRoleBindingList",
    "Role",
    "RoleList",
    "RoleBinding",
    "RoleBindingList",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
];

/// `kindOrder[kind]`: negative for the listed kinds, 0 for every other kind (including
/// the empty one).
pub fn kind_rank(kind: &str) -> i64 {
    KIND_ORDER
        .iter()
        .position(|k| *k == kind)
        .map_or(0, |p| p as i64 - KIND_ORDER.len() as i64)
}

/// A sync phase (`common.SyncPhase`), ordered as `syncPhaseOrder`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    PreSync,
    Sync,
    PostSync,
    /// Runs only when the sync fails.
    SyncFail,
}

impl Phase {
    pub const ALL: [Phase; 4] = [
        Phase::PreSync,
        Phase::Sync,
        Phase::PostSync,
        Phase::SyncFail,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Phase::PreSync => "PreSync",
            Phase::Sync => "Sync",
            Phase::PostSync => "PostSync",
            Phase::SyncFail => "SyncFail",
        }
    }

    /// The phase of a hook type; `Skip` is not a phase.
    pub fn of_hook(t: HookType) -> Option<Phase> {
        Some(match t {
            HookType::PreSync => Phase::PreSync,
            HookType::Sync => Phase::Sync,
            HookType::PostSync => Phase::PostSync,
            HookType::SyncFail => Phase::SyncFail,
            HookType::Skip => return None,
        })
    }
}

/// The annotation values the sync reads, `None` when absent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Annotations<'a> {
    /// `argocd.argoproj.io/sync-wave`
    pub sync_wave: Option<&'a str>,
    /// `argocd.argoproj.io/hook`
    pub hook: Option<&'a str>,
    /// `argocd.argoproj.io/hook-delete-policy`
    pub hook_delete_policy: Option<&'a str>,
    /// `helm.sh/hook`
    pub helm_hook: Option<&'a str>,
    /// `helm.sh/hook-weight`
    pub helm_hook_weight: Option<&'a str>,
    /// `helm.sh/hook-delete-policy`
    pub helm_hook_delete_policy: Option<&'a str>,
}

impl Annotations<'_> {
    /// `syncwaves.Wave`.
    pub fn wave(&self) -> i64 {
        wave(self.sync_wave, self.helm_hook_weight).0
    }

    /// `hook.IsHook`, `hook.Types`, `hook.Skip` and the controller's deletion hooks.
    pub fn hook(&self) -> Hook {
        classify(self.hook, self.helm_hook)
    }

    /// `hook.DeletePolicies`.
    pub fn delete_policies(&self) -> Vec<DeletePolicy> {
        delete_policies(self.hook_delete_policy, self.helm_hook_delete_policy)
    }
}

/// One object of an Application's manifests, as the sync sees it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Resource<'a> {
    /// API group (`""` for the core group).
    pub group: &'a str,
    pub kind: &'a str,
    /// `metadata.namespace` as written (`None` when absent or empty).
    pub namespace: Option<&'a str>,
    /// `metadata.name` (`""` when absent).
    pub name: &'a str,
    /// `metadata.generateName`, used for hooks without a name.
    pub generate_name: Option<&'a str>,
    pub annotations: Annotations<'a>,
    /// For a CustomResourceDefinition: its `spec.group` and `spec.names.kind`, when both
    /// are strings (`NestedString`). Only read for the `apiextensions.k8s.io` group
    /// (`kube.IsCRD`).
    pub defines: Option<(&'a str, &'a str)>,
}

impl<'a> Resource<'a> {
    fn is_core_namespace(&self) -> bool {
        self.kind == "Namespace" && self.group.is_empty()
    }

    /// The name the sort compares: `metadata.name`, or a hook's `generateName`.
    fn sort_name(&self, hook: bool) -> &'a str {
        match self.generate_name {
            Some(g) if hook && self.name.is_empty() => g,
            _ => self.name,
        }
    }
}

/// `CreateNamespace=true` in the Application's `spec.syncPolicy.syncOptions`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CreateNamespace<'a> {
    /// `spec.syncPolicy.managedNamespaceMetadata` is set: Argo CD then also updates the
    /// Namespace's labels and annotations on every sync, not only when it is missing.
    pub managed_metadata: bool,
    /// `managedNamespaceMetadata.annotations`: they are set on the Namespace task's object
    /// before the sort, so a sync-wave (or helm.sh/hook-weight) there gives its wave.
    pub sync_wave: Option<&'a str>,
    pub helm_hook_weight: Option<&'a str>,
}

/// Why a step was moved by `adjustDeps`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Moved {
    /// A Namespace moved in front of the first task in it.
    NamespaceFirst,
    /// A CRD moved in front of the first resource of the kind it defines.
    CrdFirst,
}

impl Moved {
    pub fn as_str(self) -> &'static str {
        match self {
            Moved::NamespaceFirst => "namespace-first",
            Moved::CrdFirst => "crd-first",
        }
    }
}

/// One sync task, in the order Argo CD runs them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub phase: Phase,
    /// The wave it runs in (after a move, the wave it inherited).
    pub wave: i64,
    /// Index into the resources given to [`plan`]; `None` for the Namespace that
    /// `CreateNamespace=true` adds.
    pub resource: Option<usize>,
    /// A hook task (`hook.IsHook`).
    pub hook: bool,
    /// The object's hook types (`hook.Types`, `Skip` included when combined); empty for
    /// resources that are not hooks.
    pub hook_types: Vec<HookType>,
    /// The hook's delete policies (default `BeforeHookCreation`); empty for resources
    /// that are not hooks, where a policy means nothing.
    pub delete_policies: Vec<DeletePolicy>,
    pub moved: Option<Moved>,
    /// For a moved step: the resource it was moved in front of.
    pub moved_before: Option<usize>,
    /// The phase and wave the step had before it moved (equal to `phase` and `wave`
    /// otherwise).
    pub own_phase: Phase,
    pub own_wave: i64,
    /// The first Namespace task named like the destination namespace: when that
    /// Namespace does not exist yet, Argo CD applies it on its own before the dry run of
    /// everything else (`getNamespaceCreationTask`, gitops-engine #731, June 2025), even
    /// without `CreateNamespace=true`.
    pub before_dry_run: bool,
}

/// Why an object of the manifests has no sync task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Excluded {
    /// `argocd.argoproj.io/hook: Skip` alone: never applied.
    Skip,
    /// A hook without a recognised sync phase (a typo, or a Helm hook Argo CD does not
    /// map, such as `test`): `ignore.Ignore` drops it and it is never applied.
    NoHookType,
    /// A PreDelete and/or PostDelete hook without a sync phase: the controller removes it
    /// from the sync and runs it only when the Application is deleted.
    Deletion { pre: bool, post: bool },
}

/// What happens to each resource that produces no sync task (by input index, in input
/// order). Objects with at least one task are not listed.
pub fn excluded(resources: &[Resource<'_>]) -> Vec<(usize, Excluded)> {
    let mut out = Vec::new();
    for (i, r) in resources.iter().enumerate() {
        let h = r.annotations.hook();
        let why = if h.deletion_only() {
            Excluded::Deletion {
                pre: h.pre_delete,
                post: h.post_delete,
            }
        } else if h.ignored() {
            Excluded::NoHookType
        } else if h.skip {
            Excluded::Skip
        } else {
            continue;
        };
        out.push((i, why));
    }
    out
}

/// A task while it is being sorted.
#[derive(Clone, Debug)]
struct Task<'a> {
    step: Step,
    group: &'a str,
    kind: &'a str,
    name: &'a str,
    /// After `getSyncTasks` gives every object without a namespace the destination
    /// namespace (cluster-scoped ones included). Empty for the created Namespace.
    namespace: &'a str,
    defines: Option<(&'a str, &'a str)>,
}

impl Task<'_> {
    /// `syncTasks.Less`, made total with a fixed tie-break (see the module notes).
    fn cmp(&self, other: &Self) -> Ordering {
        self.step
            .phase
            .cmp(&other.step.phase)
            .then(self.step.wave.cmp(&other.step.wave))
            .then(kind_rank(self.kind).cmp(&kind_rank(other.kind)))
            .then(self.name.as_bytes().cmp(other.name.as_bytes()))
            .then(self.namespace.cmp(other.namespace))
            .then(self.group.cmp(other.group))
            .then(self.kind.cmp(other.kind))
            .then(self.step.resource.cmp(&other.step.resource))
    }
}

/// The tasks of one object: none for excluded objects, one Sync task for a resource, one
/// task per phase for a hook.
fn tasks_of<'a>(index: usize, r: &Resource<'a>, destination_namespace: &'a str) -> Vec<Task<'a>> {
    let h = r.annotations.hook();
    // partitionTargetObjsForSync, then splitHooks (ignore.Ignore), then syncPhases.
    if h.deletion_only() || h.ignored() || h.skip {
        return Vec::new();
    }
    let (phases, hook_types, policies) = if h.is_hook {
        let phases: BTreeSet<Phase> = h.phases().into_iter().filter_map(Phase::of_hook).collect();
        (
            phases.into_iter().collect(),
            h.types.clone(),
            r.annotations.delete_policies(),
        )
    } else {
        (vec![Phase::Sync], Vec::new(), Vec::new())
    };
    let wave = r.annotations.wave();
    let namespace = r
        .namespace
        .filter(|n| !n.is_empty())
        .unwrap_or(destination_namespace);
    phases
        .into_iter()
        .map(|phase| Task {
            step: Step {
                phase,
                wave,
                resource: Some(index),
                hook: h.is_hook,
                hook_types: hook_types.clone(),
                delete_policies: policies.clone(),
                moved: None,
                moved_before: None,
                own_phase: phase,
                own_wave: wave,
                before_dry_run: false,
            },
            group: r.group,
            kind: r.kind,
            name: r.sort_name(h.is_hook),
            namespace,
            defines: r.defines,
        })
        .collect()
}

/// Whether `autoCreateNamespace` adds its Namespace: the destination namespace is set and
/// no resource of the sync set (hooks do not count, Skip'ed resources do) is a core
/// Namespace with that name. Hooks do not count because the code copies them into a nil
/// slice, which copies nothing.
pub fn creates_namespace(resources: &[Resource<'_>], destination_namespace: &str) -> bool {
    if destination_namespace.is_empty() {
        return false;
    }
    !resources.iter().any(|r| {
        let h = r.annotations.hook();
        r.is_core_namespace() && r.name == destination_namespace && !h.is_hook && !h.deletion_only()
    })
}

/// Every sync task of an Application's manifests in the order Argo CD runs them: phase,
/// wave, kind order and name (`syncTasks.Less`), then Namespaces and CRDs moved in front
/// of what needs them (`adjustDeps`), taking that task's phase and wave.
///
/// `create_namespace` is `Some` when the Application has `CreateNamespace=true`; the
/// plan is that of a first sync, where the Namespace does not exist yet. Hooks are
/// included, as in a full sync (a selective sync or the `apply` strategy skips them).
/// Objects without tasks are listed by [`excluded`].
pub fn plan(
    resources: &[Resource<'_>],
    destination_namespace: &str,
    create_namespace: Option<&CreateNamespace<'_>>,
) -> Vec<Step> {
    let mut tasks: Vec<Task<'_>> = resources
        .iter()
        .enumerate()
        .flat_map(|(i, r)| tasks_of(i, r, destination_namespace))
        .collect();
    if let Some(cn) = create_namespace
        && creates_namespace(resources, destination_namespace)
    {
        let wave = wave(cn.sync_wave, cn.helm_hook_weight).0;
        tasks.push(Task {
            step: Step {
                phase: Phase::PreSync,
                wave,
                resource: None,
                hook: false,
                hook_types: Vec::new(),
                delete_policies: Vec::new(),
                moved: None,
                moved_before: None,
                own_phase: Phase::PreSync,
                own_wave: wave,
                before_dry_run: false,
            },
            group: "",
            kind: "Namespace",
            name: destination_namespace,
            namespace: "",
            defines: None,
        });
    }
    tasks.sort_by(Task::cmp);
    // Namespaces before the resources in them.
    adjust_deps(
        &mut tasks,
        |t| (t.kind == "Namespace" && t.group.is_empty()).then(|| t.name.to_owned()),
        |t| (!t.namespace.is_empty()).then(|| t.namespace.to_owned()),
        Moved::NamespaceFirst,
    );
    // CRDs before the resources of their kind.
    adjust_deps(
        &mut tasks,
        |t| {
            let is_crd = t.group == "apiextensions.k8s.io" && t.kind == "CustomResourceDefinition";
            t.defines
                .filter(|_| is_crd)
                .map(|(g, k)| format!("{g}/{k}"))
        },
        |t| Some(format!("{}/{}", t.group, t.kind)),
        Moved::CrdFirst,
    );
    if !destination_namespace.is_empty()
        && let Some(t) = tasks.iter_mut().find(|t| {
            t.kind == "Namespace" && t.group.is_empty() && t.name == destination_namespace
        })
    {
        t.step.before_dry_run = true;
    }
    tasks.into_iter().map(|t| t.step).collect()
}

/// `syncTasks.adjustDeps`: walking the sorted tasks, remember the first task that refers
/// to each dependency key; a dependency found after that task moves in front of it and
/// takes its phase and wave, and the remembered positions behind it shift by one.
fn adjust_deps<'a>(
    tasks: &mut Vec<Task<'a>>,
    is_dep: impl Fn(&Task<'a>) -> Option<String>,
    refers_to: impl Fn(&Task<'a>) -> Option<String>,
    why: Moved,
) {
    let mut first: HashMap<String, usize> = HashMap::new();
    for i in 0..tasks.len() {
        if let Some(key) = is_dep(&tasks[i]) {
            let Some(&index) = first.get(&key) else {
                continue;
            };
            let (phase, wave, before) = {
                let target = &tasks[index].step;
                (target.phase, target.wave, target.resource)
            };
            let mut t = tasks.remove(i);
            t.step.phase = phase;
            t.step.wave = wave;
            t.step.moved = Some(why);
            t.step.moved_before = before;
            tasks.insert(index, t);
            for v in first.values_mut() {
                if *v >= index {
                    *v += 1;
                }
            }
        } else if let Some(key) = refers_to(&tasks[i]) {
            first.entry(key).or_insert(i);
        }
    }
}

/// A live object that is no longer in the manifests, to be pruned.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Prune<'a> {
    pub group: &'a str,
    pub kind: &'a str,
    pub namespace: Option<&'a str>,
    pub name: &'a str,
    /// The live object's annotations.
    pub annotations: Annotations<'a>,
    /// `PruneLast=true` in the live object's `argocd.argoproj.io/sync-options`.
    pub prune_last: bool,
}

/// When one object is pruned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PruneStep {
    /// Index into the prunes given to [`prune_order`].
    pub prune: usize,
    /// The Sync-phase wave the prune runs in (prunes of a wave run before its applies).
    pub wave: i64,
    /// The wave comes from `PruneLast`.
    pub last: bool,
}

/// The order of prunes (Argo CD 2.11 and later, gitops-engine #538): the distinct waves
/// of the prunes are mirrored (the lowest takes the highest's place and so on), so what
/// was created last is deleted first; with `PruneLast` (app-level `app_prune_last`, or on
/// the live object) a prune runs in the wave after the last Sync-phase wave of the whole
/// sync (at least 1). Live hooks and Skip'ed objects are never pruned and are left out.
/// `resources` are the Application's manifests (for the last Sync-phase wave).
pub fn prune_order(
    resources: &[Resource<'_>],
    prunes: &[Prune<'_>],
    app_prune_last: bool,
) -> Vec<PruneStep> {
    let candidates: Vec<usize> = (0..prunes.len())
        .filter(|&i| {
            let h = prunes[i].annotations.hook();
            !h.is_hook && !h.skip
        })
        .collect();
    let waves: BTreeSet<i64> = candidates
        .iter()
        .map(|&i| prunes[i].annotations.wave())
        .collect();
    let waves: Vec<i64> = waves.into_iter().collect();
    let mirrored = |w: i64| -> i64 {
        waves
            .iter()
            .position(|&x| x == w)
            .and_then(|p| waves.get(waves.len() - 1 - p))
            .copied()
            .unwrap_or(w)
    };
    let mut steps: Vec<PruneStep> = candidates
        .iter()
        .map(|&i| PruneStep {
            prune: i,
            wave: mirrored(prunes[i].annotations.wave()),
            last: false,
        })
        .collect();
    // The last Sync-phase wave, over the manifests' tasks and the mirrored prunes.
    let manifest_waves = resources
        .iter()
        .enumerate()
        .flat_map(|(i, r)| tasks_of(i, r, ""))
        .filter(|t| t.step.phase == Phase::Sync)
        .map(|t| t.step.wave);
    let last = manifest_waves
        .chain(steps.iter().map(|s| s.wave))
        .fold(0, i64::max)
        .wrapping_add(1);
    for s in &mut steps {
        if app_prune_last || prunes[s.prune].prune_last {
            s.wave = last;
            s.last = true;
        }
    }
    steps.sort_by(|a, b| {
        let (pa, pb) = (&prunes[a.prune], &prunes[b.prune]);
        a.wave
            .cmp(&b.wave)
            .then(kind_rank(pa.kind).cmp(&kind_rank(pb.kind)))
            .then(pa.name.as_bytes().cmp(pb.name.as_bytes()))
            .then(pa.namespace.cmp(&pb.namespace))
            .then(pa.group.cmp(pb.group))
            .then(pa.kind.cmp(pb.kind))
            .then(a.prune.cmp(&b.prune))
    });
    steps
}

#[cfg(test)]
mod tests {
    use super::*;
    use HookType as H;

    // ---- builders ------------------------------------------------------------------

    /// A resource of `group`/`kind` named `name`.
    fn r(group: &'static str, kind: &'static str, name: &'static str) -> Resource<'static> {
        Resource {
            group,
            kind,
            name,
            ..Resource::default()
        }
    }

    trait Build {
        fn ns(self, ns: &'static str) -> Self;
        fn wave(self, w: &'static str) -> Self;
        fn weight(self, w: &'static str) -> Self;
        fn hook(self, h: &'static str) -> Self;
        fn helm(self, h: &'static str) -> Self;
        fn policy(self, p: &'static str) -> Self;
        fn helm_policy(self, p: &'static str) -> Self;
        fn generate(self, g: &'static str) -> Self;
        fn defines(self, group: &'static str, kind: &'static str) -> Self;
    }

    impl Build for Resource<'static> {
        fn ns(mut self, ns: &'static str) -> Self {
            self.namespace = Some(ns);
            self
        }
        fn wave(mut self, w: &'static str) -> Self {
            self.annotations.sync_wave = Some(w);
            self
        }
        fn weight(mut self, w: &'static str) -> Self {
            self.annotations.helm_hook_weight = Some(w);
            self
        }
        fn hook(mut self, h: &'static str) -> Self {
            self.annotations.hook = Some(h);
            self
        }
        fn helm(mut self, h: &'static str) -> Self {
            self.annotations.helm_hook = Some(h);
            self
        }
        fn policy(mut self, p: &'static str) -> Self {
            self.annotations.hook_delete_policy = Some(p);
            self
        }
        fn helm_policy(mut self, p: &'static str) -> Self {
            self.annotations.helm_hook_delete_policy = Some(p);
            self
        }
        fn generate(mut self, g: &'static str) -> Self {
            self.name = "";
            self.generate_name = Some(g);
            self
        }
        fn defines(mut self, group: &'static str, kind: &'static str) -> Self {
            self.defines = Some((group, kind));
            self
        }
    }

    fn ns(name: &'static str) -> Resource<'static> {
        r("", "Namespace", name)
    }
    fn cm(name: &'static str) -> Resource<'static> {
        r("", "ConfigMap", name)
    }
    fn job(name: &'static str) -> Resource<'static> {
        r("batch", "Job", name)
    }
    fn crd(name: &'static str) -> Resource<'static> {
        r("apiextensions.k8s.io", "CustomResourceDefinition", name)
    }

    /// `Phase/wave Kind name` for every step (`*` marks a move, `+` the created
    /// Namespace).
    fn show(resources: &[Resource<'_>], steps: &[Step]) -> Vec<String> {
        steps
            .iter()
            .map(|s| {
                let (kind, name) = match s.resource {
                    Some(i) => (resources[i].kind, resources[i].sort_name(s.hook)),
                    None => ("Namespace", "+"),
                };
                let mark = if s.moved.is_some() { "*" } else { "" };
                format!("{}/{} {kind} {name}{mark}", s.phase.as_str(), s.wave)
            })
            .collect()
    }

    fn order(resources: &[Resource<'_>], dest: &str) -> Vec<String> {
        show(resources, &plan(resources, dest, None))
    }

    // ---- §3.6 kind order -----------------------------------------------------------

    /// The 35 kinds of gitops-engine's `kindOrder`, in order, ranked position − 35
    /// (upstream `Test_syncTasks_kindOrder`: Namespace −35, APIService −1, others 0).
    #[test]
    fn kind_order_table() {
        #[rustfmt::skip]
        let table: [(&str, i64); 35] = [
            ("Namespace", -35), ("NetworkPolicy", -34), ("ResourceQuota", -33),
            ("LimitRange", -32), ("PodSecurityPolicy", -31), ("PodDisruptionBudget", -30),
            ("ServiceAccount", -29), ("Secret", -28), ("SecretList", -27),
            ("ConfigMap", -26), ("StorageClass", -25), ("PersistentVolume", -24),
            ("PersistentVolumeClaim", -23), ("CustomResourceDefinition", -22),
            ("ClusterRole", -21), ("ClusterRoleList", -20), ("ClusterRoleBinding", -19),
            ("ClusterRoleBindingList", -18), ("Role", -17), ("RoleList", -16),
            ("RoleBinding", -15), ("RoleBindingList", -14), ("Service", -13),
            ("DaemonSet", -12), ("Pod", -11), ("ReplicationController", -10),
            ("ReplicaSet", -9), ("Deployment", -8), ("HorizontalPodAutoscaler", -7),
            ("StatefulSet", -6), ("Job", -5), ("CronJob", -4), ("IngressClass", -3),
            ("Ingress", -2), ("APIService", -1),
        ];
        for (i, (kind, rank)) in table.iter().enumerate() {
            assert_eq!(KIND_ORDER[i], *kind);
            assert_eq!(kind_rank(kind), *rank, "{kind}");
        }
        // Every other kind ranks 0: custom resources, webhook configurations,
        // Endpoints, the empty kind, and a listed kind in other case.
        for kind in [
            "MyCRD",
            "MutatingWebhookConfiguration",
            "Endpoints",
            "",
            "namespace",
        ] {
            assert_eq!(kind_rank(kind), 0, "{kind:?}");
        }
    }

    /// All 35 kinds given in reverse order, plus unknown kinds, come out in the table's
    /// order with the unknown kinds last, by name.
    #[test]
    fn kinds_sort_in_table_order_with_unknown_kinds_last() {
        let mut resources: Vec<Resource<'static>> = vec![
            r("example.com", "Zebra", "a"),
            r("example.com", "Apple", "b"),
        ];
        for k in KIND_ORDER.iter().rev() {
            resources.push(r("", k, "x"));
        }
        let got = order(&resources, "");
        let mut want: Vec<String> = KIND_ORDER.iter().map(|k| format!("Sync/0 {k} x")).collect();
        want.push("Sync/0 Zebra a".to_owned());
        want.push("Sync/0 Apple b".to_owned());
        assert_eq!(got, want);
    }

    /// Upstream `TestSortSyncTask`: phase, then wave, then kind, then name.
    #[test]
    fn phase_wave_kind_name() {
        let resources = [
            r("", "Pod", "p"),
            r("", "Service", "s"),
            r("", "PersistentVolume", "pv"),
            r("example.com", "Thing", "z").hook("SyncFail"),
            r("example.com", "Thing", "w1").wave("1"),
            r("example.com", "Thing", "b"),
            r("example.com", "Thing", "a"),
            r("example.com", "Thing", "w-1").wave("-1"),
            r("example.com", "", "empty-kind"),
            r("example.com", "Thing", "pre").hook("PreSync"),
            r("example.com", "Thing", "post").hook("PostSync"),
            r("", "ConfigMap", "c"),
        ];
        assert_eq!(
            order(&resources, ""),
            [
                "PreSync/0 Thing pre",
                "Sync/-1 Thing w-1",
                "Sync/0 ConfigMap c",
                "Sync/0 PersistentVolume pv",
                "Sync/0 Service s",
                "Sync/0 Pod p",
                "Sync/0 Thing a",
                "Sync/0 Thing b",
                "Sync/0  empty-kind",
                "Sync/1 Thing w1",
                "PostSync/0 Thing post",
                "SyncFail/0 Thing z",
            ]
        );
    }

    /// Rows of (resources, expected order) for the keys of `Less` one at a time.
    #[test]
    fn less_table() {
        type Row = (
            &'static str,
            Vec<Resource<'static>>,
            &'static [&'static str],
        );
        let rows: Vec<Row> = vec![
            (
                "only kind counts: a custom kind named Service sorts as Service, by name",
                vec![
                    r("", "Service", "b"),
                    r("", "ConfigMap", "z"),
                    r("example.com", "Service", "a"),
                ],
                &["Sync/0 ConfigMap z", "Sync/0 Service a", "Sync/0 Service b"],
            ),
            (
                "names compare byte-wise: upper case before lower case, '-' before '.'",
                vec![cm("b"), cm("a.1"), cm("B"), cm("a-1")],
                &[
                    "Sync/0 ConfigMap B",
                    "Sync/0 ConfigMap a-1",
                    "Sync/0 ConfigMap a.1",
                    "Sync/0 ConfigMap b",
                ],
            ),
            (
                "waves are numbers, not strings",
                vec![
                    cm("ten").wave("10"),
                    cm("two").wave("2"),
                    cm("minus").wave("-5"),
                ],
                &[
                    "Sync/-5 ConfigMap minus",
                    "Sync/2 ConfigMap two",
                    "Sync/10 ConfigMap ten",
                ],
            ),
            (
                "wave beats kind: a Namespace in wave 1 comes after a Pod in wave 0",
                vec![ns("late").wave("1"), r("", "Pod", "p")],
                &["Sync/0 Pod p", "Sync/1 Namespace late"],
            ),
            (
                "phase beats wave: a PreSync hook in wave 10 precedes a Sync resource in wave -10",
                vec![
                    cm("early").wave("-10"),
                    job("hook").hook("PreSync").wave("10"),
                ],
                &["PreSync/10 Job hook", "Sync/-10 ConfigMap early"],
            ),
            (
                "Sync hooks and resources share the Sync phase and sort together",
                vec![job("b-hook").hook("Sync"), job("a-job"), cm("z")],
                &[
                    "Sync/0 ConfigMap z",
                    "Sync/0 Job a-job",
                    "Sync/0 Job b-hook",
                ],
            ),
            (
                "the namespace is not a key: same name in two namespaces ties (broken by namespace)",
                vec![cm("same").ns("zeta"), cm("same").ns("alpha")],
                &["Sync/0 ConfigMap same", "Sync/0 ConfigMap same"],
            ),
            (
                "a generateName hook sorts by its prefix",
                vec![
                    job("db-z").hook("PreSync"),
                    job("").generate("db-migrate-").hook("PreSync"),
                    job("db-a").hook("PreSync"),
                ],
                &[
                    "PreSync/0 Job db-a",
                    "PreSync/0 Job db-migrate-",
                    "PreSync/0 Job db-z",
                ],
            ),
        ];
        for (what, resources, want) in &rows {
            assert_eq!(order(resources, ""), *want, "{what}");
        }
        // The namespace tie-break is deterministic.
        let tie = [cm("same").ns("zeta"), cm("same").ns("alpha")];
        let steps = plan(&tie, "", None);
        assert_eq!(steps[0].resource, Some(1));
    }

    // ---- §3.5 waves ----------------------------------------------------------------

    #[test]
    fn atoi_matches_go() {
        let ok = [
            ("5", 5),
            ("+5", 5),
            ("007", 7),
            ("-3", -3),
            ("-0", 0),
            ("+0", 0),
        ];
        for (s, want) in ok {
            assert_eq!(go_atoi(s), Some(want), "{s}");
        }
        for s in [
            " 5",
            "5 ",
            "1.5",
            "1e3",
            "0x10",
            "",
            "five",
            "٣",
            "9223372036854775808",
            "-9223372036854775809",
            "+",
            "-",
            "+-5",
            "5_000",
        ] {
            assert_eq!(go_atoi(s), None, "{s:?}");
        }
        assert_eq!(go_atoi("-9223372036854775808"), Some(i64::MIN));
        assert_eq!(go_atoi("9223372036854775807"), Some(i64::MAX));
    }

    /// `syncwaves.Wave`: the sync-wave if it parses, else `helm.sh/hook-weight` if it
    /// parses (for any resource, hook or not), else 0.
    #[test]
    fn wave_table() {
        use WaveSource::*;
        let rows: &[(Option<&str>, Option<&str>, i64, WaveSource)] = &[
            (None, None, 0, Default),
            (Some("2"), None, 2, SyncWave),
            (Some("2"), Some("5"), 2, SyncWave),
            (Some("-0"), Some("5"), 0, SyncWave),
            (Some("1.5"), Some("5"), 5, HelmHookWeight),
            (Some(" 1"), Some("-7"), -7, HelmHookWeight),
            (None, Some("+3"), 3, HelmHookWeight),
            (None, Some("x"), 0, Default),
            (Some(""), Some(""), 0, Default),
            (Some("9223372036854775808"), None, 0, Default),
        ];
        for &(sw, hw, want, source) in rows {
            assert_eq!(wave(sw, hw), (want, source), "{sw:?} / {hw:?}");
        }
        // The fallback applies to resources that are not hooks, in the plan.
        let resources = [cm("weighted").wave("x").weight("-4"), cm("plain")];
        assert_eq!(
            order(&resources, ""),
            ["Sync/-4 ConfigMap weighted", "Sync/0 ConfigMap plain"]
        );
    }

    // ---- §3.2–§3.4 hooks, Skip, deletion hooks --------------------------------------

    /// Which tasks one object produces: the phases of its steps, or why it has none.
    #[test]
    fn hook_task_table() {
        #[derive(Debug, PartialEq)]
        enum Want {
            Phases(&'static [Phase]),
            Hook(&'static [Phase]),
            Out(Excluded),
        }
        use Phase::*;
        use Want::*;
        let del = |pre, post| Out(Excluded::Deletion { pre, post });
        #[rustfmt::skip]
        let rows: Vec<(Option<&str>, Option<&str>, Want)> = vec![
            (None, None, Phases(&[Sync])),
            (Some("PreSync"), None, Hook(&[PreSync])),
            (Some("Sync"), None, Hook(&[Sync])),
            (Some("PostSync"), None, Hook(&[PostSync])),
            (Some("SyncFail"), None, Hook(&[SyncFail])),
            // One task per distinct phase, in phase order whatever the annotation order.
            (Some("PreSync,PostSync"), None, Hook(&[PreSync, PostSync])),
            (Some("PostSync, PreSync"), None, Hook(&[PreSync, PostSync])),
            (Some("Sync,Sync"), None, Hook(&[Sync])),
            (Some("PreSync,Sync,PostSync,SyncFail"), None, Hook(&[PreSync, Sync, PostSync, SyncFail])),
            // Skip alone: no task. Skip with other types: Skip is ignored.
            (Some("Skip"), None, Out(Excluded::Skip)),
            (Some("Skip,Skip"), None, Out(Excluded::Skip)),
            (Some("Skip,PreSync,PostSync"), None, Hook(&[PreSync, PostSync])),
            (Some("Skip"), Some("pre-install"), Out(Excluded::Skip)),
            // Unrecognised types: a hook without a type, dropped.
            (Some("Garbage"), None, Out(Excluded::NoHookType)),
            (Some("Presync"), None, Out(Excluded::NoHookType)),
            (Some(""), None, Out(Excluded::NoHookType)),
            (Some("Sync,Garbage"), None, Hook(&[Sync])),
            // Helm hooks.
            (None, Some("pre-install"), Hook(&[PreSync])),
            (None, Some("pre-upgrade"), Hook(&[PreSync])),
            (None, Some("post-install"), Hook(&[PostSync])),
            (None, Some("post-upgrade"), Hook(&[PostSync])),
            (None, Some("pre-install,post-install"), Hook(&[PreSync, PostSync])),
            (None, Some("crd-install"), Phases(&[Sync])),
            (None, Some("test"), Out(Excluded::NoHookType)),
            (None, Some("pre-rollback"), Out(Excluded::NoHookType)),
            // A valid Argo CD type wins over helm.sh/hook; an invalid one falls back to it.
            (Some("Sync"), Some("pre-install"), Hook(&[Sync])),
            (Some("Presync"), Some("post-install"), Hook(&[PostSync])),
            // Deletion hooks leave the sync unless they also have a sync phase.
            (Some("PreDelete"), None, del(true, false)),
            (Some("PostDelete"), None, del(false, true)),
            (None, Some("pre-delete"), del(true, false)),
            (None, Some("post-delete,pre-delete"), del(true, true)),
            (Some("Skip,PostDelete"), None, del(false, true)),
            (Some("PreSync,PreDelete"), None, Hook(&[PreSync])),
            (Some("Sync"), Some("post-delete"), Hook(&[Sync])),
        ];
        for (argo, helm, want) in &rows {
            let mut res = cm("x");
            res.annotations.hook = *argo;
            res.annotations.helm_hook = *helm;
            let resources = [res];
            let steps = plan(&resources, "", None);
            let out = excluded(&resources);
            let got = match out.first() {
                Some((_, why)) => Out(*why),
                None => {
                    let phases: Vec<Phase> = steps.iter().map(|s| s.phase).collect();
                    let phases: &'static [Phase] = Vec::leak(phases);
                    if steps.iter().all(|s| s.hook) {
                        Hook(phases)
                    } else {
                        Phases(phases)
                    }
                }
            };
            assert_eq!(&got, want, "{argo:?} / {helm:?}");
            // Excluded objects have no steps, and objects with steps are not excluded.
            assert_eq!(steps.is_empty(), !out.is_empty(), "{argo:?} / {helm:?}");
        }
    }

    /// Each step of a multi-phase hook carries the object's types and policies.
    #[test]
    fn multi_phase_hook_steps() {
        let resources = [
            job("twice")
                .hook("PostSync,PreSync")
                .policy("HookSucceeded"),
            cm("between"),
        ];
        let steps = plan(&resources, "", None);
        assert_eq!(
            show(&resources, &steps),
            [
                "PreSync/0 Job twice",
                "Sync/0 ConfigMap between",
                "PostSync/0 Job twice"
            ]
        );
        for s in [&steps[0], &steps[2]] {
            assert_eq!(s.hook_types, [H::PostSync, H::PreSync]);
            assert_eq!(s.delete_policies, [DeletePolicy::HookSucceeded]);
            assert!(s.hook);
        }
    }

    /// §3.4: hooks get their policies (default BeforeHookCreation, both annotations
    /// combined); resources that are not hooks get none.
    #[test]
    fn delete_policies_on_steps() {
        use DeletePolicy::*;
        let rows: Vec<(Resource<'static>, &[DeletePolicy])> = vec![
            (job("a").hook("PreSync"), &[BeforeHookCreation]),
            (
                job("b").hook("PreSync").policy("HookSucceeded"),
                &[HookSucceeded],
            ),
            (
                job("c")
                    .hook("PreSync")
                    .policy("HookFailed")
                    .helm_policy("hook-succeeded"),
                &[HookFailed, HookSucceeded],
            ),
            (
                job("d")
                    .helm("pre-install")
                    .helm_policy("before-hook-creation"),
                &[BeforeHookCreation],
            ),
            (
                job("e").hook("PreSync").policy("hooksucceeded"),
                &[BeforeHookCreation],
            ),
            (job("f").policy("HookSucceeded"), &[]),
        ];
        for (res, want) in rows {
            let name = res.name;
            let steps = plan(&[res], "", None);
            assert_eq!(steps[0].delete_policies, want, "{name}");
        }
    }

    // ---- §3.6 Namespace first --------------------------------------------------------

    /// Upstream `TestSyncTasksSort_NamespaceAndObjectInNamespace`: Namespaces in waves 1
    /// and 2 and PreSync hook Jobs in them sort as [ns1, hook1, ns2, hook2]; both
    /// Namespaces take the hooks' phase (PreSync) and wave (0).
    #[test]
    fn namespaces_move_in_front_of_their_first_task() {
        let resources = [
            job("hook1").ns("ns1").hook("PreSync"),
            job("hook2").ns("ns2").hook("PreSync"),
            ns("ns1").wave("1"),
            ns("ns2").wave("2"),
        ];
        let steps = plan(&resources, "", None);
        assert_eq!(
            show(&resources, &steps),
            [
                "PreSync/0 Namespace ns1*",
                "PreSync/0 Job hook1",
                "PreSync/0 Namespace ns2*",
                "PreSync/0 Job hook2",
            ]
        );
        assert_eq!(steps[0].moved, Some(Moved::NamespaceFirst));
        assert_eq!(steps[0].moved_before, Some(0));
        assert_eq!((steps[0].own_phase, steps[0].own_wave), (Phase::Sync, 1));
        assert_eq!(steps[2].moved_before, Some(1));
        assert_eq!((steps[2].own_phase, steps[2].own_wave), (Phase::Sync, 2));
    }

    #[test]
    fn namespace_first_table() {
        type Row = (
            &'static str,
            &'static str,
            Vec<Resource<'static>>,
            &'static [&'static str],
        );
        let rows: Vec<Row> = vec![
            (
                "already in front: no move",
                "",
                vec![cm("c").ns("prod"), ns("prod")],
                &["Sync/0 Namespace prod", "Sync/0 ConfigMap c"],
            ),
            (
                "a Sync hook in an earlier wave pulls the Namespace into that wave",
                "",
                vec![
                    ns("prod").wave("3"),
                    job("seed").ns("prod").hook("Sync").wave("-1"),
                ],
                &["Sync/-1 Namespace prod*", "Sync/-1 Job seed"],
            ),
            (
                "a Namespace hook in PostSync moves into the Sync phase of its first task",
                "",
                vec![ns("prod").hook("PostSync"), cm("c").ns("prod").wave("2")],
                &["Sync/2 Namespace prod*", "Sync/2 ConfigMap c"],
            ),
            (
                "objects without a namespace are in the destination namespace, cluster-scoped ones too",
                "prod",
                vec![
                    ns("prod"),
                    r("rbac.authorization.k8s.io", "ClusterRole", "reader").wave("-2"),
                ],
                &["Sync/-2 Namespace prod*", "Sync/-2 ClusterRole reader"],
            ),
            (
                "without a destination namespace, objects without one refer to no Namespace",
                "",
                vec![
                    ns("prod"),
                    r("rbac.authorization.k8s.io", "ClusterRole", "reader").wave("-2"),
                ],
                &["Sync/-2 ClusterRole reader", "Sync/0 Namespace prod"],
            ),
            (
                "an explicit namespace wins over the destination",
                "prod",
                vec![ns("prod").wave("1"), cm("c").ns("other")],
                &["Sync/0 ConfigMap c", "Sync/1 Namespace prod"],
            ),
            (
                "only the core group's Namespace moves",
                "",
                vec![
                    r("example.com", "Namespace", "prod").wave("1"),
                    cm("c").ns("prod"),
                ],
                &["Sync/0 ConfigMap c", "Sync/1 Namespace prod"],
            ),
            (
                "the first task decides: later tasks in the namespace do not matter",
                "",
                vec![
                    cm("late").ns("prod").wave("5"),
                    ns("prod").wave("1"),
                    job("early").ns("prod").hook("PreSync").wave("-3"),
                ],
                &[
                    "PreSync/-3 Namespace prod*",
                    "PreSync/-3 Job early",
                    "Sync/5 ConfigMap late",
                ],
            ),
            (
                "a Namespace in no task's namespace stays where it sorts",
                "",
                vec![ns("unused").wave("9"), cm("c").ns("prod")],
                &["Sync/0 ConfigMap c", "Sync/9 Namespace unused"],
            ),
        ];
        for (what, dest, resources, want) in &rows {
            assert_eq!(order(resources, dest), *want, "{what}");
        }
    }

    // ---- §3.6 CRD first --------------------------------------------------------------

    /// Upstream `TestSyncTasksSort_CRDAndCR`: a PreSync custom resource and its CRD sort
    /// as [crd, cr]; the CRD takes the PreSync phase.
    #[test]
    fn crd_moves_in_front_of_its_first_custom_resource() {
        let resources = [
            r("argoproj.io", "Workflow", "wf").hook("PreSync"),
            crd("workflows.argoproj.io").defines("argoproj.io", "Workflow"),
        ];
        let steps = plan(&resources, "", None);
        assert_eq!(
            show(&resources, &steps),
            [
                "PreSync/0 CustomResourceDefinition workflows.argoproj.io*",
                "PreSync/0 Workflow wf",
            ]
        );
        assert_eq!(steps[0].moved, Some(Moved::CrdFirst));
        assert_eq!(steps[0].moved_before, Some(0));
        assert_eq!(steps[0].own_phase, Phase::Sync);
    }

    #[test]
    fn crd_first_table() {
        type Row = (
            &'static str,
            Vec<Resource<'static>>,
            &'static [&'static str],
        );
        let widget = || crd("widgets.example.com").defines("example.com", "Widget");
        let rows: Vec<Row> = vec![
            (
                "a CRD in a later wave takes its first resource's wave",
                vec![
                    widget().wave("5"),
                    r("example.com", "Widget", "w").wave("-1"),
                ],
                &[
                    "Sync/-1 CustomResourceDefinition widgets.example.com*",
                    "Sync/-1 Widget w",
                ],
            ),
            (
                "in the same wave the kind order already puts the CRD first",
                vec![r("example.com", "Widget", "w"), widget()],
                &[
                    "Sync/0 CustomResourceDefinition widgets.example.com",
                    "Sync/0 Widget w",
                ],
            ),
            (
                "a CRD without spec.group or spec.names.kind is not a dependency",
                vec![crd("broken").wave("5"), r("example.com", "Widget", "w")],
                &["Sync/0 Widget w", "Sync/5 CustomResourceDefinition broken"],
            ),
            (
                "the group must match: the same kind in another group does not move it",
                vec![widget().wave("5"), r("other.io", "Widget", "w")],
                &[
                    "Sync/0 Widget w",
                    "Sync/5 CustomResourceDefinition widgets.example.com",
                ],
            ),
            (
                "a CRD only counts with the apiextensions.k8s.io group",
                vec![
                    r("example.com", "CustomResourceDefinition", "fake")
                        .wave("5")
                        .defines("example.com", "Widget"),
                    r("example.com", "Widget", "w"),
                ],
                &["Sync/0 Widget w", "Sync/5 CustomResourceDefinition fake"],
            ),
            (
                "Namespace and CRD both move in front of a PreSync custom resource",
                vec![
                    ns("ops").wave("1"),
                    widget().wave("2"),
                    r("example.com", "Widget", "w").ns("ops").hook("PreSync"),
                ],
                &[
                    "PreSync/0 Namespace ops*",
                    "PreSync/0 CustomResourceDefinition widgets.example.com*",
                    "PreSync/0 Widget w",
                ],
            ),
        ];
        for (what, resources, want) in &rows {
            assert_eq!(order(resources, ""), *want, "{what}");
        }
    }

    // ---- §3.6 CreateNamespace=true ---------------------------------------------------

    #[test]
    fn create_namespace_adds_a_presync_namespace() {
        let resources = [cm("c").ns("prod"), job("j").hook("PreSync")];
        let cn = CreateNamespace::default();
        let steps = plan(&resources, "prod", Some(&cn));
        assert_eq!(
            show(&resources, &steps),
            [
                "PreSync/0 Namespace +",
                "PreSync/0 Job j",
                "Sync/0 ConfigMap c"
            ]
        );
        let created = &steps[0];
        assert_eq!(created.resource, None);
        assert!(
            !created.hook && created.hook_types.is_empty() && created.delete_policies.is_empty()
        );
        assert!(created.before_dry_run && created.moved.is_none());
    }

    #[test]
    fn create_namespace_table() {
        type Row = (
            &'static str,
            &'static str,
            CreateNamespace<'static>,
            Vec<Resource<'static>>,
            &'static [&'static str],
        );
        let plain = CreateNamespace::default();
        let rows: Vec<Row> = vec![
            (
                "no destination namespace: nothing to create",
                "",
                plain,
                vec![cm("c")],
                &["Sync/0 ConfigMap c"],
            ),
            (
                "the manifests have the Namespace: none is added",
                "prod",
                plain,
                vec![ns("prod").wave("4"), cm("c").ns("other")],
                &["Sync/0 ConfigMap c", "Sync/4 Namespace prod"],
            ),
            (
                "a Skip'ed Namespace of the manifests still prevents the creation",
                "prod",
                plain,
                vec![ns("prod").hook("Skip"), cm("c").ns("other")],
                &["Sync/0 ConfigMap c"],
            ),
            (
                "a hook Namespace does not count (hooks are not looked at): both are there",
                "prod",
                plain,
                vec![ns("prod").hook("PostSync")],
                &["PreSync/0 Namespace +", "PostSync/0 Namespace prod"],
            ),
            (
                "a PreSync hook in an earlier wave pulls the created Namespace into it",
                "prod",
                plain,
                vec![job("migrate").hook("PreSync").wave("-1")],
                &["PreSync/-1 Namespace +*", "PreSync/-1 Job migrate"],
            ),
            (
                "a sync-wave in managedNamespaceMetadata.annotations gives the wave",
                "prod",
                CreateNamespace {
                    managed_metadata: true,
                    sync_wave: Some("-3"),
                    helm_hook_weight: None,
                },
                vec![job("migrate").hook("PreSync").wave("-1")],
                &["PreSync/-3 Namespace +", "PreSync/-1 Job migrate"],
            ),
            (
                "a core Namespace of another name does not prevent the creation",
                "prod",
                plain,
                vec![ns("staging")],
                &["PreSync/0 Namespace +", "Sync/0 Namespace staging"],
            ),
        ];
        for (what, dest, cn, resources, want) in &rows {
            assert_eq!(
                show(resources, &plan(resources, dest, Some(cn))),
                *want,
                "{what}"
            );
        }
        assert!(!creates_namespace(&[ns("prod")], "prod"));
        assert!(creates_namespace(&[ns("prod").hook("Sync")], "prod"));
        assert!(creates_namespace(&[ns("prod").hook("PreDelete")], "prod"));
    }

    /// The first Namespace named like the destination namespace is applied before the
    /// dry run when it is missing, with or without CreateNamespace=true.
    #[test]
    fn destination_namespace_goes_before_the_dry_run() {
        let resources = [cm("c").ns("other"), ns("prod").wave("7"), ns("other")];
        let steps = plan(&resources, "prod", None);
        let marked: Vec<Option<usize>> = steps
            .iter()
            .filter(|s| s.before_dry_run)
            .map(|s| s.resource)
            .collect();
        assert_eq!(marked, [Some(1)]);
        assert!(plan(&resources, "", None).iter().all(|s| !s.before_dry_run));
    }

    #[test]
    fn excluded_lists_objects_without_tasks_in_input_order() {
        let resources = [
            cm("skip").hook("Skip"),
            cm("kept"),
            job("pre-delete").hook("PreDelete"),
            job("typo").hook("Postsync"),
        ];
        assert_eq!(
            excluded(&resources),
            [
                (0, Excluded::Skip),
                (
                    2,
                    Excluded::Deletion {
                        pre: true,
                        post: false
                    }
                ),
                (3, Excluded::NoHookType),
            ]
        );
    }

    // ---- §3.6 pruning ----------------------------------------------------------------

    fn prune(kind: &'static str, name: &'static str, wave: &'static str) -> Prune<'static> {
        Prune {
            kind,
            name,
            annotations: Annotations {
                sync_wave: Some(wave),
                ..Annotations::default()
            },
            ..Prune::default()
        }
    }

    fn prune_show(prunes: &[Prune<'_>], steps: &[PruneStep]) -> Vec<String> {
        steps
            .iter()
            .map(|s| format!("{} {}", s.wave, prunes[s.prune].name))
            .collect()
    }

    #[test]
    fn prune_table() {
        type Row = (
            &'static str,
            Vec<Resource<'static>>,
            Vec<Prune<'static>>,
            bool,
            &'static [&'static str],
        );
        let last = |mut p: Prune<'static>| {
            p.prune_last = true;
            p
        };
        let rows: Vec<Row> = vec![
            (
                "distinct waves are mirrored: the highest is pruned first",
                vec![],
                vec![
                    prune("ConfigMap", "low", "-1"),
                    prune("ConfigMap", "mid", "0"),
                    prune("ConfigMap", "high", "3"),
                ],
                false,
                &["-1 high", "0 mid", "3 low"],
            ),
            (
                "an even number of waves swaps in pairs",
                vec![],
                vec![
                    prune("ConfigMap", "a", "1"),
                    prune("ConfigMap", "b", "2"),
                    prune("ConfigMap", "c", "5"),
                    prune("ConfigMap", "d", "9"),
                ],
                false,
                &["1 d", "2 c", "5 b", "9 a"],
            ),
            (
                "within a wave: kind order, then name",
                vec![],
                vec![
                    prune("Deployment", "a", "0"),
                    prune("ConfigMap", "z", "0"),
                    prune("ConfigMap", "b", "0"),
                ],
                false,
                &["0 b", "0 z", "0 a"],
            ),
            (
                "PruneLast on the live object: the wave after the last Sync-phase wave",
                vec![
                    cm("applied").wave("5"),
                    job("post").hook("PostSync").wave("9"),
                ],
                vec![
                    last(prune("ConfigMap", "gone", "0")),
                    prune("ConfigMap", "other", "2"),
                ],
                false,
                &["0 other", "6 gone"],
            ),
            (
                "PruneLast with only negative waves: wave 1",
                vec![cm("applied").wave("-5")],
                vec![last(prune("ConfigMap", "gone", "-2"))],
                false,
                &["1 gone"],
            ),
            (
                "app-level PruneLast applies to every prune; mirrored waves count for the last",
                vec![cm("applied")],
                vec![prune("ConfigMap", "a", "0"), prune("ConfigMap", "b", "4")],
                true,
                &["5 a", "5 b"],
            ),
            (
                "live hooks and Skip'ed objects are never pruned",
                vec![],
                vec![
                    Prune {
                        annotations: Annotations {
                            hook: Some("PreSync"),
                            ..Annotations::default()
                        },
                        ..prune("Job", "hook", "0")
                    },
                    Prune {
                        annotations: Annotations {
                            hook: Some("Skip"),
                            ..Annotations::default()
                        },
                        ..prune("ConfigMap", "skipped", "0")
                    },
                    prune("ConfigMap", "kept", "0"),
                ],
                false,
                &["0 kept"],
            ),
        ];
        for (what, resources, prunes, app_last, want) in &rows {
            let steps = prune_order(resources, prunes, *app_last);
            assert_eq!(prune_show(prunes, &steps), *want, "{what}");
        }
    }
}
