//! [`GoEngine`]: the [`GoTemplates`] of `goTemplate: true` ApplicationSets, backed by
//! [`crate::argo::gotemplate`] (Go's `text/template` with sprig and Argo CD's functions).
//!
//! Argo CD's `Render.Replace` (`applicationset/utils/utils.go`) renders every string of
//! the template with `template.New("").Funcs(sprigFuncMap).Parse(s)`, applies each
//! `goTemplateOptions` entry with `Template.Option` and executes on the parameter map.
//! Its errors become `failed to parse template S: template: :1: …` and `failed to
//! execute go template S: template: :1:7: executing "" at <.path.basenme>: map has no
//! entry for key "basenme"` (the `failed to …` prefix is added by
//! [`generators::Cx`](super::generators::Cx); [`TemplateIssue::message`] is Go's error).
//!
//! The same strings are rendered once per parameter set, so parsed templates (and the
//! parameters they reference) are cached by source text. The cache is shared by the
//! threads expanding the sets of a repository and bounded in entries and bytes; when it
//! is full it starts over.
//!
//! Deviation: every string is executed on its own copy of the parameters, so a template
//! that changes them (`{{ $_ := set . "k" "v" }}`) does not affect the strings rendered
//! after it, where in Argo CD it does (in the order of the Application's Go fields).

use crate::argo::appset::{GoTemplates, IssueKind, ParamRef, TemplateIssue};
use crate::argo::gotemplate::{self, Options, Template, TemplateError};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

/// Templates kept at most.
const MAX_ENTRIES: usize = 4096;
/// Source bytes kept at most (entries hold the parsed tree too, a small multiple).
const MAX_BYTES: usize = 4 << 20;
/// Sources longer than this are parsed every time.
const MAX_CACHED_SOURCE: usize = 256 << 10;

/// The Go template engine for ApplicationSet expansion. Create one per expansion run
/// (e.g. one `appset generate`) and share it: it is `Sync` and caches parsed templates.
#[derive(Debug, Default)]
pub struct GoEngine {
    cache: Mutex<Cache>,
}

#[derive(Debug, Default)]
struct Cache {
    entries: HashMap<String, Arc<Parsed>>,
    bytes: usize,
}

/// One parsed source.
#[derive(Debug)]
struct Parsed {
    template: Result<Template, TemplateError>,
    refs: Vec<ParamRef>,
}

impl Parsed {
    fn new(src: &str) -> Parsed {
        let template = Template::parse(src);
        let refs = match &template {
            Ok(t) => t
                .field_refs()
                .into_iter()
                .map(|r| ParamRef {
                    name: r.path.join("."),
                    range: r.range,
                    resolved: false,
                })
                .collect(),
            Err(_) => Vec::new(),
        };
        Parsed { template, refs }
    }
}

impl GoEngine {
    pub fn new() -> GoEngine {
        GoEngine::default()
    }

    /// The parsed `src`, from the cache when it is there.
    fn parsed(&self, src: &str) -> Arc<Parsed> {
        if src.len() > MAX_CACHED_SOURCE {
            return Arc::new(Parsed::new(src));
        }
        if let Some(hit) = self.lock().entries.get(src) {
            return Arc::clone(hit);
        }
        // Parse without holding the lock; two threads may parse the same source once.
        let parsed = Arc::new(Parsed::new(src));
        let mut cache = self.lock();
        if cache.entries.len() >= MAX_ENTRIES || cache.bytes + src.len() > MAX_BYTES {
            cache.entries.clear();
            cache.bytes = 0;
        }
        if cache
            .entries
            .insert(src.to_owned(), Arc::clone(&parsed))
            .is_none()
        {
            cache.bytes += src.len();
        }
        parsed
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Cache> {
        // The cache holds no invariant a panic could break.
        self.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Templates in the cache (for tests).
    #[cfg(test)]
    fn cached(&self) -> usize {
        self.lock().entries.len()
    }
}

/// The issue for an engine error: Go's message for a template named `""`, as Argo CD
/// names it.
fn issue(e: &TemplateError) -> TemplateIssue {
    let (kind, message) = match e.kind {
        gotemplate::ErrorKind::Parse => (IssueKind::Parse, e.go_message("")),
        gotemplate::ErrorKind::Exec => (IssueKind::Execute, e.go_message("")),
        gotemplate::ErrorKind::Unsupported => (
            IssueKind::Unsupported,
            format!(
                "the Go template calls a function this offline expansion cannot evaluate ({})",
                e.message
            ),
        ),
        gotemplate::ErrorKind::Limit => (
            IssueKind::Unsupported,
            format!(
                "the Go template exceeds a resource limit of this offline expansion ({})",
                e.message
            ),
        ),
    };
    TemplateIssue {
        range: e.range.clone(),
        message,
        kind,
    }
}

impl GoTemplates for GoEngine {
    /// Parses (a parse error first, as Go), applies the options, executes. Options Go
    /// would panic on are reported as an `Execute` issue with the panic value;
    /// [`Cx`](super::generators::Cx) checks them with [`GoTemplates::check_options`]
    /// first and words that itself.
    fn render(&self, src: &str, data: &Value, options: &[String]) -> Result<String, TemplateIssue> {
        let parsed = self.parsed(src);
        let template = parsed.template.as_ref().map_err(issue)?;
        let opts = Options::from_go_template_options(options).map_err(|m| TemplateIssue {
            range: 0..0,
            message: format!("panic: {m}"),
            kind: IssueKind::Execute,
        })?;
        template.execute(data, &opts).map_err(|e| issue(&e))
    }

    /// Every field chain on the parameters (`.path.basename` → `path.basename`, `$.x`,
    /// `index .metadata.labels "env"` → `metadata.labels.env`), with its byte range in
    /// `src`; `resolved` is left to the caller. Chains on a dot that is not the
    /// parameters (inside `range`, or `with` on a computed value) are left out (see
    /// [`Template::field_refs`]). A source that does not parse references nothing.
    fn param_refs(&self, src: &str) -> Vec<ParamRef> {
        self.parsed(src).refs.clone()
    }

    fn check_options(&self, options: &[String]) -> Result<(), (usize, String)> {
        for (i, o) in options.iter().enumerate() {
            Options::from_go_template_options(std::slice::from_ref(o)).map_err(|m| (i, m))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn opts(o: &[&str]) -> Vec<String> {
        o.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn renders_with_go_semantics() {
        let go = GoEngine::new();
        let data = json!({"path": {"basename": "web", "segments": ["apps", "web"]}, "n": 3});
        assert_eq!(
            go.render("{{ .path.basename | upper }}-{{ .n }}", &data, &[]),
            Ok("WEB-3".to_owned())
        );
        assert_eq!(
            go.render("{{ index .path.segments 0 }}", &data, &[]),
            Ok("apps".to_owned())
        );
        // missingkey=default prints `<no value>`.
        assert_eq!(
            go.render("{{ .nope }}", &data, &[]),
            Ok("<no value>".to_owned())
        );
    }

    #[test]
    fn execution_errors_carry_gos_message_and_the_node() {
        let go = GoEngine::new();
        let src = "{{.path.basenme}}";
        let data = json!({"path": {"basename": "web"}});
        let Err(e) = go.render(src, &data, &opts(&["missingkey=error"])) else {
            panic!("must fail")
        };
        assert_eq!(e.kind, IssueKind::Execute);
        assert_eq!(
            e.message,
            "template: :1:7: executing \"\" at <.path.basenme>: map has no entry for key \"basenme\""
        );
        assert_eq!(&src[e.range], ".path.basenme");
    }

    #[test]
    fn parse_errors_carry_gos_message_and_the_token() {
        let go = GoEngine::new();
        let src = "x-{{ name }}";
        let Err(e) = go.render(src, &json!({}), &[]) else {
            panic!("must fail")
        };
        assert_eq!(e.kind, IssueKind::Parse);
        assert_eq!(e.message, "template: :1: function \"name\" not defined");
        assert_eq!(&src[e.range], "name");
        // A parse error wins over options Go would panic on (Parse runs first).
        let Err(e) = go.render(src, &json!({}), &opts(&["bogus"])) else {
            panic!("must fail")
        };
        assert_eq!(e.kind, IssueKind::Parse);
        let Err(e) = go.render("{{ .a }}", &json!({}), &opts(&["bogus"])) else {
            panic!("must fail")
        };
        assert_eq!(e.message, "panic: unrecognized option: bogus");
    }

    #[test]
    fn unpredictable_functions_are_unsupported_not_errors() {
        let go = GoEngine::new();
        let Err(e) = go.render("{{ now }}", &json!({}), &[]) else {
            panic!("must fail")
        };
        assert_eq!(e.kind, IssueKind::Unsupported);
        assert!(e.message.contains("now"), "{}", e.message);
    }

    #[test]
    fn options_are_checked_in_order() {
        let go = GoEngine::new();
        assert_eq!(go.check_options(&opts(&["missingkey=error"])), Ok(()));
        assert_eq!(
            go.check_options(&opts(&["missingkey=zero", "missingkey=invalid"])),
            Ok(())
        );
        assert_eq!(
            go.check_options(&opts(&["missingkey=error", "missingKey=error", "x"])),
            Err((1, "unrecognized option: missingKey=error".to_owned()))
        );
        assert_eq!(
            go.check_options(&opts(&[""])),
            Err((0, "empty option string".to_owned()))
        );
    }

    #[test]
    fn param_refs_are_named_by_their_chain() {
        let go = GoEngine::new();
        let src = "{{ .path.basename }}-{{ index .metadata.labels \"env\" }}{{ range .l }}{{ .x }}{{ end }}";
        let refs: Vec<(String, &str, bool)> = go
            .param_refs(src)
            .into_iter()
            .map(|r| (r.name, &src[r.range], r.resolved))
            .collect();
        assert_eq!(
            refs,
            [
                ("path.basename".to_owned(), ".path.basename", false),
                (
                    "metadata.labels.env".to_owned(),
                    "index .metadata.labels \"env\"",
                    false
                ),
                ("l".to_owned(), ".l", false),
            ]
        );
        assert!(go.param_refs("{{ .a").is_empty());
    }

    #[test]
    fn the_cache_parses_each_source_once_and_stays_bounded() {
        let go = GoEngine::new();
        let data = json!({"a": "x"});
        for _ in 0..3 {
            assert_eq!(go.render("{{ .a }}", &data, &[]), Ok("x".to_owned()));
            let _ = go.param_refs("{{ .a }}");
        }
        assert_eq!(go.cached(), 1);
        for i in 0..MAX_ENTRIES + 10 {
            let src = format!("{{{{ .a }}}}{i}");
            assert_eq!(go.render(&src, &data, &[]), Ok(format!("x{i}")));
        }
        assert!(go.cached() <= MAX_ENTRIES);
        assert!(go.lock().bytes <= MAX_BYTES);
        // Usable from many threads at once.
        std::thread::scope(|s| {
            for t in 0..4 {
                let go = &go;
                let data = &data;
                s.spawn(move || {
                    for i in 0..200 {
                        let src = format!("{{{{ .a }}}}-{}", i % 50);
                        assert_eq!(
                            go.render(&src, data, &[]),
                            Ok(format!("x-{}", i % 50)),
                            "thread {t}"
                        );
                    }
                });
            }
        });
    }
}
