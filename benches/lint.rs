//! The full lint pipeline (walk, load, model, engine, suppressions, JSON report) over a
//! generated repository of about 10,000 files, on 1 and 2 worker threads.
//!
//! ```text
//! cargo bench --bench lint
//! ```
//!
//! Criterion reports the time per lint and MB/s; files/s is printed after it, from a
//! separate median of a few runs per thread count. `SYNTH_APPS` and `SYNTH_MANIFESTS`
//! change the repository's size (defaults 500 and 19: 10,013 files).

mod synth;

use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput};
use kubectl_gitops::cli::{LintArgs, lint_paths};
use kubectl_gitops::report::json;
use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

/// The rules that need the dependency index.
const DEPENDENCY_RULES: [&str; 3] = ["SYN005", "SYN006", "SYN009"];

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One complete lint of `root` rendered to JSON, as `lint --format json` does it.
fn lint_to_json(root: &Path, jobs: usize) -> String {
    lint_to_json_ignoring(root, jobs, &[])
}

/// The same, with some rules switched off (`--ignore`).
fn lint_to_json_ignoring(root: &Path, jobs: usize, ignore: &[&str]) -> String {
    let mut args = LintArgs::new(vec![root.to_path_buf()]);
    args.repo.jobs = Some(jobs);
    args.repo.ignore = ignore.iter().map(|c| (*c).to_owned()).collect();
    let result = match lint_paths(&args) {
        Ok(r) => r,
        Err(e) => panic!("lint failed: {e:#}"),
    };
    let input = result.report_input(false, false);
    json::render(&input)
}

fn main() {
    // `cargo test --benches` runs this without `--bench`: then a small repository and one
    // pass of each benchmark, as a smoke test.
    let bench_mode = std::env::args().any(|a| a == "--bench");
    let spec = if bench_mode {
        synth::Spec {
            apps: env_usize("SYNTH_APPS", 500),
            manifests: env_usize("SYNTH_MANIFESTS", 19),
            seed: 1,
            kustomize_every: 0,
        }
    } else {
        synth::Spec {
            apps: 12,
            manifests: 10,
            seed: 1,
            kustomize_every: 0,
        }
    };
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("cannot create a temporary directory: {e}"),
    };
    let stats = match synth::generate(dir.path(), &spec) {
        Ok(s) => s,
        Err(e) => panic!("cannot generate the repository: {e}"),
    };
    // A sanity check that the pipeline really lints the repository: the planted mistakes
    // are found, and every file is read.
    let report = lint_to_json(dir.path(), 2);
    let parsed: serde_json::Value = serde_json::from_str(&report).unwrap_or_default();
    let read = parsed["summary"]["files"].as_u64().unwrap_or(0);
    let found = parsed["diagnostics"].as_array().map_or(0, Vec::len);
    assert_eq!(read, stats.files as u64, "every generated file is read");
    assert!(found > 0, "the planted mistakes are reported");
    println!(
        "repository: {} files, {} documents, {:.1} MB; {} diagnostics",
        stats.files,
        stats.documents,
        stats.bytes as f64 / 1e6,
        found
    );

    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(15))
        .configure_from_args();
    {
        let mut group = c.benchmark_group("lint");
        group.sampling_mode(SamplingMode::Flat);
        group.throughput(Throughput::Bytes(stats.bytes));
        for jobs in [1usize, 2] {
            group.bench_with_input(
                BenchmarkId::new(format!("{}-files", stats.files), format!("jobs={jobs}")),
                &jobs,
                |b, &jobs| b.iter(|| black_box(lint_to_json(dir.path(), jobs))),
            );
        }
        // What dependency extraction, resolution and the ordering rules cost: the same
        // lint without the three rules that use them (the dependency index is built only
        // when one of them runs).
        group.bench_function(
            BenchmarkId::new(
                format!("{}-files", stats.files),
                "jobs=2,no-dependency-rules",
            ),
            |b| b.iter(|| black_box(lint_to_json_ignoring(dir.path(), 2, &DEPENDENCY_RULES))),
        );
        group.finish();
    }
    c.final_summary();

    if !bench_mode {
        return;
    }
    kustomize_pass(&spec);
    // files/s, which criterion cannot show next to MB/s: the median of five lints.
    for jobs in [1usize, 2] {
        let mut times: Vec<Duration> = (0..5)
            .map(|_| {
                let t = Instant::now();
                black_box(lint_to_json(dir.path(), jobs));
                t.elapsed()
            })
            .collect();
        times.sort();
        let median = times[times.len() / 2].as_secs_f64();
        println!(
            "lint jobs={jobs}: median {:.1} ms per lint of {} files: {:.0} files/s, {:.1} MB/s",
            median * 1e3,
            stats.files,
            stats.files as f64 / median,
            stats.bytes as f64 / 1e6 / median
        );
    }
}

/// The same repository with every 7th Application deploying a kustomize overlay,
/// rendered with the real `kubectl kustomize`/`kustomize` when on PATH: the render stage's
/// time per rendered source and the render cache's hit rate (three overlays per team,
/// shared by several Applications).
fn kustomize_pass(spec: &synth::Spec) {
    let tools = kubectl_gitops::render::tool::ToolPaths::from_path();
    if tools.kustomize.is_none() && tools.kubectl.is_none() {
        println!("kustomize pass skipped: neither kustomize nor kubectl is on PATH");
        return;
    }
    let spec = synth::Spec {
        kustomize_every: 7,
        ..*spec
    };
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("cannot create a temporary directory: {e}"),
    };
    if let Err(e) = synth::generate(dir.path(), &spec) {
        panic!("cannot generate the repository: {e}");
    }
    for jobs in [1usize, 2] {
        let mut args = LintArgs::new(vec![dir.path().to_path_buf()]);
        args.repo.jobs = Some(jobs);
        let t = Instant::now();
        let result = match lint_paths(&args) {
            Ok(r) => r,
            Err(e) => panic!("lint failed: {e:#}"),
        };
        let total = t.elapsed();
        let r = result.render;
        let cache = r.cache.unwrap_or_default();
        println!(
            "kustomize pass jobs={jobs}: {} rendered sources ({} renders, {} cache hits: {:.0}% hit rate); render stage {:.0} ms = {:.1} ms per Application, {:.1} ms per render; whole lint {:.0} ms",
            r.sources,
            cache.misses,
            cache.hits,
            cache.hit_rate() * 100.0,
            r.elapsed.as_secs_f64() * 1e3,
            r.elapsed.as_secs_f64() * 1e3 / r.sources.max(1) as f64,
            r.elapsed.as_secs_f64() * 1e3 / cache.misses.max(1) as f64,
            total.as_secs_f64() * 1e3,
        );
    }
}
