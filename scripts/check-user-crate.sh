#!/usr/bin/env bash
# Builds and runs a user's crate outside the workspace against the packaged crates only, the
# way a user gets them from crates.io: `paragon-sdk` with `macros`, and `paragon-codegen` as a
# build dependency that generates a typed client in build.rs. The crate also derives an
# integration from its own manifest and spec. Run after `cargo package --workspace`, which
# leaves the packaged crates unpacked in <target dir>/package/.
#
# The crate is edition 2021 on purpose: generated and derived code must compile in both.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -n 1)
pkg="$target/package"
for c in paragon-sdk paragon-macros paragon-codegen paragon-manifest; do
  [ -f "$pkg/$c-$version/Cargo.toml" ] || { echo "error: $pkg/$c-$version is missing: run cargo package --workspace first" >&2; exit 1; }
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/src" "$work/integrations/tasklab"
cp "$root/specs/tasklab/integration.toml" "$root/specs/tasklab/openapi.yaml" "$root/specs/tasklab/icon.svg" \
  "$work/integrations/tasklab/"

cat >"$work/Cargo.toml" <<TOML
[package]
name = "a-users-service"
version = "0.1.0"
edition = "2021"
publish = false

[dependencies]
paragon-sdk = { version = "$version", features = ["macros"] }
serde = { version = "1", features = ["derive"] }
tokio = { version = "1", features = ["macros", "rt"] }

[build-dependencies]
paragon-codegen = { version = "$version", default-features = false }

# Stand-ins for crates.io: the packaged crates, not the workspace's sources.
[patch.crates-io]
paragon-sdk = { path = "$pkg/paragon-sdk-$version" }
paragon-macros = { path = "$pkg/paragon-macros-$version" }
paragon-codegen = { path = "$pkg/paragon-codegen-$version" }
paragon-manifest = { path = "$pkg/paragon-manifest-$version" }

[workspace]
TOML

cat >"$work/build.rs" <<'RS'
fn main() {
    if let Err(errors) = paragon_codegen::Generator::new("integrations/tasklab").generate() {
        eprintln!("{errors}");
        std::process::exit(1);
    }
}
RS

cat >"$work/src/main.rs" <<'RS'
use paragon_sdk::{Integration, Paragon};

include!(concat!(env!("OUT_DIR"), "/tasklab.rs"));

/// Task Lab, declared from the same manifest and spec as the generated client.
#[derive(Integration)]
#[integration(
    manifest = "integrations/tasklab/integration.toml",
    spec = "integrations/tasklab/openapi.yaml",
    module = "derived_tasklab"
)]
struct TaskLab;

fn main() {
    let paragon = Paragon::new("a-user-token");
    let _generated = tasklab::Client::new(paragon.clone());
    let _derived = TaskLab::client(&paragon);
    assert_eq!(tasklab::INTEGRATION, <TaskLab as Integration>::NAME);
    println!("{} (test endpoint {})", TaskLab::NAME, TaskLab::TEST_ENDPOINT);
}
RS

cp "$root/Cargo.lock" "$work/Cargo.lock"
CARGO_TARGET_DIR="$target" cargo run --quiet --manifest-path "$work/Cargo.toml"
echo "a user's crate built from the packaged crates: ok"
