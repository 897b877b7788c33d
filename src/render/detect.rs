//! Which tool Argo CD uses for a source (`GetAppSourceType` in
//! `reposerver/repository/repository.go`): the overrides files are merged first, then an
//! explicit `helm`/`kustomize`/`directory`/`plugin` block decides (`ExplicitType`), else
//! the files directly in the source directory (`discovery.AppType`).

use super::{RenderError, SourceType};
use serde_json::Value;
use std::path::Path;

/// Argo CD's application source types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AppType {
    Helm,
    Kustomize,
    Directory,
    Plugin,
}

impl AppType {
    /// The tool that renders it, for the two this crate runs.
    pub fn renderer(self) -> Option<SourceType> {
        match self {
            AppType::Helm => Some(SourceType::Helm),
            AppType::Kustomize => Some(SourceType::Kustomize),
            AppType::Directory | AppType::Plugin => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AppType::Helm => "Helm",
            AppType::Kustomize => "Kustomize",
            AppType::Directory => "Directory",
            AppType::Plugin => "Plugin",
        }
    }
}

/// The type Argo CD gives the source whose directory is `source_dir`, after merging
/// `.argocd-source.yaml` / `.argocd-source-<app_name>.yaml` (see
/// [`super::apply_source_overrides`]).
///
/// - A source with `chart` is Helm.
/// - Exactly one non-empty `helm`, `kustomize`, `directory` or `plugin` block decides;
///   several are [`RenderError::Invalid`] (`multiple application sources defined`). An
///   empty block (`helm: {}`, only zero values) does not count, as Argo CD normalises it
///   away.
/// - Otherwise the regular files directly in the directory, in name order, the last match
///   winning: a name ending in `Chart.yaml` means Helm, `kustomization.yaml`,
///   `kustomization.yml` or `Kustomization` means Kustomize. So a directory with both
///   `Chart.yaml` and `kustomization.yaml` is Kustomize (`C` sorts before `k`). Nothing
///   matching means Directory. Config management plugins found by discovery rules are not
///   detected (their configuration lives in the Argo CD installation).
pub fn app_type(source: &Value, source_dir: &Path, app_name: &str) -> Result<AppType, RenderError> {
    let merged = super::apply_source_overrides(source, source_dir, app_name)?;
    if merged
        .get("chart")
        .and_then(Value::as_str)
        .is_some_and(|c| !c.is_empty())
    {
        return Ok(AppType::Helm);
    }
    let explicit: Vec<AppType> = [
        ("kustomize", AppType::Kustomize),
        ("helm", AppType::Helm),
        ("directory", AppType::Directory),
        ("plugin", AppType::Plugin),
    ]
    .into_iter()
    .filter(|(k, _)| merged.get(*k).is_some_and(|v| !is_zero(v)))
    .map(|(_, t)| t)
    .collect();
    match explicit.as_slice() {
        [one] => return Ok(*one),
        [] => {}
        many => {
            let names: Vec<&str> = many.iter().map(|t| t.label()).collect();
            return Err(RenderError::Invalid {
                message: format!("multiple application sources defined: {}", names.join(",")),
            });
        }
    }
    Ok(discover(source_dir))
}

/// `discovery.AppType` for the directory itself.
pub fn discover(dir: &Path) -> AppType {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return AppType::Directory;
    };
    let mut names: Vec<(String, bool)> = rd
        .filter_map(Result::ok)
        .map(|e| {
            let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
            (e.file_name().to_string_lossy().into_owned(), is_dir)
        })
        .collect();
    names.sort();
    let mut found = AppType::Directory;
    for (name, is_dir) in names {
        if is_dir {
            continue;
        }
        if name.ends_with("Chart.yaml") {
            found = AppType::Helm;
        }
        if super::kustomize::KUSTOMIZATION_FILES.contains(&name.as_str()) {
            found = AppType::Kustomize;
        }
    }
    found
}

/// Whether a block holds only zero values (what Go's `IsZero` checks see as unset).
fn is_zero(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(m) => m.values().all(is_zero),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn dir(files: &[&str]) -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        for f in files {
            let p = d.path().join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "").unwrap();
        }
        d
    }

    #[test]
    fn discovery_follows_argo_quirks() {
        let cases: [(&[&str], AppType); 8] = [
            (&["Chart.yaml"], AppType::Helm),
            (&["kustomization.yaml"], AppType::Kustomize),
            (&["kustomization.yml"], AppType::Kustomize),
            (&["Kustomization"], AppType::Kustomize),
            (&["Chart.yaml", "kustomization.yaml"], AppType::Kustomize),
            (&["kustomization.yaml", "myChart.yaml"], AppType::Helm),
            (&["sub/Chart.yaml", "deploy.yaml"], AppType::Directory),
            (&[], AppType::Directory),
        ];
        for (files, want) in cases {
            let d = dir(files);
            assert_eq!(discover(d.path()), want, "{files:?}");
        }
    }

    #[test]
    fn explicit_blocks_win_and_conflict() {
        let d = dir(&["Chart.yaml"]);
        assert_eq!(
            app_type(&json!({"kustomize": {"namePrefix": "a-"}}), d.path(), "a").unwrap(),
            AppType::Kustomize
        );
        assert_eq!(
            app_type(&json!({"kustomize": {}}), d.path(), "a").unwrap(),
            AppType::Helm
        );
        assert_eq!(
            app_type(&json!({"directory": {"recurse": true}}), d.path(), "a").unwrap(),
            AppType::Directory
        );
        assert_eq!(
            app_type(&json!({"chart": "redis"}), d.path(), "a").unwrap(),
            AppType::Helm
        );
        let err = app_type(
            &json!({"helm": {"releaseName": "x"}, "kustomize": {"namePrefix": "y"}}),
            d.path(),
            "a",
        )
        .unwrap_err();
        assert_eq!(
            err,
            RenderError::Invalid {
                message: "multiple application sources defined: Kustomize,Helm".into()
            }
        );
        // An override file can make a source explicit.
        std::fs::write(
            d.path().join(".argocd-source-a.yaml"),
            "plugin:\n  name: cmp\n",
        )
        .unwrap();
        assert_eq!(
            app_type(&json!({}), d.path(), "a").unwrap(),
            AppType::Plugin
        );
        assert_eq!(app_type(&json!({}), d.path(), "b").unwrap(), AppType::Helm);
    }
}
