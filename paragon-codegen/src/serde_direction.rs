//! Serde-direction analysis: which serde traits each named type derives. A type derives
//! `Deserialize` when an operation receives it and `Serialize` when one sends it (both when
//! both): half the derived code for a typical API, so the client checks faster.

use crate::ir::{Def, Op, Ty};

/// Which serde traits a type needs: `Serialize` when it is sent, `Deserialize` when received.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Serde {
    pub(crate) ser: bool,
    pub(crate) de: bool,
}

/// Marks every def reachable from `roots` (through any field, item or variant) with `set`.
pub(crate) fn mark<'t>(
    defs: &[Def],
    roots: impl IntoIterator<Item = &'t Ty>,
    out: &mut [Serde],
    set: fn(&mut Serde),
) {
    let mut stack = Vec::new();
    for root in roots {
        root.all_refs(&mut stack);
    }
    let mut seen = vec![false; defs.len()];
    while let Some(id) = stack.pop() {
        if id >= defs.len() || seen[id] {
            continue;
        }
        seen[id] = true;
        set(&mut out[id]);
        stack.extend(defs[id].edges(Ty::all_refs));
    }
}

/// The traits each def derives. Types no operation reaches (schemas kept for `all_schemas`, or
/// the per-status types of responses merged into one), and every type with `full_serde`,
/// derive both, and so does everything they hold.
pub(crate) fn directions(defs: &[Def], ops: &[Op], full_serde: bool) -> Vec<Serde> {
    let mut serde = vec![Serde::default(); defs.len()];
    mark(defs, ops.iter().flat_map(Op::sent), &mut serde, |s| {
        s.ser = true
    });
    mark(defs, ops.iter().flat_map(Op::received), &mut serde, |s| {
        s.de = true
    });
    let both: Vec<Ty> = (0..defs.len())
        .filter(|&id| full_serde || (!serde[id].ser && !serde[id].de))
        .map(Ty::Named)
        .collect();
    mark(defs, &both, &mut serde, |s| {
        s.ser = true;
        s.de = true;
    });
    serde
}
