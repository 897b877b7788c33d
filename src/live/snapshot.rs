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

use super::{
    ApiKind, ClusterSource, Discovery, ListRequest, LiveError, Target, guess_plural,
    split_api_version,
};
use crate::load::{ReadError, decode_utf16_with_bom, read_bounded_to, yaml};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// Snapshot files larger than this are refused: a dump of a large cluster is big, but
/// not this big.
pub const MAX_SNAPSHOT_BYTES: u64 = 256 * 1024 * 1024;

/// An object's identity within its (group, kind): namespace and name.
type Id = (Option<String>, Option<String>);

pub struct SnapshotSource {
    label: String,
    /// Objects by (group, kind), in file order (a later copy replaces an earlier one
    /// where it stood).
    objects: BTreeMap<(String, String), Vec<Value>>,
    /// Where each object is in `objects`.
    index: HashMap<(String, String), HashMap<Id, usize>>,
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
            index: HashMap::new(),
        };
        for f in &files {
            let text = read_file(f)?;
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
            index: HashMap::new(),
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
        let id: Id = (
            v.pointer("/metadata/namespace")
                .and_then(Value::as_str)
                .map(str::to_owned),
            v.pointer("/metadata/name")
                .and_then(Value::as_str)
                .map(str::to_owned),
        );
        let list = self.objects.entry(key.clone()).or_default();
        let index = self.index.entry(key).or_default();
        match index.get(&id).and_then(|&i| list.get_mut(i)) {
            Some(slot) => *slot = v,
            None => {
                index.insert(id, list.len());
                list.push(v);
            }
        }
    }

    /// Number of objects read.
    pub fn len(&self) -> usize {
        self.objects.values().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One snapshot file: a regular file (a named pipe would block), at most
/// [`MAX_SNAPSHOT_BYTES`], UTF-8 or UTF-16 with a byte-order mark.
fn read_file(f: &Path) -> Result<String, LiveError> {
    let fail =
        |why: String| LiveError::Snapshot(format!("cannot read snapshot {}: {why}", f.display()));
    let meta = std::fs::metadata(f).map_err(|e| fail(e.to_string()))?;
    if !meta.is_file() {
        return Err(fail(
            "not a regular file (a named pipe, socket or device)".to_owned(),
        ));
    }
    let bytes = match read_bounded_to(f, MAX_SNAPSHOT_BYTES) {
        Ok(b) => b,
        Err(ReadError::TooLarge(n)) => {
            return Err(LiveError::Snapshot(format!(
                "snapshot {} is {:.1} MiB, over the {} MiB limit for a snapshot file; split the dump into a directory of files",
                f.display(),
                n as f64 / (1024.0 * 1024.0),
                MAX_SNAPSHOT_BYTES / (1024 * 1024)
            )));
        }
        Err(ReadError::Io(e)) => return Err(fail(e.to_string())),
    };
    match decode_utf16_with_bom(&bytes) {
        Some(text) => Ok(text),
        None => String::from_utf8(bytes).map_err(|e| {
            fail(format!(
                "not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ))
        }),
    }
}

/// The snapshot files under `dir`. Symbolic links to directories are not followed (a
/// link to an ancestor would loop); links to files are read.
fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), LiveError> {
    let rd = std::fs::read_dir(dir)
        .map_err(|e| LiveError::Snapshot(format!("cannot read snapshot {}: {e}", dir.display())))?;
    for e in rd.flatten() {
        let p = e.path();
        let Ok(ty) = e.file_type() else {
            continue;
        };
        if ty.is_dir() {
            collect(&p, out)?;
        } else if ty.is_symlink() && p.is_dir() {
            continue;
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
                    plural: guess_plural(k),
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

    #[test]
    fn utf16_dumps_are_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("dump.yaml");
        let mut bytes = vec![0xFF, 0xFE];
        bytes.extend(DUMP.encode_utf16().flat_map(u16::to_le_bytes));
        std::fs::write(&path, bytes).expect("write");
        let s = SnapshotSource::read(&path).expect("reads UTF-16");
        assert_eq!(s.len(), 4);
    }

    #[test]
    fn a_file_over_the_cap_is_refused_without_reading_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("huge.yaml");
        let f = std::fs::File::create(&path).expect("create");
        // Sparse: nothing is written.
        f.set_len(MAX_SNAPSHOT_BYTES + 1).expect("set_len");
        let e = SnapshotSource::read(&path).err();
        assert!(
            e.is_some_and(|e| e.to_string().contains("over the 256 MiB limit")),
            "refused"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_named_pipe_is_refused_instead_of_waited_on() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("pipe.yaml");
        let made = std::process::Command::new("mkfifo").arg(&path).status();
        if !made.is_ok_and(|s| s.success()) {
            return;
        }
        let (tx, rx) = std::sync::mpsc::channel();
        let p = path.clone();
        std::thread::spawn(move || {
            let _ = tx.send(SnapshotSource::read(&p).err().map(|e| e.to_string()));
        });
        let got = rx.recv_timeout(std::time::Duration::from_secs(10));
        // Unblock a reader stuck in open(2), so the thread ends.
        if got.is_err() {
            let _ = std::fs::OpenOptions::new().write(true).open(&path);
        }
        let msg = got
            .expect("reading a named pipe must not block")
            .unwrap_or_default();
        assert!(msg.contains("not a regular file"), "{msg}");
    }

    #[cfg(unix)]
    #[test]
    fn directory_links_are_not_followed() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("a.yaml"), DUMP).expect("write");
        std::os::unix::fs::symlink(dir.path(), dir.path().join("loop")).expect("symlink");
        let mut files = Vec::new();
        collect(dir.path(), &mut files).expect("collects");
        assert_eq!(files, [dir.path().join("a.yaml")]);
        assert_eq!(
            SnapshotSource::read(dir.path()).map(|s| s.len()).ok(),
            Some(4)
        );
    }

    #[test]
    fn many_objects_load_in_linear_time() {
        let mut s = SnapshotSource::from_text("snapshot t", "").expect("empty");
        let start = std::time::Instant::now();
        let n = 30_000;
        for i in 0..n {
            s.add(serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": format!("cm-{i}"), "namespace": "prod"}}));
        }
        // A later copy replaces the first one where it stood.
        s.add(serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "cm-0", "namespace": "prod", "labels": {"v": "2"}}}));
        assert_eq!(s.len(), n);
        let list = &s.objects[&(String::new(), "ConfigMap".to_owned())];
        assert_eq!(
            list[0].pointer("/metadata/labels/v"),
            Some(&Value::from("2"))
        );
        assert!(
            start.elapsed() < std::time::Duration::from_secs(5),
            "{:?}",
            start.elapsed()
        );
    }
}
