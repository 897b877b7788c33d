//! Command-line interface (clap derive) and the commands' drivers.
//!
//! Everything here returns an exit code or an error for `main` to print; nothing
//! calls `process::exit` except `main`.

use crate::baseline::{self, BaselineFile};
use crate::config::{self, Config, RenderMode};
use crate::diagnostic::Severity;
use crate::engine::{self, catalogue::Catalogue, select::Selection};
use crate::model::identity::RepoIdentity;
use crate::model::{Model, Repo};
use crate::progress::Progress;
use crate::render::{self, Renderer};
use crate::report::{self, Summary};
use crate::scope::{self, FileScope};
use crate::walk;
use anyhow::{Context as _, Result, bail};
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use std::io::Write as _;
use std::path::{Path, PathBuf};

#[derive(Parser, Debug)]
#[command(
    name = "kubectl-gitops",
    version,
    about = "Offline linter for Argo CD GitOps repositories",
    long_about = "Reads an Argo CD GitOps repository offline and reports what Argo CD would reject, \
silently ignore, apply in the wrong order or fight over, with the exact file, line and column.",
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Lint a GitOps repository (default: the current directory)
    Lint(LintArgs),
    /// Print the app-of-apps tree: each Application with its project, destination, source,
    /// resources and diagnostics
    Tree(TreeArgs),
    /// Print the sync plan of one Application: phase, wave, kind order and name, hooks and
    /// delete policies, in the order Argo CD applies them
    Waves(WavesArgs),
    /// Show what one Application's ignoreDifferences rules (its own and argocd-cm's)
    /// remove from each of its resources
    Ignores(IgnoresArgs),
    /// Work with ApplicationSets offline
    Appset(AppsetArgs),
    /// Compare the repository with what a cluster runs (read-only: discovery and lists)
    /// and report drift: exit 0 none, 1 drift, 2 could not check
    Drift(DriftArgs),
    /// List the rule catalogue
    Rules(RulesArgs),
    /// Show one rule's documentation
    Explain {
        /// A rule code (SYN001) or name (invalid-sync-wave)
        rule: String,
    },
    /// Write a commented .kubectl-gitops.yaml
    Init {
        /// Directory to write it in
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Overwrite an existing file
        #[arg(long)]
        force: bool,
    },
    /// Print shell completions
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the version
    Version,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Concise,
    Json,
    Sarif,
    Github,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Info,
    None,
}

impl FailOn {
    /// The lowest severity that fails the run (`None`: nothing does).
    pub fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Error => Some(Severity::Error),
            FailOn::Warning => Some(Severity::Warning),
            FailOn::Info => Some(Severity::Info),
            FailOn::None => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Args, Debug)]
pub struct LintArgs {
    /// Files or directories to lint
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Report format
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Write the report to FILE instead of stdout
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Lowest severity that makes the exit code 1
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
    #[command(flatten)]
    pub repo: RepoOptions,
    /// Colour: auto honours NO_COLOR, CLICOLOR, CLICOLOR_FORCE and whether output is a terminal
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// No summary line (and no progress line)
    #[arg(short, long)]
    pub quiet: bool,
    /// Index the whole repository but report only the findings located in these files or
    /// directories (pre-commit passes the staged files here; give PATH before --files)
    #[arg(
        long,
        value_name = "FILE",
        num_args = 1..,
        conflicts_with = "changed_since"
    )]
    pub files: Vec<PathBuf>,
    /// Like --files, with the files changed since the merge base of REV and HEAD
    /// (committed, staged, unstaged and untracked)
    #[arg(long, value_name = "REV")]
    pub changed_since: Option<String>,
    /// Do not report the findings recorded in FILE (written by --write-baseline)
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Record the current findings in FILE and exit 0
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
}

impl LintArgs {
    /// The lint a report command reads its model from: one path, that command's
    /// repository options, everything else as on the command line.
    fn of(path: PathBuf, repo: RepoOptions) -> Self {
        LintArgs {
            repo,
            ..LintArgs::new(vec![path])
        }
    }

    /// Defaults as on the command line, for these paths.
    pub fn new(paths: Vec<PathBuf>) -> Self {
        LintArgs {
            paths,
            format: Format::Human,
            output: None,
            fail_on: FailOn::Error,
            repo: RepoOptions::default(),
            color: ColorChoice::Never,
            quiet: false,
            files: Vec::new(),
            changed_since: None,
            baseline: None,
            write_baseline: None,
        }
    }
}

/// How the repository is read and which rules run: shared by every command that lints.
#[derive(Args, Debug, Clone, Default)]
pub struct RepoOptions {
    /// Configuration file (default: .kubectl-gitops.yaml in PATH or the nearest parent)
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Enable rules by code, name or code prefix (repeatable; replaces the config's select)
    #[arg(long, value_name = "RULE")]
    pub select: Vec<String>,
    /// Disable rules by code, name or code prefix (repeatable; added to the config's ignore)
    #[arg(long, value_name = "RULE")]
    pub ignore: Vec<String>,
    /// Worker threads (default: all cores)
    #[arg(short, long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Load additional declarative rules from DIR (repeatable)
    #[arg(long = "rules", value_name = "DIR")]
    pub rule_dirs: Vec<PathBuf>,
    /// A URL under which Argo CD knows this repository (repeatable; added to the config's
    /// repoURLs and the git remotes)
    #[arg(long = "repo-url", value_name = "URL")]
    pub repo_urls: Vec<String>,
    /// Render kustomize and Helm sources with the real tools when they are on PATH
    /// (default: auto, or the config's render:)
    #[arg(long, value_enum, value_name = "MODE")]
    pub render: Option<RenderFlag>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RenderFlag {
    Auto,
    Never,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TreeFormat {
    Text,
    Json,
    Dot,
    Mermaid,
}

#[derive(Args, Debug)]
pub struct TreeArgs {
    /// Repository directory (or file)
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Output format
    #[arg(long, value_enum, default_value_t = TreeFormat::Text)]
    pub format: TreeFormat,
    /// Write the tree to FILE instead of stdout
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub repo: RepoOptions,
    /// Colour of text output: auto honours NO_COLOR, CLICOLOR, CLICOLOR_FORCE and whether
    /// output is a terminal
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

impl TreeArgs {
    /// The lint the tree counts diagnostics from.
    fn lint_args(&self) -> LintArgs {
        LintArgs::of(self.path.clone(), self.repo.clone())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum WavesFormat {
    Table,
    Json,
    Mermaid,
}

#[derive(Args, Debug)]
pub struct WavesArgs {
    /// Repository directory (or file)
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// The Application: NAME, or NAMESPACE/NAME when several namespaces have one of that
    /// name
    #[arg(long, value_name = "NAME")]
    pub app: String,
    /// Output format
    #[arg(long, value_enum, default_value_t = WavesFormat::Table)]
    pub format: WavesFormat,
    /// Write the plan to FILE instead of stdout
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub repo: RepoOptions,
    /// Colour of the table: auto honours NO_COLOR, CLICOLOR, CLICOLOR_FORCE and whether
    /// output is a terminal
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

impl WavesArgs {
    /// The lint whose model the plan is read from.
    fn lint_args(&self) -> LintArgs {
        LintArgs::of(self.path.clone(), self.repo.clone())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum IgnoresFormat {
    Text,
    Json,
}

#[derive(Args, Debug)]
pub struct IgnoresArgs {
    /// Repository directory (or file)
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// The Application: NAME, or NAMESPACE/NAME when several namespaces have one of that
    /// name
    #[arg(long, value_name = "NAME")]
    pub app: String,
    /// Output format
    #[arg(long, value_enum, default_value_t = IgnoresFormat::Text)]
    pub format: IgnoresFormat,
    /// Write the preview to FILE instead of stdout
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub repo: RepoOptions,
}

impl IgnoresArgs {
    /// The lint whose model the preview is read from.
    fn lint_args(&self) -> LintArgs {
        LintArgs::of(self.path.clone(), self.repo.clone())
    }
}

#[derive(Args, Debug)]
pub struct AppsetArgs {
    #[command(subcommand)]
    pub command: AppsetCommand,
}

#[derive(Subcommand, Debug)]
pub enum AppsetCommand {
    /// Expand ApplicationSets offline and print the Applications they generate, sorted by
    /// namespace and name
    Generate(AppsetGenerateArgs),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum AppsetFormat {
    Yaml,
    Json,
}

#[derive(Args, Debug)]
pub struct AppsetGenerateArgs {
    /// Repository directory (or file)
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Only this ApplicationSet: NAME, or NAMESPACE/NAME
    #[arg(long, value_name = "NAME")]
    pub appset: Option<String>,
    /// Output format
    #[arg(short = 'o', long = "output", value_enum, default_value_t = AppsetFormat::Yaml)]
    pub output: AppsetFormat,
    #[command(flatten)]
    pub repo: RepoOptions,
}

impl AppsetGenerateArgs {
    /// The lint whose model the ApplicationSets are expanded with.
    fn lint_args(&self) -> LintArgs {
        LintArgs::of(self.path.clone(), self.repo.clone())
    }
}

#[derive(Args, Debug, Clone)]
pub struct DriftArgs {
    /// Repository directory (or file)
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Only this Application: NAME, or NAMESPACE/NAME (repeatable; default: every
    /// Application whose destination is the selected cluster)
    #[arg(long, value_name = "NAME")]
    pub app: Vec<String>,
    /// The kubeconfig context (default: the current-context)
    #[arg(long, value_name = "CONTEXT")]
    pub context: Option<String>,
    /// The kubeconfig file (default: KUBECONFIG, a list of files merged as kubectl merges
    /// them, else ~/.kube/config)
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// Only objects in this namespace
    #[arg(short = 'n', long, value_name = "NAMESPACE")]
    pub namespace: Option<String>,
    /// Read the live state from `kubectl get -o yaml` dumps (a file or a directory of
    /// them) instead of a cluster. A dump holding Applications is the cluster Argo CD runs
    /// in (in-cluster destinations); one without stands for every destination
    #[arg(long, value_name = "FILE", conflicts_with_all = ["context", "kubeconfig"])]
    pub live_snapshot: Option<PathBuf>,
    /// Limit for each request to the cluster, connecting included (`30s`, `1m`, `500ms`)
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_duration)]
    pub request_timeout: std::time::Duration,
    /// Requests to the cluster in flight at once
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub max_requests: usize,
    /// Report format
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Write the report to FILE instead of stdout
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Lowest severity that makes the exit code 1 (info: any finding)
    #[arg(long, value_enum, default_value_t = FailOn::Info)]
    pub fail_on: FailOn,
    #[command(flatten)]
    pub repo: RepoOptions,
    /// Colour: auto honours NO_COLOR, CLICOLOR, CLICOLOR_FORCE and whether output is a terminal
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// No summary line and no notes (and no progress line)
    #[arg(short, long)]
    pub quiet: bool,
}

impl DriftArgs {
    /// Defaults as on the command line, for this path.
    pub fn new(path: PathBuf) -> Self {
        DriftArgs {
            path,
            app: Vec::new(),
            context: None,
            kubeconfig: None,
            namespace: None,
            live_snapshot: None,
            request_timeout: std::time::Duration::from_secs(30),
            max_requests: 8,
            format: Format::Human,
            output: None,
            fail_on: FailOn::Info,
            repo: RepoOptions::default(),
            color: ColorChoice::Never,
            quiet: false,
        }
    }

    /// The lint whose model drift compares: only the LIVE rules are selected, so no lint
    /// rule runs (`--select` narrows the LIVE rules further).
    fn lint_args(&self) -> LintArgs {
        let mut repo = self.repo.clone();
        if repo.select.is_empty() {
            repo.select = vec!["LIVE".to_owned()];
        }
        LintArgs::of(self.path.clone(), repo)
    }
}

/// `30s`, `1m`, `500ms`, `2h`, or plain seconds.
pub fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num
        .parse()
        .map_err(|_| format!("'{s}' is not a duration (30s, 1m, 500ms)"))?;
    let secs = match unit {
        "" | "s" => n,
        "ms" => n / 1000.0,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => return Err(format!("'{s}' is not a duration (30s, 1m, 500ms)")),
    };
    if !(secs > 0.0 && secs < 86_400.0 * 365.0) {
        return Err(format!("'{s}': the timeout must be more than 0"));
    }
    Ok(std::time::Duration::from_secs_f64(secs))
}

/// What `drift` found, before it is rendered.
pub struct DriftResult {
    pub lint: LintResult,
    /// The reported findings, sorted; their diagnostics are `diagnostics`.
    pub findings: Vec<crate::live::Finding>,
    pub diagnostics: Vec<crate::diagnostic::Diagnostic>,
    pub checked: report::drift::Checked,
    pub summary: Summary,
}

/// Runs `drift` against `source` (tests pass a snapshot or a client of their own).
pub fn drift_with(
    args: &DriftArgs,
    source: &(dyn crate::live::ClusterSource + Sync),
    progress: &Progress,
) -> Result<DriftResult> {
    let opts = crate::live::Options {
        apps: args.app.clone(),
        namespace: args.namespace.clone(),
    };
    let lint_args = args.lint_args();
    // Finished with the model at hand (and the lint's selection, which is `--select`'s
    // LIVE rules), the way lint finishes its own findings.
    let (lint, checked) = lint_with_progress(&lint_args, None, progress, |repo, model, linted| {
        crate::live::check(repo, model, source, &opts, progress).map(|mut outcome| {
            let (findings, suppressed) = crate::live::finish(
                std::mem::take(&mut outcome.findings),
                repo,
                model,
                linted.catalogue,
                linted.selection,
            );
            (outcome, findings, suppressed)
        })
    })?;
    let (outcome, findings, suppressed) = checked?;
    let diagnostics: Vec<crate::diagnostic::Diagnostic> =
        findings.iter().map(|f| f.diagnostic.clone()).collect();
    let mut summary = Summary {
        files: lint.repo.files,
        documents: lint.repo.documents,
        suppressed,
        ..Summary::default()
    };
    summary.count(&diagnostics);
    let checked = report::drift::Checked {
        source: source.describe(),
        applications: outcome.applications,
        resources: outcome.resources,
        lists: outcome.lists,
        notes: outcome.notes,
    };
    Ok(DriftResult {
        lint,
        findings,
        diagnostics,
        checked,
        summary,
    })
}

/// The live source `drift` reads: the snapshot, else the kubeconfig's cluster.
fn drift_source(args: &DriftArgs) -> Result<Box<dyn crate::live::ClusterSource + Sync>> {
    if let Some(path) = &args.live_snapshot {
        return Ok(Box::new(crate::live::snapshot::SnapshotSource::read(path)?));
    }
    #[cfg(feature = "live")]
    {
        let opts = crate::live::kube::KubeOptions {
            kubeconfig: args.kubeconfig.clone(),
            context: args.context.clone(),
            timeout: args.request_timeout,
            concurrency: args.max_requests,
        };
        Ok(Box::new(crate::live::kube::KubeSource::connect(&opts)?))
    }
    #[cfg(not(feature = "live"))]
    {
        bail!(
            "this kubectl-gitops was built without the `live` feature: it cannot reach a cluster; use --live-snapshot"
        )
    }
}

/// `drift`: 0 no drift, 1 drift (a finding at or above `--fail-on`), 2 could not check.
fn drift(args: &DriftArgs) -> Result<i32> {
    if !args.path.exists() {
        bail!(
            "cannot read {}: no such file or directory",
            args.path.display()
        );
    }
    let source = drift_source(args)?;
    let show_progress = !args.quiet
        && matches!(args.format, Format::Human | Format::Concise)
        && crate::progress::stderr_is_interactive();
    let progress = Progress::start(show_progress);
    let result = drift_with(args, source.as_ref(), &progress);
    progress.finish();
    let result = result?;
    if !args.quiet {
        for n in &result.checked.notes {
            eprintln!("note: {n}");
        }
    }
    let color = use_color(args.color, args.output.is_some());
    let input = report::Input {
        diagnostics: &result.diagnostics,
        db: &result.lint.repo.db,
        catalogue: &result.lint.catalogue,
        summary: result.summary,
        quiet: args.quiet,
        color,
        root_prefix: &result.lint.root_prefix,
        fingerprints: &[],
    };
    let text = match args.format {
        Format::Human => report::drift::human(&input, &result.findings, &result.checked),
        Format::Concise => report::concise::render(&input),
        Format::Json => report::drift::json(&input, &result.findings, &result.checked),
        Format::Sarif => report::sarif::render(&input),
        Format::Github => report::github::render(&input),
    };
    write_output(args.output.as_deref(), &text)?;
    let failed = args
        .fail_on
        .threshold()
        .is_some_and(|t| result.diagnostics.iter().any(|d| d.severity >= t));
    std::mem::forget(result);
    Ok(i32::from(failed))
}

#[derive(Args, Debug)]
pub struct RulesArgs {
    #[arg(long, value_enum, default_value_t = RulesFormat::Table)]
    pub format: RulesFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RulesFormat {
    Table,
    Json,
    Markdown,
}

/// True when kubectl started us as a plugin (`kubectl gitops …`), so that usage and help
/// say `kubectl gitops`.
///
/// kubectl (1.12 and later) looks `kubectl-gitops` up on PATH and execs it with the path it
/// found as `argv[0]` and its own environment unchanged, so nothing marks the process
/// directly. See [`plugin_invocation`] for the signals used.
pub fn invoked_by_kubectl() -> bool {
    let argv0 = std::env::args_os().next();
    plugin_invocation(
        std::env::var_os("KUBECTL_PLUGINS_CALLER").is_some(),
        std::env::var_os("_").as_deref(),
        argv0.as_deref(),
        first_on_path,
    )
}

/// Decides whether kubectl started us, from:
///
/// 1. `KUBECTL_PLUGINS_CALLER`, set by kubectl's pre-1.12 plugin mechanism and some wrappers;
/// 2. `argv0`: kubectl passes the path it found (`/usr/local/bin/kubectl-gitops`), while a
///    shell or a tool that runs us by name passes the bare name (`kubectl-gitops`);
/// 3. `_`, which bash, zsh and ksh set to the path of each command they start: when it names
///    `kubectl` (or a versioned `kubectl.1.32`), kubectl started us; when it names this
///    executable, the shell did;
/// 4. otherwise (dash, fish, or no shell at all, where `_` is missing or left over from
///    some earlier command): `argv0` must be the first executable of its name on PATH,
///    which is what kubectl found. Running that copy by its full path from such a shell
///    is the one case this mistakes for kubectl.
///
/// `first_on_path` looks a file name up on PATH the way kubectl does. The only cost of a
/// wrong answer is the program name shown in usage and help.
pub fn plugin_invocation(
    legacy_caller: bool,
    underscore: Option<&std::ffi::OsStr>,
    argv0: Option<&std::ffi::OsStr>,
    first_on_path: impl FnOnce(&std::ffi::OsStr) -> Option<PathBuf>,
) -> bool {
    if legacy_caller {
        return true;
    }
    let Some(argv0) = argv0.map(Path::new) else {
        return false;
    };
    let Some(own_name) = argv0.file_name() else {
        return false;
    };
    if !own_name.to_string_lossy().starts_with("kubectl-") {
        return false;
    }
    // A bare name means a PATH lookup by a shell or a tool; kubectl passes a path.
    if argv0.components().count() < 2 {
        return false;
    }
    if let Some(last) = underscore.map(Path::new).and_then(Path::file_name) {
        let last = last.to_string_lossy();
        if last == "kubectl" || last == "kubectl.exe" || last.starts_with("kubectl.") {
            return true;
        }
        if last == own_name.to_string_lossy() {
            return false;
        }
    }
    let Some(found) = first_on_path(own_name) else {
        return false;
    };
    found == argv0
        || matches!(
            (std::fs::canonicalize(&found), std::fs::canonicalize(argv0)),
            (Ok(a), Ok(b)) if a == b
        )
}

/// The first executable file called `name` in a directory of PATH, joined the way Go's
/// `exec.LookPath` joins it.
fn first_on_path(name: &std::ffi::OsStr) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| {
            if dir.as_os_str().is_empty() {
                PathBuf::from(".").join(name)
            } else {
                dir.join(name)
            }
        })
        .find(|p| is_executable_file(p))
}

#[cfg(unix)]
fn is_executable_file(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable_file(p: &Path) -> bool {
    p.is_file()
}

/// The clap command, named `kubectl gitops` when run as a kubectl plugin.
pub fn command() -> clap::Command {
    let cmd = Cli::command();
    if invoked_by_kubectl() {
        cmd.bin_name("kubectl gitops").name("kubectl gitops")
    } else {
        cmd
    }
}

/// Parses arguments; clap's own errors and help exit through clap (2 and 0).
pub fn parse() -> Cli {
    let matches = command().get_matches();
    match Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => e.exit(),
    }
}

pub fn run(cli: Cli) -> Result<i32> {
    match cli.command {
        Command::Lint(args) => lint(&args),
        Command::Tree(args) => tree(&args),
        Command::Waves(args) => waves(&args),
        Command::Ignores(args) => ignores(&args),
        Command::Appset(AppsetArgs {
            command: AppsetCommand::Generate(args),
        }) => appset_generate(&args),
        Command::Drift(args) => drift(&args),
        Command::Rules(args) => {
            let cat = Catalogue::builtin()?;
            print_stdout(&crate::report::rules::render(&cat, args.format))?;
            Ok(0)
        }
        Command::Explain { rule } => {
            let cat = Catalogue::builtin()?;
            let Some(r) = cat.get(&rule) else {
                bail!("unknown rule '{rule}': `kubectl gitops rules` lists the codes and names");
            };
            print_stdout(&crate::report::rules::explain(r))?;
            Ok(0)
        }
        Command::Init { dir, force } => {
            let path = dir.join(config::FILE_NAME);
            if path.exists() && !force {
                bail!(
                    "{} already exists (use --force to overwrite)",
                    path.display()
                );
            }
            std::fs::write(&path, config::TEMPLATE)
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!("wrote {}", path.display());
            Ok(0)
        }
        Command::Completions { shell } => {
            // Always for the `kubectl-gitops` executable: a script generated for the
            // name `kubectl gitops` (with a space) would define invalid shell functions.
            let mut cmd = Cli::command();
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut cmd, "kubectl-gitops", &mut buf);
            print_stdout(&String::from_utf8_lossy(&buf))?;
            Ok(0)
        }
        Command::Version => {
            print_stdout(&format!("kubectl-gitops {}\n", env!("CARGO_PKG_VERSION")))?;
            Ok(0)
        }
    }
}

/// Writes to stdout; a closed pipe (`| head`) is not an error.
fn print_stdout(s: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(s.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(e).context("cannot write to stdout"),
    }
}

fn use_color(choice: ColorChoice, to_file: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto if to_file => false,
        ColorChoice::Auto => !matches!(
            anstream::AutoStream::choice(&std::io::stdout()),
            anstream::ColorChoice::Never
        ),
    }
}

/// The result of linting, before it is rendered.
pub struct LintResult {
    pub repo: Repo,
    /// What the render stage did, for benchmarks and diagnostics of the tool itself.
    pub render: RenderStats,
    pub config: Config,
    /// This repository's checkout root and URLs, as the lint used them.
    pub identity: RepoIdentity,
    pub catalogue: Catalogue,
    /// The reported diagnostics: after `--files`/`--changed-since` and `--baseline`.
    pub outcome: engine::Outcome,
    /// The fingerprint of each reported diagnostic (see [`crate::baseline`]).
    pub fingerprints: Vec<String>,
    /// Joins a report path to the git work tree's root (`""` or `deploy/`).
    pub root_prefix: String,
    /// Findings left out because they are outside `--files`/`--changed-since`.
    pub out_of_scope: usize,
    /// Findings left out because the baseline holds them (also counted as suppressed).
    pub baselined: usize,
    pub summary: Summary,
}

impl LintResult {
    /// What the report renderers need from this result.
    pub fn report_input(&self, quiet: bool, color: bool) -> report::Input<'_> {
        report::Input {
            diagnostics: &self.outcome.diagnostics,
            db: &self.repo.db,
            catalogue: &self.catalogue,
            summary: self.summary,
            quiet,
            color,
            root_prefix: &self.root_prefix,
            fingerprints: &self.fingerprints,
        }
    }
}

/// Loads configuration and rules and lints `paths`. Errors are exit-2 conditions.
pub fn lint_paths(args: &LintArgs) -> Result<LintResult> {
    lint_then(args, |_, _, _| ()).map(|(result, ())| result)
}

/// [`lint_paths`], then `then` over the repository, its model and the outcome, while the
/// model (which borrows the repository) is still alive: commands that show the model
/// (`tree`) use it instead of building it again.
pub fn lint_then<T: Send>(
    args: &LintArgs,
    then: impl FnOnce(&Repo, &Model<'_>, &engine::Outcome) -> T + Send,
) -> Result<(LintResult, T)> {
    lint_with(args, None, then)
}

/// [`lint_then`] with a given renderer instead of the real tools (tests use
/// `render::fixture::FixtureRenderer`).
/// What the render stage did in one lint.
#[derive(Debug, Clone, Copy, Default)]
pub struct RenderStats {
    /// Sources of Applications that were sent to a renderer.
    pub sources: usize,
    /// Wall time of the render stage.
    pub elapsed: std::time::Duration,
    /// Hits and misses of the render cache (the built-in renderer only).
    pub cache: Option<render::cache::CacheStats>,
}

pub fn lint_with<T: Send>(
    args: &LintArgs,
    renderer: Option<&dyn Renderer>,
    then: impl FnOnce(&Repo, &Model<'_>, &engine::Outcome) -> T + Send,
) -> Result<(LintResult, T)> {
    lint_with_progress(
        args,
        renderer,
        &Progress::hidden(),
        |repo, model, linted| then(repo, model, linted.outcome),
    )
}

/// Counts renders for the progress line.
struct CountingRenderer<'a> {
    inner: &'a dyn Renderer,
    progress: &'a Progress,
}

impl Renderer for CountingRenderer<'_> {
    fn render(&self, req: &render::RenderRequest) -> Result<render::Rendered, render::RenderError> {
        let r = self.inner.render(req);
        self.progress.tick("rendering sources");
        r
    }
}

/// [`lint_with`], reporting its stages to `progress`.
/// What a command run over the lint sees besides the repository and the model: the
/// lint's findings, its catalogue and its rule selection.
pub struct Linted<'a> {
    pub outcome: &'a engine::Outcome,
    pub catalogue: &'a Catalogue,
    pub selection: &'a Selection,
}

fn lint_with_progress<T: Send>(
    args: &LintArgs,
    renderer: Option<&dyn Renderer>,
    progress: &Progress,
    then: impl FnOnce(&Repo, &Model<'_>, &Linted<'_>) -> T + Send,
) -> Result<(LintResult, T)> {
    for p in &args.paths {
        if std::fs::metadata(p).is_err() {
            bail!("cannot read {}: no such file or directory", p.display());
        }
    }
    let cwd = std::env::current_dir().context("cannot determine the current directory")?;
    let root = match args.paths.as_slice() {
        [one] if one.is_dir() => one.clone(),
        _ => cwd.clone(),
    };
    let config_path = match &args.repo.config {
        Some(c) => Some(c.clone()),
        None => config::discover(args.paths.first().map_or(Path::new("."), PathBuf::as_path)),
    };
    let config = match &config_path {
        Some(p) => config::load(p)?,
        None => Config::default(),
    };
    let mut catalogue = Catalogue::builtin()?;
    for dir in config.rules.iter().chain(&args.repo.rule_dirs) {
        catalogue.load_dir(dir)?;
    }
    let select = if args.repo.select.is_empty() {
        config.select.clone()
    } else {
        args.repo.select.clone()
    };
    let ignore: Vec<String> = config
        .ignore
        .iter()
        .chain(&args.repo.ignore)
        .cloned()
        .collect();
    let selection = Selection::new(&catalogue, &select, &ignore, &config.severity)
        .map_err(anyhow::Error::msg)?;
    let exclude = walk::exclude_matcher(&root, &config.exclude).map_err(anyhow::Error::msg)?;
    let (threads, pool) = worker_pool(args.repo.jobs)?;
    let identity = RepoIdentity::discover(&root, &config, &args.repo.repo_urls);
    let (mut kustomize, mut helm) = (config.render_kustomize, config.render_helm);
    if args.repo.render == Some(RenderFlag::Never) {
        (kustomize, helm) = (RenderMode::Never, RenderMode::Never);
    }
    let tools = renderer
        .is_none()
        .then(|| render::default_renderer(kustomize, helm));
    let renderer: &dyn Renderer = match (renderer, &tools) {
        (Some(r), _) => r,
        (None, Some(t)) => t,
        (None, None) => bail!("no renderer"),
    };
    let counting = CountingRenderer {
        inner: renderer,
        progress,
    };
    let renderer: &dyn Renderer = if progress.is_enabled() {
        &counting
    } else {
        renderer
    };
    // Before the walk: a bad revision is a usage error, not a finding.
    let scope = match &args.changed_since {
        Some(rev) => Some(FileScope::new(&scope::changed_since(&root, rev)?, &cwd)),
        None if !args.files.is_empty() => Some(FileScope::new(&args.files, &cwd)),
        None => None,
    };
    let baseline = args
        .baseline
        .as_deref()
        .map(BaselineFile::read)
        .transpose()?;
    let (repo, outcome, extra, mut render_stats) = pool.install(|| {
        progress.stage("reading files");
        let items = walk::walk(&root, &args.paths, &exclude, threads);
        progress.stage(format!("parsing {} files", items.len()));
        let (mut repo, stage) = Repo::load(root.clone(), &items);
        progress.stage("rendering sources");
        let mut renders =
            crate::model::rendered::render_all(&mut repo, &config, &identity, renderer);
        // After rendering, so that rendered ApplicationSets are expanded too; the sources
        // of the generated Applications are rendered next.
        let go = crate::model::generated::go_engine();
        let generated = crate::model::generated::generate_all(&mut repo, &config, &identity, &*go);
        if !generated.is_empty() {
            crate::model::rendered::render_generated(
                &mut repo,
                &config,
                &identity,
                renderer,
                &mut renders,
            );
        }
        let render_stats = RenderStats {
            sources: renders.by_source.len(),
            elapsed: renders.elapsed,
            cache: None,
        };
        let repo = repo;
        progress.stage("building the Application model");
        let model = Model::build_stages(&repo, &config, identity.clone(), &renders, generated);
        progress.stage(format!("checking {} objects", repo.objects.len()));
        let outcome = engine::run(
            &repo,
            &model,
            &config,
            &catalogue,
            &selection,
            crate::rules::NATIVE,
            stage,
        );
        // Still on the workers, whose stacks leave room for deep app-of-apps trees.
        let linted = Linted {
            outcome: &outcome,
            catalogue: &catalogue,
            selection: &selection,
        };
        let extra = then(&repo, &model, &linted);
        (repo, outcome, extra, render_stats)
    });
    render_stats.cache = tools.as_ref().map(|t| t.stats());
    let mut outcome = outcome;
    let root_prefix = scope::root_prefix(&root);
    // Taken over every finding: the occurrence index must not depend on the filters.
    let mut fingerprints = baseline::fingerprints(&outcome.diagnostics, &repo.db, &root_prefix);
    let out_of_scope = scope.as_ref().map_or(0, |s| {
        s.retain(&repo, &mut outcome.diagnostics, &mut fingerprints)
    });
    if let Some(path) = &args.write_baseline {
        BaselineFile::from_findings(&outcome.diagnostics, &fingerprints, &repo.db, &root_prefix)
            .write(path)?;
    }
    let mut baselined = 0;
    if let Some(b) = &baseline {
        let known = b.known(&fingerprints);
        let mut k = known.iter();
        outcome
            .diagnostics
            .retain(|_| !k.next().copied().unwrap_or(false));
        let mut k = known.iter();
        fingerprints.retain(|_| !k.next().copied().unwrap_or(false));
        baselined = known.iter().filter(|&&x| x).count();
    }
    let mut summary = Summary {
        files: repo.files,
        documents: repo.documents,
        suppressed: outcome.suppressed + baselined,
        ..Summary::default()
    };
    summary.count(&outcome.diagnostics);
    Ok((
        LintResult {
            repo,
            render: render_stats,
            config,
            identity,
            catalogue,
            outcome,
            fingerprints,
            root_prefix,
            out_of_scope,
            baselined,
            summary,
        },
        extra,
    ))
}

/// The worker threads for `-j N` (default: all cores), with room for deep recursion.
fn worker_pool(jobs: Option<usize>) -> Result<(usize, rayon::ThreadPool)> {
    let threads = jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
        .max(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .stack_size(16 * 1024 * 1024)
        .build()
        .context("cannot start worker threads")?;
    Ok((threads, pool))
}

/// `tree`: lints the repository (to count each Application's diagnostics) and prints the
/// app-of-apps tree. Always 0 unless the tool cannot run: the tree is not a verdict.
fn tree(args: &TreeArgs) -> Result<i32> {
    let color = args.format == TreeFormat::Text && use_color(args.color, args.output.is_some());
    let (result, text) = lint_then(&args.lint_args(), |repo, model, outcome| {
        let tree = report::tree::build(model, repo, &outcome.diagnostics);
        match args.format {
            TreeFormat::Text => report::tree::text(&tree, color),
            TreeFormat::Json => report::tree::json(&tree),
            TreeFormat::Dot => report::tree::dot(&tree),
            TreeFormat::Mermaid => report::tree::mermaid(&tree),
        }
    })?;
    write_output(args.output.as_deref(), &text)?;
    std::mem::forget(result);
    Ok(0)
}

/// Writes a command's output to FILE (`-o`) or standard output.
fn write_output(path: Option<&Path>, text: &str) -> Result<()> {
    match path {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
        }
        None => print_stdout(text),
    }
}

/// `waves`: lints the repository (for its model, rendered sources included) and prints the
/// sync plan of one Application. Always 0 unless the tool cannot run or `--app` names no
/// single Application (2).
fn waves(args: &WavesArgs) -> Result<i32> {
    use report::waves::{self, Lookup};
    let color = args.format == WavesFormat::Table && use_color(args.color, args.output.is_some());
    let (result, text) = lint_then(&args.lint_args(), |repo, model, _| {
        match waves::find_app(model, &args.app) {
            Lookup::Found(a) => {
                let plan = waves::build(model, repo, a);
                Ok(match args.format {
                    WavesFormat::Table => waves::table(&plan, color),
                    WavesFormat::Json => waves::json(&plan),
                    WavesFormat::Mermaid => waves::mermaid(&plan),
                })
            }
            Lookup::Unknown(m) | Lookup::Ambiguous(m) => Err(m),
        }
    })?;
    let text = text.map_err(anyhow::Error::msg)?;
    write_output(args.output.as_deref(), &text)?;
    std::mem::forget(result);
    Ok(0)
}

/// `ignores`: lints the repository (for its model, rendered sources included) and prints
/// what one Application's ignoreDifferences rules remove from each of its resources.
/// Always 0 unless the tool cannot run or `--app` names no single Application (2).
fn ignores(args: &IgnoresArgs) -> Result<i32> {
    use report::ignores;
    use report::waves::{Lookup, find_app};
    let (result, text) = lint_then(&args.lint_args(), |repo, model, _| {
        match find_app(model, &args.app) {
            Lookup::Found(a) => match ignores::build(repo, model, a) {
                Some(p) => Ok(match args.format {
                    IgnoresFormat::Text => ignores::text(&p),
                    IgnoresFormat::Json => ignores::json(&p),
                }),
                None => Err(format!(
                    "cannot evaluate the ignoreDifferences rules of Application '{}'",
                    args.app
                )),
            },
            Lookup::Unknown(m) | Lookup::Ambiguous(m) => Err(m),
        }
    })?;
    let text = text.map_err(anyhow::Error::msg)?;
    write_output(args.output.as_deref(), &text)?;
    std::mem::forget(result);
    Ok(0)
}

/// `appset generate`: lints the repository (for its model, rendered sources included),
/// which expands its ApplicationSets, and prints the generated Applications. Sets that Argo CD
/// would fail to generate are reported on standard error and make the exit code 1; an
/// unknown `--appset` is exit 2.
fn appset_generate(args: &AppsetGenerateArgs) -> Result<i32> {
    use report::appset;
    let (result, out) = lint_then(&args.lint_args(), |_, model, _| {
        // The expansion the lint made (and checked), not a second one.
        let selected = appset::select(&model.generated.sets, args.appset.as_deref())?;
        let apps = appset::applications(&selected);
        let text = match args.output {
            AppsetFormat::Yaml => appset::yaml(&apps),
            AppsetFormat::Json => appset::json(&apps),
        };
        let failed = selected.iter().any(|s| s.expansion.error.is_some());
        Ok::<_, String>((text, appset::notes(&selected), failed))
    })?;
    let (text, notes, failed) = out.map_err(anyhow::Error::msg)?;
    print_stdout(&text)?;
    for n in notes {
        eprintln!("{n}");
    }
    std::mem::forget(result);
    Ok(i32::from(failed))
}

fn lint(args: &LintArgs) -> Result<i32> {
    let show_progress = !args.quiet
        && matches!(args.format, Format::Human | Format::Concise)
        && crate::progress::stderr_is_interactive();
    let progress = Progress::start(show_progress);
    let lint = lint_with_progress(args, None, &progress, |_, _, _| ());
    progress.finish();
    let (result, ()) = lint?;
    let color = use_color(args.color, args.output.is_some());
    let input = result.report_input(args.quiet, color);
    let text = match args.format {
        Format::Human => report::human::render(&input),
        Format::Concise => report::concise::render(&input),
        Format::Json => report::json::render(&input),
        Format::Sarif => report::sarif::render(&input),
        Format::Github => report::github::render(&input),
    };
    write_output(args.output.as_deref(), &text)?;
    let threshold = args.fail_on.threshold();
    // A run that records a baseline accepts what it records.
    let failed = args.write_baseline.is_none()
        && threshold.is_some_and(|t| result.outcome.diagnostics.iter().any(|d| d.severity >= t));
    // The process exits right after this: freeing every span tree one allocation at a
    // time would cost about a tenth of a large lint for nothing.
    std::mem::forget(result);
    Ok(i32::from(failed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn fail_on_names_the_lowest_failing_severity() {
        assert_eq!(FailOn::Error.threshold(), Some(Severity::Error));
        assert_eq!(FailOn::Warning.threshold(), Some(Severity::Warning));
        assert_eq!(FailOn::Info.threshold(), Some(Severity::Info));
        assert_eq!(FailOn::None.threshold(), None);
    }

    const BIN: &str = "/home/u/.krew/bin/kubectl-gitops";

    fn on_path(name: &OsStr) -> Option<PathBuf> {
        Some(Path::new("/home/u/.krew/bin").join(name))
    }

    fn detect(underscore: Option<&str>, argv0: &str) -> bool {
        plugin_invocation(
            false,
            underscore.map(OsStr::new),
            Some(OsStr::new(argv0)),
            on_path,
        )
    }

    #[test]
    fn bash_and_zsh_name_kubectl_in_underscore() {
        assert!(detect(Some("/usr/bin/kubectl"), BIN));
        assert!(detect(Some("/usr/lib/sdk/bin/kubectl.1.32"), BIN));
        assert!(detect(Some("kubectl.exe"), BIN));
    }

    #[test]
    fn a_shell_running_us_directly_is_not_kubectl() {
        // bash: `kubectl-gitops lint` sets `_` to our path and passes the bare name.
        assert!(!detect(Some(BIN), "kubectl-gitops"));
        // dash, started by kubectl through another plugin: a stale `_` does not matter.
        assert!(!detect(Some("/usr/bin/kubectl"), "kubectl-gitops"));
        // bash: `/home/u/.krew/bin/kubectl-gitops lint`, even though it is first on PATH.
        assert!(!detect(Some(BIN), BIN));
        // dash or a tool running us by name: a bare argv0, whatever `_` says.
        assert!(!detect(None, "kubectl-gitops"));
        assert!(!detect(Some("/usr/bin/make"), "kubectl-gitops"));
    }

    #[test]
    fn without_underscore_the_path_kubectl_found_decides() {
        // dash: `kubectl gitops`; `_` is missing or left over from an earlier command.
        assert!(detect(None, BIN));
        assert!(detect(Some("/usr/bin/cargo"), BIN));
        // `cargo run`: a path that is not the PATH copy.
        assert!(!detect(
            Some("/usr/bin/cargo"),
            "/src/target/debug/kubectl-gitops"
        ));
        assert!(!plugin_invocation(
            false,
            None,
            Some(OsStr::new(BIN)),
            |_| None
        ));
    }

    #[test]
    fn only_kubectl_prefixed_executables_can_be_plugins() {
        assert!(!detect(Some("/usr/bin/kubectl"), "/opt/bin/gitops-lint"));
        assert!(!plugin_invocation(
            false,
            Some(OsStr::new("kubectl")),
            None,
            on_path
        ));
        assert!(plugin_invocation(true, None, None, on_path));
    }
}
