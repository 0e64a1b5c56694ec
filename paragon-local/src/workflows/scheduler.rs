//! The replica's worker: claims runnable runs (timers that fired, runs whose replica died)
//! and fires due schedules, once per tick across replicas.

use super::engine;
use super::store;
use crate::state::Shared;
use crate::store::now_ms;
use chrono::{TimeZone, Utc};
use paragon_manifest::workflow::Trigger;
use serde_json::json;
use std::sync::Weak;

/// Runs claimed per poll.
const CLAIM_BATCH: i64 = 32;

/// Starts the worker; it stops when the server's state is dropped.
pub(crate) fn spawn_worker(app: Weak<crate::state::AppState>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut last_poll = now_ms();
        loop {
            let Some(state) = app.upgrade() else { return };
            let poll = state.workflows.config.poll;
            let now = now_ms();
            if let Err(e) = claim(&state).await {
                tracing::warn!(error = %e, "cannot claim workflow runs");
            }
            if let Err(e) = schedules(&state, last_poll, now).await {
                tracing::warn!(error = %e, "cannot fire workflow schedules");
            }
            last_poll = now;
            drop(state);
            tokio::time::sleep(poll).await;
        }
    })
}

async fn claim(app: &Shared) -> Result<(), crate::store::StoreError> {
    let until = now_ms() + app.workflows.config.lease.as_millis() as i64;
    let ids = store::claim(
        &app.store,
        &app.project_id,
        &app.workflows.owner,
        until,
        CLAIM_BATCH,
    )
    .await?;
    for id in ids {
        engine::spawn(app, id);
    }
    Ok(())
}

/// The cron ticks in `(from, to]` (ms), in the workflow's time zone.
fn ticks(cron: &str, timezone: &str, from: i64, to: i64) -> Vec<i64> {
    let (Ok(cron), Ok(tz)) = (
        cron.parse::<croner::Cron>(),
        timezone.parse::<chrono_tz::Tz>(),
    ) else {
        return Vec::new();
    };
    let Some(start) = Utc.timestamp_millis_opt(from).single() else {
        return Vec::new();
    };
    cron.iter_after(start.with_timezone(&tz))
        .map(|t| t.timestamp_millis())
        .take_while(|t| *t <= to)
        .take(100)
        .collect()
}

/// Fires each schedule tick in `(from, to]` for every connected user with the workflow
/// enabled; the tick row makes it once across replicas.
async fn schedules(app: &Shared, from: i64, to: i64) -> Result<(), crate::store::StoreError> {
    for w in &app.workflows.workflows {
        let Trigger::Schedule { cron, timezone } = w.wf.trigger() else {
            continue;
        };
        let due = ticks(cron, timezone, from, to);
        if due.is_empty() {
            continue;
        }
        let users = store::connected_users(&app.store, &app.project_id, w.wf.integration()).await?;
        let states = store::workflow_states(&app.store, &app.project_id, &w.id).await?;
        for user in users {
            let on = states
                .iter()
                .find(|(u, _)| *u == user)
                .map_or(w.wf.default_enabled(), |(_, on)| *on);
            if !on {
                continue;
            }
            for tick in &due {
                // Ticks are keyed by project too: projects may share a database.
                let run = store::NewRun {
                    id: crate::store::new_id(),
                    project_id: app.project_id.clone(),
                    user_id: user.clone(),
                    workflow_id: w.id.clone(),
                    trigger_kind: "schedule".into(),
                    input: json!({ "body": { "scheduledAt": crate::api::date(*tick) } }),
                    replay_of: None,
                };
                let id = run.id.clone();
                let write = store::Write::ScheduledRun {
                    key: format!("{}/{}", app.project_id, w.id),
                    tick: *tick,
                    run,
                    owner: app.workflows.owner.clone(),
                    lease_until: now_ms() + app.workflows.config.lease.as_millis() as i64,
                };
                if app.workflows.writer.write(&app.store, write).await? {
                    engine::spawn(app, id);
                }
            }
        }
    }
    Ok(())
}
