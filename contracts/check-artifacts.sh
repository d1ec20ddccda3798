#!/usr/bin/env bash
# Fails unless contracts/artifacts is exactly what contracts/build.mjs produces from the current
# sources: rebuilds into a temporary directory and compares file by file.
#   contracts/check-artifacts.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if ! node "$root/contracts/build.mjs" --out "$tmp/out" >"$tmp/build.log" 2>&1; then
  cat "$tmp/build.log" >&2
  echo "contracts/build.mjs failed" >&2
  exit 1
fi
if ! diff -r -q "$root/contracts/artifacts" "$tmp/out" >"$tmp/diff" 2>&1; then
  cat "$tmp/diff" >&2
  # The bytecode lines are long: show the start of each differing line only.
  diff -r -u "$root/contracts/artifacts" "$tmp/out" | grep -E '^[-+][^-+]' | cut -c1-160 | head -n 20 >&2 || true
  echo "contracts/artifacts is stale: the sources compile to something else." >&2
  echo "Run 'node contracts/build.mjs' and commit contracts/artifacts." >&2
  exit 1
fi
echo "contracts/artifacts is up to date ($(ls "$tmp/out" | wc -l) artifacts)"
