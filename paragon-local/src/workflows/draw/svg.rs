//! The laid-out graph as SVG, written with maud so every key, name and label is escaped.
//! Only presentation attributes are used (no `style`), so the drawing passes the pages'
//! strict CSP and also stands alone as a `.svg` file. Elements are always closed (`{}`), so
//! the output is well-formed XML as well as HTML.

use super::flow::{self, END, Node, TRIGGER};
use super::layout::{self, Graph};
use maud::{Markup, html};
use paragon_manifest::workflow::Workflow;
use std::collections::HashMap;

const NODE_HEIGHT: f64 = 62.0;
const MIN_WIDTH: f64 = 150.0;
/// Longest title shown in full (in characters); longer ones end with "…".
const MAX_CHARS: usize = 36;

/// How one step did in a run: its status and how long it took (fan-out items summed up).
#[derive(Clone, Debug)]
pub(crate) struct StepOutcome {
    pub status: String,
    pub duration_ms: Option<i64>,
}

fn shorten(text: &str) -> String {
    if text.chars().count() <= MAX_CHARS {
        return text.to_owned();
    }
    let mut s: String = text.chars().take(MAX_CHARS - 1).collect();
    s.push('…');
    s
}

/// A width that holds the node's longest line (an estimate from character counts: the
/// drawing has no font metrics).
fn node_width(n: &Node) -> f64 {
    let kind = n.kind.chars().count() as f64 * 6.6;
    let title = shorten(&n.title).chars().count() as f64 * 7.8;
    (kind.max(title) + 28.0).max(MIN_WIDTH).round()
}

/// Fill and stroke for a status; steps the run never reached are grey and dashed.
fn colours(status: Option<&str>) -> (&'static str, &'static str) {
    match status {
        Some("SUCCEEDED") => ("#dcfce7", "#16a34a"),
        Some("FAILED") => ("#fee2e2", "#dc2626"),
        Some("EXECUTING" | "DELAYED") => ("#fef9c3", "#ca8a04"),
        Some(_) => ("#f3f4f6", "#9ca3af"),
        None => ("#ffffff", "#4b5563"),
    }
}

fn duration_text(ms: i64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else {
        format!("{:.1} s", ms as f64 / 1000.0)
    }
}

fn path_data(points: &[(f64, f64)]) -> String {
    points
        .iter()
        .enumerate()
        .map(|(i, (x, y))| format!("{}{x:.1} {y:.1}", if i == 0 { "M" } else { " L" }))
        .collect()
}

/// The graph of `wf`; with `run`, each step is coloured by its outcome (keyed by step key)
/// and links to `{link_base}#step-{key}`, where the page shows its input and output.
pub(crate) fn render(
    wf: &Workflow,
    run: Option<&HashMap<String, StepOutcome>>,
    link_base: &str,
) -> Markup {
    let (nodes, edges) = flow::flow(wf);
    let graph = Graph {
        sizes: nodes.iter().map(|n| (node_width(n), NODE_HEIGHT)).collect(),
        edges: edges.iter().map(|e| (e.from, e.to)).collect(),
    };
    let placed = layout::layout(&graph);
    let (w, h) = (placed.width.ceil(), placed.height.ceil());
    html! {
        svg xmlns="http://www.w3.org/2000/svg" class="workflow-graph" width=(w) height=(h)
            viewBox={ "0 0 " (w) " " (h) } role="img"
            aria-label={ "Workflow " (wf.name()) ": trigger and steps" } font-family="system-ui, sans-serif" {
            defs {
                marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7"
                    markerHeight="7" orient="auto-start-reverse" {
                    path d="M 0 0 L 10 5 L 0 10 z" fill="#6b7280" {}
                }
            }
            @for (e, points) in edges.iter().zip(&placed.edges) {
                path class="edge" data-from=(nodes[e.from].key) data-to=(nodes[e.to].key)
                    d=(path_data(points)) fill="none" stroke="#6b7280" stroke-width="1.5"
                    marker-end="url(#arrow)" {}
                @if let Some(label) = e.label {
                    @let (x, y, anchor) = label_at(points);
                    text class="edge-label" x=(format!("{x:.1}")) y=(format!("{y:.1}"))
                        font-size="11" fill="#374151" text-anchor=(anchor) { (label) }
                }
            }
            @for (n, r) in nodes.iter().zip(&placed.nodes) {
                @let outcome = run.and_then(|m| m.get(&n.key));
                @let step = n.key != TRIGGER && n.key != END;
                @let status = run
                    .filter(|_| step)
                    .map(|_| outcome.map_or("NOT RUN", |o| o.status.as_str()));
                @let (fill, stroke) = colours(status);
                @let node = html! {
                    g class="node" data-key=(n.key) data-status=[status] {
                        rect x=(r.x) y=(r.y) width=(r.w) height=(r.h) rx="8" fill=(fill)
                            stroke=(stroke) stroke-width="1.5"
                            stroke-dasharray=[(status == Some("NOT RUN")).then_some("4 3")] {}
                        text x=(r.x + 12.0) y=(r.y + 18.0) font-size="11" fill="#4b5563" { (n.kind) }
                        text x=(r.x + 12.0) y=(r.y + 36.0) font-size="13" font-weight="600" fill="#111827" {
                            (shorten(&n.title))
                        }
                        @if let Some(s) = status {
                            text class="outcome" x=(r.x + 12.0) y=(r.y + 53.0) font-size="11" fill=(stroke) {
                                (s)
                                @if let Some(ms) = outcome.and_then(|o| o.duration_ms) {
                                    " · " (duration_text(ms))
                                }
                            }
                        }
                    }
                };
                @if status.is_some() {
                    a href={ (link_base) "#step-" (n.key) } { (node) }
                } @else {
                    (node)
                }
            }
        }
    }
}

/// Where an edge's label goes: a third of the way down its first segment, on the outer
/// side of the line (left of an edge going left, else right), anchored away from it.
fn label_at(points: &[(f64, f64)]) -> (f64, f64, &'static str) {
    let (a, b) = (points[0], points.get(1).copied().unwrap_or(points[0]));
    let (x, y) = (a.0 + (b.0 - a.0) / 3.0, a.1 + (b.1 - a.1) / 3.0);
    if b.0 < a.0 {
        (x - 6.0, y + 4.0, "end")
    } else {
        (x + 6.0, y + 4.0, "start")
    }
}
