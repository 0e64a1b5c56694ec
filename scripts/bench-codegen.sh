#!/usr/bin/env bash
# Benchmark (not a test): generation of GitHub's full REST spec, and the first `cargo check` of
# its generated client alone (dependencies already built). Wall time and peak memory come from
# /usr/bin/time -v; run it on an otherwise idle machine.
# Usage: scripts/bench-codegen.sh [SPEC]   (CODEGEN_BIN=path: time that build of the generator)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
spec="${1:-$root/.cache/specs/api.github.com.json}"
[[ -f "$spec" ]] || "$root/scripts/fetch-specs.sh" github >/dev/null
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
work="${BENCH_DIR:-$(mktemp -d)}"
report() { # label, /usr/bin/time -v output file
    local wall rss cpu
    wall="$(grep 'Elapsed (wall clock)' "$2" | awk '{print $NF}')"
    rss="$(grep 'Maximum resident set size' "$2" | awk '{print $NF}')"
    cpu="$(awk -F': ' '/User time|System time/ {s += $2} END {printf "%.2f", s}' "$2")"
    printf '%-40s wall %8s   cpu %7ss   peak RSS %6d MiB\n' "$1" "$wall" "$cpu" "$((rss / 1024))"
}

# CODEGEN_BIN: another build of the generator (e.g. a copy from before a change), for before/after.
if [[ -n "${CODEGEN_BIN:-}" ]]; then
    bin="$CODEGEN_BIN"
else
    cargo build --quiet --release --manifest-path "$root/Cargo.toml" -p paragon-codegen
    bin="$CARGO_TARGET_DIR/release/paragon-codegen"
fi

mkdir -p "$work/src"
cat > "$work/Cargo.toml" <<TOML
[package]
name = "github-client-bench"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
paragon-sdk = { path = "$root/paragon-sdk" }

[workspace]
TOML
cp "$root/Cargo.lock" "$work/Cargo.lock"

# 1. Generation (three runs; the first warms the page cache).
for run in 1 2 3; do
    /usr/bin/time -v "$bin" generate --integration "$root/specs/github" --spec "$spec" \
        --out "$work/src/lib.rs" 2> "$work/gen.time" >/dev/null
    report "generate GitHub client (run $run)" "$work/gen.time"
done
grep '^wrote' "$work/gen.time" || true
echo "lines: $(wc -l < "$work/src/lib.rs")"

# 2. Dependencies first, with an empty lib, so the timed check is the client alone.
mv "$work/src/lib.rs" "$work/github.rs"
echo "" > "$work/src/lib.rs"
RUSTFLAGS="-D warnings" cargo check --quiet --manifest-path "$work/Cargo.toml"
mv "$work/github.rs" "$work/src/lib.rs"
touch "$work/src/lib.rs" # newer than the empty lib's check, so cargo sees the change
RUSTFLAGS="-D warnings" /usr/bin/time -v cargo check --quiet --manifest-path "$work/Cargo.toml" 2> "$work/check.time"
report "cargo check of the client alone" "$work/check.time"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
