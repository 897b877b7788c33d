//! `.argocd-source.yaml` and `.argocd-source-<app>.yaml`: parameter overrides committed
//! next to the source, merged into it by Argo CD's repo server before it decides the source
//! type and renders (`mergeSourceParameters` in `reposerver/repository/repository.go`).

use super::RenderError;
use crate::load::yaml;
use serde_json::{Map, Value};
use std::path::Path;

/// The fields an override file may not change: Argo CD restores them after merging.
const PROTECTED: [&str; 4] = ["chart", "path", "repoURL", "targetRevision"];

/// `source` with `<source_dir>/.argocd-source.yaml` and then
/// `<source_dir>/.argocd-source-<app_name>.yaml` merged in as JSON merge patches (RFC
/// 7386), `chart`, `path`, `repoURL` and `targetRevision` kept from the Application.
/// Missing files and directories of those names are skipped, as Argo CD does; a file that
/// is not YAML, or whose document is not a mapping, is [`RenderError::Invalid`].
///
/// Argo CD names the per-Application file after the Application's instance name, which is
/// `<namespace>_<name>` for an Application outside the control-plane namespace; pass that
/// as `app_name` for such Applications.
pub fn apply_source_overrides(
    source: &Value,
    source_dir: &Path,
    app_name: &str,
) -> Result<Value, RenderError> {
    let mut files = vec![source_dir.join(".argocd-source.yaml")];
    if !app_name.is_empty() {
        files.push(source_dir.join(format!(".argocd-source-{app_name}.yaml")));
    }
    let mut merged = source.clone();
    for file in files {
        let text = match std::fs::read_to_string(&file) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(_) if file.is_dir() => continue,
            Err(e) => return Err(invalid(&file, &e.to_string())),
        };
        let parsed = yaml::parse(&text);
        if let Some(yaml::Problem::Syntax { message, .. }) = parsed
            .problems
            .iter()
            .find(|p| matches!(p, yaml::Problem::Syntax { .. }))
        {
            return Err(invalid(&file, message));
        }
        let patch = parsed
            .documents
            .first()
            .map_or(Value::Null, |d| d.root.to_json());
        match patch {
            Value::Null => {}
            Value::Object(_) => merge_patch(&mut merged, &patch),
            _ => {
                return Err(invalid(
                    &file,
                    "the overrides must be a mapping of Application source fields",
                ));
            }
        }
    }
    if let (Value::Object(out), Value::Object(orig)) = (&mut merged, source) {
        for key in PROTECTED {
            match orig.get(key) {
                Some(v) => {
                    out.insert(key.to_owned(), v.clone());
                }
                None => {
                    out.remove(key);
                }
            }
        }
    }
    Ok(merged)
}

fn invalid(file: &Path, message: &str) -> RenderError {
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    RenderError::Invalid {
        message: format!("error while parsing source parameters: {name}: {message}"),
    }
}

/// RFC 7386 JSON merge patch.
pub(crate) fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(p) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Value::Object(t) = target {
        for (k, v) in p {
            if v.is_null() {
                t.remove(k);
            } else {
                let slot = t.entry(k.clone()).or_insert(Value::Null);
                merge_patch(slot, v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_patch_follows_rfc_7386() {
        let cases = [
            (json!({"a": "b"}), json!({"a": "c"}), json!({"a": "c"})),
            (
                json!({"a": "b"}),
                json!({"b": "c"}),
                json!({"a": "b", "b": "c"}),
            ),
            (json!({"a": "b"}), json!({"a": null}), json!({})),
            (
                json!({"a": {"b": "c"}}),
                json!({"a": {"b": "d", "c": null}}),
                json!({"a": {"b": "d"}}),
            ),
            (
                json!({"a": [1]}),
                json!({"a": [2, 3]}),
                json!({"a": [2, 3]}),
            ),
            (
                json!({"a": "x"}),
                json!({"a": {"b": null, "c": 1}}),
                json!({"a": {"c": 1}}),
            ),
        ];
        for (mut target, patch, want) in cases {
            merge_patch(&mut target, &patch);
            assert_eq!(target, want);
        }
    }

    #[test]
    fn overrides_merge_in_order_and_keep_protected_fields() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(".argocd-source.yaml"),
            "helm:\n  releaseName: from-repo\n  valueFiles: [a.yaml]\npath: elsewhere\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join(".argocd-source-web.yaml"),
            "helm:\n  valueFiles: [b.yaml]\n",
        )
        .unwrap();
        let source =
            json!({"repoURL": "https://r", "path": "apps/web", "helm": {"releaseName": "orig"}});
        let got = apply_source_overrides(&source, dir.path(), "web").unwrap();
        assert_eq!(
            got,
            json!({"repoURL": "https://r", "path": "apps/web", "helm": {"releaseName": "from-repo", "valueFiles": ["b.yaml"]}})
        );
        // Another Application only gets the shared file.
        let other = apply_source_overrides(&source, dir.path(), "api").unwrap();
        assert_eq!(other["helm"]["valueFiles"], json!(["a.yaml"]));
    }

    #[test]
    fn missing_files_change_nothing_and_bad_files_are_invalid() {
        let dir = tempfile::tempdir().unwrap();
        let source = json!({"path": "x"});
        assert_eq!(
            apply_source_overrides(&source, dir.path(), "a").unwrap(),
            source
        );
        std::fs::write(dir.path().join(".argocd-source.yaml"), "- a\n- b\n").unwrap();
        let err = apply_source_overrides(&source, dir.path(), "a").unwrap_err();
        assert!(
            matches!(&err, RenderError::Invalid { message } if message.contains(".argocd-source.yaml")),
            "{err:?}"
        );
    }
}
