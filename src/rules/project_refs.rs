//! Applications against their AppProjects: PRJ001 (unknown project), PRJ002 (source
//! repository), PRJ003 (destination), PRJ004 (resource kinds, including the Namespace of
//! `CreateNamespace=true`), PRJ005 (a resource's own namespace) and PRJ006 (Applications
//! outside the control-plane namespace). The permission logic is `crate::argo::project`;
//! this module finds the values, the project and the YAML nodes to point at.

use crate::argo::project::{
    self, Decision, Origin, ProjectSpec, Reason, ResourceDecision, WhitelistOutcome,
};
use crate::diagnostic::Diagnostic;
use crate::engine::Ctx;
use crate::load::yaml::Node;
use crate::model::Object;
use crate::model::apps::{AppNode, Model, ProjectEntry};
use crate::model::cluster::Resolution;
use crate::model::identity::repo_key;
use crate::rules::util::did_you_mean;
use crate::source::Span;

/// The Application's project entry, when the project exists (PRJ001 reports it otherwise).
fn project<'m>(model: &'m Model<'_>, app: &AppNode<'_>) -> Option<&'m ProjectEntry<'m>> {
    model.projects.get(&app.project)
}

fn value_span(o: &Object, node: Option<&Node>) -> Span {
    node.map_or_else(|| o.head_span(), |n| o.span(n))
}

/// Where a project entry is written, with a label, or the list (or the project) when no
/// entry decided.
fn entry_label(
    cx: &Ctx<'_>,
    p: &ProjectEntry<'_>,
    list: &str,
    origin: Option<Origin>,
) -> Option<(Span, String)> {
    match origin {
        Some(Origin::Spec(i)) => {
            let o = p.object?;
            let item = o.spec()?.get(list)?.items().get(i)?;
            Some((
                o.span(item),
                format!("{list} entry of project '{}'", p.name),
            ))
        }
        Some(Origin::ScopedRepository(i)) => {
            let (_, secret) = p.scoped_repos.get(i)?;
            Some((
                secret.head_span(),
                format!("repository Secret scoped to project '{}'", p.name),
            ))
        }
        Some(Origin::ScopedCluster(i)) => {
            let c = cx.model.clusters.list.get(i)?;
            let crate::model::cluster::ClusterOrigin::Secret(obj) = c.origin else {
                return None;
            };
            let secret = cx.repo.objects.get(obj)?;
            Some((
                secret.head_span(),
                format!("cluster Secret scoped to project '{}'", p.name),
            ))
        }
        Some(Origin::BuiltIn(_)) => None,
        None => {
            let o = p.object?;
            match o.spec().and_then(|s| s.entry(list)) {
                Some(e) => Some((o.span(&e.key), format!("{list} of project '{}'", p.name))),
                None => Some((
                    value_span(o, o.metadata().and_then(|m| m.get("name"))),
                    format!("project '{}' has no {list}", p.name),
                )),
            }
        }
    }
}

/// PRJ001: `spec.project` names no AppProject Argo CD can find.
pub fn check_project_exists(cx: &Ctx<'_>, o: &Object, out: &mut Vec<Diagnostic>) {
    let Some(app) = cx.model.app_of(o) else {
        return;
    };
    if cx.model.projects.get(&app.project).is_some() {
        return;
    }
    let node = o.spec().and_then(|s| s.get("project"));
    let elsewhere = cx.model.projects.elsewhere(&app.project);
    let names: Vec<&str> = cx.model.projects.names().collect();
    let mut d = Diagnostic::new(
        "PRJ001",
        value_span(o, node),
        format!(
            "project '{}' does not exist; Argo CD reports \"Application referencing project {} which does not exist\" and neither syncs nor refreshes the Application",
            app.project, app.project
        ),
    )
    .with_label("unknown project")
    .with_object(Some(o.object_ref()));
    for p in elsewhere {
        d = d.with_related(
            p.head_span(),
            format!(
                "an AppProject '{}' in namespace '{}', where Argo CD does not look (it reads projects from '{}')",
                app.project,
                p.namespace.as_deref().unwrap_or(""),
                cx.model.control_plane
            ),
        );
    }
    let help = match did_you_mean(&app.project, &names) {
        Some(s) => format!("Did you mean '{s}'?"),
        None if !elsewhere.is_empty() => format!(
            "Move the AppProject to the '{}' namespace.",
            cx.model.control_plane
        ),
        None => format!(
            "Define the AppProject in the '{}' namespace, or use one of: {}.",
            cx.model.control_plane,
            names.join(", ")
        ),
    };
    out.push(d.with_help(help));
}

fn reason_text(decision: &Decision, list: &str) -> String {
    match decision.reason {
        Reason::Rejected(_) => format!("a deny entry of {list} rejects it"),
        Reason::NoMatch => format!("no entry of {list} matches it"),
        Reason::NotProjectScopedCluster(_) => {
            "the project sets permitOnlyProjectScopedClusters and the cluster is not scoped to it"
                .to_owned()
        }
        _ => String::new(),
    }
}

/// PRJ002: every source (and the hydrator's dry source) must be permitted by `sourceRepos`.
pub fn check_sources(cx: &Ctx<'_>, o: &Object, out: &mut Vec<Diagnostic>) {
    let Some(app) = cx.model.app_of(o) else {
        return;
    };
    let Some(p) = project(cx.model, app) else {
        return;
    };
    let mut urls: Vec<&Node> = app
        .sources
        .iter()
        .filter_map(|s| s.node.get("repoURL"))
        .collect();
    if let Some(h) = o.spec().and_then(|s| s.get("sourceHydrator")) {
        urls.clear();
        urls.extend(h.path(&["drySource", "repoURL"]));
    }
    for node in urls {
        let Some(url) = node.as_str() else { continue };
        let decision = project::is_source_permitted(&p.spec, url);
        if decision.permitted {
            continue;
        }
        let mut d = Diagnostic::new(
            "PRJ002",
            o.span(node),
            format!(
                "repository {url} is not permitted in project '{}': {}; Argo CD reports \"application repo {url} is not permitted in project '{}'\" and never syncs",
                p.name,
                reason_text(&decision, "sourceRepos"),
                p.name
            ),
        )
        .with_label("not permitted")
        .with_object(Some(o.object_ref()));
        if let Some((span, label)) = entry_label(cx, p, "sourceRepos", decision.entry()) {
            d = d.with_related(span, label);
        }
        // The same repository written in another form: Argo CD compares strings.
        let key = repo_key(url);
        let other_form = p.spec.source_repos.iter().find(|e| {
            !e.value.starts_with('!')
                && match (repo_key(&e.value), &key) {
                    (Some(pattern), Some(k)) => {
                        crate::argo::glob::glob_match(&pattern, k, false, &['/'])
                    }
                    _ => false,
                }
        });
        let help = match other_form {
            Some(e) => format!(
                "The project entry '{}' matches this repository written in another form; Argo CD compares URLs as written (after lower-casing and removing one .git), so https and ssh forms differ. Add this form to sourceRepos.",
                e.value
            ),
            None => format!(
                "Add the repository to spec.sourceRepos of AppProject '{}' or use a project that allows it.",
                p.name
            ),
        };
        out.push(d.with_help(help));
    }
}

/// The destination cluster as the controller sees it: (name, server), or `None` when it
/// cannot be resolved here (APP002/APP003 report that) or when the unknown name of a
/// cluster registered outside the repository could change the verdict.
fn cluster_for(
    model: &Model<'_>,
    app: &AppNode<'_>,
    spec: &ProjectSpec,
) -> Option<(String, String)> {
    match model.resolve_destination(app) {
        Resolution::Found(c) => Some((c.name.clone(), c.server.clone())),
        Resolution::UnknownServer => {
            // Only name patterns that match every name (or none) leave the verdict
            // independent of the unknown name.
            let name_free = spec
                .destinations
                .iter()
                .all(|d| d.value.name.is_empty() || d.value.name == "*");
            let server = app.destination_server()?.trim_end_matches('/').to_owned();
            name_free.then_some(("\u{1}unknown".to_owned(), server))
        }
        _ => None,
    }
}

fn scoped_clusters<'m>(model: &'m Model<'_>, project: &'m str) -> Vec<(&'m str, &'m str)> {
    model
        .clusters
        .scoped_to(project)
        .map(|c| (c.name.as_str(), c.server.as_str()))
        .collect()
}

/// PRJ003: the Application's destination must be permitted by `destinations`.
pub fn check_destination(cx: &Ctx<'_>, o: &Object, out: &mut Vec<Diagnostic>) {
    let Some(app) = cx.model.app_of(o) else {
        return;
    };
    let Some(p) = project(cx.model, app) else {
        return;
    };
    let Some((name, server)) = cluster_for(cx.model, app, &p.spec) else {
        return;
    };
    let ns = app.destination_namespace();
    let scoped = scoped_clusters(cx.model, &p.name);
    let decision = project::is_destination_permitted(&p.spec, &name, &server, ns, &scoped);
    if decision.permitted {
        return;
    }
    let dest = app.app().destination();
    let (node, shown) = match (app.destination_server(), app.destination_name()) {
        (Some(s), _) => (dest.and_then(|d| d.get("server")), s),
        (None, Some(n)) => (dest.and_then(|d| d.get("name")), n),
        (None, None) => return,
    };
    let mut d = Diagnostic::new(
        "PRJ003",
        value_span(o, node),
        format!(
            "destination '{shown}' with namespace '{ns}' is not permitted in project '{}': {}; Argo CD reports \"application destination server '{shown}' and namespace '{ns}' do not match any of the allowed destinations in project '{}'\"",
            p.name,
            reason_text(&decision, "destinations"),
            p.name
        ),
    )
    .with_label("not permitted")
    .with_object(Some(o.object_ref()));
    if let Some(n) = dest.and_then(|d| d.get("namespace")) {
        d = d.with_related(o.span(n), "destination namespace");
    }
    if let Some((span, label)) = entry_label(cx, p, "destinations", decision.entry()) {
        d = d.with_related(span, label);
    }
    out.push(d.with_help(format!(
        "Add the destination to spec.destinations of AppProject '{}' (server or name, and namespace), or deploy to a permitted destination.",
        p.name
    )));
}

fn resource_list(namespaced: bool, white: bool) -> &'static str {
    match (namespaced, white) {
        (true, true) => "namespaceResourceWhitelist",
        (true, false) => "namespaceResourceBlacklist",
        (false, true) => "clusterResourceWhitelist",
        (false, false) => "clusterResourceBlacklist",
    }
}

fn resource_reason(
    d: &ResourceDecision,
    namespaced: bool,
) -> (String, &'static str, Option<Origin>) {
    if let Some(b) = d.blacklisted_by {
        return (
            format!("{} denies it", resource_list(namespaced, false)),
            resource_list(namespaced, false),
            Some(b),
        );
    }
    let white = resource_list(namespaced, true);
    let text = match d.whitelist {
        WhitelistOutcome::Absent => {
            format!("the project has no {white}, which denies every cluster-scoped kind")
        }
        WhitelistOutcome::Empty => format!("{white} is empty, which denies every kind"),
        _ => format!("no entry of {white} matches it"),
    };
    (text, white, None)
}

/// PRJ004: every resource kind the Application deploys must be permitted.
pub fn check_resources(cx: &Ctx<'_>, o: &Object, out: &mut Vec<Diagnostic>) {
    let Some(app) = cx.model.app_of(o) else {
        return;
    };
    let Some(p) = project(cx.model, app) else {
        return;
    };
    for &r in &app.resources {
        let Some(res) = cx.repo.objects.get(r) else {
            continue;
        };
        let (group, kind) = (res.group(), res.kind.as_str());
        let namespaced = match cx.model.namespaced(group, kind) {
            Some(n) => n,
            // Unknown scope: a namespace in the manifest says namespaced; otherwise only
            // API discovery could tell.
            None if res.namespace.is_some() => true,
            None => continue,
        };
        let name = res.name.as_deref().unwrap_or("");
        let decision =
            project::is_group_kind_name_permitted(&p.spec, group, kind, name, namespaced);
        if decision.permitted {
            continue;
        }
        let (why, list, origin) = resource_reason(&decision, namespaced);
        let mut d = Diagnostic::new(
            "PRJ004",
            res.head_span(),
            format!(
                "{kind} '{name}' ({}:{kind}) of Application '{}' is not permitted in project '{}': {why}; Argo CD reports \"resource {}:{kind} is not permitted in project {}\" and the sync fails",
                if group.is_empty() { "core" } else { group },
                app.name,
                p.name,
                group,
                p.name
            ),
        )
        .with_label("not permitted")
        .with_object(Some(res.object_ref()));
        if let Some((span, label)) = entry_label(cx, p, list, origin) {
            d = d.with_related(span, label);
        }
        if let Some(path) = app.sources.iter().find_map(|s| s.path_node()) {
            d = d.with_related(
                o.span(path),
                format!("deployed by Application '{}'", app.name),
            );
        }
        out.push(d.with_help(format!(
            "Allow the kind in AppProject '{}' ({list}), or move the resource to an Application of a project that allows it.",
            p.name
        )));
    }
    check_created_namespace(cx, o, app, p, out);
}

/// The Namespace `CreateNamespace=true` creates goes through the same check (#22869).
fn check_created_namespace(
    cx: &Ctx<'_>,
    o: &Object,
    app: &AppNode<'_>,
    p: &ProjectEntry<'_>,
    out: &mut Vec<Diagnostic>,
) {
    let Some(opt) = app
        .app()
        .sync_options()
        .into_iter()
        .find(|n| n.as_str() == Some("CreateNamespace=true"))
    else {
        return;
    };
    let ns = app.destination_namespace();
    if ns.is_empty() {
        return;
    }
    let decision = project::is_group_kind_name_permitted(&p.spec, "", "Namespace", ns, false);
    if decision.permitted {
        return;
    }
    let (why, list, origin) = resource_reason(&decision, false);
    let mut d = Diagnostic::new(
        "PRJ004",
        o.span(opt),
        format!(
            "CreateNamespace=true creates Namespace '{ns}', which project '{}' does not permit: {why}; Argo CD reports \"resource :Namespace is not permitted in project {}\" and the sync fails",
            p.name, p.name
        ),
    )
    .with_label("creates a Namespace")
    .with_object(Some(o.object_ref()));
    if let Some((span, label)) = entry_label(cx, p, list, origin) {
        d = d.with_related(span, label);
    }
    out.push(d.with_help(format!(
        "Add {{group: '', kind: Namespace}} to clusterResourceWhitelist of AppProject '{}', or create the Namespace elsewhere.",
        p.name
    )));
}

/// PRJ005: a namespaced resource that sets another namespace than the Application's
/// destination must have that namespace permitted too.
pub fn check_resource_namespaces(cx: &Ctx<'_>, o: &Object, out: &mut Vec<Diagnostic>) {
    let Some(app) = cx.model.app_of(o) else {
        return;
    };
    let Some(p) = project(cx.model, app) else {
        return;
    };
    let Some((name, server)) = cluster_for(cx.model, app, &p.spec) else {
        return;
    };
    let dest_ns = app.destination_namespace();
    let scoped = scoped_clusters(cx.model, &p.name);
    for &r in &app.resources {
        let Some(res) = cx.repo.objects.get(r) else {
            continue;
        };
        let Some(ns) = res.namespace.as_deref() else {
            continue;
        };
        if ns == dest_ns || cx.model.namespaced(res.group(), &res.kind) == Some(false) {
            continue;
        }
        let decision = project::is_destination_permitted(&p.spec, &name, &server, ns, &scoped);
        if decision.permitted {
            continue;
        }
        let node = res.metadata().and_then(|m| m.get("namespace"));
        let mut d = Diagnostic::new(
            "PRJ005",
            value_span(res, node),
            format!(
                "{} '{}' of Application '{}' is in namespace '{ns}', which project '{}' does not permit on this cluster: {}; Argo CD reports \"namespace {ns} is not permitted in project '{}'\" and the sync fails",
                res.kind,
                res.name.as_deref().unwrap_or(""),
                app.name,
                p.name,
                reason_text(&decision, "destinations"),
                p.name
            ),
        )
        .with_label("namespace not permitted")
        .with_object(Some(res.object_ref()));
        if let Some((span, label)) = entry_label(cx, p, "destinations", decision.entry()) {
            d = d.with_related(span, label);
        }
        out.push(d.with_help(format!(
            "Add the namespace to spec.destinations of AppProject '{}', or drop metadata.namespace so the resource goes to the Application's destination namespace.",
            p.name
        )));
    }
}

/// PRJ006: an Application outside the control-plane namespace needs its project's
/// `sourceNamespaces`. An Application written without a namespace lands in the
/// destination namespace of the Application that deploys it.
pub fn check_app_namespace(cx: &Ctx<'_>, o: &Object, out: &mut Vec<Diagnostic>) {
    let Some(app) = cx.model.app_of(o) else {
        return;
    };
    let Some(p) = project(cx.model, app) else {
        return;
    };
    let own = o.metadata().and_then(|m| m.get("namespace"));
    let (ns, node, via) = match o.namespace.as_deref() {
        Some(ns) => (ns.to_owned(), own, None),
        None => {
            let Some(&parent) = app.parents.first() else {
                return;
            };
            let parent = &cx.model.apps[parent];
            let ns = parent.destination_namespace();
            if ns.is_empty() {
                return;
            }
            (
                ns.to_owned(),
                o.metadata().and_then(|m| m.get("name")),
                Some(parent),
            )
        }
    };
    let decision = project::is_app_namespace_permitted(&p.spec, Some(&ns), &cx.model.control_plane);
    if decision.permitted {
        return;
    }
    let where_from = match via {
        Some(parent) => format!(
            " (it has no metadata.namespace, so it lands in the destination namespace of Application '{}')",
            parent.name
        ),
        None => String::new(),
    };
    let mut d = Diagnostic::new(
        "PRJ006",
        value_span(o, node),
        format!(
            "Application '{}' is in namespace '{ns}'{where_from}, outside the control-plane namespace '{}', and project '{}' does not list it in sourceNamespaces; Argo CD reports \"application '{}' in namespace '{ns}' is not permitted to use project '{}'\"",
            app.name, cx.model.control_plane, p.name, app.name, p.name
        ),
    )
    .with_label("namespace not permitted")
    .with_object(Some(o.object_ref()));
    if let Some(parent) = via
        && let Some(n) = parent.app().destination().and_then(|d| d.get("namespace"))
    {
        d = d.with_related(
            parent.object.span(n),
            format!("destination namespace of '{}'", parent.name),
        );
    }
    if let Some((span, label)) = entry_label(cx, p, "sourceNamespaces", None) {
        d = d.with_related(span, label);
    }
    out.push(d.with_help(format!(
        "Add '{ns}' to spec.sourceNamespaces of AppProject '{}' (and to the application.namespaces setting of Argo CD), or move the Application to '{}'.",
        p.name, cx.model.control_plane
    )));
}
