//! (being written) Temporary until Go's filepath.Match lands.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadPattern;

pub fn filepath_match(pattern: &str, name: &str) -> Result<bool, BadPattern> {
    fn m(p: &[char], n: &[char]) -> bool {
        match p.first() {
            None => n.is_empty(),
            Some('*') => (0..=n.len()).any(|i| !n[..i].contains(&'/') && m(&p[1..], &n[i..])),
            Some('?') => !n.is_empty() && n[0] != '/' && m(&p[1..], &n[1..]),
            Some(c) => n.first() == Some(c) && m(&p[1..], &n[1..]),
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    Ok(m(&p, &n))
}
