//! Building a workflow in Rust, checked by the same rules as files.

use super::check::{Context, Target, check, check_trigger};
use super::model::{Setting, Step, Trigger, Workflow};
use crate::diagnostic::{Diagnostic, Diagnostics};

/// Builds a [`Workflow`] in code.
///
/// ```
/// use paragon_manifest::workflow::{Context, HttpCall, Step, StepKind, Template, Trigger, Value, Workflow};
///
/// let ctx = Context { integration: "custom.tasklab".into(), ..Default::default() };
/// let call = HttpCall {
///     method: "GET".into(),
///     url: Template::parse("/v1/tasks").unwrap(),
///     query: vec![],
///     headers: vec![],
///     body: None,
/// };
/// let wf = Workflow::builder("custom.tasklab", "list", "List tasks")
///     .trigger(Trigger::Request)
///     .step(Step::new("fetch", StepKind::IntegrationRequest { integration: None, call, pagination: None }))
///     .step(Step::new("answer", StepKind::Response { status: 200, body: Value::text("{steps.fetch.output.body}") }))
///     .build(&ctx)
///     .unwrap();
/// assert!(wf.has_response());
///
/// let err = Workflow::builder("custom.tasklab", "bad", "Bad")
///     .trigger(Trigger::IntegrationEnabled)
///     .step(Step::new("answer", StepKind::Response { status: 200, body: Value::text("{steps.nope.output}") }))
///     .build(&ctx)
///     .unwrap_err();
/// assert!(err.to_string().contains("`{steps.nope.output}` refers to a step that does not exist"));
/// ```
#[derive(Clone, Debug)]
pub struct WorkflowBuilder {
    wf: Workflow,
    trigger: Option<Trigger>,
}

impl WorkflowBuilder {
    pub(crate) fn new(integration: String, key: String, name: String) -> Self {
        WorkflowBuilder {
            wf: Workflow {
                file: None,
                key,
                id: None,
                integration,
                name,
                description: String::new(),
                default_enabled: false,
                hidden: false,
                settings: Vec::new(),
                trigger: Trigger::Request,
                steps: Vec::new(),
            },
            trigger: None,
        }
    }

    /// The workflow's id (default: derived by the server from integration and key).
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.wf.id = Some(id.into());
        self
    }

    /// What it does.
    pub fn description(mut self, d: impl Into<String>) -> Self {
        self.wf.description = d.into();
        self
    }

    /// Whether it runs for users who never enabled or disabled it.
    pub fn default_enabled(mut self, on: bool) -> Self {
        self.wf.default_enabled = on;
        self
    }

    /// Whether the portal hides it.
    pub fn hidden(mut self, on: bool) -> Self {
        self.wf.hidden = on;
        self
    }

    /// Adds a user setting.
    pub fn setting(mut self, s: Setting) -> Self {
        self.wf.settings.push(s);
        self
    }

    /// What starts a run (required).
    pub fn trigger(mut self, t: Trigger) -> Self {
        self.trigger = Some(t);
        self
    }

    /// Adds a step.
    pub fn step(mut self, s: Step) -> Self {
        self.wf.steps.push(s);
        self
    }

    /// Checks the workflow against `ctx` (`ctx.integration` is ignored: the builder's
    /// integration is used) and returns it, or every problem.
    pub fn build(mut self, ctx: &Context) -> Result<Workflow, Diagnostics> {
        let file = format!("<workflow {}>", self.wf.key);
        let Some(trigger) = self.trigger else {
            return Err(Diagnostic::error("the workflow has no trigger")
                .file(file)
                .help("call .trigger(…)")
                .into());
        };
        let mut problems = Vec::new();
        check_trigger(&trigger, ctx, &mut problems);
        let mut settings: Vec<String> = self.wf.settings.iter().map(|s| s.key.clone()).collect();
        settings.extend(ctx.settings.iter().cloned());
        problems.extend(check(&trigger, &self.wf.steps, &settings, ctx));
        if problems.is_empty() {
            self.wf.trigger = trigger;
            return Ok(self.wf);
        }
        Err(problems
            .into_iter()
            .map(|p| {
                let field = match p.target {
                    Target::Trigger(f) => format!("trigger.{f}"),
                    Target::Step(i, f) => format!("steps[{i}].{f}"),
                    Target::Reference(i, _) => format!("steps[{i}]"),
                };
                Diagnostic::error(p.message)
                    .file(&file)
                    .field(field)
                    .help(p.help)
            })
            .collect::<Vec<_>>()
            .into())
    }
}
