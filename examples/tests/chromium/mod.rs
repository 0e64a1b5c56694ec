//! Headless Chromium over WebDriver (`chromedriver` + `fantoccini`), shared by the browser
//! tests: the driver process, the session's capabilities, where screenshots go.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

const WAIT: Duration = Duration::from_secs(20);

/// Headless Chromium as CI runs it (as root, in a container): no sandbox, no GPU, nothing
/// reaching the network by itself, a fresh profile, popups allowed (the SDK's OAuth opens one),
/// asynchronous scripts given a minute.
pub(crate) fn capabilities(chromium: &Path, profile: &Path) -> serde_json::Map<String, Value> {
    let caps = json!({
        "browserName": "chrome",
        "timeouts": { "script": 60_000 },
        "goog:chromeOptions": {
            "binary": chromium,
            "args": [
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-popup-blocking",
                "--no-first-run",
                "--window-size=1200,900",
                format!("--user-data-dir={}", profile.display()),
            ],
        },
    });
    match caps {
        Value::Object(map) => map,
        _ => unreachable!("a JSON object literal"),
    }
}

/// A `chromedriver` process on a free loopback port, killed when dropped.
pub(crate) struct Driver {
    child: Child,
    /// Where the WebDriver endpoint listens.
    pub(crate) url: String,
}

impl Driver {
    /// Starts `binary`, logging to `log`, and waits until it is ready.
    pub(crate) async fn start(binary: &Path, log: &Path) -> Result<Driver> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let child = Command::new(binary)
            .arg(format!("--port={port}"))
            .arg(format!("--log-path={}", log.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", binary.display()))?;
        let driver = Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let http = reqwest::Client::builder().no_proxy().build()?;
        let deadline = Instant::now() + WAIT;
        loop {
            let ready = match http.get(format!("{}/status", driver.url)).send().await {
                Ok(res) => res
                    .json::<Value>()
                    .await
                    .is_ok_and(|v| v["value"]["ready"] == true),
                Err(_) => false,
            };
            if ready {
                return Ok(driver);
            }
            if Instant::now() > deadline {
                return Err(format!("chromedriver did not start; see {}", log.display()).into());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The first of `names` found on `PATH`.
pub(crate) fn on_path(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    names.iter().find_map(|name| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    })
}

/// `<target dir>/<name>`: the test binary lives in `<target dir>/<profile>/deps/`.
pub(crate) fn screenshots_dir(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let target = exe
        .ancestors()
        .nth(3)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../target")));
    target.join(name)
}

/// Something different per run for the profile folder's name.
pub(crate) fn unix_nanos() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default()
}
