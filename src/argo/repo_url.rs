//! Repository URLs as Argo CD compares them: `util/git.NormalizeGitURL`, `SameURL` and
//! `IsSSHURL` (semantics notes §1.2). AppProject `sourceRepos` patterns and Application
//! `repoURL`s are both normalised before the glob match.
//!
//! Steps: trim surrounding white space and lower-case the whole URL; if it looks like SSH
//! (`^(ssh://)?([^/:]*?)@[^@]+$`) without an `ssh://` prefix, replace the first `:` with
//! `/` and prepend `ssh://`; remove one trailing `.git`; parse with Go's `net/url` (a parse
//! error gives `""`) and print it back with `String()`; remove a leading `ssh://`.
//!
//! Consequences: a trailing `/` is kept; HTTPS and SSH forms differ; `{`/`}` in the path
//! are percent-encoded (so brace alternation never works in `sourceRepos` paths) while
//! `*`, `[`, `]` and `?` survive; a `{` in the host, or an scp-style path after `ssh://`
//! (`ssh://git@host:org/repo`, "invalid port"), makes the URL unparsable, i.e. `""`.

pub mod go_url;

/// Go's `strings.ToLower` (per character; U+0130 lower-cases to a plain `i`).
fn go_to_lower(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            let lower: Vec<char> = if c == '\u{130}' {
                vec!['i']
            } else {
                c.to_lowercase().collect()
            };
            lower
        })
        .collect()
}

/// util/git `IsSSHURL`: whether the URL looks like SSH, and its user (the text before the
/// last `@`, after an optional `ssh://`).
pub fn is_ssh_url(url: &str) -> Option<&str> {
    let at = url.rfind('@')?;
    if url.len() == at + 1 {
        return None;
    }
    let user_ok = |user: &str| !user.contains(['/', ':']);
    if let Some(rest) = url.strip_prefix("ssh://")
        && at >= "ssh://".len()
    {
        let user = &rest[..at - "ssh://".len()];
        if user_ok(user) {
            return Some(user);
        }
    }
    let user = &url[..at];
    user_ok(user).then_some(user)
}

/// util/git `NormalizeGitURL`: `""` when Go's `url.Parse` fails.
pub fn normalize_git_url(url: &str) -> String {
    let mut repo = go_to_lower(url.trim());
    if is_ssh_url(&repo).is_some() && !repo.starts_with("ssh://") {
        repo = format!("ssh://{}", repo.replacen(':', "/", 1));
    }
    if let Some(stripped) = repo.strip_suffix(".git") {
        repo.truncate(stripped.len());
    }
    match go_url::parse(&repo) {
        Ok(parsed) => {
            let normalized = parsed.to_string();
            match normalized.strip_prefix("ssh://") {
                Some(rest) => rest.to_string(),
                None => normalized,
            }
        }
        Err(_) => String::new(),
    }
}

/// util/git `SameURL`: both URLs normalise to the same string (two unparsable URLs are
/// "the same": both normalise to `""`).
pub fn same_url(left: &str, right: &str) -> bool {
    normalize_git_url(left) == normalize_git_url(right)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Argo CD `TestIsSSHURL`.
    #[test]
    fn upstream_is_ssh_url() {
        let cases: &[(&str, bool)] = &[
            ("git://github.com/argoproj/test.git", false),
            ("git@GITHUB.com:argoproj/test.git", true),
            ("git@github.com:test", true),
            ("git@github.com:test.git", true),
            ("https://github.com/argoproj/test", false),
            ("https://github.com/argoproj/test.git", false),
            ("ssh://git@GITHUB.com:argoproj/test", true),
            ("ssh://git@GITHUB.com:argoproj/test.git", true),
            ("ssh://git@github.com:test.git", true),
        ];
        for &(url, want) in cases {
            assert_eq!(is_ssh_url(url).is_some(), want, "{url:?}");
        }
    }

    /// Argo CD `TestIsSSHURLUserName`.
    #[test]
    fn upstream_is_ssh_url_user_name() {
        let cases: &[(&str, &str)] = &[
            ("ssh://john@john-server.org:29418/project", "john"),
            ("john@john-server.org:29418/project", "john"),
            ("john@doe.org@john-server.org:29418/project", "john@doe.org"),
            (
                "ssh://john@doe.org@john-server.org:29418/project",
                "john@doe.org",
            ),
            ("john@doe.org@john-server.org:project", "john@doe.org"),
        ];
        for &(url, user) in cases {
            assert_eq!(is_ssh_url(url), Some(user), "{url:?}");
        }
        // Not SSH: a `/` or `:` before the last `@`, or nothing after it.
        assert_eq!(is_ssh_url("https://user@host/x"), None);
        assert_eq!(is_ssh_url("a/b@host"), None);
        assert_eq!(is_ssh_url("git@"), None);
        assert_eq!(is_ssh_url("no-at-sign"), None);
        assert_eq!(is_ssh_url("ssh://@host"), Some(""));
        assert_eq!(is_ssh_url("@host"), Some(""));
    }

    /// Argo CD `TestSameURL`.
    #[test]
    fn upstream_same_url() {
        let cases: &[(&str, &str)] = &[
            (
                "git@GITHUB.com:argoproj/test",
                "git@github.com:argoproj/test.git",
            ),
            (
                "git@GITHUB.com:argoproj/test.git",
                "git@github.com:argoproj/test.git",
            ),
            ("git@GITHUB.com:test", "git@github.com:test.git"),
            ("git@GITHUB.com:test.git", "git@github.com:test.git"),
            (
                "https://GITHUB.com/argoproj/test",
                "https://github.com/argoproj/test.git",
            ),
            (
                "https://GITHUB.com/argoproj/test.git",
                "https://github.com/argoproj/test.git",
            ),
            ("https://github.com/FOO", "https://github.com/foo"),
            ("https://github.com/TEST", "https://github.com/TEST.git"),
            ("https://github.com/TEST.git", "https://github.com/TEST.git"),
            (
                "https://github.com:4443/TEST",
                "https://github.com:4443/TEST.git",
            ),
            (
                "https://github.com:4443/TEST.git",
                "https://github.com:4443/TEST",
            ),
            (
                "ssh://git@GITHUB.com/argoproj/test",
                "git@github.com:argoproj/test.git",
            ),
            (
                "ssh://git@GITHUB.com/argoproj/test.git",
                "git@github.com:argoproj/test.git",
            ),
            ("ssh://git@GITHUB.com/test.git", "git@github.com:test.git"),
            ("ssh://git@github.com/test", "git@github.com:test.git"),
            (
                " https://github.com/argoproj/test ",
                "https://github.com/argoproj/test.git",
            ),
            (
                "\thttps://github.com/argoproj/test\n",
                "https://github.com/argoproj/test.git",
            ),
            (
                "https://1234.visualstudio.com/myproj/_git/myrepo",
                "https://1234.visualstudio.com/myproj/_git/myrepo",
            ),
            (
                "https://dev.azure.com/1234/myproj/_git/myrepo",
                "https://dev.azure.com/1234/myproj/_git/myrepo",
            ),
        ];
        for &(a, b) in cases {
            assert!(same_url(a, b), "{a:?} vs {b:?}");
        }
    }

    /// Normalised forms, semantics notes §1.2 (each checked against Go's net/url).
    #[test]
    fn normalize() {
        let cases: &[(&str, &str)] = &[
            (
                "https://GitHub.com/Org/Repo.GIT",
                "https://github.com/org/repo",
            ),
            ("git@github.com:org/repo.git", "git@github.com/org/repo"),
            ("ssh://git@github.com/org/repo", "git@github.com/org/repo"),
            (
                "ssh://git@GITHUB.com/org/repo.git",
                "git@github.com/org/repo",
            ),
            // The user-info of an HTTPS URL stays.
            (
                "https://user@github.com/org/repo",
                "https://user@github.com/org/repo",
            ),
            (
                "https://user:secret@github.com/org/repo",
                "https://user:secret@github.com/org/repo",
            ),
            // A trailing slash is kept.
            (
                "https://github.com/org/repo/",
                "https://github.com/org/repo/",
            ),
            // One `.git` only.
            (
                "https://github.com/org/repo.git.git",
                "https://github.com/org/repo.git",
            ),
            (
                "https://github.com/org/repo.git/",
                "https://github.com/org/repo.git/",
            ),
            // scp-style after ssh:// cannot be parsed.
            ("ssh://git@host:org/repo", ""),
            ("ssh://git@GITHUB.com:argoproj/test", ""),
            ("ssh://git@github.com:argoproj/test", ""),
            // But a numeric port is fine.
            ("ssh://git@host:2222/org/repo", "git@host:2222/org/repo"),
            // Only the first `:` of an scp-style URL becomes `/`.
            ("git@host:2222:org/repo", "git@host/2222:org/repo"),
            // Glob characters in the path.
            ("https://github.com/org/*", "https://github.com/org/*"),
            ("https://github.com/org/**", "https://github.com/org/**"),
            (
                "https://github.com/org/[ab]*",
                "https://github.com/org/[ab]*",
            ),
            (
                "https://github.com/org/repo-?",
                "https://github.com/org/repo-?",
            ),
            (
                "https://github.com/org/{a,b}",
                "https://github.com/org/%7Ba,b%7D",
            ),
            ("git@github.com:org/*", "git@github.com/org/*"),
            ("git@github.com:org/{a,b}", "git@github.com/org/%7Ba,b%7D"),
            // Glob characters in the host.
            ("https://*.example.com/x", "https://*.example.com/x"),
            ("https://{a,b}.example.com/x", ""),
            ("git@{a,b}.example.com:x", ""),
            ("*", "*"),
            // Scheme-less sources.
            (
                "registry-1.docker.io/bitnamicharts",
                "registry-1.docker.io/bitnamicharts",
            ),
            (
                "https://charts.bitnami.com/bitnami",
                "https://charts.bitnami.com/bitnami",
            ),
            ("ghcr.io/org/charts", "ghcr.io/org/charts"),
            ("localhost:5000/charts", "localhost:5000/charts"),
            ("oci://ghcr.io/org/charts", "oci://ghcr.io/org/charts"),
            // Parse errors.
            ("https://github.com/%zz", ""),
            ("https://github.com/a b", "https://github.com/a%20b"),
            ("1.2.3.4:org/repo", ""),
            ("://x", ""),
            // Query and fragment are kept (lower-cased).
            ("https://h/x?Ref=Main", "https://h/x?ref=main"),
            ("https://h/x#Frag", "https://h/x#frag"),
            ("https://h/x.git#frag", "https://h/x.git#frag"),
            ("", ""),
            ("   ", ""),
        ];
        for &(input, want) in cases {
            assert_eq!(normalize_git_url(input), want, "{input:?}");
        }
        // Two unparsable URLs are "the same".
        assert!(same_url("ssh://git@a:x/y", "ssh://git@b:z/w"));
        // HTTPS and SSH forms of one repository differ.
        assert!(!same_url(
            "https://github.com/org/repo",
            "git@github.com:org/repo.git"
        ));
        assert!(!same_url(
            "https://github.com/org/repo",
            "https://github.com/org/repo/"
        ));
    }

    #[test]
    fn go_lower_case() {
        assert_eq!(go_to_lower("İSTANBUL"), "istanbul");
        assert_eq!(go_to_lower("ΟΔΟΣ"), "οδοσ");
    }
}
