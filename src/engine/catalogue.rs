//! The rule catalogue: every rule's metadata and documentation, loaded from the YAML
//! declarations embedded from `rules/` and from users' own rule directories, with the
//! same loader and the same validation.

use crate::diagnostic::Severity;
use crate::engine::declarative::Check;
use crate::load::yaml::{self, Node};
use std::collections::HashMap;
use std::path::Path;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/rules.rs"));
}

pub use embedded::EMBEDDED_RULES;

/// The documentation headings every rule must have, in order.
pub const DOC_HEADINGS: [&str; 5] = [
    "## What it does",
    "## Why is this bad?",
    "## Example",
    "## Use instead",
    "## References",
];

pub const CATEGORIES: [(&str, &str); 8] = [
    ("GO", "general"),
    ("APP", "application"),
    ("PRJ", "project"),
    ("SET", "applicationset"),
    ("SYN", "sync"),
    ("IGN", "ignore-differences"),
    ("SEC", "security"),
    ("LIVE", "live"),
];

#[derive(Debug)]
pub struct RuleMeta {
    pub code: String,
    pub name: String,
    pub category: String,
    pub severity: Severity,
    pub summary: String,
    pub help: String,
    pub docs: String,
    /// Present for declarative rules.
    pub check: Option<Check>,
    /// What the rule needs besides the repository: `Some("cluster")` for the LIVE rules,
    /// which only `drift` reports (their doc examples name the live objects in
    /// `# file: cluster/…` files, and their fixtures live in `tests/drift.rs`).
    pub requires: Option<String>,
    /// Where the declaration came from (`rules/sync/SYN001-invalid-sync-wave.yaml`).
    pub origin: String,
    pub builtin: bool,
}

impl RuleMeta {
    /// The fenced YAML block under a documentation heading.
    pub fn doc_example(&self, heading: &str) -> Option<String> {
        let start = self.docs.find(heading)? + heading.len();
        let rest = &self.docs[start..];
        let rest = &rest[..rest.find("\n## ").unwrap_or(rest.len())];
        let open = rest.find("```yaml")? + "```yaml".len();
        let body = &rest[open..];
        let close = body.find("```")?;
        Some(body[..close].trim_start_matches('\n').to_owned())
    }

    pub fn help_uri(&self) -> String {
        format!(
            "https://github.com/kubectl-gitops/kubectl-gitops/blob/main/{}",
            if self.builtin {
                &self.origin
            } else {
                "rules/README.md"
            }
        )
    }
}

#[derive(Debug, Default)]
pub struct Catalogue {
    rules: Vec<RuleMeta>,
    by_code: HashMap<String, usize>,
    by_name: HashMap<String, usize>,
}

#[derive(Debug, thiserror::Error)]
#[error("{origin}:{line}:{column}: {message}")]
pub struct RuleFileError {
    pub origin: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl Catalogue {
    /// The built-in catalogue. A broken embedded rule is a bug caught by the test suite;
    /// here it is reported, not panicked on.
    pub fn builtin() -> Result<Catalogue, RuleFileError> {
        let mut c = Catalogue::default();
        for (origin, text) in EMBEDDED_RULES {
            c.add(parse_rule(origin, text, true)?)?;
        }
        Ok(c)
    }

    /// Adds every `*.yaml` rule file under `dir` (recursively, in sorted order).
    pub fn load_dir(&mut self, dir: &Path) -> Result<usize, RuleFileError> {
        let err = |m: String| RuleFileError {
            origin: dir.display().to_string(),
            line: 1,
            column: 1,
            message: m,
        };
        if !dir.is_dir() {
            return Err(err(
                "rule directory does not exist or is not a directory".into()
            ));
        }
        let mut files = Vec::new();
        for e in ignore::WalkBuilder::new(dir)
            .standard_filters(false)
            .build()
        {
            let e = e.map_err(|e| err(e.to_string()))?;
            if e.file_type().is_some_and(|t| t.is_file())
                && e.path()
                    .extension()
                    .is_some_and(|x| x == "yaml" || x == "yml")
            {
                files.push(e.into_path());
            }
        }
        files.sort();
        for f in &files {
            let text = std::fs::read_to_string(f).map_err(|e| RuleFileError {
                origin: f.display().to_string(),
                line: 1,
                column: 1,
                message: format!("cannot read rule file: {e}"),
            })?;
            let rule = parse_rule(&f.display().to_string(), &text, false)?;
            if rule.check.is_none() {
                return Err(RuleFileError {
                    origin: f.display().to_string(),
                    line: 1,
                    column: 1,
                    message: "a user rule needs a `check` (only built-in rules are native)".into(),
                });
            }
            self.add(rule)?;
        }
        Ok(files.len())
    }

    fn add(&mut self, rule: RuleMeta) -> Result<(), RuleFileError> {
        let dup = |what: &str, v: &str| RuleFileError {
            origin: rule.origin.clone(),
            line: 1,
            column: 1,
            message: format!("{what} '{v}' is already used by another rule"),
        };
        if self.by_code.contains_key(&rule.code) {
            return Err(dup("code", &rule.code));
        }
        if self.by_name.contains_key(&rule.name) || self.by_code.contains_key(&rule.name) {
            return Err(dup("name", &rule.name));
        }
        let i = self.rules.len();
        self.by_code.insert(rule.code.clone(), i);
        self.by_name.insert(rule.name.clone(), i);
        self.rules.push(rule);
        Ok(())
    }

    /// Rules sorted by category order, then code.
    pub fn rules(&self) -> Vec<&RuleMeta> {
        let mut v: Vec<&RuleMeta> = self.rules.iter().collect();
        v.sort_by_key(|r| (category_rank(&r.code), r.code.clone()));
        v
    }

    pub fn get(&self, code_or_name: &str) -> Option<&RuleMeta> {
        let upper = code_or_name.to_ascii_uppercase();
        self.by_code
            .get(&upper)
            .or_else(|| self.by_name.get(&code_or_name.to_ascii_lowercase()))
            .map(|&i| &self.rules[i])
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

fn category_rank(code: &str) -> usize {
    let prefix: String = code.chars().take_while(char::is_ascii_uppercase).collect();
    CATEGORIES
        .iter()
        .position(|(p, _)| *p == prefix)
        .unwrap_or(CATEGORIES.len())
}

const RULE_KEYS: [&str; 10] = [
    "code", "name", "category", "severity", "summary", "help", "docs", "check", "message",
    "requires",
];

/// The values `requires:` accepts.
pub const REQUIREMENTS: [&str; 1] = ["cluster"];

/// Parses and validates one rule declaration.
pub fn parse_rule(origin: &str, text: &str, builtin: bool) -> Result<RuleMeta, RuleFileError> {
    let parsed = yaml::parse(text);
    let file = crate::source::SourceFile::new(origin.to_owned(), origin.into(), text.into());
    let at = |offset: u32, message: String| {
        let lc = file.line_col(offset);
        RuleFileError {
            origin: origin.to_owned(),
            line: lc.line,
            column: lc.column,
            message,
        }
    };
    if let Some(p) = parsed.problems.first() {
        return Err(match p {
            yaml::Problem::Syntax { start, message, .. } => {
                at(*start, format!("invalid YAML: {message}"))
            }
            yaml::Problem::DuplicateKey { key, start, .. } => {
                at(*start, format!("duplicate key '{key}'"))
            }
        });
    }
    let [doc] = parsed.documents.as_slice() else {
        return Err(at(0, "a rule file holds exactly one YAML document".into()));
    };
    let root = &doc.root;
    if !root.is_map() {
        return Err(at(root.start, "a rule file must be a mapping".into()));
    }
    for e in root.entries() {
        let k = e.key.key_string().unwrap_or_default();
        if !RULE_KEYS.contains(&k.as_str()) {
            return Err(at(
                e.key.start,
                format!(
                    "unknown key '{k}' (expected one of: {})",
                    RULE_KEYS.join(", ")
                ),
            ));
        }
    }
    let field = |key: &str, required: bool| -> Result<Option<String>, RuleFileError> {
        match root.get(key) {
            Some(n) => match n.as_str() {
                Some(s) if !s.trim().is_empty() => Ok(Some(s.to_owned())),
                _ => Err(at(n.start, format!("'{key}' must be a non-empty string"))),
            },
            None if required => Err(at(root.start, format!("missing required key '{key}'"))),
            None => Ok(None),
        }
    };
    let code = field("code", true)?.unwrap_or_default();
    let code_node = root.get("code").unwrap_or(root);
    let prefix: String = code.chars().take_while(char::is_ascii_uppercase).collect();
    let digits = &code[prefix.len()..];
    if prefix.is_empty() || digits.len() != 3 || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(at(
            code_node.start,
            format!("code '{code}' must be an upper-case prefix and three digits (PRJ002)"),
        ));
    }
    let name = field("name", true)?.unwrap_or_default();
    if !name.split('-').all(|w| {
        !w.is_empty()
            && w.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    }) {
        return Err(at(
            root.get("name").map_or(0, |n| n.start),
            format!("name '{name}' must be kebab-case (source-not-permitted)"),
        ));
    }
    let severity_text = field("severity", true)?.unwrap_or_default();
    let severity: Severity = severity_text
        .parse()
        .map_err(|e: String| at(root.get("severity").map_or(0, |n| n.start), e))?;
    let category = field("category", true)?.unwrap_or_default();
    let summary = field("summary", true)?.unwrap_or_default();
    let help = field("help", true)?.unwrap_or_default();
    let docs = field("docs", builtin)?.unwrap_or_default();
    if builtin {
        let known = CATEGORIES
            .iter()
            .any(|(p, c)| *p == prefix && *c == category);
        if !known {
            return Err(at(
                root.get("category").map_or(0, |n| n.start),
                format!("category '{category}' does not match the code prefix '{prefix}'"),
            ));
        }
    }
    let requires = field("requires", false)?;
    if let Some(r) = &requires
        && !REQUIREMENTS.contains(&r.as_str())
    {
        return Err(at(
            root.get("requires").map_or(0, |n| n.start),
            format!(
                "unknown requirement '{r}' (expected one of: {})",
                REQUIREMENTS.join(", ")
            ),
        ));
    }
    let check = match root.get("check") {
        None => None,
        Some(n) => Some(Check::parse(n, root.get("message")).map_err(|(offset, m)| at(offset, m))?),
    };
    if check.is_none() && root.get("message").is_some() {
        return Err(at(
            root.get("message").map_or(0, |n| n.start),
            "'message' belongs to declarative rules (with a 'check')".into(),
        ));
    }
    Ok(RuleMeta {
        code,
        name,
        category,
        severity,
        summary,
        help,
        docs,
        check,
        requires,
        origin: origin.to_owned(),
        builtin,
    })
}

/// Helper for declarative parsing: a node's string value.
pub(crate) fn node_str<'a>(n: &'a Node, what: &str) -> Result<&'a str, (u32, String)> {
    n.as_str()
        .ok_or((n.start, format!("'{what}' must be a string")))
}
