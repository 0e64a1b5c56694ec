//! Executing a run: step after step, each result committed under the run's lease before the
//! next starts; branches, fan-out, delays, retries and continue-on-error.

use super::render::{Scope, redact, redact_value};
use super::steps::{self, StepCtx};
use super::store::{self, DELAYED, EXECUTING, FAILED, Run, RunUpdate, SUCCEEDED, StepRow, Write};
use crate::state::Shared;
use crate::store::{StoreError, now_ms};
use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use paragon_manifest::workflow::{Step, StepKind, Workflow};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// How a list of steps ended.
enum Outcome {
    Done,
    /// Waiting for a timer (ms).
    Suspended(i64),
    Failed(String),
    /// Another replica holds the run now (or the store failed): stop without writing.
    Lost,
}

/// Executes `run_id` in the background (it must be leased to this replica).
pub(crate) fn spawn(app: &Shared, run_id: String) {
    let app = app.clone();
    tokio::spawn(async move { execute(&app, &run_id).await });
}

/// Executes a run leased to this replica, until it ends, waits for a timer or is lost.
pub(crate) async fn execute(app: &Shared, run_id: &str) {
    let engine = &app.workflows;
    if !engine.enter(run_id) {
        return;
    }
    if let Err(e) = execute_leased(app, run_id).await {
        tracing::error!(run = %run_id, error = %e, "workflow run stopped on a store error; it resumes when its lease lapses");
    }
    engine.leave(run_id);
}

async fn execute_leased(app: &Shared, run_id: &str) -> Result<(), StoreError> {
    let engine = &app.workflows;
    let Some(run) = store::get_run(&app.store, &app.project_id, run_id).await? else {
        return Ok(());
    };
    let lost = Arc::new(AtomicBool::new(false));
    let heartbeat = tokio::spawn(heartbeat(app.clone(), run_id.to_owned(), lost.clone()));
    let outcome = match engine.find(&run.workflow_id) {
        Some(w) => {
            let rows = store::steps(&app.store, run_id).await?;
            let runner = Runner {
                app,
                run: &run,
                wf: &w.wf,
                wf_id: &w.id,
                rows: Mutex::new(rows.into_iter().map(|r| (r.step_key.clone(), r)).collect()),
                used_secrets: Mutex::new(Vec::new()),
                lost: &lost,
            };
            runner.run().await
        }
        None => Outcome::Failed(format!(
            "workflow {} is not defined on this server",
            run.workflow_id
        )),
    };
    heartbeat.abort();
    let owner = &engine.owner;
    let update = match &outcome {
        Outcome::Lost => return Ok(()),
        Outcome::Done => RunUpdate {
            status: SUCCEEDED,
            error: None,
            wake_at: None,
            ended: true,
        },
        Outcome::Suspended(at) => RunUpdate {
            status: DELAYED,
            error: None,
            wake_at: Some(*at),
            ended: false,
        },
        Outcome::Failed(e) => RunUpdate {
            status: FAILED,
            error: Some(e.clone()),
            wake_at: None,
            ended: true,
        },
    };
    let finish = Write::FinishRun {
        run_id: run_id.to_owned(),
        owner: owner.clone(),
        update,
    };
    engine.writer.write(&app.store, finish).await?;
    match outcome {
        Outcome::Suspended(at) => engine.suspended(run_id, at),
        Outcome::Failed(e) => engine.answer(run_id, Err(e)),
        Outcome::Done => engine.answer(
            run_id,
            Err("the workflow ended without reaching its Response step".into()),
        ),
        Outcome::Lost => {}
    }
    Ok(())
}

/// Renews the lease every third of its length; flags `lost` when another replica has it.
async fn heartbeat(app: Shared, run_id: String, lost: Arc<AtomicBool>) {
    let lease = app.workflows.config.lease;
    loop {
        tokio::time::sleep(lease / 3).await;
        let until = now_ms() + lease.as_millis() as i64;
        match store::renew(&app.store, &run_id, &app.workflows.owner, until).await {
            Ok(true) => {}
            Ok(false) => {
                lost.store(true, Ordering::SeqCst);
                return;
            }
            Err(e) => tracing::warn!(run = %run_id, error = %e, "cannot renew a workflow lease"),
        }
    }
}

struct Runner<'a> {
    app: &'a Shared,
    run: &'a Run,
    wf: &'a Workflow,
    wf_id: &'a str,
    /// The run's step rows as last read or written, by row key (`key` or `key[i]`).
    rows: Mutex<HashMap<String, StepRow>>,
    used_secrets: Mutex<Vec<String>>,
    lost: &'a AtomicBool,
}

fn set_step(data: &mut Value, key: &str, field: &str, value: Value) {
    if let Some(steps) = data.get_mut("steps").and_then(Value::as_object_mut) {
        let entry = steps.entry(key.to_owned()).or_insert_with(|| json!({}));
        if let Some(m) = entry.as_object_mut() {
            m.insert(field.to_owned(), value);
        }
    }
}

impl Runner<'_> {
    async fn run(&self) -> Outcome {
        let mut data = match self.initial_data().await {
            Ok(d) => d,
            Err(e) => return Outcome::Failed(e),
        };
        let keys: Vec<String> = self.wf.top_level().map(|s| s.key.clone()).collect();
        self.run_list(keys, &mut data, String::new()).await
    }

    async fn initial_data(&self) -> Result<Value, String> {
        let store = &self.app.store;
        let meta = store
            .user_meta(&self.run.project_id, &self.run.user_id)
            .await
            .map_err(|e| e.to_string())?;
        let creds = store
            .cached_credentials(&self.run.project_id, &self.run.user_id)
            .await
            .map_err(|e| e.to_string())?;
        let config = creds
            .iter()
            .find(|c| c.integration == self.wf.integration())
            .map(|c| c.config.clone())
            .unwrap_or(Value::Null);
        // The integration's own settings first: a workflow's setting of the same key wins.
        let mut settings = match self.app.integrations.get(self.wf.integration()) {
            Some(i) => crate::settings::effective(&i.manifest, &config),
            None => Map::new(),
        };
        for s in self.wf.settings() {
            let value = [
                config.pointer(&format!("/workflowSettings/{}/{}", self.wf_id, s.key)),
                config.pointer(&format!("/workflowSettings/{}", s.key)),
                config.pointer(&format!("/sharedSettings/{}", s.key)),
            ]
            .into_iter()
            .flatten()
            .next()
            .cloned()
            .or_else(|| s.default.clone().map(Value::String));
            match value {
                Some(v) => {
                    settings.insert(s.key.clone(), v);
                }
                None if s.required => {
                    return Err(format!(
                        "the user has not set the required setting `{}`",
                        s.key
                    ));
                }
                None => {}
            }
        }
        Ok(json!({ "trigger": self.run.input, "steps": {}, "user": meta, "settings": settings }))
    }

    fn run_list<'s>(
        &'s self,
        keys: Vec<String>,
        data: &'s mut Value,
        suffix: String,
    ) -> BoxFuture<'s, Outcome> {
        Box::pin(async move {
            for key in keys {
                let Some(step) = self.wf.step(&key) else {
                    continue;
                };
                match self.run_step(step, data, &suffix).await {
                    Outcome::Done => {}
                    other => return other,
                }
            }
            Outcome::Done
        })
    }

    /// [`Runner::run_list`] over its own copy of the data (a fan-out branch).
    fn run_owned(
        &self,
        keys: Vec<String>,
        mut data: Value,
        suffix: String,
    ) -> BoxFuture<'_, Outcome> {
        Box::pin(async move { self.run_list(keys, &mut data, suffix).await })
    }

    fn scope<'s>(&'s self, data: &'s Value) -> Scope<'s> {
        Scope {
            data,
            secrets: &self.app.secrets,
            used_secrets: &self.used_secrets,
        }
    }

    /// Commits a row if the lease is still ours (secrets redacted).
    async fn put(&self, mut row: StepRow) -> bool {
        if self.lost.load(Ordering::SeqCst) {
            return false;
        }
        row.input = row.input.map(|v| redact_value(&v, &self.used_secrets));
        row.output = row.output.map(|v| redact_value(&v, &self.used_secrets));
        row.error = row.error.map(|e| redact(e, &self.used_secrets));
        let write = Write::PutStep {
            run_id: self.run.id.clone(),
            owner: self.app.workflows.owner.clone(),
            row: row.clone(),
        };
        match self
            .app
            .workflows
            .writer
            .write(&self.app.store, write)
            .await
        {
            Ok(true) => {
                let mut rows = self.rows.lock().unwrap_or_else(|e| e.into_inner());
                rows.insert(row.step_key.clone(), row);
                true
            }
            Ok(false) => false,
            Err(e) => {
                tracing::error!(run = %self.run.id, error = %e, "cannot record a step");
                false
            }
        }
    }

    fn new_row(&self, row_key: &str, prev: Option<&StepRow>, status: &str) -> StepRow {
        StepRow {
            step_key: row_key.to_owned(),
            idempotency_key: uuid::Uuid::new_v5(
                &uuid::Uuid::NAMESPACE_OID,
                format!("{}/{row_key}", self.run.id).as_bytes(),
            )
            .to_string(),
            status: status.to_owned(),
            attempt: prev.map_or(1, |p| p.attempt + 1),
            input: None,
            output: None,
            error: None,
            wake_at: None,
            started_at: now_ms(),
            ended_at: None,
        }
    }

    async fn run_step(&self, step: &Step, data: &mut Value, suffix: &str) -> Outcome {
        let row_key = format!("{}{suffix}", step.key);
        let prev = self
            .rows
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&row_key)
            .cloned();
        let output = match prev.as_ref().map(|p| p.status.as_str()) {
            Some(SUCCEEDED) => prev
                .as_ref()
                .and_then(|p| p.output.clone())
                .unwrap_or(Value::Null),
            Some(FAILED) if step.continue_on_error => Value::Null,
            Some(DELAYED) => {
                let p = prev.as_ref().expect("a delayed row");
                if let Some(at) = p.wake_at.filter(|at| *at > now_ms()) {
                    return Outcome::Suspended(at);
                }
                let row = StepRow {
                    status: SUCCEEDED.into(),
                    ended_at: Some(now_ms()),
                    output: Some(Value::Null),
                    ..p.clone()
                };
                if !self.put(row).await {
                    return Outcome::Lost;
                }
                Value::Null
            }
            _ => match self
                .execute_fresh(step, data, suffix, &row_key, prev.as_ref())
                .await
            {
                Ok(v) => v,
                Err(outcome) => return outcome,
            },
        };
        set_step(data, &step.key, "output", output.clone());
        if let StepKind::Conditional {
            then, otherwise, ..
        } = &step.kind
        {
            let branch = if output.get("result") == Some(&Value::Bool(true)) {
                then
            } else {
                otherwise
            };
            return self.run_list(branch.clone(), data, suffix.to_owned()).await;
        }
        Outcome::Done
    }

    /// Runs a step that has no finished row; `Err` is how the run stops.
    async fn execute_fresh(
        &self,
        step: &Step,
        data: &mut Value,
        suffix: &str,
        row_key: &str,
        prev: Option<&StepRow>,
    ) -> Result<Value, Outcome> {
        match &step.kind {
            StepKind::Delay { duration } => {
                let at = now_ms() + duration.as_millis() as i64;
                let row = StepRow {
                    wake_at: Some(at),
                    ..self.new_row(row_key, prev, DELAYED)
                };
                if !self.put(row).await {
                    return Err(Outcome::Lost);
                }
                Err(Outcome::Suspended(at))
            }
            StepKind::FanOut {
                items,
                concurrency,
                steps: children,
            } => {
                self.fan_out(
                    step,
                    items,
                    *concurrency,
                    children,
                    data,
                    suffix,
                    row_key,
                    prev,
                )
                .await
            }
            _ => self.execute_with_retry(step, data, row_key, prev).await,
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn fan_out(
        &self,
        step: &Step,
        items: &paragon_manifest::workflow::Value,
        concurrency: u32,
        children: &[String],
        data: &Value,
        suffix: &str,
        row_key: &str,
        prev: Option<&StepRow>,
    ) -> Result<Value, Outcome> {
        let list = match self.scope(data).value(items) {
            Ok(Value::Array(a)) => a,
            Ok(other) => {
                return Err(self
                    .fail_step(
                        step,
                        row_key,
                        prev,
                        format!("fan-out items must be an array, got {other}"),
                    )
                    .await);
            }
            Err(e) => return Err(self.fail_step(step, row_key, prev, e).await),
        };
        if prev.is_none() {
            let row = StepRow {
                input: Some(json!({ "count": list.len() })),
                ..self.new_row(row_key, prev, EXECUTING)
            };
            if !self.put(row).await {
                return Err(Outcome::Lost);
            }
        }
        let mut branches = Vec::with_capacity(list.len());
        for (i, item) in list.iter().enumerate() {
            let mut item_data = data.clone();
            set_step(&mut item_data, &step.key, "item", item.clone());
            set_step(&mut item_data, &step.key, "index", json!(i));
            branches.push(self.run_owned(children.to_vec(), item_data, format!("{suffix}[{i}]")));
        }
        let outcomes: Vec<Outcome> = futures_util::stream::iter(branches)
            .buffer_unordered(concurrency.max(1) as usize)
            .collect()
            .await;
        let mut wake: Option<i64> = None;
        for o in outcomes {
            match o {
                Outcome::Done => {}
                Outcome::Suspended(at) => wake = Some(wake.map_or(at, |w| w.min(at))),
                other => return Err(other),
            }
        }
        if let Some(at) = wake {
            return Err(Outcome::Suspended(at));
        }
        let output = json!({ "count": list.len() });
        let base = self
            .rows
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(row_key)
            .cloned();
        let row = StepRow {
            status: SUCCEEDED.into(),
            output: Some(output.clone()),
            ended_at: Some(now_ms()),
            ..base.unwrap_or_else(|| self.new_row(row_key, None, SUCCEEDED))
        };
        if !self.put(row).await {
            return Err(Outcome::Lost);
        }
        Ok(output)
    }

    async fn fail_step(
        &self,
        step: &Step,
        row_key: &str,
        prev: Option<&StepRow>,
        error: String,
    ) -> Outcome {
        let row = StepRow {
            error: Some(error.clone()),
            ended_at: Some(now_ms()),
            ..self.new_row(row_key, prev, FAILED)
        };
        if !self.put(row).await {
            return Outcome::Lost;
        }
        Outcome::Failed(format!(
            "step `{}` failed: {}",
            step.key,
            redact(error, &self.used_secrets)
        ))
    }

    async fn execute_with_retry(
        &self,
        step: &Step,
        data: &Value,
        row_key: &str,
        prev: Option<&StepRow>,
    ) -> Result<Value, Outcome> {
        let mut last = prev.cloned();
        let mut tries = 0u32;
        // JavaScript functions and conditions have no effect outside the run: running one
        // again after a crash is harmless, so only their result is written (one commit less).
        let pure = matches!(
            step.kind,
            StepKind::Function { .. } | StepKind::Conditional { .. }
        );
        loop {
            let mut row = self.new_row(row_key, last.as_ref(), EXECUTING);
            row.input = self.input_of(step, data);
            if !pure && !self.put(row.clone()).await {
                return Err(Outcome::Lost);
            }
            let result = self.call(step, data, &row.idempotency_key).await;
            row.ended_at = Some(now_ms());
            match result {
                Ok(output) => {
                    row.status = SUCCEEDED.into();
                    row.output = Some(output.clone());
                    if !self.put(row).await {
                        return Err(Outcome::Lost);
                    }
                    if let StepKind::Response { .. } = step.kind {
                        let stored = redact_value(&output, &self.used_secrets);
                        let write = Write::SetResponse {
                            run_id: self.run.id.clone(),
                            response: stored,
                        };
                        if self
                            .app
                            .workflows
                            .writer
                            .write(&self.app.store, write)
                            .await
                            .is_err()
                        {
                            return Err(Outcome::Lost);
                        }
                        self.app.workflows.answer(&self.run.id, Ok(output.clone()));
                    }
                    return Ok(output);
                }
                Err(e) if tries < step.retry.attempts => {
                    row.status = FAILED.into();
                    row.error = Some(e);
                    if !self.put(row.clone()).await {
                        return Err(Outcome::Lost);
                    }
                    let wait = step.retry.backoff * 2u32.saturating_pow(tries);
                    tries += 1;
                    tokio::time::sleep(wait).await;
                    last = Some(row);
                }
                Err(e) => {
                    row.status = FAILED.into();
                    row.error = Some(e.clone());
                    if !self.put(row).await {
                        return Err(Outcome::Lost);
                    }
                    if step.continue_on_error {
                        return Ok(Value::Null);
                    }
                    return Err(Outcome::Failed(format!(
                        "step `{}` failed: {}",
                        step.key,
                        redact(e, &self.used_secrets)
                    )));
                }
            }
        }
    }

    /// What the history shows as the step's input.
    fn input_of(&self, step: &Step, data: &Value) -> Option<Value> {
        let scope = self.scope(data);
        match &step.kind {
            StepKind::IntegrationRequest { call, .. } | StepKind::Request { call } => {
                Some(steps::call_input(call, &scope))
            }
            StepKind::Function { parameters, .. } | StepKind::RustFunction { parameters, .. } => {
                scope.value(parameters).ok()
            }
            _ => None,
        }
    }

    async fn call(
        &self,
        step: &Step,
        data: &Value,
        idempotency_key: &str,
    ) -> Result<Value, String> {
        let scope = self.scope(data);
        let ctx = StepCtx {
            app: self.app,
            project_id: &self.run.project_id,
            user_id: &self.run.user_id,
            idempotency_key,
        };
        match &step.kind {
            StepKind::IntegrationRequest {
                integration,
                call,
                pagination,
            } => {
                let slug = integration.as_deref().unwrap_or(self.wf.integration());
                steps::integration_request(&ctx, slug, call, pagination.as_ref(), &scope).await
            }
            StepKind::Request { call } => steps::request(&ctx, call, &scope).await,
            StepKind::Function { code, parameters } => {
                let parameters = scope.value(parameters)?;
                steps::function(code, parameters, self.app.workflows.config.js).await
            }
            StepKind::RustFunction { name, parameters } => {
                let parameters = scope.value(parameters)?;
                let f = self.app.workflows.functions.get(name).ok_or_else(|| {
                    format!("no Rust function `{name}` is registered on this server")
                })?;
                f(parameters).await
            }
            StepKind::Conditional { conditions, .. } => {
                Ok(json!({ "result": steps::conditions(conditions, &scope)? }))
            }
            StepKind::Response { status, body } => {
                Ok(json!({ "status": status, "body": scope.value(body)? }))
            }
            other => Err(format!("step type `{}` is not run here", other.type_name())),
        }
    }
}
