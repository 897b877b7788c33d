//! The part of Go's `net/url` that Argo CD's URL normalisation depends on: `url.Parse`
//! (with its errors) and `(*URL).String()` (with its escaping rules), re-implemented over
//! bytes as Go does it.

use std::fmt;

/// Why Go's `url.Parse` rejects a URL (the text after Go's `parse "<url>": ` prefix).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlError(pub String);

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UrlError {}

/// Go's `url.URL` (the fields `String()` reads).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Url {
    pub scheme: String,
    pub opaque: String,
    /// Username and, when set, password (decoded).
    pub user: Option<(Vec<u8>, Option<Vec<u8>>)>,
    /// Decoded host (with port).
    pub host: Vec<u8>,
    /// Decoded path.
    pub path: Vec<u8>,
    pub raw_path: Vec<u8>,
    pub force_query: bool,
    pub raw_query: String,
    pub fragment: Vec<u8>,
    pub raw_fragment: Vec<u8>,
    /// The URL had a scheme and an empty authority-less path (`scheme:/path`).
    pub omit_host: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Path,
    Host,
    Zone,
    UserPassword,
    QueryComponent,
    Fragment,
}

/// Go `shouldEscape`.
fn should_escape(c: u8, mode: Mode) -> bool {
    if c.is_ascii_alphanumeric() {
        return false;
    }
    if matches!(mode, Mode::Host | Mode::Zone)
        && matches!(
            c,
            b'!' | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'['
                | b']'
                | b'<'
                | b'>'
                | b'"'
        )
    {
        return false;
    }
    match c {
        b'-' | b'_' | b'.' | b'~' => return false,
        b'$' | b'&' | b'+' | b',' | b'/' | b':' | b';' | b'=' | b'?' | b'@' => match mode {
            Mode::Path => return c == b'?',
            Mode::UserPassword => return matches!(c, b'@' | b'/' | b'?' | b':'),
            Mode::QueryComponent => return true,
            Mode::Fragment => return false,
            Mode::Host | Mode::Zone => {}
        },
        _ => {}
    }
    if mode == Mode::Fragment && matches!(c, b'!' | b'(' | b')' | b'*') {
        return false;
    }
    true
}

fn unhex(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        b'A'..=b'F' => c - b'A' + 10,
        _ => 0,
    }
}

/// Go's `strconv.Quote`, for the short strings in error messages.
fn go_quote(s: &[u8]) -> String {
    let mut out = String::from("\"");
    let mut rest = s;
    while !rest.is_empty() {
        let valid = match std::str::from_utf8(rest) {
            Ok(all) => all,
            Err(e) => std::str::from_utf8(&rest[..e.valid_up_to()]).unwrap_or(""),
        };
        for c in valid.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\u{7}' => out.push_str("\\a"),
                '\u{8}' => out.push_str("\\b"),
                '\u{c}' => out.push_str("\\f"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '\u{b}' => out.push_str("\\v"),
                c if (c as u32) < 0x20 || c == '\u{7f}' => {
                    out.push_str(&format!("\\x{:02x}", c as u32));
                }
                c if c.is_control() => {
                    if (c as u32) < 0x10000 {
                        out.push_str(&format!("\\u{:04x}", c as u32));
                    } else {
                        out.push_str(&format!("\\U{:08x}", c as u32));
                    }
                }
                c => out.push(c),
            }
        }
        rest = &rest[valid.len()..];
        if let Some((&bad, tail)) = rest.split_first() {
            out.push_str(&format!("\\x{bad:02x}"));
            rest = tail;
        }
    }
    out.push('"');
    out
}

/// Go `unescape`.
fn unescape(s: &[u8], mode: Mode) -> Result<Vec<u8>, UrlError> {
    let mut n = 0;
    let mut has_plus = false;
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'%' => {
                n += 1;
                if i + 2 >= s.len()
                    || !s[i + 1].is_ascii_hexdigit()
                    || !s[i + 2].is_ascii_hexdigit()
                {
                    let bad = &s[i..s.len().min(i + 3)];
                    return Err(UrlError(format!("invalid URL escape {}", go_quote(bad))));
                }
                if mode == Mode::Host && unhex(s[i + 1]) < 8 && &s[i..i + 3] != b"%25" {
                    return Err(UrlError(format!(
                        "invalid URL escape {}",
                        go_quote(&s[i..i + 3])
                    )));
                }
                if mode == Mode::Zone {
                    let v = (unhex(s[i + 1]) << 4) | unhex(s[i + 2]);
                    if &s[i..i + 3] != b"%25" && v != b' ' && should_escape(v, Mode::Host) {
                        return Err(UrlError(format!(
                            "invalid URL escape {}",
                            go_quote(&s[i..i + 3])
                        )));
                    }
                }
                i += 3;
            }
            b'+' => {
                has_plus = mode == Mode::QueryComponent;
                i += 1;
            }
            c => {
                if matches!(mode, Mode::Host | Mode::Zone) && c < 0x80 && should_escape(c, mode) {
                    return Err(UrlError(format!(
                        "invalid character {} in host name",
                        go_quote(&s[i..i + 1])
                    )));
                }
                i += 1;
            }
        }
    }
    if n == 0 && !has_plus {
        return Ok(s.to_vec());
    }
    let mut t = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'%' => {
                t.push((unhex(s[i + 1]) << 4) | unhex(s[i + 2]));
                i += 2;
            }
            b'+' if mode == Mode::QueryComponent => t.push(b' '),
            c => t.push(c),
        }
        i += 1;
    }
    Ok(t)
}

/// Go `escape`.
fn escape(s: &[u8], mode: Mode) -> Vec<u8> {
    const UPPERHEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut t = Vec::with_capacity(s.len());
    for &c in s {
        if c == b' ' && mode == Mode::QueryComponent {
            t.push(b'+');
        } else if should_escape(c, mode) {
            t.push(b'%');
            t.push(UPPERHEX[usize::from(c >> 4)]);
            t.push(UPPERHEX[usize::from(c & 15)]);
        } else {
            t.push(c);
        }
    }
    t
}

/// Go `getScheme`.
fn get_scheme(raw: &[u8]) -> Result<(&[u8], &[u8]), UrlError> {
    for (i, &c) in raw.iter().enumerate() {
        match c {
            b'a'..=b'z' | b'A'..=b'Z' => {}
            b'0'..=b'9' | b'+' | b'-' | b'.' => {
                if i == 0 {
                    return Ok((b"", raw));
                }
            }
            b':' => {
                if i == 0 {
                    return Err(UrlError("missing protocol scheme".to_string()));
                }
                return Ok((&raw[..i], &raw[i + 1..]));
            }
            _ => return Ok((b"", raw)),
        }
    }
    Ok((b"", raw))
}

fn find(s: &[u8], b: u8) -> Option<usize> {
    s.iter().position(|&c| c == b)
}

fn rfind(s: &[u8], b: u8) -> Option<usize> {
    s.iter().rposition(|&c| c == b)
}

fn lossy(s: &[u8]) -> String {
    String::from_utf8_lossy(s).into_owned()
}

/// Go `url.Parse`.
pub fn parse(raw: &str) -> Result<Url, UrlError> {
    let raw = raw.as_bytes();
    let (u, frag) = match find(raw, b'#') {
        Some(i) => (&raw[..i], &raw[i + 1..]),
        None => (raw, &b""[..]),
    };
    let mut url = parse_without_fragment(u)?;
    if frag.is_empty() {
        return Ok(url);
    }
    let fragment = unescape(frag, Mode::Fragment)?;
    url.raw_fragment = if escape(&fragment, Mode::Fragment) == frag {
        Vec::new()
    } else {
        frag.to_vec()
    };
    url.fragment = fragment;
    Ok(url)
}

fn parse_without_fragment(raw: &[u8]) -> Result<Url, UrlError> {
    if raw.iter().any(|&b| b < b' ' || b == 0x7F) {
        return Err(UrlError(
            "net/url: invalid control character in URL".to_string(),
        ));
    }
    let mut url = Url::default();
    if raw == b"*" {
        url.path = b"*".to_vec();
        return Ok(url);
    }
    let (scheme, mut rest) = get_scheme(raw)?;
    url.scheme = lossy(scheme).to_ascii_lowercase();
    if rest.ends_with(b"?") && rest.iter().filter(|&&c| c == b'?').count() == 1 {
        url.force_query = true;
        rest = &rest[..rest.len() - 1];
    } else if let Some(i) = find(rest, b'?') {
        url.raw_query = lossy(&rest[i + 1..]);
        rest = &rest[..i];
    }
    if !rest.starts_with(b"/") {
        if !url.scheme.is_empty() {
            // A rootless path after a scheme is opaque.
            url.opaque = lossy(rest);
            return Ok(url);
        }
        let segment = match find(rest, b'/') {
            Some(i) => &rest[..i],
            None => rest,
        };
        if segment.contains(&b':') {
            return Err(UrlError(
                "first path segment in URL cannot contain colon".to_string(),
            ));
        }
    }
    if (!url.scheme.is_empty() || !rest.starts_with(b"///")) && rest.starts_with(b"//") {
        let mut authority = &rest[2..];
        rest = b"";
        if let Some(i) = find(authority, b'/') {
            rest = &authority[i..];
            authority = &authority[..i];
        }
        let (user, host) = parse_authority(authority)?;
        url.user = user;
        url.host = host;
    } else if !url.scheme.is_empty() && rest.starts_with(b"/") {
        url.omit_host = true;
    }
    let path = unescape(rest, Mode::Path)?;
    url.raw_path = if escape(&path, Mode::Path) == rest {
        Vec::new()
    } else {
        rest.to_vec()
    };
    url.path = path;
    Ok(url)
}

type User = Option<(Vec<u8>, Option<Vec<u8>>)>;

fn parse_authority(authority: &[u8]) -> Result<(User, Vec<u8>), UrlError> {
    let at = rfind(authority, b'@');
    let host = parse_host(match at {
        Some(i) => &authority[i + 1..],
        None => authority,
    })?;
    let Some(i) = at else {
        return Ok((None, host));
    };
    let userinfo = &authority[..i];
    if !valid_userinfo(userinfo) {
        return Err(UrlError("net/url: invalid userinfo".to_string()));
    }
    let user = match find(userinfo, b':') {
        None => (unescape(userinfo, Mode::UserPassword)?, None),
        Some(c) => (
            unescape(&userinfo[..c], Mode::UserPassword)?,
            Some(unescape(&userinfo[c + 1..], Mode::UserPassword)?),
        ),
    };
    Ok((Some(user), host))
}

fn valid_userinfo(s: &[u8]) -> bool {
    // Go ranges over runes; every non-ASCII rune is invalid, as is every byte of one.
    s.iter().all(|&c| {
        c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'-' | b'.'
                    | b'_'
                    | b':'
                    | b'~'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b'%'
                    | b'@'
            )
    })
}

fn valid_optional_port(port: &[u8]) -> bool {
    match port.split_first() {
        None => true,
        Some((b':', digits)) => digits.iter().all(u8::is_ascii_digit),
        Some(_) => false,
    }
}

fn parse_host(host: &[u8]) -> Result<Vec<u8>, UrlError> {
    if host.starts_with(b"[") {
        let Some(i) = rfind(host, b']') else {
            return Err(UrlError("missing ']' in host".to_string()));
        };
        let colon_port = &host[i + 1..];
        if !valid_optional_port(colon_port) {
            return Err(UrlError(format!(
                "invalid port {} after host",
                go_quote(colon_port)
            )));
        }
        let before = &host[..i];
        if let Some(zone) = before.windows(3).position(|w| w == b"%25") {
            let mut out = unescape(&host[..zone], Mode::Host)?;
            out.extend(unescape(&host[zone..i], Mode::Zone)?);
            out.extend(unescape(&host[i..], Mode::Host)?);
            return Ok(out);
        }
    } else if let Some(i) = rfind(host, b':') {
        let colon_port = &host[i..];
        if !valid_optional_port(colon_port) {
            return Err(UrlError(format!(
                "invalid port {} after host",
                go_quote(colon_port)
            )));
        }
    }
    unescape(host, Mode::Host)
}

/// Go `validEncoded` for paths and fragments.
fn valid_encoded(s: &[u8], mode: Mode) -> bool {
    s.iter().all(|&c| {
        matches!(
            c,
            b'!' | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'@'
                | b'['
                | b']'
                | b'%'
        ) || !should_escape(c, mode)
    })
}

impl Url {
    /// Go `(*URL).EscapedPath`.
    pub fn escaped_path(&self) -> Vec<u8> {
        if !self.raw_path.is_empty()
            && valid_encoded(&self.raw_path, Mode::Path)
            && unescape(&self.raw_path, Mode::Path).is_ok_and(|p| p == self.path)
        {
            return self.raw_path.clone();
        }
        if self.path == b"*" {
            return b"*".to_vec();
        }
        escape(&self.path, Mode::Path)
    }

    fn escaped_fragment(&self) -> Vec<u8> {
        if !self.raw_fragment.is_empty()
            && valid_encoded(&self.raw_fragment, Mode::Fragment)
            && unescape(&self.raw_fragment, Mode::Fragment).is_ok_and(|f| f == self.fragment)
        {
            return self.raw_fragment.clone();
        }
        escape(&self.fragment, Mode::Fragment)
    }
}

impl fmt::Display for Url {
    /// Go `(*URL).String`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf: Vec<u8> = Vec::new();
        if !self.scheme.is_empty() {
            buf.extend_from_slice(self.scheme.as_bytes());
            buf.push(b':');
        }
        if !self.opaque.is_empty() {
            buf.extend_from_slice(self.opaque.as_bytes());
        } else {
            let has_authority =
                !self.scheme.is_empty() || !self.host.is_empty() || self.user.is_some();
            let omit = self.omit_host && self.host.is_empty() && self.user.is_none();
            if has_authority && !omit {
                if !self.host.is_empty() || !self.path.is_empty() || self.user.is_some() {
                    buf.extend_from_slice(b"//");
                }
                if let Some((name, password)) = &self.user {
                    buf.extend(escape(name, Mode::UserPassword));
                    if let Some(password) = password {
                        buf.push(b':');
                        buf.extend(escape(password, Mode::UserPassword));
                    }
                    buf.push(b'@');
                }
                if !self.host.is_empty() {
                    buf.extend(escape(&self.host, Mode::Host));
                }
            }
            let path = self.escaped_path();
            if path.first().is_some_and(|&c| c != b'/') && !self.host.is_empty() {
                buf.push(b'/');
            }
            if buf.is_empty() {
                let segment = match find(&path, b'/') {
                    Some(i) => &path[..i],
                    None => &path[..],
                };
                if segment.contains(&b':') {
                    buf.extend_from_slice(b"./");
                }
            }
            buf.extend(path);
        }
        if self.force_query || !self.raw_query.is_empty() {
            buf.push(b'?');
            buf.extend_from_slice(self.raw_query.as_bytes());
        }
        if !self.fragment.is_empty() {
            buf.push(b'#');
            buf.extend(self.escaped_fragment());
        }
        f.write_str(&String::from_utf8_lossy(&buf))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(s: &str) -> Result<String, String> {
        parse(s).map(|u| u.to_string()).map_err(|e| e.0)
    }

    /// Round trips through Go's `url.Parse` and `String()` (each checked against Go).
    #[test]
    fn parse_and_string() {
        let cases: &[(&str, Result<&str, &str>)] = &[
            (
                "https://github.com/org/repo",
                Ok("https://github.com/org/repo"),
            ),
            (
                "https://github.com/org/repo/",
                Ok("https://github.com/org/repo/"),
            ),
            ("https://GitHub.com/Org", Ok("https://GitHub.com/Org")),
            ("HTTPS://github.com", Ok("https://github.com")),
            ("https://user:pass@host/x", Ok("https://user:pass@host/x")),
            ("https://user@host/x", Ok("https://user@host/x")),
            ("https://a!b@host/x", Ok("https://a%21b@host/x")),
            ("https://a%40b@host/x", Ok("https://a%40b@host/x")),
            (
                "https://github.com/org/{a,b}",
                Ok("https://github.com/org/%7Ba,b%7D"),
            ),
            ("https://github.com/org/*", Ok("https://github.com/org/*")),
            (
                "https://github.com/org/[ab]*",
                Ok("https://github.com/org/[ab]*"),
            ),
            ("https://github.com/org/a?", Ok("https://github.com/org/a?")),
            (
                "https://github.com/org/a?b",
                Ok("https://github.com/org/a?b"),
            ),
            (
                "https://github.com/org/a??",
                Ok("https://github.com/org/a??"),
            ),
            ("https://github.com/a b", Ok("https://github.com/a%20b")),
            ("https://github.com/a%20b", Ok("https://github.com/a%20b")),
            ("https://github.com/a%2Fb", Ok("https://github.com/a%2Fb")),
            ("https://github.com/a%2fb", Ok("https://github.com/a%2fb")),
            ("https://github.com/a%7Bb", Ok("https://github.com/a%7Bb")),
            ("https://github.com/é", Ok("https://github.com/%C3%A9")),
            ("https://*.example.com/x", Ok("https://*.example.com/x")),
            (
                "https://{a}.example.com/x",
                Err("invalid character \"{\" in host name"),
            ),
            ("https://a b/x", Err("invalid character \" \" in host name")),
            ("https://hé.com/x", Ok("https://h%C3%A9.com/x")),
            ("https://host:8080/x", Ok("https://host:8080/x")),
            ("https://host:/x", Ok("https://host:/x")),
            (
                "https://host:80a/x",
                Err("invalid port \":80a\" after host"),
            ),
            (
                "ssh://git@host:org/repo",
                Err("invalid port \":org\" after host"),
            ),
            ("https://[::1]:80/x", Ok("https://[::1]:80/x")),
            ("https://[::1/x", Err("missing ']' in host")),
            ("https://[fe80::1%25en0]/x", Ok("https://[fe80::1%25en0]/x")),
            ("https://github.com/%zz", Err("invalid URL escape \"%zz\"")),
            ("https://github.com/%4", Err("invalid URL escape \"%4\"")),
            ("https://ho%41st/x", Err("invalid URL escape \"%41\"")),
            (
                "https://github.com/a\tb",
                Err("net/url: invalid control character in URL"),
            ),
            ("://x", Err("missing protocol scheme")),
            ("a:b/c", Ok("a:b/c")),
            ("github.com:org/repo", Ok("github.com:org/repo")),
            ("localhost:5000/repo", Ok("localhost:5000/repo")),
            (
                "1host:80/x",
                Err("first path segment in URL cannot contain colon"),
            ),
            (
                "registry-1.docker.io/bitnamicharts",
                Ok("registry-1.docker.io/bitnamicharts"),
            ),
            ("oci://registry/x", Ok("oci://registry/x")),
            ("//host/x", Ok("//host/x")),
            ("///x", Ok("///x")),
            ("/x", Ok("/x")),
            ("", Ok("")),
            ("*", Ok("*")),
            ("https://h/x#frag", Ok("https://h/x#frag")),
            ("https://h/x#", Ok("https://h/x")),
            ("https://h/x#a b", Ok("https://h/x#a%20b")),
            ("https://h/x#%zz", Err("invalid URL escape \"%zz\"")),
            ("https://h/x?a=1&b", Ok("https://h/x?a=1&b")),
            ("https://h/x?", Ok("https://h/x?")),
            ("https://h?x", Ok("https://h?x")),
            ("https://", Ok("https:")),
            ("https://@h", Ok("https://@h")),
            ("https://u:p:q@h", Ok("https://u:p%3Aq@h")),
            ("https://u/v@h", Ok("https://u/v@h")),
            ("https://u v@h", Err("net/url: invalid userinfo")),
            ("https://u{@h", Err("net/url: invalid userinfo")),
            ("mailto:a@b", Ok("mailto:a@b")),
        ];
        for &(input, want) in cases {
            assert_eq!(
                round_trip(input),
                want.map(str::to_string).map_err(str::to_string),
                "{input:?}"
            );
        }
    }
}
