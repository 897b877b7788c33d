//! The `ignoreDifferences` rules of the repository, with where each string is written:
//! every Application's `spec.ignoreDifferences` and the system-level entries of its
//! argocd-cm (`resource.customizations.ignoreDifferences.<group_kind>` and the legacy
//! `resource.customizations` map, whose values are YAML inside YAML strings). The rules
//! themselves are `argo::ignore_differences::IgnoreRule`s, so lint and drift evaluate the
//! same thing; the locations let findings point at the exact character of a pointer or
//! jq expression, however the string is quoted.

use crate::argo::ignore_differences::{IgnoreRule, RuleOrigin, config};
use crate::load::yaml::value_offsets;
use crate::load::yaml::{self, Node};
use crate::model::{Model, Object, Repo};
use crate::source::{FileId, Span};
use std::ops::Range;

// ---------------------------------------------------------------------------------------
// Where the strings of a rule are written

/// A string of the repository, with the file offset of each byte of its value (when the
/// way it is written allows it), so that a range inside the value maps to the exact
/// characters.
#[derive(Clone, Debug)]
pub struct Loc {
    span: Span,
    map: Option<Vec<usize>>,
}

impl Loc {
    fn of(repo: &Repo, o: &Object, n: &Node) -> Loc {
        let span = o.span(n);
        let map = n.scalar().and_then(|s| {
            let raw = repo.db.snippet(span);
            value_offsets(raw, s.style, &s.text)
                .map(|m| m.into_iter().map(|x| x + n.start as usize).collect())
        });
        Loc { span, map }
    }

    /// A node of YAML parsed from inside this string's value.
    fn inner(&self, text: &str, n: &Node) -> Loc {
        let (Some(map), Some(s)) = (&self.map, n.scalar()) else {
            return self.node_span(n);
        };
        let (start, end) = (n.start as usize, n.end as usize);
        let inner = text
            .get(start..end)
            .and_then(|raw| value_offsets(raw, s.style, &s.text));
        let span = self.node_span(n).span;
        let map = inner.and_then(|m| {
            m.into_iter()
                .map(|x| map.get(start + x).copied())
                .collect::<Option<Vec<usize>>>()
        });
        Loc { span, map }
    }

    /// The whole of an inner node, when its characters are known.
    fn node_span(&self, n: &Node) -> Loc {
        let span = match &self.map {
            Some(map) => match (map.get(n.start as usize), map.get(n.end as usize)) {
                (Some(&a), Some(&b)) if a < b => Span::new(self.span.file, a, b),
                _ => self.span,
            },
            None => self.span,
        };
        Loc { span, map: None }
    }

    /// The characters that produce `range` of the value.
    pub fn sub(&self, range: Range<usize>) -> Span {
        let Some(map) = &self.map else {
            return self.span;
        };
        match (map.get(range.start), map.get(range.end.max(range.start))) {
            (Some(&a), Some(&b)) => {
                let b = if b <= a { a + 1 } else { b };
                Span::new(self.span.file, a, b.min(self.span.end as usize).max(a))
            }
            _ => self.span,
        }
    }

    pub fn file(&self) -> FileId {
        self.span.file
    }

    /// The whole string.
    pub fn span(&self) -> Span {
        self.span
    }
}

/// Where one rule is written: the item (for findings about the whole rule), its selector
/// fields, and each entry of its lists.
#[derive(Clone, Debug)]
pub struct Written {
    /// The first line of the item (an Application list item, or an argocd-cm data key).
    pub head: Span,
    pub group: Option<Span>,
    pub kind: Option<Span>,
    pub name: Option<Span>,
    pub namespace: Option<Span>,
    pub pointers: Vec<Loc>,
    pub jq: Vec<Loc>,
    /// Whether the item names nothing to remove (IGN008).
    pub empty: bool,
}

/// The rules of one origin with where they are written, in Argo CD's order.
#[derive(Clone, Debug, Default)]
pub struct RuleSet {
    pub rules: Vec<IgnoreRule>,
    pub written: Vec<Written>,
}

/// An Application's `spec.ignoreDifferences`.
pub fn app_rules(repo: &Repo, o: &Object) -> RuleSet {
    let mut set = RuleSet::default();
    let Some(items) = o.spec().and_then(|s| s.get("ignoreDifferences")) else {
        return set;
    };
    for (i, item) in items.items().iter().enumerate() {
        if !item.is_map() {
            continue;
        }
        let rule = IgnoreRule::from_json(i, &item.to_json());
        let field = |k: &str| item.get(k).map(|n| o.span(n));
        let strings = |k: &str| -> Vec<Loc> {
            item.get(k)
                .map(|l| l.items().iter().map(|n| Loc::of(repo, o, n)).collect())
                .unwrap_or_default()
        };
        let head = item
            .entries()
            .first()
            .map_or_else(|| o.span(item), |e| o.span(&e.key));
        set.written.push(Written {
            head,
            group: field("group"),
            kind: field("kind"),
            name: field("name"),
            namespace: field("namespace"),
            pointers: strings("jsonPointers"),
            jq: strings("jqPathExpressions"),
            empty: rule.json_pointers.is_empty()
                && rule.jq_path_expressions.is_empty()
                && rule.managed_fields_managers.is_empty(),
        });
        set.rules.push(rule);
    }
    set
}

/// The system-level configuration of the repository's argocd-cm: the override rules with
/// where their strings are written, and the empty entries.
#[derive(Clone, Debug, Default)]
pub struct System {
    pub set: RuleSet,
    /// Entries that name nothing to remove (IGN008), by data key.
    pub empty: Vec<(String, Span)>,
    /// Whether an argocd-cm was found.
    pub present: bool,
}

/// The written strings of one override (`jsonPointers`, `jqPathExpressions`) parsed from
/// the YAML text of an `ignoreDifferences` value.
fn override_strings(loc: &Loc, text: &str) -> (Vec<Loc>, Vec<Loc>, bool) {
    let parsed = yaml::parse(text);
    let Some(doc) = parsed.documents.first() else {
        return (Vec::new(), Vec::new(), true);
    };
    let list = |k: &str| -> Vec<Loc> {
        doc.root
            .get(k)
            .map(|l| l.items().iter().map(|n| loc.inner(text, n)).collect())
            .unwrap_or_default()
    };
    let pointers = list("jsonPointers");
    let jq = list("jqPathExpressions");
    let managers = doc
        .root
        .get("managedFieldsManagers")
        .map_or(0, |l| l.items().len());
    let empty = pointers.is_empty() && jq.is_empty() && managers == 0;
    (pointers, jq, empty)
}

/// Reads the system-level entries of the control plane's argocd-cm (or, when the
/// repository has none there, of the first argocd-cm it has).
pub fn read_system(repo: &Repo, model: &Model<'_>) -> System {
    let mut system = System::default();
    // The control plane's argocd-cm; any namespace when none is there.
    let cms: Vec<&Object> = repo
        .of_kind("", "ConfigMap")
        .filter(|c| c.name.as_deref() == Some("argocd-cm"))
        .collect();
    let plane = model.control_plane.as_str();
    let Some(cm) = cms
        .iter()
        .find(|c| c.namespace.as_deref() == Some(plane))
        .or_else(|| cms.first())
        .copied()
    else {
        return system;
    };
    let Some(data) = cm.node.get("data") else {
        return system;
    };
    system.present = true;
    let entries: Vec<(String, String)> = data
        .entries()
        .iter()
        .filter_map(|e| Some((e.key.as_str()?.to_owned(), e.value.as_str()?.to_owned())))
        .collect();
    let parsed = config::parse_argocd_cm(entries.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    // Where each data key's ignoreDifferences strings are.
    let located =
        |data_key: &str, override_key: &str| -> Option<(Span, Vec<Loc>, Vec<Loc>, bool)> {
            let entry = data
                .entries()
                .iter()
                .find(|e| e.key.as_str() == Some(data_key))?;
            let head = cm.span(&entry.key);
            let loc = Loc::of(repo, cm, &entry.value);
            let text = entry.value.as_str()?;
            if data_key == "resource.customizations" {
                // A YAML map of `group/kind` to settings, whose `ignoreDifferences` is itself
                // YAML text.
                let outer = yaml::parse(text);
                let root = &outer.documents.first()?.root;
                let settings = root
                    .entries()
                    .iter()
                    .find(|e| e.key.as_str() == Some(override_key))?;
                let ignore = settings.value.get("ignoreDifferences")?;
                let inner_loc = loc.inner(text, ignore);
                let inner_text = ignore.as_str()?;
                let (p, j, empty) = override_strings(&inner_loc, inner_text);
                let head = loc.node_span(&settings.key).span;
                return Some((head, p, j, empty));
            }
            let (p, j, empty) = override_strings(&loc, text);
            Some((head, p, j, empty))
        };
    for rule in parsed.overrides {
        let RuleOrigin::Override {
            key,
            data_key: Some(data_key),
            ..
        } = &rule.origin
        else {
            // Only `/status` from resource.compareoptions: nothing written to check.
            continue;
        };
        let Some((head, pointers, jq, empty)) = located(data_key, key) else {
            continue;
        };
        system.set.written.push(Written {
            head,
            group: None,
            kind: None,
            name: None,
            namespace: None,
            pointers,
            jq,
            empty,
        });
        system.set.rules.push(rule);
    }
    // Split keys whose value names nothing (Argo CD drops them: no override at all).
    for e in data.entries() {
        let Some(k) = e.key.as_str() else { continue };
        if k.starts_with("resource.customizations.ignoreDifferences.")
            && let Some(text) = e.value.as_str()
        {
            let (_, _, empty) = override_strings(&Loc::of(repo, cm, &e.value), text);
            if empty {
                system.empty.push((k.to_owned(), cm.span(&e.key)));
            }
        }
    }
    system
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A block scalar's span starts at its content: offsets still land on the
    /// characters, past the block's indentation.
    #[test]
    fn block_scalar_offsets_skip_the_indentation() {
        let text = "data:\n  k: |\n    jsonPointers:\n      - spec/paused # x\n";
        let root = yaml::parse(text).documents.remove(0).root;
        let Some(v) = root.get("data").and_then(|d| d.get("k")) else {
            panic!("no value");
        };
        let Some(s) = v.scalar() else {
            panic!("not a scalar")
        };
        let raw = &text[v.start as usize..v.end as usize];
        let Some(map) = value_offsets(raw, s.style, &s.text) else {
            panic!("no map");
        };
        let at = s.text.find("spec/paused").unwrap_or(0);
        let file = v.start as usize + map[at];
        assert_eq!(&text[file..file + 11], "spec/paused");
    }
}
