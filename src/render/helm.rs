//! Helm sources, rendered with the `helm template` invocation Argo CD's repo server builds
//! (`helmTemplate` in `reposerver/repository/repository.go`, `Cmd.template` and
//! `cleanSetParameters` in `util/helm/cmd.go`, value file resolution in
//! `reposerver/repository/valuefiles.go` and `util/io/path/resolved.go`).
//!
//! ```text
//! helm template . --name-template <releaseName or app name>
//!      [--namespace <helm.namespace or destination namespace>]
//!      [--kube-version <helm.kubeVersion>]
//!      --set k=v…  --set-string k=v…  --set-file k=path…
//!      --values <each resolved valueFiles entry>… [--values <values/valuesObject file>]
//!      [--api-versions v…] [--include-crds] [--skip-schema-validation] [--skip-tests]
//! ```
//!
//! run in the source directory. Argo CD fills `--set`/`--set-string`/`--set-file` from Go
//! maps, so their order varies from run to run there; here they are sorted by name. Without
//! `helm.kubeVersion`/`helm.apiVersions` Argo CD passes the destination cluster's version
//! and API list, which an offline linter does not know, so nothing is passed. A chart
//! whose dependencies are not vendored under `charts/` makes Argo CD run
//! `helm dependency build`, which downloads them: that is
//! [`RenderError::NeedsNetwork`] here.

use super::env::ArgoEnv;
use super::fsutil::{self, clean, path_str};
use super::tool::{self, Invocation, ToolRenderer};
use super::{RenderError, RenderRequest, Rendered};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// argocd-cm `helm.valuesFileSchemes` default.
const ALLOWED_SCHEMES: [&str; 2] = ["https", "http"];

pub(crate) fn render(r: &ToolRenderer, req: &RenderRequest) -> Result<Rendered, RenderError> {
    if r.helm_disabled() {
        return Err(RenderError::Disabled { tool: "helm" });
    }
    super::kustomize::check_source_dir(req)?;
    let source = super::apply_source_overrides(&req.source, &req.source_dir, &req.app_name)?;
    let env = ArgoEnv::new(req, &source);
    let plan = plan(req, &source, &env, r.offline())?;
    let tool = r.helm_tool()?;
    let tmp = tempfile::Builder::new()
        .prefix("kubectl-gitops-helm-")
        .tempdir()
        .map_err(|e| RenderError::Failed {
            tool: tool.label.clone(),
            message: format!("could not create a temporary directory: {e}"),
        })?;
    let extra = match &plan.extra_values {
        Some(text) => {
            let p = tmp.path().join("values.yaml");
            std::fs::write(&p, text).map_err(|e| RenderError::Failed {
                tool: tool.label.clone(),
                message: format!("error writing helm values file: {e}"),
            })?;
            Some(p)
        }
        None => None,
    };
    let home = tmp.path().join("helm");
    let mut vars: Vec<(String, OsString)> = vec![
        ("XDG_CACHE_HOME".into(), home.join("cache").into()),
        ("XDG_CONFIG_HOME".into(), home.join("config").into()),
        ("XDG_DATA_HOME".into(), home.join("data").into()),
        ("HELM_CONFIG_HOME".into(), home.join("config").into()),
    ];
    if r.offline() {
        vars.extend(tool::offline_env());
    }
    let mut args: Vec<OsString> = tool.prefix.iter().map(Into::into).collect();
    args.extend(plan.args(extra.as_deref()).into_iter().map(OsString::from));
    let outcome = tool::run(&Invocation {
        program: &tool.program,
        args,
        cwd: &req.source_dir,
        env: vars,
        timeout: req.timeout,
        cap: r.cap(),
    });
    match tool::finish(tool, outcome, req.timeout) {
        Ok(yaml) => Ok(Rendered {
            yaml,
            tool: tool.label.clone(),
        }),
        Err(RenderError::Failed { tool, message }) => {
            let mut roots = vec![req.repo_root.clone(), tmp.path().to_path_buf()];
            roots.extend(
                req.refs
                    .values()
                    .filter(|p| !p.as_os_str().is_empty())
                    .cloned(),
            );
            let message = super::kustomize::relativize(&message, &roots);
            if is_missing_dependency(&message) {
                Err(RenderError::NeedsNetwork {
                    tool,
                    reason: format!(
                        "the chart's dependencies are not vendored under charts/; Argo CD runs `helm dependency build` to download them: {message}"
                    ),
                })
            } else {
                Err(RenderError::Failed { tool, message })
            }
        }
        Err(e) => Err(e),
    }
}

/// `helm.IsMissingDependencyErr`.
fn is_missing_dependency(message: &str) -> bool {
    message.contains("found in requirements.yaml, but missing in charts/ directory")
        || message.contains("found in Chart.yaml, but missing in charts/ directory")
}

/// The `helm template` arguments of one render, before the temporary values file exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Plan {
    pub head: Vec<String>,
    pub value_files: Vec<String>,
    /// The content of `values`/`valuesObject`, passed as the last `--values`.
    pub extra_values: Option<String>,
    pub tail: Vec<String>,
}

impl Plan {
    pub(crate) fn args(&self, extra: Option<&Path>) -> Vec<String> {
        let mut out = self.head.clone();
        for f in &self.value_files {
            out.push("--values".into());
            out.push(f.clone());
        }
        if let Some(p) = extra {
            out.push("--values".into());
            out.push(path_str(p));
        }
        out.extend(self.tail.iter().cloned());
        out
    }
}

fn text(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        _ => String::new(),
    }
}

fn flag(h: &Value, key: &str) -> bool {
    h.get(key).and_then(Value::as_bool).unwrap_or(false)
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().map(|x| text(Some(x))).collect())
        .unwrap_or_default()
}

/// Builds the invocation Argo CD would run, with its own checks (helm version, value
/// file paths, kube version) done first. Problems only `helm` itself would find (a missing
/// value file, a remote one we cannot fetch) come after every Argo CD check.
pub(crate) fn plan(
    req: &RenderRequest,
    source: &Value,
    env: &ArgoEnv,
    offline: bool,
) -> Result<Plan, RenderError> {
    let empty = Value::Object(serde_json::Map::new());
    let h = source
        .get("helm")
        .filter(|v| v.is_object())
        .unwrap_or(&empty);
    let version = text(h.get("version"));
    if !matches!(version.as_str(), "" | "v3" | "v4") {
        return Err(RenderError::Invalid {
            message: format!("helm version '{version}' is not supported"),
        });
    }
    let mut name = text(h.get("releaseName"));
    if name.is_empty() {
        name.clone_from(&req.app_name);
    }
    let mut namespace = text(h.get("namespace"));
    if namespace.is_empty() {
        namespace.clone_from(&req.dest_namespace);
    }
    let resolver = Resolver {
        app_path: path_str(&req.source_dir),
        repo_root: path_str(&req.repo_root),
        refs: &req.refs,
        env,
    };
    let mut deferred: Vec<RenderError> = Vec::new();
    let value_files = resolver.resolve_value_files(
        &strings(h.get("valueFiles")),
        flag(h, "ignoreMissingValueFiles"),
        offline,
        &mut deferred,
    )?;
    let extra_values = values_yaml(h);

    let mut set: BTreeMap<String, String> = BTreeMap::new();
    let mut set_string: BTreeMap<String, String> = BTreeMap::new();
    for p in h
        .get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let target = if flag(p, "forceString") {
            &mut set_string
        } else {
            &mut set
        };
        target.insert(text(p.get("name")), text(p.get("value")));
    }
    let mut set_file: BTreeMap<String, String> = BTreeMap::new();
    for p in h
        .get("fileParameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let raw = text(p.get("path"));
        let resolved = resolver
            .resolve_raw(&raw)
            .map_err(|e| e.into_error(&raw, "error resolving helm value file path"))?;
        match &resolved.path {
            Located::Local(path) if !Path::new(path).exists() => {
                deferred.push(RenderError::Invalid {
                    message: format!(
                        "fileParameters '{}' refers to '{raw}', which does not exist",
                        text(p.get("name"))
                    ),
                })
            }
            Located::NotAvailable(reason) => deferred.push(RenderError::NeedsNetwork {
                tool: "helm".into(),
                reason: reason.clone(),
            }),
            _ => {}
        }
        set_file.insert(text(p.get("name")), resolved.path.shown());
    }
    let kube_version = match text(h.get("kubeVersion")) {
        v if v.is_empty() => None,
        v => Some(parse_kube_version(&v)?),
    };

    // Certain failures first, then what only the network could tell.
    deferred.sort_by_key(|e| matches!(e, RenderError::NeedsNetwork { .. }));
    if let Some(first) = deferred.into_iter().next() {
        return Err(first);
    }

    let mut head = vec![
        "template".to_owned(),
        ".".into(),
        "--name-template".into(),
        name,
    ];
    if !namespace.is_empty() {
        head.push("--namespace".into());
        head.push(namespace);
    }
    if let Some(v) = kube_version {
        head.push("--kube-version".into());
        head.push(v);
    }
    for (flag_name, map) in [("--set", &set), ("--set-string", &set_string)] {
        for (k, v) in map {
            head.push(flag_name.into());
            head.push(format!("{k}={}", clean_set_parameter(&env.envsubst(v))));
        }
    }
    for (k, v) in &set_file {
        head.push("--set-file".into());
        head.push(format!("{k}={}", clean_set_parameter(v)));
    }
    let mut tail = Vec::new();
    for v in strings(h.get("apiVersions")) {
        tail.push("--api-versions".into());
        tail.push(v);
    }
    if !flag(h, "skipCrds") {
        tail.push("--include-crds".into());
    }
    if flag(h, "skipSchemaValidation") {
        tail.push("--skip-schema-validation".into());
    }
    if flag(h, "skipTests") {
        tail.push("--skip-tests".into());
    }
    Ok(Plan {
        head,
        value_files,
        extra_values,
        tail,
    })
}

/// `ApplicationSourceHelm.ValuesYAML`: `valuesObject` when set (it replaces `values`),
/// else `values`; `None` when empty.
fn values_yaml(h: &Value) -> Option<String> {
    let text = match h.get("valuesObject") {
        Some(v) if !v.is_null() => serde_json::to_string_pretty(v).ok()?,
        _ => match h.get("values") {
            Some(Value::String(s)) => s.clone(),
            _ => String::new(),
        },
    };
    (!text.is_empty()).then_some(text)
}

/// `cleanSetParameters`: commas not already escaped get a backslash, unless the value is
/// a Helm list literal `{…}`.
pub(crate) fn clean_set_parameter(val: &str) -> String {
    if val.starts_with('{') && val.ends_with('}') {
        return val.to_owned();
    }
    let mut out = String::with_capacity(val.len());
    let mut prev = '\0';
    for c in val.chars() {
        if c == ',' && prev != '\\' {
            out.push_str("\\,");
        } else {
            out.push(c);
        }
        prev = c;
    }
    out
}

/// A Kubernetes version as `k8s.io/apimachinery`'s `ParseGeneric` reads it (a leading `v`
/// and anything after the numbers dropped), printed back as `major.minor[.patch]`.
pub(crate) fn parse_kube_version(v: &str) -> Result<String, RenderError> {
    let bad = || RenderError::Invalid {
        message: format!("could not parse kube version {v:?}"),
    };
    let s = v.trim_start();
    let s = s.strip_prefix('v').unwrap_or(s);
    let numbers: String = s
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let numbers = numbers.trim_end_matches('.');
    let parts: Vec<&str> = numbers.split('.').collect();
    if parts.len() < 2 || parts.iter().any(|p| p.is_empty()) {
        return Err(bad());
    }
    if parts[0].len() > 1 && parts[0].starts_with('0') {
        return Err(bad());
    }
    let nums: Result<Vec<u64>, _> = parts.iter().map(|p| p.parse::<u64>()).collect();
    let nums = nums.map_err(|_| bad())?;
    Ok(nums
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join("."))
}

/// Where a value file or file parameter points.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Located {
    Local(String),
    Remote(String),
    /// Through a `$ref` whose repository is not available here.
    NotAvailable(String),
}

impl Located {
    fn shown(&self) -> String {
        match self {
            Located::Local(s) | Located::Remote(s) | Located::NotAvailable(s) => s.clone(),
        }
    }
}

struct Raw {
    path: Located,
    /// The root a glob match must stay inside.
    root: String,
}

#[derive(Debug)]
enum ResolveError {
    Plain(String),
}

impl ResolveError {
    fn into_error(self, raw: &str, context: &str) -> RenderError {
        let ResolveError::Plain(m) = self;
        RenderError::Invalid {
            message: format!("{context} '{raw}': {m}"),
        }
    }
}

struct Resolver<'a> {
    app_path: String,
    repo_root: String,
    refs: &'a BTreeMap<String, PathBuf>,
    env: &'a ArgoEnv,
}

/// `getReferencedSourceName`: `$name` when the entry starts with `$`, up to the first
/// `/`.
fn referenced_source_name(raw: &str) -> Option<&str> {
    if !raw.starts_with('$') {
        return None;
    }
    Some(raw.split_once('/').map_or(raw, |(r, _)| r))
}

fn is_glob(path: &str) -> bool {
    path.contains(['*', '?', '['])
}

impl Resolver<'_> {
    fn ref_root(&self, var: &str) -> Option<&PathBuf> {
        let bare = var.trim_start_matches('$');
        self.refs.get(bare).or_else(|| self.refs.get(var))
    }

    /// `valueFileResolver.resolveRawPath`.
    fn resolve_raw(&self, raw: &str) -> Result<Raw, ResolveError> {
        if let Some(var) = referenced_source_name(raw)
            && let Some(root) = self.ref_root(var)
        {
            let rest = raw.split_once('/').map_or("", |(_, r)| r);
            if root.as_os_str().is_empty() {
                return Ok(Raw {
                    path: Located::NotAvailable(format!(
                        "the value file '{raw}' comes from the source with ref '{}', whose repository is not available offline",
                        var.trim_start_matches('$')
                    )),
                    root: String::new(),
                });
            }
            if rest.trim_matches('/').is_empty() {
                return Err(ResolveError::Plain(format!(
                    "invalid value file path {raw:?}: no file path after the ref name"
                )));
            }
            let root = path_str(root);
            let resolved = resolve_value_file_path_or_url(
                &root,
                &root,
                &self.env.envsubst(&format!("/{rest}")),
            )
            .map_err(ResolveError::Plain)?;
            return Ok(Raw {
                path: resolved,
                root,
            });
        }
        let resolved = resolve_value_file_path_or_url(
            &self.app_path,
            &self.repo_root,
            &self.env.envsubst(raw),
        )
        .map_err(ResolveError::Plain)?;
        Ok(Raw {
            path: resolved,
            root: self.repo_root.clone(),
        })
    }

    /// `valueFileResolver.ResolveValueFiles`: explicit entries keep their position, glob
    /// matches (sorted) skip files listed explicitly, duplicates are dropped.
    fn resolve_value_files(
        &self,
        raws: &[String],
        ignore_missing: bool,
        offline: bool,
        deferred: &mut Vec<RenderError>,
    ) -> Result<Vec<String>, RenderError> {
        let explicit: BTreeSet<String> = raws
            .iter()
            .filter_map(|r| self.resolve_raw(r).ok())
            .map(|r| r.path.shown())
            .filter(|p| !is_glob(p))
            .collect();
        let mut out: Vec<String> = Vec::new();
        let mut seen: BTreeSet<String> = BTreeSet::new();
        let mut push = |p: String, out: &mut Vec<String>| {
            if seen.insert(p.clone()) {
                out.push(p);
            }
        };
        for raw in raws {
            let resolved = self
                .resolve_raw(raw)
                .map_err(|e| e.into_error(raw, "error resolving value file path"))?;
            match resolved.path {
                Located::Local(path) if is_glob(&path) => {
                    let matches =
                        fsutil::doublestar_glob(&path).map_err(|_| RenderError::Invalid {
                            message: format!(
                                "error expanding glob pattern {raw:?}: syntax error in pattern"
                            ),
                        })?;
                    if matches.is_empty() {
                        if ignore_missing {
                            continue;
                        }
                        return Err(RenderError::Invalid {
                            message: format!("values file glob {raw:?} matched no files"),
                        });
                    }
                    verify_within_root(&matches, &resolved.root).map_err(|m| {
                        RenderError::Invalid {
                            message: format!("glob pattern {raw:?}: {m}"),
                        }
                    })?;
                    for m in matches {
                        if !explicit.contains(&m) {
                            push(m, &mut out);
                        }
                    }
                }
                Located::Local(path) => {
                    if !Path::new(&path).exists() {
                        if ignore_missing {
                            continue;
                        }
                        deferred.push(RenderError::Invalid {
                            message: format!("values file '{raw}' does not exist"),
                        });
                    }
                    push(path, &mut out);
                }
                Located::Remote(url) => {
                    if offline {
                        deferred.push(RenderError::NeedsNetwork {
                            tool: "helm".into(),
                            reason: format!("the values file '{url}' is fetched over the network"),
                        });
                    }
                    push(url, &mut out);
                }
                Located::NotAvailable(reason) => {
                    deferred.push(RenderError::NeedsNetwork {
                        tool: "helm".into(),
                        reason,
                    });
                }
            }
        }
        Ok(out)
    }
}

/// `verifyGlobMatchesWithinRoot`: every match, symbolic links followed, inside `root`.
fn verify_within_root(matches: &[String], root: &str) -> Result<(), String> {
    let real_root =
        std::fs::canonicalize(root).map_err(|e| format!("error opening repo root: {e}"))?;
    for m in matches {
        match std::fs::canonicalize(m) {
            Ok(real) if real.starts_with(&real_root) => {}
            _ => {
                return Err(format!(
                    "glob match {m:?} resolved to outside repository root"
                ));
            }
        }
    }
    Ok(())
}

/// The URL scheme Go's `url.Parse` would find, if any.
fn url_scheme(s: &str) -> Option<&str> {
    for (i, c) in s.char_indices() {
        match c {
            'a'..='z' | 'A'..='Z' => {}
            '0'..='9' | '+' | '-' | '.' if i > 0 => {}
            ':' if i > 0 => return Some(&s[..i]),
            _ => return None,
        }
    }
    None
}

/// `pathutil.ResolveValueFilePathOrUrl`: an allowed URL is returned as is; a path is
/// joined to `app_path` (or to `repo_root` when it starts with `/`), cleaned, its last
/// component followed through symbolic links (at most 10), and must then lie strictly
/// inside `repo_root`.
fn resolve_value_file_path_or_url(
    app_path: &str,
    repo_root: &str,
    value_file: &str,
) -> Result<Located, String> {
    if let Some(scheme) = url_scheme(value_file) {
        if ALLOWED_SCHEMES
            .iter()
            .any(|s| s.eq_ignore_ascii_case(scheme))
        {
            return Ok(Located::Remote(value_file.to_owned()));
        }
        return Err(format!("the URL scheme '{scheme}' is not allowed"));
    }
    let root = clean(repo_root);
    let joined = if value_file.starts_with('/') {
        fsutil::join(&root, value_file)
    } else {
        fsutil::join(&clean(app_path), value_file)
    };
    let delinked = resolve_symlink_recursive(&joined, 10).ok_or_else(|| {
        format!("failed to resolve path '{value_file}': too many levels of symbolic links")
    })?;
    let path = clean(&delinked);
    let required = if root.ends_with('/') {
        root.clone()
    } else {
        format!("{root}/")
    };
    if format!("{path}/") == required {
        return Err(format!(
            "file '{value_file}' resolved to the repository root"
        ));
    }
    if !path.starts_with(&required) {
        return Err(format!(
            "file '{value_file}' resolved to outside repository root"
        ));
    }
    Ok(Located::Local(path))
}

/// `resolveSymbolicLinkRecursive`: only the final component is followed.
fn resolve_symlink_recursive(path: &str, depth: usize) -> Option<String> {
    let Ok(target) = std::fs::read_link(path) else {
        return Some(path.to_owned());
    };
    if depth == 0 {
        return None;
    }
    let target = path_str(&target);
    let next = if target.starts_with('/') {
        target
    } else {
        let dir = path
            .rsplit_once('/')
            .map_or(".", |(d, _)| if d.is_empty() { "/" } else { d });
        fsutil::join(dir, &target)
    };
    resolve_symlink_recursive(&next, depth - 1)
}

/// Files outside the source directory a Helm render reads (value files and file
/// parameters, and for globs the directory they are expanded in), for the cache key.
pub(crate) fn extra_inputs(req: &RenderRequest, source: &Value) -> Vec<PathBuf> {
    let Some(h) = source.get("helm") else {
        return Vec::new();
    };
    let env = ArgoEnv::new(req, source);
    let resolver = Resolver {
        app_path: path_str(&req.source_dir),
        repo_root: path_str(&req.repo_root),
        refs: &req.refs,
        env: &env,
    };
    let mut raws = strings(h.get("valueFiles"));
    raws.extend(
        h.get("fileParameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|p| text(p.get("path"))),
    );
    raws.iter()
        .filter_map(|r| resolver.resolve_raw(r).ok())
        .filter_map(|r| match r.path {
            Located::Local(p) if is_glob(&p) => {
                let literal: Vec<&str> = p.split('/').take_while(|s| !is_glob(s)).collect();
                Some(PathBuf::from(literal.join("/")))
            }
            Located::Local(p) => Some(PathBuf::from(p)),
            _ => None,
        })
        .filter(|p| !p.starts_with(&req.source_dir))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::time::Duration;

    struct Repo {
        _dir: tempfile::TempDir,
        root: PathBuf,
    }

    fn repo(files: &[&str]) -> Repo {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        for f in files {
            let p = root.join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "x: 1\n").unwrap();
        }
        Repo { _dir: dir, root }
    }

    fn req(root: &Path, helm: Value) -> RenderRequest {
        RenderRequest {
            kind: super::super::SourceType::Helm,
            repo_root: root.to_path_buf(),
            source_dir: root.join("charts/app"),
            source: json!({"repoURL": "https://git.example/r.git", "path": "charts/app", "helm": helm}),
            app_name: "web".into(),
            project: String::new(),
            app_namespace: "argocd".into(),
            dest_namespace: "prod".into(),
            refs: BTreeMap::new(),
            timeout: Duration::from_secs(5),
        }
    }

    fn plan_for(r: &RenderRequest) -> Result<Plan, RenderError> {
        let env = ArgoEnv::new(r, &r.source);
        plan(r, &r.source, &env, true)
    }

    fn rel(root: &Path, args: Vec<String>) -> Vec<String> {
        let prefix = format!("{}/", root.display());
        args.into_iter()
            .map(|a| a.replace(&prefix, "<repo>/"))
            .collect()
    }

    #[test]
    fn clean_set_parameter_escapes_commas() {
        for (input, want) in [
            ("a,b", "a\\,b"),
            ("a\\,b", "a\\,b"),
            ("{a,b}", "{a,b}"),
            ("plain", "plain"),
            (",", "\\,"),
            ("x,,y", "x\\,\\,y"),
        ] {
            assert_eq!(clean_set_parameter(input), want, "{input}");
        }
    }

    #[test]
    fn kube_version_is_normalised() {
        assert_eq!(parse_kube_version("v1.29.3-gke.100").unwrap(), "1.29.3");
        assert_eq!(parse_kube_version("1.30").unwrap(), "1.30");
        assert!(parse_kube_version("1").is_err());
        assert!(parse_kube_version("latest").is_err());
    }

    #[test]
    fn defaults_are_argo_defaults() {
        let r = repo(&["charts/app/Chart.yaml"]);
        let p = plan_for(&req(&r.root, Value::Null)).unwrap();
        assert_eq!(
            p.args(None),
            [
                "template",
                ".",
                "--name-template",
                "web",
                "--namespace",
                "prod",
                "--include-crds"
            ]
        );
    }

    #[test]
    fn full_option_set_in_argo_order() {
        let r = repo(&[
            "charts/app/Chart.yaml",
            "charts/app/values-prod.yaml",
            "envs/common.yaml",
            "charts/app/files/cfg.txt",
        ]);
        let helm = json!({
            "releaseName": "rel",
            "namespace": "helm-ns",
            "kubeVersion": "v1.29.0",
            "apiVersions": ["monitoring.coreos.com/v1"],
            "valueFiles": ["values-prod.yaml", "/envs/common.yaml"],
            "values": "a: 1\n",
            "valuesObject": {"b": 2},
            "parameters": [
                {"name": "image.tag", "value": "${ARGOCD_APP_NAME},x"},
                {"name": "port", "value": "80", "forceString": true},
                {"name": "list", "value": "{a,b}"}
            ],
            "fileParameters": [{"name": "config", "path": "files/cfg.txt"}],
            "skipCrds": true,
            "skipSchemaValidation": true,
            "skipTests": true,
        });
        let p = plan_for(&req(&r.root, helm)).unwrap();
        assert_eq!(p.extra_values.as_deref(), Some("{\n  \"b\": 2\n}"));
        assert_eq!(
            rel(&r.root, p.args(Some(Path::new("/tmp/v.yaml")))),
            [
                "template",
                ".",
                "--name-template",
                "rel",
                "--namespace",
                "helm-ns",
                "--kube-version",
                "1.29.0",
                "--set",
                "image.tag=web\\,x",
                "--set",
                "list={a,b}",
                "--set-string",
                "port=80",
                "--set-file",
                "config=<repo>/charts/app/files/cfg.txt",
                "--values",
                "<repo>/charts/app/values-prod.yaml",
                "--values",
                "<repo>/envs/common.yaml",
                "--values",
                "/tmp/v.yaml",
                "--api-versions",
                "monitoring.coreos.com/v1",
                "--skip-schema-validation",
                "--skip-tests",
            ]
        );
    }

    #[test]
    fn value_files_escaping_the_repository_are_refused() {
        let r = repo(&["charts/app/Chart.yaml"]);
        for bad in ["../../../etc/passwd", "/../../x.yaml"] {
            let err = plan_for(&req(&r.root, json!({"valueFiles": [bad]}))).unwrap_err();
            assert!(
                matches!(&err, RenderError::Invalid { message } if message.contains("resolved to outside repository root")),
                "{bad}: {err:?}"
            );
        }
        let err =
            plan_for(&req(&r.root, json!({"valueFiles": ["s3://bucket/v.yaml"]}))).unwrap_err();
        assert!(
            matches!(&err, RenderError::Invalid { message } if message.contains("the URL scheme 's3' is not allowed"))
        );
    }

    #[cfg(unix)]
    #[test]
    fn symlinked_value_file_leaving_the_repository_is_refused() {
        let r = repo(&["charts/app/Chart.yaml"]);
        let outside = tempfile::NamedTempFile::new().unwrap();
        std::os::unix::fs::symlink(outside.path(), r.root.join("charts/app/evil.yaml")).unwrap();
        let err = plan_for(&req(&r.root, json!({"valueFiles": ["evil.yaml"]}))).unwrap_err();
        assert!(
            matches!(&err, RenderError::Invalid { message } if message.contains("outside repository root")),
            "{err:?}"
        );
        std::os::unix::fs::symlink("../../envs/a.yaml", r.root.join("charts/app/ok.yaml")).unwrap();
        std::fs::create_dir_all(r.root.join("envs")).unwrap();
        std::fs::write(r.root.join("envs/a.yaml"), "").unwrap();
        let p = plan_for(&req(&r.root, json!({"valueFiles": ["ok.yaml"]}))).unwrap();
        assert_eq!(rel(&r.root, p.value_files), ["<repo>/envs/a.yaml"]);
    }

    #[test]
    fn missing_remote_and_ref_value_files() {
        let r = repo(&["charts/app/Chart.yaml", "values/shared.yaml"]);
        let err = plan_for(&req(&r.root, json!({"valueFiles": ["nope.yaml"]}))).unwrap_err();
        assert_eq!(
            err,
            RenderError::Invalid {
                message: "values file 'nope.yaml' does not exist".into()
            }
        );
        let p = plan_for(&req(
            &r.root,
            json!({"valueFiles": ["nope.yaml"], "ignoreMissingValueFiles": true}),
        ))
        .unwrap();
        assert!(p.value_files.is_empty());
        let err = plan_for(&req(
            &r.root,
            json!({"valueFiles": ["https://example.com/v.yaml"]}),
        ))
        .unwrap_err();
        assert!(matches!(err, RenderError::NeedsNetwork { .. }));
        // A missing local file is reported before a remote one, whatever the order.
        let err = plan_for(&req(
            &r.root,
            json!({"valueFiles": ["https://example.com/v.yaml", "nope.yaml"]}),
        ))
        .unwrap_err();
        assert!(matches!(err, RenderError::Invalid { .. }));

        let mut with_ref = req(
            &r.root,
            json!({"valueFiles": ["$values/values/shared.yaml", "$gone/v.yaml"]}),
        );
        with_ref.refs.insert("values".into(), r.root.clone());
        with_ref.refs.insert("gone".into(), PathBuf::new());
        let err = plan_for(&with_ref).unwrap_err();
        assert!(
            matches!(&err, RenderError::NeedsNetwork { reason, .. } if reason.contains("'gone'")),
            "{err:?}"
        );
        with_ref.source["helm"]["valueFiles"] = json!([
            "$values/values/shared.yaml",
            "$values/../../x.yaml",
            "$values/"
        ]);
        let err = plan_for(&with_ref).unwrap_err();
        assert!(
            matches!(&err, RenderError::Invalid { message } if message.contains("outside repository root")),
            "{err:?}"
        );
        with_ref.source["helm"]["valueFiles"] = json!(["$values/values/shared.yaml"]);
        let p = plan_for(&with_ref).unwrap();
        assert_eq!(rel(&r.root, p.value_files), ["<repo>/values/shared.yaml"]);
        // `$x/…` with an undeclared `x` is an ordinary path after substitution: `/…`.
        let undeclared = req(
            &r.root,
            json!({"valueFiles": ["$nothing/values/shared.yaml"]}),
        );
        let p = plan_for(&undeclared).unwrap();
        assert_eq!(rel(&r.root, p.value_files), ["<repo>/values/shared.yaml"]);
    }

    #[test]
    fn globs_expand_sorted_with_explicit_positions() {
        let r = repo(&[
            "charts/app/Chart.yaml",
            "charts/app/env/c.yaml",
            "charts/app/env/a.yaml",
            "charts/app/env/b.yaml",
        ]);
        let p = plan_for(&req(
            &r.root,
            json!({"valueFiles": ["env/*.yaml", "env/a.yaml"]}),
        ))
        .unwrap();
        assert_eq!(
            rel(&r.root, p.value_files),
            [
                "<repo>/charts/app/env/b.yaml",
                "<repo>/charts/app/env/c.yaml",
                "<repo>/charts/app/env/a.yaml"
            ]
        );
        let err = plan_for(&req(&r.root, json!({"valueFiles": ["none/*.yaml"]}))).unwrap_err();
        assert_eq!(
            err,
            RenderError::Invalid {
                message: "values file glob \"none/*.yaml\" matched no files".into()
            }
        );
        let p = plan_for(&req(
            &r.root,
            json!({"valueFiles": ["none/*.yaml"], "ignoreMissingValueFiles": true}),
        ))
        .unwrap();
        assert!(p.value_files.is_empty());
    }

    #[test]
    fn unsupported_helm_version() {
        let r = repo(&["charts/app/Chart.yaml"]);
        let err = plan_for(&req(&r.root, json!({"version": "v2"}))).unwrap_err();
        assert_eq!(
            err,
            RenderError::Invalid {
                message: "helm version 'v2' is not supported".into()
            }
        );
    }

    #[test]
    fn url_schemes_follow_go() {
        assert_eq!(url_scheme("https://x"), Some("https"));
        assert_eq!(url_scheme("values.yaml"), None);
        assert_eq!(url_scheme("values.yaml:x"), Some("values.yaml"));
        assert_eq!(url_scheme("./a:b"), None);
        assert_eq!(url_scheme(":x"), None);
        assert_eq!(url_scheme("1a:b"), None);
    }
}
