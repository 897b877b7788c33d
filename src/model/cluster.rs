//! Argo CD cluster Secrets (`argocd.argoproj.io/secret-type: cluster`).

use crate::load::yaml::Node;
use crate::model::Object;
use base64::Engine as _;

pub const SECRET_TYPE_LABEL: &str = "argocd.argoproj.io/secret-type";

pub fn is_cluster_secret(o: &Object) -> bool {
    o.is("", "Secret")
        && o.labels()
            .and_then(|l| l.get(SECRET_TYPE_LABEL))
            .and_then(Node::as_str)
            == Some("cluster")
}

/// A field of a Secret as Argo CD reads it: `stringData` wins over base64 `data`.
/// Returns the decoded text and the node it came from.
pub fn secret_field<'a>(o: &'a Object, key: &str) -> Option<(String, &'a Node)> {
    if let Some(n) = o.node.get("stringData").and_then(|d| d.get(key))
        && let Some(s) = n.as_str()
    {
        return Some((s.to_owned(), n));
    }
    let n = o.node.get("data").and_then(|d| d.get(key))?;
    let raw = n.as_str()?;
    let cleaned: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(cleaned)
        .ok()?;
    Some((String::from_utf8(bytes).ok()?, n))
}

/// The cluster a Secret declares: name, server and the parsed `config` JSON.
#[derive(Debug)]
pub struct ClusterSecret<'a> {
    pub object: &'a Object,
    pub name: Option<String>,
    pub server: Option<String>,
    pub config: Option<(serde_json::Value, &'a Node)>,
}

impl<'a> ClusterSecret<'a> {
    pub fn new(object: &'a Object) -> Option<Self> {
        if !is_cluster_secret(object) {
            return None;
        }
        Some(ClusterSecret {
            object,
            name: secret_field(object, "name").map(|(s, _)| s),
            server: secret_field(object, "server").map(|(s, _)| s.trim_end_matches('/').to_owned()),
            config: secret_field(object, "config")
                .and_then(|(s, n)| serde_json::from_str(&s).ok().map(|v| (v, n))),
        })
    }
}

/// The server URL of the cluster Argo CD runs in.
pub const IN_CLUSTER_SERVER: &str = "https://kubernetes.default.svc";
pub const IN_CLUSTER_NAME: &str = "in-cluster";

/// Where a known cluster was declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClusterOrigin {
    /// Argo CD's built-in entry for its own cluster.
    InCluster,
    /// A cluster Secret in the repository (index into `Repo::objects`).
    Secret(usize),
    /// An entry of the configuration's `clusters` (index into that list).
    Config(usize),
}

/// A cluster as Argo CD's cluster database knows it.
#[derive(Debug, Clone)]
pub struct Cluster {
    pub name: String,
    /// Without trailing `/`, as Argo CD compares it.
    pub server: String,
    /// `project` of a project-scoped cluster Secret.
    pub project: Option<String>,
    /// `namespaces` of a cluster Secret (comma-separated there); empty means all.
    pub namespaces: Vec<String>,
    pub labels: Vec<(String, String)>,
    pub origin: ClusterOrigin,
}

/// How an Application destination resolves (`util/argo.GetDestinationCluster`).
#[derive(Debug, Clone, Copy)]
pub enum Resolution<'c> {
    Found(&'c Cluster),
    /// `destination.name` that no known cluster has.
    UnknownName,
    /// Several clusters share the name.
    AmbiguousName(usize),
    /// `destination.server` that no known cluster has: Argo CD may know it from a cluster
    /// Secret that is not in this repository, so its name is unknown here.
    UnknownServer,
    /// Neither server nor name (APP003), or both (APP002).
    Invalid,
    /// `https://kubernetes.default.svc` with `cluster.inClusterEnabled: "false"`.
    InClusterDisabled,
}

/// Every cluster the repository and the configuration declare, plus the in-cluster entry.
#[derive(Debug, Clone, Default)]
pub struct Clusters {
    pub list: Vec<Cluster>,
    pub in_cluster_enabled: bool,
}

impl Clusters {
    pub fn build(repo: &crate::model::Repo, config: &crate::config::Config) -> Clusters {
        let mut list = Vec::new();
        let control_plane = config.control_plane_namespace();
        for (i, o) in repo.objects.iter().enumerate() {
            let Some(cs) = ClusterSecret::new(o) else {
                continue;
            };
            // Argo CD reads cluster Secrets from its own namespace only.
            if o.namespace.as_deref().is_some_and(|ns| ns != control_plane) {
                continue;
            }
            let Some(server) = cs.server.clone().filter(|s| !s.is_empty()) else {
                continue;
            };
            let field = |k: &str| secret_field(o, k).map(|(s, _)| s);
            let labels = o
                .labels()
                .map(|l| {
                    l.entries()
                        .iter()
                        .filter_map(|e| Some((e.key.key_string()?, e.value.as_str()?.to_owned())))
                        .collect()
                })
                .unwrap_or_default();
            list.push(Cluster {
                name: cs.name.clone().unwrap_or_default(),
                server,
                project: field("project").filter(|p| !p.is_empty()),
                namespaces: field("namespaces")
                    .map(|n| {
                        n.split(',')
                            .map(|s| s.trim().to_owned())
                            .filter(|s| !s.is_empty())
                            .collect()
                    })
                    .unwrap_or_default(),
                labels,
                origin: ClusterOrigin::Secret(i),
            });
        }
        for (i, c) in config.clusters.iter().enumerate() {
            let server = c.server.trim_end_matches('/').to_owned();
            // A cluster Secret in the repository wins over the same cluster in the config.
            if list.iter().any(|k: &Cluster| k.server == server) {
                continue;
            }
            list.push(Cluster {
                name: c.name.clone(),
                server,
                project: None,
                namespaces: Vec::new(),
                labels: c.labels.clone(),
                origin: ClusterOrigin::Config(i),
            });
        }
        let in_cluster_enabled = !in_cluster_disabled(repo, control_plane);
        // A cluster Secret for the in-cluster URL replaces the built-in entry.
        if in_cluster_enabled && !list.iter().any(|c| c.server == IN_CLUSTER_SERVER) {
            list.insert(
                0,
                Cluster {
                    name: IN_CLUSTER_NAME.to_owned(),
                    server: IN_CLUSTER_SERVER.to_owned(),
                    project: None,
                    namespaces: Vec::new(),
                    labels: Vec::new(),
                    origin: ClusterOrigin::InCluster,
                },
            );
        }
        Clusters {
            list,
            in_cluster_enabled,
        }
    }

    /// Resolves a destination the way Argo CD does: `server` (trailing `/` trimmed) by URL,
    /// else `name` by name. Empty strings count as unset.
    pub fn resolve(&self, server: Option<&str>, name: Option<&str>) -> Resolution<'_> {
        let server = server.filter(|s| !s.is_empty());
        let name = name.filter(|s| !s.is_empty());
        match (server, name) {
            (Some(_), Some(_)) | (None, None) => Resolution::Invalid,
            (Some(s), None) => {
                let s = s.trim_end_matches('/');
                // `db.GetCluster` refuses the in-cluster URL when it is disabled, even when
                // a cluster Secret declares it.
                if s == IN_CLUSTER_SERVER && !self.in_cluster_enabled {
                    Resolution::InClusterDisabled
                } else if let Some(c) = self.list.iter().find(|c| c.server == s) {
                    Resolution::Found(c)
                } else {
                    Resolution::UnknownServer
                }
            }
            (None, Some(n)) => {
                // `GetClusterServersByName` skips the in-cluster URL when it is disabled.
                let found: Vec<&Cluster> = self
                    .list
                    .iter()
                    .filter(|c| c.name == n)
                    .filter(|c| self.in_cluster_enabled || c.server != IN_CLUSTER_SERVER)
                    .collect();
                match found.as_slice() {
                    [one] => Resolution::Found(one),
                    [] => Resolution::UnknownName,
                    many => Resolution::AmbiguousName(many.len()),
                }
            }
        }
    }

    /// Clusters scoped to a project (`project: <name>` in their Secret).
    pub fn scoped_to<'c>(&'c self, project: &'c str) -> impl Iterator<Item = &'c Cluster> + 'c {
        self.list
            .iter()
            .filter(move |c| c.project.as_deref() == Some(project))
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.list
            .iter()
            .map(|c| c.name.as_str())
            .filter(|n| !n.is_empty())
    }
}

/// argocd-cm `cluster.inClusterEnabled: "false"` in the repository's argocd-cm ConfigMap.
fn in_cluster_disabled(repo: &crate::model::Repo, control_plane: &str) -> bool {
    repo.of_kind("", "ConfigMap")
        .filter(|o| o.name.as_deref() == Some("argocd-cm"))
        .filter(|o| o.namespace.as_deref().is_none_or(|n| n == control_plane))
        .any(|o| {
            o.node
                .path(&["data", "cluster.inClusterEnabled"])
                .and_then(Node::as_str)
                == Some("false")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clusters(list: &[(&str, &str)]) -> Clusters {
        Clusters {
            list: list
                .iter()
                .enumerate()
                .map(|(i, (n, s))| Cluster {
                    name: (*n).to_owned(),
                    server: (*s).to_owned(),
                    project: None,
                    namespaces: Vec::new(),
                    labels: Vec::new(),
                    origin: ClusterOrigin::Config(i),
                })
                .collect(),
            in_cluster_enabled: true,
        }
    }

    #[test]
    fn resolution_follows_get_destination_cluster() {
        let c = clusters(&[
            ("in-cluster", IN_CLUSTER_SERVER),
            ("prod", "https://prod.example.com"),
            ("dup", "https://a.example.com"),
            ("dup", "https://b.example.com"),
        ]);
        let name = |r: Resolution<'_>| match r {
            Resolution::Found(c) => c.name.clone(),
            other => format!("{other:?}"),
        };
        assert_eq!(
            name(c.resolve(Some("https://prod.example.com/"), None)),
            "prod"
        );
        assert_eq!(
            name(c.resolve(Some("https://prod.example.com//"), Some(""))),
            "prod"
        );
        assert_eq!(name(c.resolve(None, Some("prod"))), "prod");
        assert_eq!(name(c.resolve(Some(""), Some("in-cluster"))), "in-cluster");
        assert!(matches!(
            c.resolve(None, Some("Prod")),
            Resolution::UnknownName
        ));
        assert!(matches!(
            c.resolve(None, Some("dup")),
            Resolution::AmbiguousName(2)
        ));
        assert!(matches!(
            c.resolve(Some("https://other.example.com"), None),
            Resolution::UnknownServer
        ));
        assert!(matches!(c.resolve(None, None), Resolution::Invalid));
        assert!(matches!(
            c.resolve(Some("x"), Some("y")),
            Resolution::Invalid
        ));
        let mut off = clusters(&[]);
        off.in_cluster_enabled = false;
        assert!(matches!(
            off.resolve(Some(IN_CLUSTER_SERVER), None),
            Resolution::InClusterDisabled
        ));
    }

    #[test]
    fn a_disabled_in_cluster_url_stays_disabled_with_a_secret() {
        let mut c = clusters(&[
            ("local", IN_CLUSTER_SERVER),
            ("prod", "https://prod.example.com"),
        ]);
        c.in_cluster_enabled = false;
        assert!(matches!(
            c.resolve(Some(IN_CLUSTER_SERVER), None),
            Resolution::InClusterDisabled
        ));
        assert!(matches!(
            c.resolve(Some("https://kubernetes.default.svc/"), None),
            Resolution::InClusterDisabled
        ));
        // By name, the Secret for the in-cluster URL is skipped.
        assert!(matches!(
            c.resolve(None, Some("local")),
            Resolution::UnknownName
        ));
        assert!(matches!(
            c.resolve(None, Some("prod")),
            Resolution::Found(_)
        ));
        c.in_cluster_enabled = true;
        assert!(matches!(
            c.resolve(None, Some("local")),
            Resolution::Found(_)
        ));
    }

    fn build(yaml: &str, config: &crate::config::Config) -> Clusters {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("clusters.yaml"), yaml).expect("write");
        let exclude = crate::walk::exclude_matcher(dir.path(), &[]).expect("matcher");
        let items = crate::walk::walk(dir.path(), &[dir.path().to_path_buf()], &exclude, 1);
        let (repo, _) = crate::model::Repo::load(dir.path().to_path_buf(), &items);
        Clusters::build(&repo, config)
    }

    #[test]
    fn only_cluster_secrets_of_the_control_plane_namespace_count() {
        let yaml = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: a\n  namespace: argocd\n  labels:\n    argocd.argoproj.io/secret-type: cluster\nstringData:\n  name: a\n  server: https://a.example.com\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: b\n  namespace: elsewhere\n  labels:\n    argocd.argoproj.io/secret-type: cluster\nstringData:\n  name: b\n  server: https://b.example.com\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: c\n  labels:\n    argocd.argoproj.io/secret-type: cluster\nstringData:\n  name: c\n  server: https://c.example.com\n";
        let c = build(yaml, &crate::config::Config::default());
        let names: Vec<&str> = c.names().collect();
        assert_eq!(names, ["in-cluster", "a", "c"]);
        let config = crate::config::Config {
            control_plane_namespace: Some("elsewhere".to_owned()),
            ..crate::config::Config::default()
        };
        let c = build(yaml, &config);
        let names: Vec<&str> = c.names().collect();
        assert_eq!(names, ["in-cluster", "b", "c"]);
    }
}
