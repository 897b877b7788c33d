//! [`ToolRenderer`]: finds `kustomize` (or `kubectl`, for `kubectl kustomize`) and `helm`,
//! and runs them with a deadline, bounded output and no way to hang on a full pipe.

use super::{RenderError, RenderRequest, Rendered, Renderer, SourceType};
use crate::config::RenderMode;
use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Explicit locations of the tools. `None` means not installed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ToolPaths {
    /// A standalone `kustomize`, run as `kustomize build <dir>`.
    pub kustomize: Option<PathBuf>,
    /// `kubectl`, run as `kubectl kustomize <dir>` when there is no standalone kustomize.
    pub kubectl: Option<PathBuf>,
    pub helm: Option<PathBuf>,
}

impl ToolPaths {
    /// The tools on `PATH`, looked up once.
    pub fn from_path() -> Self {
        ToolPaths {
            kustomize: find_on_path("kustomize"),
            kubectl: find_on_path("kubectl"),
            helm: find_on_path("helm"),
        }
    }
}

/// The first executable called `name` in the directories of `PATH`.
pub fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).find_map(|dir| {
        let candidates = if cfg!(windows) {
            vec![dir.join(format!("{name}.exe")), dir.join(name)]
        } else {
            vec![dir.join(name)]
        };
        candidates.into_iter().find(|c| is_executable(c))
    })
}

#[cfg(unix)]
fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(p: &Path) -> bool {
    std::fs::metadata(p).is_ok_and(|m| m.is_file())
}

/// A tool ready to run: the program and the arguments that come before our own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tool {
    pub program: PathBuf,
    pub prefix: Vec<String>,
    /// As users would type it: `kustomize`, `kubectl kustomize`, `helm`.
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Slot {
    Ready(Tool),
    Missing,
    Disabled,
}

/// The default cap on what a tool may print on one stream.
pub const DEFAULT_OUTPUT_CAP: usize = 64 << 20;

/// Renders with the real tools (see the module docs of [`super::kustomize`] and
/// [`super::helm`] for how options are applied). Cheap to share across threads; it holds
/// no state besides the tool locations.
#[derive(Debug, Clone)]
pub struct ToolRenderer {
    kustomize: Slot,
    helm: Slot,
    offline: bool,
    output_cap: usize,
}

impl ToolRenderer {
    /// The tools found on `PATH`; `never` switches a tool off.
    pub fn new(kustomize: RenderMode, helm: RenderMode) -> Self {
        Self::with_paths(ToolPaths::from_path(), kustomize, helm)
    }

    /// The given tools; `never` switches a tool off whatever the paths say.
    pub fn with_paths(paths: ToolPaths, kustomize: RenderMode, helm: RenderMode) -> Self {
        let kustomize_slot = match kustomize {
            RenderMode::Never => Slot::Disabled,
            RenderMode::Auto => match (paths.kustomize, paths.kubectl) {
                (Some(program), _) => Slot::Ready(Tool {
                    program,
                    prefix: vec!["build".into()],
                    label: "kustomize".into(),
                }),
                (None, Some(program)) => Slot::Ready(Tool {
                    program,
                    prefix: vec!["kustomize".into()],
                    label: "kubectl kustomize".into(),
                }),
                (None, None) => Slot::Missing,
            },
        };
        let helm_slot = match (helm, paths.helm) {
            (RenderMode::Never, _) => Slot::Disabled,
            (RenderMode::Auto, Some(program)) => Slot::Ready(Tool {
                program,
                prefix: Vec::new(),
                label: "helm".into(),
            }),
            (RenderMode::Auto, None) => Slot::Missing,
        };
        ToolRenderer {
            kustomize: kustomize_slot,
            helm: helm_slot,
            offline: true,
            output_cap: DEFAULT_OUTPUT_CAP,
        }
    }

    /// Let the tools reach the network (remote kustomize bases, remote value files).
    /// Off by default: the tools run with an unreachable proxy and git limited to local
    /// repositories, so a render never waits on the network and such sources give
    /// [`RenderError::NeedsNetwork`].
    pub fn allow_network(mut self, allow: bool) -> Self {
        self.offline = !allow;
        self
    }

    /// The most bytes a tool may print on stdout or stderr before it is stopped.
    pub fn output_cap(mut self, bytes: usize) -> Self {
        self.output_cap = bytes;
        self
    }

    /// How kustomize sources are rendered, for messages (`kubectl kustomize`), or `None`
    /// when they are not.
    pub fn kustomize_label(&self) -> Option<&str> {
        match &self.kustomize {
            Slot::Ready(t) => Some(&t.label),
            _ => None,
        }
    }

    /// The helm program, or `None` when Helm sources are not rendered.
    pub fn helm_label(&self) -> Option<&str> {
        match &self.helm {
            Slot::Ready(t) => Some(&t.label),
            _ => None,
        }
    }

    pub(crate) fn kustomize_tool(&self) -> Result<&Tool, RenderError> {
        slot(&self.kustomize, "kustomize")
    }

    pub(crate) fn helm_tool(&self) -> Result<&Tool, RenderError> {
        slot(&self.helm, "helm")
    }

    pub(crate) fn kustomize_disabled(&self) -> bool {
        self.kustomize == Slot::Disabled
    }

    pub(crate) fn helm_disabled(&self) -> bool {
        self.helm == Slot::Disabled
    }

    pub(crate) fn offline(&self) -> bool {
        self.offline
    }

    pub(crate) fn cap(&self) -> usize {
        self.output_cap
    }
}

fn slot<'a>(s: &'a Slot, tool: &'static str) -> Result<&'a Tool, RenderError> {
    match s {
        Slot::Ready(t) => Ok(t),
        Slot::Missing => Err(RenderError::ToolMissing { tool }),
        Slot::Disabled => Err(RenderError::Disabled { tool }),
    }
}

impl Renderer for ToolRenderer {
    fn render(&self, req: &RenderRequest) -> Result<Rendered, RenderError> {
        match req.kind {
            SourceType::Kustomize => super::kustomize::render(self, req),
            SourceType::Helm => super::helm::render(self, req),
        }
    }
}

/// The environment that keeps a tool off the network: an HTTP(S) proxy nobody listens on
/// and git allowed only local transports.
pub(crate) fn offline_env() -> Vec<(String, OsString)> {
    let proxy = OsString::from("http://127.0.0.1:9");
    let mut env: Vec<(String, OsString)> = [
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "http_proxy",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ]
    .into_iter()
    .map(|k| (k.to_owned(), proxy.clone()))
    .collect();
    env.push(("NO_PROXY".into(), OsString::new()));
    env.push(("no_proxy".into(), OsString::new()));
    env.push(("GIT_ALLOW_PROTOCOL".into(), "file".into()));
    env.push(("GIT_TERMINAL_PROMPT".into(), "0".into()));
    env
}

/// One run of a tool.
pub(crate) struct Invocation<'a> {
    pub program: &'a Path,
    pub args: Vec<OsString>,
    pub cwd: &'a Path,
    pub env: Vec<(String, OsString)>,
    pub timeout: Duration,
    pub cap: usize,
}

#[derive(Debug)]
pub(crate) enum Outcome {
    Exited {
        success: bool,
        code: Option<i32>,
        stdout: Vec<u8>,
        stderr: Vec<u8>,
    },
    TimedOut,
    TooLarge,
    SpawnFailed(std::io::Error),
}

#[derive(Clone, Copy)]
enum Stream {
    Stdout,
    Stderr,
}

/// Runs the tool with stdin closed, both output streams read concurrently (so a tool
/// writing a lot to one cannot block on the other), a deadline after which it is killed,
/// and a cap on each stream after which it is killed too. The child is always waited for.
pub(crate) fn run(inv: &Invocation<'_>) -> Outcome {
    let mut cmd = Command::new(inv.program);
    cmd.args(&inv.args)
        .current_dir(inv.cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in &inv.env {
        cmd.env(k, v);
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return Outcome::SpawnFailed(e),
    };
    let overflow = Arc::new(AtomicBool::new(false));
    let (tx, rx) = mpsc::channel::<(usize, Vec<u8>)>();
    let mut readers = 0;
    if let Some(out) = child.stdout.take() {
        spawn_reader(out, Stream::Stdout, inv.cap, &overflow, &tx);
        readers += 1;
    }
    if let Some(err) = child.stderr.take() {
        spawn_reader(err, Stream::Stderr, inv.cap, &overflow, &tx);
        readers += 1;
    }
    drop(tx);

    let deadline = Instant::now() + inv.timeout;
    let mut step = Duration::from_millis(1);
    let status = loop {
        match child.try_wait() {
            Ok(Some(st)) => break Some(st),
            Ok(None) => {}
            Err(_) => {
                stop(&mut child);
                break None;
            }
        }
        if overflow.load(Ordering::Relaxed) {
            stop(&mut child);
            return Outcome::TooLarge;
        }
        let now = Instant::now();
        if now >= deadline {
            stop(&mut child);
            return Outcome::TimedOut;
        }
        std::thread::sleep(step.min(deadline - now));
        step = (step * 2).min(Duration::from_millis(20));
    };
    let Some(status) = status else {
        return Outcome::SpawnFailed(std::io::Error::other("could not wait for the tool"));
    };
    // The tool has exited; its output is complete once both pipes are closed. A
    // grandchild still holding a pipe open counts against the same deadline.
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    for _ in 0..readers {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok((0, b)) => stdout = b,
            Ok((_, b)) => stderr = b,
            Err(_) => return Outcome::TimedOut,
        }
    }
    if overflow.load(Ordering::Relaxed) {
        return Outcome::TooLarge;
    }
    Outcome::Exited {
        success: status.success(),
        code: status.code(),
        stdout,
        stderr,
    }
}

fn spawn_reader(
    mut r: impl Read + Send + 'static,
    stream: Stream,
    cap: usize,
    overflow: &Arc<AtomicBool>,
    tx: &mpsc::Sender<(usize, Vec<u8>)>,
) {
    let overflow = Arc::clone(overflow);
    let tx = tx.clone();
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let mut chunk = vec![0u8; 64 * 1024];
        loop {
            match r.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => {
                    if buf.len() + n > cap {
                        overflow.store(true, Ordering::Relaxed);
                        break;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        let idx = match stream {
            Stream::Stdout => 0,
            Stream::Stderr => 1,
        };
        // The receiver may be gone after a timeout; nothing is left to do then.
        let _ = tx.send((idx, buf));
    });
}

/// Kills the child and reaps it, so it never lingers as a zombie.
fn stop(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// The tool's own error text from its stderr: trimmed, with kubectl's klog framing
/// (`E1122 02:20:41.338697   25710 run.go:72] "command failed" err="…"`) replaced by the
/// error it carries, and a leading `Error: ` / `error: ` dropped. Informational klog
/// lines are dropped when there is anything else to say.
pub fn clean_stderr(stderr: &str) -> String {
    let lines: Vec<&str> = stderr.lines().collect();
    let mut out: Vec<String> = Vec::new();
    let mut info: Vec<String> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        i += 1;
        let Some((severity, rest)) = split_klog(line) else {
            out.push(line.to_owned());
            continue;
        };
        let body = if let Some(err) = klog_err_value(rest) {
            if err == "<" {
                let mut block = Vec::new();
                while i < lines.len() {
                    let l = lines[i];
                    i += 1;
                    if l.trim() == ">" {
                        break;
                    }
                    block.push(l.strip_prefix('\t').unwrap_or(l).to_owned());
                }
                block.join("\n")
            } else {
                unquote_go(err).unwrap_or_else(|| err.to_owned())
            }
        } else {
            rest.to_owned()
        };
        if matches!(severity, 'I' | 'W') {
            info.push(body);
        } else {
            out.push(body);
        }
    }
    if out.iter().all(|l| l.trim().is_empty()) {
        out = info;
    }
    let text = out.join("\n");
    let text = text.trim();
    let text = text
        .strip_prefix("Error: ")
        .or_else(|| text.strip_prefix("error: "))
        .unwrap_or(text);
    text.trim().to_owned()
}

/// `E1122 02:20:41.338697   25710 run.go:72] rest` → (`E`, `rest`).
fn split_klog(line: &str) -> Option<(char, &str)> {
    let b = line.as_bytes();
    if b.len() < 22 || !matches!(b[0], b'I' | b'W' | b'E' | b'F') {
        return None;
    }
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if !(digits(1..5)
        && b[5] == b' '
        && digits(6..8)
        && b[8] == b':'
        && digits(9..11)
        && b[11] == b':'
        && digits(12..14)
        && b[14] == b'.')
    {
        return None;
    }
    let close = line.find("] ")?;
    Some((char::from(b[0]), &line[close + 2..]))
}

/// The value of `err=` in a klog structured line.
fn klog_err_value(rest: &str) -> Option<&str> {
    let idx = rest.find(" err=")?;
    Some(&rest[idx + 5..])
}

/// Go's `strconv.Unquote` for a double-quoted string (as klog writes values).
pub(crate) fn unquote_go(s: &str) -> Option<String> {
    let inner = s.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = String::with_capacity(inner.len());
    let mut bytes: Vec<u8> = Vec::new();
    let mut chars = inner.chars().peekable();
    let flush = |bytes: &mut Vec<u8>, out: &mut String| {
        if !bytes.is_empty() {
            out.push_str(&String::from_utf8_lossy(bytes));
            bytes.clear();
        }
    };
    while let Some(c) = chars.next() {
        if c != '\\' {
            flush(&mut bytes, &mut out);
            out.push(c);
            continue;
        }
        let e = chars.next()?;
        let mut hex = |n: usize| -> Option<u32> {
            let s: String = (0..n).filter_map(|_| chars.next()).collect();
            if s.len() != n {
                return None;
            }
            u32::from_str_radix(&s, 16).ok()
        };
        match e {
            'n' => push(&mut bytes, &mut out, '\n'),
            't' => push(&mut bytes, &mut out, '\t'),
            'r' => push(&mut bytes, &mut out, '\r'),
            'a' => push(&mut bytes, &mut out, '\u{7}'),
            'b' => push(&mut bytes, &mut out, '\u{8}'),
            'f' => push(&mut bytes, &mut out, '\u{c}'),
            'v' => push(&mut bytes, &mut out, '\u{b}'),
            '\\' | '"' | '\'' => push(&mut bytes, &mut out, e),
            'x' => bytes.push(u8::try_from(hex(2)?).ok()?),
            'u' => push(&mut bytes, &mut out, char::from_u32(hex(4)?)?),
            'U' => push(&mut bytes, &mut out, char::from_u32(hex(8)?)?),
            '0'..='7' => {
                let mut v = e.to_digit(8)?;
                for _ in 0..2 {
                    v = v * 8 + chars.next()?.to_digit(8)?;
                }
                bytes.push(u8::try_from(v).ok()?);
            }
            _ => return None,
        }
    }
    flush(&mut bytes, &mut out);
    Some(out)
}

fn push(bytes: &mut Vec<u8>, out: &mut String, c: char) {
    if !bytes.is_empty() {
        out.push_str(&String::from_utf8_lossy(bytes));
        bytes.clear();
    }
    out.push(c);
}

/// Maps a finished run to the render result.
pub(crate) fn finish(
    tool: &Tool,
    outcome: Outcome,
    timeout: Duration,
) -> Result<String, RenderError> {
    match outcome {
        Outcome::Exited {
            success: true,
            stdout,
            ..
        } => Ok(String::from_utf8_lossy(&stdout).into_owned()),
        Outcome::Exited {
            code,
            stdout,
            stderr,
            ..
        } => {
            let mut message = clean_stderr(&String::from_utf8_lossy(&stderr));
            if message.is_empty() {
                message = clean_stderr(&String::from_utf8_lossy(&stdout));
            }
            if message.is_empty() {
                message = match code {
                    Some(c) => format!("exited with status {c} and printed no error"),
                    None => "was killed by a signal".to_owned(),
                };
            }
            Err(RenderError::Failed {
                tool: tool.label.clone(),
                message,
            })
        }
        Outcome::TimedOut => Err(RenderError::TimedOut {
            tool: tool.label.clone(),
            after: timeout,
        }),
        Outcome::TooLarge => Err(RenderError::Failed {
            tool: tool.label.clone(),
            message: "its output exceeded the size limit, so it was stopped".to_owned(),
        }),
        Outcome::SpawnFailed(e) => Err(RenderError::Failed {
            tool: tool.label.clone(),
            message: format!("could not run {}: {e}", tool.program.display()),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn klog_framing_is_removed() {
        let quoted = "E1122 02:25:57.290513   31357 run.go:72] \"command failed\" err=\"accumulating resources: 'missing.yaml': lstat \\\"x\\\": no such file\"";
        assert_eq!(
            clean_stderr(quoted),
            "accumulating resources: 'missing.yaml': lstat \"x\": no such file"
        );
        let block = "E1122 02:26:06.895769   31505 run.go:72] \"command failed\" err=<\n\taccumulating resources: first\n\t: exit status 128\n >\n";
        assert_eq!(
            clean_stderr(block),
            "accumulating resources: first\n: exit status 128"
        );
        assert_eq!(
            clean_stderr("Error: template: x/templates/a.yaml:3: bad\n"),
            "template: x/templates/a.yaml:3: bad"
        );
        assert_eq!(
            clean_stderr("error: plain kubectl error\n"),
            "plain kubectl error"
        );
        let warn_then_err = "W1122 02:25:57.1   1 warnings.go:70] something\nE1122 02:25:57.2   1 run.go:72] \"command failed\" err=\"boom\"";
        assert_eq!(clean_stderr(warn_then_err), "boom");
        assert_eq!(clean_stderr("  \n"), "");
    }

    #[test]
    fn go_unquote() {
        assert_eq!(
            unquote_go(r#""a\nb\t\"c\"\\ \u00e9 \x41 \101""#).as_deref(),
            Some("a\nb\t\"c\"\\ é A A")
        );
        assert_eq!(unquote_go(r#""\xc3\xa9""#).as_deref(), Some("é"));
        assert_eq!(unquote_go("no quotes"), None);
        assert_eq!(unquote_go(r#""bad \q""#), None);
    }

    #[test]
    fn disabled_and_missing_tools() {
        let r = ToolRenderer::with_paths(
            ToolPaths {
                kustomize: None,
                kubectl: Some("/usr/bin/kubectl".into()),
                helm: None,
            },
            RenderMode::Auto,
            RenderMode::Auto,
        );
        assert_eq!(r.kustomize_label(), Some("kubectl kustomize"));
        assert_eq!(
            r.helm_tool().unwrap_err(),
            RenderError::ToolMissing { tool: "helm" }
        );
        let off = ToolRenderer::with_paths(
            ToolPaths {
                kustomize: Some("/bin/kustomize".into()),
                kubectl: None,
                helm: Some("/bin/helm".into()),
            },
            RenderMode::Never,
            RenderMode::Never,
        );
        assert_eq!(
            off.kustomize_tool().unwrap_err(),
            RenderError::Disabled { tool: "kustomize" }
        );
        assert_eq!(off.helm_label(), None);
        let standalone = ToolRenderer::with_paths(
            ToolPaths {
                kustomize: Some("/bin/kustomize".into()),
                kubectl: Some("/bin/kubectl".into()),
                helm: None,
            },
            RenderMode::Auto,
            RenderMode::Auto,
        );
        let t = standalone.kustomize_tool().unwrap();
        assert_eq!(
            (t.label.as_str(), t.prefix.as_slice()),
            ("kustomize", ["build".to_owned()].as_slice())
        );
    }

    #[cfg(unix)]
    #[test]
    fn run_captures_large_output_on_both_streams() {
        let inv = Invocation {
            program: Path::new("/bin/sh"),
            args: vec![
                "-c".into(),
                "head -c 300000 /dev/zero | tr '\\0' a; head -c 300000 /dev/zero | tr '\\0' b >&2; exit 3".into(),
            ],
            cwd: Path::new("/"),
            env: Vec::new(),
            timeout: Duration::from_secs(30),
            cap: DEFAULT_OUTPUT_CAP,
        };
        match run(&inv) {
            Outcome::Exited {
                success,
                code,
                stdout,
                stderr,
            } => {
                assert!(!success);
                assert_eq!(code, Some(3));
                assert_eq!(stdout.len(), 300_000);
                assert_eq!(stderr.len(), 300_000);
            }
            other => panic!("{other:?}"),
        }
    }

    #[cfg(unix)]
    #[test]
    fn run_stops_at_the_output_cap_and_the_deadline() {
        let big = Invocation {
            program: Path::new("/bin/sh"),
            args: vec![
                "-c".into(),
                "while :; do echo aaaaaaaaaaaaaaaa; done".into(),
            ],
            cwd: Path::new("/"),
            env: Vec::new(),
            timeout: Duration::from_secs(30),
            cap: 100_000,
        };
        assert!(matches!(run(&big), Outcome::TooLarge));
        let started = Instant::now();
        let slow = Invocation {
            program: Path::new("/bin/sh"),
            args: vec!["-c".into(), "exec sleep 30".into()],
            cwd: Path::new("/"),
            env: Vec::new(),
            timeout: Duration::from_millis(100),
            cap: 1000,
        };
        assert!(matches!(run(&slow), Outcome::TimedOut));
        assert!(started.elapsed() < Duration::from_secs(10));
    }
}
