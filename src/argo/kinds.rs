//! Whether a kind is namespaced, for the project checks that Argo CD runs with API
//! discovery. Offline, the built-in Kubernetes kinds come from this table and custom
//! kinds from the CRDs in the repository (`spec.scope`); anything else is unknown.

/// Cluster-scoped kinds of Kubernetes itself, by API group (`""` is the core group).
const CLUSTER_SCOPED: &[(&str, &str)] = &[
    ("", "ComponentStatus"),
    ("", "Namespace"),
    ("", "Node"),
    ("", "PersistentVolume"),
    ("admissionregistration.k8s.io", "MutatingAdmissionPolicy"),
    (
        "admissionregistration.k8s.io",
        "MutatingAdmissionPolicyBinding",
    ),
    (
        "admissionregistration.k8s.io",
        "MutatingWebhookConfiguration",
    ),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
    (
        "admissionregistration.k8s.io",
        "ValidatingAdmissionPolicyBinding",
    ),
    (
        "admissionregistration.k8s.io",
        "ValidatingWebhookConfiguration",
    ),
    ("apiextensions.k8s.io", "CustomResourceDefinition"),
    ("apiregistration.k8s.io", "APIService"),
    ("apiserver.k8s.io", "StorageVersion"),
    ("authentication.k8s.io", "SelfSubjectReview"),
    ("authentication.k8s.io", "TokenReview"),
    ("authorization.k8s.io", "SelfSubjectAccessReview"),
    ("authorization.k8s.io", "SelfSubjectRulesReview"),
    ("authorization.k8s.io", "SubjectAccessReview"),
    ("certificates.k8s.io", "CertificateSigningRequest"),
    ("certificates.k8s.io", "ClusterTrustBundle"),
    ("flowcontrol.apiserver.k8s.io", "FlowSchema"),
    ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"),
    ("networking.k8s.io", "IPAddress"),
    ("networking.k8s.io", "IngressClass"),
    ("networking.k8s.io", "ServiceCIDR"),
    ("node.k8s.io", "RuntimeClass"),
    ("policy", "PodSecurityPolicy"),
    ("rbac.authorization.k8s.io", "ClusterRole"),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    ("resource.k8s.io", "DeviceClass"),
    ("resource.k8s.io", "ResourceSlice"),
    ("scheduling.k8s.io", "PriorityClass"),
    ("storage.k8s.io", "CSIDriver"),
    ("storage.k8s.io", "CSINode"),
    ("storage.k8s.io", "StorageClass"),
    ("storage.k8s.io", "VolumeAttachment"),
    ("storage.k8s.io", "VolumeAttributesClass"),
];

/// Groups whose kinds this table knows completely: a kind of these groups that is not
/// cluster-scoped above is namespaced.
const BUILTIN_GROUPS: &[&str] = &[
    "",
    "admissionregistration.k8s.io",
    "apiextensions.k8s.io",
    "apiregistration.k8s.io",
    "apps",
    "autoscaling",
    "batch",
    "certificates.k8s.io",
    "coordination.k8s.io",
    "discovery.k8s.io",
    "events.k8s.io",
    "flowcontrol.apiserver.k8s.io",
    "networking.k8s.io",
    "node.k8s.io",
    "policy",
    "rbac.authorization.k8s.io",
    "resource.k8s.io",
    "scheduling.k8s.io",
    "storage.k8s.io",
    "storagemigration.k8s.io",
];

/// API groups Kubernetes serves itself (no CustomResourceDefinition behind them): the
/// groups above, the review-only groups and the removed `extensions`.
const OTHER_BUILTIN_GROUPS: &[&str] = &[
    "apiserver.k8s.io",
    "authentication.k8s.io",
    "authorization.k8s.io",
    "extensions",
    "internal.apiserver.k8s.io",
];

/// Whether Kubernetes itself serves an API group, so that its objects need no CRD.
pub fn is_builtin_group(group: &str) -> bool {
    BUILTIN_GROUPS.contains(&group) || OTHER_BUILTIN_GROUPS.contains(&group)
}

/// Custom kinds whose scope is well known (their CRDs are usually installed by a chart
/// outside the repository).
const WELL_KNOWN_CUSTOM: &[(&str, &str, bool)] = &[
    ("argoproj.io", "AppProject", true),
    ("argoproj.io", "Application", true),
    ("argoproj.io", "ApplicationSet", true),
    ("argoproj.io", "Rollout", true),
    ("bitnami.com", "SealedSecret", true),
    ("cert-manager.io", "Certificate", true),
    ("cert-manager.io", "ClusterIssuer", false),
    ("cert-manager.io", "Issuer", true),
    ("external-secrets.io", "ClusterExternalSecret", false),
    ("external-secrets.io", "ClusterSecretStore", false),
    ("external-secrets.io", "ExternalSecret", true),
    ("external-secrets.io", "SecretStore", true),
    ("gateway.networking.k8s.io", "GatewayClass", false),
    ("gateway.networking.k8s.io", "Gateway", true),
    ("gateway.networking.k8s.io", "HTTPRoute", true),
    ("keda.sh", "ClusterTriggerAuthentication", false),
    ("keda.sh", "ScaledObject", true),
    ("keda.sh", "TriggerAuthentication", true),
    ("kyverno.io", "ClusterPolicy", false),
    ("kyverno.io", "Policy", true),
    ("monitoring.coreos.com", "PodMonitor", true),
    ("monitoring.coreos.com", "PrometheusRule", true),
    ("monitoring.coreos.com", "ServiceMonitor", true),
];

/// Namespaced kinds of Kubernetes itself, by API group.
const NAMESPACED: &[(&str, &str)] = &[
    ("", "Binding"),
    ("", "ConfigMap"),
    ("", "Endpoints"),
    ("", "Event"),
    ("", "LimitRange"),
    ("", "PersistentVolumeClaim"),
    ("", "Pod"),
    ("", "PodTemplate"),
    ("", "ReplicationController"),
    ("", "ResourceQuota"),
    ("", "Secret"),
    ("", "Service"),
    ("", "ServiceAccount"),
    ("apps", "ControllerRevision"),
    ("apps", "DaemonSet"),
    ("apps", "Deployment"),
    ("apps", "ReplicaSet"),
    ("apps", "StatefulSet"),
    ("autoscaling", "HorizontalPodAutoscaler"),
    ("batch", "CronJob"),
    ("batch", "Job"),
    ("coordination.k8s.io", "Lease"),
    ("discovery.k8s.io", "EndpointSlice"),
    ("events.k8s.io", "Event"),
    ("networking.k8s.io", "Ingress"),
    ("networking.k8s.io", "NetworkPolicy"),
    ("policy", "PodDisruptionBudget"),
    ("rbac.authorization.k8s.io", "Role"),
    ("rbac.authorization.k8s.io", "RoleBinding"),
    ("resource.k8s.io", "ResourceClaim"),
    ("resource.k8s.io", "ResourceClaimTemplate"),
    ("storage.k8s.io", "CSIStorageCapacity"),
];

/// The API groups that serve a well-known kind (a built-in Kubernetes kind or a custom
/// kind of the table above), sorted; empty for a kind this table does not know. Most
/// kinds live in one group; `Event` lives in two.
pub fn well_known_groups(kind: &str) -> Vec<&'static str> {
    let mut groups: Vec<&'static str> = CLUSTER_SCOPED
        .iter()
        .chain(NAMESPACED)
        .filter(|(_, k)| *k == kind)
        .map(|(g, _)| *g)
        .chain(
            WELL_KNOWN_CUSTOM
                .iter()
                .filter(|(_, k, _)| *k == kind)
                .map(|(g, _, _)| *g),
        )
        .collect();
    groups.sort_unstable();
    groups.dedup();
    groups
}

/// `Some(true)` for a namespaced kind, `Some(false)` for a cluster-scoped one, `None`
/// when the scope is not known without the cluster's API discovery.
pub fn builtin_namespaced(group: &str, kind: &str) -> Option<bool> {
    // Kinds first: they differ far more often than groups (many are core).
    if CLUSTER_SCOPED.iter().any(|&(g, k)| k == kind && g == group) {
        return Some(false);
    }
    if BUILTIN_GROUPS.contains(&group) {
        return Some(true);
    }
    WELL_KNOWN_CUSTOM
        .iter()
        .find(|(g, k, _)| *g == group && *k == kind)
        .map(|&(_, _, namespaced)| namespaced)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_of_well_known_kinds() {
        assert_eq!(
            well_known_groups("MutatingWebhookConfiguration"),
            ["admissionregistration.k8s.io"]
        );
        assert_eq!(well_known_groups("Deployment"), ["apps"]);
        assert_eq!(well_known_groups("ConfigMap"), [""]);
        assert_eq!(well_known_groups("Event"), ["", "events.k8s.io"]);
        assert_eq!(well_known_groups("Rollout"), ["argoproj.io"]);
        assert_eq!(well_known_groups("ScaledObject"), ["keda.sh"]);
        assert!(well_known_groups("Widget").is_empty());
        // Kinds are case-sensitive, as in Argo CD's rule matching.
        assert!(well_known_groups("deployment").is_empty());
    }

    #[test]
    fn namespaced_table_agrees_with_scopes() {
        for (g, k) in NAMESPACED {
            assert_eq!(builtin_namespaced(g, k), Some(true), "{g}/{k}");
        }
    }

    #[test]
    fn scopes() {
        let cases = [
            ("", "Namespace", Some(false)),
            ("", "ConfigMap", Some(true)),
            ("", "Secret", Some(true)),
            ("apps", "Deployment", Some(true)),
            ("rbac.authorization.k8s.io", "ClusterRole", Some(false)),
            ("rbac.authorization.k8s.io", "RoleBinding", Some(true)),
            ("networking.k8s.io", "IngressClass", Some(false)),
            ("networking.k8s.io", "Ingress", Some(true)),
            (
                "apiextensions.k8s.io",
                "CustomResourceDefinition",
                Some(false),
            ),
            ("cert-manager.io", "ClusterIssuer", Some(false)),
            ("argoproj.io", "Application", Some(true)),
            ("example.com", "Widget", None),
            // Case matters: Kubernetes kinds are case-sensitive.
            ("", "namespace", Some(true)),
        ];
        for (g, k, want) in cases {
            assert_eq!(builtin_namespaced(g, k), want, "{g}/{k}");
        }
    }

    #[test]
    fn builtin_groups() {
        for g in [
            "",
            "apps",
            "batch",
            "extensions",
            "rbac.authorization.k8s.io",
            "policy",
        ] {
            assert!(is_builtin_group(g), "{g}");
        }
        for g in [
            "argoproj.io",
            "cert-manager.io",
            "gateway.networking.k8s.io",
            "monitoring.coreos.com",
            "Apps",
        ] {
            assert!(!is_builtin_group(g), "{g}");
        }
    }
}
