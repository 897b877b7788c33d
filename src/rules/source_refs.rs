//! APP009 missing-source-ref: `$ref` problems of an Application's sources (semantics
//! notes §6.2).
//!
//! - A helm `valueFiles` entry `$name/…` where no source has `ref: name`. The repo-server
//!   (`getReferencedSource`) then treats it as an ordinary path: `$name` is expanded as an
//!   environment variable, which is empty, so `$name/env/prod.yaml` becomes `/env/prod.yaml`
//!   in the source's own repository: normally missing (an error, or silently skipped with
//!   `ignoreMissingValueFiles`), and the wrong file when it exists.
//! - The same entry in an Application with a single source: refs are resolved only
//!   between the entries of `spec.sources`, and only when there are at least two
//!   (`GetRefSources`).
//! - A `ref` that fails `^[a-zA-Z0-9_-]+$`, or two sources with the same `ref`:
//!   `GetRefSources` rejects the sources and no manifests are generated.

use crate::diagnostic::Diagnostic;
use crate::engine::Ctx;
use crate::load::yaml::Node;
use crate::model::Object;
use crate::model::application::Application;
use crate::rules::did_you_mean;

pub const CODE: &str = "APP009";

/// The variables Argo CD sets for `valueFiles` env substitution (`newEnv`, plus the
/// Kubernetes versions): `$ARGOCD_APP_NAME/values.yaml` is not a ref.
const BUILD_ENV: &[&str] = &[
    "ARGOCD_APP_NAME",
    "ARGOCD_APP_NAMESPACE",
    "ARGOCD_APP_REVISION",
    "ARGOCD_APP_REVISION_SHORT",
    "ARGOCD_APP_SOURCE_REPO_URL",
    "ARGOCD_APP_SOURCE_PATH",
    "ARGOCD_APP_SOURCE_TARGET_REVISION",
    "KUBE_VERSION",
    "KUBE_API_VERSIONS",
];

/// Argo CD's `isValidRefKey`: `^[a-zA-Z0-9_-]+$`.
pub fn is_valid_ref(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The ref a `valueFiles` entry names: the first path segment when it is `$name` with a
/// name a ref could have (and not one of Argo CD's own variables). `None` for ordinary
/// paths, `${VAR}` substitutions and `$$` escapes.
pub fn referenced_ref(value_file: &str) -> Option<&str> {
    let first = value_file.split('/').next()?;
    let name = first.strip_prefix('$')?;
    if !value_file.contains('/') || !is_valid_ref(name) || BUILD_ENV.contains(&name) {
        return None;
    }
    Some(name)
}

/// What Argo CD reads instead: Go's `os.Expand` with an empty value for the unknown
/// variable `$name` (a name stops at the first character that is not a letter, digit or
/// `_`; a leading digit or `-` is a one-character special name).
pub fn expanded_path(value_file: &str) -> &str {
    let Some(after) = value_file.strip_prefix('$') else {
        return value_file;
    };
    match after.chars().next() {
        Some(c) if c.is_ascii_digit() || "*#$@!?-".contains(c) => &after[c.len_utf8()..],
        _ => after.trim_start_matches(|c: char| c.is_ascii_alphanumeric() || c == '_'),
    }
}

/// How the message names the path Argo CD reads.
fn describe_local(path: &str) -> String {
    if path.starts_with('/') {
        format!("\"{path}\" from the root of this source's own repository")
    } else {
        format!("\"{path}\" relative to this source's path")
    }
}

fn ref_value(source: &Node) -> Option<&Node> {
    source.get("ref").filter(|r| r.as_str().is_some())
}

fn value_files(source: &Node) -> Vec<&Node> {
    source
        .get("helm")
        .and_then(|h| h.get("valueFiles"))
        .map(|v| v.items().iter().collect())
        .unwrap_or_default()
}

pub fn check(_cx: &Ctx<'_>, o: &Object, out: &mut Vec<Diagnostic>) {
    let Some(app) = Application::new(o) else {
        return;
    };
    let Some(spec) = app.spec() else { return };
    // With a source hydrator, `source` and `sources` are ignored.
    if spec.get("sourceHydrator").is_some_and(|h| !h.is_null()) {
        return;
    }
    let multi = app.is_multi_source();
    let sources = app.sources();
    // Refs exist only between two or more entries of `spec.sources`.
    let refs_resolve = multi && sources.len() > 1;

    let mut declared: Vec<(&str, &Node)> = Vec::new();
    if refs_resolve {
        for source in &sources {
            let Some(node) = ref_value(source) else {
                continue;
            };
            let Some(name) = node.as_str() else { continue };
            if name.is_empty() {
                continue;
            }
            if !is_valid_ref(name) {
                out.push(
                    Diagnostic::new(
                        CODE,
                        o.span(node),
                        format!(
                            "ref \"{name}\" may contain only letters, digits, '_' and '-'; Argo CD \
                             rejects the sources of {} (\"sources.ref {name} cannot contain any \
                             special characters except '_' and '-'\") and generates no manifests",
                            o.display_name()
                        ),
                    )
                    .with_label("invalid ref name")
                    .with_help(
                        "Rename the ref using only letters, digits, '_' and '-', and update the \
                         `$ref/…` valueFiles entries that use it.",
                    )
                    .with_object(Some(o.object_ref())),
                );
                continue;
            }
            if let Some((_, first)) = declared.iter().find(|(n, _)| *n == name) {
                out.push(
                    Diagnostic::new(
                        CODE,
                        o.span(node),
                        format!(
                            "ref \"{name}\" is declared by two sources; Argo CD rejects the sources \
                             of {} (\"invalid sources: multiple sources had the same `ref` key\") \
                             and generates no manifests",
                            o.display_name()
                        ),
                    )
                    .with_label("duplicate ref")
                    .with_related(o.span(first), "first declared here")
                    .with_help("Give each ref source its own ref name.")
                    .with_object(Some(o.object_ref())),
                );
                continue;
            }
            declared.push((name, node));
        }
    }
    let names: Vec<&str> = declared.iter().map(|(n, _)| *n).collect();

    for source in &sources {
        for item in value_files(source) {
            let Some(entry) = item.as_str() else { continue };
            let Some(name) = referenced_ref(entry) else {
                continue;
            };
            if names.contains(&name) {
                continue;
            }
            let local = describe_local(expanded_path(entry));
            let (message, help) = if !multi {
                (
                    format!(
                        "valueFiles entry \"{entry}\" uses ${name}, but {} has a single source; \
                         $refs resolve only between the entries of spec.sources, so Argo CD reads \
                         {local}",
                        o.display_name()
                    ),
                    format!(
                        "Move the sources to spec.sources and add the repository holding the file \
                         as a source with `ref: {name}`, or use a path inside this source."
                    ),
                )
            } else if !refs_resolve {
                (
                    format!(
                        "valueFiles entry \"{entry}\" uses ${name}, but spec.sources of {} has a \
                         single entry; Argo CD resolves $refs only with two or more sources and \
                         reads {local}",
                        o.display_name()
                    ),
                    format!(
                        "Add the repository holding the file as a second source with `ref: {name}`."
                    ),
                )
            } else {
                let suggestion = did_you_mean(name, &names)
                    .map(|s| format!("Did you mean `${s}`? "))
                    .unwrap_or_default();
                (
                    format!(
                        "valueFiles entry \"{entry}\" refers to ${name}, but no source of {} has \
                         `ref: {name}`; Argo CD reads {local} instead",
                        o.display_name()
                    ),
                    format!(
                        "{suggestion}Add `ref: {name}` to the source whose repository holds the \
                         file, or fix the name after `$`."
                    ),
                )
            };
            out.push(
                Diagnostic::new(CODE, o.span(item), message)
                    .with_label(format!("no source has ref: {name}"))
                    .with_help(help)
                    .with_object(Some(o.object_ref())),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expansion() {
        let cases: &[(&str, &str)] = &[
            ("$values/env/prod.yaml", "/env/prod.yaml"),
            ("$my-ref/a.yaml", "-ref/a.yaml"),
            ("$my_ref/a.yaml", "/a.yaml"),
            ("$1abc/a.yaml", "abc/a.yaml"),
            ("$-x/a.yaml", "x/a.yaml"),
            ("plain/a.yaml", "plain/a.yaml"),
        ];
        for &(entry, want) in cases {
            assert_eq!(expanded_path(entry), want, "{entry:?}");
        }
    }

    #[test]
    fn ref_names() {
        let cases: &[(&str, bool)] = &[
            ("values", true),
            ("my-values_2", true),
            ("A", true),
            ("", false),
            ("my.values", false),
            ("my values", false),
            ("$values", false),
            ("vålues", false),
        ];
        for &(name, want) in cases {
            assert_eq!(is_valid_ref(name), want, "{name:?}");
        }
    }

    #[test]
    fn referenced_refs() {
        let cases: &[(&str, Option<&str>)] = &[
            ("$values/env/prod.yaml", Some("values")),
            ("$values/", Some("values")),
            ("$my-ref/a.yaml", Some("my-ref")),
            ("values/env/prod.yaml", None),
            ("/env/prod.yaml", None),
            ("$values", None),
            ("${ARGOCD_APP_NAME}/values.yaml", None),
            ("$ARGOCD_APP_NAME/values.yaml", None),
            ("$KUBE_VERSION/values.yaml", None),
            ("$$values/x.yaml", None),
            ("$my.ref/x.yaml", None),
            ("https://example.com/$values/x.yaml", None),
            ("$/x.yaml", None),
        ];
        for &(entry, want) in cases {
            assert_eq!(referenced_ref(entry), want, "{entry:?}");
        }
    }
}
