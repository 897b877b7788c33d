//! `AppProject.ValidateProject` as argocd-server runs it on create and update
//! (semantics notes §1.2, §1.3, §1.5, §1.6, §1.8, §1.9), plus the pattern syntax checks
//! that decide whether a project entry can match at all.
//!
//! Argo CD stops at the first error; [`validate_project`] returns every problem, each
//! with the JSON pointer of the node at fault and Argo CD's own error text where it has
//! one. Projects applied with kubectl never go through this validation, which is why a
//! linter repeats it.
//!
//! Also here, because only validation needs them: the role and policy syntax
//! (`validatePolicy`, `validateRoleName`, `validateGroupName`), the sync-window checks
//! (`SyncWindow.Validate`) and a reimplementation of the 5-field cron parser Argo CD
//! uses (`robfig/cron/v3` `NewParser(Minute | Hour | Dom | Month | Dow)`).

use crate::argo::duration::parse_go_duration;
use crate::argo::glob::Glob;
use crate::argo::path_match::filepath_match;
use crate::argo::project::{
    array_field, is_invalid_service_account, normalize_source_pattern, object_items, str_field,
};
use serde_json::{Map, Value as Json};
use std::collections::HashSet;

/// Which rule reports a problem.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProblemKind {
    /// A role policy line Argo CD rejects, or a repeated one (PRJ007).
    RolePolicy,
    /// Everything else (PRJ008).
    Spec,
}

/// One validation failure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProjectProblem {
    /// JSON pointer from the AppProject object root, e.g. `/spec/roles/0/policies/2`.
    pub pointer: String,
    /// Argo CD's own error text where it has one.
    pub message: String,
    pub kind: ProblemKind,
}

/// Every problem `ValidateProject` (and the pattern syntax) finds in an AppProject `spec`.
/// `project_name` is `metadata.name` (role policy subjects and objects must name it).
pub fn validate_project(project_name: &str, spec: &Json) -> Vec<ProjectProblem> {
    let mut v = Validator { out: Vec::new() };
    let Some(spec) = spec.as_object() else {
        return v.out;
    };
    v.destinations(spec);
    v.source_namespaces(spec);
    v.source_repos(spec);
    v.roles(project_name, spec);
    v.sync_windows(spec);
    v.destination_service_accounts(spec);
    v.resource_lists(spec);
    v.out
}

struct Validator {
    out: Vec<ProjectProblem>,
}

/// The pointer of a field of a list entry, or of the entry when the field is absent.
fn field_pointer(list: &str, i: usize, o: &Map<String, Json>, field: &str) -> String {
    if o.contains_key(field) {
        format!("/spec/{list}/{i}/{field}")
    } else {
        format!("/spec/{list}/{i}")
    }
}

/// Why a gobwas pattern does not compile, `None` when it does.
fn glob_error(pattern: &str, separators: &[char]) -> Option<String> {
    Glob::compile(pattern, separators)
        .err()
        .map(|e| e.to_string())
}

impl Validator {
    fn push(&mut self, pointer: String, message: String, kind: ProblemKind) {
        self.out.push(ProjectProblem {
            pointer,
            message,
            kind,
        });
    }

    fn spec(&mut self, pointer: String, message: String) {
        self.push(pointer, message, ProblemKind::Spec);
    }

    /// A `globMatch` pattern with negation (destinations): `!` then a glob, or a glob;
    /// a pattern that does not compile never matches.
    fn negatable_glob(&mut self, pointer: String, what: &str, value: &str, separators: &[char]) {
        let (deny, body) = match value.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, value),
        };
        if let Some(err) = glob_error(body, separators) {
            self.spec(pointer, never_matches(what, value, None, &err, deny));
        }
    }

    /// A plain gobwas glob (no negation): sync windows, source namespaces.
    fn plain_glob(&mut self, pointer: String, what: &str, value: &str) {
        if let Some(err) = glob_error(value, &[]) {
            self.spec(pointer, never_matches(what, value, None, &err, false));
        }
    }

    fn destinations(&mut self, spec: &Map<String, Json>) {
        let Some(list) = array_field(spec, "destinations") else {
            return;
        };
        let mut keys = HashSet::new();
        for (i, d) in object_items(list) {
            for field in ["name", "server", "namespace"] {
                let value = str_field(d, field);
                let pointer = format!("/spec/destinations/{i}/{field}");
                if value == "!*" {
                    self.spec(pointer, format!("{field} has an invalid format, '!*'"));
                } else if d.contains_key(field) {
                    self.negatable_glob(
                        pointer,
                        &format!("destination {field} pattern"),
                        &value,
                        &[],
                    );
                }
            }
            let (server, name, namespace) = (
                str_field(d, "server"),
                str_field(d, "name"),
                str_field(d, "namespace"),
            );
            let key = if server.is_empty() && !name.is_empty() {
                format!("{name}/{namespace}")
            } else {
                format!("{server}/{namespace}")
            };
            if !keys.insert(key.clone()) {
                self.spec(
                    format!("/spec/destinations/{i}"),
                    format!("destination '{key}' already added"),
                );
            }
        }
    }

    fn source_namespaces(&mut self, spec: &Map<String, Json>) {
        let Some(list) = array_field(spec, "sourceNamespaces") else {
            return;
        };
        let mut seen = HashSet::new();
        for (i, v) in list.iter().enumerate() {
            let Some(ns) = v.as_str() else { continue };
            let pointer = format!("/spec/sourceNamespaces/{i}");
            if !seen.insert(ns) {
                self.spec(pointer, format!("source namespace '{ns}' already added"));
                continue;
            }
            // `/…/` entries are regexps (regexp2, .NET syntax): not checked here.
            let is_regexp = ns.len() >= 2 && ns.starts_with('/') && ns.ends_with('/');
            if !is_regexp {
                self.plain_glob(pointer, "source namespace pattern", ns);
            }
        }
    }

    fn source_repos(&mut self, spec: &Map<String, Json>) {
        let Some(list) = array_field(spec, "sourceRepos") else {
            return;
        };
        let mut seen = HashSet::new();
        for (i, v) in list.iter().enumerate() {
            let Some(src) = v.as_str() else { continue };
            let pointer = format!("/spec/sourceRepos/{i}");
            if src == "!*" {
                self.spec(
                    pointer,
                    "source repository has an invalid format, '!*'".to_owned(),
                );
                continue;
            }
            if !seen.insert(src) {
                self.spec(pointer, format!("source repository '{src}' already added"));
                continue;
            }
            let normalized = normalize_source_pattern(src);
            let body = normalized.strip_prefix('!').unwrap_or(&normalized);
            if body == "*" {
                continue;
            }
            if let Some(err) = glob_error(body, &['/']) {
                let shown = (normalized != src).then_some(normalized.as_str());
                self.spec(
                    pointer,
                    never_matches(
                        "source repository pattern",
                        src,
                        shown,
                        &err,
                        src.starts_with('!'),
                    ),
                );
            }
        }
    }

    fn roles(&mut self, project: &str, spec: &Map<String, Json>) {
        let Some(list) = array_field(spec, "roles") else {
            return;
        };
        let mut names = HashSet::new();
        for (i, role) in object_items(list) {
            let name = str_field(role, "name");
            let name_ptr = field_pointer("roles", i, role, "name");
            if !names.insert(name.clone()) {
                self.spec(name_ptr.clone(), format!("role '{name}' already exists"));
            }
            if let Err(e) = validate_role_name(&name) {
                self.spec(name_ptr, e);
            }
            if let Some(policies) = array_field(role, "policies") {
                let mut seen = HashSet::new();
                for (j, p) in policies.iter().enumerate() {
                    let Some(policy) = p.as_str() else { continue };
                    let pointer = format!("/spec/roles/{i}/policies/{j}");
                    if !seen.insert(policy) {
                        self.push(
                            pointer,
                            format!("policy '{policy}' already exists for role '{name}'"),
                            ProblemKind::RolePolicy,
                        );
                    } else if let Err(e) = validate_policy(project, &name, policy) {
                        self.push(pointer, e, ProblemKind::RolePolicy);
                    }
                }
            }
            if let Some(groups) = array_field(role, "groups") {
                let mut seen = HashSet::new();
                for (k, g) in groups.iter().enumerate() {
                    let Some(group) = g.as_str() else { continue };
                    let pointer = format!("/spec/roles/{i}/groups/{k}");
                    if !seen.insert(group) {
                        self.spec(
                            pointer,
                            format!("group '{group}' already exists for role '{name}'"),
                        );
                    } else if let Err(e) = validate_group_name(group) {
                        self.spec(pointer, e);
                    }
                }
            }
        }
    }

    fn sync_windows(&mut self, spec: &Map<String, Json>) {
        let Some(list) = array_field(spec, "syncWindows") else {
            return;
        };
        let mut identities = HashSet::new();
        for (i, w) in object_items(list) {
            let kind = str_field(w, "kind");
            let schedule = str_field(w, "schedule");
            let duration = str_field(w, "duration");
            let at = |f: &str| field_pointer("syncWindows", i, w, f);
            let window = format!("/spec/syncWindows/{i}");
            if !identities.insert(window_identity(w)) {
                self.spec(
                    window.clone(),
                    format!(
                        "window '{kind}':'{schedule}':'{duration}' already exists, update or edit"
                    ),
                );
            }
            if kind != "allow" && kind != "deny" {
                self.spec(
                    at("kind"),
                    format!("kind '{kind}' mismatch: can only be allow or deny"),
                );
            }
            if let Err(e) = cron::parse(&schedule) {
                self.spec(
                    at("schedule"),
                    format!("cannot parse schedule '{schedule}': {e}"),
                );
            }
            if let Err(e) = parse_go_duration(&duration) {
                self.spec(
                    at("duration"),
                    format!("cannot parse duration '{duration}': {e}"),
                );
            }
            let len = |f: &str| array_field(w, f).map_or(0, Vec::len);
            if len("applications") == 0 && len("namespaces") == 0 && len("clusters") == 0 {
                self.spec(
                    window,
                    format!("window '{kind}':'{schedule}':'{duration}' requires one of application, cluster or namespace"),
                );
            }
            let description = str_field(w, "description");
            let chars = description.chars().count();
            if chars > MAX_WINDOW_DESCRIPTION {
                self.spec(
                    at("description"),
                    format!("sync window description is {chars} characters long; Argo CD accepts at most {MAX_WINDOW_DESCRIPTION}"),
                );
            }
            for (field, what) in [
                ("applications", "sync window application pattern"),
                ("namespaces", "sync window namespace pattern"),
                ("clusters", "sync window cluster pattern"),
            ] {
                for (j, v) in array_field(w, field).into_iter().flatten().enumerate() {
                    if let Some(p) = v.as_str().filter(|p| *p != "*") {
                        self.plain_glob(format!("/spec/syncWindows/{i}/{field}/{j}"), what, p);
                    }
                }
            }
        }
    }

    fn destination_service_accounts(&mut self, spec: &Map<String, Json>) {
        let Some(list) = array_field(spec, "destinationServiceAccounts") else {
            return;
        };
        let mut keys = HashSet::new();
        for (i, d) in object_items(list) {
            let at = |f: &str| field_pointer("destinationServiceAccounts", i, d, f);
            let server = str_field(d, "server");
            let namespace = str_field(d, "namespace");
            for (field, value) in [("server", &server), ("namespace", &namespace)] {
                if value.contains('!') {
                    self.spec(
                        at(field),
                        format!("{field} has an invalid format, '{value}'"),
                    );
                } else if let Some(err) = glob_error(value, &[]) {
                    self.spec(
                        at(field),
                        format!("{field} has an invalid format, '{value}': {err}"),
                    );
                }
            }
            let sa = str_field(d, "defaultServiceAccount");
            if is_invalid_service_account(&sa) {
                self.spec(
                    at("defaultServiceAccount"),
                    format!("defaultServiceAccount has an invalid format, '{sa}'"),
                );
            }
            let key = format!("{server}/{namespace}");
            if !keys.insert(key.clone()) {
                self.spec(
                    format!("/spec/destinationServiceAccounts/{i}"),
                    format!("destinationServiceAccount '{key}' already added"),
                );
            }
        }
    }

    /// Group/kind/name patterns of the resource lists go through Go's `filepath.Match`;
    /// a malformed one is skipped by `isResourceInList`, i.e. never matches.
    fn resource_lists(&mut self, spec: &Map<String, Json>) {
        for (list_name, named) in [
            ("clusterResourceWhitelist", true),
            ("clusterResourceBlacklist", true),
            ("namespaceResourceWhitelist", false),
            ("namespaceResourceBlacklist", false),
        ] {
            let Some(list) = array_field(spec, list_name) else {
                continue;
            };
            let fields: &[&str] = if named {
                &["group", "kind", "name"]
            } else {
                &["group", "kind"]
            };
            for (i, item) in object_items(list) {
                for field in fields {
                    let Some(pattern) = item.get(*field).and_then(Json::as_str) else {
                        continue;
                    };
                    if filepath_match(pattern, "").is_err() {
                        self.spec(
                            format!("/spec/{list_name}/{i}/{field}"),
                            format!("{list_name} {field} pattern '{pattern}' is malformed (filepath.Match: syntax error in pattern); Argo CD treats the entry as matching nothing"),
                        );
                    }
                }
            }
        }
    }
}

/// The message for a gobwas pattern that does not compile (`normalized`: the form Argo CD
/// compiles, when it differs from what is written).
fn never_matches(
    what: &str,
    value: &str,
    normalized: Option<&str>,
    err: &str,
    deny: bool,
) -> String {
    let compiled = normalized.map_or_else(String::new, |n| format!(" (normalised to '{n}')"));
    if deny {
        format!(
            "{what} '{value}'{compiled} is not a valid glob after the '!' ({err}), so Argo CD never matches it: this deny pattern rejects nothing and counts as a match for every value"
        )
    } else {
        format!(
            "{what} '{value}'{compiled} is not a valid glob ({err}), so Argo CD never matches it"
        )
    }
}

/// The longest sync window `description` Argo CD accepts.
pub const MAX_WINDOW_DESCRIPTION: usize = 255;

/// What makes two sync windows the same window for the duplicate check: everything but
/// `manualSync`, `description` and `syncOverrun` (semantics §1.8).
fn window_identity(w: &Map<String, Json>) -> String {
    let list = |f: &str| -> Vec<Json> { array_field(w, f).cloned().unwrap_or_default() };
    let and_operator = w
        .get("andOperator")
        .and_then(Json::as_bool)
        .unwrap_or(false);
    Json::Array(vec![
        Json::String(str_field(w, "kind")),
        Json::String(str_field(w, "schedule")),
        Json::String(str_field(w, "duration")),
        Json::Array(list("applications")),
        Json::Array(list("namespaces")),
        Json::Array(list("clusters")),
        Json::String(str_field(w, "timeZone")),
        Json::Bool(and_operator),
    ])
    .to_string()
}

// ---------------------------------------------------------------------------------------
// Roles and policies (semantics §1.9).

/// `rbac.ProjectScoped`: the resources a project role policy may name.
pub const PROJECT_SCOPED_RESOURCES: [&str; 6] = [
    "applications",
    "applicationsets",
    "repositories",
    "clusters",
    "logs",
    "exec",
];

/// `validActions`, plus `rollback` (accepted on Argo CD's development branch after
/// v3.5.1; accepted here so that newer repositories get no false report).
pub const VALID_ACTIONS: [&str; 8] = [
    "get", "create", "update", "delete", "sync", "override", "rollback", "*",
];

/// `isValidAction`: a listed action, or one the unanchored regexps `action/.*`,
/// `update/.*` or `delete/.*` find anywhere in it.
pub fn is_valid_action(action: &str) -> bool {
    VALID_ACTIONS.contains(&action)
        || ["action/", "update/", "delete/"]
            .iter()
            .any(|p| action.contains(p))
}

/// `isValidObject`: `^<project>(/[*\w-.]+)?/[*\w-.]+$` with the project name quoted, i.e.
/// `<project>/<app>` or `<project>/<namespace>/<app>` with segments of ASCII letters,
/// digits, `_`, `*`, `-` and `.`.
pub fn is_valid_object(project: &str, object: &str) -> bool {
    let Some(rest) = object
        .strip_prefix(project)
        .and_then(|r| r.strip_prefix('/'))
    else {
        return false;
    };
    let segment_ok = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'*' | b'-' | b'.'))
    };
    let segments: Vec<&str> = rest.split('/').collect();
    segments.len() <= 2 && segments.iter().all(|s| segment_ok(s))
}

/// `validatePolicy`: the first problem of a role policy line, with Argo CD's text.
/// Fields are split on `,` and trimmed of spaces (only spaces, as `strings.Trim(x, " ")`).
pub fn validate_policy(project: &str, role: &str, policy: &str) -> Result<(), String> {
    let parts: Vec<&str> = policy.split(',').map(|p| p.trim_matches(' ')).collect();
    let fail = |what: String| Err(format!("invalid policy rule '{policy}': {what}"));
    if parts.len() != 6 || parts[0] != "p" {
        return fail("must be of the form: 'p, sub, res, act, obj, eft'".to_owned());
    }
    let expected_subject = format!("proj:{project}:{role}");
    if parts[1] != expected_subject {
        return fail(format!(
            "policy subject must be: '{expected_subject}', not '{}'",
            parts[1]
        ));
    }
    if !PROJECT_SCOPED_RESOURCES.contains(&parts[2]) {
        return fail(format!(
            "project resource must be: 'applications', 'applicationsets', 'repositories', 'exec', 'logs' or 'clusters', not '{}'",
            parts[2]
        ));
    }
    if !is_valid_action(parts[3]) {
        return fail(format!("invalid action '{}'", parts[3]));
    }
    if !is_valid_object(project, parts[4]) {
        return fail(format!(
            "object must be of form '{project}/*', '{project}[/<NAMESPACE>]/<APPNAME>' or '{project}/<APPNAME>', not '{}'",
            parts[4]
        ));
    }
    if parts[5] != "allow" && parts[5] != "deny" {
        return fail("effect must be: 'allow' or 'deny'".to_owned());
    }
    Ok(())
}

/// `validateRoleName`: `^[a-zA-Z0-9]([-_a-zA-Z0-9]*[a-zA-Z0-9])?$`.
pub fn validate_role_name(name: &str) -> Result<(), String> {
    let b = name.as_bytes();
    let ok = match (b.first(), b.last()) {
        (Some(f), Some(l)) => {
            f.is_ascii_alphanumeric()
                && l.is_ascii_alphanumeric()
                && b.iter()
                    .all(|c| c.is_ascii_alphanumeric() || *c == b'-' || *c == b'_')
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "invalid role name '{name}'. Must consist of alphanumeric characters, '-' or '_', and must start and end with an alphanumeric character"
        ))
    }
}

/// `validateGroupName`: no surrounding whitespace (when longer than one character); a
/// group holding `,` must be wrapped in `"…"`; not empty, also once unquoted; no `"`,
/// newline, carriage return or tab inside.
pub fn validate_group_name(group: &str) -> Result<(), String> {
    if group.chars().count() > 1 && group.trim() != group {
        return Err(format!(
            "group '{group}' contains leading or trailing whitespace"
        ));
    }
    let mut name = group.trim();
    if name.len() > 1 && name.starts_with('"') && name.ends_with('"') {
        name = &name[1..name.len() - 1];
    } else if name.contains(',') {
        return Err(format!("group '{name}' must be quoted"));
    }
    if name.is_empty() {
        return Err(format!("group '{name}' is empty"));
    }
    if name.contains(['"', '\n', '\r', '\t']) {
        return Err(format!("group '{name}' contains invalid characters"));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Cron schedules.

/// The 5-field schedule parser of `robfig/cron/v3` v3.0.1 with the options Argo CD sets
/// (`Minute | Hour | Dom | Month | Dow`, no `Descriptor`), errors in its words.
///
/// Accepted per field: `*` and `?` (every value), numbers, ranges `a-b`, steps `x/n`
/// (`5/15` means `5-max/15`), comma lists (empty items are dropped), month names
/// `jan`–`dec` and weekday names `sun`–`sat` in any case. Weekdays are 0–6 (7 is out of
/// range), days of month 1–31, months 1–12. `@daily`-style descriptors are refused
/// (the option is not set). A `TZ=<zone> ` or `CRON_TZ=<zone> ` prefix is accepted;
/// zone names cannot be checked offline, except that robfig/cron needs a space after the
/// prefix (without one it panics).
pub mod cron {
    struct Bounds {
        min: u64,
        max: u64,
        names: &'static [(&'static str, u64)],
    }

    const MINUTES: Bounds = Bounds {
        min: 0,
        max: 59,
        names: &[],
    };
    const HOURS: Bounds = Bounds {
        min: 0,
        max: 23,
        names: &[],
    };
    const DOM: Bounds = Bounds {
        min: 1,
        max: 31,
        names: &[],
    };
    const MONTHS: Bounds = Bounds {
        min: 1,
        max: 12,
        names: &[
            ("jan", 1),
            ("feb", 2),
            ("mar", 3),
            ("apr", 4),
            ("may", 5),
            ("jun", 6),
            ("jul", 7),
            ("aug", 8),
            ("sep", 9),
            ("oct", 10),
            ("nov", 11),
            ("dec", 12),
        ],
    };
    const DOW: Bounds = Bounds {
        min: 0,
        max: 6,
        names: &[
            ("sun", 0),
            ("mon", 1),
            ("tue", 2),
            ("wed", 3),
            ("thu", 4),
            ("fri", 5),
            ("sat", 6),
        ],
    };

    /// Parses a schedule; the error is robfig/cron's message.
    pub fn parse(spec: &str) -> Result<(), String> {
        if spec.is_empty() {
            return Err("empty spec string".to_owned());
        }
        let mut spec = spec;
        if spec.starts_with("TZ=") || spec.starts_with("CRON_TZ=") {
            let Some(space) = spec.find(' ') else {
                return Err(
                    "no space after the time zone prefix (robfig/cron panics on this schedule)"
                        .to_owned(),
                );
            };
            let eq = spec.find('=').unwrap_or(0);
            let zone = &spec[eq + 1..space];
            if zone.chars().any(char::is_whitespace) {
                return Err(format!(
                    "provided bad location {zone}: unknown time zone {zone}"
                ));
            }
            spec = spec[space..].trim();
        }
        if spec.starts_with('@') {
            return Err(format!("parser does not accept descriptors: {spec}"));
        }
        let fields: Vec<&str> = spec.split_whitespace().collect();
        if fields.len() != 5 {
            return Err(format!(
                "expected exactly 5 fields, found {}: [{}]",
                fields.len(),
                fields.join(" ")
            ));
        }
        for (field, bounds) in fields.iter().zip([&MINUTES, &HOURS, &DOM, &MONTHS, &DOW]) {
            for expr in field.split(',').filter(|e| !e.is_empty()) {
                range(expr, bounds)?;
            }
        }
        Ok(())
    }

    fn range(expr: &str, b: &Bounds) -> Result<(), String> {
        let range_and_step: Vec<&str> = expr.split('/').collect();
        let low_and_high: Vec<&str> = range_and_step[0].split('-').collect();
        let single = low_and_high.len() == 1;
        let (start, mut end);
        if low_and_high[0] == "*" || low_and_high[0] == "?" {
            start = b.min;
            end = b.max;
        } else {
            start = int_or_name(low_and_high[0], b)?;
            end = match low_and_high.len() {
                1 => start,
                2 => int_or_name(low_and_high[1], b)?,
                _ => return Err(format!("too many hyphens: {expr}")),
            };
        }
        let step = match range_and_step.len() {
            1 => 1,
            2 => {
                let step = must_parse_int(range_and_step[1])?;
                if single {
                    end = b.max;
                }
                step
            }
            _ => return Err(format!("too many slashes: {expr}")),
        };
        if start < b.min {
            return Err(format!(
                "beginning of range ({start}) below minimum ({}): {expr}",
                b.min
            ));
        }
        if end > b.max {
            return Err(format!(
                "end of range ({end}) above maximum ({}): {expr}",
                b.max
            ));
        }
        if start > end {
            return Err(format!(
                "beginning of range ({start}) beyond end of range ({end}): {expr}"
            ));
        }
        if step == 0 {
            return Err(format!("step of range should be a positive number: {expr}"));
        }
        Ok(())
    }

    fn int_or_name(expr: &str, b: &Bounds) -> Result<u64, String> {
        let lower = expr.to_lowercase();
        if let Some((_, v)) = b.names.iter().find(|(n, _)| *n == lower) {
            return Ok(*v);
        }
        must_parse_int(expr)
    }

    /// `strconv.Atoi`, then the non-negative check.
    fn must_parse_int(expr: &str) -> Result<u64, String> {
        let digits = expr.strip_prefix(['+', '-']).unwrap_or(expr);
        if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
            return Err(format!(
                "failed to parse int from {expr}: strconv.Atoi: parsing \"{expr}\": invalid syntax"
            ));
        }
        let Ok(num) = expr.parse::<i64>() else {
            return Err(format!(
                "failed to parse int from {expr}: strconv.Atoi: parsing \"{expr}\": value out of range"
            ));
        };
        u64::try_from(num).map_err(|_| format!("negative number ({num}) not allowed: {expr}"))
    }
}

// ---------------------------------------------------------------------------------------
// Patterns that compile but cannot match as written (PRJ010).

/// A well-formed pattern that cannot match what it was written for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IneffectivePattern {
    /// JSON pointer from the AppProject object root.
    pub pointer: String,
    /// What the pattern actually matches.
    pub message: String,
    pub help: String,
}

/// Which pattern language a field uses.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Syntax {
    /// gobwas (`\` escapes, `[…]` classes with `!` negation, `{a,b}` groups).
    Gobwas,
    /// Go `filepath.Match` (`\` escapes, `[…]` classes with `^` negation, no groups).
    FilepathMatch,
}

/// The characters any match must contain literally: those outside classes, groups and
/// wildcards, unescaped.
fn required_literals(pattern: &str, syntax: Syntax) -> Vec<char> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' => {
                if let Some(c) = chars.get(i + 1) {
                    out.push(*c);
                }
                i += 2;
            }
            '*' | '?' => i += 1,
            '[' => {
                // Skip the class: its first member may be `]`; `\` escapes in filepath.Match.
                let mut j = i + 1;
                if chars.get(j).is_some_and(|c| *c == '^' || *c == '!') {
                    j += 1;
                }
                let mut first = true;
                while j < chars.len() && (first || chars[j] != ']') {
                    if syntax == Syntax::FilepathMatch && chars[j] == '\\' {
                        j += 1;
                    }
                    first = false;
                    j += 1;
                }
                i = j + 1;
            }
            '{' if syntax == Syntax::Gobwas => {
                let mut depth = 0usize;
                let mut j = i;
                while j < chars.len() {
                    match chars[j] {
                        '\\' => j += 1,
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    j += 1;
                }
                i = j + 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// The classes of a `filepath.Match` pattern written `[!…]`, which Go does not negate.
fn bang_classes(pattern: &str) -> Vec<String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 2,
            '[' => {
                let start = i;
                let mut j = i + 1;
                let mut first = true;
                while j < chars.len() && (first || chars[j] != ']') {
                    if chars[j] == '\\' {
                        j += 1;
                    }
                    first = false;
                    j += 1;
                }
                if chars.get(start + 1) == Some(&'!') {
                    out.push(chars[start..(j + 1).min(chars.len())].iter().collect());
                }
                i = j + 1;
            }
            _ => i += 1,
        }
    }
    out
}

/// `v1`, `v1beta1`, `v2alpha3`: an API version, not a group.
fn looks_like_version(s: &str) -> bool {
    let Some(rest) = s.strip_prefix('v') else {
        return false;
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return false;
    }
    let tail = &rest[digits..];
    tail.is_empty()
        || ["alpha", "beta"].iter().any(|w| {
            tail.strip_prefix(w)
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        })
}

/// A character a literal must not have, with why: API groups are lower-case DNS names,
/// kinds are letters, digits and `-`, namespaces are lower-case DNS labels, resource names
/// never hold `/`.
fn impossible_char(required: &[char], field: &str) -> Option<(char, String)> {
    let ok: fn(char) -> bool = match field {
        "group" => |c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-',
        "kind" => |c| c.is_ascii_alphanumeric() || c == '-',
        "namespace" => |c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-',
        _ => |c| c != '/',
    };
    let c = *required.iter().find(|c| !ok(**c))?;
    let what = match field {
        "group" => "API group names",
        "kind" => "kinds",
        "namespace" => "namespace names",
        _ => "resource names",
    };
    let why = if c.is_ascii_uppercase() {
        format!("{what} are lower case")
    } else if c.is_alphanumeric() || c == '-' {
        format!("{what} contain only ASCII letters, digits and '-'")
    } else {
        format!("{what} never contain {}", describe_char(c))
    };
    Some((c, why))
}

fn describe_char(c: char) -> String {
    if c.is_whitespace() {
        "whitespace".to_owned()
    } else {
        format!("'{c}'")
    }
}

/// Every well-formed pattern of an AppProject `spec` that cannot match what it is
/// written for (malformed ones are [`validate_project`]'s): braces and unparsable URLs in
/// `sourceRepos` (semantics §1.2), `[!x]`, braces and impossible characters in the
/// resource lists (`filepath.Match`, §1.1/§1.4), and namespace patterns no namespace name
/// can match.
pub fn ineffective_patterns(spec: &Json) -> Vec<IneffectivePattern> {
    let mut out = Vec::new();
    let Some(spec) = spec.as_object() else {
        return out;
    };
    source_repo_patterns(spec, &mut out);
    resource_patterns(spec, &mut out);
    namespace_patterns(spec, &mut out);
    out
}

fn source_repo_patterns(spec: &Map<String, Json>, out: &mut Vec<IneffectivePattern>) {
    let Some(list) = array_field(spec, "sourceRepos") else {
        return;
    };
    let mut seen = HashSet::new();
    for (i, v) in list.iter().enumerate() {
        let Some(entry) = v.as_str() else { continue };
        if entry == "!*" || !seen.insert(entry) {
            continue; // reported by validate_project
        }
        let (deny, body) = match entry.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, entry),
        };
        let normalized = crate::argo::repo_url::normalize_git_url(body);
        let does = if deny { "rejects" } else { "permits" };
        let pointer = format!("/spec/sourceRepos/{i}");
        if normalized.is_empty() && !body.trim().is_empty() {
            let why = if body.contains(['{', '}']) {
                "the braces make the URL unparsable".to_owned()
            } else {
                "Argo CD cannot parse it as a URL".to_owned()
            };
            out.push(IneffectivePattern {
                pointer,
                message: format!(
                    "sourceRepos entry '{entry}' normalises to an empty string ({why}), so it {does} only repository URLs that cannot be parsed either, never a real repository"
                ),
                help: if body.contains(['{', '}']) {
                    "Write one entry per host; sourceRepos has no brace alternation.".to_owned()
                } else {
                    "Write the URL as https://host/path or git@host:path (an ssh:// URL takes a / after the host, not a :).".to_owned()
                },
            });
        } else if body.contains(['{', '}']) && normalized.to_ascii_lowercase().contains("%7b") {
            out.push(IneffectivePattern {
                pointer,
                message: format!(
                    "sourceRepos entry '{entry}' uses braces, which URL normalisation percent-encodes ('{normalized}'), so '{{a,b}}' is not an alternation: the entry {does} only a URL with those literal characters"
                ),
                help: "List each repository as its own entry, or use a wildcard such as https://github.com/my-org/*.".to_owned(),
            });
        }
    }
}

fn resource_patterns(spec: &Map<String, Json>, out: &mut Vec<IneffectivePattern>) {
    for (list_name, named) in [
        ("clusterResourceWhitelist", true),
        ("clusterResourceBlacklist", true),
        ("namespaceResourceWhitelist", false),
        ("namespaceResourceBlacklist", false),
    ] {
        let Some(list) = array_field(spec, list_name) else {
            continue;
        };
        let fields: &[&str] = if named {
            &["group", "kind", "name"]
        } else {
            &["group", "kind"]
        };
        for (i, item) in object_items(list) {
            for field in fields {
                let Some(pattern) = item.get(*field).and_then(Json::as_str) else {
                    continue;
                };
                if filepath_match(pattern, "").is_err() {
                    continue; // malformed: validate_project reports it
                }
                let pointer = format!("/spec/{list_name}/{i}/{field}");
                if let Some(p) = resource_pattern(list_name, field, pattern) {
                    out.push(IneffectivePattern { pointer, ..p });
                }
            }
        }
    }
}

fn resource_pattern(list: &str, field: &str, pattern: &str) -> Option<IneffectivePattern> {
    let make = |message: String, help: String| {
        Some(IneffectivePattern {
            pointer: String::new(),
            message,
            help,
        })
    };
    if let Some(class) = bang_classes(pattern).first() {
        let members = &class[2..class.len().saturating_sub(1)];
        return make(
            format!(
                "{list} {field} pattern '{pattern}' uses '{class}', which filepath.Match does not negate: '!' is a member of the class, so '{class}' matches '!' and '{members}' instead of every other character"
            ),
            format!("Negate a class with '^' in filepath.Match: '[^{members}]'."),
        );
    }
    let required = required_literals(pattern, Syntax::FilepathMatch);
    if required.contains(&'{') || required.contains(&'}') {
        let never = if field == "name" {
            "only a name with those literal characters"
        } else {
            "nothing"
        };
        return make(
            format!(
                "{list} {field} pattern '{pattern}' uses braces, which filepath.Match treats as literal characters (it has no '{{a,b}}' alternation), so it matches {never}"
            ),
            "Write one list entry per value.".to_owned(),
        );
    }
    if field == "group" && looks_like_version(pattern) {
        return make(
            format!(
                "{list} group '{pattern}' is an API version, not an API group, so it matches no resource; the core group (ConfigMap, Secret, Namespace, ...) is ''"
            ),
            "Use group '' for core kinds, or the group part of apiVersion (apps for apps/v1)."
                .to_owned(),
        );
    }
    let (c, why) = impossible_char(&required, field)?;
    let help = if c == '/' && field == "group" {
        match pattern.split_once('/') {
            Some((group, _)) => format!("Write the group without the version: '{group}'."),
            None => "Write the group without the version.".to_owned(),
        }
    } else if field == "group" && c.is_ascii_uppercase() {
        format!(
            "Write the group in lower case: '{}'.",
            pattern.to_ascii_lowercase()
        )
    } else if field == "kind" && c == '.' {
        match pattern.split_once('.') {
            Some((kind, group)) => format!(
                "Put the group in 'group' ('{group}') and the kind alone in 'kind' ('{kind}')."
            ),
            None => "Put the group in 'group' and the kind alone in 'kind'.".to_owned(),
        }
    } else if field == "name" {
        "Name the resource itself (metadata.name), with * and ? as wildcards.".to_owned()
    } else {
        "Remove the characters no value can contain.".to_owned()
    };
    make(
        format!(
            "{list} {field} pattern '{pattern}' contains {}, but {why}, so it matches nothing",
            describe_char(c)
        ),
        help,
    )
}

/// Namespace patterns (gobwas): destinations (with `!`), sourceNamespaces (globs only),
/// sync windows.
fn namespace_patterns(spec: &Map<String, Json>, out: &mut Vec<IneffectivePattern>) {
    let mut check = |pointer: String, what: &str, pattern: &str, negatable: bool| {
        let (deny, body) = match pattern.strip_prefix('!') {
            Some(rest) if negatable => (true, rest),
            _ => (false, pattern),
        };
        if body == "*" || Glob::compile(body, &[]).is_err() {
            return;
        }
        let required = required_literals(body, Syntax::Gobwas);
        let Some((c, why)) = impossible_char(&required, "namespace") else {
            return;
        };
        let effect = if deny {
            "so this deny pattern never rejects anything and counts as a match for every namespace"
        } else {
            "so it matches no namespace"
        };
        let help = if c.is_ascii_uppercase() {
            format!(
                "Write the namespace in lower case: '{}'.",
                pattern.to_ascii_lowercase()
            )
        } else {
            "Remove the characters a namespace name cannot contain.".to_owned()
        };
        out.push(IneffectivePattern {
            pointer,
            message: format!(
                "{what} '{pattern}' contains {}, but {why}, {effect}",
                describe_char(c)
            ),
            help,
        });
    };
    if let Some(list) = array_field(spec, "destinations") {
        for (i, d) in object_items(list) {
            if let Some(ns) = d
                .get("namespace")
                .and_then(Json::as_str)
                .filter(|n| *n != "!*")
            {
                check(
                    format!("/spec/destinations/{i}/namespace"),
                    "destination namespace pattern",
                    ns,
                    true,
                );
            }
        }
    }
    if let Some(list) = array_field(spec, "sourceNamespaces") {
        for (i, v) in list.iter().enumerate() {
            let Some(ns) = v.as_str() else { continue };
            if !(ns.len() >= 2 && ns.starts_with('/') && ns.ends_with('/')) {
                check(
                    format!("/spec/sourceNamespaces/{i}"),
                    "sourceNamespaces pattern",
                    ns,
                    false,
                );
            }
        }
    }
    if let Some(list) = array_field(spec, "syncWindows") {
        for (i, w) in object_items(list) {
            for (j, v) in array_field(w, "namespaces")
                .into_iter()
                .flatten()
                .enumerate()
            {
                if let Some(ns) = v.as_str() {
                    check(
                        format!("/spec/syncWindows/{i}/namespaces/{j}"),
                        "sync window namespace pattern",
                        ns,
                        false,
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    //! Case tables ported from Argo CD's unit tests (inputs and expected results; the Rust
    //! is ours). Each test names its upstream function and counts its cases.
    use super::*;
    use serde_json::json;

    /// `newTestProject`: project `my-proj`, role `my-role`, one empty destination.
    fn base() -> Json {
        json!({ "roles": [{ "name": "my-role" }], "destinations": [{}] })
    }

    fn problems(spec: &Json) -> Vec<ProjectProblem> {
        validate_project("my-proj", spec)
    }

    fn ok(spec: &Json) -> bool {
        problems(spec).is_empty()
    }

    fn set(spec: &mut Json, pointer: &str, value: Json) {
        if let Some(slot) = spec.pointer_mut(pointer) {
            *slot = value;
        } else {
            panic!("no {pointer} in {spec}");
        }
    }

    /// `TestAppProject_ValidateSources`: 2 cases.
    #[test]
    fn upstream_validate_sources() {
        let mut spec = base();
        assert!(ok(&spec));
        spec["sourceRepos"] = json!(["!*"]);
        let p = problems(&spec);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].pointer, "/spec/sourceRepos/0");
        assert_eq!(
            p[0].message,
            "source repository has an invalid format, '!*'"
        );
        spec["sourceRepos"] = json!(["foo", "foo"]);
        let p = problems(&spec);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].pointer, "/spec/sourceRepos/1");
        assert_eq!(p[0].message, "source repository 'foo' already added");
    }

    /// `TestAppProject_ValidateDestinations`: 13 checks, mutating one destination in turn.
    #[test]
    fn upstream_validate_destinations() {
        let mut spec = base();
        let mut checks = 0;
        let mut expect = |spec: &Json, valid: bool| {
            checks += 1;
            assert_eq!(ok(spec), valid, "{spec}: {:?}", problems(spec));
        };
        set(&mut spec, "/destinations/0", json!({ "namespace": "!*" }));
        expect(&spec, false);
        assert_eq!(problems(&spec)[0].pointer, "/spec/destinations/0/namespace");
        assert_eq!(
            problems(&spec)[0].message,
            "namespace has an invalid format, '!*'"
        );
        for ns in ["*", "some-namespace"] {
            set(&mut spec, "/destinations/0/namespace", json!(ns));
            expect(&spec, true);
        }
        spec["destinations"][0]["server"] = json!("!*");
        expect(&spec, false);
        for server in ["*", "some-server"] {
            set(&mut spec, "/destinations/0/server", json!(server));
            expect(&spec, true);
        }
        spec["destinations"][0]["name"] = json!("!*");
        expect(&spec, false);
        for name in ["*", "some-name"] {
            set(&mut spec, "/destinations/0/name", json!(name));
            expect(&spec, true);
        }
        let valid = json!({ "server": "some-server", "namespace": "some-namespace" });
        spec["destinations"] = json!([valid]);
        expect(&spec, true);
        spec["destinations"] = json!([valid, valid]);
        expect(&spec, false);
        assert_eq!(
            problems(&spec)[0].message,
            "destination 'some-server/some-namespace' already added"
        );
        spec["destinations"] = json!([
            { "name": "cluster1", "namespace": "some-namespace" },
            { "name": "cluster2", "namespace": "some-namespace" }
        ]);
        expect(&spec, true);
        spec["sourceNamespaces"] = json!(["argocd", "argocd"]);
        expect(&spec, false);
        assert_eq!(checks, 13);
        assert_eq!(
            problems(&spec)[0].message,
            "source namespace 'argocd' already added"
        );
    }

    /// `TestAppProject_ValidateRoleName`: 10 bad and 2 good names.
    #[test]
    fn upstream_validate_role_name() {
        let bad = [
            "", " ", "my role", "my, role", "my,role", "my\nrole", "my\rrole", "my:role",
            "my-role-", "-my-role",
        ];
        let good = ["MY-ROLE", "1MY-ROLE1"];
        assert_eq!(bad.len() + good.len(), 12);
        for name in bad {
            let mut spec = base();
            set(&mut spec, "/roles/0/name", json!(name));
            let p = problems(&spec);
            assert_eq!(p.len(), 1, "{name:?}");
            assert_eq!(p[0].pointer, "/spec/roles/0/name");
            assert!(
                p[0].message
                    .starts_with(&format!("invalid role name '{name}'"))
            );
        }
        for name in good {
            let mut spec = base();
            set(&mut spec, "/roles/0/name", json!(name));
            assert!(ok(&spec), "{name}");
        }
    }

    /// `TestAppProject_ValidateGroupName`: 8 bad and 2 good groups.
    #[test]
    fn upstream_validate_group_name_in_project() {
        let bad = [
            "",
            " ",
            "my, group",
            "my,group",
            "my\ngroup",
            "my\rgroup",
            " my:group",
            "my:group ",
        ];
        let good = ["mygroup", "my:group"];
        assert_eq!(bad.len() + good.len(), 10);
        for g in bad {
            let mut spec = base();
            spec["roles"][0]["groups"] = json!([g]);
            let p = problems(&spec);
            assert_eq!(p.len(), 1, "{g:?}");
            assert_eq!(p[0].pointer, "/spec/roles/0/groups/0");
            assert_eq!(p[0].kind, ProblemKind::Spec);
        }
        for g in good {
            let mut spec = base();
            spec["roles"][0]["groups"] = json!([g]);
            assert!(ok(&spec), "{g}");
        }
    }

    /// `Test_validateGroupName`: 17 cases.
    #[test]
    fn upstream_validate_group_name() {
        let rows = [
            ("\"", false),
            ("\"\"", false),
            ("foo", true),
            ("\"foo,bar,baz\"", true),
            ("\"foo\"", true),
            ("  \"foo\" ", false),
            ("", false),
            ("\"\"", false),
            ("foo,bar,baz", false),
            ("\"foo,bar,baz", false),
            ("foo,bar,baz\"", false),
            ("foo,bar\",baz", false),
            ("\"foo,\"bar,baz\"", false),
            ("foo\nbar", false),
            ("\"foo\nbar\"", false),
            ("\"foo", false),
            ("foo\"", false),
        ];
        assert_eq!(rows.len(), 17);
        for (g, valid) in rows {
            assert_eq!(validate_group_name(g).is_ok(), valid, "{g:?}");
        }
        assert_eq!(
            validate_group_name("a,b").err().as_deref(),
            Some("group 'a,b' must be quoted")
        );
    }

    fn window() -> Json {
        json!({ "kind": "allow", "schedule": "* * * * *", "duration": "1h", "applications": ["app1"] })
    }

    /// `TestAppProject_ValidateSyncWindowList`: 2 cases (a working window; a null window is skipped).
    #[test]
    fn upstream_validate_sync_window_list() {
        let mut spec = base();
        spec["syncWindows"] = json!([window()]);
        assert!(ok(&spec));
        spec["syncWindows"] = json!([window(), null]);
        assert!(ok(&spec));
    }

    /// `TestSyncWindow_Validate`: 4 cases.
    #[test]
    fn upstream_sync_window_validate() {
        let run = |w: Json| {
            let mut spec = base();
            spec["syncWindows"] = json!([w]);
            problems(&spec)
        };
        assert!(run(window()).is_empty());
        let mut w = window();
        w["kind"] = json!("wrong");
        let p = run(w.clone());
        assert_eq!(
            p[0].message,
            "kind 'wrong' mismatch: can only be allow or deny"
        );
        assert_eq!(p[0].pointer, "/spec/syncWindows/0/kind");
        w["kind"] = json!("allow");
        w["schedule"] = json!("* * *");
        let p = run(w.clone());
        assert_eq!(
            p[0].message,
            "cannot parse schedule '* * *': expected exactly 5 fields, found 3: [* * *]"
        );
        w["schedule"] = json!("* * * * *");
        w["duration"] = json!("1000days");
        let p = run(w);
        assert_eq!(
            p[0].message,
            "cannot parse duration '1000days': time: unknown unit \"days\" in duration \"1000days\""
        );
    }

    /// Sync-window rules of `ValidateProject` beyond `Validate` (semantics §1.8).
    #[test]
    fn sync_window_project_rules() {
        let mut spec = base();
        let mut bare = window();
        bare.as_object_mut().map(|o| o.remove("applications"));
        spec["syncWindows"] = json!([bare]);
        let p = problems(&spec);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].pointer, "/spec/syncWindows/0");
        assert_eq!(
            p[0].message,
            "window 'allow':'* * * * *':'1h' requires one of application, cluster or namespace"
        );
        // Duplicates by identity: manualSync and description do not count, timeZone does.
        let mut other = window();
        other["manualSync"] = json!(true);
        other["description"] = json!("again");
        spec["syncWindows"] = json!([window(), other.clone()]);
        let p = problems(&spec);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].pointer, "/spec/syncWindows/1");
        assert_eq!(
            p[0].message,
            "window 'allow':'* * * * *':'1h' already exists, update or edit"
        );
        other["timeZone"] = json!("Europe/Paris");
        spec["syncWindows"] = json!([window(), other]);
        assert!(ok(&spec));
        // Description length, glob syntax.
        let mut w = window();
        w["description"] = json!("x".repeat(256));
        w["namespaces"] = json!(["team-[a"]);
        spec["syncWindows"] = json!([w]);
        let p = problems(&spec);
        assert_eq!(p.len(), 2, "{p:?}");
        assert_eq!(p[0].pointer, "/spec/syncWindows/0/description");
        assert_eq!(p[1].pointer, "/spec/syncWindows/0/namespaces/0");
        let mut w = window();
        w["description"] = json!("é".repeat(255));
        spec["syncWindows"] = json!([w]);
        assert!(ok(&spec));
    }

    /// `TestAppProject_InvalidPolicyRules`: 18 rows (fragments of the current messages).
    #[test]
    fn upstream_invalid_policy_rules() {
        let rows = [
            (
                "g, proj:my-proj:my-role, applications, get, my-proj/*, allow",
                "must be of the form: 'p, sub, res, act, obj, eft'",
            ),
            (
                "p, not, enough, parts",
                "must be of the form: 'p, sub, res, act, obj, eft'",
            ),
            (
                "p, has, too, many, parts, to, split",
                "must be of the form: 'p, sub, res, act, obj, eft'",
            ),
            (
                "p, , applications, get, my-proj/*, allow",
                "policy subject must be: 'proj:my-proj:my-role'",
            ),
            (
                "p, proj:my-proj, applications, get, my-proj/*, allow",
                "policy subject must be: 'proj:my-proj:my-role'",
            ),
            (
                "p, proj:my-proj:, applications, get, my-proj/*, allow",
                "policy subject must be: 'proj:my-proj:my-role'",
            ),
            (
                "p, ::, applications, get, my-proj/*, allow",
                "policy subject must be: 'proj:my-proj:my-role'",
            ),
            (
                "p, proj:different-my-proj:my-role, applications, get, my-proj/*, allow",
                "policy subject must be: 'proj:my-proj:my-role'",
            ),
            (
                "p, proj:my-proj:my-role, , get, my-proj/*, allow",
                "resource must be: 'applications'",
            ),
            (
                "p, proj:my-proj:my-role, applicationz, get, my-proj/*, allow",
                "resource must be: 'applications'",
            ),
            (
                "p, proj:my-proj:my-role, projects, get, my-proj, allow",
                "resource must be: 'applications'",
            ),
            (
                "p, proj:my-proj:my-role, applications, , my-proj/*, allow",
                "invalid action",
            ),
            (
                "p, proj:my-proj:my-role, applications, foo, my-proj/*, allow",
                "invalid action",
            ),
            (
                "p, proj:my-proj:my-role, applications, get, my-proj/, allow",
                "object must be of form",
            ),
            (
                "p, proj:my-proj:my-role, applications, get, /, allow",
                "object must be of form",
            ),
            (
                "p, proj:my-proj:my-role, applications, get, different-my-proj/*, allow",
                "object must be of form",
            ),
            (
                "p, proj:my-proj:my-role, applications, get, my-proj/*, ",
                "effect must be: 'allow' or 'deny'",
            ),
            (
                "p, proj:my-proj:my-role, applications, get, my-proj/*, foo",
                "effect must be: 'allow' or 'deny'",
            ),
        ];
        assert_eq!(rows.len(), 18);
        for (policy, fragment) in rows {
            let mut spec = base();
            spec["roles"][0]["policies"] = json!([policy]);
            let p = problems(&spec);
            assert_eq!(p.len(), 1, "{policy}");
            assert_eq!(p[0].kind, ProblemKind::RolePolicy);
            assert_eq!(p[0].pointer, "/spec/roles/0/policies/0");
            assert!(
                p[0].message.contains(fragment),
                "{policy}: {}",
                p[0].message
            );
            assert!(
                p[0].message
                    .starts_with(&format!("invalid policy rule '{policy}'"))
            );
        }
    }

    /// `TestAppProject_ValidPolicyRules`: 19 rows.
    #[test]
    fn upstream_valid_policy_rules() {
        let rows = [
            "p,proj:my-proj:my-role,applications,get,my-proj/*,allow",
            "p, proj:my-proj:my-role, applications, get, my-proj/*, allow",
            "p, proj:my-proj:my-role, applications, get, my-proj/*, deny",
            "p, proj:my-proj:my-role, applications, get, my-proj/foo, allow",
            "p, proj:my-proj:my-role, applications, get, my-proj/*-foo, allow",
            "p, proj:my-proj:my-role, applications, get, my-proj/foo-*, allow",
            "p, proj:my-proj:my-role, applications, get, my-proj/*-*, allow",
            "p, proj:my-proj:my-role, applications, get, my-proj/*.*, allow",
            "p, proj:my-proj:my-role, applications, *, my-proj/foo, allow",
            "p, proj:my-proj:my-role, applications, create, my-proj/foo, allow",
            "p, proj:my-proj:my-role, applications, update, my-proj/foo, allow",
            "p, proj:my-proj:my-role, applications, update/*, my-proj/foo, allow",
            "p, proj:my-proj:my-role, applications, update/*/Pod/*, my-proj/foo, allow",
            "p, proj:my-proj:my-role, applications, sync, my-proj/foo, allow",
            "p, proj:my-proj:my-role, applications, delete, my-proj/foo, allow",
            "p, proj:my-proj:my-role, applications, delete/*, my-proj/foo, allow",
            "p, proj:my-proj:my-role, applications, delete/*/Pod/*, my-proj/foo, allow",
            "p, proj:my-proj:my-role, applications, action/*, my-proj/foo, allow",
            "p, proj:my-proj:my-role, applications, action/apps/Deployment/restart, my-proj/foo, allow",
        ];
        assert_eq!(rows.len(), 19);
        for policy in rows {
            let mut spec = base();
            spec["roles"][0]["policies"] = json!([policy]);
            assert!(ok(&spec), "{policy}: {:?}", problems(&spec));
        }
    }

    /// `Test_isValidPolicyObject`: 10 rows.
    #[test]
    fn upstream_is_valid_policy_object() {
        let rows = [
            ("some-project/*", true),
            ("some-project/some-application", true),
            ("some-project/*/*", true),
            ("some-project/*/some-application", true),
            ("some-project/some-namespace/*", true),
            ("some-project/some-name*/some-application", true),
            ("some-project/some-namespace/some-app*", true),
            ("some-project/some-namespace/some-application", true),
            ("some-project/some~namespace/some-application", false),
            ("some-project/some-namespace/some^application", false),
        ];
        assert_eq!(rows.len(), 10);
        for (object, valid) in rows {
            assert_eq!(is_valid_object("some-project", object), valid, "{object}");
        }
        assert!(!is_valid_object("some-project", "some-project/a/b/c"));
        assert!(!is_valid_object(
            "some-project",
            "some-project/https://github.com/x"
        ));
    }

    /// `Test_validatePolicy_projIsNotRegex` (3) and `Test_validatePolicy_ValidResource` (6).
    #[test]
    fn upstream_validate_policy_direct() {
        assert!(
            validate_policy(
                "some.project",
                "org-admin",
                "p, proj:some.project:org-admin, applications, *, some-project/*, allow"
            )
            .is_err()
        );
        assert!(
            validate_policy(
                "some.project",
                "org-admin",
                "p, proj:some.project:org-admin, applications, *, some.project/*, allow"
            )
            .is_ok()
        );
        assert!(
            validate_policy(
                "some-project",
                "org-admin",
                "p, proj:some-project:org-admin, applications, *, some-project/*, allow"
            )
            .is_ok()
        );
        let rows = [
            ("applications", true),
            ("repositories", true),
            ("clusters", true),
            ("exec", true),
            ("logs", true),
            ("unknown", false),
        ];
        assert_eq!(rows.len(), 6);
        for (res, valid) in rows {
            let policy = format!("p, proj:some-project:org-admin, {res}, *, some-project/*, allow");
            assert_eq!(
                validate_policy("some-project", "org-admin", &policy).is_ok(),
                valid,
                "{res}"
            );
        }
        // Only spaces are trimmed; `applicationsets` and unanchored action regexps pass.
        assert!(validate_policy("p", "r", "p,\tproj:p:r, applications, get, p/*, allow").is_err());
        assert!(validate_policy("p", "r", "p, proj:p:r, applicationsets, get, p/*, allow").is_ok());
        assert!(
            validate_policy("p", "r", "p, proj:p:r, applications, xaction/y, p/*, allow").is_ok()
        );
    }

    /// Duplicates inside a role, and every problem reported, not just the first.
    #[test]
    fn reports_every_problem() {
        let spec = json!({
            "sourceRepos": ["!*", "https://a/b", "https://a/b"],
            "roles": [
                { "name": "ci", "policies": [
                    "p, proj:my-proj:ci, applications, get, my-proj/*, allow",
                    "p, proj:my-proj:ci, applications, get, my-proj/*, allow",
                    "p, proj:my-proj:ci, applications, fly, my-proj/*, allow"
                ], "groups": ["team", "team"] },
                { "name": "ci" }
            ]
        });
        let got: Vec<(String, ProblemKind)> = problems(&spec)
            .into_iter()
            .map(|p| (p.pointer, p.kind))
            .collect();
        assert_eq!(
            got,
            vec![
                ("/spec/sourceRepos/0".to_owned(), ProblemKind::Spec),
                ("/spec/sourceRepos/2".to_owned(), ProblemKind::Spec),
                (
                    "/spec/roles/0/policies/1".to_owned(),
                    ProblemKind::RolePolicy
                ),
                (
                    "/spec/roles/0/policies/2".to_owned(),
                    ProblemKind::RolePolicy
                ),
                ("/spec/roles/0/groups/1".to_owned(), ProblemKind::Spec),
                ("/spec/roles/1/name".to_owned(), ProblemKind::Spec),
            ]
        );
    }

    /// `destinationServiceAccounts` validation (semantics §1.6: the upstream test's
    /// expectations as the notes record them): 7 cases.
    #[test]
    fn destination_service_accounts() {
        let run = |d: Json| {
            let mut spec = base();
            spec["destinationServiceAccounts"] = json!([d]);
            problems(&spec)
        };
        let sa = |s: &str, n: &str, a: &str| json!({ "server": s, "namespace": n, "defaultServiceAccount": a });
        assert!(run(sa("https://kubernetes.default.svc", "", "deployer")).is_empty());
        assert_eq!(
            run(sa("!https://x", "ns", "a"))[0].message,
            "server has an invalid format, '!https://x'"
        );
        assert_eq!(
            run(sa("*", "te!st", "a"))[0].pointer,
            "/spec/destinationServiceAccounts/0/namespace"
        );
        assert_eq!(
            run(sa("*", "ns", " "))[0].message,
            "defaultServiceAccount has an invalid format, ' '"
        );
        assert_eq!(
            run(sa("*", "ns", "sa/x"))[0].pointer,
            "/spec/destinationServiceAccounts/0/defaultServiceAccount"
        );
        assert!(
            run(sa("[[ech*", "ns", "a"))[0]
                .message
                .starts_with("server has an invalid format, '[[ech*'")
        );
        let mut spec = base();
        spec["destinationServiceAccounts"] = json!([sa("*", "ns", "a"), sa("*", "ns", "b")]);
        assert_eq!(
            problems(&spec)[0].message,
            "destinationServiceAccount '*/ns' already added"
        );
    }

    /// Pattern syntax in the other lists.
    #[test]
    fn bad_patterns() {
        let mut spec = base();
        spec["destinations"] = json!([{ "server": "https://[", "namespace": "!team-[a" }]);
        spec["namespaceResourceBlacklist"] = json!([{ "group": "apps", "kind": "Deploy[" }]);
        spec["sourceNamespaces"] = json!(["team-[a", "/team-[0-9]+/"]);
        let got: Vec<String> = problems(&spec).into_iter().map(|p| p.pointer).collect();
        assert_eq!(
            got,
            vec![
                "/spec/destinations/0/server",
                "/spec/destinations/0/namespace",
                "/spec/sourceNamespaces/0",
                "/spec/namespaceResourceBlacklist/0/kind",
            ]
        );
    }

    /// PRJ010 analyses.
    #[test]
    fn ineffective() {
        let spec = json!({
            "sourceRepos": [
                "https://github.com/org/{a,b}",
                "!https://{github,gitlab}.com/org/*",
                "ssh://git@github.com:org/repo",
                "https://GitHub.com/Org/*",
                "https://github.com/org/*",
                "!*"
            ],
            "namespaceResourceWhitelist": [
                { "group": "apps", "kind": "[!D]*" },
                { "group": "apps", "kind": "{Deployment,StatefulSet}" },
                { "group": "v1", "kind": "ConfigMap" },
                { "group": "apps/v1", "kind": "Deployment" },
                { "group": "", "kind": "Deployment.apps" },
                { "group": "Apps", "kind": "Deployment" },
                { "group": "*", "kind": "[^D]*" },
                { "group": "", "kind": "[" }
            ],
            "clusterResourceWhitelist": [
                { "group": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "system:*" },
                { "group": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "team/*" }
            ],
            "destinations": [
                { "server": "*", "namespace": "Prod" },
                { "server": "*", "namespace": "!Kube-System" },
                { "server": "*", "namespace": "team-[A-Z]" },
                { "server": "*", "namespace": "!*" }
            ],
            "sourceNamespaces": ["Team-*", "/^Team/"],
            "syncWindows": [{ "namespaces": ["prod.eu"] }]
        });
        let got: Vec<String> = ineffective_patterns(&spec)
            .into_iter()
            .map(|p| p.pointer)
            .collect();
        assert_eq!(
            got,
            vec![
                "/spec/sourceRepos/0",
                "/spec/sourceRepos/1",
                "/spec/sourceRepos/2",
                "/spec/clusterResourceWhitelist/1/name",
                "/spec/namespaceResourceWhitelist/0/kind",
                "/spec/namespaceResourceWhitelist/1/kind",
                "/spec/namespaceResourceWhitelist/2/group",
                "/spec/namespaceResourceWhitelist/3/group",
                "/spec/namespaceResourceWhitelist/4/kind",
                "/spec/namespaceResourceWhitelist/5/group",
                "/spec/destinations/0/namespace",
                "/spec/destinations/1/namespace",
                "/spec/sourceNamespaces/0",
                "/spec/syncWindows/0/namespaces/0",
            ]
        );
        let all = ineffective_patterns(&spec);
        assert!(
            all[4].message.contains("matches '!' and 'D'"),
            "{}",
            all[4].message
        );
        assert!(all[7].help.contains("'apps'"), "{}", all[7].help);
        assert!(
            all[11].message.contains("never rejects"),
            "{}",
            all[11].message
        );
    }

    #[test]
    fn literal_scanning() {
        assert_eq!(
            required_literals("a[bc]d*e?", Syntax::Gobwas),
            vec!['a', 'd', 'e']
        );
        assert_eq!(required_literals("a{b,c}d", Syntax::Gobwas), vec!['a', 'd']);
        assert_eq!(
            required_literals("a{b,c}d", Syntax::FilepathMatch),
            vec!['a', '{', 'b', ',', 'c', '}', 'd']
        );
        assert_eq!(
            required_literals("\\*x[]a]", Syntax::FilepathMatch),
            vec!['*', 'x']
        );
        assert_eq!(bang_classes("[!D]*"), vec!["[!D]".to_owned()]);
        assert!(bang_classes("[^D]*").is_empty());
        assert!(looks_like_version("v1") && looks_like_version("v2beta1"));
        assert!(!looks_like_version("velero.io") && !looks_like_version("v1beta"));
    }

    /// robfig/cron v3 `Parser.Parse` with Minute | Hour | Dom | Month | Dow.
    #[test]
    fn cron_schedules() {
        let valid = [
            "* * * * *",
            "0 22 * * *",
            "*/15 9-17 * * 1-5",
            "0 0 1 jan *",
            "0 0 * * MON-FRI",
            "30 2 ? * sun",
            "5/10 * * * *",
            "0,30 * * * *",
            "0 0 1,15 * *",
            "0 0 * JAN-DEC *",
            "TZ=Europe/Paris 0 9 * * *",
            "CRON_TZ=UTC 0 9 * * *",
            ",5 * * * *",
            "*-5 * * * *",
            "+5 * * * *",
            "0 0 31 12 6",
        ];
        for s in valid {
            assert_eq!(cron::parse(s), Ok(()), "{s}");
        }
        let invalid = [
            ("", "empty spec string"),
            ("@daily", "parser does not accept descriptors: @daily"),
            (
                "0 0 * * * *",
                "expected exactly 5 fields, found 6: [0 0 * * * *]",
            ),
            ("60 * * * *", "end of range (60) above maximum (59): 60"),
            ("* * 0 * *", "beginning of range (0) below minimum (1): 0"),
            ("* * * * 7", "end of range (7) above maximum (6): 7"),
            ("* * * 13 *", "end of range (13) above maximum (12): 13"),
            (
                "* 5-2 * * *",
                "beginning of range (5) beyond end of range (2): 5-2",
            ),
            (
                "*/0 * * * *",
                "step of range should be a positive number: */0",
            ),
            ("1-2-3 * * * *", "too many hyphens: 1-2-3"),
            ("*/2/3 * * * *", "too many slashes: */2/3"),
            (
                "x * * * *",
                "failed to parse int from x: strconv.Atoi: parsing \"x\": invalid syntax",
            ),
            (
                "-5 * * * *",
                "failed to parse int from : strconv.Atoi: parsing \"\": invalid syntax",
            ),
            (
                "* * * * monday",
                "failed to parse int from monday: strconv.Atoi: parsing \"monday\": invalid syntax",
            ),
            (
                "99999999999999999999 * * * *",
                "failed to parse int from 99999999999999999999: strconv.Atoi: parsing \"99999999999999999999\": value out of range",
            ),
        ];
        for (s, msg) in invalid {
            assert_eq!(cron::parse(s).err().as_deref(), Some(msg), "{s}");
        }
        assert!(cron::parse("TZ=UTC").is_err());
    }
}
