//! Validates the manifests named on the command line (default: `specs/`), printing every problem.
//!
//! `cargo run -p paragon-manifest --example validate -- specs/github`

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let paths: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let mut failed = false;
    for (path, result) in paragon_manifest::validate_paths(&paths) {
        match result {
            Ok(m) => println!(
                "ok: {} ({}, {})",
                path.display(),
                m.slug(),
                m.auth().as_str()
            ),
            Err(d) => {
                failed = true;
                eprintln!("{d}\n");
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
