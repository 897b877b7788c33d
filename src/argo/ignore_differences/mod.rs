//! `ignoreDifferences`: the one normaliser, as Argo CD applies it before diffing
//! (semantics notes §4). Pure functions over `serde_json::Value`, for lint rules now and
//! live drift later.
//!
//! - [`IgnoreRule`]: an Application item (`spec.ignoreDifferences[i]`) or a system-level
//!   override from argocd-cm ([`config::parse_argocd_cm`]), with where it came from.
//! - [`IgnoreRule::selects`]: `ignoreNormalizer.Normalize`'s selection (gobwas globs for
//!   group and kind, exact name and namespace when set).
//! - [`Normalizer`]: `NewIgnoreNormalizer` + `Normalize`. App items first, then overrides;
//!   per item its `jsonPointers` ([`pointer`]) then its `jqPathExpressions` ([`jq`]), each
//!   applied in order and skipped when it fails. Every patch reports what it removed
//!   ([`Applied`]).
//! - [`IgnoreLookup`]: `IgnoreDiffConfig.HasIgnoreDifference`, the different lookup that
//!   decides which `managedFieldsManagers` apply ([`managed_fields`]).
//!
//! What this module does not reproduce: Argo CD re-marshals objects between patches
//! (only key order changes, which does not matter to a diff), and newer Argo CD
//! versions may add built-in rules (`resource_customizations/*/ignoreDifferences.yaml`)
//! or per-resource annotations; those would be extra [`IgnoreRule`]s.

pub mod config;
pub mod delpaths;
pub mod jq;
pub mod managed_fields;
pub mod pointer;

use crate::argo::glob;
use jq::{JqCompileError, JqExpr, JqLimits, JqOutcome};
use managed_fields::ManagedRemoval;
use pointer::PointerOutcome;
use serde_json::Value;

/// Where a rule comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RuleOrigin {
    /// `spec.ignoreDifferences[index]` of the Application.
    Application { index: usize },
    /// A system-level override from argocd-cm.
    Override {
        /// The override key (`apps/Deployment`, `ConfigMap`, `*/*`).
        key: String,
        /// The data key that set its `ignoreDifferences` (`resource.customizations` or a
        /// split key), `None` when only `resource.compareoptions` created it.
        data_key: Option<String>,
        source: Option<OverrideSource>,
        /// `/status` (the last pointer) was added by `resource.compareoptions`
        /// `ignoreResourceStatusField`.
        status_from_compare_options: bool,
    },
}

/// Which argocd-cm form an override's `ignoreDifferences` was written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OverrideSource {
    /// The single `resource.customizations` key.
    Legacy,
    /// A `resource.customizations.ignoreDifferences.<group_kind>` key.
    Split,
}

/// One `ignoreDifferences` item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IgnoreRule {
    /// gobwas glob; `""` matches only the core group.
    pub group: String,
    /// gobwas glob, case-sensitive.
    pub kind: String,
    /// Exact when non-empty.
    pub name: String,
    /// Exact when non-empty.
    pub namespace: String,
    pub json_pointers: Vec<String>,
    pub jq_path_expressions: Vec<String>,
    pub managed_fields_managers: Vec<String>,
    pub origin: RuleOrigin,
}

impl IgnoreRule {
    /// Reads `spec.ignoreDifferences[index]` from its JSON form. Values of the wrong type
    /// count as absent (the CRD schema rejects them before Argo CD sees them).
    pub fn from_json(index: usize, item: &Value) -> IgnoreRule {
        let s = |k: &str| {
            item.get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let list = |k: &str| -> Vec<String> {
            item.get(k)
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        };
        IgnoreRule {
            group: s("group"),
            kind: s("kind"),
            name: s("name"),
            namespace: s("namespace"),
            json_pointers: list("jsonPointers"),
            jq_path_expressions: list("jqPathExpressions"),
            managed_fields_managers: list("managedFieldsManagers"),
            origin: RuleOrigin::Application { index },
        }
    }

    /// Whether the rule applies to an object (`ignoreNormalizer.Normalize`): group and
    /// kind as gobwas globs (a pattern that does not compile matches nothing, as Argo
    /// CD's `glob.Match`), name and namespace equal when set. A cluster-scoped object has
    /// namespace `""`, so a rule with a namespace never selects it.
    pub fn selects(&self, group: &str, kind: &str, name: &str, namespace: &str) -> bool {
        glob::matches(&self.group, group, &[])
            && glob::matches(&self.kind, kind, &[])
            && (self.name.is_empty() || self.name == name)
            && (self.namespace.is_empty() || self.namespace == namespace)
    }

    /// [`IgnoreRule::selects`] for an object's JSON.
    pub fn selects_object(&self, obj: &Value) -> bool {
        let id = ObjectId::of(obj);
        self.selects(&id.group, &id.kind, &id.name, &id.namespace)
    }
}

/// Group, kind, name and namespace of an object's JSON.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObjectId {
    pub group: String,
    pub kind: String,
    pub name: String,
    pub namespace: String,
}

impl ObjectId {
    pub fn of(obj: &Value) -> ObjectId {
        let s = |p: &str| {
            obj.pointer(p)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let api_version = s("/apiVersion");
        let group = match api_version.split_once('/') {
            Some((g, _)) => g.to_string(),
            None => String::new(),
        };
        ObjectId {
            group,
            kind: s("/kind"),
            name: s("/metadata/name"),
            namespace: s("/metadata/namespace"),
        }
    }
}

/// A `jqPathExpressions` entry that does not compile: it fails normalizer construction,
/// so Argo CD cannot compute the diff of the whole Application.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JqFailure {
    /// Index into [`Normalizer::rules`] (application items first, then overrides).
    pub rule: usize,
    /// Index into that rule's `jq_path_expressions`.
    pub expression: usize,
    pub error: JqCompileError,
}

#[derive(Clone, Debug)]
enum PatchKind {
    Pointer(usize),
    Jq(usize, JqExpr),
}

#[derive(Clone, Debug)]
struct Patch {
    rule: usize,
    kind: PatchKind,
}

/// Which entry of a rule a patch is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entry {
    /// `json_pointers[i]`
    Pointer(usize),
    /// `jq_path_expressions[i]`
    Jq(usize),
}

/// What one patch did to one object.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    Pointer(PointerOutcome),
    Jq(JqOutcome),
}

/// One patch applied (or skipped) on one object.
#[derive(Clone, Debug, PartialEq)]
pub struct Applied {
    /// Index into [`Normalizer::rules`].
    pub rule: usize,
    pub entry: Entry,
    pub outcome: Outcome,
    /// JSON pointers of the fields removed, into the object as it was when this patch
    /// ran (earlier patches may already have removed siblings).
    pub removed: Vec<String>,
}

/// Argo CD's ignore normalizer for one Application.
#[derive(Clone, Debug)]
pub struct Normalizer {
    rules: Vec<IgnoreRule>,
    patches: Vec<Patch>,
    limits: JqLimits,
}

impl Normalizer {
    /// `NewIgnoreNormalizer`: the Application's items, then the overrides that have
    /// `jsonPointers` or `jqPathExpressions` (overrides with only managers are not
    /// normalizer patches). Every jq expression is compiled; any failure fails the whole
    /// normalizer, as in Argo CD (all failures are returned).
    pub fn new(
        app_rules: &[IgnoreRule],
        overrides: &[IgnoreRule],
    ) -> Result<Normalizer, Vec<JqFailure>> {
        let rules: Vec<IgnoreRule> = app_rules
            .iter()
            .cloned()
            .chain(
                overrides
                    .iter()
                    .filter(|r| !r.json_pointers.is_empty() || !r.jq_path_expressions.is_empty())
                    .cloned(),
            )
            .collect();
        let mut patches = Vec::new();
        let mut failures = Vec::new();
        for (ri, rule) in rules.iter().enumerate() {
            for pi in 0..rule.json_pointers.len() {
                patches.push(Patch {
                    rule: ri,
                    kind: PatchKind::Pointer(pi),
                });
            }
            for (ji, expr) in rule.jq_path_expressions.iter().enumerate() {
                match jq::compile(expr) {
                    Ok(c) => patches.push(Patch {
                        rule: ri,
                        kind: PatchKind::Jq(ji, c),
                    }),
                    Err(error) => failures.push(JqFailure {
                        rule: ri,
                        expression: ji,
                        error,
                    }),
                }
            }
        }
        if failures.is_empty() {
            Ok(Normalizer {
                rules,
                patches,
                limits: JqLimits::default(),
            })
        } else {
            Err(failures)
        }
    }

    /// Sets the jq limits (Argo CD's `ignore.normalizer.jq.timeout`).
    pub fn with_limits(mut self, limits: JqLimits) -> Normalizer {
        self.limits = limits;
        self
    }

    /// The rules, application items first, then the overrides kept.
    pub fn rules(&self) -> &[IgnoreRule] {
        &self.rules
    }

    /// The indices of the rules that select `obj`.
    pub fn selecting(&self, obj: &Value) -> Vec<usize> {
        let id = ObjectId::of(obj);
        (0..self.rules.len())
            .filter(|i| self.rules[*i].selects(&id.group, &id.kind, &id.name, &id.namespace))
            .collect()
    }

    /// `ignoreNormalizer.Normalize`: applies the selected patches in order. Returns one
    /// [`Applied`] per selected patch, including skipped ones.
    pub fn normalize(&self, obj: &mut Value) -> Vec<Applied> {
        self.normalize_report(obj).applied
    }

    /// [`Normalizer::normalize`], also telling when Argo CD throws the result away: if
    /// the patches leave something that is not a JSON object (`del(.)`), the final
    /// unmarshal fails, Argo CD logs it and diffs the object unchanged, so `obj` is
    /// restored.
    pub fn normalize_report(&self, obj: &mut Value) -> Normalized {
        let id = ObjectId::of(obj);
        let selected: Vec<&Patch> = self
            .patches
            .iter()
            .filter(|p| self.rules[p.rule].selects(&id.group, &id.kind, &id.name, &id.namespace))
            .collect();
        if selected.is_empty() {
            return Normalized::default();
        }
        let has_jq = selected.iter().any(|p| matches!(p.kind, PatchKind::Jq(..)));
        let original = has_jq.then(|| obj.clone());
        let run = |obj: &mut Value| -> Vec<Applied> {
            selected.iter().map(|p| self.apply(p, obj)).collect()
        };
        let applied = if has_jq {
            match jq::with_jq_worker(|| run(obj)) {
                Ok(applied) => applied,
                Err(e) => {
                    // Only a bug in the jq engine gets here: report every patch as failed
                    // and leave the object as it was.
                    if let Some(o) = &original {
                        *obj = o.clone();
                    }
                    let applied = selected
                        .iter()
                        .map(|p| Applied {
                            rule: p.rule,
                            entry: match &p.kind {
                                PatchKind::Pointer(i) => Entry::Pointer(*i),
                                PatchKind::Jq(i, _) => Entry::Jq(*i),
                            },
                            outcome: Outcome::Jq(JqOutcome::RuntimeError(e.clone())),
                            removed: Vec::new(),
                        })
                        .collect();
                    return Normalized {
                        applied,
                        discarded: true,
                    };
                }
            }
        } else {
            run(obj)
        };
        let discarded = !obj.is_object();
        if discarded && let Some(o) = original {
            *obj = o;
        }
        Normalized { applied, discarded }
    }

    fn apply(&self, patch: &Patch, obj: &mut Value) -> Applied {
        let rule = &self.rules[patch.rule];
        match &patch.kind {
            PatchKind::Pointer(i) => {
                let p = &rule.json_pointers[*i];
                let outcome = pointer::remove_pointer(obj, p);
                let removed = match &outcome {
                    PointerOutcome::Removed(_) => {
                        vec![
                            pointer::argo_cd_tokens(p)
                                .map(|t| pointer::pointer_from_tokens(&t))
                                .unwrap_or_default(),
                        ]
                    }
                    _ => Vec::new(),
                };
                Applied {
                    rule: patch.rule,
                    entry: Entry::Pointer(*i),
                    outcome: Outcome::Pointer(outcome),
                    removed,
                }
            }
            PatchKind::Jq(i, expr) => {
                let outcome = expr.apply(obj, &self.limits);
                let removed = match &outcome {
                    JqOutcome::Applied { removed, .. } => removed.clone(),
                    _ => Vec::new(),
                };
                Applied {
                    rule: patch.rule,
                    entry: Entry::Jq(*i),
                    outcome: Outcome::Jq(outcome),
                    removed,
                }
            }
        }
    }

    /// Argo CD's diff preparation for a live/desired pair (`StateDiffs`): managed-field
    /// normalization first (with [`IgnoreLookup`]'s managers), then this normalizer on
    /// both objects.
    pub fn normalize_pair(
        &self,
        lookup: &IgnoreLookup,
        live: &mut Value,
        config: &mut Value,
    ) -> PairReport {
        let id = ObjectId::of(config);
        let managers = lookup.managers(&id.group, &id.kind, &id.name, &id.namespace);
        let managed = managed_fields::normalize_managed_fields(live, config, &managers);
        let live_applied = self.normalize(live);
        let config_applied = self.normalize(config);
        PairReport {
            managers,
            managed,
            live: live_applied,
            config: config_applied,
        }
    }
}

/// What [`Normalizer::normalize_report`] did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Normalized {
    pub applied: Vec<Applied>,
    /// The result was not an object, so Argo CD kept the object unchanged.
    pub discarded: bool,
}

/// What [`Normalizer::normalize_pair`] did.
#[derive(Clone, Debug, PartialEq)]
pub struct PairReport {
    /// The managers `HasIgnoreDifference` found.
    pub managers: Vec<String>,
    /// Managed-field removals, or the error that makes Argo CD fail the diff.
    pub managed: Result<Vec<ManagedRemoval>, String>,
    pub live: Vec<Applied>,
    pub config: Vec<Applied>,
}

/// `IgnoreDiffConfig.HasIgnoreDifference`, used only to find `managedFieldsManagers`:
/// overrides are looked up by the *exact* string `<group>/<kind>` (core kinds:
/// `/ConfigMap`) and `*/*`, app items by glob; lists are merged without duplicates.
#[derive(Clone, Debug, Default)]
pub struct IgnoreLookup {
    app_rules: Vec<IgnoreRule>,
    overrides: Vec<IgnoreRule>,
}

impl IgnoreLookup {
    pub fn new(app_rules: &[IgnoreRule], overrides: &[IgnoreRule]) -> IgnoreLookup {
        IgnoreLookup {
            app_rules: app_rules.to_vec(),
            overrides: overrides.to_vec(),
        }
    }

    fn override_for(&self, key: &str) -> Option<&IgnoreRule> {
        self.overrides
            .iter()
            .find(|r| matches!(&r.origin, RuleOrigin::Override { key: k, .. } if k == key))
    }

    /// The rules `HasIgnoreDifference` merges for an object, in order.
    pub fn matching(
        &self,
        group: &str,
        kind: &str,
        name: &str,
        namespace: &str,
    ) -> Vec<&IgnoreRule> {
        let exact = format!("{group}/{kind}");
        let mut out: Vec<&IgnoreRule> = Vec::new();
        out.extend(self.override_for(&exact));
        if exact != "*/*" {
            out.extend(self.override_for("*/*"));
        }
        out.extend(
            self.app_rules
                .iter()
                .filter(|r| r.selects(group, kind, name, namespace)),
        );
        out
    }

    /// The merged `managedFieldsManagers` for an object.
    pub fn managers(&self, group: &str, kind: &str, name: &str, namespace: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for r in self.matching(group, kind, name, namespace) {
            for m in &r.managed_fields_managers {
                if !out.contains(m) {
                    out.push(m.clone());
                }
            }
        }
        out
    }
}

/// `rules` without the jq expressions that do not compile (each reported to `broken`
/// with its rule), so that a normaliser can be built from the rest: what previews and
/// drift show while Argo CD itself refuses the whole list (IGN002).
pub fn compilable_rules(
    rules: &[IgnoreRule],
    mut broken: impl FnMut(&IgnoreRule, &str, &jq::JqCompileError),
) -> Vec<IgnoreRule> {
    rules
        .iter()
        .map(|r| {
            let mut kept = r.clone();
            kept.jq_path_expressions.retain(|e| match jq::compile(e) {
                Ok(_) => true,
                Err(err) => {
                    broken(r, e, &err);
                    false
                }
            });
            kept
        })
        .collect()
}

/// gitops-engine's `normalizeRole` with `ignoreAggregatedRoles`: a Role or ClusterRole
/// (group `rbac.authorization.k8s.io`) whose `aggregationRule` is a map has its `rules`
/// ignored (set to null on both sides).
pub fn aggregated_role_ignores_rules(obj: &Value) -> bool {
    let id = ObjectId::of(obj);
    id.group == "rbac.authorization.k8s.io"
        && (id.kind == "Role" || id.kind == "ClusterRole")
        && obj.get("aggregationRule").is_some_and(Value::is_object)
}

/// How `/spec/replicas` of an object is ignored, if at all (for HPA-scaled workloads).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReplicasIgnored {
    /// A normalizer patch removes it: the rule index into [`Normalizer::rules`] and entry.
    ByPatch { rule: usize, entry: Entry },
    /// A `managedFieldsManagers` entry names the HPA's field manager
    /// ([`managed_fields::HPA_MANAGER`]), from this rule.
    ByManager { rule: RuleOrigin },
}

/// Whether the rules remove `/spec/replicas` from `obj` (which must have it): by running
/// the normalizer on a copy, or through `managedFieldsManagers` naming the HPA
/// controller's manager (`kube-controller-manager`, which writes `spec.replicas` through
/// the `scale` subresource), looked up the way `HasIgnoreDifference` does.
pub fn replicas_ignored(
    normalizer: &Normalizer,
    lookup: &IgnoreLookup,
    obj: &Value,
) -> Option<ReplicasIgnored> {
    let mut copy = obj.clone();
    // Make sure the field exists so a patch can be seen removing it.
    if copy.pointer("/spec/replicas").is_none()
        && let Some(spec) = copy.get_mut("spec").and_then(Value::as_object_mut)
    {
        spec.insert("replicas".into(), Value::from(1));
    }
    for a in normalizer.normalize(&mut copy) {
        if a.removed
            .iter()
            .any(|p| p == "/spec/replicas" || p == "/spec" || p.is_empty())
        {
            return Some(ReplicasIgnored::ByPatch {
                rule: a.rule,
                entry: a.entry,
            });
        }
    }
    let id = ObjectId::of(obj);
    lookup
        .matching(&id.group, &id.kind, &id.name, &id.namespace)
        .into_iter()
        .find(|r| {
            r.managed_fields_managers
                .iter()
                .any(|m| m == managed_fields::HPA_MANAGER)
        })
        .map(|r| ReplicasIgnored::ByManager {
            rule: r.origin.clone(),
        })
}

#[cfg(test)]
mod tests;
