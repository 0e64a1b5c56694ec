//! The checks that span a whole workflow (step references, branches, cycles, the trigger), shared
//! by the file reader and the Rust builder.

use std::collections::BTreeMap;

use super::model::{Condition, HttpCall, Step, StepKind, Trigger};
use super::template::{Ref, Root, Value};
use crate::parse::{closest, quote_list};

/// What a workflow may refer to beyond itself.
#[derive(Clone, Debug, Default)]
pub struct Context {
    /// The slug of the integration the workflow belongs to, e.g. `custom.tasklab`.
    pub integration: String,
    /// Every integration's slug (Integration Request steps may name one).
    pub integrations: Vec<String>,
    /// The app events declared in `specs/events.toml`.
    pub events: Vec<String>,
    /// The keys of the integration's own `[[settings]]` (its manifest's), which workflows
    /// read as `{settings.<key>}` beside their own settings.
    pub settings: Vec<String>,
}

/// Where a problem is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    /// A step's field (`key`, `type`, `then`…).
    Step(usize, &'static str),
    /// A reference inside a step.
    Reference(usize, Ref),
    /// A field of the trigger.
    Trigger(&'static str),
}

/// One problem found.
#[derive(Clone, Debug)]
pub(crate) struct Problem {
    pub target: Target,
    pub message: String,
    pub help: String,
}

fn problem(target: Target, message: String, help: impl Into<String>) -> Problem {
    Problem {
        target,
        message,
        help: help.into(),
    }
}

/// Every reference a step makes, in order.
pub(crate) fn step_refs(kind: &StepKind) -> Vec<&Ref> {
    fn call(c: &HttpCall) -> Vec<&Ref> {
        let mut out: Vec<&Ref> = c.url.references().collect();
        for (_, t) in c.query.iter().chain(&c.headers) {
            out.extend(t.references());
        }
        if let Some(b) = &c.body {
            out.extend(b.references());
        }
        out
    }
    fn conditions(groups: &[Vec<Condition>]) -> Vec<&Ref> {
        groups
            .iter()
            .flatten()
            .flat_map(|c| {
                c.left
                    .references()
                    .into_iter()
                    .chain(c.right.iter().flat_map(Value::references))
            })
            .collect()
    }
    match kind {
        StepKind::IntegrationRequest { call: c, .. } | StepKind::Request { call: c } => call(c),
        StepKind::Function { parameters, .. } | StepKind::RustFunction { parameters, .. } => {
            parameters.references()
        }
        StepKind::Conditional { conditions: c, .. } => conditions(c),
        StepKind::FanOut { items, .. } => items.references(),
        StepKind::Response { body, .. } => body.references(),
        StepKind::Delay { .. } => Vec::new(),
    }
}

/// Checks a workflow's steps, trigger and settings against each other and `ctx`.
pub(crate) fn check(
    trigger: &Trigger,
    steps: &[Step],
    settings: &[String],
    ctx: &Context,
) -> Vec<Problem> {
    let mut out = Vec::new();
    let keys: Vec<&str> = steps.iter().map(|s| s.key.as_str()).collect();
    let mut seen = BTreeMap::new();
    for (i, s) in steps.iter().enumerate() {
        if let Some(first) = seen.insert(s.key.as_str(), i) {
            out.push(problem(
                Target::Step(i, "key"),
                format!(
                    "step key `{}` is used twice (also by step {})",
                    s.key,
                    first + 1
                ),
                "give every step its own key",
            ));
        }
    }
    let owner = owners(steps, &keys, &mut out);
    for (i, s) in steps.iter().enumerate() {
        check_step_kind(i, s, trigger, ctx, &mut out);
        for r in step_refs(&s.kind) {
            check_ref(i, r, &keys, settings, &mut out);
        }
    }
    let cyclic = cycles(steps, &keys, &owner, &mut out);
    forward_refs(steps, &keys, &owner, &cyclic, &mut out);
    out
}

pub(crate) fn check_trigger(trigger: &Trigger, ctx: &Context, out: &mut Vec<Problem>) {
    match trigger {
        Trigger::AppEvent { event } if !ctx.events.iter().any(|e| e == event) => {
            let help = match closest(event, &ctx.events) {
                Some(e) => format!("did you mean `{e}`?"),
                None => format!(
                    "declare it in specs/events.toml: [[events]] name = \"{event}\" (with an `example` payload)"
                ),
            };
            out.push(problem(
                Target::Trigger("event"),
                format!("unknown app event `{event}`"),
                help,
            ));
        }
        Trigger::Schedule { cron, timezone } => {
            if let Err(e) = cron.parse::<croner::Cron>() {
                out.push(problem(
                    Target::Trigger("cron"),
                    format!("invalid cron expression `{cron}`: {e}"),
                    "write five fields (minute hour day-of-month month day-of-week), e.g. \"0 9 * * 1-5\"",
                ));
            }
            if timezone.parse::<chrono_tz::Tz>().is_err() {
                out.push(problem(
                    Target::Trigger("timezone"),
                    format!("unknown time zone `{timezone}`"),
                    "write an IANA time zone name, e.g. \"Europe/Paris\" or \"UTC\"",
                ));
            }
        }
        _ => {}
    }
}

fn check_step_kind(i: usize, s: &Step, trigger: &Trigger, ctx: &Context, out: &mut Vec<Problem>) {
    match &s.kind {
        StepKind::Response { .. } if !matches!(trigger, Trigger::Request) => out.push(problem(
            Target::Step(i, "type"),
            format!(
                "step `{}` is a Response, but the trigger is `{}`: only a Request trigger has a caller to answer",
                s.key,
                trigger.type_name()
            ),
            "remove the step, or use `[trigger] type = \"request\"`",
        )),
        StepKind::IntegrationRequest {
            integration: Some(slug),
            ..
        } if !ctx.integrations.iter().any(|x| x == slug) => {
            let help = match closest(slug, &ctx.integrations) {
                Some(x) => format!("did you mean `{x}`?"),
                None => format!("integrations are: {}", quote_list(&ctx.integrations)),
            };
            out.push(problem(
                Target::Step(i, "integration"),
                format!("unknown integration `{slug}`"),
                help,
            ));
        }
        _ => {}
    }
}

fn check_ref(i: usize, r: &Ref, keys: &[&str], settings: &[String], out: &mut Vec<Problem>) {
    let name = r.path[0].as_str();
    match r.root {
        Root::Steps if !keys.contains(&name) => {
            let help = match closest(name, keys) {
                Some(k) => format!("did you mean `{{steps.{k}…}}`?"),
                None if keys.is_empty() => "this workflow has no steps".into(),
                None => format!("steps are: {}", quote_list(keys)),
            };
            out.push(problem(
                Target::Reference(i, r.clone()),
                format!("`{r}` refers to a step that does not exist"),
                help,
            ));
        }
        Root::Steps
            if !matches!(
                r.path.get(1).map(String::as_str),
                Some("output" | "item" | "index")
            ) =>
        {
            out.push(problem(
                Target::Reference(i, r.clone()),
                format!("`{r}` names no value of step `{name}`"),
                format!(
                    "write `{{steps.{name}.output…}}` (or `.item` / `.index` inside a fan-out)"
                ),
            ));
        }
        Root::Settings if !settings.iter().any(|s| s == name) => {
            let help = match closest(name, settings) {
                Some(k) => format!("did you mean `{{settings.{k}}}`?"),
                None => format!("declare it: [[settings]] key = \"{name}\""),
            };
            out.push(problem(
                Target::Reference(i, r.clone()),
                format!("`{r}` refers to an undeclared setting"),
                help,
            ));
        }
        _ => {}
    }
}

/// Which step holds each step in a branch; branch keys must exist and have one holder.
fn owners(steps: &[Step], keys: &[&str], out: &mut Vec<Problem>) -> BTreeMap<usize, usize> {
    let mut owner = BTreeMap::new();
    for (i, s) in steps.iter().enumerate() {
        let field = match s.kind {
            StepKind::FanOut { .. } => "steps",
            _ => "then",
        };
        for child in s.kind.children() {
            let Some(c) = keys.iter().position(|k| k == child) else {
                let help = match closest(child, keys) {
                    Some(k) => format!("did you mean `{k}`?"),
                    None => format!("steps are: {}", quote_list(keys)),
                };
                out.push(problem(
                    Target::Step(i, field),
                    format!(
                        "step `{}` runs `{child}`, which is not a step of this workflow",
                        s.key
                    ),
                    help,
                ));
                continue;
            };
            if let Some(first) = owner.insert(c, i)
                && first != i
            {
                out.push(problem(
                    Target::Step(i, field),
                    format!(
                        "step `{child}` is in a branch of both `{}` and `{}`",
                        steps[first].key, s.key
                    ),
                    "a step belongs to one branch: copy it under another key",
                ));
            }
        }
    }
    owner
}

/// What each step needs to have run first: the steps it refers to and the step holding it.
fn dependencies(steps: &[Step], keys: &[&str], owner: &BTreeMap<usize, usize>) -> Vec<Vec<usize>> {
    steps
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut deps: Vec<usize> = step_refs(&s.kind)
                .into_iter()
                .filter_map(|r| r.step())
                .filter_map(|k| keys.iter().position(|x| *x == k))
                .collect();
            deps.extend(owner.get(&i));
            deps.sort_unstable();
            deps.dedup();
            deps
        })
        .collect()
}

/// Reports each cycle once; returns the steps on cycles.
fn cycles(
    steps: &[Step],
    keys: &[&str],
    owner: &BTreeMap<usize, usize>,
    out: &mut Vec<Problem>,
) -> Vec<usize> {
    let deps = dependencies(steps, keys, owner);
    // 0 unvisited, 1 on the current path, 2 done.
    let mut state = vec![0u8; steps.len()];
    let mut cyclic = Vec::new();
    for start in 0..steps.len() {
        let mut path = Vec::new();
        visit(
            start,
            &deps,
            &mut state,
            &mut path,
            &mut |cycle: &[usize]| {
                if cycle.iter().any(|c| cyclic.contains(c)) {
                    return;
                }
                cyclic.extend_from_slice(cycle);
                let names: Vec<&str> = cycle.iter().chain(&cycle[..1]).map(|&c| keys[c]).collect();
                out.push(problem(
                    Target::Step(cycle[0], "key"),
                    format!(
                        "steps depend on each other in a cycle: {}",
                        names.join(" → ")
                    ),
                    "a step can only use the outputs of steps that run before it",
                ));
            },
        );
    }
    cyclic
}

fn visit(
    n: usize,
    deps: &[Vec<usize>],
    state: &mut [u8],
    path: &mut Vec<usize>,
    found: &mut dyn FnMut(&[usize]),
) {
    match state[n] {
        2 => return,
        1 => {
            let at = path.iter().position(|&p| p == n).unwrap_or(0);
            found(&path[at..]);
            return;
        }
        _ => {}
    }
    state[n] = 1;
    path.push(n);
    for &d in &deps[n] {
        visit(d, deps, state, path, found);
    }
    path.pop();
    state[n] = 2;
}

/// The order steps run in: top-level steps in file order, each branch right after its step.
pub(crate) fn run_order(
    steps: &[Step],
    keys: &[&str],
    owner: &BTreeMap<usize, usize>,
) -> Vec<usize> {
    fn place(i: usize, steps: &[Step], keys: &[&str], order: &mut Vec<usize>) {
        if order.contains(&i) {
            return;
        }
        order.push(i);
        for child in steps[i].kind.children() {
            if let Some(c) = keys.iter().position(|k| k == child) {
                place(c, steps, keys, order);
            }
        }
    }
    let mut order = Vec::new();
    for i in (0..steps.len()).filter(|i| !owner.contains_key(i)) {
        place(i, steps, keys, &mut order);
    }
    order
}

fn forward_refs(
    steps: &[Step],
    keys: &[&str],
    owner: &BTreeMap<usize, usize>,
    cyclic: &[usize],
    out: &mut Vec<Problem>,
) {
    let order = run_order(steps, keys, owner);
    let pos = |i: usize| order.iter().position(|&o| o == i);
    for (i, s) in steps
        .iter()
        .enumerate()
        .filter(|(i, _)| !cyclic.contains(i))
    {
        for r in step_refs(&s.kind) {
            let Some(t) = r.step().and_then(|k| keys.iter().position(|x| *x == k)) else {
                continue;
            };
            if t == i || matches!((pos(t), pos(i)), (Some(a), Some(b)) if a > b) {
                out.push(problem(
                    Target::Reference(i, r.clone()),
                    format!("`{r}` refers to step `{}`, which runs after step `{}`", keys[t], s.key),
                    "a step can only use the outputs of steps that run before it: reorder the steps",
                ));
            }
        }
    }
}
