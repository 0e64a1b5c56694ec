//! Generation speed: the small test specs, and GitHub's full spec when
//! `scripts/fetch-specs.sh` has fetched it. `scripts/bench-codegen.sh` measures the same
//! end to end (with peak memory) and the `cargo check` of the generated client.

use criterion::{Criterion, criterion_group, criterion_main};
use paragon_codegen::Generator;
use std::path::Path;

fn generate(c: &mut Criterion) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let basic = dir.join("tests/specs/basic.yaml");
    c.bench_function("generate basic.yaml", |b| {
        b.iter(|| Generator::from_spec(&basic, "Basic").render().unwrap())
    });
    let github = dir.join("../.cache/specs/api.github.com.json");
    if github.exists() {
        let mut group = c.benchmark_group("github");
        group.sample_size(10);
        group.bench_function("generate api.github.com.json", |b| {
            b.iter(|| Generator::from_spec(&github, "GitHub").render().unwrap())
        });
        group.finish();
    }
}

criterion_group!(benches, generate);
criterion_main!(benches);
