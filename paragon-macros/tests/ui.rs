//! Compile errors: each mistake points at the offending token and says how to fix it.

use std::path::{Path, PathBuf};

#[test]
fn ui() {
    install_fixtures();
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}

/// trybuild compiles the cases in its own crate under the target folder, so that is the
/// `CARGO_MANIFEST_DIR` the macro resolves file paths against: put the fixture files there.
fn install_fixtures() {
    let out = std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["metadata", "--no-deps", "--format-version=1"])
        .output()
        .expect("cargo metadata");
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).expect("metadata JSON");
    let target = PathBuf::from(meta["target_directory"].as_str().expect("target_directory"));
    let project = target.join("tests/trybuild/paragon-macros");
    copy_dir(Path::new("tests/ui/fixtures"), &project.join("fixtures"));
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create fixture folder");
    for entry in std::fs::read_dir(from).expect("read fixtures") {
        let entry = entry.expect("fixture entry");
        let dest = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), dest).expect("copy fixture");
        }
    }
}
