//! (being written) Temporary until the gobwas matcher lands.

pub fn matches(pattern: &str, text: &str, _separators: &[char]) -> bool {
    pattern == "*" || pattern == text
}
