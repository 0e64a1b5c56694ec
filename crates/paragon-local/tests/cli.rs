//! The `paragon-local` binary: development mode and configuration errors.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_paragon-local"));
    for var in [
        "PARAGON_PROJECT_ID",
        "PARAGON_SIGNING_KEY",
        "PARAGON_SIGNING_KEY_FILE",
        "PARAGON_PUBLIC_KEY_FILE",
        "PARAGON_LOCAL_ENCRYPTION_KEY",
        "PARAGON_LOCAL_DEV",
        "PARAGON_LOCAL_DATABASE_URL",
    ] {
        c.env_remove(var);
    }
    c.env("RUST_LOG", "off");
    c
}

fn specs() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/../../specs").to_string()
}

#[test]
fn dev_mode_generates_keys_and_prints_how_to_mint_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = bin()
        .args([
            "serve",
            "--dev",
            "--listen",
            "127.0.0.1:0",
            "--specs",
            &specs(),
        ])
        .current_dir(dir.path())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen = String::new();
    for line in BufReader::new(stderr).lines() {
        let line = line.unwrap();
        seen.push_str(&line);
        seen.push('\n');
        if line.contains("paragon token") || Instant::now() > deadline {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(seen.contains("export PARAGON_PROJECT_ID="), "{seen}");
    assert!(
        seen.contains("PARAGON_SIGNING_KEY_FILE=.paragon-local-dev/signing-key.pem"),
        "{seen}"
    );
    let pem =
        std::fs::read_to_string(dir.path().join(".paragon-local-dev/signing-key.pem")).unwrap();
    assert!(pem.contains("BEGIN PRIVATE KEY"));
    assert!(dir.path().join("paragon-local.db").is_file());
}

#[test]
fn missing_encryption_key_outside_dev_mode_fails_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let key = paragon_local::ProjectKey::generate();
    let out = bin()
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--specs",
            &specs(),
            "--project-id",
            "p1",
        ])
        .env(
            "PARAGON_SIGNING_KEY",
            key.private_pem().unwrap().replace('\n', "\\n"),
        )
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("PARAGON_LOCAL_ENCRYPTION_KEY"), "{err}");
    assert!(
        !err.contains("PRIVATE KEY"),
        "the key must not be echoed: {err}"
    );
}
