#!/usr/bin/env bash
# Installs Paragon's official JavaScript SDK, pinned, into the ignored .cache/npm folder (never
# committed): examples/tests/js_sdk_browser.rs drives it in headless Chromium against the local
# server. npm checks the package against the registry's integrity hash.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
prefix="$root/.cache/npm"
PKG="@useparagon/connect@2.4.0"
bundle="$prefix/node_modules/@useparagon/connect/dist/src/index.js"
if [[ ! -f "$bundle" ]]; then
    mkdir -p "$prefix"
    npm install --silent --no-audit --no-fund --ignore-scripts --save-exact --prefix "$prefix" "$PKG" >&2
fi
echo "$bundle"
