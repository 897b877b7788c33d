//! Go's `text/template` as ApplicationSets use it (`goTemplate: true`), with the sprig
//! functions and Argo CD's own (`normalize`, `slugify`, `toYaml`, `fromYaml`,
//! `fromYamlArray`, `tpl`). Semantics notes §5.3.
//!
//! Argo CD renders every string field of an ApplicationSet template with
//! `template.New("").Funcs(sprigFuncMap).Parse(field)`, applies `goTemplateOptions` with
//! `Template.Option`, and executes it on the parameter map. This module reproduces
//! that: the lexer, parser and executor follow Go's `text/template` (Go 1.24+: `break`,
//! `continue`, `range` over integers, `else with`), values carry their Go types
//! (parameters decoded from JSON hold `float64` numbers, so `eq .replicas 1` fails with
//! Go's "incompatible types for comparison"), output is formatted like Go's `fmt`, and
//! errors carry Go's message together with the byte range of the node at fault.
//!
//! ```
//! use kubectl_gitops::argo::gotemplate::{Options, Template};
//! let t = Template::parse("{{ .path.basename | upper }}").unwrap();
//! let data = serde_json::json!({"path": {"basename": "guestbook"}});
//! assert_eq!(t.execute(&data, &Options::default()).unwrap(), "GUESTBOOK");
//! ```
//!
//! Decisions and known deviations from Go are listed in [`DEVIATIONS`].

mod builtins;
mod digest;
mod encode;
mod exec;
mod funcs;
mod gofmt;
mod lex;
mod parse;
mod refs;
mod sprig;
mod value;

#[cfg(test)]
mod tests;

use std::ops::Range;

pub use funcs::{function_names, is_function};
/// Go standard-library helpers the ApplicationSet generators share with the template engine.
pub use gofmt::quote;
pub use refs::FieldRef;
pub use sprig::{base_path as path_base, clean_path as path_clean, dir_path as path_dir};

/// Decisions and known differences from Go's `text/template` + sprig, for readers of
/// diagnostics built on this module.
pub const DEVIATIONS: &str = "\
- Numbers in parameters are float64 (Argo CD decodes list elements, elementsYaml, git files \
and cluster values through JSON), so `{{ .n }}` prints 1 for 1.0 and 1e+06 for 1000000, like Go.
- Resource limits (steps, output size, template depth, nesting) end hostile templates with a \
Limit error where Go would run on or overflow its stack.
- Functions that are not deterministic (now, date*, rand*, uuidv4, genPrivateKey, …) or not \
implemented (semver, crypto, urlParse, …) parse but return an Unsupported error when called.
- Strings are UTF-8: a \\x escape or byte slice that produces invalid UTF-8 becomes U+FFFD.
- Regular expressions use the Rust `regex` crate (RE2 syntax like Go); `\\d`, `\\w`, `\\s` are \
rewritten to their ASCII meaning as in Go; error texts of invalid patterns differ.
- sprig's `keys` and `values` return map order in Go (random); here keys are sorted and values \
follow key order.
- YAML emitted by toYaml follows go-yaml v2's choices for the common cases (plain vs quoted \
scalars, literal blocks for multi-line strings); exotic strings may be quoted differently.
- unicode.IsLetter/IsDigit/IsPrint are approximated by Rust's character classes.
- `Template::execute` converts the parameters afresh, so a template that mutates `.` with \
`set` does not affect later executions; use `Data` + `Template::execute_data` to share one \
parameter map across the fields of an Application as Argo CD does.
- The error for eq/lt on mismatched kinds is Go 1.25's `incompatible types for comparison: \
float64 and int` (Go ≤ 1.24 said `incompatible types for comparison`).";

/// What went wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// `Template.Parse` fails (Go checks functions and variables at parse time).
    Parse,
    /// `Template.Execute` fails.
    Exec,
    /// The template calls something this engine cannot evaluate offline (a
    /// non-deterministic or unimplemented function): Argo CD may well succeed.
    Unsupported,
    /// A resource limit was hit (see [`Limits`]).
    Limit,
}

/// A template error with Go's message and the byte range of the node at fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateError {
    pub kind: ErrorKind,
    /// Byte range in the template source.
    pub range: Range<usize>,
    /// Go's message without the `template: …:` prefix, e.g.
    /// `map has no entry for key "basenme"`.
    pub message: String,
    /// 1-based line Go reports.
    pub line: usize,
    /// 0-based byte column Go reports (execution errors only).
    pub col: usize,
    /// Go's `<context>`: the text of the node being executed (execution errors only).
    pub context: Option<String>,
    /// Parse errors inside an action that started on an earlier line.
    pub action_line: Option<usize>,
}

impl TemplateError {
    /// The error text Go would produce for a template named `name` (Argo CD names its
    /// templates `""`), e.g. ``template: :1:7: executing "" at <.path.basenme>: map has
    /// no entry for key "basenme"``.
    pub fn go_message(&self, name: &str) -> String {
        match self.kind {
            ErrorKind::Parse => {
                let mut s = format!("template: {name}:{}: {}", self.line, self.message);
                if let Some(l) = self.action_line {
                    if self.message.ends_with(" action") {
                        s.push_str(&format!(" started at {name}:{l}"));
                    } else {
                        s.push_str(&format!(" in action started at {name}:{l}"));
                    }
                }
                s
            }
            _ => match &self.context {
                Some(ctx) => format!(
                    "template: {name}:{}:{}: executing {} at <{ctx}>: {}",
                    self.line,
                    self.col,
                    gofmt::quote(name),
                    self.message
                ),
                None => format!("template: {name}: {}", self.message),
            },
        }
    }
}

impl std::fmt::Display for TemplateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.go_message(""))
    }
}

impl std::error::Error for TemplateError {}

/// Go's `missingkey` option.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MissingKey {
    /// `default` / `invalid`: a missing key is "no value" (printed `<no value>`).
    #[default]
    Default,
    /// `zero`: the zero value of the map's element type (still `<no value>` for Argo CD's
    /// `map[string]interface{}`, a Go quirk).
    Zero,
    /// `error`: execution stops with `map has no entry for key "x"`.
    Error,
}

/// Bounds that keep a hostile template from hanging or exhausting memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Nodes walked, commands evaluated and loop iterations, in total.
    pub max_steps: u64,
    /// Bytes of output.
    pub max_output: usize,
    /// Nested `{{template}}` calls (Go allows 100000).
    pub max_template_depth: usize,
    /// Nested evaluation (pipelines within pipelines, control structures, template calls).
    pub max_nesting: usize,
    /// Bytes of one string or elements of one list built by a function.
    pub max_value_len: usize,
    /// Bytes, elements and entries of all function results together.
    pub max_alloc: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_steps: 1_000_000,
            max_output: 1 << 20,
            max_template_depth: 100,
            max_nesting: 200,
            max_value_len: 1 << 20,
            max_alloc: 1 << 23,
        }
    }
}

/// Execution options.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    pub missing_key: MissingKey,
    pub limits: Limits,
}

impl Options {
    /// Applies an ApplicationSet's `goTemplateOptions` the way Go's `Template.Option`
    /// does. Go panics on anything else (`unrecognized option: …`, `empty option
    /// string`); the panic text is returned as the error.
    pub fn from_go_template_options(opts: &[String]) -> Result<Options, String> {
        let mut o = Options::default();
        for opt in opts {
            if opt.is_empty() {
                return Err("empty option string".into());
            }
            let parsed = match opt.split_once('=') {
                Some(("missingkey", "invalid" | "default")) => Some(MissingKey::Default),
                Some(("missingkey", "zero")) => Some(MissingKey::Zero),
                Some(("missingkey", "error")) => Some(MissingKey::Error),
                _ => None,
            };
            match parsed {
                Some(m) => o.missing_key = m,
                None => return Err(format!("unrecognized option: {opt}")),
            }
        }
        Ok(o)
    }
}

/// A parsed template (with its `{{define}}`d and `{{block}}` templates).
#[derive(Clone, Debug)]
pub struct Template {
    src: String,
    set: parse::TreeSet,
}

impl Template {
    /// Parses like `template.New("").Funcs(sprigFuncMap).Parse(src)` in Argo CD.
    pub fn parse(src: &str) -> Result<Template, TemplateError> {
        match parse::parse(src, &funcs::is_function) {
            Ok(set) => Ok(Template {
                src: src.to_string(),
                set,
            }),
            Err(e) => Err(TemplateError {
                kind: if e.limit {
                    ErrorKind::Limit
                } else {
                    ErrorKind::Parse
                },
                range: e.start..e.end.max(e.start),
                message: e.message,
                line: e.line,
                col: 0,
                context: None,
                action_line: e.action_line,
            }),
        }
    }

    /// The source text.
    pub fn source(&self) -> &str {
        &self.src
    }

    /// Names of the templates `{{define}}`d in the source (not the top-level one).
    pub fn defined_templates(&self) -> Vec<&str> {
        self.set
            .trees
            .keys()
            .filter(|k| !k.is_empty())
            .map(String::as_str)
            .collect()
    }

    /// The field chains on the data the template reads (`.path.basename`, `$.x`,
    /// `index .metadata.labels "env"`, …), sorted by position; see [`FieldRef`] and the
    /// rules in `refs.rs` for what counts when dot changes (`range`, `with`).
    pub fn field_refs(&self) -> Vec<FieldRef> {
        refs::field_refs(&self.set)
    }

    /// Executes on `data` (the parameter map, `.` in the template).
    pub fn execute(
        &self,
        data: &serde_json::Value,
        opts: &Options,
    ) -> Result<String, TemplateError> {
        exec::execute(&self.src, &self.set, data, opts)
    }
}

/// Parameters converted once for many executions (one ApplicationSet parameter set
/// rendered into every field of the template). As in Argo CD, where every field is
/// rendered with the same `map[string]interface{}`, a template that changes the data
/// (`{{ $_ := set . "k" "v" }}`) changes it for the fields rendered after it.
pub struct Data {
    root: value::Val,
    heap: std::cell::RefCell<value::Heap>,
}

impl Data {
    /// Converts JSON the way Go's `encoding/json` decodes into `interface{}` (numbers
    /// become `float64`).
    pub fn new(json: &serde_json::Value) -> Data {
        let mut heap = value::Heap::default();
        let root = heap.load_json(json);
        Data {
            root,
            heap: std::cell::RefCell::new(heap),
        }
    }
}

impl Drop for Data {
    fn drop(&mut self) {
        self.heap.get_mut().clear();
    }
}

impl std::fmt::Debug for Data {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Data { .. }")
    }
}

impl Template {
    /// Executes on prepared [`Data`].
    pub fn execute_data(&self, data: &Data, opts: &Options) -> Result<String, TemplateError> {
        let Ok(mut heap) = data.heap.try_borrow_mut() else {
            return Err(TemplateError {
                kind: ErrorKind::Limit,
                range: 0..0,
                message: "data is in use by another execution".into(),
                line: 1,
                col: 0,
                context: None,
                action_line: None,
            });
        };
        exec::execute_on(&self.src, &self.set, &data.root, &mut heap, opts)
    }
}

/// Parses and executes in one go, as Argo CD's `Render.Replace` does for one field.
pub fn render(
    src: &str,
    data: &serde_json::Value,
    opts: &Options,
) -> Result<String, TemplateError> {
    Template::parse(src)?.execute(data, opts)
}
