//! `--live-snapshot FILE|DIR`: `kubectl get -o yaml` dumps standing in for the cluster,
//! for air-gapped review. A file holds `kind: List` documents (what `kubectl get -o yaml`
//! prints), single objects, or several YAML documents; a directory is read recursively
//! (`*.yaml`, `*.yml`, `*.json`, in path order). When the same object appears twice, the
//! later file wins.
//!
//! A snapshot holds only what was dumped, so a kind it never mentions is taken to have no
//! objects (its desired resources are reported missing), not to be unknown to the
//! cluster. A snapshot that holds Applications is the cluster Argo CD runs in: only
//! Applications found in it with an `in-cluster` destination have their resources
//! compared. One without Applications stands for every destination (use `--app`).

use super::{ApiKind, ClusterSource, Discovery, ListRequest, LiveError, Target, split_api_version};
use crate::load::yaml;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

pub struct SnapshotSource {
    label: String,
    /// Objects by (group, kind), in file order.
    objects: BTreeMap<(String, String), Vec<Value>>,
}

impl SnapshotSource {
    /// Reads a dump file or a directory of them.
    pub fn read(path: &Path) -> Result<SnapshotSource, LiveError> {
        let meta = std::fs::metadata(path).map_err(|e| {
            LiveError::Snapshot(format!("cannot read snapshot {}: {e}", path.display()))
        })?;
        let mut files = Vec::new();
        if meta.is_dir() {
            collect(path, &mut files)?;
            files.sort();
            if files.is_empty() {
                return Err(LiveError::Snapshot(format!(
                    "snapshot directory {} holds no .yaml, .yml or .json file",
                    path.display()
                )));
            }
        } else {
            files.push(path.to_path_buf());
        }
        let mut src = SnapshotSource {
            label: format!("snapshot {}", path.display()),
            objects: BTreeMap::new(),
        };
        for f in &files {
            let text = std::fs::read_to_string(f).map_err(|e| {
                LiveError::Snapshot(format!("cannot read snapshot {}: {e}", f.display()))
            })?;
            src.add_text(&text)
                .map_err(|m| LiveError::Snapshot(format!("{}: {m}", f.display())))?;
        }
        Ok(src)
    }

    /// A snapshot from YAML text (tests).
    pub fn from_text(label: &str, text: &str) -> Result<SnapshotSource, LiveError> {
        let mut src = SnapshotSource {
            label: label.to_owned(),
            objects: BTreeMap::new(),
        };
        src.add_text(text).map_err(LiveError::Snapshot)?;
        Ok(src)
    }

    fn add_text(&mut self, text: &str) -> Result<(), String> {
        let parsed = yaml::parse(text);
        if let Some(p) = parsed.problems.iter().find_map(|p| match p {
            yaml::Problem::Syntax { message, .. } => Some(message.clone()),
            yaml::Problem::DuplicateKey { .. } => None,
        }) {
            return Err(format!("not valid YAML: {p}"));
        }
        for doc in parsed.documents {
            self.add(doc.root.to_json());
        }
        Ok(())
    }

    fn add(&mut self, v: Value) {
        let kind = v.get("kind").and_then(Value::as_str).unwrap_or("");
        if kind.ends_with("List")
            && let Some(items) = v.get("items").and_then(Value::as_array)
        {
            for item in items {
                self.add(item.clone());
            }
            return;
        }
        let api_version = v.get("apiVersion").and_then(Value::as_str).unwrap_or("");
        if kind.is_empty() || api_version.is_empty() {
            return;
        }
        let (group, _) = split_api_version(api_version);
        let key = (group.to_owned(), kind.to_owned());
        let id = |o: &Value| {
            (
                o.pointer("/metadata/namespace")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                o.pointer("/metadata/name")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            )
        };
        let list = self.objects.entry(key).or_default();
        let this = id(&v);
        list.retain(|o| id(o) != this);
        list.push(v);
    }

    /// Number of objects read.
    pub fn len(&self) -> usize {
        self.objects.values().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), LiveError> {
    let rd = std::fs::read_dir(dir)
        .map_err(|e| LiveError::Snapshot(format!("cannot read snapshot {}: {e}", dir.display())))?;
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out)?;
        } else if p
            .extension()
            .is_some_and(|x| x == "yaml" || x == "yml" || x == "json")
        {
            out.push(p);
        }
    }
    Ok(())
}

impl ClusterSource for SnapshotSource {
    fn describe(&self) -> String {
        self.label.clone()
    }

    /// A snapshot of the cluster Argo CD runs in (it holds Applications) is recognised
    /// like a cluster: `in-cluster` destinations of the Applications found in it. Any
    /// other snapshot stands for every destination.
    fn target(&self) -> Target {
        let has_apps = self
            .objects
            .get(&(super::ARGO_GROUP.to_owned(), "Application".to_owned()))
            .is_some_and(|v| !v.is_empty());
        if has_apps {
            Target::Cluster {
                server: String::new(),
                names: Vec::new(),
            }
        } else {
            Target::Any
        }
    }

    fn discover(&self, api_versions: &BTreeSet<String>) -> Result<Discovery, LiveError> {
        let mut versions = BTreeMap::new();
        for v in api_versions {
            let (group, _) = split_api_version(v);
            let kinds: Vec<ApiKind> = self
                .objects
                .iter()
                .filter(|((g, _), _)| g == group)
                .map(|((_, k), objs)| ApiKind {
                    kind: k.clone(),
                    plural: format!("{}s", k.to_ascii_lowercase()),
                    namespaced: objs.iter().any(|o| {
                        o.pointer("/metadata/namespace")
                            .and_then(Value::as_str)
                            .is_some_and(|s| !s.is_empty())
                    }),
                })
                .collect();
            versions.insert(v.clone(), Some(kinds));
        }
        Ok(Discovery {
            versions,
            complete: false,
        })
    }

    fn list(
        &self,
        requests: &[ListRequest],
        tick: &(dyn Fn() + Sync),
    ) -> Vec<Result<Vec<Value>, LiveError>> {
        let mut out = Vec::with_capacity(requests.len());
        for r in requests {
            let all = self
                .objects
                .get(&(r.ty.group.clone(), r.ty.kind.clone()))
                .map(Vec::as_slice)
                .unwrap_or_default();
            let items = all
                .iter()
                .filter(|o| match &r.namespace {
                    Some(ns) => {
                        o.pointer("/metadata/namespace").and_then(Value::as_str) == Some(ns)
                    }
                    None => true,
                })
                .cloned()
                .collect();
            out.push(Ok(items));
            tick();
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::ResourceType;

    const DUMP: &str = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: apps/v1\n  kind: Deployment\n  metadata: {name: web, namespace: prod}\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: cfg, namespace: prod}\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: cfg, namespace: dev}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: prod}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg, namespace: prod, labels: {second: 'yes'}}\n";

    fn ty(group: &str, kind: &str, namespaced: bool) -> ResourceType {
        ResourceType {
            group: group.into(),
            version: "v1".into(),
            kind: kind.into(),
            plural: String::new(),
            namespaced,
        }
    }

    #[test]
    fn lists_and_documents_are_read_and_later_copies_win() {
        let s = SnapshotSource::from_text("snapshot t", DUMP).expect("parses");
        assert_eq!(s.len(), 4);
        let reqs = [
            ListRequest {
                ty: ty("", "ConfigMap", true),
                namespace: Some("prod".into()),
            },
            ListRequest {
                ty: ty("", "Namespace", false),
                namespace: None,
            },
            ListRequest {
                ty: ty("batch", "Job", true),
                namespace: Some("prod".into()),
            },
        ];
        let got: Vec<Vec<Value>> = s
            .list(&reqs, &|| {})
            .into_iter()
            .collect::<Result<_, _>>()
            .expect("lists");
        assert_eq!(got[0].len(), 1);
        assert_eq!(
            got[0][0].pointer("/metadata/labels/second"),
            Some(&Value::from("yes"))
        );
        assert_eq!(got[1].len(), 1);
        assert!(got[2].is_empty());
    }

    #[test]
    fn discovery_knows_scope_from_the_objects_and_is_incomplete() {
        let s = SnapshotSource::from_text("snapshot t", DUMP).expect("parses");
        let d = s
            .discover(&BTreeSet::from(["v1".to_owned()]))
            .expect("discovers");
        assert!(!d.complete);
        let kinds = d.versions["v1"].clone().unwrap_or_default();
        assert!(kinds.iter().any(|k| k.kind == "Namespace" && !k.namespaced));
        assert!(kinds.iter().any(|k| k.kind == "ConfigMap" && k.namespaced));
    }

    #[test]
    fn invalid_yaml_is_an_error() {
        let e = SnapshotSource::from_text("snapshot t", "a: [b\n").err();
        assert!(e.is_some_and(|e| e.to_string().contains("not valid YAML")));
    }
}
