//! Which operations a generation keeps (`--tag`, `--operation`, `--path-prefix`), and what the
//! spec offers, to say what exists when a filter keeps nothing. The client generator and the
//! tool generator select operations the same way.

use crate::lower::spec::Operation;
use crate::names::snake;
use crate::suggest;
use std::collections::BTreeSet;

/// Which operations to generate; empty means all. An operation is kept when it matches any filter.
#[derive(Debug, Clone, Default)]
pub(crate) struct Filters {
    pub(crate) tags: Vec<String>,
    pub(crate) operation_ids: Vec<String>,
    pub(crate) path_prefixes: Vec<String>,
}

impl Filters {
    pub(crate) fn is_empty(&self) -> bool {
        self.tags.is_empty() && self.operation_ids.is_empty() && self.path_prefixes.is_empty()
    }

    /// Whether the operation `op` at `path` (its method named `fn_name`) is generated.
    pub(crate) fn keeps(&self, path: &str, op: Operation<'_>, fn_name: &str) -> bool {
        if self.is_empty() {
            return true;
        }
        let id = op.id();
        self.tags.iter().any(|t| op.tags().any(|tag| tag == t))
            || self
                .operation_ids
                .iter()
                .any(|o| Some(o.as_str()) == id || o == fn_name)
            || self
                .path_prefixes
                .iter()
                .any(|p| path.starts_with(p.as_str()))
    }
}

/// Every tag, operation id and path of the spec, to say what exists when a filter matches none.
#[derive(Default)]
pub(crate) struct Offered {
    tags: BTreeSet<String>,
    operations: BTreeSet<String>,
    paths: BTreeSet<String>,
}

impl Offered {
    /// Records an operation of the spec, kept or not.
    pub(crate) fn add(&mut self, path: &str, op: Operation<'_>, fn_name: &str) {
        self.paths.insert(path.to_string());
        self.operations
            .insert(op.id().map_or_else(|| fn_name.to_string(), str::to_string));
        self.tags.extend(op.tags().map(str::to_string));
    }

    /// An error per filter that keeps no operation, naming the nearest that exist.
    pub(crate) fn unmatched(&self, filters: &Filters) -> Vec<paragon_manifest::Diagnostic> {
        let mut errors = Vec::new();
        let mut check =
            |kind: &str, flag: &str, asked: &str, found: bool, all: &BTreeSet<String>| {
                if found {
                    return;
                }
                let near = suggest::nearest(asked, all.iter().map(String::as_str), 5);
                let help = if near.is_empty() {
                    format!("the spec has no {kind}s")
                } else {
                    format!(
                        "the nearest of the spec's {} {kind}s: {}",
                        all.len(),
                        suggest::listed(&near)
                    )
                };
                errors.push(
                    paragon_manifest::Diagnostic::error(format!(
                        "{kind} `{asked}` ({flag}) matches no operation"
                    ))
                    .help(help),
                );
            };
        for tag in &filters.tags {
            check("tag", "--tag", tag, self.tags.contains(tag), &self.tags);
        }
        for id in &filters.operation_ids {
            let found = self.operations.contains(id)
                || self.operations.iter().any(|o| snake(o, "operation") == *id);
            check("operation", "--operation", id, found, &self.operations);
        }
        for prefix in &filters.path_prefixes {
            let found = self.paths.iter().any(|p| p.starts_with(prefix.as_str()));
            check("path", "--path-prefix", prefix, found, &self.paths);
        }
        errors
    }
}
