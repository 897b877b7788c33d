//! A small Kubernetes API server for the drift tests: HTTP/1.1 on std::net, one thread
//! per connection, keep-alive. It answers discovery (`/api/v1`, `/apis/GROUP/VERSION`),
//! lists (paginated with `limit` and `continue`) and gets from fixture YAML the way a
//! real API server does, and can refuse (403), require a token (401), delay or drop
//! answers. Every request is logged, so tests can check that only GETs were sent.
#![allow(dead_code, reason = "each test uses a different part")]

use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A resource type the server serves.
#[derive(Clone, Debug)]
pub struct Kind {
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    pub plural: &'static str,
    pub namespaced: bool,
}

/// The types of the tests' fixtures.
pub fn default_kinds() -> Vec<Kind> {
    let k = |group, version, kind, plural, namespaced| Kind {
        group,
        version,
        kind,
        plural,
        namespaced,
    };
    vec![
        k("", "v1", "ConfigMap", "configmaps", true),
        k("", "v1", "Secret", "secrets", true),
        k("", "v1", "Service", "services", true),
        k("", "v1", "Namespace", "namespaces", false),
        k("apps", "v1", "Deployment", "deployments", true),
        k(
            "rbac.authorization.k8s.io",
            "v1",
            "ClusterRole",
            "clusterroles",
            false,
        ),
        k(
            "argoproj.io",
            "v1alpha1",
            "Application",
            "applications",
            true,
        ),
    ]
}

/// One logged request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Logged {
    pub method: String,
    pub path: String,
    /// Query parameters, decoded.
    pub query: BTreeMap<String, String>,
    pub authorization: Option<String>,
}

/// How the server behaves.
#[derive(Clone, Debug, Default)]
pub struct Behaviour {
    /// `(plural, namespace)` lists answered 403 (`None`: cluster-wide or every namespace).
    pub forbidden: Vec<(String, Option<String>)>,
    /// Answers to paths containing this text wait this long first.
    pub slow: Vec<(String, Duration)>,
    /// Page size cap per plural (the server's own, below the client's `limit`).
    pub page_size: BTreeMap<String, usize>,
    /// When set, a bearer token other than this one is answered 401.
    pub token: Option<String>,
    /// Lists answer only the objects stored under the API version asked for (the way a
    /// real server converts each object to the version of the request).
    pub by_version: bool,
    /// Every page of a list carries the same `continue` token (a broken server).
    pub repeat_continue: bool,
}

pub struct ApiServer {
    pub url: String,
    pub log: Arc<Mutex<Vec<Logged>>>,
    state: Arc<State>,
}

struct State {
    kinds: Vec<Kind>,
    objects: Vec<Value>,
    behaviour: Behaviour,
    log: Arc<Mutex<Vec<Logged>>>,
    /// Requests being answered now, and the most there ever were.
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

impl ApiServer {
    /// Starts a server holding the objects of `fixtures` (YAML documents or `kind: List`).
    pub fn start(kinds: Vec<Kind>, fixtures: &str, behaviour: Behaviour) -> ApiServer {
        let mut objects = Vec::new();
        for doc in kubectl_gitops::load::yaml::parse(fixtures).documents {
            let v = doc.root.to_json();
            match v.get("items").and_then(Value::as_array) {
                Some(items) if v["kind"].as_str().is_some_and(|k| k.ends_with("List")) => {
                    objects.extend(items.iter().cloned());
                }
                _ => objects.push(v),
            }
        }
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("address");
        let log = Arc::new(Mutex::new(Vec::new()));
        let state = Arc::new(State {
            kinds,
            objects,
            behaviour,
            log: log.clone(),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
        });
        let accepting = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = accepting.clone();
                std::thread::spawn(move || serve(stream, &state));
            }
        });
        ApiServer {
            url: format!("http://{addr}"),
            log,
            state,
        }
    }

    /// The most requests that were ever being answered at once.
    pub fn max_in_flight(&self) -> usize {
        self.state.max_in_flight.load(Ordering::SeqCst)
    }

    pub fn requests(&self) -> Vec<Logged> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// A kubeconfig whose context `test` (the current one) points at this server; a
    /// second context `other` points at `other_server`.
    pub fn kubeconfig(&self, token: &str) -> String {
        kubeconfig(&self.url, token)
    }
}

pub fn kubeconfig(server: &str, token: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: test-cluster\n  cluster:\n    server: {server}\n\
         contexts:\n- name: test\n  context:\n    cluster: test-cluster\n    user: tester\n    namespace: default\n\
         current-context: test\nusers:\n- name: tester\n  user:\n    token: {token}\n"
    )
}

fn serve(stream: TcpStream, state: &State) {
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let (Some(method), Some(target)) = (parts.next(), parts.next()) else {
            return;
        };
        let (method, target) = (method.to_owned(), target.to_owned());
        let mut headers = BTreeMap::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
            }
        }
        let length: usize = headers
            .get("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; length];
        if length > 0 && reader.read_exact(&mut body).is_err() {
            return;
        }
        let (path, query) = split_target(&target);
        let logged = Logged {
            method: method.clone(),
            path: path.clone(),
            query: query.clone(),
            authorization: headers.get("authorization").cloned(),
        };
        if let Ok(mut l) = state.log.lock() {
            l.push(logged.clone());
        }
        let now = state.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        state.max_in_flight.fetch_max(now, Ordering::SeqCst);
        for (needle, delay) in &state.behaviour.slow {
            if path.contains(needle.as_str()) {
                std::thread::sleep(*delay);
            }
        }
        let (code, answer) = respond(state, &logged);
        state.in_flight.fetch_sub(1, Ordering::SeqCst);
        let text = answer.to_string();
        let reason = match code {
            200 => "OK",
            401 => "Unauthorized",
            403 => "Forbidden",
            404 => "Not Found",
            405 => "Method Not Allowed",
            _ => "Error",
        };
        let head = format!(
            "HTTP/1.1 {code} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            text.len()
        );
        if writer.write_all(head.as_bytes()).is_err()
            || writer.write_all(text.as_bytes()).is_err()
            || writer.flush().is_err()
        {
            return;
        }
        if headers
            .get("connection")
            .is_some_and(|c| c.eq_ignore_ascii_case("close"))
        {
            return;
        }
    }
}

fn split_target(target: &str) -> (String, BTreeMap<String, String>) {
    let (path, q) = target.split_once('?').unwrap_or((target, ""));
    let query = q
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect();
    (path.to_owned(), query)
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => out.push(b),
                    Err(_) => out.push(b'%'),
                }
                i += 3;
                continue;
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn status(code: u16, reason: &str, message: &str) -> (u16, Value) {
    (
        code,
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
               "message": message, "reason": reason, "code": code}),
    )
}

fn respond(state: &State, req: &Logged) -> (u16, Value) {
    if req.method != "GET" {
        return status(405, "MethodNotAllowed", "this test server only reads");
    }
    if let Some(want) = &state.behaviour.token {
        let ok = req.authorization.as_deref() == Some(&format!("Bearer {want}"));
        if !ok {
            return status(401, "Unauthorized", "Unauthorized");
        }
    }
    let segs: Vec<&str> = req.path.trim_matches('/').split('/').collect();
    // (group, version, rest)
    let (group, version, rest): (&str, &str, &[&str]) = match segs.as_slice() {
        ["api", v, rest @ ..] => ("", v, rest),
        ["apis", g, v, rest @ ..] => (g, v, rest),
        _ => {
            return status(
                404,
                "NotFound",
                "the server could not find the requested resource",
            );
        }
    };
    let kinds: Vec<&Kind> = state
        .kinds
        .iter()
        .filter(|k| k.group == group && k.version == version)
        .collect();
    if kinds.is_empty() {
        return status(
            404,
            "NotFound",
            "the server could not find the requested resource",
        );
    }
    let gv = if group.is_empty() {
        version.to_owned()
    } else {
        format!("{group}/{version}")
    };
    let (namespace, plural, name) = match rest {
        [] => {
            let resources: Vec<Value> = kinds
                .iter()
                .flat_map(|k| {
                    [
                        json!({"name": k.plural, "singularName": k.kind.to_ascii_lowercase(),
                               "namespaced": k.namespaced, "kind": k.kind,
                               "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"]}),
                        json!({"name": format!("{}/status", k.plural), "singularName": "",
                               "namespaced": k.namespaced, "kind": k.kind, "verbs": ["get", "patch", "update"]}),
                    ]
                })
                .collect();
            return (
                200,
                json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources}),
            );
        }
        ["namespaces", ns, plural] => (Some(*ns), *plural, None),
        ["namespaces", ns, plural, name] => (Some(*ns), *plural, Some(*name)),
        [plural] => (None, *plural, None),
        [plural, name] => (None, *plural, Some(*name)),
        _ => {
            return status(
                404,
                "NotFound",
                "the server could not find the requested resource",
            );
        }
    };
    let Some(kind) = kinds.iter().find(|k| k.plural == plural) else {
        return status(
            404,
            "NotFound",
            "the server could not find the requested resource",
        );
    };
    let forbidden = state
        .behaviour
        .forbidden
        .iter()
        .any(|(p, ns)| p == plural && (ns.is_none() || ns.as_deref() == namespace));
    if forbidden {
        let who = "system:serviceaccount:ci:drift";
        let scope = namespace.map_or_else(
            || "at the cluster scope".to_owned(),
            |n| format!("in the namespace \"{n}\""),
        );
        let verb = if name.is_some() { "get" } else { "list" };
        return status(
            403,
            "Forbidden",
            &format!(
                "{plural}{} is forbidden: User \"{who}\" cannot {verb} resource \"{plural}\" in API group \"{group}\" {scope}",
                if group.is_empty() {
                    String::new()
                } else {
                    format!(".{group}")
                }
            ),
        );
    }
    let matching: Vec<Value> = state
        .objects
        .iter()
        .filter(|o| {
            let av = o["apiVersion"].as_str().unwrap_or("");
            let g = av.split_once('/').map_or("", |(g, _)| g);
            (!state.behaviour.by_version || av == gv)
                && g == group
                && o["kind"].as_str() == Some(kind.kind)
                && (!kind.namespaced
                    || namespace.is_none()
                    || o.pointer("/metadata/namespace").and_then(Value::as_str) == namespace)
        })
        .cloned()
        .collect();
    if let Some(name) = name {
        return match matching
            .into_iter()
            .find(|o| o.pointer("/metadata/name").and_then(Value::as_str) == Some(name))
        {
            Some(o) => (200, o),
            None => status(404, "NotFound", &format!("{plural} \"{name}\" not found")),
        };
    }
    // A list: items without apiVersion/kind, like a real server.
    let limit = req
        .query
        .get("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(usize::MAX);
    let cap = state
        .behaviour
        .page_size
        .get(plural)
        .copied()
        .unwrap_or(usize::MAX);
    let page = limit.min(cap).max(1);
    let start: usize = req
        .query
        .get("continue")
        .and_then(|c| c.strip_prefix("offset:"))
        .and_then(|o| o.parse().ok())
        .unwrap_or(0);
    let end = (start + page).min(matching.len());
    let items: Vec<Value> = matching[start.min(end)..end]
        .iter()
        .map(|o| {
            let mut o = o.clone();
            if let Some(m) = o.as_object_mut() {
                m.remove("apiVersion");
                m.remove("kind");
            }
            o
        })
        .collect();
    let mut metadata = json!({"resourceVersion": "1000"});
    if state.behaviour.repeat_continue {
        metadata["continue"] = json!("offset:0");
    } else if end < matching.len() {
        metadata["continue"] = json!(format!("offset:{end}"));
    }
    (
        200,
        json!({"kind": format!("{}List", kind.kind), "apiVersion": gv, "metadata": metadata, "items": items}),
    )
}
