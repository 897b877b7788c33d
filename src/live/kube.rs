//! The cluster through the `kube` crate (rustls): kubeconfig and context selection as
//! kubectl does it, discovery of only the API versions needed, one paginated list per
//! resource type and namespace, bounded concurrency and a timeout on every request.
//!
//! Only GET requests are ever built here: discovery (`/api/v1`, `/apis/GROUP/VERSION`)
//! and lists. Nothing in this module can write to a cluster.

use super::{
    ApiKind, ClusterSource, Discovery, ListRequest, LiveError, Target, invalid_request,
    is_valid_api_version, split_api_version,
};
use futures::StreamExt as _;
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::core::Request;
use kube::core::params::{GetParams, ListParams};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Duration;

/// Page size of lists (kubectl uses 500 too).
pub const PAGE_SIZE: u32 = 500;

/// How to reach the cluster.
#[derive(Clone, Debug)]
pub struct KubeOptions {
    /// `--kubeconfig`: this file only; otherwise `KUBECONFIG` (a list of files, merged the
    /// way kubectl merges them) or `~/.kube/config`.
    pub kubeconfig: Option<PathBuf>,
    /// `--context`; otherwise the kubeconfig's current-context.
    pub context: Option<String>,
    /// Limit for each request (connect and response).
    pub timeout: Duration,
    /// Requests in flight at once.
    pub concurrency: usize,
}

impl Default for KubeOptions {
    fn default() -> Self {
        KubeOptions {
            kubeconfig: None,
            context: None,
            timeout: Duration::from_secs(30),
            concurrency: 8,
        }
    }
}

pub struct KubeSource {
    runtime: tokio::runtime::Runtime,
    client: kube::Client,
    server: String,
    context: String,
    names: Vec<String>,
    timeout: Duration,
    concurrency: usize,
}

/// What one GET is for, for messages.
struct Get {
    verb: &'static str,
    resource: String,
    scope: String,
}

impl KubeSource {
    /// Reads the kubeconfig and builds a client. Nothing is sent to the cluster yet.
    pub fn connect(opts: &KubeOptions) -> Result<KubeSource, LiveError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| LiveError::Other(format!("cannot start the network runtime: {e}")))?;
        let (mut config, context, names) = match in_cluster(opts) {
            Some(found) => found?,
            None => from_kubeconfig(opts, &runtime)?,
        };
        config.connect_timeout = Some(opts.timeout);
        config.read_timeout = Some(opts.timeout);
        config.write_timeout = Some(opts.timeout);
        let server = config
            .cluster_url
            .to_string()
            .trim_end_matches('/')
            .to_owned();
        let client = {
            let _guard = runtime.enter();
            kube::Client::try_from(config).map_err(|e| {
                LiveError::Config(format!(
                    "cannot set up a client for context '{context}': {e}"
                ))
            })?
        };
        Ok(KubeSource {
            runtime,
            client,
            server,
            context,
            names,
            timeout: opts.timeout,
            concurrency: opts.concurrency.max(1),
        })
    }

    /// The server URL of the selected context.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// Sends one GET with the timeout; `Ok(None)` for 404.
    async fn get(
        &self,
        req: Result<http::Request<Vec<u8>>, kube::core::request::Error>,
        what: &Get,
    ) -> Result<Option<Value>, LiveError> {
        let req = req.map_err(|e| LiveError::Other(format!("cannot build a request: {e}")))?;
        let sent = tokio::time::timeout(self.timeout, self.client.request_text(req)).await;
        let text = match sent {
            Err(_) => {
                return Err(LiveError::Timeout {
                    server: self.server.clone(),
                    what: format!("{} {}{}", what.verb, what.resource, what.scope),
                    seconds: self.timeout.as_secs().max(1),
                });
            }
            Ok(Err(kube::Error::Api(status))) if status.code == 404 => return Ok(None),
            Ok(Err(e)) => return Err(self.error(e, what)),
            Ok(Ok(text)) => text,
        };
        serde_json::from_str(&text).map(Some).map_err(|e| {
            LiveError::Other(format!(
                "the cluster at {} answered {} {}{} with something that is not JSON: {e}",
                self.server, what.verb, what.resource, what.scope
            ))
        })
    }

    fn error(&self, e: kube::Error, what: &Get) -> LiveError {
        match e {
            kube::Error::Api(status) => match status.code {
                401 => LiveError::Unauthorized {
                    server: self.server.clone(),
                    context: self.context.clone(),
                },
                403 => LiveError::Forbidden {
                    server: self.server.clone(),
                    verb: what.verb.to_owned(),
                    resource: what.resource.clone(),
                    scope: what.scope.clone(),
                    detail: if status.message.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", status.message)
                    },
                },
                code => LiveError::Other(format!(
                    "the cluster at {} answered {code} {} to {} {}{}: {}",
                    self.server,
                    status.reason,
                    what.verb,
                    what.resource,
                    what.scope,
                    status.message
                )),
            },
            kube::Error::Auth(a) => LiveError::Credentials {
                context: self.context.clone(),
                detail: chain(&a),
            },
            other => LiveError::Unreachable {
                server: self.server.clone(),
                detail: chain(&other),
            },
        }
    }

    async fn discover_one(&self, api_version: &str) -> Result<Option<Vec<ApiKind>>, LiveError> {
        if !is_valid_api_version(api_version) {
            return Err(LiveError::Other(format!(
                "'{api_version}' is not a valid API version: no request was sent for it"
            )));
        }
        let (group, version) = split_api_version(api_version);
        let (base, name) = if group.is_empty() {
            ("/api".to_owned(), version)
        } else {
            (format!("/apis/{group}"), version)
        };
        let what = Get {
            verb: "discover",
            resource: format!("API version {api_version}"),
            scope: String::new(),
        };
        let found = self
            .get(Request::new(base).get(name, &GetParams::default()), &what)
            .await?;
        Ok(found.map(|list| {
            list.get("resources")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|r| {
                    let plural = r.get("name")?.as_str()?;
                    // Subresources (`deployments/scale`) are not lists.
                    if plural.contains('/') {
                        return None;
                    }
                    Some(ApiKind {
                        kind: r.get("kind")?.as_str()?.to_owned(),
                        plural: plural.to_owned(),
                        namespaced: r.get("namespaced").and_then(Value::as_bool)?,
                    })
                })
                .collect()
        }))
    }

    async fn list_one(&self, r: &ListRequest) -> Result<Vec<Value>, LiveError> {
        // Every part of the path is checked first: nothing can make a list read another
        // resource (`namespace: "prod/secrets?"`).
        if let Some(why) = invalid_request(r) {
            return Err(LiveError::Other(format!(
                "cannot list {}: {why}; no request was sent",
                r.ty.resource()
            )));
        }
        let (group, version) = (&r.ty.group, &r.ty.version);
        let prefix = if group.is_empty() {
            format!("/api/{version}")
        } else {
            format!("/apis/{group}/{version}")
        };
        let path = match &r.namespace {
            Some(ns) if r.ty.namespaced => format!("{prefix}/namespaces/{ns}/{}", r.ty.plural),
            _ => format!("{prefix}/{}", r.ty.plural),
        };
        let what = Get {
            verb: "list",
            resource: r.ty.resource(),
            scope: match &r.namespace {
                Some(ns) if r.ty.namespaced => format!(" in namespace {ns}"),
                _ => String::new(),
            },
        };
        let mut items = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let params = ListParams {
                limit: Some(PAGE_SIZE),
                continue_token: token.clone(),
                ..ListParams::default()
            };
            let Some(page) = self
                .get(Request::new(path.clone()).list(&params), &what)
                .await?
            else {
                // The type disappeared between discovery and list: nothing of it exists.
                break;
            };
            if let Some(list) = page.get("items").and_then(Value::as_array) {
                items.extend(list.iter().cloned());
            }
            let next = page
                .pointer("/metadata/continue")
                .and_then(Value::as_str)
                .filter(|t| !t.is_empty())
                .map(str::to_owned);
            let Some(next) = next else {
                break;
            };
            if let Err(e) = next_token(token.as_deref(), &next) {
                return Err(LiveError::Other(format!(
                    "the cluster at {} answered list {}{} with {e}",
                    self.server, what.resource, what.scope
                )));
            }
            token = Some(next);
        }
        Ok(items)
    }
}

/// Checks the next page's `continue` token: one that repeats the token just sent would
/// make the list loop forever.
fn next_token(previous: Option<&str>, next: &str) -> Result<(), String> {
    if previous == Some(next) {
        return Err(
            "the same continue token as the page before; the list was stopped instead of repeating it forever".to_owned(),
        );
    }
    Ok(())
}

/// A client configuration, the context's name and the names its cluster is known by.
type Selected = (kube::Config, String, Vec<String>);

/// kubectl's fallback inside a pod: no `--kubeconfig`, no `KUBECONFIG`, no
/// `~/.kube/config`, and the service account's environment. The cluster is then the one
/// the pod runs in, which Argo CD calls `in-cluster`.
fn in_cluster(opts: &KubeOptions) -> Option<Result<Selected, LiveError>> {
    let no_file = opts.kubeconfig.is_none()
        && opts.context.is_none()
        && std::env::var_os("KUBECONFIG").is_none_or(|v| v.is_empty())
        && std::env::home_dir().is_none_or(|h| !h.join(".kube").join("config").exists());
    if !no_file || std::env::var_os("KUBERNETES_SERVICE_HOST").is_none() {
        return None;
    }
    Some(
        kube::Config::incluster()
            .map(|c| {
                (
                    c,
                    "in-cluster".to_owned(),
                    vec![crate::model::cluster::IN_CLUSTER_NAME.to_owned()],
                )
            })
            .map_err(|e| {
                LiveError::Config(format!("cannot use the in-cluster configuration: {e}"))
            }),
    )
}

/// The kubeconfig (`--kubeconfig`, else `KUBECONFIG`, else `~/.kube/config`) and the
/// context's configuration; the names the cluster is known by (context and cluster).
fn from_kubeconfig(
    opts: &KubeOptions,
    runtime: &tokio::runtime::Runtime,
) -> Result<Selected, LiveError> {
    let kubeconfig = match &opts.kubeconfig {
        Some(path) => Kubeconfig::read_from(path).map_err(|e| {
            LiveError::Config(format!("cannot read kubeconfig {}: {e}", path.display()))
        })?,
        None => Kubeconfig::read().map_err(|e| {
            let from = std::env::var_os("KUBECONFIG").map_or_else(
                || "~/.kube/config".to_owned(),
                |v| format!("KUBECONFIG={}", v.to_string_lossy()),
            );
            LiveError::Config(format!("cannot read the kubeconfig ({from}): {e}"))
        })?,
    };
    let known: Vec<String> = kubeconfig.contexts.iter().map(|c| c.name.clone()).collect();
    let listed = || {
        if known.is_empty() {
            "the kubeconfig has no contexts".to_owned()
        } else {
            format!("contexts: {}", known.join(", "))
        }
    };
    let context = match opts.context.clone().or(kubeconfig.current_context.clone()) {
        Some(c) if !c.is_empty() => c,
        _ => {
            return Err(LiveError::Config(format!(
                "the kubeconfig sets no current-context: pass --context ({})",
                listed()
            )));
        }
    };
    let Some(entry) = kubeconfig.contexts.iter().find(|c| c.name == context) else {
        let candidates: Vec<&str> = known.iter().map(String::as_str).collect();
        let hint = crate::rules::did_you_mean(&context, &candidates)
            .map(|s| format!(" (did you mean '{s}'?)"))
            .unwrap_or_default();
        return Err(LiveError::Config(format!(
            "context '{context}' is not in the kubeconfig{hint}; {}",
            listed()
        )));
    };
    let cluster_name = entry
        .context
        .as_ref()
        .map(|c| c.cluster.clone())
        .unwrap_or_default();
    let options = KubeConfigOptions {
        context: Some(context.clone()),
        ..KubeConfigOptions::default()
    };
    let config = runtime
        .block_on(kube::Config::from_custom_kubeconfig(kubeconfig, &options))
        .map_err(|e| LiveError::Config(format!("kubeconfig context '{context}': {e}")))?;
    let mut names = vec![context.clone()];
    if !cluster_name.is_empty() && cluster_name != context {
        names.push(cluster_name);
    }
    Ok((config, context, names))
}

/// An error and its sources, joined with `: `.
fn chain(e: &dyn std::error::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(s) = cur {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = s.source();
    }
    parts.join(": ")
}

impl ClusterSource for KubeSource {
    fn describe(&self) -> String {
        format!(
            "the cluster of context '{}' ({})",
            self.context, self.server
        )
    }

    fn target(&self) -> Target {
        Target::Cluster {
            server: self.server.clone(),
            names: self.names.clone(),
        }
    }

    fn discover(&self, api_versions: &BTreeSet<String>) -> Result<Discovery, LiveError> {
        let versions: Vec<&String> = api_versions.iter().collect();
        let found: Vec<Result<Option<Vec<ApiKind>>, LiveError>> = self.runtime.block_on(
            futures::stream::iter(versions.iter().map(|v| self.discover_one(v)))
                .buffered(self.concurrency)
                .collect(),
        );
        let mut out = BTreeMap::new();
        for (v, r) in versions.into_iter().zip(found) {
            out.insert(v.clone(), r?);
        }
        Ok(Discovery {
            versions: out,
            complete: true,
        })
    }

    fn list(
        &self,
        requests: &[ListRequest],
        tick: &(dyn Fn() + Sync),
    ) -> Vec<Result<Vec<Value>, LiveError>> {
        self.runtime.block_on(
            futures::stream::iter(requests.iter().map(|r| self.list_one(r)))
                .buffered(self.concurrency)
                .inspect(|_| tick())
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_continue_token_stops_the_list() {
        assert!(next_token(None, "a").is_ok());
        assert!(next_token(Some("a"), "b").is_ok());
        assert!(next_token(Some("b"), "b").is_err_and(|e| e.contains("same continue token")));
    }
}
