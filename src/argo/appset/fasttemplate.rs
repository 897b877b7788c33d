//! The default ApplicationSet template engine (`goTemplate: false`): `valyala/fasttemplate`
//! with `{{` and `}}`, as `utils.Render.Replace` drives it (semantics §5.3).
//!
//! - A string is only templated when some line of it holds `{{` followed later on the same
//!   line by `}}` (Argo CD's `.*{{.*}}.*` test, where `.` does not cross a newline);
//!   otherwise it is returned untouched, even if it has tags spread over lines.
//! - A tag is the text between `{{` and the next `}}`; whitespace around it is trimmed.
//! - A tag is replaced only when the trimmed name is a parameter whose value is a string.
//!   Unknown names, non-string values and empty tags are written back verbatim,
//!   `{{` + the untrimmed tag + `}}`.
//! - A `{{` without a later `}}` fails the whole template (`Cannot find end tag=…`).

use crate::argo::appset::golang::quote;
use serde_json::{Map, Value};
use std::ops::Range;

/// A tag of a template string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    /// Byte range of the whole tag, braces included, in the template string.
    pub range: Range<usize>,
    /// The trimmed parameter name.
    pub name: String,
}

/// The result of rendering one string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub text: String,
    /// Every tag of the string with whether a parameter replaced it; empty when the string
    /// was not templated at all.
    pub tags: Vec<(Tag, bool)>,
}

/// `.*{{.*}}.*`: some line holds `{{` and, after it, `}}`.
pub fn is_templated(s: &str) -> bool {
    s.split('\n').any(|line| {
        line.find("{{")
            .is_some_and(|i| line[i + 2..].contains("}}"))
    })
}

/// The tags of a string as fasttemplate splits it, or the error it reports.
pub fn tags(s: &str) -> Result<Vec<Tag>, String> {
    let mut out = Vec::new();
    let mut pos = 0;
    while let Some(i) = s[pos..].find("{{") {
        let start = pos + i;
        let body = start + 2;
        let Some(j) = s[body..].find("}}") else {
            return Err(format!(
                "invalid template: Cannot find end tag={} in the template={} starting from {}",
                quote("}}"),
                quote(s),
                quote(&s[body..])
            ));
        };
        let end = body + j + 2;
        out.push(Tag {
            range: start..end,
            name: s[body..body + j].trim().to_owned(),
        });
        pos = end;
    }
    Ok(out)
}

/// `Render.Replace(tmpl, params, false, …)`.
pub fn render(s: &str, params: &Map<String, Value>) -> Result<Rendered, String> {
    if !is_templated(s) {
        return Ok(Rendered {
            text: s.to_owned(),
            tags: Vec::new(),
        });
    }
    let tags = tags(s)?;
    let mut text = String::with_capacity(s.len());
    let mut last = 0;
    let mut out_tags = Vec::with_capacity(tags.len());
    for tag in tags {
        text.push_str(&s[last..tag.range.start]);
        match params.get(&tag.name) {
            Some(Value::String(v)) if !tag.name.is_empty() => {
                text.push_str(v);
                out_tags.push((tag.clone(), true));
            }
            _ => {
                text.push_str(&s[tag.range.clone()]);
                out_tags.push((tag.clone(), false));
            }
        }
        last = tag.range.end;
    }
    text.push_str(&s[last..]);
    Ok(Rendered {
        text,
        tags: out_tags,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn params(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn replaces_string_params_and_keeps_the_rest_verbatim() {
        // semantics §5.3: trimmed whitespace, unknown left verbatim, non-strings never.
        let p = params(json!({
            "cluster": "prod",
            "path.basename": "guestbook",
            "n": 3,
            "obj": {"a": "b"}
        }));
        let cases = [
            ("{{cluster}}-app", "prod-app"),
            ("{{ path.basename }}", "guestbook"),
            ("{{  cluster\t}}/{{cluster}}", "prod/prod"),
            ("{{missing}}", "{{missing}}"),
            ("{{ missing }}", "{{ missing }}"),
            ("{{n}}", "{{n}}"),
            ("{{obj}}", "{{obj}}"),
            ("{{}}", "{{}}"),
            ("{{ }}", "{{ }}"),
            ("{{.cluster}}", "{{.cluster}}"),
            ("no tags", "no tags"),
            ("{{cluster}} {{ {{cluster}} }}", "prod {{ {{cluster}} }}"),
        ];
        for (src, want) in cases {
            assert_eq!(
                render(src, &p).map(|r| r.text),
                Ok(want.to_owned()),
                "{src}"
            );
        }
    }

    #[test]
    fn tags_spread_over_lines_are_not_templated() {
        let p = params(json!({"a": "x"}));
        // `{{` and `}}` on different lines: the regexp does not match, nothing changes.
        let multi = "line {{\na}} {{a\n}}";
        assert_eq!(render(multi, &p).map(|r| r.text), Ok(multi.to_owned()));
        // One line matching is enough to template the whole string.
        let mixed = "{{a}}\n{{ a }}";
        assert_eq!(render(mixed, &p).map(|r| r.text), Ok("x\nx".to_owned()));
    }

    #[test]
    fn an_unterminated_tag_fails_once_the_string_is_templated() {
        let p = params(json!({"a": "x"}));
        let err = render("{{a}} {{b", &p).err().unwrap_or_default();
        assert!(
            err.starts_with("invalid template: Cannot find end tag=\"}}\""),
            "{err}"
        );
        assert!(err.ends_with("starting from \"b\""), "{err}");
        // Without a complete tag on a line, the string is not templated at all.
        assert_eq!(render("{{b", &p).map(|r| r.text), Ok("{{b".to_owned()));
    }

    #[test]
    fn records_which_tags_resolved() {
        let p = params(json!({"a": "x"}));
        let r = render("{{a}}-{{ b }}", &p).unwrap_or_else(|e| panic!("{e}"));
        let got: Vec<(&str, Range<usize>, bool)> = r
            .tags
            .iter()
            .map(|(t, ok)| (t.name.as_str(), t.range.clone(), *ok))
            .collect();
        assert_eq!(got, [("a", 0..5, true), ("b", 6..13, false)]);
    }
}
