//! The fuzz target's saved corpus (and any saved crash) as a regression test on stable Rust:
//! every file in `fuzz/corpus/manifest_parse/` and `fuzz/artifacts/manifest_parse/` goes
//! through the same code as the fuzz target, and nothing may panic.

use std::path::{Path, PathBuf};

include!("../fuzz/exercise.rs");

/// What the fuzz target sees for a file: its longest valid UTF-8 prefix (how `arbitrary` makes a
/// `&str` out of the fuzzer's bytes).
fn utf8_prefix(bytes: &[u8]) -> &str {
    match std::str::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default(),
    }
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

#[test]
fn the_fuzz_corpus_never_panics() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let manifest =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/specs/tasklab/integration.toml");
    let corpus = files_in(&root.join("corpus/manifest_parse"));
    assert!(
        corpus.len() >= 10,
        "the corpus is missing: {} files",
        corpus.len()
    );
    let artifacts = files_in(&root.join("artifacts/manifest_parse"));
    for file in corpus.iter().chain(&artifacts) {
        let bytes = std::fs::read(file).unwrap();
        exercise(utf8_prefix(&bytes), &manifest);
    }
}

#[test]
fn the_seeds_behave_as_named() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/manifest_parse");
    let manifest =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/specs/tasklab/integration.toml");
    for file in files_in(&root) {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(&file).unwrap();
        let result = paragon_manifest::Manifest::parse(utf8_prefix(&bytes), &manifest);
        if name.starts_with("ok-") {
            assert!(result.is_ok(), "{name}: {}", result.unwrap_err());
        } else if name.starts_with("bad-") {
            assert!(result.is_err(), "{name} should be refused");
        }
    }
}
