//! The conformance harness on a small spec: the cases `Generator::conformance` lists, and what
//! running them finds (`--features conformance`).

#![allow(unreachable_pub)] // the generated client is a user's public API, included as generated

#[rustfmt::skip] // generated code, kept exactly as generated
#[path = "generated/conformance/client.rs"]
mod client;

#[rustfmt::skip]
#[path = "generated/conformance/cases.rs"]
mod cases;

use paragon_codegen::Generator;
use paragon_codegen::conformance::{Kind, run};
use std::path::{Path, PathBuf};

fn spec() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/specs/conformance.yaml")
}

/// The kept client and cases are what the generator writes today (`UPDATE_GENERATED=1`
/// rewrites them).
#[test]
fn kept_cases_are_current() {
    let generated = Generator::from_spec(spec(), "Conformance")
        .conformance()
        .unwrap();
    assert_eq!(generated.examples, 9);
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/generated/conformance");
    for (file, source) in [
        ("client.rs", &generated.client.source),
        ("cases.rs", &generated.cases),
    ] {
        let kept = dir.join(file);
        if std::env::var_os("UPDATE_GENERATED").is_some() {
            std::fs::write(&kept, source).unwrap();
        }
        let old = std::fs::read_to_string(&kept).unwrap_or_default();
        assert!(
            old == *source,
            "{} is stale: rerun with UPDATE_GENERATED=1",
            kept.display()
        );
    }
}

#[test]
fn examples_decode_or_become_findings() {
    let report = run(&spec(), cases::CASES).unwrap();
    // Tried: three 200 examples, the vnd.other+json one (into its `send_other()` type, which
    // has no `login`), the 404, the 201, both request bodies (the optional one as `null`) and
    // User's own example.
    assert_eq!(
        (report.tried, report.decoded, report.unreachable),
        (9, 7, 0)
    );
    let mut findings: Vec<_> = report
        .findings
        .iter()
        .map(|f| {
            let m = f.mismatch.as_ref();
            (
                f.operation,
                f.status,
                f.kind,
                f.cause.as_str(),
                m.map(|m| m.pointer.as_str()),
                f.schema_accepts,
                f.example,
            )
        })
        .collect();
    findings.sort_by_key(|f| f.6);
    assert_eq!(
        findings,
        [
            (
                "getUser",
                "200",
                Kind::Response,
                "null where a value is declared",
                Some("/login"),
                Some(false),
                "/components/examples/NullLogin/value",
            ),
            (
                "getUser",
                "200",
                Kind::Response,
                "required field absent",
                Some(""),
                Some(false),
                "/paths/~1users~1{id}/get/responses/200/content/application~1json/examples/missing/value",
            ),
        ]
    );
}
