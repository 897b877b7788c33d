//! File-system helpers for rendering: Go's lexical path cleaning, the two glob flavours the
//! tools use (Go's `filepath.Glob` for `kustomize edit`, `doublestar.FilepathGlob` for Helm
//! value files), and the private mirror of a checkout that kustomize options are applied to.

use std::io;
use std::path::{Component, Path, PathBuf};

/// Go's `filepath.Clean` for `/`-separated paths.
pub(crate) fn clean(path: &str) -> String {
    if path.is_empty() {
        return ".".to_owned();
    }
    let rooted = path.starts_with('/');
    let mut out: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if out.last().is_some_and(|p| *p != "..") {
                    out.pop();
                } else if !rooted {
                    out.push("..");
                }
            }
            p => out.push(p),
        }
    }
    let body = out.join("/");
    match (rooted, body.is_empty()) {
        (true, _) => format!("/{body}"),
        (false, true) => ".".to_owned(),
        (false, false) => body,
    }
}

/// Go's `filepath.Join(a, b)`: the elements joined with `/` and cleaned; `b` being
/// absolute does not discard `a`.
pub(crate) fn join(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => String::new(),
        (true, false) => clean(b),
        (false, true) => clean(a),
        (false, false) => clean(&format!("{a}/{b}")),
    }
}

pub(crate) fn path_str(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// Argo CD's `kustomize.IsLocalRelativePath`: false for remote references (`https://`,
/// `git@`, `github.com/…` and the like) and for absolute paths.
pub(crate) fn is_local_relative_path(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    for prefix in [
        "git::",
        "gh:",
        "ssh://",
        "https://",
        "http://",
        "git@",
        "github.com:",
        "github.com/",
    ] {
        if prefix.len() < path.len() && lower.starts_with(prefix) {
            return false;
        }
    }
    let without_file = lower.strip_prefix("file://").unwrap_or(&lower);
    !(path.starts_with('/') || without_file.starts_with('/'))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BadPattern;

/// Whether `name` (one path segment) matches `pattern`: Go's `filepath.Match` when
/// `doublestar` is false; doublestar's segment syntax (adds `{a,b}` and `[!…]`) when true.
pub(crate) fn match_segment(
    pattern: &str,
    name: &str,
    doublestar: bool,
) -> Result<bool, BadPattern> {
    let p: Vec<char> = pattern.chars().collect();
    let s: Vec<char> = name.chars().collect();
    validate(&p, doublestar)?;
    Ok(match_here(&p, &s, doublestar))
}

fn validate(p: &[char], ds: bool) -> Result<(), BadPattern> {
    let mut i = 0;
    let mut braces = 0i32;
    while i < p.len() {
        match p[i] {
            '\\' => {
                if i + 1 >= p.len() {
                    return Err(BadPattern);
                }
                i += 2;
                continue;
            }
            '[' => {
                let end = class_end(p, i).ok_or(BadPattern)?;
                i = end + 1;
                continue;
            }
            '{' if ds => braces += 1,
            '}' if ds && braces > 0 => braces -= 1,
            _ => {}
        }
        i += 1;
    }
    if braces != 0 {
        return Err(BadPattern);
    }
    Ok(())
}

/// Index of the `]` closing the class that opens at `start`.
fn class_end(p: &[char], start: usize) -> Option<usize> {
    let mut i = start + 1;
    if i < p.len() && (p[i] == '^' || p[i] == '!') {
        i += 1;
    }
    let mut first = true;
    while i < p.len() {
        match p[i] {
            ']' if !first => return Some(i),
            '\\' => i += 1,
            _ => {}
        }
        first = false;
        i += 1;
    }
    None
}

fn class_matches(p: &[char], start: usize, end: usize, c: char, ds: bool) -> bool {
    let mut i = start + 1;
    let negate = i < end && (p[i] == '^' || (ds && p[i] == '!'));
    if negate {
        i += 1;
    }
    let mut hit = false;
    while i < end {
        let mut lo = p[i];
        if lo == '\\' && i + 1 < end {
            i += 1;
            lo = p[i];
        }
        let mut hi = lo;
        if i + 2 < end && p[i + 1] == '-' {
            hi = p[i + 2];
            if hi == '\\' && i + 3 < end {
                hi = p[i + 3];
                i += 1;
            }
            i += 2;
        }
        if lo <= c && c <= hi {
            hit = true;
        }
        i += 1;
    }
    hit != negate
}

fn match_here(p: &[char], s: &[char], ds: bool) -> bool {
    if p.is_empty() {
        return s.is_empty();
    }
    match p[0] {
        '*' => {
            let rest = &p[1..];
            (0..=s.len()).any(|k| match_here(rest, &s[k..], ds))
        }
        '?' => !s.is_empty() && match_here(&p[1..], &s[1..], ds),
        '[' => {
            let Some(end) = class_end(p, 0) else {
                return false;
            };
            !s.is_empty()
                && class_matches(p, 0, end, s[0], ds)
                && match_here(&p[end + 1..], &s[1..], ds)
        }
        '\\' if p.len() > 1 => !s.is_empty() && s[0] == p[1] && match_here(&p[2..], &s[1..], ds),
        '{' if ds => {
            let Some((alts, close)) = brace_alternatives(p) else {
                return false;
            };
            alts.iter().any(|alt| {
                let mut q: Vec<char> = alt.clone();
                q.extend_from_slice(&p[close + 1..]);
                match_here(&q, s, ds)
            })
        }
        c => !s.is_empty() && s[0] == c && match_here(&p[1..], &s[1..], ds),
    }
}

/// The comma-separated alternatives of the `{…}` group that opens `p`, and the index of
/// its closing brace.
fn brace_alternatives(p: &[char]) -> Option<(Vec<Vec<char>>, usize)> {
    let mut depth = 0;
    let mut alts = vec![Vec::new()];
    let mut i = 1;
    while i < p.len() {
        let c = p[i];
        match c {
            '\\' if i + 1 < p.len() => {
                if let Some(last) = alts.last_mut() {
                    last.push(c);
                    last.push(p[i + 1]);
                }
                i += 2;
                continue;
            }
            '{' => depth += 1,
            '}' if depth == 0 => return Some((alts, i)),
            '}' => depth -= 1,
            ',' if depth == 0 => {
                alts.push(Vec::new());
                i += 1;
                continue;
            }
            _ => {}
        }
        if let Some(last) = alts.last_mut() {
            last.push(c);
        }
        i += 1;
    }
    None
}

fn has_meta(s: &str, doublestar: bool) -> bool {
    s.chars()
        .any(|c| matches!(c, '*' | '?' | '[' | '\\') || (doublestar && c == '{'))
}

fn sorted_names(dir: &Path) -> Vec<String> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = rd
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn on_disk(base: &Path, p: &str) -> PathBuf {
    if p.starts_with('/') {
        PathBuf::from(p)
    } else {
        base.join(p)
    }
}

/// Go's `filepath.Glob(pattern)` run in `cwd`: matches keep the pattern's own form
/// (relative stays relative), a pattern without meta characters is returned as is when it
/// exists, results of a meta pattern are sorted within each directory.
pub(crate) fn go_glob(cwd: &Path, pattern: &str) -> Result<Vec<String>, BadPattern> {
    validate(&pattern.chars().collect::<Vec<_>>(), false)?;
    if !has_meta(pattern, false) {
        return Ok(
            if std::fs::symlink_metadata(on_disk(cwd, pattern)).is_ok() {
                vec![pattern.to_owned()]
            } else {
                Vec::new()
            },
        );
    }
    let (dir, file) = match pattern.rfind('/') {
        Some(i) => (&pattern[..=i], &pattern[i + 1..]),
        None => ("", pattern),
    };
    let dir = match dir {
        "" => ".".to_owned(),
        "/" => "/".to_owned(),
        d => d.trim_end_matches('/').to_owned(),
    };
    let dirs = if has_meta(&dir, false) {
        go_glob(cwd, &dir)?
    } else {
        vec![dir]
    };
    let mut out = Vec::new();
    for d in dirs {
        let full = on_disk(cwd, &d);
        if !full.is_dir() {
            continue;
        }
        for name in sorted_names(&full) {
            if match_segment(file, &name, false)? {
                out.push(join(&d, &name));
            }
        }
    }
    Ok(out)
}

const MAX_GLOB_DEPTH: usize = 64;

/// `doublestar.FilepathGlob` for an absolute pattern: `**` matches any number of
/// directories, `{a,b}` alternatives, every segment otherwise as `filepath.Match`. The
/// matches (files and directories) come back sorted.
pub(crate) fn doublestar_glob(pattern: &str) -> Result<Vec<String>, BadPattern> {
    let segs: Vec<&str> = pattern.split('/').filter(|s| !s.is_empty()).collect();
    for s in &segs {
        validate(&s.chars().collect::<Vec<_>>(), true)?;
    }
    let literal = segs.iter().take_while(|s| !has_meta(s, true)).count();
    let base = format!("/{}", segs[..literal].join("/"));
    let mut out = Vec::new();
    if std::fs::symlink_metadata(&base).is_ok() {
        expand(&base, &segs[literal..], &mut out, 0)?;
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn child(base: &str, name: &str) -> String {
    if base == "/" {
        format!("/{name}")
    } else {
        format!("{base}/{name}")
    }
}

fn expand(
    base: &str,
    segs: &[&str],
    out: &mut Vec<String>,
    depth: usize,
) -> Result<(), BadPattern> {
    if depth > MAX_GLOB_DEPTH {
        return Ok(());
    }
    let Some((&seg, rest)) = segs.split_first() else {
        out.push(base.to_owned());
        return Ok(());
    };
    if seg == "**" {
        expand(base, rest, out, depth + 1)?;
        for name in sorted_names(Path::new(base)) {
            let c = child(base, &name);
            if Path::new(&c).is_dir() {
                expand(&c, segs, out, depth + 1)?;
            } else if rest.is_empty() {
                out.push(c);
            }
        }
        return Ok(());
    }
    if !has_meta(seg, true) {
        let c = child(base, seg);
        if std::fs::symlink_metadata(&c).is_ok() {
            expand(&c, rest, out, depth + 1)?;
        }
        return Ok(());
    }
    for name in sorted_names(Path::new(base)) {
        if match_segment(seg, &name, true)? {
            expand(&child(base, &name), rest, out, depth + 1)?;
        }
    }
    Ok(())
}

/// A private copy of the part of a checkout kustomize reads from `source_dir`: the source
/// directory itself is copied (hard links where possible, never for the kustomization
/// file), every other entry along the way from the repository root is a symbolic link to
/// the original. `kustomize build` on the copy resolves `../base` to the original base and
/// loads the source's own files from inside its root, exactly as on the original, while
/// edits to the copied kustomization never reach the user's files.
pub(crate) struct Mirror {
    _dir: tempfile::TempDir,
    /// The mirror of `repo_root`.
    pub root: PathBuf,
    /// The mirror of `source_dir`.
    pub source: PathBuf,
}

pub(crate) fn mirror(repo_root: &Path, source_dir: &Path) -> io::Result<Mirror> {
    let rel = source_dir.strip_prefix(repo_root).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "the source directory is not inside the repository",
        )
    })?;
    let dir = tempfile::Builder::new()
        .prefix("kubectl-gitops-render-")
        .tempdir()?;
    let root = dir.path().join("repo");
    std::fs::create_dir(&root)?;
    let mut src = repo_root.to_path_buf();
    let mut dst = root.clone();
    for comp in rel.components() {
        let Component::Normal(name) = comp else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the source path must not contain '..'",
            ));
        };
        for entry in std::fs::read_dir(&src)? {
            let entry = entry?;
            if entry.file_name() != name {
                link_entry(&entry.path(), &dst.join(entry.file_name()))?;
            }
        }
        src.push(name);
        dst.push(name);
        std::fs::create_dir(&dst)?;
    }
    copy_tree(&src, &dst, 0)?;
    Ok(Mirror {
        _dir: dir,
        root,
        source: dst,
    })
}

#[cfg(unix)]
fn link_entry(src: &Path, dst: &Path) -> io::Result<()> {
    std::os::unix::fs::symlink(src, dst)
}

#[cfg(not(unix))]
fn link_entry(src: &Path, dst: &Path) -> io::Result<()> {
    if src.is_dir() {
        copy_tree(src, dst, 0)
    } else {
        std::fs::copy(src, dst).map(|_| ())
    }
}

const KUSTOMIZATION_NAMES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];
const MAX_COPY_DEPTH: usize = 256;

fn copy_tree(src: &Path, dst: &Path, depth: usize) -> io::Result<()> {
    if depth > MAX_COPY_DEPTH {
        return Err(io::Error::other(
            "the source directory is nested too deeply",
        ));
    }
    if depth > 0 {
        std::fs::create_dir(dst)?;
    }
    for entry in std::fs::read_dir(src)? {
        let entry = entry?;
        let name = entry.file_name();
        let from = entry.path();
        let to = dst.join(&name);
        let ft = entry.file_type()?;
        if ft.is_symlink() {
            copy_symlink(&from, &to)?;
        } else if ft.is_dir() {
            if name == ".git" {
                link_entry(&from, &to)?;
            } else {
                copy_tree(&from, &to, depth + 1)?;
            }
        } else if ft.is_file() {
            let is_kustomization = depth == 0
                && KUSTOMIZATION_NAMES
                    .iter()
                    .any(|k| name == std::ffi::OsStr::new(k));
            if is_kustomization || std::fs::hard_link(&from, &to).is_err() {
                std::fs::copy(&from, &to)?;
            }
        }
    }
    Ok(())
}

#[cfg(unix)]
fn copy_symlink(from: &Path, to: &Path) -> io::Result<()> {
    let target = std::fs::read_link(from)?;
    std::os::unix::fs::symlink(target, to)
}

#[cfg(not(unix))]
fn copy_symlink(from: &Path, to: &Path) -> io::Result<()> {
    if from.is_dir() {
        copy_tree(from, to, 1)
    } else {
        std::fs::copy(from, to).map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Go's filepath.Clean table (path/filepath cleantests, unix subset).
    #[test]
    fn clean_matches_go() {
        let cases = [
            ("", "."),
            ("abc", "abc"),
            ("abc/def", "abc/def"),
            ("a/b/c", "a/b/c"),
            (".", "."),
            ("..", ".."),
            ("../..", "../.."),
            ("../../abc", "../../abc"),
            ("/abc", "/abc"),
            ("/", "/"),
            ("abc/", "abc"),
            ("abc/def/", "abc/def"),
            ("a/b/c/", "a/b/c"),
            ("./", "."),
            ("../", ".."),
            ("../../", "../.."),
            ("/abc/", "/abc"),
            ("abc//def//ghi", "abc/def/ghi"),
            ("//abc", "/abc"),
            ("///abc", "/abc"),
            ("abc/./def", "abc/def"),
            ("/./abc/def", "/abc/def"),
            ("abc/.", "abc"),
            ("abc/def/ghi/../jkl", "abc/def/jkl"),
            ("abc/def/../ghi/../jkl", "abc/jkl"),
            ("abc/def/..", "abc"),
            ("abc/def/../..", "."),
            ("/abc/def/../..", "/"),
            ("abc/def/../../..", ".."),
            ("/abc/def/../../..", "/"),
            ("abc/def/../../../ghi/jkl/../../../mno", "../../mno"),
            ("/../abc", "/abc"),
            ("abc/./../def", "def"),
        ];
        for (input, want) in cases {
            assert_eq!(clean(input), want, "clean({input:?})");
        }
        assert_eq!(join("/repo", "/values.yaml"), "/repo/values.yaml");
        assert_eq!(join("/repo/apps/a", "../../../x"), "/x");
    }

    /// Go's filepath.Match table (path/filepath matchTests) for the syntax both flavours
    /// share, plus doublestar's braces and `[!…]`.
    #[test]
    fn match_segment_matches_go() {
        let go = [
            ("abc", "abc", true),
            ("*", "abc", true),
            ("*c", "abc", true),
            ("a*", "a", true),
            ("a*", "abc", true),
            ("a*/b", "abc/b", true),
            ("a*b*c*d*e*/f", "axbxcxdxe/f", true),
            ("a*b?c*x", "abxbbxdbxebxczzx", true),
            ("a*b?c*x", "abxbbxdbxebxczzy", false),
            ("ab[c]", "abc", true),
            ("ab[b-d]", "abc", true),
            ("ab[e-g]", "abc", false),
            ("ab[^c]", "abc", false),
            ("ab[^b-d]", "abc", false),
            ("ab[^e-g]", "abc", true),
            ("a\\*b", "a*b", true),
            ("a\\*b", "ab", false),
            ("a?b", "a☺b", true),
            ("a[^a]b", "a☺b", true),
            ("a???b", "a☺b", false),
            ("[a-ζ]*", "α", true),
            ("*[a-ζ]", "A", false),
            ("[\\-]", "-", true),
            ("[x\\-]", "z", false),
            ("*x", "xxx", true),
        ];
        for (p, s, want) in go {
            assert_eq!(match_segment(p, s, false), Ok(want), "{p:?} ~ {s:?}");
        }
        for bad in ["[", "[^", "a\\", "[a-"] {
            assert_eq!(match_segment(bad, "a", false), Err(BadPattern), "{bad:?}");
        }
        assert_eq!(
            match_segment("values-{dev,prod}.yaml", "values-prod.yaml", true),
            Ok(true)
        );
        assert_eq!(
            match_segment("values-{dev,prod}.yaml", "values-qa.yaml", true),
            Ok(false)
        );
        assert_eq!(match_segment("[!a]*", "b.yaml", true), Ok(true));
        assert_eq!(match_segment("{a", "a", true), Err(BadPattern));
    }

    #[test]
    fn doublestar_glob_expands_and_sorts() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for f in [
            "v/b.yaml",
            "v/a.yaml",
            "v/sub/c.yaml",
            "v/sub/deep/d.yaml",
            "v/x.txt",
        ] {
            let p = root.join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "").unwrap();
        }
        let r = path_str(root);
        let rel = |v: Vec<String>| -> Vec<String> {
            v.into_iter()
                .map(|s| s.strip_prefix(&format!("{r}/")).unwrap().to_owned())
                .collect()
        };
        assert_eq!(
            rel(doublestar_glob(&format!("{r}/v/*.yaml")).unwrap()),
            ["v/a.yaml", "v/b.yaml"]
        );
        assert_eq!(
            rel(doublestar_glob(&format!("{r}/v/**/*.yaml")).unwrap()),
            ["v/a.yaml", "v/b.yaml", "v/sub/c.yaml", "v/sub/deep/d.yaml"]
        );
        assert_eq!(
            rel(doublestar_glob(&format!("{r}/v/{{a,x}}.*")).unwrap()),
            ["v/a.yaml", "v/x.txt"]
        );
        assert!(
            doublestar_glob(&format!("{r}/none/*.yaml"))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn go_glob_keeps_the_pattern_form() {
        let dir = tempfile::tempdir().unwrap();
        for d in ["components/a", "components/b", "other"] {
            std::fs::create_dir_all(dir.path().join(d)).unwrap();
        }
        assert_eq!(
            go_glob(dir.path(), "./components").unwrap(),
            ["./components"]
        );
        assert_eq!(
            go_glob(dir.path(), "./components/*").unwrap(),
            ["components/a", "components/b"]
        );
        assert!(go_glob(dir.path(), "missing").unwrap().is_empty());
        assert_eq!(go_glob(dir.path(), "[").unwrap_err(), BadPattern);
    }

    #[test]
    fn local_relative_paths_follow_argo() {
        for (p, want) in [
            ("foobar.yaml", true),
            ("./foobar.yaml", true),
            ("../../components/x", true),
            ("file://foobar.yaml", true),
            ("file:///foobar.yaml", false),
            ("/foobar.yaml", false),
            ("https://github.com/owner/repo", false),
            ("git@github.com:owner/repo", false),
            ("ssh://git@github.com/owner/repo", false),
            ("github.com/owner/repo", false),
        ] {
            assert_eq!(is_local_relative_path(p), want, "{p}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn mirror_links_around_and_copies_the_source() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("repo");
        std::fs::create_dir_all(repo.join("base")).unwrap();
        std::fs::create_dir_all(repo.join("apps/web/sub")).unwrap();
        std::fs::write(repo.join("base/kustomization.yaml"), "resources: []\n").unwrap();
        std::fs::write(
            repo.join("apps/web/kustomization.yaml"),
            "resources: [../../base]\n",
        )
        .unwrap();
        std::fs::write(repo.join("apps/web/sub/x.yaml"), "x: 1\n").unwrap();
        std::os::unix::fs::symlink("../../base", repo.join("apps/web/link")).unwrap();
        let m = mirror(&repo, &repo.join("apps/web")).unwrap();
        assert!(
            std::fs::symlink_metadata(m.root.join("base"))
                .unwrap()
                .file_type()
                .is_symlink()
        );
        let k = m.source.join("kustomization.yaml");
        assert!(
            !std::fs::symlink_metadata(&k)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(
            std::fs::read_to_string(&k).unwrap(),
            "resources: [../../base]\n"
        );
        assert_eq!(
            std::fs::read_to_string(m.source.join("sub/x.yaml")).unwrap(),
            "x: 1\n"
        );
        assert_eq!(
            std::fs::read_link(m.source.join("link")).unwrap(),
            Path::new("../../base")
        );
        // Writing the mirror's kustomization never reaches the original.
        std::fs::remove_file(&k).unwrap();
        std::fs::write(&k, "changed").unwrap();
        assert_eq!(
            std::fs::read_to_string(repo.join("apps/web/kustomization.yaml")).unwrap(),
            "resources: [../../base]\n"
        );
        let root = m.root.clone();
        drop(m);
        assert!(!root.exists());
        assert!(repo.join("base/kustomization.yaml").exists());
    }
}
