//! argocd-cm parsing (semantics notes §4.2).

use super::*;

/// (override key, pointers, jq, managers)
type Row = (String, Vec<String>, Vec<String>, Vec<String>);

fn keys(c: &SystemConfig) -> Vec<Row> {
    c.overrides
        .iter()
        .map(|r| {
            let key = match &r.origin {
                RuleOrigin::Override { key, .. } => key.clone(),
                RuleOrigin::Application { .. } => String::new(),
            };
            (
                key,
                r.json_pointers.clone(),
                r.jq_path_expressions.clone(),
                r.managed_fields_managers.clone(),
            )
        })
        .collect()
}

fn v(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn defaults_ignore_status_everywhere() {
    let c = SystemConfig::default();
    assert_eq!(
        keys(&c),
        vec![("*/*".to_string(), v(&["/status"]), v(&[]), v(&[]))]
    );
    assert_eq!(c.status_field, StatusField::All);
    assert!(!c.ignore_aggregated_roles);
    assert!(c.problems.is_empty());
    assert!(matches!(
        &c.overrides[0].origin,
        RuleOrigin::Override {
            data_key: None,
            status_from_compare_options: true,
            ..
        }
    ));
    assert_eq!(
        (c.overrides[0].group.as_str(), c.overrides[0].kind.as_str()),
        ("*", "*")
    );
}

#[test]
fn legacy_and_split_keys() {
    let legacy = "admissionregistration.k8s.io/MutatingWebhookConfiguration:\n  ignoreDifferences: |\n    jsonPointers:\n    - /webhooks/0/clientConfig/caBundle\napps/Deployment:\n  ignoreDifferences: |\n    jqPathExpressions:\n    - .spec.replicas\n  health.lua: |\n    return {}\nConfigMap:\n  ignoreDifferences: |\n    JSONPOINTERS: [/data/x]\n";
    let c = parse_argocd_cm([
        ("resource.customizations", legacy),
        (
            "resource.customizations.ignoreDifferences.apps_Deployment",
            "managedFieldsManagers:\n- kube-controller-manager\n",
        ),
        (
            "resource.customizations.ignoreDifferences.all",
            "jsonPointers:\n- /metadata/labels/x\n",
        ),
        (
            "resource.customizations.health.cert-manager.io_Certificate",
            "return {}",
        ),
        (
            "resource.compareoptions",
            "ignoreResourceStatusField: crd\nignoreAggregatedRoles: true\n",
        ),
    ]);
    assert!(c.problems.is_empty(), "{:?}", c.problems);
    assert_eq!(
        keys(&c),
        vec![
            (
                "admissionregistration.k8s.io/MutatingWebhookConfiguration".into(),
                v(&["/webhooks/0/clientConfig/caBundle"]),
                v(&[]),
                v(&[])
            ),
            // the split key replaces the legacy entry (jq gone)
            (
                "apps/Deployment".into(),
                v(&[]),
                v(&[]),
                v(&["kube-controller-manager"])
            ),
            // field names match without regard to case
            ("ConfigMap".into(), v(&["/data/x"]), v(&[]), v(&[])),
            ("*/*".into(), v(&["/metadata/labels/x"]), v(&[]), v(&[])),
            (CRD_KEY.into(), v(&["/status"]), v(&[]), v(&[])),
        ]
    );
    assert_eq!(c.status_field, StatusField::Crd);
    assert!(c.ignore_aggregated_roles);
    assert!(matches!(
        &c.overrides[0].origin,
        RuleOrigin::Override {
            source: Some(OverrideSource::Legacy),
            ..
        }
    ));
    assert!(
        matches!(&c.overrides[1].origin, RuleOrigin::Override { source: Some(OverrideSource::Split), data_key: Some(k), .. } if k == "resource.customizations.ignoreDifferences.apps_Deployment")
    );
    // a kind-only key: group "" (core only)
    assert_eq!(
        (c.overrides[2].group.as_str(), c.overrides[2].kind.as_str()),
        ("", "ConfigMap")
    );
}

#[test]
fn split_key_forms() {
    assert_eq!(
        split_key("resource.customizations.ignoreDifferences.apps_Deployment")
            .map(|(t, k)| (t, k.ok())),
        Some(("ignoreDifferences", Some("apps/Deployment".into())))
    );
    assert_eq!(
        split_key("resource.customizations.health.Service").map(|(_, k)| k.ok()),
        Some(Some("Service".into()))
    );
    assert_eq!(
        split_key("resource.customizations.health.all").map(|(_, k)| k.ok()),
        Some(Some("*/*".into()))
    );
    assert_eq!(
        split_key("resource.customizations.health._").map(|(_, k)| k.ok()),
        Some(Some("/".into()))
    );
    // dots in the group are fine: at most 4 parts
    assert_eq!(
        split_key("resource.customizations.ignoreDifferences.cert-manager.io_Certificate")
            .map(|(_, k)| k.ok()),
        Some(Some("cert-manager.io/Certificate".into()))
    );
    assert!(split_key("resource.customizations.health.").is_some_and(|(_, k)| k.is_err()));
    assert!(split_key("resource.customizations.health.a_b_c").is_some_and(|(_, k)| k.is_err()));
    assert_eq!(split_key("resource.customizations"), None);
    assert_eq!(split_key("resource.customizations.health"), None);
    assert_eq!(split_key("resource.compareoptions"), None);
    // the prefix is checked without the dot, as Argo CD does
    assert_eq!(
        split_key("resource.customizationsX.health.Pod").map(|(t, _)| t),
        Some("health")
    );
}

#[test]
fn override_key_to_group_kind() {
    assert_eq!(
        group_kind_for_override_key("apps/Deployment"),
        Ok(("apps".into(), "Deployment".into()))
    );
    assert_eq!(
        group_kind_for_override_key("ConfigMap"),
        Ok(("".into(), "ConfigMap".into()))
    );
    assert_eq!(
        group_kind_for_override_key("*/*"),
        Ok(("*".into(), "*".into()))
    );
    assert_eq!(group_kind_for_override_key("/"), Ok(("".into(), "".into())));
    assert!(group_kind_for_override_key("a/b/c").is_err());
}

#[test]
fn errors_are_tied_to_keys_and_ranges() {
    let c = parse_argocd_cm([
        (
            "resource.customizations.ignoreDifference.apps_Deployment",
            "jsonPointers: [/a]",
        ),
        (
            "resource.customizations.ignoreDifferences.",
            "jsonPointers: [/a]",
        ),
        (
            "resource.customizations.ignoreDifferences.Pod",
            "jsonPointers:\n  - /a\n  - {x: 1}\n",
        ),
        (
            "resource.customizations.ignoreDifferences.Service",
            "jsonPointers: /a\n",
        ),
        ("resource.customizations.useOpenLibs.Pod", "yes"),
        (
            "resource.customizations.ignoreDifferences.Secret",
            "jsonPointers: [a\n",
        ),
    ]);
    let got: Vec<(&str, Option<std::ops::Range<usize>>, Severity)> = c
        .problems
        .iter()
        .map(|p| (p.data_key.as_str(), p.range.clone(), p.severity))
        .collect();
    assert_eq!(got.len(), 6, "{:?}", c.problems);
    assert_eq!(
        got[0],
        (
            "resource.customizations.ignoreDifference.apps_Deployment",
            None,
            Severity::LoadError
        )
    );
    assert!(
        c.problems[0]
            .message
            .contains("resource customization type ignoreDifference not supported")
    );
    assert_eq!(got[1].0, "resource.customizations.ignoreDifferences.");
    assert_eq!(
        got[2],
        (
            "resource.customizations.ignoreDifferences.Pod",
            Some(25..31),
            Severity::LoadError
        )
    );
    assert_eq!(
        got[3],
        (
            "resource.customizations.ignoreDifferences.Service",
            Some(14..16),
            Severity::LoadError
        )
    );
    assert!(c.problems[3].message.contains("must be a list of strings"));
    assert_eq!(got[4].0, "resource.customizations.useOpenLibs.Pod");
    assert_eq!(got[5].0, "resource.customizations.ignoreDifferences.Secret");
    assert!(got[5].1.is_some());
    assert!(c.load_fails());
    // what did parse is still there
    assert!(keys(&c).iter().any(|k| k.0 == "Pod" && k.1 == v(&["/a"])));
}

#[test]
fn legacy_errors() {
    let c = parse_argocd_cm([(
        "resource.customizations",
        "apps/Deployment:\n  ignoreDifferences:\n    jsonPointers: [/a]\n",
    )]);
    assert_eq!(c.problems.len(), 1);
    assert_eq!(c.problems[0].range, Some(42..60));
    assert!(c.problems[0].message.contains("must be a YAML string"));
    let c = parse_argocd_cm([(
        "resource.customizations",
        "apps/Deployment:\n  ignoreDifferences: |\n    jsonPointers: {a: 1}\n",
    )]);
    assert_eq!(c.problems.len(), 1);
    assert!(
        c.problems[0]
            .message
            .starts_with("in `ignoreDifferences` of `apps/Deployment`")
    );
    let c = parse_argocd_cm([("resource.customizations", "a: 1\na: 2\n")]);
    assert!(c.problems.iter().any(|p| p.message.contains("repeated")));
    let c = parse_argocd_cm([(
        "resource.customizations",
        "a/b/c:\n  ignoreDifferences: |\n    jsonPointers: [/x]\n",
    )]);
    assert_eq!(c.problems.len(), 1);
    assert_eq!(c.problems[0].severity, Severity::Warning);
}

#[test]
fn compare_options() {
    let status = |v: &str| parse_argocd_cm([("resource.compareoptions", v)]).status_field;
    assert_eq!(status("ignoreResourceStatusField: all"), StatusField::All);
    assert_eq!(status("ignoreResourceStatusField: crd"), StatusField::Crd);
    assert_eq!(status("ignoreResourceStatusField: none"), StatusField::None);
    assert_eq!(status("ignoreResourceStatusField: off"), StatusField::None);
    assert_eq!(
        status("ignoreResourceStatusField: false"),
        StatusField::None
    );
    assert_eq!(status("ignoreResourceStatusField: \"\""), StatusField::All);
    assert_eq!(status(""), StatusField::All);
    let c = parse_argocd_cm([(
        "resource.compareoptions",
        "ignoreResourceStatusField: everything",
    )]);
    assert_eq!(c.status_field, StatusField::All);
    assert_eq!(c.problems.len(), 1);
    assert_eq!(c.problems[0].severity, Severity::Warning);
    assert_eq!(c.problems[0].range, Some(27..37));
    let c = parse_argocd_cm([("resource.compareoptions", "ignoreResourceStatusField: none")]);
    assert!(c.overrides.is_empty());
    let c = parse_argocd_cm([("resource.compareoptions", "ignoreAggregatedRoles: \"true\"")]);
    assert!(c.load_fails());
    let c = parse_argocd_cm([("resource.compareoptions", "IgnoreAggregatedRoles: yes")]);
    assert!(c.ignore_aggregated_roles);
    // `/status` is appended to an existing `*/*` override
    let c = parse_argocd_cm([(
        "resource.customizations.ignoreDifferences.all",
        "jsonPointers: [/x]",
    )]);
    assert_eq!(
        keys(&c),
        vec![("*/*".to_string(), v(&["/x", "/status"]), v(&[]), v(&[]))]
    );
}

#[test]
fn go_bools() {
    for s in ["1", "t", "T", "TRUE", "true", "True"] {
        assert_eq!(go_parse_bool(s), Some(true));
    }
    for s in ["0", "f", "F", "FALSE", "false", "False"] {
        assert_eq!(go_parse_bool(s), Some(false));
    }
    assert_eq!(go_parse_bool("yes"), None);
}
