//! The validated workflow: trigger, steps and settings.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::template::{Template, Value};

/// A workflow of one integration, read from `specs/<integration>/workflows/<key>.toml` or built
/// with [`Workflow::builder`](crate::workflow::Workflow::builder). Every `Workflow` is valid.
#[derive(Clone, Debug)]
pub struct Workflow {
    pub(crate) file: Option<PathBuf>,
    pub(crate) key: String,
    pub(crate) id: Option<String>,
    pub(crate) integration: String,
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) default_enabled: bool,
    pub(crate) hidden: bool,
    pub(crate) settings: Vec<Setting>,
    pub(crate) trigger: Trigger,
    pub(crate) steps: Vec<Step>,
}

impl Workflow {
    /// The file it was read from (`None` when built in Rust).
    pub fn file(&self) -> Option<&Path> {
        self.file.as_deref()
    }

    /// The key: the file name without `.toml` (e.g. `notify_new_tasks`).
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The id written in the file (`id = "…"`, e.g. the workflow's id in Paragon), if any.
    /// Servers derive a stable id from the integration and key otherwise.
    pub fn explicit_id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// The integration's slug, e.g. `custom.tasklab`.
    pub fn integration(&self) -> &str {
        &self.integration
    }

    /// The display name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What it does, for the end user.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// Whether it runs for a user who never enabled or disabled it.
    pub fn default_enabled(&self) -> bool {
        self.default_enabled
    }

    /// Whether the Connect Portal hides it from the end user.
    pub fn hidden(&self) -> bool {
        self.hidden
    }

    /// The user settings (inputs) it declares.
    pub fn settings(&self) -> &[Setting] {
        &self.settings
    }

    /// What starts a run.
    pub fn trigger(&self) -> &Trigger {
        &self.trigger
    }

    /// Every step, in file order (branch steps included: see [`Workflow::top_level`]).
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// The step with `key`.
    pub fn step(&self, key: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.key == key)
    }

    /// The steps run one after the other from the start: those no Conditional or Fan Out
    /// holds in a branch, in file order.
    pub fn top_level(&self) -> impl Iterator<Item = &Step> {
        let owned: Vec<&str> = self
            .steps
            .iter()
            .flat_map(|s| s.kind.children())
            .map(String::as_str)
            .collect();
        self.steps
            .iter()
            .filter(move |s| !owned.contains(&s.key.as_str()))
    }

    /// Whether a Response step answers its Request trigger.
    pub fn has_response(&self) -> bool {
        self.steps
            .iter()
            .any(|s| matches!(s.kind, StepKind::Response { .. }))
    }
}

/// A value the end user sets per workflow (Paragon's workflow "user settings").
#[derive(Clone, Debug, PartialEq)]
pub struct Setting {
    /// `{settings.<key>}`.
    pub key: String,
    /// Shown to the end user.
    pub label: String,
    /// Used when the user set nothing.
    pub default: Option<String>,
    /// Whether the user must set it (runs fail clearly without it).
    pub required: bool,
}

/// What starts a run.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Trigger {
    /// An app event sent with `POST /sdk/events/trigger`; its payload is `{trigger.body}`.
    AppEvent {
        /// The event's name, declared in `specs/events.toml`.
        event: String,
    },
    /// `POST /sdk/triggers/{workflowId}`: body, query and headers are `{trigger.body}`,
    /// `{trigger.query}`, `{trigger.headers}`.
    Request,
    /// A cron schedule, per user with the workflow enabled.
    Schedule {
        /// Five or six fields (croner syntax), e.g. `0 9 * * 1-5`.
        cron: String,
        /// An IANA time zone, e.g. `Europe/Paris` (default `UTC`).
        timezone: String,
    },
    /// A user connects the integration (a credential is created).
    IntegrationEnabled,
}

impl Trigger {
    /// The type as written in files.
    pub fn type_name(&self) -> &'static str {
        match self {
            Trigger::AppEvent { .. } => "app_event",
            Trigger::Request => "request",
            Trigger::Schedule { .. } => "schedule",
            Trigger::IntegrationEnabled => "integration_enabled",
        }
    }
}

/// One step.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    /// Its key, unique in the workflow: `{steps.<key>.output}`.
    pub key: String,
    /// What it is for.
    pub description: Option<String>,
    /// What it does.
    pub kind: StepKind,
    /// Automatic retries on failure.
    pub retry: Retry,
    /// Whether the run goes on when the step fails (its output is then `null`).
    pub continue_on_error: bool,
}

impl Step {
    /// A step with no description, no retry, stopping the run on failure.
    pub fn new(key: impl Into<String>, kind: StepKind) -> Step {
        Step {
            key: key.into(),
            description: None,
            kind,
            retry: Retry::default(),
            continue_on_error: false,
        }
    }
}

/// How often a failed step is tried again, and how long to wait between tries.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Retry {
    /// Retries after the first try (0: none).
    pub attempts: u32,
    /// Wait before the first retry; doubled for each further one.
    pub backoff: Duration,
}

/// An HTTP call: to the integration (path under its base URL) or plain (a full URL).
#[derive(Clone, Debug, PartialEq)]
pub struct HttpCall {
    /// `GET`, `POST`…
    pub method: String,
    /// The path (Integration Request) or the URL (Request).
    pub url: Template,
    /// Query parameters.
    pub query: Vec<(String, Template)>,
    /// Headers.
    pub headers: Vec<(String, Template)>,
    /// A JSON body.
    pub body: Option<Value>,
}

/// Following a paginated list: read the next-page token from each answer and send it back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pagination {
    /// Dotted path of the next-page token in the answer's body (e.g. `next_cursor`).
    pub next: String,
    /// The query parameter the token goes in (e.g. `cursor`).
    pub param: String,
    /// Dotted path of the page's items in the body (e.g. `tasks`); the step's output body is
    /// every page's items in one array.
    pub items: String,
    /// The most pages read (a guard against a provider that never stops).
    pub max_pages: u32,
}

/// A comparison in a Conditional.
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    /// The value tested.
    pub left: Value,
    /// How.
    pub op: Operator,
    /// What it is compared with (unused by the unary operators).
    pub right: Option<Value>,
}

/// A Conditional's comparison operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Operator {
    /// Equal as JSON (numbers and their text compare equal).
    Equals,
    /// Not [`Operator::Equals`].
    NotEquals,
    /// A string containing a substring, or an array containing an element.
    Contains,
    /// Not [`Operator::Contains`].
    NotContains,
    /// Numerically greater.
    GreaterThan,
    /// Numerically smaller.
    LessThan,
    /// Present and not `null`.
    Exists,
    /// Absent or `null`.
    DoesNotExist,
    /// `true`.
    IsTrue,
    /// `false`.
    IsFalse,
}

impl Operator {
    /// Every operator with its name in files.
    pub const NAMES: [(&'static str, Operator); 10] = [
        ("equals", Operator::Equals),
        ("not_equals", Operator::NotEquals),
        ("contains", Operator::Contains),
        ("not_contains", Operator::NotContains),
        ("greater_than", Operator::GreaterThan),
        ("less_than", Operator::LessThan),
        ("exists", Operator::Exists),
        ("does_not_exist", Operator::DoesNotExist),
        ("is_true", Operator::IsTrue),
        ("is_false", Operator::IsFalse),
    ];

    /// Whether it compares with a right-hand value.
    pub fn is_binary(self) -> bool {
        matches!(
            self,
            Operator::Equals
                | Operator::NotEquals
                | Operator::Contains
                | Operator::NotContains
                | Operator::GreaterThan
                | Operator::LessThan
        )
    }
}

/// What a step does.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum StepKind {
    /// A request to the integration with the connected user's credential, as the proxy sends it.
    IntegrationRequest {
        /// Another integration's slug (default: the workflow's own).
        integration: Option<String>,
        /// The call; `url` is a path under the base URL (or a full URL the manifest allows).
        call: HttpCall,
        /// Reading every page.
        pagination: Option<Pagination>,
    },
    /// A plain HTTP request, with no user credential.
    Request {
        /// The call; `url` is a full URL.
        call: HttpCall,
    },
    /// JavaScript (`function (parameters) { … }`) over earlier outputs, in a sandbox.
    Function {
        /// The function's text.
        code: String,
        /// What it receives as `parameters`.
        parameters: Value,
    },
    /// A Rust function registered by name on the server that embeds the engine.
    RustFunction {
        /// The registered name.
        name: String,
        /// What it receives.
        parameters: Value,
    },
    /// Conditions in OR-of-ANDs form choosing a branch.
    Conditional {
        /// Any inner list whose conditions all hold makes the result true.
        conditions: Vec<Vec<Condition>>,
        /// Steps (keys) run when true.
        then: Vec<String>,
        /// Steps (keys) run when false.
        otherwise: Vec<String>,
    },
    /// A branch per element of an array, at most `concurrency` at once.
    FanOut {
        /// The array: `{steps.<key>.item}` and `{steps.<key>.index}` in the branch.
        items: Value,
        /// How many elements are processed at once.
        concurrency: u32,
        /// Steps (keys) run per element.
        steps: Vec<String>,
    },
    /// Waits, as a timer in the store.
    Delay {
        /// How long.
        duration: Duration,
    },
    /// The answer of a Request trigger.
    Response {
        /// HTTP status.
        status: u16,
        /// JSON body.
        body: Value,
    },
}

impl StepKind {
    /// The type as written in files.
    pub fn type_name(&self) -> &'static str {
        match self {
            StepKind::IntegrationRequest { .. } => "integration_request",
            StepKind::Request { .. } => "request",
            StepKind::Function { .. } => "function",
            StepKind::RustFunction { .. } => "rust_function",
            StepKind::Conditional { .. } => "conditional",
            StepKind::FanOut { .. } => "fan_out",
            StepKind::Delay { .. } => "delay",
            StepKind::Response { .. } => "response",
        }
    }

    /// The steps this one runs in its branches.
    pub fn children(&self) -> impl Iterator<Item = &String> {
        let (a, b): (&[String], &[String]) = match self {
            StepKind::Conditional {
                then, otherwise, ..
            } => (then, otherwise),
            StepKind::FanOut { steps, .. } => (steps, &[]),
            _ => (&[], &[]),
        };
        a.iter().chain(b)
    }
}
