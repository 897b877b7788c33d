//! gobwas v0.2.3's compiler (`compiler/compiler.go`), re-implemented step by step: it
//! factors common parts out of `{…}` alternatives, glues runs of parts into `Row`s and
//! `EveryOf`s, splits the rest around its longest fixed-length part (`BTree`) and swaps
//! common shapes for specialised matchers (`Prefix`, `Suffix`, `Contains`…). The shapes
//! it picks decide the result (see the quirks listed in `matcher.rs`).

use super::GlobError;
use super::matcher::{BTree, M, runes_of, string_of};
use super::syntax::{Ast, Kind, Value};

/// gobwas `compiler.Compile`.
pub(super) fn compile(tree: &Ast, sep: &[u32]) -> Result<M, GlobError> {
    let m = match tree.kind {
        Kind::AnyOf => {
            if let Some(n) = minimize_tree_any_of(tree) {
                return compile(&n, sep);
            }
            return Ok(M::AnyOf(compile_children(tree, sep)?));
        }
        Kind::Pattern => {
            if tree.children.is_empty() {
                return Ok(M::Nothing);
            }
            let matchers = compile_children(tree, sep)?;
            compile_matchers(&minimize_matchers(matchers))?
        }
        Kind::Any => M::Any(sep.to_vec()),
        Kind::Super => M::Super,
        Kind::Single => M::Single(sep.to_vec()),
        Kind::Nothing => M::Nothing,
        Kind::List => match &tree.value {
            Value::List { not, chars } => M::List {
                list: runes_of(chars),
                not: *not,
            },
            _ => return Err(unknown()),
        },
        Kind::Range => match &tree.value {
            Value::Range { not, lo, hi } => M::Range {
                lo: u32::from(*lo),
                hi: u32::from(*hi),
                not: *not,
            },
            _ => return Err(unknown()),
        },
        Kind::Text => match &tree.value {
            Value::Text(text) => M::text(text),
            _ => return Err(unknown()),
        },
    };
    Ok(optimize(m))
}

fn unknown() -> GlobError {
    GlobError::new("could not compile tree: unknown node type")
}

fn compile_children(tree: &Ast, sep: &[u32]) -> Result<Vec<M>, GlobError> {
    tree.children
        .iter()
        .map(|child| compile(child, sep).map(optimize))
        .collect()
}

/// gobwas `optimizeMatcher`.
fn optimize(m: M) -> M {
    match m {
        M::Any(seps) if seps.is_empty() => M::Super,
        M::AnyOf(mut ms) if ms.len() == 1 => ms.pop().unwrap_or(M::Nothing),
        M::List { list, not: false } if list.len() == 1 => {
            let text = String::from_utf8_lossy(&string_of(&list)).into_owned();
            M::text(&text)
        }
        M::BTree(mut t) => {
            t.left = t.left.take().map(optimize);
            t.right = t.right.take().map(optimize);
            let M::Text { text, .. } = &t.value else {
                return M::BTree(t);
            };
            let text = text.clone();
            match (&t.left, &t.right) {
                (None, None) => M::Text {
                    runes: super::matcher::rune_count(&text),
                    text,
                },
                (Some(M::Super), Some(M::Super)) => M::Contains {
                    needle: text,
                    not: false,
                },
                (Some(M::Super), None) => M::Suffix(text),
                (None, Some(M::Super)) => M::Prefix(text),
                (None, Some(M::Suffix(suffix))) => M::PrefixSuffix(text, suffix.clone()),
                (Some(M::Prefix(prefix)), None) => M::PrefixSuffix(prefix.clone(), text),
                (Some(M::Any(seps)), None) => M::SuffixAny(text, seps.clone()),
                (None, Some(M::Any(seps))) => M::PrefixAny(text, seps.clone()),
                _ => M::BTree(t),
            }
        }
        other => other,
    }
}

/// gobwas `compileMatchers`.
fn compile_matchers(matchers: &[M]) -> Result<M, GlobError> {
    match matchers {
        [] => return Err(GlobError::new("compile error: need at least one matcher")),
        [one] => return Ok(one.clone()),
        _ => {}
    }
    if let Some(m) = glue(matchers) {
        return Ok(m);
    }
    // The last of the longest fixed-length matchers.
    let mut best: Option<usize> = None;
    let mut max_len = -1;
    for (i, m) in matchers.iter().enumerate() {
        let l = m.len();
        if l != -1 && l >= max_len {
            max_len = l;
            best = Some(i);
        }
    }
    let Some(idx) = best else {
        let rest = compile_matchers(&matchers[1..])?;
        return Ok(M::BTree(Box::new(BTree::new(
            matchers[0].clone(),
            None,
            Some(rest),
        ))));
    };
    let left = &matchers[..idx];
    let right = &matchers[idx + 1..];
    let l = if left.is_empty() {
        None
    } else {
        Some(compile_matchers(left)?)
    };
    let r = if right.is_empty() {
        None
    } else {
        Some(compile_matchers(right)?)
    };
    Ok(M::BTree(Box::new(BTree::new(matchers[idx].clone(), l, r))))
}

fn glue(matchers: &[M]) -> Option<M> {
    glue_as_every(matchers).or_else(|| glue_as_row(matchers))
}

fn glue_as_row(matchers: &[M]) -> Option<M> {
    if matchers.len() <= 1 {
        return None;
    }
    let mut total = 0isize;
    for m in matchers {
        let l = m.len();
        if l == -1 {
            return None;
        }
        total += l;
    }
    Some(M::Row {
        matchers: matchers.to_vec(),
        runes: total.max(0) as usize,
    })
}

fn glue_as_every(matchers: &[M]) -> Option<M> {
    if matchers.len() <= 1 {
        return None;
    }
    let (mut has_any, mut has_super, mut has_single) = (false, false, false);
    let mut min = 0usize;
    let mut separator: Vec<u32> = Vec::new();
    for (i, m) in matchers.iter().enumerate() {
        let sep: Vec<u32> = match m {
            M::Super => {
                has_super = true;
                Vec::new()
            }
            M::Any(seps) => {
                has_any = true;
                seps.clone()
            }
            M::Single(seps) => {
                has_single = true;
                min += 1;
                seps.clone()
            }
            M::List { list, not: true } => {
                has_single = true;
                min += 1;
                list.clone()
            }
            _ => return None,
        };
        if i == 0 {
            separator = sep.clone();
        }
        if sep != separator {
            return None;
        }
    }
    if has_super && !has_any && !has_single {
        return Some(M::Super);
    }
    if has_any && !has_super && !has_single {
        return Some(M::Any(separator));
    }
    if (has_any || has_super) && min > 0 && separator.is_empty() {
        return Some(M::Min(min));
    }
    let mut every = Vec::new();
    if min > 0 {
        every.push(M::Min(min));
        if !has_any && !has_super {
            every.push(M::Max(min));
        }
    }
    if !separator.is_empty() {
        every.push(M::Contains {
            needle: string_of(&separator),
            not: true,
        });
    }
    Some(M::EveryOf(every))
}

/// gobwas `minimizeMatchers`: repeatedly glue the widest gluable run.
fn minimize_matchers(matchers: Vec<M>) -> Vec<M> {
    let mut matchers = matchers;
    loop {
        let mut done: Option<M> = None;
        let (mut left, mut right, mut count) = (0usize, 0usize, 0usize);
        for l in 0..matchers.len() {
            for r in (l + 1..=matchers.len()).rev() {
                let Some(glued) = glue(&matchers[l..r]) else {
                    continue;
                };
                let swap = match &done {
                    None => true,
                    Some(d) => {
                        let (cl, gl) = (d.len(), glued.len());
                        (cl > -1 && gl > -1 && gl > cl) || count < r - l
                    }
                };
                if swap {
                    done = Some(glued);
                    left = l;
                    right = r;
                    count = r - l;
                }
            }
        }
        let Some(done) = done else {
            return matchers;
        };
        let mut next: Vec<M> = matchers[..left].to_vec();
        next.push(done);
        next.extend_from_slice(&matchers[right..]);
        if next.len() == matchers.len() {
            return next;
        }
        matchers = next;
    }
}

/// gobwas `minimizeTreeAnyOf`: factor the children common to every alternative out of
/// the left and right ends of a `{…}` group.
fn minimize_tree_any_of(tree: &Ast) -> Option<Ast> {
    if !tree.children.iter().all(|c| c.kind == Kind::Pattern) {
        return None;
    }
    let (common_left, common_right) = common_children(&tree.children);
    let (lc, rc) = (common_left.len(), common_right.len());
    if lc == 0 && rc == 0 {
        return None;
    }
    let mut result = Vec::new();
    if lc > 0 {
        result.push(Ast::new(Kind::Pattern, Value::None, common_left));
    }
    let mut any_of: Vec<Ast> = Vec::new();
    for child in &tree.children {
        let end = child.children.len().saturating_sub(rc).max(lc);
        let reuse = child.children.get(lc..end).unwrap_or(&[]);
        let node = if reuse.is_empty() {
            Ast::new(Kind::Nothing, Value::None, Vec::new())
        } else {
            Ast::new(Kind::Pattern, Value::None, reuse.to_vec())
        };
        if !any_of.contains(&node) {
            any_of.push(node);
        }
    }
    if any_of.len() == 1 && any_of[0].kind != Kind::Nothing {
        result.extend(any_of);
    } else if any_of.len() > 1 {
        result.push(Ast::new(Kind::AnyOf, Value::None, any_of));
    }
    if rc > 0 {
        result.push(Ast::new(Kind::Pattern, Value::None, common_right));
    }
    Some(Ast::new(Kind::Pattern, Value::None, result))
}

/// gobwas `commonChildren`.
fn common_children(nodes: &[Ast]) -> (Vec<Ast>, Vec<Ast>) {
    let mut common_left = Vec::new();
    if nodes.len() <= 1 {
        return (common_left, Vec::new());
    }
    // The first node with the fewest children.
    let mut idx = 0;
    for (i, n) in nodes.iter().enumerate() {
        if n.children.len() < nodes[idx].children.len() {
            idx = i;
        }
    }
    let tree = &nodes[idx];
    let tree_length = tree.children.len();
    let mut common_right: Vec<Option<Ast>> = vec![None; tree_length];
    let mut last_right = tree_length;
    let (mut break_left, mut break_right) = (false, false);
    let mut common_total = 0;
    let (mut i, mut j) = (0isize, tree_length as isize - 1);
    while common_total < tree_length && j >= 0 && !(break_left && break_right) {
        let (iu, ju) = (i as usize, j as usize);
        let tree_left = &tree.children[iu];
        let tree_right = &tree.children[ju];
        for (k, node) in nodes.iter().enumerate() {
            if break_left && break_right {
                break;
            }
            if k == idx {
                continue;
            }
            let rest_left = &node.children[iu];
            let rest_right = &node.children[ju + node.children.len() - tree_length];
            break_left = break_left || tree_left != rest_left;
            break_right = break_right || (!break_left && j <= i);
            break_right = break_right || tree_right != rest_right;
        }
        if !break_left {
            common_total += 1;
            common_left.push(tree_left.clone());
        }
        if !break_right {
            common_total += 1;
            last_right = ju;
            common_right[ju] = Some(tree_right.clone());
        }
        i += 1;
        j -= 1;
    }
    let common_right = common_right
        .into_iter()
        .skip(last_right)
        .flatten()
        .collect();
    (common_left, common_right)
}
