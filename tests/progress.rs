//! The progress line: drawn on stderr only when it is a terminal and the report is for
//! people; never for machine formats, pipes or `-q`. Runs the binary under a
//! pseudo-terminal with util-linux `script`, with the one-second delay set to zero so a
//! short run shows the line.

mod common;

use common::*;
use std::process::Command;

/// Runs `kubectl-gitops lint ARGS` under a pseudo-terminal (stdout and stderr both on
/// it) and returns everything written to the terminal.
fn in_terminal(args: &str) -> Option<String> {
    let found = Command::new("script")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !tool_available("script (util-linux)", found, "install util-linux") {
        return None;
    }
    let out = Command::new("script")
        .args(["-qec", &format!("'{BIN}' lint {args}"), "/dev/null"])
        .env("KUBECTL_GITOPS_PROGRESS_DELAY_MS", "0")
        .env("TERM", "xterm")
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("script runs");
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn human_and_concise_reports_show_progress_on_a_terminal() {
    for format in ["human", "concise"] {
        let Some(screen) = in_terminal(&format!("{DEMO} --format {format}")) else {
            return;
        };
        assert!(screen.contains("reading files"), "{format}: {screen}");
        assert!(screen.contains("checking"), "{format}: {screen}");
        // The line is cleared before the report.
        assert!(screen.contains("\u{1b}[2K"), "{format}: {screen}");
        assert!(
            screen.contains("7 errors, 2 warnings"),
            "{format}: {screen}"
        );
    }
}

#[test]
fn machine_formats_and_quiet_runs_never_show_progress() {
    for args in [
        format!("{DEMO} --format json"),
        format!("{DEMO} --format sarif"),
        format!("{DEMO} --format github"),
        format!("{DEMO} --format human -q"),
    ] {
        let Some(screen) = in_terminal(&args) else {
            return;
        };
        assert!(!screen.contains("reading files"), "{args}: {screen}");
        assert!(!screen.contains("checking"), "{args}: {screen}");
        assert!(!screen.contains("\u{1b}[2K"), "{args}: {screen}");
    }
}

#[test]
fn no_progress_when_stderr_is_not_a_terminal() {
    let out = kg()
        .args(["lint", DEMO, "--format", "human"])
        .env("KUBECTL_GITOPS_PROGRESS_DELAY_MS", "0")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
}
