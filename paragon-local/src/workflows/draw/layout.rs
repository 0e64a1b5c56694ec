//! A layered (Sugiyama-style) layout of a directed acyclic graph, drawn top to bottom:
//! layer assignment by longest path, a dummy vertex wherever an edge spans several layers,
//! crossing reduction (barycenter sweeps, then swaps of neighbours while they help), and
//! coordinate assignment that pulls every vertex toward its neighbours without letting two
//! vertices of a layer overlap (an isotonic regression per layer).
//!
//! Every node of a graph has the same height, so edges leave at a node's bottom and enter at
//! the next layer's top; between two layers they are straight segments, and a segment never
//! crosses another unless their ends are in crossing order. Written here rather than taken
//! from a crate: the workflows are small, and the view needs the geometry (edge polylines
//! through the dummies) that a DOT-emitting crate keeps to itself.

/// Vertical space between layers (room for edge labels).
const LAYER_GAP: f64 = 56.0;
/// Horizontal space between neighbours in a layer.
const NODE_GAP: f64 = 28.0;
/// The width a dummy vertex (an edge passing through a layer) reserves.
const DUMMY_WIDTH: f64 = 12.0;
/// Space around the drawing.
pub(crate) const MARGIN: f64 = 20.0;
/// Barycenter sweeps tried before keeping the best order.
const SWEEPS: usize = 12;
/// Rounds of pulling vertices toward their neighbours.
const PULLS: usize = 24;

/// A graph to lay out: node sizes (width, height: every height the same) and edges by index.
pub(crate) struct Graph {
    pub sizes: Vec<(f64, f64)>,
    pub edges: Vec<(usize, usize)>,
}

/// A placed node: its top-left corner and size.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Rect {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

/// Where everything goes: a rectangle per node, a polyline per edge (in the graph's order),
/// and the drawing's size.
pub(crate) struct Layout {
    pub nodes: Vec<Rect>,
    pub edges: Vec<Vec<(f64, f64)>>,
    pub width: f64,
    pub height: f64,
}

/// The vertices of the layered graph: the nodes, then one dummy per layer an edge crosses.
struct Layered {
    layer: Vec<usize>,
    width: Vec<f64>,
    /// Per edge of the graph, the vertices it passes through, first node to last.
    chains: Vec<Vec<usize>>,
    /// Segments between adjacent layers: (upper, lower).
    segments: Vec<(usize, usize)>,
    /// Vertices per layer, in order.
    order: Vec<Vec<usize>>,
}

/// Lays `g` out.
pub(crate) fn layout(g: &Graph) -> Layout {
    let mut l = layered(g);
    reduce_crossings(&mut l);
    let xs = assign_x(&l);
    let height = g.sizes.first().map_or(0.0, |s| s.1);
    let top = |layer: usize| MARGIN + layer as f64 * (height + LAYER_GAP);
    let nodes: Vec<Rect> = (0..g.sizes.len())
        .map(|v| Rect {
            x: xs[v] - g.sizes[v].0 / 2.0,
            y: top(l.layer[v]),
            w: g.sizes[v].0,
            h: height,
        })
        .collect();
    let edges = l
        .chains
        .iter()
        .map(|chain| {
            let mut points = vec![(xs[chain[0]], top(l.layer[chain[0]]) + height)];
            for &d in &chain[1..chain.len() - 1] {
                points.push((xs[d], top(l.layer[d])));
                points.push((xs[d], top(l.layer[d]) + height));
            }
            let last = chain[chain.len() - 1];
            points.push((xs[last], top(l.layer[last])));
            points
        })
        .collect();
    let right = (0..xs.len())
        .map(|v| xs[v] + l.width[v] / 2.0)
        .fold(0.0, f64::max);
    let layers = l.order.len().max(1);
    Layout {
        nodes,
        edges,
        width: right + MARGIN,
        height: top(layers - 1) + height + MARGIN,
    }
}

/// Longest-path layers (a node sits one layer below its lowest predecessor), then dummies.
fn layered(g: &Graph) -> Layered {
    let n = g.sizes.len();
    let mut layer = vec![0usize; n];
    // Relaxing every edge n times reaches the longest paths of a DAG (and stops on a cycle).
    for _ in 0..n {
        let mut changed = false;
        for &(a, b) in &g.edges {
            if layer[b] < layer[a] + 1 && layer[a] + 1 < n.max(1) {
                layer[b] = layer[a] + 1;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let mut width: Vec<f64> = g.sizes.iter().map(|s| s.0).collect();
    let mut chains = Vec::with_capacity(g.edges.len());
    let mut segments = Vec::new();
    for &(a, b) in &g.edges {
        let mut chain = vec![a];
        for dummy_layer in layer[a] + 1..layer[b] {
            layer.push(dummy_layer);
            width.push(DUMMY_WIDTH);
            chain.push(layer.len() - 1);
        }
        chain.push(b);
        segments.extend(chain.windows(2).map(|w| (w[0], w[1])));
        chains.push(chain);
    }
    let layers = layer.iter().max().map_or(0, |m| m + 1);
    let mut order = vec![Vec::new(); layers];
    for (v, &l) in layer.iter().enumerate() {
        order[l].push(v);
    }
    Layered {
        layer,
        width,
        chains,
        segments,
        order,
    }
}

fn positions(l: &Layered) -> Vec<usize> {
    let mut pos = vec![0; l.layer.len()];
    for layer in &l.order {
        for (i, &v) in layer.iter().enumerate() {
            pos[v] = i;
        }
    }
    pos
}

/// Crossings between segments whose upper ends are both in layer `upper` (all when `None`).
fn crossings(l: &Layered, pos: &[usize], upper: Option<usize>) -> usize {
    let segs: Vec<&(usize, usize)> = l
        .segments
        .iter()
        .filter(|(a, _)| upper.is_none_or(|u| l.layer[*a] == u))
        .collect();
    let mut count = 0;
    for (i, (a1, b1)) in segs.iter().enumerate() {
        for (a2, b2) in &segs[i + 1..] {
            let same_layer = l.layer[*a1] == l.layer[*a2];
            let (da, db) = (
                pos[*a1] as i64 - pos[*a2] as i64,
                pos[*b1] as i64 - pos[*b2] as i64,
            );
            if same_layer && da * db < 0 {
                count += 1;
            }
        }
    }
    count
}

/// Orders each layer to make few crossings: barycenter sweeps down and up, keeping the best
/// order seen, then swaps of adjacent vertices while a swap removes crossings.
fn reduce_crossings(l: &mut Layered) {
    let mut best = l.order.clone();
    let mut best_count = crossings(l, &positions(l), None);
    for sweep in 0..SWEEPS {
        let down = sweep % 2 == 0;
        let layers: Vec<usize> = if down {
            (1..l.order.len()).collect()
        } else {
            (0..l.order.len().saturating_sub(1)).rev().collect()
        };
        for layer in layers {
            let pos = positions(l);
            let key = |v: usize| {
                let near: Vec<f64> = l
                    .segments
                    .iter()
                    .filter_map(|&(a, b)| match down {
                        true if b == v => Some(pos[a] as f64),
                        false if a == v => Some(pos[b] as f64),
                        _ => None,
                    })
                    .collect();
                if near.is_empty() {
                    pos[v] as f64
                } else {
                    near.iter().sum::<f64>() / near.len() as f64
                }
            };
            let mut keyed: Vec<(f64, usize)> =
                l.order[layer].iter().map(|&v| (key(v), v)).collect();
            keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
            l.order[layer] = keyed.into_iter().map(|(_, v)| v).collect();
        }
        let count = crossings(l, &positions(l), None);
        if count < best_count {
            best_count = count;
            best = l.order.clone();
        }
    }
    l.order = best;
    transpose(l);
}

/// Swaps neighbours in a layer whenever that lowers the crossings around the layer.
fn transpose(l: &mut Layered) {
    let mut improved = true;
    while improved {
        improved = false;
        for layer in 0..l.order.len() {
            for i in 0..l.order[layer].len().saturating_sub(1) {
                let around = |l: &Layered| {
                    let pos = positions(l);
                    crossings(l, &pos, Some(layer))
                        + layer
                            .checked_sub(1)
                            .map_or(0, |u| crossings(l, &pos, Some(u)))
                };
                let before = around(l);
                l.order[layer].swap(i, i + 1);
                if around(l) < before {
                    improved = true;
                } else {
                    l.order[layer].swap(i, i + 1);
                }
            }
        }
    }
}

/// Horizontal centres: every vertex pulled toward the mean of its neighbours, each layer then
/// placed as close to those wishes as its order and spacing allow.
fn assign_x(l: &Layered) -> Vec<f64> {
    let mut x = vec![0.0; l.layer.len()];
    for layer in &l.order {
        let wishes = vec![0.0; layer.len()];
        place(layer, &wishes, &l.width, &mut x);
    }
    for _ in 0..PULLS {
        for layer in &l.order {
            let wishes: Vec<f64> = layer
                .iter()
                .map(|&v| {
                    let near: Vec<f64> = l
                        .segments
                        .iter()
                        .filter_map(|&(a, b)| (a == v).then_some(x[b]).or((b == v).then_some(x[a])))
                        .collect();
                    if near.is_empty() {
                        x[v]
                    } else {
                        near.iter().sum::<f64>() / near.len() as f64
                    }
                })
                .collect();
            place(layer, &wishes, &l.width, &mut x);
        }
    }
    let left = (0..x.len())
        .map(|v| x[v] - l.width[v] / 2.0)
        .fold(f64::INFINITY, f64::min);
    let shift = if left.is_finite() { MARGIN - left } else { 0.0 };
    x.iter().map(|c| c + shift).collect()
}

/// Places one layer's centres as near `wishes` as possible (least squares) with each vertex
/// at least half their widths plus the gap right of the previous one: subtracting the
/// minimum offsets makes that an isotonic regression, solved by pooling adjacent violators.
fn place(layer: &[usize], wishes: &[f64], width: &[f64], x: &mut [f64]) {
    let mut offsets = Vec::with_capacity(layer.len());
    let mut offset = 0.0;
    for (i, &v) in layer.iter().enumerate() {
        if i > 0 {
            offset += (width[layer[i - 1]] + width[v]) / 2.0 + NODE_GAP;
        }
        offsets.push(offset);
    }
    // Blocks of (mean, count), merged while a block's mean is below the previous one's.
    let mut blocks: Vec<(f64, usize)> = Vec::new();
    for (wish, offset) in wishes.iter().zip(&offsets) {
        blocks.push((wish - offset, 1));
        while blocks.len() > 1 && blocks[blocks.len() - 2].0 > blocks[blocks.len() - 1].0 {
            let (m2, c2) = blocks.pop().unwrap_or((0.0, 0));
            let (m1, c1) = blocks.pop().unwrap_or((0.0, 0));
            let c = c1 + c2;
            blocks.push(((m1 * c1 as f64 + m2 * c2 as f64) / c as f64, c));
        }
    }
    let mut i = 0;
    for (mean, count) in blocks {
        for _ in 0..count {
            x[layer[i]] = mean + offsets[i];
            i += 1;
        }
    }
}
