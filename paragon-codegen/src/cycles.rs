//! Cycle analysis over the IR's named types: a type that holds itself by value (through other
//! types) needs a `Box` on the edges inside its cycle, and an alias that expands forever
//! (`type A = Vec<A>`) becomes a newtype.

use crate::ir::{Def, DefKind, Ty};

/// Which defs sit on a cycle of by-value references, so that the edges inside a cycle are boxed.
pub(crate) struct Cycles {
    scc: Vec<usize>,
    /// Aliases that would expand forever (`type A = Vec<A>`): rendered as newtypes instead.
    pub(crate) newtype: Vec<bool>,
}

impl Cycles {
    /// The cycles among `defs`.
    pub(crate) fn new(defs: &[Def]) -> Self {
        let graph: Vec<Vec<usize>> = defs.iter().map(|d| d.edges(Ty::by_value_refs)).collect();
        let scc = tarjan(&graph);
        // Alias-only cycles: follow alias edges (any position) from each alias.
        let alias_graph: Vec<Vec<usize>> = defs
            .iter()
            .map(|d| match &d.kind {
                DefKind::Alias(_) => d.edges(Ty::all_refs),
                _ => Vec::new(),
            })
            .collect();
        let alias_scc = tarjan(&alias_graph);
        let mut size = vec![0usize; defs.len()];
        for &c in &alias_scc {
            size[c] += 1;
        }
        let newtype = (0..defs.len())
            .map(|i| {
                matches!(defs[i].kind, DefKind::Alias(_))
                    && (size[alias_scc[i]] > 1 || alias_graph[i].contains(&i))
            })
            .collect();
        Cycles { scc, newtype }
    }

    /// Whether `a` and `b` sit on one cycle, so a reference from one to the other is boxed.
    pub(crate) fn same(&self, a: usize, b: usize) -> bool {
        self.scc[a] == self.scc[b]
    }
}

/// Strongly connected components, iteratively (deep specs must not overflow the stack).
fn tarjan(graph: &[Vec<usize>]) -> Vec<usize> {
    let n = graph.len();
    let mut index = vec![usize::MAX; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut comp = vec![usize::MAX; n];
    let mut stack = Vec::new();
    let mut next = 0;
    let mut ncomp = 0;
    for start in 0..n {
        if index[start] != usize::MAX {
            continue;
        }
        let mut work: Vec<(usize, usize)> = vec![(start, 0)];
        while let Some(&mut (v, ref mut ei)) = work.last_mut() {
            if *ei == 0 && index[v] == usize::MAX {
                index[v] = next;
                low[v] = next;
                next += 1;
                stack.push(v);
                on_stack[v] = true;
            }
            if *ei < graph[v].len() {
                let w = graph[v][*ei];
                *ei += 1;
                if w >= n {
                    continue;
                }
                if index[w] == usize::MAX {
                    work.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
            } else {
                work.pop();
                if let Some(&(parent, _)) = work.last() {
                    low[parent] = low[parent].min(low[v]);
                }
                if low[v] == index[v] {
                    while let Some(w) = stack.pop() {
                        on_stack[w] = false;
                        comp[w] = ncomp;
                        if w == v {
                            break;
                        }
                    }
                    ncomp += 1;
                }
            }
        }
    }
    comp
}
