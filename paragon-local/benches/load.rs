//! Load benchmark: the proxy path against calling the fake provider directly.
//!
//! Starts the fake provider in-process and `paragon-local serve --dev` as a child process (so
//! its memory and CPU are measured alone), connects an API-key account, then drives each target
//! with 64 concurrent connections on loopback for a fixed time, then with one connection
//! (latency without queueing). Prints req/s, p50/p99 latency, the latency the proxy adds, the
//! CPU each process spends per request, and the server's RSS under load.
//!
//! It runs in two CPU layouts (on a machine with at least two CPUs):
//!
//! - `pinned`: the load generator and Task Lab share one CPU, the proxy gets another. This is
//!   how a proxy is deployed (on its own cores, between clients and the provider), so the
//!   direct/proxied comparison asks "does the proxy keep up with the provider?". The targets
//!   (≥ 70% of direct throughput, ≤ 1 ms added p99) are judged here.
//! - `shared`: all three processes share every CPU. A proxied request then pays for the
//!   HTTP work of both hops out of the same cores, so the ratio is bounded by the CPU split
//!   the table prints (client and provider vs proxy µs per request).
//! - `single` (only when asked for): everything on one CPU. No cross-CPU wake-ups, so the
//!   one-connection figures show the proxy's own latency.
//!
//! The anchor: nginx (Debian's package, installed with `apt-get` when missing) as a plain
//! reverse proxy to Task Lab, on paragon-local's CPUs with as many workers, driven the same
//! way. It is the physical reference for a proxy that does no auth; paragon-local's throughput
//! is printed as a ratio to it (target ≥ 0.8 in the pinned layout), with the p99 each adds at
//! 64 connections and the p50 each adds at one connection. Without nginx (no apt, no root) the
//! anchor is skipped with the reason.
//!
//! `cargo bench -p paragon-local --bench load` (env: LOAD_SECS, default 10; LOAD_CONNECTIONS,
//! default 64; LOAD_MODES, default `pinned,shared`, or any of `pinned`, `shared`, `single`;
//! LOAD_NGINX=0 skips the anchor).

#![allow(unsafe_code)] // OS calls below, each with its SAFETY comment

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
    /// CPU seconds spent by this process (load generator and Task Lab) and by paragon-local.
    cpu_bench: f64,
    cpu_server: f64,
}

impl Run {
    fn rps(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }

    fn cpu_us(&self, seconds: f64) -> f64 {
        seconds * 1e6 / self.requests.max(1) as f64
    }
}

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// CPU seconds (user + system) a process has used so far.
fn cpu_seconds(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the `(comm)`, which may itself contain spaces: utime and stime are the
    // 14th and 15th fields overall, so the 12th and 13th after it.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    (ticks(11) + ticks(12)) as f64 / hz
}

/// Drives `url` with `connections` concurrent connections for `secs` seconds.
async fn drive(
    url: &str,
    headers: reqwest::header::HeaderMap,
    connections: usize,
    secs: u64,
    server_pid: u32,
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
    let server_pid = server_pid.to_string();
    let (bench0, server0) = (cpu_seconds("self"), cpu_seconds(&server_pid));
    let errors = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let deadline = started + Duration::from_secs(secs);
    let tasks: Vec<_> = (0..connections)
        .map(|_| {
            let (client, url) = (client.clone(), url.to_string());
            let (errors, stop) = (errors.clone(), stop.clone());
            tokio::spawn(async move {
                let mut lat = Vec::with_capacity(8192);
                while !stop.load(Ordering::Relaxed) {
                    if Instant::now() >= deadline {
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
    let (bench1, server1) = (cpu_seconds("self"), cpu_seconds(&server_pid));
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
        cpu_bench: bench1 - bench0,
        cpu_server: server1 - server0,
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

/// The CPUs this thread may run on.
fn allowed_cpus() -> Vec<usize> {
    // SAFETY: a zeroed cpu_set_t is a valid empty set; the call writes at most its size.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, size_of::<libc::cpu_set_t>(), &mut set) != 0 {
            return Vec::new();
        }
        (0..libc::CPU_SETSIZE as usize)
            .filter(|&c| libc::CPU_ISSET(c, &set))
            .collect()
    }
}

/// Restricts the calling thread (and the threads and processes it starts later) to `cpus`.
fn pin(cpus: &[usize]) {
    // SAFETY: as above; CPU_SET only writes inside the set.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        for &c in cpus {
            libc::CPU_SET(c, &mut set);
        }
        let rc = libc::sched_setaffinity(0, size_of::<libc::cpu_set_t>(), &set);
        assert_eq!(rc, 0, "sched_setaffinity({cpus:?})");
    }
}

#[derive(Clone)]
struct Layout {
    name: &'static str,
    /// CPUs of the load generator and Task Lab.
    bench: Vec<usize>,
    /// CPUs of paragon-local.
    server: Vec<usize>,
}

struct Report {
    layout: Layout,
    direct: Run,
    proxied: Run,
    direct1: Run,
    proxied1: Run,
    /// nginx at `connections` and at one connection, or why it did not run.
    nginx: Result<(Run, Run), String>,
    rss_idle: u64,
    rss_peak: u64,
}

/// nginx's binary, installed from Debian when missing.
fn nginx_binary() -> Result<String, String> {
    let found = |p: &str| std::path::Path::new(p).exists();
    if found("/usr/sbin/nginx") {
        return Ok("/usr/sbin/nginx".into());
    }
    println!("nginx is missing: installing Debian's package (apt-get install nginx)");
    let ok = |c: &mut Command| c.status().map(|s| s.success()).unwrap_or(false);
    let quiet = |c: &mut Command| {
        c.env("DEBIAN_FRONTEND", "noninteractive")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
    };
    let mut update = Command::new("apt-get");
    update.args(["update", "-qq"]);
    quiet(&mut update);
    let mut install = Command::new("apt-get");
    install.args(["install", "-y", "-qq", "--no-install-recommends", "nginx"]);
    quiet(&mut install);
    if !(ok(&mut update) && ok(&mut install) && found("/usr/sbin/nginx")) {
        return Err(
            "nginx is not installed and `apt-get install nginx` failed (needs root)".into(),
        );
    }
    Ok("/usr/sbin/nginx".into())
}

/// nginx in the foreground as a plain reverse proxy to `upstream` (`host:port`), with
/// `workers` worker processes and kept-alive upstream connections, like paragon-local's pool.
fn start_nginx(
    dir: &std::path::Path,
    upstream: &str,
    workers: usize,
) -> Result<(Server, String), String> {
    let binary = nginx_binary()?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    let d = dir.display();
    let conf = format!(
        "worker_processes {workers};\ndaemon off;\npid {d}/nginx.pid;\nerror_log {d}/error.log warn;\n\
         events {{ worker_connections 4096; }}\n\
         http {{\n  access_log off;\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n\
           fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n\
           upstream tasklab {{ server {upstream}; keepalive 256; }}\n\
           server {{\n    listen 127.0.0.1:{port};\n    location / {{\n      proxy_pass http://tasklab;\n\
               proxy_http_version 1.1;\n      proxy_set_header Connection \"\";\n    }}\n  }}\n}}\n"
    );
    let path = dir.join("nginx.conf");
    std::fs::write(&path, conf).map_err(|e| e.to_string())?;
    let child = Command::new(binary)
        .args(["-p", &d.to_string(), "-c", &path.display().to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("starting nginx: {e}"))?;
    let server = Server(child);
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if started.elapsed() > Duration::from_secs(5) {
            let log = std::fs::read_to_string(dir.join("error.log")).unwrap_or_default();
            return Err(format!("nginx did not start listening: {log}"));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok((server, format!("http://127.0.0.1:{port}")))
}

fn measure(layout: &Layout, secs: u64, connections: usize) -> Report {
    pin(&layout.bench);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(layout.bench.len())
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let provider = FakeProvider::builder().start().await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let specs = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/specs/tasklab-keys");
        // The child inherits the spawning thread's CPUs (the runtime's workers keep theirs).
        pin(&layout.server);
        let mut child = Command::new(env!("CARGO_BIN_EXE_paragon-local"))
            .args([
                "serve",
                "--dev",
                "--listen",
                "127.0.0.1:0",
                "--specs",
                specs,
            ])
            .env("TASKLAB_URL", provider.url())
            .env("RUST_LOG", "warn")
            .env_remove("PARAGON_PROJECT_ID")
            .env_remove("PARAGON_LOCAL_DATABASE_URL")
            .current_dir(dir.path())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start paragon-local");
        pin(&layout.bench);
        let stderr = child.stderr.take().unwrap();
        let server = Server(child);
        let pid = server.0.id();
        let mut lines = BufReader::new(stderr).lines();
        let url = loop {
            let line = lines.next().expect("server output").unwrap();
            if let Some(rest) = line.split("listening on ").nth(1) {
                break rest.split_whitespace().next().unwrap().to_string();
            }
        };
        std::thread::spawn(move || for _ in lines {});
        let project =
            std::fs::read_to_string(dir.path().join(".paragon-local-dev/project-id")).unwrap();
        let project = project.trim();
        let pem =
            std::fs::read_to_string(dir.path().join(".paragon-local-dev/signing-key.pem")).unwrap();
        let key = ProjectKey::from_private_pem(&pem).unwrap();
        let token = key
            .mint(project, "bench-user", Duration::from_secs(3600))
            .unwrap();
        let api_key = provider.api_keys()[0].to_string();
        let http = reqwest::Client::new();
        let integration = listed_integration_id(
            &http,
            &format!("{url}/projects/{project}"),
            &token,
            "custom.tasklabkeys",
        )
        .await;
        let created = http
            .post(format!("{url}/projects/{project}/sdk/credentials"))
            .bearer_auth(&token)
            .json(
                &serde_json::json!({"integrationId": integration, "payload": {"api_key": api_key}}),
            )
            .send()
            .await
            .unwrap();
        assert!(
            created.status().is_success(),
            "create credential: {}",
            created.status()
        );
        let (rss_idle, _) = rss_kib(pid);

        let direct_url = format!("{}/v1/me", provider.url());
        let proxied_url = format!("{url}/projects/{project}/sdk/proxy/custom.tasklabkeys/me");
        let direct_headers = {
            let mut h = reqwest::header::HeaderMap::new();
            h.insert("x-api-key", api_key.parse().unwrap());
            h
        };
        let proxy_headers = {
            let mut h = reqwest::header::HeaderMap::new();
            h.insert("authorization", format!("Bearer {token}").parse().unwrap());
            h
        };

        let direct = drive(&direct_url, direct_headers.clone(), connections, secs, pid).await;
        let sampler = std::thread::spawn(move || {
            let mut peak = 0;
            for _ in 0..(secs * 10) {
                std::thread::sleep(Duration::from_millis(100));
                peak = peak.max(rss_kib(pid).0);
            }
            peak
        });
        let proxied = drive(&proxied_url, proxy_headers.clone(), connections, secs, pid).await;
        let (rss_after, _) = rss_kib(pid);
        let rss_peak = sampler.join().unwrap().max(rss_after);
        // Latency without queueing: one connection, so the difference is the proxy's own cost.
        let quiet_secs = secs.clamp(1, 5);
        let direct1 = drive(&direct_url, direct_headers.clone(), 1, quiet_secs, pid).await;
        let proxied1 = drive(&proxied_url, proxy_headers, 1, quiet_secs, pid).await;
        drop(server);
        let nginx = if std::env::var("LOAD_NGINX").is_ok_and(|v| v == "0") {
            Err("skipped (LOAD_NGINX=0)".to_string())
        } else {
            // nginx gets paragon-local's CPUs and as many workers as it has CPUs.
            pin(&layout.server);
            let started = start_nginx(
                dir.path(),
                provider.addr().to_string().as_str(),
                layout.server.len(),
            );
            pin(&layout.bench);
            match started {
                Ok((nginx, nginx_url)) => {
                    // Only throughput and latency are compared (nginx works in its workers, so
                    // the master's CPU counters say nothing).
                    let nginx_pid = nginx.0.id();
                    let url = format!("{nginx_url}/v1/me");
                    let many =
                        drive(&url, direct_headers.clone(), connections, secs, nginx_pid).await;
                    let one = drive(&url, direct_headers, 1, quiet_secs, nginx_pid).await;
                    drop(nginx);
                    Ok((many, one))
                }
                Err(e) => Err(e),
            }
        };
        Report {
            layout: layout.clone(),
            direct,
            proxied,
            direct1,
            proxied1,
            nginx,
            rss_idle,
            rss_peak,
        }
    })
}

fn print(r: &Report, secs: u64, connections: usize) {
    let l = &r.layout;
    println!(
        "\n## {}: load generator and Task Lab on CPU {:?}, paragon-local on CPU {:?}\n",
        l.name, l.bench, l.server
    );
    println!("{connections} connections, loopback, {secs} s per target:\n");
    println!(
        "| target  | requests | errors | req/s    | p50       | p99       | CPU µs/req: client+Task Lab | paragon-local |"
    );
    println!(
        "|---------|----------|--------|----------|-----------|-----------|-----------------------------|---------------|"
    );
    for (name, run) in [("direct", &r.direct), ("proxied", &r.proxied)] {
        println!(
            "| {name:<7} | {:>8} | {:>6} | {:>8.0} | {:>9.3?} | {:>9.3?} | {:>27.1} | {:>13.1} |",
            run.requests,
            run.errors,
            run.rps(),
            run.p50,
            run.p99,
            run.cpu_us(run.cpu_bench),
            run.cpu_us(run.cpu_server),
        );
    }
    println!(
        "\nproxied/direct throughput: {:.1}% (target ≥ 70%)",
        100.0 * r.proxied.rps() / r.direct.rps()
    );
    println!(
        "added p99 latency: {:.3?} (target ≤ 1 ms); added p50: {:.3?}",
        r.proxied.p99.saturating_sub(r.direct.p99),
        r.proxied.p50.saturating_sub(r.direct.p50)
    );
    println!(
        "paragon-local RSS: idle {} KiB, peak under load {} KiB",
        r.rss_idle, r.rss_peak
    );
    println!("\none connection (no queueing):\n");
    println!("| target  | requests | req/s    | p50       | p99       |");
    println!("|---------|----------|----------|-----------|-----------|");
    for (name, run) in [("direct", &r.direct1), ("proxied", &r.proxied1)] {
        println!(
            "| {name:<7} | {:>8} | {:>8.0} | {:>9.3?} | {:>9.3?} |",
            run.requests,
            run.rps(),
            run.p50,
            run.p99
        );
    }
    println!(
        "\nadded latency at one connection: p50 {:.3?}, p99 {:.3?}",
        r.proxied1.p50.saturating_sub(r.direct1.p50),
        r.proxied1.p99.saturating_sub(r.direct1.p99)
    );
    match &r.nginx {
        Ok((many, one)) => {
            println!(
                "\nanchor: nginx as a plain reverse proxy to Task Lab (paragon-local's CPUs):\n"
            );
            println!(
                "| proxy         | req/s    | p50       | p99       | added p99 ({connections} conn) | added p50 (1 conn) |"
            );
            println!(
                "|---------------|----------|-----------|-----------|---------------------|--------------------|"
            );
            for (name, m, o) in [
                ("nginx", many, one),
                ("paragon-local", &r.proxied, &r.proxied1),
            ] {
                println!(
                    "| {name:<13} | {:>8.0} | {:>9.3?} | {:>9.3?} | {:>19.3?} | {:>18.3?} |",
                    m.rps(),
                    m.p50,
                    m.p99,
                    m.p99.saturating_sub(r.direct.p99),
                    o.p50.saturating_sub(r.direct1.p50),
                );
            }
            println!(
                "\nparagon-local/nginx throughput: {:.2} (target ≥ 0.8 pinned); nginx errors {}",
                r.proxied.rps() / many.rps(),
                many.errors + one.errors
            );
        }
        Err(why) => println!("\nanchor: nginx {why}"),
    }
}

fn main() {
    let secs = env_num("LOAD_SECS", 10);
    let connections = env_num("LOAD_CONNECTIONS", 64) as usize;
    let modes = std::env::var("LOAD_MODES").unwrap_or_else(|_| "pinned,shared".into());
    let cpus = allowed_cpus();
    let mut layouts = Vec::new();
    for mode in modes.split(',').map(str::trim) {
        match mode {
            "pinned" if cpus.len() >= 2 => {
                // Half the CPUs each (one each on a two-CPU machine).
                let (bench, server) = cpus.split_at(cpus.len() / 2);
                layouts.push(Layout {
                    name: "pinned",
                    bench: bench.to_vec(),
                    server: server.to_vec(),
                });
            }
            "pinned" => println!("pinned: skipped, this machine has one CPU"),
            "single" => layouts.push(Layout {
                name: "single",
                bench: cpus[..1].to_vec(),
                server: cpus[..1].to_vec(),
            }),
            "shared" => layouts.push(Layout {
                name: "shared",
                bench: cpus.clone(),
                server: cpus.clone(),
            }),
            other => panic!("LOAD_MODES: unknown mode {other:?} (pinned, shared, single)"),
        }
    }
    println!("paragon-local load benchmark");
    for layout in &layouts {
        let report = measure(layout, secs, connections);
        print(&report, secs, connections);
    }
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
