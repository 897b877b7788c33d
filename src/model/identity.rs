//! This repository's identity: where its checkout root is and the URLs under which Argo CD
//! knows it. An Application source whose `repoURL` names one of these repositories is read
//! from this checkout; any other source lives elsewhere and is not fetched.
//!
//! "Names this repository" is deliberately looser than Argo CD's `sourceRepos` matching:
//! `https://host/org/repo`, `ssh://git@host/org/repo` and `git@host:org/repo.git` all clone
//! the same repository, so they all resolve here (see [`repo_key`]). Project permission
//! checks still compare the exact normalised strings, as Argo CD does.

use crate::argo::repo_url::normalize_git_url;
use crate::config::Config;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where a known URL came from, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlOrigin {
    Flag,
    Config,
    GitRemote(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownUrl {
    pub url: String,
    /// [`repo_key`] of the URL.
    pub key: String,
    pub origin: UrlOrigin,
}

#[derive(Debug, Clone, Default)]
pub struct RepoIdentity {
    /// The checkout root: Application `source.path` values are relative to it.
    pub root: PathBuf,
    /// The linted directory relative to `root`, with `/` separators (`""` when equal).
    pub walk_prefix: String,
    pub urls: Vec<KnownUrl>,
}

impl RepoIdentity {
    /// The identity of the repository that holds `walk_root`: the checkout root is the
    /// directory of the configuration file when there is one, else the git work tree's top
    /// level, else `walk_root` itself. URLs come from `--repo-url`, the configuration's
    /// `repoURLs` and `git remote -v`, in that order, normalised as Argo CD normalises them.
    pub fn discover(walk_root: &Path, config: &Config, flag_urls: &[String]) -> RepoIdentity {
        let walk_abs = std::fs::canonicalize(walk_root).unwrap_or_else(|_| walk_root.to_owned());
        let git_top = git_toplevel(&walk_abs);
        let config_dir = config
            .path
            .as_deref()
            .and_then(Path::parent)
            .and_then(|p| std::fs::canonicalize(p).ok())
            .filter(|d| walk_abs.starts_with(d));
        let root = config_dir
            .or(git_top.clone())
            .unwrap_or_else(|| walk_abs.clone());
        let walk_prefix = walk_abs
            .strip_prefix(&root)
            .map(slash_path)
            .unwrap_or_default();
        let mut id = RepoIdentity {
            root,
            walk_prefix,
            urls: Vec::new(),
        };
        for u in flag_urls {
            id.push(u, UrlOrigin::Flag);
        }
        for u in &config.repo_urls {
            id.push(u, UrlOrigin::Config);
        }
        // The remotes only describe this checkout when the root is the work tree itself.
        if git_top.as_deref() == Some(id.root.as_path()) {
            for (name, url) in git_remotes(&id.root) {
                id.push(&url, UrlOrigin::GitRemote(name));
            }
        }
        id
    }

    /// An identity with a fixed root and URLs, for tests and embedding.
    pub fn new(root: PathBuf, urls: &[&str]) -> RepoIdentity {
        let mut id = RepoIdentity {
            root,
            walk_prefix: String::new(),
            urls: Vec::new(),
        };
        for u in urls {
            id.push(u, UrlOrigin::Config);
        }
        id
    }

    fn push(&mut self, url: &str, origin: UrlOrigin) {
        let Some(key) = repo_key(url) else { return };
        if self.urls.iter().any(|k| k.key == key) {
            return;
        }
        self.urls.push(KnownUrl {
            url: url.to_owned(),
            key,
            origin,
        });
    }

    /// Whether Argo CD would read `repo_url` from this repository.
    pub fn is_this_repo(&self, repo_url: &str) -> bool {
        repo_key(repo_url).is_some_and(|key| self.urls.iter().any(|k| k.key == key))
    }

    /// A path relative to the linted directory (as the source database keeps it), made
    /// relative to the checkout root.
    pub fn to_root_relative(&self, walk_relative: &str) -> String {
        if self.walk_prefix.is_empty() {
            walk_relative.to_owned()
        } else {
            format!("{}/{}", self.walk_prefix, walk_relative)
        }
    }
}

/// The repository a URL clones, as `host/path`: Argo CD's normalisation (trim, lower case,
/// scp form to `ssh://`, one `.git` removed), then scheme, user-info, port, trailing `/`
/// and a `.git` before it dropped. `None` for URLs that name no host (`""`, local paths).
pub fn repo_key(url: &str) -> Option<String> {
    let n = normalize_git_url(url);
    let rest = match n.split_once("://") {
        Some((_, rest)) => rest,
        None => n.as_str(),
    };
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = match host.rsplit_once(':') {
        Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h,
        _ => host,
    };
    if host.is_empty() {
        return None;
    }
    let path = path.trim_end_matches('/');
    let path = path.strip_suffix(".git").unwrap_or(path);
    Some(format!("{host}/{path}"))
}

fn slash_path(p: &Path) -> String {
    p.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    String::from_utf8(out.stdout).ok()
}

fn git_toplevel(dir: &Path) -> Option<PathBuf> {
    let top = git(dir, &["rev-parse", "--show-toplevel"])?;
    let top = top.trim_end_matches(['\n', '\r']);
    if top.is_empty() {
        return None;
    }
    std::fs::canonicalize(top).ok()
}

/// `git remote -v`: `name<TAB>url (fetch|push)` lines.
fn git_remotes(dir: &Path) -> Vec<(String, String)> {
    let Some(text) = git(dir, &["remote", "-v"]) else {
        return Vec::new();
    };
    parse_remotes(&text)
}

fn parse_remotes(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        let Some((name, rest)) = line.split_once('\t') else {
            continue;
        };
        let url = rest
            .strip_suffix(" (fetch)")
            .or_else(|| rest.strip_suffix(" (push)"))
            .unwrap_or(rest)
            .trim();
        if url.is_empty() || out.iter().any(|(n, u)| n == name && u == url) {
            continue;
        }
        out.push((name.to_owned(), url.to_owned()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remotes_are_parsed_once_per_url() {
        let text = "origin\tgit@github.com:acme/gitops.git (fetch)\norigin\tgit@github.com:acme/gitops.git (push)\nmirror\thttps://gitlab.example.com/acme/gitops (fetch)\nmirror\thttps://gitlab.example.com/acme/gitops-push (push)\n";
        assert_eq!(
            parse_remotes(text),
            vec![
                (
                    "origin".to_owned(),
                    "git@github.com:acme/gitops.git".to_owned()
                ),
                (
                    "mirror".to_owned(),
                    "https://gitlab.example.com/acme/gitops".to_owned()
                ),
                (
                    "mirror".to_owned(),
                    "https://gitlab.example.com/acme/gitops-push".to_owned()
                ),
            ]
        );
    }

    #[test]
    fn every_form_of_the_url_is_this_repo() {
        let id = RepoIdentity::new(PathBuf::from("/r"), &["https://github.com/acme/gitops.git"]);
        for u in [
            "https://github.com/acme/gitops.git",
            "https://github.com/acme/gitops",
            "HTTPS://GitHub.com/Acme/GitOps.GIT",
            "  https://github.com/acme/gitops  ",
        ] {
            assert!(id.is_this_repo(u), "{u}");
        }
        // The same repository in any form Argo CD can clone it by.
        for u in [
            "https://github.com/acme/gitops/",
            "git@github.com:acme/gitops.git",
            "ssh://git@github.com/acme/gitops",
            "ssh://git@GITHUB.com:22/acme/gitops.git",
            "https://token@github.com/acme/gitops",
            "http://github.com:443/acme/gitops.git/",
        ] {
            assert!(id.is_this_repo(u), "{u}");
        }
        for u in [
            "https://github.com/acme/other",
            "https://github.com/acme/gitops-staging",
            "https://gitlab.com/acme/gitops",
            "https://github.com/acme",
            "",
            "/srv/git/gitops",
        ] {
            assert!(!id.is_this_repo(u), "{u}");
        }
    }

    #[test]
    fn scp_config_url_matches_https_sources() {
        let id = RepoIdentity::new(PathBuf::from("/r"), &["git@github.com:acme/gitops.git"]);
        assert!(id.is_this_repo("ssh://git@github.com/acme/gitops"));
        assert!(id.is_this_repo("https://github.com/Acme/GitOps.git"));
        assert!(!id.is_this_repo("https://github.com/acme/gitops2"));
    }
}
