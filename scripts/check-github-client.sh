#!/usr/bin/env bash
# Generates the typed client for GitHub's full REST spec into a temporary crate that depends on
# paragon-sdk by path, and runs `cargo check` on it with warnings denied.
# Usage: scripts/check-github-client.sh [SPEC]   (default: the spec scripts/fetch-specs.sh fetched)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
spec="${1:-$root/.cache/specs/api.github.com.json}"
if [[ ! -f "$spec" ]]; then
    "$root/scripts/fetch-specs.sh" github
fi
work="${GITHUB_CHECK_DIR:-$(mktemp -d)}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
mkdir -p "$work/src"
cat > "$work/Cargo.toml" <<TOML
[package]
name = "github-client-check"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
paragon-sdk = { path = "$root/paragon-sdk" }

[workspace]
TOML
cp "$root/Cargo.lock" "$work/Cargo.lock"
# CODEGEN_PROFILE=dev reuses the debug build `cargo test --workspace` already made.
cargo run --quiet --profile "${CODEGEN_PROFILE:-release}" --manifest-path "$root/Cargo.toml" -p paragon-codegen -- \
    generate --integration "$root/specs/github" --spec "$spec" --out "$work/src/github.rs"
# deny(warnings) in the crate rather than RUSTFLAGS, which would rebuild every dependency.
printf '//! GitHub client, generated.\n#![deny(warnings)]\nmod github;\npub use github::*;\n' > "$work/src/lib.rs"
cargo check --quiet --manifest-path "$work/Cargo.toml"
echo "GitHub client: cargo check passed (no warnings)"
