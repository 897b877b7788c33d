//! AppProject permission checks as Argo CD evaluates them (semantics notes §1.1–§1.6):
//! which repositories, destinations, resource kinds, Application namespaces and
//! impersonated service accounts a project allows.
//!
//! [`ProjectSpec`] is a lenient, plain view of an AppProject's `spec` built from JSON.
//! Every entry remembers where it came from ([`Origin`]): its index in the YAML list as
//! written, or the project-scoped Secret (or built-in default) that added it at run time,
//! so a rule can put a label on the entry that decided.
//!
//! Each check returns which entry decided, not just a boolean:
//! - [`Decision`] for sources, destinations and Application namespaces: `permitted` plus a
//!   [`Reason`] naming the entry (`Allowed`, `NotRejected`, `Rejected`) or why no entry
//!   decided (`NoMatch`, `NotProjectScopedCluster`, `ControlPlaneNamespace`);
//! - [`ResourceDecision`] for resource kinds: the whitelist outcome and the blacklist
//!   entry, each on its own, because both can fail at once;
//! - [`ServiceAccount`] (or an [`ImpersonationError`]) for sync impersonation.
//!
//! The functions mirror `pkg/apis/application/v1alpha1/app_project_types.go`
//! (`IsSourcePermitted`, `IsDestinationPermitted`/`isDestinationMatched`,
//! `IsGroupKindNamePermitted`, `IsAppNamespacePermitted`), `util/argo/argo.go`
//! (`GetAppProjectByName`) and `util/settings/impersonation.go`
//! (`DeriveServiceAccountToImpersonate`). They know nothing of diagnostics or spans.

use crate::argo::glob::{self, ListMatch};
use crate::argo::path_match::filepath_match;
use crate::argo::repo_url::normalize_git_url;
use serde_json::{Map, Value as Json};
use std::fmt;

/// Where an entry of a project list comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Origin {
    /// `spec.<list>[i]` as written: `i` is the index in the YAML list (entries Argo CD
    /// cannot read are skipped, but the others keep their original index).
    Spec(usize),
    /// Appended at run time from the i-th project-scoped repository Secret passed to
    /// [`ProjectSpec::add_scoped_repository`] (no YAML node in the AppProject).
    ScopedRepository(usize),
    /// Appended at run time from the i-th project-scoped cluster Secret passed to
    /// [`ProjectSpec::add_scoped_cluster`] (no YAML node in the AppProject).
    ScopedCluster(usize),
    /// The i-th entry of the built-in `default` project ([`ProjectSpec::default_project`]).
    BuiltIn(usize),
}

impl Origin {
    /// The index in the AppProject's YAML list, when the entry is written there.
    pub fn spec_index(self) -> Option<usize> {
        match self {
            Origin::Spec(i) => Some(i),
            _ => None,
        }
    }
}

/// One entry of a project list and where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item<T> {
    pub origin: Origin,
    pub value: T,
}

/// `ApplicationDestination` as a project destination pattern. Absent fields are `""`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Destination {
    pub server: String,
    pub name: String,
    pub namespace: String,
}

/// An item of a resource white/blacklist. `name` exists only in the cluster lists
/// (v3.3+); in the namespaced lists (`metav1.GroupKind`) it is always `""`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResourceItem {
    pub group: String,
    pub kind: String,
    pub name: String,
}

/// `ApplicationDestinationServiceAccount`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DestinationServiceAccount {
    pub server: String,
    pub namespace: String,
    pub default_service_account: String,
}

/// The parts of an AppProject spec that decide permissions.
///
/// Lists where Argo CD treats absent and empty differently are `Option`s (`None` =
/// absent or `null`). Only `namespaceResourceWhitelist` really differs (absent allows
/// every namespaced kind, `[]` allows none); the other resource lists are `Option`s too
/// so that a message can say "absent" or "empty".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProjectSpec {
    pub source_repos: Vec<Item<String>>,
    pub destinations: Vec<Item<Destination>>,
    pub cluster_resource_whitelist: Option<Vec<Item<ResourceItem>>>,
    pub cluster_resource_blacklist: Option<Vec<Item<ResourceItem>>>,
    pub namespace_resource_whitelist: Option<Vec<Item<ResourceItem>>>,
    pub namespace_resource_blacklist: Option<Vec<Item<ResourceItem>>>,
    pub source_namespaces: Vec<Item<String>>,
    pub destination_service_accounts: Vec<Item<DestinationServiceAccount>>,
    pub permit_only_project_scoped_clusters: bool,
}

/// A string field of a JSON object; `""` when absent, `null` or not a string (Go's zero value).
pub(crate) fn str_field(o: &Map<String, Json>, key: &str) -> String {
    o.get(key).and_then(Json::as_str).unwrap_or("").to_owned()
}

/// The array at `key`, `None` when absent, `null` or not an array.
pub(crate) fn array_field<'a>(o: &'a Map<String, Json>, key: &str) -> Option<&'a Vec<Json>> {
    o.get(key).and_then(Json::as_array)
}

/// The string entries of a list with their original indices; other entries are skipped.
pub(crate) fn string_items(list: &[Json]) -> Vec<Item<String>> {
    list.iter()
        .enumerate()
        .filter_map(|(i, v)| {
            v.as_str().map(|s| Item {
                origin: Origin::Spec(i),
                value: s.to_owned(),
            })
        })
        .collect()
}

/// The object entries of a list with their original indices; other entries are skipped.
pub(crate) fn object_items(list: &[Json]) -> impl Iterator<Item = (usize, &Map<String, Json>)> {
    list.iter()
        .enumerate()
        .filter_map(|(i, v)| v.as_object().map(|o| (i, o)))
}

fn resource_list(
    spec: &Map<String, Json>,
    key: &str,
    named: bool,
) -> Option<Vec<Item<ResourceItem>>> {
    let list = array_field(spec, key)?;
    Some(
        object_items(list)
            .map(|(i, o)| Item {
                origin: Origin::Spec(i),
                value: ResourceItem {
                    group: str_field(o, "group"),
                    kind: str_field(o, "kind"),
                    name: if named {
                        str_field(o, "name")
                    } else {
                        String::new()
                    },
                },
            })
            .collect(),
    )
}

impl ProjectSpec {
    /// Reads an AppProject `spec` (the JSON of the object's `spec`) leniently: a field of
    /// the wrong type behaves as absent, a list entry of the wrong type is skipped.
    pub fn from_json(spec: &Json) -> ProjectSpec {
        let empty = Map::new();
        let spec = spec.as_object().unwrap_or(&empty);
        let strings = |key: &str| {
            array_field(spec, key)
                .map(|l| string_items(l))
                .unwrap_or_default()
        };
        ProjectSpec {
            source_repos: strings("sourceRepos"),
            destinations: array_field(spec, "destinations")
                .map(|l| {
                    object_items(l)
                        .map(|(i, o)| Item {
                            origin: Origin::Spec(i),
                            value: Destination {
                                server: str_field(o, "server"),
                                name: str_field(o, "name"),
                                namespace: str_field(o, "namespace"),
                            },
                        })
                        .collect()
                })
                .unwrap_or_default(),
            cluster_resource_whitelist: resource_list(spec, "clusterResourceWhitelist", true),
            cluster_resource_blacklist: resource_list(spec, "clusterResourceBlacklist", true),
            namespace_resource_whitelist: resource_list(spec, "namespaceResourceWhitelist", false),
            namespace_resource_blacklist: resource_list(spec, "namespaceResourceBlacklist", false),
            source_namespaces: strings("sourceNamespaces"),
            destination_service_accounts: array_field(spec, "destinationServiceAccounts")
                .map(|l| {
                    object_items(l)
                        .map(|(i, o)| Item {
                            origin: Origin::Spec(i),
                            value: DestinationServiceAccount {
                                server: str_field(o, "server"),
                                namespace: str_field(o, "namespace"),
                                default_service_account: str_field(o, "defaultServiceAccount"),
                            },
                        })
                        .collect()
                })
                .unwrap_or_default(),
            permit_only_project_scoped_clusters: spec
                .get("permitOnlyProjectScopedClusters")
                .and_then(Json::as_bool)
                .unwrap_or(false),
        }
    }

    /// The project argocd-server creates when `default` is missing
    /// (`server/server.go initializeDefaultProject`, semantics §1.4): every source, every
    /// destination, every cluster-scoped kind, and (no namespaced lists) every namespaced kind.
    pub fn default_project() -> ProjectSpec {
        ProjectSpec {
            source_repos: vec![Item {
                origin: Origin::BuiltIn(0),
                value: "*".to_owned(),
            }],
            destinations: vec![Item {
                origin: Origin::BuiltIn(0),
                value: Destination {
                    server: "*".to_owned(),
                    name: String::new(),
                    namespace: "*".to_owned(),
                },
            }],
            cluster_resource_whitelist: Some(vec![Item {
                origin: Origin::BuiltIn(0),
                value: ResourceItem {
                    group: "*".to_owned(),
                    kind: "*".to_owned(),
                    name: String::new(),
                },
            }]),
            ..ProjectSpec::default()
        }
    }

    /// Appends a project-scoped repository (a repository Secret with `project: <this
    /// project>`) to `sourceRepos`, as `GetAppProjectByName` does at run time. `secret` is
    /// the caller's index for that Secret, returned in [`Origin::ScopedRepository`].
    pub fn add_scoped_repository(&mut self, url: &str, secret: usize) {
        self.source_repos.push(Item {
            origin: Origin::ScopedRepository(secret),
            value: url.to_owned(),
        });
    }

    /// Appends the implicit destinations of a project-scoped cluster (a cluster Secret
    /// with `project: <this project>`), as `GetAppProjectByName` does: one
    /// `{server, namespace}` per namespace of the cluster's `namespaces` list, or
    /// `{server, namespace: '*'}` when that list is empty.
    pub fn add_scoped_cluster(&mut self, server: &str, namespaces: &[&str], secret: usize) {
        let mut push = |ns: &str| {
            self.destinations.push(Item {
                origin: Origin::ScopedCluster(secret),
                value: Destination {
                    server: server.to_owned(),
                    name: String::new(),
                    namespace: ns.to_owned(),
                },
            });
        };
        if namespaces.is_empty() {
            push("*");
        } else {
            for ns in namespaces {
                push(ns);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Decisions.

/// Why a source, destination or Application namespace is permitted or not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// An allow entry (no `!`) matched.
    Allowed(Origin),
    /// Only deny entries decided: a deny entry that does not reject the value counts as a
    /// match in Argo CD, so the value is permitted because nothing rejects it.
    NotRejected(Origin),
    /// A deny entry rejected the value.
    Rejected(Origin),
    /// No entry matched (an empty or absent list permits nothing).
    NoMatch,
    /// The destination matched this entry, but `permitOnlyProjectScopedClusters` is set
    /// and the cluster is not one of the project's scoped clusters.
    NotProjectScopedCluster(Origin),
    /// The Application lives in the control-plane namespace (or has none): always permitted.
    ControlPlaneNamespace,
}

/// The outcome of a permission check: the verdict and the entry that decided it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    pub permitted: bool,
    pub reason: Reason,
}

impl Decision {
    /// The entry that decided, if one did.
    pub fn entry(&self) -> Option<Origin> {
        match self.reason {
            Reason::Allowed(o)
            | Reason::NotRejected(o)
            | Reason::Rejected(o)
            | Reason::NotProjectScopedCluster(o) => Some(o),
            Reason::NoMatch | Reason::ControlPlaneNamespace => None,
        }
    }
}

fn is_deny(pattern: &str) -> bool {
    pattern.starts_with('!')
}

/// The first allow match, else the first "not rejected" match, else no match.
fn verdict(first_allow: Option<Origin>, first_not_rejected: Option<Origin>) -> Decision {
    match (first_allow, first_not_rejected) {
        (Some(o), _) => Decision {
            permitted: true,
            reason: Reason::Allowed(o),
        },
        (None, Some(o)) => Decision {
            permitted: true,
            reason: Reason::NotRejected(o),
        },
        (None, None) => Decision {
            permitted: false,
            reason: Reason::NoMatch,
        },
    }
}

/// `sourceRepos` entry as Argo CD compares it: normalised, with a deny `!` kept in front.
pub fn normalize_source_pattern(entry: &str) -> String {
    match entry.strip_prefix('!') {
        Some(rest) => format!("!{}", normalize_git_url(rest)),
        None => normalize_git_url(entry),
    }
}

/// `AppProject.IsSourcePermitted` (semantics §1.2). Both sides go through
/// `NormalizeGitURL`; entries are gobwas globs with `/` as separator; a bare `*` matches
/// everything; a `!` entry rejects what it matches, and one that does not match counts as
/// a match, so a list of deny entries only permits everything they do not reject.
pub fn is_source_permitted(spec: &ProjectSpec, repo_url: &str) -> Decision {
    let src = normalize_git_url(repo_url);
    let mut first_allow = None;
    let mut first_not_rejected = None;
    for item in &spec.source_repos {
        let pattern = normalize_source_pattern(&item.value);
        let matched = glob::glob_match(&pattern, &src, true, &['/']);
        if matched {
            if is_deny(&pattern) {
                first_not_rejected.get_or_insert(item.origin);
            } else {
                first_allow.get_or_insert(item.origin);
            }
        } else if is_deny(&pattern) {
            return Decision {
                permitted: false,
                reason: Reason::Rejected(item.origin),
            };
        }
    }
    verdict(first_allow, first_not_rejected)
}

/// `AppProject.isDestinationMatched` (semantics §1.3), entry by entry. The destination is
/// the resolved cluster (both its name and server) and the namespace.
fn destination_matched(spec: &ProjectSpec, name: &str, server: &str, namespace: &str) -> Decision {
    let mut first_allow = None;
    let mut first_not_rejected = None;
    for item in &spec.destinations {
        let d = &item.value;
        let name_matched = !name.is_empty() && glob::glob_match(&d.name, name, true, &[]);
        let server_matched = !server.is_empty() && glob::glob_match(&d.server, server, true, &[]);
        let ns_matched = glob::glob_match(&d.namespace, namespace, true, &[]);
        if (server_matched || name_matched) && ns_matched {
            if is_deny(&d.name) || is_deny(&d.server) || is_deny(&d.namespace) {
                first_not_rejected.get_or_insert(item.origin);
            } else {
                first_allow.get_or_insert(item.origin);
            }
            continue;
        }
        // Go precedence: `A || (B && C)`. A negated name rejects whatever the namespace
        // (asymmetry 1, and with an empty cluster name it rejects everything); a negated
        // server rejects only where the namespace pattern matches.
        let rejects = (!name_matched && is_deny(&d.name))
            || (!server_matched && is_deny(&d.server) && ns_matched)
            // A negated namespace rejects only where the server matched (not the name).
            || (!ns_matched && is_deny(&d.namespace) && server_matched);
        if rejects {
            return Decision {
                permitted: false,
                reason: Reason::Rejected(item.origin),
            };
        }
    }
    verdict(first_allow, first_not_rejected)
}

/// `AppProject.IsDestinationPermitted` (semantics §1.3): `isDestinationMatched`, then,
/// with `permitOnlyProjectScopedClusters`, the cluster must be one of the project's
/// scoped clusters (`project_clusters`: their `(name, server)`), compared by equal name or
/// equal server.
///
/// `cluster_name` and `cluster_server` are the resolved cluster's (the controller always
/// fills both); pass `""` for a half that is unknown, knowing that an empty name makes a
/// negated `name` pattern reject every destination.
pub fn is_destination_permitted(
    spec: &ProjectSpec,
    cluster_name: &str,
    cluster_server: &str,
    namespace: &str,
    project_clusters: &[(&str, &str)],
) -> Decision {
    let decision = destination_matched(spec, cluster_name, cluster_server, namespace);
    if decision.permitted && spec.permit_only_project_scoped_clusters {
        let scoped = project_clusters
            .iter()
            .any(|(name, server)| *name == cluster_name || *server == cluster_server);
        if !scoped {
            return Decision {
                permitted: false,
                reason: match decision.entry() {
                    Some(o) => Reason::NotProjectScopedCluster(o),
                    None => Reason::NoMatch,
                },
            };
        }
    }
    decision
}

/// `AppProject.IsAppNamespacePermitted` (semantics §1.5): an Application in the
/// control-plane namespace (or with none) is always permitted; otherwise some
/// `sourceNamespaces` entry must match (`/…/` = regexp, anything else = glob).
pub fn is_app_namespace_permitted(
    spec: &ProjectSpec,
    app_namespace: Option<&str>,
    control_plane_namespace: &str,
) -> Decision {
    let ns = app_namespace.unwrap_or("");
    if ns.is_empty() || ns == control_plane_namespace {
        return Decision {
            permitted: true,
            reason: Reason::ControlPlaneNamespace,
        };
    }
    for item in &spec.source_namespaces {
        if glob::match_string_in_list(&[item.value.as_str()], ns, ListMatch::Regexp) {
            return Decision {
                permitted: true,
                reason: Reason::Allowed(item.origin),
            };
        }
    }
    Decision {
        permitted: false,
        reason: Reason::NoMatch,
    }
}

// ---------------------------------------------------------------------------------------
// Resource kinds.

/// How the applicable whitelist judged a resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WhitelistOutcome {
    /// Namespaced kind and no `namespaceResourceWhitelist`: every namespaced kind is whitelisted.
    AllowAll,
    /// Whitelisted by this entry (the first that matches).
    Matched(Origin),
    /// The whitelist is absent (cluster-scoped kinds then are never whitelisted).
    Absent,
    /// The whitelist is present but empty: nothing is whitelisted.
    Empty,
    /// No entry of the (non-empty) whitelist matches.
    NoMatch,
}

impl WhitelistOutcome {
    pub fn is_whitelisted(self) -> bool {
        matches!(
            self,
            WhitelistOutcome::AllowAll | WhitelistOutcome::Matched(_)
        )
    }
}

/// The outcome of [`is_group_kind_name_permitted`]: permitted = whitelisted and not
/// blacklisted. Both halves are reported because both can fail at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResourceDecision {
    pub permitted: bool,
    pub whitelist: WhitelistOutcome,
    /// The first blacklist entry that matches (the blacklist always wins).
    pub blacklisted_by: Option<Origin>,
}

/// `isResourceInList` / `isNamedResourceInList`: `filepath.Match` on kind and group (a
/// malformed pattern is no match), and for cluster lists on the name unless it is empty.
fn first_in_list(
    list: &[Item<ResourceItem>],
    group: &str,
    kind: &str,
    name: &str,
    named: bool,
) -> Option<Origin> {
    let m = |pattern: &str, value: &str| filepath_match(pattern, value).unwrap_or(false);
    list.iter()
        .find(|item| {
            let it = &item.value;
            m(&it.kind, kind)
                && m(&it.group, group)
                && (!named || it.name.is_empty() || m(&it.name, name))
        })
        .map(|item| item.origin)
}

/// `AppProject.IsGroupKindNamePermitted` (semantics §1.4). `namespaced` comes from API
/// discovery (or a built-in table / the CRD's `spec.scope` offline); `name` is the
/// resource's `metadata.name`, checked only against the cluster lists' `name` patterns.
pub fn is_group_kind_name_permitted(
    spec: &ProjectSpec,
    group: &str,
    kind: &str,
    name: &str,
    namespaced: bool,
) -> ResourceDecision {
    let (white, black) = if namespaced {
        (
            &spec.namespace_resource_whitelist,
            &spec.namespace_resource_blacklist,
        )
    } else {
        (
            &spec.cluster_resource_whitelist,
            &spec.cluster_resource_blacklist,
        )
    };
    let whitelist = match white {
        None if namespaced => WhitelistOutcome::AllowAll,
        None => WhitelistOutcome::Absent,
        Some(list) if list.is_empty() => WhitelistOutcome::Empty,
        Some(list) => match first_in_list(list, group, kind, name, !namespaced) {
            Some(o) => WhitelistOutcome::Matched(o),
            None => WhitelistOutcome::NoMatch,
        },
    };
    let blacklisted_by = black
        .as_deref()
        .and_then(|list| first_in_list(list, group, kind, name, !namespaced));
    ResourceDecision {
        permitted: whitelist.is_whitelisted() && blacklisted_by.is_none(),
        whitelist,
        blacklisted_by,
    }
}

// ---------------------------------------------------------------------------------------
// Sync impersonation.

/// Characters a `defaultServiceAccount` must not contain (`serviceAccountDisallowedCharSet`).
pub const SERVICE_ACCOUNT_DISALLOWED_CHARS: &[char] = &['!', '*', '[', ']', '{', '}', '\\', '/'];

/// Whether Argo CD refuses a `defaultServiceAccount`: blank (spaces only) or holding one
/// of `!*[]{}\/`.
pub fn is_invalid_service_account(sa: &str) -> bool {
    sa.trim_matches(' ').is_empty() || sa.contains(SERVICE_ACCOUNT_DISALLOWED_CHARS)
}

/// The user a sync impersonates, and the `destinationServiceAccounts` entry that chose it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceAccount {
    /// `system:serviceaccount:<namespace>:<name>`.
    pub user: String,
    pub entry: Origin,
}

/// Why `DeriveServiceAccountToImpersonate` fails (the sync then fails). `Display` gives
/// Argo CD's text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImpersonationError {
    InvalidServerGlob { entry: Origin, error: String },
    InvalidNamespaceGlob { entry: Origin, error: String },
    InvalidServiceAccount { entry: Origin, value: String },
}

impl ImpersonationError {
    pub fn entry(&self) -> Origin {
        match self {
            ImpersonationError::InvalidServerGlob { entry, .. }
            | ImpersonationError::InvalidNamespaceGlob { entry, .. }
            | ImpersonationError::InvalidServiceAccount { entry, .. } => *entry,
        }
    }
}

impl fmt::Display for ImpersonationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImpersonationError::InvalidServerGlob { error, .. } => {
                write!(f, "invalid glob pattern for destination server: {error}")
            }
            ImpersonationError::InvalidNamespaceGlob { error, .. } => {
                write!(f, "invalid glob pattern for destination namespace: {error}")
            }
            ImpersonationError::InvalidServiceAccount { value, .. } => {
                write!(
                    f,
                    "default service account contains invalid chars '{value}'"
                )
            }
        }
    }
}

/// `DeriveServiceAccountToImpersonate` (semantics §1.6): the first
/// `destinationServiceAccounts` entry whose `server` glob matches the resolved cluster
/// server and whose `namespace` glob matches the Application's raw
/// `spec.destination.namespace`. A `defaultServiceAccount` with `:` is already
/// `<namespace>:<name>`; otherwise the namespace is the destination namespace, or the
/// Application's own namespace when that is empty. `Ok(None)`: no entry matches (no
/// impersonation, unless it is enforced).
pub fn derive_service_account(
    spec: &ProjectSpec,
    server: &str,
    dest_namespace: &str,
    app_namespace: &str,
) -> Result<Option<ServiceAccount>, ImpersonationError> {
    let sa_namespace = if dest_namespace.is_empty() {
        app_namespace
    } else {
        dest_namespace
    };
    for item in &spec.destination_service_accounts {
        let d = &item.value;
        let server_matched = glob::match_with_error(&d.server, server, &[]).map_err(|e| {
            ImpersonationError::InvalidServerGlob {
                entry: item.origin,
                error: e.to_string(),
            }
        })?;
        let ns_matched =
            glob::match_with_error(&d.namespace, dest_namespace, &[]).map_err(|e| {
                ImpersonationError::InvalidNamespaceGlob {
                    entry: item.origin,
                    error: e.to_string(),
                }
            })?;
        if server_matched && ns_matched {
            let sa = &d.default_service_account;
            if is_invalid_service_account(sa) {
                return Err(ImpersonationError::InvalidServiceAccount {
                    entry: item.origin,
                    value: sa.clone(),
                });
            }
            let user = if sa.contains(':') {
                format!("system:serviceaccount:{sa}")
            } else {
                format!("system:serviceaccount:{sa_namespace}:{sa}")
            };
            return Ok(Some(ServiceAccount {
                user,
                entry: item.origin,
            }));
        }
    }
    Ok(None)
}

// ---------------------------------------------------------------------------------------
// Whole-project analyses built on the checks above (used by PRJ009 and SEC004).

/// Repository URLs no project pattern is likely to name, in the three forms Argo CD
/// meets (HTTPS, scp-like SSH, OCI).
pub const PROBE_REPOS: [&str; 3] = [
    "https://kubectl-gitops-probe.invalid/probe/repo",
    "git@kubectl-gitops-probe.invalid:probe/repo.git",
    "oci://kubectl-gitops-probe.invalid/probe/chart",
];

/// A cluster (name, server) and namespace no project pattern is likely to name.
pub const PROBE_DESTINATION: (&str, &str, &str) = (
    "kubectl-gitops-probe",
    "https://kubectl-gitops-probe.invalid",
    "kubectl-gitops-probe",
);

/// The in-cluster destination's most sensitive namespace.
pub const IN_CLUSTER_KUBE_SYSTEM: (&str, &str, &str) = (
    "in-cluster",
    "https://kubernetes.default.svc",
    "kube-system",
);

/// Cluster-scoped resources a wide-open project lets through, and one of an unknown group.
pub const PROBE_CLUSTER_RESOURCES: [(&str, &str, &str); 4] = [
    ("", "Namespace", "kube-system"),
    (
        "rbac.authorization.k8s.io",
        "ClusterRoleBinding",
        "cluster-admin",
    ),
    (
        "apiextensions.k8s.io",
        "CustomResourceDefinition",
        "probes.kubectl-gitops-probe.invalid",
    ),
    ("kubectl-gitops-probe.invalid", "Probe", "probe"),
];

/// `sourceRepos` holds entries and all of them are deny (`!`) entries, and a repository
/// none of them names is permitted (semantics §1.2: a deny entry that does not match
/// counts as a match). Only the entries written in the spec are considered.
pub fn is_deny_only_sources(spec: &ProjectSpec) -> bool {
    let written: Vec<&Item<String>> = spec
        .source_repos
        .iter()
        .filter(|i| i.origin.spec_index().is_some())
        .collect();
    !written.is_empty()
        && written.iter().all(|i| is_deny(&i.value))
        && is_source_permitted(spec, PROBE_REPOS[0]).permitted
}

/// `sourceRepos` mixes allow entries with deny (`!`) entries, and a repository none of
/// them names is permitted, not by an allow entry but because a deny entry that does not
/// match counts as a match (`IsSourcePermitted` sets `anySourceMatched` for it). The
/// allow entries then restrict nothing: the list behaves as if it held only its deny
/// entries. A list with an allow-all entry (`*`) is not reported: it permits everything on
/// purpose.
pub fn deny_entries_open_sources(spec: &ProjectSpec) -> bool {
    let written: Vec<&Item<String>> = spec
        .source_repos
        .iter()
        .filter(|i| i.origin.spec_index().is_some())
        .collect();
    written.iter().any(|i| is_deny(&i.value))
        && written.iter().any(|i| !is_deny(&i.value))
        && PROBE_REPOS.iter().all(|probe| {
            matches!(
                is_source_permitted(spec, probe).reason,
                Reason::NotRejected(_)
            )
        })
}

/// `destinations` mixes allow entries with deny entries, and a destination none of them
/// names is permitted only because a deny entry that does not apply counts as an allow
/// (semantics §1.3).
pub fn deny_entries_open_destinations(spec: &ProjectSpec) -> bool {
    let written: Vec<&Item<Destination>> = spec
        .destinations
        .iter()
        .filter(|i| i.origin.spec_index().is_some())
        .collect();
    let deny = |d: &Destination| is_deny(&d.name) || is_deny(&d.server) || is_deny(&d.namespace);
    let (name, server, ns) = PROBE_DESTINATION;
    written.iter().any(|i| deny(&i.value))
        && written.iter().any(|i| !deny(&i.value))
        && matches!(
            is_destination_permitted(spec, name, server, ns, &[]).reason,
            Reason::NotRejected(_)
        )
}

/// `destinations` holds entries, every one of them has a deny (`!`) field, and a
/// destination none of them names is permitted (semantics §1.3: a deny entry that does
/// not apply counts as an allow).
pub fn is_deny_only_destinations(spec: &ProjectSpec) -> bool {
    let written: Vec<&Item<Destination>> = spec
        .destinations
        .iter()
        .filter(|i| i.origin.spec_index().is_some())
        .collect();
    let (name, server, ns) = PROBE_DESTINATION;
    !written.is_empty()
        && written.iter().all(|i| {
            is_deny(&i.value.name) || is_deny(&i.value.server) || is_deny(&i.value.namespace)
        })
        && is_destination_permitted(spec, name, server, ns, &[]).permitted
}

/// The entries that let everything through in a wide-open project.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WideOpen {
    pub source: Origin,
    pub destination: Origin,
    pub cluster_resource: Origin,
}

/// Whether the project permits every source, every destination and every cluster-scoped
/// resource, as the built-in `default` project does (SEC004). Judged with the permission
/// checks on probe values no pattern is likely to name: the three [`PROBE_REPOS`], the
/// [`PROBE_DESTINATION`] and `kube-system` on the in-cluster server (no project-scoped
/// clusters, so `permitOnlyProjectScopedClusters` closes the project), and the
/// [`PROBE_CLUSTER_RESOURCES`]. Each must be permitted; the entries that permitted the
/// first probe of each kind are returned.
pub fn wide_open(spec: &ProjectSpec) -> Option<WideOpen> {
    let mut source = None;
    for url in PROBE_REPOS {
        let d = is_source_permitted(spec, url);
        if !d.permitted {
            return None;
        }
        source = source.or(d.entry());
    }
    let mut destination = None;
    for (name, server, ns) in [PROBE_DESTINATION, IN_CLUSTER_KUBE_SYSTEM] {
        let d = is_destination_permitted(spec, name, server, ns, &[]);
        if !d.permitted {
            return None;
        }
        destination = destination.or(d.entry());
    }
    let mut cluster_resource = None;
    for (group, kind, name) in PROBE_CLUSTER_RESOURCES {
        let d = is_group_kind_name_permitted(spec, group, kind, name, false);
        if !d.permitted {
            return None;
        }
        if let WhitelistOutcome::Matched(o) = d.whitelist {
            cluster_resource = cluster_resource.or(Some(o));
        }
    }
    Some(WideOpen {
        source: source?,
        destination: destination?,
        cluster_resource: cluster_resource?,
    })
}

#[cfg(test)]
mod tests {
    //! Case tables ported from Argo CD's unit tests (inputs and expected results; the Rust
    //! is ours). Each table names its upstream test function and counts its rows.
    use super::*;
    use serde_json::json;

    fn project(spec: Json) -> ProjectSpec {
        ProjectSpec::from_json(&spec)
    }

    fn sources(list: &[&str]) -> ProjectSpec {
        project(json!({ "sourceRepos": list }))
    }

    /// `TestAppProject_IsSourcePermitted`: 12 rows.
    #[test]
    fn upstream_is_source_permitted() {
        let rows: &[(&[&str], &str, bool)] = &[
            (&["*"], "https://github.com/argoproj/test.git", true),
            (
                &["https://github.com/argoproj/test.git"],
                "https://github.com/argoproj/test.git",
                true,
            ),
            (
                &["ssh://git@GITHUB.com:argoproj/test"],
                "ssh://git@github.com:argoproj/test",
                true,
            ),
            (
                &["https://github.com/argoproj/*"],
                "https://github.com/argoproj/argoproj.git",
                true,
            ),
            (
                &[
                    "https://github.com/test1/test.git",
                    "https://github.com/test2/test.git",
                ],
                "https://github.com/test2/test.git",
                true,
            ),
            (
                &["https://github.com/argoproj/test1.git"],
                "https://github.com/argoproj/test2.git",
                false,
            ),
            (
                &["https://github.com/argoproj/*.git"],
                "https://github.com/argoproj1/test2.git",
                false,
            ),
            (
                &["https://github.com/argoproj/foo"],
                "https://github.com/argoproj/foo1",
                false,
            ),
            (
                &["https://gitlab.com/group/*"],
                "https://gitlab.com/group/repo/owner",
                false,
            ),
            (
                &["https://gitlab.com/group/*/*"],
                "https://gitlab.com/group/repo/owner",
                true,
            ),
            (
                &["https://gitlab.com/group/*/*/*"],
                "https://gitlab.com/group/sub-group/repo/owner",
                true,
            ),
            (
                &["https://gitlab.com/group/**"],
                "https://gitlab.com/group/sub-group/repo/owner",
                true,
            ),
        ];
        assert_eq!(rows.len(), 12);
        for (list, url, want) in rows {
            assert_eq!(
                is_source_permitted(&sources(list), url).permitted,
                *want,
                "{list:?} {url}"
            );
        }
    }

    /// `TestAppProject_IsNegatedSourcePermitted`: 11 rows.
    #[test]
    fn upstream_is_negated_source_permitted() {
        let rows: &[(&[&str], &str, bool)] = &[
            (
                &["!https://github.com/argoproj/test.git"],
                "https://github.com/argoproj/test.git",
                false,
            ),
            (
                &["!ssh://git@GITHUB.com:argoproj/test"],
                "ssh://git@github.com:argoproj/test",
                false,
            ),
            (
                &["!https://github.com/argoproj/*"],
                "https://github.com/argoproj/argoproj.git",
                false,
            ),
            (
                &[
                    "https://github.com/test1/test.git",
                    "!https://github.com/test2/test.git",
                ],
                "https://github.com/test2/test.git",
                false,
            ),
            (
                &["!https://github.com/argoproj/foo*"],
                "https://github.com/argoproj/foo1",
                false,
            ),
            (
                &["!https://gitlab.com/group/*/*"],
                "https://gitlab.com/group/repo/owner",
                false,
            ),
            (
                &["!https://gitlab.com/group/*/*/*"],
                "https://gitlab.com/group/sub-group/repo/owner",
                false,
            ),
            (
                &["!https://gitlab.com/group/**"],
                "https://gitlab.com/group/sub-group/repo/owner",
                false,
            ),
            (&["*"], "https://github.com/argoproj/test.git", true),
            (
                &["https://github.com/argoproj/test1.git", "*"],
                "https://github.com/argoproj/test2.git",
                true,
            ),
            (
                &["!https://github.com/argoproj/*.git", "*"],
                "https://github.com/argoproj1/test2.git",
                true,
            ),
        ];
        assert_eq!(rows.len(), 11);
        for (list, url, want) in rows {
            assert_eq!(
                is_source_permitted(&sources(list), url).permitted,
                *want,
                "{list:?} {url}"
            );
        }
    }

    /// Which entry decided, and the deny-only quirk (semantics §1.2).
    #[test]
    fn source_decisions_name_the_entry() {
        let p = sources(&["!https://github.com/evil/*"]);
        let d = is_source_permitted(&p, "https://gitlab.com/x/y");
        assert_eq!(d.reason, Reason::NotRejected(Origin::Spec(0)));
        assert!(d.permitted);
        let d = is_source_permitted(&p, "https://github.com/evil/repo");
        assert_eq!(d.reason, Reason::Rejected(Origin::Spec(0)));

        let p = sources(&["!https://github.com/evil/*", "https://github.com/*/*"]);
        let d = is_source_permitted(&p, "https://github.com/good/repo");
        assert_eq!(d.reason, Reason::Allowed(Origin::Spec(1)));

        assert_eq!(
            is_source_permitted(&sources(&[]), "https://x/y").reason,
            Reason::NoMatch
        );
        assert!(!is_source_permitted(&project(json!({})), "https://x/y").permitted);

        // Case: both sides are lower-cased; `.git` is dropped.
        let p = sources(&["https://GitHub.com/Org/Repo.GIT"]);
        assert!(is_source_permitted(&p, "https://github.com/org/repo").permitted);
        // A non-string entry is skipped; the others keep their index.
        let p = project(json!({ "sourceRepos": [5, "https://github.com/org/repo"] }));
        assert_eq!(
            is_source_permitted(&p, "https://github.com/org/repo").reason,
            Reason::Allowed(Origin::Spec(1))
        );
    }

    fn dest(server: &str, name: &str, namespace: &str) -> Json {
        json!({ "server": server, "name": name, "namespace": namespace })
    }

    fn destinations(list: Vec<Json>) -> ProjectSpec {
        project(json!({ "destinations": list }))
    }

    /// `(project destinations, app server, app name, app namespace, permitted)`.
    type DestRow = (Vec<Json>, &'static str, &'static str, &'static str, bool);

    fn check_dest_rows(rows: &[DestRow]) {
        for (list, server, name, ns, want) in rows {
            let p = destinations(list.clone());
            let got = is_destination_permitted(&p, name, server, ns, &[]);
            assert_eq!(
                got.permitted, *want,
                "{list:?} -> {server}|{name}|{ns}: {got:?}"
            );
        }
    }

    const IN_CLUSTER: &str = "https://kubernetes.default.svc";

    /// `(destination, app server, app name, project clusters, permitted)`.
    type ScopedRow = (
        Json,
        &'static str,
        &'static str,
        Vec<(&'static str, &'static str)>,
        bool,
    );
    /// `(server, namespace, defaultServiceAccount)`.
    type Account = (&'static str, &'static str, &'static str);
    /// `(accounts, destination namespace, app namespace, user or error fragment)`.
    type ImpersonationRow = (
        Vec<Account>,
        &'static str,
        &'static str,
        Result<&'static str, &'static str>,
    );

    /// `TestAppProject_IsDestinationPermitted`: 11 rows (the Application destination sets
    /// either the server or the name, as the upstream rows do).
    #[test]
    fn upstream_is_destination_permitted() {
        let rows: Vec<DestRow> = vec![
            (
                vec![dest(IN_CLUSTER, "", "default")],
                IN_CLUSTER,
                "",
                "default",
                true,
            ),
            (
                vec![dest(IN_CLUSTER, "", "default")],
                IN_CLUSTER,
                "",
                "kube-system",
                false,
            ),
            (
                vec![dest("https://my-cluster", "", "default")],
                IN_CLUSTER,
                "",
                "default",
                false,
            ),
            (
                vec![dest(IN_CLUSTER, "", "*")],
                IN_CLUSTER,
                "",
                "kube-system",
                true,
            ),
            (
                vec![dest("https://*.default.svc", "", "default")],
                IN_CLUSTER,
                "",
                "default",
                true,
            ),
            (
                vec![dest("https://team1-*", "", "default")],
                "https://test2-dev-cluster",
                "",
                "default",
                false,
            ),
            (
                vec![dest(IN_CLUSTER, "", "test-*")],
                IN_CLUSTER,
                "",
                "test-foo",
                true,
            ),
            (
                vec![dest(IN_CLUSTER, "", "test-*")],
                IN_CLUSTER,
                "",
                "test",
                false,
            ),
            (vec![dest("*", "", "*")], IN_CLUSTER, "", "test", true),
            (vec![dest("", "test", "*")], "", "test", "test", true),
            (vec![dest("", "test2", "*")], "", "test", "test", false),
        ];
        assert_eq!(rows.len(), 11);
        check_dest_rows(&rows);
    }

    /// `TestAppProject_IsNegatedDestinationPermitted`: 18 rows. The expected results are
    /// those of the current `isDestinationMatched` (semantics §1.3, PR #20045): a negated
    /// server rejects only where the namespace pattern also matches, a negated namespace
    /// only where the server matched. Row 16 is `false` in the v2.x table (where a deny
    /// entry rejected regardless of the other field); with the current rules the
    /// `{*, !kube-system}` entry permits `default` and no entry rejects it. The other 17
    /// rows keep their upstream result.
    #[test]
    fn upstream_is_negated_destination_permitted() {
        let deny_three = || {
            vec![
                dest("*", "", "*"),
                dest("!https://kubernetes.default.svc", "", "kube-system"),
                dest("*", "", "!kube-system"),
            ]
        };
        let rows: Vec<DestRow> = vec![
            (
                vec![dest("!https://kubernetes.default.svc", "", "default")],
                IN_CLUSTER,
                "",
                "default",
                false,
            ),
            (
                vec![dest(IN_CLUSTER, "", "!default")],
                IN_CLUSTER,
                "",
                "kube-system",
                true,
            ),
            (
                vec![dest("!https://my-cluster", "", "default")],
                IN_CLUSTER,
                "",
                "default",
                true,
            ),
            (
                vec![dest("!https://kubernetes.default.svc", "", "*")],
                IN_CLUSTER,
                "",
                "kube-system",
                false,
            ),
            (
                vec![dest("!https://*.default.svc", "", "default")],
                IN_CLUSTER,
                "",
                "default",
                false,
            ),
            (
                vec![dest("!https://team1-*", "", "default")],
                "https://test2-dev-cluster",
                "",
                "default",
                true,
            ),
            (
                vec![dest(IN_CLUSTER, "", "!test-*")],
                IN_CLUSTER,
                "",
                "test-foo",
                false,
            ),
            (
                vec![dest(IN_CLUSTER, "", "!test-*")],
                IN_CLUSTER,
                "",
                "test",
                true,
            ),
            (vec![dest("", "!test", "*")], "", "test", "test", false),
            (vec![dest("", "!test2", "*")], "", "test", "test", true),
            (
                vec![dest("*", "", "kube-system"), dest("*", "", "!kube-system")],
                IN_CLUSTER,
                "",
                "kube-system",
                false,
            ),
            (
                vec![dest("*", "", "*"), dest("*", "", "!kube-system")],
                IN_CLUSTER,
                "",
                "kube-system",
                false,
            ),
            (
                vec![
                    dest(IN_CLUSTER, "", "*"),
                    dest("!https://kubernetes.default.svc", "", "*"),
                ],
                IN_CLUSTER,
                "",
                "kube-system",
                false,
            ),
            (
                vec![
                    dest("*", "", "*"),
                    dest("!https://kubernetes.default.svc", "", "kube-system"),
                ],
                IN_CLUSTER,
                "",
                "kube-system",
                false,
            ),
            (deny_three(), IN_CLUSTER, "", "kube-system", false),
            (deny_three(), IN_CLUSTER, "", "default", true),
            (
                deny_three(),
                "https://test-dev-cluster",
                "",
                "kube-system",
                false,
            ),
            (
                vec![dest("", "test", "*"), dest("", "!test", "*")],
                "",
                "test",
                "test",
                false,
            ),
        ];
        assert_eq!(rows.len(), 18);
        check_dest_rows(&rows);
    }

    /// `TestAppProject_IsDestinationPermitted_PermitOnlyProjectScopedClusters`: 6 rows.
    #[test]
    fn upstream_permit_only_project_scoped_clusters() {
        let rows: Vec<ScopedRow> = vec![
            (
                dest("https://team1-*", "", "default"),
                "https://team1-something.com",
                "",
                vec![],
                false,
            ),
            (
                dest("https://my-cluster.123.com", "", "default"),
                "https://my-cluster.123.com",
                "",
                vec![("", "https://my-cluster.123.com")],
                true,
            ),
            (
                dest("https://my-cluster.123.com", "", "default"),
                "https://some-other-cluster.example.com",
                "",
                vec![("", "https://my-cluster.123.com")],
                false,
            ),
            (
                dest("", "some-server", "default"),
                "",
                "some-server",
                vec![],
                false,
            ),
            (
                dest("", "some-other-server", "default"),
                "",
                "some-other-server",
                vec![("some-other-server", "")],
                true,
            ),
            (
                dest("", "some-server", "default"),
                "",
                "some-other-server",
                vec![("some-server", "")],
                false,
            ),
        ];
        assert_eq!(rows.len(), 6);
        for (d, server, name, clusters, want) in rows {
            let p =
                project(json!({ "permitOnlyProjectScopedClusters": true, "destinations": [d] }));
            let got = is_destination_permitted(&p, name, server, "default", &clusters);
            assert_eq!(got.permitted, want, "{server}|{name}: {got:?}");
        }
        let p = project(
            json!({ "permitOnlyProjectScopedClusters": true, "destinations": [dest("*", "", "*")] }),
        );
        assert_eq!(
            is_destination_permitted(&p, "", "https://x", "ns", &[]).reason,
            Reason::NotProjectScopedCluster(Origin::Spec(0))
        );
    }

    /// The two asymmetries and the resolved-name trap (semantics §1.3).
    #[test]
    fn destination_asymmetries() {
        // Asymmetry 1: a negated name rejects whatever the namespace.
        let p = destinations(vec![dest("*", "", "*"), dest("", "!prod", "kube-system")]);
        let d = is_destination_permitted(&p, "prod", "https://prod", "default", &[]);
        assert_eq!(d.reason, Reason::Rejected(Origin::Spec(1)));
        // A negated server only where the namespace matches.
        let p = destinations(vec![
            dest("*", "", "*"),
            dest("!https://prod", "", "kube-system"),
        ]);
        assert!(is_destination_permitted(&p, "prod", "https://prod", "default", &[]).permitted);
        assert!(
            !is_destination_permitted(&p, "prod", "https://prod", "kube-system", &[]).permitted
        );
        // Asymmetry 2: with an empty name, a negated name rejects everything.
        let p = destinations(vec![dest("*", "", "*"), dest("", "!prod", "*")]);
        assert!(!is_destination_permitted(&p, "", "https://dev", "default", &[]).permitted);
        assert!(is_destination_permitted(&p, "dev", "https://dev", "default", &[]).permitted);
        // A negated namespace rejects only when the server matched, not the name.
        let p = destinations(vec![dest("", "dev", "*"), dest("", "dev", "!kube-system")]);
        assert!(is_destination_permitted(&p, "dev", "https://dev", "kube-system", &[]).permitted);
        // An empty destination namespace is permitted only by a pattern matching "".
        let p = destinations(vec![dest("*", "", "default")]);
        assert!(!is_destination_permitted(&p, "in-cluster", IN_CLUSTER, "", &[]).permitted);
        // A lone deny permits what it does not reject.
        let p = destinations(vec![dest("!https://my-cluster", "", "default")]);
        let d = is_destination_permitted(&p, "in-cluster", IN_CLUSTER, "default", &[]);
        assert_eq!(d.reason, Reason::NotRejected(Origin::Spec(0)));
        assert!(d.permitted);
        // Empty list: nothing.
        assert_eq!(
            is_destination_permitted(&destinations(vec![]), "a", "b", "c", &[]).reason,
            Reason::NoMatch
        );
    }

    /// Project-scoped repositories and clusters (GetAppProjectByName).
    #[test]
    fn scoped_entries_are_implicit() {
        let mut p = sources(&["https://github.com/team/*"]);
        p.add_scoped_repository("https://gitlab.com/team/extra.git", 3);
        let d = is_source_permitted(&p, "https://gitlab.com/team/extra");
        assert_eq!(d.reason, Reason::Allowed(Origin::ScopedRepository(3)));
        assert_eq!(d.entry().and_then(Origin::spec_index), None);

        let mut p = destinations(vec![]);
        p.add_scoped_cluster("https://prod", &[], 0);
        p.add_scoped_cluster("https://dev", &["team-a", "team-b"], 1);
        assert_eq!(p.destinations.len(), 3);
        assert!(is_destination_permitted(&p, "prod", "https://prod", "anything", &[]).permitted);
        assert_eq!(
            is_destination_permitted(&p, "dev", "https://dev", "team-b", &[]).reason,
            Reason::Allowed(Origin::ScopedCluster(1))
        );
        assert!(!is_destination_permitted(&p, "dev", "https://dev", "team-c", &[]).permitted);
    }

    fn gk(group: &str, kind: &str) -> Json {
        json!({ "group": group, "kind": kind })
    }

    /// `TestAppProject_IsGroupKindPermitted` (now `IsGroupKindNamePermitted`): 11
    /// assertions over 6 projects.
    #[test]
    fn upstream_is_group_kind_permitted() {
        let rows: Vec<(Json, &str, &str, bool, bool)> = vec![
            (
                json!({ "namespaceResourceWhitelist": [], "namespaceResourceBlacklist": [gk("apps", "Deployment")] }),
                "apps",
                "ReplicaSet",
                true,
                false,
            ),
            (
                json!({ "namespaceResourceWhitelist": [], "namespaceResourceBlacklist": [gk("apps", "Deployment")] }),
                "apps",
                "Deployment",
                true,
                false,
            ),
            (
                json!({ "namespaceResourceWhitelist": [gk("apps", "ReplicaSet")], "namespaceResourceBlacklist": [gk("apps", "Deployment")] }),
                "apps",
                "ReplicaSet",
                true,
                true,
            ),
            (
                json!({ "namespaceResourceWhitelist": [gk("apps", "ReplicaSet")], "namespaceResourceBlacklist": [gk("apps", "Deployment")] }),
                "apps",
                "Action",
                true,
                false,
            ),
            (
                json!({ "clusterResourceBlacklist": [gk("", "Namespace")] }),
                "",
                "Namespace",
                false,
                false,
            ),
            (
                json!({ "clusterResourceWhitelist": [gk("*", "*")], "clusterResourceBlacklist": [gk("*", "*")] }),
                "",
                "Namespace",
                false,
                false,
            ),
            (
                json!({ "clusterResourceWhitelist": [gk("*", "*")], "clusterResourceBlacklist": [gk("*", "*")] }),
                "apps",
                "Action",
                true,
                true,
            ),
            (
                json!({ "clusterResourceWhitelist": [], "namespaceResourceWhitelist": [gk("*", "*")] }),
                "",
                "Namespace",
                false,
                false,
            ),
            (
                json!({ "clusterResourceWhitelist": [], "namespaceResourceWhitelist": [gk("*", "*")] }),
                "apps",
                "Action",
                true,
                true,
            ),
            (json!({}), "", "Namespace", false, false),
            (json!({}), "apps", "Action", true, true),
        ];
        assert_eq!(rows.len(), 11);
        for (spec, group, kind, namespaced, want) in rows {
            let p = project(spec.clone());
            let got = is_group_kind_name_permitted(&p, group, kind, "x", namespaced);
            assert_eq!(got.permitted, want, "{spec} {group}/{kind}: {got:?}");
        }
    }

    /// Which half decided, `filepath.Match` semantics and cluster `name` (semantics §1.4).
    #[test]
    fn resource_decisions() {
        let p = project(json!({ "namespaceResourceWhitelist": [] }));
        assert_eq!(
            is_group_kind_name_permitted(&p, "apps", "Deployment", "x", true).whitelist,
            WhitelistOutcome::Empty
        );
        let p = project(json!({ "namespaceResourceWhitelist": null }));
        assert_eq!(
            is_group_kind_name_permitted(&p, "apps", "Deployment", "x", true).whitelist,
            WhitelistOutcome::AllowAll
        );
        let p = project(json!({}));
        assert_eq!(
            is_group_kind_name_permitted(&p, "", "Namespace", "x", false).whitelist,
            WhitelistOutcome::Absent
        );
        // Both halves fail at once.
        let p = project(json!({
            "clusterResourceWhitelist": [gk("rbac.authorization.k8s.io", "ClusterRole")],
            "clusterResourceBlacklist": [gk("*", "Namespace")]
        }));
        let d = is_group_kind_name_permitted(&p, "", "Namespace", "x", false);
        assert_eq!(d.whitelist, WhitelistOutcome::NoMatch);
        assert_eq!(d.blacklisted_by, Some(Origin::Spec(0)));
        // `[!D]` is not a negation in filepath.Match; braces are literal; `*` matches "".
        let p = project(json!({ "namespaceResourceWhitelist": [gk("*", "[!D]*")] }));
        assert!(is_group_kind_name_permitted(&p, "", "Deployment", "x", true).permitted);
        assert!(!is_group_kind_name_permitted(&p, "", "Service", "x", true).permitted);
        let p = project(
            json!({ "namespaceResourceWhitelist": [gk("apps", "{Deployment,StatefulSet}")] }),
        );
        assert!(!is_group_kind_name_permitted(&p, "apps", "Deployment", "x", true).permitted);
        let p = project(json!({ "namespaceResourceWhitelist": [gk("", "ConfigMap")] }));
        assert!(!is_group_kind_name_permitted(&p, "apps", "ConfigMap", "x", true).permitted);
        assert_eq!(
            is_group_kind_name_permitted(&p, "", "ConfigMap", "x", true).whitelist,
            WhitelistOutcome::Matched(Origin::Spec(0))
        );
        // Cluster `name`: empty means any; otherwise filepath.Match on the name. Namespaced
        // lists have no name (a `name` key is ignored).
        let p = project(json!({ "clusterResourceWhitelist": [
            { "group": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "team-*" },
            { "group": "", "kind": "Namespace" }
        ] }));
        assert!(
            is_group_kind_name_permitted(
                &p,
                "rbac.authorization.k8s.io",
                "ClusterRole",
                "team-a",
                false
            )
            .permitted
        );
        assert!(
            !is_group_kind_name_permitted(
                &p,
                "rbac.authorization.k8s.io",
                "ClusterRole",
                "admin",
                false
            )
            .permitted
        );
        assert!(is_group_kind_name_permitted(&p, "", "Namespace", "anything", false).permitted);
        let p = project(
            json!({ "namespaceResourceBlacklist": [{ "group": "", "kind": "Secret", "name": "nope" }] }),
        );
        assert_eq!(
            is_group_kind_name_permitted(&p, "", "Secret", "other", true).blacklisted_by,
            Some(Origin::Spec(0))
        );
        // A malformed pattern never matches.
        let p = project(json!({ "clusterResourceWhitelist": [gk("*", "[")] }));
        assert!(!is_group_kind_name_permitted(&p, "", "[", "x", false).permitted);
        // The default project.
        let p = ProjectSpec::default_project();
        let d = is_group_kind_name_permitted(&p, "", "Namespace", "x", false);
        assert_eq!(d.whitelist, WhitelistOutcome::Matched(Origin::BuiltIn(0)));
        assert!(is_group_kind_name_permitted(&p, "apps", "Deployment", "x", true).permitted);
        assert!(is_source_permitted(&p, "git@github.com:any/repo.git").permitted);
        assert!(
            is_destination_permitted(&p, "in-cluster", IN_CLUSTER, "kube-system", &[]).permitted
        );
    }

    /// `TestAppProjectIsSourceNamespacePermitted`: 10 assertions.
    #[test]
    fn upstream_is_app_namespace_permitted() {
        let ns = |list: &[&str]| project(json!({ "sourceNamespaces": list }));
        let rows: Vec<(ProjectSpec, Option<&str>, &str, bool)> = vec![
            (ns(&["other-ns"]), Some("argocd"), "argocd", true),
            (ns(&["other-ns"]), Some("some-ns"), "some-ns", true),
            (ns(&["other-ns"]), Some(""), "argocd", true),
            (ns(&[]), Some("argocd"), "argocd", true),
            (ns(&[]), Some("some-ns"), "argocd", false),
            (ns(&["some-ns"]), Some("some-ns"), "argocd", true),
            (ns(&["some-ns"]), Some("other-ns"), "argocd", false),
            (ns(&["some-*"]), Some("some-ns1"), "argocd", true),
            (ns(&["some-*"]), Some("some-ns2"), "argocd", true),
            (ns(&["some-*"]), Some("someotherns"), "argocd", false),
        ];
        assert_eq!(rows.len(), 10);
        for (p, app_ns, control, want) in rows {
            assert_eq!(
                is_app_namespace_permitted(&p, app_ns, control).permitted,
                want,
                "{app_ns:?} in {control}"
            );
        }
        let p = ns(&["team-a", "/^team-[0-9]+$/"]);
        assert_eq!(
            is_app_namespace_permitted(&p, Some("team-42"), "argocd").reason,
            Reason::Allowed(Origin::Spec(1))
        );
        assert_eq!(
            is_app_namespace_permitted(&p, None, "argocd").reason,
            Reason::ControlPlaneNamespace
        );
    }

    fn accounts(list: &[(&str, &str, &str)]) -> ProjectSpec {
        let list: Vec<Json> = list
            .iter()
            .map(|(s, n, sa)| json!({ "server": s, "namespace": n, "defaultServiceAccount": sa }))
            .collect();
        project(json!({ "destinationServiceAccounts": list }))
    }

    fn user(r: Result<Option<ServiceAccount>, ImpersonationError>) -> Result<String, String> {
        r.map(|o| o.map(|s| s.user).unwrap_or_default())
            .map_err(|e| e.to_string())
    }

    /// `TestDeriveServiceAccountMatchingNamespaces` (semantics §1.6 table): 8 rows; server
    /// `https://kubernetes.svc.local`, Application namespace `argocd-ns`.
    #[test]
    fn upstream_derive_service_account_matching_namespaces() {
        const S: &str = "https://kubernetes.svc.local";
        let rows: Vec<(Vec<Account>, &str, &str)> = vec![
            (vec![], "testns", ""),
            (
                vec![(S, "testns", "test-sa")],
                "testns",
                "system:serviceaccount:testns:test-sa",
            ),
            (
                vec![
                    (S, "guestbook", "guestbook-sa"),
                    (S, "guestbook-test", "guestbook-test-sa"),
                    (S, "default", "default-sa"),
                    (S, "testns", "test-sa"),
                ],
                "testns",
                "system:serviceaccount:testns:test-sa",
            ),
            (
                vec![
                    (S, "testns", "test-sa"),
                    (S, "testns", "test-sa-2"),
                    (S, "testns", "test-sa-3"),
                    (S, "guestbook", "guestbook-sa"),
                ],
                "testns",
                "system:serviceaccount:testns:test-sa",
            ),
            (
                vec![
                    (S, "test*", "test-sa"),
                    (S, "testns", "test-sa-2"),
                    (S, "default", "default-sa"),
                ],
                "testns",
                "system:serviceaccount:testns:test-sa",
            ),
            (
                vec![
                    (S, "test1", "test-sa"),
                    (S, "test2", "test-sa-2"),
                    (S, "default", "default-sa"),
                ],
                "testns",
                "",
            ),
            (
                vec![(S, "", "test-sa"), (S, "*", "test-sa-2")],
                "",
                "system:serviceaccount:argocd-ns:test-sa",
            ),
            (
                vec![
                    (S, "testns1", "test-sa-2"),
                    (S, "default", "default-sa"),
                    (S, "*", "test-sa"),
                ],
                "testns",
                "system:serviceaccount:testns:test-sa",
            ),
        ];
        assert_eq!(rows.len(), 8);
        for (list, dest_ns, want) in rows {
            let got = user(derive_service_account(
                &accounts(&list),
                S,
                dest_ns,
                "argocd-ns",
            ));
            assert_eq!(got.as_deref(), Ok(want), "{list:?} {dest_ns}");
        }
    }

    /// `util/settings` `TestDeriveServiceAccountToImpersonate`: 11 subtests.
    #[test]
    fn upstream_derive_service_account_to_impersonate() {
        const S: &str = "https://cluster-api.example.com";
        let rows: Vec<ImpersonationRow> = vec![
            (
                vec![(S, "dest-ns", "test-sa")],
                "dest-ns",
                "",
                Ok("system:serviceaccount:dest-ns:test-sa"),
            ),
            (
                vec![("*", "*", "test-sa")],
                "any-ns",
                "",
                Ok("system:serviceaccount:any-ns:test-sa"),
            ),
            (
                vec![(S, "dest-ns", "other-ns:deploy-sa")],
                "dest-ns",
                "",
                Ok("system:serviceaccount:other-ns:deploy-sa"),
            ),
            (
                vec![("*", "", "test-sa")],
                "",
                "app-ns",
                Ok("system:serviceaccount:app-ns:test-sa"),
            ),
            (
                vec![("https://other-server.com", "other-ns", "test-sa")],
                "dest-ns",
                "",
                Ok(""),
            ),
            (vec![], "dest-ns", "", Ok("")),
            (
                vec![("*", "*", "bad*sa")],
                "dest-ns",
                "",
                Err("default service account contains invalid chars"),
            ),
            (
                vec![("*", "*", "  ")],
                "dest-ns",
                "",
                Err("default service account contains invalid chars"),
            ),
            (
                vec![("[", "dest-ns", "test-sa")],
                "dest-ns",
                "",
                Err("invalid glob pattern for destination server"),
            ),
            (
                vec![("*", "[", "test-sa")],
                "dest-ns",
                "",
                Err("invalid glob pattern for destination namespace"),
            ),
            (
                vec![("*", "dest-ns", "first-sa"), ("*", "*", "second-sa")],
                "dest-ns",
                "",
                Ok("system:serviceaccount:dest-ns:first-sa"),
            ),
        ];
        assert_eq!(rows.len(), 11);
        for (list, dest_ns, app_ns, want) in rows {
            let got = user(derive_service_account(&accounts(&list), S, dest_ns, app_ns));
            match want {
                Ok(w) => assert_eq!(got.as_deref(), Ok(w), "{list:?}"),
                Err(w) => assert!(
                    got.as_ref().is_err_and(|e| e.contains(w)),
                    "{list:?}: {got:?}"
                ),
            }
        }
        let p = accounts(&[("*", "prod", "a"), ("*", "*", "b")]);
        let sa = derive_service_account(&p, S, "dev", "argocd")
            .ok()
            .flatten();
        assert_eq!(sa.map(|s| s.entry), Some(Origin::Spec(1)));
    }

    /// PRJ009 and SEC004 analyses.
    #[test]
    fn deny_only_and_wide_open() {
        assert!(is_deny_only_sources(&sources(&[
            "!https://github.com/evil/*"
        ])));
        assert!(!is_deny_only_sources(&sources(&[
            "!https://github.com/evil/*",
            "https://github.com/good/*"
        ])));
        assert!(!is_deny_only_sources(&sources(&[])));
        // A deny entry that rejects the probe too: the list permits nothing.
        assert!(!is_deny_only_sources(&sources(&["!**"])));
        assert!(is_deny_only_destinations(&destinations(vec![dest(
            "!https://prod",
            "",
            "*"
        )])));
        assert!(is_deny_only_destinations(&destinations(vec![dest(
            "*",
            "",
            "!kube-system"
        )])));
        // Deny server with a plain namespace: other servers only in team-a, not everything.
        assert!(!is_deny_only_destinations(&destinations(vec![dest(
            "!https://prod",
            "",
            "team-a"
        )])));
        assert!(!is_deny_only_destinations(&destinations(vec![
            dest("*", "", "*"),
            dest("*", "", "!kube-system")
        ])));

        let open = project(json!({
            "sourceRepos": ["*"],
            "destinations": [dest("*", "", "*")],
            "clusterResourceWhitelist": [gk("*", "*")]
        }));
        assert_eq!(
            wide_open(&open),
            Some(WideOpen {
                source: Origin::Spec(0),
                destination: Origin::Spec(0),
                cluster_resource: Origin::Spec(0)
            })
        );
        assert!(wide_open(&ProjectSpec::default_project()).is_some());
        let by_name = project(json!({
            "sourceRepos": ["**"],
            "destinations": [{ "name": "*", "namespace": "*" }],
            "clusterResourceWhitelist": [gk("*", "*")]
        }));
        assert!(wide_open(&by_name).is_some());
        for spec in [
            json!({ "sourceRepos": ["https://github.com/*"], "destinations": [dest("*", "", "*")], "clusterResourceWhitelist": [gk("*", "*")] }),
            json!({ "sourceRepos": ["*"], "destinations": [dest("*", "", "*"), dest("*", "", "!kube-system")], "clusterResourceWhitelist": [gk("*", "*")] }),
            json!({ "sourceRepos": ["*"], "destinations": [dest("*", "", "*")], "clusterResourceWhitelist": [gk("*", "*")], "clusterResourceBlacklist": [gk("", "Namespace")] }),
            json!({ "sourceRepos": ["*"], "destinations": [dest("*", "", "*")], "clusterResourceWhitelist": [gk("", "*")] }),
            json!({ "sourceRepos": ["*"], "destinations": [dest("*", "", "*")], "clusterResourceWhitelist": [gk("*", "*")], "permitOnlyProjectScopedClusters": true }),
        ] {
            assert_eq!(wide_open(&project(spec.clone())), None, "{spec}");
        }
    }

    /// Lenient reading: wrong types behave as absent, never a panic.
    #[test]
    fn from_json_is_lenient() {
        for v in [json!(null), json!(5), json!("x"), json!([1, 2])] {
            assert_eq!(ProjectSpec::from_json(&v), ProjectSpec::default());
        }
        let p = project(json!({
            "sourceRepos": "not-a-list",
            "destinations": [5, { "server": 7, "namespace": "ns" }, null],
            "namespaceResourceWhitelist": "x",
            "clusterResourceWhitelist": [null, { "group": "", "kind": "Namespace" }],
            "permitOnlyProjectScopedClusters": "true"
        }));
        assert!(p.source_repos.is_empty());
        assert_eq!(p.destinations.len(), 1);
        assert_eq!(p.destinations[0].origin, Origin::Spec(1));
        assert_eq!(p.destinations[0].value.server, "");
        assert_eq!(p.namespace_resource_whitelist, None);
        assert_eq!(
            p.cluster_resource_whitelist.as_ref().map(|l| l[0].origin),
            Some(Origin::Spec(1))
        );
        assert!(!p.permit_only_project_scoped_clusters);
    }

    #[test]
    fn deny_entries_open_mixed_lists() {
        let spec = |json: &str| ProjectSpec::from_json(&serde_json::from_str(json).expect("json"));
        // A deny entry that does not match counts as a match: the allow entry restricts nothing.
        let mixed = spec(
            r#"{"sourceRepos": ["https://github.com/acme/*", "!https://github.com/acme/secret"]}"#,
        );
        assert!(deny_entries_open_sources(&mixed));
        assert!(is_source_permitted(&mixed, "https://gitlab.com/evil/repo").permitted);
        assert!(!is_source_permitted(&mixed, "https://github.com/acme/secret").permitted);
        // With an allow-all entry the openness is intended.
        assert!(!deny_entries_open_sources(&spec(
            r#"{"sourceRepos": ["*", "!https://github.com/acme/secret"]}"#
        )));
        // Allow entries only, or deny entries only (PRJ009's other case).
        assert!(!deny_entries_open_sources(&spec(
            r#"{"sourceRepos": ["https://github.com/acme/*"]}"#
        )));
        assert!(!deny_entries_open_sources(&spec(
            r#"{"sourceRepos": ["!https://github.com/acme/secret"]}"#
        )));
        let dest = spec(
            r#"{"destinations": [{"server": "https://kubernetes.default.svc", "namespace": "team-a"}, {"server": "!https://prod.example.com", "namespace": "*"}]}"#,
        );
        assert!(deny_entries_open_destinations(&dest));
        let dest_star = spec(
            r#"{"destinations": [{"server": "*", "namespace": "*"}, {"server": "!https://prod.example.com", "namespace": "*"}]}"#,
        );
        assert!(!deny_entries_open_destinations(&dest_star));
        // A negated namespace that does not apply needs the server to match: the probe
        // server matches nothing here, so nothing opens.
        let ns_only = spec(
            r#"{"destinations": [{"server": "https://kubernetes.default.svc", "namespace": "team-a"}, {"server": "https://kubernetes.default.svc", "namespace": "!kube-system"}]}"#,
        );
        assert!(!deny_entries_open_destinations(&ns_only));
    }
}
