//! The workflow engine: runs the workflows of `specs/<integration>/workflows/*.toml` (and those
//! given in Rust) on app events, request triggers, schedules and new credentials, durably.
//!
//! Every run and every step execution is a row (`store`). A step's result is committed before
//! the next step starts; a run is executed by the replica holding its lease, renewed while it
//! runs, so after a crash (or `kill -9`) another replica, or the restarted one, claims it once
//! the lease has lapsed and continues from the first unfinished step. A step that was in flight
//! runs again (at least once) with the same idempotency key (`Idempotency-Key` header).
//! Delays are timers in the run's row, not sleeping tasks.
//!
//! Why not a job-queue crate (apalis and the like): the engine needs per-step durability
//! inside one run, leases that fence result writes, and SQLite and PostgreSQL through the
//! same store the server already has. The queue here is two tables and one claim statement
//! (`FOR UPDATE SKIP LOCKED` on PostgreSQL): no second coordination layer beside the database.

pub(crate) mod draw;
mod engine;
pub(crate) mod history;
mod js;
mod render;
mod scheduler;
mod steps;
pub(crate) mod store;
pub(crate) mod triggers;
mod writer;

use paragon_manifest::workflow::{Context, Workflow};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub(crate) use js::JsLimits;

/// A Rust function a workflow's `rust = "<name>"` step calls, registered with
/// [`LocalServerBuilder::function`](crate::LocalServerBuilder::function): it receives the
/// step's rendered `parameters` and returns its output, or an error message that fails the step.
pub type StepFunction =
    Arc<dyn Fn(Value) -> Pin<Box<dyn Future<Output = Result<Value, String>> + Send>> + Send + Sync>;

/// A workflow with the id the server knows it by.
#[derive(Debug)]
pub(crate) struct Loaded {
    pub id: String,
    pub wf: Workflow,
}

/// The id a server knows a workflow by (in `/sdk/me`, triggers and the history): its
/// explicit `id`, else a UUID derived from integration and key, so every replica and every
/// restart agree.
pub fn workflow_id(wf: &Workflow) -> String {
    match wf.explicit_id() {
        Some(id) => id.to_owned(),
        None => uuid::Uuid::new_v5(
            &uuid::Uuid::NAMESPACE_URL,
            format!("paragon-local:workflow:{}/{}", wf.integration(), wf.key()).as_bytes(),
        )
        .to_string(),
    }
}

/// Timing of the engine.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EngineConfig {
    /// How long a claimed run stays this replica's without renewal.
    pub lease: Duration,
    /// How often the replica looks for runnable runs and due schedules.
    pub poll: Duration,
    /// How long a Request trigger waits for its Response step (Paragon: 55 s).
    pub response_timeout: Duration,
    pub js: JsLimits,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            lease: Duration::from_secs(30),
            poll: Duration::from_millis(500),
            response_timeout: Duration::from_secs(55),
            js: JsLimits::default(),
        }
    }
}

/// What a waiting Request trigger gets: the Response step's `{status, body}`, or why the run
/// ended without one.
pub(crate) type Answer = Result<Value, String>;

/// The engine's state in a running server.
pub(crate) struct Engine {
    pub workflows: Vec<Arc<Loaded>>,
    pub functions: BTreeMap<String, StepFunction>,
    pub config: EngineConfig,
    /// This replica's lease owner id.
    pub owner: String,
    /// Request triggers waiting for their run's Response step, by run id, with the time (ms)
    /// past which the caller no longer waits.
    waiters: Mutex<HashMap<String, (tokio::sync::oneshot::Sender<Answer>, i64)>>,
    /// Runs this replica is executing now (never two tasks on one run).
    running: Mutex<HashSet<String>>,
    /// Where the engine's rows are written (group commit on SQLite).
    pub writer: writer::Writer,
}

impl fmt::Debug for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Engine")
            .field("workflows", &self.workflows.len())
            .field("owner", &self.owner)
            .finish_non_exhaustive()
    }
}

impl Engine {
    pub(crate) fn new(
        workflows: Vec<Workflow>,
        functions: BTreeMap<String, StepFunction>,
        config: EngineConfig,
    ) -> Engine {
        Engine {
            workflows: workflows
                .into_iter()
                .map(|wf| {
                    Arc::new(Loaded {
                        id: workflow_id(&wf),
                        wf,
                    })
                })
                .collect(),
            functions,
            config,
            owner: uuid::Uuid::new_v4().to_string(),
            waiters: Mutex::default(),
            running: Mutex::default(),
            writer: writer::Writer::default(),
        }
    }

    pub(crate) fn find(&self, id: &str) -> Option<&Arc<Loaded>> {
        self.workflows.iter().find(|w| w.id == id)
    }

    /// Registers a Request trigger waiting for `run_id`'s Response step until `deadline` (ms).
    fn wait_for(&self, run_id: &str, deadline: i64) -> tokio::sync::oneshot::Receiver<Answer> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.waiters
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(run_id.to_owned(), (tx, deadline));
        rx
    }

    /// Stops waiting for `run_id` (its caller has its answer or gave up).
    fn forget(&self, run_id: &str) -> Option<tokio::sync::oneshot::Sender<Answer>> {
        self.waiters
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(run_id)
            .map(|(tx, _)| tx)
    }

    fn answer(&self, run_id: &str, answer: Answer) {
        if let Some(tx) = self.forget(run_id) {
            let _ = tx.send(answer);
        }
    }

    /// `run_id` paused on a timer until `wake_at` (ms): a caller that would give up before
    /// then gets its timeout answer now (the sender dropped), not after waiting in vain.
    fn suspended(&self, run_id: &str, wake_at: i64) {
        let mut waiters = self.waiters.lock().unwrap_or_else(|e| e.into_inner());
        if waiters
            .get(run_id)
            .is_some_and(|(_, deadline)| wake_at >= *deadline)
        {
            waiters.remove(run_id);
        }
    }

    /// Marks `run_id` as executing here; `false` when it already is.
    fn enter(&self, run_id: &str) -> bool {
        self.running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(run_id.to_owned())
    }

    fn leave(&self, run_id: &str) {
        self.running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(run_id);
    }
}

/// Loads the workflows beside each integration of a specs folder (or of one integration
/// folder), checked against the integrations being served and `events.toml`.
pub(crate) fn load_dir(
    dir: &Path,
    integrations: &[String],
) -> Result<Vec<Workflow>, (String, String)> {
    let single = dir.join(paragon_manifest::MANIFEST_FILE).is_file();
    let specs_root = if single {
        dir.parent().unwrap_or(dir)
    } else {
        dir
    };
    let fail =
        |path: &Path, d: paragon_manifest::Diagnostics| (path.display().to_string(), d.to_string());
    let events = paragon_manifest::workflow::load_events(specs_root)
        .map_err(|d| fail(&specs_root.join(paragon_manifest::workflow::EVENTS_FILE), d))?;
    let folders = if single {
        vec![dir.join(paragon_manifest::MANIFEST_FILE)]
    } else {
        paragon_manifest::discover(dir)
    };
    let mut out = Vec::new();
    for manifest_file in folders {
        let folder = manifest_file.parent().unwrap_or(dir);
        let Ok(manifest) = paragon_manifest::Manifest::load(&manifest_file) else {
            continue;
        };
        let ctx = Context {
            integration: manifest.slug(),
            integrations: integrations.to_vec(),
            events: events.iter().map(|e| e.name.clone()).collect(),
            settings: manifest.setting_keys(),
        };
        let wfs = paragon_manifest::workflow::load_workflows(folder, &ctx)
            .map_err(|d| fail(&folder.join(paragon_manifest::workflow::WORKFLOWS_DIR), d))?;
        out.extend(wfs);
    }
    Ok(out)
}

pub(crate) use scheduler::spawn_worker;
