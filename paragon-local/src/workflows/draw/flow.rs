//! A workflow's control flow as nodes and edges: the trigger, then each step list in order;
//! a Conditional leads to its `then` steps ("true") and its `else` steps ("false"), a Fan Out
//! to the steps run per item ("each item"), and every branch's last step to the step after
//! the one that opened it. The last steps lead to an End node.

use paragon_manifest::workflow::{StepKind, Trigger, Workflow};

/// The key of the trigger's node (step keys cannot contain a space).
pub(crate) const TRIGGER: &str = "trigger node";
/// The key of the node every path ends at, so a branch that skips to the end still shows.
pub(crate) const END: &str = "end node";

/// A node: the trigger or a step.
pub(crate) struct Node {
    /// The step's key, or [`TRIGGER`].
    pub key: String,
    /// What it is ("Integration Request", "Trigger · App Event").
    pub kind: String,
    /// What it is called (the step's key, the event's name).
    pub title: String,
}

/// An edge between nodes (by index), labelled on branches.
pub(crate) struct Edge {
    pub from: usize,
    pub to: usize,
    pub label: Option<&'static str>,
}

/// The nodes and edges of `wf`.
pub(crate) fn flow(wf: &Workflow) -> (Vec<Node>, Vec<Edge>) {
    let mut f = Flow {
        wf,
        nodes: vec![trigger_node(wf.trigger())],
        edges: Vec::new(),
    };
    let top: Vec<String> = wf.top_level().map(|s| s.key.clone()).collect();
    let exits = f.chain(&top, vec![(0, None)]);
    let end = f.nodes.len();
    f.nodes.push(Node {
        key: END.to_owned(),
        kind: "End".to_owned(),
        title: "the run ends".to_owned(),
    });
    for (from, label) in exits {
        f.edges.push(Edge {
            from,
            to: end,
            label,
        });
    }
    (f.nodes, f.edges)
}

struct Flow<'a> {
    wf: &'a Workflow,
    nodes: Vec<Node>,
    edges: Vec<Edge>,
}

/// Where control leaves a node, with the branch's label.
type Exits = Vec<(usize, Option<&'static str>)>;

impl Flow<'_> {
    /// Adds the steps of `keys` one after another, entered from `entries`; returns where
    /// control leaves the last of them.
    fn chain(&mut self, keys: &[String], mut entries: Exits) -> Exits {
        for key in keys {
            let Some(step) = self.wf.step(key) else {
                continue;
            };
            let at = self.nodes.len();
            self.nodes.push(Node {
                key: step.key.clone(),
                kind: step_kind(&step.kind),
                title: step.key.clone(),
            });
            for (from, label) in entries {
                self.edges.push(Edge {
                    from,
                    to: at,
                    label,
                });
            }
            entries = match &step.kind {
                StepKind::Conditional {
                    then, otherwise, ..
                } => {
                    let mut exits = self.chain(then, vec![(at, Some("true"))]);
                    exits.extend(self.chain(otherwise, vec![(at, Some("false"))]));
                    exits
                }
                StepKind::FanOut { steps, .. } if !steps.is_empty() => {
                    self.chain(steps, vec![(at, Some("each item"))])
                }
                _ => vec![(at, None)],
            };
        }
        entries
    }
}

fn trigger_node(t: &Trigger) -> Node {
    let (kind, title) = match t {
        Trigger::AppEvent { event } => ("App Event", event.clone()),
        Trigger::Request => ("Request", "POST /sdk/triggers/{id}".to_owned()),
        Trigger::Schedule { cron, timezone } => ("Scheduler", format!("{cron} ({timezone})")),
        Trigger::IntegrationEnabled => ("Integration Enabled", "a user connects".to_owned()),
        _ => ("Trigger", t.type_name().to_owned()),
    };
    Node {
        key: TRIGGER.to_owned(),
        kind: format!("Trigger · {kind}"),
        title,
    }
}

fn step_kind(kind: &StepKind) -> String {
    match kind {
        StepKind::IntegrationRequest { call, .. } => {
            format!("Integration Request · {}", call.method)
        }
        StepKind::Request { call } => format!("Request · {}", call.method),
        StepKind::Function { .. } => "Function · JavaScript".to_owned(),
        StepKind::RustFunction { name, .. } => format!("Function · Rust {name}"),
        StepKind::Conditional { .. } => "Conditional".to_owned(),
        StepKind::FanOut { concurrency, .. } => format!("Fan Out · {concurrency} at once"),
        StepKind::Delay { duration } => {
            format!("Delay · {}", humantime::format_duration(*duration))
        }
        StepKind::Response { status, .. } => format!("Response · {status}"),
        other => other.type_name().to_owned(),
    }
}
