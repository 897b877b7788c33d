//! The small pieces of Go's standard library (and of the Go packages Argo CD uses) whose
//! exact output ends up in generated Applications: `fmt`'s `%v` and `%q`, `path.Base` and
//! `path.Dir`, `utils.SanitizeName`, and `jeremywohl/flatten` with `DotStyle`.
//!
//! Parameter values are `serde_json::Value`s, which is what Go's `encoding/json` and
//! `sigs.k8s.io/yaml` decode into `any`: numbers are `float64` there, so every number is
//! printed as a `float64` here (`1000000` prints `1e+06`).

use serde_json::{Map, Value};

/// Go `fmt.Sprintf("%v", v)` of a decoded JSON value.
///
/// Maps print as `map[k:v k2:v2]` with sorted keys, lists as `[a b]`, `nil` as `<nil>`.
pub fn format_v(v: &Value) -> String {
    let mut out = String::new();
    write_v(v, &mut out);
    out
}

fn write_v(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("<nil>"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&format_float(n.as_f64().unwrap_or(0.0))),
        Value::String(s) => out.push_str(s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                write_v(item, out);
            }
            out.push(']');
        }
        Value::Object(m) => {
            out.push_str("map[");
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(k);
                out.push(':');
                if let Some(x) = m.get(k.as_str()) {
                    write_v(x, out);
                }
            }
            out.push(']');
        }
    }
}

/// Go `%v` of a `float64`: `strconv.FormatFloat(f, 'g', -1, 64)` with `fmt`'s rule that
/// the shortest form switches to an exponent from `1e+06` on (and below `1e-04`).
pub fn format_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".to_owned();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.to_owned();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.to_owned();
    }
    // Rust's `{:e}` gives the shortest digits that round-trip, like Go's shortest mode.
    let sci = format!("{:e}", f.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let sign = if f < 0.0 { "-" } else { "" };
    if !(-4..6).contains(&exp) {
        let (head, tail) = digits.split_at(1);
        let frac = if tail.is_empty() {
            String::new()
        } else {
            format!(".{tail}")
        };
        let esign = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{head}{frac}e{esign}{:02}", exp.abs());
    }
    let point = exp + 1; // digits before the decimal point
    let text = if point <= 0 {
        format!("0.{}{}", "0".repeat(point.unsigned_abs() as usize), digits)
    } else if (point as usize) >= digits.len() {
        format!("{digits}{}", "0".repeat(point as usize - digits.len()))
    } else {
        let (a, b) = digits.split_at(point as usize);
        format!("{a}.{b}")
    };
    format!("{sign}{text}")
}

/// Go `strconv.Quote`, `path.Clean`, `path.Base` and `path.Dir`: the template engine's.
pub use crate::argo::gotemplate::{path_base, path_clean, path_dir, quote};

/// Argo CD `utils.SanitizeName`: lower case, every character outside `[-a-z0-9.]`
/// becomes `-`, at most 253 bytes, leading and trailing `-` and `.` trimmed.
pub fn sanitize_name(name: &str) -> String {
    let lowered = name.to_lowercase();
    let mut out: String = lowered
        .chars()
        .map(|c| {
            if c == '-' || c == '.' || c.is_ascii_lowercase() || c.is_ascii_digit() {
                c
            } else {
                '-'
            }
        })
        .collect();
    // Only ASCII is left, so bytes are characters.
    out.truncate(253);
    out.trim_matches(|c| c == '-' || c == '.').to_owned()
}

/// `jeremywohl/flatten.Flatten(m, "", DotStyle)`: nested objects and lists become dotted
/// keys (`a.b`, `list.0`); empty objects and lists vanish. Values stay as they are.
///
/// `opaque` names flattened keys whose value Go holds as a typed map or slice
/// (`map[string]string`, `[]string`): flatten only descends into `map[string]any` and
/// `[]any`, so those stay whole.
pub fn flatten(m: &Map<String, Value>, opaque: &dyn Fn(&str) -> bool) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for (k, v) in m {
        flatten_into(k.clone(), v, opaque, &mut out);
    }
    out
}

fn flatten_into(
    key: String,
    v: &Value,
    opaque: &dyn Fn(&str) -> bool,
    out: &mut Vec<(String, Value)>,
) {
    if opaque(&key) {
        out.push((key, v.clone()));
        return;
    }
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                flatten_into(format!("{key}.{k}"), x, opaque, out);
            }
        }
        Value::Array(items) => {
            for (i, x) in items.iter().enumerate() {
                flatten_into(format!("{key}.{i}"), x, opaque, out);
            }
        }
        _ => out.push((key, v.clone())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn floats_print_like_go_percent_v() {
        // semantics §5.5: file values are float64 and printed with %v.
        let cases: &[(f64, &str)] = &[
            (1.0, "1"),
            (8080.0, "8080"),
            (123456.0, "123456"),
            (1_000_000.0, "1e+06"),
            (1_234_567.0, "1.234567e+06"),
            (1.5, "1.5"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (-2.5, "-2.5"),
            (1e21, "1e+21"),
            (0.1, "0.1"),
            (100.25, "100.25"),
        ];
        for (f, want) in cases {
            assert_eq!(format_float(*f), *want, "{f}");
        }
    }

    #[test]
    fn percent_v_of_composites() {
        assert_eq!(format_v(&json!(null)), "<nil>");
        assert_eq!(format_v(&json!(true)), "true");
        assert_eq!(format_v(&json!(3)), "3");
        assert_eq!(
            format_v(&json!(["a", 1, {"z": 1, "a": "x"}])),
            "[a 1 map[a:x z:1]]"
        );
        assert_eq!(format_v(&json!({})), "map[]");
    }

    #[test]
    fn sanitize_name_follows_argo_cd() {
        let cases = [
            ("Guest_Book", "guest-book"),
            ("--a.b--", "a.b"),
            ("..x..", "x"),
            ("héllo wörld", "h-llo-w-rld"),
            ("ALLCAPS", "allcaps"),
            ("", ""),
        ];
        for (i, want) in cases {
            assert_eq!(sanitize_name(i), want, "{i}");
        }
        assert_eq!(sanitize_name(&"a".repeat(300)).len(), 253);
    }

    #[test]
    fn go_path_functions() {
        assert_eq!(path_base("apps/team-a/guestbook"), "guestbook");
        assert_eq!(path_base("apps/"), "apps");
        assert_eq!(path_base(""), ".");
        assert_eq!(
            path_dir("cluster-config/prod/config.json"),
            "cluster-config/prod"
        );
        assert_eq!(path_dir("config.json"), ".");
        assert_eq!(path_dir("/a"), "/");
        assert_eq!(path_clean("a//b/./c/../d"), "a/b/d");
        assert_eq!(path_clean("../x"), "../x");
    }

    #[test]
    fn go_quote() {
        assert_eq!(quote("a\"b\\\n"), "\"a\\\"b\\\\\\n\"");
        assert_eq!(quote("\u{1}"), "\"\\x01\"");
    }

    #[test]
    fn flatten_dot_style() {
        let m = json!({"a": {"b": 1, "c": [true, {"d": "x"}]}, "e": {}, "f": [], "g": null});
        let Value::Object(m) = m else { panic!() };
        let got = flatten(&m, &|_| false);
        let keys: Vec<&str> = got.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["a.b", "a.c.0", "a.c.1.d", "g"]);
        let opaque = flatten(&m, &|k| k == "a.c");
        assert_eq!(opaque[1], ("a.c".to_owned(), json!([true, {"d": "x"}])));
    }
}
