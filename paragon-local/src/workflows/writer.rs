//! Group commit: the engine's writes on SQLite go through one writer task that commits all
//! the writes waiting for it in one transaction, so many runs share one fsync.
//!
//! Why: SQLite has one writer at a time and, with `synchronous = FULL`, one fsync per commit.
//! A run is about seven commits (event, run, step rows, run end); committed one by one from
//! many tasks they queue on the write lock (SQLite's busy handler sleeps between retries) and
//! the fsyncs bound throughput. Here a write still returns only after the transaction holding
//! it has committed, so durability per write is unchanged; each write runs inside its own
//! savepoint, so one failing write never takes another's with it. PostgreSQL commits
//! concurrently and groups fsyncs itself: there each write is its own transaction.

use super::store::{self, Write};
use crate::store::{Backend, Store, StoreError};
use sqlx::AnyPool;
use std::sync::OnceLock;
use tokio::sync::{mpsc, oneshot};

/// At most this many writes share one transaction (bounds how long the write lock is held).
const MAX_BATCH: usize = 256;

struct Job {
    write: Write,
    reply: oneshot::Sender<Result<bool, StoreError>>,
}

/// The engine's way to write its rows; see the module's documentation.
#[derive(Default)]
pub(crate) struct Writer {
    queue: OnceLock<mpsc::UnboundedSender<Job>>,
}

impl Writer {
    /// Applies `write` durably; the `bool` is the write's own answer (a lease still held, a
    /// schedule tick not yet taken).
    pub(crate) async fn write(&self, store: &Store, write: Write) -> Result<bool, StoreError> {
        if store.backend() == Backend::Postgres {
            let mut tx = store.pool().begin().await?;
            let done = store::apply(&mut tx, &write).await?;
            tx.commit().await?;
            return Ok(done);
        }
        // The task lives as long as this writer (the engine): it ends when the sender drops.
        let queue = self.queue.get_or_init(|| {
            let (tx, rx) = mpsc::unbounded_channel();
            tokio::spawn(run(store.pool().clone(), rx));
            tx
        });
        let (reply, answer) = oneshot::channel();
        queue
            .send(Job { write, reply })
            .map_err(|_| StoreError::Database(sqlx::Error::PoolClosed))?;
        answer
            .await
            .map_err(|_| StoreError::Database(sqlx::Error::PoolClosed))?
    }
}

async fn run(pool: AnyPool, mut queue: mpsc::UnboundedReceiver<Job>) {
    while let Some(first) = queue.recv().await {
        let mut jobs = vec![first];
        while jobs.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        commit(&pool, jobs).await;
    }
}

/// One transaction for `jobs`; each gets its own answer once the transaction committed, or
/// the commit's error.
async fn commit(pool: &AnyPool, jobs: Vec<Job>) {
    let mut tx = match pool.begin().await {
        Ok(tx) => tx,
        Err(e) => return fail(jobs, &e),
    };
    let mut answers = Vec::with_capacity(jobs.len());
    for job in &jobs {
        answers.push(isolated(&mut tx, &job.write).await);
    }
    if let Err(e) = tx.commit().await {
        return fail(jobs, &e);
    }
    for (job, answer) in jobs.into_iter().zip(answers) {
        let _ = job.reply.send(answer);
    }
}

/// `write` inside a savepoint: rolled back alone when it fails.
async fn isolated(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    write: &Write,
) -> Result<bool, StoreError> {
    sqlx::query("SAVEPOINT wf_write").execute(&mut **tx).await?;
    match store::apply(tx, write).await {
        Ok(done) => {
            sqlx::query("RELEASE wf_write").execute(&mut **tx).await?;
            Ok(done)
        }
        Err(e) => {
            sqlx::query("ROLLBACK TO wf_write")
                .execute(&mut **tx)
                .await?;
            sqlx::query("RELEASE wf_write").execute(&mut **tx).await?;
            Err(e.into())
        }
    }
}

fn fail(jobs: Vec<Job>, e: &sqlx::Error) {
    tracing::error!(error = %e, writes = jobs.len(), "cannot commit workflow writes");
    for job in jobs {
        let _ = job
            .reply
            .send(Err(StoreError::Database(sqlx::Error::Protocol(format!(
                "the workflow writes' transaction failed: {e}"
            )))));
    }
}
