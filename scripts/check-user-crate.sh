#!/usr/bin/env bash
# Builds and runs a user's crate outside the workspace against the packaged crates only, the
# way a user gets them from crates.io: `paragon-sdk` with `macros` and `tools`, and
# `paragon-codegen` as a build dependency that generates a typed client in build.rs. The crate
# also derives an integration from its own manifest and spec, and one inline whose endpoints are
# tools (`#[endpoints(Type, tools)]`, schemas from the SDK's re-exported `schemars`). Run after `cargo package --workspace`, which
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
paragon-sdk = { version = "$version", features = ["macros", "tools"] }
serde = { version = "1", features = ["derive"] }
serde_json = "1"
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
use paragon_sdk::schemars::JsonSchema;
use paragon_sdk::{endpoints, EndpointSpec, Integration, Paragon};

include!(concat!(env!("OUT_DIR"), "/tasklab.rs"));

/// Task Lab, declared from the same manifest and spec as the generated client.
#[derive(Integration)]
#[integration(
    manifest = "integrations/tasklab/integration.toml",
    spec = "integrations/tasklab/openapi.yaml",
    module = "derived_tasklab"
)]
struct TaskLab;

/// Task Lab with an API key, declared inline, its endpoints offered as tools.
#[derive(Integration)]
#[integration(
    name = "Task Lab Keys",
    auth = api_key,
    input(key = "api_key", label = "API key", kind = "password", secret = true),
    base_url = "https://tasklab.example/v1",
    test_endpoint = "/me",
    authorization = headers("X-Api-Key" = "{input.api_key}"),
)]
struct TaskLabKeys;

/// A task to create.
#[derive(serde::Serialize, JsonSchema)]
#[schemars(crate = "paragon_sdk::schemars")]
struct NewTask<'a> {
    /// What the task is about.
    title: &'a str,
}

#[endpoints(TaskLabKeys, tools)]
trait TaskLabKeysApi {
    /// Creates a task.
    #[post("/tasks")]
    async fn create_task(&self, #[body] task: &NewTask<'_>) -> serde_json::Value;

    /// A task by id.
    #[get("/tasks/{id}")]
    async fn task(&self, id: &str) -> serde_json::Value;
}

fn main() {
    let paragon = Paragon::new("a-user-token");
    let _generated = tasklab::Client::new(paragon.clone());
    let _derived = TaskLab::client(&paragon);
    assert_eq!(tasklab::INTEGRATION, <TaskLab as Integration>::NAME);
    println!("{} (test endpoint {})", TaskLab::NAME, TaskLab::TEST_ENDPOINT);
    let _keys = TaskLabKeys::client(&paragon);
    let document = TaskLabKeys::openapi();
    assert_eq!(document["paths"]["/tasks"]["post"]["operationId"], "create_task");
    println!("{}: {} declared paths as tools", TaskLabKeys::NAME, document["paths"].as_object().map_or(0, |p| p.len()));
}
RS

cp "$root/Cargo.lock" "$work/Cargo.lock"
CARGO_TARGET_DIR="$target" cargo run --quiet --manifest-path "$work/Cargo.toml"
echo "a user's crate built from the packaged crates: ok"
