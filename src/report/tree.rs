//! `tree`: the app-of-apps tree. [`build`] turns the model into a small serialisable
//! [`Tree`]; the renderers ([`text`], [`json`], [`dot`], [`mermaid`]) are pure functions
//! of that tree, so every format is deterministic and testable without a filesystem.
//!
//! Each Application is expanded once. Under a second parent it appears again as a
//! *repeat* without its children; a child that is already on the path from the root
//! closes a *cycle* and is shown, marked, without its children. Applications that no
//! root reaches (they only sit in cycles, or below them) start trees of their own, from
//! the first Application in file order of a cycle nothing else leads into.

use crate::diagnostic::{Diagnostic, Severity};
use crate::load::yaml::Node;
use crate::model::apps::Location;
use crate::model::cluster::Resolution;
use crate::model::repo::ARGO_GROUP;
use crate::model::{Model, Repo};
use anstyle::{AnsiColor, Style};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

/// The app-of-apps forest (`{"version": 1, "roots": [...]}` in JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tree {
    pub version: u32,
    pub roots: Vec<TreeNode>,
    /// The namespace Applications live in by default; text output names other
    /// namespaces only.
    #[serde(skip)]
    pub control_plane: String,
}

/// One appearance of an Application in the tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TreeNode {
    /// Identifies the Application across its appearances (its position in file order);
    /// DOT and Mermaid node ids derive from it.
    #[serde(skip)]
    pub id: usize,
    pub name: String,
    /// The Application's namespace (the control-plane namespace when it names none).
    pub namespace: String,
    pub project: String,
    pub destination: Destination,
    pub sources: Vec<SourceRef>,
    /// Resources found in this repository; `None` when none are known and some cannot be
    /// (sources in other repositories or that need rendering).
    pub resources: Option<usize>,
    /// False when some of the Application's resources are unknown.
    pub resources_complete: bool,
    /// Diagnostics about this Application object itself.
    pub diagnostics: Counts,
    pub file: String,
    pub line: usize,
    pub children: Vec<TreeNode>,
    /// Shown in full under an earlier parent; children are not repeated.
    pub repeat: bool,
    /// Already on the path from the root: this edge closes a cycle.
    pub cycle: bool,
    /// The Application is among its own resources (its directory holds its manifest).
    /// Argo CD supports this; it is not shown as its own child.
    pub self_managed: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Destination {
    /// `destination.server`, or the server of the cluster `destination.name` resolves to.
    pub server: Option<String>,
    /// `destination.name`, or the name of the cluster `destination.server` resolves to.
    pub name: Option<String>,
    pub namespace: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SourceRef {
    #[serde(rename = "repoURL")]
    pub repo_url: Option<String>,
    pub path: Option<String>,
    pub chart: Option<String>,
    /// Whether the source is read from this repository.
    pub in_repository: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub error: usize,
    pub warning: usize,
    pub info: usize,
}

impl Counts {
    fn add(&mut self, s: Severity) {
        match s {
            Severity::Error => self.error += 1,
            Severity::Warning => self.warning += 1,
            Severity::Info => self.info += 1,
        }
    }
}

/// Builds the tree of `model`, counting for each Application the diagnostics whose
/// object is that Application.
pub fn build(model: &Model<'_>, repo: &Repo, diagnostics: &[Diagnostic]) -> Tree {
    let n = model.apps.len();
    let mut counts: HashMap<(&str, &str), Counts> = HashMap::new();
    for d in diagnostics {
        let Some(o) = &d.object else { continue };
        let group = o.api_version.split_once('/').map_or("", |(g, _)| g);
        if o.kind != "Application" || group != ARGO_GROUP {
            continue;
        }
        let ns = o.namespace.as_deref().unwrap_or(&model.control_plane);
        counts.entry((ns, &o.name)).or_default().add(d.severity);
    }
    let mut b = Builder {
        model,
        repo,
        counts,
        expanded: vec![false; n],
        on_path: vec![false; n],
    };
    let mut roots: Vec<TreeNode> = model.roots().map(|a| b.walk(a)).collect();
    if b.expanded.iter().any(|e| !e) {
        let children: Vec<&[usize]> = model.apps.iter().map(|a| a.children.as_slice()).collect();
        let parents: Vec<&[usize]> = model.apps.iter().map(|a| a.parents.as_slice()).collect();
        let comp = components(&children, &parents);
        while let Some(a) = next_orphan(&comp, &parents, &b.expanded) {
            roots.push(b.walk(a));
        }
    }
    Tree {
        version: 1,
        roots,
        control_plane: model.control_plane.clone(),
    }
}

struct Builder<'m, 'r> {
    model: &'m Model<'r>,
    repo: &'m Repo,
    counts: HashMap<(&'m str, &'m str), Counts>,
    expanded: Vec<bool>,
    on_path: Vec<bool>,
}

impl Builder<'_, '_> {
    fn walk(&mut self, a: usize) -> TreeNode {
        let mut node = self.describe(a);
        if self.on_path[a] {
            node.cycle = true;
            return node;
        }
        if self.expanded[a] {
            node.repeat = true;
            return node;
        }
        self.expanded[a] = true;
        self.on_path[a] = true;
        let model = self.model;
        node.children = model.apps[a]
            .children
            .iter()
            .map(|&c| self.walk(c))
            .collect();
        self.on_path[a] = false;
        node
    }

    fn describe(&self, a: usize) -> TreeNode {
        let app = &self.model.apps[a];
        let o = app.object;
        // A generated Application is shown where its ApplicationSet names it.
        let at = crate::model::generated::home(self.repo, &self.model.generated, o)
            .unwrap_or_else(|| o.span(&o.node));
        let source = self.repo.db.get(at.file);
        let (file, line) = (source.rel_path.clone(), source.line_col(at.start).line);
        let text = |n: Option<&Node>| {
            n.and_then(Node::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let mut destination = Destination {
            server: app.destination_server().map(str::to_owned),
            name: app.destination_name().map(str::to_owned),
            namespace: Some(app.destination_namespace().to_owned()).filter(|s| !s.is_empty()),
        };
        if let Resolution::Found(c) = self.model.resolve_destination(app) {
            if destination.server.is_none() {
                destination.server = Some(c.server.clone());
            }
            if destination.name.is_none() && !c.name.is_empty() {
                destination.name = Some(c.name.clone());
            }
        }
        let sources = app
            .sources
            .iter()
            .map(|s| SourceRef {
                repo_url: s.repo_url.map(str::to_owned),
                path: text(s.node.get("path")),
                chart: text(s.node.get("chart")),
                in_repository: s.repo_url.is_some() && !matches!(s.location, Location::External),
            })
            .collect();
        let complete = app.gaps.is_empty();
        let count = app.resources.len();
        TreeNode {
            id: a,
            name: app.name.clone(),
            namespace: app.namespace.clone(),
            project: app.project.clone(),
            destination,
            sources,
            resources: (complete || count > 0).then_some(count),
            resources_complete: complete,
            diagnostics: self
                .counts
                .get(&(app.namespace.as_str(), app.name.as_str()))
                .copied()
                .unwrap_or_default(),
            file,
            line,
            children: Vec::new(),
            repeat: false,
            cycle: false,
            self_managed: app.self_managed,
        }
    }
}

/// Strongly connected components (Kosaraju, iterative): `comp[a]` for every node.
fn components(children: &[&[usize]], parents: &[&[usize]]) -> Vec<usize> {
    let n = children.len();
    let mut seen = vec![false; n];
    let mut order = Vec::with_capacity(n);
    for start in 0..n {
        if seen[start] {
            continue;
        }
        seen[start] = true;
        let mut stack = vec![(start, 0usize)];
        while let Some(top) = stack.last_mut() {
            let (node, next) = *top;
            if let Some(&c) = children[node].get(next) {
                top.1 += 1;
                if !seen[c] {
                    seen[c] = true;
                    stack.push((c, 0));
                }
            } else {
                order.push(node);
                stack.pop();
            }
        }
    }
    let mut comp = vec![usize::MAX; n];
    let mut id = 0;
    for &start in order.iter().rev() {
        if comp[start] != usize::MAX {
            continue;
        }
        comp[start] = id;
        let mut stack = vec![start];
        while let Some(node) = stack.pop() {
            for &p in parents[node] {
                if comp[p] == usize::MAX {
                    comp[p] = id;
                    stack.push(p);
                }
            }
        }
        id += 1;
    }
    comp
}

/// The first Application in file order that no root reached and whose component nothing
/// unexpanded outside it leads into.
fn next_orphan(comp: &[usize], parents: &[&[usize]], expanded: &[bool]) -> Option<usize> {
    let mut fed: HashMap<usize, bool> = HashMap::new();
    for a in (0..comp.len()).filter(|&a| !expanded[a]) {
        let from_outside = parents[a]
            .iter()
            .any(|&p| !expanded[p] && comp[p] != comp[a]);
        *fed.entry(comp[a]).or_default() |= from_outside;
    }
    (0..comp.len())
        .find(|&a| !expanded[a] && fed.get(&comp[a]) == Some(&false))
        // Unreachable for a consistent graph; never leave an Application out.
        .or_else(|| (0..comp.len()).find(|&a| !expanded[a]))
}

// ---------------------------------------------------------------------------------------
// Shared descriptions

/// `name`, or `namespace/name` outside the control-plane namespace.
fn qualified_name(node: &TreeNode, control_plane: &str) -> String {
    let name = if node.name.is_empty() {
        "<unnamed>"
    } else {
        &node.name
    };
    if node.namespace == control_plane || node.namespace.is_empty() {
        name.to_owned()
    } else {
        format!("{}/{name}", node.namespace)
    }
}

/// `cluster/namespace`: the cluster's name when known, else its server.
fn destination_text(d: &Destination) -> String {
    let cluster = d.name.as_deref().or(d.server.as_deref()).unwrap_or("?");
    match &d.namespace {
        Some(ns) => format!("{cluster}/{ns}"),
        None => cluster.to_owned(),
    }
}

/// The source shown: the first one with a path or chart (else the first), and how many
/// others there are.
fn main_source(sources: &[SourceRef]) -> Option<(&SourceRef, usize)> {
    let first = sources
        .iter()
        .find(|s| s.path.is_some() || s.chart.is_some())
        .or_else(|| sources.first())?;
    Some((first, sources.len() - 1))
}

fn source_text(s: &SourceRef) -> String {
    let mut t = s.repo_url.clone().unwrap_or_else(|| "?".to_owned());
    if let Some(p) = &s.path {
        t.push(' ');
        t.push_str(p);
    }
    if let Some(c) = &s.chart {
        t.push_str(" chart ");
        t.push_str(c);
    }
    t
}

fn resources_text(node: &TreeNode) -> String {
    match node.resources {
        None => "? resources".to_owned(),
        Some(n) => {
            let plus = if node.resources_complete { "" } else { "+" };
            let word = if n == 1 && node.resources_complete {
                "resource"
            } else {
                "resources"
            };
            format!("{n}{plus} {word}")
        }
    }
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

// ---------------------------------------------------------------------------------------
// Text

const BRANCH: &str = "├── ";
const LAST: &str = "└── ";
const PIPE: &str = "│   ";
const SPACE: &str = "    ";

/// A box-drawing tree, one line per appearance of an Application.
pub fn text(tree: &Tree, color: bool) -> String {
    let mut out = String::new();
    if tree.roots.is_empty() {
        out.push_str("no Applications found\n");
        return out;
    }
    let mut t = TextRenderer {
        out: &mut out,
        color,
        control_plane: &tree.control_plane,
    };
    for root in &tree.roots {
        t.node(root, "", "");
    }
    out
}

struct TextRenderer<'a> {
    out: &'a mut String,
    color: bool,
    control_plane: &'a str,
}

impl TextRenderer<'_> {
    fn styled(&mut self, style: Style, s: &str) {
        if self.color && !s.is_empty() {
            let _ = write!(self.out, "{}{s}{}", style.render(), style.render_reset());
        } else {
            self.out.push_str(s);
        }
    }

    fn node(&mut self, node: &TreeNode, lead: &str, prefix: &str) {
        let dim = Style::new().dimmed();
        let warn = Style::new().fg_color(Some(AnsiColor::Yellow.into()));
        self.styled(dim, lead);
        self.styled(
            Style::new().bold(),
            &qualified_name(node, self.control_plane),
        );
        if node.cycle {
            self.out.push_str("  ");
            self.styled(warn, "↻ cycle");
        } else if node.repeat {
            self.out.push_str("  ");
            self.styled(dim, "(shown above)");
        } else {
            self.details(node);
        }
        self.out.push('\n');
        let count = node.children.len();
        for (i, child) in node.children.iter().enumerate() {
            let last = i + 1 == count;
            let lead = format!("{prefix}{}", if last { LAST } else { BRANCH });
            let next = format!("{prefix}{}", if last { SPACE } else { PIPE });
            self.node(child, &lead, &next);
        }
    }

    fn details(&mut self, node: &TreeNode) {
        let dim = Style::new().dimmed();
        self.out.push_str("  ");
        self.styled(dim, "project ");
        self.out.push_str(&node.project);
        self.out.push_str("  ");
        self.styled(dim, "→ ");
        self.out.push_str(&destination_text(&node.destination));
        if let Some((s, more)) = main_source(&node.sources) {
            self.out.push_str("  ");
            self.styled(dim, "from ");
            self.out.push_str(&source_text(s));
            if !s.in_repository {
                self.out.push(' ');
                self.styled(dim, "(external)");
            }
            if more > 0 {
                self.out.push(' ');
                self.styled(dim, &format!("+{more} more"));
            }
        }
        self.out.push_str("  ");
        self.out.push_str(&resources_text(node));
        if node.self_managed {
            self.out.push(' ');
            self.styled(dim, "(manages itself)");
        }
        let c = node.diagnostics;
        let parts = [
            (c.error, "error", AnsiColor::Red),
            (c.warning, "warning", AnsiColor::Yellow),
            (c.info, "info", AnsiColor::Cyan),
        ];
        let mut first = true;
        for (n, word, colour) in parts {
            if n == 0 {
                continue;
            }
            self.out.push_str(if first { "  " } else { ", " });
            first = false;
            self.styled(
                Style::new().fg_color(Some(colour.into())).bold(),
                &plural(n, word),
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// JSON

pub fn json(tree: &Tree) -> String {
    let mut s =
        serde_json::to_string_pretty(tree).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}

// ---------------------------------------------------------------------------------------
// Graphs (DOT, Mermaid)

/// Every Application once (first appearance, pre-order) and every parent→child edge once,
/// with whether the edge closes a cycle.
struct Graph<'t> {
    nodes: Vec<&'t TreeNode>,
    edges: Vec<(usize, usize, bool)>,
}

fn graph(tree: &Tree) -> Graph<'_> {
    fn visit<'t>(
        node: &'t TreeNode,
        g: &mut Graph<'t>,
        seen: &mut HashSet<usize>,
        edges: &mut HashSet<(usize, usize)>,
    ) {
        if seen.insert(node.id) {
            g.nodes.push(node);
        }
        for c in &node.children {
            if edges.insert((node.id, c.id)) {
                g.edges.push((node.id, c.id, c.cycle));
            }
            visit(c, g, seen, edges);
        }
    }
    let mut g = Graph {
        nodes: Vec::new(),
        edges: Vec::new(),
    };
    let (mut seen, mut edges) = (HashSet::new(), HashSet::new());
    for r in &tree.roots {
        visit(r, &mut g, &mut seen, &mut edges);
    }
    g
}

/// `app<id>_<name>` with every character outside `[A-Za-z0-9_]` replaced by `_`: a valid
/// unquoted DOT identifier and a safe Mermaid node id (never a keyword such as `end`).
fn node_id(node: &TreeNode) -> String {
    let name: String = node
        .name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("app{}_{name}", node.id)
}

/// The lines of a graph node's label: name, project, destination.
fn label_lines(node: &TreeNode, control_plane: &str) -> [String; 3] {
    [
        qualified_name(node, control_plane),
        format!("project: {}", node.project),
        format!("→ {}", destination_text(&node.destination)),
    ]
}

fn dot_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// A Graphviz `digraph`: one box per Application, edges parent → child; an edge that
/// closes a cycle is dashed and labelled.
pub fn dot(tree: &Tree) -> String {
    let g = graph(tree);
    let mut out = String::from("digraph applications {\n  node [shape=box];\n");
    for n in &g.nodes {
        let label = label_lines(n, &tree.control_plane)
            .iter()
            .map(|l| dot_escape(l))
            .collect::<Vec<_>>()
            .join("\\n");
        let _ = writeln!(out, "  {} [label=\"{label}\"];", node_id(n));
    }
    let ids: HashMap<usize, String> = g.nodes.iter().map(|n| (n.id, node_id(n))).collect();
    for (from, to, cycle) in &g.edges {
        let (Some(f), Some(t)) = (ids.get(from), ids.get(to)) else {
            continue;
        };
        let attrs = if *cycle {
            " [style=dashed, label=\"cycle\"]"
        } else {
            ""
        };
        let _ = writeln!(out, "  {f} -> {t}{attrs};");
    }
    out.push_str("}\n");
    out
}

/// Text inside a quoted Mermaid label: entity codes for the characters Mermaid or its
/// HTML labels would interpret.
pub(crate) fn mermaid_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '#' => out.push_str("#35;"),
            '&' => out.push_str("#amp;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '`' => out.push_str("#96;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A Mermaid `flowchart TD` with the same nodes and edges as [`dot`].
pub fn mermaid(tree: &Tree) -> String {
    let g = graph(tree);
    let mut out = String::from("flowchart TD\n");
    for n in &g.nodes {
        let label = label_lines(n, &tree.control_plane)
            .iter()
            .map(|l| mermaid_escape(l))
            .collect::<Vec<_>>()
            .join("<br/>");
        let _ = writeln!(out, "    {}[\"{label}\"]", node_id(n));
    }
    let ids: HashMap<usize, String> = g.nodes.iter().map(|n| (n.id, node_id(n))).collect();
    for (from, to, cycle) in &g.edges {
        let (Some(f), Some(t)) = (ids.get(from), ids.get(to)) else {
            continue;
        };
        let arrow = if *cycle { " -.->|cycle| " } else { " --> " };
        let _ = writeln!(out, "    {f}{arrow}{t}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(id: usize, name: &str) -> TreeNode {
        TreeNode {
            id,
            name: name.to_owned(),
            namespace: "argocd".to_owned(),
            project: "default".to_owned(),
            destination: Destination {
                server: Some("https://kubernetes.default.svc".to_owned()),
                name: Some("in-cluster".to_owned()),
                namespace: Some(name.to_owned()),
            },
            sources: vec![SourceRef {
                repo_url: Some("https://github.com/acme/gitops.git".to_owned()),
                path: Some(format!("apps/{name}")),
                chart: None,
                in_repository: true,
            }],
            resources: Some(2),
            resources_complete: true,
            diagnostics: Counts::default(),
            file: format!("apps/{name}.yaml"),
            line: 1,
            children: Vec::new(),
            repeat: false,
            cycle: false,
            self_managed: false,
        }
    }

    /// root ─┬─ platform ─┬─ shared
    ///       │            └─ loop ── platform (cycle)
    ///       └─ team-a/web ── shared (repeat)
    fn sample() -> Tree {
        let mut shared = leaf(3, "shared");
        shared.project = "platform".to_owned();
        shared.destination = Destination {
            server: Some("https://prod.example.com".to_owned()),
            name: None,
            namespace: None,
        };
        shared.sources = vec![
            SourceRef {
                repo_url: Some("https://charts.example.com".to_owned()),
                path: None,
                chart: Some("redis".to_owned()),
                in_repository: false,
            },
            SourceRef {
                repo_url: Some("https://github.com/acme/gitops.git".to_owned()),
                path: None,
                chart: None,
                in_repository: true,
            },
        ];
        shared.resources = None;
        shared.resources_complete = false;
        shared.diagnostics = Counts {
            error: 1,
            warning: 2,
            info: 0,
        };
        let mut platform_again = leaf(1, "platform");
        platform_again.cycle = true;
        let mut lp = leaf(4, "loop");
        lp.resources = Some(1);
        lp.resources_complete = false;
        lp.children = vec![platform_again];
        let mut platform = leaf(1, "platform");
        platform.children = vec![shared.clone(), lp];
        let mut shared_again = shared;
        shared_again.repeat = true;
        let mut web = leaf(2, "web");
        web.namespace = "team-a".to_owned();
        web.name = "web \"frontend\" <b>#1</b>".to_owned();
        web.resources = Some(1);
        web.diagnostics.info = 1;
        web.children = vec![shared_again];
        let mut root = leaf(0, "root");
        root.children = vec![platform, web];
        Tree {
            version: 1,
            roots: vec![root, leaf(5, "solo")],
            control_plane: "argocd".to_owned(),
        }
    }

    #[test]
    fn text_draws_the_tree_with_repeats_and_cycles() {
        let got = text(&sample(), false);
        let want = "\
root  project default  → in-cluster/root  from https://github.com/acme/gitops.git apps/root  2 resources
├── platform  project default  → in-cluster/platform  from https://github.com/acme/gitops.git apps/platform  2 resources
│   ├── shared  project platform  → https://prod.example.com  from https://charts.example.com chart redis (external) +1 more  ? resources  1 error, 2 warnings
│   └── loop  project default  → in-cluster/loop  from https://github.com/acme/gitops.git apps/loop  1+ resources
│       └── platform  ↻ cycle
└── team-a/web \"frontend\" <b>#1</b>  project default  → in-cluster/web  from https://github.com/acme/gitops.git apps/web  1 resource  1 info
    └── shared  (shown above)
solo  project default  → in-cluster/solo  from https://github.com/acme/gitops.git apps/solo  2 resources
";
        assert_eq!(got, want, "\n{got}");
    }

    #[test]
    fn text_colour_only_when_enabled() {
        let plain = text(&sample(), false);
        assert!(!plain.contains('\x1b'));
        let coloured = text(&sample(), true);
        assert!(coloured.starts_with("\x1b[1mroot\x1b[0m"), "{coloured}");
        assert!(
            coloured.contains("\x1b[1m\x1b[31m1 error\x1b[0m"),
            "{coloured}"
        );
        assert!(coloured.contains("\x1b[33m↻ cycle\x1b[0m"), "{coloured}");
        // Stripping the escapes gives the plain text back.
        let mut stripped = String::new();
        let mut in_escape = false;
        for c in coloured.chars() {
            match c {
                '\x1b' => in_escape = true,
                'm' if in_escape => in_escape = false,
                c if !in_escape => stripped.push(c),
                _ => {}
            }
        }
        assert_eq!(stripped, plain);
    }

    #[test]
    fn text_of_an_empty_tree_says_so() {
        let t = Tree {
            version: 1,
            roots: Vec::new(),
            control_plane: "argocd".to_owned(),
        };
        assert_eq!(text(&t, false), "no Applications found\n");
        assert_eq!(json(&t), "{\n  \"version\": 1,\n  \"roots\": []\n}\n");
        assert_eq!(dot(&t), "digraph applications {\n  node [shape=box];\n}\n");
        assert_eq!(mermaid(&t), "flowchart TD\n");
    }

    #[test]
    fn json_has_the_documented_shape() {
        let v: serde_json::Value = serde_json::from_str(&json(&sample())).expect("valid JSON");
        assert_eq!(v["version"], 1);
        let keys: Vec<&str> = v
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, ["version", "roots"]);
        let root = &v["roots"][0];
        let keys: Vec<&str> = root
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "name",
                "namespace",
                "project",
                "destination",
                "sources",
                "resources",
                "resources_complete",
                "diagnostics",
                "file",
                "line",
                "children",
                "repeat",
                "cycle",
                "self_managed"
            ]
        );
        assert_eq!(
            root["destination"],
            serde_json::json!({"server": "https://kubernetes.default.svc", "name": "in-cluster", "namespace": "root"})
        );
        let shared = &root["children"][0]["children"][0];
        assert_eq!(shared["name"], "shared");
        assert_eq!(shared["resources"], serde_json::Value::Null);
        assert_eq!(shared["resources_complete"], false);
        assert_eq!(
            shared["diagnostics"],
            serde_json::json!({"error": 1, "warning": 2, "info": 0})
        );
        assert_eq!(
            shared["sources"][0],
            serde_json::json!({"repoURL": "https://charts.example.com", "path": null, "chart": "redis", "in_repository": false})
        );
        let cycle = &root["children"][0]["children"][1]["children"][0];
        assert_eq!(cycle["name"], "platform");
        assert_eq!(cycle["cycle"], true);
        assert_eq!(cycle["repeat"], false);
        assert_eq!(cycle["children"], serde_json::json!([]));
        let repeat = &root["children"][1]["children"][0];
        assert_eq!(repeat["repeat"], true);
        assert_eq!(repeat["children"], serde_json::json!([]));
        assert_eq!(v["roots"][1]["name"], "solo");
    }

    #[test]
    fn dot_has_each_application_once_and_every_edge() {
        let got = dot(&sample());
        let want = "\
digraph applications {
  node [shape=box];
  app0_root [label=\"root\\nproject: default\\n→ in-cluster/root\"];
  app1_platform [label=\"platform\\nproject: default\\n→ in-cluster/platform\"];
  app3_shared [label=\"shared\\nproject: platform\\n→ https://prod.example.com\"];
  app4_loop [label=\"loop\\nproject: default\\n→ in-cluster/loop\"];
  app2_web__frontend___b__1__b_ [label=\"team-a/web \\\"frontend\\\" <b>#1</b>\\nproject: default\\n→ in-cluster/web\"];
  app5_solo [label=\"solo\\nproject: default\\n→ in-cluster/solo\"];
  app0_root -> app1_platform;
  app1_platform -> app3_shared;
  app1_platform -> app4_loop;
  app4_loop -> app1_platform [style=dashed, label=\"cycle\"];
  app0_root -> app2_web__frontend___b__1__b_;
  app2_web__frontend___b__1__b_ -> app3_shared;
}
";
        assert_eq!(got, want, "\n{got}");
    }

    #[test]
    fn mermaid_ids_are_safe_and_labels_escaped() {
        let got = mermaid(&sample());
        let want = "\
flowchart TD
    app0_root[\"root<br/>project: default<br/>→ in-cluster/root\"]
    app1_platform[\"platform<br/>project: default<br/>→ in-cluster/platform\"]
    app3_shared[\"shared<br/>project: platform<br/>→ https://prod.example.com\"]
    app4_loop[\"loop<br/>project: default<br/>→ in-cluster/loop\"]
    app2_web__frontend___b__1__b_[\"team-a/web #quot;frontend#quot; #lt;b#gt;#35;1#lt;/b#gt;<br/>project: default<br/>→ in-cluster/web\"]
    app5_solo[\"solo<br/>project: default<br/>→ in-cluster/solo\"]
    app0_root --> app1_platform
    app1_platform --> app3_shared
    app1_platform --> app4_loop
    app4_loop -.->|cycle| app1_platform
    app0_root --> app2_web__frontend___b__1__b_
    app2_web__frontend___b__1__b_ --> app3_shared
";
        assert_eq!(got, want, "\n{got}");
    }

    #[test]
    fn escapes() {
        assert_eq!(dot_escape("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
        assert_eq!(
            mermaid_escape("a\"b#c&d`e\nf"),
            "a#quot;b#35;c#amp;d#96;e f"
        );
        let mut n = leaf(7, "end");
        assert_eq!(node_id(&n), "app7_end");
        n.name = "ünï-côde.x".to_owned();
        assert_eq!(node_id(&n), "app7__n__c_de_x");
        n.name = String::new();
        assert_eq!(node_id(&n), "app7_");
        assert_eq!(qualified_name(&n, "argocd"), "<unnamed>");
        n.namespace = "team-a".to_owned();
        assert_eq!(qualified_name(&n, "argocd"), "team-a/<unnamed>");
    }

    #[test]
    fn components_group_cycles() {
        // 0 -> 1 -> 2 -> 1, 3 -> 3, 4
        let children: Vec<&[usize]> = vec![&[1], &[2], &[1], &[3], &[]];
        let parents: Vec<&[usize]> = vec![&[], &[0, 2], &[1], &[3], &[]];
        let c = components(&children, &parents);
        assert_eq!(c[1], c[2]);
        assert_ne!(c[0], c[1]);
        assert_ne!(c[3], c[4]);
        assert_ne!(c[3], c[1]);
    }

    #[test]
    fn orphans_start_from_a_cycle_nothing_leads_into() {
        // Not reached from any root: 0 (child of 3), the cycle 2 <-> 3 fed by the cycle
        // 1 <-> 4. The first candidate in file order whose cycle has no unexpanded
        // parent outside it is 1.
        let children: Vec<&[usize]> = vec![&[], &[4], &[3], &[2, 0], &[1, 2]];
        let parents: Vec<&[usize]> = vec![&[3], &[4], &[3, 4], &[2], &[1]];
        let comp = components(&children, &parents);
        let mut expanded = vec![false; 5];
        assert_eq!(next_orphan(&comp, &parents, &expanded), Some(1));
        for a in [1, 4, 2, 3, 0] {
            expanded[a] = true;
        }
        assert_eq!(next_orphan(&comp, &parents, &expanded), None);
        // With 1 and 4 expanded, the 2 <-> 3 cycle is next.
        let expanded = [false, true, false, false, true];
        assert_eq!(next_orphan(&comp, &parents, &expanded), Some(2));
    }
}
