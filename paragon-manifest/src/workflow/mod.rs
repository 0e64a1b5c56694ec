//! Workflows: custom-integration logic as files beside the integration
//! (`specs/<integration>/workflows/<key>.toml`) or built in Rust, following the shape of
//! Paragon's workflows-as-code so definitions can later be exported to it.
//!
//! A workflow has one trigger and a list of steps. References between them use the manifest's
//! template syntax over the run's data: `{trigger.body.email}`,
//! `{steps.fetch_tasks.output.body.tasks}`, `{user.Email}`, `{settings.project}`,
//! `{env.NAME}`. A string that is exactly one reference stands for the value itself (an
//! object stays an object).
//!
//! ```toml
//! name = "Welcome new tasks"
//! description = "Comments on every task the app creates"
//! default_enabled = true          # runs for users who never enabled or disabled it
//! hidden = false                  # hidden from the end user's portal
//! # id = "…"                      # the workflow's id (default: derived from integration + key)
//!
//! [[settings]]                    # user inputs: {settings.prefix}
//! key = "prefix"
//! label = "Title prefix"
//! default = "[app]"
//!
//! [trigger]
//! type = "app_event"              # | "request" | "schedule" | "integration_enabled"
//! event = "Task Created"          # declared in specs/events.toml
//! # schedule: cron = "0 9 * * 1-5", timezone = "Europe/Paris"
//!
//! [[steps]]
//! key = "create"
//! type = "integration_request"    # the user's credential, applied as the proxy does
//! method = "POST"
//! path = "/v1/tasks"
//! body = { title = "{settings.prefix} {trigger.body.title}" }
//! retry = { attempts = 3, backoff = "1s" }   # doubled after each retry
//! continue_on_error = false
//! # pagination = { next = "next_cursor", param = "cursor", items = "tasks", max_pages = 100 }
//!
//! [[steps]]
//! key = "urgent"
//! type = "conditional"            # OR of ANDs
//! conditions = [[{ left = "{trigger.body.priority}", op = "equals", right = "high" }]]
//! then = ["flag"]                 # keys of the steps each branch runs
//! else = []
//!
//! [[steps]]
//! key = "flag"
//! type = "function"               # JavaScript, sandboxed; or rust = "registered_name"
//! parameters = { task = "{steps.create.output.body}" }
//! code = "function yourFunction(parameters) { return { id: parameters.task.id }; }"
//! ```
//!
//! Other step types: `request` (plain HTTP: `url`, no credential), `fan_out` (`items`,
//! `concurrency`, `steps`; the branch reads `{steps.<fan_out>.item}`), `delay`
//! (`duration = "10m"`), `response` (`status`, `body`; Request triggers only).
//!
//! Refused at validation, each with its position: an unknown step, setting, event or
//! integration; steps that depend on each other in a cycle or on a step that runs later; a
//! cron expression or time zone that does not parse; a Response step under a trigger that is
//! not a Request.

mod builder;
mod check;
mod events;
mod model;
mod read;
mod template;

use std::path::{Path, PathBuf};

pub use builder::WorkflowBuilder;
pub use check::Context;
pub use events::{EVENTS_FILE, Event, load_events, parse_events};
pub use model::{
    Condition, HttpCall, Operator, Pagination, Retry, Setting, Step, StepKind, Trigger, Workflow,
};
pub use template::{Part, Ref, Root, Template, Value};

use crate::diagnostic::Diagnostics;
use crate::manifest::{MANIFEST_FILE, Manifest};

/// The folder of an integration's workflows.
pub const WORKFLOWS_DIR: &str = "workflows";

impl Workflow {
    /// Validates workflow text; `file` names it in diagnostics, and its stem is the key.
    pub fn parse(
        source: &str,
        file: impl Into<PathBuf>,
        ctx: &Context,
    ) -> Result<Workflow, Diagnostics> {
        read::parse(source, file.into(), ctx)
    }

    /// Reads and validates a workflow file.
    pub fn load(path: impl AsRef<Path>, ctx: &Context) -> Result<Workflow, Diagnostics> {
        read::load(path.as_ref(), ctx)
    }

    /// Starts a workflow in Rust, for services that embed the engine: see [`WorkflowBuilder`].
    pub fn builder(
        integration: impl Into<String>,
        key: impl Into<String>,
        name: impl Into<String>,
    ) -> WorkflowBuilder {
        WorkflowBuilder::new(integration.into(), key.into(), name.into())
    }
}

/// Every workflow of the integration in `integration_dir` (`<dir>/workflows/*.toml`, sorted),
/// with every problem of every file at once.
pub fn load_workflows(integration_dir: &Path, ctx: &Context) -> Result<Vec<Workflow>, Diagnostics> {
    let Ok(entries) = std::fs::read_dir(integration_dir.join(WORKFLOWS_DIR)) else {
        return Ok(Vec::new());
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    let mut problems = Diagnostics::new();
    for f in files {
        match Workflow::load(&f, ctx) {
            Ok(w) => out.push(w),
            Err(d) => problems.extend(d),
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// What the workflows of the integrations under `specs_dir` may refer to: every manifest's
/// slug and the events of `specs_dir/events.toml`. `integration` is left empty.
pub fn context_for(specs_dir: &Path) -> Result<Context, Diagnostics> {
    let events = load_events(specs_dir)?;
    let integrations = crate::discover::discover(specs_dir)
        .iter()
        .filter_map(|p| Manifest::load(p).ok())
        .map(|m| m.slug())
        .collect();
    Ok(Context {
        integration: String::new(),
        integrations,
        events: events.into_iter().map(|e| e.name).collect(),
        settings: Vec::new(),
    })
}

/// Validates the workflows of each integration folder named by `paths` (as
/// [`crate::validate_paths`] takes them), for `paragon-codegen validate`. Folders without a
/// valid manifest are skipped: their manifest's own problems are reported there.
pub fn validate_workflow_paths(
    paths: &[PathBuf],
) -> Vec<(PathBuf, Result<Vec<Workflow>, Diagnostics>)> {
    let mut out = Vec::new();
    for (manifest_file, result) in crate::discover::validate_paths(paths) {
        let Ok(manifest) = result else { continue };
        let dir = manifest_file
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let specs = dir.parent().map(Path::to_path_buf).unwrap_or_default();
        let ctx = context_for(&specs).map(|c| Context {
            integration: manifest.slug(),
            settings: manifest.setting_keys(),
            ..c
        });
        let result = ctx.and_then(|ctx| load_workflows(&dir, &ctx));
        out.push((dir.join(WORKFLOWS_DIR), result));
    }
    let _ = MANIFEST_FILE;
    out
}
