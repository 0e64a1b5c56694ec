//! Workflow benchmark: app events starting a three-step workflow (an Integration Request to
//! Task Lab, a JavaScript Function, a Conditional), on SQLite (a file, WAL, synchronous FULL) and,
//! when `PARAGON_TEST_DATABASE_URL=postgres://…` is set, on PostgreSQL.
//!
//! Task Lab and the server run in this process. `WF_CLIENTS` clients (default 16) send events
//! for `WF_SECS` seconds (default 10), as fast as they are answered or, with `WF_RATE=N`, N
//! events per second in all; then the bench waits for every run to end and reads the runs'
//! rows: completed runs per second (first trigger to last completion) and trigger-to-completion
//! p50/p99 (the run row's creation to its end, in ms). Any run that did not succeed, or an
//! event whose run is missing, is reported. Latency at saturation is mostly queueing, so the
//! p99 target is read at a fixed offered rate (`WF_RATE=200`).
//!
//! Then the crash round (`WF_KILL=0` skips it): the `paragon-local` binary serves a workflow
//! whose first step creates a task at Task Lab (after a 100 ms wait there); events arrive at `WF_RATE` (default 100/s)
//! for `WF_SECS`; halfway the server is killed with SIGKILL and started again on the same
//! SQLite file. The bench then checks that every run the server acknowledged (and every run
//! it recorded) ended SUCCEEDED exactly once, and that every run's task exists at Task Lab;
//! a task created twice is only allowed for a run that was unfinished at the kill (its step
//! was in flight: at least once, with the same idempotency key).
//!
//! `cargo bench -p paragon-local --bench workflows`

use paragon_fake_provider::{FakeProvider, RunningProvider};
use paragon_local::{LocalServer, RunningServer};
use paragon_manifest::workflow::{Context, Workflow};
use sqlx::Row;
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
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

/// When the `n`th event is due at `rate` events/s (`None`: at once).
fn due(start: Instant, n: u64, rate: u64) -> Option<Instant> {
    (rate > 0).then(|| start + Duration::from_secs_f64(n as f64 / rate as f64))
}

async fn measure(backend: &'static str, db: &str, load: Load) -> Report {
    let Load {
        secs,
        clients,
        rate,
    } = load;
    let provider = FakeProvider::builder().start().await.expect("provider");
    let server = start(db, &provider).await;
    let http = reqwest::Client::new();
    let token = server.token("bench").unwrap();
    let base = format!("{}/projects/{}", server.url(), server.project_id());
    let res = http
        .post(format!("{base}/sdk/credentials"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"integrationId": server.integration_id("custom.tasklabkeys").expect("listed"), "payload": {"api_key": provider.api_keys()[0]}}))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "credential: {}", res.status());
    let sent = Arc::new(AtomicU64::new(0));
    let begin = Instant::now();
    let stop = begin + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (http, token, base, sent) = (http.clone(), token.clone(), base.clone(), sent.clone());
        tasks.push(tokio::spawn(async move {
            while Instant::now() < stop {
                let n = sent.fetch_add(1, Ordering::Relaxed);
                if let Some(at) = due(begin, n, rate) {
                    tokio::time::sleep_until(at.into()).await;
                }
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

/// The crash round's workflow: its first step has an effect at Task Lab (a task per run), and
/// Task Lab waits 100 ms before taking it, so some runs are always in flight at the kill.
const CRASH_WORKFLOW: &str = r#"
name = "Crash"
default_enabled = true
[trigger]
type = "app_event"
event = "Crash"
[[steps]]
key = "create"
type = "integration_request"
method = "POST"
path = "/tasks"
headers = { "X-Fake-Delay-Ms" = "100" }
body = { title = "run {trigger.body.n}" }
[[steps]]
key = "shape"
type = "function"
parameters = { task = "{steps.create.output.body}", n = "{trigger.body.n}" }
code = "function yourFunction(p) { return { even: p.n % 2 === 0, id: p.task.id }; }"
[[steps]]
key = "check"
type = "conditional"
conditions = [[{ left = "{steps.shape.output.even}", op = "is_true" }]]
"#;

/// A specs folder with Task Lab Keys, the crash workflow and its event.
fn crash_specs(dir: &Path) -> PathBuf {
    let root = dir.join("specs");
    let keys = root.join("tasklab-keys");
    std::fs::create_dir_all(keys.join("workflows")).unwrap();
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../specs/tasklab-keys");
    for f in ["integration.toml", "icon.svg"] {
        std::fs::copy(shipped.join(f), keys.join(f)).unwrap();
    }
    std::fs::write(keys.join("workflows/crash.toml"), CRASH_WORKFLOW).unwrap();
    std::fs::write(root.join("events.toml"), "[[events]]\nname = \"Crash\"\n").unwrap();
    root
}

/// Starts the binary in `dir` (its dev key and SQLite file live there); returns it and its URL.
fn serve(dir: &Path, specs: &Path, provider: &RunningProvider) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_paragon-local"))
        .args(["serve", "--dev", "--listen", "127.0.0.1:0"])
        // A short lease: the restarted server takes over the killed one's runs soon.
        .args(["--workflow-lease", "2", "--specs"])
        .arg(specs)
        .env("TASKLAB_URL", provider.url())
        .env("RUST_LOG", "info")
        .env_remove("PARAGON_LOCAL_DATABASE_URL")
        .current_dir(dir)
        .stderr(Stdio::piped())
        .spawn()
        .expect("the paragon-local binary");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let url = loop {
        let line = lines.next().expect("server output").unwrap();
        if let Some(rest) = line.split("listening on ").nth(1) {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    (child, url)
}

/// What the crash round found.
struct CrashReport {
    acknowledged: usize,
    recorded: usize,
    succeeded: usize,
    unfinished_at_kill: usize,
    missing_tasks: usize,
    doubled_tasks: usize,
    restart_ms: u128,
}

/// Every task at Task Lab, by title.
async fn task_titles(provider: &RunningProvider) -> HashMap<String, usize> {
    let http = reqwest::Client::new();
    let mut titles = HashMap::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = format!("{}/task-pages?limit=100", provider.api_url());
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let page: serde_json::Value = http
            .get(url)
            .header("X-Api-Key", provider.api_keys()[0])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for t in page["tasks"].as_array().unwrap() {
            *titles
                .entry(t["title"].as_str().unwrap().to_owned())
                .or_default() += 1;
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return titles,
        }
    }
}

/// `(run id, n, status, ended)` of every run in the SQLite file.
async fn run_rows(db: &Path) -> Vec<(String, i64, String, bool)> {
    let url = format!("sqlite://{}", db.display());
    let pool = sqlx::AnyPool::connect(&url).await.expect("database");
    let rows = sqlx::query("SELECT id, input, status, ended_at FROM workflow_runs")
        .fetch_all(&pool)
        .await
        .unwrap();
    pool.close().await;
    rows.iter()
        .map(|r| {
            let input: serde_json::Value =
                serde_json::from_str(&r.get::<String, _>("input")).unwrap();
            (
                r.get("id"),
                input["body"]["n"].as_i64().unwrap(),
                r.get("status"),
                r.get::<Option<i64>, _>("ended_at").is_some(),
            )
        })
        .collect()
}

async fn crash_round(load: Load) -> CrashReport {
    let provider = FakeProvider::builder().start().await.expect("provider");
    let dir = tempfile::tempdir().unwrap();
    let specs = crash_specs(dir.path());
    let (child, url) = serve(dir.path(), &specs, &provider);
    let dev = dir.path().join(".paragon-local-dev");
    let project = std::fs::read_to_string(dev.join("project-id")).unwrap();
    let pem = std::fs::read_to_string(dev.join("signing-key.pem")).unwrap();
    let token = paragon_local::ProjectKey::from_private_pem(&pem)
        .unwrap()
        .mint(project.trim(), "bench", Duration::from_secs(3600))
        .unwrap();
    let base = Arc::new(Mutex::new(format!("{url}/projects/{}", project.trim())));
    let http = reqwest::Client::new();
    let credentials = format!("{url}/projects/{}/sdk/credentials", project.trim());
    let integration = listed_integration_id(
        &http,
        &format!("{url}/projects/{}", project.trim()),
        &token,
        "custom.tasklabkeys",
    )
    .await;
    let res = http
        .post(credentials)
        .bearer_auth(&token)
        .json(&serde_json::json!({"integrationId": integration, "payload": {"api_key": provider.api_keys()[0]}}))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "credential: {}", res.status());

    let rate = if load.rate > 0 { load.rate } else { 100 };
    let sent = Arc::new(AtomicU64::new(0));
    let acked = Arc::new(Mutex::new(Vec::<(String, u64)>::new()));
    let begin = Instant::now();
    let stop = begin + Duration::from_secs(load.secs);
    let mut tasks = Vec::new();
    for _ in 0..load.clients {
        let (http, token, base) = (http.clone(), token.clone(), base.clone());
        let (sent, acked) = (sent.clone(), acked.clone());
        tasks.push(tokio::spawn(async move {
            while Instant::now() < stop {
                let n = sent.fetch_add(1, Ordering::Relaxed);
                if let Some(at) = due(begin, n, rate) {
                    tokio::time::sleep_until(at.into()).await;
                }
                let url = format!("{}/sdk/events/trigger", base.lock().unwrap());
                let res = http
                    .post(url)
                    .bearer_auth(&token)
                    .json(&serde_json::json!({"name": "Crash", "payload": {"n": n}}))
                    .send()
                    .await;
                // Refused while the server is down: the app would retry; not acknowledged.
                let Ok(res) = res else { continue };
                if res.status() != 201 {
                    continue;
                }
                let body: serde_json::Value = res.json().await.unwrap_or_default();
                if let Some(id) = body["workflowExecutionIds"][0].as_str() {
                    acked.lock().unwrap().push((id.to_owned(), n));
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(load.secs) / 2).await;
    let mut child = child;
    child.kill().unwrap(); // SIGKILL: no graceful shutdown, leases left held.
    child.wait().unwrap();
    let killed = Instant::now();
    let db = dir.path().join("paragon-local.db");
    let unfinished_at_kill: Vec<(String, i64, String, bool)> =
        run_rows(&db).await.into_iter().filter(|r| !r.3).collect();
    let (mut child, url) = serve(dir.path(), &specs, &provider);
    let restart_ms = killed.elapsed().as_millis();
    *base.lock().unwrap() = format!("{url}/projects/{}", project.trim());
    for t in tasks {
        t.await.unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    let rows = loop {
        let rows = run_rows(&db).await;
        if rows.iter().all(|r| r.3) || Instant::now() > deadline {
            break rows;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    child.kill().unwrap();
    child.wait().unwrap();

    let acked = acked.lock().unwrap().clone();
    let by_id: HashMap<&str, &(String, i64, String, bool)> =
        rows.iter().map(|r| (r.0.as_str(), r)).collect();
    for (id, n) in &acked {
        let row = by_id.get(id.as_str());
        assert!(row.is_some(), "acknowledged run {id} (event {n}) was lost");
    }
    let mut per_event: HashMap<i64, usize> = HashMap::new();
    for r in &rows {
        *per_event.entry(r.1).or_default() += 1;
    }
    assert!(per_event.values().all(|c| *c == 1), "an event has two runs");
    let succeeded = rows.iter().filter(|r| r.2 == "SUCCEEDED").count();
    assert_eq!(succeeded, rows.len(), "every recorded run succeeded, once");
    let titles = task_titles(&provider).await;
    let unfinished: std::collections::HashSet<i64> =
        unfinished_at_kill.iter().map(|r| r.1).collect();
    let (mut missing, mut doubled) = (0, 0);
    for r in &rows {
        match titles.get(&format!("run {}", r.1)).copied().unwrap_or(0) {
            0 => missing += 1,
            1 => {}
            _ => {
                doubled += 1;
                assert!(
                    unfinished.contains(&r.1),
                    "run {} created its task twice but was not in flight at the kill",
                    r.0
                );
            }
        }
    }
    assert_eq!(missing, 0, "a run's effect at Task Lab is missing");
    assert_eq!(titles.len(), rows.len(), "a task without a run");
    CrashReport {
        acknowledged: acked.len(),
        recorded: rows.len(),
        succeeded,
        unfinished_at_kill: unfinished_at_kill.len(),
        missing_tasks: missing,
        doubled_tasks: doubled,
        restart_ms,
    }
}

/// The offered load.
#[derive(Clone, Copy)]
struct Load {
    secs: u64,
    clients: u64,
    /// Events per second in all; 0: as fast as the server answers.
    rate: u64,
}

fn main() {
    let load = Load {
        secs: env_num("WF_SECS", 10),
        clients: env_num("WF_CLIENTS", 16),
        rate: env_num("WF_RATE", 0),
    };
    let Load {
        secs,
        clients,
        rate,
    } = load;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let sqlite = dir.path().join("bench.db").display().to_string();
    let mut reports = vec![rt.block_on(measure("SQLite", &sqlite, load))];
    match std::env::var("PARAGON_TEST_DATABASE_URL") {
        Ok(pg) if pg.starts_with("postgres") => {
            reports.push(rt.block_on(measure("PostgreSQL", &pg, load)))
        }
        _ => println!("PostgreSQL skipped: set PARAGON_TEST_DATABASE_URL=postgres://…"),
    }
    let offered = if rate > 0 {
        format!("{rate} events/s")
    } else {
        "as fast as answered".into()
    };
    println!(
        "\nworkflow bench: {clients} clients sending app events for {secs} s ({offered}); 3 steps per run (integration request, function, conditional)"
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
    if env_num("WF_KILL", 1) == 0 {
        return;
    }
    let c = rt.block_on(crash_round(load));
    println!(
        "\ncrash round (SQLite, the binary, kill -9 halfway, restarted in {} ms): {} runs acknowledged, {} recorded, {} succeeded once; {} unfinished at the kill; tasks at Task Lab: {} missing, {} created twice (a step in flight at the kill, run again)",
        c.restart_ms,
        c.acknowledged,
        c.recorded,
        c.succeeded,
        c.unfinished_at_kill,
        c.missing_tasks,
        c.doubled_tasks
    );
}

/// The UUID of the integration `slug`, as `GET {base}/sdk/integrations` lists it (the
/// credential call takes the UUID, as Paragon's does).
async fn listed_integration_id(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    slug: &str,
) -> String {
    let list: serde_json::Value = http
        .get(format!("{base}/sdk/integrations"))
        .bearer_auth(token)
        .send()
        .await
        .expect("list integrations")
        .json()
        .await
        .expect("integrations JSON");
    list.as_array()
        .into_iter()
        .flatten()
        .find(|i| i["customIntegration"]["slug"] == slug)
        .and_then(|i| i["id"].as_str())
        .expect("the integration is listed")
        .to_owned()
}
