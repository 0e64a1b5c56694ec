//! The local server's integration tests, as one test binary: each file of `tests/` is a module
//! here, so the server and its dependencies are linked once rather than once per file. The
//! files that share one PostgreSQL database across the whole run (`postgres`, `rotation`,
//! `workflow_replicas`) stay binaries of their own, so a re-key never runs beside them.

mod common;

mod accounts_server;
mod after_connect;
mod authorization_names;
mod browser_sdk;
mod callback_values;
mod cli;
mod client_assertion;
mod client_registration;
mod credential_placements;
mod e2e;
mod exchange_headers;
mod exchange_refresh;
mod expiry_unit;
mod grants;
mod hardening;
mod host_input;
mod integration_ids;
mod mcp;
mod own_oauth_app;
mod portal;
mod portal_configure;
mod portal_frame;
mod proxy_guard;
mod refresh;
mod request_params;
mod sdk;
mod sdk_hardening;
mod ssrf;
mod token_encoding;
mod token_exchange;
mod tools;
mod user_tokens;
mod workflow_restart;
mod workflow_view;
mod workflows;

/// Every file of `tests/` runs: a module of this binary, or a `[[test]]` of its own in
/// `Cargo.toml` (with `autotests = false`, a file named nowhere would silently never run).
#[test]
fn every_test_file_is_compiled() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let this = std::fs::read_to_string(dir.join("tests/integration.rs")).unwrap();
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(dir.join("tests")).unwrap() {
        let path = entry.unwrap().path();
        let (Some(stem), Some("rs")) = (
            path.file_stem().and_then(|s| s.to_str()),
            path.extension().and_then(|s| s.to_str()),
        ) else {
            continue;
        };
        let module = this.contains(&format!("\nmod {stem};\n"));
        let own = manifest.contains(&format!("path = \"tests/{stem}.rs\""));
        if stem != "integration" && !module && !own {
            missing.push(stem.to_string());
        }
    }
    assert!(
        missing.is_empty(),
        "tests/{{{}}}.rs run nowhere: add `mod NAME;` to tests/integration.rs",
        missing.join(",")
    );
}
