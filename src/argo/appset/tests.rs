//! Expansion tests: whole ApplicationSets through [`expand`], expected values derived by
//! hand from semantics §5.

use super::*;
use serde_json::json;

const REPO: &str = "https://github.com/acme/gitops.git";

fn this_repo(url: &str) -> bool {
    crate::model::identity::repo_key(url) == crate::model::identity::repo_key(REPO)
}

/// FAKE Go template engine for tests: only `{{ .a.b }}` lookups of strings, nothing else
/// of Go's semantics. The real engine lives in `crate::argo::gotemplate`.
struct FakeGo;

impl GoTemplates for FakeGo {
    fn render(&self, src: &str, data: &Value, _: &[String]) -> Result<String, TemplateIssue> {
        let mut out = String::new();
        let mut rest = src;
        while let Some(i) = rest.find("{{") {
            out.push_str(&rest[..i]);
            let Some(j) = rest[i..].find("}}") else {
                return Err(TemplateIssue {
                    range: 0..src.len(),
                    message: "unclosed action".to_owned(),
                    kind: IssueKind::Parse,
                });
            };
            let expr = rest[i + 2..i + j].trim();
            let path = expr.strip_prefix('.').unwrap_or(expr);
            let v = path.split('.').try_fold(data, |v, k| v.get(k));
            match v {
                Some(Value::String(s)) => out.push_str(s),
                Some(other) => out.push_str(&other.to_string()),
                None => out.push_str("<no value>"),
            }
            rest = &rest[i + j + 2..];
        }
        out.push_str(rest);
        Ok(out)
    }
}

fn run_with(text: &str, tree: &MemoryTree, clusters: &[ClusterEntry]) -> Expansion {
    let parsed = crate::load::yaml::parse(text);
    assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
    let set = parsed
        .documents
        .first()
        .map(|d| d.root.to_json())
        .unwrap_or(Value::Null);
    let env = Env {
        tree,
        is_this_repo: &this_repo,
        clusters,
        go: &FakeGo,
    };
    expand(&set, "argocd", &env)
}

fn run(text: &str) -> Expansion {
    run_with(text, &MemoryTree::default(), &[])
}

fn names(e: &Expansion) -> Vec<&str> {
    e.apps.iter().map(|a| a.name.as_str()).collect()
}

fn at<'a>(a: &'a GeneratedApp, pointer: &str) -> &'a Value {
    a.app.pointer(pointer).unwrap_or(&Value::Null)
}

/// An ApplicationSet with `generators` (YAML indented by 4) and a template whose name is
/// `name`, path `path`.
fn set(extra_spec: &str, generators: &str, name: &str, path: &str) -> String {
    format!(
        "apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: s
  namespace: argocd
spec:
{extra_spec}  generators:
{generators}  template:
    metadata:
      name: '{name}'
    spec:
      project: default
      source:
        repoURL: {REPO}
        targetRevision: HEAD
        path: '{path}'
      destination:
        server: https://kubernetes.default.svc
        namespace: '{name}'
"
    )
}

fn cluster(name: &str, server: &str, labels: &[(&str, &str)], i: usize) -> ClusterEntry {
    let mut l: Vec<(String, String)> = labels
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    l.push((
        "argocd.argoproj.io/secret-type".to_owned(),
        "cluster".to_owned(),
    ));
    ClusterEntry {
        name: name.to_owned(),
        server: server.to_owned(),
        project: None,
        labels: l,
        annotations: vec![("team".to_owned(), "blue".to_owned())],
        origin: ClusterOrigin::Secret(i),
    }
}

#[test]
fn list_generator_fasttemplate() {
    let e = run(&set(
        "",
        "    - list:\n        elements:\n          - cluster: dev\n            url: https://dev.example.com\n          - cluster: prod\n            url: https://prod.example.com\n            values:\n              tier: gold\n",
        "{{cluster}}-guestbook",
        "guestbook/{{cluster}}/{{values.tier}}",
    ));
    assert!(e.complete(), "{e:?}");
    assert_eq!(names(&e), ["dev-guestbook", "prod-guestbook"]);
    let dev = &e.apps[0];
    // §5.1 steps 5 and 6: namespace forced, resources finalizer added.
    assert_eq!(dev.namespace, "argocd");
    assert_eq!(
        at(dev, "/metadata/finalizers"),
        &json!(["resources-finalizer.argocd.argoproj.io"])
    );
    // Unknown parameters stay verbatim (§5.3).
    assert_eq!(
        at(dev, "/spec/source/path"),
        "guestbook/dev/{{values.tier}}"
    );
    assert_eq!(at(&e.apps[1], "/spec/source/path"), "guestbook/prod/gold");
    assert_eq!(at(dev, "/spec/destination/namespace"), "dev-guestbook");
    assert_eq!(dev.generator, "/spec/generators/0/list");
    assert_eq!(
        dev.params.sources,
        [ParamSource {
            generator: "/spec/generators/0/list".to_owned(),
            item: Item::Element {
                pointer: "/spec/generators/0/list/elements/0".to_owned()
            },
        }]
    );
    // Provenance of a rendered string and of the controller's additions.
    let Some(Origin::Template {
        pointer,
        part,
        span: None,
        params,
    }) = dev.fields.get("/spec/source/path")
    else {
        panic!("{:?}", dev.fields);
    };
    assert_eq!(pointer, "/spec/template/spec/source/path");
    assert_eq!(*part, Part::Template);
    let refs: Vec<(&str, bool)> = params
        .iter()
        .map(|r| (r.name.as_str(), r.resolved))
        .collect();
    assert_eq!(refs, [("cluster", true), ("values.tier", false)]);
    assert_eq!(
        dev.fields.get("/metadata/namespace"),
        Some(&Origin::Namespace {
            pointer: Some("/metadata/namespace".to_owned())
        })
    );
    assert_eq!(
        dev.fields.get("/metadata/finalizers/0"),
        Some(&Origin::Finalizer)
    );
    assert!(!dev.fields.contains_key("/kind"));
}

#[test]
fn non_string_list_values_fail_the_whole_set() {
    let e = run(&set(
        "",
        "    - list:\n        elements:\n          - cluster: a\n    - list:\n        elements:\n          - cluster: b\n            port: 8080\n",
        "{{cluster}}",
        "x",
    ));
    assert!(e.apps.is_empty());
    let err = e.error.unwrap_or_else(|| panic!("no error"));
    assert_eq!(err.kind, ErrorKind::ListValue);
    assert_eq!(err.pointer, "/spec/generators/1/list/elements/0/port");
    assert_eq!(err.reason, "error parsing value as string");
    assert_eq!(err.message, "error parsing value as string %!w(<nil>)");
    // `values` must be a map.
    let e = run(&set(
        "",
        "    - list:\n        elements:\n          - cluster: b\n            values: x\n",
        "{{cluster}}",
        "x",
    ));
    assert_eq!(
        e.error.map(|e| e.message),
        Some("error parsing values map".to_owned())
    );
}

#[test]
fn an_empty_element_renders_nothing_and_adds_no_finalizer() {
    // `RenderTemplateParams` returns the template as is for an empty parameter set.
    let e = run(&set(
        "",
        "    - list:\n        elements:\n          - {}\n",
        "{{cluster}}",
        "x",
    ));
    assert_eq!(names(&e), ["{{cluster}}"]);
    assert_eq!(at(&e.apps[0], "/metadata/finalizers"), &Value::Null);
    assert_eq!(e.apps[0].namespace, "argocd");
}

#[test]
fn elements_yaml_is_appended_as_decoded() {
    let e = run(&set(
        "",
        "    - list:\n        elements:\n          - cluster: a\n        elementsYaml: |\n          - cluster: b\n          - cluster: 7\n",
        "app-{{cluster}}",
        "x",
    ));
    // The number is not substituted in fasttemplate mode, and is not an error either.
    assert_eq!(names(&e), ["app-a", "app-b", "app-{{cluster}}"]);
    assert_eq!(
        e.apps[2].params.sources[0].item,
        Item::ElementYaml { index: 1 }
    );
}

#[test]
fn git_directories_with_exclude_and_path_params() {
    let tree = MemoryTree::new(&[
        ("apps/team-a/Guest_Book/kustomization.yaml", ""),
        ("apps/team-a/billing/deploy.yaml", ""),
        ("apps/team-b/legacy/deploy.yaml", ""),
        ("apps/team-b/web/deploy.yaml", ""),
        ("apps/team-b/web/nested/x.yaml", ""),
        ("README.md", ""),
    ]);
    let gens = format!(
        "    - git:\n        repoURL: {REPO}\n        revision: HEAD\n        directories:\n          - path: 'apps/*/*'\n          - path: apps/team-b/legacy\n            exclude: true\n"
    );
    let e = run_with(
        &set(
            "",
            &gens,
            "{{path.basenameNormalized}}",
            "{{path}}|{{path[0]}}|{{path[1]}}|{{path.basename}}",
        ),
        &tree,
        &[],
    );
    assert!(e.complete(), "{e:?}");
    // `*` does not cross `/`: apps/team-b/web/nested is not matched; exclude wins.
    assert_eq!(names(&e), ["guest-book", "billing", "web"]);
    assert_eq!(
        at(&e.apps[0], "/spec/source/path"),
        "apps/team-a/Guest_Book|apps|team-a|Guest_Book"
    );
    assert_eq!(
        e.apps[2].params.sources[0].item,
        Item::Directory {
            path: "apps/team-b/web".to_owned()
        }
    );
}

#[test]
fn git_path_param_prefix() {
    let tree = MemoryTree::new(&[("envs/prod/x.yaml", "")]);
    let gens = format!(
        "    - git:\n        repoURL: {REPO}\n        revision: HEAD\n        pathParamPrefix: env\n        directories:\n          - path: 'envs/*'\n"
    );
    let e = run_with(
        &set(
            "",
            &gens,
            "{{env.path.basename}}",
            "{{env.path}}/{{env.path[1]}}/{{path}}",
        ),
        &tree,
        &[],
    );
    assert_eq!(names(&e), ["prod"]);
    assert_eq!(
        at(&e.apps[0], "/spec/source/path"),
        "envs/prod/prod/{{path}}"
    );
}

#[test]
fn git_files_are_flattened_and_globbed_greedily() {
    let tree = MemoryTree::new(&[
        (
            "clusters/prod/eu/config.yaml",
            "cluster:\n  name: prod-eu\n  replicas: 1000000\nenabled: yes\nnothing: null\n",
        ),
        (
            "clusters/dev/config.json",
            "[{\"cluster\": {\"name\": \"dev-1\"}}, {\"cluster\": {\"name\": \"dev-2\"}}]",
        ),
        ("clusters/empty/config.yaml", ""),
        ("clusters/skip/config.yaml", "cluster:\n  name: skipped\n"),
        ("clusters/prod/eu/other.yaml", "cluster:\n  name: other\n"),
    ]);
    let gens = format!(
        "    - git:\n        repoURL: {REPO}\n        revision: HEAD\n        files:\n          - path: 'clusters/*/config.*'\n          - path: clusters/skip/config.yaml\n            exclude: true\n"
    );
    let e = run_with(
        &set(
            "",
            &gens,
            "{{cluster.name}}",
            "{{path}} {{path.filename}} {{path.basename}} {{cluster.replicas}} {{enabled}} {{nothing}}",
        ),
        &tree,
        &[],
    );
    assert!(e.complete(), "{e:?}");
    // Files in byte order; `*` crosses `/` (clusters/prod/eu/config.yaml matches); an
    // empty file is one empty object; a list file gives one set per object.
    assert_eq!(names(&e), ["dev-1", "dev-2", "{{cluster.name}}", "prod-eu"]);
    assert_eq!(
        at(&e.apps[3], "/spec/source/path"),
        "clusters/prod/eu config.yaml eu 1e+06 true <nil>"
    );
    assert_eq!(
        at(&e.apps[2], "/spec/source/path"),
        "clusters/empty config.yaml empty {{cluster.replicas}} {{enabled}} {{nothing}}"
    );
    assert_eq!(
        e.apps[1].params.sources[0].item,
        Item::File {
            path: "clusters/dev/config.json".to_owned(),
            index: 1
        }
    );
}

#[test]
fn git_file_that_is_not_an_object_fails() {
    let tree = MemoryTree::new(&[("c/config.yaml", "just a string\n")]);
    let gens = format!(
        "    - git:\n        repoURL: {REPO}\n        revision: HEAD\n        files:\n          - path: c/config.yaml\n"
    );
    let e = run_with(&set("", &gens, "x", "y"), &tree, &[]);
    let err = e.error.unwrap_or_else(|| panic!("no error"));
    assert_eq!(err.kind, ErrorKind::GitFile);
    assert_eq!(
        err.message,
        "error generating params from git: unable to process file 'c/config.yaml': unable to parse file: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal string into Go value of type []map[string]interface {}"
    );
}

#[test]
fn git_generator_without_paths_is_empty() {
    let gens = format!("    - git:\n        repoURL: {REPO}\n        revision: HEAD\n");
    let e = run(&set("", &gens, "x", "y"));
    assert_eq!(
        e.error.map(|e| e.message),
        Some("ApplicationSet is empty".to_owned())
    );
}

#[test]
fn generators_that_need_the_outside_world_are_not_expanded() {
    let gens = "    - git:\n        repoURL: https://github.com/acme/other.git\n        revision: HEAD\n        directories:\n          - path: '*'\n    - scmProvider:\n        github:\n          organization: acme\n    - list:\n        elements:\n          - cluster: local\n";
    let e = run(&set("", gens, "{{cluster}}", "x"));
    assert_eq!(names(&e), ["local"]);
    assert!(!e.complete());
    let got: Vec<(&str, &str)> = e
        .not_expanded
        .iter()
        .map(|n| (n.generator.as_str(), n.kind.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("/spec/generators/0/git", "git"),
            ("/spec/generators/1/scmProvider", "scmProvider")
        ]
    );
    assert!(
        e.not_expanded[0]
            .reason
            .contains("https://github.com/acme/other.git")
    );
}

#[test]
fn cluster_generator_with_and_without_selector() {
    let clusters = [
        cluster("prod-EU", "https://prod.example.com", &[("env", "prod")], 3),
        cluster("dev", "https://dev.example.com", &[("env", "dev")], 5),
    ];
    let all = run_with(
        &set(
            "",
            "    - clusters:\n        values:\n          where: '{{name}}@{{server}}'\n",
            "{{nameNormalized}}",
            "{{values.where}}|{{metadata.labels.env}}|{{metadata.annotations.team}}|{{project}}",
        ),
        &MemoryTree::default(),
        &clusters,
    );
    // §5.4: the in-cluster entry first (no selector), then the Secrets by name.
    assert_eq!(names(&all), ["in-cluster", "dev", "prod-eu"]);
    assert_eq!(
        at(&all.apps[0], "/spec/source/path"),
        "in-cluster@https://kubernetes.default.svc|{{metadata.labels.env}}|{{metadata.annotations.team}}|"
    );
    assert_eq!(
        at(&all.apps[2], "/spec/source/path"),
        "prod-EU@https://prod.example.com|prod|blue|"
    );
    let selected = run_with(
        &set(
            "",
            "    - clusters:\n        selector:\n          matchLabels:\n            env: prod\n",
            "{{name}}",
            "x",
        ),
        &MemoryTree::default(),
        &clusters,
    );
    assert_eq!(names(&selected), ["prod-EU"]);
    assert_eq!(
        selected.apps[0].params.sources[0].item,
        Item::Cluster {
            name: "prod-EU".to_owned(),
            origin: ClusterOrigin::Secret(3)
        }
    );
    // A Secret for the in-cluster URL replaces the built-in entry.
    let local = [cluster("local", "https://kubernetes.default.svc", &[], 0)];
    let e = run_with(
        &set("", "    - clusters: {}\n", "{{name}}", "x"),
        &MemoryTree::default(),
        &local,
    );
    assert_eq!(names(&e), ["local"]);
}

#[test]
fn cluster_flat_list_is_one_parameter_set() {
    let clusters = [cluster("a", "https://a.example.com", &[], 0)];
    let e = run_with(
        &set(
            "",
            "    - clusters:\n        flatList: true\n",
            "all",
            "{{clusters}}",
        ),
        &MemoryTree::default(),
        &clusters,
    );
    assert_eq!(names(&e), ["all"]);
    // Not a string: never substituted in fasttemplate mode.
    assert_eq!(at(&e.apps[0], "/spec/source/path"), "{{clusters}}");
    assert_eq!(
        e.apps[0]
            .params
            .values
            .get("clusters")
            .map(|c| c.as_array().map(Vec::len)),
        Some(Some(2))
    );
}

#[test]
fn matrix_interpolates_the_second_child() {
    let tree = MemoryTree::new(&[
        ("envs/dev/api/x.yaml", ""),
        ("envs/dev/web/x.yaml", ""),
        ("envs/prod/api/x.yaml", ""),
    ]);
    let gens = format!(
        "    - matrix:\n        generators:\n          - list:\n              elements:\n                - env: dev\n                - env: prod\n          - git:\n              repoURL: {REPO}\n              revision: HEAD\n              directories:\n                - path: 'envs/{{{{env}}}}/*'\n"
    );
    let e = run_with(
        &set("", &gens, "{{env}}-{{path.basename}}", "{{path}}"),
        &tree,
        &[],
    );
    assert!(e.complete(), "{e:?}");
    assert_eq!(names(&e), ["dev-api", "dev-web", "prod-api"]);
    let app = &e.apps[2];
    assert_eq!(app.generator, "/spec/generators/0/matrix");
    let leafs: Vec<&str> = app
        .params
        .sources
        .iter()
        .map(|s| s.generator.as_str())
        .collect();
    assert_eq!(
        leafs,
        [
            "/spec/generators/0/matrix/generators/0/list",
            "/spec/generators/0/matrix/generators/1/git"
        ]
    );
}

#[test]
fn matrix_errors() {
    let one = "    - matrix:\n        generators:\n          - list:\n              elements:\n                - a: b\n";
    let e = run(&set("", one, "x", "y"));
    let err = e.error.unwrap_or_else(|| panic!("no error"));
    assert_eq!(err.kind, ErrorKind::MatrixChildren);
    assert_eq!(err.pointer, "/spec/generators/0/matrix");
    assert_eq!(
        err.message,
        "found less than two generators, Matrix support only two"
    );
    let three = "    - matrix:\n        generators:\n          - list: {elements: [{a: b}]}\n          - list: {elements: [{c: d}]}\n          - list: {elements: [{e: f}]}\n";
    assert_eq!(
        run(&set("", three, "x", "y")).error.map(|e| e.message),
        Some("found more than two generators, Matrix support only two".to_owned())
    );
    // fasttemplate: a key produced by both children with different values.
    let dup = "    - matrix:\n        generators:\n          - list: {elements: [{a: x}]}\n          - list: {elements: [{a: q}]}\n";
    let err = run(&set("", dup, "x", "y"))
        .error
        .unwrap_or_else(|| panic!("no error"));
    assert_eq!(err.kind, ErrorKind::MatrixDuplicateKey);
    assert_eq!(
        err.message,
        "failed to combine string maps with merging params for the matrix generator: found duplicate key a with different value, a: x ,b: q"
    );
    // A nested child error is wrapped by every level.
    let nested = "    - matrix:\n        generators:\n          - matrix:\n              generators:\n                - list: {elements: [{a: x}]}\n          - list: {elements: [{b: q}]}\n";
    let err = run(&set("", nested, "x", "y"))
        .error
        .unwrap_or_else(|| panic!("no error"));
    assert_eq!(err.pointer, "/spec/generators/0/matrix/generators/0/matrix");
    assert_eq!(
        err.message,
        "error failed to get params for first generator in matrix generator: child generator returned an error on parameter generation: found less than two generators, Matrix support only two"
    );
    // Below a nested matrix only terminal generators exist.
    let deep = "    - matrix:\n        generators:\n          - matrix:\n              generators:\n                - matrix:\n                    generators: []\n                - list: {elements: [{a: x}]}\n          - list: {elements: [{b: q}]}\n";
    let err = run(&set("", deep, "x", "y"))
        .error
        .unwrap_or_else(|| panic!("no error"));
    assert_eq!(err.kind, ErrorKind::ChildWithoutGenerator);
    assert_eq!(
        err.pointer,
        "/spec/generators/0/matrix/generators/0/matrix/generators/0"
    );
}

#[test]
fn merge_overrides_base_sets_by_merge_keys() {
    let gens = "    - merge:\n        mergeKeys: [name]\n        generators:\n          - list:\n              elements:\n                - {name: a, size: s}\n                - {name: b, size: s}\n          - list:\n              elements:\n                - {name: b, size: xl, extra: e}\n                - {name: z, size: m}\n";
    let e = run(&set("", gens, "{{name}}-{{size}}-{{extra}}", "y"));
    assert!(e.complete(), "{e:?}");
    // Sets whose keys are absent from the base are dropped.
    assert_eq!(names(&e), ["a-s-{{extra}}", "b-xl-e"]);
    assert_eq!(e.apps[1].params.sources.len(), 2);
    let no_keys = "    - merge:\n        generators:\n          - list: {elements: [{a: x}]}\n          - list: {elements: [{a: q}]}\n";
    let err = run(&set("", no_keys, "x", "y"))
        .error
        .unwrap_or_else(|| panic!("no error"));
    assert_eq!(err.kind, ErrorKind::NoMergeKeys);
    assert_eq!(
        err.message,
        "error getting param sets by merge key: no merge keys were specified, Merge requires at least one"
    );
    let dup = "    - merge:\n        mergeKeys: [a]\n        generators:\n          - list: {elements: [{a: x}]}\n          - list: {elements: [{a: q}, {a: q, b: c}]}\n";
    let err = run(&set("", dup, "x", "y"))
        .error
        .unwrap_or_else(|| panic!("no error"));
    assert_eq!(err.kind, ErrorKind::NonUniqueMergeKeys);
    assert_eq!(err.pointer, "/spec/generators/0/merge/generators/1");
    assert_eq!(
        err.message,
        "error getting param sets by merge key: the parameters from a generator were not unique by the given mergeKeys, Merge requires all param sets to be unique. Duplicate key was {\"a\":\"q\"}"
    );
    let one = "    - merge:\n        mergeKeys: [a]\n        generators:\n          - list: {elements: [{a: x}]}\n";
    assert_eq!(
        run(&set("", one, "x", "y")).error.map(|e| e.message),
        Some("found less than two generators, Merge requires two or more".to_owned())
    );
}

#[test]
fn generator_selectors_filter_flattened_params() {
    let gens = "    - list:\n        elements:\n          - {cluster: a, env: prod}\n          - {cluster: b, env: dev}\n          - {cluster: c, env: prod}\n      selector:\n        matchExpressions:\n          - {key: env, operator: In, values: [prod]}\n          - {key: cluster, operator: NotIn, values: [c]}\n";
    let e = run(&set("", gens, "{{cluster}}", "y"));
    assert_eq!(names(&e), ["a"]);
    let bad = "    - list:\n        elements:\n          - {cluster: a}\n      selector:\n        matchLabels:\n          'path[0]': x\n";
    let err = run(&set("", bad, "x", "y"))
        .error
        .unwrap_or_else(|| panic!("no error"));
    assert_eq!(err.kind, ErrorKind::Selector);
    assert_eq!(err.pointer, "/spec/generators/0/selector");
    assert!(
        err.message
            .starts_with("error parsing label selector: key: Invalid value: \"path[0]\""),
        "{}",
        err.message
    );
}

#[test]
fn generator_template_wins_over_the_top_level_template() {
    let gens = "    - list:\n        elements:\n          - cluster: a\n        template:\n          metadata:\n            name: 'own-{{cluster}}'\n          spec:\n            project: ''\n            source:\n              path: own\n";
    let e = run(&set("", gens, "top-{{cluster}}", "top"));
    assert_eq!(names(&e), ["own-a"]);
    let app = &e.apps[0];
    assert_eq!(at(app, "/spec/source/path"), "own");
    assert_eq!(at(app, "/spec/source/targetRevision"), "HEAD");
    assert_eq!(at(app, "/spec/project"), "default");
    let origin = |p: &str| match app.fields.get(p) {
        Some(Origin::Template { pointer, part, .. }) => (pointer.clone(), *part),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        origin("/metadata/name"),
        (
            "/spec/generators/0/list/template/metadata/name".to_owned(),
            Part::GeneratorTemplate
        )
    );
    assert_eq!(
        origin("/spec/project"),
        ("/spec/template/spec/project".to_owned(), Part::Template)
    );
}

#[test]
fn finalizers_follow_preserve_resources_and_the_template() {
    let gens = "    - list:\n        elements:\n          - cluster: a\n";
    let preserve = run(&set(
        "  syncPolicy:\n    preserveResourcesOnDeletion: true\n",
        gens,
        "{{cluster}}",
        "x",
    ));
    assert_eq!(at(&preserve.apps[0], "/metadata/finalizers"), &Value::Null);
    let own = run(&set("", gens, "{{cluster}}", "x").replace(
        "      name: '{{cluster}}'\n",
        "      name: '{{cluster}}'\n      finalizers:\n        - resources-finalizer.argocd.argoproj.io/background\n",
    ));
    assert_eq!(
        at(&own.apps[0], "/metadata/finalizers"),
        &json!(["resources-finalizer.argocd.argoproj.io/background"])
    );
}

#[test]
fn template_patch_applies_and_keeps_the_project() {
    let gens = "    - list:\n        elements:\n          - {cluster: a, auto: 'yes'}\n";
    let extra = "  templatePatch: |\n    metadata:\n      labels:\n        env: '{{cluster}}'\n    spec:\n      project: hijacked\n      syncPolicy:\n        automated: {}\n";
    let e = run(&set(extra, gens, "{{cluster}}", "x"));
    assert!(e.complete(), "{e:?}");
    let app = &e.apps[0];
    assert_eq!(at(app, "/metadata/labels/env"), "a");
    assert_eq!(at(app, "/spec/project"), "default");
    assert_eq!(at(app, "/spec/syncPolicy/automated"), &json!({}));
    assert!(matches!(
        app.fields.get("/metadata/labels/env"),
        Some(Origin::Template { part: Part::TemplatePatch, pointer, .. }) if pointer == "/spec/templatePatch"
    ));
    // The patched label points at its node in the patch text and at the parameters
    // used there.
    let patch_text = "metadata:\n  labels:\n    env: '{{cluster}}'\nspec:\n  project: hijacked\n  syncPolicy:\n    automated: {}\n";
    let Some(Origin::Template {
        span: Some(span),
        params,
        ..
    }) = app.fields.get("/metadata/labels/env")
    else {
        panic!("{:?}", app.fields.get("/metadata/labels/env"));
    };
    assert_eq!(&patch_text[span.clone()], "'{{cluster}}'");
    let used: Vec<&str> = params.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(used, ["cluster"]);
    // A patch that is not an Application fails the set.
    let bad = run(&set("  templatePatch: '- a'\n", gens, "{{cluster}}", "x"));
    assert_eq!(bad.error.map(|e| e.kind), Some(ErrorKind::TemplatePatch));
}

#[test]
fn map_keys_are_templated() {
    let text = set(
        "",
        "    - list:\n        elements:\n          - cluster: a\n",
        "{{cluster}}",
        "x",
    )
    .replace(
        "      name: '{{cluster}}'\n",
        "      name: '{{cluster}}'\n      labels:\n        'team-{{cluster}}': 'on'\n",
    );
    let e = run(&text);
    let app = &e.apps[0];
    assert_eq!(at(app, "/metadata/labels"), &json!({"team-a": "on"}));
    assert!(matches!(
        app.keys.get("/metadata/labels/team-a"),
        Some(Origin::Template { pointer, .. }) if pointer == "/spec/template/metadata/labels/team-{{cluster}}"
    ));
}

#[test]
fn template_errors_point_at_the_string() {
    let e = run(&set(
        "",
        "    - list:\n        elements:\n          - cluster: a\n",
        "{{cluster}}",
        "{{cluster}}/{{oops",
    ));
    let err = e.error.unwrap_or_else(|| panic!("no error"));
    assert_eq!(err.kind, ErrorKind::Template);
    assert_eq!(err.pointer, "/spec/template/spec/source/path");
    assert!(
        err.message
            .starts_with("invalid template: Cannot find end tag"),
        "{}",
        err.message
    );
}

#[test]
fn go_template_mode_uses_the_engine_and_nested_params() {
    let tree = MemoryTree::new(&[("apps/web/x.yaml", "")]);
    let gens = format!(
        "    - matrix:\n        generators:\n          - list:\n              elements:\n                - cluster: dev\n          - git:\n              repoURL: {REPO}\n              revision: HEAD\n              directories:\n                - path: 'apps/*'\n"
    );
    let e = run_with(
        &set(
            "  goTemplate: true\n",
            &gens,
            "{{ .cluster }}-{{ .path.basename }}",
            "{{.path.path}}",
        ),
        &tree,
        &[],
    );
    assert!(e.complete(), "{e:?}");
    assert_eq!(names(&e), ["dev-web"]);
    assert_eq!(at(&e.apps[0], "/spec/source/path"), "apps/web");
    assert_eq!(
        e.apps[0]
            .params
            .values
            .get("path")
            .and_then(|p| p.get("segments")),
        Some(&json!(["apps", "web"]))
    );
    // Without an engine, the set is not expanded.
    let parsed = crate::load::yaml::parse(&set(
        "  goTemplate: true\n",
        "    - list:\n        elements:\n          - cluster: a\n",
        "{{ .cluster }}",
        "x",
    ));
    let v = parsed.documents[0].root.to_json();
    let tree = MemoryTree::default();
    let env = Env {
        tree: &tree,
        is_this_repo: &this_repo,
        clusters: &[],
        go: &NoGoEngine,
    };
    let e = expand(&v, "argocd", &env);
    assert!(e.apps.is_empty() && e.error.is_none());
    assert_eq!(e.not_expanded[0].kind, "goTemplate");
}

#[test]
fn huge_matrices_are_not_expanded() {
    // 400 × 400 = 160 000 parameter sets: more than the bound.
    let elements: String = (0..400).map(|i| format!("{{a{i}: v}}, ")).collect();
    let list = |k: &str| format!("{{elements: [{}]}}", elements.replace("a", k));
    let gens = format!(
        "    - matrix:\n        generators:\n          - list: {}\n          - list: {}\n",
        list("p"),
        list("q")
    );
    let e = run(&set("", &gens, "x", "y"));
    assert!(e.apps.is_empty() && e.error.is_none());
    assert_eq!(e.not_expanded[0].generator, "/spec/generators/0/matrix");
}

#[test]
fn several_generators_in_one_element() {
    // Each generator of an element produces its own results (GetRelevantGenerators).
    let gens = "    - list:\n        elements:\n          - cluster: a\n      plugin:\n        configMapRef:\n          name: p\n";
    let e = run(&set("", gens, "{{cluster}}", "x"));
    assert_eq!(names(&e), ["a"]);
    assert_eq!(e.not_expanded[0].generator, "/spec/generators/0/plugin");
    // In a matrix child that is an error, whatever the unexpanded one would produce.
    let child = "    - matrix:\n        generators:\n          - list: {elements: [{a: p}]}\n            plugin: {configMapRef: {name: p}}\n          - list: {elements: [{b: q}]}\n";
    let err = run(&set("", child, "x", "y"))
        .error
        .unwrap_or_else(|| panic!("no error"));
    assert_eq!(err.kind, ErrorKind::ChildWithSeveralGenerators);
    assert_eq!(err.pointer, "/spec/generators/0/matrix/generators/0");
    // A matrix whose second child is external is not expanded as a whole, unless the
    // first child produces nothing (the second is never evaluated then).
    let ext = "    - matrix:\n        generators:\n          - list: {elements: [{a: p}]}\n          - pullRequest: {github: {owner: o, repo: r}}\n";
    let e = run(&set("", ext, "x", "y"));
    assert!(e.apps.is_empty() && e.error.is_none());
    assert_eq!(
        e.not_expanded[0].generator,
        "/spec/generators/0/matrix/generators/1/pullRequest"
    );
    let empty_first = "    - matrix:\n        generators:\n          - list: {elements: []}\n          - pullRequest: {github: {owner: o, repo: r}}\n";
    let e = run(&set("", empty_first, "x", "y"));
    assert!(e.complete() && e.apps.is_empty());
}

#[test]
fn yaml_1_1_booleans_are_not_strings() {
    // `enabled: yes` is a boolean to Kubernetes: a fasttemplate list rejects it.
    let e = run(&set(
        "",
        "    - list:\n        elements:\n          - cluster: a\n            enabled: yes\n",
        "{{cluster}}",
        "x",
    ));
    assert_eq!(
        e.error.map(|e| e.pointer),
        Some("/spec/generators/0/list/elements/0/enabled".to_owned())
    );
}

#[test]
fn odd_shapes_never_panic() {
    let specs = [
        "spec: 3",
        "spec:\n  generators: x",
        "spec:\n  generators: [1, null, [], {list: 3}, {list: {elements: x}}, {git: []}, {clusters: {selector: 5}}]",
        "spec:\n  generators:\n    - matrix: {generators: [{list: {elements: [{}]}}, {list: {elements: [null, 3]}}]}",
        "spec:\n  generators:\n    - merge: {mergeKeys: [[1]], generators: [{list: {elements: [{a: b}]}}, {list: {elements: [{a: b}]}}]}",
        "spec:\n  generators:\n    - list: {elements: [{a: b}], elementsYaml: '{{'}\n  template: [1]",
        "spec:\n  generators:\n    - list: {elements: [{a: b}]}\n  template: {metadata: 3, spec: {source: [{'{{a}}': '{{a'}]}}",
        "spec:\n  goTemplate: true\n  generators:\n    - list: {elements: [{a: {b: [1, {c: d}]}}]}\n  templatePatch: '{{'\n  template: {metadata: {name: '{{.a.b}}'}}",
        "spec:\n  templatePatch: '{not json'\n  generators:\n    - list: {elements: [{a: b}]}",
        "spec:\n  templatePatch: \"spec: null\\nmetadata: {finalizers: [x, null]}\"\n  generators:\n    - list: {elements: [{a: b}]}\n  template: {spec: {project: p}}",
        "spec:\n  generators:\n    - clusters: {selector: {matchExpressions: [{key: 'a/b/c', operator: In}]}, values: [1]}",
        "spec:\n  generators:\n    - git: {repoURL: 'https://github.com/acme/gitops', directories: [{path: '[', exclude: 3}], values: {a: '{{b'}}",
    ];
    let tree = MemoryTree::new(&[("a/b.yaml", "x: [")]);
    let clusters = [cluster("c", "https://c", &[], 0)];
    for s in specs {
        let e = run_with(s, &tree, &clusters);
        // Whatever happens is reported as data.
        let _ = (e.apps.len(), e.error, e.not_expanded.len());
    }
    let patched = run(
        "spec:\n  templatePatch: \"spec: null\"\n  generators:\n    - list: {elements: [{a: b}]}\n  template: {spec: {project: p}}",
    );
    // The patch removed `spec`; the project is put back.
    assert_eq!(at(&patched.apps[0], "/spec"), &json!({"project": "p"}));
}

#[test]
fn a_fasttemplate_matrix_stringifies_its_children() {
    // Alone, the number from elementsYaml is never substituted; through a matrix it is
    // printed with %v and becomes a string parameter.
    let gens = "    - matrix:\n        generators:\n          - list:\n              elementsYaml: '[{num: 7, big: 1000000}]'\n          - list: {elements: [{name: a}]}\n";
    let e = run(&set("", gens, "{{name}}-{{num}}-{{big}}", "x"));
    assert_eq!(names(&e), ["a-7-1e+06"]);
}

fn run_go(text: &str, clusters: &[ClusterEntry]) -> Expansion {
    let parsed = crate::load::yaml::parse(text);
    assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
    let set = parsed
        .documents
        .first()
        .map(|d| d.root.to_json())
        .unwrap_or(Value::Null);
    let tree = MemoryTree::default();
    let go = GoEngine::new();
    let env = Env {
        tree: &tree,
        is_this_repo: &this_repo,
        clusters,
        go: &go,
    };
    expand(&set, "argocd", &env)
}

#[test]
fn go_engine_provenance_records_which_chains_resolved() {
    // A label key with dots is one map key: the chain still resolves.
    let clusters = [cluster(
        "dev",
        "https://dev",
        &[("app.kubernetes.io/part-of", "shop")],
        0,
    )];
    let e = run_go(
        &set(
            "  goTemplate: true\n",
            "    - clusters: {selector: {matchLabels: {app.kubernetes.io/part-of: shop}}}\n",
            "{{ .name }}",
            "{{ index .metadata.labels \"app.kubernetes.io/part-of\" }}/{{ .nope }}/{{ range .metadata.annotations }}{{ . }}{{ end }}",
        ),
        &clusters,
    );
    assert!(e.complete(), "{e:?}");
    // A selector: no in-cluster default (whose missing `metadata` would fail `index`).
    assert_eq!(names(&e), ["dev"]);
    assert_eq!(at(&e.apps[0], "/spec/source/path"), "shop/<no value>/blue");
    let refs = |app: &GeneratedApp| -> Vec<(String, bool)> {
        match app.fields.get("/spec/source/path") {
            Some(Origin::Template { params, .. }) => params
                .iter()
                .map(|r| (r.name.clone(), r.resolved))
                .collect(),
            other => panic!("{other:?}"),
        }
    };
    let owned = |v: &[(&str, bool)]| -> Vec<(String, bool)> {
        v.iter().map(|(n, r)| ((*n).to_owned(), *r)).collect()
    };
    assert_eq!(
        refs(&e.apps[0]),
        owned(&[
            ("metadata.labels.app.kubernetes.io/part-of", true),
            ("nope", false),
            ("metadata.annotations", true)
        ])
    );
}

#[test]
fn go_engine_unsupported_functions_leave_the_set_unexpanded() {
    let e = run_go(
        &set(
            "  goTemplate: true\n",
            "    - list:\n        elements:\n          - cluster: a\n",
            "{{ .cluster }}",
            "{{ randAlpha 4 }}",
        ),
        &[],
    );
    assert!(e.apps.is_empty() && e.error.is_none());
    assert_eq!(e.not_expanded.len(), 1);
    assert_eq!(e.not_expanded[0].kind, "goTemplate");
    assert_eq!(
        e.not_expanded[0].generator,
        "/spec/template/spec/source/path"
    );
    assert!(
        e.not_expanded[0].reason.contains("randAlpha"),
        "{:?}",
        e.not_expanded
    );
}

#[test]
fn go_engine_errors_in_generator_values_and_patches_are_wrapped() {
    // Generator `values` are rendered with the generator's parameters (§5.3).
    let e = run_go(
        &set(
            "  goTemplate: true\n  goTemplateOptions: [missingkey=error]\n",
            "    - clusters:\n        values:\n          a: '{{ .nme }}'\n",
            "{{ .name }}",
            "x",
        ),
        &[],
    );
    let err = e.error.unwrap_or_else(|| panic!("no error"));
    assert_eq!(err.pointer, "/spec/generators/0/clusters/values/a");
    assert_eq!(err.range, Some(3..7));
    assert_eq!(
        err.message,
        "error appending templated values for local cluster: failed to replace templated string: failed to replace templated string with rendered values: failed to execute go template {{ .nme }}: template: :1:3: executing \"\" at <.nme>: map has no entry for key \"nme\""
    );
    let e = run_go(
        &set(
            "  goTemplate: true\n  goTemplateOptions: [missingkey=error]\n  templatePatch: 'metadata: {labels: {a: \"{{ .b }}\"}}'\n",
            "    - list: {elements: [{a: x}]}\n",
            "{{ .a }}",
            "x",
        ),
        &[],
    );
    let err = e.error.unwrap_or_else(|| panic!("no error"));
    assert_eq!(err.pointer, "/spec/templatePatch");
    assert_eq!(err.range, Some(27..29));
    assert_eq!(
        err.message,
        "error replacing values in templatePatch: failed to execute go template metadata: {labels: {a: \"{{ .b }}\"}}: template: :1:27: executing \"\" at <.b>: map has no entry for key \"b\""
    );
    // An unknown option panics: never wrapped, pointing at the option.
    let e = run_go(
        &set(
            "  goTemplate: true\n  goTemplateOptions: [missingkey=error, 3, nope]\n",
            "    - clusters:\n        values:\n          a: '{{ .name }}'\n",
            "{{ .name }}",
            "x",
        ),
        &[],
    );
    let err = e.error.unwrap_or_else(|| panic!("no error"));
    assert_eq!(err.kind, ErrorKind::TemplateOptions);
    assert_eq!(err.pointer, "/spec/goTemplateOptions/2");
    assert_eq!(err.message, "panic: unrecognized option: nope");
    // A string without `{{` panics too (Argo CD applies the options to every string).
    let e = run_go(
        &set(
            "  goTemplate: true\n  goTemplateOptions: [nope]\n",
            "    - list: {elements: [{a: b}]}\n",
            "fixed",
            "x",
        ),
        &[],
    );
    assert_eq!(
        e.error.map(|e| e.message),
        Some("panic: unrecognized option: nope".to_owned())
    );
}
