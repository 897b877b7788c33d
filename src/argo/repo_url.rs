//! (being written) Temporary normalisation until the real one lands.

pub fn normalize_git_url(url: &str) -> String {
    let mut u = url.trim().to_lowercase();
    if !u.starts_with("ssh://") && u.contains('@') && !u.contains("://") {
        u = format!("ssh://{}", u.replacen(':', "/", 1));
    }
    if let Some(s) = u.strip_suffix(".git") {
        u = s.to_owned();
    }
    u.strip_prefix("ssh://").map(str::to_owned).unwrap_or(u)
}
