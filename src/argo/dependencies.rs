//! What one Kubernetes object needs from other objects, read from its JSON alone: the
//! ConfigMaps, Secrets, ServiceAccounts and claims its Pods use, the Role a binding grants,
//! the Services an Ingress routes to, the CRD a custom resource needs, the Secret an
//! ExternalSecret or SealedSecret creates. Semantics notes §3 (sync order) and §7 rows 7–14
//! (hooks that need what the Sync phase creates later).
//!
//! [`extract`] is pure: it knows the Kubernetes API's field paths and defaulting rules, not
//! the repository. `crate::model::deps` resolves the references inside an Application.
//! Malformed input (a field of the wrong type, an empty name) yields no dependency for that
//! field and never a panic: the API server would reject such an object, and other rules
//! report it.

use crate::load::yaml::Node;
use serde_json::Value as Json;

/// Read access to a JSON-like document, so the same extraction runs on `serde_json`
/// values and on the YAML span tree (which spares converting every object to JSON). Both
/// read a mapping key as Kubernetes does (the last duplicate wins) and a value as a string
/// only when it is one.
pub trait Doc: Sized {
    /// The value of a mapping key (`None` when this is not a mapping).
    fn field(&self, key: &str) -> Option<&Self>;
    /// The value when it is a string.
    fn text(&self) -> Option<&str>;
    /// The items of a sequence (none when this is not one).
    fn list(&self) -> &[Self];
    fn is_true(&self) -> bool;
    fn is_null(&self) -> bool;
    fn is_mapping(&self) -> bool;
    /// The entries of a mapping, keys as JSON object keys, later duplicates winning.
    fn pairs(&self) -> Vec<(String, &Self)>;
}

impl Doc for Json {
    fn field(&self, key: &str) -> Option<&Self> {
        self.get(key)
    }
    fn text(&self) -> Option<&str> {
        self.as_str()
    }
    fn list(&self) -> &[Self] {
        self.as_array().map_or(&[], Vec::as_slice)
    }
    fn is_true(&self) -> bool {
        *self == Json::Bool(true)
    }
    fn is_null(&self) -> bool {
        Json::is_null(self)
    }
    fn is_mapping(&self) -> bool {
        self.is_object()
    }
    fn pairs(&self) -> Vec<(String, &Self)> {
        self.as_object()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v)).collect())
            .unwrap_or_default()
    }
}

impl Doc for Node {
    fn field(&self, key: &str) -> Option<&Self> {
        self.get(key)
    }
    fn text(&self) -> Option<&str> {
        self.as_str()
    }
    fn list(&self) -> &[Self] {
        self.items()
    }
    fn is_true(&self) -> bool {
        self.as_bool() == Some(true)
    }
    fn is_null(&self) -> bool {
        Node::is_null(self)
    }
    fn is_mapping(&self) -> bool {
        self.is_map()
    }
    fn pairs(&self) -> Vec<(String, &Self)> {
        let mut out: Vec<(String, &Self)> = Vec::new();
        for e in self.entries() {
            let Some(k) = e.key.key_string() else {
                continue;
            };
            match out.iter_mut().find(|(have, _)| *have == k) {
                Some(slot) => slot.1 = &e.value,
                None => out.push((k, &e.value)),
            }
        }
        out
    }
}

/// Follows a pointer made of mapping keys only (`/spec/template`; `""` is the document).
fn walk<'d, D: Doc>(doc: &'d D, pointer: &str) -> Option<&'d D> {
    pointer
        .split('/')
        .skip(1)
        .try_fold(doc, |d, key| d.field(key))
}

/// What kind of reference an object makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DepKind {
    /// `containers[].envFrom[].configMapRef` / `.secretRef`.
    EnvFrom,
    /// `containers[].env[].valueFrom.configMapKeyRef` / `.secretKeyRef`.
    EnvValueFrom,
    /// `volumes[].configMap` / `volumes[].secret`.
    Volume,
    /// `volumes[].projected.sources[].configMap` / `.secret`.
    ProjectedVolume,
    /// A Secret a volume plugin reads: `csi.nodePublishSecretRef`, `azureFile.secretName`,
    /// `cephfs`/`rbd`/`iscsi`/`flexVolume`/`scaleIO`/`storageos` `.secretRef`.
    VolumeSecret,
    /// `volumes[].csi.volumeAttributes.secretProviderClass` with the Secrets Store CSI
    /// driver.
    SecretProviderClass,
    /// `imagePullSecrets[].name`.
    ImagePullSecret,
    /// `serviceAccountName` (or the deprecated `serviceAccount`).
    ServiceAccount,
    /// `volumes[].persistentVolumeClaim.claimName`.
    Pvc,
    /// `priorityClassName`.
    PriorityClass,
    /// `runtimeClassName`.
    RuntimeClass,
    /// The Namespace a namespaced object lives in.
    Namespace,
    /// `roleRef` of a RoleBinding or ClusterRoleBinding.
    RoleRef,
    /// A `ServiceAccount` subject of a binding.
    Subject,
    /// An Ingress backend (Service or `resource`).
    IngressBackend,
    /// `spec.ingressClassName`.
    IngressClass,
    /// `spec.tls[].secretName`.
    IngressTls,
    /// `scaleTargetRef` of a HorizontalPodAutoscaler or KEDA ScaledObject.
    ScaleTarget,
    /// `spec.workloadRef` of an Argo Rollout.
    WorkloadRef,
    /// A label selector (PodDisruptionBudget, Service): informational.
    Selector,
    /// The CustomResourceDefinition of a custom resource.
    Crd,
    /// `secretStoreRef` of an ExternalSecret.
    SecretStore,
    /// `issuerRef` of a cert-manager Certificate.
    Issuer,
    /// `storageClassName` of a PersistentVolumeClaim or a StatefulSet claim template.
    StorageClass,
    /// The Secret an ExternalSecret, SealedSecret or Certificate creates (the target is
    /// produced, not needed).
    ProducesSecret,
}

impl DepKind {
    /// A short description for messages: "envFrom", "roleRef".
    pub fn as_str(self) -> &'static str {
        match self {
            DepKind::EnvFrom => "envFrom",
            DepKind::EnvValueFrom => "env valueFrom",
            DepKind::Volume => "volume",
            DepKind::ProjectedVolume => "projected volume",
            DepKind::VolumeSecret => "volume plugin secret",
            DepKind::SecretProviderClass => "secretProviderClass",
            DepKind::ImagePullSecret => "imagePullSecrets",
            DepKind::ServiceAccount => "serviceAccountName",
            DepKind::Pvc => "persistentVolumeClaim",
            DepKind::PriorityClass => "priorityClassName",
            DepKind::RuntimeClass => "runtimeClassName",
            DepKind::Namespace => "namespace",
            DepKind::RoleRef => "roleRef",
            DepKind::Subject => "subject",
            DepKind::IngressBackend => "ingress backend",
            DepKind::IngressClass => "ingressClassName",
            DepKind::IngressTls => "ingress TLS",
            DepKind::ScaleTarget => "scaleTargetRef",
            DepKind::WorkloadRef => "workloadRef",
            DepKind::Selector => "selector",
            DepKind::Crd => "CustomResourceDefinition",
            DepKind::SecretStore => "secretStoreRef",
            DepKind::Issuer => "issuerRef",
            DepKind::StorageClass => "storageClassName",
            DepKind::ProducesSecret => "creates Secret",
        }
    }
}

/// The namespace a referenced object is looked for in.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Ns {
    /// The target is cluster-scoped.
    Cluster,
    /// This namespace: written in the reference, or the referencing object's own
    /// `metadata.namespace`.
    Named(String),
    /// The referencing object's namespace, which it leaves unset: Argo CD gives it the
    /// Application's destination namespace (semantics §3.6, `getSyncTasks`).
    Default,
}

/// A named object: API group (`""` for core), kind, namespace, name.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Key {
    pub group: String,
    pub kind: String,
    pub namespace: Ns,
    pub name: String,
}

/// A label selector operator (`metav1.LabelSelectorOperator`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

/// One `matchExpressions` item.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Requirement {
    pub key: String,
    pub op: Op,
    pub values: Vec<String>,
}

/// A label selector over the Pods of workloads in a namespace. Empty matches every Pod.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Selector {
    pub namespace: Ns,
    pub match_labels: Vec<(String, String)>,
    pub match_expressions: Vec<Requirement>,
}

impl Selector {
    /// Whether a set of labels (a JSON object of strings; anything else is no labels)
    /// satisfies the selector, as `metav1.LabelSelectorAsSelector` evaluates it.
    pub fn matches(&self, labels: Option<&Json>) -> bool {
        self.matches_doc(labels)
    }

    /// [`Selector::matches`] on any document (the YAML span tree of a Pod template).
    pub fn matches_doc<D: Doc>(&self, labels: Option<&D>) -> bool {
        let get = |k: &str| labels.and_then(|l| l.field(k)).and_then(Doc::text);
        self.match_labels
            .iter()
            .all(|(k, v)| get(k) == Some(v.as_str()))
            && self.match_expressions.iter().all(|r| {
                let have = get(&r.key);
                match r.op {
                    Op::In => have.is_some_and(|h| r.values.iter().any(|v| v == h)),
                    Op::NotIn => have.is_none_or(|h| r.values.iter().all(|v| v != h)),
                    Op::Exists => have.is_some(),
                    Op::DoesNotExist => have.is_none(),
                }
            })
    }
}

/// What a dependency points at.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Ref {
    /// A named object.
    Object(Key),
    /// The Namespace of an object that sets no `metadata.namespace`: the Application's
    /// destination namespace.
    DefaultNamespace,
    /// The Pods (of workloads) a label selector picks.
    Selector(Selector),
    /// The CustomResourceDefinition whose `spec.group` and `spec.names.kind` are these (its
    /// name, `<plural>.<group>`, is not derivable from the object).
    Crd { group: String, kind: String },
}

/// One reference of an object to another.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Dependency {
    pub target: Ref,
    pub kind: DepKind,
    /// Kubernetes tolerates the target's absence: `optional: true` on the reference, or
    /// the `default` ServiceAccount, which every namespace gets.
    pub optional: bool,
    /// Not needed to run (selectors): drawn, never a reason to order.
    pub informational: bool,
    /// RFC 6901 pointer of the referencing field in the object (the `name` value when there
    /// is one); `""` for the object as a whole (a Namespace it does not name).
    pub pointer: String,
}

/// The Secrets Store CSI driver and its custom resource.
const SECRETS_STORE_DRIVER: &str = "secrets-store.csi.k8s.io";
const SECRETS_STORE_GROUP: &str = "secrets-store.csi.x-k8s.io";
const RBAC: &str = "rbac.authorization.k8s.io";
/// PriorityClasses the API server creates itself.
const SYSTEM_PRIORITY_CLASSES: [&str; 2] = ["system-cluster-critical", "system-node-critical"];

/// Where a kind keeps its Pod template, as a JSON pointer (`""`: the object is the Pod).
/// The template's spec is at `<pointer>/spec`, its labels at `<pointer>/metadata/labels`.
pub fn pod_template(group: &str, kind: &str) -> Option<&'static str> {
    match (group, kind) {
        ("", "Pod") => Some(""),
        ("", "ReplicationController")
        | ("apps" | "extensions", "Deployment" | "DaemonSet" | "ReplicaSet")
        | ("apps", "StatefulSet")
        | ("batch", "Job")
        | ("argoproj.io", "Rollout") => Some("/spec/template"),
        ("batch", "CronJob") => Some("/spec/jobTemplate/spec/template"),
        _ => None,
    }
}

/// The labels of the Pods an object runs (its Pod template's labels), for selectors.
pub fn pod_labels<D: Doc>(obj: &D) -> Option<&D> {
    let (group, kind) = group_kind(obj)?;
    let t = pod_template(group, kind)?;
    walk(obj, t)?.field("metadata")?.field("labels")
}

/// The object's API group and kind, when both are strings.
fn group_kind<D: Doc>(obj: &D) -> Option<(&str, &str)> {
    let api_version = obj.field("apiVersion")?.text()?;
    let kind = obj.field("kind")?.text()?;
    let group = api_version.split_once('/').map_or("", |(g, _)| g);
    Some((group, kind))
}

/// Every dependency of one object, in field order.
pub fn extract(obj: &Json) -> Vec<Dependency> {
    extract_doc(obj)
}

/// [`extract`] on the YAML span tree of an object (no JSON conversion).
pub fn extract_node(obj: &Node) -> Vec<Dependency> {
    extract_doc(obj)
}

/// [`extract`] on any document.
pub fn extract_doc<D: Doc>(obj: &D) -> Vec<Dependency> {
    let Some((group, kind)) = group_kind(obj) else {
        return Vec::new();
    };
    let meta = obj.field("metadata");
    let head = Head {
        group,
        kind,
        namespace: meta.and_then(|m| text(m, "namespace")),
        name: meta.and_then(|m| text(m, "name")),
    };
    extract_with(obj, &head)
}

/// What identifies an object, when the caller has already read it (a loaded object keeps
/// these): its API group and kind, and its non-empty `metadata.namespace` and `.name`.
#[derive(Clone, Copy, Debug)]
pub struct Head<'a> {
    pub group: &'a str,
    pub kind: &'a str,
    pub namespace: Option<&'a str>,
    pub name: Option<&'a str>,
}

/// [`extract_doc`] with the object's identity given (not read again from `obj`).
pub fn extract_with<D: Doc>(obj: &D, head: &Head<'_>) -> Vec<Dependency> {
    let Head {
        group,
        kind,
        namespace,
        name,
    } = *head;
    let namespace = namespace.filter(|n| !n.is_empty());
    let name = name.filter(|n| !n.is_empty());
    let mut cx = Cx {
        ns: namespace,
        out: Vec::new(),
    };

    // The Namespace it lives in (§3.6 Namespace-first), unless it is cluster-scoped.
    if crate::argo::kinds::builtin_namespaced(group, kind) != Some(false) {
        let target = match namespace {
            Some(ns) => Ref::Object(key("", "Namespace", Ns::Cluster, ns)),
            None => Ref::DefaultNamespace,
        };
        let pointer = if namespace.is_some() {
            "/metadata/namespace"
        } else {
            ""
        };
        cx.push(target, DepKind::Namespace, false, pointer.to_owned());
    }

    // A custom resource needs its CRD (§3.6 CRD-first).
    if !crate::argo::kinds::is_builtin_group(group) {
        cx.push(
            Ref::Crd {
                group: group.to_owned(),
                kind: kind.to_owned(),
            },
            DepKind::Crd,
            false,
            "/kind".to_owned(),
        );
    }

    if let Some(t) = pod_template(group, kind) {
        let base = format!("{t}/spec");
        if let Some(spec) = walk(obj, &base) {
            // The StatefulSet controller replaces template volumes named like a claim
            // template with the claim (`updateStorage`).
            let claims: Vec<&str> = if kind == "StatefulSet" {
                items(obj.field("spec"), "volumeClaimTemplates")
                    .filter_map(|(_, c)| c.field("metadata").and_then(|m| text(m, "name")))
                    .collect()
            } else {
                Vec::new()
            };
            cx.pod_spec(spec, &base, &claims);
        }
    }

    let spec = obj.field("spec");
    match (group, kind) {
        ("apps", "StatefulSet") => {
            for (i, c) in items(spec, "volumeClaimTemplates") {
                cx.storage_class(
                    c.field("spec"),
                    &format!("/spec/volumeClaimTemplates/{i}/spec"),
                );
            }
        }
        ("", "PersistentVolumeClaim") => cx.storage_class(spec, "/spec"),
        (RBAC, "RoleBinding" | "ClusterRoleBinding") => cx.binding(obj, kind == "RoleBinding"),
        ("networking.k8s.io" | "extensions", "Ingress") => cx.ingress(spec),
        ("autoscaling", "HorizontalPodAutoscaler") => {
            cx.scale_target(spec, None, None);
        }
        ("keda.sh", "ScaledObject") => {
            cx.scale_target(spec, Some("apps/v1"), Some("Deployment"));
        }
        ("argoproj.io", "Rollout") => {
            if let Some(r) = spec.and_then(|s| s.field("workloadRef")) {
                cx.typed_ref(r, "/spec/workloadRef", DepKind::WorkloadRef, None, None);
            }
        }
        ("policy", "PodDisruptionBudget") => {
            // policy/v1: an empty selector selects every Pod of the namespace;
            // policy/v1beta1: none. A missing or null selector selects none.
            let v1beta1 = obj.field("apiVersion").and_then(Doc::text) == Some("policy/v1beta1");
            if let Some(sel) = spec.and_then(|s| s.field("selector"))
                && let Some((labels, exprs)) = label_selector(sel)
                && !(v1beta1 && labels.is_empty() && exprs.is_empty())
            {
                cx.selector(labels, exprs, "/spec/selector");
            }
        }
        ("", "Service") => {
            // A Service without a selector (or with an empty one) selects nothing: its
            // endpoints are managed by hand.
            if let Some(labels) = spec
                .and_then(|s| s.field("selector"))
                .and_then(string_map)
                .filter(|l| !l.is_empty())
            {
                cx.selector(labels, Vec::new(), "/spec/selector");
            }
        }
        ("external-secrets.io", "ExternalSecret") => cx.external_secret(spec, name),
        ("bitnami.com", "SealedSecret") => {
            // The controller always names the Secret after the SealedSecret, in its
            // namespace, whatever `spec.template.metadata` says (`Unseal`).
            if let Some(n) = name {
                cx.produces(n, "/metadata/name");
            }
        }
        ("cert-manager.io", "Certificate") => {
            if let Some(n) = spec.and_then(|s| text(s, "secretName")) {
                cx.produces(n, "/spec/secretName");
            }
            if let Some(r) = spec.and_then(|s| s.field("issuerRef")) {
                cx.issuer(r);
            }
        }
        _ => {}
    }
    cx.out
}

struct Cx<'a> {
    /// The referencing object's `metadata.namespace`.
    ns: Option<&'a str>,
    out: Vec<Dependency>,
}

/// A non-empty string field.
fn text<'a, D: Doc>(v: &'a D, field: &str) -> Option<&'a str> {
    v.field(field)?.text().filter(|s| !s.is_empty())
}

/// The items of an array field with their positions (nothing when it is not an array).
fn items<'a, D: Doc>(v: Option<&'a D>, field: &str) -> impl Iterator<Item = (usize, &'a D)> {
    v.and_then(|v| v.field(field))
        .map_or(&[][..], D::list)
        .iter()
        .enumerate()
}

fn is_true<D: Doc>(v: &D, field: &str) -> bool {
    v.field(field).is_some_and(Doc::is_true)
}

fn key(group: &str, kind: &str, namespace: Ns, name: &str) -> Key {
    Key {
        group: group.to_owned(),
        kind: kind.to_owned(),
        namespace,
        name: name.to_owned(),
    }
}

/// A JSON object of strings (`matchLabels`, a Service selector); `None` when malformed.
fn string_map<D: Doc>(v: &D) -> Option<Vec<(String, String)>> {
    if v.is_null() {
        return Some(Vec::new());
    }
    if !v.is_mapping() {
        return None;
    }
    v.pairs()
        .into_iter()
        .map(|(k, v)| Some((k, v.text()?.to_owned())))
        .collect()
}

/// `matchLabels` and `matchExpressions` of a selector.
type SelectorParts = (Vec<(String, String)>, Vec<Requirement>);

/// A `metav1.LabelSelector`; `None` when malformed (the API server would reject it).
fn label_selector<D: Doc>(v: &D) -> Option<SelectorParts> {
    if !v.is_mapping() {
        return None;
    }
    let labels = match v.field("matchLabels") {
        Some(m) => string_map(m)?,
        None => Vec::new(),
    };
    let mut exprs = Vec::new();
    if let Some(list) = v.field("matchExpressions").filter(|l| !l.is_null()) {
        if list.is_mapping() || list.text().is_some() {
            return None;
        }
        for e in list.list() {
            let key = text(e, "key")?.to_owned();
            let op = match e.field("operator")?.text()? {
                "In" => Op::In,
                "NotIn" => Op::NotIn,
                "Exists" => Op::Exists,
                "DoesNotExist" => Op::DoesNotExist,
                _ => return None,
            };
            let values = match e.field("values").filter(|v| !v.is_null()) {
                None => Vec::new(),
                Some(vs) if vs.is_mapping() || vs.text().is_some() => return None,
                Some(vs) => vs
                    .list()
                    .iter()
                    .map(|v| v.text().map(str::to_owned))
                    .collect::<Option<Vec<_>>>()?,
            };
            exprs.push(Requirement { key, op, values });
        }
    }
    Some((labels, exprs))
}

/// The group of an `apiVersion` (`"apps/v1"` → `"apps"`, `"v1"` → `""`).
fn group_of(api_version: &str) -> &str {
    api_version.split_once('/').map_or("", |(g, _)| g)
}

impl Cx<'_> {
    fn push(&mut self, target: Ref, kind: DepKind, optional: bool, pointer: String) {
        self.out.push(Dependency {
            target,
            kind,
            optional,
            informational: kind == DepKind::Selector,
            pointer,
        });
    }

    /// The referencing object's namespace, for namespace-local references.
    fn local(&self) -> Ns {
        match self.ns {
            Some(ns) => Ns::Named(ns.to_owned()),
            None => Ns::Default,
        }
    }

    /// A namespace-local reference to a core kind by a name field.
    fn core_local(
        &mut self,
        kind: &str,
        holder: &impl Doc,
        field: &str,
        dep: DepKind,
        optional: bool,
        at: &str,
    ) {
        if let Some(name) = text(holder, field) {
            let target = Ref::Object(key("", kind, self.local(), name));
            self.push(target, dep, optional, format!("{at}/{field}"));
        }
    }

    /// A PodSpec at `base`. Volumes named in `skip_volumes` are replaced by the StatefulSet
    /// controller and are not references.
    fn pod_spec<D: Doc>(&mut self, spec: &D, base: &str, skip_volumes: &[&str]) {
        for list in ["initContainers", "containers", "ephemeralContainers"] {
            for (i, c) in items(Some(spec), list) {
                let at = format!("{base}/{list}/{i}");
                for (j, e) in items(Some(c), "env") {
                    let Some(vf) = e.field("valueFrom") else {
                        continue;
                    };
                    for (field, kind) in
                        [("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret")]
                    {
                        if let Some(r) = vf.field(field) {
                            let p = format!("{at}/env/{j}/valueFrom/{field}");
                            let optional = is_true(r, "optional");
                            self.core_local(kind, r, "name", DepKind::EnvValueFrom, optional, &p);
                        }
                    }
                }
                for (j, e) in items(Some(c), "envFrom") {
                    for (field, kind) in [("configMapRef", "ConfigMap"), ("secretRef", "Secret")] {
                        if let Some(r) = e.field(field) {
                            let p = format!("{at}/envFrom/{j}/{field}");
                            let optional = is_true(r, "optional");
                            self.core_local(kind, r, "name", DepKind::EnvFrom, optional, &p);
                        }
                    }
                }
            }
        }
        for (i, v) in items(Some(spec), "volumes") {
            if text(v, "name").is_some_and(|n| skip_volumes.contains(&n)) {
                continue;
            }
            self.volume(v, &format!("{base}/volumes/{i}"));
        }
        for (i, s) in items(Some(spec), "imagePullSecrets") {
            let at = format!("{base}/imagePullSecrets/{i}");
            self.core_local("Secret", s, "name", DepKind::ImagePullSecret, false, &at);
        }
        // `serviceAccount` is a deprecated alias, used only when `serviceAccountName` is
        // empty (`Convert_v1_PodSpec_To_core_PodSpec`). Unset means `default`, which is not
        // a dependency; the `default` ServiceAccount every namespace gets is optional.
        let field = ["serviceAccountName", "serviceAccount"]
            .into_iter()
            .find(|f| text(spec, f).is_some());
        if let Some(field) = field
            && let Some(name) = text(spec, field)
        {
            let optional = name == "default";
            self.core_local(
                "ServiceAccount",
                spec,
                field,
                DepKind::ServiceAccount,
                optional,
                base,
            );
        }
        if let Some(name) =
            text(spec, "priorityClassName").filter(|n| !SYSTEM_PRIORITY_CLASSES.contains(n))
        {
            let target = Ref::Object(key("scheduling.k8s.io", "PriorityClass", Ns::Cluster, name));
            self.push(
                target,
                DepKind::PriorityClass,
                false,
                format!("{base}/priorityClassName"),
            );
        }
        if let Some(name) = text(spec, "runtimeClassName") {
            let target = Ref::Object(key("node.k8s.io", "RuntimeClass", Ns::Cluster, name));
            self.push(
                target,
                DepKind::RuntimeClass,
                false,
                format!("{base}/runtimeClassName"),
            );
        }
    }

    fn volume<D: Doc>(&mut self, v: &D, at: &str) {
        if let Some(cm) = v.field("configMap") {
            let optional = is_true(cm, "optional");
            let p = format!("{at}/configMap");
            self.core_local("ConfigMap", cm, "name", DepKind::Volume, optional, &p);
        }
        if let Some(s) = v.field("secret") {
            let optional = is_true(s, "optional");
            let p = format!("{at}/secret");
            self.core_local("Secret", s, "secretName", DepKind::Volume, optional, &p);
        }
        if let Some(c) = v.field("persistentVolumeClaim") {
            let p = format!("{at}/persistentVolumeClaim");
            self.core_local(
                "PersistentVolumeClaim",
                c,
                "claimName",
                DepKind::Pvc,
                false,
                &p,
            );
        }
        let sources = v.field("projected");
        for (k, src) in items(sources, "sources") {
            for (field, kind) in [("configMap", "ConfigMap"), ("secret", "Secret")] {
                if let Some(r) = src.field(field) {
                    let p = format!("{at}/projected/sources/{k}/{field}");
                    let optional = is_true(r, "optional");
                    self.core_local(kind, r, "name", DepKind::ProjectedVolume, optional, &p);
                }
            }
        }
        if let Some(csi) = v.field("csi") {
            if let Some(r) = csi.field("nodePublishSecretRef") {
                let p = format!("{at}/csi/nodePublishSecretRef");
                self.core_local("Secret", r, "name", DepKind::VolumeSecret, false, &p);
            }
            if csi.field("driver").and_then(Doc::text) == Some(SECRETS_STORE_DRIVER)
                && let Some(name) = csi
                    .field("volumeAttributes")
                    .and_then(|a| text(a, "secretProviderClass"))
            {
                let target = Ref::Object(key(
                    SECRETS_STORE_GROUP,
                    "SecretProviderClass",
                    self.local(),
                    name,
                ));
                self.push(
                    target,
                    DepKind::SecretProviderClass,
                    false,
                    format!("{at}/csi/volumeAttributes/secretProviderClass"),
                );
            }
        }
        if let Some(a) = v.field("azureFile") {
            let p = format!("{at}/azureFile");
            self.core_local("Secret", a, "secretName", DepKind::VolumeSecret, false, &p);
        }
        for plugin in [
            "cephfs",
            "rbd",
            "iscsi",
            "flexVolume",
            "scaleIO",
            "storageos",
        ] {
            if let Some(r) = v.field(plugin).and_then(|p| p.field("secretRef")) {
                let p = format!("{at}/{plugin}/secretRef");
                self.core_local("Secret", r, "name", DepKind::VolumeSecret, false, &p);
            }
        }
    }

    /// `storageClassName` of a PersistentVolumeClaimSpec at `at` (`""` means no class).
    fn storage_class<D: Doc>(&mut self, spec: Option<&D>, at: &str) {
        if let Some(name) = spec.and_then(|s| text(s, "storageClassName")) {
            let target = Ref::Object(key("storage.k8s.io", "StorageClass", Ns::Cluster, name));
            self.push(
                target,
                DepKind::StorageClass,
                false,
                format!("{at}/storageClassName"),
            );
        }
    }

    /// RoleBinding / ClusterRoleBinding: `roleRef` and ServiceAccount subjects.
    fn binding<D: Doc>(&mut self, obj: &D, namespaced: bool) {
        if let Some(r) = obj.field("roleRef")
            && let Some(name) = text(r, "name")
        {
            let group = r.field("apiGroup").and_then(Doc::text).unwrap_or("");
            let ns = match r.field("kind").and_then(Doc::text) {
                Some("Role") if namespaced => Some(self.local()),
                Some("ClusterRole") => Some(Ns::Cluster),
                // A ClusterRoleBinding cannot reference a Role; other kinds are invalid.
                _ => None,
            };
            if let (Some(ns), Some(kind)) = (ns, r.field("kind").and_then(Doc::text)) {
                let target = Ref::Object(key(group, kind, ns, name));
                self.push(target, DepKind::RoleRef, false, "/roleRef/name".to_owned());
            }
        }
        for (i, s) in items(Some(obj), "subjects") {
            if s.field("kind").and_then(Doc::text) != Some("ServiceAccount") {
                continue;
            }
            let Some(name) = text(s, "name") else {
                continue;
            };
            // The RBAC authorizer defaults a subject's namespace to the binding's; a
            // ClusterRoleBinding must name it (validation rejects it otherwise).
            let ns = match text(s, "namespace") {
                Some(ns) => Ns::Named(ns.to_owned()),
                None if namespaced => self.local(),
                None => continue,
            };
            let target = Ref::Object(key("", "ServiceAccount", ns, name));
            self.push(
                target,
                DepKind::Subject,
                false,
                format!("/subjects/{i}/name"),
            );
        }
    }

    /// An Ingress of networking.k8s.io/v1 (`service.name`, `defaultBackend`) or of the
    /// v1beta1 versions (`serviceName`, `backend`).
    fn ingress<D: Doc>(&mut self, spec: Option<&D>) {
        let Some(spec) = spec else { return };
        for field in ["defaultBackend", "backend"] {
            if let Some(b) = spec.field(field) {
                self.backend(b, &format!("/spec/{field}"));
            }
        }
        for (i, rule) in items(Some(spec), "rules") {
            for (j, path) in items(rule.field("http"), "paths") {
                if let Some(b) = path.field("backend") {
                    self.backend(b, &format!("/spec/rules/{i}/http/paths/{j}/backend"));
                }
            }
        }
        if let Some(name) = text(spec, "ingressClassName") {
            let target = Ref::Object(key("networking.k8s.io", "IngressClass", Ns::Cluster, name));
            self.push(
                target,
                DepKind::IngressClass,
                false,
                "/spec/ingressClassName".to_owned(),
            );
        }
        for (i, t) in items(Some(spec), "tls") {
            let at = format!("/spec/tls/{i}");
            self.core_local("Secret", t, "secretName", DepKind::IngressTls, false, &at);
        }
    }

    fn backend<D: Doc>(&mut self, b: &D, at: &str) {
        if let Some(s) = b.field("service") {
            let p = format!("{at}/service");
            self.core_local("Service", s, "name", DepKind::IngressBackend, false, &p);
        }
        self.core_local(
            "Service",
            b,
            "serviceName",
            DepKind::IngressBackend,
            false,
            at,
        );
        // `resource`: a TypedLocalObjectReference (`apiGroup` empty for the core group).
        if let Some(r) = b.field("resource")
            && let (Some(kind), Some(name)) = (text(r, "kind"), text(r, "name"))
        {
            let group = r.field("apiGroup").and_then(Doc::text).unwrap_or("");
            let target = Ref::Object(key(group, kind, self.local(), name));
            self.push(
                target,
                DepKind::IngressBackend,
                false,
                format!("{at}/resource/name"),
            );
        }
    }

    fn scale_target(
        &mut self,
        spec: Option<&impl Doc>,
        default_api_version: Option<&str>,
        default_kind: Option<&str>,
    ) {
        if let Some(r) = spec.and_then(|s| s.field("scaleTargetRef")) {
            self.typed_ref(
                r,
                "/spec/scaleTargetRef",
                DepKind::ScaleTarget,
                default_api_version,
                default_kind,
            );
        }
    }

    /// A `{apiVersion, kind, name}` reference in the object's namespace.
    fn typed_ref(
        &mut self,
        r: &impl Doc,
        at: &str,
        dep: DepKind,
        default_api_version: Option<&str>,
        default_kind: Option<&str>,
    ) {
        let Some(name) = text(r, "name") else { return };
        let api_version = text(r, "apiVersion").or(default_api_version).unwrap_or("");
        let Some(kind) = text(r, "kind").or(default_kind) else {
            return;
        };
        let target = Ref::Object(key(group_of(api_version), kind, self.local(), name));
        self.push(target, dep, false, format!("{at}/name"));
    }

    fn selector(&mut self, labels: Vec<(String, String)>, exprs: Vec<Requirement>, at: &str) {
        let target = Ref::Selector(Selector {
            namespace: self.local(),
            match_labels: labels,
            match_expressions: exprs,
        });
        self.push(target, DepKind::Selector, false, at.to_owned());
    }

    fn produces(&mut self, name: &str, at: &str) {
        let target = Ref::Object(key("", "Secret", self.local(), name));
        self.push(target, DepKind::ProducesSecret, false, at.to_owned());
    }

    /// ExternalSecret (v1beta1 and v1): its stores and the Secret it creates.
    fn external_secret<D: Doc>(&mut self, spec: Option<&D>, name: Option<&str>) {
        let Some(spec) = spec else { return };
        if let Some(r) = spec.field("secretStoreRef") {
            self.store(r, "/spec/secretStoreRef");
        }
        for list in ["data", "dataFrom"] {
            for (i, d) in items(Some(spec), list) {
                if let Some(r) = d.field("sourceRef").and_then(|s| s.field("storeRef")) {
                    self.store(r, &format!("/spec/{list}/{i}/sourceRef/storeRef"));
                }
            }
        }
        // `Merge` fills an existing Secret and `None` writes none: only `Owner` (the
        // default) and `Orphan` create one.
        let target = spec.field("target");
        let policy = target.and_then(|t| t.field("creationPolicy"));
        let creates = match policy.filter(|p| !p.is_null()) {
            None => true,
            Some(p) => matches!(p.text(), Some("Owner" | "Orphan" | "")),
        };
        if !creates {
            return;
        }
        match target.and_then(|t| text(t, "name")) {
            Some(n) => self.produces(n, "/spec/target/name"),
            None => {
                if let Some(n) = name {
                    self.produces(n, "/metadata/name");
                }
            }
        }
    }

    fn store<D: Doc>(&mut self, r: &D, at: &str) {
        let Some(name) = text(r, "name") else { return };
        let (kind, ns) = match text(r, "kind") {
            None | Some("SecretStore") => ("SecretStore", self.local()),
            Some("ClusterSecretStore") => ("ClusterSecretStore", Ns::Cluster),
            Some(_) => return,
        };
        let target = Ref::Object(key("external-secrets.io", kind, ns, name));
        self.push(target, DepKind::SecretStore, false, format!("{at}/name"));
    }

    /// cert-manager `issuerRef` (kind defaults to Issuer, group to cert-manager.io). Issuers
    /// of other groups (external issuers) are left out: their scope is unknown.
    fn issuer<D: Doc>(&mut self, r: &D) {
        let Some(name) = text(r, "name") else { return };
        let group = text(r, "group").unwrap_or("cert-manager.io");
        if group != "cert-manager.io" {
            return;
        }
        let (kind, ns) = match text(r, "kind") {
            None | Some("Issuer") => ("Issuer", self.local()),
            Some("ClusterIssuer") => ("ClusterIssuer", Ns::Cluster),
            Some(_) => return,
        };
        let target = Ref::Object(key(group, kind, ns, name));
        self.push(
            target,
            DepKind::Issuer,
            false,
            "/spec/issuerRef/name".to_owned(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(yaml: &str) -> Json {
        let parsed = crate::load::yaml::parse(yaml);
        parsed
            .documents
            .into_iter()
            .next()
            .map(|d| d.root.to_json())
            .expect("a document")
    }

    fn ns(n: &Ns) -> String {
        match n {
            Ns::Cluster => "-".to_owned(),
            Ns::Named(s) => s.clone(),
            Ns::Default => "~".to_owned(),
        }
    }

    /// `Kind group/kind ns name @pointer [optional]`, one line per dependency.
    fn show(d: &Dependency) -> String {
        let target = match &d.target {
            Ref::Object(k) => format!("{}/{} {} {}", k.group, k.kind, ns(&k.namespace), k.name),
            Ref::DefaultNamespace => "default-namespace".to_owned(),
            Ref::Selector(s) => {
                let labels: Vec<String> = s
                    .match_labels
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect();
                format!(
                    "selector {} [{}] {} exprs",
                    ns(&s.namespace),
                    labels.join(","),
                    s.match_expressions.len()
                )
            }
            Ref::Crd { group, kind } => format!("crd {group}/{kind}"),
        };
        let mut out = format!("{:?} {target} @{}", d.kind, d.pointer);
        if d.optional {
            out.push_str(" optional");
        }
        if d.informational {
            out.push_str(" informational");
        }
        out
    }

    /// The dependencies of an object, without the Namespace one (tested separately).
    /// Extraction from JSON and from the span tree must agree.
    fn deps(yaml: &str) -> Vec<String> {
        let root = crate::load::yaml::parse(yaml)
            .documents
            .into_iter()
            .next()
            .expect("a document")
            .root;
        let from_json = extract(&root.to_json());
        assert_eq!(extract_node(&root), from_json, "{yaml}");
        from_json
            .iter()
            .filter(|d| d.kind != DepKind::Namespace)
            .map(show)
            .collect()
    }

    fn pod(spec: &str) -> String {
        format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: team\nspec:\n{spec}")
    }

    /// Every field path of a PodSpec, one case each.
    #[test]
    fn pod_spec_field_paths() {
        let cases: &[(&str, &[&str])] = &[
            (
                "  containers:\n  - name: a\n    env:\n    - name: X\n      value: x\n    - name: Y\n      valueFrom:\n        configMapKeyRef: {name: cm, key: k}\n",
                &[
                    "EnvValueFrom /ConfigMap team cm @/spec/containers/0/env/1/valueFrom/configMapKeyRef/name",
                ],
            ),
            (
                "  containers:\n  - name: a\n    env:\n    - name: Y\n      valueFrom:\n        secretKeyRef: {name: s, key: k, optional: true}\n",
                &[
                    "EnvValueFrom /Secret team s @/spec/containers/0/env/0/valueFrom/secretKeyRef/name optional",
                ],
            ),
            (
                "  containers:\n  - name: a\n    envFrom:\n    - configMapRef: {name: cm}\n    - prefix: X_\n      secretRef: {name: s, optional: false}\n",
                &[
                    "EnvFrom /ConfigMap team cm @/spec/containers/0/envFrom/0/configMapRef/name",
                    "EnvFrom /Secret team s @/spec/containers/0/envFrom/1/secretRef/name",
                ],
            ),
            (
                "  containers:\n  - name: a\n    envFrom:\n    - configMapRef: {name: cm, optional: true}\n",
                &[
                    "EnvFrom /ConfigMap team cm @/spec/containers/0/envFrom/0/configMapRef/name optional",
                ],
            ),
            (
                "  initContainers:\n  - name: i\n    envFrom:\n    - secretRef: {name: init}\n  containers:\n  - name: a\n  ephemeralContainers:\n  - name: e\n    env:\n    - name: Z\n      valueFrom:\n        configMapKeyRef: {name: debug, key: k}\n",
                &[
                    "EnvFrom /Secret team init @/spec/initContainers/0/envFrom/0/secretRef/name",
                    "EnvValueFrom /ConfigMap team debug @/spec/ephemeralContainers/0/env/0/valueFrom/configMapKeyRef/name",
                ],
            ),
            (
                "  volumes:\n  - name: a\n    configMap: {name: cm}\n  - name: b\n    secret: {secretName: s, optional: true}\n  - name: c\n    persistentVolumeClaim: {claimName: data}\n  - name: d\n    emptyDir: {}\n",
                &[
                    "Volume /ConfigMap team cm @/spec/volumes/0/configMap/name",
                    "Volume /Secret team s @/spec/volumes/1/secret/secretName optional",
                    "Pvc /PersistentVolumeClaim team data @/spec/volumes/2/persistentVolumeClaim/claimName",
                ],
            ),
            (
                "  volumes:\n  - name: p\n    projected:\n      sources:\n      - serviceAccountToken: {path: t}\n      - configMap: {name: cm, optional: true}\n      - secret: {name: s}\n      - downwardAPI: {items: []}\n",
                &[
                    "ProjectedVolume /ConfigMap team cm @/spec/volumes/0/projected/sources/1/configMap/name optional",
                    "ProjectedVolume /Secret team s @/spec/volumes/0/projected/sources/2/secret/name",
                ],
            ),
            (
                "  volumes:\n  - name: v\n    csi:\n      driver: secrets-store.csi.k8s.io\n      volumeAttributes: {secretProviderClass: vault-db}\n      nodePublishSecretRef: {name: creds}\n  - name: w\n    csi:\n      driver: other.csi.example.com\n      volumeAttributes: {secretProviderClass: ignored}\n  - name: x\n    azureFile: {secretName: az, shareName: s}\n  - name: y\n    rbd: {monitors: [m], image: i, secretRef: {name: ceph}}\n",
                &[
                    "VolumeSecret /Secret team creds @/spec/volumes/0/csi/nodePublishSecretRef/name",
                    "SecretProviderClass secrets-store.csi.x-k8s.io/SecretProviderClass team vault-db @/spec/volumes/0/csi/volumeAttributes/secretProviderClass",
                    "VolumeSecret /Secret team az @/spec/volumes/2/azureFile/secretName",
                    "VolumeSecret /Secret team ceph @/spec/volumes/3/rbd/secretRef/name",
                ],
            ),
            (
                "  imagePullSecrets:\n  - name: regcred\n  - {}\n  containers: []\n",
                &["ImagePullSecret /Secret team regcred @/spec/imagePullSecrets/0/name"],
            ),
            (
                "  serviceAccountName: runner\n",
                &["ServiceAccount /ServiceAccount team runner @/spec/serviceAccountName"],
            ),
            // The deprecated alias counts only when serviceAccountName is empty.
            (
                "  serviceAccount: old\n",
                &["ServiceAccount /ServiceAccount team old @/spec/serviceAccount"],
            ),
            (
                "  serviceAccountName: new\n  serviceAccount: old\n",
                &["ServiceAccount /ServiceAccount team new @/spec/serviceAccountName"],
            ),
            (
                "  serviceAccountName: ''\n  serviceAccount: old\n",
                &["ServiceAccount /ServiceAccount team old @/spec/serviceAccount"],
            ),
            // Unset: the default ServiceAccount, not a dependency; written: optional.
            ("  containers: []\n", &[]),
            (
                "  serviceAccountName: default\n",
                &["ServiceAccount /ServiceAccount team default @/spec/serviceAccountName optional"],
            ),
            (
                "  priorityClassName: high\n  runtimeClassName: gvisor\n",
                &[
                    "PriorityClass scheduling.k8s.io/PriorityClass - high @/spec/priorityClassName",
                    "RuntimeClass node.k8s.io/RuntimeClass - gvisor @/spec/runtimeClassName",
                ],
            ),
            // The API server creates these PriorityClasses itself.
            ("  priorityClassName: system-node-critical\n", &[]),
        ];
        for (spec, want) in cases {
            assert_eq!(deps(&pod(spec)), *want, "{spec}");
        }
    }

    /// Malformed fields yield nothing for that field and never panic.
    #[test]
    fn malformed_pod_specs() {
        let cases: &[(&str, &[&str])] = &[
            ("  containers: 5\n", &[]),
            ("  containers:\n  - 7\n  - name: a\n    env: {x: 1}\n", &[]),
            (
                "  containers:\n  - name: a\n    env:\n    - valueFrom: [1]\n    - valueFrom:\n        configMapKeyRef: {name: 5}\n    - valueFrom:\n        secretKeyRef: {name: ''}\n    - valueFrom:\n        secretKeyRef: s\n",
                &[],
            ),
            // A non-boolean `optional` is not `true`.
            (
                "  containers:\n  - name: a\n    envFrom:\n    - configMapRef: {name: cm, optional: 'true'}\n",
                &["EnvFrom /ConfigMap team cm @/spec/containers/0/envFrom/0/configMapRef/name"],
            ),
            ("  volumes: {a: 1}\n  imagePullSecrets: regcred\n", &[]),
            (
                "  volumes:\n  - name: a\n    configMap: cm\n  - secret: {secretName: [x]}\n  - projected: {sources: 3}\n  - persistentVolumeClaim: {}\n",
                &[],
            ),
            ("  serviceAccountName: 5\n  priorityClassName: {}\n", &[]),
            // A repeated key: the last one wins, as in the JSON Kubernetes reads.
            (
                "  serviceAccountName: first\n  serviceAccountName: last\n",
                &["ServiceAccount /ServiceAccount team last @/spec/serviceAccountName"],
            ),
        ];
        for (spec, want) in cases {
            assert_eq!(deps(&pod(spec)), *want, "{spec}");
        }
        for yaml in [
            "apiVersion: v1\nkind: Pod\nspec: 5\n",
            "apiVersion: apps/v1\nkind: Deployment\nspec: {template: 3}\n",
            "apiVersion: apps/v1\nkind: Deployment\nspec: {template: {spec: [1]}}\n",
            "apiVersion: batch/v1\nkind: CronJob\nspec: {jobTemplate: {spec: {template: null}}}\n",
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nroleRef: 1\nsubjects: {a: b}\n",
            "apiVersion: networking.k8s.io/v1\nkind: Ingress\nspec: {rules: [{http: {paths: 3}}], tls: [5], defaultBackend: []}\n",
            "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nspec: {scaleTargetRef: {kind: Deployment}}\n",
            "apiVersion: policy/v1\nkind: PodDisruptionBudget\nspec: {selector: {matchLabels: {a: 1}}}\n",
            "apiVersion: policy/v1\nkind: PodDisruptionBudget\nspec: {selector: {matchExpressions: [{key: a, operator: Near}]}}\n",
            "apiVersion: v1\nkind: Service\nspec: {selector: [a]}\n",
            "apiVersion: external-secrets.io/v1beta1\nkind: ExternalSecret\nspec: {secretStoreRef: 5, target: 7}\n",
            "apiVersion: cert-manager.io/v1\nkind: Certificate\nspec: {secretName: 5, issuerRef: []}\n",
        ] {
            let got: Vec<String> = deps(yaml)
                .into_iter()
                .filter(|d| !d.starts_with("Crd "))
                .collect();
            assert_eq!(got, Vec::<String>::new(), "{yaml}");
        }
        // Not an object at all.
        for v in [Json::Null, Json::from(3), Json::from("x"), json("[1, 2]")] {
            assert!(extract(&v).is_empty());
        }
        assert!(extract(&json("kind: Pod\nspec: {serviceAccountName: x}\n")).is_empty());
    }

    /// Every kind with a Pod template, at its own path.
    #[test]
    fn pod_templates_of_every_workload() {
        let spec = "serviceAccountName: sa";
        let cases = [
            (
                "apps/v1",
                "Deployment",
                "spec:\n  template:\n    spec: {SPEC}\n",
                "/spec/template/spec",
            ),
            (
                "extensions/v1beta1",
                "Deployment",
                "spec:\n  template:\n    spec: {SPEC}\n",
                "/spec/template/spec",
            ),
            (
                "apps/v1",
                "StatefulSet",
                "spec:\n  template:\n    spec: {SPEC}\n",
                "/spec/template/spec",
            ),
            (
                "apps/v1",
                "DaemonSet",
                "spec:\n  template:\n    spec: {SPEC}\n",
                "/spec/template/spec",
            ),
            (
                "apps/v1",
                "ReplicaSet",
                "spec:\n  template:\n    spec: {SPEC}\n",
                "/spec/template/spec",
            ),
            (
                "v1",
                "ReplicationController",
                "spec:\n  template:\n    spec: {SPEC}\n",
                "/spec/template/spec",
            ),
            (
                "batch/v1",
                "Job",
                "spec:\n  template:\n    spec: {SPEC}\n",
                "/spec/template/spec",
            ),
            (
                "batch/v1",
                "CronJob",
                "spec:\n  jobTemplate:\n    spec:\n      template:\n        spec: {SPEC}\n",
                "/spec/jobTemplate/spec/template/spec",
            ),
            (
                "argoproj.io/v1alpha1",
                "Rollout",
                "spec:\n  template:\n    spec: {SPEC}\n",
                "/spec/template/spec",
            ),
            ("v1", "Pod", "spec: {SPEC}\n", "/spec"),
        ];
        for (api, kind, body, at) in cases {
            let yaml = format!(
                "apiVersion: {api}\nkind: {kind}\nmetadata:\n  name: w\n  namespace: team\n{}",
                body.replace("SPEC", spec)
            );
            let got: Vec<String> = deps(&yaml)
                .into_iter()
                .filter(|d| !d.starts_with("Crd "))
                .collect();
            assert_eq!(
                got,
                [format!(
                    "ServiceAccount /ServiceAccount team sa @{at}/serviceAccountName"
                )],
                "{kind}"
            );
        }
        // A Deployment-like kind of another group has no Pod template we know.
        let other = "apiVersion: example.com/v1\nkind: Deployment\nmetadata: {name: w, namespace: team}\nspec:\n  template:\n    spec: {serviceAccountName: sa}\n";
        assert_eq!(deps(other), ["Crd crd example.com/Deployment @/kind"]);
        // Only the CronJob's job template counts, not a stray `spec.template`.
        let cron = "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: c, namespace: team}\nspec:\n  template:\n    spec: {serviceAccountName: sa}\n";
        assert!(deps(cron).is_empty());
    }

    #[test]
    fn statefulset_claim_templates_are_not_dependencies() {
        let yaml = "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db, namespace: team}\nspec:\n  template:\n    spec:\n      volumes:\n      - name: data\n        persistentVolumeClaim: {claimName: replaced}\n      - name: shared\n        persistentVolumeClaim: {claimName: shared}\n  volumeClaimTemplates:\n  - metadata: {name: data}\n    spec: {storageClassName: fast}\n  - metadata: {name: logs}\n    spec: {storageClassName: ''}\n";
        assert_eq!(
            deps(yaml),
            [
                "Pvc /PersistentVolumeClaim team shared @/spec/template/spec/volumes/1/persistentVolumeClaim/claimName",
                "StorageClass storage.k8s.io/StorageClass - fast @/spec/volumeClaimTemplates/0/spec/storageClassName",
            ]
        );
        let pvc = "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: d}\nspec: {storageClassName: gp3}\n";
        assert_eq!(
            deps(pvc),
            ["StorageClass storage.k8s.io/StorageClass - gp3 @/spec/storageClassName"]
        );
    }

    #[test]
    fn rollout_workload_ref() {
        let yaml = "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: r}\nspec:\n  workloadRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n";
        assert_eq!(
            deps(yaml),
            [
                "Crd crd argoproj.io/Rollout @/kind",
                "WorkloadRef apps/Deployment ~ web @/spec/workloadRef/name",
            ]
        );
    }

    #[test]
    fn namespace_dependency() {
        let ns_deps = |yaml: &str| -> Vec<String> {
            extract(&json(yaml))
                .iter()
                .filter(|d| d.kind == DepKind::Namespace)
                .map(show)
                .collect()
        };
        assert_eq!(
            ns_deps("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: team}\n"),
            ["Namespace /Namespace - team @/metadata/namespace"]
        );
        // No namespace: the destination namespace, whole object.
        assert_eq!(
            ns_deps("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"),
            ["Namespace default-namespace @"]
        );
        assert_eq!(
            ns_deps("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: ''}\n"),
            ["Namespace default-namespace @"]
        );
        // Cluster-scoped kinds live in no Namespace, even with one written.
        for yaml in [
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: team}\n",
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: r, namespace: team}\n",
            "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: a.b}\n",
            "apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata: {name: i}\n",
        ] {
            assert!(ns_deps(yaml).is_empty(), "{yaml}");
        }
        // A custom kind of unknown scope: assumed namespaced (the resolver knows CRDs).
        assert_eq!(
            ns_deps("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n"),
            ["Namespace default-namespace @"]
        );
    }

    #[test]
    fn custom_resources_need_their_crd() {
        let cases: &[(&str, &[&str])] = &[
            (
                "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: a}\n",
                &["Crd crd example.com/Widget @/kind"],
            ),
            (
                "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: {name: m}\n",
                &["Crd crd monitoring.coreos.com/ServiceMonitor @/kind"],
            ),
            (
                "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: a}\n",
                &["Crd crd argoproj.io/Application @/kind"],
            ),
            (
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
                &[],
            ),
            (
                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n",
                &[],
            ),
            (
                "apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata: {name: i}\n",
                &[],
            ),
            (
                "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: a.b}\n",
                &[],
            ),
            (
                "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingWebhookConfiguration\nmetadata: {name: v}\n",
                &[],
            ),
        ];
        for (yaml, want) in cases {
            assert_eq!(deps(yaml), *want, "{yaml}");
        }
    }

    #[test]
    fn rbac_bindings() {
        let rb = |body: &str| {
            deps(&format!(
                "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {{name: b, namespace: team}}\n{body}"
            ))
        };
        assert_eq!(
            rb(
                "roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader}\nsubjects:\n- {kind: ServiceAccount, name: app}\n- {kind: ServiceAccount, name: ci, namespace: tools}\n- {kind: User, name: alice, apiGroup: rbac.authorization.k8s.io}\n- {kind: Group, name: devs}\n"
            ),
            [
                "RoleRef rbac.authorization.k8s.io/Role team reader @/roleRef/name",
                "Subject /ServiceAccount team app @/subjects/0/name",
                "Subject /ServiceAccount tools ci @/subjects/1/name",
            ]
        );
        assert_eq!(
            rb("roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}\n"),
            ["RoleRef rbac.authorization.k8s.io/ClusterRole - view @/roleRef/name"]
        );
        // The RoleBinding leaves its namespace to Argo CD: so do its Role and subjects.
        let bare = deps(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: b}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: r}\nsubjects: [{kind: ServiceAccount, name: app}]\n",
        );
        assert_eq!(
            bare,
            [
                "RoleRef rbac.authorization.k8s.io/Role ~ r @/roleRef/name",
                "Subject /ServiceAccount ~ app @/subjects/0/name",
            ]
        );
        let crb = |body: &str| {
            deps(&format!(
                "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {{name: b}}\n{body}"
            ))
        };
        assert_eq!(
            crb(
                "roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: admin}\nsubjects:\n- {kind: ServiceAccount, name: app, namespace: team}\n- {kind: ServiceAccount, name: no-namespace}\n"
            ),
            [
                "RoleRef rbac.authorization.k8s.io/ClusterRole - admin @/roleRef/name",
                "Subject /ServiceAccount team app @/subjects/0/name",
            ]
        );
        // A ClusterRoleBinding cannot bind a Role; unknown kinds are invalid.
        assert!(
            crb("roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: r}\n").is_empty()
        );
        assert!(
            rb("roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Thing, name: r}\n").is_empty()
        );
        assert!(rb("roleRef: {kind: Role}\n").is_empty());
    }

    #[test]
    fn ingress_shapes() {
        let v1 = "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i, namespace: web}\nspec:\n  ingressClassName: nginx\n  defaultBackend:\n    service: {name: fallback, port: {number: 80}}\n  tls:\n  - hosts: [a.example.com]\n    secretName: a-tls\n  - hosts: [b.example.com]\n  rules:\n  - host: a.example.com\n    http:\n      paths:\n      - path: /\n        pathType: Prefix\n        backend:\n          service: {name: web, port: {name: http}}\n      - path: /static\n        pathType: Prefix\n        backend:\n          resource: {apiGroup: k8s.example.com, kind: StorageBucket, name: assets}\n  - host: b.example.com\n";
        assert_eq!(
            deps(v1),
            [
                "IngressBackend /Service web fallback @/spec/defaultBackend/service/name",
                "IngressBackend /Service web web @/spec/rules/0/http/paths/0/backend/service/name",
                "IngressBackend k8s.example.com/StorageBucket web assets @/spec/rules/0/http/paths/1/backend/resource/name",
                "IngressClass networking.k8s.io/IngressClass - nginx @/spec/ingressClassName",
                "IngressTls /Secret web a-tls @/spec/tls/0/secretName",
            ]
        );
        let beta = "apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata: {name: i}\nspec:\n  backend: {serviceName: fallback, servicePort: 80}\n  rules:\n  - http:\n      paths:\n      - backend: {serviceName: web, servicePort: http}\n";
        assert_eq!(
            deps(beta),
            [
                "IngressBackend /Service ~ fallback @/spec/backend/serviceName",
                "IngressBackend /Service ~ web @/spec/rules/0/http/paths/0/backend/serviceName",
            ]
        );
        let nbeta = beta.replace("extensions/v1beta1", "networking.k8s.io/v1beta1");
        assert_eq!(deps(&nbeta).len(), 2);
    }

    #[test]
    fn scale_targets() {
        let hpa = |api: &str| {
            deps(&format!(
                "apiVersion: {api}\nkind: HorizontalPodAutoscaler\nmetadata: {{name: h, namespace: team}}\nspec:\n  scaleTargetRef: {{apiVersion: apps/v1, kind: StatefulSet, name: db}}\n"
            ))
        };
        for api in ["autoscaling/v1", "autoscaling/v2", "autoscaling/v2beta2"] {
            assert_eq!(
                hpa(api),
                ["ScaleTarget apps/StatefulSet team db @/spec/scaleTargetRef/name"],
                "{api}"
            );
        }
        let rollout = "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: h}\nspec:\n  scaleTargetRef: {apiVersion: argoproj.io/v1alpha1, kind: Rollout, name: web}\n";
        assert_eq!(
            deps(rollout),
            ["ScaleTarget argoproj.io/Rollout ~ web @/spec/scaleTargetRef/name"]
        );
        // KEDA defaults apiVersion to apps/v1 and kind to Deployment.
        let keda = |r: &str| {
            deps(&format!(
                "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {{name: s, namespace: team}}\nspec:\n  scaleTargetRef: {r}\n"
            ))
            .into_iter()
            .filter(|d| !d.starts_with("Crd "))
            .collect::<Vec<_>>()
        };
        assert_eq!(
            keda("{name: web}"),
            ["ScaleTarget apps/Deployment team web @/spec/scaleTargetRef/name"]
        );
        assert_eq!(
            keda("{name: db, kind: StatefulSet}"),
            ["ScaleTarget apps/StatefulSet team db @/spec/scaleTargetRef/name"]
        );
        assert_eq!(
            keda("{name: r, apiVersion: argoproj.io/v1alpha1, kind: Rollout}"),
            ["ScaleTarget argoproj.io/Rollout team r @/spec/scaleTargetRef/name"]
        );
        assert!(keda("{kind: Deployment}").is_empty());
    }

    #[test]
    fn selectors_are_informational() {
        let svc = "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: web}\nspec:\n  selector: {app: web, tier: front}\n";
        assert_eq!(
            deps(svc),
            ["Selector selector web [app=web,tier=front] 0 exprs @/spec/selector informational"]
        );
        for empty in [
            "spec: {selector: {}}\n",
            "spec: {ports: []}\n",
            "spec: {selector: null}\n",
        ] {
            let yaml = format!("apiVersion: v1\nkind: Service\nmetadata: {{name: s}}\n{empty}");
            assert!(deps(&yaml).is_empty(), "{empty}");
        }
        let pdb = |api: &str, sel: &str| {
            deps(&format!(
                "apiVersion: {api}\nkind: PodDisruptionBudget\nmetadata: {{name: p}}\nspec:\n  minAvailable: 1\n  selector: {sel}\n"
            ))
        };
        assert_eq!(
            pdb(
                "policy/v1",
                "{matchLabels: {app: web}, matchExpressions: [{key: tier, operator: In, values: [a, b]}]}"
            ),
            ["Selector selector ~ [app=web] 1 exprs @/spec/selector informational"]
        );
        // policy/v1: `{}` selects every Pod; policy/v1beta1: none. Null selects none.
        assert_eq!(
            pdb("policy/v1", "{}"),
            ["Selector selector ~ [] 0 exprs @/spec/selector informational"]
        );
        assert!(pdb("policy/v1beta1", "{}").is_empty());
        assert!(pdb("policy/v1", "null").is_empty());
        assert_eq!(pdb("policy/v1beta1", "{matchLabels: {a: b}}").len(), 1);
    }

    #[test]
    fn selector_matching() {
        let sel = |labels: &[(&str, &str)], exprs: Vec<Requirement>| Selector {
            namespace: Ns::Default,
            match_labels: labels
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            match_expressions: exprs,
        };
        let req = |key: &str, op: Op, values: &[&str]| Requirement {
            key: key.to_owned(),
            op,
            values: values.iter().map(|v| (*v).to_owned()).collect(),
        };
        let labels = json("{app: web, tier: front}");
        let l = Some(&labels);
        assert!(sel(&[("app", "web")], vec![]).matches(l));
        assert!(!sel(&[("app", "db")], vec![]).matches(l));
        assert!(sel(&[], vec![]).matches(None));
        assert!(!sel(&[("app", "web")], vec![]).matches(None));
        assert!(sel(&[], vec![req("tier", Op::In, &["front", "back"])]).matches(l));
        assert!(!sel(&[], vec![req("tier", Op::In, &["back"])]).matches(l));
        assert!(sel(&[], vec![req("tier", Op::NotIn, &["back"])]).matches(l));
        assert!(sel(&[], vec![req("zone", Op::NotIn, &["a"])]).matches(l));
        assert!(!sel(&[], vec![req("tier", Op::NotIn, &["front"])]).matches(l));
        assert!(sel(&[], vec![req("app", Op::Exists, &[])]).matches(l));
        assert!(!sel(&[], vec![req("zone", Op::Exists, &[])]).matches(l));
        assert!(sel(&[], vec![req("zone", Op::DoesNotExist, &[])]).matches(l));
        assert!(!sel(&[], vec![req("app", Op::DoesNotExist, &[])]).matches(l));
        let node = crate::load::yaml::parse("{app: web, tier: front, app: api}\n")
            .documents
            .remove(0)
            .root;
        // The last duplicate key wins, as in the JSON Kubernetes reads.
        assert!(sel(&[("app", "api")], vec![]).matches_doc(Some(&node)));
        assert!(!sel(&[("app", "web")], vec![]).matches_doc(Some(&node)));
        // Non-string label values are not labels.
        let odd = json("{app: 5}");
        assert!(!sel(&[("app", "5")], vec![]).matches(Some(&odd)));
        // Pod labels of workloads.
        let d = json(
            "apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    metadata:\n      labels: {app: web}\n",
        );
        assert_eq!(pod_labels(&d), Some(&json("{app: web}")));
        let p = json("apiVersion: v1\nkind: Pod\nmetadata:\n  labels: {app: p}\n");
        assert_eq!(pod_labels(&p), Some(&json("{app: p}")));
        let c = json(
            "apiVersion: batch/v1\nkind: CronJob\nspec:\n  jobTemplate:\n    spec:\n      template:\n        metadata:\n          labels: {app: c}\n",
        );
        assert_eq!(pod_labels(&c), Some(&json("{app: c}")));
        assert_eq!(pod_labels(&json("apiVersion: v1\nkind: ConfigMap\n")), None);
    }

    #[test]
    fn external_secrets() {
        let es = |api: &str, spec: &str| {
            deps(&format!(
                "apiVersion: {api}\nkind: ExternalSecret\nmetadata: {{name: db, namespace: team}}\nspec:\n{spec}"
            ))
            .into_iter()
            .filter(|d| !d.starts_with("Crd "))
            .collect::<Vec<_>>()
        };
        for api in ["external-secrets.io/v1beta1", "external-secrets.io/v1"] {
            assert_eq!(
                es(api, "  secretStoreRef: {name: vault}\n"),
                [
                    "SecretStore external-secrets.io/SecretStore team vault @/spec/secretStoreRef/name",
                    "ProducesSecret /Secret team db @/metadata/name",
                ],
                "{api}"
            );
        }
        let api = "external-secrets.io/v1";
        assert_eq!(
            es(
                api,
                "  secretStoreRef: {name: global, kind: ClusterSecretStore}\n  target: {name: db-creds}\n"
            ),
            [
                "SecretStore external-secrets.io/ClusterSecretStore - global @/spec/secretStoreRef/name",
                "ProducesSecret /Secret team db-creds @/spec/target/name",
            ]
        );
        assert_eq!(
            es(
                api,
                "  target: {name: x, creationPolicy: Orphan}\n  data:\n  - secretKey: a\n    sourceRef:\n      storeRef: {name: other}\n    remoteRef: {key: a}\n  dataFrom:\n  - sourceRef:\n      storeRef: {name: cluster, kind: ClusterSecretStore}\n  - sourceRef:\n      generatorRef: {apiVersion: generators.external-secrets.io/v1alpha1, kind: Password, name: p}\n"
            ),
            [
                "SecretStore external-secrets.io/SecretStore team other @/spec/data/0/sourceRef/storeRef/name",
                "SecretStore external-secrets.io/ClusterSecretStore - cluster @/spec/dataFrom/0/sourceRef/storeRef/name",
                "ProducesSecret /Secret team x @/spec/target/name",
            ]
        );
        // Merge and None create no Secret.
        for policy in ["Merge", "None"] {
            assert!(
                es(
                    api,
                    &format!("  target: {{name: x, creationPolicy: {policy}}}\n")
                )
                .is_empty(),
                "{policy}"
            );
        }
        // Unknown store kinds are invalid.
        assert_eq!(
            es(api, "  secretStoreRef: {name: v, kind: VaultStore}\n"),
            ["ProducesSecret /Secret team db @/metadata/name"]
        );
        // No name at all (generateName): nothing known to produce.
        let unnamed = deps(
            "apiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata: {generateName: db-}\nspec: {}\n",
        );
        assert_eq!(
            unnamed,
            ["Crd crd external-secrets.io/ExternalSecret @/kind"]
        );
    }

    #[test]
    fn sealed_secrets_and_certificates() {
        // The Secret always takes the SealedSecret's name and namespace.
        let sealed = "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {name: db, namespace: team}\nspec:\n  encryptedData: {password: AgB}\n  template:\n    metadata: {name: ignored, namespace: elsewhere}\n";
        assert_eq!(
            deps(sealed),
            [
                "Crd crd bitnami.com/SealedSecret @/kind",
                "ProducesSecret /Secret team db @/metadata/name",
            ]
        );
        let cert = "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: c}\nspec:\n  secretName: web-tls\n  issuerRef: {name: letsencrypt, kind: ClusterIssuer}\n";
        assert_eq!(
            deps(cert),
            [
                "Crd crd cert-manager.io/Certificate @/kind",
                "ProducesSecret /Secret ~ web-tls @/spec/secretName",
                "Issuer cert-manager.io/ClusterIssuer - letsencrypt @/spec/issuerRef/name",
            ]
        );
        let local = "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: c, namespace: a}\nspec:\n  secretName: t\n  issuerRef: {name: ca}\n";
        assert_eq!(
            deps(local)[2],
            "Issuer cert-manager.io/Issuer a ca @/spec/issuerRef/name"
        );
        let external = "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: c}\nspec:\n  secretName: t\n  issuerRef: {name: pca, kind: AWSPCAClusterIssuer, group: awspca.cert-manager.io}\n";
        assert_eq!(deps(external).len(), 2);
    }

    #[test]
    fn only_selectors_are_informational() {
        let yaml = "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: web}\nspec: {selector: {a: b}}\n";
        for d in extract(&json(yaml)) {
            assert_eq!(d.informational, d.kind == DepKind::Selector, "{d:?}");
        }
    }
}
