//! Generators Argo CD rejects, found without expanding them (semantics §5.1, §5.2):
//! every problem of every generator, not only the first one the controller stops at,
//! and also in generators the offline expansion cannot run (SCM providers, pull
//! requests).

use crate::argo::appset::escape_token;
use serde_json::Value;

/// The generator keys of `ApplicationSetGenerator`, in its field order.
pub const GENERATOR_KEYS: [&str; 9] = [
    "list",
    "clusters",
    "git",
    "scmProvider",
    "clusterDecisionResource",
    "pullRequest",
    "matrix",
    "merge",
    "plugin",
];

const SCM_PROVIDERS: [&str; 7] = [
    "github",
    "gitlab",
    "bitbucket",
    "bitbucketServer",
    "gitea",
    "azureDevOps",
    "awsCodeCommit",
];

const PULL_REQUEST_PROVIDERS: [&str; 6] = [
    "github",
    "gitlab",
    "gitea",
    "bitbucketServer",
    "bitbucket",
    "azuredevops",
];

/// Where a problem is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum At {
    /// The key of the member the pointer names (`lists:`).
    Key,
    /// The value the pointer names.
    Value,
}

/// One generator problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// JSON pointer into the ApplicationSet.
    pub pointer: String,
    pub at: At,
    pub message: String,
    /// How to fix it.
    pub help: String,
    /// For an unknown generator key: the generator it was probably meant to be.
    pub suggestion: Option<&'static str>,
}

fn problem(pointer: String, at: At, message: String, help: &str) -> Problem {
    Problem {
        pointer,
        at,
        message,
        help: help.to_owned(),
        suggestion: None,
    }
}

/// Every generator problem of the ApplicationSet `spec`.
pub fn generator_problems(spec: &Value) -> Vec<Problem> {
    let go = spec.get("goTemplate").and_then(Value::as_bool) == Some(true);
    let mut out = Vec::new();
    if let Some(Value::Array(items)) = spec.get("generators") {
        for (i, g) in items.iter().enumerate() {
            element(g, &format!("/spec/generators/{i}"), 0, go, &mut out);
        }
    }
    out
}

/// The generators an element of `generators` sets, at nesting `depth` (0 for
/// `spec.generators`; matrix and merge are not available at depth 2).
pub fn element_generators(elem: &Value, depth: usize) -> Vec<&'static str> {
    GENERATOR_KEYS
        .into_iter()
        .filter(|k| elem.get(*k).is_some_and(|v| !v.is_null()))
        .filter(|k| depth < 2 || !matches!(*k, "matrix" | "merge"))
        .collect()
}

fn element(elem: &Value, ptr: &str, depth: usize, go: bool, out: &mut Vec<Problem>) {
    let Value::Object(members) = elem else {
        out.push(problem(
            ptr.to_owned(),
            At::Value,
            "this generator is not a mapping, so Argo CD sees no generator in it".to_owned(),
            "Write the element as a mapping with one generator, such as `- list: {elements: [...]}`.",
        ));
        return;
    };
    let known = element_generators(elem, depth);
    let consequence = if depth == 0 {
        "Argo CD generates nothing for this element (the controller logs \"ApplicationSet contains unrecognized generators\")"
    } else {
        "the ApplicationSet fails with \"child generator generated no parameters\" and generates nothing"
    };
    if known.is_empty() {
        let unknown = members
            .keys()
            .find(|k| *k != "selector" && !GENERATOR_KEYS.contains(&k.as_str()));
        let nested_here = members
            .keys()
            .find(|k| depth >= 2 && matches!(k.as_str(), "matrix" | "merge"));
        let null_key = members
            .iter()
            .find(|(k, v)| v.is_null() && GENERATOR_KEYS.contains(&k.as_str()))
            .map(|(k, _)| k);
        if let Some(k) = nested_here {
            out.push(problem(
                format!("{ptr}/{}", escape_token(k)),
                At::Key,
                format!(
                    "'{k}' is nested too deep: a matrix or merge generator's children may hold one more matrix or merge, whose children cannot, so {consequence}"
                ),
                "Flatten the combination: a child of a matrix or merge can be one more matrix or merge of plain generators, no deeper.",
            ));
        } else if let Some(k) = unknown {
            let suggestion = crate::rules::did_you_mean(k, &GENERATOR_KEYS);
            let hint = suggestion
                .map(|s| format!(" (did you mean '{s}'?)"))
                .unwrap_or_default();
            out.push(Problem {
                pointer: format!("{ptr}/{}", escape_token(k)),
                at: At::Key,
                message: format!(
                    "'{k}' is not a generator{hint}; the API server drops unknown fields, so {consequence}"
                ),
                help: match suggestion {
                    Some(g) => format!("Rename the key to '{g}'."),
                    None => format!("Use one of the generators: {}.", GENERATOR_KEYS.join(", ")),
                },
                suggestion,
            });
        } else if let Some(k) = null_key {
            out.push(problem(
                format!("{ptr}/{}", escape_token(k)),
                At::Key,
                format!(
                    "generator '{k}' has no body, which Argo CD reads as no generator at all, so {consequence}"
                ),
                "Give the generator a body (`clusters: {}` selects every cluster), or remove the element.",
            ));
        } else {
            out.push(problem(
                ptr.to_owned(),
                At::Value,
                format!("this element sets no generator, so {consequence}"),
                "Add a generator to the element, or remove it.",
            ));
        }
        return;
    }
    if depth > 0 && known.len() > 1 {
        // At the second generator as written.
        let second = members
            .keys()
            .filter(|k| known.contains(&k.as_str()))
            .nth(1)
            .map_or(known[1], String::as_str);
        out.push(problem(
            format!("{ptr}/{second}"),
            At::Key,
            format!(
                "a {} child sets several generators ({}); Argo CD fails the ApplicationSet with \"found more than one generator in matrix.Generators\" and generates nothing",
                // The nearest enclosing combination is the parent.
                if ptr.rfind("/merge/") > ptr.rfind("/matrix/") { "merge" } else { "matrix" },
                known.join(", ")
            ),
            "Give each generator its own child; a matrix combines exactly two children (nest a matrix for more).",
        ));
    }
    for key in known {
        let gptr = format!("{ptr}/{key}");
        let body = elem.get(key).unwrap_or(&Value::Null);
        match key {
            "matrix" => combination(body, &gptr, depth, go, true, out),
            "merge" => combination(body, &gptr, depth, go, false, out),
            "list" => list(body, &gptr, go, out),
            "git" => {
                // `len(Directories) != 0`, `len(Files) != 0` (git.go's switch).
                let set = |k: &str| {
                    body.get(k)
                        .and_then(Value::as_array)
                        .is_some_and(|a| !a.is_empty())
                };
                if !set("directories") && !set("files") {
                    out.push(problem(
                        gptr,
                        At::Key,
                        "the git generator has neither directories nor files; Argo CD fails the ApplicationSet with \"ApplicationSet is empty\" and generates nothing".to_owned(),
                        "Add `directories` or `files` patterns to the git generator.",
                    ));
                }
            }
            "scmProvider" => provider(
                body,
                &gptr,
                &SCM_PROVIDERS,
                "no SCM provider implementation configured",
                out,
            ),
            "pullRequest" => provider(
                body,
                &gptr,
                &PULL_REQUEST_PROVIDERS,
                "no Pull Request provider implementation configured",
                out,
            ),
            _ => {}
        }
    }
}

fn provider(body: &Value, gptr: &str, names: &[&str], error: &str, out: &mut Vec<Problem>) {
    if names
        .iter()
        .any(|n| body.get(*n).is_some_and(|v| !v.is_null()))
    {
        return;
    }
    out.push(problem(
        gptr.to_owned(),
        At::Key,
        format!(
            "the generator names no provider ({}); Argo CD fails the ApplicationSet with \"{error}\" and generates nothing",
            names.join(", ")
        ),
        "Configure one provider block, such as `github: {organization: acme}`.",
    ));
}

fn combination(
    body: &Value,
    gptr: &str,
    depth: usize,
    go: bool,
    matrix: bool,
    out: &mut Vec<Problem>,
) {
    let children = match body.get("generators") {
        Some(Value::Array(c)) => c.as_slice(),
        _ => &[],
    };
    let n = children.len();
    if matrix && n != 2 {
        let error = if n < 2 {
            "found less than two generators, Matrix support only two"
        } else {
            "found more than two generators, Matrix support only two"
        };
        out.push(problem(
            gptr.to_owned(),
            At::Key,
            format!(
                "the matrix generator has {n} child generator{}; a matrix combines exactly two, and Argo CD fails the ApplicationSet with \"{error}\" and generates nothing",
                if n == 1 { "" } else { "s" }
            ),
            "Give the matrix exactly two child generators; nest another matrix to combine more.",
        ));
    }
    if !matrix {
        if n < 2 {
            out.push(problem(
                gptr.to_owned(),
                At::Key,
                format!(
                    "the merge generator has {n} child generator{}; Argo CD fails the ApplicationSet with \"found less than two generators, Merge requires two or more\" and generates nothing",
                    if n == 1 { "" } else { "s" }
                ),
                "Give the merge at least two child generators: the first is the base, the others override it.",
            ));
        }
        let keys = match body.get("mergeKeys") {
            Some(Value::Array(k)) => k.len(),
            _ => 0,
        };
        if keys == 0 {
            let (pointer, at) = match body.get("mergeKeys") {
                Some(v) if !v.is_null() => (format!("{gptr}/mergeKeys"), At::Value),
                _ => (gptr.to_owned(), At::Key),
            };
            out.push(problem(
                pointer,
                at,
                "the merge generator has no mergeKeys; Argo CD fails the ApplicationSet with \"no merge keys were specified, Merge requires at least one\" and generates nothing".to_owned(),
                "List the parameters that identify a parameter set in mergeKeys, such as `mergeKeys: [server]`.",
            ));
        }
    }
    for (i, c) in children.iter().enumerate() {
        element(c, &format!("{gptr}/generators/{i}"), depth + 1, go, out);
    }
}

fn list(body: &Value, gptr: &str, go: bool, out: &mut Vec<Problem>) {
    let Some(Value::Array(elements)) = body.get("elements") else {
        return;
    };
    for (i, el) in elements.iter().enumerate() {
        let eptr = format!("{gptr}/elements/{i}");
        let Value::Object(m) = el else {
            if !el.is_null() {
                out.push(problem(
                    eptr,
                    At::Value,
                    "a list element must be a mapping; Argo CD fails the ApplicationSet with \"error unmarshling list element json\" and generates nothing".to_owned(),
                    "Write each element as a mapping of parameter names to values.",
                ));
            }
            continue;
        };
        if go {
            continue;
        }
        for (k, v) in m {
            let at = format!("{eptr}/{}", escape_token(k));
            if k == "values" {
                let Value::Object(values) = v else {
                    out.push(problem(
                        at,
                        At::Value,
                        "'values' of a list element must be a mapping of strings; Argo CD fails the ApplicationSet with \"error parsing values map\" and generates nothing".to_owned(),
                        "Write `values` as a mapping of names to strings.",
                    ));
                    continue;
                };
                for (vk, vv) in values {
                    if !vv.is_string() {
                        out.push(not_string(format!("{at}/{}", escape_token(vk)), vv));
                    }
                }
            } else if !v.is_string() {
                out.push(not_string(at, v));
            }
        }
    }
}

fn not_string(pointer: String, v: &Value) -> Problem {
    let what = match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
        Value::String(_) => "a string",
    };
    problem(
        pointer,
        At::Value,
        format!(
            "this list element value is {what}; with goTemplate: false every value must be a string, and Argo CD fails the ApplicationSet with \"error parsing value as string\" and generates nothing"
        ),
        "Quote the value (\"2\", \"true\"), or set goTemplate: true, where element values keep their type.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn found(spec: Value) -> Vec<(String, At)> {
        generator_problems(&spec)
            .into_iter()
            .map(|p| (p.pointer, p.at))
            .collect()
    }

    fn p(s: &str, at: At) -> (String, At) {
        (s.to_owned(), at)
    }

    #[test]
    fn valid_generators_have_no_problems() {
        let spec = json!({"generators": [
            {"list": {"elements": [{"a": "b", "values": {"x": "y"}}]}},
            {"clusters": {}},
            {"git": {"repoURL": "r", "revision": "HEAD", "files": [{"path": "x"}]}},
            {"matrix": {"generators": [
                {"clusters": {}},
                {"merge": {"mergeKeys": ["a"], "generators": [{"list": {"elements": []}}, {"list": {}}]}}
            ]}},
            {"scmProvider": {"github": {"organization": "o"}}},
            {"pullRequest": {"gitea": {"owner": "o", "repo": "r"}}, "selector": {"matchLabels": {"a": "b"}}}
        ]});
        assert_eq!(found(spec), []);
    }

    /// Semantics §5.1 (unknown keys), §5.2 (matrix exactly 2, merge ≥ 2 with mergeKeys,
    /// fasttemplate list values are strings, git needs directories or files).
    #[test]
    fn rejected_generators() {
        let spec = json!({"generators": [
            {"lists": {"elements": []}},
            {"list": null},
            {"selector": {}},
            {"matrix": {"generators": [{"list": {"elements": []}}]}},
            {"merge": {"generators": [{"clusters": {}}, {"clusters": {}}]}},
            {"list": {"elements": [{"a": 1, "values": {"b": true}}, "x"]}},
            {"git": {"repoURL": "r", "revision": "HEAD"}},
            {"matrix": {"generators": [
                {"clusters": {}, "list": {"elements": []}},
                {"merge": {"mergeKeys": ["a"], "generators": [{"matrix": {}}, {"list": {}}]}}
            ]}},
            {"scmProvider": {"filters": []}}
        ]});
        assert_eq!(
            found(spec),
            [
                p("/spec/generators/0/lists", At::Key),
                p("/spec/generators/1/list", At::Key),
                p("/spec/generators/2", At::Value),
                p("/spec/generators/3/matrix", At::Key),
                p("/spec/generators/4/merge", At::Key),
                p("/spec/generators/5/list/elements/0/a", At::Value),
                p("/spec/generators/5/list/elements/0/values/b", At::Value),
                p("/spec/generators/5/list/elements/1", At::Value),
                p("/spec/generators/6/git", At::Key),
                p("/spec/generators/7/matrix/generators/0/list", At::Key),
                p(
                    "/spec/generators/7/matrix/generators/1/merge/generators/0/matrix",
                    At::Key
                ),
                p("/spec/generators/8/scmProvider", At::Key),
            ]
        );
        let problems = generator_problems(&json!({"generators": [{"lists": {}}]}));
        assert_eq!(problems[0].suggestion, Some("list"));
    }

    #[test]
    fn go_template_list_values_may_be_anything() {
        let spec = json!({"goTemplate": true, "generators": [
            {"list": {"elements": [{"a": 1, "b": {"c": [true]}}]}}
        ]});
        assert_eq!(found(spec), []);
    }
}
