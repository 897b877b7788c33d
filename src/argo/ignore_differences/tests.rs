//! Selection, the normalizer and the lookups (semantics notes §4.1–§4.2).

use super::*;
use serde_json::json;

fn rule(group: &str, kind: &str) -> IgnoreRule {
    IgnoreRule {
        group: group.into(),
        kind: kind.into(),
        name: String::new(),
        namespace: String::new(),
        json_pointers: Vec::new(),
        jq_path_expressions: Vec::new(),
        managed_fields_managers: Vec::new(),
        origin: RuleOrigin::Application { index: 0 },
    }
}

fn deployment() -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "prod", "annotations": {"a/b": "1", "keep": "2"}},
        "spec": {"replicas": 3, "template": {"spec": {"containers": [{"name": "app", "image": "a:1"}]}}},
        "status": {"ready": 3}
    })
}

#[test]
fn selection_table() {
    type Case<'a> = (
        &'a str,
        &'a str,
        &'a str,
        &'a str,
        &'a str,
        &'a str,
        &'a str,
        &'a str,
        bool,
    );
    let cases: Vec<Case> = vec![
        // group glob, kind glob, name, namespace | object group, kind, name, namespace
        (
            "apps",
            "Deployment",
            "",
            "",
            "apps",
            "Deployment",
            "web",
            "prod",
            true,
        ),
        (
            "",
            "Deployment",
            "",
            "",
            "apps",
            "Deployment",
            "web",
            "prod",
            false,
        ),
        ("", "ConfigMap", "", "", "", "ConfigMap", "c", "prod", true),
        ("*", "*", "", "", "", "ConfigMap", "c", "prod", true),
        (
            "*.k8s.io",
            "*",
            "",
            "",
            "admissionregistration.k8s.io",
            "MutatingWebhookConfiguration",
            "w",
            "",
            true,
        ),
        (
            "*.k8s.io",
            "*",
            "",
            "",
            "apps",
            "Deployment",
            "w",
            "",
            false,
        ),
        (
            "apps",
            "deployment",
            "",
            "",
            "apps",
            "Deployment",
            "web",
            "prod",
            false,
        ),
        (
            "apps",
            "Deploy*",
            "",
            "",
            "apps",
            "Deployment",
            "web",
            "prod",
            true,
        ),
        (
            "apps",
            "{Deployment,StatefulSet}",
            "",
            "",
            "apps",
            "StatefulSet",
            "db",
            "prod",
            true,
        ),
        (
            "apps",
            "Deployment",
            "web",
            "",
            "apps",
            "Deployment",
            "web",
            "prod",
            true,
        ),
        (
            "apps",
            "Deployment",
            "api",
            "",
            "apps",
            "Deployment",
            "web",
            "prod",
            false,
        ),
        (
            "apps",
            "Deployment",
            "",
            "prod",
            "apps",
            "Deployment",
            "web",
            "prod",
            true,
        ),
        (
            "apps",
            "Deployment",
            "",
            "dev",
            "apps",
            "Deployment",
            "web",
            "prod",
            false,
        ),
        // a rule with a namespace never selects a cluster-scoped object
        (
            "*",
            "ClusterRole",
            "",
            "default",
            "rbac.authorization.k8s.io",
            "ClusterRole",
            "r",
            "",
            false,
        ),
        // an invalid glob matches nothing
        ("[", "*", "", "", "[", "Deployment", "web", "prod", false),
        ("apps", "[a-", "", "", "apps", "[a-", "web", "prod", false),
    ];
    for (g, k, n, ns, og, ok, on, ons, want) in cases {
        let mut r = rule(g, k);
        r.name = n.into();
        r.namespace = ns.into();
        assert_eq!(
            r.selects(og, ok, on, ons),
            want,
            "{g}/{k} {n} {ns} vs {og}/{ok} {on} {ons}"
        );
    }
    let r = rule("apps", "Deployment");
    assert!(r.selects_object(&deployment()));
    assert_eq!(
        ObjectId::of(&json!({"apiVersion": "v1", "kind": "Service"})).group,
        ""
    );
}

#[test]
fn from_json_reads_an_application_item() {
    let r = IgnoreRule::from_json(
        2,
        &json!({"group": "apps", "kind": "Deployment", "name": "web", "jsonPointers": ["/spec/replicas"], "jqPathExpressions": [".a"], "managedFieldsManagers": ["m"]}),
    );
    assert_eq!(r.group, "apps");
    assert_eq!(r.name, "web");
    assert_eq!(r.namespace, "");
    assert_eq!(r.json_pointers, vec!["/spec/replicas"]);
    assert_eq!(r.jq_path_expressions, vec![".a"]);
    assert_eq!(r.managed_fields_managers, vec!["m"]);
    assert_eq!(r.origin, RuleOrigin::Application { index: 2 });
}

#[test]
fn normalizer_applies_in_order_and_reports() {
    let mut app = rule("apps", "Deployment");
    app.json_pointers = vec![
        "/metadata/annotations/a~1b".into(),
        "/spec/missing".into(),
        "/spec/template/spec/containers/5".into(),
    ];
    app.jq_path_expressions =
        vec![".spec.template.spec.containers[] | select(.name == \"app\") | .image".into()];
    let mut other = rule("", "ConfigMap");
    other.json_pointers = vec!["/data".into()];
    let mut status = rule("*", "*");
    status.json_pointers = vec!["/status".into()];
    status.origin = RuleOrigin::Override {
        key: "*/*".into(),
        data_key: None,
        source: None,
        status_from_compare_options: true,
    };
    let mut managers_only = rule("apps", "Deployment");
    managers_only.managed_fields_managers = vec!["m".into()];
    let n = Normalizer::new(&[app, other], &[status, managers_only]);
    let n = match n {
        Ok(n) => n,
        Err(e) => panic!("{e:?}"),
    };
    // the managers-only override is not a normalizer patch
    assert_eq!(n.rules().len(), 3);
    let mut d = deployment();
    assert_eq!(n.selecting(&d), vec![0, 2]);
    let applied = n.normalize(&mut d);
    let summary: Vec<(usize, Entry, Vec<String>)> = applied
        .iter()
        .map(|a| (a.rule, a.entry, a.removed.clone()))
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                0,
                Entry::Pointer(0),
                vec!["/metadata/annotations/a~1b".to_string()]
            ),
            (0, Entry::Pointer(1), vec![]),
            (0, Entry::Pointer(2), vec![]),
            (
                0,
                Entry::Jq(0),
                vec!["/spec/template/spec/containers/0/image".to_string()]
            ),
            (2, Entry::Pointer(0), vec!["/status".to_string()]),
        ]
    );
    assert_eq!(
        applied[1].outcome,
        Outcome::Pointer(PointerOutcome::Missing)
    );
    assert!(matches!(
        applied[2].outcome,
        Outcome::Pointer(PointerOutcome::Invalid(_))
    ));
    assert_eq!(
        d.pointer("/metadata/annotations"),
        Some(&json!({"keep": "2"}))
    );
    assert_eq!(
        d.pointer("/spec/template/spec/containers/0"),
        Some(&json!({"name": "app"}))
    );
    assert_eq!(d.get("status"), None);
    // a Secret: only `*/*` selects it, and it has no status
    let mut secret = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"a": "b"}});
    let applied = n.normalize(&mut secret);
    assert_eq!(applied.len(), 1);
    assert_eq!(
        applied[0].outcome,
        Outcome::Pointer(PointerOutcome::Missing)
    );
    assert_eq!(secret.get("data"), Some(&json!({"a": "b"})));
    // nothing selects anything without rules
    let empty = Normalizer::new(&[], &[]).ok();
    assert_eq!(empty.map(|n| n.normalize(&mut secret).len()), Some(0));
}

#[test]
fn one_bad_jq_expression_fails_the_whole_normalizer() {
    let mut a = rule("apps", "Deployment");
    a.jq_path_expressions = vec![".ok".into(), ".a | (".into()];
    let mut b = rule("*", "*");
    b.jq_path_expressions = vec!["selec(.x)".into()];
    b.origin = RuleOrigin::Override {
        key: "*/*".into(),
        data_key: Some("resource.customizations.ignoreDifferences.all".into()),
        source: Some(OverrideSource::Split),
        status_from_compare_options: false,
    };
    let err = Normalizer::new(&[a], &[b]).err().unwrap_or_default();
    let got: Vec<(usize, usize, std::ops::Range<usize>)> = err
        .iter()
        .map(|f| (f.rule, f.expression, f.error.range.clone()))
        .collect();
    assert_eq!(got, vec![(0, 1, 5..6), (1, 0, 0..5)]);
}

#[test]
fn lookup_merges_exact_override_wildcard_and_app_globs() {
    let ov = |key: &str, managers: &[&str]| {
        let (group, kind) = config::group_kind_for_override_key(key).unwrap_or_default();
        let mut r = rule(&group, &kind);
        r.managed_fields_managers = managers.iter().map(|m| m.to_string()).collect();
        r.origin = RuleOrigin::Override {
            key: key.into(),
            data_key: None,
            source: Some(OverrideSource::Split),
            status_from_compare_options: false,
        };
        r
    };
    let mut app = rule("apps", "*");
    app.managed_fields_managers = vec!["kube-controller-manager".into(), "m1".into()];
    let overrides = vec![
        ov("apps/Deployment", &["m1", "m2"]),
        ov("*/*", &["m3"]),
        ov("ConfigMap", &["cm"]),
        ov("/Secret", &["sec"]),
    ];
    let l = IgnoreLookup::new(&[app], &overrides);
    assert_eq!(
        l.managers("apps", "Deployment", "web", "prod"),
        vec!["m1", "m2", "m3", "kube-controller-manager"]
    );
    // a kind-only key never matches in this lookup (the object key is `/ConfigMap`)
    assert_eq!(l.managers("", "ConfigMap", "c", "prod"), vec!["m3"]);
    assert_eq!(l.managers("", "Secret", "s", "prod"), vec!["sec", "m3"]);
}

#[test]
fn replicas_helper() {
    let hpa_target = deployment();
    let none = Normalizer::new(&[], &[]).ok();
    let lookup = IgnoreLookup::default();
    assert_eq!(
        none.as_ref()
            .and_then(|n| replicas_ignored(n, &lookup, &hpa_target)),
        None
    );

    let mut by_pointer = rule("apps", "Deployment");
    by_pointer.json_pointers = vec!["/spec/replicas".into()];
    let n = Normalizer::new(&[by_pointer], &[]).ok();
    assert_eq!(
        n.as_ref()
            .and_then(|n| replicas_ignored(n, &lookup, &hpa_target)),
        Some(ReplicasIgnored::ByPatch {
            rule: 0,
            entry: Entry::Pointer(0)
        })
    );

    let mut by_jq = rule("apps", "*");
    by_jq.jq_path_expressions = vec![".spec.replicas".into()];
    let n = Normalizer::new(&[by_jq], &[]).ok();
    assert_eq!(
        n.as_ref()
            .and_then(|n| replicas_ignored(n, &lookup, &hpa_target)),
        Some(ReplicasIgnored::ByPatch {
            rule: 0,
            entry: Entry::Jq(0)
        })
    );

    // a pointer for another kind does not count
    let mut other = rule("apps", "StatefulSet");
    other.json_pointers = vec!["/spec/replicas".into()];
    let n = Normalizer::new(&[other], &[]).ok();
    assert_eq!(
        n.as_ref()
            .and_then(|n| replicas_ignored(n, &lookup, &hpa_target)),
        None
    );

    let mut by_manager = rule("apps", "Deployment");
    by_manager.managed_fields_managers = vec![managed_fields::HPA_MANAGER.into()];
    let l = IgnoreLookup::new(&[by_manager], &[]);
    assert_eq!(
        none.as_ref()
            .and_then(|n| replicas_ignored(n, &l, &hpa_target)),
        Some(ReplicasIgnored::ByManager {
            rule: RuleOrigin::Application { index: 0 }
        })
    );
}

#[test]
fn pair_normalization_runs_managed_fields_first() {
    let mut live = deployment();
    live["metadata"]["managedFields"] = json!([
        {"manager": "kube-controller-manager", "operation": "Update", "subresource": "scale", "fieldsV1": {"f:spec": {"f:replicas": {}}}}
    ]);
    live["spec"]["replicas"] = json!(7);
    let mut config = deployment();
    let mut r = rule("apps", "Deployment");
    r.managed_fields_managers = vec![managed_fields::HPA_MANAGER.into()];
    r.json_pointers = vec!["/status".into()];
    let rules = [r];
    let n = Normalizer::new(&rules, &[]).ok();
    let lookup = IgnoreLookup::new(&rules, &[]);
    let report = n
        .as_ref()
        .map(|n| n.normalize_pair(&lookup, &mut live, &mut config));
    let report = report.map(|r| {
        (
            r.managers,
            r.managed.map(|m| m.len()),
            r.live.len(),
            r.config.len(),
        )
    });
    assert_eq!(
        report,
        Some((vec![managed_fields::HPA_MANAGER.to_string()], Ok(1), 1, 1))
    );
    assert_eq!(live.pointer("/spec/replicas"), None);
    assert_eq!(config.pointer("/spec/replicas"), None);
    assert_eq!(config.get("status"), None);
}

#[test]
fn aggregated_roles() {
    assert!(aggregated_role_ignores_rules(
        &json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "aggregationRule": {"clusterRoleSelectors": []}})
    ));
    assert!(!aggregated_role_ignores_rules(
        &json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "aggregationRule": "x"})
    ));
    assert!(!aggregated_role_ignores_rules(
        &json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole"})
    ));
    assert!(!aggregated_role_ignores_rules(
        &json!({"apiVersion": "v1", "kind": "ClusterRole", "aggregationRule": {}})
    ));
}

#[test]
fn deleting_the_whole_object_is_thrown_away() {
    let mut r = rule("apps", "Deployment");
    r.json_pointers = vec!["/status".into()];
    r.jq_path_expressions = vec![".".into()];
    let n = Normalizer::new(&[r], &[]).ok();
    let mut d = deployment();
    let report = n.map(|n| n.normalize_report(&mut d));
    assert_eq!(
        report.map(|r| (r.applied.len(), r.discarded)),
        Some((2, true))
    );
    assert_eq!(d, deployment());
}
