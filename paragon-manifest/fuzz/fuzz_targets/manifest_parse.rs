//! `Manifest::parse` on arbitrary UTF-8 must never panic; what parses must render without
//! panicking too. Run: `cargo +nightly fuzz run manifest_parse` (from `paragon-manifest/`).
//!
//! The manifest is placed in `specs/tasklab/`, so `icon = "icon.svg"` finds a real icon and
//! inputs reach the later checks. Crashes land in `fuzz/artifacts/manifest_parse/`; copy them
//! into `fuzz/corpus/manifest_parse/` so the regression test
//! (`paragon-manifest/tests/fuzz_corpus.rs`) keeps them fixed.
#![no_main]

use libfuzzer_sys::fuzz_target;

include!("../exercise.rs");

fuzz_target!(|source: &str| {
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/specs/tasklab/integration.toml"
    );
    exercise(source, std::path::Path::new(file));
});
