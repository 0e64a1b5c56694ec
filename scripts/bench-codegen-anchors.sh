#!/usr/bin/env bash
# Benchmark (not a test): paragon-codegen against other OpenAPI -> Rust generators on GitHub's
# full REST spec, as published. For each generator, in one sequential run: generation (wall,
# peak RSS, lines of generated Rust), then, when generation succeeded, the first `cargo check`
# of the generated crate alone, its dependencies built beforehand with an empty lib.
# Each generator's crate is checked in its own target dir; each step is bounded by `timeout`.
# Figures come from /usr/bin/time -v (peak RSS is the largest single process, e.g. rustc).
# Run it on an otherwise idle machine.
#
# The anchors are installed from the registries, into ANCHORS (default /tmp/anchors):
#   cargo install cargo-progenitor --version 0.15.1 --locked --root "$ANCHORS"
#   cargo install openapi-to-rust --version 0.23.0 --locked --root "$ANCHORS"
#   python3 -m venv "$ANCHORS/venv" && "$ANCHORS/venv/bin/pip" install openapi-generator-cli==7.26.0
# A generator that is not installed is reported as such and skipped.
#
# Usage: scripts/bench-codegen-anchors.sh [SPEC]
#   env: ANCHORS, STEP_TIMEOUT (seconds, default 900), BENCH_DIR (work dir, default a new
#        temp dir), TARGET_BASE (per-generator target dirs, default /tmp/target-anchors),
#        PREPARE_ONLY=1 (generate and build each crate's dependencies, skip the timed checks)
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
spec="${1:-$root/.cache/specs/api.github.com.json}"
[[ -f "$spec" ]] || "$root/scripts/fetch-specs.sh" github >/dev/null
anchors="${ANCHORS:-/tmp/anchors}"
limit="${STEP_TIMEOUT:-900}"
work="${BENCH_DIR:-$(mktemp -d)}"
targets="${TARGET_BASE:-/tmp/target-anchors}"
mkdir -p "$work" "$targets"
rows="$work/rows.tsv"
: > "$rows"

wall_of() { grep 'Elapsed (wall clock)' "$1" | awk '{print $NF}'; }
secs_of() { # h:mm:ss or m:ss.cc -> seconds
    wall_of "$1" | awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; printf "%.2f", s }'
}
mib_of() { echo $(($(grep 'Maximum resident set size' "$1" | awk '{print $NF}') / 1024)); }
status_of() { # exit status recorded by time -v (0 when absent)
    local s
    s="$(grep -o 'Command exited with non-zero status [0-9]*' "$1" | awk '{print $NF}')"
    [[ -n "$s" ]] && echo "$s" && return
    grep -q 'Command terminated by signal' "$1" && echo 137 && return
    echo 0
}
first_error() { # first line that says what failed (a panic with its message), table-safe
    local line
    line="$(grep -m1 -A1 'panicked at' "$1" | tr '\n' ' ')"
    [[ -n "$line" ]] || line="$(grep -m1 -E '^error|Error|Exception|Killed' "$1")"
    local total
    total="$(grep -o -m1 'due to [0-9]* previous errors\?' "$1")"
    [[ -n "$total" ]] && line="$line … ($total)"
    echo "${line:0:240}" | sed -e 's/|/\\|/g' -e 's#[^ ]*/registry/src/[^/]*/##'
}
timed() { # time-file, log-file, command... (bounded by $limit)
    local tf="$1" log="$2"
    shift 2
    /usr/bin/time -v -o "$tf" timeout "$limit" "$@" > "$log" 2>&1
}
thousands() { sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; }
rust_lines() { find "$1" -name '*.rs' -print0 | xargs -0 cat | wc -l | thousands; }
rust_files() { find "$1" -name '*.rs' | wc -l; }

# Prebuild the dependencies of the crate in $1 (empty lib), then time its first check.
check_crate() { # name, crate dir -> appends check columns to the row
    local name="$1" dir="$2" target="$targets/$1"
    mv "$dir/src" "$dir/src.generated"
    mkdir "$dir/src" && echo "" > "$dir/src/lib.rs"
    CARGO_TARGET_DIR="$target" timeout "$limit" cargo check --quiet \
        --manifest-path "$dir/Cargo.toml" > "$work/$name.deps.log" 2>&1
    local deps_rc=$?
    rm -r "$dir/src" && mv "$dir/src.generated" "$dir/src"
    if [[ $deps_rc -ne 0 ]]; then
        echo "-	-	dependencies did not build: $(first_error "$work/$name.deps.log")"
        return
    fi
    if [[ -n "${PREPARE_ONLY:-}" ]]; then
        echo "-	-	dependencies built (PREPARE_ONLY: check not run)"
        return
    fi
    find "$dir/src" -name '*.rs' -exec touch {} + # newer than the empty lib's check
    rm -rf "$target/debug/incremental" # no incremental state from an earlier run: a first check
    CARGO_TARGET_DIR="$target" timed "$work/$name.check.time" "$work/$name.check.log" \
        cargo check --manifest-path "$dir/Cargo.toml"
    local rc
    rc="$(status_of "$work/$name.check.time")"
    local warnings result
    warnings="$(grep -o 'generated [0-9]* warnings\?' "$work/$name.check.log" |
        awk '{ n += $2 } END { print n + 0 }')"
    result="passes, $warnings warnings"
    if [[ $rc -eq 124 ]]; then
        result="timeout after ${limit} s"
    elif [[ $rc -ne 0 ]]; then
        result="fails ($rc): $(first_error "$work/$name.check.log")"
    fi
    echo "$(secs_of "$work/$name.check.time")	$(mib_of "$work/$name.check.time")	$result"
}

# Generation: name, output dir, command... -> 0 when it produced code
generate() {
    local name="$1" out="$2"
    shift 2
    timed "$work/$name.gen.time" "$work/$name.gen.log" "$@"
    local rc
    rc="$(status_of "$work/$name.gen.time")"
    local gen="$(secs_of "$work/$name.gen.time")	$(mib_of "$work/$name.gen.time")"
    if [[ $rc -eq 124 ]]; then
        printf '%s\t%s\t-\t-\t-\tgeneration timed out after %s s\n' "$name" "$gen" "$limit" >> "$rows"
        return 1
    elif [[ $rc -ne 0 ]]; then
        printf '%s\t%s\t-\t-\t-\tgeneration fails (%s): %s\n' "$name" "$gen" "$rc" \
            "$(first_error "$work/$name.gen.log")" >> "$rows"
        return 1
    fi
    printf '%s\t%s\t%s lines, %s files' "$name" "$gen" "$(rust_lines "$out")" \
        "$(rust_files "$out" | thousands)" >> "$rows"
}
missing() { printf '%s\t-\t-\t-\t-\t-\tnot installed (%s)\n' "$1" "$2" >> "$rows"; }

echo "spec: $spec ($(sha256sum "$spec" | cut -c1-12))"
echo "work dir: $work; step timeout: ${limit} s; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

# --- paragon-codegen (ours): same crate shape as scripts/bench-codegen.sh
CARGO_TARGET_DIR="$targets/build" cargo build --quiet --release \
    --manifest-path "$root/Cargo.toml" -p paragon-codegen
ours="$work/paragon-codegen"
mkdir -p "$ours/src"
cat > "$ours/Cargo.toml" <<TOML
[package]
name = "github-client-bench"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
paragon-sdk = { path = "$root/paragon-sdk" }

[workspace]
TOML
cp "$root/Cargo.lock" "$ours/Cargo.lock"
if generate paragon-codegen "$ours/src" "$targets/build/release/paragon-codegen" generate \
    --integration "$root/specs/github" --spec "$spec" --out "$ours/src/lib.rs"; then
    printf '\t%s\n' "$(check_crate paragon-codegen "$ours")" >> "$rows"
fi

# --- openapi-generator (-g rust, its default reqwest library)
jar="$(find "$anchors/venv" -name 'openapi-generator.jar' 2>/dev/null | head -1)"
if [[ -n "$jar" ]]; then
    out="$work/openapi-generator"
    if generate openapi-generator "$out" java -jar "$jar" generate -g rust -i "$spec" -o "$out"; then
        printf '\t%s\n' "$(check_crate openapi-generator "$out")" >> "$rows"
    fi
else
    missing openapi-generator "pip install openapi-generator-cli==7.26.0"
fi

# --- openapi-to-rust (direct mode; the crate gets the dependencies it lists in REQUIRED_DEPS.toml)
if [[ -x "$anchors/bin/openapi-to-rust" ]]; then
    out="$work/openapi-to-rust"
    mkdir -p "$out/src"
    if (cd "$out" && generate openapi-to-rust "$out/src/generated" \
        "$anchors/bin/openapi-to-rust" generate "$spec" --output-dir src/generated); then
        {
            printf '[package]\nname = "github-client-o2r"\nversion = "0.0.0"\nedition = "2024"\npublish = false\n\n'
            grep -v '^\[dependencies\]' "$out/src/generated/REQUIRED_DEPS.toml" |
                sed '1i [dependencies]'
            printf '\n[workspace]\n'
        } > "$out/Cargo.toml"
        echo "pub mod generated;" > "$out/src/lib.rs"
        printf '\t%s\n' "$(check_crate openapi-to-rust "$out")" >> "$rows"
    fi
else
    missing openapi-to-rust "cargo install openapi-to-rust --version 0.23.0 --locked"
fi

# --- progenitor (cargo-progenitor writes a whole crate)
if [[ -x "$anchors/bin/cargo-progenitor" ]]; then
    out="$work/progenitor"
    if generate progenitor "$out" "$anchors/bin/cargo-progenitor" progenitor -i "$spec" -o "$out" \
        -n github-client-progenitor -v 0.0.0; then
        printf '\t%s\n' "$(check_crate progenitor "$out")" >> "$rows"
    fi
else
    missing progenitor "cargo install cargo-progenitor --version 0.15.1 --locked"
fi

echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
# rows: name, gen s, gen MiB, lines, check s, check MiB, result
awk -F'\t' '
    function ratio(x, y) { return (x == "-" || y == "-" || y == 0) ? "-" : sprintf("%.1f×", x / y) }
    NR == 1 { gs = $2; gm = $3; cs = $5; cm = $6 }
    { rows[NR] = $0 }
    END {
        print "| generator | generation wall / peak | generated Rust | first `cargo check` wall / peak | result | anchor ÷ ours: generation wall, check wall, check peak |"
        print "|---|---|---|---|---|---|"
        for (i = 1; i <= NR; i++) {
            split(rows[i], f, "\t")
            gen = (f[2] == "-") ? "-" : sprintf("%s s / %s MiB", f[2], f[3])
            chk = (f[5] == "-" || f[5] == "") ? "-" : sprintf("%s s / %s MiB", f[5], f[6])
            r = (i == 1) ? "1 (ours)" : sprintf("%s, %s, %s", ratio(f[2], gs), ratio(f[5], cs), ratio(f[6], cm))
            if (i > 1 && f[4] == "-") r = sprintf("-, %s, %s", ratio(f[5], cs), ratio(f[6], cm))
            printf "| %s | %s | %s | %s | %s | %s |\n", f[1], gen, f[4], chk, f[7], r
        }
    }' "$rows"
