//! Workflow benchmark: app events starting a three-step workflow (an Integration Request to
//! Task Lab, a JavaScript Function, a Conditional), on SQLite (a file, WAL, synchronous FULL) and,
//! when `PARAGON_TEST_DATABASE_URL=postgres://…` is set, on PostgreSQL.
//!
//! Task Lab and the server run in this process. `WF_CLIENTS` clients (default 16) send events
//! for `WF_SECS` seconds (default 10); then the bench waits for every run to end and reads the
//! runs' rows: completed runs per second (first trigger to last completion) and
//! trigger-to-completion p50/p99 (the run row's creation to its end, in ms). Any run that did
//! not succeed, or an event whose run is missing, is reported.
//!
//! `cargo bench -p paragon-local --bench workflows`

use paragon_fake_provider::FakeProvider;
use paragon_local::{LocalServer, RunningServer};
use paragon_manifest::workflow::{Context, Workflow};
use sqlx::Row;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const WORKFLOW: &str = r#"
name = "Bench"
default_enabled = true
[trigger]
type = "app_event"
event = "Bench"
[[steps]]
key = "me"
type = "integration_request"
path = "/me"
[[steps]]
key = "shape"
type = "function"
parameters = { me = "{steps.me.output.body}", n = "{trigger.body.n}" }
code = "function yourFunction(p) { return { even: p.n % 2 === 0, id: p.me.id }; }"
[[steps]]
key = "check"
type = "conditional"
conditions = [[{ left = "{steps.shape.output.even}", op = "is_true" }]]
"#;

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Report {
    backend: &'static str,
    sent: u64,
    succeeded: u64,
    other: u64,
    runs_per_sec: f64,
    p50: i64,
    p99: i64,
}

async fn start(db: &str, provider: &paragon_fake_provider::RunningProvider) -> RunningServer {
    let ctx = Context {
        integration: "custom.tasklabkeys".into(),
        events: vec!["Bench".into()],
        ..Default::default()
    };
    let wf = Workflow::parse(WORKFLOW, "specs/tasklab-keys/workflows/bench.toml", &ctx)
        .expect("workflow");
    LocalServer::builder()
        .dev(true)
        .process_env(false)
        .project_id(format!("bench-{}", std::process::id()))
        .secret("TASKLAB_URL", provider.url())
        .specs(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../specs/tasklab-keys"
        ))
        .database_url(db)
        .workflow(wf)
        .start()
        .await
        .expect("server")
}

async fn measure(backend: &'static str, db: &str, secs: u64, clients: u64) -> Report {
    let provider = FakeProvider::builder().start().await.expect("provider");
    let server = start(db, &provider).await;
    let http = reqwest::Client::new();
    let token = server.token("bench").unwrap();
    let base = format!("{}/projects/{}", server.url(), server.project_id());
    let res = http
        .post(format!("{base}/sdk/credentials"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"integrationId": "custom.tasklabkeys", "payload": {"api_key": provider.api_keys()[0]}}))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "credential: {}", res.status());
    let sent = Arc::new(AtomicU64::new(0));
    let stop = Instant::now() + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (http, token, base, sent) = (http.clone(), token.clone(), base.clone(), sent.clone());
        tasks.push(tokio::spawn(async move {
            while Instant::now() < stop {
                let n = sent.fetch_add(1, Ordering::Relaxed);
                let res = http
                    .post(format!("{base}/sdk/events/trigger"))
                    .bearer_auth(&token)
                    .json(&serde_json::json!({"name": "Bench", "payload": {"n": n}}))
                    .send()
                    .await;
                assert!(res.is_ok_and(|r| r.status() == 201), "event refused");
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let sent = sent.load(Ordering::Relaxed);
    // Read the rows directly: the history API pages, the bench wants every run.
    sqlx::any::install_default_drivers();
    let url = if db.starts_with("postgres") {
        db.to_owned()
    } else {
        format!("sqlite://{db}")
    };
    let pool = sqlx::AnyPool::connect(&url).await.expect("database");
    let deadline = Instant::now() + Duration::from_secs(120);
    let rows = loop {
        let rows = sqlx::query(
            "SELECT status, created_at, ended_at FROM workflow_runs WHERE project_id = $1",
        )
        .bind(server.project_id())
        .fetch_all(&pool)
        .await
        .unwrap();
        let open = rows
            .iter()
            .filter(|r| r.get::<Option<i64>, _>("ended_at").is_none())
            .count();
        if open == 0 || Instant::now() > deadline {
            break rows;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let mut latencies = Vec::new();
    let (mut first, mut last, mut succeeded) = (i64::MAX, 0i64, 0u64);
    for r in &rows {
        let created: i64 = r.get("created_at");
        let ended: Option<i64> = r.get("ended_at");
        if r.get::<String, _>("status") == "SUCCEEDED" {
            succeeded += 1;
        }
        if let Some(e) = ended {
            latencies.push(e - created);
            first = first.min(created);
            last = last.max(e);
        }
    }
    latencies.sort_unstable();
    let pct = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0)
    };
    server.shutdown().await;
    Report {
        backend,
        sent,
        succeeded,
        other: rows.len() as u64 - succeeded + sent.saturating_sub(rows.len() as u64),
        runs_per_sec: succeeded as f64 / ((last - first).max(1) as f64 / 1000.0),
        p50: pct(0.50),
        p99: pct(0.99),
    }
}

fn main() {
    let secs = env_num("WF_SECS", 10);
    let clients = env_num("WF_CLIENTS", 16);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let sqlite = dir.path().join("bench.db").display().to_string();
    let mut reports = vec![rt.block_on(measure("SQLite", &sqlite, secs, clients))];
    match std::env::var("PARAGON_TEST_DATABASE_URL") {
        Ok(pg) if pg.starts_with("postgres") => {
            reports.push(rt.block_on(measure("PostgreSQL", &pg, secs, clients)))
        }
        _ => println!("PostgreSQL skipped: set PARAGON_TEST_DATABASE_URL=postgres://…"),
    }
    println!(
        "\nworkflow bench: {clients} clients sending app events for {secs} s; 3 steps per run (integration request, function, conditional)"
    );
    println!(
        "{:<11} {:>7} {:>9} {:>14} {:>12} {:>9} {:>9}",
        "backend", "events", "succeeded", "lost/failed", "runs/s", "p50 ms", "p99 ms"
    );
    for r in reports {
        println!(
            "{:<11} {:>7} {:>9} {:>14} {:>12.0} {:>9} {:>9}",
            r.backend, r.sent, r.succeeded, r.other, r.runs_per_sec, r.p50, r.p99
        );
    }
}
