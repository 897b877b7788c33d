//! The rule engine: the catalogue, native and declarative rules, selection, severity
//! overrides and suppressions. It turns a loaded [`Repo`] into sorted diagnostics.

pub mod catalogue;
pub mod declarative;
pub mod jq;
pub mod select;
pub mod suppress;

use crate::config::Config;
use crate::diagnostic::{self, Diagnostic, Reported};
use crate::model::deps::Deps;
use crate::model::ignores::System;
use crate::model::{Model, Object, Repo};
use catalogue::Catalogue;
use rayon::prelude::*;
use select::Selection;
use std::sync::OnceLock;

/// What a rule sees.
pub struct Ctx<'a> {
    pub repo: &'a Repo,
    pub config: &'a Config,
    /// The Argo CD view: identity, clusters, projects, Applications and their resources.
    pub model: &'a Model<'a>,
    /// Dependencies between each Application's resources, built on first use.
    deps: OnceLock<Deps>,
    /// argocd-cm's system-level ignoreDifferences entries, read on first use.
    ignore_system: OnceLock<System>,
    /// The findings of the ignoreDifferences rules, computed once for all their codes.
    ignore_findings: OnceLock<Vec<Diagnostic>>,
}

impl<'a> Ctx<'a> {
    pub fn new(repo: &'a Repo, config: &'a Config, model: &'a Model<'a>) -> Ctx<'a> {
        Ctx {
            repo,
            config,
            model,
            deps: OnceLock::new(),
            ignore_system: OnceLock::new(),
            ignore_findings: OnceLock::new(),
        }
    }

    /// The system-level ignoreDifferences entries of the repository's argocd-cm.
    pub fn ignore_system(&self) -> &System {
        self.ignore_system
            .get_or_init(|| crate::model::ignores::read_system(self.repo, self.model))
    }

    /// The findings of the ignoreDifferences rules (IGN001–IGN009): one analysis per run,
    /// which each of those rules filters by its code.
    pub fn ignore_findings(&self, analyze: fn(&Ctx<'_>) -> Vec<Diagnostic>) -> &[Diagnostic] {
        self.ignore_findings.get_or_init(|| analyze(self))
    }

    /// The resolved dependencies of every Application (built once, by the first rule that
    /// asks, so runs that select no dependency rule never pay for them).
    pub fn deps(&self) -> &Deps {
        self.deps.get_or_init(|| Deps::build(self.repo, self.model))
    }
}

/// How a native rule runs.
pub enum NativeCheck {
    /// Produced by a pipeline stage (loading, suppression), not by a check function.
    Stage,
    /// Runs once per object, in parallel.
    Object(fn(&Ctx<'_>, &Object, &mut Vec<Diagnostic>)),
    /// Runs once over the whole repository.
    Repo(fn(&Ctx<'_>, &mut Vec<Diagnostic>)),
    /// Runs once over the whole repository and reads an analysis it shares with other rules
    /// (`Ctx::deps`, `Ctx::ignore_findings`). These run one after another, before the
    /// parallel rules: the shared analysis is itself parallel, and a rayon worker that
    /// blocked on a `OnceLock` its own stolen work is filling would never wake.
    Shared(fn(&Ctx<'_>, &mut Vec<Diagnostic>)),
}

/// A rule implemented in Rust. Its metadata lives in `rules/`.
pub struct Native {
    pub code: &'static str,
    pub check: NativeCheck,
}

#[derive(Debug, Default)]
pub struct Outcome {
    pub diagnostics: Vec<Diagnostic>,
    pub suppressed: usize,
}

/// Runs every enabled rule over `repo`. `stage` holds the loader's diagnostics.
pub fn run(
    repo: &Repo,
    model: &Model<'_>,
    config: &Config,
    cat: &Catalogue,
    selection: &Selection,
    natives: &[Native],
    stage: Vec<Diagnostic>,
) -> Outcome {
    let cx = Ctx::new(repo, config, model);
    let object_rules: Vec<&Native> = natives
        .iter()
        .filter(|n| selection.is_enabled(n.code) && matches!(n.check, NativeCheck::Object(_)))
        .collect();
    let declarative: Vec<(&str, &declarative::Check)> = cat
        .rules()
        .into_iter()
        .filter(|r| selection.is_enabled(&r.code))
        .filter_map(|r| r.check.as_ref().map(|c| (r.code.as_str(), c)))
        .collect();
    let mut found: Vec<Diagnostic> = repo
        .objects
        .par_iter()
        // A rendered copy of a manifest of the repository is linted as that manifest.
        .filter(|o| {
            !o.rendered
                .as_ref()
                .is_some_and(|r| matches!(r.trace, crate::model::Trace::Object(_)))
        })
        .fold(Vec::new, |mut out, o| {
            for n in &object_rules {
                if let NativeCheck::Object(f) = n.check {
                    f(&cx, o, &mut out);
                }
            }
            for (code, check) in &declarative {
                check.evaluate(code, o, &mut out);
            }
            out
        })
        .reduce(Vec::new, |mut a, mut b| {
            a.append(&mut b);
            a
        });
    // Rules reading a shared analysis first, in order, outside any parallel loop.
    for n in natives.iter().filter(|n| selection.is_enabled(n.code)) {
        if let NativeCheck::Shared(f) = n.check {
            f(&cx, &mut found);
        }
    }
    let repo_found: Vec<Vec<Diagnostic>> = natives
        .par_iter()
        .filter(|n| selection.is_enabled(n.code))
        .filter_map(|n| match n.check {
            NativeCheck::Repo(f) => {
                let mut out = Vec::new();
                f(&cx, &mut out);
                Some(out)
            }
            _ => None,
        })
        .collect();
    found.extend(repo_found.into_iter().flatten());
    found.extend(stage);

    let mut suppress_diags = Vec::new();
    let sup = suppress::Suppressions::collect(repo, cat, &mut suppress_diags);
    found.extend(suppress_diags);

    let (diagnostics, suppressed) = finish(repo, model, cat, selection, &sup, found);
    Outcome {
        diagnostics,
        suppressed,
    }
}

/// Turns raw findings into reported ones (lint's and drift's alike): the selection
/// applied, spans inside rendered output moved to the files it came from and findings
/// about generated Applications to their ApplicationSet, suppressions applied (on a
/// rendered or generated object before the move, in the repository's files after),
/// names, severities and help from the catalogue; sorted by file, position and code,
/// copies removed. Returns the findings and how many were suppressed.
pub fn finish<T: Reported>(
    repo: &Repo,
    model: &Model<'_>,
    cat: &Catalogue,
    selection: &Selection,
    sup: &suppress::Suppressions,
    found: Vec<T>,
) -> (Vec<T>, usize) {
    let mut suppressed = 0;
    let mut kept = Vec::with_capacity(found.len());
    for mut f in found {
        let d = f.diagnostic_mut();
        if !selection.is_enabled(&d.code) {
            continue;
        }
        // A suppression annotation on a rendered or generated object covers findings
        // about it, before they move to the files it came from.
        let mut hidden = repo.is_virtual(d.primary.span.file) && sup.is_suppressed(d, repo);
        // Findings inside rendered output belong to the files it came from, findings
        // about generated Applications to the ApplicationSet strings that produced them.
        let about = crate::model::generated::remap_diagnostic(repo, &model.generated, d);
        hidden = hidden || sup.is_suppressed(d, repo);
        if hidden {
            suppressed += 1;
            continue;
        }
        kept.push((f, about));
    }
    let mut out = crate::model::generated::finish(repo, &model.generated, kept);
    for f in &mut out {
        let d = f.diagnostic_mut();
        if let Some(rule) = cat.get(&d.code) {
            d.name = rule.name.clone();
            d.severity = selection.severity(rule);
            if d.help.is_none() {
                d.help = Some(rule.help.clone());
            }
        }
    }
    out.sort_by(|a, b| diagnostic::compare(a.diagnostic(), b.diagnostic(), &repo.db));
    out.dedup_by(|a, b| a.diagnostic() == b.diagnostic());
    (out, suppressed)
}
