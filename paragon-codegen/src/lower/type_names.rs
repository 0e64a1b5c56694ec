//! Names of inline types, chosen once every operation has been read.
//!
//! An inline type used in one place is named for it: the operation's or type's name and the
//! member it types (`IssuesListForRepoDirection`, `LabelConfidence`). One shared by several
//! places is named by what it is, the member they have in common (`Direction`), so which
//! operation happened to come first plays no part. Types are named level by level (a type
//! before the types inside it) and, within a level, in the order of their names and shapes,
//! never in the order operations were read: adding an operation renames only the types it
//! uses.

use crate::ir::Def;
use crate::names::Namer;
use std::collections::{BTreeSet, HashMap};

/// Where an inline schema appears: the operation or type that holds it and the member it types
/// (`Direction` for a parameter, `Confidence` for a property, `Request`, `Response201`, `Item`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Place {
    owner: Owner,
    member: String,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Owner {
    /// A request builder's name.
    Op(String),
    /// A type's index in `defs`.
    Def(usize),
}

impl Place {
    /// `member` of the operation whose builder is `builder`.
    pub(crate) fn op(builder: &str, member: &str) -> Place {
        Place {
            owner: Owner::Op(builder.to_string()),
            member: member.to_string(),
        }
    }

    /// `member` of the type at `id` in `defs` (empty: the type itself, as a nullable alias).
    pub(crate) fn def(id: usize, member: impl Into<String>) -> Place {
        Place {
            owner: Owner::Def(id),
            member: member.into(),
        }
    }

    /// The same owner, a member nested in this one (`DirectionItem`).
    pub(crate) fn nested(&self, suffix: &str) -> Place {
        Place {
            owner: self.owner.clone(),
            member: format!("{}{suffix}", self.member),
        }
    }
}

/// An inline type's identity and every place it appears.
pub(crate) struct Inline {
    /// The shape it was deduplicated by, which orders names that collide.
    pub(crate) key: String,
    pub(crate) places: BTreeSet<Place>,
}

/// Members that say what role a type plays, not what it is: shared, they keep the owners'
/// common name in front (`IssuesRequest` for the body of `IssuesCreate` and `IssuesUpdate`).
const ROLE_MEMBERS: &[&str] = &["Request", "Response", "Status", "Default", "Item", "Value"];

/// Names every inline type in `defs` (those in `uses`); `names` holds the names already taken.
pub(crate) fn assign(defs: &mut [Def], uses: &HashMap<usize, Inline>, names: &mut Namer) {
    let mut levels: HashMap<usize, usize> = HashMap::new();
    for &id in uses.keys() {
        level(id, uses, &mut levels, &mut Vec::new());
    }
    let deepest = levels.values().copied().max().unwrap_or(0);
    for depth in 1..=deepest {
        let mut wanted: Vec<(Vec<String>, &str, usize)> = uses
            .iter()
            .filter(|(id, _)| levels.get(*id) == Some(&depth))
            .map(|(&id, inline)| (candidates(&inline.places, defs), inline.key.as_str(), id))
            .collect();
        wanted.sort();
        // A name wanted first by several types goes to none of them: each falls back to a
        // longer name of its own, so the outcome does not depend on which one came first.
        let mut claims: HashMap<&str, usize> = HashMap::new();
        for (c, _, _) in &wanted {
            *claims.entry(c[0].as_str()).or_default() += 1;
        }
        for (c, _, id) in &wanted {
            let free = |name: &String| {
                let wanted_by = claims.get(name.as_str()).copied().unwrap_or(0);
                !names.is_taken(name) && wanted_by <= usize::from(*name == c[0])
            };
            let pick = c.iter().find(|n| free(n)).unwrap_or(&c[c.len() - 1]);
            defs[*id].name = names.unique(pick);
        }
    }
}

/// How deep a type sits below operations and named types (those are level 0).
fn level(
    id: usize,
    uses: &HashMap<usize, Inline>,
    levels: &mut HashMap<usize, usize>,
    visiting: &mut Vec<usize>,
) -> usize {
    let Some(inline) = uses.get(&id) else {
        return 0;
    };
    if let Some(&l) = levels.get(&id) {
        return l;
    }
    if visiting.contains(&id) {
        return 0;
    }
    visiting.push(id);
    let parent = inline
        .places
        .iter()
        .map(|p| match p.owner {
            Owner::Def(owner) => level(owner, uses, levels, visiting),
            Owner::Op(_) => 0,
        })
        .max()
        .unwrap_or(0);
    visiting.pop();
    levels.insert(id, parent + 1);
    parent + 1
}

/// The names a type would like, best first: the plain one, then longer ones to fall back on
/// when several types want it. The last is the alphabetically first place's own name.
fn candidates(places: &BTreeSet<Place>, defs: &[Def]) -> Vec<String> {
    let owner_name = |p: &Place| match &p.owner {
        Owner::Op(builder) => builder.clone(),
        Owner::Def(id) => defs[*id].name.clone(),
    };
    let member = |p: &Place| {
        if p.member.is_empty() {
            "Value".to_string()
        } else {
            p.member.clone()
        }
    };
    let Some(first) = places.first() else {
        return vec!["Type".into()];
    };
    let own = format!("{}{}", owner_name(first), member(first));
    if places.len() == 1 {
        return vec![own];
    }
    // The member most places share, ties to the first in order.
    let mut counts: Vec<(usize, String)> = Vec::new();
    for p in places {
        let m = member(p);
        match counts.iter_mut().find(|(_, c)| *c == m) {
            Some((n, _)) => *n += 1,
            None => counts.push((1, m)),
        }
    }
    counts.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let shared = counts.swap_remove(0).1;
    let owners: Vec<String> = places
        .iter()
        .filter(|p| member(p) == shared)
        .map(owner_name)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let first_owner = format!("{}{shared}", owners[0]);
    if owners.len() == 1 {
        return vec![first_owner, own];
    }
    let prefix = common_words(&owners, false);
    let suffix = common_words(&owners, true);
    let is_role = ROLE_MEMBERS.iter().any(|r| shared.starts_with(r));
    let mut out = Vec::new();
    if !is_role || prefix.is_empty() {
        out.push(shared.clone());
    }
    for qualifier in [prefix, suffix] {
        if !qualifier.is_empty() {
            out.push(format!("{qualifier}{shared}"));
        }
    }
    out.push(first_owner);
    out.dedup();
    out
}

/// The words every name starts with (`Issues`, `List`), or with `trailing`, ends with.
fn common_words(names: &[String], trailing: bool) -> String {
    let split: Vec<Vec<&str>> = names
        .iter()
        .map(|n| {
            let mut w = words(n);
            if trailing {
                w.reverse();
            }
            w
        })
        .collect();
    let Some(first) = split.first() else {
        return String::new();
    };
    let mut n = 0;
    while n < first.len() && split.iter().all(|w| w.get(n) == first.get(n)) {
        n += 1;
    }
    let mut common = first[..n].to_vec();
    if trailing {
        common.reverse();
    }
    common.concat()
}

/// An `UpperCamelCase` name's words (`IssuesListForRepo` → `Issues`, `List`, `For`, `Repo`).
fn words(name: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in name.char_indices().skip(1) {
        if c.is_ascii_uppercase() {
            out.push(&name[start..i]);
            start = i;
        }
    }
    out.push(&name[start..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_common_prefix() {
        assert_eq!(
            words("IssuesListForRepo"),
            ["Issues", "List", "For", "Repo"]
        );
        assert_eq!(
            common_words(&["IssuesListForRepo".into(), "IssuesList".into()], false),
            "IssuesList"
        );
        assert_eq!(
            common_words(&["ReposGet".into(), "IssuesGet".into()], false),
            ""
        );
        assert_eq!(
            common_words(&["PrivateUser".into(), "PublicUser".into()], true),
            "User"
        );
    }
}
