//! Every shipped manifest validates.

use std::path::{Path, PathBuf};

fn specs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../specs")
}

#[test]
fn every_shipped_manifest_validates() {
    let results = paragon_manifest::validate_paths(&[specs_dir()]);
    assert!(
        results.len() >= 11,
        "found only {} manifests",
        results.len()
    );
    let failures: Vec<String> = results
        .iter()
        .filter_map(|(path, r)| {
            r.as_ref()
                .err()
                .map(|d| format!("{}:\n{d}", path.display()))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
