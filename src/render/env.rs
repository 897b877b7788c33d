//! The build environment Argo CD's repo server gives a render (`newEnv` in
//! `reposerver/repository/repository.go`) and its `${VAR}` substitution (`Env.Envsubst` in
//! `pkg/apis/application/v1alpha1/types.go`, which is Go's `os.Expand` with `$$` → `$`).
//!
//! Values that only exist on a real Argo CD (the resolved commit, the project) are empty
//! here, so `${ARGOCD_APP_REVISION}` expands to the empty string.

use super::RenderRequest;
use serde_json::Value;

/// `ARGOCD_APP_*` variables of one render.
#[derive(Debug, Clone)]
pub(crate) struct ArgoEnv {
    vars: Vec<(&'static str, String)>,
}

impl ArgoEnv {
    /// The variables Argo CD sets: `ARGOCD_APP_NAMESPACE` is the destination namespace
    /// (the repo server's `q.Namespace`), not the Application's own namespace.
    pub(crate) fn new(req: &RenderRequest, source: &Value) -> Self {
        let field = |k: &str| {
            source
                .get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        ArgoEnv {
            vars: vec![
                ("ARGOCD_APP_NAME", req.app_name.clone()),
                ("ARGOCD_APP_NAMESPACE", req.dest_namespace.clone()),
                ("ARGOCD_APP_PROJECT_NAME", req.project.clone()),
                ("ARGOCD_APP_REVISION", String::new()),
                ("ARGOCD_APP_REVISION_SHORT", String::new()),
                ("ARGOCD_APP_REVISION_SHORT_8", String::new()),
                ("ARGOCD_APP_SOURCE_REPO_URL", field("repoURL")),
                ("ARGOCD_APP_SOURCE_PATH", field("path")),
                ("ARGOCD_APP_SOURCE_TARGET_REVISION", field("targetRevision")),
            ],
        }
    }

    pub(crate) fn vars(&self) -> &[(&'static str, String)] {
        &self.vars
    }

    /// `Env.Envsubst`: unknown variables expand to the empty string, `$$` to `$`.
    pub(crate) fn envsubst(&self, s: &str) -> String {
        expand(s, |name| {
            if name == "$" {
                return "$".to_owned();
            }
            self.vars
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        })
    }
}

/// Go's `os.Expand`: replaces `$name` and `${name}` using `mapping`. Invalid syntax
/// (`${}`, an unterminated `${`) is dropped; a `$` followed by nothing usable stays.
pub(crate) fn expand(s: &str, mapping: impl Fn(&str) -> String) -> String {
    let b = s.as_bytes();
    let mut out: Option<String> = None;
    let mut i = 0usize;
    let mut j = 0usize;
    while j < b.len() {
        if b[j] == b'$' && j + 1 < b.len() {
            let buf = out.get_or_insert_with(|| String::with_capacity(2 * s.len()));
            buf.push_str(&s[i..j]);
            let (name, w) = shell_name(&s[j + 1..]);
            if name.is_empty() && w > 0 {
                // Invalid syntax: the characters are eaten.
            } else if name.is_empty() {
                buf.push('$');
            } else {
                buf.push_str(&mapping(name));
            }
            j += w;
            i = j + 1;
        }
        j += 1;
    }
    match out {
        None => s.to_owned(),
        Some(mut buf) => {
            buf.push_str(s.get(i..).unwrap_or_default());
            buf
        }
    }
}

fn is_shell_special(c: u8) -> bool {
    matches!(
        c,
        b'*' | b'#' | b'$' | b'@' | b'!' | b'?' | b'-' | b'0'..=b'9'
    )
}

fn is_alnum(c: u8) -> bool {
    c == b'_' || c.is_ascii_alphanumeric()
}

/// The variable name at the start of `s` (after a `$`) and how many bytes it uses.
fn shell_name(s: &str) -> (&str, usize) {
    let b = s.as_bytes();
    if b[0] == b'{' {
        if b.len() > 2 && is_shell_special(b[1]) && b[2] == b'}' {
            return (&s[1..2], 3);
        }
        for (i, &c) in b.iter().enumerate().skip(1) {
            if c == b'}' {
                if i == 1 {
                    return ("", 2);
                }
                return (&s[1..i], i + 1);
            }
        }
        return ("", 1);
    }
    if is_shell_special(b[0]) {
        return (&s[0..1], 1);
    }
    let n = b.iter().take_while(|&&c| is_alnum(c)).count();
    (&s[..n], n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use std::path::PathBuf;
    use std::time::Duration;

    fn env() -> ArgoEnv {
        let req = RenderRequest {
            kind: crate::render::SourceType::Helm,
            repo_root: PathBuf::from("/r"),
            source_dir: PathBuf::from("/r/apps/web"),
            source: Value::Null,
            app_name: "web".into(),
            project: String::new(),
            app_namespace: "argocd".into(),
            dest_namespace: "prod".into(),
            refs: BTreeMap::new(),
            timeout: Duration::from_secs(1),
        };
        let source = serde_json::json!({"repoURL": "https://git.example/r.git", "path": "apps/web", "targetRevision": "main"});
        ArgoEnv::new(&req, &source)
    }

    /// Table from Go's os.Expand semantics plus Argo CD's `$$` escape (argocd-semantics
    /// doc §6.3 build environment; `Env.Envsubst`).
    #[test]
    fn envsubst_follows_os_expand() {
        let e = env();
        let cases = [
            ("${ARGOCD_APP_NAME}", "web"),
            ("$ARGOCD_APP_NAME-x", "web-x"),
            ("${ARGOCD_APP_NAMESPACE}", "prod"),
            ("${ARGOCD_APP_SOURCE_PATH}", "apps/web"),
            ("${ARGOCD_APP_SOURCE_TARGET_REVISION}", "main"),
            ("${ARGOCD_APP_REVISION}", ""),
            ("$unknown/values.yaml", "/values.yaml"),
            ("$$HOME", "$HOME"),
            ("cost: 5$", "cost: 5$"),
            ("a${}b", "ab"),
            ("a${b", "ab"),
            ("$1x", "x"),
            ("${1}x", "x"),
            ("plain", "plain"),
            ("é${ARGOCD_APP_NAME}é", "éwebé"),
            ("$-", ""),
            ("$/x", "$/x"),
        ];
        for (input, want) in cases {
            assert_eq!(e.envsubst(input), want, "input {input:?}");
        }
    }

    #[test]
    fn vars_list_argo_names() {
        let names: Vec<_> = env().vars().iter().map(|(k, _)| *k).collect();
        assert!(names.contains(&"ARGOCD_APP_REVISION_SHORT_8"));
        assert_eq!(names.len(), 9);
    }
}
