//! PRJ007–PRJ011 and SEC004: checks on one AppProject, on its own.
//!
//! - PRJ007 invalid-role-policy and PRJ008 invalid-project-spec report what
//!   `ValidateProject` (argocd-server, on create and update) rejects, plus malformed
//!   patterns. An AppProject applied with kubectl (or synced by Argo CD itself) never goes
//!   through that validation, so each message also says what the entry does instead.
//! - PRJ009 deny-only-list: `sourceRepos`/`destinations` made only of `!` entries, which
//!   permit everything they do not reject (semantics §1.2, §1.3).
//! - PRJ010 ineffective-pattern: well-formed patterns that cannot match as written.
//! - PRJ011 empty-namespace-whitelist: `namespaceResourceWhitelist: []` (§1.4).
//! - SEC004 wide-open-project: a project other than `default` that permits every source,
//!   destination and cluster-scoped resource ([`crate::argo::project::wide_open`]).
//!
//! The Argo CD semantics live in `crate::argo::project` and `crate::argo::project_validate`;
//! this file maps their JSON pointers and list indices back to YAML nodes.

use crate::argo::project::{self, Origin, ProjectSpec};
use crate::argo::project_validate::{self, IneffectivePattern, ProblemKind, ProjectProblem};
use crate::diagnostic::Diagnostic;
use crate::engine::Ctx;
use crate::load::yaml::Node;
use crate::model::Object;
use crate::model::app_project::AppProject;
use crate::source::Span;
use serde_json::Value as Json;

/// The project, its name and its spec as JSON, when `o` is an AppProject with a spec.
fn project_of(o: &Object) -> Option<(AppProject<'_>, &Json)> {
    let p = AppProject::new(o)?;
    let spec = o.json().get("spec")?;
    Some((p, spec))
}

/// The span of the node a JSON pointer names, else of the object's `kind`.
fn span_at(o: &Object, pointer: &str) -> Span {
    o.node
        .pointer(pointer)
        .map_or_else(|| o.head_span(), |n| o.span(n))
}

/// The span of a spec key (`sourceRepos:`), else of its value, else of the object's `kind`.
fn key_span(o: &Object, key: &str) -> Span {
    o.spec()
        .and_then(|s| s.entry(key))
        .map_or_else(|| o.head_span(), |e| o.span(&e.key))
}

/// The YAML node of entry `origin` of spec list `list`, when it is written there.
fn list_item<'a>(o: &'a Object, list: &str, origin: Origin) -> Option<&'a Node> {
    let i = origin.spec_index()?;
    o.spec()?.get(list)?.items().get(i)
}

// ---------------------------------------------------------------------------------------
// PRJ007 / PRJ008.

const NOT_VALIDATED: &str =
    "Argo CD's API rejects this, but nothing validates an AppProject applied with kubectl";

/// What an entry `ValidateProject` rejects does at run time, from the pointer and the
/// message of the problem. `None` when the message already says it (pattern syntax).
fn runtime_effect(p: &ProjectProblem) -> Option<&'static str> {
    let seg: Vec<&str> = p.pointer.split('/').skip(2).collect();
    let list = seg.first().copied().unwrap_or("");
    let field = seg.get(2).copied().unwrap_or("");
    let m = p.message.as_str();
    if m.contains("is not a valid glob") || m.contains("is malformed") {
        return None;
    }
    Some(match (list, field) {
        ("roles", "policies") if m.starts_with("policy '") => "and the repeated line has no effect",
        ("roles", "policies") if m.starts_with("invalid policy rule 'g,") => {
            "and Argo CD loads the line into the project's RBAC policy as written: as a role assignment"
        }
        ("roles", "policies") => {
            "and Argo CD loads the line into the project's RBAC policy as written, where it does not grant what the role intends"
        }
        ("roles", "groups") if m.contains("already exists") => {
            "and the repeated group has no effect"
        }
        ("roles", "groups") => {
            "and Argo CD writes the group verbatim into a 'g, <group>, proj:<project>:<role>' policy line, so it does not bind the group as written"
        }
        ("roles", _) if m.contains("already exists") => {
            "and both roles share one RBAC subject, so their policies and groups apply together"
        }
        ("roles", _) => "and the role still takes effect under this name",
        ("sourceRepos", _) if m.contains("'!*'") => {
            "and this deny entry rejects every repository, so the project permits no source at all"
        }
        ("destinations", "name") => "and this deny pattern rejects every destination",
        ("destinations", "server") => {
            "and this deny pattern rejects every destination in the namespaces the entry's namespace pattern matches"
        }
        ("destinations", "namespace") => {
            "and this deny pattern rejects every namespace of the clusters the entry's server matches"
        }
        ("syncWindows", "kind") => "and a window that is neither allow nor deny has no effect",
        ("syncWindows", "schedule") => "and Argo CD cannot compute when this window is active",
        ("syncWindows", "duration") => "and Argo CD cannot compute how long this window is open",
        ("syncWindows", "description") => {
            "and the window still works: only Argo CD's API, CLI and UI refuse to save it"
        }
        ("syncWindows", _) if m.contains("requires one of") => {
            "and a window that names no application, namespace or cluster matches no Application, so it has no effect"
        }
        ("destinationServiceAccounts", "defaultServiceAccount") => {
            "and with sync impersonation enabled, a sync that selects this entry fails"
        }
        ("destinationServiceAccounts", "server" | "namespace") if m.contains('!') => {
            "and '!' is no negation here: the pattern matches only values with a literal '!'"
        }
        ("destinationServiceAccounts", "server" | "namespace") => {
            "and with sync impersonation enabled, a sync that reaches this entry fails (invalid glob pattern)"
        }
        _ => "and the repeated entry has no effect",
    })
}

fn label_for(p: &ProjectProblem) -> &'static str {
    if p.message.contains("already") {
        "repeated"
    } else if p.message.contains("is not a valid glob") || p.message.contains("is malformed") {
        "never matches"
    } else if p.kind == ProblemKind::RolePolicy {
        "Argo CD's API rejects this policy"
    } else {
        "Argo CD's API rejects this"
    }
}

fn help_for(p: &ProjectProblem) -> String {
    let m = p.message.as_str();
    let field = p.pointer.rsplit('/').next().unwrap_or("");
    if m.contains("already") {
        "Remove the repeated entry.".to_owned()
    } else if m.contains("'!*'") {
        "Remove the entry: to permit nothing, leave the list empty.".to_owned()
    } else if m.contains("must be of the form") {
        "Write the policy as 'p, proj:<project>:<role>, <resource>, <action>, <project>/<app>, allow|deny'; bind groups with the role's 'groups' list, not 'g' lines.".to_owned()
    } else if m.contains("policy subject must be") {
        "Use this role's own subject, proj:<project>:<role>, as the second field.".to_owned()
    } else if m.contains("project resource must be") {
        "Use one of applications, applicationsets, repositories, clusters, logs or exec.".to_owned()
    } else if m.contains("invalid action") {
        "Use get, create, update, delete, sync, override, *, or action/<group>/<kind>/<name> (update/… and delete/… for resources).".to_owned()
    } else if m.contains("object must be of form") {
        "Name objects of this project: <project>/<app> or <project>/<namespace>/<app>, with * as a wildcard.".to_owned()
    } else if m.contains("effect must be") {
        "End the policy with allow or deny.".to_owned()
    } else if m.contains("invalid role name") {
        "Use letters, digits, '-' and '_', starting and ending with a letter or digit.".to_owned()
    } else if field == "defaultServiceAccount" {
        "Name a service account without any of !*[]{}\\/, as <name> or <namespace>:<name>."
            .to_owned()
    } else if m.contains("group '") {
        "Trim the group name, and wrap a group that contains ',' in double quotes.".to_owned()
    } else if m.contains("kind '") {
        "Use kind: allow or kind: deny.".to_owned()
    } else if m.contains("cannot parse schedule") {
        "Use a 5-field cron schedule (minute hour day-of-month month day-of-week), e.g. \"0 22 * * *\"; descriptors such as @daily are not accepted.".to_owned()
    } else if m.contains("cannot parse duration") {
        "Use a Go duration such as 1h, 30m or 1h30m (no days unit: write 24h).".to_owned()
    } else if m.contains("requires one of") {
        "Add applications, namespaces or clusters patterns (['*'] for all).".to_owned()
    } else if m.contains("description") {
        "Shorten the description to 255 characters.".to_owned()
    } else if m.contains("has an invalid format") && m.contains('!') {
        "Use a glob without '!' (negation is not supported here).".to_owned()
    } else {
        "Fix the pattern syntax (an unclosed '[' is the usual cause), or escape the character with '\\'.".to_owned()
    }
}

fn report_problems(o: &Object, code: &str, kind: ProblemKind, out: &mut Vec<Diagnostic>) {
    let Some((p, spec)) = project_of(o) else {
        return;
    };
    for problem in project_validate::validate_project(p.name(), spec) {
        if problem.kind != kind {
            continue;
        }
        let message = match runtime_effect(&problem) {
            Some(effect) => format!("{}. {NOT_VALIDATED}, {effect}", problem.message),
            None => problem.message.clone(),
        };
        out.push(
            Diagnostic::new(code, span_at(o, &problem.pointer), message)
                .with_label(label_for(&problem))
                .with_help(help_for(&problem))
                .with_object(Some(o.object_ref())),
        );
    }
}

/// PRJ007 invalid-role-policy.
pub fn check_role_policies(_cx: &Ctx<'_>, o: &Object, out: &mut Vec<Diagnostic>) {
    report_problems(o, "PRJ007", ProblemKind::RolePolicy, out);
}

/// PRJ008 invalid-project-spec.
pub fn check_spec(_cx: &Ctx<'_>, o: &Object, out: &mut Vec<Diagnostic>) {
    report_problems(o, "PRJ008", ProblemKind::Spec, out);
}

// ---------------------------------------------------------------------------------------
// PRJ009.

/// PRJ009 deny-only-list.
pub fn check_deny_only(_cx: &Ctx<'_>, o: &Object, out: &mut Vec<Diagnostic>) {
    let Some((p, spec)) = project_of(o) else {
        return;
    };
    let ps = ProjectSpec::from_json(spec);
    let name = p.name();
    if project::is_deny_only_sources(&ps) {
        let mut d = Diagnostic::new(
            "PRJ009",
            key_span(o, "sourceRepos"),
            format!(
                "every sourceRepos entry of AppProject '{name}' is a deny ('!') entry, so Argo CD permits every repository these entries do not reject"
            ),
        )
        .with_label("only deny entries")
        .with_help("List the repositories this project may use (for example https://github.com/my-org/*) instead of the '!' entries: Argo CD cannot combine allow entries with deny entries, because a deny entry that does not match counts as a match.")
        .with_object(Some(o.object_ref()));
        for item in &ps.source_repos {
            if let Some(n) = list_item(o, "sourceRepos", item.origin) {
                d = d.with_related(o.span(n), "rejects only what it names");
            }
        }
        out.push(d);
    }
    if project::deny_entries_open_sources(&ps) {
        let mut d = Diagnostic::new(
            "PRJ009",
            key_span(o, "sourceRepos"),
            format!(
                "sourceRepos of AppProject '{name}' mixes allow entries with deny ('!') entries; Argo CD counts a deny entry that does not match a repository as a match, so every repository the deny entries do not reject is permitted and the allow entries restrict nothing"
            ),
        )
        .with_label("deny entries open the list")
        .with_help("Argo CD cannot combine an allow list with exceptions in sourceRepos: drop the '!' entries and list only the repositories this project may use, or write '*' next to them if the project may use every other repository.")
        .with_object(Some(o.object_ref()));
        for item in &ps.source_repos {
            if item.value.starts_with('!')
                && let Some(n) = list_item(o, "sourceRepos", item.origin)
            {
                d = d.with_related(o.span(n), "permits every repository it does not name");
            }
        }
        out.push(d);
    }
    if project::deny_entries_open_destinations(&ps) {
        let mut d = Diagnostic::new(
            "PRJ009",
            key_span(o, "destinations"),
            format!(
                "destinations of AppProject '{name}' mix allow entries with deny ('!') entries; Argo CD counts a deny entry that does not apply as a match, so destinations the allow entries never named are permitted"
            ),
        )
        .with_label("deny entries open the list")
        .with_help("Drop the '!' entries and list only the destinations this project may use; a deny entry is an exception only in a list that already permits everything ('*').")
        .with_object(Some(o.object_ref()));
        for item in &ps.destinations {
            let v = &item.value;
            if (v.name.starts_with('!')
                || v.server.starts_with('!')
                || v.namespace.starts_with('!'))
                && let Some(n) = list_item(o, "destinations", item.origin)
            {
                d = d.with_related(o.span(n), "permits what it does not name");
            }
        }
        out.push(d);
    }
    if project::is_deny_only_destinations(&ps) {
        let mut d = Diagnostic::new(
            "PRJ009",
            key_span(o, "destinations"),
            format!(
                "every destination of AppProject '{name}' has a deny ('!') pattern, and Argo CD counts a deny pattern that does not apply as a match, so it permits every cluster and namespace these entries do not reject"
            ),
        )
        .with_label("only deny entries")
        .with_help("List the clusters and namespaces this project may deploy to (for example server: https://kubernetes.default.svc, namespace: 'team-*') instead of the '!' entries: a deny entry that does not apply counts as a match, so it cannot carve an exception out of allow entries.")
        .with_object(Some(o.object_ref()));
        for item in &ps.destinations {
            if let Some(n) = list_item(o, "destinations", item.origin) {
                d = d.with_related(o.span(n), "a deny entry");
            }
        }
        out.push(d);
    }
}

// ---------------------------------------------------------------------------------------
// PRJ010.

/// PRJ010 ineffective-pattern.
pub fn check_ineffective_patterns(_cx: &Ctx<'_>, o: &Object, out: &mut Vec<Diagnostic>) {
    let Some((_, spec)) = project_of(o) else {
        return;
    };
    for IneffectivePattern {
        pointer,
        message,
        help,
    } in project_validate::ineffective_patterns(spec)
    {
        out.push(
            Diagnostic::new("PRJ010", span_at(o, &pointer), message)
                .with_label("cannot match as written")
                .with_help(help)
                .with_object(Some(o.object_ref())),
        );
    }
}

// ---------------------------------------------------------------------------------------
// PRJ011.

/// PRJ011 empty-namespace-whitelist.
pub fn check_empty_namespace_whitelist(_cx: &Ctx<'_>, o: &Object, out: &mut Vec<Diagnostic>) {
    let Some((p, _)) = project_of(o) else { return };
    let Some(spec) = o.spec() else { return };
    let Some(entry) = spec.entry("namespaceResourceWhitelist") else {
        return;
    };
    if !entry.value.is_seq() || !entry.value.items().is_empty() {
        return;
    }
    let mut d = Diagnostic::new(
        "PRJ011",
        o.span(&entry.value),
        format!(
            "namespaceResourceWhitelist of AppProject '{}' is an empty list, so Argo CD permits no namespaced resource at all (an absent whitelist permits every namespaced kind)",
            p.name()
        ),
    )
    .with_label("permits no namespaced kind")
    .with_help("Remove namespaceResourceWhitelist to permit every namespaced kind (and use namespaceResourceBlacklist to exclude some), or list the kinds to permit.")
    .with_object(Some(o.object_ref()));
    if let Some(black) = spec.entry("namespaceResourceBlacklist")
        && !black.value.items().is_empty()
    {
        d = d.with_related(
            o.span(&black.key),
            "has no effect while nothing is whitelisted",
        );
    }
    out.push(d);
}

// ---------------------------------------------------------------------------------------
// SEC004.

/// SEC004 wide-open-project.
pub fn check_wide_open(_cx: &Ctx<'_>, o: &Object, out: &mut Vec<Diagnostic>) {
    let Some((p, spec)) = project_of(o) else {
        return;
    };
    if p.name() == "default" {
        return;
    }
    let Some(open) = project::wide_open(&ProjectSpec::from_json(spec)) else {
        return;
    };
    let primary = o
        .metadata()
        .and_then(|m| m.get("name"))
        .map_or_else(|| o.head_span(), |n| o.span(n));
    let mut d = Diagnostic::new(
        "SEC004",
        primary,
        format!(
            "AppProject '{}' permits every source repository, every destination (kube-system of the in-cluster server included) and every cluster-scoped resource, so it restricts nothing, like the built-in default project",
            p.name()
        ),
    )
    .with_label("restricts nothing")
    .with_help("Narrow sourceRepos, destinations and clusterResourceWhitelist to what this project's Applications need; a project is the boundary between teams.")
    .with_object(Some(o.object_ref()));
    for (list, origin, label) in [
        ("sourceRepos", open.source, "permits every repository"),
        (
            "destinations",
            open.destination,
            "permits every destination",
        ),
        (
            "clusterResourceWhitelist",
            open.cluster_resource,
            "permits every cluster-scoped kind",
        ),
    ] {
        if let Some(n) = list_item(o, list, origin) {
            d = d.with_related(o.span(n), label);
        }
    }
    out.push(d);
}
