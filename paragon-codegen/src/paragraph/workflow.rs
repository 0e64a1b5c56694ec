//! `src/integrations/custom.<slug>/workflows/<name>.ts`: a workflow as a Paragraph class, each
//! step constructed as its Paragraph step and chained (`nextStep`, `whenTrue`/`whenFalse`,
//! `branch`). Refused at the step's position: a Rust function step (Paragon runs JavaScript
//! only), pagination on a request, and a step after a Conditional in the same list (a
//! Paragraph Conditional's branches do not rejoin).

use super::{Refusals, ts};
use paragon_manifest::workflow::{
    Condition, HttpCall, Operator, Step, StepKind, Trigger, Workflow,
};
use std::path::Path;

/// What a workflow's file needs from the rest of the export.
pub(crate) struct Ctx<'a> {
    /// `events/<module>` of each event by name.
    pub event_module: &'a dyn Fn(&str) -> Option<String>,
    pub refusals: &'a mut Refusals,
    /// Behaviour that changes on the way, said in the export's notes.
    pub notes: &'a mut Vec<String>,
}

fn operator(op: Operator) -> &'static str {
    match op {
        Operator::Equals => "StringExactlyMatches",
        Operator::NotEquals => "StringDoesNotExactlyMatch",
        Operator::Contains => "StringContains",
        Operator::NotContains => "StringDoesNotContain",
        Operator::GreaterThan => "NumberGreaterThan",
        Operator::LessThan => "NumberLessThan",
        Operator::Exists => "Exists",
        Operator::DoesNotExist => "DoesNotExist",
        Operator::IsTrue => "BooleanTrue",
        _ => "BooleanFalse",
    }
}

fn condition(refs: &ts::Refs<'_>, c: &Condition) -> String {
    let mut args = vec![refs.value(&c.left)];
    if let Some(right) = c.right.as_ref().filter(|_| c.op.is_binary()) {
        args.push(refs.value(right));
    }
    format!("Operators.{}({})", operator(c.op), args.join(", "))
}

fn call_fields(refs: &ts::Refs<'_>, call: &HttpCall) -> Vec<(String, String)> {
    let pairs = |list: &[(String, paragon_manifest::workflow::Template)]| {
        let fields: Vec<String> = list
            .iter()
            .map(|(k, v)| format!("{}: {}", ts::key(k), refs.template(v)))
            .collect();
        format!("{{ {} }}", fields.join(", ")).replace("{  }", "{}")
    };
    let mut out = vec![
        ("method".to_owned(), ts::string(&call.method)),
        ("url".to_owned(), refs.template(&call.url)),
        ("params".to_owned(), pairs(&call.query)),
        ("headers".to_owned(), pairs(&call.headers)),
    ];
    if let Some(body) = &call.body {
        out.push(("body".to_owned(), refs.value(body)));
    }
    out
}

/// One step's constructor, or `None` when refused.
fn construct(step: &Step, refs: &ts::Refs<'_>, file: &Path, ctx: &mut Ctx<'_>) -> Option<String> {
    let mut fields: Vec<(String, String)> = Vec::new();
    if let Some(d) = &step.description {
        fields.push(("description".into(), ts::string(d)));
    }
    let class = match &step.kind {
        StepKind::IntegrationRequest {
            integration,
            call,
            pagination,
        } => {
            if pagination.is_some() {
                ctx.refusals.at_step(
                    file,
                    &step.key,
                    "pagination",
                    "pagination on an Integration Request: Paragraph's step has no field for it"
                        .into(),
                );
                return None;
            }
            if integration.is_some() {
                ctx.refusals.at_step(file, &step.key, "integration", "a request to another integration's credential: a Paragraph workflow's requests use its own integration".into());
                return None;
            }
            fields.extend(call_fields(refs, call));
            "IntegrationRequestStep"
        }
        StepKind::Request { call } => {
            fields.extend(call_fields(refs, call));
            "RequestStep"
        }
        StepKind::Function { code, parameters } => {
            fields.push(("code".into(), code.trim().to_owned()));
            fields.push(("parameters".into(), refs.value(parameters)));
            "FunctionStep"
        }
        StepKind::RustFunction { name, .. } => {
            ctx.refusals.at_step(
                file,
                &step.key,
                "rust",
                format!("the Rust function step `{name}`: Paragon runs JavaScript functions only"),
            );
            return None;
        }
        StepKind::Conditional { conditions, .. } => {
            let ors: Vec<String> = conditions
                .iter()
                .map(|and| {
                    format!(
                        "Operators.And({})",
                        and.iter()
                            .map(|c| condition(refs, c))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                })
                .collect();
            fields.push(("if".into(), format!("Operators.Or({})", ors.join(", "))));
            "ConditionalStep"
        }
        StepKind::FanOut {
            items, concurrency, ..
        } => {
            fields.push(("iterator".into(), refs.value(items)));
            ctx.notes.push(format!("{}: the fan-out `{}` runs with Paragon's own concurrency, not {concurrency} at once", file.display(), step.key));
            "FanOutStep"
        }
        StepKind::Delay { duration } => {
            fields.push(("unit".into(), ts::string("SECONDS")));
            fields.push(("value".into(), duration.as_secs().to_string()));
            "DelayStep"
        }
        StepKind::Response { status, body } => {
            fields.push(("statusCode".into(), status.to_string()));
            fields.push(("responseType".into(), ts::string("JSON")));
            fields.push(("body".into(), refs.value(body)));
            "ResponseStep"
        }
        other => {
            ctx.refusals.at_step(
                file,
                &step.key,
                "type",
                format!("the step type `{}`", other.type_name()),
            );
            return None;
        }
    };
    if step.retry.attempts > 0 {
        fields.push(("autoRetry".into(), "true".into()));
        ctx.notes.push(format!(
            "{}: `{}` retries on Paragon's auto-retry schedule, not {} attempts from {:?}",
            file.display(),
            step.key,
            step.retry.attempts,
            step.retry.backoff
        ));
    }
    if step.continue_on_error {
        fields.push(("continueWorkflowOnError".into(), "true".into()));
    }
    let body: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("      {}: {v},", ts::key(k)))
        .collect();
    Some(format!("new {class}({{\n{}\n    }})", body.join("\n")))
}

/// The chaining of `keys` after `from` (`from.nextStep(a)`, then `a.nextStep(b)`…), with the
/// branches of Conditionals and Fan Outs.
fn chain(
    wf: &Workflow,
    keys: &[String],
    from: &str,
    how: &str,
    file: &Path,
    ctx: &mut Ctx<'_>,
    out: &mut Vec<String>,
) {
    let mut prev = (from.to_owned(), how.to_owned());
    let mut after_conditional = false;
    for key in keys {
        let Some(step) = wf.step(key) else { continue };
        if after_conditional {
            ctx.refusals.at_step(file, key, "key", format!("the step `{key}` after a Conditional: a Paragraph Conditional's branches do not rejoin; move it into each branch"));
            return;
        }
        let var = ts::step_var(key);
        out.push(format!("    {}.{}({var});", prev.0, prev.1));
        match &step.kind {
            StepKind::Conditional {
                then, otherwise, ..
            } => {
                chain(wf, then, &var, "whenTrue", file, ctx, out);
                chain(wf, otherwise, &var, "whenFalse", file, ctx, out);
                after_conditional = true;
            }
            StepKind::FanOut { steps, .. } => chain(wf, steps, &var, "branch", file, ctx, out),
            _ => {}
        }
        prev = (var, "nextStep".to_owned());
    }
}

fn trigger(t: &Trigger, ctx: &Ctx<'_>) -> (String, Option<String>) {
    match t {
        Trigger::AppEvent { event } => (
            "new EventStep(event)".to_owned(),
            (ctx.event_module)(event)
                .map(|m| format!("import event from '../../../events/{m}';\n")),
        ),
        Trigger::Schedule { cron, timezone } => (
            format!(
                "new CronStep({{ cron: {}, timeZone: {} }})",
                ts::string(cron),
                ts::string(timezone)
            ),
            None,
        ),
        Trigger::IntegrationEnabled => ("new IntegrationEnabledStep()".to_owned(), None),
        _ => ("new EndpointStep()".to_owned(), None),
    }
}

/// The class name of the imported module (`mirror_app_tasks` → `MirrorAppTasks`) and its file
/// stem (`mirrorAppTasks`).
pub(crate) fn names(wf: &Workflow) -> (String, String) {
    let camel = ts::step_var(wf.key()).trim_end_matches("Step").to_owned();
    let mut class = camel.clone();
    if let Some(first) = class.get(0..1) {
        class.replace_range(0..1, &first.to_uppercase());
    }
    (class, camel)
}

/// The text of the workflow's `.ts` file.
pub(crate) fn workflow_ts(wf: &Workflow, ctx: &mut Ctx<'_>) -> String {
    let file = wf.file().map(Path::to_path_buf).unwrap_or_default();
    let request_keys: Vec<&str> = wf
        .steps()
        .iter()
        .filter(|s| {
            matches!(
                s.kind,
                StepKind::IntegrationRequest { .. } | StepKind::Request { .. }
            )
        })
        .map(|s| s.key.as_str())
        .collect();
    let is_request = |k: &str| request_keys.contains(&k);
    let refs = ts::Refs {
        request_trigger: matches!(wf.trigger(), Trigger::Request),
        is_request: &is_request,
    };
    let (trigger_new, event_import) = trigger(wf.trigger(), ctx);
    let mut body = vec![format!("    const triggerStep = {trigger_new};")];
    let mut registered = vec!["triggerStep".to_owned()];
    for step in wf.steps() {
        if let Some(new) = construct(step, &refs, &file, ctx) {
            let var = ts::step_var(&step.key);
            body.push(format!("    const {var} = {new};"));
            registered.push(var);
        }
    }
    let top: Vec<String> = wf.top_level().map(|s| s.key.clone()).collect();
    let mut links = Vec::new();
    chain(wf, &top, "triggerStep", "nextStep", &file, ctx, &mut links);
    body.push(String::new());
    body.extend(links);
    let settings: Vec<String> = wf
        .settings()
        .iter()
        .map(|s| {
            let default = s.default.as_deref().map_or(String::new(), |d| {
                format!(", defaultValue: {}", ts::string(d))
            });
            format!(
                "    {}: {{ title: {}, type: 'text', required: {}{default} }},",
                ts::key(&s.key),
                ts::string(&s.label),
                s.required
            )
        })
        .collect();
    let mut out = String::from(
        "import {\n  ConditionalStep,\n  CronStep,\n  DelayStep,\n  EndpointStep,\n  EventStep,\n  FanOutStep,\n  FunctionStep,\n  IntegrationEnabledStep,\n  IntegrationRequestStep,\n  RequestStep,\n  ResponseStep,\n  Workflow,\n} from '@useparagon/core';\nimport { IContext } from '@useparagon/core/execution';\nimport { createInputs } from '@useparagon/core/inputs';\nimport * as Operators from '@useparagon/core/operator';\nimport { IConnectUser } from '@useparagon/core/user';\n",
    );
    out.push_str(event_import.as_deref().unwrap_or(""));
    out.push_str(&format!(
        "\n/**\n * {}: exported from {} by paragon-codegen.\n */\nexport default class extends Workflow {{\n  define(integration: unknown, context: IContext, connectUser: IConnectUser) {{\n{}\n\n    return this.register({{ {} }});\n  }}\n\n  name: string = {};\n\n  description: string = {};\n\n  inputs = createInputs({{{}}});\n\n  defaultEnabled: boolean = {};\n\n  hidden: boolean = {};\n",
        wf.name().replace("*/", "* /"),
        file.display().to_string().replace("*/", "* /"),
        body.join("\n"),
        registered.join(", "),
        ts::string(wf.name()),
        ts::string(wf.description()),
        if settings.is_empty() { String::new() } else { format!("\n{}\n  ", settings.join("\n")) },
        wf.default_enabled(),
        wf.hidden(),
    ));
    if let Some(id) = wf.explicit_id() {
        out.push_str(&format!("\n  readonly id: string = {};\n", ts::string(id)));
    }
    out.push_str("}\n");
    out
}
