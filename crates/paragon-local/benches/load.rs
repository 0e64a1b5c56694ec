//! Load benchmark: the proxy path against calling the fake provider directly.
//!
//! Starts the fake provider in-process and `paragon-local serve --dev` as a child process (so
//! its memory is measured alone), connects an API-key account, then drives each target with 64
//! concurrent connections on loopback, bounded by a request count and a duration, then with one
//! connection (latency without queueing). Prints req/s, p50/p99 latency, the latency the proxy
//! adds, and the server's RSS under load.
//!
//! `cargo bench -p paragon-local --bench load` (env: LOAD_SECS, default 10; LOAD_MAX_REQUESTS,
//! default 200000; LOAD_CONNECTIONS, default 64).

use paragon_fake_provider::FakeProvider;
use paragon_local::ProjectKey;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

struct Run {
    requests: u64,
    errors: u64,
    elapsed: Duration,
    p50: Duration,
    p99: Duration,
}

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Drives `url` with `connections` concurrent connections until `max` requests or `secs`.
async fn drive(
    url: &str,
    headers: reqwest::header::HeaderMap,
    connections: usize,
    secs: u64,
    max: u64,
) -> Run {
    let client = reqwest::Client::builder()
        .http1_only()
        .pool_max_idle_per_host(connections)
        .default_headers(headers)
        .build()
        .unwrap();
    // Warm up the connections.
    let warm: Vec<_> = (0..connections).map(|_| client.get(url).send()).collect();
    for r in futures_util::future::join_all(warm).await {
        let r = r.expect("warm-up request");
        assert!(r.status().is_success(), "warm-up: {}", r.status());
        let _ = r.bytes().await;
    }
    let issued = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let deadline = started + Duration::from_secs(secs);
    let tasks: Vec<_> = (0..connections)
        .map(|_| {
            let (client, url) = (client.clone(), url.to_string());
            let (issued, errors, stop) = (issued.clone(), errors.clone(), stop.clone());
            tokio::spawn(async move {
                let mut lat = Vec::with_capacity(8192);
                while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
                    if issued.fetch_add(1, Ordering::Relaxed) >= max {
                        stop.store(true, Ordering::Relaxed);
                        break;
                    }
                    let t = Instant::now();
                    match client.get(&url).send().await {
                        Ok(r) if r.status().is_success() => {
                            let _ = r.bytes().await;
                        }
                        _ => {
                            errors.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    lat.push(t.elapsed());
                }
                lat
            })
        })
        .collect();
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let elapsed = started.elapsed();
    all.sort();
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    Run {
        requests: all.len() as u64,
        errors: errors.load(Ordering::Relaxed),
        elapsed,
        p50: pct(0.50),
        p99: pct(0.99),
    }
}

fn rss_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

struct Server(Child);
impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn main() {
    let secs = env_num("LOAD_SECS", 10);
    let max = env_num("LOAD_MAX_REQUESTS", 200_000);
    let connections = env_num("LOAD_CONNECTIONS", 64) as usize;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let provider = FakeProvider::builder().start().await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let specs = concat!(env!("CARGO_MANIFEST_DIR"), "/../../specs/tasklab-keys");
        let mut child = Command::new(env!("CARGO_BIN_EXE_paragon-local"))
            .args(["serve", "--dev", "--listen", "127.0.0.1:0", "--specs", specs])
            .env("TASKLAB_URL", provider.url())
            .env("RUST_LOG", "warn")
            .env_remove("PARAGON_PROJECT_ID")
            .env_remove("PARAGON_LOCAL_DATABASE_URL")
            .current_dir(dir.path())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start paragon-local");
        let stderr = child.stderr.take().unwrap();
        let server = Server(child);
        let mut lines = BufReader::new(stderr).lines();
        let url = loop {
            let line = lines.next().expect("server output").unwrap();
            if let Some(rest) = line.split("listening on ").nth(1) {
                break rest.split_whitespace().next().unwrap().to_string();
            }
        };
        std::thread::spawn(move || for _ in lines {});
        let project = std::fs::read_to_string(dir.path().join(".paragon-local-dev/project-id")).unwrap();
        let pem = std::fs::read_to_string(dir.path().join(".paragon-local-dev/signing-key.pem")).unwrap();
        let key = ProjectKey::from_private_pem(&pem).unwrap();
        let token = key.mint(project.trim(), "bench-user", Duration::from_secs(3600)).unwrap();
        let api_key = provider.api_keys()[0].to_string();
        let http = reqwest::Client::new();
        let created = http
            .post(format!("{url}/projects/{}/sdk/credentials", project.trim()))
            .bearer_auth(&token)
            .json(&serde_json::json!({"integrationId": "custom.tasklabkeys", "payload": {"api_key": api_key}}))
            .send()
            .await
            .unwrap();
        assert!(created.status().is_success(), "create credential: {}", created.status());
        let (rss_idle, _) = rss_kib(server.0.id());

        let mut direct_headers = reqwest::header::HeaderMap::new();
        direct_headers.insert("x-api-key", api_key.parse().unwrap());
        let direct = drive(&format!("{}/v1/me", provider.url()), direct_headers, connections, secs, max).await;

        let mut proxy_headers = reqwest::header::HeaderMap::new();
        proxy_headers.insert("authorization", format!("Bearer {token}").parse().unwrap());
        let pid = server.0.id();
        let sampler = std::thread::spawn(move || {
            let mut peak = 0;
            for _ in 0..(secs * 10 + 50) {
                std::thread::sleep(Duration::from_millis(100));
                peak = peak.max(rss_kib(pid).0);
            }
            peak
        });
        let proxied = drive(
            &format!("{url}/projects/{}/sdk/proxy/custom.tasklabkeys/me", project.trim()),
            proxy_headers,
            connections,
            secs,
            max,
        )
        .await;
        let (rss_after, hwm) = rss_kib(pid);
        // Latency without queueing: one connection, so the difference is the proxy's own cost.
        let quiet_secs = secs.clamp(1, 5);
        let mut h = reqwest::header::HeaderMap::new();
        h.insert("x-api-key", api_key.parse().unwrap());
        let direct1 = drive(&format!("{}/v1/me", provider.url()), h, 1, quiet_secs, max).await;
        let mut h = reqwest::header::HeaderMap::new();
        h.insert("authorization", format!("Bearer {token}").parse().unwrap());
        let proxied1 = drive(
            &format!("{url}/projects/{}/sdk/proxy/custom.tasklabkeys/me", project.trim()),
            h,
            1,
            quiet_secs,
            max,
        )
        .await;
        drop(server);
        let rss_peak = sampler.join().unwrap().max(rss_after);

        let rps = |r: &Run| r.requests as f64 / r.elapsed.as_secs_f64();
        println!("\nparagon-local load benchmark: {connections} connections, loopback, ≤{secs} s or ≤{max} requests per target\n");
        println!("| target  | requests | errors | req/s    | p50      | p99      |");
        println!("|---------|----------|--------|----------|----------|----------|");
        for (name, r) in [("direct", &direct), ("proxied", &proxied)] {
            println!(
                "| {name:<7} | {:>8} | {:>6} | {:>8.0} | {:>8.3?} | {:>8.3?} |",
                r.requests, r.errors, rps(r), r.p50, r.p99
            );
        }
        println!(
            "\nproxied/direct throughput: {:.1}% (target ≥ 70%)",
            100.0 * rps(&proxied) / rps(&direct)
        );
        println!(
            "added p99 latency: {:.3?} (target ≤ 1 ms); added p50: {:.3?}",
            proxied.p99.saturating_sub(direct.p99),
            proxied.p50.saturating_sub(direct.p50)
        );
        println!(
            "paragon-local RSS: idle {} KiB, peak under load {} KiB (VmHWM {} KiB)",
            rss_idle, rss_peak, hwm
        );
        println!("\none connection (no queueing), ≤{quiet_secs} s per target:\n");
        println!("| target  | requests | req/s    | p50      | p99      |");
        println!("|---------|----------|----------|----------|----------|");
        for (name, r) in [("direct", &direct1), ("proxied", &proxied1)] {
            println!(
                "| {name:<7} | {:>8} | {:>8.0} | {:>8.3?} | {:>8.3?} |",
                r.requests,
                rps(r),
                r.p50,
                r.p99
            );
        }
        println!(
            "\nadded latency at one connection: p50 {:.3?}, p99 {:.3?}",
            proxied1.p50.saturating_sub(direct1.p50),
            proxied1.p99.saturating_sub(direct1.p99)
        );
    });
}
