//! The progress line of a long lint: shown on stderr only when stderr is a terminal, the
//! report is for people (human or concise), and the run has already taken a second.
//! Short runs, pipes, files, CI logs and machine formats never see it.
//!
//! The stages are the pipeline's (reading, rendering, checking); the count is of sources
//! rendered, the one stage whose length depends on external tools. The line is cleared
//! before the report is written.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal as _;
use std::sync::mpsc;
use std::time::Duration;

/// How long a run goes before the progress line appears.
pub const DELAY: Duration = Duration::from_secs(1);

/// Overrides [`DELAY`] in milliseconds; the end-to-end test of the progress line sets it
/// to 0 so that a short run shows it.
pub const DELAY_ENV: &str = "KUBECTL_GITOPS_PROGRESS_DELAY_MS";

fn delay() -> Duration {
    std::env::var(DELAY_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map_or(DELAY, Duration::from_millis)
}

/// Whether a progress line may be drawn on this process's stderr.
pub fn stderr_is_interactive() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
}

/// A progress line that shows itself after [`DELAY`], or a no-op.
pub struct Progress {
    bar: Option<ProgressBar>,
    /// Dropping it tells the timer thread the run is over.
    stop: Option<mpsc::Sender<()>>,
    timer: Option<std::thread::JoinHandle<()>>,
}

impl Progress {
    /// A progress line that never shows.
    pub fn hidden() -> Progress {
        Progress {
            bar: None,
            stop: None,
            timer: None,
        }
    }

    /// A progress line on stderr when `enabled`, shown once the run takes [`DELAY`].
    pub fn start(enabled: bool) -> Progress {
        Progress::start_on(enabled, delay(), ProgressDrawTarget::stderr)
    }

    fn start_on(enabled: bool, delay: Duration, target: fn() -> ProgressDrawTarget) -> Progress {
        if !enabled {
            return Progress::hidden();
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
        let style = ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
        bar.set_style(style);
        let show = move |b: &ProgressBar| {
            b.set_draw_target(target());
            b.enable_steady_tick(Duration::from_millis(120));
        };
        if delay.is_zero() {
            show(&bar);
            return Progress {
                bar: Some(bar),
                stop: None,
                timer: None,
            };
        }
        let (stop, stopped) = mpsc::channel::<()>();
        let shown = bar.clone();
        let timer = std::thread::Builder::new()
            .name("progress".into())
            .spawn(move || {
                if let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(delay) {
                    show(&shown);
                }
            })
            .ok();
        Progress {
            bar: Some(bar),
            stop: Some(stop),
            timer,
        }
    }

    /// The current stage, such as `rendering sources`.
    pub fn stage(&self, message: impl Into<String>) {
        if let Some(b) = &self.bar {
            b.set_position(0);
            b.set_message(message.into());
        }
    }

    /// One more item of the current stage; the message becomes `{stage}: {n}`.
    pub fn tick(&self, stage: &str) {
        if let Some(b) = &self.bar {
            b.inc(1);
            b.set_message(format!("{stage}: {}", b.position()));
        }
    }

    /// Whether this progress line may ever draw.
    pub fn is_enabled(&self) -> bool {
        self.bar.is_some()
    }

    /// Clears the line (if it was shown) and stops the timer.
    pub fn finish(mut self) {
        self.stop.take();
        if let Some(t) = self.timer.take() {
            let _ = t.join();
        }
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop.take();
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disabled_progress_does_nothing() {
        let p = Progress::start(false);
        assert!(!p.is_enabled());
        p.stage("reading");
        p.tick("rendering");
        p.finish();
    }

    #[test]
    fn a_quick_run_finishes_before_the_delay_without_waiting_for_it() {
        let started = std::time::Instant::now();
        let p = Progress::start_on(true, DELAY, ProgressDrawTarget::hidden);
        assert!(p.is_enabled());
        p.stage("reading");
        p.tick("rendering sources");
        p.finish();
        assert!(
            started.elapsed() < DELAY,
            "finish must not wait out the delay"
        );
    }
}
