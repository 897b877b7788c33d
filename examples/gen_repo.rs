//! Writes a synthetic Argo CD GitOps repository to disk (the one the benchmarks lint).
//!
//! ```text
//! cargo run --release --example gen_repo -- OUT_DIR [--apps N] [--manifests M] [--seed S] [--kustomize-every K]
//! ```
//!
//! `--apps 500 --manifests 19` gives about 10,000 files, the size `benches/lint.rs` uses.

#[path = "../benches/synth/mod.rs"]
mod synth;

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: gen_repo OUT_DIR [--apps N] [--manifests M] [--seed S] [--kustomize-every K]  (defaults: 500, 19, 1, 0)";

fn parse() -> Result<(PathBuf, synth::Spec), String> {
    let mut out = None;
    let mut spec = synth::Spec {
        apps: 500,
        manifests: 19,
        seed: 1,
        kustomize_every: 0,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut number = |flag: &str| -> Result<u64, String> {
            let v = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
            v.parse()
                .map_err(|_| format!("{flag}: '{v}' is not a whole number"))
        };
        match a.as_str() {
            "--apps" => spec.apps = number("--apps")? as usize,
            "--manifests" => spec.manifests = number("--manifests")? as usize,
            "--seed" => spec.seed = number("--seed")?,
            "--kustomize-every" => spec.kustomize_every = number("--kustomize-every")? as usize,
            "-h" | "--help" => return Err(USAGE.to_owned()),
            _ if a.starts_with('-') => return Err(format!("unknown option {a}\n{USAGE}")),
            _ if out.is_none() => out = Some(PathBuf::from(a)),
            _ => return Err(format!("unexpected argument {a}\n{USAGE}")),
        }
    }
    let out = out.ok_or_else(|| USAGE.to_owned())?;
    Ok((out, spec))
}

fn main() -> ExitCode {
    let (out, spec) = match parse() {
        Ok(x) => x,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    match synth::generate(&out, &spec) {
        Ok(stats) => {
            println!(
                "wrote {} files, {} documents, {:.1} MB to {}",
                stats.files,
                stats.documents,
                stats.bytes as f64 / 1e6,
                out.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("cannot write {}: {e}", out.display());
            ExitCode::FAILURE
        }
    }
}
