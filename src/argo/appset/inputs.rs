//! What the expansion reads besides the ApplicationSet: the repository's files and
//! directories (as Argo CD's repo-server lists them for the Git generator) and the
//! clusters the cluster generator sees. This is the one part of the module that touches
//! the disk and the repository model.

use crate::model::Repo;
use crate::model::cluster::Clusters;
use crate::model::cluster::{ClusterOrigin, SECRET_TYPE_LABEL, is_cluster_secret, secret_field};
use std::cmp::Ordering;
use std::path::{Path, PathBuf};

/// A repository checkout as the Git generator sees it. Paths are relative to the
/// repository root with `/` separators.
pub trait RepoTree: Sync {
    /// Every directory that holds a file, hidden ones (and everything below them)
    /// excepted, in the order of a depth-first walk with sorted entries
    /// (`GetGitDirectories`: `filepath.WalkDir`).
    fn directories(&self) -> &[String];
    /// Every file, hidden ones included, in byte order (`git ls-files`).
    fn files(&self) -> &[String];
    /// A file's content.
    fn read(&self, path: &str) -> Option<Vec<u8>>;
}

/// `filepath.WalkDir` order: compares paths component by component.
fn walk_order(a: &str, b: &str) -> Ordering {
    a.split('/').cmp(b.split('/'))
}

/// The directories that hold `files`, without hidden ones, in walk order.
fn directories_of(files: &[String]) -> Vec<String> {
    let mut dirs: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for f in files {
        let parts: Vec<&str> = f.split('/').collect();
        for n in 1..parts.len() {
            if parts[n - 1].starts_with('.') {
                break;
            }
            let d = parts[..n].join("/");
            if seen.insert(d.clone()) {
                dirs.push(d);
            }
        }
    }
    dirs.sort_by(|a, b| walk_order(a, b));
    dirs
}

/// The checkout on disk: the files Git would track, approximated by a walk that honours
/// `.gitignore` (the linter's `exclude` does not apply: Argo CD sees every file).
#[derive(Debug, Clone, Default)]
pub struct DiskTree {
    root: PathBuf,
    dirs: Vec<String>,
    files: Vec<String>,
}

impl DiskTree {
    pub fn scan(root: &Path) -> DiskTree {
        let mut files: Vec<String> = Vec::new();
        let walker = ignore::WalkBuilder::new(root)
            .hidden(false)
            .git_ignore(true)
            .git_exclude(true)
            .git_global(false)
            .require_git(false)
            .parents(false)
            .filter_entry(|e| e.file_name() != ".git")
            .build();
        for entry in walker.flatten() {
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                continue;
            }
            let Ok(rel) = entry.path().strip_prefix(root) else {
                continue;
            };
            let parts: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            files.push(parts.join("/"));
        }
        files.sort();
        DiskTree {
            root: root.to_owned(),
            dirs: directories_of(&files),
            files,
        }
    }
}

impl RepoTree for DiskTree {
    fn directories(&self) -> &[String] {
        &self.dirs
    }

    fn files(&self) -> &[String] {
        &self.files
    }

    fn read(&self, path: &str) -> Option<Vec<u8>> {
        // Only files of the tree: a pattern never reads outside the checkout.
        self.files.binary_search_by(|f| f.as_str().cmp(path)).ok()?;
        // The loader's size bound: a parameter file larger than that is read as empty
        // rather than exhausting memory.
        use std::io::Read as _;
        let limit = crate::load::MAX_FILE_BYTES;
        let mut buf = Vec::new();
        std::fs::File::open(self.root.join(path))
            .ok()?
            .take(limit + 1)
            .read_to_end(&mut buf)
            .ok()?;
        (buf.len() as u64 <= limit).then_some(buf)
    }
}

/// An in-memory tree, for tests and embedding.
#[derive(Debug, Clone, Default)]
pub struct MemoryTree {
    dirs: Vec<String>,
    files: Vec<(String, Vec<u8>)>,
    names: Vec<String>,
}

impl MemoryTree {
    pub fn new(files: &[(&str, &str)]) -> MemoryTree {
        let mut files: Vec<(String, Vec<u8>)> = files
            .iter()
            .map(|(p, t)| ((*p).to_owned(), t.as_bytes().to_vec()))
            .collect();
        files.sort_by(|a, b| a.0.cmp(&b.0));
        let names: Vec<String> = files.iter().map(|(p, _)| p.clone()).collect();
        MemoryTree {
            dirs: directories_of(&names),
            files,
            names,
        }
    }
}

impl RepoTree for MemoryTree {
    fn directories(&self) -> &[String] {
        &self.dirs
    }

    fn files(&self) -> &[String] {
        &self.names
    }

    fn read(&self, path: &str) -> Option<Vec<u8>> {
        self.files
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, b)| b.clone())
    }
}

/// A cluster as the cluster generator reads it from its Secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterEntry {
    /// `data.name` (empty when the Secret has none).
    pub name: String,
    /// `data.server`, as written.
    pub server: String,
    /// `data.project`, when the Secret has the key.
    pub project: Option<String>,
    /// The Secret's labels (`argocd.argoproj.io/secret-type: cluster` included).
    pub labels: Vec<(String, String)>,
    pub annotations: Vec<(String, String)>,
    pub origin: ClusterOrigin,
}

/// The clusters of the repository: cluster Secrets of the control-plane namespace (or
/// without a namespace), then the configuration's `clusters` that no Secret declares
/// (as the model knows them), which stand for Secrets that exist only in the cluster.
pub fn cluster_entries(repo: &Repo, control_plane: &str, clusters: &Clusters) -> Vec<ClusterEntry> {
    let mut out = Vec::new();
    for (i, o) in repo.objects.iter().enumerate() {
        if !is_cluster_secret(o) || o.namespace.as_deref().is_some_and(|ns| ns != control_plane) {
            continue;
        }
        let pairs = |n: Option<&crate::load::yaml::Node>| -> Vec<(String, String)> {
            n.map(|m| {
                m.entries()
                    .iter()
                    .filter_map(|e| Some((e.key.key_string()?, e.value.scalar_text()?.to_owned())))
                    .collect()
            })
            .unwrap_or_default()
        };
        out.push(ClusterEntry {
            name: secret_field(o, "name").map(|(s, _)| s).unwrap_or_default(),
            server: secret_field(o, "server")
                .map(|(s, _)| s)
                .unwrap_or_default(),
            project: secret_field(o, "project").map(|(s, _)| s),
            labels: pairs(o.labels()),
            annotations: pairs(o.annotations()),
            origin: ClusterOrigin::Secret(i),
        });
    }
    for c in &clusters.list {
        if let ClusterOrigin::Config(_) = c.origin {
            let mut labels = c.labels.clone();
            if !labels.iter().any(|(k, _)| k == SECRET_TYPE_LABEL) {
                labels.push((SECRET_TYPE_LABEL.to_owned(), "cluster".to_owned()));
            }
            out.push(ClusterEntry {
                name: c.name.clone(),
                server: c.server.clone(),
                project: c.project.clone(),
                labels,
                annotations: Vec::new(),
                origin: c.origin,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_follow_the_walk_and_skip_hidden_ones() {
        let t = MemoryTree::new(&[
            ("a-c/x.yaml", ""),
            ("a/b/y.yaml", ""),
            (".github/workflows/ci.yaml", ""),
            ("apps/.hidden/z.yaml", ""),
            ("root.yaml", ""),
        ]);
        // WalkDir visits `a`, then `a/b`, before `a-c`; hidden directories are skipped
        // with everything below them.
        assert_eq!(t.directories(), ["a", "a/b", "a-c", "apps"]);
        assert_eq!(
            t.files(),
            [
                ".github/workflows/ci.yaml",
                "a-c/x.yaml",
                "a/b/y.yaml",
                "apps/.hidden/z.yaml",
                "root.yaml"
            ]
        );
    }
}

/// One ApplicationSet of the repository, expanded.
#[derive(Debug, Clone)]
pub struct RepoExpansion {
    /// Index of the ApplicationSet in `Repo::objects`.
    pub object: usize,
    /// Its namespace (the control-plane namespace when it names none).
    pub namespace: String,
    pub name: String,
    pub expansion: crate::argo::appset::Expansion,
}

/// Expands the ApplicationSets `sets` (indices into `Repo::objects`) in parallel, in
/// the order given. An ApplicationSet without a namespace lives in `control_plane`.
pub fn expand_sets(
    repo: &Repo,
    sets: &[usize],
    control_plane: &str,
    env: &crate::argo::appset::Env<'_>,
) -> Vec<RepoExpansion> {
    use rayon::prelude::*;
    sets.par_iter()
        .filter_map(|&i| repo.objects.get(i).map(|o| (i, o)))
        .map(|(i, o)| {
            let namespace = o
                .namespace
                .clone()
                .unwrap_or_else(|| control_plane.to_owned());
            RepoExpansion {
                object: i,
                expansion: crate::argo::appset::expand(o.json(), &namespace, env),
                namespace,
                name: o.name.clone().unwrap_or_default(),
            }
        })
        .collect()
}
