//! The developer view's pages, with maud (every value escaped) and the server's strict
//! headers (`html::respond`: a nonce'd style, no script, no framing).

use crate::api::date;
use crate::html;
use crate::workflows::Loaded;
use crate::workflows::draw::{self, StepOutcome};
use crate::workflows::store::{FAILED, Run, StepRow};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{DOCTYPE, Markup, PreEscaped, html};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:1.5rem 2rem;color:#111}\
nav{margin-bottom:1rem}table{border-collapse:collapse}td,th{padding:.3rem .8rem;border-bottom:1px solid #e5e7eb;text-align:left}\
.graph{overflow:auto;border:1px solid #e5e7eb;border-radius:.5rem;padding:.5rem;margin:1rem 0;background:#fafafa}\
.status-FAILED{color:#b91c1c}.status-SUCCEEDED{color:#15803d}.status-EXECUTING,.status-DELAYED{color:#a16207}\
.step{display:none;border:1px solid #d1d5db;border-radius:.5rem;padding:.5rem 1rem;margin:.5rem 0}.step:target{display:block}\
pre{white-space:pre-wrap;word-break:break-all;background:#f3f4f6;padding:.5rem;border-radius:.3rem}\
.error{background:#fee2e2;padding:.6rem;border-radius:.4rem}form.filters{display:flex;gap:.8rem;align-items:end}\
button{background:#1d4ed8;color:#fff;border:0;border-radius:.4rem;padding:.45rem 1rem;cursor:pointer}";

fn page(title: &str, base: &str, body: Markup) -> Response {
    let nonce = html::nonce();
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                title { (title) " · paragon-local" }
                style nonce=(nonce) { (PreEscaped(STYLE)) }
            }
            body {
                nav { a href={ (base) "/workflows" } { "All workflows" } " · signed in with the project's key" }
                h1 { (title) }
                (body)
            }
        }
    };
    html::respond(StatusCode::OK, markup, Some((&nonce, "")))
}

/// Every workflow, by integration.
pub(crate) fn workflows(base: &str, all: &[Arc<Loaded>]) -> Response {
    page(
        "Workflows",
        base,
        html! {
            @if all.is_empty() { p { "This server has no workflows." } }
            table {
                tr { th { "Integration" } th { "Workflow" } th { "Trigger" } th { "Steps" } }
                @for w in all {
                    tr {
                        td { (w.wf.integration()) }
                        td { a href={ (base) "/workflows/" (w.id) } { (w.wf.name()) } }
                        td { (w.wf.trigger().type_name()) }
                        td { (w.wf.steps().len()) }
                    }
                }
            }
        },
    )
}

fn status_cell(status: &str) -> Markup {
    html! { span class={ "status-" (status) } { (status) } }
}

/// A workflow's graph and its runs, newest first, with the filters applied.
pub(crate) fn workflow(base: &str, w: &Loaded, runs: &[Run], user: &str, status: &str) -> Response {
    page(
        w.wf.name(),
        base,
        html! {
            p { (w.wf.description()) }
            p { "Integration " code { (w.wf.integration()) } ", id " code { (w.id) } ". "
                a href={ (base) "/workflows/" (w.id) "/graph.svg" } { "SVG" } }
            div class="graph" { (draw::render(&w.wf, None, "")) }
            h2 { "Runs" }
            form class="filters" method="get" action={ (base) "/workflows/" (w.id) } {
                label { "User " input name="user" value=(user); }
                label { "Status "
                    select name="status" {
                        option value="" selected[status.is_empty()] { "any" }
                        @for s in ["FAILED", "SUCCEEDED", "EXECUTING", "DELAYED"] {
                            option value=(s) selected[status == s] { (s) }
                        }
                    }
                }
                button type="submit" { "Filter" }
            }
            @if runs.is_empty() {
                p class="no-runs" { "No runs match." }
            } @else {
                table class="runs" {
                    tr { th { "Started" } th { "User" } th { "Status" } th { "Duration" } th { "Run" } }
                    @for r in runs {
                        tr {
                            td { (date(r.created_at)) }
                            td class="user" { (r.user_id) }
                            td { (status_cell(&r.status)) }
                            td { @if let Some(end) = r.ended_at { (end - r.created_at) " ms" } }
                            td { a href={ (base) "/runs/" (r.id) } { (r.id) } }
                        }
                    }
                }
            }
        },
    )
}

/// What a run's page shows.
pub(crate) struct RunPage<'a> {
    pub base: &'a str,
    pub loaded: &'a Loaded,
    pub run: &'a Run,
    pub rows: &'a [StepRow],
    pub outcomes: &'a HashMap<String, StepOutcome>,
    pub csrf: &'a str,
}

fn json_block(v: Option<&Value>) -> Markup {
    let text = v.map_or_else(
        || "(none)".to_owned(),
        |v| serde_json::to_string_pretty(v).unwrap_or_default(),
    );
    html! { pre { (text) } }
}

/// A run on its workflow's graph, each step's details behind its node.
pub(crate) fn run(p: &RunPage<'_>) -> Response {
    let (run, wf) = (p.run, &p.loaded.wf);
    let mut by_step: Vec<(String, Vec<&StepRow>)> = Vec::new();
    for row in p.rows {
        let key = row
            .step_key
            .split('[')
            .next()
            .unwrap_or(&row.step_key)
            .to_owned();
        match by_step.iter_mut().find(|(k, _)| *k == key) {
            Some((_, rows)) => rows.push(row),
            None => by_step.push((key, vec![row])),
        }
    }
    page(
        &format!("Run of {}", wf.name()),
        p.base,
        html! {
            p {
                "Run " code { (run.id) } " for user " strong class="run-user" { (run.user_id) } ": "
                span class="run-status" { (status_cell(&run.status)) }
                ", started " (date(run.created_at))
                @if let Some(end) = run.ended_at { ", " (end - run.created_at) " ms" }
                ". " a href={ (p.base) "/workflows/" (p.loaded.id) } { "All runs of this workflow" }
            }
            @if let Some(of) = &run.replay_of {
                p { "A replay of " a href={ (p.base) "/runs/" (of) } { (of) } ", from its failed step." }
            }
            @if let Some(e) = &run.error { p class="error" role="alert" { (e) } }
            @if run.status == FAILED {
                form method="post" action={ (p.base) "/runs/" (run.id) "/replay" } {
                    input type="hidden" name="csrf" value=(p.csrf);
                    button type="submit" { "Replay from the failed step" }
                }
            }
            div class="graph" { (draw::render(wf, Some(p.outcomes), "")) }
            p { "Select a step in the graph, or: "
                @for (key, _) in &by_step { a href={ "#step-" (key) } { (key) } " " }
            }
            @for (key, rows) in &by_step {
                section class="step" id={ "step-" (key) } {
                    h2 { "Step " (key) }
                    @for r in rows {
                        h3 { (r.step_key) ": " (status_cell(&r.status)) ", attempt " (r.attempt)
                            @if let Some(end) = r.ended_at { ", " (end - r.started_at) " ms" } }
                        @if let Some(e) = &r.error { p class="error" { (e) } }
                        h4 { "Input" } (json_block(r.input.as_ref()))
                        h4 { "Output" } (json_block(r.output.as_ref()))
                    }
                }
            }
            h2 { "Trigger input" }
            (json_block(Some(&run.input)))
        },
    )
}
