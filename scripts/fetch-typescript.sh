#!/usr/bin/env bash
# Installs the TypeScript compiler into the ignored .cache/ folder (never committed), pinned,
# for the test that type-checks the Paragraph export (`paragon-codegen paragraph`) with
# `tsc --noEmit`. Prints the path of `tsc`.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$root/.cache/typescript"
TYPESCRIPT_PKG="typescript@5.6.3"
if [[ ! -x "$dest/node_modules/.bin/tsc" ]]; then
    mkdir -p "$dest"
    npm install --silent --no-audit --no-fund --prefix "$dest" "$TYPESCRIPT_PKG" >/dev/null
fi
echo "$dest/node_modules/.bin/tsc"
