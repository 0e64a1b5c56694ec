//! The engine's rows: runs and step executions, leases and timers, in the server's store
//! (SQLite or PostgreSQL, one SQL text for both through `sqlx`'s `Any` driver).
//!
//! A run is runnable when it is `EXECUTING` or `DELAYED`, its timer (`wake_at`) has passed
//! and no live lease holds it. A replica claims runnable runs by setting the lease, in one
//! statement (`FOR UPDATE SKIP LOCKED` on PostgreSQL so replicas never wait on each other);
//! every step result is committed only while the lease is still this replica's.

use crate::store::{Backend, Store, StoreError, now_ms};
use serde_json::Value;
use sqlx::Row;
use sqlx::any::AnyRow;

/// A run's status, as Paragon's Task History names them.
pub(crate) const EXECUTING: &str = "EXECUTING";
pub(crate) const DELAYED: &str = "DELAYED";
pub(crate) const SUCCEEDED: &str = "SUCCEEDED";
pub(crate) const FAILED: &str = "FAILED";

/// A run row.
#[derive(Debug, Clone)]
pub(crate) struct Run {
    pub id: String,
    pub project_id: String,
    pub user_id: String,
    pub workflow_id: String,
    pub status: String,
    pub trigger_kind: String,
    pub input: Value,
    pub response: Option<Value>,
    pub error: Option<String>,
    pub wake_at: Option<i64>,
    pub replay_of: Option<String>,
    pub created_at: i64,
    pub ended_at: Option<i64>,
}

/// A step execution row.
#[derive(Debug, Clone)]
pub(crate) struct StepRow {
    pub step_key: String,
    pub idempotency_key: String,
    pub status: String,
    pub attempt: i64,
    pub input: Option<Value>,
    pub output: Option<Value>,
    pub error: Option<String>,
    pub wake_at: Option<i64>,
    pub started_at: i64,
    pub ended_at: Option<i64>,
}

/// A new run: what the trigger gave.
pub(crate) struct NewRun {
    pub id: String,
    pub project_id: String,
    pub user_id: String,
    pub workflow_id: String,
    pub trigger_kind: String,
    pub input: Value,
    pub replay_of: Option<String>,
}

/// What the history asks for.
#[derive(Debug, Default, Clone)]
pub(crate) struct RunFilter {
    pub project_id: String,
    pub user_id: Option<String>,
    pub workflow_id: Option<String>,
    pub status: Option<String>,
    pub after: Option<i64>,
    pub before: Option<i64>,
    pub limit: i64,
    pub offset: i64,
}

const RUN_COLUMNS: &str = "id, project_id, user_id, workflow_id, status, trigger_kind, input, \
     response, error, wake_at, replay_of, created_at, ended_at";

fn json(text: Option<String>) -> Option<Value> {
    text.and_then(|t| serde_json::from_str(&t).ok())
}

fn run(row: &AnyRow) -> Result<Run, StoreError> {
    Ok(Run {
        id: row.try_get("id")?,
        project_id: row.try_get("project_id")?,
        user_id: row.try_get("user_id")?,
        workflow_id: row.try_get("workflow_id")?,
        status: row.try_get("status")?,
        trigger_kind: row.try_get("trigger_kind")?,
        input: json(row.try_get("input")?).unwrap_or(Value::Null),
        response: json(row.try_get("response")?),
        error: row.try_get("error")?,
        wake_at: row.try_get("wake_at")?,
        replay_of: row.try_get("replay_of")?,
        created_at: row.try_get("created_at")?,
        ended_at: row.try_get("ended_at")?,
    })
}

fn step(row: &AnyRow) -> Result<StepRow, StoreError> {
    Ok(StepRow {
        step_key: row.try_get("step_key")?,
        idempotency_key: row.try_get("idempotency_key")?,
        status: row.try_get("status")?,
        attempt: row.try_get("attempt")?,
        input: json(row.try_get("input")?),
        output: json(row.try_get("output")?),
        error: row.try_get("error")?,
        wake_at: row.try_get("wake_at")?,
        started_at: row.try_get("started_at")?,
        ended_at: row.try_get("ended_at")?,
    })
}

/// Claims up to `limit` runnable runs of `project_id` for `owner` until `lease_until`;
/// returns their ids.
pub(crate) async fn claim(
    store: &Store,
    project_id: &str,
    owner: &str,
    lease_until: i64,
    limit: i64,
) -> Result<Vec<String>, StoreError> {
    let lock = match store.backend() {
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let sql = format!(
        "UPDATE workflow_runs SET lease_owner = $1, lease_until = $2 WHERE id IN (\
         SELECT id FROM workflow_runs WHERE project_id = $5 AND status IN ('EXECUTING', 'DELAYED') \
         AND (wake_at IS NULL OR wake_at <= $3) AND (lease_until IS NULL OR lease_until < $3) \
         ORDER BY created_at LIMIT $4{lock}) RETURNING id"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(owner)
        .bind(lease_until)
        .bind(now_ms())
        .bind(limit)
        .bind(project_id)
        .fetch_all(store.pool())
        .await?;
    rows.iter()
        .map(|r| r.try_get::<String, _>("id").map_err(StoreError::from))
        .collect()
}

/// Extends `owner`'s lease; `false` when another replica holds the run now.
pub(crate) async fn renew(
    store: &Store,
    run_id: &str,
    owner: &str,
    lease_until: i64,
) -> Result<bool, StoreError> {
    let done =
        sqlx::query("UPDATE workflow_runs SET lease_until = $1 WHERE id = $2 AND lease_owner = $3")
            .bind(lease_until)
            .bind(run_id)
            .bind(owner)
            .execute(store.pool())
            .await?;
    Ok(done.rows_affected() == 1)
}

pub(crate) async fn get_run(
    store: &Store,
    project_id: &str,
    run_id: &str,
) -> Result<Option<Run>, StoreError> {
    let sql = format!("SELECT {RUN_COLUMNS} FROM workflow_runs WHERE id = $1 AND project_id = $2");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(run_id)
        .bind(project_id)
        .fetch_optional(store.pool())
        .await?;
    row.as_ref().map(run).transpose()
}

pub(crate) async fn list_runs(store: &Store, f: &RunFilter) -> Result<Vec<Run>, StoreError> {
    let sql = format!(
        "SELECT {RUN_COLUMNS} FROM workflow_runs WHERE project_id = $1 \
         AND ($2 IS NULL OR user_id = $2) AND ($3 IS NULL OR workflow_id = $3) \
         AND ($4 IS NULL OR status = $4) AND created_at >= $5 AND created_at <= $6 \
         ORDER BY created_at DESC, id LIMIT $7 OFFSET $8"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(&f.project_id)
        .bind(&f.user_id)
        .bind(&f.workflow_id)
        .bind(&f.status)
        .bind(f.after.unwrap_or(0))
        .bind(f.before.unwrap_or(i64::MAX))
        .bind(f.limit)
        .bind(f.offset)
        .fetch_all(store.pool())
        .await?;
    rows.iter().map(run).collect()
}

pub(crate) async fn steps(store: &Store, run_id: &str) -> Result<Vec<StepRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT step_key, idempotency_key, status, attempt, input, output, error, wake_at, \
         started_at, ended_at FROM workflow_steps WHERE run_id = $1 ORDER BY started_at, step_key",
    )
    .bind(run_id)
    .fetch_all(store.pool())
    .await?;
    rows.iter().map(step).collect()
}

/// The users' explicit choices for a workflow: `(user_id, enabled)`.
pub(crate) async fn workflow_states(
    store: &Store,
    project_id: &str,
    workflow_id: &str,
) -> Result<Vec<(String, bool)>, StoreError> {
    let rows = sqlx::query(
        "SELECT user_id, enabled FROM workflow_states WHERE project_id = $1 AND workflow_id = $2",
    )
    .bind(project_id)
    .bind(workflow_id)
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("user_id")?, r.try_get::<i64, _>("enabled")? != 0)))
        .collect()
}

/// One user's explicit choices: `workflow_id → enabled`.
pub(crate) async fn user_states(
    store: &Store,
    project_id: &str,
    user_id: &str,
) -> Result<Vec<(String, bool)>, StoreError> {
    let rows = sqlx::query(
        "SELECT workflow_id, enabled FROM workflow_states WHERE project_id = $1 AND user_id = $2",
    )
    .bind(project_id)
    .bind(user_id)
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("workflow_id")?,
                r.try_get::<i64, _>("enabled")? != 0,
            ))
        })
        .collect()
}

/// Users with a credential for `integration` (schedules run for connected users).
pub(crate) async fn connected_users(
    store: &Store,
    project_id: &str,
    integration: &str,
) -> Result<Vec<String>, StoreError> {
    let rows = sqlx::query(
        "SELECT DISTINCT user_id FROM credentials WHERE project_id = $1 AND integration = $2",
    )
    .bind(project_id)
    .bind(integration)
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|r| r.try_get("user_id").map_err(StoreError::from))
        .collect()
}

/// How a run's row changes when its execution stops or pauses.
pub(crate) struct RunUpdate {
    pub status: &'static str,
    pub error: Option<String>,
    pub wake_at: Option<i64>,
    pub ended: bool,
}

/// An app event as the app sent it.
pub(crate) struct NewEvent {
    pub id: String,
    pub project_id: String,
    pub user_id: String,
    pub name: String,
    pub payload: Value,
}

/// A change to the engine's rows, applied durably by [`super::writer::Writer`]; its `bool`
/// answer is described per variant.
pub(crate) enum Write {
    /// Inserts runs leased to `owner` until `lease_until` (an empty owner: unleased, for any
    /// replica's worker to claim). Answers `true`.
    InsertRuns {
        runs: Vec<NewRun>,
        owner: String,
        lease_until: i64,
    },
    /// An app event and the runs it starts, leased like [`Write::InsertRuns`]: one commit,
    /// so an event is never recorded without its runs. Answers `true`.
    Event {
        event: NewEvent,
        runs: Vec<NewRun>,
        owner: String,
        lease_until: i64,
    },
    /// Writes a step's row (insert or replace) if `owner` still holds the run; `false`
    /// otherwise, so a replica that lost the run never records a result.
    PutStep {
        run_id: String,
        owner: String,
        row: StepRow,
    },
    /// Updates the run and gives up the lease, if still `owner`'s; `false` otherwise.
    FinishRun {
        run_id: String,
        owner: String,
        update: RunUpdate,
    },
    /// A replay that resumes at the failed step: the new run, leased like
    /// [`Write::InsertRuns`], with copies of the original's finished step rows, so the engine
    /// takes their recorded outputs instead of running them again. One commit. Answers `true`.
    Resume {
        run: NewRun,
        steps: Vec<StepRow>,
        owner: String,
        lease_until: i64,
    },
    /// Records the Response step's answer on the run. Answers `true`.
    SetResponse { run_id: String, response: Value },
    /// A schedule tick and the run it starts, together: records that the schedule `key`
    /// fired for `run.user_id` at `tick` (ms) and inserts the run, leased like
    /// [`Write::InsertRuns`]; `false` (and no run) when some replica already took the tick.
    /// One transaction, so a crash never leaves a tick without its run or a run without its
    /// tick (which a restart would fire again).
    ScheduledRun {
        key: String,
        tick: i64,
        run: NewRun,
        owner: String,
        lease_until: i64,
    },
}

/// Applies `w` on `conn` (inside the caller's transaction).
pub(crate) async fn apply(conn: &mut sqlx::AnyConnection, w: &Write) -> Result<bool, sqlx::Error> {
    match w {
        Write::InsertRuns {
            runs,
            owner,
            lease_until,
        } => {
            for r in runs {
                insert_run(conn, r, owner, *lease_until).await?;
            }
            Ok(true)
        }
        Write::Event {
            event: e,
            runs,
            owner,
            lease_until,
        } => {
            let (id, project, user) = (&e.id, &e.project_id, &e.user_id);
            crate::store::insert_event(conn, id, project, user, &e.name, &e.payload).await?;
            for r in runs {
                insert_run(conn, r, owner, *lease_until).await?;
            }
            Ok(true)
        }
        Write::Resume {
            run,
            steps,
            owner,
            lease_until,
        } => {
            insert_run(conn, run, owner, *lease_until).await?;
            for row in steps {
                put_step(conn, &run.id, owner, row).await?;
            }
            Ok(true)
        }
        Write::PutStep { run_id, owner, row } => put_step(conn, run_id, owner, row).await,
        Write::FinishRun {
            run_id,
            owner,
            update,
        } => finish_run(conn, run_id, owner, update).await,
        Write::SetResponse { run_id, response } => {
            sqlx::query("UPDATE workflow_runs SET response = $1 WHERE id = $2")
                .bind(response.to_string())
                .bind(run_id)
                .execute(conn)
                .await?;
            Ok(true)
        }
        Write::ScheduledRun {
            key,
            tick,
            run,
            owner,
            lease_until,
        } => {
            let taken = sqlx::query(
                "INSERT INTO workflow_ticks (workflow_id, user_id, tick) VALUES ($1, $2, $3) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(key)
            .bind(&run.user_id)
            .bind(tick)
            .execute(&mut *conn)
            .await?;
            if taken.rows_affected() != 1 {
                return Ok(false);
            }
            insert_run(conn, run, owner, *lease_until).await?;
            Ok(true)
        }
    }
}

async fn insert_run(
    conn: &mut sqlx::AnyConnection,
    r: &NewRun,
    owner: &str,
    lease_until: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO workflow_runs (id, project_id, user_id, workflow_id, status, trigger_kind, \
         input, lease_owner, lease_until, replay_of, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(&r.id)
    .bind(&r.project_id)
    .bind(&r.user_id)
    .bind(&r.workflow_id)
    .bind(EXECUTING)
    .bind(&r.trigger_kind)
    .bind(r.input.to_string())
    .bind(owner)
    .bind(lease_until)
    .bind(&r.replay_of)
    .bind(now_ms())
    .execute(conn)
    .await?;
    Ok(())
}

async fn put_step(
    conn: &mut sqlx::AnyConnection,
    run_id: &str,
    owner: &str,
    s: &StepRow,
) -> Result<bool, sqlx::Error> {
    let held =
        sqlx::query("UPDATE workflow_runs SET status = status WHERE id = $1 AND lease_owner = $2")
            .bind(run_id)
            .bind(owner)
            .execute(&mut *conn)
            .await?;
    if held.rows_affected() != 1 {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO workflow_steps (run_id, step_key, idempotency_key, status, attempt, input, \
         output, error, wake_at, started_at, ended_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
         ON CONFLICT (run_id, step_key) DO UPDATE SET idempotency_key = excluded.idempotency_key, \
         status = excluded.status, attempt = excluded.attempt, input = excluded.input, \
         output = excluded.output, error = excluded.error, wake_at = excluded.wake_at, \
         started_at = excluded.started_at, ended_at = excluded.ended_at",
    )
    .bind(run_id)
    .bind(&s.step_key)
    .bind(&s.idempotency_key)
    .bind(&s.status)
    .bind(s.attempt)
    .bind(s.input.as_ref().map(Value::to_string))
    .bind(s.output.as_ref().map(Value::to_string))
    .bind(&s.error)
    .bind(s.wake_at)
    .bind(s.started_at)
    .bind(s.ended_at)
    .execute(conn)
    .await?;
    Ok(true)
}

async fn finish_run(
    conn: &mut sqlx::AnyConnection,
    run_id: &str,
    owner: &str,
    u: &RunUpdate,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE workflow_runs SET status = $1, error = $2, wake_at = $3, ended_at = $4, \
         lease_owner = NULL, lease_until = NULL WHERE id = $5 AND lease_owner = $6",
    )
    .bind(u.status)
    .bind(&u.error)
    .bind(u.wake_at)
    .bind(u.ended.then(now_ms))
    .bind(run_id)
    .bind(owner)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
