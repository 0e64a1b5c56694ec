#!/usr/bin/env bash
# What a user compiles: for a crate outside the workspace that depends on the toolkit by path,
# the number of crates in its normal dependency tree and its cold `cargo build` (dev profile),
# in three setups. Prints a Markdown table.
#
#   scripts/dep-cost.sh [ROOT]     # ROOT: a checkout of this repository (default: this one)
#
# Each setup builds in a fresh target dir, one after the other. Wall time depends on what else
# the machine does; CPU time (user + sys of cargo and every compiler it starts) much less, so
# both are printed.
set -euo pipefail
root="$(cd "${1:-$(dirname "$0")/..}" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

setup() { # name, dependencies, build-dependencies, build.rs
  local dir="$work/$1"
  mkdir -p "$dir/src"
  printf '[package]\nname = "user-%s"\nversion = "0.0.0"\nedition = "2024"\npublish = false\n\n[dependencies]\n%s\n\n[build-dependencies]\n%s\n\n[workspace]\n' \
    "$1" "$2" "$3" >"$dir/Cargo.toml"
  echo 'fn main() {}' >"$dir/src/main.rs"
  [ -n "$4" ] && printf '%s\n' "$4" >"$dir/build.rs"
  # Resolve from the repository's own lock file, so before/after compare the same versions.
  cp "$root/Cargo.lock" "$dir/Cargo.lock"
  echo "$dir"
}

sdk="paragon-sdk = { path = \"$root/paragon-sdk\" }"
macros="paragon-sdk = { path = \"$root/paragon-sdk\", features = [\"macros\"] }"
codegen="paragon-codegen = { path = \"$root/paragon-codegen\", default-features = false }"
build_rs='fn main() {}'

echo "| setup | crates (cargo tree -e normal) | cold build wall (s) | cold build CPU (s) |"
echo "|---|---|---|---|"
for spec in "paragon-sdk|$sdk||" "paragon-sdk + macros|$macros||" "+ paragon-codegen (build.rs)|$macros|$codegen|$build_rs"; do
  IFS='|' read -r name deps bdeps brs <<<"$spec"
  dir=$(setup "$(echo "$name" | tr -cd 'a-z')" "$deps" "$bdeps" "$brs")
  edges=normal; [ -n "$bdeps" ] && edges=normal,build
  crates=$(cd "$dir" && cargo tree -e "$edges" --prefix none --offline | sed 's/ (\*)//; s/ (proc-macro)//' | sort -u | wc -l)
  start=$(date +%s.%N)
  /usr/bin/time -f '%U %S' -o "$dir/cpu" env CARGO_TARGET_DIR="$dir/target" cargo build --quiet --manifest-path "$dir/Cargo.toml" --offline
  end=$(date +%s.%N)
  cpu=$(awk '{printf "%.0f", $1 + $2}' "$dir/cpu")
  printf '| %s | %s | %.0f | %s |\n' "$name" "$((crates - 1))" "$(echo "$end - $start" | bc)" "$cpu"
done
