//! The app-of-apps tree: APP012 (an Application among its own resources through other
//! Applications; directly is fine, Argo CD supports self-managing Applications with
//! `isSelfReferencedApp`) and APP013 (nesting deeper than three levels). The graph comes
//! from the model: an Application's children are the Applications among its resources.

use crate::diagnostic::Diagnostic;
use crate::engine::Ctx;
use crate::model::apps::AppNode;
use crate::source::Span;

/// Deepest nesting that is not reported: a root and two levels of children below it.
pub const MAX_LEVELS: usize = 3;

fn name_span(app: &AppNode<'_>) -> Span {
    let o = app.object;
    match o.metadata().and_then(|m| m.get("name")) {
        Some(n) => o.span(n),
        None => o.head_span(),
    }
}

/// APP012: one finding per cycle, on the Application of the cycle that comes first in the
/// repository, with the other members as related locations.
pub fn check_cycles(cx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
    let apps = &cx.model.apps;
    for cycle in &cx.model.cycles {
        let Some(&first) = cycle.iter().min() else {
            continue;
        };
        // Rotate so the chain starts at the reported Application.
        let at = cycle.iter().position(|&a| a == first).unwrap_or(0);
        let order: Vec<usize> = cycle[at..].iter().chain(&cycle[..at]).copied().collect();
        let app = &apps[first];
        let chain: Vec<&str> = order
            .iter()
            .chain(std::iter::once(&first))
            .map(|&a| apps[a].name.as_str())
            .collect();
        let message = format!(
            "Application '{}' contains itself through other Applications ({}); a status update of each one makes Argo CD refresh the Application that manages it, an endless reconciliation loop (Argo CD breaks that loop only for an Application that manages itself directly), and a cascading delete of any of them deletes the others",
            app.name,
            chain.join(" → ")
        );
        let last = order.last().map_or(first, |&l| l);
        let mut d = Diagnostic::new("APP012", name_span(app), message)
            .with_label(format!(
                "contains itself, a resource of '{}'",
                apps[last].name
            ))
            .with_object(Some(app.object.object_ref()));
        for w in order.windows(2) {
            let (parent, child) = (&apps[w[0]], &apps[w[1]]);
            d = d.with_related(name_span(child), format!("a resource of '{}'", parent.name));
        }
        out.push(d.with_help(
            "Break the loop: a parent's source directory holds the manifests of its children, never those of its ancestors.",
        ));
    }
}

/// APP013: an Application at the fourth level of an app-of-apps tree or deeper, reported on
/// the first Application that passes the limit.
pub fn check_depth(cx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
    let apps = &cx.model.apps;
    for app in apps {
        if app.depth != MAX_LEVELS {
            continue;
        }
        // The deepest chain of parents, for the message.
        let mut chain = vec![app.name.as_str()];
        let mut cur = app;
        while let Some(&p) = cur.parents.iter().max_by_key(|&&p| apps[p].depth) {
            if apps[p].depth + 1 != cur.depth {
                break;
            }
            cur = &apps[p];
            chain.push(cur.name.as_str());
        }
        chain.reverse();
        let mut d = Diagnostic::new(
            "APP013",
            name_span(app),
            format!(
                "Application '{}' is nested {} levels deep ({}); each level is created and updated by the one above it, so a new or changed Application takes one reconciliation per level to arrive, and a failure shows up far from its cause",
                app.name,
                app.depth + 1,
                chain.join(" → ")
            ),
        )
        .with_label(format!("level {}", app.depth + 1))
        .with_object(Some(app.object.object_ref()));
        if let Some(&p) = app.parents.first() {
            d = d.with_related(name_span(&apps[p]), "its parent");
        }
        out.push(d.with_help(
            "Flatten the tree: let a root Application (or an ApplicationSet) own the leaf Applications directly.",
        ));
    }
}
