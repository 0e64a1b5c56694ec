//! How long loading a manifest and rendering a request's URL and authorization take.
//!
//! `cargo bench -p paragon-manifest`

use std::collections::HashMap;
use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use paragon_manifest::{Manifest, RenderContext};

fn specs() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/specs")
}

fn parse(c: &mut Criterion) {
    let file = specs().join("zendesk/integration.toml");
    let source = std::fs::read_to_string(&file).unwrap();
    c.bench_function("parse zendesk manifest (with icon)", |b| {
        b.iter(|| Manifest::parse(black_box(&source), &file).unwrap())
    });
}

fn render(c: &mut Criterion) {
    let zendesk = Manifest::load(specs().join("zendesk")).unwrap();
    let ctx = RenderContext::new()
        .input("subdomain", "acme")
        .access_token("a-long-access-token-value");
    c.bench_function("render base URL + bearer (zendesk)", |b| {
        b.iter(|| {
            let url = zendesk.endpoint_url(black_box(&ctx), "/tickets").unwrap();
            let auth = zendesk.authorization(&ctx).unwrap();
            (url, auth)
        })
    });

    let tasklab = Manifest::load(specs().join("tasklab")).unwrap();
    let secrets = HashMap::from([(
        "TASKLAB_URL".to_string(),
        "http://127.0.0.1:4000".to_string(),
    )]);
    let ctx = RenderContext::new()
        .with_secrets(&secrets)
        .access_token("a-long-access-token-value");
    c.bench_function("render base URL + bearer (tasklab, secret map)", |b| {
        b.iter(|| {
            let url = tasklab.endpoint_url(black_box(&ctx), "/tasks").unwrap();
            let auth = tasklab.authorization(&ctx).unwrap();
            (url, auth)
        })
    });
}

criterion_group!(benches, parse, render);
criterion_main!(benches);
