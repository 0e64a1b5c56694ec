//! A workflow as a picture: its control flow as a graph (`flow`), laid out in layers
//! (`layout`) and drawn as SVG (`svg`), optionally coloured by one run's step outcomes.

mod flow;
mod layout;
mod svg;

pub(crate) use svg::{StepOutcome, render};

use paragon_manifest::workflow::Workflow;

/// The workflow's graph as a standalone SVG document (`paragon-local workflows draw`).
pub fn workflow_svg(wf: &Workflow) -> String {
    let mut doc = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    doc.push_str(&render(wf, None, "").into_string());
    doc.push('\n');
    doc
}
