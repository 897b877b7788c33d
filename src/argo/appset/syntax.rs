//! Which template syntax a string is written in, without rendering it (semantics §5.3):
//! Go template actions in a fasttemplate ApplicationSet (`{{.path.basename}}`, left
//! verbatim), and identifiers Go would call as functions in a goTemplate ApplicationSet
//! (`{{cluster}}`: `function "cluster" not defined`, issue #19106).
//!
//! The function names are the Go template engine's ([`crate::argo::gotemplate`]): Go's
//! `text/template` builtins, sprig's `TxtFuncMap` without `env`, `expandenv` and
//! `getHostByName` (Argo CD removes them), and Argo CD's own.

use crate::argo::appset::fasttemplate;
use std::ops::Range;

/// Go `text/template` keywords and predefined constants.
const KEYWORDS: &[&str] = &[
    "if", "else", "end", "range", "with", "define", "template", "block", "break", "continue",
    "nil", "true", "false",
];

/// Whether Go templates in an ApplicationSet know `name` as a function (the engine's own
/// table: Go's builtins, sprig's, Argo CD's).
pub fn is_function(name: &str) -> bool {
    crate::argo::gotemplate::is_function(name)
}

/// An identifier Go would call as a function that no ApplicationSet template defines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UndefinedFunction {
    pub name: String,
    /// Byte range of the identifier in the string.
    pub range: Range<usize>,
    /// Byte range of the whole action, `{{` to `}}`.
    pub action: Range<usize>,
}

/// The identifiers of `s`'s Go template actions that are neither keywords nor known
/// functions: with `goTemplate: true`, `{{cluster}}` fails to parse with
/// `function "cluster" not defined` and the ApplicationSet generates nothing.
pub fn undefined_functions(s: &str) -> Vec<UndefinedFunction> {
    let mut out = Vec::new();
    for action in actions(s) {
        let body = &s[action.body.clone()];
        let bytes = body.as_bytes();
        if body.trim_start().starts_with("/*") {
            continue;
        }
        let mut i = 0;
        while i < bytes.len() {
            let c = bytes[i];
            match c {
                b'"' => i = skip_quoted(bytes, i, b'"'),
                b'\'' => i = skip_quoted(bytes, i, b'\''),
                b'`' => {
                    i += 1;
                    while i < bytes.len() && bytes[i] != b'`' {
                        i += 1;
                    }
                    i += 1;
                }
                b'0'..=b'9' => {
                    i += 1;
                    while i < bytes.len() {
                        let d = bytes[i];
                        let exp_sign = matches!(d, b'+' | b'-')
                            && matches!(bytes[i - 1], b'e' | b'E' | b'p' | b'P');
                        if d.is_ascii_alphanumeric() || d == b'_' || d == b'.' || exp_sign {
                            i += 1;
                        } else {
                            break;
                        }
                    }
                }
                b'.' | b'$' => {
                    // A field chain or a variable, with its fields.
                    i += 1;
                    while i < bytes.len() && (is_ident(bytes[i]) || bytes[i] == b'.') {
                        i += 1;
                    }
                }
                c if is_ident_start(c) => {
                    let start = i;
                    while i < bytes.len() && is_ident(bytes[i]) {
                        i += 1;
                    }
                    let name = &body[start..i];
                    if !KEYWORDS.contains(&name) && !is_function(name) {
                        let at = action.body.start + start;
                        out.push(UndefinedFunction {
                            name: name.to_owned(),
                            range: at..at + name.len(),
                            action: action.whole.clone(),
                        });
                    }
                    // `name.field`: the fields are not functions.
                    while i < bytes.len() && (is_ident(bytes[i]) || bytes[i] == b'.') {
                        i += 1;
                    }
                }
                _ => i += 1,
            }
        }
    }
    out
}

/// A fasttemplate tag (`{{…}}`) written as a Go template action: fasttemplate looks up
/// a parameter named by the whole tag (`.path.basename`), finds none and leaves the tag
/// in the output.
pub fn go_actions_in_fasttemplate(s: &str) -> Vec<fasttemplate::Tag> {
    if !fasttemplate::is_templated(s) {
        return Vec::new();
    }
    let Ok(tags) = fasttemplate::tags(s) else {
        return Vec::new();
    };
    tags.into_iter()
        .filter(|t| looks_like_go(&t.name))
        .collect()
}

/// Whether a trimmed tag reads as a Go template action rather than a parameter name.
pub fn looks_like_go(name: &str) -> bool {
    if name.is_empty() {
        return false;
    }
    name.starts_with(['.', '$'])
        || name.starts_with("- ")
        || name.starts_with("-.")
        || name.starts_with("/*")
        || name.ends_with(" -")
        || name.contains(|c: char| c.is_whitespace() || matches!(c, '|' | '(' | '"' | '`'))
        || matches!(name, "end" | "else")
}

struct Action {
    whole: Range<usize>,
    body: Range<usize>,
}

/// The actions of a Go template, `{{` to the `}}` that closes it outside quotes, with
/// trim markers (`{{- `, ` -}}`) excluded from the body. An unclosed action ends the
/// scan.
fn actions(s: &str) -> Vec<Action> {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut pos = 0;
    while let Some(i) = s[pos..].find("{{") {
        let start = pos + i;
        let mut body_start = start + 2;
        if bytes.get(body_start) == Some(&b'-')
            && bytes
                .get(body_start + 1)
                .is_some_and(u8::is_ascii_whitespace)
        {
            body_start += 1;
        }
        let mut j = body_start;
        let mut end = None;
        while j < bytes.len() {
            match bytes[j] {
                b'"' => j = skip_quoted(bytes, j, b'"'),
                b'\'' => j = skip_quoted(bytes, j, b'\''),
                b'`' => {
                    j += 1;
                    while j < bytes.len() && bytes[j] != b'`' {
                        j += 1;
                    }
                    j += 1;
                }
                b'}' if bytes.get(j + 1) == Some(&b'}') => {
                    end = Some(j);
                    break;
                }
                _ => j += 1,
            }
        }
        let Some(close) = end else { break };
        let mut body_end = close;
        if body_end > body_start
            && bytes[body_end - 1] == b'-'
            && body_end - 1 > body_start
            && bytes[body_end - 2].is_ascii_whitespace()
        {
            body_end -= 1;
        }
        out.push(Action {
            whole: start..close + 2,
            body: body_start..body_end.max(body_start),
        });
        pos = close + 2;
    }
    out
}

/// The index after a quoted literal starting at `i`.
fn skip_quoted(bytes: &[u8], mut i: usize, quote: u8) -> usize {
    i += 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            c if c == quote => return i + 1,
            _ => i += 1,
        }
    }
    i
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn functions_are_the_engines() {
        // Removed by Argo CD (semantics §5.3).
        for f in ["env", "expandenv", "getHostByName"] {
            assert!(!is_function(f), "{f}");
        }
        for f in [
            "normalize",
            "slugify",
            "toYaml",
            "fromYaml",
            "fromYamlArray",
            "index",
        ] {
            assert!(is_function(f), "{f}");
        }
    }

    fn undefined(s: &str) -> Vec<(String, &str)> {
        undefined_functions(s)
            .into_iter()
            .map(|u| (u.name, &s[u.range]))
            .collect()
    }

    /// Semantics §5.3, "Mixing syntaxes": `{{name}}` is a call of the function `name`.
    #[test]
    fn fasttemplate_tags_in_go_templates_are_undefined_functions() {
        assert_eq!(
            undefined("app-{{cluster}}"),
            [("cluster".to_owned(), "cluster")]
        );
        assert_eq!(
            undefined("{{ path.basename }}"),
            [("path".to_owned(), "path")]
        );
        assert_eq!(
            undefined("{{- name -}}/{{path[0]}}"),
            [("name".to_owned(), "name"), ("path".to_owned(), "path")]
        );
        // `values` is a sprig function: `{{values.x}}` parses (as a call of it) and
        // fails when executed, which the expansion reports.
        assert_eq!(undefined("{{ values.x }}"), []);
        assert_eq!(undefined("{{ env \"HOME\" }}"), [("env".to_owned(), "env")]);
    }

    #[test]
    fn valid_go_templates_have_no_undefined_functions() {
        for s in [
            "{{.path.basename}}",
            "{{ .name | lower }}",
            "{{ index .metadata.labels \"env\" }}",
            "{{- if eq .env \"prod\" }}prod{{ else }}other{{ end -}}",
            "{{ range $i, $s := .path.segments }}{{ $s }}{{ end }}",
            "{{ printf \"%s-%d\" .name 3 }}",
            "{{ default \"x\" .missing }}",
            "{{/* a comment with words */}}",
            "{{ .values.x | default `raw {{ y }}` }}",
            "{{ add 1 2.5e-3 }}",
            "{{ (.a).b }}",
            "{{ $x := .a }}{{ $x.b }}",
            "{{ nil }}{{ true }}",
            "plain text",
        ] {
            assert_eq!(undefined(s), [], "{s}");
        }
    }

    #[test]
    fn go_actions_written_in_fasttemplate_sets() {
        let tags = |s: &str| -> Vec<String> {
            go_actions_in_fasttemplate(s)
                .into_iter()
                .map(|t| s[t.range].to_owned())
                .collect()
        };
        assert_eq!(tags("{{.path.basename}}"), ["{{.path.basename}}"]);
        assert_eq!(
            tags("a-{{ index .metadata.labels \"env\" }}-{{name}}"),
            ["{{ index .metadata.labels \"env\" }}"]
        );
        assert_eq!(tags("{{- .x -}}"), ["{{- .x -}}"]);
        assert_eq!(tags("{{ $x }}"), ["{{ $x }}"]);
        assert_eq!(tags("{{ name | lower }}"), ["{{ name | lower }}"]);
        // Parameter names, with fasttemplate's trimming.
        for s in [
            "{{name}}",
            "{{ path.basename }}",
            "{{path[0]}}",
            "{{metadata.labels.env}}",
            "{{values.x}}",
            "{{}}",
            "no tags",
        ] {
            assert_eq!(tags(s), Vec::<String>::new(), "{s}");
        }
    }
}
