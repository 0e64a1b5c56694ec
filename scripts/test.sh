#!/usr/bin/env bash
# The project's test command (the README's second command; .ci/run calls it).
# Lints, starts what the tests need on loopback, then runs every test in the workspace.
# With CI=true, a service that cannot be started is a failure instead of a skipped test.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings
# The conformance harness's runtime and its test are behind paragon-codegen's `conformance`
# feature (jsonschema), which the workspace's default features leave out.
cargo clippy -p paragon-codegen --all-targets --features conformance --locked -- -D warnings

step "cargo doc (warnings are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --all-features --locked

step "PostgreSQL for the credential-store tests"
if [ -z "${PARAGON_TEST_DATABASE_URL:-}" ]; then
  if out=$(scripts/start-postgres.sh); then
    eval "$out"
    trap 'runuser -u postgres -- "$(ls /usr/lib/postgresql/*/bin/pg_ctl | sort -V | tail -n 1)" -D "$PARAGON_TEST_PG_DIR/data" -m fast stop >/dev/null 2>&1 || true' EXIT
  elif [ "${CI:-}" = true ]; then
    echo "error: could not start PostgreSQL" >&2; exit 1
  else
    echo "PostgreSQL unavailable: its store tests will say they are skipped"
  fi
fi

step "real OpenAPI specs into .cache/"
if ! scripts/fetch-specs.sh; then
  [ "${CI:-}" = true ] && { echo "error: could not fetch the specs" >&2; exit 1; }
  echo "specs unavailable: the full-spec tests will say they are skipped"
fi

step "Chromium for the Connect Portal browser test"
if ! command -v chromedriver >/dev/null || ! command -v chromium >/dev/null; then
  if ! (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver) >&2; then
    [ "${CI:-}" = true ] && { echo "error: could not install chromium" >&2; exit 1; }
    echo "Chromium unavailable: the browser test will say it is skipped"
  fi
fi

step "the official JavaScript SDK (@useparagon/connect, pinned) into .cache/"
if ! scripts/install-js-sdk.sh >/dev/null; then
  [ "${CI:-}" = true ] && { echo "error: could not install @useparagon/connect" >&2; exit 1; }
  echo "@useparagon/connect unavailable: the JavaScript SDK browser test will say it is skipped"
fi
[ "${CI:-}" = true ] && export PARAGON_REQUIRE_BROWSER=1

step "TypeScript for the Paragraph export check"
if [ "${CI:-}" = true ]; then
  scripts/fetch-typescript.sh >/dev/null || { echo "error: could not install TypeScript" >&2; exit 1; }
else
  echo "skipped unless CI=true (scripts/fetch-typescript.sh installs it into .cache/); the export's type-check then says it is skipped"
fi

step "The reference MCP client (Python SDK \`mcp\` from PyPI) into .cache/mcp-venv"
if [ ! -x .cache/mcp-venv/bin/python ] || ! .cache/mcp-venv/bin/python -c 'import mcp' 2>/dev/null; then
  if ! (python3 -m venv .cache/mcp-venv && .cache/mcp-venv/bin/pip install -q 'mcp>=2.3,<3') >&2; then
    [ "${CI:-}" = true ] && { echo "error: could not install the MCP client" >&2; exit 1; }
    echo "MCP client unavailable: the MCP tests will say they are skipped"
  fi
fi

step "cargo test --workspace"
cargo test --workspace --locked
cargo test -p paragon-codegen --features conformance --lib --test conformance --locked

step "cargo package: every published crate packages and builds on its own"
# Cargo verifies interdependent workspace crates against a local overlay of the packages. It
# unpacks that overlay's crates under $CARGO_HOME/registry/src/-<hash>/ and reuses what is
# there for the same name and version, so crates changed since an earlier run would be verified
# against their old sources: remove those copies first (only the overlay's, never crates.io's).
rm -rf "${CARGO_HOME:-$HOME/.cargo}"/registry/src/-*/paragon-*
cargo package --workspace --exclude paragon-examples --exclude paragon-fake-provider --locked --allow-dirty --quiet
scripts/check-user-crate.sh

step "GitHub's full spec: generate the client and cargo check it"
if [ -f .cache/specs/api.github.com.json ]; then
  CODEGEN_PROFILE=dev scripts/check-github-client.sh
else
  echo "skipped: GitHub's spec is not in .cache/specs (scripts/fetch-specs.sh)"
fi
