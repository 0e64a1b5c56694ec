//! `[tools]`: which of the spec's operations become tools for AI agents.
//!
//! An agent should not get `DELETE /repos` because the spec has it, so the manifest names the
//! operations it may call: `[tools] allow = ["createTask", "listTasks"]` (operation ids as the
//! spec writes them). Without `[tools]`, only the spec's read-only (`GET`) operations are tools.

use std::ops::Range;

use crate::parse::{Reader, Table};

/// The manifest's `[tools]` table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tools {
    allow: Vec<AllowedOperation>,
}

/// One entry of `[tools] allow`: an operation id and where the manifest writes it, so that an
/// id the spec does not define is reported at its line and column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AllowedOperation {
    /// The operation id, as the spec writes it (`createTask`).
    pub operation_id: String,
    /// The 1-based line of the entry in the manifest.
    pub line: usize,
    /// The 1-based column of the entry in the manifest.
    pub column: usize,
}

impl Tools {
    /// The operations allowed as tools, in the manifest's order.
    pub fn allow(&self) -> &[AllowedOperation] {
        &self.allow
    }
}

/// Reads `[tools]`: `allow`, a non-empty array of distinct, non-empty operation ids.
pub(crate) fn parse(r: &mut Reader<'_>, t: &Table<'_, '_>) -> Option<Tools> {
    r.check_keys(t, &["allow"], &[], "");
    let Some(list) = r.opt_string_array(t, "allow") else {
        if t.get("allow").is_none() {
            r.missing(
                t,
                "allow",
                "list the operation ids agents may call, e.g. `allow = [\"createTask\"]`",
            );
        }
        return None;
    };
    if list.is_empty() {
        let span = t.get("allow").map(|v| v.span()).unwrap_or(0..0);
        r.error(
            span,
            "tools.allow",
            "`tools.allow` is empty: no operation would be a tool",
            "list operation ids, or remove `[tools]` to offer the spec's GET operations",
        );
        return None;
    }
    let mut allow: Vec<AllowedOperation> = Vec::new();
    let mut ok = true;
    for (i, (id, span)) in list.into_iter().enumerate() {
        let field = format!("tools.allow[{i}]");
        if id.trim().is_empty() {
            ok = false;
            r.error(
                span,
                &field,
                "an empty operation id",
                "write the spec's `operationId`",
            );
        } else if allow.iter().any(|a| a.operation_id == id) {
            ok = false;
            r.error(
                span,
                &field,
                format!("`{id}` is listed twice"),
                "remove the repeat",
            );
        } else {
            let (line, column) = position(r.src, &span);
            allow.push(AllowedOperation {
                operation_id: id,
                line,
                column,
            });
        }
    }
    ok.then_some(Tools { allow })
}

/// The 1-based line and column of a byte offset (one past the opening quote).
fn position(src: &str, span: &Range<usize>) -> (usize, usize) {
    let start = span.start.min(src.len());
    let before = src.get(..start).unwrap_or("");
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, column)
}
