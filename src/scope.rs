//! Which findings a run reports: `--files FILE...` and `--changed-since REV` index the
//! whole repository (cross-file rules need every AppProject, CRD and Application) but
//! report only the findings located in the given or changed files.
//!
//! A finding is in scope when its primary location, or one of its related locations, is
//! in one of the files: a finding on a generated Application points at the
//! ApplicationSet template that produced it, so a changed ApplicationSet file brings its
//! generated Applications' findings; a changed AppProject brings the findings of the
//! Applications it no longer permits, whose related location is the project entry. A
//! finding inside a tool's output that could not be traced to a file (kustomize or Helm)
//! is in scope when a file under that source's directory is.
//!
//! Also here: the repository root that SARIF and GitHub paths are relative to, and the
//! git calls behind `--changed-since`.

use crate::diagnostic::Diagnostic;
use crate::model::Repo;
use crate::source::FileId;
use std::collections::{BTreeSet, HashMap};
use std::path::{Component, Path, PathBuf};
use std::process::{Command, Stdio};

/// A git command failed.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("cannot run git ({0}); --changed-since needs git on PATH")]
    Spawn(std::io::Error),
    #[error("{dir} is not inside a git work tree; --changed-since needs one")]
    NotARepository { dir: PathBuf },
    #[error("git {args} failed: {stderr}")]
    Failed { args: String, stderr: String },
}

fn git(dir: &Path, args: &[&str]) -> Result<Vec<u8>, GitError> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(GitError::Spawn)?;
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(GitError::Failed {
            args: args.join(" "),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        })
    }
}

/// The top of the git work tree holding `dir`, canonical; `None` outside git.
pub fn git_toplevel(dir: &Path) -> Option<PathBuf> {
    let out = git(dir, &["rev-parse", "--show-toplevel"]).ok()?;
    let top = String::from_utf8(out).ok()?;
    let top = top.trim_end_matches(['\n', '\r']);
    if top.is_empty() {
        return None;
    }
    std::fs::canonicalize(top).ok()
}

/// The prefix that turns a path relative to `lint_root` into one relative to the git
/// work tree holding it: `""` at the top (or outside git), else `deploy/` style.
pub fn root_prefix(lint_root: &Path) -> String {
    let Ok(abs) = std::fs::canonicalize(lint_root) else {
        return String::new();
    };
    let Some(top) = git_toplevel(&abs) else {
        return String::new();
    };
    let Ok(rel) = abs.strip_prefix(&top) else {
        return String::new();
    };
    let mut out = String::new();
    for c in rel.components() {
        out.push_str(&c.as_os_str().to_string_lossy());
        out.push('/');
    }
    out
}

/// The files changed since the merge base of `rev` and `HEAD`, in the work tree holding
/// `dir`: committed, staged and unstaged changes (`git diff <merge-base>`) and untracked
/// files that are not ignored. Deleted files are listed too; they match nothing.
pub fn changed_since(dir: &Path, rev: &str) -> Result<Vec<PathBuf>, GitError> {
    let top = git_toplevel(dir).ok_or_else(|| GitError::NotARepository {
        dir: dir.to_owned(),
    })?;
    if rev.starts_with('-') {
        return Err(GitError::Failed {
            args: format!("merge-base {rev} HEAD"),
            stderr: format!("'{rev}' is not a revision"),
        });
    }
    let base = git(&top, &["merge-base", rev, "HEAD"])?;
    let base = String::from_utf8_lossy(&base).trim().to_owned();
    let diff = git(
        &top,
        &[
            "diff",
            "--name-only",
            "--no-ext-diff",
            "--no-color",
            "-z",
            &base,
            "--",
        ],
    )?;
    let untracked = git(&top, &["ls-files", "--others", "--exclude-standard", "-z"])?;
    let mut out = Vec::new();
    for list in [diff, untracked] {
        for name in list.split(|&b| b == 0).filter(|n| !n.is_empty()) {
            out.push(top.join(String::from_utf8_lossy(name).as_ref()));
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// `path` made absolute against `cwd` and cleaned: canonical when it exists (symlinks
/// resolved, as the walker's files are), else `.` and `..` resolved lexically.
fn absolute(path: &Path, cwd: &Path) -> PathBuf {
    let joined = cwd.join(path);
    if let Ok(c) = std::fs::canonicalize(&joined) {
        return c;
    }
    let mut out = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// The set of files whose findings are reported.
#[derive(Debug, Clone, Default)]
pub struct FileScope {
    files: BTreeSet<PathBuf>,
    /// Given directories: every file under them is in scope.
    dirs: Vec<PathBuf>,
}

impl FileScope {
    /// The scope of these paths, relative to `cwd` unless absolute. A directory stands
    /// for every file under it.
    pub fn new(paths: &[PathBuf], cwd: &Path) -> FileScope {
        let mut scope = FileScope::default();
        for p in paths {
            let abs = absolute(p, cwd);
            if abs.is_dir() {
                scope.dirs.push(abs);
            } else {
                scope.files.insert(abs);
            }
        }
        scope
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty() && self.dirs.is_empty()
    }

    /// Keeps the diagnostics in scope (and the parallel `extra` items, such as their
    /// fingerprints). Returns how many were dropped.
    pub fn retain<T>(&self, repo: &Repo, diags: &mut Vec<Diagnostic>, extra: &mut Vec<T>) -> usize {
        let mut cache: HashMap<FileId, bool> = HashMap::new();
        let mut in_scope = |id: FileId| *cache.entry(id).or_insert_with(|| self.holds(repo, id));
        let keep: Vec<bool> = diags
            .iter()
            .map(|d| {
                in_scope(d.primary.span.file) || d.related.iter().any(|r| in_scope(r.span.file))
            })
            .collect();
        let before = diags.len();
        let mut k = keep.iter();
        diags.retain(|_| k.next().copied().unwrap_or(false));
        let mut k = keep.iter();
        extra.retain(|_| k.next().copied().unwrap_or(false));
        before - diags.len()
    }

    /// Whether a file of the run is in scope. A tool's output (a virtual file whose path
    /// is the source directory) is in scope when any file under that directory is.
    fn holds(&self, repo: &Repo, id: FileId) -> bool {
        let file = repo.db.get(id);
        let path = std::fs::canonicalize(&file.abs_path).unwrap_or_else(|_| file.abs_path.clone());
        if self.dirs.iter().any(|d| path.starts_with(d)) {
            return true;
        }
        if repo.is_virtual(id) {
            self.files.iter().any(|f| f.starts_with(&path))
        } else {
            self.files.contains(&path)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_cleans_paths_that_do_not_exist() {
        let cwd = Path::new("/nonexistent-kg/repo");
        assert_eq!(
            absolute(Path::new("./apps/../apps/a.yaml"), cwd),
            PathBuf::from("/nonexistent-kg/repo/apps/a.yaml")
        );
        assert_eq!(
            absolute(Path::new("/nonexistent-kg/x.yaml"), cwd),
            PathBuf::from("/nonexistent-kg/x.yaml")
        );
    }

    #[test]
    fn root_prefix_outside_git_is_empty() {
        let dir = tempfile::tempdir().expect("tempdir");
        // A temporary directory is normally outside any work tree; if the machine keeps
        // /tmp inside one, the prefix still ends with a slash.
        let p = root_prefix(dir.path());
        assert!(p.is_empty() || p.ends_with('/'), "{p}");
    }
}
